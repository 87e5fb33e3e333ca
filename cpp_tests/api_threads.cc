// One database used from several threads at once through the C++ API (a
// DB needs no external synchronization), with a user comparator and a
// Logger that the library calls from its own threads as well. Each writer
// owns a key range; readers check that whatever they see is a value its
// writer wrote; the end state is exact.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cpp_test.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/write_batch.h"

using cpptest::Path;
using cpptest::Say;

namespace {

// Bytewise order under another name, counting calls from every thread.
class CountingComparator : public leveldb::Comparator {
 public:
  int Compare(const leveldb::Slice& a, const leveldb::Slice& b) const override {
    calls.fetch_add(1, std::memory_order_relaxed);
    return a.compare(b);
  }
  const char* Name() const override { return "strata.CountingBytewise"; }
  void FindShortestSeparator(std::string* start,
                             const leveldb::Slice& limit) const override {
    leveldb::BytewiseComparator()->FindShortestSeparator(start, limit);
  }
  void FindShortSuccessor(std::string* key) const override {
    leveldb::BytewiseComparator()->FindShortSuccessor(key);
  }
  mutable std::atomic<long> calls{0};
};

class QuietLogger : public leveldb::Logger {
 public:
  void Logv(const char*, std::va_list) override { lines++; }
  std::atomic<int> lines{0};
};

const int kWriters = 4;
const int kKeysPerWriter = 1500;

std::string Key(int writer, int i) {
  char key[24];
  std::snprintf(key, sizeof(key), "w%d-%06d", writer, i);
  return key;
}

}  // namespace

int main(int argc, char** argv) {
  cpptest::Init(argc, argv);
  CountingComparator cmp;
  QuietLogger logger;
  leveldb::Options options;
  options.create_if_missing = true;
  options.comparator = &cmp;
  options.info_log = &logger;
  options.write_buffer_size = 64 * 1024;
  leveldb::DB* db = nullptr;
  CHECK_OK(leveldb::DB::Open(options, Path("db"), &db));

  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++) {
    writers.emplace_back([db, w] {
      for (int i = 0; i < kKeysPerWriter; i++) {
        std::string value = "v" + Key(w, i) + std::string(60, 'x');
        if (i % 10 == 0) {
          leveldb::WriteBatch batch;
          batch.Put(Key(w, i), value);
          batch.Put(Key(w, i) + "-twin", value);
          CHECK_OK(db->Write(leveldb::WriteOptions(), &batch));
        } else {
          CHECK_OK(db->Put(leveldb::WriteOptions(), Key(w, i), value));
        }
        if (i % 3 == 0 && i > 0) {
          CHECK_OK(db->Delete(leveldb::WriteOptions(), Key(w, i - 1)));
        }
      }
    });
  }
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([db, r, &done, &bad_reads] {
      int i = r;
      while (!done.load()) {
        int w = i % kWriters;
        int k = (i * 7) % kKeysPerWriter;
        std::string value;
        leveldb::Status s = db->Get(leveldb::ReadOptions(), Key(w, k), &value);
        if (s.ok() && value.compare(0, 1 + Key(w, k).size(), "v" + Key(w, k)) != 0) {
          bad_reads++;
        } else if (!s.ok() && !s.IsNotFound()) {
          bad_reads++;
        }
        if (i % 50 == 0) {
          leveldb::Iterator* it = db->NewIterator(leveldb::ReadOptions());
          std::string previous;
          for (it->SeekToFirst(); it->Valid(); it->Next()) {
            if (!previous.empty() && it->key().compare(previous) <= 0) {
              bad_reads++;
            }
            previous = it->key().ToString();
          }
          if (!it->status().ok()) bad_reads++;
          delete it;
        }
        i++;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  done = true;
  for (std::thread& t : readers) t.join();
  Say("bad reads while writing=%d", bad_reads.load());

  db->CompactRange(nullptr, nullptr);
  leveldb::Iterator* it = db->NewIterator(leveldb::ReadOptions());
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
  CHECK_OK(it->status());
  delete it;
  Say("entries after all writers=%d", count);
  for (int w = 0; w < kWriters; w++) {
    std::string value;
    leveldb::Status s = db->Get(leveldb::ReadOptions(), Key(w, 0), &value);
    Say("writer %d: first key %s, last key %s", w,
        s.ok() ? "kept" : "deleted",
        db->Get(leveldb::ReadOptions(), Key(w, kKeysPerWriter - 1), &value)
                .ok()
            ? "kept"
            : "deleted");
  }
  delete db;
  Say("comparator used=%d logger used=%d", cmp.calls.load() > 0,
      logger.lines.load() > 0);
  Say("PASS");
  return 0;
}
