// The reference for `leveldbutil dump`: LevelDB 1.23's own DumpFile, called
// exactly as its leveldbutil does (Env::Default(), a WritableFile that
// writes to stdout, errors to stderr as ToString() + "\n", exit 1 if any
// file failed). tests/dump.rs builds it against the system libleveldb and
// compares its output with ours, byte for byte, in separate processes.
#include <cstdio>
#include <string>

#include "leveldb/dumpfile.h"
#include "leveldb/env.h"
#include "leveldb/status.h"

namespace {

class StdoutSink : public leveldb::WritableFile {
 public:
  leveldb::Status Append(const leveldb::Slice& data) override {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override {
    std::fflush(stdout);
    return leveldb::Status::OK();
  }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }
};

}  // namespace

int main(int argc, char** argv) {
  leveldb::Env* env = leveldb::Env::Default();
  StdoutSink sink;
  bool ok = true;
  for (int i = 1; i < argc; i++) {
    leveldb::Status s = leveldb::DumpFile(env, argv[i], &sink);
    if (!s.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      ok = false;
    }
  }
  std::fflush(stdout);
  return ok ? 0 : 1;
}
