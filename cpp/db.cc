// leveldb::DB::Open and the DB subclass over an engine database; snapshots,
// Options' defaults, DestroyDB, RepairDB; options translation.
//
// Invariants: an EngineDB owns its engine database and closes it when
// deleted (after the caller deleted its iterators and released its
// snapshots, as LevelDB requires). Objects named by Options are borrowed:
// the caller keeps them alive while the database is open.

#include <vector>

#include "bridge.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/write_batch.h"
#include "policies.h"
#include "write_batch_internal.h"

namespace leveldb {

Options::Options() : comparator(BytewiseComparator()), env(Env::Default()) {}

Snapshot::~Snapshot() = default;

DB::~DB() = default;

// The default implementations LevelDB gives its pure virtual Put/Delete:
// one-operation batches through Write.
Status DB::Put(const WriteOptions& options, const Slice& key,
               const Slice& value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DB::Delete(const WriteOptions& options, const Slice& key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

}  // namespace leveldb

namespace strata_cpp {

namespace {

class EngineSnapshot : public leveldb::Snapshot {
 public:
  explicit EngineSnapshot(StrataSnapshot* native) : native_(native) {}
  ~EngineSnapshot() override { strata_cpp_snapshot_free(native_); }
  const StrataSnapshot* native() const { return native_; }

 private:
  StrataSnapshot* native_;
};

StrataReadOptions Translate(const leveldb::ReadOptions& options) {
  StrataReadOptions out;
  out.snapshot =
      options.snapshot == nullptr
          ? nullptr
          : static_cast<const EngineSnapshot*>(options.snapshot)->native();
  out.verify_checksums = options.verify_checksums ? 1 : 0;
  out.fill_cache = options.fill_cache ? 1 : 0;
  return out;
}

class EngineDB : public leveldb::DB {
 public:
  explicit EngineDB(StrataDB* db) : db_(db) {}
  ~EngineDB() override { strata_cpp_db_close(db_); }

  leveldb::Status Put(const leveldb::WriteOptions& options,
                      const leveldb::Slice& key,
                      const leveldb::Slice& value) override {
    return TakeStatus(strata_cpp_db_put(db_, options.sync ? 1 : 0, key.data(),
                                        key.size(), value.data(),
                                        value.size()));
  }

  leveldb::Status Delete(const leveldb::WriteOptions& options,
                         const leveldb::Slice& key) override {
    return TakeStatus(
        strata_cpp_db_delete(db_, options.sync ? 1 : 0, key.data(), key.size()));
  }

  leveldb::Status Write(const leveldb::WriteOptions& options,
                        leveldb::WriteBatch* updates) override {
    if (updates == nullptr) {
      return TakeStatus(strata_cpp_db_write(db_, options.sync ? 1 : 0, nullptr, 0));
    }
    const std::string& rep = leveldb::WriteBatchInternal::Contents(updates);
    return TakeStatus(
        strata_cpp_db_write(db_, options.sync ? 1 : 0, rep.data(), rep.size()));
  }

  leveldb::Status Get(const leveldb::ReadOptions& options,
                      const leveldb::Slice& key, std::string* value) override {
    StrataReadOptions ro = Translate(options);
    uint8_t found = 0;
    leveldb::Status s = TakeStatus(
        strata_cpp_db_get(db_, &ro, key.data(), key.size(), value, &found));
    if (s.ok() && found == 0) {
      return leveldb::Status::NotFound(leveldb::Slice());
    }
    return s;
  }

  leveldb::Iterator* NewIterator(const leveldb::ReadOptions& options) override {
    StrataReadOptions ro = Translate(options);
    return WrapIterator(strata_cpp_db_iter(db_, &ro));
  }

  const leveldb::Snapshot* GetSnapshot() override {
    return new EngineSnapshot(strata_cpp_db_snapshot(db_));
  }

  void ReleaseSnapshot(const leveldb::Snapshot* snapshot) override {
    delete static_cast<const EngineSnapshot*>(snapshot);
  }

  bool GetProperty(const leveldb::Slice& property, std::string* value) override {
    value->clear();
    return strata_cpp_db_property(db_, property.data(), property.size(),
                                  value) != 0;
  }

  void GetApproximateSizes(const leveldb::Range* range, int n,
                           uint64_t* sizes) override {
    if (n <= 0) {
      return;
    }
    std::vector<StrataRawSlice> raw(2 * static_cast<size_t>(n));
    for (int i = 0; i < n; i++) {
      raw[2 * i].data = range[i].start.data();
      raw[2 * i].len = range[i].start.size();
      raw[2 * i + 1].data = range[i].limit.data();
      raw[2 * i + 1].len = range[i].limit.size();
    }
    strata_cpp_db_sizes(db_, raw.data(), n, sizes);
  }

  void CompactRange(const leveldb::Slice* begin,
                    const leveldb::Slice* end) override {
    StrataRawSlice b, e;
    if (begin != nullptr) {
      b.data = begin->data();
      b.len = begin->size();
    }
    if (end != nullptr) {
      e.data = end->data();
      e.len = end->size();
    }
    strata_cpp_db_compact(db_, begin != nullptr ? &b : nullptr,
                          end != nullptr ? &e : nullptr);
  }

 private:
  StrataDB* db_;
};

}  // namespace

void TranslateOptions(const leveldb::Options& options, StrataOptions* out) {
  EnsureInit();
  const leveldb::Comparator* cmp = options.comparator;
  out->comparator = (cmp == nullptr || cmp == leveldb::BytewiseComparator())
                        ? nullptr
                        : const_cast<leveldb::Comparator*>(cmp);
  out->filter_policy = nullptr;
  out->native_filter_policy = nullptr;
  if (options.filter_policy != nullptr) {
    const BloomPolicy* bloom =
        dynamic_cast<const BloomPolicy*>(options.filter_policy);
    if (bloom != nullptr) {
      out->native_filter_policy = bloom->native();
    } else {
      out->filter_policy = const_cast<leveldb::FilterPolicy*>(options.filter_policy);
    }
  }
  out->env = nullptr;
  out->native_env = NativeEnvOf(options.env);
  if (out->native_env == nullptr && options.env != nullptr) {
    out->env = options.env;
  }
  out->info_log = options.info_log;
  out->block_cache = nullptr;
  out->user_block_cache = nullptr;
  if (options.block_cache != nullptr) {
    // NewLRUCache's engine cache is used directly; a Cache subclass of the
    // caller is called through its vtable, as LevelDB does.
    const LRUCache* lru = dynamic_cast<const LRUCache*>(options.block_cache);
    if (lru != nullptr) {
      out->block_cache = lru->native();
    } else {
      out->user_block_cache = options.block_cache;
    }
  }
  out->write_buffer_size = options.write_buffer_size;
  out->block_size = options.block_size;
  out->max_file_size = options.max_file_size;
  out->max_open_files = options.max_open_files;
  out->block_restart_interval = options.block_restart_interval;
  out->compression = static_cast<int>(options.compression);
  out->create_if_missing = options.create_if_missing ? 1 : 0;
  out->error_if_exists = options.error_if_exists ? 1 : 0;
  out->paranoid_checks = options.paranoid_checks ? 1 : 0;
  out->reuse_logs = options.reuse_logs ? 1 : 0;
}

}  // namespace strata_cpp

namespace leveldb {

Status DB::Open(const Options& options, const std::string& name, DB** dbptr) {
  *dbptr = nullptr;
  StrataOptions translated;
  strata_cpp::TranslateOptions(options, &translated);
  StrataDB* db = nullptr;
  Status s = strata_cpp::TakeStatus(
      strata_cpp_db_open(&translated, name.data(), name.size(), &db));
  if (s.ok()) {
    *dbptr = new strata_cpp::EngineDB(db);
  }
  return s;
}

Status DestroyDB(const std::string& name, const Options& options) {
  StrataOptions translated;
  strata_cpp::TranslateOptions(options, &translated);
  return strata_cpp::TakeStatus(strata_cpp_db_destroy_or_repair(
      &translated, name.data(), name.size(), 0));
}

Status RepairDB(const std::string& dbname, const Options& options) {
  StrataOptions translated;
  strata_cpp::TranslateOptions(options, &translated);
  return strata_cpp::TakeStatus(strata_cpp_db_destroy_or_repair(
      &translated, dbname.data(), dbname.size(), 1));
}

}  // namespace leveldb
