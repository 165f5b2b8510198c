// Reading the server's Prometheus text exposition (GET /metrics) for
// `rcl admin top`, and the frame it shows: rates between two scrapes,
// group-commit sizes, latency quantiles from histogram buckets, projection
// lag. Pure (no I/O), so tests/clients can check it on fixed text.
#ifndef RCL_CLIENTS_METRICS_TEXT_H_
#define RCL_CLIENTS_METRICS_TEXT_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace rcl::cli {

// Most samples one scrape may hold (RCL's has a few hundred).
inline constexpr size_t kScrapeSamplesMax = 100'000;

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses sample lines (`name{a="b",...} value [timestamp]`); skips comments.
// INVALID_ARGUMENT names the first line it cannot read.
absl::StatusOr<std::vector<MetricSample>> ParseExposition(std::string_view text);

// What one scrape says, reduced to what the frame needs.
struct TopSample {
  double commands = 0;                             // rcl_commands_total, every outcome
  double commands_ok = 0;                          // outcome="ok"
  double fsyncs = 0;                               // rcl_fsyncs_total
  double events = 0;                               // rcl_events_appended_total
  double batch_count = 0;                          // rcl_group_commit_commands_count
  double batch_sum = 0;                            // rcl_group_commit_commands_sum
  std::vector<std::pair<double, double>> latency;  // (le seconds, cumulative count)
  double head = 0;
  double queue = 0;
  double subscribers = 0;
  std::map<std::string, std::pair<double, double>> projections;  // name -> (checkpoint, lag)
};
TopSample Summarize(const std::vector<MetricSample>& samples);

struct TopFrame {
  double commands_per_s = 0;
  double rejected_per_s = 0;  // answered with any code but ok
  double fsyncs_per_s = 0;
  double events_per_s = 0;
  double batch_avg = 0;  // commands per fsync over the interval (0: no fsync)
  double p50_s = 0;      // command latency over the interval (0: no command)
  double p99_s = 0;
  double head = 0;
  double queue = 0;
  double subscribers = 0;
  std::map<std::string, std::pair<double, double>> projections;
};
// The frame between two scrapes `seconds` apart.
TopFrame ComputeFrame(const TopSample& before, const TopSample& after, double seconds);

// The q-quantile (0 < q <= 1) of the observations between two cumulative
// bucket lists (same bounds), interpolated linearly inside the bucket as
// Prometheus' histogram_quantile does; 0 when there is none.
double QuantileBetween(const std::vector<std::pair<double, double>>& before,
                       const std::vector<std::pair<double, double>>& after, double q);

std::string FrameText(const TopFrame& f, std::string_view source);
std::string FrameJson(const TopFrame& f);

}  // namespace rcl::cli

#endif  // RCL_CLIENTS_METRICS_TEXT_H_
