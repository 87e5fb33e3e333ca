//! An in-memory environment: LevelDB 1.23's `NewMemEnv` (helpers/memenv),
//! behaving as that one does, so a C++ program sees the same results from
//! ours as from LevelDB's.
//!
//! Invariants:
//! - Files are byte vectors keyed by their full path. Directories are not
//!   stored: `create_dir` and `remove_dir` always succeed, and a directory's
//!   children are the files whose path starts with `dir + "/"`, named by the
//!   rest of their path (which may hold further `/`s).
//! - A missing file is `IO error: <path>: File not found` (memenv's text,
//!   not the POSIX env's NotFound/ENOENT one) for opening it to read, its
//!   size, removing it and renaming it away.
//! - Writes go straight into the shared file contents: what is appended is
//!   immediately visible to readers, and `flush`/`sync`/`close` have nothing
//!   to do (appending after `close` still appends). Opening an existing file
//!   for writing truncates it in place: readers opened before see the new
//!   contents. Reading at an offset past the end is an IO error.
//! - Locks exclude nothing and create no file; the info logger discards what
//!   it is given and creates no file. A database in a MemEnv therefore has
//!   no LOCK, LOG or LOG.old file, and two opens of one path do not exclude
//!   each other.
//!
//! Thread-safety: the file table is behind a mutex and each file's contents
//! behind its own lock, so the env and its random-access files may be shared
//! across threads.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::posix::{now_micros, BackgroundQueue};
use super::{Env, FileLock, Logger, RandomAccessFile, SequentialFile, WritableFile};
use crate::status::{Code, Error, Result};

/// The contents of one in-memory file, shared by every handle opened on it.
type Contents = Arc<RwLock<Vec<u8>>>;

/// An [`Env`] whose files live in memory (LevelDB's `NewMemEnv`): for
/// tests and for databases that need no disk.
///
/// ```
/// use leveldb::env::mem::MemEnv;
/// use leveldb::{Options, ReadOptions, WriteOptions, DB};
///
/// let options = Options { create_if_missing: true, env: MemEnv::new(), ..Options::default() };
/// let db = DB::open(options, "/anywhere").unwrap();
/// db.put(&WriteOptions::default(), b"k", b"v").unwrap();
/// assert_eq!(db.get(&ReadOptions::new(), b"k").unwrap(), Some(b"v".to_vec()));
/// ```
pub struct MemEnv {
    files: Mutex<HashMap<String, Contents>>,
    background: BackgroundQueue,
}

/// memenv's error for a path that names no file.
fn not_found(path: &str) -> Error {
    Error::with_detail(Code::IoError, path, "File not found")
}

impl MemEnv {
    /// An empty in-memory file system with its own background thread.
    ///
    /// ```
    /// use leveldb::env::{mem::MemEnv, Env};
    /// let env = MemEnv::new();
    /// assert!(!env.file_exists("/db/CURRENT"));
    /// ```
    pub fn new() -> Arc<MemEnv> {
        Arc::new(MemEnv {
            files: Mutex::new(HashMap::new()),
            background: BackgroundQueue::new(),
        })
    }

    fn contents(&self, path: &str) -> Result<Contents> {
        self.files
            .lock()
            .get(path)
            .cloned()
            .ok_or_else(|| not_found(path))
    }

    /// The file at `path`, emptied in place (so every open handle sees it
    /// empty), or a new empty one.
    fn create(&self, path: &str) -> Contents {
        let contents = self
            .files
            .lock()
            .entry(path.to_string())
            .or_default()
            .clone();
        contents.write().clear();
        contents
    }
}

struct MemSequentialFile {
    contents: Contents,
    position: usize,
}

impl SequentialFile for MemSequentialFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let data = self.contents.read();
        let start = self.position.min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        self.position = start + n;
        Ok(n)
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        // memenv stops a skip at the end of the file (the position never
        // passes it, even if the file grows later).
        let len = self.contents.read().len();
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.position = self.position.saturating_add(n).min(len);
        Ok(())
    }
}

struct MemRandomAccessFile {
    contents: Contents,
}

impl RandomAccessFile for MemRandomAccessFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.contents.read();
        let start = match usize::try_from(offset) {
            Ok(start) if start <= data.len() => start,
            _ => return Err(Error::io_error("Offset greater than file size.")),
        };
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
}

struct MemWritableFile {
    contents: Contents,
}

impl WritableFile for MemWritableFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.contents.write().extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A lock that excludes nothing (memenv's).
struct MemFileLock;

impl FileLock for MemFileLock {}

/// An info logger that drops every line (memenv's).
struct NoOpLogger;

impl Logger for NoOpLogger {
    fn log(&self, _message: &str) {}
}

impl Env for MemEnv {
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>> {
        Ok(Box::new(MemSequentialFile {
            contents: self.contents(path)?,
            position: 0,
        }))
    }

    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>> {
        Ok(Arc::new(MemRandomAccessFile {
            contents: self.contents(path)?,
        }))
    }

    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        Ok(Box::new(MemWritableFile {
            contents: self.create(path),
        }))
    }

    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        let contents = self
            .files
            .lock()
            .entry(path.to_string())
            .or_default()
            .clone();
        Ok(Box::new(MemWritableFile { contents }))
    }

    fn file_exists(&self, path: &str) -> bool {
        self.files.lock().contains_key(path)
    }

    fn get_children(&self, dir: &str) -> Result<Vec<String>> {
        let prefix = format!("{dir}/");
        Ok(self
            .files
            .lock()
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix))
            .map(str::to_string)
            .collect())
    }

    fn remove_file(&self, path: &str) -> Result<()> {
        match self.files.lock().remove(path) {
            Some(_) => Ok(()),
            None => Err(not_found(path)),
        }
    }

    fn create_dir(&self, _path: &str) -> Result<()> {
        Ok(())
    }

    fn remove_dir(&self, _path: &str) -> Result<()> {
        Ok(())
    }

    fn get_file_size(&self, path: &str) -> Result<u64> {
        Ok(self.contents(path)?.read().len() as u64)
    }

    fn rename_file(&self, from: &str, to: &str) -> Result<()> {
        let mut files = self.files.lock();
        let contents = files.remove(from).ok_or_else(|| not_found(from))?;
        files.insert(to.to_string(), contents);
        Ok(())
    }

    fn sync_dir(&self, _path: &str) -> Result<()> {
        Ok(())
    }

    fn lock_file(&self, _path: &str) -> Result<Box<dyn FileLock>> {
        Ok(Box::new(MemFileLock))
    }

    fn new_logger(&self, _path: &str) -> Result<Arc<dyn Logger>> {
        Ok(Arc::new(NoOpLogger))
    }

    fn now_micros(&self) -> u64 {
        now_micros()
    }

    fn sleep_for_micros(&self, micros: u64) {
        std::thread::sleep(std::time::Duration::from_micros(micros));
    }

    fn schedule(&self, work: Box<dyn FnOnce() + Send>) {
        self.background.schedule(work);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{read_file_to_vec, write_string_to_file};
    use proptest::prelude::*;

    #[test]
    fn basics_as_memenv_test() {
        let env = MemEnv::new();
        assert!(!env.file_exists("/dir/non_existent"));
        assert!(env.get_file_size("/dir/non_existent").is_err());
        assert!(env.get_children("/dir").unwrap().is_empty());

        let mut w = env.new_writable_file("/dir/f").unwrap();
        assert_eq!(env.get_file_size("/dir/f").unwrap(), 0);
        w.append(b"abc").unwrap();
        drop(w);
        assert!(env.file_exists("/dir/f"));
        assert_eq!(env.get_file_size("/dir/f").unwrap(), 3);
        assert_eq!(env.get_children("/dir").unwrap(), vec!["f"]);

        assert!(env.rename_file("/dir/non_existent", "/dir/g").is_err());
        env.rename_file("/dir/f", "/dir/g").unwrap();
        assert!(!env.file_exists("/dir/f"));
        assert!(env.file_exists("/dir/g"));
        assert_eq!(env.get_file_size("/dir/g").unwrap(), 3);

        assert!(env.new_sequential_file("/dir/non_existent").is_err());
        assert!(env.new_random_access_file("/dir/non_existent").is_err());
        assert!(env.remove_file("/dir/non_existent").is_err());
        env.remove_file("/dir/g").unwrap();
        assert!(!env.file_exists("/dir/g"));
        assert!(env.get_children("/dir").unwrap().is_empty());
        env.create_dir("/dir").unwrap();
        env.remove_dir("/dir").unwrap();
    }

    #[test]
    fn errors_read_like_memenv() {
        let env = MemEnv::new();
        let missing = "IO error: /db/x: File not found";
        let err = env.new_sequential_file("/db/x").err().unwrap();
        assert_eq!(err.to_string(), missing);
        let err = env.new_random_access_file("/db/x").err().unwrap();
        assert_eq!(err.to_string(), missing);
        assert_eq!(env.get_file_size("/db/x").unwrap_err().to_string(), missing);
        assert_eq!(env.remove_file("/db/x").unwrap_err().to_string(), missing);
        assert_eq!(
            env.rename_file("/db/x", "/db/y").unwrap_err().to_string(),
            missing
        );
        // Closing is a no-op: a closed file still takes appends.
        let mut w = env.new_writable_file("/db/w").unwrap();
        w.close().unwrap();
        w.append(b"x").unwrap();
        assert_eq!(env.get_file_size("/db/w").unwrap(), 1);
    }

    #[test]
    fn read_write_as_memenv_test() {
        let env = MemEnv::new();
        let mut w = env.new_writable_file("/dir/f").unwrap();
        w.append(b"hello ").unwrap();
        w.append(b"world").unwrap();
        drop(w);

        let mut s = env.new_sequential_file("/dir/f").unwrap();
        let mut buf = [0u8; 5];
        assert_eq!(s.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf, b"hello");
        s.skip(1).unwrap();
        let mut buf = [0u8; 1000];
        assert_eq!(s.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
        assert_eq!(s.read(&mut buf).unwrap(), 0);
        s.skip(100).unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 0);
        // The skip stopped at the end: what is appended later is read.
        env.new_appendable_file("/dir/f")
            .unwrap()
            .append(b"!")
            .unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 1);
        assert_eq!(buf[0], b'!');

        let r = env.new_random_access_file("/dir/f").unwrap();
        assert_eq!(r.read_at(6, &mut buf[..5]).unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
        assert_eq!(r.read_at(0, &mut buf[..0]).unwrap(), 0);
        assert_eq!(r.read_at(12, &mut buf[..5]).unwrap(), 0);
        assert_eq!(
            r.read_at(100, &mut buf[..5]).unwrap_err().to_string(),
            "IO error: Offset greater than file size."
        );
    }

    #[test]
    fn truncating_open_is_seen_by_old_readers_and_appendable_appends() {
        let env = MemEnv::new();
        write_string_to_file(&*env, b"old", "/d/f", false).unwrap();
        let r = env.new_random_access_file("/d/f").unwrap();
        write_string_to_file(&*env, b"new!", "/d/f", false).unwrap();
        let mut buf = [0u8; 10];
        assert_eq!(r.read_at(0, &mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"new!");
        let mut a = env.new_appendable_file("/d/f").unwrap();
        a.append(b"+").unwrap();
        assert_eq!(read_file_to_vec(&*env, "/d/f").unwrap(), b"new!+");
        let mut a = env.new_appendable_file("/d/fresh").unwrap();
        a.append(b"x").unwrap();
        assert_eq!(read_file_to_vec(&*env, "/d/fresh").unwrap(), b"x");
    }

    #[test]
    fn children_are_every_path_below_the_directory() {
        let env = MemEnv::new();
        for p in ["/a/x", "/a/y", "/a/b/z", "/ab/w", "/a"] {
            write_string_to_file(&*env, b"", p, false).unwrap();
        }
        let mut c = env.get_children("/a").unwrap();
        c.sort();
        assert_eq!(c, vec!["b/z", "x", "y"]);
        // The name is matched as given: "/a/" would need "/a//x".
        assert!(env.get_children("/a/").unwrap().is_empty());
    }

    #[test]
    fn locks_exclude_nothing_and_create_no_file() {
        let env = MemEnv::new();
        let lock = env.lock_file("/db/LOCK").unwrap();
        let second = env.lock_file("/db/LOCK").unwrap();
        assert!(!env.file_exists("/db/LOCK"));
        drop(lock);
        drop(second);
        assert!(env.get_children("/db").unwrap().is_empty());
    }

    #[test]
    fn logger_and_schedule() {
        let env = MemEnv::new();
        let logger = env.new_logger("/db/LOG").unwrap();
        logger.log("one");
        assert!(!env.file_exists("/db/LOG"));

        let (tx, rx) = std::sync::mpsc::channel();
        env.schedule(Box::new(move || tx.send(7).unwrap()));
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap(),
            7
        );
    }

    #[test]
    fn large_file_and_concurrent_readers() {
        let env = MemEnv::new();
        let data: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut w = env.new_writable_file("/d/big").unwrap();
        for chunk in data.chunks(100_000) {
            w.append(chunk).unwrap();
        }
        let r = env.new_random_access_file("/d/big").unwrap();
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let r = r.clone();
                let data = &data;
                s.spawn(move || {
                    let mut buf = vec![0u8; 4096];
                    for i in 0..200u64 {
                        let off = (i * 7919 + t * 104_729) % (data.len() as u64 - 4096);
                        assert_eq!(r.read_at(off, &mut buf).unwrap(), 4096);
                        assert_eq!(&buf[..], &data[off as usize..off as usize + 4096]);
                    }
                });
            }
        });
    }

    proptest! {
        /// MemEnv behaves like a map of byte strings under random
        /// write/append/rename/remove sequences.
        #[test]
        fn model(ops in proptest::collection::vec((0u8..5, 0usize..4, 0usize..4, proptest::collection::vec(any::<u8>(), 0..20)), 1..60)) {
            let env = MemEnv::new();
            let mut model: HashMap<String, Vec<u8>> = HashMap::new();
            let name = |i: usize| format!("/db/{i}");
            for (op, a, b, data) in ops {
                match op {
                    0 => {
                        write_string_to_file(&*env, &data, &name(a), false).unwrap();
                        model.insert(name(a), data);
                    }
                    1 => {
                        let mut f = env.new_appendable_file(&name(a)).unwrap();
                        f.append(&data).unwrap();
                        model.entry(name(a)).or_default().extend_from_slice(&data);
                    }
                    2 => {
                        let r = env.rename_file(&name(a), &name(b));
                        match model.remove(&name(a)) {
                            Some(v) => { r.unwrap(); model.insert(name(b), v); }
                            None => prop_assert!(r.unwrap_err().is_io_error()),
                        }
                    }
                    3 => {
                        let r = env.remove_file(&name(a));
                        prop_assert_eq!(r.is_ok(), model.remove(&name(a)).is_some());
                    }
                    _ => {
                        match model.get(&name(a)) {
                            Some(v) => prop_assert_eq!(&read_file_to_vec(&*env, &name(a)).unwrap(), v),
                            None => prop_assert!(read_file_to_vec(&*env, &name(a)).unwrap_err().is_io_error()),
                        }
                    }
                }
            }
            let mut children = env.get_children("/db").unwrap();
            children.sort();
            let mut expected: Vec<String> = model.keys().map(|k| k[4..].to_string()).collect();
            expected.sort();
            prop_assert_eq!(children, expected);
        }
    }
}
