// RCL's metrics: what the server counts as it runs (RPCs by method and
// status code, command and read latency, group-commit sizes, fsyncs, events,
// backups) and what a scrape reads from the running parts (queue depth, log
// head, projections' checkpoints and lag, subscribers, RocksDB sizes).
// docs/OPERATIONS.md lists every metric and what it means.
//
// Thread-safety: the On*() recorders are lock-free (atomic adds) and safe
// from any thread: the writer thread calls OnWrite() once per fsync, the gRPC
// interceptor OnRpcDone() once per call. SetSources() is called once at
// start, before the HTTP endpoint serves; Render() is safe from any thread
// (a scrape takes the ledger's queue lock and the projections' status lock
// once each, never a lock the write path holds per command).
#ifndef RCL_SERVER_METRICS_SERVER_METRICS_H_
#define RCL_SERVER_METRICS_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ledger/ledger.h"
#include "server/metrics/metrics.h"

namespace rcl::projections {
class Runtime;
}

namespace rcl::server {
class SubscriptionHub;
}

namespace rcl::server::metrics {

// gRPC status codes are 0 (OK) .. 16 (UNAUTHENTICATED).
inline constexpr size_t kStatusCodes = 17;
// Services whose methods get their own counters; any other method (health,
// reflection) is counted as "other".
inline constexpr std::string_view kCountedServices[] = {
    "rcl.v1.LedgerService", "rcl.v1.LogService", "rcl.v1.ReportService", "rcl.v1.AuditService",
    "rcl.v1.AdminService"};

// What a scrape reads besides the counters; every pointer outlives the
// ServerMetrics' use (the server stops the HTTP endpoint first).
struct Sources {
  const ledger::Ledger* ledger = nullptr;
  projections::Runtime* projections = nullptr;
  const SubscriptionHub* hub = nullptr;
};

class ServerMetrics {
 public:
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  void SetSources(const Sources& sources) { sources_ = sources; }

  // The method's slot for OnRpcDone ("/rcl.v1.LogService/ReadAll"); the
  // "other" slot for methods of no counted service. No lock: the table is
  // fixed at construction.
  size_t MethodSlot(std::string_view full_method) const;
  // Streaming methods (Subscribe) and AdminService calls (a backup takes
  // minutes) are counted but kept out of the latency histograms.
  void OnRpcDone(size_t slot, int status_code, int64_t duration_us);
  void OnWrite(const ledger::WriteStats& stats);
  void OnBackup(bool ok, uint64_t position, int64_t duration_us);

  // The exposition text of every metric.
  std::string Render() const;

 private:
  struct Method {
    std::string label;  // "RegisterPatient" for commands, "LogService/ReadAll" else
    bool command = false;
    bool timed = true;  // observed in a latency histogram
    std::array<Counter, kStatusCodes> by_code;
  };
  void RenderRpcs(ExpositionWriter& w) const;
  void RenderWritePath(ExpositionWriter& w) const;
  void RenderProjections(ExpositionWriter& w) const;
  void RenderStorage(ExpositionWriter& w) const;
  void RenderBackups(ExpositionWriter& w) const;

  std::vector<std::unique_ptr<Method>> methods_;  // fixed after construction; last: "other"
  absl::flat_hash_map<std::string, size_t> slot_by_name_;
  Histogram command_us_;
  Histogram read_us_;
  Histogram batch_commands_;
  Histogram fsync_us_;
  Counter events_appended_;
  Counter writes_;
  Counter backups_ok_;
  Counter backups_failed_;
  std::atomic<uint64_t> last_backup_position_{0};
  std::atomic<int64_t> last_backup_unix_s_{0};
  std::atomic<int64_t> last_backup_duration_us_{0};
  const int64_t start_unix_s_;
  Sources sources_;
};

}  // namespace rcl::server::metrics

#endif  // RCL_SERVER_METRICS_SERVER_METRICS_H_
