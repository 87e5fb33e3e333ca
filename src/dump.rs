//! LevelDB's `DumpFile`: the human-readable dump of a log, MANIFEST or table
//! file, byte for byte LevelDB 1.23's text. `leveldbutil dump` and the C++
//! layer's `leveldb::DumpFile` both print through here.
//!
//! Invariants: the file's type is taken from its base name, as LevelDB does;
//! a damaged file is dumped as far as it reads, with LevelDB's `corruption:`
//! and `iterator error:` lines where the damage is, and never panics; text
//! reaches `out` record by record, so memory stays flat on big files.

use crate::env::Env;
use crate::filename::{parse_file_name, FileType};
use crate::key::{escape_bytes, parse_internal_key, ValueType};
use crate::log;
use crate::status::{Error, Result};
use crate::table::{BlockReadOptions, Table, TableOptions};
use crate::version::edit::VersionEdit;
use crate::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};

/// Dumps the file at `path` (read through `env`) to `out`. Errors of `out`
/// are the caller's to keep or ignore (LevelDB ignores them).
pub fn dump_file(env: &dyn Env, path: &str, out: &mut dyn FnMut(&[u8])) -> Result<()> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let Some((_, file_type)) = parse_file_name(base) else {
        return Err(Error::invalid_argument(format!(
            "{path}: unknown file type"
        )));
    };
    match file_type {
        FileType::Log => dump_log(env, path, out, write_batch_text),
        FileType::Descriptor => dump_log(env, path, out, version_edit_text),
        FileType::Table => dump_table(env, path, out),
        _ => Err(Error::invalid_argument(format!(
            "{path}: not a dump-able file type"
        ))),
    }
}

/// Prints every record of the log-format file `path` with `text`, and each
/// corruption where the reader finds it (LevelDB's `CorruptionReporter`).
fn dump_log(
    env: &dyn Env,
    path: &str,
    out: &mut dyn FnMut(&[u8]),
    text: fn(u64, &[u8]) -> String,
) -> Result<()> {
    let file = env.new_sequential_file(path)?;
    let out = std::cell::RefCell::new(out);
    log::replay(
        file,
        true,
        0,
        &mut |bytes, reason| {
            (out.borrow_mut())(format!("corruption: {bytes} bytes; {reason}\n").as_bytes());
            Ok(())
        },
        &mut |offset, record| {
            (out.borrow_mut())(text(offset, record).as_bytes());
            Ok(())
        },
    );
    Ok(())
}

/// LevelDB's `WriteBatchItemPrinter`.
struct BatchItemPrinter(String);

impl WriteBatchHandler for BatchItemPrinter {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.0.push_str(&format!(
            "  put '{}' '{}'\n",
            escape_bytes(key),
            escape_bytes(value)
        ));
    }

    fn delete(&mut self, key: &[u8]) {
        self.0.push_str(&format!("  del '{}'\n", escape_bytes(key)));
    }
}

fn write_batch_text(offset: u64, record: &[u8]) -> String {
    if record.len() < HEADER_SIZE {
        return format!(
            "--- offset {offset}; log record length {} is too small\n",
            record.len()
        );
    }
    let mut batch = WriteBatch::new();
    batch.set_contents(record);
    let mut printer = BatchItemPrinter(format!(
        "--- offset {offset}; sequence {}\n",
        batch.sequence()
    ));
    if let Err(e) = batch.iterate(&mut printer) {
        printer.0.push_str(&format!("  error: {e}\n"));
    }
    printer.0
}

fn version_edit_text(offset: u64, record: &[u8]) -> String {
    let text = match VersionEdit::decode(record) {
        Ok(edit) => edit.debug_string(),
        Err(e) => format!("{e}\n"),
    };
    format!("--- offset {offset}; {text}")
}

fn dump_table(env: &dyn Env, path: &str, out: &mut dyn FnMut(&[u8])) -> Result<()> {
    let size = env.get_file_size(path)?;
    let file = env.new_random_access_file(path)?;
    // Default options, as LevelDB's: the bytewise comparator may not be the
    // table's, but a full scan never compares keys.
    let table = Table::open(&TableOptions::default(), file, size)?;
    let read = BlockReadOptions {
        fill_cache: false,
        ..BlockReadOptions::default()
    };
    let mut iter = table.iter(&read);
    iter.seek_to_first();
    while iter.valid() {
        let line = match parse_internal_key(iter.key()) {
            None => format!(
                "badkey '{}' => '{}'\n",
                escape_bytes(iter.key()),
                escape_bytes(iter.value())
            ),
            Some(key) => format!(
                "'{}' @ {} : {} => '{}'\n",
                escape_bytes(key.user_key),
                key.sequence,
                match key.value_type {
                    ValueType::Deletion => "del",
                    ValueType::Value => "val",
                },
                escape_bytes(iter.value())
            ),
        };
        out(line.as_bytes());
        iter.next();
    }
    if let Err(e) = iter.status() {
        out(format!("iterator error: {e}\n").as_bytes());
    }
    Ok(())
}
