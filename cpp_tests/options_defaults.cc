// Prints the defaults of LevelDB's Options, ReadOptions and WriteOptions,
// one "name=value" line each, for tests/options_defaults.rs, which builds
// this program against LevelDB 1.23 only and compares every line with the
// Rust API's Options::default() and friends. Pointers print as what they
// point to (the comparator's name, "default" for Env::Default()) or "null".

#include <cstdio>

#include "cpp_test.h"
#include "leveldb/comparator.h"
#include "leveldb/env.h"
#include "leveldb/options.h"

int main() {
  const leveldb::Options o;
  std::printf("comparator=%s\n", o.comparator->Name());
  std::printf("create_if_missing=%d\n", o.create_if_missing ? 1 : 0);
  std::printf("error_if_exists=%d\n", o.error_if_exists ? 1 : 0);
  std::printf("paranoid_checks=%d\n", o.paranoid_checks ? 1 : 0);
  std::printf("env=%s\n", o.env == leveldb::Env::Default() ? "default" : "other");
  std::printf("info_log=%s\n", o.info_log == nullptr ? "null" : "set");
  std::printf("write_buffer_size=%zu\n", o.write_buffer_size);
  std::printf("max_open_files=%d\n", o.max_open_files);
  std::printf("block_cache=%s\n", o.block_cache == nullptr ? "null" : "set");
  std::printf("block_size=%zu\n", o.block_size);
  std::printf("block_restart_interval=%d\n", o.block_restart_interval);
  std::printf("max_file_size=%zu\n", o.max_file_size);
  std::printf("compression=%d\n", static_cast<int>(o.compression));
  std::printf("reuse_logs=%d\n", o.reuse_logs ? 1 : 0);
  std::printf("filter_policy=%s\n", o.filter_policy == nullptr ? "null" : "set");

  const leveldb::ReadOptions r;
  std::printf("read.verify_checksums=%d\n", r.verify_checksums ? 1 : 0);
  std::printf("read.fill_cache=%d\n", r.fill_cache ? 1 : 0);
  std::printf("read.snapshot=%s\n", r.snapshot == nullptr ? "null" : "set");

  const leveldb::WriteOptions w;
  std::printf("write.sync=%d\n", w.sync ? 1 : 0);
  return 0;
}
