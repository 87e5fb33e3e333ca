// The database API through LevelDB 1.23's C++ headers: Options defaults,
// Open/Put/Get/Delete/Write, iterators (every method, both directions,
// seeks, RegisterCleanup, the empty and error iterators), snapshots,
// properties, approximate sizes, CompactRange, DestroyDB, RepairDB, the
// exact Status codes and texts, and WriteBatch (Put/Delete/Clear/Append/
// ApproximateSize/Iterate with a Handler, copies).

#include <cstdio>
#include <string>
#include <vector>

#include "cpp_test.h"
#include "leveldb/cache.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/write_batch.h"

using cpptest::Clean;
using cpptest::Path;
using cpptest::Say;
using cpptest::SayStatus;
using cpptest::Show;

namespace {

void StatusCodes() {
  Say("== status");
  leveldb::Status ok;
  Say("default ok=%d text=%s", ok.ok(), ok.ToString().c_str());
  Say("OK() ok=%d", leveldb::Status::OK().ok());
  const leveldb::Status all[] = {
      leveldb::Status::NotFound("nf"),
      leveldb::Status::Corruption("bad", "block"),
      leveldb::Status::NotSupported("ns", ""),
      leveldb::Status::InvalidArgument("arg", "x"),
      leveldb::Status::IOError("io", std::string("disk")),
      leveldb::Status::NotFound(leveldb::Slice("bin\0ary", 7)),
  };
  for (const leveldb::Status& s : all) {
    Say("%s | ok=%d nf=%d corrupt=%d io=%d notsup=%d inval=%d",
        Show(s.ToString()).c_str(), s.ok(), s.IsNotFound(), s.IsCorruption(),
        s.IsIOError(), s.IsNotSupportedError(), s.IsInvalidArgument());
  }
  // Copies and moves keep the code and text; the moved-from one is OK.
  leveldb::Status a = leveldb::Status::Corruption("copy me");
  leveldb::Status b(a);
  leveldb::Status c = std::move(a);
  Say("copy=%s move=%s moved-from ok=%d", b.ToString().c_str(),
      c.ToString().c_str(), a.ok());
  b = leveldb::Status::OK();
  leveldb::Status& same = c;
  c = same;
  Say("assigned ok=%d self-assigned=%s", b.ok(), c.ToString().c_str());
}

void Defaults() {
  Say("== options defaults");
  leveldb::Options o;
  Say("comparator=%s env-is-default=%d", o.comparator->Name(),
      o.env == leveldb::Env::Default());
  Say("create_if_missing=%d error_if_exists=%d paranoid_checks=%d",
      o.create_if_missing, o.error_if_exists, o.paranoid_checks);
  Say("info_log=%p block_cache=%p filter_policy=%p",
      static_cast<void*>(o.info_log), static_cast<void*>(o.block_cache),
      static_cast<const void*>(o.filter_policy));
  Say("write_buffer_size=%zu max_open_files=%d block_size=%zu",
      o.write_buffer_size, o.max_open_files, o.block_size);
  Say("block_restart_interval=%d max_file_size=%zu compression=%d "
      "reuse_logs=%d",
      o.block_restart_interval, o.max_file_size,
      static_cast<int>(o.compression), o.reuse_logs);
  leveldb::ReadOptions r;
  leveldb::WriteOptions w;
  Say("read verify=%d fill_cache=%d snapshot=%p; write sync=%d",
      r.verify_checksums, r.fill_cache, static_cast<const void*>(r.snapshot),
      w.sync);
  Say("version %d.%d", leveldb::kMajorVersion, leveldb::kMinorVersion);
  std::string a = "abc", b = "abd";
  const leveldb::Comparator* bytewise = leveldb::BytewiseComparator();
  Say("bytewise %s: compare(abc,abd)=%d", bytewise->Name(),
      bytewise->Compare(a, b) < 0 ? -1 : 1);
  std::string start = "abcdefg";
  bytewise->FindShortestSeparator(&start, "abzzz");
  std::string succ = "abc";
  bytewise->FindShortSuccessor(&succ);
  std::string ff = "\xff\xff";
  bytewise->FindShortSuccessor(&ff);
  Say("separator=%s successor=%s ff-successor=%s", Show(start).c_str(),
      Show(succ).c_str(), Show(ff).c_str());
}

leveldb::DB* OpenOk(const leveldb::Options& options, const std::string& name) {
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, name, &db));
  CHECK(db != nullptr);
  return db;
}

void OpenErrors() {
  Say("== open errors");
  leveldb::Options options;
  leveldb::DB* db = reinterpret_cast<leveldb::DB*>(&options);
  leveldb::Status s = leveldb::DB::Open(options, Path("missing"), &db);
  SayStatus("missing, create_if_missing=false", s);
  Say("invalid-argument=%d db-null=%d", s.IsInvalidArgument(), db == nullptr);

  options.create_if_missing = true;
  db = OpenOk(options, Path("db"));
  leveldb::DB* second = nullptr;
  s = leveldb::DB::Open(options, Path("db"), &second);
  SayStatus("second open in one process", s);
  Say("io-error=%d db-null=%d", s.IsIOError(), second == nullptr);
  delete db;

  options.error_if_exists = true;
  s = leveldb::DB::Open(options, Path("db"), &db);
  SayStatus("error_if_exists", s);
  Say("invalid-argument=%d", s.IsInvalidArgument());

  // A regular file where the directory should be.
  CHECK_OK(leveldb::WriteStringToFile(leveldb::Env::Default(), "x",
                                      Path("plainfile")));
  options.error_if_exists = false;
  s = leveldb::DB::Open(options, Path("plainfile"), &db);
  SayStatus("a file in the way", s);
  Say("io-error=%d", s.IsIOError());

  // A CURRENT file without its newline.
  CHECK_OK(leveldb::WriteStringToFile(leveldb::Env::Default(),
                                      "MANIFEST-000001", Path("db/CURRENT")));
  s = leveldb::DB::Open(options, Path("db"), &db);
  SayStatus("damaged CURRENT", s);
  Say("corruption=%d", s.IsCorruption());
  // CURRENT naming a manifest that does not exist.
  CHECK_OK(leveldb::WriteStringToFile(leveldb::Env::Default(),
                                      "MANIFEST-000099\n", Path("db/CURRENT")));
  s = leveldb::DB::Open(options, Path("db"), &db);
  SayStatus("missing manifest", s);
  Say("corruption=%d", s.IsCorruption());
  CHECK_OK(leveldb::DestroyDB(Path("db"), options));
  Say("destroyed: exists=%d",
      leveldb::Env::Default()->FileExists(Path("db")));
  CHECK_OK(leveldb::DestroyDB(Path("never-was"), options));
  Say("destroy of a missing db: ok");
}

class Recorder : public leveldb::WriteBatch::Handler {
 public:
  void Put(const leveldb::Slice& key, const leveldb::Slice& value) override {
    Say("  handler Put(%s, %s)", Show(key).c_str(), Show(value).c_str());
  }
  void Delete(const leveldb::Slice& key) override {
    Say("  handler Delete(%s)", Show(key).c_str());
  }
};

void Batches() {
  Say("== write batch");
  leveldb::WriteBatch batch;
  Say("empty size=%zu", batch.ApproximateSize());
  batch.Put("k1", "v1");
  batch.Delete("k0");
  batch.Put(leveldb::Slice("bin\0k", 5), leveldb::Slice("\x01\x00", 2));
  Say("three updates size=%zu", batch.ApproximateSize());
  Recorder recorder;
  CHECK_OK(batch.Iterate(&recorder));
  leveldb::WriteBatch other;
  other.Put("k2", "v2");
  batch.Append(other);
  Say("appended size=%zu (other still %zu)", batch.ApproximateSize(),
      other.ApproximateSize());
  CHECK_OK(batch.Iterate(&recorder));
  leveldb::WriteBatch copy(batch);
  batch.Clear();
  Say("cleared size=%zu copy size=%zu", batch.ApproximateSize(),
      copy.ApproximateSize());
  CHECK_OK(batch.Iterate(&recorder));
  batch = copy;
  Say("assigned size=%zu", batch.ApproximateSize());
}

std::string Get(leveldb::DB* db, const std::string& key,
                const leveldb::ReadOptions& r = leveldb::ReadOptions()) {
  std::string value = "untouched";
  leveldb::Status s = db->Get(r, key, &value);
  if (s.IsNotFound()) return "<" + s.ToString() + "; value " + value + ">";
  CHECK_OK(s);
  return Show(value);
}

void Walk(leveldb::Iterator* it, const char* label) {
  std::string line = label;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    line += " " + Show(it->key()) + "=" + Show(it->value());
  }
  CHECK_OK(it->status());
  line += " |";
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    line += " " + Show(it->key());
  }
  CHECK_OK(it->status());
  Say("%s", line.c_str());
}

int cleanups = 0;
void CountCleanup(void* arg1, void* arg2) {
  cleanups += *static_cast<int*>(arg1) + (arg2 == nullptr ? 0 : 100);
}

void Iterators(leveldb::DB* db) {
  Say("== iterators");
  leveldb::Iterator* it = db->NewIterator(leveldb::ReadOptions());
  Say("fresh valid=%d", it->Valid());
  Walk(it, "all:");
  it->Seek("b");
  Say("seek b -> %s", it->Valid() ? Show(it->key()).c_str() : "(end)");
  it->Seek("c1");
  Say("seek c1 -> %s", it->Valid() ? Show(it->key()).c_str() : "(end)");
  it->Prev();
  Say("prev -> %s", it->Valid() ? Show(it->key()).c_str() : "(end)");
  it->Next();
  it->Next();
  Say("next next -> %s", it->Valid() ? Show(it->key()).c_str() : "(end)");
  it->Seek("zzz");
  Say("seek zzz valid=%d", it->Valid());
  it->Seek("");
  Say("seek '' -> %s", it->Valid() ? Show(it->key()).c_str() : "(end)");
  it->Prev();
  Say("prev before first valid=%d", it->Valid());
  it->SeekToLast();
  it->Next();
  Say("next after last valid=%d status=%s", it->Valid(),
      it->status().ToString().c_str());
  int one = 1, two = 2;
  it->RegisterCleanup(&CountCleanup, &one, nullptr);
  it->RegisterCleanup(&CountCleanup, &two, &two);
  it->RegisterCleanup(&CountCleanup, &one, nullptr);
  Say("cleanups before delete=%d", cleanups);
  delete it;
  Say("cleanups after delete=%d", cleanups);

  leveldb::Iterator* empty = leveldb::NewEmptyIterator();
  empty->SeekToFirst();
  Say("empty: valid=%d status=%s", empty->Valid(),
      empty->status().ToString().c_str());
  empty->Seek("a");
  empty->SeekToLast();
  Say("empty after seeks: valid=%d", empty->Valid());
  cleanups = 0;
  empty->RegisterCleanup(&CountCleanup, &two, nullptr);
  delete empty;
  Say("empty iterator cleanup ran: %d", cleanups);
  leveldb::Iterator* error =
      leveldb::NewErrorIterator(leveldb::Status::IOError("gone", "away"));
  error->SeekToFirst();
  Say("error: valid=%d status=%s io=%d", error->Valid(),
      error->status().ToString().c_str(), error->status().IsIOError());
  delete error;
}

void Snapshots(leveldb::DB* db) {
  Say("== snapshots");
  leveldb::WriteOptions w;
  CHECK_OK(db->Put(w, "snap", "before"));
  const leveldb::Snapshot* snap = db->GetSnapshot();
  CHECK(snap != nullptr);
  CHECK_OK(db->Put(w, "snap", "after"));
  CHECK_OK(db->Delete(w, "a"));
  CHECK_OK(db->Put(w, "new", "1"));
  leveldb::ReadOptions at;
  at.snapshot = snap;
  Say("now snap=%s a=%s new=%s", Get(db, "snap").c_str(), Get(db, "a").c_str(),
      Get(db, "new").c_str());
  Say("at snapshot snap=%s a=%s new=%s", Get(db, "snap", at).c_str(),
      Get(db, "a", at).c_str(), Get(db, "new", at).c_str());
  leveldb::Iterator* it = db->NewIterator(at);
  Walk(it, "snapshot view:");
  delete it;
  // An iterator sees the database as of its creation.
  it = db->NewIterator(leveldb::ReadOptions());
  CHECK_OK(db->Put(w, "late", "x"));
  Walk(it, "iterator made before 'late':");
  delete it;
  db->ReleaseSnapshot(snap);
  const leveldb::Snapshot* s1 = db->GetSnapshot();
  const leveldb::Snapshot* s2 = db->GetSnapshot();
  db->ReleaseSnapshot(s2);
  db->ReleaseSnapshot(s1);
  Say("snapshots released");
}

void Properties(leveldb::DB* db) {
  Say("== properties");
  std::string v = "untouched";
  Say("unknown property: %d (value %s)", db->GetProperty("leveldb.nope", &v),
      v.c_str());
  Say("no prefix: %d", db->GetProperty("num-files-at-level0", &v));
  Say("level 7: %d", db->GetProperty("leveldb.num-files-at-level7", &v));
  bool found = db->GetProperty("leveldb.num-files-at-level0", &v);
  Say("level0: %d %s", found, v.c_str());
  found = db->GetProperty("leveldb.stats", &v);
  Say("stats: %d has-level-table=%d", found,
      v.find("Level  Files Size(MB) Time(sec) Read(MB) Write(MB)") !=
          std::string::npos);
  found = db->GetProperty("leveldb.sstables", &v);
  Say("sstables: %d", found);
  found = db->GetProperty("leveldb.approximate-memory-usage", &v);
  Say("memory: %d positive=%d", found, std::strtoull(v.c_str(), nullptr, 10) > 0);
}

void Sizes(leveldb::DB* db) {
  Say("== bulk, sizes, compaction");
  leveldb::WriteOptions w;
  // Values that do not compress, so file sizes track the data.
  uint32_t seed = 12345;
  std::string value(200, 'v');
  for (int i = 0; i < 3000; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "bulk%06d", i);
    for (char& c : value) {
      seed = seed * 1103515245u + 12345u;
      c = static_cast<char>(seed >> 24);
    }
    value[0] = static_cast<char>('a' + i % 26);
    CHECK_OK(db->Put(w, key, value));
  }
  db->CompactRange(nullptr, nullptr);
  std::string v;
  CHECK(db->GetProperty("leveldb.num-files-at-level0", &v));
  Say("after full compaction: level0 files=%s", v.c_str());
  leveldb::Range ranges[4] = {
      leveldb::Range("bulk000000", "bulk001000"),
      leveldb::Range("bulk000000", "bulk002000"),
      leveldb::Range("bulk000000", "bulk003000"),
      leveldb::Range("x", "y"),
  };
  uint64_t sizes[4] = {1, 1, 1, 1};
  db->GetApproximateSizes(ranges, 4, sizes);
  Say("sizes: first>0=%d monotonic=%d all>=500KB=%d empty-range=%llu",
      sizes[0] > 0, sizes[0] <= sizes[1] && sizes[1] <= sizes[2],
      sizes[2] >= 500 * 1000, static_cast<unsigned long long>(sizes[3]));
  db->GetApproximateSizes(ranges, 0, sizes);

  for (int i = 0; i < 3000; i += 2) {
    char key[16];
    std::snprintf(key, sizeof(key), "bulk%06d", i);
    CHECK_OK(db->Delete(w, key));
  }
  leveldb::Slice begin("bulk000000"), end("bulk001499");
  db->CompactRange(&begin, &end);
  db->CompactRange(&begin, nullptr);
  db->CompactRange(nullptr, &end);
  int count = 0;
  leveldb::Iterator* it = db->NewIterator(leveldb::ReadOptions());
  for (it->Seek("bulk"); it->Valid() && it->key().starts_with("bulk");
       it->Next()) {
    count++;
  }
  delete it;
  Say("bulk keys left=%d bulk000001=%c bulk000002=%s", count,
      Get(db, "bulk000001")[0], Get(db, "bulk000002").c_str());
}

void Basics(leveldb::DB* db) {
  Say("== put/get/delete/write");
  leveldb::WriteOptions w;
  CHECK_OK(db->Put(w, "a", "1"));
  CHECK_OK(db->Put(w, "b", "2"));
  CHECK_OK(db->Put(w, "c", "3"));
  CHECK_OK(db->Put(w, "c2", ""));
  CHECK_OK(db->Put(w, leveldb::Slice("n\0l", 3), leveldb::Slice("\0\xff", 2)));
  Say("a=%s b=%s c2=%s nul=%s", Get(db, "a").c_str(), Get(db, "b").c_str(),
      Get(db, "c2").c_str(), Get(db, std::string("n\0l", 3)).c_str());
  Say("missing=%s", Get(db, "zz").c_str());
  w.sync = true;
  CHECK_OK(db->Put(w, "b", "two"));
  CHECK_OK(db->Delete(w, "c"));
  CHECK_OK(db->Delete(w, "never"));
  w.sync = false;
  Say("b=%s c=%s", Get(db, "b").c_str(), Get(db, "c").c_str());
  leveldb::WriteBatch batch;
  batch.Put("d", "4");
  batch.Put("e", "5");
  batch.Delete("d");
  batch.Put("a", "one");
  CHECK_OK(db->Write(w, &batch));
  leveldb::WriteBatch empty;
  CHECK_OK(db->Write(w, &empty));
  Say("after batch a=%s d=%s e=%s", Get(db, "a").c_str(), Get(db, "d").c_str(),
      Get(db, "e").c_str());
  leveldb::ReadOptions checked;
  checked.verify_checksums = true;
  checked.fill_cache = false;
  Say("verified read a=%s", Get(db, "a", checked).c_str());
}

void Lifecycle() {
  leveldb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 64 * 1024;
  leveldb::DB* db = OpenOk(options, Path("main"));
  Basics(db);
  Iterators(db);
  Snapshots(db);
  Properties(db);
  Sizes(db);
  delete db;

  Say("== reopen, repair, destroy");
  options.create_if_missing = false;
  db = OpenOk(options, Path("main"));
  Say("reopened a=%s new=%s late=%s", Get(db, "a").c_str(),
      Get(db, "new").c_str(), Get(db, "late").c_str());
  delete db;
  CHECK_OK(leveldb::RepairDB(Path("main"), options));
  db = OpenOk(options, Path("main"));
  Say("repaired a=%s bulk002999=%c", Get(db, "a").c_str(),
      Get(db, "bulk002999")[0]);
  delete db;
  std::vector<std::string> children;
  CHECK_OK(leveldb::Env::Default()->GetChildren(Path("main"), &children));
  Say("files before destroy: %d", !children.empty());
  CHECK_OK(leveldb::DestroyDB(Path("main"), options));
  leveldb::Status s = leveldb::DB::Open(options, Path("main"), &db);
  SayStatus("open after destroy", s);
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  StatusCodes();
  Defaults();
  Batches();
  OpenErrors();
  Lifecycle();
  Say("PASS");
  return 0;
}
