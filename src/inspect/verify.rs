//! `leveldbutil verify`: reads every file of a database with every checksum
//! checked, and reports, file by file, what it holds and what is damaged.
//!
//! What is checked: `CURRENT` names a MANIFEST; that MANIFEST replays
//! without damage, has the fields recovery needs and (with the comparator
//! the caller gives) loads as a version, exactly as an open would; every
//! table it names exists, has the recorded size, opens, and reads entry by
//! entry with the checksums of its data, index, metaindex and filter
//! blocks verified, each key a valid internal key, in order, from the
//! recorded smallest to the recorded largest key; every log replays with
//! checksums verified and holds well-formed write batches. Tables the
//! MANIFEST does not name and logs older than its log number are not part
//! of the database (the next open deletes them): they are read too, but
//! what is wrong with them is a note, not damage.
//!
//! Invariants: nothing is written (the `LOCK` is taken through the env, so
//! a database open elsewhere is refused; no recovery, no `LOG`); no table
//! goes through a cache; damage lines are capped per file, so a shredded
//! file cannot flood the report.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::env::Env;
use crate::filename::{current_file_name, parse_file_name, FileType};
use crate::iterator::InternalIterator;
use crate::key::{debug_internal_key, parse_internal_key, InternalKeyComparator, ValueType};
use crate::log;
use crate::options::Options;
use crate::status::Result;
use crate::table::block::Block;
use crate::table::format::{read_block, BlockHandle, Footer, FOOTER_ENCODED_LENGTH};
use crate::table::{BlockReadOptions, Table, TableCache, TableOptions};
use crate::util::comparator::BytewiseComparator;
use crate::util::comparator::Comparator;
use crate::version::edit::VersionEdit;
use crate::version::set::VersionSet;
use crate::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};

/// Damage lines kept per file; the rest are counted.
const MAX_DAMAGE_LINES: usize = 10;

/// What was found in one file.
#[derive(Debug, Default)]
pub struct FileReport {
    /// The file's name in the database directory.
    pub name: String,
    /// What the file is and holds (level, key range, entries, ...).
    pub holds: String,
    /// Damage found; empty when the file is sound.
    pub damage: Vec<String>,
    /// Remarks that are not damage (a table or log that is no longer part
    /// of the database, a torn final log record).
    pub notes: Vec<String>,
}

impl FileReport {
    fn new(name: &str) -> FileReport {
        FileReport {
            name: name.to_string(),
            ..FileReport::default()
        }
    }

    fn damage(&mut self, what: String) {
        if self.damage.len() < MAX_DAMAGE_LINES {
            self.damage.push(what);
        } else if self.damage.len() == MAX_DAMAGE_LINES {
            self.damage.push("(further damage not listed)".to_string());
        }
    }

    /// For files outside the database: damage becomes notes.
    fn demote_damage(&mut self, why: &str) {
        let damage = std::mem::take(&mut self.damage);
        self.notes.push(why.to_string());
        self.notes
            .extend(damage.into_iter().map(|d| format!("damaged: {d}")));
    }
}

/// The result of [`verify_db`]: one entry per file examined, in the order
/// CURRENT, MANIFESTs, tables, logs.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
}

impl Report {
    /// The files with damage.
    pub fn damaged(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| !f.damage.is_empty())
    }

    pub fn is_sound(&self) -> bool {
        self.damaged().next().is_none()
    }
}

/// A table as the MANIFEST records it.
struct TableRecord {
    level: usize,
    size: u64,
    smallest: Vec<u8>,
    largest: Vec<u8>,
}

/// The MANIFEST's final state, replayed edit by edit.
#[derive(Default)]
struct ManifestState {
    comparator: Option<String>,
    log_number: Option<u64>,
    prev_log_number: Option<u64>,
    next_file: Option<u64>,
    last_sequence: Option<u64>,
    tables: BTreeMap<u64, TableRecord>,
    edits: u64,
}

impl ManifestState {
    fn apply(&mut self, edit: VersionEdit) {
        self.edits += 1;
        if edit.comparator.is_some() {
            self.comparator = edit.comparator;
        }
        self.log_number = edit.log_number.or(self.log_number);
        self.prev_log_number = edit.prev_log_number.or(self.prev_log_number);
        self.next_file = edit.next_file_number.or(self.next_file);
        self.last_sequence = edit.last_sequence.or(self.last_sequence);
        for (level, number) in edit.deleted_files {
            if self.tables.get(&number).is_some_and(|t| t.level == level) {
                self.tables.remove(&number);
            }
        }
        for (level, f) in edit.new_files {
            self.tables.insert(
                f.number,
                TableRecord {
                    level,
                    size: f.file_size,
                    smallest: f.smallest,
                    largest: f.largest,
                },
            );
        }
    }

    /// Whether log `number` is replayed by an open.
    fn is_live_log(&self, number: u64) -> bool {
        let min = self.log_number.unwrap_or(0);
        number >= min || Some(number) == self.prev_log_number
    }
}

/// Checks the database `dbname` (see the module documentation) through
/// `options.env`, checking key order with `options.comparator` when the
/// MANIFEST names it. `progress(done, total)` is called with bytes read so
/// far. Fails only when the database cannot be examined at all: no
/// `CURRENT`, the `LOCK` held elsewhere, an unreadable directory.
pub fn verify_db(
    options: &Options,
    dbname: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report> {
    let env = Arc::clone(&options.env);
    let _lock = crate::db::read_only::lock_existing(env.as_ref(), dbname)?;
    let mut children: Vec<(u64, FileType, String)> = env
        .get_children(dbname)?
        .into_iter()
        .filter_map(|name| parse_file_name(&name).map(|(n, t)| (n, t, name)))
        .collect();
    children.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
    let path = |name: &str| format!("{dbname}/{name}");
    let size_of = |name: &str| env.get_file_size(&path(name)).unwrap_or(0);
    let total: u64 = children
        .iter()
        .filter(|(_, t, _)| matches!(t, FileType::Log | FileType::Table | FileType::Descriptor))
        .map(|(_, _, name)| size_of(name))
        .sum();
    progress(0, total);
    let mut done = 0;
    let mut advance = |bytes: u64| {
        done += bytes;
        progress(done, total);
    };

    let mut report = Report::default();
    let (current, manifest_name) = check_current(env.as_ref(), dbname);
    report.files.push(current);

    let mut state = ManifestState::default();
    for (_, _, name) in children
        .iter()
        .filter(|(_, t, _)| *t == FileType::Descriptor)
    {
        let mut file = FileReport::new(name);
        if Some(name) == manifest_name.as_ref() {
            state = check_manifest(options, dbname, name, &mut file);
        } else {
            file.holds = "MANIFEST (not current)".to_string();
            file.notes
                .push("not named by CURRENT: not read (the next open deletes it)".to_string());
        }
        advance(size_of(name));
        report.files.push(file);
    }
    if let Some(name) = &manifest_name {
        if !children.iter().any(|(_, _, n)| n == name) {
            let mut file = FileReport::new(name);
            file.holds = "MANIFEST named by CURRENT".to_string();
            file.damage("missing".to_string());
            report.files.push(file);
        }
    }

    // Key order is checked only with the comparator the MANIFEST names.
    let ordered_by = match &state.comparator {
        Some(name) if name == options.comparator.name() => {
            Some(InternalKeyComparator::new(Arc::clone(&options.comparator)))
        }
        _ => None,
    };
    let table_files: BTreeMap<u64, &String> = children
        .iter()
        .filter(|(_, t, _)| *t == FileType::Table)
        .map(|(n, _, name)| (*n, name))
        .collect();
    let numbers: BTreeSet<u64> = table_files
        .keys()
        .chain(state.tables.keys())
        .copied()
        .collect();
    for number in numbers {
        let record = state.tables.get(&number);
        let Some(name) = table_files.get(&number) else {
            let record = record.expect("a number comes from the files or the MANIFEST");
            let mut file = FileReport::new(&format!("{number:06}.ldb"));
            file.holds = format!(
                "table at level {}, {} bytes, keys {} .. {}",
                record.level,
                record.size,
                debug_internal_key(&record.smallest),
                debug_internal_key(&record.largest)
            );
            file.damage("missing (named by the MANIFEST; no .ldb or .sst file)".to_string());
            report.files.push(file);
            continue;
        };
        let mut file = check_table(env.as_ref(), &path(name), name, record, ordered_by.as_ref());
        if record.is_none() {
            file.demote_damage(
                "not named by the MANIFEST: not part of the database (the next open deletes it)",
            );
        }
        advance(size_of(name));
        report.files.push(file);
    }

    for (number, _, name) in children.iter().filter(|(_, t, _)| *t == FileType::Log) {
        let mut file = check_log(env.as_ref(), &path(name), name);
        if manifest_name.is_some() && !state.is_live_log(*number) {
            file.demote_damage(
                "older than the MANIFEST's log number: not part of the database (the next open \
                 deletes it)",
            );
        }
        advance(size_of(name));
        report.files.push(file);
    }
    Ok(report)
}

/// Reads `CURRENT`; returns its report and the MANIFEST it names.
fn check_current(env: &dyn Env, dbname: &str) -> (FileReport, Option<String>) {
    let mut file = FileReport::new("CURRENT");
    let contents = match crate::env::read_file_to_vec(env, &current_file_name(dbname)) {
        Ok(c) => c,
        Err(e) => {
            file.damage(format!("unreadable: {e}"));
            return (file, None);
        }
    };
    let Some(name) = contents.strip_suffix(b"\n") else {
        file.damage("does not end with a newline".to_string());
        return (file, None);
    };
    let name = String::from_utf8_lossy(name).into_owned();
    file.holds = format!("names {name}");
    match parse_file_name(&name) {
        Some((_, FileType::Descriptor)) => (file, Some(name)),
        _ => {
            file.damage(format!("'{name}' is not a MANIFEST file name"));
            (file, None)
        }
    }
}

/// Replays the MANIFEST `name` with checksums and loads it as an open
/// would; returns what it records.
fn check_manifest(
    options: &Options,
    dbname: &str,
    name: &str,
    file: &mut FileReport,
) -> ManifestState {
    let env = options.env.as_ref();
    let mut state = ManifestState::default();
    let replayed = replay_checked(env, &format!("{dbname}/{name}"), &mut |offset, record| {
        match VersionEdit::decode(record) {
            Ok(edit) => {
                state.apply(edit);
                None
            }
            Err(e) => Some(format!("record at offset {offset}: {e}")),
        }
    });
    let mut damage = match replayed {
        Ok(checked) => checked.damage,
        Err(e) => {
            file.holds = "MANIFEST".to_string();
            file.damage(format!("unreadable: {e}"));
            return state;
        }
    };
    for (field, missing) in [
        ("comparator", state.comparator.is_none()),
        ("log number", state.log_number.is_none()),
        ("next file number", state.next_file.is_none()),
        ("last sequence number", state.last_sequence.is_none()),
    ] {
        if missing {
            damage.push(format!("no {field} recorded"));
        }
    }
    let comparator = state.comparator.as_deref().unwrap_or("?");
    file.holds = format!(
        "MANIFEST (current): {} edits, comparator {comparator}, log number {}, next file {}, \
         last sequence {}, {} tables",
        state.edits,
        state.log_number.map_or("?".to_string(), |n| n.to_string()),
        state.next_file.map_or("?".to_string(), |n| n.to_string()),
        state
            .last_sequence
            .map_or("?".to_string(), |n| n.to_string()),
        state.tables.len()
    );
    let comparator_known = comparator == options.comparator.name();
    if damage.is_empty() && comparator_known {
        // What an open would do with it: the version it describes must be
        // consistent (keys, levels without overlaps).
        if let Err(e) = load_version(options, dbname) {
            damage.push(format!("does not load as a version: {e}"));
        }
    }
    if !comparator_known && state.comparator.is_some() {
        file.notes.push(format!(
            "comparator {comparator} is not {}: key order and version consistency not checked",
            options.comparator.name()
        ));
    }
    for d in damage {
        file.damage(d);
    }
    state
}

/// A log-format file read with [`replay_checked`].
struct Checked {
    replayed: log::Replayed,
    /// Everything found wrong, in file order.
    damage: Vec<String>,
    /// `damage[tail_from..]` was found after the last whole record.
    tail_from: usize,
}

/// Replays the log-format file (log or MANIFEST) at `path` with checksums
/// verified, collecting dropped bytes, what `record` finds wrong with a
/// record (it gets each record's offset and bytes) and a failed read.
fn replay_checked(
    env: &dyn Env,
    path: &str,
    record: &mut dyn FnMut(u64, &[u8]) -> Option<String>,
) -> Result<Checked> {
    let reader = env.new_sequential_file(path)?;
    // Both callbacks add to it.
    let damage = RefCell::new(Vec::new());
    let mut tail_from = 0;
    let replayed = log::replay(
        reader,
        true,
        0,
        &mut |bytes, reason| {
            damage
                .borrow_mut()
                .push(format!("{bytes} bytes dropped: {reason}"));
            Ok(())
        },
        &mut |offset, bytes| {
            let problem = record(offset, bytes);
            let mut damage = damage.borrow_mut();
            damage.extend(problem);
            tail_from = damage.len();
            Ok(())
        },
    );
    let mut damage = damage.into_inner();
    if let Err(e) = &replayed.status {
        damage.push(e.to_string());
    }
    Ok(Checked {
        replayed,
        damage,
        tail_from,
    })
}

/// Loads the current version as recovery does (reading only the MANIFEST).
fn load_version(options: &Options, dbname: &str) -> Result<()> {
    let options = Options {
        reuse_logs: false,
        ..options.clone()
    };
    let icmp = InternalKeyComparator::new(Arc::clone(&options.comparator));
    let table_cache = Arc::new(TableCache::new(
        dbname,
        Arc::clone(&options.env),
        &TableOptions::default(),
        &icmp,
        1,
    ));
    VersionSet::new(dbname, &options, None, table_cache)
        .recover()
        .map(|_| ())
}

/// Reads the table at `path` block by block with checksums verified;
/// `record` is what the MANIFEST says of it, `order` the key order to
/// check, if known.
fn check_table(
    env: &dyn Env,
    path: &str,
    name: &str,
    record: Option<&TableRecord>,
    order: Option<&InternalKeyComparator>,
) -> FileReport {
    let mut file = FileReport::new(name);
    // A table of the database is described as the MANIFEST records it (a
    // damaged block can hide its first or last keys from the scan).
    file.holds = match record {
        Some(r) => format!(
            "table at level {}, keys {} .. {}",
            r.level,
            debug_internal_key(&r.smallest),
            debug_internal_key(&r.largest)
        ),
        None => "table".to_string(),
    };
    let opened = env.get_file_size(path).and_then(|size| {
        let reader = env.new_random_access_file(path)?;
        Ok((size, reader))
    });
    let (size, reader) = match opened {
        Ok(o) => o,
        Err(e) => {
            file.damage(format!("unreadable: {e}"));
            return file;
        }
    };
    if let Some(r) = record {
        if r.size != size {
            file.damage(format!(
                "{size} bytes long; the MANIFEST records {} bytes",
                r.size
            ));
        }
    }
    for problem in check_meta_blocks(reader.as_ref(), size) {
        file.damage(problem);
    }
    let table_options = TableOptions {
        paranoid_checks: true,
        ..TableOptions::default()
    };
    let table = match Table::open(&table_options, reader, size) {
        Ok(t) => t,
        Err(e) => {
            file.damage(format!("does not open: {e}"));
            return file;
        }
    };
    let mut iter = table.iter(&BlockReadOptions {
        verify_checksums: true,
        fill_cache: false,
    });
    let (mut puts, mut deletions, mut bad) = (0u64, 0u64, 0u64);
    let mut first: Option<Vec<u8>> = None;
    let mut last: Vec<u8> = Vec::new();
    // How many entries had been read when the first error appeared (a
    // damaged block is skipped, and the scan goes on after it).
    let mut failed_at = None;
    iter.seek_to_first();
    loop {
        let index = puts + deletions + bad;
        if failed_at.is_none() && iter.status().is_err() {
            failed_at = Some(index);
        }
        if !iter.valid() {
            break;
        }
        let key = iter.key();
        match parse_internal_key(key) {
            Some(k) if k.value_type == ValueType::Deletion => deletions += 1,
            Some(_) => puts += 1,
            None => {
                file.damage(format!(
                    "entry {index}: not an internal key: {}",
                    debug_internal_key(key)
                ));
                bad += 1;
            }
        }
        if let (Some(order), Some(_)) = (order, &first) {
            if order.compare(&last, key) != std::cmp::Ordering::Less {
                file.damage(format!(
                    "entry {index}: key {} is not after {}",
                    debug_internal_key(key),
                    debug_internal_key(&last)
                ));
            }
        }
        if first.is_none() {
            first = Some(key.to_vec());
        }
        last.clear();
        last.extend_from_slice(key);
        iter.next();
    }
    let read_whole = iter.status();
    if let Err(e) = &read_whole {
        file.damage(format!("at entry {}: {e}", failed_at.unwrap_or(0)));
    }
    let range = match (&first, record) {
        (Some(first), None) => format!(
            ", keys {} .. {}",
            debug_internal_key(first),
            debug_internal_key(&last)
        ),
        _ => String::new(),
    };
    let read = if read_whole.is_ok() { "" } else { " read" };
    file.holds.push_str(&format!(
        ", {size} bytes, {} entries{read} ({puts} puts, {deletions} deletions){range}",
        puts + deletions + bad
    ));
    if let (Some(r), Ok(())) = (record, read_whole) {
        let first = first.unwrap_or_default();
        if first != r.smallest || last != r.largest {
            file.damage(format!(
                "its keys run {} .. {}, not as the MANIFEST records",
                debug_internal_key(&first),
                debug_internal_key(&last)
            ));
        }
    }
    file
}

/// Verifies the checksums of a table's metaindex block and of every block
/// it names (the filter); the data and index blocks are read by the scan.
fn check_meta_blocks(file: &dyn crate::env::RandomAccessFile, size: u64) -> Vec<String> {
    if size < FOOTER_ENCODED_LENGTH as u64 {
        // Table::open reports it.
        return Vec::new();
    }
    let mut footer = [0u8; FOOTER_ENCODED_LENGTH];
    let offset = size - FOOTER_ENCODED_LENGTH as u64;
    let mut got = 0;
    while got < footer.len() {
        match file.read_at(offset + got as u64, &mut footer[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => return Vec::new(),
        }
    }
    let Ok(footer) = Footer::decode(&footer[..got]) else {
        return Vec::new();
    };
    let meta = match read_block(file, size, true, &footer.metaindex_handle) {
        Ok(m) => Arc::new(Block::new(m)),
        Err(e) => return vec![format!("metaindex block: {e}")],
    };
    let mut problems = Vec::new();
    let mut it = meta.iter(Arc::new(BytewiseComparator));
    it.seek_to_first();
    while it.valid() {
        let name = String::from_utf8_lossy(it.key()).into_owned();
        let checked = BlockHandle::decode_from(&mut it.value())
            .and_then(|h| read_block(file, size, true, &h));
        if let Err(e) = checked {
            problems.push(format!("meta block {name}: {e}"));
        }
        it.next();
    }
    if let Err(e) = it.status() {
        problems.push(format!("metaindex block: {e}"));
    }
    problems
}

/// Counts a write batch's operations.
#[derive(Default)]
struct BatchCounter {
    puts: u64,
    deletions: u64,
}

impl WriteBatchHandler for BatchCounter {
    fn put(&mut self, _key: &[u8], _value: &[u8]) {
        self.puts += 1;
    }
    fn delete(&mut self, _key: &[u8]) {
        self.deletions += 1;
    }
}

/// Replays the log at `path` with checksums verified, decoding each record
/// as a write batch.
fn check_log(env: &dyn Env, path: &str, name: &str) -> FileReport {
    let mut file = FileReport::new(name);
    let mut counter = BatchCounter::default();
    let mut sequences: Option<(u64, u64)> = None;
    let mut batch = WriteBatch::new();
    let replayed = replay_checked(env, path, &mut |offset, record| {
        if record.len() < HEADER_SIZE {
            return Some(format!(
                "record at offset {offset}: {} bytes, too small for a write batch",
                record.len()
            ));
        }
        batch.set_contents(record);
        let before = counter.puts + counter.deletions;
        let problem = batch
            .iterate(&mut counter)
            .err()
            .map(|e| format!("record at offset {offset}: {e}"));
        let added = counter.puts + counter.deletions - before;
        if added > 0 {
            let first = batch.sequence();
            let last = first.saturating_add(added - 1);
            sequences = Some(match sequences {
                Some((lo, hi)) => (lo.min(first), hi.max(last)),
                None => (first, last),
            });
        }
        problem
    });
    let Checked {
        replayed,
        mut damage,
        tail_from,
    } = match replayed {
        Ok(checked) => checked,
        Err(e) => {
            file.holds = "log".to_string();
            file.damage(format!("unreadable: {e}"));
            return file;
        }
    };
    // A crashed writer's torn last record (followed by nothing but zeros)
    // is how a log ends after a crash: recovery ignores it.
    if tail_from < damage.len() {
        let bytes = crate::env::read_file_to_vec(env, path).unwrap_or_default();
        if log::is_torn_tail(&bytes, replayed.end_of_last_record as usize) {
            let tail = damage.split_off(tail_from).join("; ");
            file.notes.push(format!(
                "a torn final record after offset {} ({tail}): what a crash leaves; recovery \
                 ignores it",
                replayed.end_of_last_record
            ));
        }
    }
    let sequences = match sequences {
        Some((lo, hi)) => format!(", sequences {lo} .. {hi}"),
        None => String::new(),
    };
    file.holds = format!(
        "log: {} records, {} puts, {} deletions{sequences}",
        replayed.records, counter.puts, counter.deletions
    );
    for d in damage {
        file.damage(d);
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::WriteOptions;
    use crate::status::Code;
    use crate::DB;
    use std::path::Path;

    /// A database with tables on two levels, a live log, and a bloom filter.
    fn make_db(dir: &Path) -> String {
        let name = dir.join("db").to_str().unwrap().to_string();
        let options = Options {
            create_if_missing: true,
            write_buffer_size: 64 << 10,
            filter_policy: Some(Arc::new(crate::BloomFilterPolicy::new(10))),
            ..Options::default()
        };
        let db = DB::open(options, &name).unwrap();
        let w = WriteOptions::default();
        for i in 0..4000u32 {
            db.put(&w, format!("key{i:06}").as_bytes(), &[b'x'; 60])
                .unwrap();
        }
        db.compact_range(None, None).unwrap();
        for i in 0..500u32 {
            db.put(&w, format!("key{i:06}").as_bytes(), b"new").unwrap();
        }
        db.delete(&w, b"key000007").unwrap();
        name
    }

    fn verify(name: &str) -> Report {
        verify_db(&Options::default(), name, &mut |_, _| {}).unwrap()
    }

    fn files_of(name: &str, ext: &str) -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(name)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_str().unwrap().ends_with(ext))
            .collect();
        v.sort();
        v
    }

    fn flip(path: &Path, at: usize) {
        let mut bytes = std::fs::read(path).unwrap();
        bytes[at] ^= 0x40;
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn a_sound_database_is_sound_and_described() {
        let dir = tempfile::tempdir().unwrap();
        let name = make_db(dir.path());
        let mut calls = 0;
        let mut last = (0, 1);
        let report = verify_db(&Options::default(), &name, &mut |d, t| {
            calls += 1;
            last = (d, t);
        })
        .unwrap();
        assert!(report.is_sound(), "{report:#?}");
        assert!(calls > 2 && last.0 == last.1, "{calls} {last:?}");
        let tables: Vec<_> = report
            .files
            .iter()
            .filter(|f| f.name.ends_with(".ldb"))
            .collect();
        assert!(!tables.is_empty());
        for t in &tables {
            assert!(t.holds.starts_with("table at level "), "{}", t.holds);
            assert!(t.holds.contains("entries"), "{}", t.holds);
        }
        let log = report
            .files
            .iter()
            .find(|f| f.name.ends_with(".log"))
            .unwrap();
        assert!(
            log.holds.contains("501 records, 500 puts, 1 deletions"),
            "{}",
            log.holds
        );
    }

    #[test]
    fn each_damaged_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let name = make_db(dir.path());
        let table = files_of(&name, ".ldb").pop().unwrap();
        let size = std::fs::metadata(&table).unwrap().len() as usize;
        flip(&table, size / 3);
        let log = files_of(&name, ".log").pop().unwrap();
        flip(&log, 100);
        let report = verify(&name);
        let damaged: Vec<&str> = report.damaged().map(|f| f.name.as_str()).collect();
        let table_name = table.file_name().unwrap().to_str().unwrap();
        let log_name = log.file_name().unwrap().to_str().unwrap();
        assert_eq!(damaged, [table_name, log_name], "{report:#?}");
        let t = report.damaged().next().unwrap();
        assert!(t.damage[0].contains("checksum mismatch"), "{t:#?}");
    }

    #[test]
    fn a_missing_table_and_a_damaged_manifest_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let name = make_db(dir.path());
        let table = files_of(&name, ".ldb").pop().unwrap();
        std::fs::remove_file(&table).unwrap();
        let report = verify(&name);
        let missing: Vec<_> = report.damaged().collect();
        assert_eq!(missing.len(), 1);
        assert!(missing[0].damage[0].starts_with("missing"), "{report:#?}");
        assert!(missing[0].holds.contains("table at level"), "{report:#?}");

        let manifest = files_of(&name, "").into_iter().find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("MANIFEST-")
        });
        flip(&manifest.unwrap(), 20);
        let report = verify(&name);
        assert!(
            report.damaged().any(|f| f.name.starts_with("MANIFEST-")
                && f.damage.iter().any(|d| d.contains("checksum mismatch"))),
            "{report:#?}"
        );
    }

    #[test]
    fn orphans_are_notes_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let name = make_db(dir.path());
        let table = files_of(&name, ".ldb").pop().unwrap();
        let orphan = Path::new(&name).join("999999.ldb");
        std::fs::copy(&table, &orphan).unwrap();
        flip(&orphan, 10);
        let before: Vec<(std::path::PathBuf, Vec<u8>)> = files_of(&name, "")
            .into_iter()
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect();
        let report = verify(&name);
        assert!(report.is_sound(), "{report:#?}");
        let o = report
            .files
            .iter()
            .find(|f| f.name == "999999.ldb")
            .unwrap();
        assert!(o.notes[0].contains("not named by the MANIFEST"), "{o:#?}");
        assert!(o.notes.iter().any(|n| n.starts_with("damaged: ")), "{o:#?}");
        let after: Vec<(std::path::PathBuf, Vec<u8>)> = files_of(&name, "")
            .into_iter()
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect();
        assert!(before == after);
    }

    #[test]
    fn a_database_open_elsewhere_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let name = make_db(dir.path());
        let db = DB::open(Options::default(), &name).unwrap();
        let err = verify_db(&Options::default(), &name, &mut |_, _| {})
            .err()
            .unwrap();
        assert!(crate::inspect::is_lock_conflict(&err, &name), "{err}");
        drop(db);
        let err = verify_db(
            &Options::default(),
            dir.path().to_str().unwrap(),
            &mut |_, _| {},
        )
        .err()
        .unwrap();
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}
