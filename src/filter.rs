//! Filter policies: small per-block summaries of keys that let a read skip
//! data blocks that cannot hold its key.
//!
//! Contract (LevelDB's `FilterPolicy`): `key_may_match(key, filter)` must be
//! true for every key passed to the `create_filter` call that produced
//! `filter`; it may be true for others (false positives). The name is
//! stored in tables (`filter.<name>` in the metaindex): changing the
//! encoding of a policy requires changing its name.

/// A filter policy, as LevelDB's `FilterPolicy`: set one as
/// [`Options::filter_policy`](crate::Options::filter_policy) and tables get
/// a filter block that lets a read of a missing key skip the data block.
/// [`BloomFilterPolicy`](crate::BloomFilterPolicy) is LevelDB's; a policy
/// of your own must keep its name and encoding together (tables written
/// with one name are only filtered by a policy of that name).
///
/// ```
/// use leveldb::FilterPolicy;
///
/// /// Remembers the first byte of every key: 256 bits per filter.
/// struct FirstByte;
///
/// impl FilterPolicy for FirstByte {
///     fn name(&self) -> &str {
///         "example.FirstByte"
///     }
///     fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
///         let mut bits = [0u8; 32];
///         for key in keys {
///             let b = key.first().copied().unwrap_or(0) as usize;
///             bits[b / 8] |= 1 << (b % 8);
///         }
///         dst.extend_from_slice(&bits);
///     }
///     fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
///         let b = key.first().copied().unwrap_or(0) as usize;
///         filter.len() != 32 || filter[b / 8] & (1 << (b % 8)) != 0
///     }
/// }
///
/// let mut filter = Vec::new();
/// FirstByte.create_filter(&[b"apple", b"avocado"], &mut filter);
/// assert!(FirstByte.key_may_match(b"apricot", &filter));
/// assert!(!FirstByte.key_may_match(b"banana", &filter));
/// ```
pub trait FilterPolicy: Send + Sync {
    /// The policy's name, stored in each table that has its filters
    /// (`filter.<name>` in the metaindex block).
    fn name(&self) -> &str;
    /// Appends a filter summarising `keys` to `dst`.
    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>);
    /// Whether `key` may be among the keys `filter` was made from: `true`
    /// for every one of them, and as rarely as possible for others.
    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool;
}
