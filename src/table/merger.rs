//! LevelDB's merging iterator: the union of several sorted iterators, in
//! comparator order.
//!
//! Invariants: moving forward, every non-current child is positioned at
//! its first entry after the current key, and the current child is the one
//! with the smallest key (the earliest child among equals). Moving
//! backward mirrors this: every other child is at its last entry before
//! the current key, and the current one has the largest key (the latest
//! child among equals). Switching direction re-seeks every other child
//! around the current key, exactly as LevelDB does; like LevelDB this
//! assumes no key appears in two children (internal keys are unique).
//! The merge remembers where every valid child's current key is, refreshed
//! each time that child moves, and orders its heap by those keys.
//! Errors: `status()` is the first child error. Not thread-safe.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::iterator::{EntrySlice, InternalIterator};
use crate::status::Result;
use crate::table::format::StoredBlock;
use crate::util::comparator::Comparator;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
}

/// Generic over the comparator so the database's merges (always an
/// [`InternalKeyComparator`](crate::key::InternalKeyComparator)) compare
/// keys with a static, inlined call: a merge step makes two or three.
pub struct MergingIterator<C: Comparator = Arc<dyn Comparator>> {
    cmp: C,
    children: Vec<Box<dyn InternalIterator>>,
    /// The valid children as a binary heap: the root is the current child
    /// (smallest `(key, index)` moving forward, largest moving backward).
    /// LevelDB scans all children linearly on every step; the heap picks
    /// the same child with O(log n) comparisons.
    heap: Vec<usize>,
    /// The heap position (1 or 2) of the child that comes out after the
    /// root, or 0 when not known. It stays right while the root keeps
    /// winning, so a long run from one child (the usual case: most data
    /// sits in the last level) costs one comparison per step, not two.
    runner_up: usize,
    direction: Direction,
    /// Each valid child's current key (`keys[i]` for child `i`), refreshed
    /// whenever that child moves. Heap comparisons and `key()` read these
    /// instead of asking the children: a child's `key()` walks its own
    /// stack of iterators, and one step of the merge compares several keys.
    ///
    /// Invariant: `keys[i]` is only read while child `i` is valid and has
    /// not been moved since it was set (every move of a child is followed
    /// by `refresh_key` or drops it from the heap).
    keys: Vec<EntrySlice>,
}

/// Merges `children` (LevelDB's `NewMergingIterator`): none gives an empty
/// iterator, one is returned as it is.
pub fn new_merging_iterator(
    cmp: Arc<dyn Comparator>,
    mut children: Vec<Box<dyn InternalIterator>>,
) -> Box<dyn InternalIterator> {
    match children.len() {
        0 => Box::new(crate::iterator::EmptyIterator::new()),
        1 => children.pop().expect("one child"),
        _ => Box::new(MergingIterator::new(cmp, children)),
    }
}

impl<C: Comparator> MergingIterator<C> {
    pub fn new(cmp: C, children: Vec<Box<dyn InternalIterator>>) -> Self {
        MergingIterator {
            cmp,
            heap: Vec::with_capacity(children.len()),
            runner_up: 0,
            keys: vec![EntrySlice::EMPTY; children.len()],
            children,
            direction: Direction::Forward,
        }
    }

    /// Child `i`'s current key.
    #[inline]
    fn child_key(&self, i: usize) -> &[u8] {
        // SAFETY: callers only ask for children in the heap or the current
        // one, whose `keys` entries are fresh (see `keys`); the slice lives
        // until `self` is borrowed mutably.
        unsafe { self.keys[i].get() }
    }

    /// Whether child `a` must come out of the heap before child `b`.
    #[inline]
    fn before(&self, a: usize, b: usize) -> bool {
        let order = self
            .cmp
            .compare(self.child_key(a), self.child_key(b))
            .then(a.cmp(&b));
        match self.direction {
            Direction::Forward => order == Ordering::Less,
            Direction::Reverse => order == Ordering::Greater,
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        let n = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= n {
                return;
            }
            let right = left + 1;
            let mut best = left;
            if right < n && self.before(self.heap[right], self.heap[left]) {
                best = right;
            }
            if self.before(self.heap[best], self.heap[pos]) {
                self.heap.swap(best, pos);
                pos = best;
            } else {
                return;
            }
        }
    }

    /// Rebuilds the heap from every valid child, for `direction`.
    fn rebuild_heap(&mut self, direction: Direction) {
        self.direction = direction;
        self.heap.clear();
        self.runner_up = 0;
        for i in 0..self.children.len() {
            if self.refresh_key(i) {
                self.heap.push(i);
            }
        }
        for pos in (0..self.heap.len() / 2).rev() {
            self.sift_down(pos);
        }
    }

    /// Records where child `i`'s current key is; false (and nothing
    /// recorded) when the child is not valid.
    #[inline]
    fn refresh_key(&mut self, i: usize) -> bool {
        match self.children[i].current_key() {
            Some(key) => {
                self.keys[i] = EntrySlice::new(key);
                true
            }
            None => false,
        }
    }

    /// After the root child moved: restore the heap.
    fn fix_root(&mut self) {
        let root = self.heap[0];
        if !self.refresh_key(root) {
            let last = self.heap.pop().expect("non-empty heap");
            self.runner_up = 0;
            if self.heap.is_empty() {
                return;
            }
            self.heap[0] = last;
            self.sift_down(0);
            return;
        }
        let n = self.heap.len();
        if n == 1 {
            return;
        }
        let runner_up = self.runner_up_position();
        self.runner_up = runner_up;
        if self.before(root, self.heap[runner_up]) {
            return;
        }
        // The runner-up wins: it becomes the root (it was no later than
        // everything below it), and the old root sinks into its subtree.
        self.heap.swap(0, runner_up);
        self.runner_up = 0;
        self.sift_down(runner_up);
    }

    /// The heap position (1 or 2) of the child that comes out after the
    /// root: `runner_up` when known, else the earlier of the two. Only for
    /// a heap of two children or more.
    #[inline]
    fn runner_up_position(&self) -> usize {
        match self.runner_up {
            0 if self.heap.len() > 2 && self.before(self.heap[2], self.heap[1]) => 2,
            0 => 1,
            known => known,
        }
    }

    /// The child that comes out after the root, if any.
    fn runner_up_child(&self) -> Option<usize> {
        (self.heap.len() > 1).then(|| self.heap[self.runner_up_position()])
    }

    fn current_index(&self) -> usize {
        match self.heap.first() {
            Some(&c) => c,
            None => panic!("operation on an invalid iterator"),
        }
    }
}

impl<C: Comparator + 'static> InternalIterator for MergingIterator<C> {
    #[inline]
    fn valid(&self) -> bool {
        !self.heap.is_empty()
    }

    fn seek_to_first(&mut self) {
        for child in &mut self.children {
            child.seek_to_first();
        }
        self.rebuild_heap(Direction::Forward);
    }

    fn seek_to_last(&mut self) {
        for child in &mut self.children {
            child.seek_to_last();
        }
        self.rebuild_heap(Direction::Reverse);
    }

    fn seek(&mut self, target: &[u8]) {
        for child in &mut self.children {
            child.seek(target);
        }
        self.rebuild_heap(Direction::Forward);
    }

    fn next(&mut self) {
        let current = self.current_index();
        // Make sure every other child is positioned after key(). When we
        // were moving forward that holds already (current is the smallest);
        // otherwise fix it up.
        if self.direction != Direction::Forward {
            // SAFETY: `keys[current]` is fresh, and child `current` is
            // neither moved nor dropped until the others are placed.
            let target = unsafe { self.keys[current].get() };
            for i in 0..self.children.len() {
                if i == current {
                    continue;
                }
                let child = &mut self.children[i];
                child.seek(target);
                if child.valid() && self.cmp.compare(target, child.key()) == Ordering::Equal {
                    child.next();
                }
            }
            self.children[current].next();
            self.rebuild_heap(Direction::Forward);
            return;
        }
        self.children[current].next();
        self.fix_root();
    }

    fn prev(&mut self) {
        let current = self.current_index();
        // Make sure every other child is positioned before key().
        if self.direction != Direction::Reverse {
            // SAFETY: as in `next`.
            let target = unsafe { self.keys[current].get() };
            for i in 0..self.children.len() {
                if i == current {
                    continue;
                }
                let child = &mut self.children[i];
                child.seek(target);
                if child.valid() {
                    // Child is at its first entry >= key(): step back to
                    // the last one < key().
                    child.prev();
                } else {
                    // Child has nothing >= key(): its last entry is < key().
                    child.seek_to_last();
                }
            }
            self.children[current].prev();
            self.rebuild_heap(Direction::Reverse);
            return;
        }
        self.children[current].prev();
        self.fix_root();
    }

    #[inline]
    fn key(&self) -> &[u8] {
        self.child_key(self.current_index())
    }

    #[inline]
    fn value(&self) -> &[u8] {
        self.children[self.current_index()].value()
    }

    fn stored_block(&self, at_start: bool) -> Option<StoredBlock<'_>> {
        let mut block = self.children[*self.heap.first()?].stored_block(at_start)?;
        if !block.interleaved {
            // Moving forward, every other child's next key is at or after
            // the runner-up's: if that one is past the block's bound, the
            // whole block comes out before any other child moves.
            block.interleaved = self.direction == Direction::Reverse
                || self.runner_up_child().is_some_and(|other| {
                    self.cmp.compare(self.child_key(other), block.upper_bound) != Ordering::Greater
                });
        }
        Some(block)
    }

    fn status(&self) -> Result<()> {
        for child in &self.children {
            child.status()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::block::Block;
    use crate::table::block_builder::BlockBuilder;
    use crate::table::model_walk::{check_position, step, Op};
    use crate::util::comparator::bytewise;
    use proptest::prelude::*;

    fn block_iter(keys: &[Vec<u8>], tag: u8) -> Box<dyn InternalIterator> {
        let mut b = BlockBuilder::new(3);
        for k in keys {
            b.add(k, &[tag]);
        }
        let block = Arc::new(Block::new(b.finish().to_vec()));
        Box::new(block.iter(bytewise()))
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::Next),
            4 => Just(Op::Prev),
            2 => proptest::collection::vec(0u8..6, 0..3).prop_map(Op::Seek),
            1 => Just(Op::First),
            1 => Just(Op::Last),
        ]
    }

    proptest! {
        /// The merged sequence (key, child) in order by key then child
        /// index, walked in both directions with seeks, as a model.
        #[test]
        fn matches_sorted_union(owners in proptest::collection::btree_map(
                proptest::collection::vec(0u8..6, 0..4), 0u8..4, 0..40),
            num_children in 0u8..5,
            ops in proptest::collection::vec(op(), 0..60)) {
            // Each key belongs to one child (keys are unique across children).
            let mut model: Vec<(Vec<u8>, u8)> = Vec::new();
            let mut iters = Vec::new();
            for i in 0..num_children {
                let keys: Vec<Vec<u8>> = owners.iter().filter(|(_, &o)| o == i).map(|(k, _)| k.clone()).collect();
                for k in &keys { model.push((k.clone(), i)); }
                iters.push(block_iter(&keys, i));
            }
            model.sort();
            // A child's index is the value its entries carry.
            let model: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().map(|(k, i)| (k, vec![i])).collect();
            let mut it = MergingIterator::new(bytewise(), iters);
            let mut pos: Option<usize> = None;
            for op in ops {
                pos = step(&mut it, &model, pos, &op);
                check_position(&it, &model, pos)?;
            }
            prop_assert!(it.status().is_ok());
        }
    }

    #[test]
    fn equal_keys_come_out_in_child_order() {
        // As LevelDB's linear scan: the earliest child wins ties forward,
        // the latest backward.
        let children: Vec<Box<dyn InternalIterator>> = (0..5)
            .map(|i| block_iter(&[b"a".to_vec(), b"b".to_vec()], i))
            .collect();
        let mut it = MergingIterator::new(bytewise(), children);
        let mut got = Vec::new();
        it.seek_to_first();
        while it.valid() {
            got.push((it.key()[0], it.value()[0]));
            it.next();
        }
        let want: Vec<(u8, u8)> = [b'a', b'b']
            .iter()
            .flat_map(|&k| (0..5).map(move |i| (k, i)))
            .collect();
        assert_eq!(got, want);
        let mut back = Vec::new();
        it.seek_to_last();
        while it.valid() {
            back.push((it.key()[0], it.value()[0]));
            it.prev();
        }
        back.reverse();
        assert_eq!(back, want);
    }

    #[test]
    fn child_errors_surface() {
        let err = crate::status::Error::corruption("x");
        let children: Vec<Box<dyn InternalIterator>> = vec![
            block_iter(&[b"a".to_vec()], 0),
            Box::new(crate::iterator::EmptyIterator::with_error(err)),
        ];
        let mut it = new_merging_iterator(bytewise(), children);
        it.seek_to_first();
        assert_eq!(it.key(), b"a");
        assert_eq!(it.status().unwrap_err().to_string(), "Corruption: x");
    }
}
