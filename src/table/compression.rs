//! What each compression type does to a table block's bytes (docs/formats.md
//! §8.2): the builder's choice for each block (compress, keep the result
//! only if it saves at least an eighth, else store the block as it is) and
//! undoing it when a block is read.
//!
//! Type 1 is raw snappy. Type 2 is one zstd frame, written as LevelDB's
//! current source writes it: `ZSTD_compress2` at the configured level, with
//! the parameters zstd picks for that level and the block's size, so the
//! frame records its content size and carries no checksum (the block
//! trailer's CRC covers it). It is read as LevelDB reads it: the first
//! frame's content size is the block's length, and `ZSTD_decompressDCtx`
//! must fill exactly that from all the stored bytes.
//!
//! Invariants: decoding never panics and never trusts a length beyond what
//! the stored bytes could expand to; its errors are LevelDB's texts. Without
//! the `zstd` feature Strata acts as a LevelDB built without zstd: zstd
//! blocks fail to read with LevelDB's "block length" error and a zstd table
//! is written with every block stored uncompressed. A `BlockCompressor`
//! belongs to one builder; the decoders are stateless apart from a
//! per-thread zstd context.

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use crate::status::{Error, Result};

/// How table blocks are compressed ([`Options::compression`](crate::Options::compression));
/// the values are the type bytes stored after each block. Blocks of any
/// kind are read whatever the option says.
///
/// ```
/// use leveldb::{CompressionType, Options};
///
/// let options = Options { compression: CompressionType::None, ..Options::default() };
/// assert_eq!(CompressionType::Snappy as u8, 1);
/// assert_eq!(CompressionType::Zstd as u8, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressionType {
    /// Blocks are stored as they are (type byte 0).
    None = 0,
    /// Blocks are compressed with raw Snappy when that saves more than an
    /// eighth of their size (type byte 1), as LevelDB does. The default,
    /// and the only compression LevelDB 1.23 reads.
    Snappy = 1,
    /// zstd, at `Options::zstd_compression_level`: the compression of
    /// LevelDB releases after 1.23. LevelDB 1.23 cannot read such tables.
    Zstd = 2,
}

impl CompressionType {
    /// The compression an `int` of the C and C++ APIs names: 1 snappy,
    /// 2 zstd, anything else none. (LevelDB stores the int as its enum
    /// unchecked, and for a value it does not know writes every block as
    /// empty contents of that type, a table it cannot read back.)
    pub fn from_c(value: i32) -> CompressionType {
        match value {
            1 => CompressionType::Snappy,
            2 => CompressionType::Zstd,
            _ => CompressionType::None,
        }
    }
}

pub const NO_COMPRESSION: u8 = CompressionType::None as u8;
pub const SNAPPY_COMPRESSION: u8 = CompressionType::Snappy as u8;
pub const ZSTD_COMPRESSION: u8 = CompressionType::Zstd as u8;

/// LevelDB's `zstd_compression_level` default.
pub const DEFAULT_ZSTD_LEVEL: i32 = 1;

/// Compresses the blocks of one table: keeps the snappy encoder's hash
/// table and the zstd context from block to block (each costs an
/// allocation and clearing to make), and the output buffer.
pub struct BlockCompressor {
    compression: CompressionType,
    zstd_level: i32,
    snappy: snap::raw::Encoder,
    #[cfg(feature = "zstd")]
    zstd: Option<zstd::zstd_safe::CCtx<'static>>,
    scratch: Vec<u8>,
}

impl BlockCompressor {
    pub fn new(compression: CompressionType, zstd_level: i32) -> BlockCompressor {
        BlockCompressor {
            compression,
            zstd_level,
            snappy: snap::raw::Encoder::new(),
            #[cfg(feature = "zstd")]
            zstd: None,
            scratch: Vec::new(),
        }
    }

    /// How blocks are compressed now.
    pub fn compression(&self) -> CompressionType {
        self.compression
    }

    /// Compresses the blocks given from now on this way.
    pub fn configure(&mut self, compression: CompressionType, zstd_level: i32) {
        self.compression = compression;
        self.zstd_level = zstd_level;
    }

    /// The bytes to store for the block `raw` and their type byte:
    /// compressed if that saves at least an eighth of `raw`
    /// (`compressed < raw - raw/8`), else `raw` itself with type 0, as
    /// LevelDB's `TableBuilder::WriteBlock` decides.
    pub fn compress<'a>(&'a mut self, raw: &'a [u8]) -> (&'a [u8], u8) {
        let compressed = match self.compression {
            CompressionType::None => false,
            CompressionType::Snappy => snappy_compress(&mut self.snappy, raw, &mut self.scratch),
            CompressionType::Zstd => self.zstd_compress(raw),
        };
        if compressed && self.scratch.len() < raw.len() - raw.len() / 8 {
            (&self.scratch, self.compression as u8)
        } else {
            (raw, NO_COMPRESSION)
        }
    }

    /// Fills `scratch` with one zstd frame of `raw`; false if zstd failed
    /// (or is not built in).
    #[cfg(feature = "zstd")]
    fn zstd_compress(&mut self, raw: &[u8]) -> bool {
        use zstd::zstd_safe::{compress_bound, CCtx, CParameter};
        let ctx = self.zstd.get_or_insert_with(CCtx::create);
        self.scratch.clear();
        self.scratch.reserve(compress_bound(raw.len()));
        // The level is the only parameter set: zstd then derives the
        // compression parameters from it and the input's size exactly as
        // LevelDB's `ZSTD_getCParams(level, size, 0)` + `ZSTD_CCtx_setCParams`
        // do (tests/zstd_tables.rs compares the two, byte for byte); the
        // frame parameters keep zstd's defaults: content size written, no
        // checksum, no dictionary id.
        ctx.set_parameter(CParameter::CompressionLevel(self.zstd_level))
            .is_ok()
            && ctx.compress2(&mut self.scratch, raw).is_ok()
    }

    #[cfg(not(feature = "zstd"))]
    fn zstd_compress(&mut self, _raw: &[u8]) -> bool {
        false
    }
}

/// Fills `out` with raw snappy of `raw`; false if snappy failed.
fn snappy_compress(encoder: &mut snap::raw::Encoder, raw: &[u8], out: &mut Vec<u8>) -> bool {
    let max = snap::raw::max_compress_len(raw.len());
    if max == 0 {
        return false;
    }
    out.resize(max, 0);
    match encoder.compress(raw, out) {
        Ok(n) => {
            out.truncate(n);
            true
        }
        Err(_) => false,
    }
}

/// The uncompressed contents of a block stored with `block_type` 1 or 2
/// (`compressed` without its trailer); `take(len)` supplies an initialised
/// buffer of `len` bytes to decompress into. Any other type is
/// `Corruption: bad block type`.
pub fn uncompress(
    block_type: u8,
    compressed: &[u8],
    take: impl FnOnce(usize) -> Vec<u8>,
) -> Result<Vec<u8>> {
    match block_type {
        SNAPPY_COMPRESSION => snappy_uncompress(compressed, take),
        ZSTD_COMPRESSION => zstd_uncompress(compressed, take),
        _ => Err(Error::corruption("bad block type")),
    }
}

fn snappy_uncompress(compressed: &[u8], take: impl FnOnce(usize) -> Vec<u8>) -> Result<Vec<u8>> {
    let bad = || Error::corruption("corrupted compressed block contents");
    let len = snap::raw::decompress_len(compressed).map_err(|_| bad())?;
    // The length prefix is untrusted: one 3-byte snappy copy element yields
    // at most 64 bytes, so a larger claim is corrupt (and must not make us
    // allocate it).
    if len > compressed.len().saturating_mul(64) + 64 {
        return Err(bad());
    }
    let mut out = take(len);
    let written = snap::raw::Decoder::new()
        .decompress(compressed, &mut out)
        .map_err(|_| bad())?;
    out.truncate(written);
    Ok(out)
}

/// The most a zstd frame can expand per stored byte: an RLE block is a
/// 3-byte header and one byte, and regenerates at most a full 128 KiB
/// block. No valid frame of `n` bytes holds more than `n` times this, so a
/// content size beyond it is corrupt, and is refused before allocating.
#[cfg(feature = "zstd")]
const ZSTD_MAX_EXPANSION: u64 = (128 << 10) / 4;

#[cfg(feature = "zstd")]
fn zstd_uncompress(compressed: &[u8], take: impl FnOnce(usize) -> Vec<u8>) -> Result<Vec<u8>> {
    use std::cell::RefCell;
    use zstd::zstd_safe::{get_frame_content_size, DCtx};

    let bad_length = || Error::corruption("corrupted zstd compressed block length");
    let bad_contents = || Error::corruption("corrupted zstd compressed block contents");
    // LevelDB takes the first frame's content size as the block's length
    // and refuses 0 (no frame, or an empty one). A frame without a content
    // size, or bytes that are no frame at all, would make LevelDB try to
    // allocate about 2^64 bytes; here they are the same length error.
    let len = match get_frame_content_size(compressed) {
        Ok(Some(len)) if len > 0 => len,
        _ => return Err(bad_length()),
    };
    if len > (compressed.len() as u64).saturating_mul(ZSTD_MAX_EXPANSION) {
        // LevelDB would allocate it, then fail to fill it.
        return Err(bad_contents());
    }
    let len = usize::try_from(len).map_err(|_| bad_contents())?;
    let mut out = take(len);

    thread_local! {
        // One decompression context per thread, reused for every block
        // (LevelDB makes one per block).
        static CONTEXT: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
    }
    let decompress = |ctx: &mut DCtx<'static>, out: &mut [u8]| ctx.decompress(out, compressed);
    let result = CONTEXT
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => decompress(slot.get_or_insert_with(DCtx::create), &mut out),
            Err(_) => decompress(&mut DCtx::create(), &mut out),
        })
        .unwrap_or_else(|_| decompress(&mut DCtx::create(), &mut out));
    // Like `ZSTD_decompressDCtx` in LevelDB, this decodes every frame in
    // the block into `len` bytes; zstd checks each frame against its
    // content size, so success fills the buffer exactly.
    match result {
        Ok(written) if written == len => Ok(out),
        _ => Err(bad_contents()),
    }
}

#[cfg(not(feature = "zstd"))]
fn zstd_uncompress(_compressed: &[u8], _take: impl FnOnce(usize) -> Vec<u8>) -> Result<Vec<u8>> {
    // What LevelDB built without zstd says: it cannot find the length.
    Err(Error::corruption("corrupted zstd compressed block length"))
}

#[cfg(all(test, feature = "zstd"))]
mod tests {
    use super::*;

    fn fresh(len: usize) -> Vec<u8> {
        vec![0; len]
    }

    fn pseudo_random(len: usize) -> Vec<u8> {
        let mut state = 0x1234_5678u32;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn compression_needs_an_eighth_saved() {
        let random = pseudo_random(1000);
        for compression in [CompressionType::Snappy, CompressionType::Zstd] {
            let mut c = BlockCompressor::new(compression, DEFAULT_ZSTD_LEVEL);
            let (out, t) = c.compress(&random);
            assert_eq!((out.len(), t), (1000, NO_COMPRESSION));
            let (_, t) = c.compress(&[]);
            assert_eq!(t, NO_COMPRESSION);
            // 896 random bytes then 104 zeros: compresses to just over 7/8.
            let mut mostly_random = random[..896].to_vec();
            mostly_random.resize(1000, 0);
            let (out, t) = c.compress(&mostly_random);
            assert_eq!(t, NO_COMPRESSION, "{compression:?}: {}", out.len());
        }
        let mut none = BlockCompressor::new(CompressionType::None, 1);
        let (_, t) = none.compress(&[b'a'; 1000]);
        assert_eq!(t, NO_COMPRESSION);
    }

    #[test]
    fn compressed_blocks_round_trip() {
        let raw = b"hello hello hello hello hello hello hello hello".repeat(20);
        for (compression, t) in [
            (CompressionType::Snappy, SNAPPY_COMPRESSION),
            (CompressionType::Zstd, ZSTD_COMPRESSION),
        ] {
            let mut c = BlockCompressor::new(compression, DEFAULT_ZSTD_LEVEL);
            let (stored, got) = c.compress(&raw);
            assert_eq!(got, t);
            assert!(stored.len() < raw.len() / 4);
            assert_eq!(uncompress(t, stored, fresh).unwrap(), raw);
        }
        assert_eq!(
            uncompress(7, &raw, fresh).unwrap_err().to_string(),
            "Corruption: bad block type"
        );
    }

    #[test]
    fn zstd_frames_record_their_size_and_no_checksum() {
        let raw = b"0123456789".repeat(100);
        let mut c = BlockCompressor::new(CompressionType::Zstd, 3);
        let (stored, _) = c.compress(&raw);
        // Magic number, then the frame header descriptor: bit 2 is the
        // checksum flag; a content size field is present (single segment
        // or a nonzero size-field flag).
        assert_eq!(&stored[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        let descriptor = stored[4];
        assert_eq!(descriptor & 0x04, 0, "no checksum");
        assert!(descriptor & 0x20 != 0 || descriptor >> 6 != 0);
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(stored).ok(),
            Some(Some(1000))
        );
    }

    #[test]
    fn every_level_reads_back() {
        let raw: Vec<u8> = (0..20_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
            .collect();
        // zstd clamps levels beyond its range; 0 is its default level.
        for level in [-5, -1, 0, 1, 3, 19, 22, 1000] {
            let mut c = BlockCompressor::new(CompressionType::Zstd, level);
            let (stored, t) = c.compress(&raw);
            assert_eq!(t, ZSTD_COMPRESSION, "level {level}");
            assert_eq!(uncompress(t, stored, fresh).unwrap(), raw, "level {level}");
        }
        // Its fastest levels barely compress: the block is stored as it is.
        let mut c = BlockCompressor::new(CompressionType::Zstd, -131_073);
        let (stored, t) = c.compress(&raw);
        assert_eq!((stored, t), (&raw[..], NO_COMPRESSION));
    }

    #[test]
    fn bad_zstd_blocks_are_corruption() {
        let raw = b"abcdefgh".repeat(64);
        let mut c = BlockCompressor::new(CompressionType::Zstd, 1);
        let stored = c.compress(&raw).0.to_vec();
        let err = |bytes: &[u8]| {
            uncompress(ZSTD_COMPRESSION, bytes, fresh)
                .unwrap_err()
                .to_string()
        };
        let length = "Corruption: corrupted zstd compressed block length";
        let contents = "Corruption: corrupted zstd compressed block contents";
        assert_eq!(err(b""), length);
        assert_eq!(err(b"not a zstd frame"), length);
        assert_eq!(err(&stored[..5]), length);
        // A frame whose header has no content size.
        let mut no_size = Vec::new();
        let mut ctx = zstd::zstd_safe::CCtx::create();
        ctx.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(false))
            .unwrap();
        no_size.reserve(1024);
        ctx.compress2(&mut no_size, &raw).unwrap();
        assert_eq!(err(&no_size), length);
        // Cut short, a block of the reserved type, or garbage after the
        // frame. (Other damage, say to literals, can decode to other bytes:
        // zstd frames here carry no checksum; the block trailer's CRC is
        // what catches it.)
        assert_eq!(err(&stored[..stored.len() - 1]), contents);
        let mut reserved_block = stored.clone();
        reserved_block[frame_header_size(&stored)] |= 0b110;
        assert_eq!(err(&reserved_block), contents);
        let mut extended = stored.clone();
        extended.extend_from_slice(b"xyz");
        assert_eq!(err(&extended), contents);
        // Two frames: the second does not fit in the first one's size.
        let twice = [&stored[..], &stored[..]].concat();
        assert_eq!(err(&twice), contents);
    }

    /// The size of the frame header at the start of `frame` (RFC 8878
    /// §3.1.1.1): magic, descriptor, window descriptor unless single
    /// segment, dictionary id, content size.
    fn frame_header_size(frame: &[u8]) -> usize {
        let descriptor = frame[4];
        let single_segment = descriptor & 0x20 != 0;
        let content_size = [usize::from(single_segment), 2, 4, 8][usize::from(descriptor >> 6)];
        let dictionary_id = [0, 1, 2, 4][usize::from(descriptor & 3)];
        5 + usize::from(!single_segment) + dictionary_id + content_size
    }

    #[test]
    fn zstd_length_claims_beyond_the_bytes_are_refused_unallocated() {
        // An RLE frame: magic, descriptor (single segment, 4-byte content
        // size), the size, then one last RLE block of 128 KiB.
        let frame = |size: u32| {
            let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0xa0];
            f.extend_from_slice(&size.to_le_bytes());
            let block_header: u32 = 1 | (1 << 1) | ((128 << 10) << 3);
            f.extend_from_slice(&block_header.to_le_bytes()[..3]);
            f.push(b'z');
            f
        };
        let ok = uncompress(ZSTD_COMPRESSION, &frame(128 << 10), fresh).unwrap();
        assert_eq!(ok, vec![b'z'; 128 << 10]);
        let claimed = std::cell::Cell::new(0);
        let err = uncompress(ZSTD_COMPRESSION, &frame(u32::MAX), |len| {
            claimed.set(len);
            vec![0; len]
        })
        .unwrap_err();
        assert_eq!(claimed.get(), 0, "allocated for an impossible length");
        assert_eq!(
            err.to_string(),
            "Corruption: corrupted zstd compressed block contents"
        );
    }
}
