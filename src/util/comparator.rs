//! User-key ordering: the `Comparator` trait and LevelDB's bytewise comparator.
//!
//! Invariants: a comparator is a total order, stable for the life of a
//! database (its `name` is stored in the MANIFEST and checked on open).
//! `find_shortest_separator(start, limit)` may only shorten `start` to some
//! key in `[start, limit)`; `find_short_successor(key)` may only change `key`
//! to some key `>= key`. Both may leave the key as it is. Implementations
//! must be `Send + Sync`: the database calls them from every thread.

use std::cmp::Ordering;
use std::sync::Arc;

/// A total order over user keys, as LevelDB's `Comparator`, set as
/// [`Options::comparator`](crate::Options::comparator). Its name is stored
/// in the database, which only opens again with a comparator of that name:
/// change the name whenever the order changes. The two `find_*` methods
/// may leave their key alone (they only shorten index keys).
///
/// ```
/// use std::cmp::Ordering;
/// use std::sync::Arc;
/// use leveldb::{Comparator, Options, WriteOptions, DB};
///
/// /// Orders keys as little-endian u64s (all keys 8 bytes).
/// struct U64Le;
///
/// impl Comparator for U64Le {
///     fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
///         let n = |k: &[u8]| u64::from_le_bytes(k.try_into().expect("8-byte key"));
///         n(a).cmp(&n(b))
///     }
///     fn name(&self) -> &str {
///         "example.U64Le"
///     }
///     fn find_shortest_separator(&self, _start: &mut Vec<u8>, _limit: &[u8]) {}
///     fn find_short_successor(&self, _key: &mut Vec<u8>) {}
/// }
///
/// # let dir = tempfile::tempdir().unwrap();
/// let options = Options { comparator: Arc::new(U64Le), create_if_missing: true, ..Options::default() };
/// let db = DB::open(options, dir.path()).unwrap();
/// for n in [256u64, 1, 2] {
///     db.put(&WriteOptions::default(), &n.to_le_bytes(), b"").unwrap();
/// }
/// let order: Vec<u64> = db
///     .entries()
///     .map(|e| u64::from_le_bytes(e.unwrap().0.try_into().unwrap()))
///     .collect();
/// assert_eq!(order, [1, 2, 256]);
/// ```
pub trait Comparator: Send + Sync {
    /// Three-way comparison of two keys.
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering;
    /// The name stored in the MANIFEST; a database refuses to open with a
    /// comparator of another name.
    fn name(&self) -> &str;
    /// Shortens `start` (in place) to a key in `[start, limit)` if possible,
    /// so index blocks hold short keys.
    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]);
    /// Changes `key` (in place) to a short key `>= key`.
    fn find_short_successor(&self, key: &mut Vec<u8>);
    /// True only for [`BytewiseComparator`]: lets the internal-key
    /// comparator, the hottest comparison of every read, compare user keys
    /// inline instead of through a second dynamic call.
    fn is_bytewise(&self) -> bool {
        false
    }
}

/// Lexicographic byte order (the bytewise comparator's), inlined: keys are
/// usually short, where eight-byte big-endian words beat a `memcmp` call.
#[inline(always)]
pub fn compare_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.len().min(b.len());
    if common > 32 {
        return a.cmp(b);
    }
    let (mut a_rest, mut b_rest) = (&a[..common], &b[..common]);
    while let (Some((wa, ta)), Some((wb, tb))) = (
        a_rest.split_first_chunk::<8>(),
        b_rest.split_first_chunk::<8>(),
    ) {
        if wa != wb {
            return u64::from_be_bytes(*wa).cmp(&u64::from_be_bytes(*wb));
        }
        a_rest = ta;
        b_rest = tb;
    }
    match a_rest.iter().zip(b_rest).find(|(x, y)| x != y) {
        Some((x, y)) => x.cmp(y),
        None => a.len().cmp(&b.len()),
    }
}

/// A shared comparator is a comparator, so code generic over `Comparator`
/// also takes the `Arc<dyn Comparator>` of user options.
impl<T: Comparator + ?Sized> Comparator for Arc<T> {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        (**self).compare(a, b)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]) {
        (**self).find_shortest_separator(start, limit)
    }
    fn find_short_successor(&self, key: &mut Vec<u8>) {
        (**self).find_short_successor(key)
    }
    fn is_bytewise(&self) -> bool {
        (**self).is_bytewise()
    }
}

/// LevelDB's default order: lexicographic over unsigned bytes.
///
/// ```
/// use std::cmp::Ordering;
/// use leveldb::{BytewiseComparator, Comparator};
///
/// assert_eq!(BytewiseComparator.compare(b"abc", b"abd"), Ordering::Less);
/// assert_eq!(BytewiseComparator.name(), "leveldb.BytewiseComparator");
/// let mut key = b"abc\xff".to_vec();
/// BytewiseComparator.find_short_successor(&mut key);
/// assert_eq!(key, b"b");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BytewiseComparator;

impl Comparator for BytewiseComparator {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        compare_bytes(a, b)
    }

    fn name(&self) -> &str {
        "leveldb.BytewiseComparator"
    }

    fn is_bytewise(&self) -> bool {
        true
    }

    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]) {
        let min_len = start.len().min(limit.len());
        let diff = start
            .iter()
            .zip(limit)
            .position(|(a, b)| a != b)
            .unwrap_or(min_len);
        if diff >= min_len {
            // One is a prefix of the other: nothing shorter lies between.
            return;
        }
        let byte = start[diff];
        if byte < 0xff && byte + 1 < limit[diff] {
            start[diff] += 1;
            start.truncate(diff + 1);
        }
    }

    fn find_short_successor(&self, key: &mut Vec<u8>) {
        if let Some(i) = key.iter().position(|&b| b != 0xff) {
            key[i] += 1;
            key.truncate(i + 1);
        }
    }
}

/// The shared bytewise comparator.
pub fn bytewise() -> Arc<dyn Comparator> {
    Arc::new(BytewiseComparator)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 256 }))]

        #[test]
        fn compare_bytes_is_slice_order(
            a in prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..40),
            b in prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..40),
            shared in 0usize..40,
        ) {
            prop_assert_eq!(compare_bytes(&a, &b), a.cmp(&b));
            // Keys with a long common prefix differ late, where the word loop
            // and the tail matter.
            let mut c = a.clone();
            c.truncate(shared.min(c.len()));
            c.extend_from_slice(&b);
            prop_assert_eq!(compare_bytes(&a, &c), a.cmp(&c));
            prop_assert_eq!(compare_bytes(&c, &a), c.cmp(&a));
        }
    }

    use super::*;

    fn sep(a: &[u8], b: &[u8]) -> Vec<u8> {
        let mut s = a.to_vec();
        BytewiseComparator.find_shortest_separator(&mut s, b);
        s
    }

    #[test]
    fn shortest_separator() {
        assert_eq!(sep(b"foo", b"foo"), b"foo");
        assert_eq!(sep(b"foo", b"bar"), b"foo");
        assert_eq!(sep(b"foo", b"hello"), b"g");
        assert_eq!(sep(b"foobar", b"foobas"), b"foobar", "adjacent bytes");
        assert_eq!(sep(b"foobar", b"foobaz"), b"foobas");
        assert_eq!(sep(b"foo", b"foobar"), b"foo", "prefix");
        assert_eq!(sep(b"abc1xyz", b"abc3"), b"abc2");
        assert_eq!(sep(b"a\xff", b"b"), b"a\xff", "0xff not incremented");
    }

    #[test]
    fn short_successor() {
        let succ = |k: &[u8]| {
            let mut k = k.to_vec();
            BytewiseComparator.find_short_successor(&mut k);
            k
        };
        assert_eq!(succ(b"foo"), b"g");
        assert_eq!(succ(b"\xff\xffab"), b"\xff\xffb");
        assert_eq!(succ(b"\xff\xff"), b"\xff\xff");
        assert_eq!(succ(b""), b"");
    }
}
