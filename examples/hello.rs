//! Strata from Rust: open a database, write a batch, read, scan a range and
//! a prefix (both ways), read from a snapshot, close and destroy it.
//!
//!     cargo run --release --example hello [DB_DIR]
//!
//! Without DB_DIR it uses a fresh directory under the system's temporary
//! directory, and removes it at the end. `cargo test` runs `run` too
//! (`tests/examples.rs`).

use std::error::Error;
use std::path::PathBuf;

use leveldb::{destroy_db, Options, ReadOptions, WriteBatch, WriteOptions, DB};

fn main() -> Result<(), Box<dyn Error>> {
    let path = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("strata-hello-{}", std::process::id())),
    };
    run(&path)?;
    destroy_db(&path, &Options::default())?;
    Ok(())
}

/// Shows a byte string the way LevelDB's tools do: printable ASCII as is,
/// anything else escaped.
fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

pub fn run(path: &std::path::Path) -> Result<(), Box<dyn Error>> {
    let options = Options {
        create_if_missing: true,
        ..Options::default()
    };
    let db = DB::open(options, path)?;
    let write = WriteOptions::default();

    // Single writes, and an atomic batch.
    db.put(&write, b"hello", b"world")?;
    let mut batch = WriteBatch::new();
    batch.put(b"fruit:apple", b"red");
    batch.put(b"fruit:banana", b"yellow");
    batch.put(b"fruit:cherry", b"dark red");
    batch.put(b"veg:leek", b"green");
    batch.delete(b"fruit:durian");
    db.write(&WriteOptions { sync: true }, &batch)?;

    // A read: None for a missing key.
    let value = db.get(&ReadOptions::new(), b"hello")?;
    println!("hello = {}", show(value.as_deref().unwrap_or(b"(missing)")));
    assert_eq!(db.get(&ReadOptions::new(), b"fruit:durian")?, None);

    // A snapshot: later writes do not show through it.
    let before = db.snapshot_view();
    db.put(&write, b"fruit:apple", b"green")?;
    db.delete(&write, b"veg:leek")?;

    // A range scan: keys from "fruit:b" up to (not including) "g".
    for entry in db.range("fruit:b".."g") {
        let (key, value) = entry?;
        println!("range   {} = {}", show(&key), show(&value));
    }

    // A prefix scan, backwards.
    for entry in db.prefix("fruit:").rev() {
        let (key, value) = entry?;
        println!("prefix  {} = {}", show(&key), show(&value));
    }

    // The snapshot still has the old apple and the leek.
    for entry in before.entries() {
        let (key, value) = entry?;
        println!("before  {} = {}", show(&key), show(&value));
    }
    assert_eq!(before.get("fruit:apple")?.as_deref(), Some(&b"red"[..]));
    assert_eq!(
        db.get(&ReadOptions::new(), b"fruit:apple")?.as_deref(),
        Some(&b"green"[..])
    );

    // Closing: drop the views, then the database (which waits for its
    // background work and releases the directory's lock).
    drop(before);
    drop(db);
    println!("closed {}", path.display());
    Ok(())
}
