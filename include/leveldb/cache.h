// Cache: a map from keys to values with a capacity, which evicts the
// least-recently-used entries that nobody holds when the sum of the
// entries' charges exceeds it.
//
// The library uses a Cache for uncompressed table blocks
// (Options::block_cache); one cache may be shared by several databases. A
// user subclass may be plugged in.
//
// Thread safety: every method may be called from several threads at once;
// an implementation synchronizes internally.

#ifndef STORAGE_LEVELDB_INCLUDE_CACHE_H_
#define STORAGE_LEVELDB_INCLUDE_CACHE_H_

#include <cstdint>

#include "leveldb/export.h"
#include "leveldb/slice.h"

namespace leveldb {

class LEVELDB_EXPORT Cache;

// A new LRU cache holding up to capacity units of charge. The caller
// deletes it, after every database using it is closed.
LEVELDB_EXPORT Cache* NewLRUCache(size_t capacity);

class LEVELDB_EXPORT Cache {
 public:
  Cache() = default;

  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Passes every entry still present to its deleter.
  virtual ~Cache();

  // An opaque reference to one entry, which keeps it alive until Release.
  struct Handle {};

  // Maps key to value with the given charge against the capacity, replacing
  // any entry for key. Returns a handle the caller must Release. deleter(key,
  // value) runs once the entry is both gone from the cache and released.
  virtual Handle* Insert(const Slice& key, void* value, size_t charge,
                         void (*deleter)(const Slice& key, void* value)) = 0;

  // A handle to key's entry (to Release later), or null when absent.
  virtual Handle* Lookup(const Slice& key) = 0;

  // Gives back a handle from Insert or Lookup; it must not be used after.
  virtual void Release(Handle* handle) = 0;

  // The value of an unreleased handle.
  virtual void* Value(Handle* handle) = 0;

  // Removes key's entry; it is freed once its last handle is released.
  virtual void Erase(const Slice& key) = 0;

  // A number never returned before by this cache, for clients sharing it to
  // prefix their keys with.
  virtual uint64_t NewId() = 0;

  // Drops every entry nobody holds. The default does nothing; an
  // implementation may override it.
  virtual void Prune() {}

  // The sum of the charges of the entries present.
  virtual size_t TotalCharge() const = 0;

 private:
  // Reserved for the library's implementation (it keeps the layout of
  // LevelDB's class).
  struct Rep;
  Rep* rep_;
};

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_CACHE_H_
