// leveldb::Table and leveldb::TableBuilder over the engine's table reader
// and builder, and leveldb::DumpFile (src/ffi/cpp_dump.rs).
//
// Invariants: Table::Rep / TableBuilder::Rep own their engine object; the
// caller's file is borrowed (LevelDB's contract: it outlives the table or
// builder, and the caller syncs, closes and deletes it). The builder keeps
// the options it was made with, to refuse a comparator change as LevelDB
// does.

#include "bridge.h"
#include "leveldb/comparator.h"
#include "leveldb/dumpfile.h"
#include "leveldb/env.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"

namespace leveldb {

struct Table::Rep {
  StrataTable* native;
};

Status Table::Open(const Options& options, RandomAccessFile* file,
                   uint64_t file_size, Table** table) {
  *table = nullptr;
  StrataOptions translated;
  strata_cpp::TranslateOptions(options, &translated);
  StrataTable* native = nullptr;
  Status s = strata_cpp::TakeStatus(
      strata_cpp_table_open(&translated, file, file_size, &native));
  if (s.ok()) {
    Rep* rep = new Rep;
    rep->native = native;
    *table = new Table(rep);
  }
  return s;
}

Table::~Table() {
  strata_cpp_table_free(rep_->native);
  delete rep_;
}

Iterator* Table::NewIterator(const ReadOptions& options) const {
  StrataReadOptions ro;
  ro.snapshot = nullptr;
  ro.verify_checksums = options.verify_checksums ? 1 : 0;
  ro.fill_cache = options.fill_cache ? 1 : 0;
  return strata_cpp::WrapIterator(strata_cpp_table_iter(rep_->native, &ro));
}

uint64_t Table::ApproximateOffsetOf(const Slice& key) const {
  return strata_cpp_table_offset(rep_->native, key.data(), key.size());
}

struct TableBuilder::Rep {
  StrataBuilder* native;
  const Comparator* comparator;
};

TableBuilder::TableBuilder(const Options& options, WritableFile* file)
    : rep_(new Rep) {
  StrataOptions translated;
  strata_cpp::TranslateOptions(options, &translated);
  rep_->native = strata_cpp_builder_new(&translated, file);
  rep_->comparator = options.comparator;
}

TableBuilder::~TableBuilder() {
  strata_cpp_builder_free(rep_->native);
  delete rep_;
}

Status TableBuilder::ChangeOptions(const Options& options) {
  if (options.comparator != rep_->comparator) {
    return Status::InvalidArgument("changing comparator while building table");
  }
  // Block size, restart interval, compression and the filter's name apply
  // to the blocks written from now on, as in LevelDB.
  StrataOptions translated;
  strata_cpp::TranslateOptions(options, &translated);
  strata_cpp_builder_change(rep_->native, &translated);
  return Status::OK();
}

void TableBuilder::Add(const Slice& key, const Slice& value) {
  strata_cpp_builder_add(rep_->native, key.data(), key.size(), value.data(),
                         value.size());
}

void TableBuilder::Flush() {
  // Ends the current data block and writes it (a no-op when it is empty).
  strata_cpp::TakeStatus(strata_cpp_builder_op(rep_->native, 3));
}

Status TableBuilder::status() const {
  return strata_cpp::TakeStatus(strata_cpp_builder_op(rep_->native, 0));
}

Status TableBuilder::Finish() {
  return strata_cpp::TakeStatus(strata_cpp_builder_op(rep_->native, 1));
}

void TableBuilder::Abandon() {
  strata_cpp::TakeStatus(strata_cpp_builder_op(rep_->native, 2));
}

uint64_t TableBuilder::NumEntries() const {
  return strata_cpp_builder_count(rep_->native, 0);
}

uint64_t TableBuilder::FileSize() const {
  return strata_cpp_builder_count(rep_->native, 1);
}

Status DumpFile(Env* env, const std::string& fname, WritableFile* dst) {
  strata_cpp::EnsureInit();
  const StrataEnv* native = strata_cpp::NativeEnvOf(env);
  return strata_cpp::TakeStatus(strata_cpp_dump_file(
      native, native == nullptr ? env : nullptr, fname.data(), fname.size(),
      dst));
}

}  // namespace leveldb
