//! A fault-injecting [`Env`] wrapper for tests: fails chosen calls with an
//! `IO error` (any errno, e.g. `EIO` or `ENOSPC`), and models what survives
//! a power cut (LevelDB's `fault_injection_test` env and `db_test`'s
//! `SpecialEnv`, in one).
//!
//! Invariants:
//! - Durability model (that of the POSIX env, whose rules it mirrors):
//!   every file reached through the wrapper is an *inode* with the bytes
//!   appended so far (`written`) and the bytes made durable by its last
//!   successful `sync` (`synced`). Files are only ever appended to, so the
//!   durable contents are always a prefix of the written ones. Directory
//!   entries (creations, renames, removals) are durable only once their
//!   directory is synced (`sync_dir`, or the sync of a `MANIFEST*` file,
//!   which the POSIX env precedes by a directory sync). Until then a
//!   crash rolls the directory back, bringing back removed or replaced
//!   files with the bytes they had durably; the wrapper keeps those bytes.
//! - Files the wrapper first meets already existing (or made by
//!   `lock_file` / `new_logger`, which it does not track) count as durable
//!   as they are.
//! - [`FaultEnv::crash_image`] is the file system a power cut would leave:
//!   the durable directory entries, each with its durable bytes (options:
//!   zeros after a log's durable bytes, as the preallocated mapped log
//!   leaves it; or part of the unsynced bytes kept, as when some writeback
//!   happened first: a prefix of all appends in issue order, or a prefix of
//!   each file's independently). [`FaultEnv::cut_power_at_call`] stops the
//!   world at the k-th call: that call and every later one fails with
//!   `IO error: <path>: power lost`, so nothing after the cut can change
//!   the image. [`FaultEnv::record_images`] instead records the image after
//!   every change of the durable state, so one run yields the image of
//!   every crash point.
//! - Every fallible call (env, file and directory operations, reads) is
//!   counted, in total and per [`OpKind`] (the per-kind counts only for
//!   files the path filter accepts). An injected failure happens *instead
//!   of* the operation: a failed append writes nothing, a failed sync
//!   leaves the durable length unchanged, a failed rename or remove changes
//!   nothing.
//! - The older helpers ([`FaultEnv::drop_unsynced_data`] and
//!   [`FaultEnv::remove_files_created_after_last_dir_sync`]) apply a crash
//!   to the wrapped env in place.
//!
//! Thread-safety: all bookkeeping is behind one mutex, held across each
//! wrapped call, so calls are serialized and every recorded image is the
//! state between two calls.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
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

/// A file system as a power cut leaves it: full path to contents.
pub type Image = BTreeMap<String, Vec<u8>>;

/// The kinds of call a fault can be injected into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// Opening or creating a file (sequential, random-access, writable,
    /// appendable, info log).
    Open,
    /// Reading an open file.
    Read,
    /// Appending to or flushing a writable file.
    Append,
    /// Syncing a file or a directory.
    Sync,
    /// Closing a writable file.
    Close,
    Rename,
    /// Removing a file or a directory.
    Remove,
    Lock,
    /// Listing a directory, asking a file's size, creating a directory.
    Metadata,
}

const KINDS: usize = 9;

impl OpKind {
    pub const ALL: [OpKind; KINDS] = [
        OpKind::Open,
        OpKind::Read,
        OpKind::Append,
        OpKind::Sync,
        OpKind::Close,
        OpKind::Rename,
        OpKind::Remove,
        OpKind::Lock,
        OpKind::Metadata,
    ];
}

/// How a crash image treats bytes that were written but never synced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashOptions {
    /// Pads every `*.log` with zeros after its kept bytes up to a multiple
    /// of [`LOG_ZERO_FILL`]: the POSIX env preallocates a mapped log a
    /// chunk at a time and `fdatasync` makes that size durable, so a power
    /// cut leaves zeros where unsynced records were.
    pub zero_fill_logs: bool,
    /// Which unsynced bytes survive besides the synced ones.
    pub writeback: Writeback,
}

/// Unsynced bytes a power cut keeps, as when some writeback happened
/// before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Writeback {
    /// None of them: each file ends at its last sync.
    #[default]
    None,
    /// A prefix of all unsynced appends in the order they were made (across
    /// files), the last one possibly torn; the cut point is drawn from the
    /// seed. The device persisted writes in issue order.
    InOrder(u64),
    /// Each file independently keeps a prefix of its unsynced bytes, drawn
    /// from the seed and the path: writeback in any order across files.
    PerFile(u64),
    /// All of them (only directory entries are rolled back): everything
    /// was written back, or only the process died.
    All,
}

/// The granule [`CrashOptions::zero_fill_logs`] pads logs to (the POSIX
/// env's first log chunk).
pub const LOG_ZERO_FILL: usize = 64 << 10;

struct Inode {
    /// Bytes appended through the wrapper (or found when first met).
    written: u64,
    /// Bytes known durable.
    synced: u64,
    /// Appends since the last sync: (global append number, end offset).
    pending: Vec<(u64, u64)>,
    /// The file's bytes, kept when its last live name went away while a
    /// durable directory entry still names it.
    saved: Option<Arc<Vec<u8>>>,
}

#[derive(Default)]
struct Fs {
    next_ino: u64,
    /// Appends made so far, numbering them in issue order.
    appends: u64,
    inodes: HashMap<u64, Inode>,
    /// Names as they are now, of the files the wrapper tracks.
    live: BTreeMap<String, u64>,
    /// Names as of each directory's last sync.
    durable: BTreeMap<String, u64>,
    /// Every directory a tracked file or `create_dir` named.
    dirs: BTreeSet<String>,
}

impl Fs {
    fn new_inode(&mut self, written: u64, synced: u64) -> u64 {
        self.next_ino += 1;
        self.inodes.insert(
            self.next_ino,
            Inode {
                written,
                synced,
                pending: Vec::new(),
                saved: None,
            },
        );
        self.next_ino
    }

    fn is_durable(&self, ino: u64) -> bool {
        self.durable.values().any(|&i| i == ino)
    }

    /// Forgets what no name (live or durable) needs any more.
    fn collect(&mut self, ino: u64) {
        if self.is_durable(ino) {
            return;
        }
        if self.live.values().any(|&i| i == ino) {
            if let Some(inode) = self.inodes.get_mut(&ino) {
                inode.saved = None;
            }
        } else {
            self.inodes.remove(&ino);
        }
    }

    /// Makes the live entries of `dir` its durable ones.
    fn sync_dir(&mut self, dir: &str) {
        let old: Vec<(String, u64)> = self
            .durable
            .iter()
            .filter(|(p, _)| dirname(p) == dir)
            .map(|(p, &i)| (p.clone(), i))
            .collect();
        for (p, _) in &old {
            self.durable.remove(p);
        }
        for (p, &i) in &self.live {
            if dirname(p) == dir {
                self.durable.insert(p.clone(), i);
            }
        }
        for (_, ino) in old {
            self.collect(ino);
        }
    }
}

struct Injection {
    kind: OpKind,
    /// The per-kind count at which it fires.
    at: u64,
    errno: i32,
    persistent: bool,
}

#[derive(Default)]
struct Faults {
    fs: Fs,
    /// Every fallible call, whatever the filter.
    calls: u64,
    /// Calls per kind, of files the filter accepts.
    counts: [u64; KINDS],
    injections: Vec<Injection>,
    /// Kinds failing with an errno until `clear_faults`.
    stuck: [Option<i32>; KINDS],
    /// Injected failures returned so far.
    fired: u64,
    /// The call number at which the power goes off.
    cut_at: Option<u64>,
    power_off: bool,
    /// Images after each change of the durable state, with the number of
    /// calls made when it took effect.
    recording: Option<Vec<(u64, Image)>>,
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

    /// Counts a call and fails it if the power is off or a fault is due.
    fn gate(&mut self, kind: OpKind, path: &str) -> Result<()> {
        self.calls += 1;
        if self.cut_at == Some(self.calls) {
            self.power_off = true;
        }
        if self.power_off {
            return Err(Error::io_error(format!("{path}: power lost")));
        }
        if !self.applies_to(path) {
            return Ok(());
        }
        let i = kind as usize;
        self.counts[i] += 1;
        if let Some(errno) = self.stuck[i] {
            self.fired += 1;
            return Err(os_error(path, errno));
        }
        let due = self
            .injections
            .iter()
            .position(|j| j.kind == kind && j.at == self.counts[i]);
        if let Some(pos) = due {
            let j = self.injections.remove(pos);
            if j.persistent {
                self.stuck[i] = Some(j.errno);
            }
            self.fired += 1;
            return Err(os_error(path, j.errno));
        }
        Ok(())
    }
}

fn os_error(path: &str, errno: i32) -> Error {
    Error::from_io(path, &io::Error::from_raw_os_error(errno))
}

fn injected(path: &str, what: &str) -> Error {
    Error::io_error(format!("{path}: injected {what} failure"))
}

/// A stable pseudo-random number from a seed and a path.
fn mix(seed: u64, path: &str) -> u64 {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 31;
    h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

/// What the wrapper and its file objects share.
struct Shared {
    inner: Arc<dyn Env>,
    faults: Mutex<Faults>,
}

impl Shared {
    /// Starts tracking `path` if it exists untracked (as durable as is).
    fn adopt(&self, f: &mut Faults, path: &str) {
        f.fs.dirs.insert(dirname(path).to_string());
        if f.fs.live.contains_key(path) || !self.inner.file_exists(path) {
            return;
        }
        let size = self.inner.get_file_size(path).unwrap_or(0);
        let ino = f.fs.new_inode(size, size);
        f.fs.live.insert(path.to_string(), ino);
        f.fs.durable.insert(path.to_string(), ino);
    }

    /// Before `path`'s name goes away (removed or replaced): keeps its bytes
    /// if a crash could bring the name back.
    fn save_before_unlink(&self, f: &mut Faults, path: &str) {
        let Some(&ino) = f.fs.live.get(path) else {
            return;
        };
        if !f.fs.is_durable(ino) {
            return;
        }
        let needs = f.fs.inodes.get(&ino).is_some_and(|i| i.saved.is_none());
        if needs {
            if let Ok(data) = read_file_to_vec(&*self.inner, path) {
                if let Some(inode) = f.fs.inodes.get_mut(&ino) {
                    inode.saved = Some(Arc::new(data));
                }
            }
        }
    }

    /// After `path`'s name went away.
    fn unlinked(f: &mut Faults, path: &str) {
        if let Some(ino) = f.fs.live.remove(path) {
            f.fs.collect(ino);
        }
    }

    fn image(&self, f: &Faults, options: CrashOptions) -> Result<Image> {
        let mut out = Image::new();
        // Untracked files (LOCK, LOG, files written around the wrapper)
        // count as durable as they are.
        for dir in &f.fs.dirs {
            let Ok(children) = self.inner.get_children(dir) else {
                continue;
            };
            for name in children {
                let path = format!("{dir}/{name}");
                if f.fs.live.contains_key(&path) || f.fs.durable.contains_key(&path) {
                    continue;
                }
                if let Ok(data) = read_file_to_vec(&*self.inner, &path) {
                    out.insert(path, data);
                }
            }
        }
        // For in-order writeback: the first unsynced append lost.
        let cutoff = match options.writeback {
            Writeback::InOrder(seed) => {
                let pending = f.fs.durable.values().filter_map(|i| f.fs.inodes.get(i));
                let pending = pending.flat_map(|i| i.pending.iter().map(|p| p.0));
                let (lo, hi) = pending.fold((u64::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
                if lo > hi {
                    0
                } else {
                    lo + mix(seed, "") % (hi - lo + 2)
                }
            }
            _ => 0,
        };
        let live_name: HashMap<u64, &str> =
            f.fs.live.iter().map(|(p, &i)| (i, p.as_str())).collect();
        for (path, &ino) in &f.fs.durable {
            let Some(inode) = f.fs.inodes.get(&ino) else {
                continue;
            };
            let mut data = match (&inode.saved, live_name.get(&ino)) {
                (Some(saved), _) => saved.to_vec(),
                (None, Some(live)) => read_file_to_vec(&*self.inner, live)?,
                (None, None) => continue,
            };
            let keep = match options.writeback {
                Writeback::None => inode.synced,
                Writeback::All => inode.written,
                Writeback::PerFile(seed) => {
                    let unsynced = inode.written.saturating_sub(inode.synced);
                    inode.synced + mix(seed, path) % (unsynced + 1)
                }
                Writeback::InOrder(seed) => {
                    let mut keep = inode.synced;
                    for &(n, end) in &inode.pending {
                        if n < cutoff {
                            keep = end;
                        } else {
                            if n == cutoff {
                                keep += mix(seed ^ 1, path) % (end - keep + 1);
                            }
                            break;
                        }
                    }
                    keep
                }
            };
            let keep = usize::try_from(keep).unwrap_or(usize::MAX);
            data.truncate(keep);
            if options.zero_fill_logs && path.ends_with(".log") {
                let padded = data.len().div_ceil(LOG_ZERO_FILL) * LOG_ZERO_FILL;
                data.resize(padded, 0);
            }
            out.insert(path.clone(), data);
        }
        Ok(out)
    }

    /// Records the image after a change of the durable state.
    fn record(&self, f: &mut Faults) {
        if f.recording.is_some() {
            if let Ok(image) = self.image(f, CrashOptions::default()) {
                let calls = f.calls;
                if let Some(r) = f.recording.as_mut() {
                    r.push((calls, image));
                }
            }
        }
    }
}

/// Writes `image` into `env` (creating the directories it names): the file
/// system after the power comes back.
pub fn load_image(env: &dyn Env, image: &Image) -> Result<()> {
    let dirs: BTreeSet<&str> = image.keys().map(|p| dirname(p)).collect();
    for dir in dirs {
        env.create_dir(dir)?;
    }
    for (path, data) in image {
        write_string_to_file(env, data, path, false)?;
    }
    Ok(())
}

/// Pads every `*.log` of `image` with zeros as
/// [`CrashOptions::zero_fill_logs`] does.
pub fn zero_fill_logs(image: &mut Image) {
    for (path, data) in image.iter_mut() {
        if path.ends_with(".log") {
            let padded = data.len().div_ceil(LOG_ZERO_FILL) * LOG_ZERO_FILL;
            data.resize(padded, 0);
        }
    }
}

/// Wraps an [`Env`], injecting failures and modelling power cuts (see the
/// module doc).
pub struct FaultEnv {
    shared: Arc<Shared>,
}

impl FaultEnv {
    /// Creates (or truncates) `path` through `open` on the inner env, as a
    /// new inode of the model.
    fn create_file(
        &self,
        path: &str,
        open: impl FnOnce(&dyn Env) -> Result<Box<dyn WritableFile>>,
    ) -> Result<Box<dyn WritableFile>> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Open, path)?;
        Self::check_create(&f, path)?;
        // Replacing an existing file: its old bytes may come back after a
        // crash (modelled as a new file renamed over the old name).
        self.shared.adopt(&mut f, path);
        self.shared.save_before_unlink(&mut f, path);
        let file = open(self.shared.inner.as_ref())?;
        Shared::unlinked(&mut f, path);
        let ino = f.fs.new_inode(0, 0);
        f.fs.live.insert(path.to_string(), ino);
        drop(f);
        Ok(self.wrap(path, ino, file))
    }

    pub fn new(inner: Arc<dyn Env>) -> Arc<FaultEnv> {
        Arc::new(FaultEnv {
            shared: Arc::new(Shared {
                inner,
                faults: Mutex::new(Faults::default()),
            }),
        })
    }

    /// The wrapped env.
    pub fn inner(&self) -> &Arc<dyn Env> {
        &self.shared.inner
    }

    /// Makes the `n`-th call of `kind` from now (1-based, counting only
    /// files the filter accepts) fail with `errno`; if `persistent`, every
    /// later call of that kind fails too, until
    /// [`clear_faults`](FaultEnv::clear_faults) (a full disk stays full).
    pub fn inject(&self, kind: OpKind, n: u64, errno: i32, persistent: bool) {
        let mut f = self.shared.faults.lock();
        let at = f.counts[kind as usize] + n;
        f.injections.push(Injection {
            kind,
            at,
            errno,
            persistent,
        });
    }

    /// Calls of `kind` counted so far (of files the filter accepts).
    pub fn count(&self, kind: OpKind) -> u64 {
        self.shared.faults.lock().counts[kind as usize]
    }

    /// How many calls have failed by [`inject`](FaultEnv::inject) so far.
    pub fn faults_fired(&self) -> u64 {
        self.shared.faults.lock().fired
    }

    /// Every fallible call counted so far.
    pub fn calls_seen(&self) -> u64 {
        self.shared.faults.lock().calls
    }

    /// Cuts the power at the `n`-th call from now (1-based): that call and
    /// every later one fails with `IO error: <path>: power lost`.
    pub fn cut_power_at_call(&self, n: u64) {
        let mut f = self.shared.faults.lock();
        f.cut_at = (n > 0).then(|| f.calls + n);
    }

    /// Whether the power has been cut.
    pub fn power_is_off(&self) -> bool {
        self.shared.faults.lock().power_off
    }

    /// The file system a power cut now would leave (after
    /// [`cut_power_at_call`](FaultEnv::cut_power_at_call) fired: the one it
    /// left).
    pub fn crash_image(&self, options: CrashOptions) -> Result<Image> {
        let f = self.shared.faults.lock();
        self.shared.image(&f, options)
    }

    /// Starts (or stops) recording the crash image after every change of
    /// the durable state, starting with the current one.
    pub fn record_images(&self, on: bool) {
        let mut f = self.shared.faults.lock();
        if on {
            f.recording = Some(Vec::new());
            self.shared.record(&mut f);
        } else {
            f.recording = None;
        }
    }

    /// The recorded images, each with the number of calls made when it took
    /// effect: a power cut at call `k` (call `k` not done) leaves the last
    /// image recorded at fewer than `k` calls.
    pub fn take_recorded_images(&self) -> Vec<(u64, Image)> {
        let mut f = self.shared.faults.lock();
        f.recording.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Makes the `n`-th append from now (1-based, counting only files the
    /// filter accepts) fail once. `n == 0` cancels.
    pub fn fail_nth_write(&self, n: u64) {
        let mut f = self.shared.faults.lock();
        f.fail_write_at = (n > 0).then(|| f.writes_seen + n);
    }

    /// Makes the `n`-th sync from now fail once. `n == 0` cancels.
    pub fn fail_nth_sync(&self, n: u64) {
        let mut f = self.shared.faults.lock();
        f.fail_sync_at = (n > 0).then(|| f.syncs_seen + n);
    }

    /// While `on`, every append and sync fails, and so does creating a file
    /// for writing (a full or read-only disk).
    pub fn fail_all_writes(&self, on: bool) {
        self.shared.faults.lock().fail_all_writes = on;
    }

    /// From the `n`-th append from now on (1-based, counting only files the
    /// filter accepts), everything fails as with `fail_all_writes(true)`,
    /// until [`clear_faults`](FaultEnv::clear_faults): a disk that dies at
    /// a chosen point. `n == 0` cancels.
    pub fn fail_writes_from_nth(&self, n: u64) {
        let mut f = self.shared.faults.lock();
        f.fail_all_from_write = (n > 0).then(|| f.writes_seen + n);
    }

    /// Restricts counting and failures to files whose path `filter` accepts
    /// (e.g. only `MANIFEST-*`); `None` applies them to every file. Power
    /// cuts count every call.
    pub fn set_filter(&self, filter: Option<PathFilter>) {
        self.shared.faults.lock().filter = filter;
    }

    /// Appends counted so far.
    pub fn writes_seen(&self) -> u64 {
        self.shared.faults.lock().writes_seen
    }

    /// Syncs counted so far.
    pub fn syncs_seen(&self) -> u64 {
        self.shared.faults.lock().syncs_seen
    }

    /// Cancels every pending and persistent fault (the counters keep
    /// counting; a power cut stays).
    pub fn clear_faults(&self) {
        let mut f = self.shared.faults.lock();
        f.fail_write_at = None;
        f.fail_sync_at = None;
        f.fail_all_writes = false;
        f.fail_all_from_write = None;
        f.injections.clear();
        f.stuck = [None; KINDS];
    }

    /// The durable length the wrapper has recorded for `path`, if tracked.
    pub fn synced_len(&self, path: &str) -> Option<u64> {
        let f = self.shared.faults.lock();
        let ino = f.fs.live.get(path)?;
        f.fs.inodes.get(ino).map(|i| i.synced)
    }

    /// Applies the data half of a crash in place: truncates every tracked
    /// file to the length it had at its last successful sync. Files stay
    /// tracked, now fully durable.
    pub fn drop_unsynced_data(&self) -> Result<()> {
        let mut f = self.shared.faults.lock();
        let inner = &*self.shared.inner;
        let files: Vec<(String, u64)> = f.fs.live.iter().map(|(p, &i)| (p.clone(), i)).collect();
        for (path, ino) in files {
            let Some(inode) = f.fs.inodes.get_mut(&ino) else {
                continue;
            };
            if !inner.file_exists(&path) {
                continue;
            }
            let data = read_file_to_vec(inner, &path)?;
            let keep = usize::try_from(inode.synced).unwrap_or(usize::MAX);
            if data.len() > keep {
                write_string_to_file(inner, &data[..keep], &path, true)?;
            }
            inode.written = inode.synced;
            inode.pending.clear();
        }
        Ok(())
    }

    /// The directory half of a crash, in place: removes files whose names
    /// were created since their directory was last synced.
    pub fn remove_files_created_after_last_dir_sync(&self) -> Result<()> {
        let mut f = self.shared.faults.lock();
        let doomed: Vec<String> =
            f.fs.live
                .iter()
                .filter(|(p, i)| f.fs.durable.get(*p) != Some(*i))
                .map(|(p, _)| p.clone())
                .collect();
        for path in doomed {
            if self.shared.inner.file_exists(&path) {
                self.shared.inner.remove_file(&path)?;
            }
            Shared::unlinked(&mut f, &path);
        }
        Ok(())
    }

    fn check_create(f: &Faults, path: &str) -> Result<()> {
        if f.fail_all_writes && f.applies_to(path) {
            return Err(injected(path, "create"));
        }
        Ok(())
    }

    fn wrap(&self, path: &str, ino: u64, inner: Box<dyn WritableFile>) -> Box<dyn WritableFile> {
        Box::new(FaultWritableFile {
            path: path.to_string(),
            ino,
            inner,
            shared: self.shared.clone(),
        })
    }
}

struct FaultWritableFile {
    path: String,
    ino: u64,
    inner: Box<dyn WritableFile>,
    shared: Arc<Shared>,
}

impl WritableFile for FaultWritableFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Append, &self.path)?;
        if f.applies_to(&self.path) {
            f.writes_seen += 1;
            if f.fail_all_from_write == Some(f.writes_seen) {
                f.fail_all_writes = true;
            }
            if f.fail_all_writes || f.fail_write_at == Some(f.writes_seen) {
                return Err(injected(&self.path, "write"));
            }
        }
        self.inner.append(data)?;
        f.fs.appends += 1;
        let n = f.fs.appends;
        if let Some(inode) = f.fs.inodes.get_mut(&self.ino) {
            inode.written += data.len() as u64;
            let end = inode.written;
            inode.pending.push((n, end));
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Append, &self.path)?;
        self.inner.flush()
    }

    fn sync(&mut self) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Sync, &self.path)?;
        if f.applies_to(&self.path) {
            f.syncs_seen += 1;
            if f.fail_all_writes || f.fail_sync_at == Some(f.syncs_seen) {
                return Err(injected(&self.path, "sync"));
            }
        }
        self.inner.sync()?;
        if let Some(inode) = f.fs.inodes.get_mut(&self.ino) {
            inode.synced = inode.written;
            inode.pending.clear();
        }
        // The POSIX env syncs a MANIFEST's directory first.
        if basename(&self.path).starts_with("MANIFEST") {
            f.fs.sync_dir(dirname(&self.path));
        }
        self.shared.record(&mut f);
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Close, &self.path)?;
        self.inner.close()
    }
}

struct FaultSequentialFile {
    path: String,
    inner: Box<dyn SequentialFile>,
    shared: Arc<Shared>,
}

impl SequentialFile for FaultSequentialFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.shared.faults.lock().gate(OpKind::Read, &self.path)?;
        self.inner.read(buf)
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        self.shared.faults.lock().gate(OpKind::Read, &self.path)?;
        self.inner.skip(n)
    }
}

/// A random-access file whose reads are counted and can fail, and which
/// hides its inner file's mapping: this env may truncate files in place,
/// and touching a mapped page past a truncated end would raise SIGBUS
/// instead of giving a short read.
struct FaultRandomAccessFile {
    path: String,
    inner: Arc<dyn RandomAccessFile>,
    shared: Arc<Shared>,
}

impl RandomAccessFile for FaultRandomAccessFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.shared.faults.lock().gate(OpKind::Read, &self.path)?;
        self.inner.read_at(offset, buf)
    }
}

impl Env for FaultEnv {
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>> {
        self.shared.faults.lock().gate(OpKind::Open, path)?;
        let inner = self.shared.inner.new_sequential_file(path)?;
        Ok(Box::new(FaultSequentialFile {
            path: path.to_string(),
            inner,
            shared: self.shared.clone(),
        }))
    }

    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>> {
        self.shared.faults.lock().gate(OpKind::Open, path)?;
        let inner = self.shared.inner.new_random_access_file(path)?;
        Ok(Arc::new(FaultRandomAccessFile {
            path: path.to_string(),
            inner,
            shared: self.shared.clone(),
        }))
    }

    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        self.create_file(path, |inner| inner.new_writable_file(path))
    }

    fn new_log_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        // The inner env's own kind of log (the POSIX env's is mapped).
        self.create_file(path, |inner| inner.new_log_file(path))
    }

    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Open, path)?;
        Self::check_create(&f, path)?;
        self.shared.adopt(&mut f, path);
        let file = self.shared.inner.new_appendable_file(path)?;
        let size = self.shared.inner.get_file_size(path).unwrap_or(0);
        let ino = match f.fs.live.get(path) {
            Some(&ino) => ino,
            None => {
                let ino = f.fs.new_inode(0, 0);
                f.fs.live.insert(path.to_string(), ino);
                ino
            }
        };
        if let Some(inode) = f.fs.inodes.get_mut(&ino) {
            inode.written = size;
            inode.synced = inode.synced.min(size);
            inode.pending.retain(|p| p.1 <= size);
        }
        drop(f);
        Ok(self.wrap(path, ino, file))
    }

    fn file_exists(&self, path: &str) -> bool {
        self.shared.inner.file_exists(path)
    }

    fn get_children(&self, dir: &str) -> Result<Vec<String>> {
        self.shared.faults.lock().gate(OpKind::Metadata, dir)?;
        self.shared.inner.get_children(dir)
    }

    fn remove_file(&self, path: &str) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Remove, path)?;
        self.shared.adopt(&mut f, path);
        self.shared.save_before_unlink(&mut f, path);
        self.shared.inner.remove_file(path)?;
        Shared::unlinked(&mut f, path);
        Ok(())
    }

    fn create_dir(&self, path: &str) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Metadata, path)?;
        self.shared.inner.create_dir(path)?;
        f.fs.dirs.insert(path.trim_end_matches('/').to_string());
        Ok(())
    }

    fn remove_dir(&self, path: &str) -> Result<()> {
        self.shared.faults.lock().gate(OpKind::Remove, path)?;
        self.shared.inner.remove_dir(path)
    }

    fn get_file_size(&self, path: &str) -> Result<u64> {
        self.shared.faults.lock().gate(OpKind::Metadata, path)?;
        self.shared.inner.get_file_size(path)
    }

    fn rename_file(&self, from: &str, to: &str) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Rename, from)?;
        self.shared.adopt(&mut f, from);
        self.shared.adopt(&mut f, to);
        self.shared.save_before_unlink(&mut f, to);
        self.shared.inner.rename_file(from, to)?;
        Shared::unlinked(&mut f, to);
        if let Some(ino) = f.fs.live.remove(from) {
            f.fs.live.insert(to.to_string(), ino);
        }
        Ok(())
    }

    fn sync_dir(&self, path: &str) -> Result<()> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Sync, path)?;
        self.shared.inner.sync_dir(path)?;
        f.fs.sync_dir(path.trim_end_matches('/'));
        self.shared.record(&mut f);
        Ok(())
    }

    fn lock_file(&self, path: &str) -> Result<Box<dyn FileLock>> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Lock, path)?;
        f.fs.dirs.insert(dirname(path).to_string());
        self.shared.inner.lock_file(path)
    }

    fn new_logger(&self, path: &str) -> Result<Arc<dyn Logger>> {
        let mut f = self.shared.faults.lock();
        f.gate(OpKind::Open, path)?;
        f.fs.dirs.insert(dirname(path).to_string());
        self.shared.inner.new_logger(path)
    }

    fn now_micros(&self) -> u64 {
        self.shared.inner.now_micros()
    }

    fn sleep_for_micros(&self, micros: u64) {
        self.shared.inner.sleep_for_micros(micros)
    }

    fn schedule(&self, work: Box<dyn FnOnce() + Send>) {
        self.shared.inner.schedule(work)
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

    #[test]
    fn injected_errors_by_kind_once_or_for_good() {
        let env = FaultEnv::new(MemEnv::new());
        let mut w = env.new_writable_file("/d/f").unwrap();
        env.inject(OpKind::Rename, 1, libc::EIO, false);
        let e = env.rename_file("/d/f", "/d/g").unwrap_err();
        assert_eq!(e.to_string(), "IO error: /d/f: Input/output error");
        assert!(env.file_exists("/d/f"), "a failed rename changes nothing");
        env.rename_file("/d/f", "/d/g").unwrap();
        env.inject(OpKind::Append, 2, libc::ENOSPC, true);
        w.append(b"1").unwrap();
        for _ in 0..3 {
            let e = w.append(b"2").unwrap_err();
            // A writer names the file by the path it was opened with.
            assert_eq!(e.to_string(), "IO error: /d/f: No space left on device");
        }
        w.sync().unwrap();
        assert_eq!(env.faults_fired(), 4);
        assert_eq!(env.count(OpKind::Append), 4);
        env.clear_faults();
        w.append(b"3").unwrap();
        assert_eq!(read(&*env, "/d/g"), b"13");
        env.inject(OpKind::Lock, 1, libc::EIO, false);
        assert!(env.lock_file("/d/LOCK").is_err());
        env.inject(OpKind::Read, 1, libc::EIO, false);
        assert!(read_file_to_vec(&*env, "/d/g").is_err());
        env.inject(OpKind::Open, 1, libc::EIO, false);
        assert!(env.new_random_access_file("/d/g").is_err());
        env.inject(OpKind::Metadata, 1, libc::EIO, false);
        assert!(env.get_children("/d").is_err());
    }

    #[test]
    fn power_cut_fails_the_call_and_every_later_one() {
        let env = FaultEnv::new(MemEnv::new());
        let mut w = env.new_writable_file("/d/f").unwrap();
        env.cut_power_at_call(2);
        w.append(b"x").unwrap();
        assert!(!env.power_is_off());
        let e = w.sync().unwrap_err();
        assert_eq!(e.to_string(), "IO error: /d/f: power lost");
        assert!(env.power_is_off());
        assert!(env.new_writable_file("/d/g").is_err());
        assert!(env.remove_file("/d/f").is_err());
        // Nothing after the cut changed the file system.
        assert!(!env.inner().file_exists("/d/g"));
        assert!(env.inner().file_exists("/d/f"));
    }

    #[test]
    fn crash_image_rolls_back_unsynced_data_and_directory_entries() {
        let env = FaultEnv::new(MemEnv::new());
        let mut a = env.new_writable_file("/d/a").unwrap();
        a.append(b"A1").unwrap();
        a.sync().unwrap();
        write_string_to_file(&*env, b"old", "/d/old", true).unwrap();
        env.sync_dir("/d").unwrap();
        a.append(b"A2").unwrap();
        env.rename_file("/d/a", "/d/c").unwrap();
        write_string_to_file(&*env, b"new", "/d/b", true).unwrap();
        env.remove_file("/d/old").unwrap();
        let image = env.crash_image(CrashOptions::default()).unwrap();
        let names: Vec<&str> = image.keys().map(String::as_str).collect();
        assert_eq!(names, ["/d/a", "/d/old"]);
        assert_eq!(image["/d/a"], b"A1");
        assert_eq!(
            image["/d/old"], b"old",
            "a removal not yet durable is undone"
        );
        let all = env
            .crash_image(CrashOptions {
                zero_fill_logs: false,
                writeback: Writeback::All,
            })
            .unwrap();
        assert_eq!(all["/d/a"], b"A1A2");
        env.sync_dir("/d").unwrap();
        let image = env.crash_image(CrashOptions::default()).unwrap();
        let names: Vec<&str> = image.keys().map(String::as_str).collect();
        assert_eq!(names, ["/d/b", "/d/c"]);
        assert_eq!(image["/d/c"], b"A1");
        // Loaded into a fresh env, the image is the file system.
        let fresh = MemEnv::new();
        load_image(&*fresh, &image).unwrap();
        assert_eq!(read(&*fresh, "/d/b"), b"new");
    }

    #[test]
    fn writeback_modes_and_zero_filled_logs() {
        let env = FaultEnv::new(MemEnv::new());
        let mut x = env.new_writable_file("/d/x.log").unwrap();
        let mut y = env.new_writable_file("/d/y").unwrap();
        env.sync_dir("/d").unwrap();
        for (i, piece) in [b"x1", b"y1", b"x2", b"y2"].iter().enumerate() {
            if i % 2 == 0 {
                x.append(*piece).unwrap();
            } else {
                y.append(*piece).unwrap();
            }
        }
        let mut seen = BTreeSet::new();
        for seed in 0..200 {
            let writeback = Writeback::InOrder(seed);
            let image = env
                .crash_image(CrashOptions {
                    zero_fill_logs: false,
                    writeback,
                })
                .unwrap();
            let (xs, ys) = (image["/d/x.log"].clone(), image["/d/y"].clone());
            // Issue order x1 y1 x2 y2: a later piece survives only if all
            // earlier ones did (the first lost one may be torn).
            let total = xs.len() + ys.len();
            let expect: &[u8] = b"x1y1x2y2";
            let mut merged = Vec::new();
            for i in 0..4 {
                let (f, o) = if i % 2 == 0 { (&xs, i) } else { (&ys, i - 1) };
                merged.extend_from_slice(&f[(o).min(f.len())..(o + 2).min(f.len())]);
            }
            assert_eq!(merged, &expect[..total], "seed {seed}");
            seen.insert(total);
        }
        assert!(seen.len() > 4, "cut points vary: {seen:?}");
        let padded = env
            .crash_image(CrashOptions {
                zero_fill_logs: true,
                writeback: Writeback::None,
            })
            .unwrap();
        assert_eq!(padded["/d/x.log"], vec![0u8; 0]);
        x.sync().unwrap();
        let padded = env
            .crash_image(CrashOptions {
                zero_fill_logs: true,
                writeback: Writeback::None,
            })
            .unwrap();
        assert_eq!(padded["/d/x.log"].len(), LOG_ZERO_FILL);
        assert_eq!(&padded["/d/x.log"][..4], b"x1x2");
        assert!(padded["/d/x.log"][4..].iter().all(|&b| b == 0));
        assert_eq!(padded["/d/y"], b"");
    }

    #[test]
    fn recorded_images_follow_each_durable_change() {
        let env = FaultEnv::new(MemEnv::new());
        env.record_images(true);
        let mut f = env.new_writable_file("/d/f").unwrap();
        f.append(b"1").unwrap();
        f.sync().unwrap(); // call 3
        env.sync_dir("/d").unwrap(); // call 4
        let images = env.take_recorded_images();
        let at: Vec<u64> = images.iter().map(|i| i.0).collect();
        assert_eq!(at, [0, 3, 4]);
        assert!(images[1].1.is_empty(), "synced data, entry not yet durable");
        assert_eq!(images[2].1["/d/f"], b"1");
    }
}
