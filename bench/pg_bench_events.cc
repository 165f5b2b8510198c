// rcl-bench-pg: the PostgreSQL side of ops/bench/compare. Writes events into
// an append-only table with a unique (stream, version) constraint through
// libpq, from --clients threads (one connection each), in a closed loop:
//   --batch 1    one event per transaction (an autocommit INSERT);
//   --batch N    N events per transaction (one INSERT ... SELECT FROM unnest
//                of N rows, also autocommit: one round trip, one commit).
// Each client writes streams of kEventsPerStream versions (like an encounter
// of 20 charge lines in rcl-bench), so a batch spans several streams.
// Durability is the server's: ops/bench/compare runs it with
// synchronous_commit=on and fsync=on.
//
// Prints a table, or with --json one object: transactions/s, events/s and the
// p50/p99/max transaction latency over the measured window. Exit status 1 on
// any failed transaction (the first is printed), 2 on a usage error.

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

ABSL_FLAG(std::string, conninfo, "", "libpq connection string (e.g. 'host=/tmp port=5432')");
ABSL_FLAG(int32_t, clients, 1, "concurrent clients, one thread and one connection each");
ABSL_FLAG(int32_t, batch, 1, "events per transaction");
ABSL_FLAG(double, duration, 10.0, "measured seconds");
ABSL_FLAG(double, warmup, 1.0, "seconds of load before measuring (not measured)");
ABSL_FLAG(bool, create, false, "create the events table first (if it does not exist)");
ABSL_FLAG(bool, json, false, "print one JSON object instead of the table");

namespace rcl::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxClients = 1024;
constexpr int kMaxBatch = 10'000;
constexpr int kEventsPerStream = 20;
constexpr size_t kPayloadBytes = 512;  // about one stored RCL event envelope

constexpr char kCreateTable[] =
    "CREATE TABLE IF NOT EXISTS events ("
    " position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " stream text NOT NULL,"
    " version bigint NOT NULL,"
    " type text NOT NULL,"
    " recorded_at timestamptz NOT NULL DEFAULT now(),"
    " payload text NOT NULL,"
    " UNIQUE (stream, version))";
constexpr char kInsertOne[] =
    "INSERT INTO events (stream, version, type, payload) VALUES ($1, $2, 'ChargeRecorded', $3)";
constexpr char kInsertMany[] =
    "INSERT INTO events (stream, version, type, payload) "
    "SELECT s, v, 'ChargeRecorded', $3 FROM unnest($1::text[], $2::bigint[]) AS t(s, v)";

struct ClientResult {
  std::vector<int64_t> latencies_ns;  // committed transactions in the window
  uint64_t events = 0;
  uint64_t errors = 0;
};

std::atomic<bool> g_first_error_printed{false};

class Client {
 public:
  Client(int index, std::string run_id, int batch)
      : index_(index), run_id_(std::move(run_id)), batch_(batch), payload_(kPayloadBytes, 'x') {}
  ~Client() {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool Connect(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) return Fail("connect", PQerrorMessage(conn_));
    PGresult* res = PQprepare(conn_, "insert", batch_ == 1 ? kInsertOne : kInsertMany, 3, nullptr);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) Fail("prepare", PQresultErrorMessage(res));
    PQclear(res);
    return ok;
  }

  void Run(Clock::time_point measure_start, Clock::time_point end) {
    while (Clock::now() < end) {
      const Clock::time_point start = Clock::now();
      const bool ok = InsertNext();
      const Clock::time_point done = Clock::now();
      if (!ok) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      } else if (done >= measure_start && done < end) {
        result_.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(done - start).count());
        result_.events += static_cast<uint64_t>(batch_);
      }
    }
  }

  ClientResult& result() { return result_; }

 private:
  // The next event's stream and version.
  std::pair<std::string, int64_t> NextEvent() {
    const uint64_t n = next_++;
    return {absl::StrCat("enc-", run_id_, "-", index_, "-", n / kEventsPerStream),
            static_cast<int64_t>(n % kEventsPerStream) + 1};
  }

  bool InsertNext() {
    std::string streams;
    std::string versions;
    if (batch_ == 1) {
      auto [stream, version] = NextEvent();
      streams = std::move(stream);
      versions = absl::StrCat(version);
    } else {
      std::vector<std::string> s;
      std::vector<int64_t> v;
      for (int i = 0; i < batch_; ++i) {
        auto [stream, version] = NextEvent();
        s.push_back(std::move(stream));
        v.push_back(version);
      }
      streams = absl::StrCat("{", absl::StrJoin(s, ","), "}");
      versions = absl::StrCat("{", absl::StrJoin(v, ","), "}");
    }
    const char* values[3] = {streams.c_str(), versions.c_str(), payload_.c_str()};
    PGresult* res = PQexecPrepared(conn_, "insert", 3, values, nullptr, nullptr, 0);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) Fail("insert", PQresultErrorMessage(res));
    PQclear(res);
    return ok;
  }

  bool Fail(const char* what, const char* message) {
    ++result_.errors;
    if (!g_first_error_printed.exchange(true)) {
      absl::FPrintF(stderr, "rcl-bench-pg: first error: client %d %s: %s\n", index_, what, message);
    }
    return false;
  }

  const int index_;
  const std::string run_id_;
  const int batch_;
  const std::string payload_;
  PGconn* conn_ = nullptr;
  uint64_t next_ = 0;
  ClientResult result_;
};

double PercentileMs(const std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0.0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return static_cast<double>(v[rank - 1]) / 1e6;
}

bool CreateTable(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* res = PQexec(conn, kCreateTable);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) absl::FPrintF(stderr, "rcl-bench-pg: create table: %s", PQresultErrorMessage(res));
    PQclear(res);
  } else {
    absl::FPrintF(stderr, "rcl-bench-pg: connect: %s", PQerrorMessage(conn));
  }
  PQfinish(conn);
  return ok;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "PostgreSQL events-table load generator (ops/bench/compare).\n"
      "Usage: rcl-bench-pg --conninfo STR [--create] [--clients N] [--batch N] [--duration S] "
      "[--warmup S] [--json]");
  absl::ParseCommandLine(argc, argv);
  const std::string conninfo = absl::GetFlag(FLAGS_conninfo);
  const int clients = absl::GetFlag(FLAGS_clients);
  const int batch = absl::GetFlag(FLAGS_batch);
  const double duration_s = absl::GetFlag(FLAGS_duration);
  const double warmup_s = absl::GetFlag(FLAGS_warmup);
  if (clients < 1 || clients > kMaxClients || batch < 1 || batch > kMaxBatch ||
      !(duration_s > 0.0) || duration_s > 86400.0 || !(warmup_s >= 0.0) || warmup_s > 3600.0) {
    absl::FPrintF(stderr,
                  "rcl-bench-pg: need 1 <= --clients <= %d, 1 <= --batch <= %d, "
                  "0 < --duration <= 86400, 0 <= --warmup <= 3600\n",
                  kMaxClients, kMaxBatch);
    return 2;
  }
  if (absl::GetFlag(FLAGS_create) && !CreateTable(conninfo)) return 1;

  std::random_device rd;
  const std::string run_id = absl::StrFormat("%08x", static_cast<uint32_t>(rd()));
  std::vector<std::unique_ptr<Client>> workers;
  for (int i = 0; i < clients; ++i) {
    workers.push_back(std::make_unique<Client>(i, run_id, batch));
    if (!workers.back()->Connect(conninfo)) return 1;
  }
  std::latch go(1);
  Clock::time_point measure_start;
  Clock::time_point end;
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      go.wait();
      workers[i]->Run(measure_start, end);
    });
  }
  measure_start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(warmup_s));
  end = measure_start +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
  go.count_down();
  for (std::thread& t : threads) t.join();

  std::vector<int64_t> latencies;
  uint64_t events = 0;
  uint64_t errors = 0;
  for (const auto& w : workers) {
    ClientResult& r = w->result();
    latencies.insert(latencies.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    events += r.events;
    errors += r.errors;
  }
  std::sort(latencies.begin(), latencies.end());
  const double tps = static_cast<double>(latencies.size()) / duration_s;
  const double eps = static_cast<double>(events) / duration_s;
  const double p50 = PercentileMs(latencies, 0.50);
  const double p99 = PercentileMs(latencies, 0.99);
  const double max = latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1e6;
  if (absl::GetFlag(FLAGS_json)) {
    absl::PrintF(
        "{\"clients\":%d,\"batch\":%d,\"duration_s\":%.3f,\"transactions\":%d,\"errors\":%d,"
        "\"transactions_per_s\":%.1f,\"events_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
        "\"max_ms\":%.3f}\n",
        clients, batch, duration_s, latencies.size(), errors, tps, eps, p50, p99, max);
  } else {
    absl::PrintF("rcl-bench-pg: %d client%s, %d event%s per transaction, measured %.1f s\n",
                 clients, clients == 1 ? "" : "s", batch, batch == 1 ? "" : "s", duration_s);
    absl::PrintF("%12s %8s %10s %12s %9s %9s %9s\n", "transactions", "errors", "tx/s", "events/s",
                 "p50 ms", "p99 ms", "max ms");
    absl::PrintF("%12d %8d %10.1f %12.1f %9.3f %9.3f %9.3f\n", latencies.size(), errors, tps, eps,
                 p50, p99, max);
  }
  std::fflush(stdout);
  if (errors > 0) {
    absl::FPrintF(stderr, "rcl-bench-pg: %d transaction%s failed\n", errors,
                  errors == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace rcl::bench

int main(int argc, char** argv) { return rcl::bench::Main(argc, argv); }
