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

proptest::proptest! {
    /// The cuts of a split compaction: strictly increasing user keys, each
    /// the first key of an output-level input file other than the first;
    /// no more than the parts allowed; none for inputs too small to split;
    /// and each cut comes only once the files before it hold their share
    /// of the output level's input bytes.
    #[test]
    fn compaction_cuts_are_increasing_file_starts_with_their_share_before(
        sizes in proptest::collection::vec(1u64..4_000_000, 0..12),
        same_user_key in proptest::collection::vec(proptest::bool::ANY, 12),
        above in 0u64..8_000_000,
        max_parts in 0usize..6,
        min_part_bytes in 1u64..10_000_000,
    ) {
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
        // Output-level files in key order; some continue the previous
        // file's last user key (a user key split between two files).
        let mut below = Vec::new();
        let mut user = 0u32;
        for (i, &size) in sizes.iter().enumerate() {
            let first = if i > 0 && same_user_key[i] { user } else { user + 1 };
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
        c.inputs = [vec![Arc::new(top)], below.clone()];

        let cuts = c.split_keys(max_parts, min_part_bytes);
        let total = above + sizes.iter().sum::<u64>();
        if max_parts < 2 || below.len() < 2 || total / min_part_bytes < 2 {
            proptest::prop_assert!(cuts.is_empty());
        }
        proptest::prop_assert!(cuts.len() < max_parts.max(1));
        proptest::prop_assert!(cuts.len() < below.len().max(1));
        proptest::prop_assert!(cuts.windows(2).all(|w| w[0] < w[1]));
        let below_bytes: u64 = sizes.iter().sum();
        // The parts planned: cuts can be fewer when files are large.
        let parts = max_parts.min((total / min_part_bytes) as usize).min(below.len()) as u128;
        let mut cut_files = Vec::new();
        for (i, cut) in cuts.iter().enumerate() {
            let at = below[1..]
                .iter()
                .position(|f| crate::key::extract_user_key(&f.smallest) == &cut[..]);
            proptest::prop_assert!(at.is_some(), "cut {:?} starts no file", cut);
            let at = at.unwrap() + 1;
            proptest::prop_assert!(cut_files.last().map_or(true, |&p| at > p));
            cut_files.push(at);
            proptest::prop_assert!(
                &cut[..] > crate::key::extract_user_key(&below[0].smallest)
            );
            // At least (i + 1) planned parts' share lies before cut i.
            let before: u64 = below[..at].iter().map(|f| f.file_size).sum();
            proptest::prop_assert!(
                u128::from(before) * parts >= u128::from(below_bytes) * (i as u128 + 1)
            );
        }
    }
}
