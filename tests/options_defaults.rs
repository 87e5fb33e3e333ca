//! `Options::default()`, `ReadOptions::default()` and
//! `WriteOptions::default()` hold LevelDB 1.23's defaults, field by field:
//! `cpp_tests/options_defaults.cc`, built against the system's LevelDB
//! 1.23 and run in its own process, prints LevelDB's, and this test prints
//! ours the same way.
//!
//! The Rust structs are destructured without `..`, so a new option field
//! fails to compile here until it is added: an option LevelDB 1.23 has is
//! printed and compared with the probe's line; one it lacks gets an
//! `assert_eq!` of the default its field documentation states.

mod support;

use std::sync::Arc;

use leveldb::{Options, ReadOptions, WriteOptions};
use support::*;

/// Our defaults, in the probe's format.
fn ours() -> String {
    let Options {
        comparator,
        create_if_missing,
        error_if_exists,
        paranoid_checks,
        env,
        info_log,
        write_buffer_size,
        max_open_files,
        block_cache,
        block_size,
        block_restart_interval,
        max_file_size,
        compression,
        zstd_compression_level,
        reuse_logs,
        filter_policy,
    } = Options::default();
    // Not in LevelDB 1.23; its value is that of LevelDB's later releases.
    assert_eq!(zstd_compression_level, 1);
    let ReadOptions {
        verify_checksums,
        fill_cache,
        snapshot,
    } = ReadOptions::default();
    let WriteOptions { sync } = WriteOptions::default();
    let null_or_set = |set: bool| if set { "set" } else { "null" };
    let env = if Arc::ptr_eq(&env, &leveldb::env::default_env()) {
        "default"
    } else {
        "other"
    };
    [
        format!("comparator={}", comparator.name()),
        format!("create_if_missing={}", u8::from(create_if_missing)),
        format!("error_if_exists={}", u8::from(error_if_exists)),
        format!("paranoid_checks={}", u8::from(paranoid_checks)),
        format!("env={env}"),
        format!("info_log={}", null_or_set(info_log.is_some())),
        format!("write_buffer_size={write_buffer_size}"),
        format!("max_open_files={max_open_files}"),
        format!("block_cache={}", null_or_set(block_cache.is_some())),
        format!("block_size={block_size}"),
        format!("block_restart_interval={block_restart_interval}"),
        format!("max_file_size={max_file_size}"),
        format!("compression={}", compression as u8),
        format!("reuse_logs={}", u8::from(reuse_logs)),
        format!("filter_policy={}", null_or_set(filter_policy.is_some())),
        format!("read.verify_checksums={}", u8::from(verify_checksums)),
        format!("read.fill_cache={}", u8::from(fill_cache)),
        format!("read.snapshot={}", null_or_set(snapshot.is_some())),
        format!("write.sync={}", u8::from(sync)),
    ]
    .iter()
    .map(|line| format!("{line}\n"))
    .collect()
}

#[test]
fn defaults_are_leveldb_1_23s() {
    require_reference_cpp();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = bin.path().join("options_defaults");
    let source = root().join("cpp_tests/options_defaults.cc");
    compile_cpp(&[&source], &exe, Library::Reference, &libs);
    let out = check(&mut command_for(&exe, Library::Reference, &libs));
    let reference = String::from_utf8(out.stdout).unwrap();
    assert_eq!(reference.lines().count(), 19, "{reference}");
    assert_eq!(ours(), reference);
}
