// WriteBatch: updates gathered to be applied together by DB::Write.
//
// A batch keeps its updates in order, as one byte string in LevelDB's batch
// format: a later update of a key in the same batch wins. DB::Write applies
// the whole batch or nothing.
//
// Thread safety: const methods may be called from several threads at once;
// any modification needs external synchronization.

#ifndef STORAGE_LEVELDB_INCLUDE_WRITE_BATCH_H_
#define STORAGE_LEVELDB_INCLUDE_WRITE_BATCH_H_

#include <string>

#include "leveldb/export.h"
#include "leveldb/status.h"

namespace leveldb {

class Slice;

class LEVELDB_EXPORT WriteBatch {
 public:
  // Receives the updates of a batch, in order, from Iterate.
  class LEVELDB_EXPORT Handler {
   public:
    virtual ~Handler();
    virtual void Put(const Slice& key, const Slice& value) = 0;
    virtual void Delete(const Slice& key) = 0;
  };

  // An empty batch.
  WriteBatch();

  // Copies duplicate the updates.
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;

  ~WriteBatch();

  // Records "set key to value".
  void Put(const Slice& key, const Slice& value);

  // Records "remove key".
  void Delete(const Slice& key);

  // Drops every recorded update.
  void Clear();

  // Bytes the batch takes in its encoded form (what it adds to the log):
  // a cheap measure of how big the batch has grown.
  size_t ApproximateSize() const;

  // Appends source's updates after ours (source is unchanged).
  void Append(const WriteBatch& source);

  // Calls handler for each update, in order. Fails with Corruption when the
  // encoded form is damaged.
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;

  // The encoded batch: an 8-byte sequence number, a 4-byte count, then each
  // update as a tag byte and length-prefixed key (and value).
  std::string rep_;
};

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_WRITE_BATCH_H_
