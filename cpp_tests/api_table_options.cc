// TableBuilder's mid-build controls through LevelDB 1.23's C++ headers:
// Flush() ends the data block under construction early, and
// ChangeOptions() changes the block size (and compression, restart
// interval) for the blocks written after it. Tables are written without
// compression, so their bytes are fixed by the format and must match.

#include <string>

#include "cpp_test.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"

using cpptest::Path;
using cpptest::Say;

namespace {

std::string Key(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "t%05d", i);
  return key;
}

// Builds 1000 entries into `name`, flushing after `flush_at` (unless -1)
// and switching to `later` options after entry 300 (when given); prints
// the size and fingerprint of the file and checks it reads back.
void Build(const char* name, int flush_at, const leveldb::Options* later) {
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  options.block_size = 512;
  leveldb::WritableFile* file = nullptr;
  CHECK_OK(env->NewWritableFile(Path(name), &file));
  leveldb::TableBuilder builder(options, file);
  for (int i = 0; i < 1000; i++) {
    builder.Add(Key(i), "value-" + Key(i) +
                            std::string(static_cast<size_t>(i % 50), 'v'));
    if (i == flush_at) builder.Flush();
    if (i == 300 && later != nullptr) CHECK_OK(builder.ChangeOptions(*later));
  }
  CHECK_OK(builder.Finish());
  CHECK_OK(file->Close());
  delete file;
  std::string bytes;
  CHECK_OK(leveldb::ReadFileToString(env, Path(name), &bytes));
  leveldb::RandomAccessFile* raf = nullptr;
  CHECK_OK(env->NewRandomAccessFile(Path(name), &raf));
  leveldb::Table* table = nullptr;
  CHECK_OK(leveldb::Table::Open(options, raf, bytes.size(), &table));
  leveldb::Iterator* it = table->NewIterator(leveldb::ReadOptions());
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
  CHECK_OK(it->status());
  delete it;
  Say("%s: entries=%d FileSize=%llu fingerprint=%016llx offset(t00500)=%llu",
      name, count, static_cast<unsigned long long>(builder.FileSize()),
      static_cast<unsigned long long>(cpptest::Fingerprint(bytes)),
      static_cast<unsigned long long>(table->ApproximateOffsetOf(Key(500))));
  delete table;
  delete raf;
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  Build("plain.ldb", -1, nullptr);
  Build("flushed.ldb", 10, nullptr);
  Build("flushed-late.ldb", 777, nullptr);
  leveldb::Options bigger;
  bigger.compression = leveldb::kNoCompression;
  bigger.block_size = 2048;
  Build("bigger-blocks.ldb", -1, &bigger);
  leveldb::Options restarts = bigger;
  restarts.block_size = 512;
  restarts.block_restart_interval = 4;
  Build("more-restarts.ldb", -1, &restarts);
  Say("PASS");
  return 0;
}
