//! CRC-32C (Castagnoli) as LevelDB stores it.
//!
//! Invariants: `value`/`extend` are the standard CRC-32C (via the `crc32c`
//! crate, hardware-accelerated where available). CRCs written to disk are
//! always `mask`ed, because computing the CRC of data that itself contains
//! embedded CRCs is error-prone; `unmask(mask(c)) == c` for all `c`.

const MASK_DELTA: u32 = 0xa282_ead8;

/// The CRC-32C of `data`.
#[inline]
pub fn value(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Continues `crc` (the CRC of some prefix A) over `data`, giving CRC(A ++ data).
#[inline]
pub fn extend(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// The masked form of `crc`: rotated right by 15 bits plus a constant.
#[inline]
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Inverse of [`mask`].
#[inline]
pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_results() {
        // From RFC 3720 section B.4, as LevelDB's crc32c_test checks.
        assert_eq!(value(&[0u8; 32]), 0x8a9136aa);
        assert_eq!(value(&[0xffu8; 32]), 0x62a8ab43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(value(&ascending), 0x46dd794e);
        let descending: Vec<u8> = (0..32).rev().collect();
        assert_eq!(value(&descending), 0x113fdb5c);
    }

    #[test]
    fn extend_and_mask() {
        assert_eq!(value(b"hello world"), extend(value(b"hello "), b"world"));
        let crc = value(b"foo");
        assert_ne!(crc, mask(crc));
        assert_ne!(crc, mask(mask(crc)));
        assert_eq!(crc, unmask(mask(crc)));
        assert_eq!(crc, unmask(unmask(mask(mask(crc)))));
    }
}
