//! The contents of CURRENT, read when a database opens.
//!
//! Input: CURRENT's bytes, in a `MemEnv` database that is otherwise whole
//! (made by Strata once per process: a few writes, a flushed table, a
//! live log). Properties: no panic; the right name with its newline always
//! opens; any open that succeeds shows exactly the database's contents
//! (only one MANIFEST exists to be named).

use std::sync::{Arc, OnceLock};

use leveldb::env::mem::MemEnv;
use leveldb::env::{read_file_to_vec, write_string_to_file, Env};
use leveldb::{Options, ReadOptions, WriteOptions, DB};

use super::common::{walk, Entry};

const DB_NAME: &str = "/current";

struct Base {
    /// Every file of the database but CURRENT (name, contents).
    files: Vec<(String, Vec<u8>)>,
    /// CURRENT as Strata wrote it.
    current: Vec<u8>,
    entries: Vec<Entry>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let env = MemEnv::new();
        let options = Options {
            env: Arc::clone(&env) as Arc<dyn Env>,
            create_if_missing: true,
            ..Options::default()
        };
        let db = DB::open(options, DB_NAME).expect("create the base database");
        let w = WriteOptions::default();
        for i in 0..20u32 {
            db.put(&w, format!("key{i:03}").as_bytes(), &i.to_le_bytes())
                .unwrap();
        }
        db.flush_memtable().unwrap();
        db.delete(&w, b"key005").unwrap();
        db.put(&w, b"key100", b"in the log").unwrap();
        let (entries, ok) = walk(&mut db.iter(&ReadOptions::new()), true, 100);
        assert!(ok);
        drop(db);
        let mut files = Vec::new();
        let mut current = Vec::new();
        for name in env.get_children(DB_NAME).unwrap() {
            let path = format!("{DB_NAME}/{name}");
            let bytes = read_file_to_vec(&*env, &path).unwrap();
            if name == "CURRENT" {
                current = bytes;
            } else {
                files.push((path, bytes));
            }
        }
        Base {
            files,
            current,
            entries,
        }
    })
}

pub fn run(input: &[u8]) {
    let base = base();
    let env = MemEnv::new();
    for (path, bytes) in &base.files {
        write_string_to_file(&*env, bytes, path, false).unwrap();
    }
    write_string_to_file(&*env, input, &format!("{DB_NAME}/CURRENT"), false).unwrap();
    let options = Options {
        env: Arc::clone(&env) as Arc<dyn Env>,
        ..Options::default()
    };
    match DB::open(options, DB_NAME) {
        Ok(db) => {
            let (entries, ok) = walk(&mut db.iter(&ReadOptions::new()), true, 1000);
            assert!(ok, "reading the opened database fails");
            assert_eq!(entries, base.entries, "CURRENT opened another database");
        }
        Err(e) => assert_ne!(input, &base.current[..], "the right CURRENT fails: {e}"),
    }
}

/// CURRENT as written for the base database (a seed for the corpus).
pub fn valid_current() -> Vec<u8> {
    base().current.clone()
}
