//! The shape of the shared library: its header is current, its SONAME is
//! LevelDB's.

use std::path::Path;

#[test]
fn checked_in_header_is_current() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/c.h")).unwrap();
    let checked_in =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/leveldb/c.h"))
            .unwrap();
    assert!(
        generated == checked_in,
        "include/leveldb/c.h is stale: refresh it with `STRATA_BLESS_HEADER=1 cargo build` and commit it"
    );
}
