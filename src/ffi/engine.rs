//! The engine API the C layer is written against, imported in one place so
//! the C layer names each engine item once: a change to the engine's API
//! shows up here, not throughout the C layer.

pub(crate) use crate::db::{destroy_db, repair_db, DB};
pub(crate) use crate::table::BlockCache;
pub(crate) use crate::util::bloom::BloomFilterPolicy;
pub(crate) use crate::write_batch::{WriteBatch, WriteBatchHandler};
