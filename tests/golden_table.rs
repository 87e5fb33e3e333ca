//! Tables written by the real LevelDB 1.23 (the golden cases of
//! `tests/support`),
//! read with our reader and rebuilt with our builder.
//!
//! - nocompress-smallblocks: the rebuilt table is byte-identical.
//! - levels-snappy-bloom: every rebuilt data block decodes to the same bytes
//!   as the original (snappy encoders may differ in their choices, so the
//!   compressed bytes are not compared), index keys are the same, and every
//!   bloom filter equals LevelDB's bytes exactly.
//!
//! Every entry is found by `internal_get`, and forward and backward
//! iteration agree. The golden directories are copied to a temp dir first.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use leveldb::env::{Env, RandomAccessFile, WritableFile};
use leveldb::filter::FilterPolicy;
use leveldb::iterator::InternalIterator;
use leveldb::key::{extract_user_key, InternalKeyComparator};
use leveldb::table::block::Block;
use leveldb::table::format::{read_block, BlockHandle, Footer, FOOTER_ENCODED_LENGTH};
use leveldb::table::{InternalFilterPolicy, Table, TableBuilder};
use leveldb::util::bloom::BloomFilterPolicy;
use leveldb::util::comparator::{bytewise, Comparator};
use leveldb::{CompressionType, Options, ReadOptions, Result};

mod support;

struct Sink(Arc<Mutex<Vec<u8>>>);

impl WritableFile for Sink {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

struct Bytes(Vec<u8>);

impl RandomAccessFile for Bytes {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let off = (offset as usize).min(self.0.len());
        let n = buf.len().min(self.0.len() - off);
        buf[..n].copy_from_slice(&self.0[off..off + n]);
        Ok(n)
    }
}

/// Copies the golden case's `db/` to a fresh temp dir.
fn copy_case(case: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("db");
    std::fs::create_dir(&dst).unwrap();
    for entry in std::fs::read_dir(support::golden_case(case).join("db")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dst.join(entry.file_name())).unwrap();
    }
    (tmp, dst)
}

fn tables_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ldb"))
        .collect();
    v.sort();
    v
}

fn icmp() -> Arc<dyn Comparator> {
    Arc::new(InternalKeyComparator::new(bytewise()))
}

/// Opens a table file through the POSIX env.
fn open_table(options: &Options, path: &Path) -> (Arc<Table>, Vec<u8>) {
    let env: Arc<dyn Env> = leveldb::env::default_env();
    let p = path.to_str().unwrap();
    let size = env.get_file_size(p).unwrap();
    let file = env.new_random_access_file(p).unwrap();
    let table = Table::open(&options.table_options(), file, size).unwrap();
    (table, std::fs::read(path).unwrap())
}

fn all_entries(table: &Arc<Table>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut ro = ReadOptions::new();
    ro.verify_checksums = true;
    let mut it = table.iter(&ro.block_reads());
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status().unwrap();
    let mut back = Vec::new();
    it.seek_to_last();
    while it.valid() {
        back.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    it.status().unwrap();
    back.reverse();
    assert_eq!(out, back, "forward and backward iteration agree");
    out
}

fn rebuild(options: &Options, entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut b = TableBuilder::new(&options.table_options(), Box::new(Sink(Arc::clone(&out))));
    for (k, v) in entries {
        b.add(k, v);
    }
    b.finish().unwrap();
    let bytes = out.lock().unwrap().clone();
    assert_eq!(b.file_size(), bytes.len() as u64);
    bytes
}

fn check_point_reads(table: &Arc<Table>, entries: &[(Vec<u8>, Vec<u8>)]) {
    let ro = ReadOptions::new();
    for (k, v) in entries {
        let mut found = None;
        table
            .internal_get(&ro.block_reads(), k, &mut |fk, fv| {
                found = Some((fk.to_vec(), fv.to_vec()))
            })
            .unwrap();
        assert_eq!(found.as_ref(), Some(&(k.clone(), v.clone())));
    }
}

fn footer_of(bytes: &[u8]) -> Footer {
    Footer::decode(&bytes[bytes.len() - FOOTER_ENCODED_LENGTH..]).unwrap()
}

fn block_at(bytes: &[u8], handle: &BlockHandle) -> Arc<Block> {
    let contents = read_block(&Bytes(bytes.to_vec()), bytes.len() as u64, true, handle).unwrap();
    Arc::new(Block::new(contents))
}

/// The (key, handle) entries of a table's index block.
fn index_entries(bytes: &[u8]) -> Vec<(Vec<u8>, BlockHandle)> {
    let index = block_at(bytes, &footer_of(bytes).index_handle);
    let mut it = index.iter(icmp());
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        let h = BlockHandle::decode_from(&mut it.value()).unwrap();
        out.push((it.key().to_vec(), h));
        it.next();
    }
    it.status().unwrap();
    out
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn nocompress_smallblocks_rebuilds_byte_identical() {
    let (_tmp, dir) = copy_case("nocompress-smallblocks");
    let options = Options {
        comparator: icmp(),
        compression: CompressionType::None,
        block_size: 1024,
        block_restart_interval: 4,
        filter_policy: None,
        ..Options::default()
    };
    let tables = tables_in(&dir);
    assert_eq!(tables.len(), 1);
    let (table, original) = open_table(&options, &tables[0]);
    let entries = all_entries(&table);

    // The one table holds exactly the expected live entries.
    let expected = std::fs::read_to_string(
        support::golden_case("nocompress-smallblocks").join("expected.tsv"),
    )
    .unwrap();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = expected
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (hex_decode(k), hex_decode(v))
        })
        .collect();
    let got: Vec<(Vec<u8>, Vec<u8>)> = entries
        .iter()
        .map(|(k, v)| (extract_user_key(k).to_vec(), v.clone()))
        .collect();
    assert_eq!(got, expected);

    check_point_reads(&table, &entries);
    let rebuilt = rebuild(&options, &entries);
    assert_eq!(rebuilt.len(), original.len());
    assert!(rebuilt == original, "rebuilt table differs from LevelDB's");
}

#[test]
fn levels_snappy_bloom_blocks_and_filters_match() {
    let (_tmp, dir) = copy_case("levels-snappy-bloom");
    let bloom: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(10));
    let options = Options {
        comparator: icmp(),
        compression: CompressionType::Snappy,
        filter_policy: Some(Arc::new(InternalFilterPolicy::new(Arc::clone(&bloom)))),
        ..Options::default()
    };
    assert_eq!(
        (options.block_size, options.block_restart_interval),
        (4096, 16)
    );
    let tables = tables_in(&dir);
    assert!(tables.len() >= 3);
    let mut identical = 0;
    let mut filters_checked = 0;
    for path in &tables {
        let (table, original) = open_table(&options, path);
        let entries = all_entries(&table);
        assert!(!entries.is_empty());
        check_point_reads(&table, &entries);

        let rebuilt = rebuild(&options, &entries);
        if rebuilt == original {
            identical += 1;
        }
        // Data blocks: same cut points and the same decoded contents.
        let orig_index = index_entries(&original);
        let new_index = index_entries(&rebuilt);
        assert_eq!(orig_index.len(), new_index.len(), "{path:?}: block count");
        for ((ok, oh), (nk, nh)) in orig_index.iter().zip(&new_index) {
            assert_eq!(ok, nk, "{path:?}: index key");
            let ob = block_at(&original, oh);
            let nb = block_at(&rebuilt, nh);
            assert!(
                ob.contents() == nb.contents(),
                "{path:?}: block at {}",
                oh.offset
            );
        }

        // Filters: each is the bloom filter of the user keys of the
        // original data blocks starting in its 2 KiB range.
        let footer = footer_of(&original);
        let meta = block_at(&original, &footer.metaindex_handle);
        let mut mit = meta.iter(bytewise());
        mit.seek(b"filter.leveldb.BuiltinBloomFilter2");
        assert!(mit.valid());
        assert_eq!(mit.key(), b"filter.leveldb.BuiltinBloomFilter2");
        let fh = BlockHandle::decode_from(&mut mit.value()).unwrap();
        let filter = block_at(&original, &fh);
        let filter = filter.contents();
        let n = filter.len();
        assert_eq!(filter[n - 1], 11);
        let array = u32::from_le_bytes(filter[n - 5..n - 1].try_into().unwrap()) as usize;
        let num = (n - 5 - array) / 4;
        let offset = |i: usize| {
            let at = array + 4 * i;
            u32::from_le_bytes(filter[at..at + 4].try_into().unwrap()) as usize
        };
        let mut user_keys_by_filter: Vec<Vec<Vec<u8>>> = vec![Vec::new(); num];
        for (_, h) in &orig_index {
            let i = (h.offset >> 11) as usize;
            assert!(i < num, "{path:?}: block at {} has no filter", h.offset);
            let block = block_at(&original, h);
            let mut it = block.iter(icmp());
            it.seek_to_first();
            while it.valid() {
                user_keys_by_filter[i].push(extract_user_key(it.key()).to_vec());
                it.next();
            }
        }
        for (i, keys) in user_keys_by_filter.iter().enumerate() {
            let theirs = &filter[offset(i)..offset(i + 1)];
            let mut ours = Vec::new();
            if !keys.is_empty() {
                let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
                bloom.create_filter(&refs, &mut ours);
            }
            assert!(ours == theirs, "{path:?}: filter {i} differs");
            filters_checked += 1;
        }
    }
    assert!(filters_checked > 100, "{filters_checked}");
    eprintln!(
        "{} tables, {identical} rebuilt byte-identical (snappy output included), {filters_checked} filters equal",
        tables.len()
    );
}

/// The golden case's comparator, as made through LevelDB's C API (whose
/// comparators never shorten keys).
struct ReverseBytewise;

impl Comparator for ReverseBytewise {
    fn compare(&self, a: &[u8], b: &[u8]) -> std::cmp::Ordering {
        b.cmp(a)
    }
    fn name(&self) -> &str {
        "golden.ReverseBytewise"
    }
    fn find_shortest_separator(&self, _start: &mut Vec<u8>, _limit: &[u8]) {}
    fn find_short_successor(&self, _key: &mut Vec<u8>) {}
}

#[test]
fn reverse_comparator_table_reads_and_rebuilds() {
    let (_tmp, dir) = copy_case("reverse-comparator");
    let cmp: Arc<dyn Comparator> = Arc::new(InternalKeyComparator::new(Arc::new(ReverseBytewise)));
    let options = Options {
        comparator: Arc::clone(&cmp),
        ..Options::default()
    };
    for path in tables_in(&dir) {
        let (table, original) = open_table(&options, &path);
        let entries = all_entries(&table);
        assert!(entries.len() > 100);
        for w in entries.windows(2) {
            assert!(
                extract_user_key(&w[0].0) >= extract_user_key(&w[1].0),
                "descending user keys"
            );
        }
        check_point_reads(&table, &entries);
        let rebuilt = rebuild(&options, &entries);
        let index_of = |bytes: &[u8]| {
            let index = block_at(bytes, &footer_of(bytes).index_handle);
            let mut it = index.iter(Arc::clone(&cmp));
            let mut out = Vec::new();
            it.seek_to_first();
            while it.valid() {
                out.push((
                    it.key().to_vec(),
                    BlockHandle::decode_from(&mut it.value()).unwrap(),
                ));
                it.next();
            }
            out
        };
        let (orig_index, new_index) = (index_of(&original), index_of(&rebuilt));
        assert_eq!(orig_index.len(), new_index.len());
        for ((ok, oh), (nk, nh)) in orig_index.iter().zip(&new_index) {
            assert_eq!(ok, nk);
            assert!(block_at(&original, oh).contents() == block_at(&rebuilt, nh).contents());
        }
    }
}
