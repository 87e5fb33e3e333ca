// leveldb::Env and friends: base-class members, Env::Default(), NewMemEnv,
// WriteStringToFile / ReadFileToString, and EngineEnv (an engine env seen
// from C++) with its file, lock and logger objects.
//
// Invariants: Env::Default() is one process-wide EngineEnv over the
// engine's POSIX env, never destroyed. Each EngineEnv file object owns its
// engine object and frees it when deleted. NewMemEnv over one of our envs
// (or NULL) uses the engine's own clock and background thread, which are
// Env::Default()'s; over an Env of the caller it takes time, sleeps,
// Schedule and StartThread from that env, as LevelDB's memenv does.

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bridge.h"
#include "leveldb/env.h"
#include "leveldb/helpers/memenv.h"
#include "policies.h"

namespace leveldb {

Env::Env() = default;
Env::~Env() = default;

Status Env::NewAppendableFile(const std::string& fname, WritableFile**) {
  return Status::NotSupported("NewAppendableFile", fname);
}

// LevelDB 1.23 renamed DeleteFile/DeleteDir to RemoveFile/RemoveDir; each
// default forwards to the other so subclasses may override either.
Status Env::RemoveDir(const std::string& dirname) { return DeleteDir(dirname); }
Status Env::DeleteDir(const std::string& dirname) { return RemoveDir(dirname); }
Status Env::RemoveFile(const std::string& fname) { return DeleteFile(fname); }
Status Env::DeleteFile(const std::string& fname) { return RemoveFile(fname); }

SequentialFile::~SequentialFile() = default;
RandomAccessFile::~RandomAccessFile() = default;
WritableFile::~WritableFile() = default;
Logger::~Logger() = default;
FileLock::~FileLock() = default;
EnvWrapper::~EnvWrapper() {}

Env* Env::Default() {
  strata_cpp::EnsureInit();
  static Env* const singleton =
      new strata_cpp::EngineEnv(strata_cpp_env_default(), nullptr);
  return singleton;
}

Env* NewMemEnv(Env* base_env) {
  strata_cpp::EnsureInit();
  Env* base = (base_env == nullptr || strata_cpp::NativeEnvOf(base_env) != nullptr)
                  ? nullptr
                  : base_env;
  StrataEnv* mem = strata_cpp_env_mem_new(base);
  return new strata_cpp::EngineEnv(mem, mem, base);
}

Status WriteStringToFile(Env* env, const Slice& data,
                         const std::string& fname) {
  WritableFile* file;
  Status s = env->NewWritableFile(fname, &file);
  if (!s.ok()) {
    return s;
  }
  s = file->Append(data);
  if (s.ok()) {
    s = file->Close();
  }
  delete file;
  if (!s.ok()) {
    env->RemoveFile(fname);
  }
  return s;
}

Status ReadFileToString(Env* env, const std::string& fname, std::string* data) {
  data->clear();
  SequentialFile* file;
  Status s = env->NewSequentialFile(fname, &file);
  if (!s.ok()) {
    return s;
  }
  const size_t kBufferSize = 8192;
  std::vector<char> scratch(kBufferSize);
  while (true) {
    Slice fragment;
    s = file->Read(kBufferSize, &fragment, scratch.data());
    if (!s.ok()) {
      break;
    }
    data->append(fragment.data(), fragment.size());
    if (fragment.empty()) {
      break;
    }
  }
  delete file;
  return s;
}

}  // namespace leveldb

namespace strata_cpp {

using leveldb::Slice;
using leveldb::Status;

namespace {

class EngineSequentialFile : public leveldb::SequentialFile {
 public:
  explicit EngineSequentialFile(void* file) : file_(file) {}
  ~EngineSequentialFile() override {
    strata_cpp_object_free(file_, kStrataSequential);
  }
  Status Read(size_t n, Slice* result, char* scratch) override {
    size_t got = 0;
    Status s = TakeStatus(strata_cpp_seq_read(file_, n, scratch, &got));
    *result = Slice(scratch, s.ok() ? got : 0);
    return s;
  }
  Status Skip(uint64_t n) override {
    return TakeStatus(strata_cpp_seq_skip(file_, n));
  }

 private:
  void* file_;
};

class EngineRandomFile : public leveldb::RandomAccessFile {
 public:
  explicit EngineRandomFile(void* file) : file_(file) {}
  ~EngineRandomFile() override { strata_cpp_object_free(file_, kStrataRandom); }
  Status Read(uint64_t offset, size_t n, Slice* result,
              char* scratch) const override {
    const char* data = scratch;
    size_t got = 0;
    Status s = TakeStatus(
        strata_cpp_rand_read(file_, offset, n, scratch, &data, &got));
    *result = Slice(data, s.ok() ? got : 0);
    return s;
  }

 private:
  void* file_;
};

class EngineWritableFile : public leveldb::WritableFile {
 public:
  explicit EngineWritableFile(void* file) : file_(file) {}
  ~EngineWritableFile() override {
    strata_cpp_object_free(file_, kStrataWritable);
  }
  Status Append(const Slice& data) override {
    return TakeStatus(strata_cpp_wf_append(file_, data.data(), data.size()));
  }
  Status Close() override { return TakeStatus(strata_cpp_wf_op(file_, 2)); }
  Status Flush() override { return TakeStatus(strata_cpp_wf_op(file_, 0)); }
  Status Sync() override { return TakeStatus(strata_cpp_wf_op(file_, 1)); }

 private:
  void* file_;
};

class EngineFileLock : public leveldb::FileLock {
 public:
  explicit EngineFileLock(void* lock) : lock_(lock) {}
  ~EngineFileLock() override { strata_cpp_object_free(lock_, kStrataLock); }

 private:
  void* lock_;
};

// The engine's logger: formats each line, drops one trailing newline (the
// engine adds its own, with the timestamp and thread id).
class EngineLogger : public leveldb::Logger {
 public:
  explicit EngineLogger(void* logger) : logger_(logger) {}
  ~EngineLogger() override { strata_cpp_object_free(logger_, kStrataLogger); }
  void Logv(const char* format, std::va_list ap) override {
    char stack[512];
    std::va_list copy;
    va_copy(copy, ap);
    int n = std::vsnprintf(stack, sizeof(stack), format, copy);
    va_end(copy);
    if (n < 0) {
      return;
    }
    std::string heap;
    const char* line = stack;
    if (static_cast<size_t>(n) >= sizeof(stack)) {
      heap.resize(static_cast<size_t>(n) + 1);
      std::vsnprintf(&heap[0], heap.size(), format, ap);
      line = heap.data();
    }
    size_t len = static_cast<size_t>(n);
    if (len > 0 && line[len - 1] == '\n') {
      len--;
    }
    strata_cpp_logger_log(logger_, line, len);
  }

 private:
  void* logger_;
};

void PushString(void* ctx, const char* data, size_t len) {
  static_cast<std::vector<std::string>*>(ctx)->emplace_back(data, len);
}

}  // namespace

EngineEnv::~EngineEnv() { strata_cpp_env_free(owned_); }

Status EngineEnv::NewSequentialFile(const std::string& fname,
                                    leveldb::SequentialFile** result) {
  void* file = nullptr;
  Status s = TakeStatus(strata_cpp_env_open(native_, kStrataSequential,
                                            fname.data(), fname.size(), &file));
  *result = s.ok() ? new EngineSequentialFile(file) : nullptr;
  return s;
}

Status EngineEnv::NewRandomAccessFile(const std::string& fname,
                                      leveldb::RandomAccessFile** result) {
  void* file = nullptr;
  Status s = TakeStatus(strata_cpp_env_open(native_, kStrataRandom,
                                            fname.data(), fname.size(), &file));
  *result = s.ok() ? new EngineRandomFile(file) : nullptr;
  return s;
}

Status EngineEnv::NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) {
  void* file = nullptr;
  Status s = TakeStatus(strata_cpp_env_open(native_, kStrataWritable,
                                            fname.data(), fname.size(), &file));
  *result = s.ok() ? new EngineWritableFile(file) : nullptr;
  return s;
}

Status EngineEnv::NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) {
  void* file = nullptr;
  Status s = TakeStatus(strata_cpp_env_open(native_, kStrataAppendable,
                                            fname.data(), fname.size(), &file));
  *result = s.ok() ? new EngineWritableFile(file) : nullptr;
  return s;
}

bool EngineEnv::FileExists(const std::string& fname) {
  return strata_cpp_env_exists(native_, fname.data(), fname.size()) != 0;
}

Status EngineEnv::GetChildren(const std::string& dir,
                              std::vector<std::string>* result) {
  result->clear();
  return TakeStatus(strata_cpp_env_children(native_, dir.data(), dir.size(),
                                            result, PushString));
}

Status EngineEnv::RemoveFile(const std::string& fname) {
  return TakeStatus(
      strata_cpp_env_path_op(native_, 0, fname.data(), fname.size()));
}

Status EngineEnv::CreateDir(const std::string& dirname) {
  return TakeStatus(
      strata_cpp_env_path_op(native_, 1, dirname.data(), dirname.size()));
}

Status EngineEnv::RemoveDir(const std::string& dirname) {
  return TakeStatus(
      strata_cpp_env_path_op(native_, 2, dirname.data(), dirname.size()));
}

Status EngineEnv::GetFileSize(const std::string& fname, uint64_t* file_size) {
  return TakeStatus(
      strata_cpp_env_size(native_, fname.data(), fname.size(), file_size));
}

Status EngineEnv::RenameFile(const std::string& src,
                             const std::string& target) {
  return TakeStatus(strata_cpp_env_rename(native_, src.data(), src.size(),
                                          target.data(), target.size()));
}

Status EngineEnv::LockFile(const std::string& fname, leveldb::FileLock** lock) {
  void* native = nullptr;
  Status s = TakeStatus(
      strata_cpp_env_lock(native_, fname.data(), fname.size(), &native));
  *lock = s.ok() ? new EngineFileLock(native) : nullptr;
  return s;
}

Status EngineEnv::UnlockFile(leveldb::FileLock* lock) {
  delete lock;
  return Status::OK();
}

void EngineEnv::Schedule(void (*function)(void* arg), void* arg) {
  if (base_ != nullptr) {
    base_->Schedule(function, arg);
    return;
  }
  strata_cpp_env_schedule(native_, function, arg);
}

void EngineEnv::StartThread(void (*function)(void* arg), void* arg) {
  if (base_ != nullptr) {
    base_->StartThread(function, arg);
    return;
  }
  strata_cpp_start_thread(function, arg);
}

Status EngineEnv::GetTestDirectory(std::string* path) {
  if (owned_ != nullptr) {
    // LevelDB's memenv names a fixed directory and creates nothing.
    *path = "/test";
    return Status::OK();
  }
  const char* dir = std::getenv("TEST_TMPDIR");
  if (dir != nullptr && dir[0] != '\0') {
    *path = dir;
  } else {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "/tmp/leveldbtest-%d",
                  static_cast<int>(::geteuid()));
    *path = buf;
  }
  CreateDir(*path);  // an existing directory is fine
  return Status::OK();
}

Status EngineEnv::NewLogger(const std::string& fname,
                            leveldb::Logger** result) {
  void* logger = nullptr;
  Status s = TakeStatus(strata_cpp_env_open(native_, kStrataLogger,
                                            fname.data(), fname.size(), &logger));
  *result = s.ok() ? new EngineLogger(logger) : nullptr;
  return s;
}

uint64_t EngineEnv::NowMicros() {
  return base_ != nullptr ? base_->NowMicros() : strata_cpp_env_now(native_);
}

void EngineEnv::SleepForMicroseconds(int micros) {
  if (base_ != nullptr) {
    base_->SleepForMicroseconds(micros);
    return;
  }
  strata_cpp_env_sleep(native_, micros);
}

const StrataEnv* NativeEnvOf(leveldb::Env* env) {
  if (env == nullptr) {
    return strata_cpp_env_default();
  }
  EngineEnv* ours = dynamic_cast<EngineEnv*>(env);
  return ours != nullptr ? ours->native() : nullptr;
}

}  // namespace strata_cpp
