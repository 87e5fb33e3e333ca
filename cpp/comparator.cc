// leveldb::Comparator and BytewiseComparator().
//
// BytewiseComparator() returns one process-wide object, never destroyed.
// Databases given it use the engine's own bytewise order (no call crosses
// the boundary per comparison); its C++ methods serve direct callers and
// shorten keys exactly as LevelDB 1.23's bytewise comparator does.

#include "bridge.h"
#include "leveldb/comparator.h"
#include "leveldb/slice.h"

namespace leveldb {

Comparator::~Comparator() = default;

namespace {

class Bytewise : public Comparator {
 public:
  const char* Name() const override { return "leveldb.BytewiseComparator"; }

  int Compare(const Slice& a, const Slice& b) const override {
    return a.compare(b);
  }

  void FindShortestSeparator(std::string* start,
                             const Slice& limit) const override {
    size_t shared = start->size() < limit.size() ? start->size() : limit.size();
    size_t diff = 0;
    while (diff < shared && (*start)[diff] == limit[diff]) {
      diff++;
    }
    if (diff >= shared) {
      return;  // one is a prefix of the other
    }
    unsigned char byte = static_cast<unsigned char>((*start)[diff]);
    if (byte < 0xff && byte + 1 < static_cast<unsigned char>(limit[diff])) {
      (*start)[diff] = static_cast<char>(byte + 1);
      start->resize(diff + 1);
    }
  }

  void FindShortSuccessor(std::string* key) const override {
    for (size_t i = 0; i < key->size(); i++) {
      unsigned char byte = static_cast<unsigned char>((*key)[i]);
      if (byte != 0xff) {
        (*key)[i] = static_cast<char>(byte + 1);
        key->resize(i + 1);
        return;
      }
    }
  }
};

}  // namespace

const Comparator* BytewiseComparator() {
  static const Comparator* const singleton = new Bytewise;
  return singleton;
}

}  // namespace leveldb
