//! A value on cache lines of its own.
//!
//! Invariant: a `Padded<T>` starts on a 128-byte boundary and fills a
//! multiple of 128 bytes, so nothing else shares its lines. 128, not 64:
//! x86's adjacent-line prefetcher fetches lines in pairs, so neighbours one
//! line apart still contend.
//!
//! For data one thread reads often while others write something that would
//! otherwise sit next to it: every such write invalidates the reader's copy
//! of the line, and the read then waits on the other core (false sharing).

/// `T`, alone on its cache lines; derefs to `T`.
#[repr(align(128))]
#[derive(Debug, Default)]
pub struct Padded<T>(pub T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_never_share_a_line() {
        let pair = [Padded(1u8), Padded(2u8)];
        let a = &pair[0] as *const _ as usize;
        let b = &pair[1] as *const _ as usize;
        assert_eq!(a % 128, 0);
        assert!(b - a >= 128);
        assert_eq!(*pair[1], 2);
    }
}
