// rcl-bench-projections: the projections' benchmark driver (ops/bench/projections
// runs it, adds RocksDB's db_bench readseq beside it and prints the table).
//
//   1. Load (not measured): a fresh log in DIR/log through an in-process
//      rcl::ledger::Ledger with sync_writes=false (no fsync: the load is not
//      what is measured), many commands in flight so group commit batches
//      them. First --open_claims claims that are created, scrubbed and
//      submitted but never paid (dates of service spread over the last 730
//      days, so every aging bucket holds some), then the demo workload
//      (clients/demo.h, 365 days, new seeds) until it has written --events
//      events (so the log holds both).
//   2. A raw scan of the log's column family (RocksDB iterator, no decoding)
//      and a decoding scan (EventStore::ScanLogViews, as the projections
//      read: strings viewed in place): the floor under a rebuild,
//      and the average stored event size for db_bench's --value_size.
//   3. Rebuild: projections::Runtime opened on the log with a fresh
//      DIR/projections and started at position 0; the time until every
//      projection has folded the head, and per projection; CPU seconds per
//      thread during it (/proc/self/task).
//   4. Queries through Runtime::Read + the query functions, as the server's
//      ReportService runs them (no gRPC): today's AR aging (payer side, date
//      of service basis, as the server's default), a past-date aging, and the
//      trial balance.
//
// With --solo, each projection is also rebuilt alone (fresh directories).
// Prints progress on stderr and one JSON object on stdout. Exit 1 when a
// step fails, or when a check fails: the aging total plus credits must equal
// the tenant's payer balance (balances projection), the trial balance 0.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/projections_load.h"
#include "clients/demo.h"
#include "ledger/ledger.h"
#include "ledger/storage/event_store.h"
#include "projections/claim_row.h"
#include "projections/claims_projection.h"
#include "projections/claims_queries.h"
#include "projections/history_projection.h"
#include "projections/keys.h"
#include "projections/runtime.h"
#include "projections/trial_balance.h"
#include "rcl/store/projection_rows.pb.h"
#include "rcl/v1/reports.pb.h"
#include "rocksdb/db.h"

ABSL_FLAG(std::string, dir, "",
          "scratch directory (created): the log in DIR/log, the projections in DIR/projections");
ABSL_FLAG(int64_t, events, 1'000'000,
          "events the demo workload writes at least (on top of the open claims)");
ABSL_FLAG(int64_t, open_claims, 100'000, "claims created, scrubbed and submitted but never paid");
ABSL_FLAG(int32_t, demo_patients, rcl::demo::kPatientsMax,
          "most patients per demo run (365 days each; runs repeat with new seeds)");
ABSL_FLAG(int32_t, in_flight, 2048, "commands submitted and not yet answered during the load");
ABSL_FLAG(int32_t, aging_queries, 200, "today's AR aging queries timed (after 5 untimed)");
ABSL_FLAG(int32_t, past_aging_queries, 3, "past-date AR aging queries timed");
ABSL_FLAG(int32_t, past_days, 90, "the past-date aging is as of today minus this many days");
ABSL_FLAG(int32_t, trial_balance_queries, 20, "trial balance queries timed (after 2 untimed)");
ABSL_FLAG(bool, solo, false,
          "also rebuild each projection alone (fresh directories), for per-projection rates");
ABSL_FLAG(std::string, tenant, "bench", "tenant of every command and query");
// The runtime's options, for experiments (defaults: as rcl-server runs it).
ABSL_FLAG(int32_t, projections_memory_mb, 160,
          "the projections' memory bound, split as rcl-server's --projections-memory-mb "
          "(Runtime::ForMemory: half block cache with the memtables' quarter charged to it, half "
          "held rows shared by the workers)");
ABSL_FLAG(int32_t, batch_events_max, 4096, "events a worker folds and writes together");
ABSL_FLAG(int32_t, held_rows_mb, 0,
          "each worker's rows held across batches (0: as Runtime::ForMemory shares them)");
ABSL_FLAG(int32_t, catch_up_batch_events_max, 16384, "events per batch while catching up");
ABSL_FLAG(std::vector<std::string>, projections, {},
          "development: rebuild only these projections (default: every one the server runs)");
ABSL_FLAG(bool, reuse_log, false,
          "development: when DIR/log already holds a log (a run with the same DIR), skip the load "
          "and measure on it (the load's figures are then 0)");

namespace rcl::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Log(const std::string& line) {
  std::fprintf(stderr, "rcl-bench-projections: %s\n", line.c_str());
  std::fflush(stderr);
}

// ---------------------------------------------------------------------------
// CPU time per thread of this process (/proc/self/task), in seconds.

struct ThreadCpu {
  std::string name;
  double seconds = 0;
};

std::map<int, ThreadCpu> ThreadCpuNow() {
  std::map<int, ThreadCpu> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t open = stat.find('(');
    size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    ThreadCpu t;
    t.name = stat.substr(open + 1, close - open - 1);
    // After ") ": state is field 3; utime and stime are fields 14 and 15.
    std::vector<std::string> fields;
    size_t pos = close + 2;
    while (pos < stat.size()) {
      size_t space = stat.find(' ', pos);
      if (space == std::string::npos) space = stat.size();
      fields.push_back(stat.substr(pos, space - pos));
      pos = space + 1;
    }
    if (fields.size() < 13) continue;
    t.seconds = (std::stod(fields[11]) + std::stod(fields[12])) / tick;
    out[std::stoi(entry.path().filename().string())] = t;
  }
  return out;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(usage.ru_utime) + sec(usage.ru_stime);
}

// ---------------------------------------------------------------------------
// Rebuild.

struct RebuildResult {
  std::unique_ptr<projections::Runtime> runtime;
  double seconds = 0;
  std::map<std::string, double> seconds_by_projection;
  double cpu_seconds = 0;
  // CPU seconds of the runtime's workers (threads "p:<name>"), by
  // projection, and of RocksDB's background threads (flush, compaction), by
  // thread name.
  std::map<std::string, double> worker_cpu_seconds;
  std::map<std::string, double> rocksdb_cpu_seconds;
  double other_cpu_seconds = 0;
  // Chunks of the log the shared reader decoded during the rebuild (each
  // whole chunk once is the floor).
  uint64_t log_chunks_decoded = 0;
};

absl::StatusOr<RebuildResult> RebuildFromZero(const ledger::EventStore& log, uint64_t head,
                                              const std::string& path,
                                              const std::vector<std::string>& which) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  // As rcl-server sizes them (server/server.cc: Runtime::ForMemory of
  // --projections-memory-mb, shared by every projection it runs).
  const size_t memory = static_cast<size_t>(absl::GetFlag(FLAGS_projections_memory_mb)) << 20;
  projections::Runtime::Options options = projections::Runtime::ForMemory(memory, which.size());
  options.path = path;
  options.batch_events_max = static_cast<size_t>(absl::GetFlag(FLAGS_batch_events_max));
  options.catch_up_batch_events_max =
      static_cast<size_t>(absl::GetFlag(FLAGS_catch_up_batch_events_max));
  if (absl::GetFlag(FLAGS_held_rows_mb) > 0)
    options.held_rows_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_held_rows_mb)) << 20;
  std::vector<std::unique_ptr<projections::Projection>> list;
  for (const std::string& name : which) {
    if (name == projections::kClaimsProjection)
      list.push_back(std::make_unique<projections::ClaimsProjection>());
    if (name == projections::kTrialBalanceProjection) {
      list.push_back(std::make_unique<projections::TrialBalanceProjection>());
    }
    if (name == projections::kHistoryProjection)
      list.push_back(std::make_unique<projections::HistoryProjection>());
  }
  RebuildResult result;
  auto runtime = projections::Runtime::Open(options, &log, std::move(list));
  if (!runtime.ok()) return runtime.status();
  result.runtime = std::move(*runtime);
  result.runtime->NotifyHead(head);

  std::map<int, ThreadCpu> before = ThreadCpuNow();
  double cpu_before = ProcessCpuSeconds();
  Clock::time_point t0 = Clock::now();
  result.runtime->Start();
  double last_progress = 0;
  while (true) {
    bool all = true;
    for (const projections::ProjectionStatus& s : result.runtime->Status()) {
      if (!s.error.empty())
        return absl::InternalError(absl::StrCat("projection ", s.name, ": ", s.error));
      if (s.checkpoint >= head && s.state == "live") {
        if (!result.seconds_by_projection.contains(s.name))
          result.seconds_by_projection[s.name] = SecondsSince(t0);
      } else {
        all = false;
      }
    }
    if (all) break;
    double elapsed = SecondsSince(t0);
    if (elapsed - last_progress >= 5) {
      last_progress = elapsed;
      std::vector<std::string> parts;
      for (const auto& s : result.runtime->Status())
        parts.push_back(absl::StrCat(s.name, " ", s.checkpoint));
      Log(absl::StrFormat("rebuilding: %.0f s, %s of %d", elapsed, absl::StrJoin(parts, ", "),
                          head));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.seconds = SecondsSince(t0);
  result.cpu_seconds = ProcessCpuSeconds() - cpu_before;
  result.log_chunks_decoded = result.runtime->log_chunks_decoded();
  std::map<int, ThreadCpu> after = ThreadCpuNow();
  for (const auto& [tid, t] : after) {
    auto it = before.find(tid);
    double used = t.seconds - (it == before.end() ? 0 : it->second.seconds);
    if (t.name.rfind("rocksdb:", 0) == 0) {
      result.rocksdb_cpu_seconds[t.name] += used;
    } else if (t.name.rfind("p:", 0) == 0) {
      result.worker_cpu_seconds[t.name.substr(2)] += used;  // the runtime's workers, by projection
    } else {
      result.other_cpu_seconds += used;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// Query timing.

struct Timings {
  std::vector<double> ms;
  double Percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
  }
  double Max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
};

template <typename Fn>
absl::Status Time(int untimed, int timed, Timings* out, Fn&& fn) {
  for (int i = 0; i < untimed + timed; ++i) {
    Clock::time_point t0 = Clock::now();
    absl::Status s = fn();
    double ms = SecondsSince(t0) * 1000;
    if (!s.ok()) return s;
    if (i >= untimed) out->ms.push_back(ms);
  }
  return absl::OkStatus();
}

std::string Json(double v) { return absl::StrFormat("%.6g", v); }

int Run() {
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  const int64_t events_target = absl::GetFlag(FLAGS_events);
  const int64_t open_claims = absl::GetFlag(FLAGS_open_claims);
  if (dir.empty()) {
    Log("--dir is required");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  auto fail = [](const std::string& what, const absl::Status& s) {
    Log(absl::StrCat(what, ": ", s.ToString()));
    return 1;
  };

  // 1. Load.
  ledger::Ledger::Options ledger_options;
  ledger_options.data_dir = (std::filesystem::path(dir) / "log").string();
  ledger_options.sync_writes = false;
  const bool reuse = absl::GetFlag(FLAGS_reuse_log) &&
                     std::filesystem::exists(std::filesystem::path(ledger_options.data_dir));
  if (!reuse) std::filesystem::remove_all(ledger_options.data_dir, ec);
  auto opened = ledger::Ledger::Open(ledger_options);
  if (!opened.ok()) return fail("open the ledger", opened.status());
  std::unique_ptr<ledger::Ledger> ledger = std::move(*opened);
  Loader loader(ledger.get(), tenant, absl::GetFlag(FLAGS_in_flight));
  Log(absl::StrFormat(
      "load (not measured): in-process ledger, sync_writes=false, %d commands in flight",
      absl::GetFlag(FLAGS_in_flight)));

  Clock::time_point load_t0 = Clock::now();
  if (!reuse) LoadOpenClaims(loader, open_claims, today, Log);
  if (absl::Status s = loader.Drain(); !s.ok()) return fail("open claims", s);
  const uint64_t open_claim_events = reuse ? 0 : ledger->head().position;
  Log(absl::StrFormat("open claims: %d claims, %d events, %.1f s", open_claims, open_claim_events,
                      SecondsSince(load_t0)));

  // The demo: new seeds until it has written --events events; each run sized
  // from the events per patient seen so far (about 100 at 365 days).
  int demo_runs = 0;
  int64_t demo_claims = 0;
  int64_t demo_patients = 0;
  uint64_t demo_events = 0;
  while (!reuse && static_cast<int64_t>(demo_events) < events_target) {
    Clock::time_point t0 = Clock::now();
    uint64_t before = ledger->head().position;
    demo::DemoOptions options;
    options.seed = static_cast<uint64_t>(++demo_runs);
    options.days = demo::kDaysMax;
    options.end = demo::DefaultDemoEnd();
    double per_patient =
        demo_patients == 0 ? 100.0 : static_cast<double>(demo_events) / demo_patients;
    double needed =
        static_cast<double>(events_target - static_cast<int64_t>(demo_events)) / per_patient;
    options.patients =
        std::clamp(static_cast<int>(needed * 1.05) + 1, 1, absl::GetFlag(FLAGS_demo_patients));
    LedgerSink sink(&loader);
    absl::StatusOr<demo::DemoSummary> summary = demo::RunDemo(options, sink);
    if (!summary.ok()) return fail("demo", summary.status());
    if (absl::Status s = loader.Drain(); !s.ok()) return fail("demo", s);
    demo_claims += summary->claims;
    demo_patients += options.patients;
    demo_events += ledger->head().position - before;
    Log(absl::StrFormat("demo seed %d: %d patients, %d commands, %d events, %.1f s", options.seed,
                        options.patients, summary->commands, ledger->head().position - before,
                        SecondsSince(t0)));
  }
  const double load_seconds = SecondsSince(load_t0);
  const uint64_t head = ledger->head().position;
  ledger->Stop();  // no more writes; the store stays open for the projections
  const ledger::EventStore& log = ledger->store();
  Log(absl::StrFormat("loaded %d events in %.1f s (%.0f events/s, not a measure: no fsync)", head,
                      load_seconds, static_cast<double>(head) / load_seconds));

  // 2. Scans of the log.
  Clock::time_point scan_t0 = Clock::now();
  uint64_t raw_entries = 0;
  uint64_t raw_bytes = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        log.raw_db()->NewIterator(rocksdb::ReadOptions(), log.log_family()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++raw_entries;
      raw_bytes += it->value().size();
    }
    if (!it->status().ok())
      return fail("scan the log", absl::InternalError(it->status().ToString()));
  }
  const double raw_seconds = SecondsSince(scan_t0);
  Clock::time_point decode_t0 = Clock::now();
  uint64_t decoded = 0;
  if (absl::Status s = log.ScanLogViews(1, head, head,
                                        [&decoded](const ledger::RecordView&) {
                                          ++decoded;
                                          return true;
                                        });
      !s.ok()) {
    return fail("decode the log", s);
  }
  const double decode_seconds = SecondsSince(decode_t0);
  const double avg_event_bytes =
      raw_entries == 0 ? 0 : static_cast<double>(raw_bytes) / raw_entries;
  Log(absl::StrFormat(
      "log scan: raw %d entries in %.2f s (%.0f/s, %.0f bytes each), decoded %d in %.2f s (%.0f/s)",
      raw_entries, raw_seconds, raw_entries / raw_seconds, avg_event_bytes, decoded, decode_seconds,
      decoded / decode_seconds));

  // 3. Rebuild of every projection together.
  // Every projection the server runs.
  std::vector<std::string> all = {projections::kClaimsProjection,
                                  projections::kTrialBalanceProjection,
                                  projections::kHistoryProjection};
  if (!absl::GetFlag(FLAGS_projections).empty()) all = absl::GetFlag(FLAGS_projections);
  Log(absl::StrFormat("rebuild from position 0 to %d: %s", head, absl::StrJoin(all, ", ")));
  absl::StatusOr<RebuildResult> rebuilt =
      RebuildFromZero(log, head, (std::filesystem::path(dir) / "projections").string(), all);
  if (!rebuilt.ok()) return fail("rebuild", rebuilt.status());
  projections::Runtime& runtime = *rebuilt->runtime;
  const double rebuild_eps = static_cast<double>(head) / rebuilt->seconds;
  Log(absl::StrFormat("rebuilt in %.2f s: %.0f events/s; CPU %.2f s", rebuilt->seconds, rebuild_eps,
                      rebuilt->cpu_seconds));

  std::map<std::string, double> solo_eps;
  if (absl::GetFlag(FLAGS_solo)) {
    for (const std::string& name : all) {
      absl::StatusOr<RebuildResult> solo = RebuildFromZero(
          log, head, (std::filesystem::path(dir) / ("projections-" + name)).string(), {name});
      if (!solo.ok()) return fail("rebuild alone", solo.status());
      solo_eps[name] = static_cast<double>(head) / solo->seconds;
      Log(absl::StrFormat("%s alone: %.2f s, %.0f events/s", name, solo->seconds, solo_eps[name]));
      solo->runtime.reset();
      std::filesystem::remove_all(std::filesystem::path(dir) / ("projections-" + name), ec);
    }
  }

  if (!absl::GetFlag(FLAGS_projections).empty()) {
    std::vector<std::string> workers;
    for (const auto& [name, w] : rebuilt->worker_cpu_seconds)
      workers.push_back(absl::StrFormat("%s %.2f", name, w));
    for (const auto& [name, w] : rebuilt->rocksdb_cpu_seconds)
      workers.push_back(absl::StrFormat("%s %.2f", name, w));
    Log(absl::StrFormat("--projections: no queries; CPU s: %s", absl::StrJoin(workers, ", ")));
    return 0;
  }

  // The open claims (payer balance > 0), counted from the claims projection.
  int64_t open_count = 0;
  {
    auto reader = runtime.Read(projections::kClaimsProjection, head);
    if (!reader.ok()) return fail("read", reader.status());
    std::string prefix =
        projections::Key(projections::kClaimTag, tenant, {}, /*trailing_separator=*/true);
    absl::Status bad;
    absl::Status scanned =
        (*reader)->Scan(prefix, "", [&](std::string_view, std::string_view value) {
          store::ClaimRow row;
          if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            bad = absl::DataLossError("undecodable claim row");
            return false;
          }
          if (projections::PayerBalance(row) > 0) ++open_count;
          return true;
        });
    if (!scanned.ok()) return fail("count open claims", scanned);
    if (!bad.ok()) return fail("count open claims", bad);
  }
  Log(absl::StrFormat("open claims (payer balance > 0): %d", open_count));

  // 4. Queries.
  const std::string today_text = projections::TodayUtc();
  rcl::v1::ArAgingRequest aging_request;
  aging_request.set_tenant(tenant);  // basis and side unset: date of service, payer (the defaults)
  rcl::v1::ArAgingResponse aging;
  auto aging_query = [&](const std::string& as_of) -> absl::Status {
    auto reader = runtime.Read(projections::kClaimsProjection, head);
    if (!reader.ok()) return reader.status();
    absl::StatusOr<rcl::v1::ArAgingResponse> r =
        projections::QueryAging(**reader, aging_request, as_of);
    if (!r.ok()) return r.status();
    aging = std::move(*r);
    return absl::OkStatus();
  };
  Timings aging_ms;
  if (absl::Status s = Time(5, absl::GetFlag(FLAGS_aging_queries), &aging_ms,
                            [&] { return aging_query(today_text); });
      !s.ok()) {
    return fail("aging", s);
  }
  const rcl::v1::ArAgingResponse aging_today = aging;
  std::vector<std::string> buckets;
  int buckets_populated = 0;
  for (const auto& b : aging_today.buckets()) {
    buckets.push_back(absl::StrCat(b.label(), " ", demo::FormatDollars(b.amount_cents())));
    if (b.amount_cents() > 0) ++buckets_populated;
  }
  Log(absl::StrFormat(
      "aging today: p50 %.3f ms, p99 %.3f ms over %d; %d payer rows; %s; credits %s",
      aging_ms.Percentile(50), aging_ms.Percentile(99), aging_ms.ms.size(), aging_today.rows_size(),
      absl::StrJoin(buckets, ", "), demo::FormatDollars(aging_today.credit_total_cents())));

  // Aging totals against the balances projection (the payer side).
  bool aging_matches = false;
  {
    auto reader = runtime.Read(projections::kClaimsProjection, head);
    if (!reader.ok()) return fail("read", reader.status());
    rcl::v1::BalancesRequest request;
    request.set_tenant(tenant);
    absl::StatusOr<rcl::v1::BalancesResponse> balances =
        projections::QueryBalances(**reader, request);
    if (!balances.ok()) return fail("balances", balances.status());
    aging_matches = balances->amounts().payer_balance_cents() ==
                    aging_today.total_cents() + aging_today.credit_total_cents();
    Log(absl::StrFormat(
        "payer balance %s, aging total + credits %s: %s",
        demo::FormatDollars(balances->amounts().payer_balance_cents()),
        demo::FormatDollars(aging_today.total_cents() + aging_today.credit_total_cents()),
        aging_matches ? "equal" : "DIFFERENT"));
  }

  const std::string past = Date(today - absl::GetFlag(FLAGS_past_days));
  Timings past_ms;
  if (absl::Status s = Time(0, absl::GetFlag(FLAGS_past_aging_queries), &past_ms,
                            [&] { return aging_query(past); });
      !s.ok()) {
    return fail("past aging", s);
  }
  Log(absl::StrFormat("aging as of %s: p50 %.1f ms, max %.1f ms over %d; total %s", past,
                      past_ms.Percentile(50), past_ms.Max(), past_ms.ms.size(),
                      demo::FormatDollars(aging.total_cents())));

  Timings trial_ms;
  rcl::v1::TrialBalanceResponse trial;
  if (absl::Status s = Time(2, absl::GetFlag(FLAGS_trial_balance_queries), &trial_ms,
                            [&]() -> absl::Status {
                              auto reader =
                                  runtime.Read(projections::kTrialBalanceProjection, head);
                              if (!reader.ok()) return reader.status();
                              auto r = projections::QueryTrialBalance(**reader, tenant, "");
                              if (!r.ok()) return r.status();
                              trial = std::move(*r);
                              return absl::OkStatus();
                            });
      !s.ok()) {
    return fail("trial balance", s);
  }
  Timings trial_past_ms;
  if (absl::Status s =
          Time(0, std::max(1, absl::GetFlag(FLAGS_trial_balance_queries) / 4), &trial_past_ms,
               [&]() -> absl::Status {
                 auto reader = runtime.Read(projections::kTrialBalanceProjection, head);
                 if (!reader.ok()) return reader.status();
                 return projections::QueryTrialBalance(**reader, tenant, past).status();
               });
      !s.ok()) {
    return fail("trial balance as of a past date", s);
  }
  Log(absl::StrFormat(
      "trial balance: p50 %.3f ms, p99 %.3f ms over %d; %d accounts, total %d; as of %s: p50 %.3f "
      "ms",
      trial_ms.Percentile(50), trial_ms.Percentile(99), trial_ms.ms.size(), trial.accounts_size(),
      trial.total_cents(), past, trial_past_ms.Percentile(50)));

  std::vector<projections::ProjectionStatus> status = runtime.Status();
  rebuilt->runtime.reset();
  ledger.reset();

  // One JSON object.
  std::string by_projection;
  for (const auto& [name, seconds] : rebuilt->seconds_by_projection) {
    absl::StrAppend(&by_projection, by_projection.empty() ? "" : ",", "\"", name,
                    "\":", Json(static_cast<double>(head) / seconds));
  }
  std::string solo;
  for (const auto& [name, eps] : solo_eps) {
    absl::StrAppend(&solo, solo.empty() ? "" : ",", "\"", name, "\":", Json(eps));
  }
  std::string state_bytes;
  for (const auto& s : status) {
    absl::StrAppend(&state_bytes, state_bytes.empty() ? "" : ",", "\"", s.name,
                    "\":", s.state_bytes);
  }
  std::vector<std::string> workers;
  for (const auto& [name, w] : rebuilt->worker_cpu_seconds)
    workers.push_back(absl::StrCat("\"", name, "\":", Json(w)));
  std::string rocks;
  for (const auto& [name, seconds] : rebuilt->rocksdb_cpu_seconds) {
    absl::StrAppend(&rocks, rocks.empty() ? "" : ",", "\"", name, "\":", Json(seconds));
  }
  absl::PrintF(
      "{\"events\":%d,\"open_claims\":%d,\"open_claims_loaded\":%d,\"open_claim_events\":%d,\"demo_"
      "runs\":%d,"
      "\"demo_events\":%d,\"demo_claims\":%d,"
      "\"load_seconds\":%s,\"avg_event_bytes\":%s,\"log_scan_entries_per_s\":%s,\"log_decode_"
      "events_per_s\":%s,"
      "\"rebuild_seconds\":%s,\"rebuild_events_per_s\":%s,\"rebuild_events_per_s_by_projection\":{%"
      "s},"
      "\"rebuild_alone_events_per_s\":{%s},\"rebuild_cpu_seconds\":%s,\"rebuild_worker_cpu_"
      "seconds\":{%s},"
      "\"rebuild_rocksdb_cpu_seconds\":{%s},\"rebuild_other_cpu_seconds\":%s,\"rebuild_log_chunks_"
      "decoded\":%d,\"state_bytes\":{%s},"
      "\"aging_queries\":%d,\"aging_p50_ms\":%s,\"aging_p99_ms\":%s,\"aging_max_ms\":%s,\"aging_"
      "rows\":%d,"
      "\"aging_buckets_populated\":%d,\"aging_total_cents\":%d,\"aging_matches_balances\":%s,"
      "\"past_aging_as_of\":\"%s\",\"past_aging_queries\":%d,\"past_aging_p50_ms\":%s,\"past_aging_"
      "max_ms\":%s,"
      "\"trial_balance_queries\":%d,\"trial_balance_p50_ms\":%s,\"trial_balance_p99_ms\":%s,"
      "\"trial_balance_past_p50_ms\":%s,\"trial_balance_total_cents\":%d}\n",
      head, open_count, open_claims, open_claim_events, demo_runs, demo_events, demo_claims,
      Json(load_seconds), Json(avg_event_bytes), Json(raw_entries / raw_seconds),
      Json(decoded / decode_seconds), Json(rebuilt->seconds), Json(rebuild_eps), by_projection,
      solo, Json(rebuilt->cpu_seconds), absl::StrJoin(workers, ","), rocks,
      Json(rebuilt->other_cpu_seconds), rebuilt->log_chunks_decoded, state_bytes,
      static_cast<int>(aging_ms.ms.size()), Json(aging_ms.Percentile(50)),
      Json(aging_ms.Percentile(99)), Json(aging_ms.Max()), aging_today.rows_size(),
      buckets_populated, aging_today.total_cents(), aging_matches ? "true" : "false", past,
      static_cast<int>(past_ms.ms.size()), Json(past_ms.Percentile(50)), Json(past_ms.Max()),
      static_cast<int>(trial_ms.ms.size()), Json(trial_ms.Percentile(50)),
      Json(trial_ms.Percentile(99)), Json(trial_past_ms.Percentile(50)), trial.total_cents());
  return aging_matches && trial.total_cents() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace rcl::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Loads a fresh log (in-process ledger, no fsync), then measures the projections' rebuild and "
      "report queries.\n"
      "Usage: rcl-bench-projections --dir DIR [--events N] [--open_claims N] [--solo]");
  absl::ParseCommandLine(argc, argv);
  return rcl::bench::Run();
}
