/* Symbol visibility for Strata's LevelDB-compatible headers (the C API in
   c.h and the C++ API in the other headers of this folder).

   LEVELDB_EXPORT marks what the library exports. A program may define it
   itself before including any header; otherwise it gives default visibility
   on ELF platforms, so the library stays exported even when built with
   -fvisibility=hidden, and imports from the DLL on Windows. This file is
   valid C and C++. */
#ifndef STORAGE_LEVELDB_INCLUDE_EXPORT_H_
#define STORAGE_LEVELDB_INCLUDE_EXPORT_H_

/* Set by Strata's headers only (never by LevelDB's): lets a build or a test
   tell which set of headers the compiler found. */
#define STRATA_LEVELDB_HEADERS 1

#if !defined(LEVELDB_EXPORT)
#if defined(_WIN32)
#define LEVELDB_EXPORT __declspec(dllimport)
#else
#define LEVELDB_EXPORT __attribute__((visibility("default")))
#endif
#endif

#endif /* STORAGE_LEVELDB_INCLUDE_EXPORT_H_ */
