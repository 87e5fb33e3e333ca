// leveldb::Status: the out-of-line members, and conversions to and from the
// engine's errors.
//
// Invariant (LevelDB 1.23's layout, which inline header code relies on):
// state_ is NULL for OK, else a new[]-allocated array holding the message
// length (4 bytes, native order), the code (1 byte), then the message.

#include <cstdio>
#include <cstring>

#include "bridge.h"
#include "leveldb/status.h"

namespace leveldb {

const char* Status::CopyState(const char* state) {
  uint32_t size;
  std::memcpy(&size, state, sizeof(size));
  char* copy = new char[size + 5];
  std::memcpy(copy, state, size + 5);
  return copy;
}

Status::Status(Code code, const Slice& msg, const Slice& msg2) {
  const uint32_t len1 = static_cast<uint32_t>(msg.size());
  const uint32_t len2 = static_cast<uint32_t>(msg2.size());
  const uint32_t size = len1 + (len2 != 0 ? 2 + len2 : 0);
  char* state = new char[size + 5];
  std::memcpy(state, &size, sizeof(size));
  state[4] = static_cast<char>(code);
  std::memcpy(state + 5, msg.data(), len1);
  if (len2 != 0) {
    state[5 + len1] = ':';
    state[6 + len1] = ' ';
    std::memcpy(state + 7 + len1, msg2.data(), len2);
  }
  state_ = state;
}

std::string Status::ToString() const {
  if (state_ == nullptr) {
    return "OK";
  }
  char unknown[32];
  const char* prefix;
  switch (code()) {
    case kOk:
      prefix = "OK";
      break;
    case kNotFound:
      prefix = "NotFound: ";
      break;
    case kCorruption:
      prefix = "Corruption: ";
      break;
    case kNotSupported:
      prefix = "Not implemented: ";
      break;
    case kInvalidArgument:
      prefix = "Invalid argument: ";
      break;
    case kIOError:
      prefix = "IO error: ";
      break;
    default:
      std::snprintf(unknown, sizeof(unknown), "Unknown code(%d): ",
                    static_cast<int>(code()));
      prefix = unknown;
      break;
  }
  uint32_t size;
  std::memcpy(&size, state_, sizeof(size));
  std::string result(prefix);
  result.append(state_ + 5, size);
  return result;
}

}  // namespace leveldb

namespace strata_cpp {

leveldb::Status TakeStatus(StrataStatus status) {
  if (status == nullptr) {
    return leveldb::Status::OK();
  }
  size_t len = 0;
  const char* msg = strata_cpp_error_message(status, &len);
  leveldb::Slice text(msg, len);
  leveldb::Status result;
  switch (strata_cpp_error_code(status)) {
    case 1:
      result = leveldb::Status::NotFound(text);
      break;
    case 2:
      result = leveldb::Status::Corruption(text);
      break;
    case 3:
      result = leveldb::Status::NotSupported(text);
      break;
    case 4:
      result = leveldb::Status::InvalidArgument(text);
      break;
    default:
      result = leveldb::Status::IOError(text);
      break;
  }
  strata_cpp_error_free(status);
  return result;
}

StrataStatus MakeStatus(const leveldb::Status& status) {
  if (status.ok()) {
    return nullptr;
  }
  // The code is private; the public predicates and the known prefix
  // lengths of ToString() recover code and message.
  int code;
  size_t prefix;
  if (status.IsNotFound()) {
    code = 1;
    prefix = std::strlen("NotFound: ");
  } else if (status.IsCorruption()) {
    code = 2;
    prefix = std::strlen("Corruption: ");
  } else if (status.IsNotSupportedError()) {
    code = 3;
    prefix = std::strlen("Not implemented: ");
  } else if (status.IsInvalidArgument()) {
    code = 4;
    prefix = std::strlen("Invalid argument: ");
  } else {
    code = 5;
    prefix = status.IsIOError() ? std::strlen("IO error: ") : 0;
  }
  std::string text = status.ToString();
  if (prefix > text.size()) {
    prefix = 0;
  }
  return strata_cpp_error_new(code, text.data() + prefix, text.size() - prefix);
}

}  // namespace strata_cpp
