// The trampolines through which the engine calls C++ objects of the caller
// (comparators, filter policies, loggers, environments and their files,
// block caches),
// registered once with strata_cpp_init.
//
// Invariants: each trampoline only converts arguments and makes one virtual
// call; pointers it receives are borrowed for the call; objects it returns
// through `out` are owned by the engine, which deletes them through
// delete_object with their kind. Built with -fno-exceptions, so nothing
// unwinds into the engine.

#include <cstdarg>
#include <cstring>
#include <vector>

#include "bridge.h"
#include "leveldb/cache.h"
#include "leveldb/comparator.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"

namespace strata_cpp {

using leveldb::Slice;
using leveldb::Status;

void AppendToString(void* ctx, const char* data, size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

namespace {

std::string Path(const char* p, size_t n) { return std::string(p, n); }

void StringAssign(void* s, const char* data, size_t len) {
  static_cast<std::string*>(s)->assign(data, len);
}

int CmpCompare(void* cmp, const char* a, size_t alen, const char* b,
               size_t blen) {
  return static_cast<leveldb::Comparator*>(cmp)->Compare(Slice(a, alen),
                                                         Slice(b, blen));
}

const char* CmpName(void* cmp) {
  return static_cast<leveldb::Comparator*>(cmp)->Name();
}

void CmpSeparator(void* cmp, const char* start, size_t start_len,
                  const char* limit, size_t limit_len, void* ctx,
                  StrataSink sink) {
  std::string s(start, start_len);
  static_cast<leveldb::Comparator*>(cmp)->FindShortestSeparator(
      &s, Slice(limit, limit_len));
  sink(ctx, s.data(), s.size());
}

void CmpSuccessor(void* cmp, const char* key, size_t key_len, void* ctx,
                  StrataSink sink) {
  std::string s(key, key_len);
  static_cast<leveldb::Comparator*>(cmp)->FindShortSuccessor(&s);
  sink(ctx, s.data(), s.size());
}

const char* FpName(void* fp) {
  return static_cast<leveldb::FilterPolicy*>(fp)->Name();
}

void FpCreate(void* fp, const StrataRawSlice* keys, int n, void* ctx,
              StrataSink sink) {
  std::vector<Slice> slices;
  slices.reserve(n > 0 ? static_cast<size_t>(n) : 0);
  for (int i = 0; i < n; i++) {
    slices.emplace_back(keys[i].data, keys[i].len);
  }
  std::string filter;
  static_cast<leveldb::FilterPolicy*>(fp)->CreateFilter(slices.data(), n,
                                                        &filter);
  sink(ctx, filter.data(), filter.size());
}

uint8_t FpMatch(void* fp, const char* key, size_t key_len, const char* filter,
                size_t filter_len) {
  return static_cast<leveldb::FilterPolicy*>(fp)->KeyMayMatch(
             Slice(key, key_len), Slice(filter, filter_len))
             ? 1
             : 0;
}

void LogVia(leveldb::Logger* logger, const char* format, ...)
    __attribute__((__format__(__printf__, 2, 3)));

void LogVia(leveldb::Logger* logger, const char* format, ...) {
  std::va_list ap;
  va_start(ap, format);
  logger->Logv(format, ap);
  va_end(ap);
}

void LoggerLog(void* logger, const char* line, size_t len) {
  LogVia(static_cast<leveldb::Logger*>(logger), "%.*s", static_cast<int>(len),
         line);
}

leveldb::Env* AsEnv(void* env) { return static_cast<leveldb::Env*>(env); }

StrataStatus EnvOpen(void* env, int kind, const char* path, size_t len,
                     void** out) {
  std::string fname = Path(path, len);
  Status s;
  *out = nullptr;
  switch (kind) {
    case kStrataSequential: {
      leveldb::SequentialFile* f = nullptr;
      s = AsEnv(env)->NewSequentialFile(fname, &f);
      *out = s.ok() ? f : nullptr;
      break;
    }
    case kStrataRandom: {
      leveldb::RandomAccessFile* f = nullptr;
      s = AsEnv(env)->NewRandomAccessFile(fname, &f);
      *out = s.ok() ? f : nullptr;
      break;
    }
    case kStrataWritable:
    case kStrataAppendable: {
      leveldb::WritableFile* f = nullptr;
      s = kind == kStrataWritable ? AsEnv(env)->NewWritableFile(fname, &f)
                                  : AsEnv(env)->NewAppendableFile(fname, &f);
      *out = s.ok() ? f : nullptr;
      break;
    }
    case kStrataLogger: {
      leveldb::Logger* l = nullptr;
      s = AsEnv(env)->NewLogger(fname, &l);
      *out = s.ok() ? l : nullptr;
      break;
    }
    default:
      s = Status::InvalidArgument("unknown object kind");
  }
  return MakeStatus(s);
}

uint8_t EnvFileExists(void* env, const char* path, size_t len) {
  return AsEnv(env)->FileExists(Path(path, len)) ? 1 : 0;
}

StrataStatus EnvGetChildren(void* env, const char* path, size_t len, void* ctx,
                            StrataSink sink) {
  std::vector<std::string> names;
  Status s = AsEnv(env)->GetChildren(Path(path, len), &names);
  if (s.ok()) {
    for (const std::string& name : names) {
      sink(ctx, name.data(), name.size());
    }
  }
  return MakeStatus(s);
}

StrataStatus EnvPathOp(void* env, int op, const char* path, size_t len) {
  std::string p = Path(path, len);
  switch (op) {
    case 0:
      return MakeStatus(AsEnv(env)->RemoveFile(p));
    case 1:
      return MakeStatus(AsEnv(env)->CreateDir(p));
    default:
      return MakeStatus(AsEnv(env)->RemoveDir(p));
  }
}

StrataStatus EnvFileSize(void* env, const char* path, size_t len,
                         uint64_t* size) {
  return MakeStatus(AsEnv(env)->GetFileSize(Path(path, len), size));
}

StrataStatus EnvRename(void* env, const char* from, size_t from_len,
                       const char* to, size_t to_len) {
  return MakeStatus(
      AsEnv(env)->RenameFile(Path(from, from_len), Path(to, to_len)));
}

StrataStatus EnvLock(void* env, const char* path, size_t len, void** out) {
  leveldb::FileLock* lock = nullptr;
  Status s = AsEnv(env)->LockFile(Path(path, len), &lock);
  *out = s.ok() ? lock : nullptr;
  return MakeStatus(s);
}

StrataStatus EnvUnlock(void* env, void* lock) {
  return MakeStatus(
      AsEnv(env)->UnlockFile(static_cast<leveldb::FileLock*>(lock)));
}

uint64_t EnvNowMicros(void* env) { return AsEnv(env)->NowMicros(); }

void EnvSleep(void* env, int micros) {
  AsEnv(env)->SleepForMicroseconds(micros);
}

void EnvSchedule(void* env, StrataWork function, void* arg) {
  AsEnv(env)->Schedule(function, arg);
}

StrataStatus SeqRead(void* file, char* buf, size_t len, size_t* n) {
  Slice result;
  Status s =
      static_cast<leveldb::SequentialFile*>(file)->Read(len, &result, buf);
  *n = 0;
  if (s.ok()) {
    size_t got = result.size() < len ? result.size() : len;
    if (result.data() != buf && got > 0) {
      std::memmove(buf, result.data(), got);
    }
    *n = got;
  }
  return MakeStatus(s);
}

StrataStatus SeqSkip(void* file, uint64_t n) {
  return MakeStatus(static_cast<leveldb::SequentialFile*>(file)->Skip(n));
}

StrataStatus RandRead(void* file, uint64_t offset, char* buf, size_t len,
                      size_t* n) {
  Slice result;
  Status s = static_cast<leveldb::RandomAccessFile*>(file)->Read(
      offset, len, &result, buf);
  *n = 0;
  if (s.ok()) {
    size_t got = result.size() < len ? result.size() : len;
    if (result.data() != buf && got > 0) {
      std::memmove(buf, result.data(), got);
    }
    *n = got;
  }
  return MakeStatus(s);
}

StrataStatus WfAppend(void* file, const char* data, size_t len) {
  return MakeStatus(
      static_cast<leveldb::WritableFile*>(file)->Append(Slice(data, len)));
}

StrataStatus WfOp(void* file, int op) {
  leveldb::WritableFile* f = static_cast<leveldb::WritableFile*>(file);
  switch (op) {
    case 0:
      return MakeStatus(f->Flush());
    case 1:
      return MakeStatus(f->Sync());
    default:
      return MakeStatus(f->Close());
  }
}

void DeleteObject(void* obj, int kind) {
  switch (kind) {
    case kStrataSequential:
      delete static_cast<leveldb::SequentialFile*>(obj);
      break;
    case kStrataRandom:
      delete static_cast<leveldb::RandomAccessFile*>(obj);
      break;
    case kStrataWritable:
    case kStrataAppendable:
      delete static_cast<leveldb::WritableFile*>(obj);
      break;
    case kStrataLogger:
      delete static_cast<leveldb::Logger*>(obj);
      break;
    case kStrataLock:
      delete static_cast<leveldb::FileLock*>(obj);
      break;
    default:
      break;
  }
}

leveldb::Cache* AsCache(void* cache) {
  return static_cast<leveldb::Cache*>(cache);
}

// The deleter of every engine block put into a caller's cache.
void DeleteEngineBlock(const Slice&, void* value) {
  strata_cpp_block_free(value);
}

void* CacheInsert(void* cache, const char* key, size_t key_len, void* value,
                  size_t charge) {
  return AsCache(cache)->Insert(Slice(key, key_len), value, charge,
                                DeleteEngineBlock);
}

void* CacheLookup(void* cache, const char* key, size_t key_len) {
  return AsCache(cache)->Lookup(Slice(key, key_len));
}

void* CacheValue(void* cache, void* handle) {
  return AsCache(cache)->Value(static_cast<leveldb::Cache::Handle*>(handle));
}

void CacheRelease(void* cache, void* handle) {
  AsCache(cache)->Release(static_cast<leveldb::Cache::Handle*>(handle));
}

void CacheErase(void* cache, const char* key, size_t key_len) {
  AsCache(cache)->Erase(Slice(key, key_len));
}

uint64_t CacheNewId(void* cache) { return AsCache(cache)->NewId(); }

size_t CacheTotalCharge(void* cache) { return AsCache(cache)->TotalCharge(); }

const StrataCallbacks kCallbacks = {
    StringAssign,
    CmpCompare,
    CmpName,
    CmpSeparator,
    CmpSuccessor,
    FpName,
    FpCreate,
    FpMatch,
    LoggerLog,
    {
        EnvOpen,
        EnvFileExists,
        EnvGetChildren,
        EnvPathOp,
        EnvFileSize,
        EnvRename,
        EnvLock,
        EnvUnlock,
        EnvNowMicros,
        EnvSleep,
        EnvSchedule,
        SeqRead,
        SeqSkip,
        RandRead,
        WfAppend,
        WfOp,
        DeleteObject,
    },
    {
        CacheInsert,
        CacheLookup,
        CacheValue,
        CacheRelease,
        CacheErase,
        CacheNewId,
        CacheTotalCharge,
    },
};

}  // namespace

void EnsureInit() {
  // A function-local static: initialised once, thread-safely.
  static const bool registered = (strata_cpp_init(&kCallbacks), true);
  (void)registered;
}

}  // namespace strata_cpp
