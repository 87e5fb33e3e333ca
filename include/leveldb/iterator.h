// Iterator: a cursor over a sorted sequence of key/value pairs (a database,
// a snapshot, a table).
//
// An iterator is either positioned at an entry (Valid() is true; key() and
// value() may be read) or not. key() and value() point into memory the
// iterator owns: they stay valid only until the iterator moves or dies.
// status() reports an error met while moving; a failing iterator becomes
// invalid.
//
// Thread safety: the const methods may be called from several threads at
// once; the moving methods need external synchronization. Distinct
// iterators are independent.

#ifndef STORAGE_LEVELDB_INCLUDE_ITERATOR_H_
#define STORAGE_LEVELDB_INCLUDE_ITERATOR_H_

#include "leveldb/export.h"
#include "leveldb/slice.h"
#include "leveldb/status.h"

namespace leveldb {

class LEVELDB_EXPORT Iterator {
 public:
  Iterator();

  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  // Runs every function given to RegisterCleanup, then frees the iterator.
  virtual ~Iterator();

  // True when positioned at an entry.
  virtual bool Valid() const = 0;

  // Moves to the first entry; valid afterwards unless the source is empty.
  virtual void SeekToFirst() = 0;

  // Moves to the last entry; valid afterwards unless the source is empty.
  virtual void SeekToLast() = 0;

  // Moves to the first entry whose key is at or past target; invalid when
  // there is none.
  virtual void Seek(const Slice& target) = 0;

  // Moves one entry forward. Requires Valid().
  virtual void Next() = 0;

  // Moves one entry back. Requires Valid().
  virtual void Prev() = 0;

  // The current key, valid until the iterator moves. Requires Valid().
  virtual Slice key() const = 0;

  // The current value, valid until the iterator moves. Requires Valid().
  virtual Slice value() const = 0;

  // The first error met, or OK.
  virtual Status status() const = 0;

  // A function the destructor calls as function(arg1, arg2).
  using CleanupFunction = void (*)(void* arg1, void* arg2);

  // Asks the destructor to call function(arg1, arg2). Any number may be
  // registered; each runs exactly once.
  void RegisterCleanup(CleanupFunction function, void* arg1, void* arg2);

 private:
  // One registered cleanup. The first lives inside the iterator (most
  // iterators register at most one); later ones are chained from it on the
  // heap. A null function marks an unused head.
  struct CleanupNode {
    bool IsEmpty() const { return function == nullptr; }
    void Run() {
      assert(function != nullptr);
      (*function)(arg1, arg2);
    }

    CleanupFunction function;
    void* arg1;
    void* arg2;
    CleanupNode* next;
  };
  CleanupNode cleanup_head_;
};

// An iterator over nothing (never valid) whose status is OK. The caller
// deletes it.
LEVELDB_EXPORT Iterator* NewEmptyIterator();

// An iterator over nothing whose status() is the given status. The caller
// deletes it.
LEVELDB_EXPORT Iterator* NewErrorIterator(const Status& status);

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_ITERATOR_H_
