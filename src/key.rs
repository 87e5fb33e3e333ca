//! Internal keys (LevelDB's db/dbformat): user key + 8-byte tag.
//!
//! Invariants: an internal key is `user_key ++ fixed64(sequence << 8 | type)`;
//! sequences are at most [`MAX_SEQUENCE`] (2^56 − 1). Internal keys order by
//! user key (user comparator) ascending, then by tag descending, so the
//! newest entry of a user key comes first. A parsed key borrows its bytes.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::Arc;

use crate::util::coding::{decode_fixed64, encode_varint64, put_fixed64, varint_length};
use crate::util::comparator::Comparator;

pub type SequenceNumber = u64;

/// The largest sequence number: 56 bits, leaving 8 for the type in the tag.
pub const MAX_SEQUENCE: SequenceNumber = (1 << 56) - 1;

/// What an internal key records: a value or a deletion marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum ValueType {
    Deletion = 0,
    Value = 1,
}

/// The type used in seek keys: the highest, so a seek for sequence `s` lands
/// on the first entry with sequence `<= s`.
pub const VALUE_TYPE_FOR_SEEK: ValueType = ValueType::Value;

impl ValueType {
    pub fn from_byte(b: u8) -> Option<ValueType> {
        match b {
            0 => Some(ValueType::Deletion),
            1 => Some(ValueType::Value),
            _ => None,
        }
    }
}

/// The 8-byte tag of an internal key.
#[inline]
pub fn pack_sequence_and_type(seq: SequenceNumber, t: ValueType) -> u64 {
    debug_assert!(seq <= MAX_SEQUENCE);
    (seq << 8) | t as u64
}

/// Appends the internal key for (`user_key`, `seq`, `t`) to `dst`.
#[inline]
pub fn append_internal_key(dst: &mut Vec<u8>, user_key: &[u8], seq: SequenceNumber, t: ValueType) {
    // One allocation for both parts: growing for the user key and again
    // for the tag cost an iterator seek two allocations and a copy.
    dst.reserve(user_key.len() + 8);
    dst.extend_from_slice(user_key);
    put_fixed64(dst, pack_sequence_and_type(seq, t));
}

/// A new internal key.
pub fn internal_key(user_key: &[u8], seq: SequenceNumber, t: ValueType) -> Vec<u8> {
    let mut k = Vec::with_capacity(user_key.len() + 8);
    append_internal_key(&mut k, user_key, seq, t);
    k
}

/// An internal key split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedInternalKey<'a> {
    pub user_key: &'a [u8],
    pub sequence: SequenceNumber,
    pub value_type: ValueType,
}

/// Splits an internal key; `None` if shorter than 8 bytes or of unknown type.
#[inline]
pub fn parse_internal_key(ikey: &[u8]) -> Option<ParsedInternalKey<'_>> {
    if ikey.len() < 8 {
        return None;
    }
    let split = ikey.len() - 8;
    let tag = decode_fixed64(&ikey[split..]);
    let value_type = ValueType::from_byte((tag & 0xff) as u8)?;
    Some(ParsedInternalKey {
        user_key: &ikey[..split],
        sequence: tag >> 8,
        value_type,
    })
}

/// The user-key part of an internal key (at least 8 bytes long; a shorter
/// one, only possible in a damaged file, has an empty user key: tables
/// are compared with this on untrusted bytes, so it must not panic, not
/// even in a debug build).
#[inline]
pub fn extract_user_key(ikey: &[u8]) -> &[u8] {
    &ikey[..ikey.len().saturating_sub(8)]
}

/// The tag of an internal key (which must be at least 8 bytes; a shorter
/// one, only possible in a damaged file, has tag 0 rather than a panic).
#[inline]
pub fn extract_tag(ikey: &[u8]) -> u64 {
    match ikey.len().checked_sub(8) {
        Some(start) => decode_fixed64(&ikey[start..]),
        None => 0,
    }
}

/// LevelDB's `EscapeString`: printable ASCII kept, other bytes as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (b' '..=b'~').contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// `InternalKey::DebugString()`: `'<user key>' @ <seq> : <type>`, or
/// `(bad)<escaped bytes>` when the key does not parse.
pub fn debug_internal_key(ikey: &[u8]) -> String {
    match parse_internal_key(ikey) {
        Some(p) => format!(
            "'{}' @ {} : {}",
            escape_bytes(p.user_key),
            p.sequence,
            p.value_type as u8
        ),
        None => format!("(bad){}", escape_bytes(ikey)),
    }
}

/// Orders internal keys: user key ascending, then tag descending.
#[derive(Clone)]
pub struct InternalKeyComparator {
    user: Arc<dyn Comparator>,
    /// `user.is_bytewise()`, read once.
    bytewise: bool,
}

impl InternalKeyComparator {
    pub fn new(user: Arc<dyn Comparator>) -> InternalKeyComparator {
        let bytewise = user.is_bytewise();
        InternalKeyComparator { user, bytewise }
    }

    pub fn user_comparator(&self) -> &Arc<dyn Comparator> {
        &self.user
    }

    #[inline]
    pub fn compare_user(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.bytewise {
            crate::util::comparator::compare_bytes(a, b)
        } else {
            self.user.compare(a, b)
        }
    }
}

impl Comparator for InternalKeyComparator {
    #[inline(always)]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        match self.compare_user(extract_user_key(a), extract_user_key(b)) {
            Ordering::Equal => extract_tag(b).cmp(&extract_tag(a)),
            other => other,
        }
    }

    fn name(&self) -> &str {
        "leveldb.InternalKeyComparator"
    }

    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]) {
        let user_start = extract_user_key(start);
        let user_limit = extract_user_key(limit);
        let mut tmp = user_start.to_vec();
        self.user.find_shortest_separator(&mut tmp, user_limit);
        if tmp.len() < user_start.len() && self.user.compare(user_start, &tmp) == Ordering::Less {
            put_fixed64(
                &mut tmp,
                pack_sequence_and_type(MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK),
            );
            debug_assert_eq!(self.compare(start, &tmp), Ordering::Less);
            debug_assert_eq!(self.compare(&tmp, limit), Ordering::Less);
            *start = tmp;
        }
    }

    fn find_short_successor(&self, key: &mut Vec<u8>) {
        let user_key = extract_user_key(key);
        let mut tmp = user_key.to_vec();
        self.user.find_short_successor(&mut tmp);
        if tmp.len() < user_key.len() && self.user.compare(user_key, &tmp) == Ordering::Less {
            put_fixed64(
                &mut tmp,
                pack_sequence_and_type(MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK),
            );
            *key = tmp;
        }
    }
}

/// What a point lookup found in a memtable or the tables. A value is not
/// returned but handed to the caller's sink while it is still in place (in
/// the memtable's arena or a table block), so that the caller copies it
/// once, into whatever buffer it returns (the C API's `malloc`ed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupOutcome {
    /// The newest entry for the key is a value (passed to the sink).
    Found,
    /// The newest entry for the key is a deletion.
    Deleted,
    /// Nothing here holds the key.
    Missing,
}

/// The key a point lookup searches with, in the memtable's encoding:
/// `varint32(len(user_key) + 8) ++ user_key ++ tag(seq, VALUE_TYPE_FOR_SEEK)`.
/// Short keys are encoded in place (as LevelDB's `space_[200]`), so a point
/// lookup allocates nothing for its key.
pub struct LookupKey {
    data: LookupBytes,
    len: usize,
    key_start: usize,
}

/// Encodings up to this long stay inline.
const INLINE_LOOKUP_KEY: usize = 128;

enum LookupBytes {
    Inline([u8; INLINE_LOOKUP_KEY]),
    Heap(Vec<u8>),
}

impl LookupKey {
    pub fn new(user_key: &[u8], seq: SequenceNumber) -> LookupKey {
        let internal_len = user_key.len() + 8;
        let key_start = varint_length(internal_len as u64);
        let len = key_start + internal_len;
        let mut data = if len <= INLINE_LOOKUP_KEY {
            LookupBytes::Inline([0; INLINE_LOOKUP_KEY])
        } else {
            LookupBytes::Heap(vec![0; len])
        };
        let out = match &mut data {
            LookupBytes::Inline(a) => &mut a[..len],
            LookupBytes::Heap(v) => &mut v[..],
        };
        encode_varint64(out, internal_len as u64);
        out[key_start..len - 8].copy_from_slice(user_key);
        out[len - 8..]
            .copy_from_slice(&pack_sequence_and_type(seq, VALUE_TYPE_FOR_SEEK).to_le_bytes());
        LookupKey {
            data,
            len,
            key_start,
        }
    }

    /// The whole encoding, as memtable entries begin.
    #[inline]
    pub fn memtable_key(&self) -> &[u8] {
        match &self.data {
            LookupBytes::Inline(a) => &a[..self.len],
            LookupBytes::Heap(v) => v,
        }
    }
    /// The internal key (no length prefix).
    #[inline]
    pub fn internal_key(&self) -> &[u8] {
        &self.memtable_key()[self.key_start..]
    }
    /// The user key.
    #[inline]
    pub fn user_key(&self) -> &[u8] {
        &self.memtable_key()[self.key_start..self.len - 8]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::coding::put_varint32;
    use crate::util::comparator::BytewiseComparator;

    fn icmp() -> InternalKeyComparator {
        InternalKeyComparator::new(Arc::new(BytewiseComparator))
    }

    #[test]
    fn lookup_keys_short_and_long_encode_as_the_memtable_does() {
        for n in [0, 1, 100, 115, 116, 119, 120, 127, 300, 20_000] {
            let user_key: Vec<u8> = (0..n).map(|i| (i * 7 + 1) as u8).collect();
            let k = LookupKey::new(&user_key, 77);
            let mut expected = Vec::new();
            put_varint32(&mut expected, (n + 8) as u32);
            append_internal_key(&mut expected, &user_key, 77, VALUE_TYPE_FOR_SEEK);
            assert_eq!(k.memtable_key(), &expected[..], "length {n}");
            assert_eq!(k.user_key(), &user_key[..]);
            assert_eq!(k.internal_key(), &expected[expected.len() - n - 8..]);
        }
    }

    #[test]
    fn encode_decode() {
        for key in [&b""[..], b"k", b"hello", b"longggggggggggggggggggggg"] {
            for seq in [1, 2, 3, (1 << 8) - 1, 1 << 8, (1 << 32) + 1, MAX_SEQUENCE] {
                for t in [ValueType::Value, ValueType::Deletion] {
                    let ik = internal_key(key, seq, t);
                    let p = parse_internal_key(&ik).unwrap();
                    assert_eq!((p.user_key, p.sequence, p.value_type), (key, seq, t));
                }
            }
        }
        assert!(parse_internal_key(b"bar").is_none());
        assert!(parse_internal_key(&[2, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn ordering_newest_first() {
        let c = icmp();
        let a = internal_key(b"foo", 100, ValueType::Value);
        let b = internal_key(b"foo", 99, ValueType::Value);
        let d = internal_key(b"foo", 100, ValueType::Deletion);
        let e = internal_key(b"goo", 200, ValueType::Value);
        assert_eq!(c.compare(&a, &b), Ordering::Less);
        assert_eq!(c.compare(&a, &d), Ordering::Less);
        assert_eq!(c.compare(&b, &e), Ordering::Less);
    }

    fn shorten(s: Vec<u8>, l: Vec<u8>) -> Vec<u8> {
        let mut s = s;
        icmp().find_shortest_separator(&mut s, &l);
        s
    }

    #[test]
    fn separators_as_dbformat_test() {
        let ik = |k: &[u8], s, t| internal_key(k, s, t);
        use ValueType::*;
        // When user keys are the same.
        assert_eq!(
            shorten(ik(b"foo", 100, Value), ik(b"foo", 99, Value)),
            ik(b"foo", 100, Value)
        );
        assert_eq!(
            shorten(ik(b"foo", 100, Value), ik(b"foo", 100, Deletion)),
            ik(b"foo", 100, Value)
        );
        // When user keys are misordered.
        assert_eq!(
            shorten(ik(b"foo", 100, Value), ik(b"bar", 99, Value)),
            ik(b"foo", 100, Value)
        );
        // When user keys are different, but correctly ordered.
        assert_eq!(
            shorten(ik(b"foo", 100, Value), ik(b"hello", 200, Value)),
            ik(b"g", MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK)
        );
        // When start user key is prefix of limit user key.
        assert_eq!(
            shorten(ik(b"foo", 100, Value), ik(b"foobar", 200, Value)),
            ik(b"foo", 100, Value)
        );
        // When limit user key is prefix of start user key.
        assert_eq!(
            shorten(ik(b"foobar", 100, Value), ik(b"foo", 200, Value)),
            ik(b"foobar", 100, Value)
        );

        let mut k = ik(b"foo", 100, Value);
        icmp().find_short_successor(&mut k);
        assert_eq!(k, ik(b"g", MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK));
        let mut k = ik(b"\xff\xff", 100, Value);
        icmp().find_short_successor(&mut k);
        assert_eq!(k, ik(b"\xff\xff", 100, Value));
    }

    #[test]
    fn lookup_key_parts_and_debug() {
        let lk = LookupKey::new(b"abc", 7);
        assert_eq!(lk.user_key(), b"abc");
        assert_eq!(
            lk.internal_key(),
            &internal_key(b"abc", 7, ValueType::Value)[..]
        );
        assert_eq!(lk.memtable_key()[0], 11);
        assert_eq!(debug_internal_key(lk.internal_key()), "'abc' @ 7 : 1");
        assert_eq!(debug_internal_key(b"\x01ab"), "(bad)\\x01ab");
        assert_eq!(escape_bytes(b"a \x7f~\n"), "a \\x7f~\\x0a");
    }
}
