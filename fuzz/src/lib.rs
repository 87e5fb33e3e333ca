//! The bodies of Strata's fuzz targets, shared by the libFuzzer binaries
//! (`fuzz_targets/*.rs`, run with `cargo +nightly fuzz run <target>`) and
//! by the stable replay test (`tests/fuzz_replay.rs` includes this file as a
//! module), so that a corpus file means the same thing to both.
//!
//! Invariants: every body takes arbitrary bytes, uses only Strata's public
//! Rust API, keeps its files in memory (`MemEnv` or a byte slice), and
//! signals a bug only by panicking (an assertion or a crash in the engine);
//! a clean `Err` from the engine on damaged input is the expected outcome.
//! Every loop over decoded entries is bounded by the input's size, so a
//! body that does not return is an engine hang, never the harness's.

pub mod block;
pub mod common;
pub mod current;
pub mod db;
pub mod history;
pub mod log_reader;
pub mod manifest;
pub mod table;
pub mod version_edit;
pub mod write_batch;

/// A target's body.
pub type Body = fn(&[u8]);

/// Every target: its name (the binary's and the corpus directory's) and
/// its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("block", block::run),
    ("table", table::run),
    ("version_edit", version_edit::run),
    ("manifest", manifest::run),
    ("log_reader", log_reader::run),
    ("write_batch", write_batch::run),
    ("current", current::run),
    ("db", db::run),
];
