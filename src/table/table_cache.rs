//! The cache of open tables of one database (LevelDB's db/table_cache): at most
//! `max_open_files - 10` tables stay open, least recently used evicted.
//!
//! Invariants: a cached `Table` is keyed by its file number, which is never
//! reused within a database, so a hit is always the right file. Evicting an
//! entry only drops the cache's reference: iterators already reading the
//! table keep it open. Errors are never cached, so a file that appears later
//! (or is repaired) can still be opened. Thread-safe: the sharded LRU's locks
//! are never held while a file is opened or read.

use std::sync::Arc;

use crate::env::Env;
use crate::filename::{sst_table_file_name, table_file_name};
use crate::iterator::{EmptyIterator, InternalIterator, OrFailed};
use crate::key::InternalKeyComparator;
use crate::status::Result;
use crate::table::reader::TableIter;
use crate::table::Table;
use crate::table::{BlockReadOptions, TableOptions};
use crate::util::cache::Cache;

/// Open tables of one database, by file number.
pub struct TableCache {
    env: Arc<dyn Env>,
    dbname: String,
    /// Options the tables are opened with: internal-key comparator and
    /// internal filter policy, and the database's block cache.
    options: TableOptions,
    /// `options.comparator` as its concrete type.
    icmp: InternalKeyComparator,
    /// Sharded LRU of open tables, each charged 1.
    tables: Cache<u64, Table>,
}

impl TableCache {
    /// `options.comparator` must hold `icmp`.
    pub fn new(
        dbname: &str,
        env: Arc<dyn Env>,
        options: &TableOptions,
        icmp: &InternalKeyComparator,
        capacity: usize,
    ) -> TableCache {
        TableCache {
            icmp: icmp.clone(),
            env,
            dbname: dbname.to_string(),
            options: options.clone(),
            tables: Cache::new(capacity.max(1)),
        }
    }

    /// The open table for file `number`, opening (`.ldb`, then `.sst`) and
    /// caching it on a miss.
    pub fn find_table(&self, number: u64, file_size: u64) -> Result<Arc<Table>> {
        if let Some(table) = self.tables.lookup(&number) {
            return Ok(table);
        }
        // Opened without any lock held: two readers missing at once may
        // both open the file; the second insert simply replaces the first.
        let table = self.open_table(number, file_size)?;
        self.tables.insert_arc(number, Arc::clone(&table), 1);
        Ok(table)
    }

    fn open_table(&self, number: u64, file_size: u64) -> Result<Arc<Table>> {
        let name = table_file_name(&self.dbname, number);
        let file = match self.env.new_random_access_file(&name) {
            Ok(f) => f,
            Err(ldb_err) => {
                let old_name = sst_table_file_name(&self.dbname, number);
                match self.env.new_random_access_file(&old_name) {
                    Ok(f) => f,
                    Err(_) => return Err(ldb_err),
                }
            }
        };
        Table::open_internal(&self.options, file, file_size, &self.icmp)
    }

    /// An iterator over the entries of a table (over nothing but the error
    /// if the table cannot be opened).
    pub fn iter(
        &self,
        options: &BlockReadOptions,
        number: u64,
        file_size: u64,
    ) -> Box<dyn InternalIterator> {
        Box::new(self.table_iter(options, number, file_size))
    }

    /// As [`TableCache::iter`], unboxed (for the level iterator's hot loop).
    pub fn table_iter(
        &self,
        options: &BlockReadOptions,
        number: u64,
        file_size: u64,
    ) -> OrFailed<TableIter> {
        match self.find_table(number, file_size) {
            Ok(table) => OrFailed::Ok(table.table_iter(options)),
            Err(e) => OrFailed::Failed(EmptyIterator::with_error(e)),
        }
    }

    /// Calls `f` with the first entry of the table at or after `internal_key`
    /// (if the filter does not rule the key out).
    pub fn get(
        &self,
        options: &BlockReadOptions,
        number: u64,
        file_size: u64,
        internal_key: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<()> {
        let table = self.find_table(number, file_size)?;
        table.internal_get(options, internal_key, f)
    }

    /// Whether table `number` is open in the cache (tests only).
    #[cfg(test)]
    pub(crate) fn is_open(&self, number: u64) -> bool {
        self.tables.lookup(&number).is_some()
    }

    /// Forgets file `number` (it has been deleted).
    pub fn evict(&self, number: u64) {
        self.tables.erase(&number);
    }

    /// The approximate offset of `key` within table `number` (0 if the table
    /// cannot be opened).
    pub fn approximate_offset_of(&self, number: u64, file_size: u64, key: &[u8]) -> u64 {
        match self.find_table(number, file_size) {
            Ok(table) => table.approximate_offset_of(key),
            Err(_) => 0,
        }
    }
}
