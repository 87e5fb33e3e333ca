// Names every declaration of LevelDB 1.23's public C++ API that a program
// can name, the way programs do: typed pointers to every function and
// method (so a differing signature fails to compile or mangles
// differently), calls that lean on default arguments and inline helpers,
// subclasses of every interface (which reference the base classes'
// typeinfo, vtables and destructors), qualified calls to the base classes'
// own definitions.
//
// tests/cpp_layout.rs compiles this file (never links or runs it) once
// against our headers and once against the system's, and requires the two
// object files to reference exactly the same symbols.

#include <cstdarg>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "leveldb/cache.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/dumpfile.h"
#include "leveldb/env.h"
#include "leveldb/export.h"
#include "leveldb/filter_policy.h"
#include "leveldb/helpers/memenv.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/slice.h"
#include "leveldb/status.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"
#include "leveldb/write_batch.h"

#if defined(STRATA_EXPECT_OURS) && !defined(STRATA_LEVELDB_HEADERS)
#error "expected Strata's headers (include/), found others"
#endif
#if defined(STRATA_EXPECT_SYSTEM) && defined(STRATA_LEVELDB_HEADERS)
#error "expected the system's LevelDB headers, found Strata's"
#endif

namespace ldb = leveldb;

// Keeps a value alive in the object file without running anything.
template <typename T>
void Keep(const T& value) {
  asm volatile("" : : "r"(&value) : "memory");
}

// One subclass of each interface, each with an out-of-line key function so
// its vtable (and so the base's typeinfo) is emitted here.
struct MyComparator : ldb::Comparator {
  int Compare(const ldb::Slice& a, const ldb::Slice& b) const override;
  const char* Name() const override { return "my"; }
  void FindShortestSeparator(std::string*, const ldb::Slice&) const override {}
  void FindShortSuccessor(std::string*) const override {}
};
int MyComparator::Compare(const ldb::Slice& a, const ldb::Slice& b) const {
  return a.compare(b);
}

struct MyPolicy : ldb::FilterPolicy {
  const char* Name() const override;
  void CreateFilter(const ldb::Slice*, int, std::string*) const override {}
  bool KeyMayMatch(const ldb::Slice&, const ldb::Slice&) const override {
    return true;
  }
};
const char* MyPolicy::Name() const { return "p"; }

struct MyLogger : ldb::Logger {
  void Logv(const char* format, std::va_list ap) override;
};
void MyLogger::Logv(const char*, std::va_list) {}

struct MyHandler : ldb::WriteBatch::Handler {
  void Put(const ldb::Slice&, const ldb::Slice&) override;
  void Delete(const ldb::Slice&) override {}
};
void MyHandler::Put(const ldb::Slice&, const ldb::Slice&) {}

struct MyEnv : ldb::EnvWrapper {
  MyEnv() : ldb::EnvWrapper(ldb::Env::Default()) {}
  bool FileExists(const std::string& f) override;
};
bool MyEnv::FileExists(const std::string& f) {
  return target()->FileExists(f);
}

struct MyLock : ldb::FileLock {
  ~MyLock() override;
};
MyLock::~MyLock() {}

struct MySequential : ldb::SequentialFile {
  ldb::Status Read(size_t, ldb::Slice*, char*) override;
  ldb::Status Skip(uint64_t) override { return ldb::Status::OK(); }
};
ldb::Status MySequential::Read(size_t, ldb::Slice*, char*) {
  return ldb::Status::OK();
}

struct MyRandom : ldb::RandomAccessFile {
  ldb::Status Read(uint64_t, size_t, ldb::Slice*, char*) const override;
};
ldb::Status MyRandom::Read(uint64_t, size_t, ldb::Slice*, char*) const {
  return ldb::Status::OK();
}

struct MyWritable : ldb::WritableFile {
  ldb::Status Append(const ldb::Slice&) override;
  ldb::Status Close() override { return ldb::Status::OK(); }
  ldb::Status Flush() override { return ldb::Status::OK(); }
  ldb::Status Sync() override { return ldb::Status::OK(); }
};
ldb::Status MyWritable::Append(const ldb::Slice&) { return ldb::Status::OK(); }

struct MyIterator : ldb::Iterator {
  bool Valid() const override;
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(const ldb::Slice&) override {}
  void Next() override {}
  void Prev() override {}
  ldb::Slice key() const override { return ldb::Slice(); }
  ldb::Slice value() const override { return ldb::Slice(); }
  ldb::Status status() const override { return ldb::Status::OK(); }
};
bool MyIterator::Valid() const { return false; }

struct MyCache : ldb::Cache {
  Handle* Insert(const ldb::Slice&, void*, size_t,
                 void (*)(const ldb::Slice&, void*)) override;
  Handle* Lookup(const ldb::Slice&) override { return nullptr; }
  void Release(Handle*) override {}
  void* Value(Handle*) override { return nullptr; }
  void Erase(const ldb::Slice&) override {}
  uint64_t NewId() override { return 0; }
  size_t TotalCharge() const override { return 0; }
};
ldb::Cache::Handle* MyCache::Insert(const ldb::Slice&, void*, size_t,
                                    void (*)(const ldb::Slice&, void*)) {
  return nullptr;
}

struct MySnapshot : ldb::Snapshot {
  ~MySnapshot() override;
};
MySnapshot::~MySnapshot() {}

struct MyDB : ldb::DB {
  ldb::Status Put(const ldb::WriteOptions& o, const ldb::Slice& k,
                  const ldb::Slice& v) override;
  ldb::Status Delete(const ldb::WriteOptions& o, const ldb::Slice& k) override {
    return DB::Delete(o, k);
  }
  ldb::Status Write(const ldb::WriteOptions&, ldb::WriteBatch*) override {
    return ldb::Status::OK();
  }
  ldb::Status Get(const ldb::ReadOptions&, const ldb::Slice&,
                  std::string*) override {
    return ldb::Status::OK();
  }
  ldb::Iterator* NewIterator(const ldb::ReadOptions&) override {
    return ldb::NewEmptyIterator();
  }
  const ldb::Snapshot* GetSnapshot() override { return nullptr; }
  void ReleaseSnapshot(const ldb::Snapshot*) override {}
  bool GetProperty(const ldb::Slice&, std::string*) override { return false; }
  void GetApproximateSizes(const ldb::Range*, int, uint64_t*) override {}
  void CompactRange(const ldb::Slice*, const ldb::Slice*) override {}
};
ldb::Status MyDB::Put(const ldb::WriteOptions& o, const ldb::Slice& k,
                      const ldb::Slice& v) {
  return DB::Put(o, k, v);
}

static void Cleanup(void*, void*) {}
static void Deleter(const ldb::Slice&, void*) {}
static void Work(void*) {}

// Never called: compiled only, so every reference lands in the object file.
void UseEverything(ldb::DB* db, ldb::Env* env, ldb::Cache* cache,
                   ldb::Iterator* it, ldb::RandomAccessFile* raf,
                   ldb::WritableFile* wf, ldb::Logger* logger) {
  // Versions and enumerators.
  static_assert(ldb::kMajorVersion == 1, "major");
  static_assert(ldb::kMinorVersion == 23, "minor");
  static_assert(ldb::kNoCompression == 0 && ldb::kSnappyCompression == 1, "");
  ldb::CompressionType ct = ldb::kSnappyCompression;
  Keep(ct);

  // Free functions, through typed pointers.
  ldb::Status (*destroy)(const std::string&, const ldb::Options&) = &ldb::DestroyDB;
  ldb::Status (*repair)(const std::string&, const ldb::Options&) = &ldb::RepairDB;
  ldb::Status (*open)(const ldb::Options&, const std::string&, ldb::DB**) = &ldb::DB::Open;
  const ldb::Comparator* (*bytewise)() = &ldb::BytewiseComparator;
  const ldb::FilterPolicy* (*bloom)(int) = &ldb::NewBloomFilterPolicy;
  ldb::Cache* (*lru)(size_t) = &ldb::NewLRUCache;
  ldb::Iterator* (*empty)() = &ldb::NewEmptyIterator;
  ldb::Iterator* (*error)(const ldb::Status&) = &ldb::NewErrorIterator;
  ldb::Env* (*mem)(ldb::Env*) = &ldb::NewMemEnv;
  ldb::Env* (*deflt)() = &ldb::Env::Default;
  ldb::Status (*dump)(ldb::Env*, const std::string&, ldb::WritableFile*) = &ldb::DumpFile;
  ldb::Status (*wstr)(ldb::Env*, const ldb::Slice&, const std::string&) =
      &ldb::WriteStringToFile;
  ldb::Status (*rstr)(ldb::Env*, const std::string&, std::string*) =
      &ldb::ReadFileToString;
  void (*log)(ldb::Logger*, const char*, ...) = &ldb::Log;
  ldb::Status (*topen)(const ldb::Options&, ldb::RandomAccessFile*, uint64_t,
                       ldb::Table**) = &ldb::Table::Open;
  Keep(destroy), Keep(repair), Keep(open), Keep(bytewise), Keep(bloom);
  Keep(lru), Keep(empty), Keep(error), Keep(mem), Keep(deflt), Keep(dump);
  Keep(wstr), Keep(rstr), Keep(log), Keep(topen);

  // Member functions, through typed pointers to members.
  void (ldb::Iterator::*reg)(ldb::Iterator::CleanupFunction, void*, void*) =
      &ldb::Iterator::RegisterCleanup;
  void (ldb::WriteBatch::*bput)(const ldb::Slice&, const ldb::Slice&) =
      &ldb::WriteBatch::Put;
  void (ldb::WriteBatch::*bdel)(const ldb::Slice&) = &ldb::WriteBatch::Delete;
  void (ldb::WriteBatch::*bclear)() = &ldb::WriteBatch::Clear;
  size_t (ldb::WriteBatch::*bsize)() const = &ldb::WriteBatch::ApproximateSize;
  void (ldb::WriteBatch::*bappend)(const ldb::WriteBatch&) = &ldb::WriteBatch::Append;
  ldb::Status (ldb::WriteBatch::*biter)(ldb::WriteBatch::Handler*) const =
      &ldb::WriteBatch::Iterate;
  std::string (ldb::Status::*tostr)() const = &ldb::Status::ToString;
  ldb::Iterator* (ldb::Table::*titer)(const ldb::ReadOptions&) const =
      &ldb::Table::NewIterator;
  uint64_t (ldb::Table::*toff)(const ldb::Slice&) const = &ldb::Table::ApproximateOffsetOf;
  ldb::Status (ldb::TableBuilder::*tbchange)(const ldb::Options&) =
      &ldb::TableBuilder::ChangeOptions;
  void (ldb::TableBuilder::*tbadd)(const ldb::Slice&, const ldb::Slice&) =
      &ldb::TableBuilder::Add;
  void (ldb::TableBuilder::*tbflush)() = &ldb::TableBuilder::Flush;
  ldb::Status (ldb::TableBuilder::*tbstatus)() const = &ldb::TableBuilder::status;
  ldb::Status (ldb::TableBuilder::*tbfinish)() = &ldb::TableBuilder::Finish;
  void (ldb::TableBuilder::*tbabandon)() = &ldb::TableBuilder::Abandon;
  uint64_t (ldb::TableBuilder::*tbentries)() const = &ldb::TableBuilder::NumEntries;
  uint64_t (ldb::TableBuilder::*tbsize)() const = &ldb::TableBuilder::FileSize;
  ldb::Env* (ldb::EnvWrapper::*target)() const = &ldb::EnvWrapper::target;
  Keep(reg), Keep(bput), Keep(bdel), Keep(bclear), Keep(bsize), Keep(bappend);
  Keep(biter), Keep(tostr), Keep(titer), Keep(toff), Keep(tbchange);
  Keep(tbadd), Keep(tbflush), Keep(tbstatus), Keep(tbfinish), Keep(tbabandon);
  Keep(tbentries), Keep(tbsize), Keep(target);

  // Calls, as programs write them: default arguments and inline helpers.
  ldb::Options options;
  options.comparator = ldb::BytewiseComparator();
  ldb::ReadOptions ro;
  ldb::WriteOptions wo;
  ldb::Slice a("a"), b("b", 1), c(std::string("c")), d;
  ldb::Slice e(a);
  e = b;
  e.remove_prefix(0);
  e.clear();
  Keep(a.data()), Keep(a.size()), Keep(a.empty()), Keep(a[0]);
  Keep(a.ToString()), Keep(a.compare(b)), Keep(a.starts_with(b));
  Keep(a == b), Keep(a != b);
  ldb::Range range(a, b), range2;
  Keep(range), Keep(range2);

  ldb::Status s = ldb::Status::NotFound("x");
  ldb::Status s2 = ldb::Status::Corruption("x", "y");
  ldb::Status s3 = ldb::Status::NotSupported("x");
  ldb::Status s4 = ldb::Status::InvalidArgument("x");
  ldb::Status s5 = ldb::Status::IOError("x");
  ldb::Status s6(s);
  ldb::Status s7(std::move(s6));
  s6 = s2;
  s7 = std::move(s3);
  s = ldb::Status::OK();
  Keep(s.ok()), Keep(s.IsNotFound()), Keep(s.IsCorruption()), Keep(s.IsIOError());
  Keep(s.IsNotSupportedError()), Keep(s.IsInvalidArgument()), Keep(s.ToString());
  Keep(s4), Keep(s5);

  ldb::DB* opened = nullptr;
  s = ldb::DB::Open(options, "name", &opened);
  s = ldb::DestroyDB("name", options);
  s = ldb::RepairDB("name", options);
  s = db->DB::Put(wo, a, b);
  s = db->DB::Delete(wo, a);
  std::string value;
  s = db->Get(ro, a, &value);
  delete db;

  ldb::WriteBatch batch, copy(batch);
  copy = batch;
  batch.Put(a, b);
  batch.Delete(a);
  batch.Append(copy);
  Keep(batch.ApproximateSize());
  MyHandler handler;
  s = batch.Iterate(&handler);
  batch.Clear();

  it->RegisterCleanup(&Cleanup, nullptr, nullptr);
  delete it;
  MyIterator mine;
  Keep(mine.Valid());
  delete ldb::NewErrorIterator(s);

  // The Env's own definitions, called past the vtable.
  s = env->Env::NewAppendableFile("f", &wf);
  s = env->Env::RemoveFile("f");
  s = env->Env::DeleteFile("f");
  s = env->Env::RemoveDir("d");
  s = env->Env::DeleteDir("d");
  MyEnv wrapper;
  s = wrapper.GetTestDirectory(&value);
  s = ldb::WriteStringToFile(env, a, "f");
  s = ldb::ReadFileToString(env, "f", &value);
  ldb::Log(logger, "%d", 1);
  delete ldb::NewMemEnv(env);
  s = ldb::DumpFile(env, "f", wf);

  cache->Cache::Prune();
  cache->Release(cache->Insert(a, nullptr, 1, &Deleter));
  delete cache;
  delete ldb::NewLRUCache(1);
  MyCache my_cache;
  Keep(my_cache.TotalCharge());
  MyComparator cmp;
  MyPolicy policy;
  MyLogger my_logger;
  MyLock lock;
  MySequential seq;
  MyRandom random;
  MyWritable writable;
  MyDB my_db;
  Keep(cmp), Keep(policy), Keep(my_logger), Keep(lock), Keep(seq);
  Keep(random), Keep(writable), Keep(my_db);
  env->Schedule(&Work, nullptr);

  ldb::Table* table = nullptr;
  s = ldb::Table::Open(options, raf, 0, &table);
  delete table->NewIterator(ro);
  Keep(table->ApproximateOffsetOf(a));
  delete table;
  ldb::TableBuilder builder(options, wf);
  s = builder.ChangeOptions(options);
  builder.Add(a, b);
  builder.Flush();
  s = builder.status();
  s = builder.Finish();
  builder.Abandon();
  Keep(builder.NumEntries()), Keep(builder.FileSize());
}
