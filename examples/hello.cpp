// The first program a LevelDB user writes, in LevelDB 1.23's own C++ API:
// open (creating) a database, put "aaa" -> "000", iterate, get, close.
//
//   cargo build --release && ln -sf libleveldb.so target/release/libleveldb.so.1
//   c++ -std=c++11 -Iinclude examples/hello.cpp -Ltarget/release -lleveldb -o target/hello_cxx
//   LD_LIBRARY_PATH=target/release target/hello_cxx [DB_DIR]
#include <cstdio>
#include <string>

#include "leveldb/db.h"

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "/tmp/strata_hello_cpp";

  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  leveldb::Status status = leveldb::DB::Open(options, name, &db);
  if (!status.ok()) {
    std::fprintf(stderr, "open: %s\n", status.ToString().c_str());
    return 1;
  }

  status = db->Put(leveldb::WriteOptions(), "aaa", "000");
  if (!status.ok()) {
    std::fprintf(stderr, "put: %s\n", status.ToString().c_str());
    delete db;
    return 1;
  }

  leveldb::Iterator* it = db->NewIterator(leveldb::ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::printf("%s => %s\n", it->key().ToString().c_str(),
                it->value().ToString().c_str());
  }
  status = it->status();
  delete it;
  if (!status.ok()) {
    std::fprintf(stderr, "iterate: %s\n", status.ToString().c_str());
    delete db;
    return 1;
  }

  std::string value;
  status = db->Get(leveldb::ReadOptions(), "aaa", &value);
  if (!status.ok()) {
    std::fprintf(stderr, "get: %s\n", status.ToString().c_str());
    delete db;
    return 1;
  }
  std::printf("get aaa = %s\n", value.c_str());

  delete db;
  return 0;
}
