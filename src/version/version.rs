//! One immutable version of the database's file set, and the reads that go
//! through it: point lookups, overlap queries and the per-level
//! concatenating iterator.
//!
//! Invariants: `files[0]` is sorted by smallest key (ties by file number)
//! and may overlap; `files[L]` for L ≥ 1 is sorted and disjoint. A version
//! never changes after it is built, except for its seek-charging state
//! (`allowed_seeks` counters and `file_to_compact`), which is atomic or
//! behind its own mutex. Thread-safe.

use std::cmp::Ordering;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use crate::iterator::{InternalIterator, OrFailed};
use crate::key::{
    debug_internal_key, extract_user_key, internal_key, parse_internal_key, InternalKeyComparator,
    LookupKey, LookupOutcome, ValueType, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK,
};
use crate::status::{Error, Result};
use crate::table::reader::TableIter;
use crate::table::{BlockReadOptions, TableCache};
use crate::util::bloom;
use crate::util::comparator::Comparator;
use crate::util::key_words::{shared_prefix_len, KeyWords};

use super::edit::FileMetaData;
use super::{max_grand_parent_overlap_bytes, total_file_size, MAX_MEM_COMPACT_LEVEL, NUM_LEVELS};

pub type FileList = Vec<Arc<FileMetaData>>;

/// The file a lookup charges a seek to (the first one it consulted, when it
/// had to consult more than one).
#[derive(Default)]
pub struct GetStats {
    pub seek_file: Option<(Arc<FileMetaData>, usize)>,
}

/// A set of table files per level.
pub struct Version {
    pub(crate) files: [FileList; NUM_LEVELS],
    /// Level-0 files, newest (highest number) first: the order reads
    /// search them in.
    pub(crate) level0_newest_first: FileList,
    pub(crate) icmp: InternalKeyComparator,
    pub(crate) table_cache: Arc<TableCache>,
    /// Level with the highest compaction score, and that score (set once
    /// when the version is finalized).
    pub(crate) compaction_level: usize,
    pub(crate) compaction_score: f64,
    /// A file that has been seeked too often, and its level.
    pub(crate) file_to_compact: Mutex<Option<(Arc<FileMetaData>, usize)>>,
    /// Per level, the largest user keys of its files as [`KeyWords`],
    /// built at the level's first lookup (see `find_file_in_level`).
    level_keys: [OnceLock<Option<KeyWords>>; NUM_LEVELS],
}

/// Levels with fewer files keep no [`KeyWords`]: a plain binary search
/// over a few files is as quick.
const LEVEL_KEYS_MIN_FILES: usize = 8;

/// Index of the first file in sorted, disjoint `files` whose largest key is
/// `>= key`, or `files.len()`.
pub fn find_file(icmp: &InternalKeyComparator, files: &[Arc<FileMetaData>], key: &[u8]) -> usize {
    files.partition_point(|f| icmp.compare(&f.largest, key) == Ordering::Less)
}

fn after_file(ucmp: &dyn Comparator, user_key: Option<&[u8]>, f: &FileMetaData) -> bool {
    // A missing key comes before every file.
    user_key.is_some_and(|k| {
        ucmp.compare(k, crate::key::extract_user_key(&f.largest)) == Ordering::Greater
    })
}

fn before_file(ucmp: &dyn Comparator, user_key: Option<&[u8]>, f: &FileMetaData) -> bool {
    // A missing key comes after every file.
    user_key.is_some_and(|k| {
        ucmp.compare(k, crate::key::extract_user_key(&f.smallest)) == Ordering::Less
    })
}

/// Whether some file of `files` overlaps the user-key range
/// `[smallest, largest]` (`None` = unbounded). `disjoint` says the files are
/// sorted and disjoint, allowing a binary search.
pub fn some_file_overlaps_range(
    icmp: &InternalKeyComparator,
    disjoint: bool,
    files: &[Arc<FileMetaData>],
    smallest_user: Option<&[u8]>,
    largest_user: Option<&[u8]>,
) -> bool {
    let ucmp = icmp.user_comparator().as_ref();
    if !disjoint {
        return files
            .iter()
            .any(|f| !(after_file(ucmp, smallest_user, f) || before_file(ucmp, largest_user, f)));
    }
    let index = match smallest_user {
        Some(s) => find_file(
            icmp,
            files,
            &internal_key(s, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK),
        ),
        None => 0,
    };
    if index >= files.len() {
        return false;
    }
    !before_file(ucmp, largest_user, &files[index])
}

impl Version {
    pub(crate) fn new(icmp: InternalKeyComparator, table_cache: Arc<TableCache>) -> Version {
        Version {
            files: Default::default(),
            level0_newest_first: Vec::new(),
            icmp,
            table_cache,
            compaction_level: 0,
            compaction_score: -1.0,
            file_to_compact: Mutex::new(None),
            level_keys: Default::default(),
        }
    }

    /// The largest user keys of the files of `level` (1 or deeper) as
    /// [`KeyWords`], built on first use; `None` for few files, a user
    /// comparator other than bytewise (whose order the words would not
    /// follow), or keys that are not sorted (a damaged MANIFEST).
    fn level_keys(&self, level: usize) -> Option<&KeyWords> {
        self.level_keys[level]
            .get_or_init(|| {
                let files = &self.files[level];
                if level == 0
                    || files.len() < LEVEL_KEYS_MIN_FILES
                    || !self.icmp.user_comparator().is_bytewise()
                    || files.iter().any(|f| f.largest.len() < 8)
                {
                    return None;
                }
                let first = extract_user_key(&files[0].largest);
                let last = extract_user_key(&files[files.len() - 1].largest);
                let common = &first[..shared_prefix_len(first, last)];
                KeyWords::new(common, files.iter().map(|f| extract_user_key(&f.largest)))
            })
            .as_ref()
    }

    /// [`find_file`] over the files of `level` (1 or deeper), narrowed by
    /// the level's [`KeyWords`]: a lookup's binary search over the files
    /// would otherwise follow two pointers to each probed file's largest
    /// key, cold when the level has hundreds of files.
    pub(crate) fn find_file_in_level(&self, level: usize, internal_key: &[u8]) -> usize {
        let files = &self.files[level];
        match self.level_keys(level) {
            Some(keys) => {
                // Files before `below` end below the key's user key, files
                // from `above` on end above it: the answer is in between.
                let (below, above) = keys.bounds(extract_user_key(internal_key));
                below + find_file(&self.icmp, &files[below..above], internal_key)
            }
            None => find_file(&self.icmp, files, internal_key),
        }
    }

    pub fn files(&self, level: usize) -> &[Arc<FileMetaData>] {
        &self.files[level]
    }

    pub fn num_files(&self, level: usize) -> usize {
        self.files[level].len()
    }

    pub fn num_level_bytes(&self, level: usize) -> u64 {
        total_file_size(&self.files[level])
    }

    /// Looks `key` up in the tables, newest data first.
    pub fn get(
        &self,
        options: &BlockReadOptions,
        key: &LookupKey,
        value_sink: &mut dyn FnMut(&[u8]),
        stats: &mut GetStats,
    ) -> Result<LookupOutcome> {
        let ikey = key.internal_key();
        let user_key = key.user_key();
        let ucmp = self.icmp.user_comparator().as_ref();
        // Borrowed, not cloned: a reference-count bump per file consulted
        // would make every concurrent reader write the same cache line.
        let mut last_read: Option<(&Arc<FileMetaData>, usize)> = None;
        let mut first_charged = false;
        let mut key_hash: Option<u32> = None;

        // Level 0 files may overlap each other: search all that can hold the
        // key, newest first. Deeper levels are disjoint: at most one file
        // each. Candidates are produced lazily, in search order.
        let l0 = self
            .level0_newest_first
            .iter()
            .filter(|f| {
                !before_file(ucmp, Some(user_key), f) && !after_file(ucmp, Some(user_key), f)
            })
            .map(|f| (f, 0));
        let deeper = (1..NUM_LEVELS).filter_map(|level| {
            let f = self.files[level].get(self.find_file_in_level(level, ikey))?;
            (!before_file(ucmp, Some(user_key), f)).then_some((f, level))
        });

        for (f, level) in l0.chain(deeper) {
            if let Some((prev, prev_level)) = last_read.take() {
                if !first_charged {
                    // More than one file consulted: charge the first.
                    stats.seek_file = Some((Arc::clone(prev), prev_level));
                    first_charged = true;
                }
            }
            last_read = Some((f, level));
            // A file its key filter rules out still counts as consulted
            // above, as LevelDB (which reads it) counts it for seek
            // compactions.
            if let Some(filter) = &f.key_filter {
                let h = *key_hash.get_or_insert_with(|| bloom::bloom_hash(user_key));
                if !bloom::hash_may_match(h, filter) {
                    continue;
                }
            }
            let mut outcome: Option<Result<LookupOutcome>> = None;
            self.table_cache.get(
                options,
                f.number,
                f.file_size,
                ikey,
                &mut |found_key, value| match parse_internal_key(found_key) {
                    None => {
                        outcome = Some(Err(Error::corruption(format!(
                            "corrupted key for {}",
                            String::from_utf8_lossy(user_key)
                        ))))
                    }
                    Some(parsed) => {
                        if ucmp.compare(parsed.user_key, user_key) == Ordering::Equal {
                            outcome = Some(Ok(match parsed.value_type {
                                ValueType::Value => {
                                    value_sink(value);
                                    LookupOutcome::Found
                                }
                                ValueType::Deletion => LookupOutcome::Deleted,
                            }));
                        }
                    }
                },
            )?;
            if let Some(found) = outcome {
                return found;
            }
        }
        Ok(LookupOutcome::Missing)
    }

    /// Charges a seek to the file in `stats`; true if that makes it due for
    /// compaction (LevelDB's UpdateStats).
    pub fn update_stats(&self, stats: &GetStats) -> bool {
        if let Some((f, level)) = &stats.seek_file {
            let left = f.allowed_seeks.fetch_sub(1, AtomicOrdering::Relaxed) - 1;
            if left <= 0 {
                let mut due = self.file_to_compact.lock();
                if due.is_none() {
                    *due = Some((Arc::clone(f), *level));
                    return true;
                }
            }
        }
        false
    }

    /// Read sampling: if at least two files overlap `internal_key`'s user
    /// key, charge the first (LevelDB's RecordReadSample).
    pub fn record_read_sample(&self, internal_key: &[u8]) -> bool {
        let Some(parsed) = parse_internal_key(internal_key) else {
            return false;
        };
        let ucmp = self.icmp.user_comparator().as_ref();
        let mut first: Option<(Arc<FileMetaData>, usize)> = None;
        let mut matches = 0;
        let user_key = parsed.user_key;
        let contains = |f: &FileMetaData| {
            ucmp.compare(user_key, crate::key::extract_user_key(&f.smallest)) != Ordering::Less
                && ucmp.compare(user_key, crate::key::extract_user_key(&f.largest))
                    != Ordering::Greater
        };
        for f in self.level0_newest_first.iter().filter(|f| contains(f)) {
            matches += 1;
            if first.is_none() {
                first = Some((Arc::clone(f), 0));
            }
            if matches >= 2 {
                break;
            }
        }
        if matches < 2 {
            for level in 1..NUM_LEVELS {
                let files = &self.files[level];
                let index = find_file(&self.icmp, files, internal_key);
                if index < files.len() && contains(&files[index]) {
                    matches += 1;
                    if first.is_none() {
                        first = Some((Arc::clone(&files[index]), level));
                    }
                    if matches >= 2 {
                        break;
                    }
                }
            }
        }
        if matches >= 2 {
            return self.update_stats(&GetStats { seek_file: first });
        }
        false
    }

    /// Whether some file at `level` overlaps the user-key range.
    pub fn overlap_in_level(
        &self,
        level: usize,
        smallest_user: Option<&[u8]>,
        largest_user: Option<&[u8]>,
    ) -> bool {
        some_file_overlaps_range(
            &self.icmp,
            level > 0,
            &self.files[level],
            smallest_user,
            largest_user,
        )
    }

    /// The level a flushed memtable covering `[smallest_user, largest_user]`
    /// goes to: pushed below level 0 (up to level 2) while it overlaps
    /// nothing there and not too much in the level below.
    pub fn pick_level_for_memtable_output(
        &self,
        smallest_user: &[u8],
        largest_user: &[u8],
        max_file_size: usize,
    ) -> usize {
        let mut level = 0;
        if !self.overlap_in_level(0, Some(smallest_user), Some(largest_user)) {
            let start = internal_key(smallest_user, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
            let limit = internal_key(largest_user, 0, ValueType::Deletion);
            while level < MAX_MEM_COMPACT_LEVEL {
                if self.overlap_in_level(level + 1, Some(smallest_user), Some(largest_user)) {
                    break;
                }
                if level + 2 < NUM_LEVELS {
                    let overlaps =
                        self.get_overlapping_inputs(level + 2, Some(&start), Some(&limit));
                    if total_file_size(&overlaps) > max_grand_parent_overlap_bytes(max_file_size) {
                        break;
                    }
                }
                level += 1;
            }
        }
        level
    }

    /// Files of `level` overlapping the internal-key range `[begin, end]`
    /// (compared by user key; `None` = unbounded). On level 0 the range grows
    /// to cover every file that overlaps a file already chosen.
    pub fn get_overlapping_inputs(
        &self,
        level: usize,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> FileList {
        let ucmp = self.icmp.user_comparator().as_ref();
        let mut user_begin: Option<Vec<u8>> =
            begin.map(|b| crate::key::extract_user_key(b).to_vec());
        let mut user_end: Option<Vec<u8>> = end.map(|e| crate::key::extract_user_key(e).to_vec());
        let mut inputs = Vec::new();
        let files = &self.files[level];
        let mut i = 0;
        while i < files.len() {
            let f = &files[i];
            i += 1;
            let file_start = crate::key::extract_user_key(&f.smallest);
            let file_limit = crate::key::extract_user_key(&f.largest);
            if user_begin
                .as_deref()
                .is_some_and(|b| ucmp.compare(file_limit, b) == Ordering::Less)
            {
                continue;
            }
            if user_end
                .as_deref()
                .is_some_and(|e| ucmp.compare(file_start, e) == Ordering::Greater)
            {
                continue;
            }
            inputs.push(Arc::clone(f));
            if level == 0 {
                // Level-0 files may overlap each other: widen the range and
                // start over if this file sticks out of it.
                if user_begin
                    .as_deref()
                    .is_some_and(|b| ucmp.compare(file_start, b) == Ordering::Less)
                {
                    user_begin = Some(file_start.to_vec());
                    inputs.clear();
                    i = 0;
                } else if user_end
                    .as_deref()
                    .is_some_and(|e| ucmp.compare(file_limit, e) == Ordering::Greater)
                {
                    user_end = Some(file_limit.to_vec());
                    inputs.clear();
                    i = 0;
                }
            }
        }
        inputs
    }

    /// Iterators over this version's tables: one per level-0 file and one
    /// concatenating iterator per deeper level.
    pub fn add_iterators(
        self: &Arc<Self>,
        options: &BlockReadOptions,
        iters: &mut Vec<Box<dyn InternalIterator>>,
    ) {
        for f in &self.files[0] {
            iters.push(self.table_cache.iter(options, f.number, f.file_size));
        }
        for level in 1..NUM_LEVELS {
            if !self.files[level].is_empty() {
                iters.push(Box::new(LevelIterator::new(
                    self.icmp.clone(),
                    Arc::clone(&self.table_cache),
                    LevelFiles::Version(Arc::clone(self), level),
                    *options,
                )));
            }
        }
    }

    /// `files[ n0 n1 ... n6 ]` (LevelDB's LevelSummary).
    pub fn level_summary(&self) -> String {
        let counts: Vec<String> = self.files.iter().map(|f| f.len().to_string()).collect();
        format!("files[ {} ]", counts.join(" "))
    }

    /// The `leveldb.sstables` text.
    pub fn debug_string(&self) -> String {
        let mut r = String::new();
        for (level, files) in self.files.iter().enumerate() {
            r.push_str(&format!("--- level {level} ---\n"));
            for f in files {
                r.push_str(&format!(
                    " {}:{}[{} .. {}]\n",
                    f.number,
                    f.file_size,
                    debug_internal_key(&f.smallest),
                    debug_internal_key(&f.largest)
                ));
            }
        }
        r
    }

    /// Approximate byte offset of internal key `key` in the whole database.
    pub fn approximate_offset_of(&self, key: &[u8]) -> u64 {
        let mut result = 0;
        for (level, files) in self.files.iter().enumerate() {
            for f in files {
                // Files above level 0 are sorted: none after this one
                // holds anything before `key`.
                if level > 0 && self.icmp.compare(&f.smallest, key) == Ordering::Greater {
                    break;
                }
                result += self.file_bytes_before(f, key);
            }
        }
        result
    }

    /// Approximate bytes of file `f` before internal key `key`: all of it,
    /// none, or, for a key inside its range, the offset its table's index
    /// gives (0 if the table cannot be opened).
    pub(crate) fn file_bytes_before(&self, f: &FileMetaData, key: &[u8]) -> u64 {
        if self.icmp.compare(&f.largest, key) != Ordering::Greater {
            f.file_size
        } else if self.icmp.compare(&f.smallest, key) == Ordering::Greater {
            0
        } else {
            self.table_cache
                .approximate_offset_of(f.number, f.file_size, key)
        }
    }
}

/// The files a [`LevelIterator`] walks: a level of a version (borrowed
/// through the version, so creating an iterator copies no file list), or a
/// list of its own.
pub enum LevelFiles {
    Version(Arc<Version>, usize),
    Owned(FileList),
}

impl LevelFiles {
    fn get(&self) -> &[Arc<FileMetaData>] {
        match self {
            LevelFiles::Version(v, level) => &v.files[*level],
            LevelFiles::Owned(files) => files,
        }
    }
}

/// Iterates the sorted, disjoint files of one level as one sequence,
/// opening each table only when reached.
pub struct LevelIterator {
    icmp: InternalKeyComparator,
    table_cache: Arc<TableCache>,
    files: LevelFiles,
    options: BlockReadOptions,
    /// Index of the file `current` reads; `files.len()` when none.
    index: usize,
    current: Option<OrFailed<TableIter>>,
    status: Result<()>,
}

impl LevelIterator {
    pub fn new(
        icmp: InternalKeyComparator,
        table_cache: Arc<TableCache>,
        files: LevelFiles,
        options: BlockReadOptions,
    ) -> LevelIterator {
        let index = files.get().len();
        LevelIterator {
            icmp,
            table_cache,
            files,
            options,
            index,
            current: None,
            status: Ok(()),
        }
    }

    fn open(&mut self, index: usize) {
        if index >= self.files.get().len() {
            self.save_status();
            self.current = None;
            self.index = self.files.get().len();
            return;
        }
        if self.index == index && self.current.is_some() {
            return;
        }
        self.save_status();
        let f = &self.files.get()[index];
        self.current = Some(
            self.table_cache
                .table_iter(&self.options, f.number, f.file_size),
        );
        self.index = index;
    }

    /// The index of the file the iterator reads (the number of files once
    /// it has run off the end): every file before it has been read past.
    pub fn file_index(&self) -> usize {
        self.index
    }

    fn save_status(&mut self) {
        if let Some(it) = &self.current {
            if self.status.is_ok() {
                if let Err(e) = it.status() {
                    self.status = Err(e);
                }
            }
        }
    }

    fn current_valid(&self) -> bool {
        self.current.as_ref().is_some_and(|it| it.valid())
    }

    fn skip_empty_forward(&mut self) {
        while !self.current_valid() {
            if self.index + 1 >= self.files.get().len() {
                self.save_status();
                self.current = None;
                self.index = self.files.get().len();
                return;
            }
            let next = self.index + 1;
            self.open(next);
            if let Some(it) = self.current.as_mut() {
                it.seek_to_first();
            }
        }
    }

    fn skip_empty_backward(&mut self) {
        while !self.current_valid() {
            if self.index == 0 || self.index > self.files.get().len() || self.current.is_none() {
                self.save_status();
                self.current = None;
                self.index = self.files.get().len();
                return;
            }
            let prev = self.index - 1;
            self.open(prev);
            if let Some(it) = self.current.as_mut() {
                it.seek_to_last();
            }
        }
    }
}

impl InternalIterator for LevelIterator {
    fn valid(&self) -> bool {
        self.current_valid()
    }
    fn seek_to_first(&mut self) {
        self.open(0);
        if let Some(it) = self.current.as_mut() {
            it.seek_to_first();
        }
        self.skip_empty_forward();
    }
    fn seek_to_last(&mut self) {
        if self.files.get().is_empty() {
            self.current = None;
            return;
        }
        self.open(self.files.get().len() - 1);
        if let Some(it) = self.current.as_mut() {
            it.seek_to_last();
        }
        self.skip_empty_backward();
    }
    fn seek(&mut self, target: &[u8]) {
        let index = match &self.files {
            // A version's level has its key words, as lookups use them.
            LevelFiles::Version(v, level) => v.find_file_in_level(*level, target),
            LevelFiles::Owned(files) => find_file(&self.icmp, files, target),
        };
        self.open(index);
        if let Some(it) = self.current.as_mut() {
            it.seek(target);
        }
        self.skip_empty_forward();
    }
    fn next(&mut self) {
        if let Some(it) = self.current.as_mut() {
            it.next();
        }
        self.skip_empty_forward();
    }
    fn prev(&mut self) {
        if let Some(it) = self.current.as_mut() {
            it.prev();
        }
        self.skip_empty_backward();
    }
    fn key(&self) -> &[u8] {
        self.current.as_ref().expect("valid iterator").key()
    }
    fn value(&self) -> &[u8] {
        self.current.as_ref().expect("valid iterator").value()
    }
    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        self.current.as_ref()?.current_key()
    }
    fn stored_block(&self, at_start: bool) -> Option<crate::table::format::StoredBlock<'_>> {
        self.current.as_ref()?.stored_block(at_start)
    }
    fn status(&self) -> Result<()> {
        self.status.clone()?;
        match &self.current {
            Some(it) => it.status(),
            None => Ok(()),
        }
    }
}
