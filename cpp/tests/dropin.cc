// A C++ program written for LevelDB 1.23, used unchanged against either
// library (tests/cpp_dropin.rs): built once against /usr/include and
// Debian's -lleveldb, then run as built and with our library first on
// LD_LIBRARY_PATH. It prints the library it mapped, then a transcript.
//
//   dropin write DIR WRITER   fills a database (bytewise and reversed order)
//   dropin read DIR           reads both back and prints what it found
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "leveldb/cache.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"
#include "leveldb/write_batch.h"

namespace {

// Reversed bytewise order, with LevelDB's own key shortening applied in
// reverse, so the index blocks it writes depend on these methods.
class ReverseComparator : public leveldb::Comparator {
 public:
  const char* Name() const override { return "dropin.Reverse"; }
  int Compare(const leveldb::Slice& a, const leveldb::Slice& b) const override {
    return -a.compare(b);
  }
  // In this order start precedes limit, so start is bytewise greater: its
  // prefix through the first byte where they differ still lies in
  // [start, limit).
  void FindShortestSeparator(std::string* start,
                             const leveldb::Slice& limit) const override {
    size_t n = start->size() < limit.size() ? start->size() : limit.size();
    size_t d = 0;
    while (d < n && (*start)[d] == limit[d]) d++;
    if (d < n) start->resize(d + 1);
  }
  // Any bytewise prefix of key follows it in this order.
  void FindShortSuccessor(std::string* key) const override {
    if (key->size() > 1) key->resize(1);
  }
};

// Counts the lines the database logs.
class CountingLogger : public leveldb::Logger {
 public:
  int lines = 0;
  void Logv(const char* format, std::va_list ap) override {
    char buf[256];
    std::vsnprintf(buf, sizeof(buf), format, ap);
    lines++;
  }
};

void Check(const leveldb::Status& s, const char* what) {
  if (!s.ok()) {
    std::printf("%s failed: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

void PrintMappedLibrary() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash != std::string::npos && line.find("libleveldb") != std::string::npos) {
      char real[4096];
      if (realpath(line.substr(slash).c_str(), real) != nullptr) {
        std::printf("library: %s\n", real);
        return;
      }
    }
  }
  std::printf("library: none\n");
}

void Write(const std::string& dir, bool reverse, const std::string& writer,
           leveldb::Cache* cache, const leveldb::FilterPolicy* bloom) {
  ReverseComparator cmp;
  CountingLogger logger;
  leveldb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  options.write_buffer_size = 64 * 1024;
  options.block_size = 1024;
  options.block_cache = cache;
  options.filter_policy = bloom;
  options.info_log = &logger;
  if (reverse) options.comparator = &cmp;
  leveldb::DB* db;
  Check(leveldb::DB::Open(options, dir, &db), "open");
  leveldb::WriteOptions wo;
  for (int i = 0; i < 1000; i++) {
    Check(db->Put(wo, Key(i), std::string(100, static_cast<char>('a' + i % 26))),
          "put");
  }
  leveldb::WriteBatch batch;
  for (int i = 0; i < 100; i++) batch.Delete(Key(i * 10));
  batch.Put("writer", writer);
  Check(db->Write(wo, &batch), "write");
  db->CompactRange(nullptr, nullptr);
  delete db;
  std::printf("logged: %s\n", logger.lines > 0 ? "yes" : "no");
}

void Read(const std::string& dir, bool reverse, leveldb::Cache* cache,
          const leveldb::FilterPolicy* bloom) {
  ReverseComparator cmp;
  leveldb::Options options;
  options.block_cache = cache;
  options.filter_policy = bloom;
  if (reverse) options.comparator = &cmp;
  leveldb::DB* db;
  Check(leveldb::DB::Open(options, dir, &db), "open");
  std::string value;
  Check(db->Get(leveldb::ReadOptions(), "writer", &value), "get writer");
  std::printf("writer: %s\n", value.c_str());
  leveldb::Status missing = db->Get(leveldb::ReadOptions(), Key(10), &value);
  std::printf("deleted: %s\n", missing.ToString().c_str());
  const leveldb::Snapshot* snap = db->GetSnapshot();
  Check(db->Put(leveldb::WriteOptions(), "after", "snapshot"), "put after");
  leveldb::ReadOptions at;
  at.snapshot = snap;
  leveldb::Iterator* it = db->NewIterator(at);
  int n = 0;
  unsigned long sum = 0;
  std::string first, last;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (n == 0) first = it->key().ToString();
    last = it->key().ToString();
    n++;
    if (it->key() == leveldb::Slice("writer")) continue;
    for (size_t i = 0; i < it->value().size(); i++) {
      sum = sum * 31 + static_cast<unsigned char>(it->value()[i]);
    }
  }
  Check(it->status(), "iterate");
  it->Seek(Key(500));
  std::printf("seek: %s\n", it->Valid() ? it->key().ToString().c_str() : "-");
  delete it;
  db->ReleaseSnapshot(snap);
  Check(db->Get(leveldb::ReadOptions(), "after", &value), "get after");
  Check(db->Delete(leveldb::WriteOptions(), "after"), "delete after");
  std::printf("entries: %d first: %s last: %s sum: %lu\n", n, first.c_str(),
              last.c_str(), sum);
  std::string files;
  std::printf("property known: %d unknown: %d\n",
              db->GetProperty("leveldb.num-files-at-level0", &files) ? 1 : 0,
              db->GetProperty("leveldb.nonsense", &files) ? 1 : 0);
  leveldb::Range r(reverse ? Key(999) : Key(0), reverse ? Key(0) : Key(999));
  uint64_t size = 0;
  db->GetApproximateSizes(&r, 1, &size);
  std::printf("sized: %s\n", size > 0 ? "yes" : "no");
  delete db;
}

}  // namespace

int main(int argc, char** argv) {
  PrintMappedLibrary();
  if (argc < 3) {
    std::printf("usage: dropin write|read DIR [WRITER]\n");
    return 2;
  }
  std::string mode = argv[1], dir = argv[2];
  leveldb::Cache* cache = leveldb::NewLRUCache(1 << 20);  // shared by both dbs
  const leveldb::FilterPolicy* bloom = leveldb::NewBloomFilterPolicy(10);
  for (int reverse = 0; reverse < 2; reverse++) {
    std::string name = dir + (reverse ? "/reverse" : "/bytewise");
    std::printf("[%s]\n", reverse ? "reverse" : "bytewise");
    if (mode == "write") {
      leveldb::Env::Default()->CreateDir(dir);
      Write(name, reverse != 0, argc > 3 ? argv[3] : "?", cache, bloom);
    } else {
      Read(name, reverse != 0, cache, bloom);
    }
  }
  delete bloom;
  delete cache;
  std::printf("done\n");
  return 0;
}
