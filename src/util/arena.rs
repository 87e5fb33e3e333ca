//! A bump allocator for the memtable (LevelDB's `util/arena`).
//!
//! Invariants:
//! - Memory is handed out from blocks of [`BLOCK_SIZE`] bytes; a request
//!   larger than a quarter block gets a block of its own so that little space
//!   is wasted at the tail of the shared blocks.
//! - Every block lives, at a fixed address, until the arena is dropped: a
//!   pointer returned by `allocate*` stays valid for the arena's whole life,
//!   even while the arena (the struct) is moved and keeps allocating. Nothing
//!   is freed one allocation at a time.
//! - The memory handed out is uninitialised; callers write it through the raw
//!   pointer before reading it.
//! - [`Arena::memory_usage`] counts block bytes plus one pointer per block,
//!   as LevelDB does, so memtable flush points match LevelDB's.
//!
//! Thread-safety: allocation takes `&mut self`, so an arena has one
//! allocating owner at a time. The arena may move between threads; memory it
//! handed out may be read from any thread once the writer has published it
//! with a release store (the skiplist's job).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// Bytes in a standard block.
pub const BLOCK_SIZE: usize = 4096;

/// Alignment guaranteed by [`Arena::allocate_aligned`]: that of a pointer,
/// and at least 8 (what LevelDB uses).
pub const ALIGN: usize = if std::mem::align_of::<usize>() > 8 {
    std::mem::align_of::<usize>()
} else {
    8
};

/// A bump allocator whose allocations all live until it is dropped.
pub struct Arena {
    /// Next free byte in the current block (dangling when `remaining` is 0).
    alloc_ptr: *mut u8,
    /// Free bytes left in the current block.
    remaining: usize,
    /// Every block allocated, with its layout, freed on drop.
    blocks: Vec<(NonNull<u8>, Layout)>,
    memory_usage: usize,
}

// SAFETY: the arena exclusively owns its blocks (plain heap memory with no
// thread affinity); the raw pointers are only bookkeeping into those blocks.
unsafe impl Send for Arena {}
// SAFETY: no `&self` method touches block memory or mutates anything; shared
// references can only read the usage counter.
unsafe impl Sync for Arena {}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

impl Arena {
    pub fn new() -> Arena {
        Arena {
            alloc_ptr: NonNull::dangling().as_ptr(),
            remaining: 0,
            blocks: Vec::new(),
            memory_usage: 0,
        }
    }

    /// Returns `bytes` (> 0) bytes of uninitialised memory, with no alignment
    /// promise, valid until the arena is dropped.
    #[inline]
    pub fn allocate(&mut self, bytes: usize) -> NonNull<u8> {
        // A zero-byte request has no sensible meaning (LevelDB asserts).
        assert!(bytes > 0, "zero-byte arena allocation");
        if bytes <= self.remaining {
            let result = self.alloc_ptr;
            // SAFETY: `bytes <= remaining`, so the new pointer stays within
            // (or one past the end of) the current block.
            self.alloc_ptr = unsafe { result.add(bytes) };
            self.remaining -= bytes;
            // SAFETY: `remaining > 0` before this call means `alloc_ptr` was
            // inside a live block, hence non-null.
            return unsafe { NonNull::new_unchecked(result) };
        }
        self.allocate_fallback(bytes)
    }

    /// Returns `bytes` (> 0) bytes of uninitialised memory aligned to
    /// [`ALIGN`], valid until the arena is dropped.
    #[inline]
    pub fn allocate_aligned(&mut self, bytes: usize) -> NonNull<u8> {
        assert!(bytes > 0, "zero-byte arena allocation");
        let misalignment = self.alloc_ptr as usize & (ALIGN - 1);
        let slop = if misalignment == 0 {
            0
        } else {
            ALIGN - misalignment
        };
        let needed = bytes + slop;
        if needed <= self.remaining {
            // SAFETY: `slop + bytes <= remaining`: both offsets stay within
            // (or one past the end of) the current block.
            let result = unsafe { self.alloc_ptr.add(slop) };
            // SAFETY: as above.
            self.alloc_ptr = unsafe { result.add(bytes) };
            self.remaining -= needed;
            // SAFETY: a pointer inside a live block is non-null.
            return unsafe { NonNull::new_unchecked(result) };
        }
        // New blocks come from the global allocator aligned to ALIGN.
        self.allocate_fallback(bytes)
    }

    /// Bytes held by the arena: block bytes plus a pointer's worth per block.
    #[inline]
    pub fn memory_usage(&self) -> usize {
        self.memory_usage
    }

    #[cold]
    fn allocate_fallback(&mut self, bytes: usize) -> NonNull<u8> {
        if bytes > BLOCK_SIZE / 4 {
            // Large: its own block, so the current block's tail stays usable.
            return self.allocate_new_block(bytes);
        }
        // Small: start a new standard block, abandoning the old tail.
        let block = self.allocate_new_block(BLOCK_SIZE);
        // SAFETY: `bytes <= BLOCK_SIZE / 4 < BLOCK_SIZE`, inside the block.
        self.alloc_ptr = unsafe { block.as_ptr().add(bytes) };
        self.remaining = BLOCK_SIZE - bytes;
        block
    }

    fn allocate_new_block(&mut self, block_bytes: usize) -> NonNull<u8> {
        let layout = Layout::from_size_align(block_bytes, ALIGN).expect("arena block too large");
        // SAFETY: `block_bytes > 0` (every caller passes a positive size).
        let raw = unsafe { alloc(layout) };
        let Some(block) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        self.blocks.push((block, layout));
        self.memory_usage += block_bytes + std::mem::size_of::<*mut u8>();
        block
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for &(block, layout) in &self.blocks {
            // SAFETY: each block was allocated by `alloc` with exactly this
            // layout and is freed once, here.
            unsafe { dealloc(block.as_ptr(), layout) };
        }
    }
}

/// A zeroed array of atomic words in its own anonymous memory mapping
/// (the memtable's key filter).
///
/// Why not the heap: a memtable's filter is allocated while the previous
/// memtable is still alive, and a long-lived 64 KiB heap block placed above
/// that memtable's 4 KiB arena blocks keeps `malloc` from returning them to
/// the kernel once they are freed, so peak RSS grew by up to a memtable
/// from one run to the next. A mapping comes from and goes back to the
/// kernel on its own, and its pages are zeroed lazily, on first touch.
/// Falls back to the heap when mapping fails (and under Miri).
pub struct ZeroedWords {
    words: NonNull<AtomicU64>,
    len: usize,
    mapped: bool,
}

// SAFETY: the array is exclusively owned plain memory of atomics; sharing
// `&[AtomicU64]` across threads is what atomics are for.
unsafe impl Send for ZeroedWords {}
// SAFETY: as above; `&self` only hands out `&[AtomicU64]`.
unsafe impl Sync for ZeroedWords {}

impl ZeroedWords {
    /// `len` (> 0) words, all zero.
    pub fn new(len: usize) -> ZeroedWords {
        assert!(len > 0, "empty word array");
        let bytes = len
            .checked_mul(std::mem::size_of::<AtomicU64>())
            .expect("word array too large");
        if !cfg!(miri) {
            // SAFETY: a fresh private anonymous mapping; the kernel picks the
            // address, so nothing existing is replaced. Its pages read as
            // zero, a valid `AtomicU64`, and are page-aligned.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    bytes,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if base != libc::MAP_FAILED {
                if let Some(words) = NonNull::new(base as *mut AtomicU64) {
                    return ZeroedWords {
                        words,
                        len,
                        mapped: true,
                    };
                }
            }
        }
        let boxed: Box<[AtomicU64]> = (0..len).map(|_| AtomicU64::new(0)).collect();
        let words = NonNull::new(Box::into_raw(boxed) as *mut AtomicU64).expect("box is non-null");
        ZeroedWords {
            words,
            len,
            mapped: false,
        }
    }
}

impl std::ops::Deref for ZeroedWords {
    type Target = [AtomicU64];

    #[inline]
    fn deref(&self) -> &[AtomicU64] {
        // SAFETY: `words` points at `len` initialised (zeroed or boxed)
        // atomics that live until drop, which needs `&mut self`.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr(), self.len) }
    }
}

impl Drop for ZeroedWords {
    fn drop(&mut self) {
        if self.mapped {
            // SAFETY: exactly the region `new` mapped, unmapped once; no
            // slice of it outlives `self` (see `deref`).
            unsafe {
                libc::munmap(
                    self.words.as_ptr() as *mut libc::c_void,
                    self.len * std::mem::size_of::<AtomicU64>(),
                );
            }
        } else {
            // SAFETY: made by `Box::into_raw` of a `[AtomicU64]` of `len`
            // in `new`, and turned back into its box once, here.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    self.words.as_ptr(),
                    self.len,
                ))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator so the test needs no extra crates.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn one_in(&mut self, n: u64) -> bool {
            self.next() % n == 0
        }
    }

    #[test]
    fn empty() {
        let arena = Arena::new();
        assert_eq!(arena.memory_usage(), 0);
    }

    #[test]
    fn usage_counts_blocks_like_leveldb() {
        let mut arena = Arena::new();
        // Nothing left in the (absent) current block, and large: own block.
        arena.allocate(4000);
        assert_eq!(arena.memory_usage(), 4000 + 8);
        // Small: a standard block.
        arena.allocate(1);
        assert_eq!(arena.memory_usage(), 4008 + BLOCK_SIZE + 8);
        // Fits in what is left of it: no change, even above a quarter block.
        arena.allocate(2000);
        assert_eq!(arena.memory_usage(), 4008 + BLOCK_SIZE + 8);
        // Large and does not fit: its own block, the current one kept...
        arena.allocate(3000);
        assert_eq!(arena.memory_usage(), 4008 + BLOCK_SIZE + 8 + 3008);
        // ...so a small request still fits in the old block's tail (2095
        // bytes left there)...
        arena.allocate(2000);
        assert_eq!(arena.memory_usage(), 4008 + BLOCK_SIZE + 8 + 3008);
        // ...and one that does not fit gets a new block, the tail abandoned.
        arena.allocate(100);
        assert_eq!(arena.memory_usage(), 4008 + 2 * (BLOCK_SIZE + 8) + 3008);
    }

    #[test]
    fn aligned_allocations_are_aligned() {
        let mut arena = Arena::new();
        for size in [1usize, 3, 7, 8, 9, 13, 100, 1000, 1025, 5000, 1] {
            arena.allocate(size % 5 + 1); // disturb the alignment
            let p = arena.allocate_aligned(size);
            assert_eq!(p.as_ptr() as usize % ALIGN, 0, "size {size}");
        }
    }

    /// LevelDB's arena_test "Simple": random sizes, each allocation filled
    /// with a pattern and checked after all are made.
    #[test]
    fn simple_pattern_survives() {
        let mut allocated: Vec<(usize, NonNull<u8>)> = Vec::new();
        let mut arena = Arena::new();
        const N: usize = if cfg!(miri) { 2_000 } else { 100_000 };
        let mut bytes = 0usize;
        let mut rnd = Lcg(301);
        for i in 0..N {
            let mut s = if i % (N / 10) == 0 {
                i
            } else if rnd.one_in(4000) {
                (rnd.next() % 6000) as usize
            } else if rnd.one_in(10) {
                (rnd.next() % 100) as usize
            } else {
                (rnd.next() % 20) as usize
            };
            if s == 0 {
                s = 1; // our arena, like LevelDB's, rejects zero-size requests
            }
            let r = if rnd.one_in(10) {
                arena.allocate_aligned(s)
            } else {
                arena.allocate(s)
            };
            for b in 0..s {
                // SAFETY: `r` points at `s` fresh bytes owned by the arena.
                unsafe { r.as_ptr().add(b).write((i % 256) as u8) };
            }
            bytes += s;
            allocated.push((s, r));
            assert!(arena.memory_usage() >= bytes);
            // (Miri's run is too short for the blocks to amortise.)
            if i > N / 10 && !cfg!(miri) {
                assert!((arena.memory_usage() as f64) <= bytes as f64 * 1.10);
            }
        }
        for (i, &(num_bytes, p)) in allocated.iter().enumerate() {
            for b in 0..num_bytes {
                // SAFETY: every allocation was fully written above and the
                // arena is still alive.
                let v = unsafe { p.as_ptr().add(b).read() };
                assert_eq!(v as usize & 0xff, i % 256);
            }
        }
    }

    #[test]
    #[should_panic(expected = "zero-byte")]
    fn zero_bytes_rejected() {
        Arena::new().allocate(0);
    }

    #[test]
    fn zeroed_words_start_zero_and_keep_their_bits() {
        use std::sync::atomic::Ordering;
        for len in [1, 7, 512, 8192] {
            let words = ZeroedWords::new(len);
            assert_eq!(words.len(), len);
            assert!(words.iter().all(|w| w.load(Ordering::Relaxed) == 0));
            for (i, w) in words.iter().enumerate() {
                w.fetch_or(i as u64 | 1 << 63, Ordering::Relaxed);
            }
            for (i, w) in words.iter().enumerate() {
                assert_eq!(w.load(Ordering::Relaxed), i as u64 | 1 << 63);
            }
        }
    }
}
