// The environment and file-level API through LevelDB 1.23's C++ headers:
// every Env method of Env::Default() (NewMemEnv: api_memenv.cc), an
// EnvWrapper subclass that counts
// the calls a database makes through it, WriteStringToFile /
// ReadFileToString, TableBuilder and Table (built through a WritableFile,
// reopened through Table::Open), and DumpFile on a log, a manifest and a
// table.

#include <atomic>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <algorithm>

#include "cpp_test.h"
#include "env_methods.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/dumpfile.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"
#include "leveldb/write_batch.h"

using cpptest::Clean;
using cpptest::Path;
using cpptest::Say;
using cpptest::SayStatus;
using cpptest::Show;
using envtest::Children;
using envtest::FileMethods;
using envtest::StringSink;

namespace {

std::atomic<int> background_runs{0};
void Background(void* arg) { background_runs += *static_cast<int*>(arg); }

void WaitFor(int want) {
  leveldb::Env* env = leveldb::Env::Default();
  for (int i = 0; i < 10000 && background_runs.load() < want; i++) {
    env->SleepForMicroseconds(1000);
  }
}


void DefaultEnv() {
  Say("== Env::Default");
  leveldb::Env* env = leveldb::Env::Default();
  Say("same object twice=%d", env == leveldb::Env::Default());
  FileMethods(env, Path("envdir"), false);
  SayStatus("CreateDir twice",
            (env->CreateDir(Path("twice")), env->CreateDir(Path("twice"))));
  CHECK_OK(leveldb::WriteStringToFile(env, "x", Path("twice/x")));
  SayStatus("RemoveDir non-empty", env->RemoveDir(Path("twice")));

  uint64_t t0 = env->NowMicros();
  env->SleepForMicroseconds(2000);
  uint64_t t1 = env->NowMicros();
  Say("clock advanced by the sleep=%d", t1 - t0 >= 2000);
  int one = 1, ten = 10;
  env->Schedule(&Background, &one);
  env->Schedule(&Background, &one);
  WaitFor(2);
  Say("scheduled runs=%d", background_runs.load());
  env->StartThread(&Background, &ten);
  WaitFor(12);
  Say("after StartThread=%d", background_runs.load());
}


// Counts every call a database makes through its Env.
class CountingEnv : public leveldb::EnvWrapper {
 public:
  explicit CountingEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}
  enum Method {
    kSequential, kRandom, kWritable, kAppendable, kExists, kChildren,
    kRemoveFile, kCreateDir, kRemoveDir, kFileSize, kRename, kLock,
    kUnlock, kSchedule, kStartThread, kTestDir, kLogger, kNow, kSleep,
    kCount
  };
  std::atomic<int> calls[kCount];
  CountingEnv* Reset() {
    for (std::atomic<int>& c : calls) c = 0;
    return this;
  }

  leveldb::Status NewSequentialFile(const std::string& f,
                                    leveldb::SequentialFile** r) override {
    calls[kSequential]++;
    return target()->NewSequentialFile(f, r);
  }
  leveldb::Status NewRandomAccessFile(const std::string& f,
                                      leveldb::RandomAccessFile** r) override {
    calls[kRandom]++;
    return target()->NewRandomAccessFile(f, r);
  }
  leveldb::Status NewWritableFile(const std::string& f,
                                  leveldb::WritableFile** r) override {
    calls[kWritable]++;
    return target()->NewWritableFile(f, r);
  }
  leveldb::Status NewAppendableFile(const std::string& f,
                                    leveldb::WritableFile** r) override {
    calls[kAppendable]++;
    return target()->NewAppendableFile(f, r);
  }
  bool FileExists(const std::string& f) override {
    calls[kExists]++;
    return target()->FileExists(f);
  }
  leveldb::Status GetChildren(const std::string& d,
                              std::vector<std::string>* r) override {
    calls[kChildren]++;
    return target()->GetChildren(d, r);
  }
  leveldb::Status RemoveFile(const std::string& f) override {
    calls[kRemoveFile]++;
    return target()->RemoveFile(f);
  }
  leveldb::Status DeleteFile(const std::string& f) override {
    calls[kRemoveFile]++;
    return target()->RemoveFile(f);
  }
  leveldb::Status CreateDir(const std::string& d) override {
    calls[kCreateDir]++;
    return target()->CreateDir(d);
  }
  leveldb::Status RemoveDir(const std::string& d) override {
    calls[kRemoveDir]++;
    return target()->RemoveDir(d);
  }
  leveldb::Status DeleteDir(const std::string& d) override {
    calls[kRemoveDir]++;
    return target()->RemoveDir(d);
  }
  leveldb::Status GetFileSize(const std::string& f, uint64_t* s) override {
    calls[kFileSize]++;
    return target()->GetFileSize(f, s);
  }
  leveldb::Status RenameFile(const std::string& s,
                             const std::string& t) override {
    calls[kRename]++;
    return target()->RenameFile(s, t);
  }
  leveldb::Status LockFile(const std::string& f, leveldb::FileLock** l) override {
    calls[kLock]++;
    return target()->LockFile(f, l);
  }
  leveldb::Status UnlockFile(leveldb::FileLock* l) override {
    calls[kUnlock]++;
    return target()->UnlockFile(l);
  }
  void Schedule(void (*f)(void*), void* a) override {
    calls[kSchedule]++;
    target()->Schedule(f, a);
  }
  void StartThread(void (*f)(void*), void* a) override {
    calls[kStartThread]++;
    target()->StartThread(f, a);
  }
  leveldb::Status GetTestDirectory(std::string* p) override {
    calls[kTestDir]++;
    return target()->GetTestDirectory(p);
  }
  leveldb::Status NewLogger(const std::string& f, leveldb::Logger** r) override {
    calls[kLogger]++;
    return target()->NewLogger(f, r);
  }
  uint64_t NowMicros() override {
    calls[kNow]++;
    return target()->NowMicros();
  }
  void SleepForMicroseconds(int micros) override {
    calls[kSleep]++;
    target()->SleepForMicroseconds(micros);
  }
};

// "name>0" for each method a database must call in the phase just run.
void SayUsed(const char* phase, CountingEnv& env,
             const std::vector<CountingEnv::Method>& must) {
  static const char* const kNames[] = {
      "NewSequentialFile", "NewRandomAccessFile", "NewWritableFile",
      "NewAppendableFile", "FileExists", "GetChildren", "RemoveFile",
      "CreateDir", "RemoveDir", "GetFileSize", "RenameFile", "LockFile",
      "UnlockFile", "Schedule", "StartThread", "GetTestDirectory",
      "NewLogger", "NowMicros", "SleepForMicroseconds"};
  std::string line = phase;
  for (CountingEnv::Method m : must) {
    line += std::string(" ") + kNames[m] + (env.calls[m] > 0 ? ">0" : "=0");
  }
  Say("%s", line.c_str());
}

void WrappedEnv() {
  Say("== EnvWrapper counting a database's calls");
  CountingEnv env(leveldb::Env::Default());
  Say("target is Env::Default=%d", env.target() == leveldb::Env::Default());
  leveldb::Options options;
  options.env = env.Reset();
  options.create_if_missing = true;
  options.write_buffer_size = 32 * 1024;
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, Path("counted"), &db));
  SayUsed("create:", env,
          {CountingEnv::kCreateDir, CountingEnv::kLock, CountingEnv::kExists,
           CountingEnv::kWritable, CountingEnv::kRename,
           CountingEnv::kChildren, CountingEnv::kLogger});
  env.Reset();
  for (int i = 0; i < 2000; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "c%05d", i);
    CHECK_OK(db->Put(leveldb::WriteOptions(), key, std::string(100, 'c')));
  }
  db->CompactRange(nullptr, nullptr);
  std::string v;
  CHECK_OK(db->Get(leveldb::ReadOptions(), "c01000", &v));
  SayUsed("write+compact+read:", env,
          {CountingEnv::kWritable, CountingEnv::kSchedule,
           CountingEnv::kRandom, CountingEnv::kRemoveFile,
           CountingEnv::kNow});
  env.Reset();
  delete db;
  SayUsed("close:", env, {CountingEnv::kUnlock});
  env.Reset();
  options.create_if_missing = false;
  CHECK_OK(leveldb::DB::Open(options, Path("counted"), &db));
  SayUsed("reopen:", env,
          {CountingEnv::kSequential, CountingEnv::kLock,
           CountingEnv::kChildren, CountingEnv::kWritable,
           CountingEnv::kRename});
  delete db;
  env.Reset();
  CHECK_OK(leveldb::DestroyDB(Path("counted"), options));
  SayUsed("destroy:", env,
          {CountingEnv::kChildren, CountingEnv::kLock,
           CountingEnv::kRemoveFile, CountingEnv::kUnlock,
           CountingEnv::kRemoveDir});
  env.Reset();
  CHECK_OK(leveldb::RepairDB(Path("counted"), options));
  Say("repair of an absent db uses the env: %d", env.calls[CountingEnv::kLock] +
      env.calls[CountingEnv::kChildren] + env.calls[CountingEnv::kCreateDir] > 0);
}

std::string Key(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "t%05d", i);
  return key;
}

// Builds a table of keys t00000..t(n-1) at path; returns its size.
uint64_t BuildTable(const leveldb::Options& options, const std::string& path,
                    int n, bool say) {
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::WritableFile* file = nullptr;
  CHECK_OK(env->NewWritableFile(path, &file));
  leveldb::TableBuilder builder(options, file);
  // The same comparator (another pointer to it) is no change. (Flush() and
  // ChangeOptions' effect on later blocks: api_table_options.cc.)
  leveldb::Options same = options;
  same.comparator = leveldb::BytewiseComparator();
  CHECK_OK(builder.ChangeOptions(same));
  for (int i = 0; i < n; i++) {
    builder.Add(Key(i), "value-" + Key(i) + std::string(static_cast<size_t>(i % 50), 'v'));
  }
  if (say) {
    Say("before finish: entries=%llu status=%s",
        static_cast<unsigned long long>(builder.NumEntries()),
        builder.status().ToString().c_str());
  }
  CHECK_OK(builder.Finish());
  CHECK_OK(file->Sync());
  CHECK_OK(file->Close());
  delete file;
  return builder.FileSize();
}

class ShoutingComparator : public leveldb::Comparator {
 public:
  int Compare(const leveldb::Slice& a, const leveldb::Slice& b) const override {
    return a.compare(b);
  }
  const char* Name() const override { return "strata.Other"; }
  void FindShortestSeparator(std::string*, const leveldb::Slice&) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

void Tables() {
  Say("== TableBuilder / Table");
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  options.block_size = 512;
  uint64_t size = BuildTable(options, Path("plain.ldb"), 1000, true);
  uint64_t on_disk = 0;
  CHECK_OK(env->GetFileSize(Path("plain.ldb"), &on_disk));
  std::string bytes;
  CHECK_OK(leveldb::ReadFileToString(env, Path("plain.ldb"), &bytes));
  Say("plain table: FileSize=%llu on disk=%llu fingerprint=%016llx",
      static_cast<unsigned long long>(size),
      static_cast<unsigned long long>(on_disk),
      static_cast<unsigned long long>(cpptest::Fingerprint(bytes)));

  leveldb::RandomAccessFile* raf = nullptr;
  CHECK_OK(env->NewRandomAccessFile(Path("plain.ldb"), &raf));
  leveldb::Table* table = nullptr;
  CHECK_OK(leveldb::Table::Open(options, raf, on_disk, &table));
  leveldb::ReadOptions verify;
  verify.verify_checksums = true;
  leveldb::Iterator* it = table->NewIterator(verify);
  int count = 0;
  std::string first, last;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (count++ == 0) first = it->key().ToString();
    last = it->key().ToString();
  }
  CHECK_OK(it->status());
  Say("iterated %d: first=%s last=%s", count, first.c_str(), last.c_str());
  it->Seek("t00500x");
  Say("seek t00500x -> %s = %s", Show(it->key()).c_str(),
      Show(it->value()).c_str());
  it->Prev();
  Say("prev -> %s", Show(it->key()).c_str());
  int back = 0;
  for (it->SeekToLast(); it->Valid(); it->Prev()) back++;
  Say("backwards %d", back);
  delete it;
  std::string offsets = "offsets:";
  uint64_t previous = 0;
  bool monotonic = true;
  for (const char* key : {"", "t00000", "t00250", "t00500", "t00999", "u"}) {
    uint64_t at = table->ApproximateOffsetOf(key);
    monotonic = monotonic && at >= previous;
    previous = at;
    offsets += " " + std::to_string(at);
  }
  Say("%s monotonic=%d within file=%d", offsets.c_str(), monotonic,
      previous <= on_disk);
  delete table;
  delete raf;

  // Compressed with Snappy: only the round trip is compared (compressed
  // bytes depend on the compressor's version).
  options.compression = leveldb::kSnappyCompression;
  BuildTable(options, Path("snappy.ldb"), 300, false);
  CHECK_OK(env->GetFileSize(Path("snappy.ldb"), &on_disk));
  CHECK_OK(env->NewRandomAccessFile(Path("snappy.ldb"), &raf));
  CHECK_OK(leveldb::Table::Open(options, raf, on_disk, &table));
  it = table->NewIterator(leveldb::ReadOptions());
  count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
  Say("snappy table: entries=%d smaller=%d", count, on_disk < size);
  delete it;
  delete table;
  delete raf;

  // A builder abandoned, and one refused a new comparator.
  leveldb::WritableFile* file = nullptr;
  CHECK_OK(env->NewWritableFile(Path("abandoned.ldb"), &file));
  {
    leveldb::TableBuilder builder(options, file);
    builder.Add("a", "1");
    ShoutingComparator other_cmp;
    leveldb::Options other = options;
    other.comparator = &other_cmp;
    SayStatus("ChangeOptions(new comparator)", builder.ChangeOptions(other));
    builder.Abandon();
    Say("abandoned: entries=%llu status=%s",
        static_cast<unsigned long long>(builder.NumEntries()),
        builder.status().ToString().c_str());
  }
  CHECK_OK(file->Close());
  delete file;

  // Not tables at all.
  CHECK_OK(leveldb::WriteStringToFile(env, "short", Path("short.ldb")));
  CHECK_OK(leveldb::WriteStringToFile(env, std::string(100, 'z'),
                                      Path("junk.ldb")));
  for (const char* name : {"short.ldb", "junk.ldb"}) {
    CHECK_OK(env->GetFileSize(Path(name), &on_disk));
    CHECK_OK(env->NewRandomAccessFile(Path(name), &raf));
    table = reinterpret_cast<leveldb::Table*>(raf);
    leveldb::Status s = leveldb::Table::Open(options, raf, on_disk, &table);
    SayStatus(name, s);
    Say("  table null=%d", table == nullptr);
    delete raf;
  }
}

void Dumps() {
  Say("== DumpFile");
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, Path("dumped"), &db));
  CHECK_OK(db->Put(leveldb::WriteOptions(), "alpha", "1"));
  leveldb::WriteBatch batch;
  batch.Put("beta", std::string("2\0two", 5));
  batch.Delete("alpha");
  CHECK_OK(db->Write(leveldb::WriteOptions(), &batch));
  delete db;
  std::vector<std::string> names;
  CHECK_OK(env->GetChildren(Path("dumped"), &names));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    bool log = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    if (!log && name.compare(0, 9, "MANIFEST-") != 0) continue;
    StringSink sink;
    CHECK_OK(leveldb::DumpFile(env, Path("dumped/" + name), &sink));
    Say("dump of %s:\n%s", name.c_str(), Clean(sink.text).c_str());
  }
  // Compacted into a table of internal keys.
  CHECK_OK(leveldb::DB::Open(options, Path("dumped"), &db));
  db->CompactRange(nullptr, nullptr);
  delete db;
  names.clear();
  CHECK_OK(env->GetChildren(Path("dumped"), &names));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".ldb") != 0) {
      continue;
    }
    StringSink sink;
    CHECK_OK(leveldb::DumpFile(env, Path("dumped/" + name), &sink));
    Say("dump of %s:\n%s", name.c_str(), Clean(sink.text).c_str());
  }

  leveldb::Options small;
  small.compression = leveldb::kNoCompression;
  small.block_size = 64;
  // DumpFile tells a file's kind by its name (a number and .ldb here).
  BuildTable(small, Path("000123.ldb"), 5, false);
  StringSink sink;
  CHECK_OK(leveldb::DumpFile(env, Path("000123.ldb"), &sink));
  Say("dump of a table of user keys:\n%s", Clean(sink.text).c_str());
  sink.text.clear();
  SayStatus("dump of unknown kind", leveldb::DumpFile(env, Path("what.txt"), &sink));
  SayStatus("dump of missing log",
            leveldb::DumpFile(env, Path("dumped/999999.log"), &sink));
  Say("nothing written on errors: %d", sink.text.empty());
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  DefaultEnv();
  WrappedEnv();
  Tables();
  Dumps();
  Say("PASS");
  return 0;
}
