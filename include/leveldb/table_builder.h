// TableBuilder: writes a sorted table file (the format Table::Open reads)
// through a WritableFile.
//
// Thread safety: const methods may be called from several threads at once;
// the others need external synchronization.

#ifndef STORAGE_LEVELDB_INCLUDE_TABLE_BUILDER_H_
#define STORAGE_LEVELDB_INCLUDE_TABLE_BUILDER_H_

#include <cstdint>

#include "leveldb/export.h"
#include "leveldb/options.h"
#include "leveldb/status.h"

namespace leveldb {

class BlockBuilder;
class BlockHandle;
class WritableFile;

class LEVELDB_EXPORT TableBuilder {
 public:
  // Starts a table written to file with options (comparator, block_size,
  // block_restart_interval, compression, filter_policy). The file stays the
  // caller's: close it after Finish().
  TableBuilder(const Options& options, WritableFile* file);

  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // Requires that Finish() or Abandon() was called.
  ~TableBuilder();

  // Changes the options for what is written next. The comparator cannot
  // change (InvalidArgument).
  Status ChangeOptions(const Options& options);

  // Adds an entry. key must sort after every key added before, and neither
  // Finish() nor Abandon() may have been called.
  void Add(const Slice& key, const Slice& value);

  // Writes out the data block under construction, ending it early (to put
  // two entries in separate blocks). Mostly useless.
  void Flush();

  // The first error met while writing, or OK.
  Status status() const;

  // Writes out the rest of the table. The builder must not be used after,
  // except for the const getters.
  Status Finish();

  // Gives up the table: what was written stays in the file as it is. The
  // builder must not be used after, except for the const getters.
  void Abandon();

  // Entries added so far.
  uint64_t NumEntries() const;

  // Bytes written so far (the file's size after Finish()).
  uint64_t FileSize() const;

 private:
  bool ok() const { return status().ok(); }

  struct Rep;
  // The library's state for the table under construction.
  Rep* rep_;
};

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_TABLE_BUILDER_H_
