// What a C++ caller plugs into a database: a custom Comparator (with its
// FindShortestSeparator / FindShortSuccessor, also inside a table built
// by TableBuilder, whose bytes must equal LevelDB's), a custom
// FilterPolicy, NewBloomFilterPolicy, a Logger as info_log, and
// NewLRUCache shared by two databases plus the Cache methods themselves.
//
// Callbacks run on the library's background threads too, so counters are
// atomic; the transcript prints only facts LevelDB guarantees (a callback
// was used, an order, a text), never how often something was called.

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "cpp_test.h"
#include "leveldb/cache.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"

using cpptest::Path;
using cpptest::Say;
using cpptest::SayStatus;
using cpptest::Show;

namespace {

// Descending bytewise order, with real shortening so that index blocks
// depend on it.
class ReverseComparator : public leveldb::Comparator {
 public:
  int Compare(const leveldb::Slice& a, const leveldb::Slice& b) const override {
    compares++;
    return -a.compare(b);
  }
  const char* Name() const override { return "strata.ReverseComparator"; }

  // Wanted: k with limit < k <= start bytewise. At the first differing
  // byte start's is the larger, so start's prefix through it qualifies.
  void FindShortestSeparator(std::string* start,
                             const leveldb::Slice& limit) const override {
    separators++;
    size_t i = 0;
    while (i < start->size() && i < limit.size() && (*start)[i] == limit[i]) {
      i++;
    }
    if (i < start->size() && i < limit.size()) start->resize(i + 1);
  }

  // Wanted: k <= key bytewise; key's first byte is one.
  void FindShortSuccessor(std::string* key) const override {
    successors++;
    if (key->size() > 1) key->resize(1);
  }

  mutable std::atomic<int> compares{0};
  mutable std::atomic<int> separators{0};
  mutable std::atomic<int> successors{0};
};

// An exact filter: the keys themselves, each after a length byte.
class ExactFilter : public leveldb::FilterPolicy {
 public:
  const char* Name() const override { return "strata.ExactFilter"; }
  void CreateFilter(const leveldb::Slice* keys, int n,
                    std::string* dst) const override {
    created++;
    for (int i = 0; i < n; i++) {
      dst->push_back(static_cast<char>(keys[i].size()));
      dst->append(keys[i].data(), keys[i].size());
    }
  }
  bool KeyMayMatch(const leveldb::Slice& key,
                   const leveldb::Slice& filter) const override {
    queried++;
    size_t at = 0;
    while (at < filter.size()) {
      size_t len = static_cast<unsigned char>(filter[at]);
      if (leveldb::Slice(filter.data() + at + 1, len) == key) return true;
      at += 1 + len;
    }
    rejected++;
    return false;
  }
  mutable std::atomic<int> created{0};
  mutable std::atomic<int> queried{0};
  mutable std::atomic<int> rejected{0};
};

class CountingLogger : public leveldb::Logger {
 public:
  void Logv(const char* format, std::va_list ap) override {
    char line[512];
    std::vsnprintf(line, sizeof(line), format, ap);
    lines++;
    if (line[0] != '\0') nonempty++;
  }
  std::atomic<int> lines{0};
  std::atomic<int> nonempty{0};
};

leveldb::DB* OpenOk(const leveldb::Options& options, const std::string& name) {
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, name, &db));
  return db;
}

std::string Key(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "key%05d", i);
  return key;
}

void CustomComparator() {
  Say("== custom comparator");
  ReverseComparator cmp;
  leveldb::Options options;
  options.create_if_missing = true;
  options.comparator = &cmp;
  options.block_size = 256;
  leveldb::DB* db = OpenOk(options, Path("reverse"));
  leveldb::WriteOptions w;
  for (int i = 0; i < 500; i++) {
    CHECK_OK(db->Put(w, Key(i), std::string(30, static_cast<char>('a' + i % 26))));
  }
  db->CompactRange(nullptr, nullptr);
  leveldb::Iterator* it = db->NewIterator(leveldb::ReadOptions());
  std::string first, last;
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (count == 0) first = it->key().ToString();
    last = it->key().ToString();
    count++;
  }
  Say("forward: %d keys, first=%s last=%s", count, first.c_str(), last.c_str());
  it->Seek("key00250x");
  Say("seek key00250x -> %s", it->Valid() ? Show(it->key()).c_str() : "(end)");
  it->SeekToLast();
  it->Prev();
  Say("last-1 -> %s", Show(it->key()).c_str());
  delete it;
  std::string v;
  CHECK_OK(db->Get(leveldb::ReadOptions(), Key(123), &v));
  Say("get %s -> %s", Key(123).c_str(), v.substr(0, 3).c_str());
  Say("used: compare=%d separator=%d successor=%d", cmp.compares > 0,
      cmp.separators > 0, cmp.successors > 0);
  delete db;

  leveldb::Options bytewise;
  leveldb::Status s = leveldb::DB::Open(bytewise, Path("reverse"), &db);
  SayStatus("reopen with bytewise", s);
  Say("invalid-argument=%d", s.IsInvalidArgument());
  db = OpenOk(options, Path("reverse"));
  CHECK_OK(db->Get(leveldb::ReadOptions(), Key(499), &v));
  Say("reopened with the same comparator: get ok");
  delete db;
}

// A table written by TableBuilder under the custom comparator, without
// compression: its bytes are fixed by the format, so they must match.
void CustomComparatorTable() {
  Say("== custom comparator table");
  ReverseComparator cmp;
  leveldb::Options options;
  options.comparator = &cmp;
  options.block_size = 128;
  options.compression = leveldb::kNoCompression;
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::WritableFile* file = nullptr;
  CHECK_OK(env->NewWritableFile(Path("reverse.ldb"), &file));
  leveldb::TableBuilder builder(options, file);
  for (int i = 400; i > 0; i -= 3) {
    builder.Add(Key(i), std::string(static_cast<size_t>(i % 17), 'x'));
  }
  CHECK_OK(builder.Finish());
  CHECK_OK(file->Close());
  delete file;
  std::string bytes;
  CHECK_OK(leveldb::ReadFileToString(env, Path("reverse.ldb"), &bytes));
  Say("entries=%llu size=%llu file=%zu fingerprint=%016llx",
      static_cast<unsigned long long>(builder.NumEntries()),
      static_cast<unsigned long long>(builder.FileSize()), bytes.size(),
      static_cast<unsigned long long>(cpptest::Fingerprint(bytes)));
  Say("separator used=%d successor used=%d", cmp.separators > 0,
      cmp.successors > 0);
}

void CustomFilter() {
  Say("== custom filter policy");
  ExactFilter filter;
  leveldb::Options options;
  options.create_if_missing = true;
  options.filter_policy = &filter;
  leveldb::DB* db = OpenOk(options, Path("filtered"));
  leveldb::WriteOptions w;
  for (int i = 0; i < 200; i += 2) CHECK_OK(db->Put(w, Key(i), "v"));
  db->CompactRange(nullptr, nullptr);
  std::string v;
  int found = 0, missing = 0;
  for (int i = 0; i < 200; i++) {
    leveldb::Status s = db->Get(leveldb::ReadOptions(), Key(i), &v);
    if (s.ok()) found++;
    if (s.IsNotFound()) missing++;
  }
  Say("found=%d missing=%d", found, missing);
  Say("filter built=%d queried=%d rejected=%d", filter.created > 0,
      filter.queried > 0, filter.rejected > 0);
  delete db;
}

void Bloom() {
  Say("== bloom filter policy");
  const leveldb::FilterPolicy* bloom = leveldb::NewBloomFilterPolicy(10);
  Say("name=%s", bloom->Name());
  std::vector<std::string> owned;
  for (int i = 0; i < 100; i++) owned.push_back(Key(i));
  std::vector<leveldb::Slice> keys(owned.begin(), owned.end());
  std::string filter = "prefix";
  bloom->CreateFilter(keys.data(), static_cast<int>(keys.size()), &filter);
  Say("filter bytes=%zu kept-prefix=%d fingerprint=%016llx", filter.size(),
      filter.compare(0, 6, "prefix") == 0,
      static_cast<unsigned long long>(cpptest::Fingerprint(filter)));
  leveldb::Slice body(filter.data() + 6, filter.size() - 6);
  int hits = 0;
  for (const leveldb::Slice& k : keys) hits += bloom->KeyMayMatch(k, body);
  int false_positives = 0;
  for (int i = 1000; i < 11000; i++) {
    false_positives += bloom->KeyMayMatch(Key(i), body);
  }
  Say("members matched=%d/100 false positives=%d/10000", hits,
      false_positives);
  std::string empty;
  bloom->CreateFilter(nullptr, 0, &empty);
  Say("empty filter bytes=%zu", empty.size());

  leveldb::Options options;
  options.create_if_missing = true;
  options.filter_policy = bloom;
  leveldb::DB* db = OpenOk(options, Path("bloom"));
  for (int i = 0; i < 100; i++) {
    CHECK_OK(db->Put(leveldb::WriteOptions(), Key(i), Key(i)));
  }
  db->CompactRange(nullptr, nullptr);
  std::string v;
  CHECK_OK(db->Get(leveldb::ReadOptions(), Key(42), &v));
  Say("get with bloom: %s, missing: %d", v.c_str(),
      db->Get(leveldb::ReadOptions(), Key(4200), &v).IsNotFound());
  delete db;
  delete bloom;
}

void InfoLog() {
  Say("== logger");
  CountingLogger logger;
  leveldb::Options options;
  options.create_if_missing = true;
  options.info_log = &logger;
  leveldb::DB* db = OpenOk(options, Path("logged"));
  for (int i = 0; i < 100; i++) {
    CHECK_OK(db->Put(leveldb::WriteOptions(), Key(i), "v"));
  }
  db->CompactRange(nullptr, nullptr);
  delete db;
  Say("logger received lines=%d nonempty=%d", logger.lines > 0,
      logger.nonempty > 0);
  leveldb::Env* env = leveldb::Env::Default();
  Say("LOG file written anyway=%d", env->FileExists(Path("logged/LOG")));
  // leveldb::Log() is declared in env.h but Debian's library does not
  // export it, so a program cannot call it.
}

int deleted_total = 0;
std::string deleted_keys;
void Deleter(const leveldb::Slice& key, void* value) {
  deleted_keys += key.ToString() + ":" + *static_cast<std::string*>(value) + " ";
  delete static_cast<std::string*>(value);
  deleted_total++;
}

void SharedCache() {
  Say("== shared LRU cache");
  leveldb::Cache* cache = leveldb::NewLRUCache(1 << 20);
  Say("fresh total charge=%zu", cache->TotalCharge());
  leveldb::Options options;
  options.create_if_missing = true;
  options.block_cache = cache;
  leveldb::DB* one = OpenOk(options, Path("cache1"));
  leveldb::DB* two = OpenOk(options, Path("cache2"));
  for (int i = 0; i < 300; i++) {
    CHECK_OK(one->Put(leveldb::WriteOptions(), Key(i), "one" + Key(i)));
    CHECK_OK(two->Put(leveldb::WriteOptions(), Key(i), "two" + Key(i)));
  }
  one->CompactRange(nullptr, nullptr);
  two->CompactRange(nullptr, nullptr);
  int right = 0;
  std::string v;
  for (int i = 0; i < 300; i++) {
    CHECK_OK(one->Get(leveldb::ReadOptions(), Key(i), &v));
    right += v == "one" + Key(i);
    CHECK_OK(two->Get(leveldb::ReadOptions(), Key(i), &v));
    right += v == "two" + Key(i);
  }
  Say("reads right=%d/600 cache holds blocks=%d", right,
      cache->TotalCharge() > 0);
  delete one;
  delete two;
  delete cache;

  Say("== cache methods");
  cache = leveldb::NewLRUCache(1 << 20);
  uint64_t id1 = cache->NewId(), id2 = cache->NewId();
  Say("ids increase=%d", id2 > id1);
  leveldb::Cache::Handle* a =
      cache->Insert("a", new std::string("A1"), 10, &Deleter);
  Say("insert a: value=%s charge=%zu",
      static_cast<std::string*>(cache->Value(a))->c_str(), cache->TotalCharge());
  leveldb::Cache::Handle* again = cache->Lookup("a");
  Say("lookup a: same=%d; lookup b: null=%d", again != nullptr &&
      *static_cast<std::string*>(cache->Value(again)) == "A1",
      cache->Lookup("b") == nullptr);
  cache->Release(again);
  // Replacing a held entry: the old value lives until its handle goes.
  cache->Release(cache->Insert("a", new std::string("A2"), 20, &Deleter));
  Say("replaced while held: deleted=%d", deleted_total);
  cache->Release(a);
  Say("old handle released: deleted=[%s] charge=%zu", deleted_keys.c_str(),
      cache->TotalCharge());
  cache->Release(cache->Insert("b", new std::string("B"), 5, &Deleter));
  leveldb::Cache::Handle* held = cache->Lookup("b");
  cache->Erase("b");
  Say("erased while held: lookup null=%d deleted=%d",
      cache->Lookup("b") == nullptr, deleted_total);
  cache->Release(held);
  Say("released: deleted=[%s]", deleted_keys.c_str());
  cache->Erase("nothing");
  cache->Release(cache->Insert("c", new std::string("C"), 7, &Deleter));
  cache->Prune();
  Say("pruned: charge=%zu deleted=%d", cache->TotalCharge(), deleted_total);
  cache->Release(cache->Insert("d", new std::string("D"), 1, &Deleter));
  delete cache;
  Say("cache deleted: deleted=%d", deleted_total);
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  CustomComparator();
  CustomComparatorTable();
  CustomFilter();
  Bloom();
  InfoLog();
  SharedCache();
  Say("PASS");
  return 0;
}
