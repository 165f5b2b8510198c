#include "server/metrics/server_metrics.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "ledger/status.h"
#include "projections/runtime.h"
#include "rocksdb/db.h"
#include "server/subscriptions.h"

namespace rcl::server::metrics {
namespace {

// Latency buckets, microseconds (rendered in seconds): 100 us .. 10 s.
constexpr uint64_t kLatencyBoundsUs[] = {
    100,    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,
    50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
// Commands per fsync: powers of two up to beyond the largest --batch-max
// the writer merges (several decided batches can share one fsync).
constexpr uint64_t kBatchBounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
static_assert(std::size(kLatencyBoundsUs) <= kHistogramBucketsMax &&
              std::size(kBatchBounds) <= kHistogramBucketsMax);

constexpr double kMicros = 1e6;

// "ok", "failed_precondition": the status code's name as a label value.
std::string CodeLabel(int code) {
  static const char* const kNames[kStatusCodes] = {"ok",
                                                   "cancelled",
                                                   "unknown",
                                                   "invalid_argument",
                                                   "deadline_exceeded",
                                                   "not_found",
                                                   "already_exists",
                                                   "permission_denied",
                                                   "resource_exhausted",
                                                   "failed_precondition",
                                                   "aborted",
                                                   "out_of_range",
                                                   "unimplemented",
                                                   "internal",
                                                   "unavailable",
                                                   "data_loss",
                                                   "unauthenticated"};
  return kNames[code];
}

bool IsCommandResponse(const google::protobuf::Descriptor* output) {
  return output->full_name() == "rcl.v1.CommandResponse" ||
         output->full_name() == "rcl.v1.ImportRemittanceFileResponse" ||
         output->full_name() == "rcl.v1.ImportRemittanceFileStreamResponse";
}

uint64_t RocksProperty(rocksdb::DB* db, const char* property) {
  uint64_t value = 0;
  if (db == nullptr || !db->GetAggregatedIntProperty(property, &value)) return 0;
  return value;
}

}  // namespace

ServerMetrics::ServerMetrics()
    : command_us_(kLatencyBoundsUs, kMicros),
      read_us_(kLatencyBoundsUs, kMicros),
      batch_commands_(kBatchBounds, 1),
      fsync_us_(kLatencyBoundsUs, kMicros),
      start_unix_s_(absl::ToUnixSeconds(absl::Now())) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (std::string_view service_name : kCountedServices) {
    const auto* service = pool->FindServiceByName(std::string(service_name));
    if (service == nullptr) continue;  // not linked into this binary
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      auto method = std::make_unique<Method>();
      method->command = service->name() == "LedgerService" && IsCommandResponse(m->output_type());
      method->timed =
          !m->server_streaming() && !m->client_streaming() && service->name() != "AdminService";
      method->label = method->command ? m->name() : absl::StrCat(service->name(), "/", m->name());
      slot_by_name_[absl::StrCat("/", service->full_name(), "/", m->name())] = methods_.size();
      methods_.push_back(std::move(method));
    }
  }
  auto other = std::make_unique<Method>();
  other->label = "other";
  methods_.push_back(std::move(other));
}

size_t ServerMetrics::MethodSlot(std::string_view full_method) const {
  auto it = slot_by_name_.find(AbslView(full_method));
  return it == slot_by_name_.end() ? methods_.size() - 1 : it->second;
}

void ServerMetrics::OnRpcDone(size_t slot, int status_code, int64_t duration_us) {
  RCL_CHECK(slot < methods_.size());
  if (status_code < 0 || status_code >= static_cast<int>(kStatusCodes)) status_code = 2;
  Method& m = *methods_[slot];
  m.by_code[static_cast<size_t>(status_code)].Add();
  if (!m.timed || slot == methods_.size() - 1) return;
  uint64_t us = static_cast<uint64_t>(std::max<int64_t>(duration_us, 0));
  (m.command ? command_us_ : read_us_).Observe(us);
}

void ServerMetrics::OnWrite(const ledger::WriteStats& stats) {
  writes_.Add();
  batch_commands_.Observe(stats.commands);
  fsync_us_.Observe(static_cast<uint64_t>(std::max<int64_t>(stats.write_us, 0)));
  events_appended_.Add(stats.events);
}

void ServerMetrics::OnBackup(bool ok, uint64_t position, int64_t duration_us) {
  if (!ok) {
    backups_failed_.Add();
    return;
  }
  backups_ok_.Add();
  last_backup_position_.store(position, std::memory_order_relaxed);
  last_backup_unix_s_.store(absl::ToUnixSeconds(absl::Now()), std::memory_order_relaxed);
  last_backup_duration_us_.store(duration_us, std::memory_order_relaxed);
}

std::string ServerMetrics::Render() const {
  ExpositionWriter w;
  w.Family("rcl_process_start_time_seconds", "gauge", "Unix time the server started.");
  w.Sample("rcl_process_start_time_seconds", {}, static_cast<double>(start_unix_s_));
  RenderRpcs(w);
  RenderWritePath(w);
  RenderProjections(w);
  RenderStorage(w);
  RenderBackups(w);
  return w.text();
}

void ServerMetrics::RenderRpcs(ExpositionWriter& w) const {
  w.Family("rcl_commands_total", "counter",
           "Commands answered, by command and outcome (the gRPC status code; ok = written).");
  for (const auto& m : methods_) {
    if (!m->command) continue;
    for (size_t code = 0; code < kStatusCodes; ++code) {
      uint64_t n = m->by_code[code].value();
      // Every command's ok line is always there (a rate needs a first zero).
      if (n == 0 && code != 0) continue;
      std::string outcome = CodeLabel(static_cast<int>(code));
      w.Sample("rcl_commands_total", {{"command", m->label}, {"outcome", outcome}},
               static_cast<double>(n));
    }
  }
  w.Family("rcl_requests_total", "counter",
           "Reads and other non-command calls answered, by method and gRPC status code.");
  for (const auto& m : methods_) {
    if (m->command) continue;
    for (size_t code = 0; code < kStatusCodes; ++code) {
      uint64_t n = m->by_code[code].value();
      if (n == 0) continue;
      std::string label = CodeLabel(static_cast<int>(code));
      w.Sample("rcl_requests_total", {{"method", m->label}, {"code", label}},
               static_cast<double>(n));
    }
  }
  w.Family("rcl_command_duration_seconds", "histogram",
           "Commands from receipt to answer (queue, decision, fsync), every outcome.");
  w.HistogramSamples("rcl_command_duration_seconds", {}, command_us_.Read());
  w.Family("rcl_read_duration_seconds", "histogram",
           "Unary reads and reports from receipt to answer.");
  w.HistogramSamples("rcl_read_duration_seconds", {}, read_us_.Read());
}

void ServerMetrics::RenderWritePath(ExpositionWriter& w) const {
  const ledger::Ledger* ledger = sources_.ledger;
  w.Family("rcl_events_appended_total", "counter", "Events appended to the log by this process.");
  w.Sample("rcl_events_appended_total", {}, static_cast<double>(events_appended_.value()));
  w.Family("rcl_fsyncs_total", "counter", "Durable writes (one WAL fsync each) of the log.");
  w.Sample("rcl_fsyncs_total", {}, ledger ? static_cast<double>(ledger->fsyncs()) : 0);
  w.Family("rcl_committed_commands_total", "counter", "Commands whose events were written.");
  w.Sample("rcl_committed_commands_total", {},
           ledger ? static_cast<double>(ledger->committed_commands()) : 0);
  w.Family("rcl_group_commit_commands", "histogram", "Commands that shared one fsync.");
  w.HistogramSamples("rcl_group_commit_commands", {}, batch_commands_.Read());
  w.Family("rcl_fsync_duration_seconds", "histogram", "One durable write and its fsync.");
  w.HistogramSamples("rcl_fsync_duration_seconds", {}, fsync_us_.Read());
  w.Family("rcl_command_queue_depth", "gauge", "Commands waiting for the sequencer.");
  w.Sample("rcl_command_queue_depth", {},
           ledger ? static_cast<double>(ledger->queued_commands()) : 0);
  w.Family("rcl_log_head_position", "gauge", "Position of the last durable event of the log.");
  w.Sample("rcl_log_head_position", {}, ledger ? static_cast<double>(ledger->head().position) : 0);
  w.Family("rcl_disk_full", "gauge",
           "1 while writes are refused because the data directory's disk is full (less free than "
           "--disk-reserve-mb), else 0.");
  w.Sample("rcl_disk_full", {}, ledger != nullptr && ledger->disk_full() ? 1 : 0);
  w.Family("rcl_disk_reserve_bytes", "gauge",
           "Free bytes the server keeps on the data directory's file system (--disk-reserve-mb).");
  w.Sample("rcl_disk_reserve_bytes", {},
           ledger ? static_cast<double>(ledger->disk_reserve_bytes()) : 0);
  // One statvfs per scrape; no sample when the file system cannot tell.
  absl::StatusOr<uint64_t> free = ledger ? ledger->disk_free_bytes() : absl::StatusOr<uint64_t>(0);
  w.Family("rcl_disk_free_bytes", "gauge", "Free bytes of the data directory's file system.");
  if (free.ok()) w.Sample("rcl_disk_free_bytes", {}, static_cast<double>(*free));
  w.Family("rcl_subscribers", "gauge", "Subscribe calls being served.");
  w.Sample("rcl_subscribers", {},
           sources_.hub ? static_cast<double>(sources_.hub->subscriber_count()) : 0);
}

void ServerMetrics::RenderProjections(ExpositionWriter& w) const {
  if (sources_.projections == nullptr) return;
  std::vector<projections::ProjectionStatus> status = sources_.projections->Status();
  w.Family("rcl_projection_checkpoint_position", "gauge",
           "Last log position the projection's live copy has folded.");
  for (const auto& p : status)
    w.Sample("rcl_projection_checkpoint_position", {{"projection", p.name}},
             static_cast<double>(p.checkpoint));
  w.Family("rcl_projection_lag_events", "gauge", "Events between the log head and the checkpoint.");
  for (const auto& p : status)
    w.Sample("rcl_projection_lag_events", {{"projection", p.name}}, static_cast<double>(p.lag));
  w.Family("rcl_projection_state_bytes", "gauge", "Estimated bytes of the projection's state.");
  for (const auto& p : status)
    w.Sample("rcl_projection_state_bytes", {{"projection", p.name}},
             static_cast<double>(p.state_bytes));
  w.Family("rcl_projection_up", "gauge",
           "1 while the projection's live copy is serving or catching up; 0 once it stopped on an "
           "error (rcl projections status says why).");
  for (const auto& p : status)
    w.Sample("rcl_projection_up", {{"projection", p.name}}, p.error.empty() ? 1 : 0);
  w.Family("rcl_projection_rebuilding", "gauge", "1 while a rebuild runs beside the live copy.");
  for (const auto& p : status)
    w.Sample("rcl_projection_rebuilding", {{"projection", p.name}}, p.rebuilding ? 1 : 0);
}

void ServerMetrics::RenderStorage(ExpositionWriter& w) const {
  rocksdb::DB* log = sources_.ledger ? sources_.ledger->store().raw_db() : nullptr;
  rocksdb::DB* proj = sources_.projections ? sources_.projections->raw_db() : nullptr;
  struct Db {
    const char* name;
    rocksdb::DB* db;
  };
  const Db dbs[] = {{"log", log}, {"projections", proj}};
  w.Family("rcl_rocksdb_live_sst_bytes", "gauge",
           "Bytes of the table files the latest version of the database uses.");
  for (const Db& d : dbs)
    w.Sample("rcl_rocksdb_live_sst_bytes", {{"db", d.name}},
             static_cast<double>(RocksProperty(d.db, "rocksdb.live-sst-files-size")));
  w.Family("rcl_rocksdb_sst_bytes", "gauge",
           "Bytes of every table file, including those kept for snapshots and iterators.");
  for (const Db& d : dbs)
    w.Sample("rcl_rocksdb_sst_bytes", {{"db", d.name}},
             static_cast<double>(RocksProperty(d.db, "rocksdb.total-sst-files-size")));
  w.Family("rcl_rocksdb_memtable_bytes", "gauge", "Bytes of the memtables, all column families.");
  for (const Db& d : dbs)
    w.Sample("rcl_rocksdb_memtable_bytes", {{"db", d.name}},
             static_cast<double>(RocksProperty(d.db, "rocksdb.cur-size-all-mem-tables")));
}

void ServerMetrics::RenderBackups(ExpositionWriter& w) const {
  w.Family("rcl_backups_total", "counter", "Backups (AdminService.Backup) by outcome.");
  w.Sample("rcl_backups_total", {{"outcome", "ok"}}, static_cast<double>(backups_ok_.value()));
  w.Sample("rcl_backups_total", {{"outcome", "failed"}},
           static_cast<double>(backups_failed_.value()));
  w.Family("rcl_last_backup_timestamp_seconds", "gauge",
           "Unix time the last successful backup finished; 0: none since start.");
  w.Sample("rcl_last_backup_timestamp_seconds", {},
           static_cast<double>(last_backup_unix_s_.load(std::memory_order_relaxed)));
  w.Family("rcl_last_backup_position", "gauge", "Log position the last successful backup holds.");
  w.Sample("rcl_last_backup_position", {},
           static_cast<double>(last_backup_position_.load(std::memory_order_relaxed)));
  w.Family("rcl_last_backup_duration_seconds", "gauge",
           "How long the last successful backup took.");
  w.Sample("rcl_last_backup_duration_seconds", {},
           static_cast<double>(last_backup_duration_us_.load(std::memory_order_relaxed)) / kMicros);
}

}  // namespace rcl::server::metrics
