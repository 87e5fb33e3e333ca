//! Applies a sequence of version edits to a base version without building
//! the intermediate versions (LevelDB's VersionSet::Builder).
//!
//! Invariants: a file deleted by an edit and re-added by a later one is
//! present; one added and then deleted is absent. The result keeps every
//! level sorted by smallest key (ties by file number), and refuses a
//! result whose levels above 0 overlap. New files get their
//! seek allowance from their size. Not thread-safe (used under the DB mutex).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::Arc;

use crate::key::InternalKeyComparator;
use crate::status::{Code, Error, Result};
use crate::util::comparator::Comparator;

use super::edit::{FileMetaData, VersionEdit};
use super::version::Version;
use super::{key_filter, NUM_LEVELS};

/// Orders files by smallest internal key, then file number.
pub fn by_smallest_key(
    icmp: &InternalKeyComparator,
    a: &FileMetaData,
    b: &FileMetaData,
) -> Ordering {
    icmp.compare(&a.smallest, &b.smallest)
        .then(a.number.cmp(&b.number))
}

#[derive(Default)]
struct LevelState {
    deleted: HashSet<u64>,
    added: Vec<Arc<FileMetaData>>,
}

/// Accumulates edits on top of a base version.
pub struct VersionBuilder<'a> {
    base: &'a Version,
    levels: [LevelState; NUM_LEVELS],
}

impl<'a> VersionBuilder<'a> {
    pub fn new(base: &'a Version) -> VersionBuilder<'a> {
        VersionBuilder {
            base,
            levels: Default::default(),
        }
    }

    /// Applies `edit` (compact pointers are the VersionSet's business).
    pub fn apply(&mut self, edit: &VersionEdit) {
        for &(level, number) in &edit.deleted_files {
            if level < NUM_LEVELS {
                self.levels[level].deleted.insert(number);
            }
        }
        for (level, f) in &edit.new_files {
            let level = *level;
            if level >= NUM_LEVELS {
                continue;
            }
            let mut f = f.clone();
            if level > key_filter::MAX_LEVEL {
                f.key_filter = None;
            }
            // One seek costs about as much as compacting 16 KiB of data, so
            // a file earns a compaction after about size/16 KiB wasted seeks.
            let allowed = ((f.file_size / 16384) as i64).max(100);
            f.allowed_seeks.store(allowed, AtomicOrdering::Relaxed);
            self.levels[level].deleted.remove(&f.number);
            self.levels[level].added.retain(|g| g.number != f.number);
            self.levels[level].added.push(Arc::new(f));
        }
    }

    /// Writes the accumulated state into `v` (a fresh, empty version).
    /// Fails, leaving `v` partly filled, if files of a level above 0 would
    /// overlap: only a damaged MANIFEST can say so, and reads and
    /// compactions rely on those levels being disjoint.
    pub fn save_to(mut self, v: &mut Version) -> Result<()> {
        let icmp = self.base.icmp.clone();
        for level in 0..NUM_LEVELS {
            let state = &mut self.levels[level];
            state.added.sort_by(|a, b| by_smallest_key(&icmp, a, b));
            let base_files = &self.base.files[level];
            let mut merged: Vec<Arc<FileMetaData>> =
                Vec::with_capacity(base_files.len() + state.added.len());
            let mut bi = 0;
            for added in &state.added {
                while bi < base_files.len()
                    && by_smallest_key(&icmp, &base_files[bi], added) == Ordering::Less
                {
                    maybe_add(&mut merged, &state.deleted, &base_files[bi]);
                    bi += 1;
                }
                maybe_add(&mut merged, &state.deleted, added);
            }
            while bi < base_files.len() {
                maybe_add(&mut merged, &state.deleted, &base_files[bi]);
                bi += 1;
            }
            if level > 0
                && !merged
                    .windows(2)
                    .all(|w| icmp.compare(&w[0].largest, &w[1].smallest) == Ordering::Less)
            {
                return Err(Error::with_detail(
                    Code::Corruption,
                    "overlapping files",
                    &format!("level {level}"),
                ));
            }
            v.files[level] = merged;
        }
        Ok(())
    }
}

fn maybe_add(files: &mut Vec<Arc<FileMetaData>>, deleted: &HashSet<u64>, f: &Arc<FileMetaData>) {
    if !deleted.contains(&f.number) {
        files.push(Arc::clone(f));
    }
}
