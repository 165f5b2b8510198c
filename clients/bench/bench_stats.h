// rcl-bench's measurements: process CPU time from /proc, percentiles and
// numbers for the JSON line and the table. Pure functions, any thread.
#ifndef RCL_CLIENTS_BENCH_BENCH_STATS_H_
#define RCL_CLIENTS_BENCH_BENCH_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcl::bench {

// A CPU figure that may be unknown.
inline constexpr double kUnknown = -1.0;

// utime + stime of process `pid` ("self" for this one), in seconds.
std::optional<double> ProcessCpuSeconds(const std::string& pid);

// Nearest-rank percentile of sorted `v` (nanoseconds), in milliseconds.
double PercentileMs(const std::vector<int64_t>& v, double q);

// "null" for kUnknown (any negative), else the number with `decimals`
// decimals, for JSON and the table.
std::string JsonNumber(double v, int decimals = 1);

}  // namespace rcl::bench

#endif  // RCL_CLIENTS_BENCH_BENCH_STATS_H_
