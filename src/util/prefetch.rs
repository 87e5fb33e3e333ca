//! Cache prefetch hints, shared by the memtable's skiplist (one node ahead)
//! and table reads (a whole block before it is decoded).
//!
//! Invariants: a prefetch never faults and never changes memory; any
//! address is allowed. On targets without the instruction these do nothing.

/// Hints the CPU to start loading the cache line at `p` (any address, even
/// null).
#[inline(always)]
pub fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache; it does not access memory
    // architecturally, so any pointer value is allowed. SSE is baseline on
    // x86_64.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Hints the CPU to start loading every cache line of `bytes`.
#[inline]
pub fn prefetch_bytes(bytes: &[u8]) {
    for offset in (0..bytes.len()).step_by(64) {
        prefetch_line(bytes[offset..].as_ptr());
    }
}
