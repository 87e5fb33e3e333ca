// Options, ReadOptions, WriteOptions: the knobs of a database, of a read
// and of a write.
//
// These structs are plain data the caller builds, usually on the stack, and
// passes by reference; the library copies what it keeps. Pointers stored in
// them (comparator, env, info_log, block_cache, filter_policy, snapshot)
// are borrowed: the caller keeps the objects alive while any database opened
// with them is open.

#ifndef STORAGE_LEVELDB_INCLUDE_OPTIONS_H_
#define STORAGE_LEVELDB_INCLUDE_OPTIONS_H_

#include <cstddef>

#include "leveldb/export.h"

namespace leveldb {

class Cache;
class Comparator;
class Env;
class FilterPolicy;
class Logger;
class Snapshot;

// How blocks of a table are compressed. The values are written into table
// files, so they never change. kZstdCompression is the value of LevelDB
// releases after 1.23 (at their default level, 1: this Options keeps
// 1.23's layout, without zstd_compression_level); LevelDB 1.23 cannot read
// tables written with it.
enum CompressionType {
  kNoCompression = 0x0,
  kSnappyCompression = 0x1,
  kZstdCompression = 0x2
};

// How a database is opened and run.
struct LEVELDB_EXPORT Options {
  // Fills in the defaults below, and the two that need the library:
  // comparator = BytewiseComparator(), env = Env::Default().
  Options();

  // --- What the data means

  // The key order. Must be the order (by Name()) the database was created
  // with.
  const Comparator* comparator;

  // Create the database when it does not exist.
  bool create_if_missing = false;

  // Fail to open when the database already exists.
  bool error_if_exists = false;

  // Stop at the first sign of corruption instead of skipping what cannot
  // be read.
  bool paranoid_checks = false;

  // Where files, locks, threads and the clock come from.
  Env* env;

  // Where progress and error messages go. Null: a LOG file beside the
  // database.
  Logger* info_log = nullptr;

  // --- Performance

  // Bytes of updates gathered in memory (and in the log) before they are
  // written out as a sorted table. Larger: faster bulk loads, longer
  // recovery, more memory (up to two such buffers at once).
  size_t write_buffer_size = 4 * 1024 * 1024;

  // How many files the database may keep open (about one per table).
  int max_open_files = 1000;

  // The cache of uncompressed data blocks. Null: the library makes an 8 MiB
  // cache for the database.
  Cache* block_cache = nullptr;

  // Target uncompressed size of a data block in a table.
  size_t block_size = 4 * 1024;

  // Keys between two restart points in a block (where keys are stored
  // whole). Leave it unless you know why.
  int block_restart_interval = 16;

  // Target size of a table file before the next one is started.
  size_t max_file_size = 2 * 1024 * 1024;

  // Block compression; a block that does not shrink by an eighth is stored
  // uncompressed.
  CompressionType compression = kSnappyCompression;

  // Append to the existing log (and manifest) on open instead of starting
  // new ones. Experimental.
  bool reuse_logs = false;

  // Filters stored in tables to skip reads of absent keys. Null: none.
  const FilterPolicy* filter_policy = nullptr;
};

// How one read (Get, NewIterator) is done.
struct LEVELDB_EXPORT ReadOptions {
  ReadOptions() = default;

  // Verify the checksum of every block read.
  bool verify_checksums = false;

  // Keep blocks read for this read in the block cache (turn off for bulk
  // scans).
  bool fill_cache = true;

  // Read as of this snapshot (from GetSnapshot on the same database, not
  // yet released). Null: as of the start of the read.
  const Snapshot* snapshot = nullptr;
};

// How one write (Put, Delete, Write) is done.
struct LEVELDB_EXPORT WriteOptions {
  WriteOptions() = default;

  // Sync the log to stable storage before the write returns. Without it a
  // machine crash (not a process crash) may lose the latest writes.
  bool sync = false;
};

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_OPTIONS_H_
