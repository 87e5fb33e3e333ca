//! RepairDB: rebuilds a database's MANIFEST from whatever tables and logs
//! are left in its directory, as LevelDB 1.23's `Repairer` does.
//!
//! Steps: (1) list the directory: logs, tables and old MANIFESTs; (2) turn
//! each log into a table (records that do not parse are dropped; checksums
//! are not verified, so as much data as possible is kept), then move the log
//! to `lost/`; (3) scan every table for its smallest and largest keys and
//! largest sequence; a table that cannot be read to its end is copied entry
//! by entry into a fresh table (the damaged one goes to `lost/`); (4) write
//! a new MANIFEST-000001 naming every table at level 0 (compactions move
//! them down later), move the old MANIFESTs to `lost/`, and point CURRENT at
//! the new one. Like LevelDB, repair does not take the LOCK: it must not run
//! on an open database. Every step is reported to the info log.

use std::sync::Arc;

use super::table_cache::TableCache;
use super::{build_table, insert_into};
use crate::env::{Env, Logger};
use crate::filename::{
    descriptor_file_name, info_log_file_name, log_file_name, old_info_log_file_name,
    parse_file_name, set_current_file, sst_table_file_name, table_file_name, temp_file_name,
    FileType,
};
use crate::iterator::InternalIterator;
use crate::key::{escape_bytes, parse_internal_key, InternalKeyComparator, SequenceNumber};
use crate::log;
use crate::memtable::MemTable;
use crate::options::{Options, ReadOptions};
use crate::status::{Error, Result};
use crate::table::{BlockCache, InternalFilterPolicy, TableBuilder};
use crate::version::edit::{FileMetaData, VersionEdit};
use crate::version::set::info_log;
use crate::write_batch::{WriteBatch, HEADER_SIZE};

/// Rebuilds the database at `dbname` (LevelDB's `RepairDB`).
pub fn repair_db(dbname: &str, options: &Options) -> Result<()> {
    Repairer::new(dbname, options).run()
}

/// A table found or made during repair.
struct TableInfo {
    meta: FileMetaData,
    max_sequence: SequenceNumber,
}

struct Repairer {
    dbname: String,
    env: Arc<dyn Env>,
    icmp: InternalKeyComparator,
    /// Options for tables: internal-key comparator and filter policy.
    table_options: Options,
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
        let options = options.sanitized();
        let env = Arc::clone(&options.env);
        // As DB::open: the info log lives in the database directory.
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
        table_options.block_cache = Some(
            options
                .block_cache
                .clone()
                .unwrap_or_else(|| Arc::new(BlockCache::new(8 << 20))),
        );
        table_options.info_log = logger.clone();
        // LevelDB's repairer keeps only a few tables open at once.
        let table_cache = TableCache::new(dbname, &table_options, 10);
        Repairer {
            dbname: dbname.to_string(),
            env,
            icmp,
            table_options,
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

    fn run(mut self) -> Result<()> {
        self.find_files()?;
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
        let children = self.env.get_children(&self.dbname)?;
        if children.is_empty() {
            return Err(Error::with_detail(
                crate::status::Code::IoError,
                self.dbname.clone(),
                "repair found no files",
            ));
        }
        for name in children {
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
        for number in std::mem::take(&mut self.logs) {
            if let Err(e) = self.convert_log_to_table(number) {
                self.log(&format!("Log #{number}: ignoring conversion error: {e}"));
            }
            self.archive_file(&log_file_name(&self.dbname, number));
        }
    }

    fn convert_log_to_table(&mut self, log_number: u64) -> Result<()> {
        struct Reporter {
            logger: Option<Arc<dyn Logger>>,
            log_number: u64,
        }
        impl log::Reporter for Reporter {
            fn corruption(&mut self, bytes: usize, reason: &Error) {
                // Keep going: repair salvages what it can.
                info_log(
                    &self.logger,
                    &format!(
                        "Log #{}: dropping {} bytes; {}",
                        self.log_number, bytes, reason
                    ),
                );
            }
        }
        let file = self
            .env
            .new_sequential_file(&log_file_name(&self.dbname, log_number))?;
        let mut reporter = Reporter {
            logger: self.logger.clone(),
            log_number,
        };
        // No checksums: keep every record that still parses.
        let mut reader = log::Reader::new(
            file,
            Some(Box::new(Reporter {
                logger: self.logger.clone(),
                log_number,
            })),
            false,
            0,
        );
        let mem = Arc::new(MemTable::new(self.icmp.clone()));
        let mut record = Vec::new();
        let mut batch = WriteBatch::new();
        let mut counter = 0u64;
        while reader.read_record(&mut record) {
            if record.len() < HEADER_SIZE {
                log::Reporter::corruption(
                    &mut reporter,
                    record.len(),
                    &Error::corruption("log record too small"),
                );
                continue;
            }
            batch.set_contents(&record);
            match insert_into(&batch, &mem) {
                Ok(()) => counter += u64::from(batch.count()),
                Err(e) => self.log(&format!("Log #{log_number}: ignoring {e}")),
            }
        }
        drop(reader);

        // No version edit here: extract_meta_data records every table.
        let number = self.next_file_number;
        self.next_file_number += 1;
        let mut iter = mem.iter();
        let result = build_table(
            &self.dbname,
            self.env.as_ref(),
            &self.table_options,
            &self.table_cache,
            &mut iter,
            number,
        );
        let status = match &result {
            Ok(meta) => {
                if meta.file_size > 0 {
                    self.table_numbers.push(number);
                }
                "OK".to_string()
            }
            Err(e) => e.to_string(),
        };
        self.log(&format!(
            "Log #{log_number}: {counter} ops saved to Table #{number} {status}"
        ));
        result.map(|_| ())
    }

    fn extract_meta_data(&mut self) {
        for number in std::mem::take(&mut self.table_numbers) {
            self.scan_table(number);
        }
    }

    fn scan_table(&mut self, number: u64) {
        let mut fname = table_file_name(&self.dbname, number);
        let size = self.env.get_file_size(&fname).or_else(|e| {
            // Try the name LevelDB used before 1.14.
            let sst = sst_table_file_name(&self.dbname, number);
            match self.env.get_file_size(&sst) {
                Ok(size) => {
                    fname = sst;
                    Ok(size)
                }
                Err(_) => Err(e),
            }
        });
        let size = match size {
            Ok(size) => size,
            Err(e) => {
                self.archive_file(&table_file_name(&self.dbname, number));
                self.archive_file(&sst_table_file_name(&self.dbname, number));
                self.log(&format!("Table #{number}: dropped: {e}"));
                return;
            }
        };

        let mut info = TableInfo {
            meta: FileMetaData::new(number, size, Vec::new(), Vec::new()),
            max_sequence: 0,
        };
        let mut iter = self.table_cache.iter(&ReadOptions::new(), number, size);
        let mut counter = 0u64;
        let mut empty = true;
        iter.seek_to_first();
        while iter.valid() {
            let key = iter.key();
            match parse_internal_key(key) {
                None => self.log(&format!(
                    "Table #{number}: unparsable key {}",
                    escape_bytes(key)
                )),
                Some(parsed) => {
                    counter += 1;
                    if empty {
                        empty = false;
                        info.meta.smallest = key.to_vec();
                    }
                    info.meta.largest = key.to_vec();
                    info.max_sequence = info.max_sequence.max(parsed.sequence);
                }
            }
            iter.next();
        }
        let status = iter.status();
        drop(iter);
        let text = match &status {
            Ok(()) => "OK".to_string(),
            Err(e) => e.to_string(),
        };
        self.log(&format!("Table #{number}: {counter} entries {text}"));
        if status.is_ok() {
            self.tables.push(info);
        } else {
            self.repair_table(&fname, info);
        }
    }

    /// Copies the readable entries of a damaged table into a new file that
    /// then takes the table's name; the damaged file goes to `lost/`.
    fn repair_table(&mut self, src: &str, mut info: TableInfo) {
        let copy = table_file_name(&self.dbname, self.next_file_number);
        self.next_file_number += 1;
        let Ok(file) = self.env.new_writable_file(&copy) else {
            return;
        };
        let mut builder = TableBuilder::new(&self.table_options, file);
        let mut iter =
            self.table_cache
                .iter(&ReadOptions::new(), info.meta.number, info.meta.file_size);
        let mut counter = 0u64;
        iter.seek_to_first();
        while iter.valid() {
            builder.add(iter.key(), iter.value());
            counter += 1;
            iter.next();
        }
        drop(iter);
        self.archive_file(src);
        let mut result = Ok(());
        if counter == 0 {
            builder.abandon();
        } else {
            result = builder.finish();
            if result.is_ok() {
                info.meta.file_size = builder.file_size();
            }
        }
        if result.is_ok() {
            result = builder.file_mut().close();
        }
        drop(builder);
        if counter > 0 && result.is_ok() {
            let orig = table_file_name(&self.dbname, info.meta.number);
            result = self.env.rename_file(&copy, &orig);
            if result.is_ok() {
                self.log(&format!(
                    "Table #{}: {} entries repaired",
                    info.meta.number, counter
                ));
                self.tables.push(info);
            }
        }
        if result.is_err() {
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
        let mut writer = log::Writer::new(file);
        let mut record = Vec::new();
        edit.encode_to(&mut record);
        let mut result = writer.add_record(&record);
        if result.is_ok() {
            result = writer.file_mut().close();
        }
        drop(writer);
        if let Err(e) = result {
            let _ = self.env.remove_file(&tmp);
            return Err(e);
        }
        // The old MANIFESTs go to lost/; the new one becomes current.
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

    /// Moves `fname` into a `lost` directory beside it.
    fn archive_file(&self, fname: &str) {
        let (dir, base) = match fname.rfind('/') {
            Some(slash) => (&fname[..slash], &fname[slash + 1..]),
            None => ("", fname),
        };
        let lost = format!("{dir}/lost");
        let _ = self.env.create_dir(&lost);
        let result = self.env.rename_file(fname, &format!("{lost}/{base}"));
        let text = match result {
            Ok(()) => "OK".to_string(),
            Err(e) => e.to_string(),
        };
        self.log(&format!("Archiving {fname}: {text}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::WriteOptions;
    use crate::DB;

    fn options() -> Options {
        Options {
            create_if_missing: true,
            write_buffer_size: 64 << 10,
            ..Options::default()
        }
    }

    fn contents(db: &DB) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut it = db.iter(&ReadOptions::new());
        let mut out = Vec::new();
        it.seek_to_first();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next();
        }
        out
    }

    /// With the MANIFEST and CURRENT gone, repair rebuilds a database with
    /// the same contents from the tables and the log, and later writes get
    /// fresh sequence numbers (newer than every recovered entry).
    #[test]
    fn rebuilds_from_tables_and_logs() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("db").to_str().unwrap().to_string();
        let w = WriteOptions::default();
        let expected = {
            let db = DB::open(options(), &name).unwrap();
            for i in 0..3000u32 {
                let key = format!("key{:05}", (i * 7) % 3000);
                db.put(&w, key.as_bytes(), format!("v{i}").as_bytes())
                    .unwrap();
            }
            db.compact_range(None, None).unwrap();
            for i in 0..100u32 {
                db.delete(&w, format!("key{:05}", i * 3).as_bytes())
                    .unwrap();
            }
            db.put(&w, b"only-in-log", b"x").unwrap();
            contents(&db)
        };
        let env = crate::env::default_env();
        for child in env.get_children(&name).unwrap() {
            if child.starts_with("MANIFEST") || child == "CURRENT" {
                env.remove_file(&format!("{name}/{child}")).unwrap();
            }
        }
        assert!(DB::open(Options::default(), &name).is_err());
        repair_db(&name, &Options::default()).unwrap();
        let db = DB::open(Options::default(), &name).unwrap();
        assert_eq!(contents(&db), expected);
        db.put(&w, b"key00000", b"after").unwrap();
        assert_eq!(
            db.get(&ReadOptions::new(), b"key00000").unwrap().unwrap(),
            b"after"
        );
        assert!(env.file_exists(&format!("{name}/lost")));
    }

    #[test]
    fn empty_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("empty");
        std::fs::create_dir(&name).unwrap();
        let opts = Options {
            info_log: Some(Arc::new(NoLog)),
            ..Options::default()
        };
        let err = repair_db(name.to_str().unwrap(), &opts).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("IO error: {}: repair found no files", name.display())
        );
    }

    struct NoLog;
    impl Logger for NoLog {
        fn log(&self, _: &str) {}
    }
}
