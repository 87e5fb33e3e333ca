//! `repair_db` (LevelDB's db/repair.cc): rebuilds a database that no longer
//! opens from whatever logs and tables survive.
//!
//! Steps: every log is converted to a table (read without checksum checks,
//! so as much as possible is kept) and then archived; every table is
//! scanned for its key range and largest sequence (a table that fails to
//! read completely is rewritten with the entries that do read); finally a
//! fresh MANIFEST-000001 names every table at level 0 and CURRENT points to
//! it. Old MANIFESTs and unusable files go to `<db>/lost/`, never deleted.
//! Unlike LevelDB 1.23, the LOCK is held for the whole repair (taken once
//! the directory is known to hold files, so an empty one still reports
//! "repair found no files"): a database open in this or another process is
//! refused instead of being rewritten underneath its owner.

use std::sync::Arc;

use crate::env::{Env, Logger};
use crate::filename::{
    descriptor_file_name, lock_file_name, log_file_name, parse_file_name, set_current_file,
    sst_table_file_name, table_file_name, temp_file_name, FileType,
};
use crate::iterator::InternalIterator;
use crate::key::{escape_bytes, parse_internal_key, InternalKeyComparator, SequenceNumber};
use crate::log;
use crate::memtable::MemTable;
use crate::options::Options;
use crate::status::{Code, Error, Result};
use crate::table::{BlockReadOptions, TableBuilder, TableOptions};
use crate::version::edit::{FileMetaData, VersionEdit};
use crate::version::set::info_log;
use crate::write_batch::{WriteBatch, HEADER_SIZE};

use super::flush::{build_table, TableDestination};
use super::open::sanitize_options;
use crate::table::TableCache;
use crate::write_batch::insert_into;

struct TableInfo {
    meta: FileMetaData,
    max_sequence: SequenceNumber,
}

struct Repairer {
    dbname: String,
    env: Arc<dyn Env>,
    options: Options,
    table_options: TableOptions,
    icmp: InternalKeyComparator,
    logger: Option<Arc<dyn Logger>>,
    table_cache: TableCache,
    manifests: Vec<String>,
    table_numbers: Vec<u64>,
    logs: Vec<u64>,
    tables: Vec<TableInfo>,
    next_file_number: u64,
}

fn status_text(r: &Result<()>) -> String {
    match r {
        Ok(()) => "OK".to_string(),
        Err(e) => e.to_string(),
    }
}

/// Rebuilds the MANIFEST of the database in the directory `name` from its
/// logs and tables (LevelDB's `RepairDB`), for a database that no longer
/// opens. Some data may be lost; files that cannot be used are moved to
/// `name/lost/`, not deleted. `name` must be valid UTF-8.
///
/// ```
/// # fn main() -> Result<(), leveldb::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// use leveldb::{repair_db, Options, ReadOptions, WriteOptions, DB};
///
/// let options = Options { create_if_missing: true, ..Options::default() };
/// let db = DB::open(options.clone(), dir.path())?;
/// db.put(&WriteOptions::default(), b"key", b"value")?;
/// drop(db);
///
/// std::fs::remove_file(dir.path().join("CURRENT")).unwrap(); // the database no longer opens
/// repair_db(dir.path(), &options)?;
/// let db = DB::open(options, dir.path())?;
/// assert_eq!(db.get(&ReadOptions::new(), b"key")?.as_deref(), Some(&b"value"[..]));
/// # Ok(())
/// # }
/// ```
pub fn repair_db(name: impl AsRef<std::path::Path>, options: &Options) -> Result<()> {
    let dbname = super::utf8_name(name.as_ref())?;
    let s = sanitize_options(dbname, options);
    let mut r = Repairer {
        dbname: dbname.to_string(),
        env: Arc::clone(&s.options.env),
        table_cache: TableCache::new(
            dbname,
            Arc::clone(&s.options.env),
            &s.table_options,
            &s.icmp,
            10,
        ),
        options: s.options,
        table_options: s.table_options,
        icmp: s.icmp,
        logger: s.logger,
        manifests: Vec::new(),
        table_numbers: Vec::new(),
        logs: Vec::new(),
        tables: Vec::new(),
        next_file_number: 1,
    };
    r.run()
}

impl Repairer {
    fn log(&self, message: &str) {
        info_log(&self.logger, message);
    }

    fn run(&mut self) -> Result<()> {
        self.find_files()?;
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
        let names = self.env.get_children(&self.dbname)?;
        if names.is_empty() {
            return Err(Error::with_detail(
                Code::IoError,
                self.dbname.clone(),
                "repair found no files",
            ));
        }
        for name in names {
            let Some((number, file_type)) = parse_file_name(&name) else {
                continue;
            };
            if file_type == FileType::Descriptor {
                self.manifests.push(name);
                continue;
            }
            if number + 1 > self.next_file_number {
                self.next_file_number = number + 1;
            }
            match file_type {
                FileType::Log => self.logs.push(number),
                FileType::Table => self.table_numbers.push(number),
                _ => {}
            }
        }
        Ok(())
    }

    fn convert_log_files_to_tables(&mut self) {
        let logs = std::mem::take(&mut self.logs);
        for &number in &logs {
            let logname = log_file_name(&self.dbname, number);
            if let Err(e) = self.convert_log_to_table(number) {
                self.log(&format!("Log #{number}: ignoring conversion error: {e}"));
            }
            self.archive_file(&logname);
        }
        self.logs = logs;
    }

    fn convert_log_to_table(&mut self, number: u64) -> Result<()> {
        let logname = log_file_name(&self.dbname, number);
        let file = self.env.new_sequential_file(&logname)?;
        let mem = Arc::new(MemTable::new(self.icmp.clone()));
        let mut batch = WriteBatch::new();
        let mut counter: u64 = 0;
        let logger = self.logger.clone();
        // Damage is only logged: repair keeps every record that still parses.
        let mut on_corruption = |bytes: usize, reason: &Error| -> Result<()> {
            info_log(
                &logger,
                &format!("Log #{number}: dropping {bytes} bytes; {reason}"),
            );
            Ok(())
        };
        let mut on_record = |_offset: u64, record: &[u8]| -> Result<()> {
            batch.set_contents(record);
            match insert_into(&batch, &mem) {
                Ok(()) => counter += u64::from(batch.count()),
                Err(e) => info_log(&logger, &format!("Log #{number}: ignoring {e}")),
            }
            Ok(())
        };
        // No checksum checks, as LevelDB's repair.
        log::replay(file, false, HEADER_SIZE, &mut on_corruption, &mut on_record);

        // No version edit here: scanning the tables makes them.
        let table_number = self.next_file_number;
        self.next_file_number += 1;
        let mut iter = mem.iter();
        let to = TableDestination {
            dbname: &self.dbname,
            env: self.env.as_ref(),
            table_options: &self.table_options,
            table_cache: &self.table_cache,
        };
        let result = build_table(
            &to,
            &mut iter,
            table_number,
            None,
            // Repair keeps every entry it can read, as LevelDB's does.
            None,
        );
        let status = result.as_ref().map(|_| ()).map_err(Clone::clone);
        if let Ok(meta) = &result {
            if meta.file_size > 0 {
                self.table_numbers.push(table_number);
            }
        }
        self.log(&format!(
            "Log #{number}: {counter} ops saved to Table #{table_number} {}",
            status_text(&status)
        ));
        status
    }

    fn table_iter(&self, meta: &FileMetaData) -> Box<dyn InternalIterator> {
        let options = BlockReadOptions {
            verify_checksums: self.options.paranoid_checks,
            ..BlockReadOptions::default()
        };
        self.table_cache.iter(&options, meta.number, meta.file_size)
    }

    fn extract_meta_data(&mut self) {
        let numbers = std::mem::take(&mut self.table_numbers);
        for &number in &numbers {
            self.scan_table(number);
        }
        self.table_numbers = numbers;
    }

    fn scan_table(&mut self, number: u64) {
        let mut fname = table_file_name(&self.dbname, number);
        let size = match self.env.get_file_size(&fname) {
            Ok(size) => Ok(size),
            Err(e) => {
                let sst = sst_table_file_name(&self.dbname, number);
                match self.env.get_file_size(&sst) {
                    Ok(size) => {
                        fname = sst;
                        Ok(size)
                    }
                    Err(_) => Err(e),
                }
            }
        };
        let file_size = match size {
            Ok(s) => s,
            Err(e) => {
                self.archive_file(&table_file_name(&self.dbname, number));
                self.archive_file(&sst_table_file_name(&self.dbname, number));
                self.log(&format!("Table #{number}: dropped: {e}"));
                return;
            }
        };
        let mut t = TableInfo {
            meta: FileMetaData::new(number, file_size, Vec::new(), Vec::new()),
            max_sequence: 0,
        };
        let mut counter = 0;
        let mut iter = self.table_iter(&t.meta);
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
                        t.meta.smallest = key.to_vec();
                    }
                    t.meta.largest.clear();
                    t.meta.largest.extend_from_slice(key);
                    t.max_sequence = t.max_sequence.max(parsed.sequence);
                }
            }
            iter.next();
        }
        let status = iter.status();
        drop(iter);
        self.log(&format!(
            "Table #{number}: {counter} entries {}",
            status_text(&status)
        ));
        if status.is_ok() {
            self.tables.push(t);
        } else {
            self.repair_table(&fname, t);
        }
    }

    /// Copies the readable entries of a damaged table into a new file that
    /// then takes the original's (`.ldb`) name; the original is archived.
    fn repair_table(&mut self, src: &str, mut t: TableInfo) {
        let copy = table_file_name(&self.dbname, self.next_file_number);
        self.next_file_number += 1;
        let Ok(file) = self.env.new_writable_file(&copy) else {
            return;
        };
        let mut builder = TableBuilder::new(&self.table_options, file);
        let mut iter = self.table_iter(&t.meta);
        let mut counter = 0;
        iter.seek_to_first();
        while iter.valid() {
            builder.add(iter.key(), iter.value());
            counter += 1;
            iter.next();
        }
        drop(iter);
        self.archive_file(src);
        let mut status = Ok(());
        if counter == 0 {
            builder.abandon();
        } else {
            status = builder.finish();
            if status.is_ok() {
                t.meta.file_size = builder.file_size();
            }
        }
        if status.is_ok() {
            status = builder.file_mut().close();
        }
        drop(builder);
        if counter > 0 && status.is_ok() {
            let orig = table_file_name(&self.dbname, t.meta.number);
            status = self.env.rename_file(&copy, &orig);
            if status.is_ok() {
                self.log(&format!(
                    "Table #{}: {} entries repaired",
                    t.meta.number, counter
                ));
                self.tables.push(t);
            }
        }
        if status.is_err() {
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
        let mut edit = VersionEdit {
            comparator: Some(self.icmp.user_comparator().name().to_string()),
            log_number: Some(0),
            next_file_number: Some(self.next_file_number),
            last_sequence: Some(max_sequence),
            ..Default::default()
        };
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
        let mut status = writer.add_record(&record);
        if status.is_ok() {
            status = writer.file_mut().close();
        }
        drop(writer);
        if status.is_err() {
            let _ = self.env.remove_file(&tmp);
            return status;
        }
        // Older MANIFESTs would disagree with the new one: set them aside.
        for m in std::mem::take(&mut self.manifests) {
            self.archive_file(&format!("{}/{}", self.dbname, m));
        }
        status = self
            .env
            .rename_file(&tmp, &descriptor_file_name(&self.dbname, 1));
        if status.is_ok() {
            status = set_current_file(self.env.as_ref(), &self.dbname, 1);
        } else {
            let _ = self.env.remove_file(&tmp);
        }
        status
    }

    /// Moves `fname` into `<dir>/lost/`.
    fn archive_file(&self, fname: &str) {
        let (dir, base) = match fname.rfind('/') {
            Some(i) => (&fname[..i], &fname[i + 1..]),
            None => ("", fname),
        };
        let new_dir = format!("{dir}/lost");
        let _ = self.env.create_dir(&new_dir);
        let new_file = format!("{new_dir}/{base}");
        let s = self.env.rename_file(fname, &new_file);
        self.log(&format!("Archiving {}: {}\n", fname, status_text(&s)));
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{ReadOptions, WriteOptions};
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
