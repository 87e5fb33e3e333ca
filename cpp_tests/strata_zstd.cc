// Zstd tables through LevelDB's C++ API (Strata only: LevelDB 1.23 has no
// kZstdCompression): a database opened with `compression =
// kZstdCompression` (DIR/db, compacted) and a table written by
// `leveldb::TableBuilder` with it (DIR/table.ldb); both read back in full.
// tests/zstd_tables.rs then checks the block types and bytes of the files.

#include <string>

#include "cpp_test.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"

using cpptest::Path;
using cpptest::Say;

namespace {

const int kEntries = 2000;

std::string Key(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "z%06d", i);
  return key;
}

std::string Value(int i) {
  std::string v;
  for (int r = 0; r < 2 + i % 9; r++) v += "value " + Key(i) + " in a zstd block; ";
  return v;
}

// Walks `it` (then deletes it), checking the i-th entry is (Key(i),
// Value(i)); returns the number of entries.
int CheckedCount(leveldb::Iterator* it) {
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), count++) {
    CHECK(it->key().ToString() == Key(count));
    CHECK(it->value().ToString() == Value(count));
  }
  CHECK_OK(it->status());
  delete it;
  return count;
}

void Database() {
  leveldb::Options options;
  options.create_if_missing = true;
  options.compression = leveldb::kZstdCompression;
  options.write_buffer_size = 64 << 10;
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, Path("db"), &db));
  for (int i = 0; i < kEntries; i++) {
    CHECK_OK(db->Put(leveldb::WriteOptions(), Key(i), Value(i)));
  }
  db->CompactRange(nullptr, nullptr);
  delete db;
  options.compression = leveldb::kSnappyCompression;
  CHECK_OK(leveldb::DB::Open(options, Path("db"), &db));
  leveldb::ReadOptions verified;
  verified.verify_checksums = true;
  int count = CheckedCount(db->NewIterator(verified));
  delete db;
  Say("db: %d entries", count);
}

void Table() {
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::Options options;
  options.compression = leveldb::kZstdCompression;
  leveldb::WritableFile* file = nullptr;
  CHECK_OK(env->NewWritableFile(Path("table.ldb"), &file));
  leveldb::TableBuilder builder(options, file);
  for (int i = 0; i < kEntries; i++) builder.Add(Key(i), Value(i));
  CHECK_OK(builder.Finish());
  CHECK_OK(file->Close());
  delete file;
  uint64_t size = 0;
  CHECK_OK(env->GetFileSize(Path("table.ldb"), &size));
  CHECK(size == builder.FileSize());
  leveldb::RandomAccessFile* raf = nullptr;
  CHECK_OK(env->NewRandomAccessFile(Path("table.ldb"), &raf));
  leveldb::Table* table = nullptr;
  CHECK_OK(leveldb::Table::Open(options, raf, size, &table));
  int count = CheckedCount(table->NewIterator(leveldb::ReadOptions()));
  delete table;
  delete raf;
  Say("table: %d entries", count);
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  Database();
  Table();
  Say("PASS");
  return 0;
}
