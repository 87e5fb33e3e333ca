// leveldb::Cache and NewLRUCache().
//
// Invariants of LRUCache's own LRU (for callers using the Cache interface
// directly): an entry is in table_ and lru_ while cached; refs counts the
// cache's reference (while cached) plus one per outstanding Handle; the
// deleter runs once, when refs drops to zero; only entries with no
// outstanding Handle are evicted, oldest first, while usage_ > capacity_.

#include "bridge.h"
#include "leveldb/cache.h"
#include "policies.h"

namespace leveldb {

Cache::~Cache() = default;

Cache* NewLRUCache(size_t capacity) {
  strata_cpp::EnsureInit();
  return new strata_cpp::LRUCache(capacity);
}

}  // namespace leveldb

namespace strata_cpp {

struct LRUCache::Entry : public leveldb::Cache::Handle {
  std::string key;
  void* value;
  size_t charge;
  void (*deleter)(const leveldb::Slice& key, void* value);
  int refs;
  bool cached;
  std::list<Entry*>::iterator lru_pos;
};

LRUCache::LRUCache(size_t capacity)
    : native_(strata_cpp_cache_new(capacity)), capacity_(capacity) {}

LRUCache::~LRUCache() {
  for (auto& kv : table_) {
    Entry* e = kv.second;
    e->cached = false;
    Unref(e);
  }
  strata_cpp_cache_free(native_);
}

void LRUCache::Unref(Entry* e) {
  if (--e->refs == 0) {
    usage_ -= e->charge;
    if (e->deleter != nullptr) {
      e->deleter(leveldb::Slice(e->key), e->value);
    }
    delete e;
  }
}

void LRUCache::Detach(Entry* e) {
  table_.erase(e->key);
  lru_.erase(e->lru_pos);
  e->cached = false;
}

void LRUCache::EvictIfNeeded() {
  auto it = lru_.begin();
  while (usage_ > capacity_ && it != lru_.end()) {
    Entry* e = *it;
    ++it;
    if (e->refs == 1) {
      Detach(e);
      Unref(e);
    }
  }
}

leveldb::Cache::Handle* LRUCache::Insert(
    const leveldb::Slice& key, void* value, size_t charge,
    void (*deleter)(const leveldb::Slice& key, void* value)) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = new Entry;
  e->key = key.ToString();
  e->value = value;
  e->charge = charge;
  e->deleter = deleter;
  e->refs = 1;  // the returned handle
  e->cached = false;
  usage_ += charge;
  if (capacity_ > 0) {
    auto old = table_.find(e->key);
    if (old != table_.end()) {
      Entry* prev = old->second;
      Detach(prev);
      Unref(prev);
    }
    e->refs++;  // the cache's reference
    e->cached = true;
    e->lru_pos = lru_.insert(lru_.end(), e);
    table_[e->key] = e;
    EvictIfNeeded();
  }
  return e;
}

leveldb::Cache::Handle* LRUCache::Lookup(const leveldb::Slice& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = table_.find(key.ToString());
  if (it == table_.end()) {
    return nullptr;
  }
  Entry* e = it->second;
  e->refs++;
  lru_.splice(lru_.end(), lru_, e->lru_pos);
  return e;
}

void LRUCache::Release(Handle* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  Unref(static_cast<Entry*>(handle));
  EvictIfNeeded();
}

void* LRUCache::Value(Handle* handle) {
  return static_cast<Entry*>(handle)->value;
}

void LRUCache::Erase(const leveldb::Slice& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = table_.find(key.ToString());
  if (it != table_.end()) {
    Entry* e = it->second;
    Detach(e);
    Unref(e);
  }
}

uint64_t LRUCache::NewId() { return ++last_id_; }

void LRUCache::Prune() {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lru_.begin();
  while (it != lru_.end()) {
    Entry* e = *it;
    ++it;
    if (e->refs == 1) {
      Detach(e);
      Unref(e);
    }
  }
}

size_t LRUCache::TotalCharge() const {
  std::lock_guard<std::mutex> lock(mu_);
  return usage_ + strata_cpp_cache_charge(native_);
}

}  // namespace strata_cpp
