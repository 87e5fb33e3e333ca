//! Generates `include/leveldb/c.h` from `src/ffi` with cbindgen, compiles
//! the C++ layer (`cpp/*.cc`, LevelDB 1.23's C++ API) and gives the shared
//! library LevelDB's SONAME and its C++ exports.
//!
//! The C++ layer is linked whole (nothing in Rust references it: it calls
//! into Rust, never the reverse), so every C++ symbol reaches both
//! libraries. rustc's own version script exports only `#[no_mangle]` Rust
//! functions; a second one, generated from `cpp/exported-symbols.txt`,
//! exports the C++ symbols of LevelDB 1.23 and nothing else. This needs a
//! linker that merges two anonymous version scripts: LLD does (rustc links
//! with its rust-lld on x86_64 Linux); `tests/abi.rs` checks the result.
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

    build_cpp(&root, &out);
}

/// Compiles `cpp/*.cc` into `libstrata_cpp.a`, links it whole, and writes
/// the version script exporting the C++ API.
fn build_cpp(root: &std::path::Path, out: &std::path::Path) {
    println!("cargo:rerun-if-changed=cpp");
    println!("cargo:rerun-if-changed=include");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("cpp"))
        .expect("cpp/")
        .map(|e| e.expect("cpp/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "cc"))
        .collect();
    sources.sort();
    cc::Build::new()
        .cpp(true)
        .std("c++11")
        .files(&sources)
        .include(root.join("include"))
        .include(root.join("cpp"))
        .flag("-fno-exceptions")
        .flag("-Wall")
        .flag("-Wextra")
        .warnings_into_errors(true)
        .cargo_metadata(false)
        .compile("strata_cpp");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static:+whole-archive=strata_cpp");
    println!("cargo:rustc-link-lib=dylib=stdc++");

    let list = std::fs::read_to_string(root.join("cpp/exported-symbols.txt"))
        .expect("cpp/exported-symbols.txt");
    let mut script = String::from("{\n  global:\n");
    for name in list.lines().map(str::trim) {
        if !name.is_empty() && !name.starts_with('#') {
            script.push_str(&format!("    {name};\n"));
        }
    }
    script.push_str("};\n");
    let map = out.join("cpp-exports.map");
    std::fs::write(&map, script).expect("write cpp-exports.map");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
}
