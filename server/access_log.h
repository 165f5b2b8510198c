// The access log: one line for each read of patient data (who, which RPC,
// which tenant and id, when), appended to <data dir>/access.log and never
// rewritten. Kept off the hot path: gRPC threads only queue a record (a
// bounded queue); one background thread writes and fsyncs them in batches.
//
// When the queue is full (kAccessLogQueueMax records not yet written) the
// read is refused, RESOURCE_EXHAUSTED, and counted in refused(): a read of
// patient data is never answered without its record queued. A record whose
// write fails is logged and counted in write_errors().
//
// Line format (tab-separated, fields C-escaped, newline-terminated):
//   <UTC time, RFC 3339 with microseconds> \t <principal> \t <RPC> \t <tenant> \t <id>
//
// Threads: Record() from any thread; the writer thread owns the file.
#ifndef RCL_SERVER_ACCESS_LOG_H_
#define RCL_SERVER_ACCESS_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rcl::server {

inline constexpr size_t kAccessLogQueueMax = 8192;
inline constexpr size_t kAccessLogFieldMax = 256;  // longer fields are cut
inline constexpr char kAccessLogFile[] = "access.log";

struct AccessRecord {
  absl::Time at;
  std::string principal;
  std::string rpc;
  std::string tenant;
  std::string id;
};

class AccessLog {
 public:
  // Opens (creating) `path` for appending and starts the writer.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();  // writes what is queued, then stops

  // Queues a record; false (and counted) when the queue is full.
  bool Record(AccessRecord record);

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }

 private:
  explicit AccessLog(int fd);
  void WriterLoop();

  const int fd_;
  absl::Mutex mu_;
  std::deque<AccessRecord> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::thread writer_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_ACCESS_LOG_H_
