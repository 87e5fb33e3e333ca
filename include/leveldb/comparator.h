// Comparator: the total order of keys in a database or table.
//
// The library calls a comparator from any of its threads, often at once, so
// every method must be safe for concurrent calls (const and free of
// unsynchronized state). A comparator must outlive every database and table
// that uses it.

#ifndef STORAGE_LEVELDB_INCLUDE_COMPARATOR_H_
#define STORAGE_LEVELDB_INCLUDE_COMPARATOR_H_

#include <string>

#include "leveldb/export.h"

namespace leveldb {

class Slice;

class LEVELDB_EXPORT Comparator {
 public:
  virtual ~Comparator();

  // Negative when a sorts before b, zero when they are equal, positive when
  // a sorts after b.
  virtual int Compare(const Slice& a, const Slice& b) const = 0;

  // The order's name, stored in the database when it is created and checked
  // on every later open: change it whenever the order changes. Names
  // beginning "leveldb." are taken by the library.
  virtual const char* Name() const = 0;

  // Space savers for index blocks; returning the input unchanged is always
  // correct.
  //
  // Given *start < limit, may replace *start with a shorter key k such that
  // *start <= k < limit.
  virtual void FindShortestSeparator(std::string* start,
                                     const Slice& limit) const = 0;

  // May replace *key with a shorter key k such that *key <= k.
  virtual void FindShortSuccessor(std::string* key) const = 0;
};

// The library's own order: lexicographic by unsigned byte, named
// "leveldb.BytewiseComparator". It lives for the whole process; do not
// delete it.
LEVELDB_EXPORT const Comparator* BytewiseComparator();

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_COMPARATOR_H_
