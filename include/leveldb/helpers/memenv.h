// NewMemEnv: an Env whose files live in memory only.

#ifndef STORAGE_LEVELDB_HELPERS_MEMENV_MEMENV_H_
#define STORAGE_LEVELDB_HELPERS_MEMENV_MEMENV_H_

#include "leveldb/export.h"

namespace leveldb {

class Env;

// A new Env keeping every file and directory in memory (nothing reaches
// the disk and everything vanishes when it is deleted); what is not about
// files (threads, the clock) is forwarded to base_env. The caller deletes
// it after every database using it is closed. Safe for concurrent use.
LEVELDB_EXPORT Env* NewMemEnv(Env* base_env);

}  // namespace leveldb

#endif  // STORAGE_LEVELDB_HELPERS_MEMENV_MEMENV_H_
