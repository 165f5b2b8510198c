// Metric primitives and the Prometheus text exposition (format 0.0.4), the
// one place RCL writes it (no C++ Prometheus client is packaged in Debian).
//
// Counter and Histogram are lock-free: a write is one or three relaxed
// atomic adds, cheap enough for the sequencer, writer and completer threads
// and every gRPC thread. Reads (a scrape) see each atomic at some moment;
// a histogram's buckets, count and sum may be a few observations apart, so
// the renderer makes the buckets cumulative and takes the count from them.
//
// Thread-safety: every method of Counter and Histogram is safe from any
// thread. ExpositionWriter is a plain value owned by one scrape.
#ifndef RCL_SERVER_METRICS_METRICS_H_
#define RCL_SERVER_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace rcl::server::metrics {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Most finite buckets a histogram has (its bounds are fixed at construction).
inline constexpr size_t kHistogramBucketsMax = 24;

// A histogram of non-negative integer observations (microseconds, counts)
// over fixed upper bounds; rendered divided by `scale` (1e6 turns
// microseconds into seconds).
class Histogram {
 public:
  Histogram(absl::Span<const uint64_t> upper_bounds, double scale);
  void Observe(uint64_t value);

  struct Snapshot {
    std::vector<std::pair<double, uint64_t>> buckets;  // (le, cumulative count), +Inf last
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  std::array<uint64_t, kHistogramBucketsMax> bounds_{};
  size_t bound_count_ = 0;
  double scale_ = 1;
  std::array<std::atomic<uint64_t>, kHistogramBucketsMax + 1> counts_{};  // last: above all
  std::atomic<uint64_t> sum_{0};
};

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

// Builds the exposition text: one family (HELP and TYPE) then its samples.
class ExpositionWriter {
 public:
  // type: "counter", "gauge" or "histogram". Names carry their unit
  // (_seconds, _bytes, _total).
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  void HistogramSamples(std::string_view name, const Labels& labels,
                        const Histogram::Snapshot& snapshot);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Label values are escaped (backslash, double quote, newline) as the format
// requires; formats a sample value the way Prometheus parses it (integers
// without a fraction, +Inf).
std::string EscapeLabelValue(std::string_view value);
std::string FormatValue(double value);

}  // namespace rcl::server::metrics

#endif  // RCL_SERVER_METRICS_METRICS_H_
