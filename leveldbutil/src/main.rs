//! `leveldbutil`: LevelDB 1.23's `leveldbutil dump FILE...`, byte for
//! byte, and commands that work on a whole database directory (get, put,
//! delete, scan, stats, sizes, compact, repair, destroy, verify, export,
//! import). docs/leveldbutil.md describes every command.
//!
//! Invariants: stdout carries only results; errors go to stderr as
//! `leveldbutil: ...` with exit status 1 (`dump` keeps LevelDB's own
//! stderr text and exit codes); a usage error is also status 1, as in
//! LevelDB, and where LevelDB's tool prints its usage text (no command, an
//! unknown one) ours prints the same text. `get`, `scan`, `stats`, `sizes`, `verify` and `export` open the
//! database read-only (`leveldb::inspect`) and write nothing to it. Every
//! command on a database refuses at once, saying so, when another process
//! holds its `LOCK`.

mod dump;
mod exchange;
mod progress;
mod read;
mod text;
mod write;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use text::Encoding;

/// Inspect, edit, check, export and import LevelDB databases.
///
/// KEY and VALUE arguments are read as LevelDB prints them: \xNN is the
/// byte NN, \\ a backslash (with --hex: hex digits; with --raw: the
/// argument's bytes as given). Keys and values are printed the same way.
#[derive(Parser)]
#[command(name = "leveldbutil", version)]
struct Cli {
    #[command(flatten)]
    encoding: EncodingFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct EncodingFlags {
    /// Print keys and values in hex, and read KEY and VALUE arguments as hex.
    #[arg(long, global = true)]
    hex: bool,
    /// Print keys and values as their raw bytes, and take KEY and VALUE
    /// arguments as given.
    #[arg(long, global = true, conflicts_with = "hex")]
    raw: bool,
}

/// A key range: `--from` inclusive, `--to` exclusive.
#[derive(Args)]
struct Range {
    /// First key of the range (inclusive); default: the first key.
    #[arg(long, value_name = "KEY")]
    from: Option<OsString>,
    /// End of the range (exclusive); default: past the last key.
    #[arg(long, value_name = "KEY")]
    to: Option<OsString>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the contents of log, table and MANIFEST files, exactly as
    /// LevelDB's leveldbutil does.
    Dump {
        /// Log (NNNNNN.log), table (NNNNNN.ldb or .sst) or MANIFEST files.
        #[arg(value_name = "FILE", allow_hyphen_values = true)]
        files: Vec<OsString>,
    },
    /// Print the value of KEY (status 1 if absent).
    Get {
        /// The database directory.
        db: PathBuf,
        key: OsString,
    },
    /// Set KEY to VALUE (creating the database if missing), synced.
    Put {
        /// The database directory.
        db: PathBuf,
        key: OsString,
        value: OsString,
    },
    /// Delete KEY (not an error if absent), synced.
    Delete {
        /// The database directory.
        db: PathBuf,
        key: OsString,
    },
    /// Print entries in key order, one per line: KEY, a TAB, VALUE.
    Scan {
        /// The database directory.
        db: PathBuf,
        #[command(flatten)]
        range: Range,
        /// Only keys starting with PREFIX (combines with --from and --to).
        #[arg(long)]
        prefix: Option<OsString>,
        /// From the last key of the range to the first.
        #[arg(long)]
        reverse: bool,
        /// At most N entries.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        /// Print keys only.
        #[arg(long)]
        keys_only: bool,
        /// Print only the number of entries.
        #[arg(long, conflicts_with = "keys_only")]
        count: bool,
    },
    /// Print LevelDB's properties: files per level, approximate memory
    /// usage, leveldb.stats and leveldb.sstables.
    Stats {
        /// The database directory.
        db: PathBuf,
    },
    /// Print the approximate bytes of table data in a key range.
    Sizes {
        /// The database directory.
        db: PathBuf,
        #[command(flatten)]
        range: Range,
    },
    /// Compact a key range (default: everything) down the levels.
    Compact {
        /// The database directory.
        db: PathBuf,
        #[command(flatten)]
        range: Range,
    },
    /// Rebuild a database that no longer opens from its logs and tables.
    Repair {
        /// The database directory.
        db: PathBuf,
    },
    /// Delete a database: every file LevelDB names, then the directory if
    /// empty.
    Destroy {
        /// The database directory.
        db: PathBuf,
    },
    /// Read every file with checksums verified; report each damaged file
    /// and what it holds (status 1 if any is damaged). Changes nothing.
    Verify {
        /// The database directory.
        db: PathBuf,
    },
    /// Write every entry to FILE ('-': stdout) in the export format.
    Export {
        /// The database directory.
        db: PathBuf,
        /// Where the export goes ('-': stdout).
        file: PathBuf,
    },
    /// Put every entry of FILE ('-': stdin), an export, into the database
    /// (created if missing). The whole file is checked before anything is
    /// written.
    Import {
        /// The database directory.
        db: PathBuf,
        /// An export ('-': stdin).
        file: PathBuf,
    },
}

/// Why a command failed.
pub enum Failure {
    /// Printed as `leveldbutil: <message>`.
    Message(String),
    /// Stdout was closed (`... | head`): nothing more to say.
    ClosedOutput,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::ClosedOutput
        } else {
            Failure::Message(format!("output: {e}"))
        }
    }
}

pub type Outcome = Result<(), Failure>;

/// The database path as the library takes it.
pub fn db_name(db: &std::path::Path) -> Result<&str, Failure> {
    db.to_str()
        .ok_or_else(|| Failure::Message(format!("{}: not a UTF-8 path", db.display())))
}

/// Turns a library error about database `db` into a failure, naming a
/// `LOCK` held elsewhere for what it is.
pub fn db_failure(db: &str) -> impl Fn(leveldb::Error) -> Failure + '_ {
    move |e| {
        if leveldb::inspect::is_lock_conflict(&e, db) {
            Failure::Message(format!(
                "{db}: the database is locked by another process ({e})"
            ))
        } else {
            Failure::Message(e.to_string())
        }
    }
}

/// LevelDB 1.23's usage text, printed as it prints it.
const LEVELDB_USAGE: &str =
    "Usage: leveldbutil command...\n   dump files...         -- dump contents of specified files\n";

/// Whether the command line is one LevelDB's tool answers with its usage
/// text and our parser would not take: no arguments, or a first argument
/// that is neither a command nor an option of ours.
fn is_leveldb_usage_case() -> bool {
    let Some(first) = std::env::args_os().nth(1) else {
        return true;
    };
    let known = Cli::command()
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .chain(["help", "-h", "--help", "-V", "--version", "--hex", "--raw"])
        .any(|name| first == name);
    !known
}

fn main() -> ExitCode {
    if is_leveldb_usage_case() {
        eprint!("{LEVELDB_USAGE}");
        return ExitCode::FAILURE;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let encoding = if cli.encoding.hex {
        Encoding::Hex
    } else if cli.encoding.raw {
        Encoding::Raw
    } else {
        Encoding::Escaped
    };
    let outcome = match cli.command {
        Command::Dump { files } => return dump::run(&files),
        Command::Get { db, key } => read::get(&db, encoding, &key),
        Command::Put { db, key, value } => write::put(&db, encoding, &key, &value),
        Command::Delete { db, key } => write::delete(&db, encoding, &key),
        Command::Scan {
            db,
            range,
            prefix,
            reverse,
            limit,
            keys_only,
            count,
        } => read::scan(
            &db,
            encoding,
            &read::ScanOptions {
                from: range.from,
                to: range.to,
                prefix,
                reverse,
                limit,
                keys_only,
                count,
            },
        ),
        Command::Stats { db } => read::stats(&db),
        Command::Sizes { db, range } => read::sizes(&db, encoding, &range.from, &range.to),
        Command::Compact { db, range } => write::compact(&db, encoding, &range.from, &range.to),
        Command::Repair { db } => write::repair(&db),
        Command::Destroy { db } => write::destroy(&db),
        Command::Verify { db } => read::verify(&db),
        Command::Export { db, file } => read::export(&db, &file),
        Command::Import { db, file } => write::import(&db, &file),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::ClosedOutput) => ExitCode::FAILURE,
        Err(Failure::Message(m)) => {
            let _ = io::stdout().flush();
            eprintln!("leveldbutil: {m}");
            ExitCode::FAILURE
        }
    }
}
