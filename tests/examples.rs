//! Runs the Rust example (`examples/hello.rs`, compiled into this test) on
//! a scratch directory and checks the database it leaves behind. `cargo
//! test` also builds the example as a program; this runs it even when only
//! this test is built (`cargo test --test examples`).

#[allow(dead_code)] // its `main` is the example program's, unused here
#[path = "../examples/hello.rs"]
mod hello;

use leveldb::{Options, DB};

#[test]
fn hello_rs_runs_and_leaves_a_closed_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    hello::run(&path).unwrap();
    // Closed: it opens again (its LOCK was released), with what it wrote.
    let db = DB::open(Options::default(), &path).unwrap();
    let entries: Vec<(Vec<u8>, Vec<u8>)> = db.entries().map(Result::unwrap).collect();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = [
        ("fruit:apple", "green"),
        ("fruit:banana", "yellow"),
        ("fruit:cherry", "dark red"),
        ("hello", "world"),
    ]
    .iter()
    .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
    .collect();
    assert_eq!(entries, expected);
}
