// Shared by api_env.cc and api_memenv.cc: every Env method run on any Env
// (Env::Default(), NewMemEnv()) with a transcript, and small file helpers.

#ifndef STRATA_CPP_TESTS_ENV_METHODS_H_
#define STRATA_CPP_TESTS_ENV_METHODS_H_

#include <algorithm>
#include <cstdarg>
#include <string>
#include <vector>

#include "cpp_test.h"
#include "leveldb/env.h"

namespace envtest {

using cpptest::Clean;
using cpptest::Say;
using cpptest::SayStatus;

// A WritableFile collecting what is appended (DumpFile's destination).
class StringSink : public leveldb::WritableFile {
 public:
  leveldb::Status Append(const leveldb::Slice& data) override {
    text.append(data.data(), data.size());
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }
  std::string text;
};

inline std::string Children(leveldb::Env* env, const std::string& dir) {
  std::vector<std::string> names;
  leveldb::Status s = env->GetChildren(dir, &names);
  if (!s.ok()) return Clean(s.ToString());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& n : names) {
    if (n == "." || n == "..") continue;
    out += (out.empty() ? "" : " ") + n;
  }
  return "[" + out + "]";
}

inline void LogTo(leveldb::Logger* logger, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
inline void LogTo(leveldb::Logger* logger, const char* format, ...) {
  std::va_list ap;
  va_start(ap, format);
  logger->Logv(format, ap);
  va_end(ap);
}

// The Env methods, on any Env, under `dir` (which the Env sees as a
// directory; MemEnv keeps no directories, which the transcript shows).
inline void FileMethods(leveldb::Env* env, const std::string& dir,
                 bool reads_past_end) {
  SayStatus("CreateDir", env->CreateDir(dir));
  leveldb::WritableFile* w = nullptr;
  CHECK_OK(env->NewWritableFile(dir + "/f", &w));
  CHECK_OK(w->Append("hello "));
  CHECK_OK(w->Append(leveldb::Slice("world", 5)));
  CHECK_OK(w->Flush());
  CHECK_OK(w->Sync());
  CHECK_OK(w->Close());
  delete w;
  uint64_t size = 0;
  CHECK_OK(env->GetFileSize(dir + "/f", &size));
  Say("exists f=%d nope=%d size=%llu", env->FileExists(dir + "/f"),
      env->FileExists(dir + "/nope"), static_cast<unsigned long long>(size));

  leveldb::SequentialFile* seq = nullptr;
  CHECK_OK(env->NewSequentialFile(dir + "/f", &seq));
  char scratch[100];
  leveldb::Slice got;
  CHECK_OK(seq->Read(5, &got, scratch));
  std::string line = "sequential: " + got.ToString();
  CHECK_OK(seq->Skip(1));
  CHECK_OK(seq->Read(100, &got, scratch));
  line += "|" + got.ToString();
  CHECK_OK(seq->Read(100, &got, scratch));
  line += "|" + got.ToString() + "|";
  Say("%s", line.c_str());
  delete seq;

  leveldb::RandomAccessFile* raf = nullptr;
  CHECK_OK(env->NewRandomAccessFile(dir + "/f", &raf));
  CHECK_OK(raf->Read(6, 5, &got, scratch));
  line = "random: " + got.ToString();
  CHECK_OK(raf->Read(0, 11, &got, scratch));
  line += "|" + got.ToString();
  Say("%s", line.c_str());
  leveldb::Status s;
  if (reads_past_end) {
    // MemEnv returns what there is. (Env::Default() is left out: LevelDB's
    // answer depends on whether it mapped the file, which it does for the
    // first thousand files only.)
    s = raf->Read(8, 100, &got, scratch);
    Say("read past end: %s |%s|", Clean(s.ToString()).c_str(),
        s.ok() ? got.ToString().c_str() : "");
  }
  delete raf;

  leveldb::WritableFile* a = nullptr;
  s = env->NewAppendableFile(dir + "/f", &a);
  SayStatus("NewAppendableFile", s);
  if (s.ok()) {
    CHECK_OK(a->Append("!"));
    CHECK_OK(a->Close());
    delete a;
  }
  std::string contents;
  CHECK_OK(leveldb::ReadFileToString(env, dir + "/f", &contents));
  Say("contents=%s", contents.c_str());
  CHECK_OK(leveldb::WriteStringToFile(env, "replaced", dir + "/f"));
  CHECK_OK(leveldb::ReadFileToString(env, dir + "/f", &contents));
  Say("after WriteStringToFile=%s", contents.c_str());

  CHECK_OK(env->RenameFile(dir + "/f", dir + "/g"));
  CHECK_OK(leveldb::WriteStringToFile(env, "other", dir + "/h"));
  CHECK_OK(env->RenameFile(dir + "/h", dir + "/g"));
  CHECK_OK(leveldb::ReadFileToString(env, dir + "/g", &contents));
  Say("renamed: f=%d g=%s children=%s", env->FileExists(dir + "/f"),
      contents.c_str(), Children(env, dir).c_str());

  SayStatus("open missing sequential", env->NewSequentialFile(dir + "/nope", &seq));
  Say("  result null=%d", seq == nullptr);
  SayStatus("open missing random", env->NewRandomAccessFile(dir + "/nope", &raf));
  SayStatus("size of missing", env->GetFileSize(dir + "/nope", &size));
  SayStatus("remove missing", env->RemoveFile(dir + "/nope"));
  SayStatus("rename missing", env->RenameFile(dir + "/nope", dir + "/x"));

  CHECK_OK(leveldb::WriteStringToFile(env, "1", dir + "/old-api"));
  CHECK_OK(env->DeleteFile(dir + "/old-api"));
  CHECK_OK(env->RemoveFile(dir + "/g"));
  Say("removed: children=%s", Children(env, dir).c_str());

  leveldb::FileLock* lock = nullptr;
  CHECK_OK(env->LockFile(dir + "/LOCK", &lock));
  leveldb::FileLock* second = nullptr;
  s = env->LockFile(dir + "/LOCK", &second);
  SayStatus("second lock", s);
  if (s.ok()) CHECK_OK(env->UnlockFile(second));
  CHECK_OK(env->UnlockFile(lock));
  CHECK_OK(env->LockFile(dir + "/LOCK", &lock));
  CHECK_OK(env->UnlockFile(lock));
  Say("relocked after unlock");

  leveldb::Logger* logger = nullptr;
  CHECK_OK(env->NewLogger(dir + "/LOG", &logger));
  LogTo(logger, "hello %s %d", "from", 7);
  delete logger;
  contents.clear();
  s = leveldb::ReadFileToString(env, dir + "/LOG", &contents);
  Say("logger file: read ok=%d ends with line=%d", s.ok(),
      contents.size() >= 13 &&
          contents.compare(contents.size() - 13, 13, "hello from 7\n") == 0);
  env->RemoveFile(dir + "/LOG");
  env->RemoveFile(dir + "/LOCK");
  SayStatus("RemoveDir", env->RemoveDir(dir));
  SayStatus("DeleteDir again", env->DeleteDir(dir));

  std::string test_dir;
  CHECK_OK(env->GetTestDirectory(&test_dir));
  Say("test directory=%s", Clean(test_dir).c_str());
}

}  // namespace envtest

#endif  // STRATA_CPP_TESTS_ENV_METHODS_H_
