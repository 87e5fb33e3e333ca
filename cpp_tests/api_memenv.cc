// NewMemEnv through LevelDB 1.23's C++ headers: every Env method of an
// in-memory Env (LevelDB's own semantics: its error texts, its locks that
// never conflict, its logger that writes nothing, its test directory), and
// a database held entirely in memory, with nothing on disk.

#include <string>

#include "cpp_test.h"
#include "env_methods.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/helpers/memenv.h"
#include "leveldb/options.h"

using cpptest::Path;
using cpptest::Say;
using envtest::Children;
using envtest::FileMethods;

namespace {

void MemEnv() {
  Say("== NewMemEnv");
  leveldb::Env* mem = leveldb::NewMemEnv(leveldb::Env::Default());
  FileMethods(mem, Path("memdir"), true);
  leveldb::Options options;
  options.env = mem;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, Path("memdb"), &db));
  for (int i = 0; i < 1000; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "m%05d", i);
    CHECK_OK(db->Put(leveldb::WriteOptions(), key, std::string(100, 'm')));
  }
  db->CompactRange(nullptr, nullptr);
  delete db;
  db = nullptr;
  options.create_if_missing = false;
  CHECK_OK(leveldb::DB::Open(options, Path("memdb"), &db));
  std::string v;
  CHECK_OK(db->Get(leveldb::ReadOptions(), "m00500", &v));
  Say("reopened in memory: value size=%zu", v.size());
  delete db;
  Say("memory files=%s", Children(mem, Path("memdb")).c_str());
  leveldb::Env* disk = leveldb::Env::Default();
  Say("on disk: memdb=%d memdir=%d", disk->FileExists(Path("memdb")),
      disk->FileExists(Path("memdir")));
  CHECK_OK(leveldb::DestroyDB(Path("memdb"), options));
  Say("destroyed: memory files=%s", Children(mem, Path("memdb")).c_str());
  leveldb::Env* other = leveldb::NewMemEnv(leveldb::Env::Default());
  Say("a second memenv shares nothing: %d",
      !other->FileExists(Path("memdb/CURRENT")));
  delete other;
  delete mem;
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  MemEnv();
  Say("PASS");
  return 0;
}
