// Shared by the C++ test programs in cpp_tests/: checks that stop the
// program with a message, and printing helpers that keep transcripts
// comparable between runs (the scratch directory, which differs per run,
// is printed as "<dir>").
//
// Every program takes its scratch directory as argv[1], prints a
// transcript on stdout and ends with "PASS". tests/cpp_api.rs builds each
// program against our headers and library and against LevelDB 1.23, runs
// each in its own process and requires identical transcripts.

#ifndef STRATA_CPP_TESTS_CPP_TEST_H_
#define STRATA_CPP_TESTS_CPP_TEST_H_

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "leveldb/export.h"
#include "leveldb/slice.h"
#include "leveldb/status.h"

#if defined(STRATA_EXPECT_OURS) && !defined(STRATA_LEVELDB_HEADERS)
#error "expected Strata's headers (include/), found others"
#endif
#if defined(STRATA_EXPECT_SYSTEM) && defined(STRATA_LEVELDB_HEADERS)
#error "expected the system's LevelDB headers, found Strata's"
#endif

namespace cpptest {

// The scratch directory (argv[1]); set by Init.
inline std::string& Dir() {
  static std::string dir;
  return dir;
}

// With STRATA_SHOW_LIBRARY set, tells on stderr which LevelDB library the
// loader mapped into this process ("library: PATH"), from /proc/self/maps:
// the drop-in test runs a binary linked against LevelDB 1.23 with our
// library first on LD_LIBRARY_PATH and checks which one it got.
inline void ShowLibrary() {
  if (std::getenv("STRATA_SHOW_LIBRARY") == nullptr) return;
  std::FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return;
  char line[4096];
  while (std::fgets(line, sizeof(line), maps) != nullptr) {
    const char* path = std::strchr(line, '/');
    if (path != nullptr && std::strstr(path, "/libleveldb") != nullptr) {
      std::fprintf(stderr, "library: %s", path);
      break;
    }
  }
  std::fclose(maps);
}

inline void Init(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
    std::exit(2);
  }
  Dir() = argv[1];
  // Unbuffered: a crash still leaves the transcript up to the crash.
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  ShowLibrary();
}

// A path inside the scratch directory.
inline std::string Path(const std::string& name) { return Dir() + "/" + name; }

// s with every occurrence of the scratch directory replaced by "<dir>".
inline std::string Clean(std::string s) {
  const std::string& dir = Dir();
  if (dir.empty()) return s;
  for (size_t at = s.find(dir); at != std::string::npos;
       at = s.find(dir, at + 5)) {
    s.replace(at, dir.size(), "<dir>");
  }
  return s;
}

// Bytes printed so that binary data stays on one line: printable ASCII
// as is, everything else as \xNN.
inline std::string Show(const leveldb::Slice& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

inline void Say(const char* format, ...) __attribute__((format(printf, 1, 2)));
inline void Say(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  std::vprintf(format, ap);
  va_end(ap);
  std::printf("\n");
}

// "label: <status text>", with the scratch directory cleaned.
inline void SayStatus(const char* label, const leveldb::Status& s) {
  Say("%s: %s", label, Clean(s.ToString()).c_str());
}

// FNV-1a over bytes: a short fingerprint of file contents for transcripts.
inline uint64_t Fingerprint(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

[[noreturn]] inline void Fail(const char* file, int line, const char* what,
                              const std::string& detail) {
  std::printf("FAIL %s:%d: %s %s\n", file, line, what, detail.c_str());
  std::fflush(stdout);
  std::exit(1);
}

}  // namespace cpptest

#define CHECK(cond)                                           \
  do {                                                        \
    if (!(cond)) cpptest::Fail(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define CHECK_OK(expr)                                                    \
  do {                                                                    \
    leveldb::Status check_ok_status_ = (expr);                            \
    if (!check_ok_status_.ok())                                           \
      cpptest::Fail(__FILE__, __LINE__, #expr,                            \
                    cpptest::Clean(check_ok_status_.ToString()));         \
  } while (0)

#endif  // STRATA_CPP_TESTS_CPP_TEST_H_
