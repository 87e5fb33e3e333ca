//! Filter policies: small per-block summaries of keys that let a read skip
//! data blocks that cannot hold its key.
//!
//! Contract (LevelDB's `FilterPolicy`): `key_may_match(key, filter)` must be
//! true for every key passed to the `create_filter` call that produced
//! `filter`; it may be true for others (false positives). The name is
//! stored in tables (`filter.<name>` in the metaindex): changing the
//! encoding of a policy requires changing its name.

/// A filter policy, as LevelDB's `FilterPolicy`.
pub trait FilterPolicy: Send + Sync {
    fn name(&self) -> &str;
    /// Appends a filter summarising `keys` to `dst`.
    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>);
    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool;
}
