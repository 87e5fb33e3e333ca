//! A fault-injecting [`Env`] wrapper for tests: fails chosen writes and syncs
//! with an `IO error`, and simulates a crash by dropping whatever was not
//! synced (LevelDB's `fault_injection_test` env and `db_test`'s
//! `SpecialEnv`, in one).
//!
//! Invariants:
//! - Every file opened for writing through the wrapper is tracked by path:
//!   bytes appended so far, and bytes made durable by the last successful
//!   `sync`. A file newly created (`new_writable_file`) starts with nothing
//!   durable; a file opened for appending counts its existing bytes as
//!   durable. Renames carry the tracking along; removal ends it.
//! - Appends and syncs are counted (across all files, or only the files the
//!   path filter accepts); an injected failure happens *instead of* the
//!   operation, so a failed append writes nothing and a failed sync leaves
//!   the durable length unchanged.
//! - [`FaultEnv::drop_unsynced_data`] truncates every tracked file to its
//!   durable length, which is what survives a power cut. Writers should be
//!   closed (or forgotten) first, since a still-open writer may flush more.
//! - Files whose directory was never synced since they were created can be
//!   deleted with [`FaultEnv::remove_files_created_after_last_dir_sync`],
//!   the other half of a crash image. Syncing a `MANIFEST*` file syncs its
//!   directory, as the POSIX env does.
//!
//! Thread-safety: all bookkeeping is behind one mutex; the wrapper is as
//! thread-safe as the env it wraps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parking_lot::Mutex;

use super::posix::{basename, dirname};
use super::{
    read_file_to_vec, write_string_to_file, Env, FileLock, Logger, RandomAccessFile,
    SequentialFile, WritableFile,
};
use crate::status::{Error, Result};

/// Which files a fault counter applies to.
pub type PathFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct FileState {
    /// Bytes appended through the wrapper (plus pre-existing bytes of an
    /// appendable file).
    written: u64,
    /// Bytes known durable.
    synced: u64,
}

#[derive(Default)]
struct Faults {
    files: BTreeMap<String, FileState>,
    /// Files created since their directory was last synced.
    unsynced_dir_entries: BTreeSet<String>,
    /// Appends / syncs counted so far (of files the filter accepts).
    writes_seen: u64,
    syncs_seen: u64,
    /// The 1-based counts at which an append / sync fails once.
    fail_write_at: Option<u64>,
    fail_sync_at: Option<u64>,
    /// While set, every append, sync and file creation fails.
    fail_all_writes: bool,
    /// The 1-based append count from which `fail_all_writes` switches on.
    fail_all_from_write: Option<u64>,
    filter: Option<PathFilter>,
}

impl Faults {
    fn applies_to(&self, path: &str) -> bool {
        self.filter.as_ref().map_or(true, |f| f(path))
    }
}

/// Wraps an [`Env`], injecting write and sync failures and simulating
/// crashes (see the module doc).
pub struct FaultEnv {
    inner: Arc<dyn Env>,
    faults: Arc<Mutex<Faults>>,
}

fn injected(path: &str, what: &str) -> Error {
    Error::io_error(format!("{path}: injected {what} failure"))
}

impl FaultEnv {
    pub fn new(inner: Arc<dyn Env>) -> Arc<FaultEnv> {
        Arc::new(FaultEnv {
            inner,
            faults: Arc::new(Mutex::new(Faults::default())),
        })
    }

    /// The wrapped env.
    pub fn inner(&self) -> &Arc<dyn Env> {
        &self.inner
    }

    /// Makes the `n`-th append from now (1-based, counting only files the
    /// filter accepts) fail once. `n == 0` cancels.
    pub fn fail_nth_write(&self, n: u64) {
        let mut f = self.faults.lock();
        f.fail_write_at = (n > 0).then(|| f.writes_seen + n);
    }

    /// Makes the `n`-th sync from now fail once. `n == 0` cancels.
    pub fn fail_nth_sync(&self, n: u64) {
        let mut f = self.faults.lock();
        f.fail_sync_at = (n > 0).then(|| f.syncs_seen + n);
    }

    /// While `on`, every append and sync fails, and so does creating a file
    /// for writing (a full or read-only disk).
    pub fn fail_all_writes(&self, on: bool) {
        self.faults.lock().fail_all_writes = on;
    }

    /// From the `n`-th append from now on (1-based, counting only files the
    /// filter accepts), everything fails as with `fail_all_writes(true)`,
    /// until [`clear_faults`](FaultEnv::clear_faults): a disk that dies at
    /// a chosen point. `n == 0` cancels.
    pub fn fail_writes_from_nth(&self, n: u64) {
        let mut f = self.faults.lock();
        f.fail_all_from_write = (n > 0).then(|| f.writes_seen + n);
    }

    /// Restricts counting and failures to files whose path `filter` accepts
    /// (e.g. only `MANIFEST-*`); `None` applies them to every file.
    pub fn set_filter(&self, filter: Option<PathFilter>) {
        self.faults.lock().filter = filter;
    }

    /// Appends counted so far.
    pub fn writes_seen(&self) -> u64 {
        self.faults.lock().writes_seen
    }

    /// Syncs counted so far.
    pub fn syncs_seen(&self) -> u64 {
        self.faults.lock().syncs_seen
    }

    /// Cancels every pending fault (the counters keep counting).
    pub fn clear_faults(&self) {
        let mut f = self.faults.lock();
        f.fail_write_at = None;
        f.fail_sync_at = None;
        f.fail_all_writes = false;
        f.fail_all_from_write = None;
    }

    /// The durable length the wrapper has recorded for `path`, if tracked.
    pub fn synced_len(&self, path: &str) -> Option<u64> {
        self.faults.lock().files.get(path).map(|s| s.synced)
    }

    /// Simulates a crash: truncates every tracked file to the length it had
    /// at its last successful sync. Files stay tracked, now fully durable.
    pub fn drop_unsynced_data(&self) -> Result<()> {
        let files: Vec<(String, FileState)> = self
            .faults
            .lock()
            .files
            .iter()
            .map(|(p, s)| (p.clone(), *s))
            .collect();
        for (path, state) in files {
            if !self.inner.file_exists(&path) {
                continue;
            }
            let data = read_file_to_vec(&*self.inner, &path)?;
            let keep = usize::try_from(state.synced).unwrap_or(usize::MAX);
            if data.len() > keep {
                write_string_to_file(&*self.inner, &data[..keep], &path, true)?;
            }
            if let Some(s) = self.faults.lock().files.get_mut(&path) {
                s.written = s.synced;
            }
        }
        Ok(())
    }

    /// The other half of a crash: removes files created since their
    /// directory was last synced (their directory entries were never made
    /// durable).
    pub fn remove_files_created_after_last_dir_sync(&self) -> Result<()> {
        let paths = std::mem::take(&mut self.faults.lock().unsynced_dir_entries);
        for path in paths {
            if self.inner.file_exists(&path) {
                self.inner.remove_file(&path)?;
            }
            self.faults.lock().files.remove(&path);
        }
        Ok(())
    }

    fn wrap(&self, path: &str, inner: Box<dyn WritableFile>) -> Box<dyn WritableFile> {
        Box::new(FaultWritableFile {
            path: path.to_string(),
            inner,
            faults: self.faults.clone(),
        })
    }

    fn check_create(&self, path: &str) -> Result<()> {
        let f = self.faults.lock();
        if f.fail_all_writes && f.applies_to(path) {
            return Err(injected(path, "create"));
        }
        Ok(())
    }
}

fn mark_dir_synced(faults: &mut Faults, dir: &str) {
    faults
        .unsynced_dir_entries
        .retain(|path| dirname(path) != dir);
}

struct FaultWritableFile {
    path: String,
    inner: Box<dyn WritableFile>,
    faults: Arc<Mutex<Faults>>,
}

impl WritableFile for FaultWritableFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        {
            let mut f = self.faults.lock();
            if f.applies_to(&self.path) {
                f.writes_seen += 1;
                if f.fail_all_from_write == Some(f.writes_seen) {
                    f.fail_all_writes = true;
                }
                if f.fail_all_writes || f.fail_write_at == Some(f.writes_seen) {
                    return Err(injected(&self.path, "write"));
                }
            }
        }
        self.inner.append(data)?;
        if let Some(s) = self.faults.lock().files.get_mut(&self.path) {
            s.written += data.len() as u64;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    fn sync(&mut self) -> Result<()> {
        {
            let mut f = self.faults.lock();
            if f.applies_to(&self.path) {
                f.syncs_seen += 1;
                if f.fail_all_writes || f.fail_sync_at == Some(f.syncs_seen) {
                    return Err(injected(&self.path, "sync"));
                }
            }
        }
        self.inner.sync()?;
        let mut f = self.faults.lock();
        if let Some(s) = f.files.get_mut(&self.path) {
            s.synced = s.written;
        }
        if basename(&self.path).starts_with("MANIFEST") {
            mark_dir_synced(&mut f, dirname(&self.path));
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
}

/// A random-access file that hides its inner file's mapping.
struct UnmappedFile(Arc<dyn RandomAccessFile>);

impl RandomAccessFile for UnmappedFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.0.read_at(offset, buf)
    }
}

impl Env for FaultEnv {
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>> {
        self.inner.new_sequential_file(path)
    }

    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>> {
        // Reads go through `read_at` only (never a memory mapping): this env
        // truncates files to simulate crashes, and touching a mapped page
        // past a truncated end would raise SIGBUS instead of a short read.
        let file = self.inner.new_random_access_file(path)?;
        Ok(Arc::new(UnmappedFile(file)))
    }

    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        self.check_create(path)?;
        let existed = self.inner.file_exists(path);
        let file = self.inner.new_writable_file(path)?;
        let mut f = self.faults.lock();
        f.files.insert(path.to_string(), FileState::default());
        if !existed {
            f.unsynced_dir_entries.insert(path.to_string());
        }
        drop(f);
        Ok(self.wrap(path, file))
    }

    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        self.check_create(path)?;
        let existed = self.inner.file_exists(path);
        let file = self.inner.new_appendable_file(path)?;
        let size = self.inner.get_file_size(path).unwrap_or(0);
        let mut f = self.faults.lock();
        // Bytes already in the file are treated as durable, unless we are
        // tracking the file already and know better.
        let state = f.files.entry(path.to_string()).or_insert(FileState {
            written: size,
            synced: size,
        });
        state.written = size;
        state.synced = state.synced.min(size);
        if !existed {
            f.unsynced_dir_entries.insert(path.to_string());
        }
        drop(f);
        Ok(self.wrap(path, file))
    }

    fn file_exists(&self, path: &str) -> bool {
        self.inner.file_exists(path)
    }

    fn get_children(&self, dir: &str) -> Result<Vec<String>> {
        self.inner.get_children(dir)
    }

    fn remove_file(&self, path: &str) -> Result<()> {
        self.inner.remove_file(path)?;
        let mut f = self.faults.lock();
        f.files.remove(path);
        f.unsynced_dir_entries.remove(path);
        Ok(())
    }

    fn create_dir(&self, path: &str) -> Result<()> {
        self.inner.create_dir(path)
    }

    fn remove_dir(&self, path: &str) -> Result<()> {
        self.inner.remove_dir(path)
    }

    fn get_file_size(&self, path: &str) -> Result<u64> {
        self.inner.get_file_size(path)
    }

    fn rename_file(&self, from: &str, to: &str) -> Result<()> {
        self.inner.rename_file(from, to)?;
        let mut f = self.faults.lock();
        match f.files.remove(from) {
            Some(state) => {
                f.files.insert(to.to_string(), state);
            }
            None => {
                f.files.remove(to);
            }
        }
        // The new name is a directory change that is not durable until the
        // directory is synced; the old name disappears either way.
        f.unsynced_dir_entries.remove(from);
        f.unsynced_dir_entries.insert(to.to_string());
        Ok(())
    }

    fn sync_dir(&self, path: &str) -> Result<()> {
        self.inner.sync_dir(path)?;
        mark_dir_synced(&mut self.faults.lock(), path);
        Ok(())
    }

    fn lock_file(&self, path: &str) -> Result<Box<dyn FileLock>> {
        self.inner.lock_file(path)
    }

    fn new_logger(&self, path: &str) -> Result<Arc<dyn Logger>> {
        self.inner.new_logger(path)
    }

    fn now_micros(&self) -> u64 {
        self.inner.now_micros()
    }

    fn sleep_for_micros(&self, micros: u64) {
        self.inner.sleep_for_micros(micros)
    }

    fn schedule(&self, work: Box<dyn FnOnce() + Send>) {
        self.inner.schedule(work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::mem::MemEnv;
    use crate::env::posix::PosixEnv;

    fn read(env: &dyn Env, path: &str) -> Vec<u8> {
        read_file_to_vec(env, path).unwrap()
    }

    #[test]
    fn nth_write_fails_once_and_writes_nothing() {
        let env = FaultEnv::new(MemEnv::new());
        let mut w = env.new_writable_file("/d/f").unwrap();
        env.fail_nth_write(2);
        w.append(b"a").unwrap();
        let err = w.append(b"b").unwrap_err();
        assert!(err.is_io_error());
        assert_eq!(err.to_string(), "IO error: /d/f: injected write failure");
        w.append(b"c").unwrap();
        assert_eq!(read(&*env, "/d/f"), b"ac");
        assert_eq!(env.writes_seen(), 3);
    }

    #[test]
    fn nth_sync_fails_and_keeps_old_durable_length() {
        let env = FaultEnv::new(MemEnv::new());
        let mut w = env.new_writable_file("/d/f").unwrap();
        w.append(b"abc").unwrap();
        w.sync().unwrap();
        env.fail_nth_sync(1);
        w.append(b"def").unwrap();
        assert!(w.sync().unwrap_err().is_io_error());
        assert_eq!(env.synced_len("/d/f"), Some(3));
        w.sync().unwrap();
        assert_eq!(env.synced_len("/d/f"), Some(6));
        assert_eq!(env.syncs_seen(), 3);
    }

    #[test]
    fn all_writes_fail_while_switched_on() {
        let env = FaultEnv::new(MemEnv::new());
        let mut w = env.new_writable_file("/d/f").unwrap();
        env.fail_all_writes(true);
        assert!(w.append(b"x").is_err());
        assert!(w.sync().is_err());
        assert!(env.new_writable_file("/d/g").is_err());
        assert!(env.new_appendable_file("/d/g").is_err());
        env.fail_all_writes(false);
        w.append(b"x").unwrap();
        w.sync().unwrap();
    }

    #[test]
    fn everything_fails_from_the_nth_write_on() {
        let env = FaultEnv::new(MemEnv::new());
        let mut w = env.new_writable_file("/d/f").unwrap();
        w.append(b"0").unwrap();
        env.fail_writes_from_nth(3);
        w.append(b"1").unwrap();
        w.sync().unwrap();
        w.append(b"2").unwrap();
        assert!(w.append(b"3").is_err());
        assert!(w.append(b"4").is_err());
        assert!(w.sync().is_err());
        assert!(env.new_writable_file("/d/g").is_err());
        assert_eq!(read(&*env, "/d/f"), b"012");
        env.clear_faults();
        w.append(b"5").unwrap();
        assert_eq!(read(&*env, "/d/f"), b"0125");
    }

    #[test]
    fn filter_limits_faults_to_chosen_files() {
        let env = FaultEnv::new(MemEnv::new());
        env.set_filter(Some(Arc::new(|p: &str| {
            basename(p).starts_with("MANIFEST")
        })));
        env.fail_all_writes(true);
        let mut log = env.new_writable_file("/d/000003.log").unwrap();
        log.append(b"fine").unwrap();
        log.sync().unwrap();
        assert!(env.new_writable_file("/d/MANIFEST-000002").is_err());
        env.clear_faults();
        let mut m = env.new_writable_file("/d/MANIFEST-000002").unwrap();
        env.fail_nth_write(1);
        assert!(m.append(b"edit").is_err());
        assert_eq!(env.writes_seen(), 1);
    }

    #[test]
    fn crash_drops_unsynced_tails() {
        let env = FaultEnv::new(MemEnv::new());
        let mut a = env.new_writable_file("/d/a").unwrap();
        a.append(b"durable").unwrap();
        a.sync().unwrap();
        a.append(b" lost").unwrap();
        drop(a);
        let mut b = env.new_writable_file("/d/b").unwrap();
        b.append(b"never synced").unwrap();
        drop(b);
        // Written outside the wrapper: untouched.
        write_string_to_file(&**env.inner(), b"outside", "/d/c", false).unwrap();
        // Renames carry the durable length along.
        let mut t = env.new_writable_file("/d/000001.dbtmp").unwrap();
        t.append(b"MANIFEST-000001\n").unwrap();
        t.sync().unwrap();
        drop(t);
        env.rename_file("/d/000001.dbtmp", "/d/CURRENT").unwrap();

        env.drop_unsynced_data().unwrap();
        assert_eq!(read(&*env, "/d/a"), b"durable");
        assert_eq!(read(&*env, "/d/b"), b"");
        assert_eq!(read(&*env, "/d/c"), b"outside");
        assert_eq!(read(&*env, "/d/CURRENT"), b"MANIFEST-000001\n");
    }

    #[test]
    fn appendable_files_count_existing_bytes_as_durable() {
        let env = FaultEnv::new(MemEnv::new());
        write_string_to_file(&**env.inner(), b"old", "/d/log", false).unwrap();
        let mut w = env.new_appendable_file("/d/log").unwrap();
        w.append(b"+new").unwrap();
        drop(w);
        env.drop_unsynced_data().unwrap();
        assert_eq!(read(&*env, "/d/log"), b"old");
    }

    #[test]
    fn unsynced_directory_entries_can_vanish() {
        let env = FaultEnv::new(MemEnv::new());
        let mut old = env.new_writable_file("/d/old").unwrap();
        old.sync().unwrap();
        env.sync_dir("/d").unwrap();
        let mut new = env.new_writable_file("/d/new").unwrap();
        new.append(b"x").unwrap();
        new.sync().unwrap();
        let _other = env.new_writable_file("/f/other").unwrap();
        let _sibling = env.new_writable_file("/e/sibling").unwrap();
        // A MANIFEST sync syncs its own directory (and so every entry in it)
        // but no other.
        let mut m = env.new_writable_file("/e/MANIFEST-000001").unwrap();
        m.sync().unwrap();
        env.remove_files_created_after_last_dir_sync().unwrap();
        assert!(env.file_exists("/d/old"));
        assert!(!env.file_exists("/d/new"));
        assert!(!env.file_exists("/f/other"));
        assert!(env.file_exists("/e/sibling"));
        assert!(env.file_exists("/e/MANIFEST-000001"));
    }

    #[test]
    fn works_over_the_posix_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("{}/000005.log", dir.path().to_str().unwrap());
        let env = FaultEnv::new(PosixEnv::shared());
        let mut w = env.new_writable_file(&path).unwrap();
        w.append(&[7u8; 100_000]).unwrap();
        w.sync().unwrap();
        w.append(&[8u8; 1000]).unwrap();
        w.close().unwrap();
        assert_eq!(env.get_file_size(&path).unwrap(), 101_000);
        env.drop_unsynced_data().unwrap();
        assert_eq!(read(&*env, &path), vec![7u8; 100_000]);
    }
}
