// A Cache written by the caller (not NewLRUCache) as Options::block_cache:
// the library must use it through its vtable for the database's blocks
// (NewId per table, Insert/Lookup/Value/Release), from any of its
// threads, and give back every handle it took.

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "cpp_test.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/options.h"

using cpptest::Path;
using cpptest::Say;

namespace {

// An unbounded map-based cache with reference counts; entries die when
// erased (or replaced, or the cache dies) and no handle is out.
class MapCache : public leveldb::Cache {
 public:
  struct Entry : Handle {
    std::string key;
    void* value;
    size_t charge;
    void (*deleter)(const leveldb::Slice&, void*);
    int refs;  // one for the map while present, one per handle out
  };

  ~MapCache() override {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& kv : map_) Unref(kv.second);
  }

  Handle* Insert(const leveldb::Slice& key, void* value, size_t charge,
                 void (*deleter)(const leveldb::Slice&, void*)) override {
    inserts++;
    Entry* e = new Entry;
    e->key = key.ToString();
    e->value = value;
    e->charge = charge;
    e->deleter = deleter;
    e->refs = 2;
    std::lock_guard<std::mutex> l(mu_);
    auto it = map_.find(e->key);
    if (it != map_.end()) {
      Unref(it->second);
      it->second = e;
    } else {
      map_[e->key] = e;
    }
    outstanding++;
    return e;
  }
  Handle* Lookup(const leveldb::Slice& key) override {
    lookups++;
    std::lock_guard<std::mutex> l(mu_);
    auto it = map_.find(key.ToString());
    if (it == map_.end()) return nullptr;
    hits++;
    it->second->refs++;
    outstanding++;
    return it->second;
  }
  void Release(Handle* handle) override {
    releases++;
    std::lock_guard<std::mutex> l(mu_);
    outstanding--;
    Unref(static_cast<Entry*>(handle));
  }
  void* Value(Handle* handle) override {
    values++;
    return static_cast<Entry*>(handle)->value;
  }
  void Erase(const leveldb::Slice& key) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = map_.find(key.ToString());
    if (it == map_.end()) return;
    Unref(it->second);
    map_.erase(it);
  }
  uint64_t NewId() override { return ++ids; }
  size_t TotalCharge() const override {
    std::lock_guard<std::mutex> l(mu_);
    size_t total = 0;
    for (auto& kv : map_) total += kv.second->charge;
    return total;
  }

  std::atomic<int> inserts{0}, lookups{0}, hits{0}, releases{0}, values{0};
  std::atomic<int> outstanding{0};
  std::atomic<uint64_t> ids{0};

 private:
  void Unref(Entry* e) {
    if (--e->refs == 0) {
      e->deleter(e->key, e->value);
      delete e;
    }
  }

  mutable std::mutex mu_;
  std::map<std::string, Entry*> map_;
};

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  MapCache cache;
  leveldb::Options options;
  options.create_if_missing = true;
  options.block_cache = &cache;
  options.block_size = 1024;
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, Path("db"), &db));
  for (int i = 0; i < 2000; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "u%05d", i);
    CHECK_OK(db->Put(leveldb::WriteOptions(), key, std::string(50, 'u')));
  }
  db->CompactRange(nullptr, nullptr);
  Say("after writes and compaction: tables got ids=%d", cache.ids > 0);
  std::string v;
  int right = 0;
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 2000; i += 7) {
      char key[16];
      std::snprintf(key, sizeof(key), "u%05d", i);
      CHECK_OK(db->Get(leveldb::ReadOptions(), key, &v));
      right += v == std::string(50, 'u');
    }
  }
  Say("reads right=%d", right);
  Say("used: Insert=%d Lookup=%d hits=%d Value=%d Release=%d",
      cache.inserts > 0, cache.lookups > 0, cache.hits > 0, cache.values > 0,
      cache.releases > 0);
  Say("holds blocks=%d", cache.TotalCharge() > 0);
  leveldb::ReadOptions no_fill;
  no_fill.fill_cache = false;
  int before = cache.inserts;
  leveldb::Iterator* it = db->NewIterator(no_fill);
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
  delete it;
  Say("scan without fill_cache: %d entries, no new inserts=%d", count,
      cache.inserts == before);
  delete db;
  Say("handles out after close=%d", cache.outstanding.load());
  Say("PASS");
  return 0;
}
