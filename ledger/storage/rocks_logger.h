// RocksDB's info log (the LOG file of a RocksDB directory), written so that
// a full disk cannot take the process down. RocksDB 7.8's own logger writes
// LOG through a buffered WritableFileWriter and flushes it every 5 s; a
// flush that fails (ENOSPC) leaves the writer in an error state, and in a
// build with assertions (Debian's librocksdb) the next line logged (a flush,
// the shutdown) aborts the process in
// WritableFileWriter::AssertFalseAndGetStatusForPrevError. A disk filled to
// the last byte by another process did exactly that in
// tests/integration/disk_full_test.cc, the ledger idle. This logger writes
// each line with one write(2) and keeps no state about failures: the lines
// logged while the disk is full are lost, nothing else.
//
// Like RocksDB's logger it starts a new LOG at each open, keeping the
// previous ones as LOG.old.<microseconds> (the newest kRocksLogsKept).
//
// Thread-safety: Logv may be called from any thread (one write(2) per line,
// O_APPEND).
#ifndef RCL_LEDGER_STORAGE_ROCKS_LOGGER_H_
#define RCL_LEDGER_STORAGE_ROCKS_LOGGER_H_

#include <cstdarg>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/env.h"

namespace rcl::ledger {

// Old LOG files kept beside the current one (RocksDB's keep_log_file_num).
inline constexpr size_t kRocksLogsKept = 10;

class RocksLogger : public rocksdb::Logger {
 public:
  // Creates `dir` if missing, moves its LOG aside and opens a new one.
  // UNAVAILABLE naming the file when it cannot.
  static absl::StatusOr<std::shared_ptr<rocksdb::Logger>> Open(const std::string& dir);

  ~RocksLogger() override;
  RocksLogger(const RocksLogger&) = delete;
  RocksLogger& operator=(const RocksLogger&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  explicit RocksLogger(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STORAGE_ROCKS_LOGGER_H_
