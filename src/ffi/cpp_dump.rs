//! `leveldb::DumpFile` for the C++ layer: LevelDB 1.23's human-readable
//! dump of a log, MANIFEST or table file, written to a C++ `WritableFile`.
//!
//! The text is LevelDB's byte for byte (the same as `leveldbutil dump`,
//! whose binary holds its own copy of this logic). The destination file is
//! the caller's, borrowed for the call; the env is the caller's C++ env or
//! one of ours.

use std::os::raw::c_void;
use std::sync::{Arc, Mutex};

use super::cpp_bridge::{guard, path, CppStatus};
use super::cpp_env::{borrowed_writable_file, cpp_env, NativeEnv};
use crate::env::{Env, WritableFile};
use crate::filename::{parse_file_name, FileType};
use crate::key::{escape_bytes, parse_internal_key, ValueType};
use crate::log::{Reader, Reporter};

use crate::status::{Error, Result};
use crate::table::{BlockReadOptions, Table, TableOptions};
use crate::version::edit::VersionEdit;
use crate::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};

/// Text waiting for the destination; shared with the log reader's reporter,
/// which writes from inside `read_record`.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<String>>);

impl Sink {
    fn push(&self, text: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_str(text);
    }
    fn drain_to(&self, dst: &mut dyn WritableFile) {
        let mut text = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // LevelDB ignores the destination's errors too.
        let _ = dst.append(text.as_bytes());
        text.clear();
    }
}

struct CorruptionPrinter(Sink);

impl Reporter for CorruptionPrinter {
    fn corruption(&mut self, bytes: usize, reason: &Error) {
        self.0
            .push(&format!("corruption: {bytes} bytes; {reason}\n"));
    }
}

struct BatchPrinter<'a>(&'a Sink);

impl WriteBatchHandler for BatchPrinter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.0.push(&format!(
            "  put '{}' '{}'\n",
            escape_bytes(key),
            escape_bytes(value)
        ));
    }
    fn delete(&mut self, key: &[u8]) {
        self.0.push(&format!("  del '{}'\n", escape_bytes(key)));
    }
}

fn print_batch(offset: u64, record: &[u8], sink: &Sink) {
    if record.len() < HEADER_SIZE {
        sink.push(&format!(
            "--- offset {offset}; log record length {} is too small\n",
            record.len()
        ));
        return;
    }
    let mut batch = WriteBatch::new();
    batch.set_contents(record);
    sink.push(&format!(
        "--- offset {offset}; sequence {}\n",
        batch.sequence()
    ));
    if let Err(e) = batch.iterate(&mut BatchPrinter(sink)) {
        sink.push(&format!("  error: {e}\n"));
    }
}

fn print_edit(offset: u64, record: &[u8], sink: &Sink) {
    let text = match VersionEdit::decode(record) {
        Ok(edit) => edit.debug_string(),
        Err(e) => format!("{e}\n"),
    };
    sink.push(&format!("--- offset {offset}; {text}"));
}

fn dump_log(
    env: &dyn Env,
    path: &str,
    dst: &mut dyn WritableFile,
    print: fn(u64, &[u8], &Sink),
) -> Result<()> {
    let file = env.new_sequential_file(path)?;
    let sink = Sink::default();
    let reporter = CorruptionPrinter(sink.clone());
    let mut reader = Reader::new(file, Some(Box::new(reporter)), true, 0);
    let mut record = Vec::new();
    while reader.read_record(&mut record) {
        print(reader.last_record_offset(), &record, &sink);
        sink.drain_to(dst);
    }
    sink.drain_to(dst);
    Ok(())
}

fn dump_table(env: &dyn Env, path: &str, dst: &mut dyn WritableFile) -> Result<()> {
    let size = env.get_file_size(path)?;
    let file = env.new_random_access_file(path)?;
    // Default options, as LevelDB's: a full scan never compares keys.
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
        let _ = dst.append(line.as_bytes());
        iter.next();
    }
    if let Err(e) = iter.status() {
        let _ = dst.append(format!("iterator error: {e}\n").as_bytes());
    }
    Ok(())
}

fn dump(env: &dyn Env, path: &str, dst: &mut dyn WritableFile) -> Result<()> {
    let base = path.rsplit('/').next().unwrap_or(path);
    match parse_file_name(base).map(|(_, t)| t) {
        Some(FileType::Log) => dump_log(env, path, dst, print_batch),
        Some(FileType::Descriptor) => dump_log(env, path, dst, print_edit),
        Some(FileType::Table) => dump_table(env, path, dst),
        Some(_) => Err(Error::invalid_argument(format!(
            "{path}: not a dump-able file type"
        ))),
        None => Err(Error::invalid_argument(format!(
            "{path}: unknown file type"
        ))),
    }
}

/// `DumpFile(env, fname, dst)`: `native_env` is the engine env behind one
/// of our envs, else `env` the caller's C++ `Env*`; `dst` the caller's C++
/// `WritableFile*`. All borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_dump_file(
    native_env: *const NativeEnv,
    env: *mut c_void,
    name: *const u8,
    name_len: usize,
    dst: *mut c_void,
) -> CppStatus {
    guard!("strata_cpp_dump_file", {
        // SAFETY: NULL or a live engine env; else a live C++ env; the name
        // readable; dst a live C++ file.
        unsafe {
            let env: Arc<dyn Env> = match native_env.as_ref() {
                Some(native) => Arc::clone(&native.0),
                None => cpp_env(env),
            };
            let mut dst = borrowed_writable_file(dst);
            CppStatus::from_result(path(name, name_len).and_then(|p| dump(&*env, p, &mut *dst)))
        }
    })
}
