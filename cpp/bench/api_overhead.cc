// The cost of the C++ path over the C path, in one process on one library:
// fillrandom then readrandom (200,000 ops, 16-byte keys, 100-byte values,
// LevelDB's defaults) through the C API (mode "c") or the C++ API ("cpp").
// Run the modes alternately, several times, on a quiet machine:
//   c++ -O2 -std=c++11 -Iinclude cpp/bench/api_overhead.cc -Ltarget/release -lleveldb -o target/api_overhead
//   for i in 1 2 3; do for m in c cpp; do rm -rf /tmp/ao_$m; LD_LIBRARY_PATH=target/release target/api_overhead $m /tmp/ao_$m; done; done
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include "leveldb/c.h"
#include "leveldb/db.h"
// CPU time of the calling thread: the API path's own cost, unaffected by
// other processes and by the database's background compactions.
static double now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
static unsigned rnd(unsigned* s) { *s = *s * 1103515245u + 12345u; return (*s >> 8); }
int main(int argc, char** argv) {
  if (argc < 3) { fprintf(stderr, "usage: api_overhead c|cpp DIR\n"); return 2; }
  int n = 200000; std::string mode = argv[1]; std::string dir = argv[2];
  char key[17]; std::string value(100, 'x'); unsigned seed = 301;
  if (mode == "c") {
    char* err = nullptr;
    leveldb_options_t* o = leveldb_options_create(); leveldb_options_set_create_if_missing(o, 1);
    leveldb_t* db = leveldb_open(o, dir.c_str(), &err);
    leveldb_writeoptions_t* wo = leveldb_writeoptions_create(); leveldb_readoptions_t* ro = leveldb_readoptions_create();
    double t = now();
    for (int i = 0; i < n; i++) { snprintf(key, sizeof key, "%016d", rnd(&seed) % n); leveldb_put(db, wo, key, 16, value.data(), value.size(), &err); }
    double w = now() - t; seed = 7; int found = 0; t = now();
    for (int i = 0; i < n; i++) { snprintf(key, sizeof key, "%016d", rnd(&seed) % n); size_t len; char* v = leveldb_get(db, ro, key, 16, &len, &err); if (v) { found++; leveldb_free(v);} }
    double r = now() - t;
    printf("c   fillrandom %.3f cpu-us/op readrandom %.3f cpu-us/op (%d found)\n", w * 1e6 / n, r * 1e6 / n, found);
    leveldb_close(db);
  } else {
    leveldb::Options o; o.create_if_missing = true; leveldb::DB* db; leveldb::DB::Open(o, dir, &db);
    double t = now();
    for (int i = 0; i < n; i++) { snprintf(key, sizeof key, "%016d", rnd(&seed) % n); db->Put(leveldb::WriteOptions(), leveldb::Slice(key, 16), value); }
    double w = now() - t; seed = 7; int found = 0; t = now(); std::string v;
    for (int i = 0; i < n; i++) { snprintf(key, sizeof key, "%016d", rnd(&seed) % n); if (db->Get(leveldb::ReadOptions(), leveldb::Slice(key, 16), &v).ok()) found++; }
    double r = now() - t;
    printf("c++ fillrandom %.3f cpu-us/op readrandom %.3f cpu-us/op (%d found)\n", w * 1e6 / n, r * 1e6 / n, found);
    delete db;
  }
}
