// Our own implementations of LevelDB's pluggable interfaces. When a
// database is opened with one of these, the engine object behind it is
// used directly instead of calling the C++ object back.
#ifndef STRATA_CPP_POLICIES_H_
#define STRATA_CPP_POLICIES_H_

#include <atomic>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "bridge.h"
#include "leveldb/cache.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"

namespace strata_cpp {

// NewBloomFilterPolicy: owns an engine bloom policy.
class STRATA_HIDDEN BloomPolicy : public leveldb::FilterPolicy {
 public:
  explicit BloomPolicy(int bits_per_key);
  ~BloomPolicy() override;
  const char* Name() const override;
  void CreateFilter(const leveldb::Slice* keys, int n,
                    std::string* dst) const override;
  bool KeyMayMatch(const leveldb::Slice& key,
                   const leveldb::Slice& filter) const override;
  const StrataBloom* native() const { return native_; }

 private:
  StrataBloom* native_;
};

// NewLRUCache: owns an engine block cache (what databases given this cache
// share) and also serves callers that use the Cache interface directly,
// with an LRU of its own over the same capacity.
class STRATA_HIDDEN LRUCache : public leveldb::Cache {
 public:
  explicit LRUCache(size_t capacity);
  ~LRUCache() override;
  Handle* Insert(const leveldb::Slice& key, void* value, size_t charge,
                 void (*deleter)(const leveldb::Slice& key,
                                 void* value)) override;
  Handle* Lookup(const leveldb::Slice& key) override;
  void Release(Handle* handle) override;
  void* Value(Handle* handle) override;
  void Erase(const leveldb::Slice& key) override;
  uint64_t NewId() override;
  void Prune() override;
  size_t TotalCharge() const override;
  const StrataCache* native() const { return native_; }

 private:
  struct Entry;
  void Unref(Entry* e);       // requires mu_
  void EvictIfNeeded();       // requires mu_
  void Detach(Entry* e);      // requires mu_: out of the table and LRU

  StrataCache* native_;
  size_t capacity_;
  mutable std::mutex mu_;
  size_t usage_ = 0;
  std::unordered_map<std::string, Entry*> table_;
  std::list<Entry*> lru_;  // entries in the table, oldest first
  std::atomic<uint64_t> last_id_{0};
};

// Env::Default() and NewMemEnv: an engine env as a leveldb::Env.
class STRATA_HIDDEN EngineEnv : public leveldb::Env {
 public:
  // `owned` is the engine env this object frees (NewMemEnv's), NULL for
  // Env::Default(); it also marks the in-memory env, whose test directory
  // is memenv's fixed "/test". `base` is the caller's Env a NewMemEnv
  // takes its clock, sleeps and threads from (NULL: the engine's own).
  EngineEnv(const StrataEnv* native, StrataEnv* owned,
            leveldb::Env* base = nullptr)
      : native_(native), owned_(owned), base_(base) {}
  ~EngineEnv() override;
  const StrataEnv* native() const { return native_; }

  leveldb::Status NewSequentialFile(const std::string& fname,
                                    leveldb::SequentialFile** result) override;
  leveldb::Status NewRandomAccessFile(
      const std::string& fname, leveldb::RandomAccessFile** result) override;
  leveldb::Status NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) override;
  bool FileExists(const std::string& fname) override;
  leveldb::Status GetChildren(const std::string& dir,
                              std::vector<std::string>* result) override;
  leveldb::Status RemoveFile(const std::string& fname) override;
  leveldb::Status CreateDir(const std::string& dirname) override;
  leveldb::Status RemoveDir(const std::string& dirname) override;
  leveldb::Status GetFileSize(const std::string& fname,
                              uint64_t* file_size) override;
  leveldb::Status RenameFile(const std::string& src,
                             const std::string& target) override;
  leveldb::Status LockFile(const std::string& fname,
                           leveldb::FileLock** lock) override;
  leveldb::Status UnlockFile(leveldb::FileLock* lock) override;
  void Schedule(void (*function)(void* arg), void* arg) override;
  void StartThread(void (*function)(void* arg), void* arg) override;
  leveldb::Status GetTestDirectory(std::string* path) override;
  leveldb::Status NewLogger(const std::string& fname,
                            leveldb::Logger** result) override;
  uint64_t NowMicros() override;
  void SleepForMicroseconds(int micros) override;

 private:
  const StrataEnv* native_;
  StrataEnv* owned_;    // NULL for the process-wide default env
  leveldb::Env* base_;  // borrowed; NULL unless a NewMemEnv over the caller's
};

}  // namespace strata_cpp

#endif  // STRATA_CPP_POLICIES_H_
