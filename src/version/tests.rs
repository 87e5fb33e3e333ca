//! Ports of LevelDB's version_set_test (FindFile, SomeFileOverlapsRange,
//! AddBoundaryInputs) and checks of memtable-output placement.

use std::sync::Arc;

use super::compaction::add_boundary_inputs;
use super::edit::FileMetaData;
use super::version::{find_file, some_file_overlaps_range};
use crate::key::{
    internal_key, InternalKeyComparator, ValueType, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK,
};
use crate::util::comparator::bytewise;

fn icmp() -> InternalKeyComparator {
    InternalKeyComparator::new(bytewise())
}

fn file(number: u64, smallest: &[u8], largest: &[u8]) -> Arc<FileMetaData> {
    Arc::new(FileMetaData::new(
        number,
        0,
        internal_key(smallest, 100, ValueType::Value),
        internal_key(largest, 100, ValueType::Value),
    ))
}

fn file_seq(number: u64, smallest: (&[u8], u64), largest: (&[u8], u64)) -> Arc<FileMetaData> {
    Arc::new(FileMetaData::new(
        number,
        0,
        internal_key(smallest.0, smallest.1, ValueType::Value),
        internal_key(largest.0, largest.1, ValueType::Value),
    ))
}

fn find(files: &[Arc<FileMetaData>], key: &[u8]) -> usize {
    find_file(&icmp(), files, &internal_key(key, 100, ValueType::Value))
}

fn overlaps(
    files: &[Arc<FileMetaData>],
    disjoint: bool,
    s: Option<&[u8]>,
    l: Option<&[u8]>,
) -> bool {
    some_file_overlaps_range(&icmp(), disjoint, files, s, l)
}

#[test]
fn find_file_empty() {
    let files = vec![];
    assert_eq!(find(&files, b"foo"), 0);
    assert!(!overlaps(&files, true, Some(b"a"), Some(b"z")));
    assert!(!overlaps(&files, true, None, Some(b"z")));
    assert!(!overlaps(&files, true, Some(b"a"), None));
    assert!(!overlaps(&files, true, None, None));
}

#[test]
fn find_file_single() {
    let files = vec![file(1, b"p", b"q")];
    assert_eq!(find(&files, b"a"), 0);
    assert_eq!(find(&files, b"p"), 0);
    assert_eq!(find(&files, b"p1"), 0);
    assert_eq!(find(&files, b"q"), 0);
    assert_eq!(find(&files, b"q1"), 1);
    assert_eq!(find(&files, b"z"), 1);

    assert!(!overlaps(&files, true, Some(b"a"), Some(b"b")));
    assert!(!overlaps(&files, true, Some(b"z1"), Some(b"z2")));
    assert!(overlaps(&files, true, Some(b"a"), Some(b"p")));
    assert!(overlaps(&files, true, Some(b"a"), Some(b"q")));
    assert!(overlaps(&files, true, Some(b"a"), Some(b"z")));
    assert!(overlaps(&files, true, Some(b"p"), Some(b"p1")));
    assert!(overlaps(&files, true, Some(b"p"), Some(b"q")));
    assert!(overlaps(&files, true, Some(b"p"), Some(b"z")));
    assert!(overlaps(&files, true, Some(b"p1"), Some(b"p2")));
    assert!(overlaps(&files, true, Some(b"p1"), Some(b"z")));
    assert!(overlaps(&files, true, Some(b"q"), Some(b"q")));
    assert!(overlaps(&files, true, Some(b"q"), Some(b"q1")));

    assert!(!overlaps(&files, true, None, Some(b"j")));
    assert!(!overlaps(&files, true, Some(b"r"), None));
    assert!(overlaps(&files, true, None, Some(b"p")));
    assert!(overlaps(&files, true, None, Some(b"p1")));
    assert!(overlaps(&files, true, Some(b"q"), None));
    assert!(overlaps(&files, true, None, None));
}

#[test]
fn find_file_multiple() {
    let files = vec![
        file(1, b"150", b"200"),
        file(2, b"200", b"250"),
        file(3, b"300", b"350"),
        file(4, b"400", b"450"),
    ];
    assert_eq!(find(&files, b"100"), 0);
    assert_eq!(find(&files, b"150"), 0);
    assert_eq!(find(&files, b"151"), 0);
    assert_eq!(find(&files, b"199"), 0);
    assert_eq!(find(&files, b"200"), 0);
    assert_eq!(find(&files, b"201"), 1);
    assert_eq!(find(&files, b"249"), 1);
    assert_eq!(find(&files, b"250"), 1);
    assert_eq!(find(&files, b"251"), 2);
    assert_eq!(find(&files, b"299"), 2);
    assert_eq!(find(&files, b"300"), 2);
    assert_eq!(find(&files, b"349"), 2);
    assert_eq!(find(&files, b"350"), 2);
    assert_eq!(find(&files, b"351"), 3);
    assert_eq!(find(&files, b"400"), 3);
    assert_eq!(find(&files, b"450"), 3);
    assert_eq!(find(&files, b"451"), 4);

    assert!(!overlaps(&files, true, Some(b"100"), Some(b"149")));
    assert!(!overlaps(&files, true, Some(b"251"), Some(b"299")));
    assert!(!overlaps(&files, true, Some(b"451"), Some(b"500")));
    assert!(!overlaps(&files, true, Some(b"351"), Some(b"399")));

    assert!(overlaps(&files, true, Some(b"100"), Some(b"150")));
    assert!(overlaps(&files, true, Some(b"100"), Some(b"200")));
    assert!(overlaps(&files, true, Some(b"100"), Some(b"300")));
    assert!(overlaps(&files, true, Some(b"100"), Some(b"400")));
    assert!(overlaps(&files, true, Some(b"100"), Some(b"500")));
    assert!(overlaps(&files, true, Some(b"375"), Some(b"400")));
    assert!(overlaps(&files, true, Some(b"450"), Some(b"450")));
    assert!(overlaps(&files, true, Some(b"450"), Some(b"500")));
}

#[test]
fn overlap_sequence_checks_and_level0() {
    // Overlap is by user key: sequence numbers do not matter.
    let files = vec![file_seq(1, (b"200", 5000), (b"200", 3000))];
    assert!(!overlaps(&files, true, Some(b"199"), Some(b"199")));
    assert!(!overlaps(&files, true, Some(b"201"), Some(b"300")));
    assert!(overlaps(&files, true, Some(b"200"), Some(b"200")));
    assert!(overlaps(&files, true, Some(b"190"), Some(b"200")));
    assert!(overlaps(&files, true, Some(b"200"), Some(b"210")));

    let files = vec![file(1, b"150", b"600"), file(2, b"400", b"500")];
    assert!(!overlaps(&files, false, Some(b"100"), Some(b"149")));
    assert!(!overlaps(&files, false, Some(b"601"), Some(b"700")));
    assert!(overlaps(&files, false, Some(b"100"), Some(b"150")));
    assert!(overlaps(&files, false, Some(b"450"), Some(b"700")));
    assert!(overlaps(&files, false, Some(b"600"), Some(b"700")));
}

#[test]
fn boundary_inputs() {
    let icmp = icmp();
    // Empty inputs or level: nothing added.
    let mut inputs = vec![];
    add_boundary_inputs(&icmp, &[], &mut inputs);
    assert!(inputs.is_empty());
    let f1 = file_seq(1, (b"100", 2), (b"100", 1));
    let mut inputs = vec![Arc::clone(&f1)];
    add_boundary_inputs(&icmp, &[], &mut inputs);
    assert_eq!(inputs.len(), 1);

    // No boundary file: the next file starts at another user key.
    let f2 = file_seq(2, (b"200", 2), (b"200", 1));
    let level = vec![Arc::clone(&f1), Arc::clone(&f2)];
    let mut inputs = vec![Arc::clone(&f1)];
    add_boundary_inputs(&icmp, &level, &mut inputs);
    assert_eq!(inputs.len(), 1);

    // One boundary file: f2 continues user key 100 below f1.
    let f1 = file_seq(1, (b"100", 6), (b"100", 5));
    let f2 = file_seq(2, (b"100", 2), (b"300", 1));
    let f3 = file_seq(3, (b"400", 2), (b"500", 1));
    let level = vec![Arc::clone(&f3), Arc::clone(&f2), Arc::clone(&f1)];
    let mut inputs = vec![Arc::clone(&f1)];
    add_boundary_inputs(&icmp, &level, &mut inputs);
    let numbers: Vec<u64> = inputs.iter().map(|f| f.number).collect();
    assert_eq!(numbers, vec![1, 2]);

    // A chain of two boundary files.
    let f1 = file_seq(1, (b"100", 6), (b"100", 5));
    let f2 = file_seq(2, (b"100", 2), (b"100", 1));
    let f3 = file_seq(3, (b"100", 4), (b"100", 3));
    let level = vec![Arc::clone(&f2), Arc::clone(&f3), Arc::clone(&f1)];
    let mut inputs = vec![Arc::clone(&f1)];
    add_boundary_inputs(&icmp, &level, &mut inputs);
    let numbers: Vec<u64> = inputs.iter().map(|f| f.number).collect();
    assert_eq!(numbers, vec![1, 3, 2]);
}

#[test]
fn seek_key_for_overlap_uses_max_sequence() {
    // A range starting at user key "200" includes every entry of "200".
    let files = vec![file_seq(1, (b"100", 1), (b"200", MAX_SEQUENCE - 1))];
    let k = internal_key(b"200", MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
    assert_eq!(find_file(&icmp(), &files, &k), 0);
}

/// In-memory key filters survive an edit down to KEY_FILTER_MAX_LEVEL and
/// are dropped below it, whatever carries the file there (a trivial move
/// re-adds the same metadata, filter included, one level down).
#[test]
fn builder_drops_key_filters_below_the_filtered_levels() {
    use super::builder::VersionBuilder;
    use super::edit::VersionEdit;
    use super::key_filter::MAX_LEVEL as KEY_FILTER_MAX_LEVEL;
    use super::version::Version;
    use crate::table::{TableCache, TableOptions};

    let table_cache = Arc::new(TableCache::new(
        "unused",
        crate::env::default_env(),
        &TableOptions::default(),
        &icmp(),
        1,
    ));
    let base = Version::new(icmp(), table_cache.clone());
    let mut edit = VersionEdit::default();
    for level in 0..=KEY_FILTER_MAX_LEVEL + 1 {
        let mut f = FileMetaData::clone(&file(level as u64 + 1, b"a", b"b"));
        f.key_filter = Some(Arc::new(vec![0xff; 8]));
        edit.add_file_meta(level, f);
    }
    let mut builder = VersionBuilder::new(&base);
    builder.apply(&edit);
    let mut v = Version::new(icmp(), table_cache);
    builder.save_to(&mut v).unwrap();
    for level in 0..=KEY_FILTER_MAX_LEVEL + 1 {
        let files = &v.files[level];
        assert_eq!(files.len(), 1, "level {level}");
        assert_eq!(
            files[0].key_filter.is_some(),
            level <= KEY_FILTER_MAX_LEVEL,
            "level {level}"
        );
    }
}

proptest::proptest! {
    /// A level's file search narrowed by its key words lands on the file
    /// the plain binary search does, with user keys that share prefixes,
    /// differ past eight bytes, and span two files with different
    /// sequence numbers.
    #[test]
    fn narrowed_file_search_matches_plain(
        keys in proptest::collection::btree_set(
            (proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'5', 0xff]), 0..12), 1u64..4),
            16..80),
        targets in proptest::collection::vec(
            (proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'5', 0xff]), 0..12), 0u64..5),
            1..40),
    ) {
        use super::version::Version;
        use crate::table::{TableCache, TableOptions};

        let icmp = icmp();
        let mut ikeys: Vec<Vec<u8>> = keys
            .iter()
            .map(|(user, seq)| {
                let mut user = user.clone();
                user.splice(0..0, b"0000000".iter().copied());
                internal_key(&user, *seq, ValueType::Value)
            })
            .collect();
        ikeys.sort_by(|a, b| crate::util::comparator::Comparator::compare(&icmp, a, b));
        let files: Vec<Arc<FileMetaData>> = ikeys
            .chunks_exact(2)
            .enumerate()
            .map(|(i, pair)| {
                Arc::new(FileMetaData::new(i as u64 + 1, 0, pair[0].clone(), pair[1].clone()))
            })
            .collect();
        let table_cache = Arc::new(TableCache::new(
            "unused",
            crate::env::default_env(),
            &TableOptions::default(),
            &icmp,
            1,
        ));
        let mut v = Version::new(icmp.clone(), table_cache);
        v.files[1] = files.clone();
        for (user, seq) in targets {
            let mut user = user.clone();
            user.splice(0..0, b"0000000".iter().copied());
            let target = internal_key(&user, seq, ValueType::Value);
            proptest::prop_assert_eq!(
                v.find_file_in_level(1, &target),
                find_file(&icmp, &files, &target)
            );
        }
    }
}

/// A compaction of one upper-level file over output-level files of the
/// given sizes, laid out as in the property below: file `i` holds user keys
/// `k{3i+1:04}` to `k{3i+3:04}` (the first continues the previous file's
/// last key where `same_user_key[i]`), and the upper file spans `k0000` to
/// `k9999` with `above` bytes.
fn split_compaction(
    sizes: &[u64],
    same_user_key: &[bool],
    above: u64,
) -> super::compaction::Compaction {
    use super::compaction::Compaction;
    use super::version::Version;
    use crate::table::{TableCache, TableOptions};

    let table_cache = Arc::new(TableCache::new(
        "unused",
        crate::env::default_env(),
        &TableOptions::default(),
        &icmp(),
        1,
    ));
    let version = Arc::new(Version::new(icmp(), table_cache));
    let mut c = Compaction::new(1, version, 2 << 20);
    let mut below = Vec::new();
    let mut user = 0u32;
    for (i, &size) in sizes.iter().enumerate() {
        let first = if i > 0 && same_user_key[i] {
            user
        } else {
            user + 1
        };
        user = first + 2;
        let mut f = FileMetaData::clone(&file_seq(
            i as u64 + 10,
            (format!("k{first:04}").as_bytes(), 5),
            (format!("k{user:04}").as_bytes(), 9),
        ));
        f.file_size = size;
        below.push(Arc::new(f));
    }
    let mut top = FileMetaData::clone(&file(1, b"k0000", b"k9999"));
    top.file_size = above;
    c.inputs = [vec![Arc::new(top)], below];
    c
}

/// The test's estimate of an upper-level file's bytes before a user key
/// `k{n:04}`: all of its bytes spread evenly over keys 0 to `spread`.
fn spread_evenly(spread: u64) -> impl Fn(&FileMetaData, &[u8]) -> u64 {
    move |f, key| {
        let n: u64 = std::str::from_utf8(&key[1..]).unwrap().parse().unwrap();
        f.file_size * n.min(spread) / spread
    }
}

#[test]
fn a_cut_goes_to_the_file_start_closest_to_its_share() {
    // 3 + 3 + 2 bytes: half is 4, closer to the 3 before the second file
    // than to the 6 before the third.
    let c = split_compaction(&[3, 3, 2], &[false; 3], 0);
    let cuts = c.split_keys_by(2, 1, spread_evenly(10_000));
    assert_eq!(cuts, vec![b"k0004".to_vec()]);
}

#[test]
fn upper_level_bytes_move_the_cut() {
    // Four equal output-level files (keys 1-3, 4-6, 7-9, 10-12); the upper
    // file's 8 bytes all lie among the keys of the first two. Of the 16
    // bytes in all, 2 + 4 lie before key 4 (the second file's start), 4 + 8
    // before key 7 and 6 + 8 before key 10: the cut closest to 8 is key 4.
    // Counting output-level bytes alone would cut at key 7 (half of them),
    // leaving 12 bytes to the first part and 4 to the second.
    let c = split_compaction(&[2, 2, 2, 2], &[false; 4], 8);
    let in_first_two = |f: &FileMetaData, key: &[u8]| {
        let n: u64 = std::str::from_utf8(&key[1..]).unwrap().parse().unwrap();
        f.file_size * n.saturating_sub(1).min(5) / 5
    };
    let cuts = c.split_keys_by(2, 1, in_first_two);
    assert_eq!(cuts, vec![b"k0004".to_vec()]);
}

proptest::proptest! {
    /// The cuts of a split compaction: strictly increasing user keys, each
    /// the first key of an output-level input file other than the first;
    /// no more than the parts allowed; none for inputs too small to split;
    /// and the input bytes before each cut are within one file-to-file
    /// step of some part's share.
    #[test]
    fn compaction_cuts_are_increasing_file_starts_near_their_share(
        sizes in proptest::collection::vec(1u64..4_000_000, 0..12),
        same_user_key in proptest::collection::vec(proptest::bool::ANY, 12),
        above in 0u64..8_000_000,
        max_parts in 0usize..6,
        min_part_bytes in 1u64..10_000_000,
    ) {
        let c = split_compaction(&sizes, &same_user_key, above);
        let below = c.inputs[1].clone();
        let estimate = spread_evenly(3 * sizes.len() as u64 + 1);
        let cuts = c.split_keys_by(max_parts, min_part_bytes, &estimate);
        let total = above + sizes.iter().sum::<u64>();
        if max_parts < 2 || below.len() < 2 || total / min_part_bytes < 2 {
            proptest::prop_assert!(cuts.is_empty());
        }
        proptest::prop_assert!(cuts.len() < max_parts.max(1));
        proptest::prop_assert!(cuts.len() < below.len().max(1));
        proptest::prop_assert!(cuts.windows(2).all(|w| w[0] < w[1]));
        let parts = max_parts.min((total / min_part_bytes) as usize).min(below.len()) as u128;
        // Input bytes before each file start (index 0: none).
        let before: Vec<u64> = (0..below.len())
            .map(|j| {
                let key = crate::key::extract_user_key(&below[j].smallest);
                below[..j].iter().map(|f| f.file_size).sum::<u64>()
                    + if j == 0 { 0 } else { estimate(&c.inputs[0][0], key) }
            })
            .chain(std::iter::once(total))
            .collect();
        let max_step = before.windows(2).map(|w| w[1].abs_diff(w[0])).max().unwrap_or(0);
        let mut last_at = 0;
        for cut in &cuts {
            let at = below[1..]
                .iter()
                .position(|f| crate::key::extract_user_key(&f.smallest) == &cut[..]);
            proptest::prop_assert!(at.is_some(), "cut {:?} starts no file", cut);
            let at = at.unwrap() + 1;
            proptest::prop_assert!(at > last_at);
            last_at = at;
            proptest::prop_assert!(
                &cut[..] > crate::key::extract_user_key(&below[0].smallest)
            );
            let near_a_share = (1..parts).any(|share| {
                let target = u128::from(total) * share / parts;
                u128::from(before[at]).abs_diff(target) <= u128::from(max_step)
            });
            proptest::prop_assert!(near_a_share, "cut at file {} is near no share", at);
        }
    }
}
