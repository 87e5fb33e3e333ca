//! `repair_db` (LevelDB 1.23's db/repair.cc): rebuilds a database's
//! MANIFEST from whatever logs and tables are left in its directory.
//!
//! Steps, as in LevelDB:
//! 1. list the directory: logs, tables and MANIFESTs; the next file number
//!    is one past the largest number of any non-MANIFEST file;
//! 2. turn every log into a level-0 table (through a memtable; the log is
//!    read without checksums, damaged records are dropped and logged) and
//!    move the log into `lost/`;
//! 3. scan every table for its smallest and largest internal key and its
//!    largest sequence number; a table that cannot be read at all is moved to
//!    `lost/`; one that reads partly is rewritten with the entries that
//!    iterate cleanly (the original goes to `lost/`);
//! 4. write a new `MANIFEST-000001` (every table at level 0, log number 0,
//!    next file number, last sequence = the largest sequence found), move the
//!    old MANIFESTs to `lost/` and point CURRENT at the new one.
//!
//! Invariants: no file is ever deleted — anything dropped is moved into
//! `lost/` so nothing is lost for good; CURRENT is switched only after the new
//! MANIFEST is complete on disk. Unlike LevelDB 1.23, the `LOCK` is held for
//! the whole repair, so a database open (in this process or another) is not
//! rewritten underneath its owner. Single-threaded: runs on the caller's
//! thread, no background work.

use std::sync::Arc;

use crate::env::{Env, Logger};
use crate::filename::{
    descriptor_file_name, info_log_file_name, lock_file_name, log_file_name,
    old_info_log_file_name, parse_file_name, set_current_file, sst_table_file_name,
    table_file_name, temp_file_name, FileType,
};
use crate::iterator::InternalIterator;
use crate::key::{
    escape_bytes, parse_internal_key, InternalKeyComparator, SequenceNumber, ValueType,
};
use crate::log;
use crate::memtable::MemTable;
use crate::options::{Options, ReadOptions};
use crate::status::{Code, Error, Result};
use crate::table::{BlockCache, InternalFilterPolicy, TableBuilder};
use crate::version::edit::{FileMetaData, VersionEdit};
use crate::version::set::info_log;
use crate::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};

use super::build_table;
use super::table_cache::TableCache;

/// Rebuilds the MANIFEST of the database at `dbname` (LevelDB's RepairDB).
pub fn repair_db(dbname: &str, options: &Options) -> Result<()> {
    Repairer::new(dbname, options).run()
}

/// A table found (or made) by the repair, with what the MANIFEST needs.
struct TableInfo {
    meta: FileMetaData,
    max_sequence: SequenceNumber,
}

struct Repairer {
    dbname: String,
    env: Arc<dyn Env>,
    icmp: InternalKeyComparator,
    /// Options for reading and building tables: internal-key comparator and
    /// filter policy, a block cache.
    table_options: Options,
    paranoid_checks: bool,
    logger: Option<Arc<dyn Logger>>,
    table_cache: TableCache,
    manifests: Vec<String>,
    table_numbers: Vec<u64>,
    logs: Vec<u64>,
    tables: Vec<TableInfo>,
    next_file_number: u64,
}

impl Repairer {
    fn new(dbname: &str, options: &Options) -> Repairer {
        // SanitizeOptions, as DB::open does it: the info log (rotating LOG
        // into LOG.old) and a block cache if the caller gave none.
        let options = options.sanitized();
        let env = Arc::clone(&options.env);
        let logger = match &options.info_log {
            Some(l) => Some(Arc::clone(l)),
            None => {
                let _ = env.create_dir(dbname);
                let _ =
                    env.rename_file(&info_log_file_name(dbname), &old_info_log_file_name(dbname));
                env.new_logger(&info_log_file_name(dbname)).ok()
            }
        };
        let icmp = InternalKeyComparator::new(Arc::clone(&options.comparator));
        let mut table_options = options.clone();
        table_options.comparator = Arc::new(icmp.clone());
        table_options.filter_policy = options
            .filter_policy
            .as_ref()
            .map(|p| Arc::new(InternalFilterPolicy::new(Arc::clone(p))) as _);
        if table_options.block_cache.is_none() {
            table_options.block_cache = Some(Arc::new(BlockCache::new(8 << 20)));
        }
        table_options.info_log = logger.clone();
        // Each table is opened about once: a small cache is enough.
        let table_cache = TableCache::new(dbname, &table_options, 10);
        Repairer {
            dbname: dbname.to_string(),
            env,
            icmp,
            table_options,
            paranoid_checks: options.paranoid_checks,
            logger,
            table_cache,
            manifests: Vec::new(),
            table_numbers: Vec::new(),
            logs: Vec::new(),
            tables: Vec::new(),
            next_file_number: 1,
        }
    }

    fn log(&self, message: &str) {
        info_log(&self.logger, message);
    }

    fn run(&mut self) -> Result<()> {
        self.find_files()?;
        // Taken once the directory is known to hold something (listing
        // first keeps LevelDB's "repair found no files" for an empty one).
        let _lock = self.env.lock_file(&lock_file_name(&self.dbname))?;
        self.convert_log_files_to_tables();
        self.extract_meta_data();
        self.write_descriptor()?;
        let bytes: u64 = self.tables.iter().map(|t| t.meta.file_size).sum();
        self.log(&format!(
            "**** Repaired leveldb {}; recovered {} files; {} bytes. Some data may have been lost. ****",
            self.dbname,
            self.tables.len(),
            bytes
        ));
        Ok(())
    }

    fn find_files(&mut self) -> Result<()> {
        let filenames = self.env.get_children(&self.dbname)?;
        if filenames.is_empty() {
            return Err(Error::with_detail(
                Code::IoError,
                &self.dbname,
                "repair found no files",
            ));
        }
        for name in filenames {
            let Some((number, file_type)) = parse_file_name(&name) else {
                continue;
            };
            if file_type == FileType::Descriptor {
                self.manifests.push(name);
                continue;
            }
            self.next_file_number = self.next_file_number.max(number + 1);
            match file_type {
                FileType::Log => self.logs.push(number),
                FileType::Table => self.table_numbers.push(number),
                _ => {}
            }
        }
        Ok(())
    }

    fn convert_log_files_to_tables(&mut self) {
        for number in self.logs.clone() {
            if let Err(e) = self.convert_log_to_table(number) {
                self.log(&format!("Log #{number}: ignoring conversion error: {e}"));
            }
            self.archive_file(&log_file_name(&self.dbname, number));
        }
    }

    fn convert_log_to_table(&mut self, log_number: u64) -> Result<()> {
        let file = self
            .env
            .new_sequential_file(&log_file_name(&self.dbname, log_number))?;
        let reporter = LogReporter {
            logger: self.logger.clone(),
            log_number,
        };
        // Checksums are not verified (as in LevelDB): a damaged record still
        // fails to parse as a batch most of the time, and what parses is kept.
        let mut reader = log::Reader::new(file, Some(Box::new(reporter)), false, 0);
        let mem = Arc::new(MemTable::new(self.icmp.clone()));
        let mut record = Vec::new();
        let mut batch = WriteBatch::new();
        let mut ops = 0u64;
        while reader.read_record(&mut record) {
            if record.len() < HEADER_SIZE {
                self.log(&format!(
                    "Log #{log_number}: dropping {} bytes; {}",
                    record.len(),
                    Error::corruption("log record too small")
                ));
                continue;
            }
            batch.set_contents(&record);
            let mut inserter = Inserter {
                sequence: batch.sequence(),
                mem: &mem,
            };
            match batch.iterate(&mut inserter) {
                Ok(()) => ops += u64::from(batch.count()),
                Err(e) => self.log(&format!("Log #{log_number}: ignoring {e}")),
            }
        }
        drop(reader);

        // No version edit here: the table is scanned with all others below.
        let table_number = self.next_file_number;
        self.next_file_number += 1;
        let mut iter = mem.iter();
        let result = build_table(
            &self.dbname,
            self.env.as_ref(),
            &self.table_options,
            &self.table_cache,
            &mut iter,
            table_number,
        );
        let status = match &result {
            Ok(meta) => {
                if meta.file_size > 0 {
                    self.table_numbers.push(table_number);
                }
                "OK".to_string()
            }
            Err(e) => e.to_string(),
        };
        self.log(&format!(
            "Log #{log_number}: {ops} ops saved to Table #{table_number} {status}"
        ));
        result.map(|_| ())
    }

    fn extract_meta_data(&mut self) {
        for number in self.table_numbers.clone() {
            self.scan_table(number);
        }
    }

    fn table_iter(&self, meta: &FileMetaData) -> Box<dyn InternalIterator> {
        // Like compaction inputs: checksums verified only when paranoid.
        let mut read_options = ReadOptions::new();
        read_options.verify_checksums = self.paranoid_checks;
        self.table_cache
            .iter(&read_options, meta.number, meta.file_size)
    }

    fn scan_table(&mut self, number: u64) {
        let mut fname = table_file_name(&self.dbname, number);
        let size = match self.env.get_file_size(&fname) {
            Ok(size) => Ok(size),
            Err(e) => {
                // Try the pre-1.14 name.
                fname = sst_table_file_name(&self.dbname, number);
                self.env.get_file_size(&fname).map_err(|_| e)
            }
        };
        let size = match size {
            Ok(size) => size,
            Err(e) => {
                self.archive_file(&table_file_name(&self.dbname, number));
                self.archive_file(&sst_table_file_name(&self.dbname, number));
                self.log(&format!("Table #{number}: dropped: {e}"));
                return;
            }
        };

        let mut table = TableInfo {
            meta: FileMetaData::new(number, size, Vec::new(), Vec::new()),
            max_sequence: 0,
        };
        let mut entries = 0u64;
        let mut iter = self.table_iter(&table.meta);
        iter.seek_to_first();
        while iter.valid() {
            let key = iter.key();
            match parse_internal_key(key) {
                None => self.log(&format!(
                    "Table #{number}: unparsable key {}",
                    escape_bytes(key)
                )),
                Some(parsed) => {
                    entries += 1;
                    if table.meta.smallest.is_empty() {
                        table.meta.smallest = key.to_vec();
                    }
                    table.meta.largest.clear();
                    table.meta.largest.extend_from_slice(key);
                    table.max_sequence = table.max_sequence.max(parsed.sequence);
                }
            }
            iter.next();
        }
        let status = iter.status();
        drop(iter);
        self.log(&format!(
            "Table #{number}: {entries} entries {}",
            match &status {
                Ok(()) => "OK".to_string(),
                Err(e) => e.to_string(),
            }
        ));
        if status.is_ok() {
            self.tables.push(table);
        } else {
            // Drop the cached table: the file is about to be replaced.
            self.table_cache.evict(number);
            self.repair_table(&fname, table);
        }
    }

    /// Copies the entries of a partly readable table that iterate cleanly
    /// into a new table, moves the original into `lost/` and gives the copy
    /// the original's number. As in LevelDB, the copy keeps the original's
    /// key range and sequence bound; unparsable keys are copied too.
    fn repair_table(&mut self, src: &str, mut table: TableInfo) {
        let copy = table_file_name(&self.dbname, self.next_file_number);
        self.next_file_number += 1;
        let Ok(file) = self.env.new_writable_file(&copy) else {
            return;
        };
        let mut builder = TableBuilder::new(&self.table_options, file);
        let mut entries = 0u64;
        let mut iter = self.table_iter(&table.meta);
        iter.seek_to_first();
        while iter.valid() {
            builder.add(iter.key(), iter.value());
            entries += 1;
            iter.next();
        }
        drop(iter);
        self.table_cache.evict(table.meta.number);

        self.archive_file(src);
        let mut result = Ok(());
        if entries == 0 {
            builder.abandon();
        } else {
            result = builder.finish();
            if result.is_ok() {
                table.meta.file_size = builder.file_size();
                result = builder.file_mut().sync();
            }
        }
        if result.is_ok() {
            result = builder.file_mut().close();
        }
        drop(builder);

        if entries > 0 && result.is_ok() {
            let original = table_file_name(&self.dbname, table.meta.number);
            result = self.env.rename_file(&copy, &original);
            if result.is_ok() {
                self.log(&format!(
                    "Table #{}: {entries} entries repaired",
                    table.meta.number
                ));
                self.tables.push(table);
            }
        }
        if entries == 0 || result.is_err() {
            let _ = self.env.remove_file(&copy);
        }
    }

    fn write_descriptor(&mut self) -> Result<()> {
        let tmp = temp_file_name(&self.dbname, 1);
        let file = self.env.new_writable_file(&tmp)?;
        let max_sequence = self
            .tables
            .iter()
            .map(|t| t.max_sequence)
            .max()
            .unwrap_or(0);
        let mut edit = VersionEdit::new();
        edit.set_comparator_name(self.icmp.user_comparator().name());
        edit.set_log_number(0);
        edit.set_next_file(self.next_file_number);
        edit.set_last_sequence(max_sequence);
        for t in &self.tables {
            edit.add_file(
                0,
                t.meta.number,
                t.meta.file_size,
                &t.meta.smallest,
                &t.meta.largest,
            );
        }
        let mut record = Vec::new();
        edit.encode_to(&mut record);
        let mut writer = log::Writer::new(file);
        let mut result = writer.add_record(&record);
        if result.is_ok() {
            result = writer.sync();
        }
        if result.is_ok() {
            result = writer.file_mut().close();
        }
        drop(writer);
        if let Err(e) = result {
            let _ = self.env.remove_file(&tmp);
            return Err(e);
        }

        // The old MANIFESTs go to lost/ before the new one takes their place.
        for name in std::mem::take(&mut self.manifests) {
            self.archive_file(&format!("{}/{}", self.dbname, name));
        }
        if let Err(e) = self
            .env
            .rename_file(&tmp, &descriptor_file_name(&self.dbname, 1))
        {
            let _ = self.env.remove_file(&tmp);
            return Err(e);
        }
        set_current_file(self.env.as_ref(), &self.dbname, 1)
    }

    /// Moves `fname` into the `lost/` directory next to it.
    fn archive_file(&self, fname: &str) {
        let (dir, base) = match fname.rfind('/') {
            Some(slash) => (&fname[..slash], &fname[slash + 1..]),
            None => ("", fname),
        };
        let lost_dir = format!("{dir}/lost");
        let _ = self.env.create_dir(&lost_dir);
        let status = match self.env.rename_file(fname, &format!("{lost_dir}/{base}")) {
            Ok(()) => "OK".to_string(),
            Err(e) => e.to_string(),
        };
        self.log(&format!("Archiving {fname}: {status}\n"));
    }
}

/// Logs the parts of a log that had to be skipped.
struct LogReporter {
    logger: Option<Arc<dyn Logger>>,
    log_number: u64,
}

impl log::Reporter for LogReporter {
    fn corruption(&mut self, bytes: usize, reason: &Error) {
        info_log(
            &self.logger,
            &format!(
                "Log #{}: dropping {} bytes; {}",
                self.log_number, bytes, reason
            ),
        );
    }
}

/// Inserts a batch's operations into the memtable, numbered from its
/// sequence.
struct Inserter<'a> {
    sequence: SequenceNumber,
    mem: &'a MemTable,
}

impl WriteBatchHandler for Inserter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.mem.add(self.sequence, ValueType::Value, key, value);
        self.sequence += 1;
    }
    fn delete(&mut self, key: &[u8]) {
        self.mem.add(self.sequence, ValueType::Deletion, key, &[]);
        self.sequence += 1;
    }
}
