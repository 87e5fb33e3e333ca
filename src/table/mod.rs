//! Sorted string tables (placeholder until the table work lands).

/// The shared cache of uncompressed table blocks.
pub struct BlockCache {
    _capacity: usize,
}

impl BlockCache {
    pub fn new(capacity: usize) -> BlockCache {
        BlockCache {
            _capacity: capacity,
        }
    }
}
