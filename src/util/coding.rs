//! Fixed-width and variable-length integer encodings (LevelDB's util/coding).
//!
//! Invariants: fixed-width integers are little-endian on every host; varints
//! are LEB128 with at most 5 (u32) or 10 (u64) bytes. Every decoder takes a
//! cursor (`&mut &[u8]`), advances it only on success, and returns `None` on
//! truncated or overlong input — never panics.

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// Appends `v` as 4 little-endian bytes.
#[inline]
pub fn put_fixed32(dst: &mut Vec<u8>, v: u32) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` as 8 little-endian bytes.
#[inline]
pub fn put_fixed64(dst: &mut Vec<u8>, v: u64) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Reads a little-endian u32 from the first 4 bytes of `src`.
///
/// Panics if `src` is shorter than 4 bytes: callers check lengths first.
#[inline]
pub fn decode_fixed32(src: &[u8]) -> u32 {
    u32::from_le_bytes([src[0], src[1], src[2], src[3]])
}

/// Reads a little-endian u64 from the first 8 bytes of `src`.
///
/// Panics if `src` is shorter than 8 bytes: callers check lengths first.
#[inline]
pub fn decode_fixed64(src: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&src[..8]);
    u64::from_le_bytes(b)
}

/// Appends the varint encoding of `v` (1 to 5 bytes).
#[inline]
pub fn put_varint32(dst: &mut Vec<u8>, v: u32) {
    put_varint64(dst, u64::from(v));
}

/// Appends the varint encoding of `v` (1 to 10 bytes).
#[inline]
pub fn put_varint64(dst: &mut Vec<u8>, mut v: u64) {
    // Pushed byte by byte: a copy of a variable-length slice would be a
    // memcpy call, costly for the one or two bytes a write batch appends.
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// Writes the varint encoding of `v` at the start of `out` (which must have
/// room: [`varint_length`] bytes) and returns its length.
#[inline]
pub fn encode_varint64(out: &mut [u8], mut v: u64) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        out[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    out[n] = v as u8;
    n + 1
}

/// The number of bytes the varint encoding of `v` takes.
#[inline]
pub fn varint_length(mut v: u64) -> usize {
    let mut len = 1;
    while v >= 0x80 {
        v >>= 7;
        len += 1;
    }
    len
}

/// Appends `value` prefixed by its length as a varint32.
#[inline]
pub fn put_length_prefixed_slice(dst: &mut Vec<u8>, value: &[u8]) {
    put_varint32(dst, value.len() as u32);
    dst.extend_from_slice(value);
}

/// Decodes a varint32 from the front of `input`, advancing it.
///
/// As LevelDB, at most 5 bytes are read; high bits beyond 32 in the fifth
/// byte are dropped.
#[inline]
pub fn get_varint32(input: &mut &[u8]) -> Option<u32> {
    let data = *input;
    if let Some(&b) = data.first() {
        if b < 0x80 {
            *input = &data[1..];
            return Some(u32::from(b));
        }
    }
    let mut result: u32 = 0;
    for (i, &byte) in data.iter().enumerate().take(5) {
        let shift = 7 * i as u32;
        result |= u32::from(byte & 0x7f).wrapping_shl(shift);
        if byte & 0x80 == 0 {
            *input = &data[i + 1..];
            return Some(result);
        }
    }
    None
}

/// Decodes a varint64 from the front of `input`, advancing it.
#[inline]
pub fn get_varint64(input: &mut &[u8]) -> Option<u64> {
    let data = *input;
    let mut result: u64 = 0;
    for (i, &byte) in data.iter().enumerate().take(10) {
        let shift = 7 * i as u32;
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            *input = &data[i + 1..];
            return Some(result);
        }
    }
    None
}

/// Decodes a varint32-length-prefixed slice from the front of `input`.
#[inline]
pub fn get_length_prefixed_slice<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut cursor = *input;
    let len = get_varint32(&mut cursor)? as usize;
    if cursor.len() < len {
        return None;
    }
    let (value, rest) = cursor.split_at(len);
    *input = rest;
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fixed_is_little_endian() {
        let mut v = Vec::new();
        put_fixed32(&mut v, 0x04030201);
        put_fixed64(&mut v, 0x0807060504030201);
        assert_eq!(v, [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(decode_fixed32(&v), 0x04030201);
        assert_eq!(decode_fixed64(&v[4..]), 0x0807060504030201);
    }

    #[test]
    fn varint_known_encodings() {
        let mut v = Vec::new();
        put_varint32(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
        v.clear();
        put_varint64(&mut v, u64::MAX);
        assert_eq!(v.len(), 10);
        assert_eq!(varint_length(u64::MAX), 10);
        assert_eq!(varint_length(127), 1);
        assert_eq!(varint_length(128), 2);
    }

    #[test]
    fn varint32_overlong_and_truncated_fail() {
        assert_eq!(
            get_varint32(&mut &[0x80u8, 0x80, 0x80, 0x80, 0x80, 0x01][..]),
            None
        );
        assert_eq!(get_varint32(&mut &[0x80u8][..]), None);
        assert_eq!(get_varint32(&mut &[][..]), None);
        assert_eq!(get_varint64(&mut &[0xffu8; 11][..]), None);
        assert_eq!(get_varint64(&mut &[0x80u8, 0x80][..]), None);
    }

    #[test]
    fn length_prefixed_truncated_fails() {
        let mut v = Vec::new();
        put_length_prefixed_slice(&mut v, b"hello");
        let mut cur = &v[..v.len() - 1];
        assert_eq!(get_length_prefixed_slice(&mut cur), None);
        assert_eq!(cur.len(), v.len() - 1, "cursor untouched on failure");
        let mut cur = &v[..];
        assert_eq!(get_length_prefixed_slice(&mut cur), Some(&b"hello"[..]));
        assert!(cur.is_empty());
    }

    proptest! {
        #[test]
        fn varint_roundtrip(a in any::<u32>(), b in any::<u64>(), s in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut v = Vec::new();
            put_varint32(&mut v, a);
            put_varint64(&mut v, b);
            put_length_prefixed_slice(&mut v, &s);
            prop_assert_eq!(v.len(), varint_length(a.into()) + varint_length(b) + varint_length(s.len() as u64) + s.len());
            let mut cur = &v[..];
            prop_assert_eq!(get_varint32(&mut cur), Some(a));
            prop_assert_eq!(get_varint64(&mut cur), Some(b));
            prop_assert_eq!(get_length_prefixed_slice(&mut cur), Some(&s[..]));
            prop_assert!(cur.is_empty());
        }

        #[test]
        fn truncated_varint_never_panics(b in any::<u64>(), cut in 0usize..10) {
            let mut v = Vec::new();
            put_varint64(&mut v, b);
            let cut = cut.min(v.len() - 1);
            prop_assert_eq!(get_varint64(&mut &v[..cut]), None);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let mut cur = &bytes[..];
            let _ = get_varint32(&mut cur);
            let mut cur = &bytes[..];
            let _ = get_varint64(&mut cur);
            let mut cur = &bytes[..];
            let _ = get_length_prefixed_slice(&mut cur);
        }
    }
}
