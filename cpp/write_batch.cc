// leveldb::WriteBatch, kept in LevelDB 1.23's wire format (the format of a
// log record), entirely on the C++ side: rep_ is an 8-byte little-endian
// sequence number, a 4-byte little-endian count, then per operation a tag
// byte (1 = put, 0 = delete) and varint32-length-prefixed key (and value).
//
// Invariant: rep_.size() >= 12 after construction and Clear(); DB::Write
// hands rep_ to the engine unchanged.

#include <cstring>

#include "bridge.h"
#include "leveldb/write_batch.h"
#include "write_batch_internal.h"

namespace leveldb {

namespace {

const size_t kHeader = 12;
const char kTypeDeletion = 0;
const char kTypeValue = 1;

uint32_t Count(const std::string& rep) {
  uint32_t n;
  std::memcpy(&n, rep.data() + 8, sizeof(n));  // little-endian hosts only
  return n;
}

void SetCount(std::string* rep, uint32_t n) {
  std::memcpy(&(*rep)[8], &n, sizeof(n));
}

void PutVarint32(std::string* dst, uint32_t v) {
  char buf[5];
  size_t i = 0;
  while (v >= 0x80) {
    buf[i++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[i++] = static_cast<char>(v);
  dst->append(buf, i);
}

void PutLengthPrefixed(std::string* dst, const Slice& s) {
  PutVarint32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s.data(), s.size());
}

// Reads a varint32-prefixed slice from the front of *input.
bool GetLengthPrefixed(Slice* input, Slice* result) {
  uint32_t len = 0;
  const char* p = input->data();
  const char* limit = p + input->size();
  for (uint32_t shift = 0; shift <= 28 && p < limit; shift += 7) {
    uint32_t byte = static_cast<unsigned char>(*p++);
    if (byte & 0x80) {
      len |= (byte & 0x7f) << shift;
    } else {
      len |= byte << shift;
      size_t used = static_cast<size_t>(p - input->data());
      if (input->size() - used < len) {
        return false;
      }
      *result = Slice(p, len);
      input->remove_prefix(used + len);
      return true;
    }
  }
  return false;
}

}  // namespace

WriteBatch::Handler::~Handler() = default;

WriteBatch::WriteBatch() { Clear(); }

WriteBatch::~WriteBatch() = default;

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(kHeader);
}

size_t WriteBatch::ApproximateSize() const { return rep_.size(); }

void WriteBatch::Put(const Slice& key, const Slice& value) {
  SetCount(&rep_, Count(rep_) + 1);
  rep_.push_back(kTypeValue);
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(const Slice& key) {
  SetCount(&rep_, Count(rep_) + 1);
  rep_.push_back(kTypeDeletion);
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::Append(const WriteBatch& source) {
  SetCount(&rep_, Count(rep_) + Count(source.rep_));
  rep_.append(source.rep_.data() + kHeader, source.rep_.size() - kHeader);
}

Status WriteBatch::Iterate(Handler* handler) const {
  Slice input(rep_);
  if (input.size() < kHeader) {
    return Status::Corruption("malformed WriteBatch (too small)");
  }
  input.remove_prefix(kHeader);
  uint32_t found = 0;
  Slice key, value;
  while (!input.empty()) {
    found++;
    char tag = input[0];
    input.remove_prefix(1);
    if (tag == kTypeValue) {
      if (GetLengthPrefixed(&input, &key) &&
          GetLengthPrefixed(&input, &value)) {
        handler->Put(key, value);
      } else {
        return Status::Corruption("bad WriteBatch Put");
      }
    } else if (tag == kTypeDeletion) {
      if (GetLengthPrefixed(&input, &key)) {
        handler->Delete(key);
      } else {
        return Status::Corruption("bad WriteBatch Delete");
      }
    } else {
      return Status::Corruption("unknown WriteBatch tag");
    }
  }
  if (found != Count(rep_)) {
    return Status::Corruption("WriteBatch has wrong count");
  }
  return Status::OK();
}

}  // namespace leveldb
