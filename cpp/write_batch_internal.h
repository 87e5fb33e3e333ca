// Access to WriteBatch::rep_ for the library (WriteBatch names this class
// its friend), as LevelDB's own WriteBatchInternal has.
#ifndef STRATA_CPP_WRITE_BATCH_INTERNAL_H_
#define STRATA_CPP_WRITE_BATCH_INTERNAL_H_

#include <string>

#include "leveldb/write_batch.h"

namespace leveldb {

class WriteBatchInternal {
 public:
  static const std::string& Contents(const WriteBatch* batch) {
    return batch->rep_;
  }
  static std::string* Rep(WriteBatch* batch) { return &batch->rep_; }
};

}  // namespace leveldb

#endif  // STRATA_CPP_WRITE_BATCH_INTERNAL_H_
