// Env: everything a database needs from the operating system: files,
// directories, locks, background threads, the clock, and its LOG.
//
// Options::env picks the Env of a database; Env::Default() is the
// library's own, over the local file system. A program may subclass Env
// (usually through EnvWrapper, which forwards all it does not override) to
// observe or redirect what a database does.
//
// Thread safety: the library calls an Env from any of its threads, often at
// once: every method of an implementation must be safe for concurrent
// calls. The file objects it returns are each used by one thread at a time
// unless said otherwise below.

#ifndef STORAGE_LEVELDB_INCLUDE_ENV_H_
#define STORAGE_LEVELDB_INCLUDE_ENV_H_

#include <cstdarg>
#include <cstdint>
#include <string>
#include <vector>

#include "leveldb/export.h"
#include "leveldb/status.h"

// windows.h may define DeleteFile as a macro, which would rename the
// method below; lift it while this header is read and restore it after.
#if defined(_WIN32)
#if defined(DeleteFile)
#undef DeleteFile
#define LEVELDB_DELETEFILE_UNDEFINED
#endif  // defined(DeleteFile)
#endif  // defined(_WIN32)

namespace leveldb {

class FileLock;
class Logger;
class RandomAccessFile;
class SequentialFile;
class Slice;
class WritableFile;

class LEVELDB_EXPORT Env {
 public:
  Env();

  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  virtual ~Env();

  // The library's environment over the local file system. It lives for the
  // whole process; do not delete it.
  static Env* Default();

  // Opens fname for reading from the start. On success stores a new file
  // (the caller deletes it); on failure stores null and returns the error
  // (IsNotFound() when the file does not exist).
  virtual Status NewSequentialFile(const std::string& fname,
                                   SequentialFile** result) = 0;

  // Opens fname for reads at any offset. Same conventions as above.
  virtual Status NewRandomAccessFile(const std::string& fname,
                                     RandomAccessFile** result) = 0;

  // Creates fname empty (truncating an existing file) for writing. Same
  // conventions as above.
  virtual Status NewWritableFile(const std::string& fname,
                                 WritableFile** result) = 0;

  // Opens fname for writing at its end, creating it when missing. Same
  // conventions as above. The default returns NotSupported, which makes the
  // library start new files instead of appending.
  virtual Status NewAppendableFile(const std::string& fname,
                                   WritableFile** result);

  // True when fname exists.
  virtual bool FileExists(const std::string& fname) = 0;

  // Replaces *result with the names (not paths) of the entries of dir.
  virtual Status GetChildren(const std::string& dir,
                             std::vector<std::string>* result) = 0;

  // Deletes fname. The default calls DeleteFile; an implementation
  // overrides one of the two (RemoveFile is the newer name).
  virtual Status RemoveFile(const std::string& fname);

  // The older name of RemoveFile. The default calls RemoveFile.
  virtual Status DeleteFile(const std::string& fname);

  // Creates the directory dirname.
  virtual Status CreateDir(const std::string& dirname) = 0;

  // Deletes the empty directory dirname. The default calls DeleteDir; an
  // implementation overrides one of the two.
  virtual Status RemoveDir(const std::string& dirname);

  // The older name of RemoveDir. The default calls RemoveDir.
  virtual Status DeleteDir(const std::string& dirname);

  // Stores the size of fname in bytes in *file_size.
  virtual Status GetFileSize(const std::string& fname, uint64_t* file_size) = 0;

  // Renames src to target, replacing target if it exists.
  virtual Status RenameFile(const std::string& src,
                            const std::string& target) = 0;

  // Takes an exclusive lock on fname (creating it if needed), so that one
  // process at a time uses a database. On success stores a lock for
  // UnlockFile; fails, with null in *lock, when anyone (this process
  // included) already holds it.
  virtual Status LockFile(const std::string& fname, FileLock** lock) = 0;

  // Releases and frees a lock from LockFile.
  virtual Status UnlockFile(FileLock* lock) = 0;

  // Runs function(arg) once on a background thread. Calls may run in any
  // order and at the same time.
  virtual void Schedule(void (*function)(void* arg), void* arg) = 0;

  // Starts a new thread running function(arg); the thread ends when the
  // function returns.
  virtual void StartThread(void (*function)(void* arg), void* arg) = 0;

  // Stores in *path a directory for tests, which may be shared with other
  // tests and may already hold files.
  virtual Status GetTestDirectory(std::string* path) = 0;

  // Creates a logger writing to fname. Same conventions as the files above.
  virtual Status NewLogger(const std::string& fname, Logger** result) = 0;

  // Microseconds since some fixed point in the past; only differences mean
  // anything.
  virtual uint64_t NowMicros() = 0;

  // Sleeps the calling thread for at least micros microseconds.
  virtual void SleepForMicroseconds(int micros) = 0;
};

// A file read from the start to the end.
class LEVELDB_EXPORT SequentialFile {
 public:
  SequentialFile() = default;

  SequentialFile(const SequentialFile&) = delete;
  SequentialFile& operator=(const SequentialFile&) = delete;

  virtual ~SequentialFile();

  // Reads up to n bytes. *result may point into scratch (which holds at
  // least n bytes and must outlive *result) or elsewhere; fewer than n bytes
  // means the end was reached. Needs external synchronization.
  virtual Status Read(size_t n, Slice* result, char* scratch) = 0;

  // Skips n bytes (stopping at the end of the file). Needs external
  // synchronization.
  virtual Status Skip(uint64_t n) = 0;
};

// A file read at any offset.
class LEVELDB_EXPORT RandomAccessFile {
 public:
  RandomAccessFile() = default;

  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  virtual ~RandomAccessFile();

  // Reads up to n bytes at offset; same conventions as SequentialFile::Read.
  // Safe to call from several threads at once.
  virtual Status Read(uint64_t offset, size_t n, Slice* result,
                      char* scratch) const = 0;
};

// A file written sequentially. Implementations buffer small appends: the
// library appends small pieces often.
class LEVELDB_EXPORT WritableFile {
 public:
  WritableFile() = default;

  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  virtual ~WritableFile();

  virtual Status Append(const Slice& data) = 0;
  virtual Status Close() = 0;
  // Hands buffered data to the operating system.
  virtual Status Flush() = 0;
  // Makes written data durable on stable storage.
  virtual Status Sync() = 0;
};

// A destination for printf-style messages (a database's LOG).
class LEVELDB_EXPORT Logger {
 public:
  Logger() = default;

  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  virtual ~Logger();

  // Writes one message formatted from format and ap. May be called from
  // several threads at once.
  virtual void Logv(const char* format, std::va_list ap) = 0;
};

// A held file lock (from Env::LockFile).
class LEVELDB_EXPORT FileLock {
 public:
  FileLock() = default;

  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  virtual ~FileLock();
};

// Writes a printf-style message to info_log; does nothing when info_log is
// null.
void Log(Logger* info_log, const char* format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((__format__(__printf__, 2, 3)))
#endif
    ;

// Replaces the contents of fname with data, through env.
LEVELDB_EXPORT Status WriteStringToFile(Env* env, const Slice& data,
                                        const std::string& fname);

// Replaces *data with the contents of fname, read through env.
LEVELDB_EXPORT Status ReadFileToString(Env* env, const std::string& fname,
                                       std::string* data);

// An Env that forwards every call to another (the target), for subclasses
// that override a few methods. The target must outlive the wrapper.
class LEVELDB_EXPORT EnvWrapper : public Env {
 public:
  // Forwards to t.
  explicit EnvWrapper(Env* t) : target_(t) {}
  virtual ~EnvWrapper();

  // The Env calls are forwarded to.
  Env* target() const { return target_; }

  Status NewSequentialFile(const std::string& f, SequentialFile** r) override {
    return target_->NewSequentialFile(f, r);
  }
  Status NewRandomAccessFile(const std::string& f,
                             RandomAccessFile** r) override {
    return target_->NewRandomAccessFile(f, r);
  }
  Status NewWritableFile(const std::string& f, WritableFile** r) override {
    return target_->NewWritableFile(f, r);
  }
  Status NewAppendableFile(const std::string& f, WritableFile** r) override {
    return target_->NewAppendableFile(f, r);
  }
  bool FileExists(const std::string& f) override {
    return target_->FileExists(f);
  }
  Status GetChildren(const std::string& dir,
                     std::vector<std::string>* r) override {
    return target_->GetChildren(dir, r);
  }
  Status RemoveFile(const std::string& f) override {
    return target_->RemoveFile(f);
  }
  Status CreateDir(const std::string& d) override {
    return target_->CreateDir(d);
  }
  Status RemoveDir(const std::string& d) override {
    return target_->RemoveDir(d);
  }
  Status GetFileSize(const std::string& f, uint64_t* s) override {
    return target_->GetFileSize(f, s);
  }
  Status RenameFile(const std::string& s, const std::string& t) override {
    return target_->RenameFile(s, t);
  }
  Status LockFile(const std::string& f, FileLock** l) override {
    return target_->LockFile(f, l);
  }
  Status UnlockFile(FileLock* l) override { return target_->UnlockFile(l); }
  void Schedule(void (*f)(void*), void* a) override {
    return target_->Schedule(f, a);
  }
  void StartThread(void (*f)(void*), void* a) override {
    return target_->StartThread(f, a);
  }
  Status GetTestDirectory(std::string* path) override {
    return target_->GetTestDirectory(path);
  }
  Status NewLogger(const std::string& fname, Logger** result) override {
    return target_->NewLogger(fname, result);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  void SleepForMicroseconds(int micros) override {
    target_->SleepForMicroseconds(micros);
  }

 private:
  Env* target_;
};

}  // namespace leveldb

// Put back the DeleteFile macro lifted at the top.
#if defined(_WIN32) && defined(LEVELDB_DELETEFILE_UNDEFINED)
#if defined(UNICODE)
#define DeleteFile DeleteFileW
#else
#define DeleteFile DeleteFileA
#endif  // defined(UNICODE)
#endif  // defined(_WIN32) && defined(LEVELDB_DELETEFILE_UNDEFINED)

#endif  // STORAGE_LEVELDB_INCLUDE_ENV_H_
