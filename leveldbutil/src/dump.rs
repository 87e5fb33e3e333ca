//! `leveldbutil dump FILE...`: prints log, table and MANIFEST files exactly
//! as LevelDB 1.23's `leveldbutil` (its `DumpFile`) does
//! (`docs/formats.md` §10).
//!
//! Invariants: stdout carries only the dump text, byte for byte the
//! reference's; each failing file gets its `Status::ToString()` and a newline
//! on stderr, and the exit code is 1 if any file failed, else 0. A damaged
//! file is not a failure: its damage is part of the dump (`corruption:
//! ...`, `iterator error: ...`), as in LevelDB. Files are read, never
//! locked: `dump` works on the files of a database that is open elsewhere.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use leveldb::dump::dump_file;
use leveldb::env::default_env;

pub fn run(files: &[OsString]) -> ExitCode {
    let env = default_env();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut ok = true;
    for path in files {
        let path = path.to_string_lossy();
        // Write errors of stdout are caught by the final flush.
        let mut write = |bytes: &[u8]| {
            let _ = out.write_all(bytes);
        };
        if let Err(e) = dump_file(&*env, &path, &mut write) {
            // Keep stdout and stderr in order when both go to one place.
            let _ = out.flush();
            eprintln!("{e}");
            ok = false;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
