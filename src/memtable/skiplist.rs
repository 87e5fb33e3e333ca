//! The memtable's skiplist (LevelDB's `db/skiplist.h`): an ordered set of
//! entries in an [`Arena`], read lock-free while one writer inserts.
//!
//! Entry format (`docs/formats.md` §7): `varint32(key_len) ++ key ++
//! varint32(value_len) ++ value`; entries are ordered by [`KeyOrder`] on the
//! key. The memtable stores internal keys as the keys.
//!
//! Node layout: one aligned arena allocation holding the forward pointers
//! *before* the entry, so a node handle points straight at its entry and the
//! key needs no extra indirection (LevelDB keeps a separate pointer to it):
//!
//! ```text
//!   [next[h-1]] ... [next[1]] [next[0]] [entry bytes ...]
//!                                       ^ node pointer
//! ```
//!
//! Invariants:
//! - A node is never removed, and once linked neither its entry nor its
//!   height ever changes; only its `next` slots change, always to point at a
//!   newly inserted node that keeps the level's order.
//! - Insertion is serialised by an internal mutex that also owns the arena;
//!   the arena (so every node) is freed only when the list is dropped.
//! - Publication (LevelDB's memory-ordering contract): a new node is fully
//!   written — entry and its own `next` slots (relaxed stores) — before the
//!   release store that links it into a level. Readers load `next` slots with
//!   acquire, so any node they reach is fully formed. Levels are linked
//!   bottom-up, so a reader sees a node on level `i` only if it is on
//!   every level below. `max_height` is read relaxed: a reader that sees a
//!   new height before the head's new link sees null there and just descends.
//!
//! Speed, beyond LevelDB's algorithm (same heights, same search):
//! - the inline layout saves LevelDB's per-node key pointer (8 bytes, and a
//!   dependent load per visited node);
//! - searches skip re-comparing a node already found too big on the level
//!   above, and prefetch the level-down successor while comparing, so the
//!   miss taken when descending overlaps the current one;
//! - the writer remembers the splice (per-level predecessors) of its last
//!   insert, so runs of ascending keys insert with one or two comparisons.
//!
//! Thread-safety: `SkipList` is `Send + Sync`; `insert` may be called from
//! any thread (callers are serialised internally), every read method runs
//! concurrently with it without locking.

use std::cmp::Ordering;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering as AtomicOrdering};

use parking_lot::Mutex;

use crate::util::arena::Arena;
use crate::util::prefetch::prefetch_line;

/// Most levels a node can have (LevelDB's `kMaxHeight`).
pub const MAX_HEIGHT: usize = 12;
/// One node in `BRANCHING` at level `i` also appears at level `i + 1`.
pub const BRANCHING: u32 = 4;

/// A total order over the keys stored in a skiplist.
pub trait KeyOrder: Send + Sync {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering;
}

/// Plain lexicographic order over bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct BytewiseOrder;

impl KeyOrder for BytewiseOrder {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        a.cmp(b)
    }
}

/// Pointer to a node's entry; its `next` slots sit just below it.
type Node = *mut u8;

/// Size of one forward pointer slot.
const SLOT: usize = std::mem::size_of::<AtomicPtr<u8>>();

/// The `level`-th forward slot of `node`.
///
/// # Safety
/// `node` must be a node (or the head) of a list that outlives `'a`, with
/// height > `level`, whose slot `level` has been initialised.
#[inline(always)]
unsafe fn slot<'a>(node: Node, level: usize) -> &'a AtomicPtr<u8> {
    // SAFETY: the slots `0..height` lie directly below the entry, aligned,
    // initialised before the node was linked, and live as long as the arena.
    unsafe { &*(node as *const AtomicPtr<u8>).sub(level + 1) }
}

/// Loads `node.next[level]` with acquire, pairing with the writer's release.
///
/// # Safety
/// As [`slot`].
#[inline(always)]
unsafe fn next(node: Node, level: usize) -> Node {
    // SAFETY: forwarded caller contract.
    unsafe { slot(node, level).load(AtomicOrdering::Acquire) }
}

/// Reads a varint32 from `p`, returning it and the bytes it took.
///
/// # Safety
/// `p` must point at a complete, initialised varint32 written by `insert`.
#[inline(always)]
unsafe fn read_varint32(p: *const u8) -> (usize, usize) {
    // SAFETY: the caller guarantees a complete varint at `p`; we read only
    // up to its last byte (the first without the continuation bit).
    unsafe {
        let first = *p;
        if first < 0x80 {
            return (first as usize, 1);
        }
        let mut result = (first & 0x7f) as u32;
        let mut i = 1;
        loop {
            let byte = *p.add(i);
            result |= ((byte & 0x7f) as u32) << (7 * i);
            i += 1;
            if byte < 0x80 {
                return (result as usize, i);
            }
        }
    }
}

/// The key of a (non-head) node.
///
/// # Safety
/// `node` must be a linked, non-head node of a list that outlives `'a`.
#[inline(always)]
unsafe fn key_of<'a>(node: Node) -> &'a [u8] {
    // SAFETY: entries are written in full before the node is linked and are
    // immutable afterwards; the arena keeps them alive for `'a`.
    unsafe {
        let (len, n) = read_varint32(node);
        std::slice::from_raw_parts(node.add(n), len)
    }
}

/// The value of a (non-head) node.
///
/// # Safety
/// As [`key_of`].
#[inline(always)]
unsafe fn value_of<'a>(node: Node) -> &'a [u8] {
    // SAFETY: as `key_of`; the value's varint follows the key directly.
    unsafe {
        let (klen, n) = read_varint32(node);
        let vp = node.add(n + klen);
        let (vlen, m) = read_varint32(vp);
        std::slice::from_raw_parts(vp.add(m), vlen)
    }
}

fn varint32_len(v: u32) -> usize {
    let bits = 32 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Writes `v` as a varint32 at `p`, returning the byte after it.
///
/// # Safety
/// `p` must have room for `varint32_len(v)` bytes.
#[inline]
unsafe fn write_varint32(mut p: *mut u8, mut v: u32) -> *mut u8 {
    // SAFETY: the caller reserved `varint32_len(v)` bytes; we write exactly
    // that many.
    unsafe {
        while v >= 0x80 {
            p.write((v as u8) | 0x80);
            p = p.add(1);
            v >>= 7;
        }
        p.write(v as u8);
        p.add(1)
    }
}

/// Copies `bytes` to `p`, returning the byte after them.
///
/// # Safety
/// `p` must have room for `bytes.len()` bytes not overlapping `bytes`.
#[inline]
unsafe fn write_bytes(p: *mut u8, bytes: &[u8]) -> *mut u8 {
    // SAFETY: forwarded caller contract (arena memory never overlaps a
    // caller's slice).
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        p.add(bytes.len())
    }
}

/// State only the (serialised) writer touches.
struct Writer {
    arena: Arena,
    rng: u64,
    /// `prev` nodes found for the last inserted node, with that node at every
    /// level it occupies: a valid splice for any key between the last node and
    /// its successor (the sequential-insert fast path; see `insert`).
    splice: [Node; MAX_HEIGHT],
    /// The last inserted node (null before the first insert).
    last: Node,
    /// Whether the last insert went right after the one before it.
    on_a_run: bool,
    /// Inserts seen, to retry the splice now and then.
    inserts: u32,
}

/// A skiplist of length-prefixed key/value entries.
pub struct SkipList<O: KeyOrder> {
    order: O,
    head: Node,
    /// Height of the tallest node; only grows.
    max_height: AtomicUsize,
    /// Mirror of the arena's usage, readable without the writer lock.
    memory_usage: AtomicUsize,
    len: AtomicUsize,
    writer: Mutex<Writer>,
}

// SAFETY: the raw pointers all point into the arena owned (through the
// mutex) by the list itself; the arena's memory has no thread affinity.
unsafe impl<O: KeyOrder> Send for SkipList<O> {}
// SAFETY: shared access follows the module's publication protocol: node
// contents are immutable once reachable, forward slots are atomics written
// with release and read with acquire, and all mutation of the arena and the
// writer state happens under `writer`'s mutex.
unsafe impl<O: KeyOrder> Sync for SkipList<O> {}

impl<O: KeyOrder> SkipList<O> {
    pub fn new(order: O) -> SkipList<O> {
        let mut arena = Arena::new();
        // The head has every level and an empty entry (never read).
        let base = arena.allocate_aligned(MAX_HEIGHT * SLOT).as_ptr();
        for i in 0..MAX_HEIGHT {
            // SAFETY: `base` has room for MAX_HEIGHT aligned slots.
            unsafe {
                (base as *mut AtomicPtr<u8>)
                    .add(i)
                    .write(AtomicPtr::new(ptr::null_mut()))
            };
        }
        // SAFETY: one past the slots, still within (the end of) the allocation.
        let head = unsafe { base.add(MAX_HEIGHT * SLOT) };
        let memory_usage = AtomicUsize::new(arena.memory_usage());
        SkipList {
            order,
            head,
            max_height: AtomicUsize::new(1),
            memory_usage,
            len: AtomicUsize::new(0),
            writer: Mutex::new(Writer {
                arena,
                rng: 0xdead_beef_cafe_f00d,
                splice: [head; MAX_HEIGHT],
                last: ptr::null_mut(),
                on_a_run: false,
                inserts: 0,
            }),
        }
    }

    pub fn order(&self) -> &O {
        &self.order
    }

    /// Bytes held by the arena (LevelDB's `Arena::MemoryUsage`).
    #[inline]
    pub fn memory_usage(&self) -> usize {
        self.memory_usage.load(AtomicOrdering::Relaxed)
    }

    /// Number of entries inserted. The count is relaxed: it includes every
    /// insert ordered before the caller by some other synchronisation (for
    /// the database's memtables, the mutex under which a write's sequence
    /// is published after its insert), which `MemTable::lookup`'s early
    /// return on an empty memtable relies on.
    #[inline]
    pub fn len(&self) -> usize {
        self.len.load(AtomicOrdering::Relaxed)
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn max_height(&self) -> usize {
        self.max_height.load(AtomicOrdering::Relaxed)
    }

    /// Inserts the entry whose key is the concatenation of `key_parts`.
    /// No entry with an equal key may already be present (the memtable's
    /// keys carry unique sequence numbers); that is checked in debug builds.
    #[inline]
    pub fn insert(&self, key_parts: &[&[u8]], value: &[u8]) {
        let key_len: usize = key_parts.iter().map(|p| p.len()).sum();
        let key_len32 = u32::try_from(key_len).expect("skiplist key longer than 4 GiB");
        let value_len32 = u32::try_from(value.len()).expect("skiplist value longer than 4 GiB");
        let entry_len = varint32_len(key_len32) + key_len + varint32_len(value_len32) + value.len();

        let mut w = self.writer.lock();
        let height = w.random_height();
        let base = w.arena.allocate_aligned(height * SLOT + entry_len).as_ptr();
        // SAFETY: the allocation holds `height` slots then `entry_len` bytes.
        let node = unsafe { base.add(height * SLOT) };
        // SAFETY: the entry area has exactly `entry_len` bytes, the sum of
        // what is written here; the node is not yet reachable by readers.
        unsafe {
            let mut p = write_varint32(node, key_len32);
            for part in key_parts {
                p = write_bytes(p, part);
            }
            p = write_varint32(p, value_len32);
            p = write_bytes(p, value);
            debug_assert_eq!(p, node.add(entry_len));
        }
        // SAFETY: the entry was just written in full and `node` stays alive
        // with the arena.
        let key = unsafe { key_of(node) };

        let mut prev = [self.head; MAX_HEIGHT];
        if !w.splice_fits(self, key, &mut prev) {
            self.find_greater_or_equal(key, Some(&mut prev));
        }
        let max_height = self.max_height();
        if height > max_height {
            // `prev` for the new levels is already the head. Readers may see
            // the new height before the links: they find null and descend.
            self.max_height.store(height, AtomicOrdering::Relaxed);
        }
        for (level, &p) in prev.iter().enumerate().take(height) {
            // SAFETY: `prev[level]` is the head or a node found on `level`,
            // so it has that level; `node` has `height > level` slots. The
            // node's own slot is initialised (relaxed is enough: it is not
            // reachable yet) before the release store in `prev` publishes it,
            // which orders the entry bytes and slot before any reader's
            // acquire load of that link.
            unsafe {
                let successor = slot(p, level).load(AtomicOrdering::Relaxed);
                debug_assert!(
                    successor.is_null() || self.order.compare(key_of(successor), key).is_gt(),
                    "duplicate or misordered skiplist insert"
                );
                (node as *mut AtomicPtr<u8>)
                    .sub(level + 1)
                    .write(AtomicPtr::new(successor));
                slot(p, level).store(node, AtomicOrdering::Release);
            }
        }
        // The new node is the splice for the next insert on its levels.
        for (level, entry) in w.splice.iter_mut().enumerate() {
            *entry = if level < height { node } else { prev[level] };
        }
        w.last = node;
        self.memory_usage
            .store(w.arena.memory_usage(), AtomicOrdering::Relaxed);
        // Inserts are serialised by `writer`, so a plain load and store
        // count without a locked instruction.
        self.len.store(
            self.len.load(AtomicOrdering::Relaxed) + 1,
            AtomicOrdering::Relaxed,
        );
    }

    /// True if an entry with a key equal to `key` is present.
    pub fn contains(&self, key: &[u8]) -> bool {
        let x = self.find_greater_or_equal(key, None);
        // SAFETY: a non-null result is a linked, non-head node.
        !x.is_null() && self.order.compare(unsafe { key_of(x) }, key).is_eq()
    }

    /// The first node with key `>= key` (null if none); with `prev`, also
    /// the last node before it on every level below `max_height`.
    #[inline]
    fn find_greater_or_equal(&self, key: &[u8], mut prev: Option<&mut [Node; MAX_HEIGHT]>) -> Node {
        let mut x = self.head;
        let mut level = self.max_height() - 1;
        // The node known to be >= key on the level above: when the current
        // level leads to the same node, skip comparing it again.
        let mut known_bigger: Node = ptr::null_mut();
        loop {
            // SAFETY: `x` is the head or a node reached on `level` (so it
            // has that level), and `level < max_height <= MAX_HEIGHT`.
            let n = unsafe { next(x, level) };
            if level > 0 {
                // Where we go if `n` turns out to be too far: start fetching
                // it now, overlapping its cache miss with `n`'s.
                // SAFETY: as above; `x` also has level `level - 1`.
                prefetch_line(unsafe { next(x, level - 1) });
            }
            if n != known_bigger
                && !n.is_null()
                // SAFETY: a non-null link is a fully published non-head node.
                && self.order.compare(unsafe { key_of(n) }, key).is_lt()
            {
                x = n;
            } else {
                if let Some(prev) = prev.as_deref_mut() {
                    prev[level] = x;
                }
                if level == 0 {
                    return n;
                }
                known_bigger = n;
                level -= 1;
            }
        }
    }

    /// The last node with key `< key`, or the head if there is none.
    fn find_less_than(&self, key: &[u8]) -> Node {
        let mut x = self.head;
        let mut level = self.max_height() - 1;
        let mut known_bigger: Node = ptr::null_mut();
        loop {
            // SAFETY: as in `find_greater_or_equal`.
            let n = unsafe { next(x, level) };
            if level > 0 {
                // SAFETY: as in `find_greater_or_equal`.
                prefetch_line(unsafe { next(x, level - 1) });
            }
            if n != known_bigger
                && !n.is_null()
                // SAFETY: a non-null link is a fully published non-head node.
                && self.order.compare(unsafe { key_of(n) }, key).is_lt()
            {
                x = n;
            } else {
                if level == 0 {
                    return x;
                }
                known_bigger = n;
                level -= 1;
            }
        }
    }

    /// The last node, or the head if the list is empty.
    fn find_last(&self) -> Node {
        let mut x = self.head;
        let mut level = self.max_height() - 1;
        loop {
            // SAFETY: as in `find_greater_or_equal`.
            let n = unsafe { next(x, level) };
            if !n.is_null() {
                x = n;
            } else if level == 0 {
                return x;
            } else {
                level -= 1;
            }
        }
    }

    /// An iterator borrowing the list.
    pub fn iter(&self) -> Iter<&SkipList<O>, O> {
        Iter::new(self)
    }
}

impl Writer {
    /// A height in `1..=MAX_HEIGHT`, each level kept with probability
    /// 1/BRANCHING (two random bits per level, since BRANCHING is 4).
    #[inline]
    fn random_height(&mut self) -> usize {
        // xorshift64*: fast, and the top bits are well mixed.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
        const _: () = assert!(BRANCHING == 4);
        // Each pair of zero bits promotes one level.
        let height = 1 + (r as u32 | (1 << 30)).trailing_zeros() as usize / 2;
        height.min(MAX_HEIGHT)
    }

    /// If `key` falls right after the last inserted node (sequential
    /// inserts), fills `prev` from the saved splice and returns true.
    ///
    /// Why checking level 0 suffices: for levels the last node occupies, the
    /// splice is that node, and its successor on any level is at or after its
    /// level-0 successor, which is > `key`. For higher levels the splice was
    /// the predecessor found when the last node went in; its successor there
    /// was > the last node, so it is also at or after the level-0 successor.
    /// Nothing else has been inserted since (inserts are serialised and every
    /// insert refreshes the splice).
    ///
    /// Cost control: the last node is hot in cache, but its successor's key
    /// usually is not, so the successor is compared only while inserts keep
    /// landing there (`on_a_run`), and otherwise once in a while to notice a
    /// new run. Appending past the last node of the list costs one compare.
    #[inline]
    fn splice_fits<O: KeyOrder>(
        &mut self,
        list: &SkipList<O>,
        key: &[u8],
        prev: &mut [Node; MAX_HEIGHT],
    ) -> bool {
        let last = self.last;
        if last.is_null() {
            return false;
        }
        // SAFETY: every node has level 0; inserts are serialised, so the
        // successor cannot change under us.
        let successor = unsafe { next(last, 0) };
        self.inserts = self.inserts.wrapping_add(1);
        if !successor.is_null() && !self.on_a_run && self.inserts % 16 != 0 {
            return false;
        }
        // SAFETY: `last` is a linked non-head node of `list`.
        let fits = list.order.compare(unsafe { key_of(last) }, key).is_lt()
            // SAFETY: a non-null link is a linked non-head node.
            && (successor.is_null() || list.order.compare(unsafe { key_of(successor) }, key).is_gt());
        self.on_a_run = fits;
        if !fits {
            return false;
        }
        *prev = self.splice;
        true
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What an iterator holds to keep its list alive: a reference or an `Arc`.
/// Sealed: the iterator trusts `deref` to return the same list every time.
pub trait ListHandle<O: KeyOrder>: std::ops::Deref<Target = SkipList<O>> + sealed::Sealed {}

impl<O: KeyOrder> sealed::Sealed for &SkipList<O> {}
impl<O: KeyOrder> ListHandle<O> for &SkipList<O> {}
impl<O: KeyOrder> sealed::Sealed for std::sync::Arc<SkipList<O>> {}
impl<O: KeyOrder> ListHandle<O> for std::sync::Arc<SkipList<O>> {}

/// A position in a skiplist (LevelDB's `SkipList::Iterator`). Sees every
/// entry linked before each step, and possibly ones linked during it.
pub struct Iter<H: ListHandle<O>, O: KeyOrder> {
    list: H,
    /// The current node; null when not valid. Never the head.
    node: Node,
    _order: PhantomData<fn() -> O>,
}

// SAFETY: the node pointer points into the list the handle keeps alive, and
// the list is Sync; moving the iterator to another thread is like moving
// the handle.
unsafe impl<H: ListHandle<O> + Send, O: KeyOrder> Send for Iter<H, O> {}

impl<H: ListHandle<O>, O: KeyOrder> Iter<H, O> {
    pub fn new(list: H) -> Self {
        Iter {
            list,
            node: ptr::null_mut(),
            _order: PhantomData,
        }
    }

    pub fn list(&self) -> &SkipList<O> {
        &self.list
    }

    #[inline]
    pub fn valid(&self) -> bool {
        !self.node.is_null()
    }

    /// The current key. Panics if not valid.
    #[inline]
    pub fn key(&self) -> &[u8] {
        assert!(self.valid(), "key() on an invalid skiplist iterator");
        // SAFETY: a valid iterator's node is a linked non-head node of the
        // list `self.list` keeps alive for as long as `self` is borrowed.
        unsafe { key_of(self.node) }
    }

    /// The current value. Panics if not valid.
    #[inline]
    pub fn value(&self) -> &[u8] {
        assert!(self.valid(), "value() on an invalid skiplist iterator");
        // SAFETY: as in `key`.
        unsafe { value_of(self.node) }
    }

    #[inline]
    pub fn next(&mut self) {
        assert!(self.valid(), "next() on an invalid skiplist iterator");
        // SAFETY: every node has level 0.
        self.node = unsafe { next(self.node, 0) };
    }

    pub fn prev(&mut self) {
        assert!(self.valid(), "prev() on an invalid skiplist iterator");
        // No back links: search for the last node before the current key.
        let x = self.list.find_less_than(self.key());
        self.node = if x == self.list.head {
            ptr::null_mut()
        } else {
            x
        };
    }

    /// Positions at the first entry with key `>= target`.
    #[inline]
    pub fn seek(&mut self, target: &[u8]) {
        self.node = self.list.find_greater_or_equal(target, None);
    }

    pub fn seek_to_first(&mut self) {
        // SAFETY: the head has every level.
        self.node = unsafe { next(self.list.head, 0) };
    }

    pub fn seek_to_last(&mut self) {
        let x = self.list.find_last();
        self.node = if x == self.list.head {
            ptr::null_mut()
        } else {
            x
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicU64};
    use std::sync::Arc;

    fn collect_forward<H: ListHandle<O>, O: KeyOrder>(
        it: &mut Iter<H, O>,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        it.seek_to_first();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next();
        }
        out
    }

    #[test]
    fn empty() {
        let list = SkipList::new(BytewiseOrder);
        assert!(!list.contains(b"10"));
        assert!(list.is_empty());
        let mut it = list.iter();
        assert!(!it.valid());
        it.seek_to_first();
        assert!(!it.valid());
        it.seek(b"100");
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
    }

    #[test]
    fn entry_encoding_and_parts() {
        let list = SkipList::new(BytewiseOrder);
        let big = vec![7u8; 300];
        list.insert(&[b"ab", b"", b"cd"], &big);
        list.insert(&[b"a"], b"");
        let mut it = list.iter();
        it.seek_to_first();
        assert_eq!((it.key(), it.value()), (&b"a"[..], &b""[..]));
        it.next();
        assert_eq!((it.key(), it.value()), (&b"abcd"[..], &big[..]));
        // The raw entry is varint32(4) "abcd" varint32(300) value.
        let node = it.node;
        // SAFETY: node is a live entry of 1 + 4 + 2 + 300 bytes.
        let raw = unsafe { std::slice::from_raw_parts(node, 307) };
        assert_eq!(&raw[..7], &[4, b'a', b'b', b'c', b'd', 0xac, 0x02]);
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn varint_lengths() {
        for (v, n) in [
            (0u32, 1),
            (127, 1),
            (128, 2),
            (16383, 2),
            (16384, 3),
            (u32::MAX, 5),
        ] {
            assert_eq!(varint32_len(v), n, "{v}");
            let mut buf = [0u8; 5];
            // SAFETY: 5 bytes suffice for any varint32.
            let end = unsafe { write_varint32(buf.as_mut_ptr(), v) };
            assert_eq!(end as usize - buf.as_ptr() as usize, n);
            // SAFETY: just written.
            assert_eq!(unsafe { read_varint32(buf.as_ptr()) }, (v as usize, n));
        }
    }

    #[test]
    fn heights_follow_branching() {
        let mut w = Writer {
            arena: Arena::new(),
            rng: 0xdead_beef_cafe_f00d,
            splice: [ptr::null_mut(); MAX_HEIGHT],
            last: ptr::null_mut(),
            on_a_run: false,
            inserts: 0,
        };
        let n = if cfg!(miri) { 4_000 } else { 400_000 };
        let mut counts = [0usize; MAX_HEIGHT + 1];
        for _ in 0..n {
            let h = w.random_height();
            assert!((1..=MAX_HEIGHT).contains(&h));
            counts[h] += 1;
        }
        // P(height >= 2) = 1/4, P(height >= 3) = 1/16.
        let at_least = |h: usize| counts[h..].iter().sum::<usize>() as f64 / n as f64;
        assert!((at_least(2) - 0.25).abs() < 0.02, "{counts:?}");
        assert!((at_least(3) - 0.0625).abs() < 0.01, "{counts:?}");
    }

    /// Checks the list against the model in both directions and by seeks.
    fn check_against_model(
        list: &SkipList<BytewiseOrder>,
        model: &BTreeMap<Vec<u8>, Vec<u8>>,
        probes: &[Vec<u8>],
    ) {
        let mut it = list.iter();
        let forward = collect_forward(&mut it);
        let expected: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(forward, expected);

        let mut backward = Vec::new();
        it.seek_to_last();
        while it.valid() {
            backward.push((it.key().to_vec(), it.value().to_vec()));
            it.prev();
        }
        backward.reverse();
        assert_eq!(backward, expected);
        assert_eq!(list.len(), model.len());

        for probe in probes.iter().chain(model.keys()) {
            assert_eq!(list.contains(probe), model.contains_key(probe));
            it.seek(probe);
            let want = model.range(probe.clone()..).next();
            match want {
                Some((k, v)) => {
                    assert!(it.valid());
                    assert_eq!((it.key(), it.value()), (&k[..], &v[..]));
                    // Step back then forward again from a seek.
                    it.prev();
                    let before = model.range(..probe.clone()).next_back();
                    match before {
                        Some((bk, _)) => assert_eq!(it.key(), &bk[..]),
                        None => assert!(!it.valid()),
                    }
                }
                None => assert!(!it.valid()),
            }
        }
    }

    fn small_key() -> impl Strategy<Value = Vec<u8>> {
        // Few distinct bytes so keys share prefixes and collide often.
        prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', b'b', 0xff]), 0..6)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 128 }))]

        #[test]
        fn matches_btreemap(
            entries in prop::collection::vec((small_key(), prop::collection::vec(any::<u8>(), 0..4)), 0..200),
            probes in prop::collection::vec(small_key(), 0..30),
        ) {
            let list = SkipList::new(BytewiseOrder);
            let mut model = BTreeMap::new();
            for (k, v) in entries {
                if model.contains_key(&k) {
                    continue; // keys are unique in a skiplist
                }
                list.insert(&[&k], &v);
                model.insert(k, v);
            }
            check_against_model(&list, &model, &probes);
        }

        #[test]
        fn sequential_and_mixed_inserts(
            runs in prop::collection::vec((any::<u16>(), 1usize..40, any::<bool>()), 1..12),
        ) {
            // Runs of ascending (or descending) keys exercise the splice fast
            // path and its fallback.
            let list = SkipList::new(BytewiseOrder);
            let mut model = BTreeMap::new();
            for (start, n, ascending) in runs {
                for i in 0..n as u32 {
                    let k = if ascending { start as u32 + i } else { (start as u32 + 64).saturating_sub(i) };
                    let key = k.to_be_bytes().to_vec();
                    if model.contains_key(&key) {
                        continue;
                    }
                    list.insert(&[&key], &key[2..]);
                    model.insert(key.clone(), key[2..].to_vec());
                }
            }
            check_against_model(&list, &model, &[vec![], vec![0xff; 5]]);
        }
    }

    #[test]
    fn many_sequential_inserts() {
        let n: u32 = if cfg!(miri) { 500 } else { 50_000 };
        let list = SkipList::new(BytewiseOrder);
        for i in 0..n {
            list.insert(&[&i.to_be_bytes()], b"v");
        }
        let mut it = list.iter();
        it.seek_to_first();
        for i in 0..n {
            assert_eq!(it.key(), &i.to_be_bytes());
            it.next();
        }
        assert!(!it.valid());
        it.seek_to_last();
        assert_eq!(it.key(), &(n - 1).to_be_bytes());
        assert!(list.max_height() > 1);
    }

    /// Bytewise order that counts its comparisons.
    #[derive(Default)]
    struct CountingOrder(AtomicU64);
    impl KeyOrder for CountingOrder {
        fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
            self.0.fetch_add(1, AtomicOrdering::Relaxed);
            a.cmp(b)
        }
    }

    #[test]
    fn sequential_inserts_take_the_splice_fast_path() {
        let n: u32 = if cfg!(miri) { 300 } else { 20_000 };
        let list = SkipList::new(CountingOrder::default());
        for i in 0..n {
            list.insert(&[&i.to_be_bytes()], b"");
        }
        // One comparison with the last node per insert (its successor is
        // null), plus a full search for the first.
        let compares = list.order().0.load(AtomicOrdering::Relaxed);
        assert!(
            compares <= n as u64 + 1,
            "{compares} comparisons for {n} appends"
        );
        // Interleaving two ascending runs (each insert lands one node past
        // the last one's successor, so the splice never fits) falls back to
        // full searches and still ends up ordered.
        let list = SkipList::new(CountingOrder::default());
        for i in 0..n / 2 {
            list.insert(&[&(2 * i).to_be_bytes()], b"");
        }
        for i in 0..n / 2 {
            list.insert(&[&(2 * i + 1).to_be_bytes()], b"");
        }
        let mut it = list.iter();
        it.seek_to_first();
        for i in 0..n {
            assert_eq!(it.key(), &i.to_be_bytes());
            it.next();
        }
        assert!(!it.valid());
    }

    #[test]
    fn arc_iterator_keeps_list_alive() {
        let list = Arc::new(SkipList::new(BytewiseOrder));
        list.insert(&[b"k"], b"v");
        let mut it = Iter::new(Arc::clone(&list));
        drop(list);
        it.seek_to_first();
        assert_eq!((it.key(), it.value()), (&b"k"[..], &b"v"[..]));
        fn assert_send<T: Send>(_: &T) {}
        assert_send(&it);
    }

    // ---- Concurrency, after LevelDB's skiplist_test ConcurrentTest. ----
    //
    // Keys are (k, gen, hash): k in 0..K, gen the k-th key's insert count.
    // The writer inserts (k, gen + 1) and only then publishes gen + 1 in
    // `current`. A reader snapshots `current`, then scans: every key it meets
    // must be well formed (hash matches) and in order, and every key that
    // existed when it started (gen <= snapshot) must be seen.

    const K: u64 = 4;

    fn make_key(k: u64, gen: u64) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..8].copy_from_slice(&k.to_be_bytes());
        out[8..16].copy_from_slice(&gen.to_be_bytes());
        out[16..].copy_from_slice(&hash_kg(k, gen).to_be_bytes());
        out
    }

    fn hash_kg(k: u64, gen: u64) -> u64 {
        let mut h = k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ gen.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        h ^= h >> 29;
        h.wrapping_mul(0x1656_67b1_9e37_79f9)
    }

    fn parse(key: &[u8]) -> (u64, u64) {
        assert_eq!(key.len(), 24, "torn key {key:?}");
        let k = u64::from_be_bytes(key[..8].try_into().unwrap());
        let gen = u64::from_be_bytes(key[8..16].try_into().unwrap());
        let hash = u64::from_be_bytes(key[16..].try_into().unwrap());
        assert_eq!(hash, hash_kg(k, gen), "torn key k={k} gen={gen}");
        (k, gen)
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    struct Shared {
        list: SkipList<BytewiseOrder>,
        current: [AtomicU64; K as usize],
    }

    fn write_step(shared: &Shared, rng: &mut Rng) {
        let k = rng.next() % K;
        let gen = shared.current[k as usize].load(AtomicOrdering::Relaxed) + 1;
        let key = make_key(k, gen);
        shared.list.insert(&[&key], &key[16..]);
        shared.current[k as usize].store(gen, AtomicOrdering::Release);
    }

    fn read_step(shared: &Shared, rng: &mut Rng) {
        let initial: Vec<u64> = shared
            .current
            .iter()
            .map(|c| c.load(AtomicOrdering::Acquire))
            .collect();
        let random_target = |rng: &mut Rng| -> (u64, u64) {
            match rng.next() % 10 {
                0 => (0, 0),
                1 => (K, 0), // past the end
                _ => (rng.next() % K, 0),
            }
        };
        let mut pos = random_target(rng);
        let mut it = shared.list.iter();
        it.seek(&make_key(pos.0, pos.1));
        loop {
            let current = if it.valid() {
                assert_eq!(it.value(), &it.key()[16..], "value of a torn entry");
                parse(it.key())
            } else {
                (K, 0)
            };
            assert!(
                pos <= current,
                "iterator went backwards: {pos:?} > {current:?}"
            );
            // Nothing in [pos, current) may have existed at the start.
            while pos < current {
                assert!(pos.0 < K);
                assert!(
                    pos.1 == 0 || pos.1 > initial[pos.0 as usize],
                    "missed key {pos:?} present since before the scan (initial {:?})",
                    initial
                );
                pos = if pos.0 < current.0 {
                    (pos.0 + 1, 0)
                } else {
                    (pos.0, pos.1 + 1)
                };
            }
            if !it.valid() {
                break;
            }
            if rng.next() % 2 == 0 {
                it.next();
                pos = (pos.0, pos.1 + 1);
            } else {
                let target = random_target(rng);
                if target > pos {
                    pos = target;
                    it.seek(&make_key(target.0, target.1));
                }
            }
        }
    }

    /// Backward scans must stay in strictly descending order and well formed.
    fn read_backward(shared: &Shared, rng: &mut Rng) {
        let mut it = shared.list.iter();
        it.seek_to_last();
        let mut last: Option<(u64, u64)> = None;
        let mut steps = rng.next() % 64;
        while it.valid() && steps > 0 {
            let here = parse(it.key());
            if let Some(l) = last {
                assert!(here < l, "prev went forward: {here:?} !< {l:?}");
            }
            last = Some(here);
            it.prev();
            steps -= 1;
        }
    }

    #[test]
    fn single_threaded_model_of_concurrent_test() {
        let shared = Shared {
            list: SkipList::new(BytewiseOrder),
            current: Default::default(),
        };
        let mut rng = Rng(0x1234_5678);
        for _ in 0..if cfg!(miri) { 40 } else { 10_000 } {
            read_step(&shared, &mut rng);
            write_step(&shared, &mut rng);
        }
    }

    fn run_concurrent(seed: u64, duration: std::time::Duration, readers: usize) {
        let shared = Arc::new(Shared {
            list: SkipList::new(BytewiseOrder),
            current: Default::default(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..readers)
            .map(|r| {
                let shared = Arc::clone(&shared);
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut rng = Rng(seed ^ (r as u64 + 1).wrapping_mul(0x9e37_79b9));
                    let mut scans = 0u64;
                    while !stop.load(AtomicOrdering::Acquire) {
                        read_step(&shared, &mut rng);
                        if scans % 8 == 0 {
                            read_backward(&shared, &mut rng);
                        }
                        scans += 1;
                    }
                    scans
                })
            })
            .collect();
        let mut rng = Rng(seed | 1);
        let start = std::time::Instant::now();
        let mut writes = 0u64;
        while start.elapsed() < duration {
            for _ in 0..64 {
                write_step(&shared, &mut rng);
            }
            writes += 64;
        }
        stop.store(true, AtomicOrdering::Release);
        let scans: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(writes > 0 && scans > 0);
        assert_eq!(shared.list.len() as u64, writes);
    }

    #[test]
    fn concurrent_writer_and_readers() {
        if cfg!(miri) {
            run_concurrent(7, std::time::Duration::from_millis(200), 2);
            return;
        }
        for seed in 1..=4 {
            run_concurrent(seed * 0x1000_0001, std::time::Duration::from_millis(400), 3);
        }
    }
}
