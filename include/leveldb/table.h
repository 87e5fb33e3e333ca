// Table: an open, immutable sorted table file (an .ldb file), read through
// a RandomAccessFile.
//
// Thread safety: a Table may be used from several threads at once without
// external synchronization.

#ifndef STORAGE_LEVELDB_INCLUDE_TABLE_H_
#define STORAGE_LEVELDB_INCLUDE_TABLE_H_

#include <cstdint>

#include "leveldb/export.h"
#include "leveldb/iterator.h"

namespace leveldb {

class Block;
class BlockHandle;
class Footer;
struct Options;
class RandomAccessFile;
struct ReadOptions;
class TableCache;

class LEVELDB_EXPORT Table {
 public:
  // Opens the table held in the first file_size bytes of file, using
  // options (comparator, filter_policy, block_cache, paranoid_checks). On
  // success stores a new Table in *table (the caller deletes it); on
  // failure stores null and returns the error. The file must outlive the
  // table; the caller deletes it afterwards.
  static Status Open(const Options& options, RandomAccessFile* file,
                     uint64_t file_size, Table** table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  ~Table();

  // A new iterator over the table's entries, not yet positioned. The caller
  // deletes it before the table.
  Iterator* NewIterator(const ReadOptions&) const;

  // Roughly where in the file key's data begins (or would begin): the
  // offset of its data block, or near the end of the data for keys past
  // the last.
  uint64_t ApproximateOffsetOf(const Slice& key) const;

 private:
  friend class TableCache;
  struct Rep;

  explicit Table(Rep* rep) : rep_(rep) {}

  // The library's state for the open table.
  Rep* const rep_;
};

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_TABLE_H_
