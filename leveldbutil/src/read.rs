//! The commands that only read a database: `get`, `scan`, `stats`,
//! `sizes`, `verify` and `export`.
//!
//! Invariant: the database is opened through `leveldb::inspect`, never
//! `DB::open`: nothing in its directory is created, changed or removed
//! (no LOG, no log or MANIFEST, no flush, no compaction).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use leveldb::inspect::verify::verify_db;
use leveldb::inspect::ReadOnlyDb;
use leveldb::{Iterator as _, Options, ReadOptions};

use crate::exchange;
use crate::progress::Progress;
use crate::text::Encoding;
use crate::{db_failure, db_name, Failure, Outcome};

/// Opens `db` read-only.
fn open(db: &Path) -> Result<(ReadOnlyDb, &str), Failure> {
    let name = db_name(db)?;
    let view = ReadOnlyDb::open(&Options::default(), name).map_err(db_failure(name))?;
    Ok((view, name))
}

/// Reads of a whole range: checksums verified, the block cache left alone.
fn bulk_read() -> ReadOptions {
    ReadOptions {
        verify_checksums: true,
        fill_cache: false,
        ..ReadOptions::new()
    }
}

fn decode(encoding: Encoding, what: &str, arg: &OsStr) -> Result<Vec<u8>, Failure> {
    encoding.decode_arg(what, arg).map_err(Failure::Message)
}

fn decode_opt(
    encoding: Encoding,
    what: &str,
    arg: &Option<OsString>,
) -> Result<Option<Vec<u8>>, Failure> {
    arg.as_deref()
        .map(|a| decode(encoding, what, a))
        .transpose()
}

pub fn get(db: &Path, encoding: Encoding, key: &OsStr) -> Outcome {
    let key = decode(encoding, "KEY", key)?;
    let (view, name) = open(db)?;
    let value = view
        .get(&ReadOptions::new(), &key)
        .map_err(db_failure(name))?;
    let Some(value) = value else {
        let mut shown = Vec::new();
        encoding.encode_into(&key, &mut shown);
        return Err(Failure::Message(format!(
            "NotFound: {}",
            String::from_utf8_lossy(&shown)
        )));
    };
    let mut out = Vec::new();
    encoding.encode_into(&value, &mut out);
    if encoding != Encoding::Raw {
        out.push(b'\n');
    }
    io::stdout().write_all(&out)?;
    Ok(())
}

pub struct ScanOptions {
    pub from: Option<OsString>,
    pub to: Option<OsString>,
    pub prefix: Option<OsString>,
    pub reverse: bool,
    pub limit: Option<u64>,
    pub keys_only: bool,
    pub count: bool,
}

/// The smallest key greater than every key starting with `prefix`, if
/// there is one (none for an empty prefix or one of only 0xff bytes).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

pub fn scan(db: &Path, encoding: Encoding, options: &ScanOptions) -> Outcome {
    let mut lower = decode_opt(encoding, "--from", &options.from)?;
    let mut upper = decode_opt(encoding, "--to", &options.to)?;
    if let Some(prefix) = decode_opt(encoding, "--prefix", &options.prefix)? {
        if lower.as_ref().map_or(true, |l| *l < prefix) {
            lower = Some(prefix.clone());
        }
        if let Some(end) = prefix_end(&prefix) {
            if upper.as_ref().map_or(true, |u| *u > end) {
                upper = Some(end);
            }
        }
    }
    let (view, name) = open(db)?;
    let mut it = view.iter(&bulk_read());
    let in_range = |key: &[u8]| {
        lower.as_deref().map_or(true, |l| key >= l) && upper.as_deref().map_or(true, |u| key < u)
    };
    if options.reverse {
        match &upper {
            Some(u) => {
                it.seek(u);
                if it.valid() {
                    it.prev();
                } else {
                    it.seek_to_last();
                }
            }
            None => it.seek_to_last(),
        }
    } else {
        match &lower {
            Some(l) => it.seek(l),
            None => it.seek_to_first(),
        }
    }
    let progress = options.count.then(|| Progress::counter("counting"));
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    let mut n = 0u64;
    while it.valid() && in_range(it.key()) && options.limit.map_or(true, |l| n < l) {
        n += 1;
        if let Some(progress) = &progress {
            if n % 4096 == 0 {
                progress.set(n);
            }
        } else {
            line.clear();
            encoding.encode_into(it.key(), &mut line);
            if !options.keys_only {
                line.push(b'\t');
                encoding.encode_into(it.value(), &mut line);
            }
            line.push(b'\n');
            out.write_all(&line)?;
        }
        if options.reverse {
            it.prev();
        } else {
            it.next();
        }
    }
    it.status().map_err(db_failure(name))?;
    drop(progress);
    if options.count {
        writeln!(out, "{n}")?;
    }
    out.flush()?;
    Ok(())
}

pub fn stats(db: &Path) -> Outcome {
    let (view, _) = open(db)?;
    let property = |name: &str| view.property(name).unwrap_or_default();
    let mut text = String::new();
    for level in 0..7 {
        let name = format!("leveldb.num-files-at-level{level}");
        text.push_str(&format!("{name}: {}\n", property(&name)));
    }
    text.push_str(&format!(
        "leveldb.approximate-memory-usage: {}\n",
        property("leveldb.approximate-memory-usage")
    ));
    text.push_str(&format!("last sequence: {}\n", view.last_sequence()));
    let logs: Vec<String> = view.logs().iter().map(|n| format!("{n:06}.log")).collect();
    text.push_str(&format!(
        "live logs: {} ({} entries)\n",
        if logs.is_empty() {
            "none".to_string()
        } else {
            logs.join(" ")
        },
        view.log_entries()
    ));
    for (log, bytes, reason) in view.skipped_records() {
        text.push_str(&format!(
            "skipped in {log:06}.log: {bytes} bytes; {reason}\n"
        ));
    }
    text.push_str("leveldb.stats:\n");
    text.push_str(&property("leveldb.stats"));
    text.push_str("leveldb.sstables:\n");
    text.push_str(&property("leveldb.sstables"));
    io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

pub fn sizes(
    db: &Path,
    encoding: Encoding,
    from: &Option<OsString>,
    to: &Option<OsString>,
) -> Outcome {
    let from = decode_opt(encoding, "--from", from)?;
    let to = decode_opt(encoding, "--to", to)?;
    let (view, _) = open(db)?;
    let size = view.approximate_size(from.as_deref(), to.as_deref());
    writeln!(io::stdout(), "{size}")?;
    Ok(())
}

pub fn verify(db: &Path) -> Outcome {
    let name = db_name(db)?;
    let progress = Progress::bytes("verifying", 0);
    let report = verify_db(&Options::default(), name, &mut |done, total| {
        progress.set_length(total);
        progress.set(done);
    })
    .map_err(db_failure(name))?;
    drop(progress);
    let mut text = String::new();
    for file in &report.files {
        let state = if file.damage.is_empty() {
            "ok"
        } else {
            "DAMAGED"
        };
        text.push_str(&format!("{state} {}: {}\n", file.name, file.holds));
        for d in &file.damage {
            text.push_str(&format!("  damage: {d}\n"));
        }
        for n in &file.notes {
            text.push_str(&format!("  note: {n}\n"));
        }
    }
    let damaged = report.damaged().count();
    text.push_str(&format!(
        "{} files checked, {damaged} damaged\n",
        report.files.len()
    ));
    io::stdout().write_all(text.as_bytes())?;
    if damaged > 0 {
        return Err(Failure::Message(format!(
            "{name}: {damaged} damaged file{}",
            if damaged == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

pub fn export(db: &Path, file: &Path) -> Outcome {
    let (view, name) = open(db)?;
    let to_stdout = file.as_os_str() == "-";
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(BufWriter::new(io::stdout().lock()))
    } else {
        let f =
            File::create(file).map_err(|e| Failure::Message(format!("{}: {e}", file.display())))?;
        Box::new(BufWriter::new(f))
    };
    let failed_write = |e: io::Error| -> Failure {
        if to_stdout {
            e.into()
        } else {
            Failure::Message(format!("{}: {e}", file.display()))
        }
    };
    let progress = Progress::counter("exporting");
    let mut it = view.iter(&bulk_read());
    it.seek_to_first();
    let mut count = 0u64;
    let mut line = Vec::new();
    out.write_all(exchange::HEADER).map_err(failed_write)?;
    while it.valid() {
        line.clear();
        exchange::write_entry(&mut line, it.key(), it.value());
        out.write_all(&line).map_err(failed_write)?;
        count += 1;
        if count % 4096 == 0 {
            progress.set(count);
        }
        it.next();
    }
    it.status().map_err(db_failure(name))?;
    out.write_all(&exchange::end_line(count))
        .map_err(failed_write)?;
    out.flush().map_err(failed_write)?;
    if !to_stdout {
        drop(out);
        // The export is complete only once it is on disk.
        File::open(file)
            .and_then(|f| f.sync_all())
            .map_err(failed_write)?;
    }
    Ok(())
}
