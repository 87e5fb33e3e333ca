// leveldb::Iterator's out-of-line members (cleanup list), the empty and
// error iterators, and the iterator over an engine iterator.
//
// Invariants: cleanup functions run when the iterator is destroyed, the
// first registered first, then the others newest first (LevelDB 1.23's
// order); the engine iterator's entry is cached in StrataEntry after every
// move, so Valid()/key()/value() never cross the boundary.

#include <vector>

#include "bridge.h"
#include "leveldb/iterator.h"

namespace leveldb {

Iterator::Iterator() {
  cleanup_head_.function = nullptr;
  cleanup_head_.arg1 = nullptr;
  cleanup_head_.arg2 = nullptr;
  cleanup_head_.next = nullptr;
}

Iterator::~Iterator() {
  if (cleanup_head_.IsEmpty()) {
    return;
  }
  cleanup_head_.Run();
  CleanupNode* node = cleanup_head_.next;
  while (node != nullptr) {
    node->Run();
    CleanupNode* next = node->next;
    delete node;
    node = next;
  }
}

void Iterator::RegisterCleanup(CleanupFunction function, void* arg1,
                               void* arg2) {
  CleanupNode* node = &cleanup_head_;
  if (!cleanup_head_.IsEmpty()) {
    node = new CleanupNode();
    node->next = cleanup_head_.next;
    cleanup_head_.next = node;
  }
  node->function = function;
  node->arg1 = arg1;
  node->arg2 = arg2;
}

namespace {

// Never valid; reports the status it was made with.
class StatusOnlyIterator : public Iterator {
 public:
  explicit StatusOnlyIterator(const Status& status) : status_(status) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(const Slice&) override {}
  void Next() override {}
  void Prev() override {}
  Slice key() const override { return Slice(); }
  Slice value() const override { return Slice(); }
  Status status() const override { return status_; }

 private:
  Status status_;
};

}  // namespace

Iterator* NewEmptyIterator() { return new StatusOnlyIterator(Status::OK()); }

Iterator* NewErrorIterator(const Status& status) {
  return new StatusOnlyIterator(status);
}

}  // namespace leveldb

namespace strata_cpp {

namespace {

class EngineIterator : public leveldb::Iterator {
 public:
  explicit EngineIterator(StrataIter* iter) : iter_(iter) {
    entry_.key.data = "";
    entry_.key.len = 0;
    entry_.value = entry_.key;
    entry_.valid = 0;
  }
  ~EngineIterator() override { strata_cpp_iter_free(iter_); }

  bool Valid() const override { return entry_.valid != 0; }
  void SeekToFirst() override { strata_cpp_iter_seek_to_first(iter_, &entry_); }
  void SeekToLast() override { strata_cpp_iter_seek_to_last(iter_, &entry_); }
  void Seek(const leveldb::Slice& target) override {
    strata_cpp_iter_seek(iter_, target.data(), target.size(), &entry_);
  }
  void Next() override { strata_cpp_iter_next(iter_, &entry_); }
  void Prev() override { strata_cpp_iter_prev(iter_, &entry_); }
  leveldb::Slice key() const override {
    return leveldb::Slice(entry_.key.data, entry_.key.len);
  }
  leveldb::Slice value() const override {
    return leveldb::Slice(entry_.value.data, entry_.value.len);
  }
  leveldb::Status status() const override {
    return TakeStatus(strata_cpp_iter_status(iter_));
  }

 private:
  StrataIter* iter_;
  StrataEntry entry_;
};

}  // namespace

leveldb::Iterator* WrapIterator(StrataIter* iter) {
  if (iter == nullptr) {
    return leveldb::NewErrorIterator(
        leveldb::Status::IOError("could not create an iterator"));
  }
  return new EngineIterator(iter);
}

}  // namespace strata_cpp

// Debian's library exports these two instantiations (used by its own
// code); programs built against it may resolve them from us.
template void std::vector<leveldb::Iterator*>::_M_realloc_insert<
    leveldb::Iterator*>(std::vector<leveldb::Iterator*>::iterator,
                        leveldb::Iterator*&&);
template void std::vector<leveldb::Slice>::_M_default_append(size_t);
