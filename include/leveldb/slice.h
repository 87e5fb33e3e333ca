// Slice: a borrowed view of bytes (pointer + length), the way keys and
// values cross the LevelDB C++ API.
//
// A Slice owns nothing: the bytes it points at must outlive every use of
// the Slice, and the caller who made it is the one who keeps them alive.
// Bytes may include '\0'; nothing here assumes a terminator except the
// `const char*` constructor, which measures with strlen.
//
// Thread safety: the const methods may be called from several threads at
// once; anything that modifies a Slice (assignment, clear, remove_prefix)
// needs the caller's own synchronization.

#ifndef STORAGE_LEVELDB_INCLUDE_SLICE_H_
#define STORAGE_LEVELDB_INCLUDE_SLICE_H_

#include <cassert>
#include <cstddef>
#include <cstring>
#include <string>

#include "leveldb/export.h"

namespace leveldb {

class LEVELDB_EXPORT Slice {
 public:
  // The empty slice (it points at a static "" so data() is never null).
  Slice() : data_(""), size_(0) {}

  // The n bytes starting at d.
  Slice(const char* d, size_t n) : data_(d), size_(n) {}

  // The bytes of s, valid until s changes or dies.
  Slice(const std::string& s) : data_(s.data()), size_(s.size()) {}

  // The NUL-terminated string s, without its terminator.
  Slice(const char* s) : data_(s), size_(strlen(s)) {}

  // Copying a Slice copies the view, never the bytes.
  Slice(const Slice&) = default;
  Slice& operator=(const Slice&) = default;

  // First byte of the view.
  const char* data() const { return data_; }

  // Number of bytes in the view.
  size_t size() const { return size_; }

  // True when the view has no bytes.
  bool empty() const { return size_ == 0; }

  // Byte n; n must be below size().
  char operator[](size_t n) const {
    assert(n < size());
    return data_[n];
  }

  // Makes this the empty slice.
  void clear() {
    data_ = "";
    size_ = 0;
  }

  // Moves the start of the view n bytes forward; n must not exceed size().
  void remove_prefix(size_t n) {
    assert(n <= size());
    data_ += n;
    size_ -= n;
  }

  // A copy of the bytes, owned by the returned string.
  std::string ToString() const { return std::string(data_, size_); }

  // Three-way byte-wise comparison (memcmp order, then the shorter first):
  // negative when *this sorts before b, zero when equal, positive after.
  int compare(const Slice& b) const;

  // True when x is a prefix of *this.
  bool starts_with(const Slice& x) const {
    return size_ >= x.size_ && memcmp(data_, x.data_, x.size_) == 0;
  }

 private:
  const char* data_;
  size_t size_;
};

// Equal length and equal bytes.
inline bool operator==(const Slice& x, const Slice& y) {
  return x.size() == y.size() && memcmp(x.data(), y.data(), x.size()) == 0;
}

inline bool operator!=(const Slice& x, const Slice& y) { return !(x == y); }

inline int Slice::compare(const Slice& b) const {
  const size_t common = size_ < b.size_ ? size_ : b.size_;
  int r = memcmp(data_, b.data_, common);
  if (r == 0) {
    // Equal over the shared prefix: the shorter one sorts first.
    if (size_ < b.size_) {
      r = -1;
    } else if (size_ > b.size_) {
      r = +1;
    }
  }
  return r;
}

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_SLICE_H_
