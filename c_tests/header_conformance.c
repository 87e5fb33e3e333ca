/* Compile-only proof that Strata's generated leveldb/c.h declares the same
 * API as LevelDB 1.23's.
 *
 * Our header comes first. Then the system header is included again (its
 * include guard undefined, its two enumerators renamed by macro so they do
 * not clash with ours): C11 accepts the repeated `typedef struct X X;` lines,
 * and any prototype whose types differ is a "conflicting types" error. The
 * system header is named by the SYSTEM_LEVELDB_C_H macro because our
 * `-I include` would otherwise shadow <leveldb/c.h>.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -Iinclude
 *        -DSYSTEM_LEVELDB_C_H='"/usr/include/leveldb/c.h"' -c this.c */
#include "leveldb/c.h"

#ifndef SYSTEM_LEVELDB_C_H
#error "define SYSTEM_LEVELDB_C_H as the quoted path of LevelDB 1.23's c.h"
#endif

enum {
  strata_no_compression = leveldb_no_compression,
  strata_snappy_compression = leveldb_snappy_compression
};

#undef STORAGE_LEVELDB_INCLUDE_C_H_
#define leveldb_no_compression system_leveldb_no_compression
#define leveldb_snappy_compression system_leveldb_snappy_compression
#include SYSTEM_LEVELDB_C_H
#undef leveldb_no_compression
#undef leveldb_snappy_compression

_Static_assert(strata_no_compression == 0, "leveldb_no_compression is 0");
_Static_assert(strata_snappy_compression == 1, "leveldb_snappy_compression is 1");
_Static_assert((int)strata_no_compression == (int)system_leveldb_no_compression,
               "leveldb_no_compression matches LevelDB 1.23");
_Static_assert((int)strata_snappy_compression == (int)system_leveldb_snappy_compression,
               "leveldb_snappy_compression matches LevelDB 1.23");

/* Every typedef of both headers names one type: a pointer of ours converts
 * to theirs without a cast (both are the same incomplete struct). */
void strata_header_conformance_types(leveldb_t* db, leveldb_filelock_t* lock,
                                     leveldb_logger_t* logger, leveldb_randomfile_t* rf,
                                     leveldb_seqfile_t* sf, leveldb_writablefile_t* wf);
void strata_header_conformance_types(leveldb_t* db, leveldb_filelock_t* lock,
                                     leveldb_logger_t* logger, leveldb_randomfile_t* rf,
                                     leveldb_seqfile_t* sf, leveldb_writablefile_t* wf) {
  (void)db, (void)lock, (void)logger, (void)rf, (void)sf, (void)wf;
}
