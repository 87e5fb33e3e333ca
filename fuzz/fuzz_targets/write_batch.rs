//! libFuzzer entry point of the `write_batch` target; its body and the
//! properties it checks are in `src/write_batch.rs` (shared with the stable replay
//! in `tests/fuzz_replay.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::write_batch::run(data));
