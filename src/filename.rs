//! The names of the files in a database directory, and how LevelDB 1.23
//! recognises them (`docs/formats.md` §1).
//!
//! Invariants: every name built here is `dbname + "/" + base`, with numbers
//! printed as `%06llu` (at least six digits, more when needed); and
//! `parse_file_name(base)` recovers exactly the number and type of every
//! base name built here. Anything else — including numbers that overflow a
//! `u64` — is not a database file and `parse_file_name` returns `None`, so
//! cleanup code never touches it.
//!
//! The functions are pure except [`set_current_file`], which writes through
//! the given [`Env`].

use crate::env::{write_string_to_file, Env};
use crate::status::Result;

/// The kinds of file in a database directory, with LevelDB's enum values
/// (the info log prints them as numbers, e.g. `Delete type=2 #7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Log = 0,
    DbLock = 1,
    Table = 2,
    Descriptor = 3,
    Current = 4,
    Temp = 5,
    InfoLog = 6,
}

fn numbered(dbname: &str, number: u64, suffix: &str) -> String {
    format!("{dbname}/{number:06}.{suffix}")
}

/// `dbname/NNNNNN.log`: a write-ahead log.
pub fn log_file_name(dbname: &str, number: u64) -> String {
    debug_assert!(number > 0);
    numbered(dbname, number, "log")
}

/// `dbname/NNNNNN.ldb`: a table, as written.
pub fn table_file_name(dbname: &str, number: u64) -> String {
    debug_assert!(number > 0);
    numbered(dbname, number, "ldb")
}

/// `dbname/NNNNNN.sst`: the legacy table name, tried when `.ldb` is missing.
pub fn sst_table_file_name(dbname: &str, number: u64) -> String {
    debug_assert!(number > 0);
    numbered(dbname, number, "sst")
}

/// `dbname/MANIFEST-NNNNNN`: a descriptor (log of version edits).
pub fn descriptor_file_name(dbname: &str, number: u64) -> String {
    debug_assert!(number > 0);
    format!("{dbname}/MANIFEST-{number:06}")
}

/// `dbname/CURRENT`: names the live MANIFEST.
pub fn current_file_name(dbname: &str) -> String {
    format!("{dbname}/CURRENT")
}

/// `dbname/LOCK`: held while a process has the database open.
pub fn lock_file_name(dbname: &str) -> String {
    format!("{dbname}/LOCK")
}

/// `dbname/NNNNNN.dbtmp`: a file written before being renamed into place.
pub fn temp_file_name(dbname: &str, number: u64) -> String {
    debug_assert!(number > 0);
    numbered(dbname, number, "dbtmp")
}

/// `dbname/LOG`: the info log.
pub fn info_log_file_name(dbname: &str) -> String {
    format!("{dbname}/LOG")
}

/// `dbname/LOG.old`: the previous info log.
pub fn old_info_log_file_name(dbname: &str) -> String {
    format!("{dbname}/LOG.old")
}

/// LevelDB's `ConsumeDecimalNumber`: one or more ASCII digits from the front
/// of `rest`, failing on an empty run or on `u64` overflow.
fn consume_decimal(rest: &mut &str) -> Option<u64> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for b in rest[..digits].bytes() {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    *rest = &rest[digits..];
    Some(value)
}

/// Recognises a file's base name (no directory): its number (0 for the
/// unnumbered ones) and type, or `None` if it is not a database file.
pub fn parse_file_name(name: &str) -> Option<(u64, FileType)> {
    match name {
        "CURRENT" => return Some((0, FileType::Current)),
        "LOCK" => return Some((0, FileType::DbLock)),
        "LOG" | "LOG.old" => return Some((0, FileType::InfoLog)),
        _ => {}
    }
    if let Some(mut rest) = name.strip_prefix("MANIFEST-") {
        let number = consume_decimal(&mut rest)?;
        return rest.is_empty().then_some((number, FileType::Descriptor));
    }
    let mut rest = name;
    let number = consume_decimal(&mut rest)?;
    let file_type = match rest {
        ".log" => FileType::Log,
        ".sst" | ".ldb" => FileType::Table,
        ".dbtmp" => FileType::Temp,
        _ => return None,
    };
    Some((number, file_type))
}

/// Points `CURRENT` at `MANIFEST-<descriptor_number>`: writes the name and a
/// newline to `NNNNNN.dbtmp` with sync, renames it over `CURRENT`, then syncs
/// the directory so the switch itself is durable. On failure the temp file
/// is removed.
pub fn set_current_file(env: &dyn Env, dbname: &str, descriptor_number: u64) -> Result<()> {
    install_current_file(env, dbname, descriptor_number)?;
    // Not in LevelDB 1.23 (it relies on the next MANIFEST sync); without it
    // a crash could bring back the old CURRENT after we reported success.
    env.sync_dir(dbname)
}

/// [`set_current_file`] without the final directory sync: once this
/// succeeds, CURRENT names the new MANIFEST (durably or not), so the caller
/// must keep that MANIFEST even if the directory sync then fails.
pub fn install_current_file(env: &dyn Env, dbname: &str, descriptor_number: u64) -> Result<()> {
    let manifest = descriptor_file_name(dbname, descriptor_number);
    let base = &manifest[dbname.len() + 1..];
    let contents = format!("{base}\n");
    let tmp = temp_file_name(dbname, descriptor_number);
    let result = write_string_to_file(env, contents.as_bytes(), &tmp, true)
        .and_then(|()| env.rename_file(&tmp, &current_file_name(dbname)));
    if result.is_err() {
        let _ = env.remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::fault::FaultEnv;
    use crate::env::mem::MemEnv;
    use crate::env::read_file_to_vec;
    use proptest::prelude::*;

    #[test]
    fn parse_as_filename_test() {
        let cases: &[(&str, u64, FileType)] = &[
            ("100.log", 100, FileType::Log),
            ("0.log", 0, FileType::Log),
            ("0.sst", 0, FileType::Table),
            ("0.ldb", 0, FileType::Table),
            ("CURRENT", 0, FileType::Current),
            ("LOCK", 0, FileType::DbLock),
            ("MANIFEST-2", 2, FileType::Descriptor),
            ("MANIFEST-7", 7, FileType::Descriptor),
            ("LOG", 0, FileType::InfoLog),
            ("LOG.old", 0, FileType::InfoLog),
            ("18446744073709551615.log", u64::MAX, FileType::Log),
            ("000123.dbtmp", 123, FileType::Temp),
            ("MANIFEST-000000000000000000009", 9, FileType::Descriptor),
        ];
        for &(name, number, file_type) in cases {
            assert_eq!(parse_file_name(name), Some((number, file_type)), "{name}");
        }
        let errors = [
            "",
            "foo",
            "foo-dx-100.log",
            ".log",
            "manifest",
            "CURREN",
            "CURRENTX",
            "MANIFES",
            "MANIFEST",
            "MANIFEST-",
            "XMANIFEST-3",
            "MANIFEST-3x",
            "LOC",
            "LOCKx",
            "LO",
            "LOGx",
            "18446744073709551616.log",
            "184467440737095516150.log",
            "100",
            "100.",
            "100.lop",
            "MANIFEST-18446744073709551616",
            "+1.log",
            "1.log.old",
            "LOG.old.1",
            "lost",
        ];
        for name in errors {
            assert_eq!(parse_file_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn construction_as_filename_test() {
        let base = |full: &str, db: &str| -> String {
            assert!(full.starts_with(&format!("{db}/")), "{full}");
            full[db.len() + 1..].to_string()
        };
        let check = |full: String, db: &str, expect: (u64, FileType)| {
            assert_eq!(parse_file_name(&base(&full, db)), Some(expect), "{full}");
        };
        check(current_file_name("foo"), "foo", (0, FileType::Current));
        check(lock_file_name("foo"), "foo", (0, FileType::DbLock));
        check(log_file_name("foo", 192), "foo", (192, FileType::Log));
        check(table_file_name("bar", 200), "bar", (200, FileType::Table));
        check(
            sst_table_file_name("bar", 201),
            "bar",
            (201, FileType::Table),
        );
        check(
            descriptor_file_name("bar", 100),
            "bar",
            (100, FileType::Descriptor),
        );
        check(temp_file_name("tmp", 999), "tmp", (999, FileType::Temp));
        check(info_log_file_name("foo"), "foo", (0, FileType::InfoLog));
        check(old_info_log_file_name("foo"), "foo", (0, FileType::InfoLog));

        assert_eq!(log_file_name("/db", 5), "/db/000005.log");
        assert_eq!(table_file_name("/db", 1234567), "/db/1234567.ldb");
        assert_eq!(sst_table_file_name("/db", 7), "/db/000007.sst");
        assert_eq!(descriptor_file_name("/db", 1), "/db/MANIFEST-000001");
        assert_eq!(temp_file_name("/db", 3), "/db/000003.dbtmp");
        assert_eq!(info_log_file_name("/db"), "/db/LOG");
        assert_eq!(old_info_log_file_name("/db"), "/db/LOG.old");
        assert_eq!(lock_file_name("/db"), "/db/LOCK");
        assert_eq!(
            table_file_name("/db", u64::MAX),
            "/db/18446744073709551615.ldb"
        );
    }

    #[test]
    fn file_type_values_are_leveldbs() {
        let values: Vec<i32> = [
            FileType::Log,
            FileType::DbLock,
            FileType::Table,
            FileType::Descriptor,
            FileType::Current,
            FileType::Temp,
            FileType::InfoLog,
        ]
        .iter()
        .map(|t| *t as i32)
        .collect();
        assert_eq!(values, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn set_current_file_writes_name_and_newline() {
        let env = MemEnv::new();
        set_current_file(&*env, "/db", 5).unwrap();
        assert_eq!(
            read_file_to_vec(&*env, "/db/CURRENT").unwrap(),
            b"MANIFEST-000005\n"
        );
        assert!(!env.file_exists("/db/000005.dbtmp"));
        set_current_file(&*env, "/db", 1234567).unwrap();
        assert_eq!(
            read_file_to_vec(&*env, "/db/CURRENT").unwrap(),
            b"MANIFEST-1234567\n"
        );
        assert_eq!(env.get_children("/db").unwrap(), vec!["CURRENT"]);
    }

    #[test]
    fn set_current_file_is_durable_and_cleans_up_on_failure() {
        let env = FaultEnv::new(MemEnv::new());
        set_current_file(&*env, "/db", 2).unwrap();
        // Survives a crash image: data synced and the rename's directory
        // entry synced.
        env.drop_unsynced_data().unwrap();
        env.remove_files_created_after_last_dir_sync().unwrap();
        assert_eq!(
            read_file_to_vec(&*env, "/db/CURRENT").unwrap(),
            b"MANIFEST-000002\n"
        );
        // A failed write leaves the old CURRENT and no temp file.
        env.fail_nth_sync(1);
        assert!(set_current_file(&*env, "/db", 3).unwrap_err().is_io_error());
        assert!(!env.file_exists("/db/000003.dbtmp"));
        assert_eq!(
            read_file_to_vec(&*env, "/db/CURRENT").unwrap(),
            b"MANIFEST-000002\n"
        );
    }

    #[test]
    fn set_current_file_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().to_str().unwrap();
        let env = crate::env::default_env();
        set_current_file(&*env, db, 9).unwrap();
        assert_eq!(
            std::fs::read(format!("{db}/CURRENT")).unwrap(),
            b"MANIFEST-000009\n"
        );
    }

    proptest! {
        #[test]
        fn numbered_names_round_trip(number in 1u64.., kind in 0usize..5) {
            let (full, expect) = match kind {
                0 => (log_file_name("d", number), FileType::Log),
                1 => (table_file_name("d", number), FileType::Table),
                2 => (sst_table_file_name("d", number), FileType::Table),
                3 => (descriptor_file_name("d", number), FileType::Descriptor),
                _ => (temp_file_name("d", number), FileType::Temp),
            };
            prop_assert_eq!(parse_file_name(&full[2..]), Some((number, expect)));
        }

        #[test]
        fn arbitrary_names_never_panic(name in "\\PC{0,30}") {
            if let Some((n, t)) = parse_file_name(&name) {
                // Whatever parses is one of the shapes above.
                let ok = match t {
                    FileType::Current | FileType::DbLock | FileType::InfoLog => n == 0,
                    FileType::Descriptor => name.starts_with("MANIFEST-"),
                    _ => name.as_bytes()[0].is_ascii_digit(),
                };
                prop_assert!(ok, "{name}");
            }
        }

        #[test]
        fn decimal_overflow_is_rejected(extra in 0u64..10) {
            let too_big = format!("{}{}.log", u64::MAX, extra);
            prop_assert_eq!(parse_file_name(&too_big), None);
            let padded = format!("0000{}.log", u64::MAX);
            prop_assert_eq!(parse_file_name(&padded), Some((u64::MAX, FileType::Log)));
        }
    }
}
