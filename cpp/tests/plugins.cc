// Exercises what a C++ caller plugs into LevelDB 1.23 (an EnvWrapper that
// counts calls, NewMemEnv, a Logger, RegisterCleanup, a batch Handler,
// Status texts, TableBuilder/Table, DestroyDB/RepairDB) and prints a
// transcript that must be the same on either library (tests/cpp_dropin.rs
// runs it on each, in separate processes).
#include <cstdio>
#include <map>
#include <string>

#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"
#include "leveldb/helpers/memenv.h"
#include "leveldb/iterator.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"
#include "leveldb/write_batch.h"

namespace {

class CountingEnv : public leveldb::EnvWrapper {
 public:
  explicit CountingEnv(leveldb::Env* base) : leveldb::EnvWrapper(base) {}
  std::map<std::string, int> calls;
  leveldb::Status NewWritableFile(const std::string& f,
                                  leveldb::WritableFile** r) override {
    calls["NewWritableFile"]++;
    return target()->NewWritableFile(f, r);
  }
  leveldb::Status NewSequentialFile(const std::string& f,
                                    leveldb::SequentialFile** r) override {
    calls["NewSequentialFile"]++;
    return target()->NewSequentialFile(f, r);
  }
  leveldb::Status NewRandomAccessFile(const std::string& f,
                                      leveldb::RandomAccessFile** r) override {
    calls["NewRandomAccessFile"]++;
    return target()->NewRandomAccessFile(f, r);
  }
  leveldb::Status LockFile(const std::string& f, leveldb::FileLock** l) override {
    calls["LockFile"]++;
    return target()->LockFile(f, l);
  }
  leveldb::Status UnlockFile(leveldb::FileLock* l) override {
    calls["UnlockFile"]++;
    return target()->UnlockFile(l);
  }
  leveldb::Status NewLogger(const std::string& f, leveldb::Logger** r) override {
    calls["NewLogger"]++;
    return target()->NewLogger(f, r);
  }
  void Schedule(void (*f)(void*), void* a) override {
    calls["Schedule"]++;
    target()->Schedule(f, a);
  }
};

class Lines : public leveldb::Logger {
 public:
  int n = 0;
  void Logv(const char*, std::va_list) override { n++; }
};

class Printer : public leveldb::WriteBatch::Handler {
 public:
  void Put(const leveldb::Slice& k, const leveldb::Slice& v) override {
    std::printf("  put %s=%s\n", k.ToString().c_str(), v.ToString().c_str());
  }
  void Delete(const leveldb::Slice& k) override {
    std::printf("  delete %s\n", k.ToString().c_str());
  }
};

// Reversed bytewise order that shortens index keys (see dropin.cc).
class ReverseComparator : public leveldb::Comparator {
 public:
  const char* Name() const override { return "plugins.Reverse"; }
  int Compare(const leveldb::Slice& a, const leveldb::Slice& b) const override {
    return -a.compare(b);
  }
  void FindShortestSeparator(std::string* start,
                             const leveldb::Slice& limit) const override {
    size_t n = start->size() < limit.size() ? start->size() : limit.size();
    size_t d = 0;
    while (d < n && (*start)[d] == limit[d]) d++;
    if (d < n) start->resize(d + 1);
  }
  void FindShortSuccessor(std::string* key) const override {
    if (key->size() > 1) key->resize(1);
  }
};

// A filter policy of the caller: the first byte of every key.
class FirstBytes : public leveldb::FilterPolicy {
 public:
  const char* Name() const override { return "plugins.FirstBytes"; }
  void CreateFilter(const leveldb::Slice* keys, int n,
                    std::string* dst) const override {
    for (int i = 0; i < n; i++) dst->push_back(keys[i].empty() ? '\0' : keys[i][0]);
  }
  bool KeyMayMatch(const leveldb::Slice& key,
                   const leveldb::Slice& filter) const override {
    char c = key.empty() ? '\0' : key[0];
    return filter.ToString().find(c) != std::string::npos;
  }
};

// FNV-1a of a file's bytes: equal hashes on both libraries mean the
// same table bytes.
unsigned long long FileHash(leveldb::Env* env, const std::string& fname) {
  std::string data;
  leveldb::ReadFileToString(env, fname, &data);
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void Cleanup(void* a, void* b) {
  std::printf("cleanup %s %s\n", static_cast<const char*>(a),
              static_cast<const char*>(b));
}

void Fill(leveldb::DB* db, int n) {
  char k[16];
  for (int i = 0; i < n; i++) {
    std::snprintf(k, sizeof(k), "k%05d", i);
    db->Put(leveldb::WriteOptions(), k, std::string(200, 'v'));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/strata_plugins";
  leveldb::Env* env = leveldb::Env::Default();
  env->CreateDir(dir);

  // Status texts and codes.
  leveldb::Status s = leveldb::Status::Corruption("bad", "block");
  std::printf("%s %d\n", s.ToString().c_str(), s.IsCorruption());
  std::printf("%s\n", leveldb::Status::NotSupported("x").ToString().c_str());
  std::printf("%s\n", leveldb::Status::InvalidArgument("y", "z").ToString().c_str());
  std::printf("%s\n", leveldb::Status::IOError("io").ToString().c_str());
  std::printf("%s\n", leveldb::Status().ToString().c_str());

  // WriteBatch: handler, size, append, copy.
  leveldb::WriteBatch b1, b2;
  b1.Put("a", "1");
  b1.Delete("b");
  b2.Put("c", "3");
  b1.Append(b2);
  leveldb::WriteBatch b3 = b1;
  Printer printer;
  std::printf("batch size %zu:\n", b3.ApproximateSize());
  std::printf("iterate: %s\n", b3.Iterate(&printer).ToString().c_str());
  b3.Clear();
  std::printf("cleared size %zu\n", b3.ApproximateSize());

  // Iterators: cleanup order, empty and error iterators.
  leveldb::Iterator* e = leveldb::NewErrorIterator(leveldb::Status::IOError("boom"));
  e->RegisterCleanup(Cleanup, const_cast<char*>("1"), const_cast<char*>("a"));
  e->RegisterCleanup(Cleanup, const_cast<char*>("2"), const_cast<char*>("b"));
  e->RegisterCleanup(Cleanup, const_cast<char*>("3"), const_cast<char*>("c"));
  e->SeekToFirst();
  std::printf("error iterator valid %d: %s\n", e->Valid(), e->status().ToString().c_str());
  delete e;
  leveldb::Iterator* empty = leveldb::NewEmptyIterator();
  std::printf("empty iterator: %d %s\n", empty->Valid(), empty->status().ToString().c_str());
  delete empty;

  // A counting EnvWrapper and a logger.
  {
    CountingEnv counting(env);
    Lines lines;
    leveldb::Options o;
    o.create_if_missing = true;
    o.env = &counting;
    std::string name = dir + "/counted";
    leveldb::DestroyDB(name, o);
    leveldb::DB* db;
    s = leveldb::DB::Open(o, name, &db);
    std::printf("open counted: %s\n", s.ToString().c_str());
    Fill(db, 100);
    db->CompactRange(nullptr, nullptr);
    delete db;
    std::printf(
        "counted: logger %d lock %d unlock %d writable %s random %s "
        "sequential %s schedule %s\n",
        counting.calls["NewLogger"], counting.calls["LockFile"],
        counting.calls["UnlockFile"],
        counting.calls["NewWritableFile"] > 2 ? "yes" : "no",
        counting.calls["NewRandomAccessFile"] > 0 ? "yes" : "no",
        counting.calls["NewSequentialFile"] > 0 ? "yes" : "no",
        counting.calls["Schedule"] > 0 ? "yes" : "no");
    o.info_log = &lines;
    s = leveldb::DB::Open(o, name, &db);
    delete db;
    std::printf("reopen with logger: %s lines %s logger calls %d\n",
                s.ToString().c_str(), lines.n > 0 ? "yes" : "no",
                counting.calls["NewLogger"]);
    std::printf("repair: %s\n", leveldb::RepairDB(name, o).ToString().c_str());
    std::printf("destroy: %s exists %d\n", leveldb::DestroyDB(name, o).ToString().c_str(),
                env->FileExists(name + "/CURRENT"));
  }

  // NewMemEnv: a database that never touches the disk.
  {
    leveldb::Env* mem = leveldb::NewMemEnv(env);
    leveldb::Options o;
    o.create_if_missing = true;
    o.env = mem;
    o.filter_policy = leveldb::NewBloomFilterPolicy(10);
    leveldb::DB* db;
    s = leveldb::DB::Open(o, "/mem/db", &db);
    std::printf("mem open: %s\n", s.ToString().c_str());
    Fill(db, 500);
    std::string v;
    s = db->Get(leveldb::ReadOptions(), "k00042", &v);
    std::printf("mem get: %s %zu\n", s.ToString().c_str(), v.size());
    delete db;
    std::printf("mem on disk: %d in env: %d\n", env->FileExists("/mem/db/CURRENT"),
                mem->FileExists("/mem/db/CURRENT"));
    std::string current;
    s = leveldb::ReadFileToString(mem, "/mem/db/CURRENT", &current);
    std::printf("CURRENT: %s %s", s.ToString().c_str(), current.c_str());
    delete o.filter_policy;
    delete mem;
  }

  // TableBuilder then Table.
  {
    std::string fname = dir + "/table.ldb";
    leveldb::WritableFile* wf;
    env->NewWritableFile(fname, &wf);
    leveldb::Options o;
    o.block_size = 256;
    leveldb::TableBuilder builder(o, wf);
    char k[16];
    for (int i = 0; i < 300; i++) {
      std::snprintf(k, sizeof(k), "t%04d", i);
      builder.Add(k, std::string(50, 'x'));
    }
    s = builder.Finish();
    std::printf("table finish: %s entries %llu size %llu\n", s.ToString().c_str(),
                static_cast<unsigned long long>(builder.NumEntries()),
                static_cast<unsigned long long>(builder.FileSize()));
    wf->Sync();
    wf->Close();
    delete wf;
    std::printf("table hash %016llx\n", FileHash(env, fname));
    uint64_t size;
    env->GetFileSize(fname, &size);
    leveldb::RandomAccessFile* rf;
    env->NewRandomAccessFile(fname, &rf);
    leveldb::Table* table;
    s = leveldb::Table::Open(o, rf, size, &table);
    std::printf("table open: %s\n", s.ToString().c_str());
    leveldb::Iterator* it = table->NewIterator(leveldb::ReadOptions());
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    it->Seek("t0150");
    std::printf("table entries %d seek %s offset %llu\n", n,
                it->Valid() ? it->key().ToString().c_str() : "-",
                static_cast<unsigned long long>(table->ApproximateOffsetOf("t0150")));
    delete it;
    delete table;
    delete rf;
    env->RemoveFile(fname);
  }

  // A table in a caller's order, with a caller's and the built-in filter:
  // the index keys come from the comparator's shortening methods.
  for (int bloom = 0; bloom < 2; bloom++) {
    std::string fname = dir + "/reverse.ldb";
    ReverseComparator cmp;
    FirstBytes first;
    const leveldb::FilterPolicy* policy =
        bloom ? leveldb::NewBloomFilterPolicy(10) : &first;
    leveldb::Options o;
    o.comparator = &cmp;
    o.filter_policy = policy;
    o.block_size = 128;
    o.compression = leveldb::kNoCompression;
    leveldb::WritableFile* wf;
    env->NewWritableFile(fname, &wf);
    leveldb::TableBuilder builder(o, wf);
    char k[16];
    for (int i = 999; i >= 0; i -= 3) {
      std::snprintf(k, sizeof(k), "r%05d", i);
      builder.Add(k, std::string(i % 40, 'y'));
    }
    leveldb::Options other = o;
    other.comparator = leveldb::BytewiseComparator();
    std::printf("change comparator: %s\n", builder.ChangeOptions(other).ToString().c_str());
    s = builder.Finish();
    wf->Close();
    delete wf;
    std::printf("reverse table (%s): %s hash %016llx\n", policy->Name(),
                s.ToString().c_str(), FileHash(env, fname));
    uint64_t size;
    env->GetFileSize(fname, &size);
    leveldb::RandomAccessFile* rf;
    env->NewRandomAccessFile(fname, &rf);
    leveldb::Table* table;
    s = leveldb::Table::Open(o, rf, size, &table);
    leveldb::Iterator* it = table->NewIterator(leveldb::ReadOptions());
    it->Seek("r00500");
    std::printf("reverse seek: %s %s\n", s.ToString().c_str(),
                it->Valid() ? it->key().ToString().c_str() : "-");
    it->SeekToLast();
    std::printf("reverse last: %s\n", it->Valid() ? it->key().ToString().c_str() : "-");
    delete it;
    delete table;
    delete rf;
    env->RemoveFile(fname);
    if (bloom) delete policy;
  }
  std::printf("done\n");
  return 0;
}
