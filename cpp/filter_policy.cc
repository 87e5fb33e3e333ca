// leveldb::FilterPolicy and NewBloomFilterPolicy().
//
// The bloom policy is the engine's (same filters as LevelDB 1.23, name
// "leveldb.BuiltinBloomFilter2"); a database given it uses the engine object
// directly. The C++ object owns its engine policy.

#include <vector>

#include "bridge.h"
#include "leveldb/filter_policy.h"
#include "leveldb/slice.h"
#include "policies.h"

namespace leveldb {

FilterPolicy::~FilterPolicy() = default;

const FilterPolicy* NewBloomFilterPolicy(int bits_per_key) {
  strata_cpp::EnsureInit();
  return new strata_cpp::BloomPolicy(bits_per_key);
}

}  // namespace leveldb

namespace strata_cpp {

BloomPolicy::BloomPolicy(int bits_per_key)
    : native_(strata_cpp_bloom_new(bits_per_key)) {}

BloomPolicy::~BloomPolicy() { strata_cpp_bloom_free(native_); }

const char* BloomPolicy::Name() const { return "leveldb.BuiltinBloomFilter2"; }

void BloomPolicy::CreateFilter(const leveldb::Slice* keys, int n,
                               std::string* dst) const {
  std::vector<StrataRawSlice> raw(n > 0 ? static_cast<size_t>(n) : 0);
  for (size_t i = 0; i < raw.size(); i++) {
    raw[i].data = keys[i].data();
    raw[i].len = keys[i].size();
  }
  strata_cpp_bloom_create(native_, raw.data(), n, dst, AppendToString);
}

bool BloomPolicy::KeyMayMatch(const leveldb::Slice& key,
                              const leveldb::Slice& filter) const {
  return strata_cpp_bloom_match(native_, key.data(), key.size(), filter.data(),
                                filter.size()) != 0;
}

}  // namespace strata_cpp
