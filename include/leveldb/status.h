// Status: the result of an operation that can fail.
//
// A Status is either OK or an error made of a code (NotFound, Corruption,
// NotSupported, InvalidArgument, IOError) and a message. OK costs nothing:
// it is a null pointer. An error owns one heap array laid out as
//   bytes 0..3  the message length (uint32_t, host order)
//   byte  4     the code
//   bytes 5..   the message (not NUL-terminated)
// which copies duplicate and moves hand over. The library and inline code
// in callers both rely on that layout, so it never changes.
//
// Thread safety: const methods may be called from several threads at once;
// a Status that one thread modifies must not be used by another without
// external synchronization.

#ifndef STORAGE_LEVELDB_INCLUDE_STATUS_H_
#define STORAGE_LEVELDB_INCLUDE_STATUS_H_

#include <algorithm>
#include <string>

#include "leveldb/export.h"
#include "leveldb/slice.h"

namespace leveldb {

class LEVELDB_EXPORT Status {
 public:
  // An OK status.
  Status() noexcept : state_(nullptr) {}
  ~Status() { delete[] state_; }

  // Copies duplicate the error array (if any).
  Status(const Status& rhs);
  Status& operator=(const Status& rhs);

  // Moves take the array; the source becomes OK.
  Status(Status&& rhs) noexcept : state_(rhs.state_) { rhs.state_ = nullptr; }
  Status& operator=(Status&& rhs) noexcept;

  // Success.
  static Status OK() { return Status(); }

  // Errors of each kind. The message is msg, or "msg: msg2" when msg2 is
  // not empty.
  static Status NotFound(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(kNotFound, msg, msg2);
  }
  static Status Corruption(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(kCorruption, msg, msg2);
  }
  static Status NotSupported(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(kNotSupported, msg, msg2);
  }
  static Status InvalidArgument(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(kInvalidArgument, msg, msg2);
  }
  static Status IOError(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(kIOError, msg, msg2);
  }

  // True for success.
  bool ok() const { return state_ == nullptr; }

  // True when the status carries that code.
  bool IsNotFound() const { return code() == kNotFound; }
  bool IsCorruption() const { return code() == kCorruption; }
  bool IsIOError() const { return code() == kIOError; }
  bool IsNotSupportedError() const { return code() == kNotSupported; }
  bool IsInvalidArgument() const { return code() == kInvalidArgument; }

  // "OK", or the code's name ("NotFound: ", "Corruption: ",
  // "Not implemented: ", "Invalid argument: ", "IO error: ") followed by the
  // message.
  std::string ToString() const;

 private:
  // Stored in byte 4 of the error array; the values are part of the ABI.
  enum Code {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kNotSupported = 3,
    kInvalidArgument = 4,
    kIOError = 5
  };

  Code code() const {
    return state_ == nullptr ? kOk : static_cast<Code>(state_[4]);
  }

  // Builds the error array for a non-OK code (defined in the library).
  Status(Code code, const Slice& msg, const Slice& msg2);
  // A new[]-allocated duplicate of an error array (defined in the library).
  static const char* CopyState(const char* s);

  // Null for OK; otherwise the new[]-allocated array described above.
  const char* state_;
};

inline Status::Status(const Status& rhs) {
  state_ = rhs.state_ == nullptr ? nullptr : CopyState(rhs.state_);
}

inline Status& Status::operator=(const Status& rhs) {
  // Self-assignment (same array) must not free what it is about to copy.
  if (state_ != rhs.state_) {
    delete[] state_;
    state_ = rhs.state_ == nullptr ? nullptr : CopyState(rhs.state_);
  }
  return *this;
}

inline Status& Status::operator=(Status&& rhs) noexcept {
  // The source gets our old array and frees it when it dies.
  std::swap(state_, rhs.state_);
  return *this;
}

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_INCLUDE_STATUS_H_
