//! Zstd tables (block compression type 2, docs/formats.md §8.2), checked
//! against the format as LevelDB's current source writes and reads it,
//! independently of Strata's table code:
//!
//! - every block Strata writes with zstd is, byte for byte, what LevelDB's
//!   `port::Zstd_Compress` gives for that block and level (its zstd calls
//!   are made here through zstd-sys), with LevelDB's "saves an eighth or
//!   stays uncompressed" choice and its trailer;
//! - a table assembled here from the format's description (blocks, filter,
//!   metaindex, index and footer; frames from the zstd crate's own API, with
//!   and without checksums, next to uncompressed blocks; the filter and
//!   metaindex blocks compressed too, which LevelDB's reader accepts) reads
//!   back in full, filter included;
//! - databases written with zstd (and mixed with snappy) through compactions
//!   and reopens match a model;
//! - damaged zstd blocks are errors with LevelDB's texts, never wrong
//!   values;
//! - the C API's `leveldb_options_set_compression(o, 2)` and the C++ API's
//!   `kZstdCompression` write zstd tables, and LevelDB 1.23 (in its own
//!   process) cannot read them.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use leveldb::env::{default_env, RandomAccessFile, WritableFile};
use leveldb::table::compression::BlockCompressor;
use leveldb::table::{BlockReadOptions, Table, TableBuilder, TableOptions};
use leveldb::{
    BloomFilterPolicy, CompressionType, FilterPolicy, Iterator as _, Options, ReadOptions,
    WriteOptions, DB,
};
use support::{Library, OurLibDir, Rng};

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

const NO_COMPRESSION: u8 = 0;
const ZSTD_COMPRESSION: u8 = 2;
const TRAILER: usize = 5;
const FOOTER: usize = 48;
const MAGIC: u64 = 0xdb47_7524_8b80_fb57;
const BLOOM_NAME: &str = "leveldb.BuiltinBloomFilter2";

// --- The format, from its description -------------------------------------

fn put_varint(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push(v as u8 | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

fn get_varint(src: &mut &[u8]) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = src.split_first().expect("varint");
        *src = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
    }
    v
}

fn fixed32(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes[..4].try_into().unwrap())
}

/// The CRC-32C of `data` as tables store it: rotated right by 15 bits plus
/// 0xa282ead8.
fn masked_crc(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
        .rotate_right(15)
        .wrapping_add(0xa282_ead8)
}

/// A block: entries with their keys' shared prefixes left out, a restart
/// point (whole key) every `interval` entries, then the restart offsets and
/// their count as fixed32s.
fn block_contents(entries: &[(Vec<u8>, Vec<u8>)], interval: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut restarts = vec![0u32];
    let mut last: &[u8] = b"";
    for (i, (k, v)) in entries.iter().enumerate() {
        let mut shared = 0;
        if i % interval == 0 {
            if i > 0 {
                restarts.push(out.len() as u32);
            }
        } else {
            shared = last.iter().zip(k).take_while(|(a, b)| a == b).count();
        }
        put_varint(&mut out, shared as u64);
        put_varint(&mut out, (k.len() - shared) as u64);
        put_varint(&mut out, v.len() as u64);
        out.extend_from_slice(&k[shared..]);
        out.extend_from_slice(v);
        last = k;
    }
    for r in &restarts {
        out.extend_from_slice(&r.to_le_bytes());
    }
    out.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
    out
}

/// The entries of a block, read front to back.
fn block_entries(contents: &[u8]) -> Entries {
    let restarts = fixed32(&contents[contents.len() - 4..]) as usize;
    let mut data = &contents[..contents.len() - 4 - 4 * restarts];
    let mut out: Entries = Vec::new();
    while !data.is_empty() {
        let shared = get_varint(&mut data) as usize;
        let unshared = get_varint(&mut data) as usize;
        let value_len = get_varint(&mut data) as usize;
        let mut key = out.last().map_or(Vec::new(), |(k, _)| k[..shared].to_vec());
        key.extend_from_slice(&data[..unshared]);
        let value = data[unshared..unshared + value_len].to_vec();
        data = &data[unshared + value_len..];
        out.push((key, value));
    }
    out
}

fn encode_handle(offset: u64, size: u64) -> Vec<u8> {
    let mut h = Vec::new();
    put_varint(&mut h, offset);
    put_varint(&mut h, size);
    h
}

fn decode_handle(mut bytes: &[u8]) -> (usize, usize) {
    let offset = get_varint(&mut bytes) as usize;
    let size = get_varint(&mut bytes) as usize;
    (offset, size)
}

/// A table's (metaindex, index) handles, from its 48-byte footer.
fn footer(file: &[u8]) -> ((usize, usize), (usize, usize)) {
    let f = &file[file.len() - FOOTER..];
    assert_eq!(u64::from_le_bytes(f[40..].try_into().unwrap()), MAGIC);
    let mut cursor = f;
    let metaindex = (
        get_varint(&mut cursor) as usize,
        get_varint(&mut cursor) as usize,
    );
    let index = (
        get_varint(&mut cursor) as usize,
        get_varint(&mut cursor) as usize,
    );
    (metaindex, index)
}

/// The stored bytes and type byte of the block at `handle`, after checking
/// its trailer's CRC (over the stored bytes and the type byte).
fn stored_block(file: &[u8], (offset, size): (usize, usize)) -> (&[u8], u8) {
    let stored = &file[offset..offset + size];
    let trailer = &file[offset + size..offset + size + TRAILER];
    assert_eq!(
        fixed32(&trailer[1..]),
        masked_crc(&file[offset..offset + size + 1]),
        "block trailer at {offset}"
    );
    (stored, trailer[0])
}

/// A zstd block's contents as LevelDB reads them: the frame's content size
/// is the length, and the frame must fill exactly that.
fn zstd_contents(stored: &[u8]) -> Vec<u8> {
    let len = zstd::zstd_safe::get_frame_content_size(stored)
        .ok()
        .flatten()
        .expect("a zstd frame with its content size");
    let out = zstd::bulk::decompress(stored, len as usize).expect("a whole zstd frame");
    assert_eq!(out.len() as u64, len);
    out
}

fn contents(stored: &[u8], block_type: u8) -> Vec<u8> {
    match block_type {
        NO_COMPRESSION => stored.to_vec(),
        ZSTD_COMPRESSION => zstd_contents(stored),
        t => panic!("block type {t} in a zstd table"),
    }
}

/// LevelDB's `port::Zstd_Compress`, call for call: a fresh context, the
/// compression parameters `ZSTD_getCParams(level, max(len, 1), 0)` set
/// with `ZSTD_CCtx_setCParams`, then `ZSTD_compress2` into a buffer of
/// `ZSTD_compressBound(len)` bytes. `None` where LevelDB's returns false.
fn leveldb_zstd_compress(level: i32, input: &[u8]) -> Option<Vec<u8>> {
    use zstd_sys::*;
    // SAFETY: plain calls into libzstd with valid arguments: the context is
    // created, used and freed here; `out` has `out.len()` writable bytes and
    // `input` is a live slice of `input.len()` bytes.
    unsafe {
        let bound = ZSTD_compressBound(input.len());
        if ZSTD_isError(bound) != 0 {
            return None;
        }
        let mut out = vec![0u8; bound];
        let ctx = ZSTD_createCCtx();
        let parameters = ZSTD_getCParams(level, input.len().max(1) as u64, 0);
        ZSTD_CCtx_setCParams(ctx, parameters);
        let n = ZSTD_compress2(
            ctx,
            out.as_mut_ptr().cast(),
            out.len(),
            input.as_ptr().cast(),
            input.len(),
        );
        ZSTD_freeCCtx(ctx);
        if ZSTD_isError(n) != 0 {
            return None;
        }
        out.truncate(n);
        Some(out)
    }
}

/// What LevelDB's `TableBuilder::WriteBlock` stores for a block `raw` with
/// zstd at `level`: the frame if it is under 7/8 of `raw`, else `raw`.
fn leveldb_stored(level: i32, raw: &[u8]) -> (Vec<u8>, u8) {
    match leveldb_zstd_compress(level, raw) {
        Some(c) if c.len() < raw.len() - raw.len() / 8 => (c, ZSTD_COMPRESSION),
        _ => (raw.to_vec(), NO_COMPRESSION),
    }
}

/// Every block of a table written with zstd at `level`, checked against
/// what LevelDB stores for its contents; returns the data blocks' entries
/// in order and the number of (uncompressed, zstd) blocks seen.
fn check_blocks(file: &[u8], level: i32) -> (Entries, [usize; 2]) {
    let mut seen = [0usize; 2];
    let mut check = |handle: (usize, usize)| -> Vec<u8> {
        let (stored, t) = stored_block(file, handle);
        let raw = contents(stored, t);
        let (want, want_type) = leveldb_stored(level, &raw);
        assert_eq!(t, want_type, "type of the block at {}", handle.0);
        assert!(stored == &want[..], "bytes of the block at {}", handle.0);
        seen[usize::from(t == ZSTD_COMPRESSION)] += 1;
        raw
    };
    let (metaindex, index) = footer(file);
    let mut entries = Vec::new();
    for (_, handle) in block_entries(&check(index)) {
        entries.extend(block_entries(&check(decode_handle(&handle))));
    }
    for (name, handle) in block_entries(&check(metaindex)) {
        assert_eq!(name, format!("filter.{BLOOM_NAME}").into_bytes());
        // LevelDB stores the filter block uncompressed whatever the
        // compression.
        assert_eq!(stored_block(file, decode_handle(&handle)).1, NO_COMPRESSION);
    }
    (entries, seen)
}

// --- Building and reading with Strata --------------------------------------

/// A writable file appending to a shared buffer.
struct Sink(Arc<Mutex<Vec<u8>>>);

impl WritableFile for Sink {
    fn append(&mut self, data: &[u8]) -> leveldb::Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> leveldb::Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> leveldb::Result<()> {
        Ok(())
    }
    fn close(&mut self) -> leveldb::Result<()> {
        Ok(())
    }
}

/// A random-access file over bytes in memory (never mapped).
struct Source(Vec<u8>);

impl RandomAccessFile for Source {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> leveldb::Result<usize> {
        let off = (offset as usize).min(self.0.len());
        let n = buf.len().min(self.0.len() - off);
        buf[..n].copy_from_slice(&self.0[off..off + n]);
        Ok(n)
    }
}

fn zstd_options(level: i32, block_size: usize) -> TableOptions {
    TableOptions {
        compression: CompressionType::Zstd,
        zstd_compression_level: level,
        block_size,
        filter_policy: Some(Arc::new(BloomFilterPolicy::new(10))),
        ..TableOptions::default()
    }
}

fn build(options: &TableOptions, entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut builder = TableBuilder::new(options, Box::new(Sink(Arc::clone(&out))));
    for (k, v) in entries {
        builder.add(k, v);
    }
    builder.finish().unwrap();
    let bytes = out.lock().unwrap().clone();
    bytes
}

/// The table's entries, walked forward and backward (which must agree),
/// or the first error.
fn read_all(table: &Arc<Table>, verify: bool) -> leveldb::Result<Entries> {
    let reads = BlockReadOptions {
        verify_checksums: verify,
        fill_cache: true,
    };
    let mut it = table.iter(&reads);
    let mut forward = Vec::new();
    it.seek_to_first();
    while it.valid() {
        forward.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status()?;
    let mut backward = Vec::new();
    it.seek_to_last();
    while it.valid() {
        backward.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    it.status()?;
    backward.reverse();
    assert_eq!(forward, backward, "forward and backward walks differ");
    Ok(forward)
}

/// The value of `key` through a point lookup, `None` if absent.
fn lookup(table: &Arc<Table>, key: &[u8], verify: bool) -> leveldb::Result<Option<Vec<u8>>> {
    let reads = BlockReadOptions {
        verify_checksums: verify,
        fill_cache: false,
    };
    let mut found = None;
    table.internal_get(&reads, key, &mut |k, v| {
        if k == key {
            found = Some(v.to_vec());
        }
    })?;
    Ok(found)
}

// --- Data -------------------------------------------------------------------

const WORDS: [&str; 12] = [
    "table", "block", "zstd", "level", "frame", "snappy", "key", "value", "index", "filter",
    "footer", "restart",
];

/// Sorted entries: `n` keys, values of `shape` ("text": compressible words,
/// "random": incompressible bytes, "mixed": both).
fn entries(rng: &mut Rng, n: usize, shape: &str) -> Entries {
    let mut keys: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut k = format!("key{:07}", i * 3 + rng.below(3) as usize).into_bytes();
            if rng.below(8) == 0 {
                k.push(rng.below(256) as u8);
            }
            k
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let random = match shape {
                "text" => false,
                "random" => true,
                _ => rng.below(3) == 0,
            };
            let len = match rng.below(10) {
                0 => 0,
                1 => 1000 + rng.below(6000) as usize,
                _ => rng.below(200) as usize,
            };
            let mut v = Vec::with_capacity(len);
            while v.len() < len {
                if random {
                    v.push(rng.below(256) as u8);
                } else {
                    v.extend_from_slice(WORDS[rng.below(12) as usize].as_bytes());
                    v.push(b' ');
                }
            }
            v.truncate(len);
            (k, v)
        })
        .collect()
}

// --- Tests ------------------------------------------------------------------

#[test]
fn strata_writes_the_zstd_blocks_leveldb_writes() {
    let mut rng = Rng::new(0x257d);
    let mut seen = [0usize; 2];
    let cases: [(&str, usize, usize); 4] = [
        ("text", 1500, 4096),
        ("mixed", 1500, 1024),
        ("random", 300, 4096),
        // Blocks of more than zstd's 128 KiB block: frames of several.
        ("text", 400, 300 << 10),
    ];
    for (shape, n, block_size) in cases {
        let data = entries(&mut rng, n, shape);
        for level in [-5, -1, 0, 1, 2, 3, 6, 9, 15, 19, 22] {
            let options = zstd_options(level, block_size);
            let file = build(&options, &data);
            let (read, s) = check_blocks(&file, level);
            assert_eq!(read, data, "{shape} at level {level}");
            seen[0] += s[0];
            seen[1] += s[1];
            // And Strata reads its own table.
            let table =
                Table::open(&options, Arc::new(Source(file.clone())), file.len() as u64).unwrap();
            assert_eq!(read_all(&table, true).unwrap(), data);
        }
    }
    // Both of LevelDB's choices were exercised, many times.
    assert!(seen[0] > 50 && seen[1] > 500, "{seen:?}");
}

#[test]
fn the_block_compressor_matches_leveldb_on_random_blocks() {
    // Straight at the compressor: blocks of every size up to 40 KB, text,
    // binary and runs, at every level LevelDB documents, with one
    // compressor reused throughout (as a table builder reuses it).
    let mut rng = Rng::new(7);
    let mut compressors: BTreeMap<i32, BlockCompressor> = BTreeMap::new();
    for round in 0..400 {
        let level = rng.below(28) as i32 - 5;
        let len = match round % 4 {
            0 => rng.below(64) as usize,
            1 => rng.below(4096) as usize,
            _ => rng.below(40_000) as usize,
        };
        let mut raw = Vec::with_capacity(len);
        while raw.len() < len {
            match rng.below(3) {
                0 => raw.extend_from_slice(WORDS[rng.below(12) as usize].as_bytes()),
                1 => raw.push(rng.below(256) as u8),
                _ => raw.extend(std::iter::repeat(rng.below(4) as u8).take(rng.below(50) as usize)),
            }
        }
        raw.truncate(len);
        let compressor = compressors
            .entry(level)
            .or_insert_with(|| BlockCompressor::new(CompressionType::Zstd, level));
        let (stored, t) = compressor.compress(&raw);
        let (want, want_type) = leveldb_stored(level, &raw);
        assert_eq!(
            (t, stored),
            (want_type, &want[..]),
            "round {round}: {len} bytes at level {level}"
        );
    }
}

/// A filter policy that counts the filters it is asked about.
struct CountingBloom {
    bloom: BloomFilterPolicy,
    probes: AtomicUsize,
}

impl FilterPolicy for CountingBloom {
    fn name(&self) -> &str {
        BLOOM_NAME
    }
    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        self.bloom.create_filter(keys, dst);
    }
    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        self.probes.fetch_add(1, Ordering::Relaxed);
        self.bloom.key_may_match(key, filter)
    }
}

/// How the hand-assembled table stores a block.
#[derive(Clone, Copy)]
enum Store {
    Raw,
    /// `ZSTD_compressCCtx` at a level (the crate's bulk API).
    Zstd(i32),
    /// A frame that also carries zstd's own checksum.
    ZstdChecksummed,
}

fn store(block: &[u8], how: Store) -> (Vec<u8>, u8) {
    match how {
        Store::Raw => (block.to_vec(), NO_COMPRESSION),
        Store::Zstd(level) => (
            zstd::bulk::compress(block, level).unwrap(),
            ZSTD_COMPRESSION,
        ),
        Store::ZstdChecksummed => {
            use zstd::zstd_safe::{CCtx, CParameter};
            let mut ctx = CCtx::create();
            ctx.set_parameter(CParameter::ChecksumFlag(true)).unwrap();
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(block.len()));
            ctx.compress2(&mut out, block).unwrap();
            (out, ZSTD_COMPRESSION)
        }
    }
}

/// Appends a block with its trailer to `file`; returns its handle.
fn append_block(file: &mut Vec<u8>, block: &[u8], how: Store) -> Vec<u8> {
    let (stored, t) = store(block, how);
    let handle = encode_handle(file.len() as u64, stored.len() as u64);
    file.extend_from_slice(&stored);
    file.push(t);
    let crc = masked_crc(&file[file.len() - stored.len() - 1..]);
    file.extend_from_slice(&crc.to_le_bytes());
    handle
}

/// A table assembled from the format's description: data blocks of about
/// `block_size` bytes stored by turns raw, as zstd frames and as frames
/// with checksums; a bloom filter block (one filter per 2 KiB of data
/// offsets), the metaindex and index blocks, all zstd too; the footer.
fn assemble(data: &[(Vec<u8>, Vec<u8>)], block_size: usize, policy: &dyn FilterPolicy) -> Vec<u8> {
    let mut file = Vec::new();
    let mut index = Vec::new();
    let mut filter_keys: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
    let stores = [
        Store::Zstd(3),
        Store::Raw,
        Store::ZstdChecksummed,
        Store::Zstd(-3),
    ];
    let mut start = 0;
    while start < data.len() {
        let mut end = start + 1;
        let mut size = data[start].0.len() + data[start].1.len();
        while end < data.len() && size < block_size {
            size += data[end].0.len() + data[end].1.len();
            end += 1;
        }
        let entries = &data[start..end];
        filter_keys
            .entry(file.len() / 2048)
            .or_default()
            .extend(entries.iter().map(|(k, _)| k.clone()));
        let how = stores[index.len() % stores.len()];
        let handle = append_block(&mut file, &block_contents(entries, 16), how);
        // The last key of a block separates it from the next one.
        index.push((entries[entries.len() - 1].0.clone(), handle));
        start = end;
    }
    // The filter block: the filters, their offsets, the offset of that
    // array, and lg(2048).
    let mut filter = Vec::new();
    let mut offsets = Vec::new();
    let filters = filter_keys.keys().next_back().map_or(0, |last| last + 1);
    for i in 0..filters {
        offsets.push(filter.len() as u32);
        if let Some(keys) = filter_keys.get(&i) {
            let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            policy.create_filter(&keys, &mut filter);
        }
    }
    let array_at = filter.len() as u32;
    for o in offsets {
        filter.extend_from_slice(&o.to_le_bytes());
    }
    filter.extend_from_slice(&array_at.to_le_bytes());
    filter.push(11);
    let filter_handle = append_block(&mut file, &filter, Store::Zstd(1));
    let metaindex = block_contents(
        &[(format!("filter.{BLOOM_NAME}").into_bytes(), filter_handle)],
        16,
    );
    let metaindex_handle = append_block(&mut file, &metaindex, Store::Zstd(1));
    let index_handle = append_block(&mut file, &block_contents(&index, 1), Store::Zstd(1));
    let footer_at = file.len();
    file.extend_from_slice(&metaindex_handle);
    file.extend_from_slice(&index_handle);
    file.resize(footer_at + 40, 0);
    file.extend_from_slice(&MAGIC.to_le_bytes());
    file
}

#[test]
fn a_zstd_table_assembled_from_the_format_reads_back() {
    let mut rng = Rng::new(19);
    let dir = tempfile::tempdir().unwrap();
    for (shape, block_size) in [("text", 4096), ("mixed", 1000), ("text", 200 << 10)] {
        let data = entries(&mut rng, 1200, shape);
        let policy = Arc::new(CountingBloom {
            bloom: BloomFilterPolicy::new(10),
            probes: AtomicUsize::new(0),
        });
        let file = assemble(&data, block_size, &*policy);
        let path = dir.path().join(format!("{shape}-{block_size}.ldb"));
        std::fs::write(&path, &file).unwrap();
        let options = TableOptions {
            filter_policy: Some(Arc::clone(&policy) as Arc<dyn FilterPolicy>),
            paranoid_checks: true,
            ..TableOptions::default()
        };
        let env = default_env();
        // From memory (read through read_at) and from disk (the default
        // env, which maps table files).
        let sources: [Arc<dyn RandomAccessFile>; 2] = [
            Arc::new(Source(file.clone())),
            env.new_random_access_file(path.to_str().unwrap()).unwrap(),
        ];
        for source in sources {
            let table = Table::open(&options, source, file.len() as u64).unwrap();
            for verify in [false, true] {
                assert_eq!(read_all(&table, verify).unwrap(), data, "{shape}");
                for (k, v) in data.iter().step_by(7) {
                    assert_eq!(lookup(&table, k, verify).unwrap().as_ref(), Some(v));
                }
            }
            // The zstd filter block was read and is used: lookups of absent
            // keys consult it and it turns nearly all of them away.
            let before = policy.probes.load(Ordering::Relaxed);
            let mut absent_found = 0;
            for (k, _) in data.iter().take(300) {
                let mut absent = k.clone();
                absent.extend_from_slice(b"~~");
                absent_found += usize::from(lookup(&table, &absent, false).unwrap().is_some());
            }
            assert_eq!(absent_found, 0);
            assert!(policy.probes.load(Ordering::Relaxed) - before >= 300);
        }
    }
}

/// Rewrites the stored bytes of the block at `handle` of `file` with
/// `damage` applied and a trailer CRC that matches again (so only the zstd
/// layer can notice).
fn damage_block(
    file: &[u8],
    (offset, size): (usize, usize),
    damage: impl Fn(&mut [u8]),
) -> Vec<u8> {
    let mut out = file.to_vec();
    damage(&mut out[offset..offset + size]);
    let crc = masked_crc(&out[offset..offset + size + 1]);
    out[offset + size + 1..offset + size + TRAILER].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The handles of a table's data blocks that are stored with zstd.
fn zstd_data_blocks(file: &[u8]) -> Vec<(usize, usize)> {
    let (_, index) = footer(file);
    let (stored, t) = stored_block(file, index);
    block_entries(&contents(stored, t))
        .into_iter()
        .map(|(_, h)| decode_handle(&h))
        .filter(|&h| stored_block(file, h).1 == ZSTD_COMPRESSION)
        .collect()
}

#[test]
fn damaged_zstd_blocks_are_errors_never_wrong_values() {
    let mut rng = Rng::new(23);
    let data = entries(&mut rng, 800, "text");
    let options = zstd_options(3, 2048);
    let file = build(&options, &data);
    let model: BTreeMap<_, _> = data.iter().cloned().collect();
    let open = |bytes: &[u8]| {
        Table::open(
            &options,
            Arc::new(Source(bytes.to_vec())),
            bytes.len() as u64,
        )
        .unwrap()
    };
    let blocks = zstd_data_blocks(&file);
    assert!(blocks.len() > 20);
    let contents_error = "Corruption: corrupted zstd compressed block contents";
    let length_error = "Corruption: corrupted zstd compressed block length";
    for (n, &(offset, size)) in blocks.iter().enumerate().step_by(5) {
        let header = {
            // Magic (4), descriptor, then window descriptor (unless single
            // segment) and the content size field.
            let d = file[offset + 4];
            let single = d & 0x20 != 0;
            5 + usize::from(!single) + [usize::from(single), 2, 4, 8][usize::from(d >> 6)]
        };
        let variants: [(&str, Vec<u8>, &str); 4] = [
            (
                "magic",
                damage_block(&file, (offset, size), |b| b[0] ^= 0xff),
                length_error,
            ),
            (
                "content size",
                damage_block(&file, (offset, size), |b| b[header - 1] ^= 0x01),
                contents_error,
            ),
            (
                "reserved block type",
                damage_block(&file, (offset, size), |b| b[header] |= 0b110),
                contents_error,
            ),
            (
                "zeroed blocks",
                damage_block(&file, (offset, size), |b| b[header..].fill(0)),
                contents_error,
            ),
        ];
        for (what, bad, want) in variants {
            let table = open(&bad);
            for verify in [false, true] {
                let err = read_all(&table, verify).unwrap_err();
                assert_eq!(err.to_string(), want, "block {n}: {what}");
                // Point lookups: the keys of the damaged block fail, the
                // others read right; nothing reads wrong.
                let mut failed = 0;
                for (k, v) in &model {
                    match lookup(&table, k, verify) {
                        Ok(got) => assert_eq!(got.as_ref(), Some(v), "block {n}: {what}"),
                        Err(e) => {
                            assert_eq!(e.to_string(), want);
                            failed += 1;
                        }
                    }
                }
                assert!(failed > 0 && failed < model.len() / 4, "{what}: {failed}");
            }
        }
    }
    // Any single damaged byte, with checksums verified (the filter's too,
    // by paranoid checks at open: a damaged filter could hide keys): every
    // read is the right value or an error.
    let paranoid = TableOptions {
        paranoid_checks: true,
        ..options.clone()
    };
    for pos in (0..file.len()).step_by(file.len() / 1500 + 1) {
        let mut bad = file.clone();
        bad[pos] ^= 0x20;
        let Ok(table) = Table::open(&paranoid, Arc::new(Source(bad)), file.len() as u64) else {
            continue;
        };
        if let Ok(all) = read_all(&table, true) {
            assert_eq!(all, data, "byte {pos}");
        }
        for (k, v) in data.iter().step_by(11) {
            if let Ok(got) = lookup(&table, k, true) {
                assert_eq!(got.as_ref(), Some(v), "byte {pos}");
            }
        }
    }
}

/// Counts the blocks of each type byte in every table file of `dir`.
fn block_types(dir: &Path) -> BTreeMap<u8, usize> {
    let mut types = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ldb") {
            let file = std::fs::read(&path).unwrap();
            let (metaindex, index) = footer(&file);
            let mut handles = vec![metaindex, index];
            let (stored, t) = stored_block(&file, index);
            let raw = match t {
                1 => snappy_block(stored),
                _ => contents(stored, t),
            };
            handles.extend(
                block_entries(&raw)
                    .into_iter()
                    .map(|(_, h)| decode_handle(&h)),
            );
            for h in handles {
                *types.entry(stored_block(&file, h).1).or_default() += 1;
            }
        }
    }
    types
}

/// A snappy index block's contents, through Strata (snappy is not what is
/// checked here).
fn snappy_block(stored: &[u8]) -> Vec<u8> {
    leveldb::table::compression::uncompress(1, stored, |n| vec![0; n]).unwrap()
}

fn db_options(compression: CompressionType, level: i32) -> Options {
    Options {
        create_if_missing: true,
        compression,
        zstd_compression_level: level,
        write_buffer_size: 64 << 10,
        max_file_size: 1 << 20,
        block_size: 1024,
        filter_policy: Some(Arc::new(BloomFilterPolicy::new(10))),
        ..Options::default()
    }
}

fn check_db(db: &DB, model: &BTreeMap<Vec<u8>, Vec<u8>>, ctx: &str) {
    let ro = ReadOptions {
        verify_checksums: true,
        ..ReadOptions::new()
    };
    let mut it = db.iter(&ro);
    it.seek_to_first();
    let mut got = BTreeMap::new();
    while it.valid() {
        got.insert(it.key().to_vec(), it.value().to_vec());
        it.next();
    }
    it.status().unwrap();
    assert!(got == *model, "{ctx}: scan differs from the model");
    for (k, v) in model.iter().step_by(13) {
        assert_eq!(db.get(&ro, k).unwrap().as_ref(), Some(v), "{ctx}");
    }
}

#[test]
fn databases_with_zstd_tables_match_a_model_through_compactions() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().to_str().unwrap().to_string();
    let mut rng = Rng::new(0x5eed);
    let mut model = BTreeMap::new();
    let w = WriteOptions::default();
    // Zstd at several levels, then snappy over the same database (mixed
    // tables), then zstd again.
    let phases = [
        (CompressionType::Zstd, 1),
        (CompressionType::Zstd, -3),
        (CompressionType::Snappy, 1),
        (CompressionType::Zstd, 9),
    ];
    for (phase, (compression, level)) in phases.into_iter().enumerate() {
        let db = DB::open(db_options(compression, level), &name).unwrap();
        check_db(&db, &model, &format!("reopened for phase {phase}"));
        for op in 0..6000u64 {
            let key = format!("k{:05}", rng.below(3000)).into_bytes();
            if rng.below(6) == 0 {
                db.delete(&w, &key).unwrap();
                model.remove(&key);
            } else {
                let mut value = format!("{phase}.{op}:").into_bytes();
                for _ in 0..rng.below(40) {
                    value.extend_from_slice(WORDS[rng.below(12) as usize].as_bytes());
                }
                db.put(&w, &key, &value).unwrap();
                model.insert(key, value);
            }
        }
        check_db(&db, &model, &format!("phase {phase}"));
        db.compact_range(None, None).unwrap();
        check_db(&db, &model, &format!("phase {phase} compacted"));
        let types = block_types(dir.path());
        let want = if compression == CompressionType::Zstd {
            2
        } else {
            1
        };
        assert!(
            types.get(&want).copied().unwrap_or(0) > 10,
            "phase {phase}: {types:?}"
        );
        drop(db);
    }
    // Damage one zstd block of the compacted database (its CRC made to
    // match): reads of its keys fail with LevelDB's text, the rest are right.
    let table = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ldb"))
        .unwrap();
    let file = std::fs::read(&table).unwrap();
    let block = zstd_data_blocks(&file)[3];
    std::fs::write(&table, damage_block(&file, block, |b| b[0] ^= 0x01)).unwrap();
    let db = DB::open(db_options(CompressionType::Zstd, 1), &name).unwrap();
    let mut failed = 0;
    for (k, v) in &model {
        match db.get(&ReadOptions::new(), k) {
            Ok(got) => assert_eq!(got.as_ref(), Some(v)),
            Err(e) => {
                assert_eq!(
                    e.to_string(),
                    "Corruption: corrupted zstd compressed block length"
                );
                failed += 1;
            }
        }
    }
    assert!(failed > 0 && failed < 100, "{failed}");
}

// --- The C and C++ APIs ------------------------------------------------------

/// Runs the C program `c_tests/strata_zstd.c` (built against `library`)
/// with `args`; returns its stdout.
fn run_c(exe: &Path, library: Library, libs: &OurLibDir, args: &[&str]) -> String {
    let out = support::check(support::command_for(exe, library, libs).args(args));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_c_api_writes_zstd_tables_that_leveldb_1_23_cannot_read() {
    support::require_reference();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let ours = bin.path().join("strata_zstd-ours");
    let reference = bin.path().join("strata_zstd-reference");
    support::compile_c(&["c_tests/strata_zstd.c"], &ours, Library::Ours, &libs);
    support::compile_c(
        &["c_tests/strata_zstd.c"],
        &reference,
        Library::Reference,
        &libs,
    );
    // The compression int and the block types it must give (type 0 blocks
    // appear with every compression: blocks that do not shrink enough).
    for (value, want, not) in [
        ("2", 2u8, [1u8, 3]),
        ("1", 1, [2, 3]),
        ("0", 0, [1, 2]),
        ("3", 0, [1, 2]),
        ("-1", 0, [1, 2]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().to_str().unwrap();
        let wrote = run_c(&ours, Library::Ours, &libs, &[db, "write", value]);
        assert_eq!(wrote, "wrote 3000\n");
        let types = block_types(dir.path());
        assert!(
            types.get(&want).copied().unwrap_or(0) > 5,
            "{value}: {types:?}"
        );
        for t in not {
            assert!(!types.contains_key(&t), "{value}: {types:?}");
        }
        assert_eq!(
            run_c(&ours, Library::Ours, &libs, &[db, "read"]),
            "read 3000\nPASS\n",
            "compression {value}"
        );
        let by_leveldb = run_c(&reference, Library::Reference, &libs, &[db, "read"]);
        if value == "2" {
            assert!(
                by_leveldb.contains("Corruption: bad block type"),
                "LevelDB 1.23 on a zstd database: {by_leveldb}"
            );
        } else {
            assert_eq!(
                by_leveldb, "read 3000\nPASS\n",
                "LevelDB 1.23, compression {value}"
            );
        }
    }
}

#[test]
fn the_cpp_api_writes_zstd_tables() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = bin.path().join("strata_zstd_cpp");
    let source = support::root().join("cpp_tests/strata_zstd.cc");
    support::compile_cpp(&[&source], &exe, Library::Ours, &libs);
    let dir = tempfile::tempdir().unwrap();
    let out = run_c(&exe, Library::Ours, &libs, &[dir.path().to_str().unwrap()]);
    assert_eq!(out, "db: 2000 entries\ntable: 2000 entries\nPASS\n");
    let types = block_types(&dir.path().join("db"));
    assert!(types.get(&2).copied().unwrap_or(0) > 5, "{types:?}");
    // The table written through leveldb::TableBuilder: every block is
    // LevelDB's (level 1, LevelDB's default).
    let file = std::fs::read(dir.path().join("table.ldb")).unwrap();
    let (read, seen) = check_blocks(&file, 1);
    assert_eq!(read.len(), 2000);
    assert!(seen[1] > 10, "{seen:?}");
}
