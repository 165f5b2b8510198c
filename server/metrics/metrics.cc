#include "server/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/status.h"

namespace rcl::server::metrics {

Histogram::Histogram(absl::Span<const uint64_t> upper_bounds, double scale) : scale_(scale) {
  RCL_CHECK(upper_bounds.size() <= kHistogramBucketsMax && upper_bounds.size() > 0);
  RCL_CHECK(scale > 0);
  for (uint64_t b : upper_bounds) {
    RCL_CHECK(bound_count_ == 0 || b > bounds_[bound_count_ - 1]) << "bounds must increase";
    bounds_[bound_count_++] = b;
  }
}

void Histogram::Observe(uint64_t value) {
  // Few buckets: a linear scan beats a binary search's branches.
  size_t i = 0;
  while (i < bound_count_ && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bound_count_; ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    double le = i < bound_count_ ? static_cast<double>(bounds_[i]) / scale_
                                 : std::numeric_limits<double>::infinity();
    s.buckets.emplace_back(le, cumulative);
  }
  s.count = cumulative;
  s.sum = static_cast<double>(sum_.load(std::memory_order_relaxed)) / scale_;
  return s;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.9g", value);
}

namespace {

// std::string_view pieces (Debian's Abseil StrAppend takes only its own
// string_view).
template <typename... Parts>
void Append(std::string* out, const Parts&... parts) {
  (out->append(std::string_view(parts)), ...);
}

void AppendLabels(std::string* out, const Labels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    Append(out, name, "=\"", EscapeLabelValue(value), "\"");
  }
  if (!le.empty()) Append(out, first ? "" : ",", "le=\"", le, "\"");
  out->push_back('}');
}

}  // namespace

void ExpositionWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  Append(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void ExpositionWriter::Sample(std::string_view name, const Labels& labels, double value) {
  text_.append(name);
  AppendLabels(&text_, labels);
  Append(&text_, " ", FormatValue(value), "\n");
}

void ExpositionWriter::HistogramSamples(std::string_view name, const Labels& labels,
                                        const Histogram::Snapshot& snapshot) {
  for (const auto& [le, count] : snapshot.buckets) {
    Append(&text_, name, "_bucket");
    AppendLabels(&text_, labels, FormatValue(le));
    Append(&text_, " ", std::to_string(count), "\n");
  }
  Append(&text_, name, "_sum");
  AppendLabels(&text_, labels);
  Append(&text_, " ", FormatValue(snapshot.sum), "\n", name, "_count");
  AppendLabels(&text_, labels);
  Append(&text_, " ", std::to_string(snapshot.count), "\n");
}

}  // namespace rcl::server::metrics
