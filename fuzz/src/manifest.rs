//! MANIFEST replay: a log of version edits recovered through
//! `VersionSet::recover`, as opening a database does first.
//!
//! Input: one mode byte, then the MANIFEST file's bytes (it is named by
//! CURRENT in a `MemEnv`). Mode bit 0 sets `reuse_logs` (recovery may then
//! keep appending to this MANIFEST). Properties: no panic; when recovery
//! succeeds, writing the recovered state out (a new MANIFEST holding a
//! snapshot) and recovering that gives the same files at every level and
//! the same log number and last sequence.

use std::sync::Arc;

use leveldb::env::mem::MemEnv;
use leveldb::env::{write_string_to_file, Env};
use leveldb::filename::set_current_file;
use leveldb::key::InternalKeyComparator;
use leveldb::table::{TableCache, TableOptions};
use leveldb::version::edit::VersionEdit;
use leveldb::version::set::VersionSet;
use leveldb::version::NUM_LEVELS;
use leveldb::Options;

const DB: &str = "/manifest";

/// What recovery produced: per level (number, size, smallest, largest),
/// then log number, previous log number, last sequence.
type State = (Vec<Vec<(u64, u64, Vec<u8>, Vec<u8>)>>, u64, u64, u64);

fn version_set(env: &Arc<MemEnv>, reuse_logs: bool) -> VersionSet {
    let options = Options {
        env: Arc::clone(env) as Arc<dyn Env>,
        reuse_logs,
        ..Options::default()
    }
    .sanitized();
    let icmp = InternalKeyComparator::new(Arc::clone(&options.comparator));
    let table_options = TableOptions {
        comparator: Arc::new(icmp.clone()),
        ..TableOptions::default()
    };
    let cache = Arc::new(TableCache::new(
        DB,
        Arc::clone(&options.env),
        &table_options,
        &icmp,
        10,
    ));
    VersionSet::new(DB, &options, None, cache)
}

fn state(vset: &VersionSet) -> State {
    let v = vset.current();
    let levels = (0..NUM_LEVELS)
        .map(|l| {
            v.files(l)
                .iter()
                .map(|f| (f.number, f.file_size, f.smallest.clone(), f.largest.clone()))
                .collect()
        })
        .collect();
    (
        levels,
        vset.log_number(),
        vset.prev_log_number(),
        vset.last_sequence(),
    )
}

pub fn run(input: &[u8]) {
    let Some((&mode, manifest)) = input.split_first() else {
        return;
    };
    let reuse_logs = mode & 1 != 0;
    let env = MemEnv::new();
    write_string_to_file(&*env, b"MANIFEST-000001\n", &format!("{DB}/CURRENT"), false).unwrap();
    write_string_to_file(&*env, manifest, &format!("{DB}/MANIFEST-000001"), false).unwrap();

    let mut vset = version_set(&env, reuse_logs);
    if vset.recover().is_err() {
        return;
    }
    let before = state(&vset);
    let v = vset.current();
    let _ = (v.debug_string(), v.level_summary());
    let _ = vset.needs_compaction();
    let _ = vset.approximate_offset_of(b"key\x01\x00\x00\x00\x00\x00\x00\x00");

    // Persist what was recovered and recover it again.
    if vset.log_and_apply(&mut VersionEdit::new()).is_err() {
        return;
    }
    set_current_file(&*env, DB, vset.manifest_file_number()).unwrap();
    let mut again = version_set(&env, false);
    if let Err(e) = again.recover() {
        panic!("a MANIFEST written from a recovered state does not recover: {e}");
    }
    assert_eq!(
        state(&again),
        before,
        "the rewritten MANIFEST recovers another state"
    );
}
