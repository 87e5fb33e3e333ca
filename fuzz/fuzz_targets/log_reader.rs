//! libFuzzer entry point of the `log_reader` target; its body and the
//! properties it checks are in `src/log_reader.rs` (shared with the stable replay
//! in `tests/fuzz_replay.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::log_reader::run(data));
