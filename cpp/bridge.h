// The C++ side of the internal ABI (src/ffi/cpp_bridge.rs, src/ffi/cpp_env.rs).
//
// Invariants:
// - Every strata_cpp_* function is defined in Rust and declared here with
//   hidden visibility, so the shared library never exports it (ELF keeps the
//   most restrictive visibility among a symbol's references).
// - The structs below mirror Rust #[repr(C)] structs field for field; a
//   change on one side must be made on the other.
// - A StrataStatus is NULL (OK) or an error owned by whoever holds it: Rust
//   hands us errors we convert with strata_cpp::TakeStatus (which frees
//   them); we hand Rust errors made by strata_cpp::MakeStatus.
#ifndef STRATA_CPP_BRIDGE_H_
#define STRATA_CPP_BRIDGE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/slice.h"
#include "leveldb/status.h"

#define STRATA_HIDDEN __attribute__((visibility("hidden")))

extern "C" {

struct StrataError;
struct StrataDB;
struct StrataIter;
struct StrataSnapshot;
struct StrataCache;
struct StrataBloom;
struct StrataEnv;
typedef StrataError* StrataStatus;
typedef void (*StrataSink)(void* ctx, const char* data, size_t len);
typedef void (*StrataWork)(void* arg);

// Object kinds shared with cpp_env.rs (KIND_*).
enum {
  kStrataSequential = 0,
  kStrataRandom = 1,
  kStrataWritable = 2,
  kStrataAppendable = 3,
  kStrataLogger = 4,
  kStrataLock = 5
};

struct StrataRawSlice {
  const char* data;
  size_t len;
};

struct StrataEnvCallbacks {
  StrataStatus (*open)(void* env, int kind, const char* path, size_t len,
                       void** out);
  uint8_t (*file_exists)(void* env, const char* path, size_t len);
  StrataStatus (*get_children)(void* env, const char* path, size_t len,
                               void* ctx, StrataSink sink);
  StrataStatus (*path_op)(void* env, int op, const char* path, size_t len);
  StrataStatus (*file_size)(void* env, const char* path, size_t len,
                            uint64_t* size);
  StrataStatus (*rename)(void* env, const char* from, size_t from_len,
                         const char* to, size_t to_len);
  StrataStatus (*lock)(void* env, const char* path, size_t len, void** out);
  StrataStatus (*unlock)(void* env, void* lock);
  uint64_t (*now_micros)(void* env);
  void (*sleep)(void* env, int micros);
  void (*schedule)(void* env, StrataWork function, void* arg);
  StrataStatus (*seq_read)(void* file, char* buf, size_t len, size_t* n);
  StrataStatus (*seq_skip)(void* file, uint64_t n);
  StrataStatus (*rand_read)(void* file, uint64_t offset, char* buf,
                            size_t len, size_t* n);
  StrataStatus (*wf_append)(void* file, const char* data, size_t len);
  StrataStatus (*wf_op)(void* file, int op);
  void (*delete_object)(void* obj, int kind);
};

// A leveldb::Cache of the caller used as a database's block cache. Values
// inserted are engine blocks (freed by strata_cpp_block_free, which the
// deleter passed to Insert calls); handles are the cache's own.
struct StrataCacheCallbacks {
  void* (*insert)(void* cache, const char* key, size_t key_len, void* value,
                  size_t charge);
  void* (*lookup)(void* cache, const char* key, size_t key_len);
  void* (*value)(void* cache, void* handle);
  void (*release)(void* cache, void* handle);
  void (*erase)(void* cache, const char* key, size_t key_len);
  uint64_t (*new_id)(void* cache);
  size_t (*total_charge)(void* cache);
};

struct StrataCallbacks {
  void (*string_assign)(void* s, const char* data, size_t len);
  int (*cmp_compare)(void* cmp, const char* a, size_t alen, const char* b,
                     size_t blen);
  const char* (*cmp_name)(void* cmp);
  void (*cmp_separator)(void* cmp, const char* start, size_t start_len,
                        const char* limit, size_t limit_len, void* ctx,
                        StrataSink sink);
  void (*cmp_successor)(void* cmp, const char* key, size_t key_len, void* ctx,
                        StrataSink sink);
  const char* (*fp_name)(void* fp);
  void (*fp_create)(void* fp, const StrataRawSlice* keys, int n, void* ctx,
                    StrataSink sink);
  uint8_t (*fp_match)(void* fp, const char* key, size_t key_len,
                      const char* filter, size_t filter_len);
  void (*logger_log)(void* logger, const char* line, size_t len);
  StrataEnvCallbacks env;
  StrataCacheCallbacks cache;
};

struct StrataOptions {
  void* comparator;
  void* filter_policy;
  const StrataBloom* native_filter_policy;
  void* env;
  const StrataEnv* native_env;
  void* info_log;
  const StrataCache* block_cache;
  void* user_block_cache;
  size_t write_buffer_size;
  size_t block_size;
  size_t max_file_size;
  int max_open_files;
  int block_restart_interval;
  int compression;
  uint8_t create_if_missing;
  uint8_t error_if_exists;
  uint8_t paranoid_checks;
  uint8_t reuse_logs;
};

struct StrataReadOptions {
  const StrataSnapshot* snapshot;
  uint8_t verify_checksums;
  uint8_t fill_cache;
};

struct StrataEntry {
  StrataRawSlice key;
  StrataRawSlice value;
  uint8_t valid;
};

STRATA_HIDDEN void strata_cpp_init(const StrataCallbacks* table);
STRATA_HIDDEN void strata_cpp_block_free(void* block);
STRATA_HIDDEN StrataStatus strata_cpp_error_new(int code, const char* msg,
                                                size_t len);
STRATA_HIDDEN int strata_cpp_error_code(const StrataError* err);
STRATA_HIDDEN const char* strata_cpp_error_message(const StrataError* err,
                                                   size_t* len);
STRATA_HIDDEN void strata_cpp_error_free(StrataError* err);

STRATA_HIDDEN StrataStatus strata_cpp_db_open(const StrataOptions* options,
                                              const char* name, size_t len,
                                              StrataDB** out);
STRATA_HIDDEN void strata_cpp_db_close(StrataDB* db);
STRATA_HIDDEN StrataStatus strata_cpp_db_put(const StrataDB* db, uint8_t sync,
                                             const char* key, size_t key_len,
                                             const char* value,
                                             size_t value_len);
STRATA_HIDDEN StrataStatus strata_cpp_db_delete(const StrataDB* db,
                                                uint8_t sync, const char* key,
                                                size_t key_len);
STRATA_HIDDEN StrataStatus strata_cpp_db_write(const StrataDB* db, uint8_t sync,
                                               const char* rep, size_t len);
STRATA_HIDDEN StrataStatus strata_cpp_db_get(const StrataDB* db,
                                             const StrataReadOptions* options,
                                             const char* key, size_t key_len,
                                             void* value, uint8_t* found);
STRATA_HIDDEN StrataIter* strata_cpp_db_iter(const StrataDB* db,
                                             const StrataReadOptions* options);
STRATA_HIDDEN StrataSnapshot* strata_cpp_db_snapshot(const StrataDB* db);
STRATA_HIDDEN void strata_cpp_snapshot_free(StrataSnapshot* snapshot);
STRATA_HIDDEN uint8_t strata_cpp_db_property(const StrataDB* db,
                                             const char* name, size_t len,
                                             void* value);
STRATA_HIDDEN void strata_cpp_db_sizes(const StrataDB* db,
                                       const StrataRawSlice* ranges, int n,
                                       uint64_t* sizes);
STRATA_HIDDEN void strata_cpp_db_compact(const StrataDB* db,
                                         const StrataRawSlice* begin,
                                         const StrataRawSlice* end);
STRATA_HIDDEN StrataStatus strata_cpp_db_destroy_or_repair(
    const StrataOptions* options, const char* name, size_t len,
    uint8_t repair);

STRATA_HIDDEN void strata_cpp_iter_seek_to_first(StrataIter* it,
                                                 StrataEntry* e);
STRATA_HIDDEN void strata_cpp_iter_seek_to_last(StrataIter* it,
                                                StrataEntry* e);
STRATA_HIDDEN void strata_cpp_iter_seek(StrataIter* it, const char* target,
                                        size_t len, StrataEntry* e);
STRATA_HIDDEN void strata_cpp_iter_next(StrataIter* it, StrataEntry* e);
STRATA_HIDDEN void strata_cpp_iter_prev(StrataIter* it, StrataEntry* e);
STRATA_HIDDEN StrataStatus strata_cpp_iter_status(const StrataIter* it);
STRATA_HIDDEN void strata_cpp_iter_free(StrataIter* it);

STRATA_HIDDEN StrataCache* strata_cpp_cache_new(size_t capacity);
STRATA_HIDDEN size_t strata_cpp_cache_charge(const StrataCache* cache);
STRATA_HIDDEN void strata_cpp_cache_free(StrataCache* cache);

STRATA_HIDDEN StrataBloom* strata_cpp_bloom_new(int bits_per_key);
STRATA_HIDDEN void strata_cpp_bloom_create(const StrataBloom* policy,
                                           const StrataRawSlice* keys, int n,
                                           void* dst, StrataSink sink);
STRATA_HIDDEN uint8_t strata_cpp_bloom_match(const StrataBloom* policy,
                                             const char* key, size_t key_len,
                                             const char* filter,
                                             size_t filter_len);
STRATA_HIDDEN void strata_cpp_bloom_free(StrataBloom* policy);

STRATA_HIDDEN const StrataEnv* strata_cpp_env_default();
STRATA_HIDDEN StrataEnv* strata_cpp_env_mem_new(void* base);
STRATA_HIDDEN void strata_cpp_env_free(StrataEnv* env);
STRATA_HIDDEN StrataStatus strata_cpp_env_open(const StrataEnv* env, int kind,
                                               const char* path, size_t len,
                                               void** out);
STRATA_HIDDEN void strata_cpp_object_free(void* obj, int kind);
STRATA_HIDDEN uint8_t strata_cpp_env_exists(const StrataEnv* env,
                                            const char* path, size_t len);
STRATA_HIDDEN StrataStatus strata_cpp_env_children(const StrataEnv* env,
                                                   const char* path,
                                                   size_t len, void* ctx,
                                                   StrataSink sink);
STRATA_HIDDEN StrataStatus strata_cpp_env_path_op(const StrataEnv* env, int op,
                                                  const char* path,
                                                  size_t len);
STRATA_HIDDEN StrataStatus strata_cpp_env_size(const StrataEnv* env,
                                               const char* path, size_t len,
                                               uint64_t* size);
STRATA_HIDDEN StrataStatus strata_cpp_env_rename(const StrataEnv* env,
                                                 const char* from,
                                                 size_t from_len,
                                                 const char* to,
                                                 size_t to_len);
STRATA_HIDDEN StrataStatus strata_cpp_env_lock(const StrataEnv* env,
                                               const char* path, size_t len,
                                               void** out);
STRATA_HIDDEN uint64_t strata_cpp_env_now(const StrataEnv* env);
STRATA_HIDDEN void strata_cpp_env_sleep(const StrataEnv* env, int micros);
STRATA_HIDDEN void strata_cpp_env_schedule(const StrataEnv* env,
                                           StrataWork function, void* arg);
STRATA_HIDDEN void strata_cpp_start_thread(StrataWork function, void* arg);
STRATA_HIDDEN StrataStatus strata_cpp_seq_read(void* file, size_t len,
                                               char* scratch, size_t* n);
STRATA_HIDDEN StrataStatus strata_cpp_seq_skip(void* file, uint64_t n);
STRATA_HIDDEN StrataStatus strata_cpp_rand_read(const void* file,
                                                uint64_t offset, size_t len,
                                                char* scratch,
                                                const char** data, size_t* n);
STRATA_HIDDEN StrataStatus strata_cpp_wf_append(void* file, const char* data,
                                                size_t len);
STRATA_HIDDEN StrataStatus strata_cpp_wf_op(void* file, int op);
STRATA_HIDDEN void strata_cpp_logger_log(const void* logger, const char* line,
                                         size_t len);

struct StrataTable;
struct StrataBuilder;
STRATA_HIDDEN StrataStatus strata_cpp_table_open(const StrataOptions* options,
                                                 void* file, uint64_t size,
                                                 StrataTable** out);
STRATA_HIDDEN StrataIter* strata_cpp_table_iter(
    const StrataTable* table, const StrataReadOptions* options);
STRATA_HIDDEN uint64_t strata_cpp_table_offset(const StrataTable* table,
                                               const char* key, size_t len);
STRATA_HIDDEN void strata_cpp_table_free(StrataTable* table);
STRATA_HIDDEN StrataBuilder* strata_cpp_builder_new(
    const StrataOptions* options, void* file);
STRATA_HIDDEN void strata_cpp_builder_change(StrataBuilder* builder,
                                             const StrataOptions* options);
STRATA_HIDDEN void strata_cpp_builder_add(StrataBuilder* builder,
                                          const char* key, size_t key_len,
                                          const char* value, size_t value_len);
STRATA_HIDDEN StrataStatus strata_cpp_builder_op(StrataBuilder* builder,
                                                 uint8_t op);
STRATA_HIDDEN uint64_t strata_cpp_builder_count(const StrataBuilder* builder,
                                                uint8_t what);
STRATA_HIDDEN void strata_cpp_builder_free(StrataBuilder* builder);

STRATA_HIDDEN StrataStatus strata_cpp_dump_file(const StrataEnv* native_env,
                                                void* env, const char* name,
                                                size_t len, void* dst);

}  // extern "C"

namespace strata_cpp {

// Registers the trampolines of callbacks.cc with the engine (once; cheap
// afterwards). Called before creating anything that may call back.
STRATA_HIDDEN void EnsureInit();

// Converts (and frees) an engine status.
STRATA_HIDDEN leveldb::Status TakeStatus(StrataStatus status);

// An engine status (owned by the receiver) for a C++ one; NULL for OK.
STRATA_HIDDEN StrataStatus MakeStatus(const leveldb::Status& status);

// Translates options; objects of ours go to the engine's own objects.
STRATA_HIDDEN void TranslateOptions(const leveldb::Options& options,
                                    StrataOptions* out);

// The engine env behind one of our Env objects, or NULL for a caller's.
STRATA_HIDDEN const StrataEnv* NativeEnvOf(leveldb::Env* env);

// Sink appending to a std::string*.
STRATA_HIDDEN void AppendToString(void* ctx, const char* data, size_t len);

// An iterator over an engine iterator (owned).
STRATA_HIDDEN leveldb::Iterator* WrapIterator(StrataIter* iter);

}  // namespace strata_cpp

#endif  // STRATA_CPP_BRIDGE_H_
