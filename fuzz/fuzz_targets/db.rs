//! libFuzzer entry point of the `db` target; its body and the
//! properties it checks are in `src/db.rs` (shared with the stable replay
//! in `tests/fuzz_replay.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::db::run(data));
