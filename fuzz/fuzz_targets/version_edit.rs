//! libFuzzer entry point of the `version_edit` target; its body and the
//! properties it checks are in `src/version_edit.rs` (shared with the stable replay
//! in `tests/fuzz_replay.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strata_fuzz::version_edit::run(data));
