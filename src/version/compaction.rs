//! Choosing compactions (LevelDB's PickCompaction / CompactRange /
//! SetupOtherInputs) and the per-compaction state used while writing its
//! output (grandparent overlap, base-level checks).
//!
//! Invariants: a compaction of level L takes `inputs[0]` from L and every
//! file of L+1 overlapping them as `inputs[1]`; inputs of level L are
//! widened so no user key is split between a compacted file and a file
//! left behind at L. Not thread-safe: picked under the DB mutex and then
//! owned by the background thread; each part of a split compaction has its
//! own copy ([`Compaction::part`]) on its own thread.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::key::{
    append_internal_key, extract_user_key, InternalKeyComparator, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK,
};
use crate::util::comparator::Comparator;

use super::edit::{FileMetaData, VersionEdit};
use super::set::{info_log, VersionSet};
use super::version::{FileList, Version};
use super::{
    expanded_compaction_byte_size_limit, max_grand_parent_overlap_bytes, target_file_size,
    total_file_size, NUM_LEVELS,
};

/// One compaction: the files it reads and the edit that records it.
pub struct Compaction {
    pub level: usize,
    pub max_output_file_size: u64,
    max_grandparent_overlap: u64,
    pub input_version: Arc<Version>,
    pub edit: VersionEdit,
    /// `inputs[0]` from `level`, `inputs[1]` from `level + 1`.
    pub inputs: [FileList; 2],
    grandparents: FileList,
    grandparent_index: usize,
    seen_key: bool,
    overlapped_bytes: u64,
    /// Per level, how far `is_base_level_for_key` has advanced (keys are
    /// asked about in increasing order).
    level_ptrs: [usize; NUM_LEVELS],
}

impl Compaction {
    pub(super) fn new(level: usize, version: Arc<Version>, max_file_size: usize) -> Compaction {
        Compaction {
            level,
            max_output_file_size: target_file_size(max_file_size),
            max_grandparent_overlap: max_grand_parent_overlap_bytes(max_file_size),
            input_version: version,
            edit: VersionEdit::default(),
            inputs: [Vec::new(), Vec::new()],
            grandparents: Vec::new(),
            grandparent_index: 0,
            seen_key: false,
            overlapped_bytes: 0,
            level_ptrs: [0; NUM_LEVELS],
        }
    }

    pub fn num_input_files(&self, which: usize) -> usize {
        self.inputs[which].len()
    }

    /// A single input file with nothing to merge and little grandparent
    /// overlap can simply move down a level.
    pub fn is_trivial_move(&self) -> bool {
        self.inputs[0].len() == 1
            && self.inputs[1].is_empty()
            && total_file_size(&self.grandparents) <= self.max_grandparent_overlap
    }

    /// Records the deletion of every input file in the edit.
    pub fn add_input_deletions(&mut self) {
        for which in 0..2 {
            for f in &self.inputs[which] {
                self.edit.remove_file(self.level + which, f.number);
            }
        }
    }

    /// A copy of this compaction for merging one key range of it on
    /// another thread: the same inputs, version and limits, with its own
    /// grandparent and base-level cursors. Both start from the front, as
    /// for a whole compaction, and the part's first key moves them to
    /// where its range begins; neither counts what lies before it. The
    /// copy's edit stays empty: the outputs of every part are recorded in
    /// this compaction's edit.
    pub fn part(&self) -> Compaction {
        Compaction {
            level: self.level,
            max_output_file_size: self.max_output_file_size,
            max_grandparent_overlap: self.max_grandparent_overlap,
            input_version: Arc::clone(&self.input_version),
            edit: VersionEdit::default(),
            inputs: self.inputs.clone(),
            grandparents: self.grandparents.clone(),
            grandparent_index: 0,
            seen_key: false,
            overlapped_bytes: 0,
            level_ptrs: [0; NUM_LEVELS],
        }
    }

    /// User keys that cut this compaction into at most `max_parts` key
    /// ranges with about the same bytes of input each, each range with at
    /// least `min_part_bytes` of input on average, so that the ranges can
    /// be merged on threads of their own (RocksDB's subcompactions). Empty
    /// when the compaction is too small to be worth a thread or its output
    /// level has fewer than two input files.
    ///
    /// Each cut is the first user key of an input file of the output
    /// level, and cuts strictly increase. A cut is a user key, never an
    /// internal key, so every version of a user key falls in one range and
    /// each range decides alone which versions to drop. Of those keys, each
    /// cut is the one whose estimated input bytes before it come closest
    /// to its share: whole output-level files, plus the part of each input
    /// of the upper level that its table's index puts before the key (the
    /// upper level's keys need not be spread like the output level's: a
    /// level with gaps left by compactions into the next one would give
    /// the range over a gap all of the upper level's bytes there).
    pub fn split_keys(&self, max_parts: usize, min_part_bytes: u64) -> Vec<Vec<u8>> {
        let version = &self.input_version;
        self.split_keys_by(max_parts, min_part_bytes, |f, user_key| {
            // Before every entry of `user_key`.
            let mut key = Vec::with_capacity(user_key.len() + 8);
            append_internal_key(&mut key, user_key, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
            version.file_bytes_before(f, &key)
        })
    }

    /// [`split_keys`](Self::split_keys) with `bytes_before(f, user_key)`
    /// estimating the bytes of upper-level input `f` before `user_key`; it
    /// must not decrease as the key grows.
    pub(crate) fn split_keys_by(
        &self,
        max_parts: usize,
        min_part_bytes: u64,
        bytes_before: impl Fn(&FileMetaData, &[u8]) -> u64,
    ) -> Vec<Vec<u8>> {
        let below = &self.inputs[1];
        if max_parts < 2 || below.len() < 2 {
            return Vec::new();
        }
        let total = total_file_size(&self.inputs[0]) + total_file_size(below);
        let by_size = usize::try_from(total / min_part_bytes.max(1)).unwrap_or(usize::MAX);
        let parts = max_parts.min(by_size).min(below.len());
        if parts < 2 {
            return Vec::new();
        }
        let ucmp = self.input_version.icmp.user_comparator();
        let first = extract_user_key(&below[0].smallest);
        // Candidates: the first user key of each output-level file but the
        // first, with the input bytes estimated to lie before it.
        let mut below_before = 0u64;
        let candidates: Vec<(&[u8], u64)> = below
            .windows(2)
            .map(|pair| {
                below_before += pair[0].file_size;
                let key = extract_user_key(&pair[1].smallest);
                let upper: u64 = self.inputs[0].iter().map(|f| bytes_before(f, key)).sum();
                (key, below_before + upper)
            })
            .collect();
        let mut cuts: Vec<Vec<u8>> = Vec::new();
        // Candidates before this one are spent (taken, or passed by a cut).
        let mut next = 0;
        for share in 1..parts {
            let target = u128::from(total) * share as u128 / parts as u128;
            // The first candidate at or past the target, or the one before
            // it if that one is closer.
            let Some(past) = (next..candidates.len())
                .find(|&j| u128::from(candidates[j].1) >= target)
                .or_else(|| candidates.len().checked_sub(1).filter(|&j| j >= next))
            else {
                break;
            };
            let distance = |j: usize| u128::from(candidates[j].1).abs_diff(target);
            let chosen = if past > next && distance(past - 1) < distance(past) {
                past - 1
            } else {
                past
            };
            next = chosen + 1;
            // A cut more than half a share off its mark would leave one
            // thread most of the work: not worth a thread.
            if distance(chosen) > u128::from(total) / (2 * parts as u128) {
                continue;
            }
            let key = candidates[chosen].0;
            // A user key split between two files is no cut: the next file
            // starts with the key the cut before ends with.
            let after_previous = match cuts.last() {
                Some(last) => ucmp.compare(key, last) == Ordering::Greater,
                None => ucmp.compare(key, first) == Ordering::Greater,
            };
            if after_previous {
                cuts.push(key.to_vec());
            }
        }
        cuts
    }

    /// True if no level deeper than the output holds `user_key`, so a
    /// deletion of it can be dropped.
    pub fn is_base_level_for_key(&mut self, user_key: &[u8]) -> bool {
        let v = Arc::clone(&self.input_version);
        let ucmp = v.icmp.user_comparator().as_ref();
        for level in self.level + 2..NUM_LEVELS {
            let files = &v.files[level];
            while self.level_ptrs[level] < files.len() {
                let f = &files[self.level_ptrs[level]];
                if ucmp.compare(user_key, extract_user_key(&f.largest)) != Ordering::Greater {
                    if ucmp.compare(user_key, extract_user_key(&f.smallest)) != Ordering::Less {
                        return false;
                    }
                    break;
                }
                self.level_ptrs[level] += 1;
            }
        }
        true
    }

    /// True if the output should be cut before `internal_key` because it
    /// already overlaps too much of the grandparent level.
    pub fn should_stop_before(&mut self, internal_key: &[u8]) -> bool {
        let icmp = &self.input_version.icmp;
        while self.grandparent_index < self.grandparents.len()
            && icmp.compare(
                internal_key,
                &self.grandparents[self.grandparent_index].largest,
            ) == Ordering::Greater
        {
            if self.seen_key {
                self.overlapped_bytes += self.grandparents[self.grandparent_index].file_size;
            }
            self.grandparent_index += 1;
        }
        self.seen_key = true;
        if self.overlapped_bytes > self.max_grandparent_overlap {
            self.overlapped_bytes = 0;
            true
        } else {
            false
        }
    }
}

/// Smallest and largest internal keys of `files` (non-empty).
fn get_range(icmp: &InternalKeyComparator, files: &[Arc<FileMetaData>]) -> (Vec<u8>, Vec<u8>) {
    let mut smallest = &files[0].smallest;
    let mut largest = &files[0].largest;
    for f in &files[1..] {
        if icmp.compare(&f.smallest, smallest) == Ordering::Less {
            smallest = &f.smallest;
        }
        if icmp.compare(&f.largest, largest) == Ordering::Greater {
            largest = &f.largest;
        }
    }
    (smallest.clone(), largest.clone())
}

fn get_range2(
    icmp: &InternalKeyComparator,
    a: &[Arc<FileMetaData>],
    b: &[Arc<FileMetaData>],
) -> (Vec<u8>, Vec<u8>) {
    let all: Vec<Arc<FileMetaData>> = a.iter().chain(b.iter()).cloned().collect();
    get_range(icmp, &all)
}

/// The file of `level_files` with the smallest `smallest` key that starts
/// right after `largest` within the same user key.
fn find_smallest_boundary_file(
    icmp: &InternalKeyComparator,
    level_files: &[Arc<FileMetaData>],
    largest: &[u8],
) -> Option<Arc<FileMetaData>> {
    let ucmp = icmp.user_comparator();
    let mut best: Option<&Arc<FileMetaData>> = None;
    for f in level_files {
        if icmp.compare(&f.smallest, largest) == Ordering::Greater
            && ucmp.compare(extract_user_key(&f.smallest), extract_user_key(largest))
                == Ordering::Equal
            && best.map_or(true, |b| {
                icmp.compare(&f.smallest, &b.smallest) == Ordering::Less
            })
        {
            best = Some(f);
        }
    }
    best.cloned()
}

/// Adds to `compaction_files` the files of `level_files` that continue the
/// user key its largest entry ends with (LevelDB's AddBoundaryInputs).
pub fn add_boundary_inputs(
    icmp: &InternalKeyComparator,
    level_files: &[Arc<FileMetaData>],
    compaction_files: &mut FileList,
) {
    if compaction_files.is_empty() {
        return;
    }
    let (_, mut largest) = get_range(icmp, compaction_files);
    while let Some(f) = find_smallest_boundary_file(icmp, level_files, &largest) {
        largest = f.largest.clone();
        compaction_files.push(f);
    }
}

impl VersionSet {
    /// The next compaction to run, if any: size-triggered first, then
    /// seek-triggered.
    pub fn pick_compaction(&mut self) -> Option<Compaction> {
        let current = Arc::clone(self.current());
        let max_file_size = self.options().max_file_size;
        let icmp = self.icmp().clone();
        let size_compaction = current.compaction_score >= 1.0;
        let seek_file = current.file_to_compact.lock().clone();
        let mut c;
        if size_compaction {
            let level = current.compaction_level;
            c = Compaction::new(level, Arc::clone(&current), max_file_size);
            let pointer = &self.compact_pointer[level];
            for f in &current.files[level] {
                if pointer.is_empty() || icmp.compare(&f.largest, pointer) == Ordering::Greater {
                    c.inputs[0].push(Arc::clone(f));
                    break;
                }
            }
            if c.inputs[0].is_empty() {
                // Wrap around to the beginning of the key space.
                c.inputs[0].push(Arc::clone(current.files[level].first()?));
            }
        } else if let Some((f, level)) = seek_file {
            c = Compaction::new(level, Arc::clone(&current), max_file_size);
            c.inputs[0].push(f);
        } else {
            return None;
        }

        if c.level == 0 {
            let (smallest, largest) = get_range(&icmp, &c.inputs[0]);
            c.inputs[0] = current.get_overlapping_inputs(0, Some(&smallest), Some(&largest));
            debug_assert!(!c.inputs[0].is_empty());
        }
        self.setup_other_inputs(&mut c);
        Some(c)
    }

    /// A manual compaction of `level` over `[begin, end]` (internal keys,
    /// `None` = unbounded), or `None` if nothing there overlaps.
    pub fn compact_range(
        &mut self,
        level: usize,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Option<Compaction> {
        let current = Arc::clone(self.current());
        let mut inputs = current.get_overlapping_inputs(level, begin, end);
        if inputs.is_empty() {
            return None;
        }
        let max_file_size = self.options().max_file_size;
        if level > 0 {
            // Avoid compacting too much in one shot when the range is large;
            // level 0 cannot be split since its files overlap.
            let limit = target_file_size(max_file_size);
            let mut total = 0;
            for i in 0..inputs.len() {
                total += inputs[i].file_size;
                if total >= limit {
                    inputs.truncate(i + 1);
                    break;
                }
            }
        }
        let mut c = Compaction::new(level, current, max_file_size);
        c.inputs[0] = inputs;
        self.setup_other_inputs(&mut c);
        Some(c)
    }

    fn setup_other_inputs(&mut self, c: &mut Compaction) {
        let level = c.level;
        let icmp = self.icmp().clone();
        let current = Arc::clone(&c.input_version);
        let max_file_size = self.options().max_file_size;

        add_boundary_inputs(&icmp, &current.files[level], &mut c.inputs[0]);
        let (smallest, largest) = get_range(&icmp, &c.inputs[0]);
        c.inputs[1] = current.get_overlapping_inputs(level + 1, Some(&smallest), Some(&largest));
        add_boundary_inputs(&icmp, &current.files[level + 1], &mut c.inputs[1]);

        let (mut all_start, mut all_limit) = get_range2(&icmp, &c.inputs[0], &c.inputs[1]);
        let mut largest = largest;

        // Grow the level-L inputs if that does not pull in more L+1 files.
        if !c.inputs[1].is_empty() {
            let mut expanded0 =
                current.get_overlapping_inputs(level, Some(&all_start), Some(&all_limit));
            add_boundary_inputs(&icmp, &current.files[level], &mut expanded0);
            let inputs0_size = total_file_size(&c.inputs[0]);
            let inputs1_size = total_file_size(&c.inputs[1]);
            let expanded0_size = total_file_size(&expanded0);
            if expanded0.len() > c.inputs[0].len()
                && inputs1_size + expanded0_size
                    < expanded_compaction_byte_size_limit(max_file_size)
            {
                let (new_start, new_limit) = get_range(&icmp, &expanded0);
                let mut expanded1 =
                    current.get_overlapping_inputs(level + 1, Some(&new_start), Some(&new_limit));
                add_boundary_inputs(&icmp, &current.files[level + 1], &mut expanded1);
                if expanded1.len() == c.inputs[1].len() {
                    info_log(
                        self.logger(),
                        &format!(
                            "Expanding@{} {}+{} ({}+{} bytes) to {}+{} ({}+{} bytes)\n",
                            level,
                            c.inputs[0].len(),
                            c.inputs[1].len(),
                            inputs0_size,
                            inputs1_size,
                            expanded0.len(),
                            expanded1.len(),
                            expanded0_size,
                            total_file_size(&expanded1)
                        ),
                    );
                    largest = new_limit;
                    c.inputs[0] = expanded0;
                    c.inputs[1] = expanded1;
                    let (s, l) = get_range2(&icmp, &c.inputs[0], &c.inputs[1]);
                    all_start = s;
                    all_limit = l;
                }
            }
        }

        if level + 2 < NUM_LEVELS {
            c.grandparents =
                current.get_overlapping_inputs(level + 2, Some(&all_start), Some(&all_limit));
        }

        // Start the next compaction of this level after this one's range,
        // now rather than when it succeeds, so a failing compaction does not
        // block the others.
        self.compact_pointer[level] = largest.clone();
        c.edit.compact_pointers.push((level, largest));
    }
}
