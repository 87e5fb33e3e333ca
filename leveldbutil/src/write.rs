//! The commands that change a database: `put`, `delete`, `import`,
//! `compact`, `repair` and `destroy`.
//!
//! Invariants: each first checks that no other process holds the `LOCK`
//! (before `DB::open`, which would otherwise already have rotated the
//! database's `LOG` when its own lock attempt fails); `put`, `delete` and
//! the end of `import` are synced writes; `import` checks the whole file
//! before it writes anything; `destroy` refuses a directory without a
//! `CURRENT` file.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use leveldb::env::default_env;
use leveldb::filename::lock_file_name;
use leveldb::{destroy_db, repair_db, Options, WriteBatch, WriteOptions, DB};

use crate::exchange::Reader;
use crate::progress::Progress;
use crate::text::Encoding;
use crate::{db_failure, db_name, Failure, Outcome};

/// Bytes of entries written per batch by `import`.
const IMPORT_BATCH_BYTES: usize = 1 << 20;

/// Fails if another process holds the `LOCK` of database `name`: takes it
/// through the env, as an open does, and lets it go. A database without a
/// `LOCK` file is locked by nobody (LevelDB creates it before locking).
fn refuse_if_locked(name: &str) -> Outcome {
    let lock = lock_file_name(name);
    if !Path::new(&lock).exists() {
        return Ok(());
    }
    let held = default_env().lock_file(&lock).map_err(db_failure(name))?;
    drop(held);
    Ok(())
}

/// Opens `db` for writing, creating it if `create`.
fn open(db: &Path, create: bool) -> Result<(DB, &str), Failure> {
    let name = db_name(db)?;
    refuse_if_locked(name)?;
    let options = Options {
        create_if_missing: create,
        ..Options::default()
    };
    let db = DB::open(options, name).map_err(db_failure(name))?;
    Ok((db, name))
}

fn decode(encoding: Encoding, what: &str, arg: &OsStr) -> Result<Vec<u8>, Failure> {
    encoding.decode_arg(what, arg).map_err(Failure::Message)
}

const SYNC: WriteOptions = WriteOptions { sync: true };

pub fn put(db: &Path, encoding: Encoding, key: &OsStr, value: &OsStr) -> Outcome {
    let key = decode(encoding, "KEY", key)?;
    let value = decode(encoding, "VALUE", value)?;
    let (db, name) = open(db, true)?;
    db.put(&SYNC, &key, &value).map_err(db_failure(name))
}

pub fn delete(db: &Path, encoding: Encoding, key: &OsStr) -> Outcome {
    let key = decode(encoding, "KEY", key)?;
    let (db, name) = open(db, false)?;
    db.delete(&SYNC, &key).map_err(db_failure(name))
}

pub fn compact(
    db: &Path,
    encoding: Encoding,
    from: &Option<OsString>,
    to: &Option<OsString>,
) -> Outcome {
    let from = from
        .as_deref()
        .map(|a| decode(encoding, "--from", a))
        .transpose()?;
    let to = to
        .as_deref()
        .map(|a| decode(encoding, "--to", a))
        .transpose()?;
    let (db, name) = open(db, false)?;
    let progress = Progress::waiting("compacting");
    let finished = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        if progress.is_shown() {
            // The compaction reports nothing while it runs; the files per
            // level show it moving.
            s.spawn(|| {
                while !finished.load(Ordering::Acquire) {
                    let files: Vec<String> = (0..7)
                        .map(|l| {
                            db.property(&format!("leveldb.num-files-at-level{l}"))
                                .unwrap_or_default()
                        })
                        .collect();
                    progress.say(format!("compacting; files per level: {}", files.join(" ")));
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
        let result = db.compact_range(from.as_deref(), to.as_deref());
        finished.store(true, Ordering::Release);
        result
    });
    result.map_err(db_failure(name))
}

pub fn repair(db: &Path) -> Outcome {
    let name = db_name(db)?;
    refuse_if_locked(name)?;
    let _progress = Progress::waiting("repairing");
    repair_db(name, &Options::default()).map_err(db_failure(name))
}

pub fn destroy(db: &Path) -> Outcome {
    let name = db_name(db)?;
    if !db.join("CURRENT").exists() {
        return Err(Failure::Message(format!(
            "{name}: not a LevelDB database (no CURRENT file); nothing destroyed"
        )));
    }
    refuse_if_locked(name)?;
    destroy_db(name, &Options::default()).map_err(db_failure(name))
}

/// The import file's contents: a file read twice, or stdin read once into
/// memory.
enum Source<'a> {
    File(&'a Path),
    Memory(Vec<u8>),
}

impl Source<'_> {
    fn reader(&self) -> Result<(Box<dyn BufRead + '_>, u64), Failure> {
        match self {
            Source::File(path) => {
                let file = File::open(path)
                    .map_err(|e| Failure::Message(format!("{}: {e}", path.display())))?;
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                Ok((Box::new(BufReader::with_capacity(1 << 16, file)), len))
            }
            Source::Memory(bytes) => Ok((Box::new(&bytes[..]), bytes.len() as u64)),
        }
    }

    fn name(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Memory(_) => "stdin".to_string(),
        }
    }
}

/// Reads every entry of `source`, passing each to `each`.
fn read_all(
    source: &Source,
    what: &str,
    each: &mut dyn FnMut(Vec<u8>, Vec<u8>) -> Outcome,
) -> Outcome {
    let (input, len) = source.reader()?;
    let progress = Progress::bytes(what, len);
    let failed = |e: String| Failure::Message(format!("{}: {e}", source.name()));
    let mut reader = Reader::new(input).map_err(failed)?;
    let mut n = 0u64;
    while let Some((key, value)) = reader.next_entry().map_err(failed)? {
        each(key, value)?;
        n += 1;
        if n % 1024 == 0 {
            progress.set(reader.bytes_read());
        }
    }
    Ok(())
}

pub fn import(db: &Path, file: &Path) -> Outcome {
    let source = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Message(format!("stdin: {e}")))?;
        Source::Memory(bytes)
    } else {
        Source::File(file)
    };
    // Nothing is written unless the whole file is sound.
    read_all(&source, "checking", &mut |_, _| Ok(()))?;
    let (db, name) = open(db, true)?;
    let mut batch = WriteBatch::new();
    let mut pending = 0usize;
    let write = |batch: &mut WriteBatch, options: &WriteOptions| -> Outcome {
        db.write(options, batch).map_err(db_failure(name))?;
        batch.clear();
        Ok(())
    };
    read_all(&source, "importing", &mut |key, value| {
        batch.put(&key, &value);
        pending += key.len() + value.len();
        if pending >= IMPORT_BATCH_BYTES {
            write(&mut batch, &WriteOptions::default())?;
            pending = 0;
        }
        Ok(())
    })?;
    write(&mut batch, &SYNC)
}
