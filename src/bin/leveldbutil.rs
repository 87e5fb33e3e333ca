//! `leveldbutil dump FILE...`: prints log, table and MANIFEST files exactly
//! as LevelDB 1.23's `leveldbutil` (its `DumpFile`) does
//! (`docs/formats.md` §10).
//!
//! Invariants: stdout carries only the dump text, byte for byte the
//! reference's; each failing file gets its `Status::ToString()` and a newline
//! on stderr, and the exit code is 1 if any file failed (or the command line
//! is wrong), else 0. A damaged file is not a failure: its damage is part of
//! the dump (`corruption: ...`, `iterator error: ...`), as in LevelDB.
//!
//! Single-threaded; reads files through the POSIX env.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use leveldb::env::{default_env, Env};
use leveldb::filename::{parse_file_name, FileType};
use leveldb::key::{escape_bytes, parse_internal_key, ValueType};
use leveldb::log::{Reader, Reporter};
use leveldb::table::{BlockReadOptions, Table, TableOptions};
use leveldb::version::edit::VersionEdit;
use leveldb::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};
use leveldb::{Error, Result};

const USAGE: &str =
    "Usage: leveldbutil command...\n   dump files...         -- dump contents of specified files\n";

/// Where dump text goes. The log reader's reporter writes into it from
/// inside `read_record`, so it is shared; it is drained to stdout after
/// every record to keep memory flat on big files.
#[derive(Clone)]
struct Sink {
    pending: Arc<Mutex<Vec<u8>>>,
}

impl Sink {
    fn new() -> Sink {
        Sink {
            pending: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn append(&self, text: &str) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(text.as_bytes());
    }

    fn drain_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(&pending)?;
        pending.clear();
        Ok(())
    }
}

/// LevelDB's `CorruptionReporter` in dumpfile.cc.
struct CorruptionPrinter {
    sink: Sink,
}

impl Reporter for CorruptionPrinter {
    fn corruption(&mut self, bytes: usize, reason: &Error) {
        self.sink
            .append(&format!("corruption: {bytes} bytes; {reason}\n"));
    }
}

/// Runs `print` on every record of the log-format file `path`, with the
/// record's offset.
fn print_log_contents(
    env: &dyn Env,
    path: &str,
    sink: &Sink,
    out: &mut dyn Write,
    print: fn(u64, &[u8], &Sink),
) -> Result<()> {
    let file = env.new_sequential_file(path)?;
    let reporter = CorruptionPrinter { sink: sink.clone() };
    let mut reader = Reader::new(file, Some(Box::new(reporter)), true, 0);
    let mut record = Vec::new();
    while reader.read_record(&mut record) {
        // Corruptions reported while finding this record come first.
        print(reader.last_record_offset(), &record, sink);
        let _ = sink.drain_to(out);
    }
    let _ = sink.drain_to(out);
    Ok(())
}

/// LevelDB's `WriteBatchItemPrinter`.
struct BatchItemPrinter<'a> {
    sink: &'a Sink,
}

impl WriteBatchHandler for BatchItemPrinter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.sink.append(&format!(
            "  put '{}' '{}'\n",
            escape_bytes(key),
            escape_bytes(value)
        ));
    }

    fn delete(&mut self, key: &[u8]) {
        self.sink
            .append(&format!("  del '{}'\n", escape_bytes(key)));
    }
}

fn print_write_batch(offset: u64, record: &[u8], sink: &Sink) {
    if record.len() < HEADER_SIZE {
        sink.append(&format!(
            "--- offset {offset}; log record length {} is too small\n",
            record.len()
        ));
        return;
    }
    let mut batch = WriteBatch::new();
    batch.set_contents(record);
    sink.append(&format!(
        "--- offset {offset}; sequence {}\n",
        batch.sequence()
    ));
    if let Err(e) = batch.iterate(&mut BatchItemPrinter { sink }) {
        sink.append(&format!("  error: {e}\n"));
    }
}

fn print_version_edit(offset: u64, record: &[u8], sink: &Sink) {
    let text = match VersionEdit::decode(record) {
        Ok(edit) => edit.debug_string(),
        Err(e) => format!("{e}\n"),
    };
    sink.append(&format!("--- offset {offset}; {text}"));
}

fn dump_table(env: &dyn Env, path: &str, out: &mut dyn Write) -> Result<()> {
    let size = env.get_file_size(path)?;
    let file = env.new_random_access_file(path)?;
    // Default options, as LevelDB's dump: the bytewise comparator may not be
    // the table's, but a full scan never compares keys.
    let table = Table::open(&TableOptions::default(), file, size)?;
    let read_options = BlockReadOptions {
        fill_cache: false,
        ..BlockReadOptions::default()
    };
    let mut iter = table.iter(&read_options);
    iter.seek_to_first();
    let mut line = String::new();
    while iter.valid() {
        line.clear();
        match parse_internal_key(iter.key()) {
            None => {
                line.push_str(&format!(
                    "badkey '{}' => '{}'\n",
                    escape_bytes(iter.key()),
                    escape_bytes(iter.value())
                ));
            }
            Some(key) => {
                let kind = match key.value_type {
                    ValueType::Deletion => "del",
                    ValueType::Value => "val",
                };
                line.push_str(&format!(
                    "'{}' @ {} : {} => '{}'\n",
                    escape_bytes(key.user_key),
                    key.sequence,
                    kind,
                    escape_bytes(iter.value())
                ));
            }
        }
        let _ = out.write_all(line.as_bytes());
        iter.next();
    }
    if let Err(e) = iter.status() {
        let _ = out.write_all(format!("iterator error: {e}\n").as_bytes());
    }
    Ok(())
}

/// LevelDB's `DumpFile`: picks the dumper from the file's base name.
fn dump_file(env: &dyn Env, path: &str, out: &mut dyn Write) -> Result<()> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let Some((_, file_type)) = parse_file_name(base) else {
        return Err(Error::invalid_argument(format!(
            "{path}: unknown file type"
        )));
    };
    let sink = Sink::new();
    match file_type {
        FileType::Log => print_log_contents(env, path, &sink, out, print_write_batch),
        FileType::Descriptor => print_log_contents(env, path, &sink, out, print_version_edit),
        FileType::Table => dump_table(env, path, out),
        _ => Err(Error::invalid_argument(format!(
            "{path}: not a dump-able file type"
        ))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.first().map(String::as_str) != Some("dump") {
        eprint!("{USAGE}");
        return ExitCode::FAILURE;
    }
    let env = default_env();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut ok = true;
    for path in &args[1..] {
        if let Err(e) = dump_file(&*env, path, &mut out) {
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
