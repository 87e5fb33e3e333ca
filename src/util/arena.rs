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

use std::alloc::{alloc, alloc_zeroed, dealloc, handle_alloc_error, Layout};
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

/// Zeroed memory in its own anonymous mapping, unmapped on drop.
///
/// For long-lived buffers allocated next to memtables (their key filters):
/// on the heap, a 64 KiB block made while the previous memtable is alive
/// can sit among its 4 KiB arena blocks and keep `malloc` from reusing or
/// returning that span once the memtable is freed; fillsync's peak RSS
/// varied by 2 MiB from run to run that way. A mapping comes from the
/// kernel and goes back to it whole, and its pages are zeroed lazily, on
/// first touch. (Arena blocks themselves stay on the heap: fresh pages for
/// every memtable cost fillseq a tenth of its speed in page faults.) Falls
/// back to the heap when mapping fails. Under Miri it always takes the heap
/// (so that Miri checks the fallback's layout); the tests run both paths.
struct Region {
    base: NonNull<u8>,
    len: usize,
    mapped: bool,
}

/// Alignment of a heap-backed `Region` (mapped ones are page-aligned).
const REGION_ALIGN: usize = 64;

// SAFETY: a region is exclusively owned plain memory with no thread
// affinity; `base` is only its address.
unsafe impl Send for Region {}
// SAFETY: `&self` methods only return the address; what is done through it
// is up to the owner, which states its own rules.
unsafe impl Sync for Region {}

impl Region {
    /// `len` (> 0) zeroed bytes.
    fn new(len: usize) -> Region {
        assert!(len > 0, "empty region");
        if !cfg!(miri) {
            // SAFETY: a fresh private anonymous mapping; the kernel picks the
            // address, so nothing existing is replaced.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if base != libc::MAP_FAILED {
                if let Some(base) = NonNull::new(base as *mut u8) {
                    return Region {
                        base,
                        len,
                        mapped: true,
                    };
                }
            }
        }
        Self::on_heap(len)
    }

    /// `len` (> 0) zeroed bytes from the heap: the fallback of `new`.
    fn on_heap(len: usize) -> Region {
        assert!(len > 0, "empty region");
        let layout = Self::heap_layout(len);
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let Some(base) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        Region {
            base,
            len,
            mapped: false,
        }
    }

    fn heap_layout(len: usize) -> Layout {
        Layout::from_size_align(len, REGION_ALIGN).expect("region too large")
    }

    #[inline]
    fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.mapped {
            // SAFETY: exactly the range `new` mapped, unmapped once; owners
            // hand out no reference that outlives the region.
            unsafe { libc::munmap(self.base.as_ptr() as *mut libc::c_void, self.len) };
        } else {
            // SAFETY: allocated in `on_heap` with this very layout, freed
            // once.
            unsafe { dealloc(self.base.as_ptr(), Self::heap_layout(self.len)) };
        }
    }
}

/// A zeroed array of atomic words in a `Region` of its own (the
/// memtable's key filter).
pub struct ZeroedWords {
    region: Region,
    len: usize,
}

impl ZeroedWords {
    /// `len` (> 0) words, all zero.
    pub fn new(len: usize) -> ZeroedWords {
        ZeroedWords {
            region: Region::new(Self::bytes(len)),
            len,
        }
    }

    /// As `new`, always on the heap.
    #[cfg(test)]
    fn on_heap(len: usize) -> ZeroedWords {
        ZeroedWords {
            region: Region::on_heap(Self::bytes(len)),
            len,
        }
    }

    fn bytes(len: usize) -> usize {
        len.checked_mul(std::mem::size_of::<AtomicU64>())
            .expect("word array too large")
    }
}

impl std::ops::Deref for ZeroedWords {
    type Target = [AtomicU64];

    #[inline]
    fn deref(&self) -> &[AtomicU64] {
        // SAFETY: the region holds `len` words' worth of zeroed bytes (a
        // valid `AtomicU64` each), aligned to at least 64, and lives until
        // drop, which needs `&mut self`. Atomics may be shared freely.
        unsafe { std::slice::from_raw_parts(self.region.as_ptr() as *const AtomicU64, self.len) }
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
        for (len, on_heap) in [1, 7, 512, 8192]
            .into_iter()
            .flat_map(|l| [(l, false), (l, true)])
        {
            let words = if on_heap {
                ZeroedWords::on_heap(len)
            } else {
                ZeroedWords::new(len)
            };
            assert_eq!(words.region.mapped, !on_heap && !cfg!(miri));
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
