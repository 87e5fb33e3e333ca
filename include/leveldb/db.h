// DB: an open database, a persistent sorted map from byte-string keys to
// byte-string values.
//
// Thread safety: a DB may be used from many threads at once without
// external synchronization; one process at a time may open a given
// database (a lock file enforces it).

#ifndef STORAGE_LEVELDB_INCLUDE_DB_H_
#define STORAGE_LEVELDB_INCLUDE_DB_H_

#include <cstdint>
#include <cstdio>

#include "leveldb/export.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"

namespace leveldb {

// The LevelDB release whose API this is (also in the top-level CMake file
// of LevelDB; kept here for callers).
static const int kMajorVersion = 1;
static const int kMinorVersion = 23;

struct Options;
struct ReadOptions;
struct WriteOptions;
class WriteBatch;

// A frozen view of a database, from DB::GetSnapshot. Opaque: pass it in
// ReadOptions::snapshot and give it back with DB::ReleaseSnapshot.
class LEVELDB_EXPORT Snapshot {
 protected:
  virtual ~Snapshot();
};

// The keys from start (included) up to limit (excluded).
struct LEVELDB_EXPORT Range {
  Range() = default;
  Range(const Slice& s, const Slice& l) : start(s), limit(l) {}

  Slice start;  // first key in the range
  Slice limit;  // first key past the range
};

class LEVELDB_EXPORT DB {
 public:
  // Opens (or, per options, creates) the database in the directory name.
  // On success stores a new DB in *dbptr, which the caller deletes to close
  // it; on failure stores null and returns the error.
  static Status Open(const Options& options, const std::string& name,
                     DB** dbptr);

  DB() = default;

  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  // Closes the database. Iterators and snapshots must be gone first.
  virtual ~DB();

  // Sets key to value.
  virtual Status Put(const WriteOptions& options, const Slice& key,
                     const Slice& value) = 0;

  // Removes key; removing an absent key succeeds.
  virtual Status Delete(const WriteOptions& options, const Slice& key) = 0;

  // Applies every update of the batch, all or none.
  virtual Status Write(const WriteOptions& options, WriteBatch* updates) = 0;

  // Stores key's value in *value. An absent key returns a status for which
  // IsNotFound() is true and leaves *value alone.
  virtual Status Get(const ReadOptions& options, const Slice& key,
                     std::string* value) = 0;

  // A new iterator over the whole database (or the snapshot in options),
  // not yet positioned. The caller deletes it before the DB.
  virtual Iterator* NewIterator(const ReadOptions& options) = 0;

  // A handle to the current state: reads given it see no later write. Give
  // it back with ReleaseSnapshot.
  virtual const Snapshot* GetSnapshot() = 0;

  // Frees a snapshot of this database; it must not be used afterwards.
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Stores the value of a named property in *value and returns true, or
  // returns false for an unknown name. Names:
  //   "leveldb.num-files-at-level<N>"  tables at level N, in decimal
  //   "leveldb.stats"                  per-level table and compaction stats
  //   "leveldb.sstables"               the tables of every level
  //   "leveldb.approximate-memory-usage"  bytes of memory in use
  virtual bool GetProperty(const Slice& property, std::string* value) = 0;

  // For each of the n ranges, stores in sizes[i] roughly how many bytes of
  // file space its keys take. Data still only in memory is not counted.
  virtual void GetApproximateSizes(const Range* range, int n,
                                   uint64_t* sizes) = 0;

  // Compacts the keys in [*begin, *end] (null: from the first key / to the
  // last) so that deleted and overwritten data is dropped and the rest is
  // rewritten into the deepest level it can reach. CompactRange(nullptr,
  // nullptr) compacts the whole database.
  virtual void CompactRange(const Slice* begin, const Slice* end) = 0;
};

// Deletes the database's files (and its directory when that becomes
// empty). The database must not be open. Deleting a missing database
// succeeds.
LEVELDB_EXPORT Status DestroyDB(const std::string& name,
                                const Options& options);

// Rebuilds a damaged database from what can still be read: the result
// opens, but may lack data or bring back deleted data. The database must
// not be open.
LEVELDB_EXPORT Status RepairDB(const std::string& dbname,
                               const Options& options);

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_DB_H_
