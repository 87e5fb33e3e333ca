// Strata from C++ through the C API (leveldb/c.h is C and C++ compatible),
// with RAII wrappers so every handle is released on every path.
//
//   c++ -std=c++17 -Iinclude examples/hello_c_api.cpp -Ltarget/release -lleveldb -o target/hello_cpp
//   LD_LIBRARY_PATH=target/release target/hello_cpp [DB_DIR]
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "leveldb/c.h"

namespace {

// Throws the message of a failed call (and frees it).
void Check(char* err) {
  if (err != nullptr) {
    std::string message(err);
    leveldb_free(err);
    throw std::runtime_error(message);
  }
}

template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const { Destroy(p); }
};
template <typename T, void (*Destroy)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Destroy>>;

using Options = Handle<leveldb_options_t, leveldb_options_destroy>;
using ReadOptions = Handle<leveldb_readoptions_t, leveldb_readoptions_destroy>;
using WriteOptions = Handle<leveldb_writeoptions_t, leveldb_writeoptions_destroy>;
using Db = Handle<leveldb_t, leveldb_close>;
using Iterator = Handle<leveldb_iterator_t, leveldb_iter_destroy>;

// leveldb_get as a std::string; false if the key is absent.
bool Get(leveldb_t* db, const leveldb_readoptions_t* ropts, const std::string& key,
         std::string* value) {
  char* err = nullptr;
  size_t len = 0;
  char* raw = leveldb_get(db, ropts, key.data(), key.size(), &len, &err);
  Check(err);
  if (raw == nullptr) return false;
  value->assign(raw, len);
  leveldb_free(raw);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "/tmp/strata-hello-cpp-db";
  try {
    Options options(leveldb_options_create());
    leveldb_options_set_create_if_missing(options.get(), 1);
    char* err = nullptr;
    {
      Db db(leveldb_open(options.get(), path.c_str(), &err));
      Check(err);
      WriteOptions wopts(leveldb_writeoptions_create());
      ReadOptions ropts(leveldb_readoptions_create());

      const std::string key = "hello", val = "world";
      leveldb_put(db.get(), wopts.get(), key.data(), key.size(), val.data(), val.size(), &err);
      Check(err);

      std::string value;
      if (!Get(db.get(), ropts.get(), key, &value)) throw std::runtime_error("hello: not found");
      std::printf("hello = %s\n", value.c_str());

      Iterator it(leveldb_create_iterator(db.get(), ropts.get()));
      for (leveldb_iter_seek_to_first(it.get()); leveldb_iter_valid(it.get());
           leveldb_iter_next(it.get())) {
        size_t klen, vlen;
        const char* k = leveldb_iter_key(it.get(), &klen);
        const char* v = leveldb_iter_value(it.get(), &vlen);
        std::printf("  %s -> %s\n", std::string(k, klen).c_str(), std::string(v, vlen).c_str());
      }
      leveldb_iter_get_error(it.get(), &err);
      Check(err);
    }  // iterator, then database closed here (reverse declaration order)
    leveldb_destroy_db(options.get(), path.c_str(), &err);
    Check(err);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
