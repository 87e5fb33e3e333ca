//! The version set: the current version, the counters persisted in the
//! MANIFEST (next file number, last sequence, log numbers), and the MANIFEST
//! writer (LevelDB's VersionSet).
//!
//! Invariants: every change to the file set goes through a [`VersionEdit`]
//! that is appended (and synced) to the MANIFEST before the new version
//! becomes current; a new MANIFEST always starts with a snapshot of the
//! whole current state, and CURRENT is switched to it only after that
//! snapshot and the edit are synced. File numbers are handed out strictly
//! increasing and never reused (except a number given back unused right
//! away). Not thread-safe: owned by the database state under its mutex; the
//! MANIFEST write itself can run with that mutex released (see
//! [`VersionSet::prepare_apply`]).

use std::collections::HashSet;
use std::sync::{Arc, Weak};

use crate::env::{Env, Logger};
use crate::filename::{
    current_file_name, descriptor_file_name, install_current_file, parse_file_name, FileType,
};
use crate::key::{InternalKeyComparator, SequenceNumber};
use crate::log;
use crate::options::Options;
use crate::status::{Error, Result};
use crate::table::TableCache;

use super::builder::VersionBuilder;
use super::edit::VersionEdit;
use super::version::Version;
use super::{max_bytes_for_level, L0_COMPACTION_TRIGGER, NUM_LEVELS};

/// Writes a line to the info log, if there is one.
pub fn info_log(logger: &Option<Arc<dyn Logger>>, message: &str) {
    if let Some(l) = logger {
        l.log(message);
    }
}

/// A MANIFEST change prepared under the mutex, to be written without it.
pub struct PendingApply {
    version: Version,
    record: Vec<u8>,
    writer: log::Writer,
    /// Path of a MANIFEST created for this change (snapshot already added).
    new_manifest: Option<String>,
    manifest_number: u64,
    log_number: u64,
    prev_log_number: u64,
    /// Whether CURRENT was renamed to name `new_manifest` (which must then
    /// be kept even if the change failed afterwards).
    current_installed: bool,
}

impl PendingApply {
    /// Appends the edit to the MANIFEST, syncs it, and points CURRENT at a
    /// new MANIFEST. Needs no lock: only one change is pending at a time.
    pub fn write(
        &mut self,
        env: &dyn Env,
        dbname: &str,
        logger: &Option<Arc<dyn Logger>>,
    ) -> Result<()> {
        // The files the edit names (new tables, the new log) must have
        // durable directory entries before any byte of the edit can reach
        // the disk: writeback may persist an appended record before its
        // sync, and a MANIFEST naming a table whose entry a power cut
        // rolled back does not open ("missing files"). Syncing the
        // directory only with the MANIFEST's sync comes too late for that.
        let mut result = env.sync_dir(dbname);
        if result.is_ok() {
            result = self.writer.add_record(&self.record);
        }
        if result.is_ok() {
            result = self.writer.sync();
        }
        if let Err(e) = &result {
            info_log(logger, &format!("MANIFEST write: {e}\n"));
        }
        if result.is_ok() && self.new_manifest.is_some() {
            result = install_current_file(env, dbname, self.manifest_number);
            if result.is_ok() {
                self.current_installed = true;
                result = env.sync_dir(dbname);
            }
        }
        result
    }
}

/// The versions of one database and the MANIFEST that records them.
pub struct VersionSet {
    env: Arc<dyn Env>,
    dbname: String,
    options: Options,
    logger: Option<Arc<dyn Logger>>,
    icmp: InternalKeyComparator,
    table_cache: Arc<TableCache>,
    next_file_number: u64,
    manifest_file_number: u64,
    last_sequence: SequenceNumber,
    log_number: u64,
    prev_log_number: u64,
    descriptor_log: Option<log::Writer>,
    current: Arc<Version>,
    live: Vec<Weak<Version>>,
    /// Where the next size compaction of each level starts (an internal
    /// key; empty = the beginning).
    pub(crate) compact_pointer: [Vec<u8>; NUM_LEVELS],
}

impl VersionSet {
    /// `options` are the database's sanitized options (user comparator);
    /// `logger` is the info log.
    pub fn new(
        dbname: &str,
        options: &Options,
        logger: Option<Arc<dyn Logger>>,
        table_cache: Arc<TableCache>,
    ) -> VersionSet {
        let icmp = InternalKeyComparator::new(Arc::clone(&options.comparator));
        let current = Arc::new(Version::new(icmp.clone(), Arc::clone(&table_cache)));
        VersionSet {
            env: Arc::clone(&options.env),
            dbname: dbname.to_string(),
            options: options.clone(),
            logger,
            icmp,
            table_cache,
            next_file_number: 2,
            manifest_file_number: 0,
            last_sequence: 0,
            log_number: 0,
            prev_log_number: 0,
            descriptor_log: None,
            live: vec![Arc::downgrade(&current)],
            current,
            compact_pointer: Default::default(),
        }
    }

    pub fn current(&self) -> &Arc<Version> {
        &self.current
    }
    pub fn icmp(&self) -> &InternalKeyComparator {
        &self.icmp
    }
    pub fn table_cache(&self) -> &Arc<TableCache> {
        &self.table_cache
    }
    pub fn options(&self) -> &Options {
        &self.options
    }
    pub fn logger(&self) -> &Option<Arc<dyn Logger>> {
        &self.logger
    }
    pub fn last_sequence(&self) -> SequenceNumber {
        self.last_sequence
    }
    pub fn set_last_sequence(&mut self, s: SequenceNumber) {
        debug_assert!(s >= self.last_sequence);
        self.last_sequence = s;
    }
    pub fn log_number(&self) -> u64 {
        self.log_number
    }
    pub fn prev_log_number(&self) -> u64 {
        self.prev_log_number
    }
    pub fn manifest_file_number(&self) -> u64 {
        self.manifest_file_number
    }
    pub fn new_file_number(&mut self) -> u64 {
        let n = self.next_file_number;
        self.next_file_number += 1;
        n
    }
    /// Gives back `number` if it was the last one handed out.
    pub fn reuse_file_number(&mut self, number: u64) {
        if self.next_file_number == number + 1 {
            self.next_file_number = number;
        }
    }
    /// Makes sure `number` is never handed out.
    pub fn mark_file_number_used(&mut self, number: u64) {
        if self.next_file_number <= number {
            self.next_file_number = number + 1;
        }
    }
    pub fn num_level_files(&self, level: usize) -> usize {
        self.current.num_files(level)
    }
    pub fn num_level_bytes(&self, level: usize) -> u64 {
        self.current.num_level_bytes(level)
    }

    /// Adds the number of every table of every live version to `live`.
    pub fn add_live_files(&mut self, live: &mut HashSet<u64>) {
        self.live.retain(|w| w.strong_count() > 0);
        for w in &self.live {
            if let Some(v) = w.upgrade() {
                for files in &v.files {
                    live.extend(files.iter().map(|f| f.number));
                }
            }
        }
    }

    /// Whether a compaction is due.
    pub fn needs_compaction(&self) -> bool {
        self.current.compaction_score >= 1.0 || self.current.file_to_compact.lock().is_some()
    }

    fn append_version(&mut self, v: Version) {
        let v = Arc::new(v);
        self.live.retain(|w| w.strong_count() > 0);
        self.live.push(Arc::downgrade(&v));
        self.current = v;
    }

    /// Computes the level that most needs compaction and its score.
    fn finalize(&self, v: &mut Version) {
        v.level0_newest_first = v.files[0].clone();
        v.level0_newest_first
            .sort_unstable_by_key(|f| std::cmp::Reverse(f.number));
        let mut best_level = 0;
        let mut best_score = -1.0;
        for level in 0..NUM_LEVELS - 1 {
            let score = if level == 0 {
                // Level 0 is bounded by file count, not bytes: every read
                // merges all its files, and small write buffers would
                // otherwise cause many level-0 compactions.
                v.files[0].len() as f64 / L0_COMPACTION_TRIGGER as f64
            } else {
                v.num_level_bytes(level) as f64 / max_bytes_for_level(level)
            };
            if score > best_score {
                best_level = level;
                best_score = score;
            }
        }
        v.compaction_level = best_level;
        v.compaction_score = best_score;
    }

    /// Builds the version `edit` leads to and the MANIFEST record for it;
    /// creates the MANIFEST (with a snapshot of the current state) if none
    /// is open. Must be followed by [`PendingApply::write`] and
    /// [`VersionSet::finish_apply`].
    pub fn prepare_apply(&mut self, edit: &mut VersionEdit) -> Result<PendingApply> {
        match edit.log_number {
            Some(n) => {
                debug_assert!(n >= self.log_number);
                debug_assert!(n < self.next_file_number);
            }
            None => edit.log_number = Some(self.log_number),
        }
        if edit.prev_log_number.is_none() {
            edit.prev_log_number = Some(self.prev_log_number);
        }
        edit.next_file_number = Some(self.next_file_number);
        edit.last_sequence = Some(self.last_sequence);

        let mut v = Version::new(self.icmp.clone(), Arc::clone(&self.table_cache));
        {
            let mut builder = VersionBuilder::new(&self.current);
            for (level, key) in &edit.compact_pointers {
                if *level < NUM_LEVELS {
                    self.compact_pointer[*level] = key.clone();
                }
            }
            builder.apply(edit);
            builder.save_to(&mut v)?;
        }
        self.finalize(&mut v);

        let mut new_manifest = None;
        let writer = match self.descriptor_log.take() {
            Some(w) => w,
            None => {
                let name = descriptor_file_name(&self.dbname, self.manifest_file_number);
                let file = self.env.new_writable_file(&name)?;
                let mut w = log::Writer::new(file);
                if let Err(e) = self.write_snapshot(&mut w) {
                    drop(w);
                    let _ = self.env.remove_file(&name);
                    return Err(e);
                }
                new_manifest = Some(name);
                w
            }
        };
        let mut record = Vec::new();
        edit.encode_to(&mut record);
        Ok(PendingApply {
            version: v,
            record,
            writer,
            new_manifest,
            manifest_number: self.manifest_file_number,
            log_number: edit.log_number.unwrap_or(0),
            prev_log_number: edit.prev_log_number.unwrap_or(0),
            current_installed: false,
        })
    }

    /// Installs the prepared version if the MANIFEST write succeeded.
    pub fn finish_apply(&mut self, pending: PendingApply, result: Result<()>) -> Result<()> {
        match result {
            Ok(()) => {
                self.descriptor_log = Some(pending.writer);
                self.append_version(pending.version);
                self.log_number = pending.log_number;
                self.prev_log_number = pending.prev_log_number;
                Ok(())
            }
            Err(e) => {
                if let Some(name) = pending.new_manifest {
                    drop(pending.writer);
                    // Once CURRENT names it (only its directory sync
                    // failed), removing it would leave CURRENT dangling.
                    if !pending.current_installed {
                        let _ = self.env.remove_file(&name);
                    }
                } else {
                    // Keep appending to the old MANIFEST; a later edit may
                    // succeed (LevelDB keeps its writer too).
                    self.descriptor_log = Some(pending.writer);
                }
                Err(e)
            }
        }
    }

    /// Prepare, write and finish in one go (for callers holding no lock that
    /// matters, e.g. during open).
    pub fn log_and_apply(&mut self, edit: &mut VersionEdit) -> Result<()> {
        let mut pending = self.prepare_apply(edit)?;
        let result = pending.write(self.env.as_ref(), &self.dbname, &self.logger);
        self.finish_apply(pending, result)
    }

    /// Writes the whole current state as one edit record.
    fn write_snapshot(&self, w: &mut log::Writer) -> Result<()> {
        let mut edit = VersionEdit {
            comparator: Some(self.icmp.user_comparator().name().to_string()),
            ..Default::default()
        };
        for (level, key) in self.compact_pointer.iter().enumerate() {
            if !key.is_empty() {
                edit.compact_pointers.push((level, key.clone()));
            }
        }
        for (level, files) in self.current.files.iter().enumerate() {
            for f in files {
                edit.add_file(level, f.number, f.file_size, &f.smallest, &f.largest);
            }
        }
        let mut record = Vec::new();
        edit.encode_to(&mut record);
        w.add_record(&record)
    }

    /// Loads the state named by CURRENT. Returns whether a new MANIFEST must
    /// be written (always, unless the old one is reused).
    pub fn recover(&mut self) -> Result<bool> {
        let env = Arc::clone(&self.env);
        let current = crate::env::read_file_to_vec(env.as_ref(), &current_file_name(&self.dbname))?;
        if current.last() != Some(&b'\n') {
            return Err(Error::corruption("CURRENT file does not end with newline"));
        }
        let current = String::from_utf8_lossy(&current[..current.len() - 1]).into_owned();
        let dscname = format!("{}/{}", self.dbname, current);
        let file = match env.new_sequential_file(&dscname) {
            Ok(f) => f,
            Err(e) if e.is_not_found() => {
                return Err(Error::with_detail(
                    crate::status::Code::Corruption,
                    "CURRENT points to a non-existent file",
                    &e.to_string(),
                ))
            }
            Err(e) => return Err(e),
        };

        let mut log_number = None;
        let mut prev_log_number = None;
        let mut next_file = None;
        let mut last_sequence = None;
        let base = Arc::clone(&self.current);
        let mut builder = VersionBuilder::new(&base);
        // Any damage in the MANIFEST fails the recovery.
        let mut on_corruption =
            |_bytes: usize, reason: &Error| -> Result<()> { Err(reason.clone()) };
        let mut on_record = |_offset: u64, record: &[u8]| -> Result<()> {
            let edit = check_internal_keys(VersionEdit::decode(record)?)?;
            if let Some(name) = &edit.comparator {
                let ours = self.icmp.user_comparator().name();
                if name != ours {
                    return Err(Error::with_detail(
                        crate::status::Code::InvalidArgument,
                        format!("{name} does not match existing comparator "),
                        ours,
                    ));
                }
            }
            for (level, key) in &edit.compact_pointers {
                if *level < NUM_LEVELS {
                    self.compact_pointer[*level] = key.clone();
                }
            }
            builder.apply(&edit);
            if edit.log_number.is_some() {
                log_number = edit.log_number;
            }
            if edit.prev_log_number.is_some() {
                prev_log_number = edit.prev_log_number;
            }
            if edit.next_file_number.is_some() {
                next_file = edit.next_file_number;
            }
            if edit.last_sequence.is_some() {
                last_sequence = edit.last_sequence;
            }
            Ok(())
        };
        let replayed = log::replay(file, true, 0, &mut on_corruption, &mut on_record);
        let read_records = replayed.records;
        // Where the last whole record ends (a torn record may follow).
        let clean_end = replayed.end_of_last_record;
        let status = replayed.status;
        let result = status.and_then(|_| {
            let next_file = next_file
                .ok_or_else(|| Error::corruption("no meta-nextfile entry in descriptor"))?;
            let log_number = log_number
                .ok_or_else(|| Error::corruption("no meta-lognumber entry in descriptor"))?;
            let last_sequence = last_sequence
                .ok_or_else(|| Error::corruption("no last-sequence-number entry in descriptor"))?;
            // Only a damaged MANIFEST goes past what an internal key holds.
            if last_sequence > crate::key::MAX_SEQUENCE {
                return Err(Error::corruption("last sequence number out of range"));
            }
            Ok((next_file, log_number, last_sequence))
        });
        let (next_file, log_number, last_sequence) = match result {
            Ok(r) => r,
            Err(e) => {
                info_log(
                    &self.logger,
                    &format!("Error recovering version set with {read_records} records: {e}"),
                );
                return Err(e);
            }
        };
        let prev_log_number = prev_log_number.unwrap_or(0);
        self.mark_file_number_used(prev_log_number);
        self.mark_file_number_used(log_number);

        let mut v = Version::new(self.icmp.clone(), Arc::clone(&self.table_cache));
        if let Err(e) = builder.save_to(&mut v) {
            info_log(&self.logger, &format!("Error recovering version set: {e}"));
            return Err(e);
        }
        self.finalize(&mut v);
        self.append_version(v);
        self.manifest_file_number = next_file;
        self.next_file_number = next_file + 1;
        self.last_sequence = last_sequence;
        self.log_number = log_number;
        self.prev_log_number = prev_log_number;

        Ok(!self.reuse_manifest(&dscname, &current, clean_end))
    }

    /// With `reuse_logs`, keeps appending to a small existing MANIFEST.
    /// `clean_end` is where its last whole record ends: appending after a
    /// torn record would make the MANIFEST unreadable at the next open, so
    /// a MANIFEST with one is not reused.
    fn reuse_manifest(&mut self, dscname: &str, dscbase: &str, clean_end: u64) -> bool {
        if !self.options.reuse_logs {
            return false;
        }
        let Some((manifest_number, FileType::Descriptor)) = parse_file_name(dscbase) else {
            return false;
        };
        let Ok(size) = self.env.get_file_size(dscname) else {
            return false;
        };
        if size != clean_end {
            info_log(
                &self.logger,
                &format!("Not reusing MANIFEST {dscname}: it ends in a torn record\n"),
            );
            return false;
        }
        if size >= self.options.max_file_size as u64 {
            // Too big: start a fresh, compact one.
            return false;
        }
        let file = match self.env.new_appendable_file(dscname) {
            Ok(f) => f,
            Err(e) => {
                info_log(&self.logger, &format!("Reuse MANIFEST: {e}\n"));
                return false;
            }
        };
        info_log(&self.logger, &format!("Reusing MANIFEST {dscname}\n"));
        self.descriptor_log = Some(log::Writer::with_offset(file, size));
        self.manifest_file_number = manifest_number;
        true
    }

    /// The numbers of log files recovery must replay are those `>=` this
    /// number or equal to the previous log number.
    pub fn approximate_offset_of(&self, key: &[u8]) -> u64 {
        self.current.approximate_offset_of(key)
    }
}

/// Refuses an edit read from a MANIFEST whose keys are too short to be
/// internal keys (they end in an 8-byte tag). `VersionEdit::decode` accepts
/// any non-empty key, as LevelDB 1.23 does (its dump shows such keys), but
/// LevelDB then crashes comparing them during recovery (google/leveldb#1311);
/// here the MANIFEST is corrupt.
fn check_internal_keys(edit: VersionEdit) -> Result<VersionEdit> {
    let short = |key: &[u8]| key.len() < 8;
    let field = if edit
        .new_files
        .iter()
        .any(|(_, f)| short(&f.smallest) || short(&f.largest))
    {
        "new-file entry"
    } else if edit.compact_pointers.iter().any(|(_, key)| short(key)) {
        "compaction pointer"
    } else {
        return Ok(edit);
    };
    Err(Error::with_detail(
        crate::status::Code::Corruption,
        "VersionEdit",
        field,
    ))
}
