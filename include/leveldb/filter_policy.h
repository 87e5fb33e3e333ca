// FilterPolicy: builds small per-block summaries ("filters") of the keys
// in a table, so that reads can skip blocks that cannot hold a key.
//
// A filter may answer "maybe" for an absent key (a false positive costs a
// read) but must never answer "no" for a present one. The library calls a
// policy from any of its threads, often at once: every method must be safe
// for concurrent calls. A policy must outlive every database using it.

#ifndef STORAGE_LEVELDB_INCLUDE_FILTER_POLICY_H_
#define STORAGE_LEVELDB_INCLUDE_FILTER_POLICY_H_

#include <string>

#include "leveldb/export.h"

namespace leveldb {

class Slice;

class LEVELDB_EXPORT FilterPolicy {
 public:
  virtual ~FilterPolicy();

  // The filter format's name, stored in tables: a table whose filters were
  // made under another name is read without them. Change it whenever the
  // format changes.
  virtual const char* Name() const = 0;

  // Appends to *dst a filter for the n keys (sorted by the comparator, may
  // repeat). *dst may already hold other data: append, never overwrite.
  virtual void CreateFilter(const Slice* keys, int n,
                            std::string* dst) const = 0;

  // Whether key may be among the keys filter was made from. Must return
  // true for every one of them; should return false for most others.
  virtual bool KeyMayMatch(const Slice& key, const Slice& filter) const = 0;
};

// LevelDB's Bloom filter ("leveldb.BuiltinBloomFilter2") with about
// bits_per_key bits per key (10 gives roughly 1% false positives). The
// caller deletes it after every database using it is closed. With a custom
// comparator that treats unequal byte strings as equal, wrap it in a policy
// that reduces keys to the part the comparator looks at.
LEVELDB_EXPORT const FilterPolicy* NewBloomFilterPolicy(int bits_per_key);

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_FILTER_POLICY_H_
