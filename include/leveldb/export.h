/* Symbol visibility for Strata's LevelDB-compatible C API. */
#ifndef STORAGE_LEVELDB_INCLUDE_EXPORT_H_
#define STORAGE_LEVELDB_INCLUDE_EXPORT_H_

#if !defined(LEVELDB_EXPORT)
#if defined(_WIN32)
#define LEVELDB_EXPORT __declspec(dllimport)
#else
#define LEVELDB_EXPORT __attribute__((visibility("default")))
#endif
#endif

#endif /* STORAGE_LEVELDB_INCLUDE_EXPORT_H_ */
