//! Generates `include/leveldb/c.h` from `src/ffi` with cbindgen, and gives
//! the shared library LevelDB's SONAME.
//!
//! The header is always written to `$OUT_DIR/c.h`; `tests/abi.rs` fails when
//! the checked-in copy differs. `STRATA_BLESS_HEADER=1 cargo build` refreshes
//! the checked-in copy.

use std::env;
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=STRATA_BLESS_HEADER");

    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let header = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen could not generate c.h");
    header.write_to_file(out.join("c.h"));
    if env::var_os("STRATA_BLESS_HEADER").is_some() {
        header.write_to_file(root.join("include/leveldb/c.h"));
    }

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libleveldb.so.1");
    }
}
