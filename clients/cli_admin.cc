// `rcl admin`: operations (AdminService) and the operator's live view.
//   rcl admin backup --to DIR      an online backup on the server's machine
//   rcl admin top --metrics HOST:PORT [--once] [--interval S]
//                                  commands/s, fsyncs/s, batch sizes, p99,
//                                  projection lag, from the /metrics endpoint
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/cli_command.h"
#include "clients/metrics_text.h"
#include "httplib.h"

namespace rcl::cli {
namespace {

// A backup copies what the backup directory lacks: give it time.
constexpr uint64_t kBackupTimeoutDefaultS = 3600;
constexpr uint64_t kBackupTimeoutMaxS = 7 * 24 * 3600;
constexpr uint64_t kTopIntervalMaxS = 3600;
constexpr time_t kScrapeTimeoutS = 5;
// The largest scrape read (the server's is tens of KiB).
constexpr size_t kScrapeBytesMax = 16 << 20;

absl::Status RunBackup(Invocation& inv) {
  std::string to = Str(inv, "to");
  absl::StatusOr<uint64_t> timeout_s =
      UintFlag(inv, "timeout", kBackupTimeoutDefaultS, kBackupTimeoutMaxS);
  if (!timeout_s.ok()) return timeout_s.status();
  absl::StatusOr<client::Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::BackupResponse> r =
      (*client)->Backup(to, static_cast<int64_t>(*timeout_s) * 1000);
  if (!r.ok()) return r.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("to").String(r->to());
    w.Key("backup_id").Uint(r->backup_id());
    w.Key("head_position").Uint(r->head_position());
    w.Key("head_hash").String(r->head_hash());
    w.Key("head_recorded_at_us").Int(r->head_recorded_at_us());
    w.Key("log_bytes").Uint(r->log_bytes());
    w.Key("projections_bytes").Uint(r->projections_bytes());
    w.Key("bytes_copied").Uint(r->bytes_copied());
    w.Key("duration_us").Int(r->duration_us());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "backup ", r->backup_id(), " in ", r->to(),
                    ": head_position=", r->head_position(), " head_hash=", r->head_hash(),
                    " bytes_copied=", r->bytes_copied(), " duration_ms=", r->duration_us() / 1000,
                    "\n");
  }
  return absl::OkStatus();
}

// One scrape of http://HOST:PORT/metrics, summarized.
absl::StatusOr<TopSample> Scrape(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return UsageError(absl::StrCat("--metrics: want HOST:PORT, got '", address, "'"));
  }
  httplib::Client http(address.substr(0, colon), port);
  http.set_connection_timeout(kScrapeTimeoutS, 0);
  http.set_read_timeout(kScrapeTimeoutS, 0);
  httplib::Result res = http.Get("/metrics");
  if (!res) {
    return absl::UnavailableError(absl::StrCat("cannot scrape http://", address,
                                               "/metrics: ", httplib::to_string(res.error())));
  }
  if (res->status != 200 || res->body.size() > kScrapeBytesMax) {
    return absl::UnavailableError(
        absl::StrCat("http://", address, "/metrics answered HTTP ", res->status));
  }
  absl::StatusOr<std::vector<MetricSample>> samples = ParseExposition(res->body);
  if (!samples.ok()) return samples.status();
  return Summarize(*samples);
}

absl::Status RunTop(Invocation& inv) {
  std::string address = Str(inv, "metrics");
  absl::StatusOr<uint64_t> interval_s = UintFlag(inv, "interval", 1, kTopIntervalMaxS);
  if (!interval_s.ok()) return interval_s.status();
  if (*interval_s == 0) return UsageError("--interval: must be at least 1");
  const bool once = inv.args().Has("once");
  auto interval = std::chrono::seconds(*interval_s);
  absl::StatusOr<TopSample> before = Scrape(address);
  if (!before.ok()) return before.status();
  auto before_at = std::chrono::steady_clock::now();
  while (true) {
    std::this_thread::sleep_for(interval);
    absl::StatusOr<TopSample> after = Scrape(address);
    if (!after.ok()) return after.status();
    auto after_at = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(after_at - before_at).count();
    TopFrame frame = ComputeFrame(*before, *after, seconds);
    std::string text = inv.json() ? FrameJson(frame) + "\n" : FrameText(frame, address);
    if (once) {
      absl::StrAppend(&inv.out(), text);
      return absl::OkStatus();
    }
    // Live: clear the terminal and draw the frame; Ctrl-C ends it.
    std::fputs(inv.json() ? text.c_str() : absl::StrCat("\x1b[H\x1b[2J", text).c_str(), stdout);
    std::fflush(stdout);
    before = std::move(after);
    before_at = after_at;
  }
}

}  // namespace

std::vector<CommandDef> AdminCommands() {
  return {
      {"admin",
       "backup",
       "",
       "online backup of the whole data directory into DIR on the server's machine "
       "(incremental); prints the head position and hash it holds",
       {{"to", kValue, "DIR", "absolute backup directory on the server's machine", true},
        {"timeout", kValue, "S", "give up after S seconds (default 3600)"}},
       RunBackup},
      {"admin",
       "top",
       "",
       "live view of commands/s, fsyncs/s, batch sizes, p99 latency and projection lag, from "
       "the server's metrics endpoint (rcl-server --metrics-listen)",
       {{"metrics", kValue, "HOST:PORT", "the metrics endpoint", true},
        {"once", kBool, "", "print one frame (two scrapes --interval apart) and exit"},
        {"interval", kValue, "S", "seconds between frames (default 1)"}},
       RunTop},
  };
}

}  // namespace rcl::cli
