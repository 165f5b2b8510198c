#include "clients/metrics_text.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "clients/cli_output.h"
#include "ledger/status.h"

namespace rcl::cli {
namespace {

absl::Status LineError(size_t number, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("metrics line ", number, ": ", why));
}

bool ParseNumber(absl::string_view text, double* value) {
  if (text == "+Inf" || text == "Inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return absl::SimpleAtod(text, value);
}

// Parses `a="b",c="d"` (the text between the braces) into `labels`; the
// index just past the closing brace in *pos.
bool ParseLabels(absl::string_view line, size_t* pos, std::map<std::string, std::string>* labels) {
  size_t i = *pos;
  while (i < line.size() && line[i] != '}') {
    size_t eq = line.find('=', i);
    if (eq == absl::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
    std::string name(absl::StripAsciiWhitespace(line.substr(i, eq - i)));
    std::string value;
    size_t j = eq + 2;
    for (; j < line.size() && line[j] != '"'; ++j) {
      if (line[j] == '\\' && j + 1 < line.size()) {
        ++j;
        value.push_back(line[j] == 'n' ? '\n' : line[j]);
      } else {
        value.push_back(line[j]);
      }
    }
    if (j >= line.size()) return false;
    (*labels)[name] = value;
    i = j + 1;
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size()) return false;
  *pos = i + 1;
  return true;
}

}  // namespace

absl::StatusOr<std::vector<MetricSample>> ParseExposition(std::string_view text) {
  std::vector<MetricSample> samples;
  size_t number = 0;
  for (absl::string_view raw : absl::StrSplit(AbslView(text), '\n')) {
    ++number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    if (samples.size() >= kScrapeSamplesMax) return LineError(number, "too many samples");
    MetricSample s;
    size_t end = line.find_first_of("{ ");
    if (end == absl::string_view::npos || end == 0) return LineError(number, "no value");
    s.name = std::string(line.substr(0, end));
    size_t pos = end;
    if (line[pos] == '{') {
      ++pos;
      if (!ParseLabels(line, &pos, &s.labels)) return LineError(number, "bad labels");
    }
    std::vector<absl::string_view> rest = absl::StrSplit(line.substr(pos), ' ', absl::SkipEmpty());
    if (rest.empty() || !ParseNumber(rest[0], &s.value)) return LineError(number, "bad value");
    samples.push_back(std::move(s));
  }
  return samples;
}

TopSample Summarize(const std::vector<MetricSample>& samples) {
  TopSample t;
  for (const MetricSample& s : samples) {
    auto label = [&](const char* name) {
      auto it = s.labels.find(name);
      return it == s.labels.end() ? std::string() : it->second;
    };
    if (s.name == "rcl_commands_total") {
      t.commands += s.value;
      if (label("outcome") == "ok") t.commands_ok += s.value;
    } else if (s.name == "rcl_fsyncs_total") {
      t.fsyncs = s.value;
    } else if (s.name == "rcl_events_appended_total") {
      t.events = s.value;
    } else if (s.name == "rcl_group_commit_commands_count") {
      t.batch_count = s.value;
    } else if (s.name == "rcl_group_commit_commands_sum") {
      t.batch_sum = s.value;
    } else if (s.name == "rcl_command_duration_seconds_bucket") {
      double le = 0;
      if (ParseNumber(label("le"), &le)) t.latency.emplace_back(le, s.value);
    } else if (s.name == "rcl_log_head_position") {
      t.head = s.value;
    } else if (s.name == "rcl_command_queue_depth") {
      t.queue = s.value;
    } else if (s.name == "rcl_subscribers") {
      t.subscribers = s.value;
    } else if (s.name == "rcl_projection_checkpoint_position") {
      t.projections[label("projection")].first = s.value;
    } else if (s.name == "rcl_projection_lag_events") {
      t.projections[label("projection")].second = s.value;
    }
  }
  std::sort(t.latency.begin(), t.latency.end());
  return t;
}

double QuantileBetween(const std::vector<std::pair<double, double>>& before,
                       const std::vector<std::pair<double, double>>& after, double q) {
  std::vector<std::pair<double, double>> delta;
  for (size_t i = 0; i < after.size(); ++i) {
    double b = i < before.size() && before[i].first == after[i].first ? before[i].second : 0;
    delta.emplace_back(after[i].first, std::max(0.0, after[i].second - b));
  }
  if (delta.empty() || delta.back().second <= 0) return 0;
  double rank = q * delta.back().second;
  double lower_le = 0, lower_count = 0;
  for (const auto& [le, count] : delta) {
    if (count >= rank) {
      // Above the last finite bound: report that bound (no upper edge).
      if (std::isinf(le)) return lower_le;
      if (count == lower_count) return le;
      return lower_le + (le - lower_le) * (rank - lower_count) / (count - lower_count);
    }
    lower_le = le;
    lower_count = count;
  }
  return lower_le;
}

TopFrame ComputeFrame(const TopSample& before, const TopSample& after, double seconds) {
  TopFrame f;
  double s = seconds > 0 ? seconds : 1;
  f.commands_per_s = (after.commands - before.commands) / s;
  f.rejected_per_s =
      ((after.commands - after.commands_ok) - (before.commands - before.commands_ok)) / s;
  f.fsyncs_per_s = (after.fsyncs - before.fsyncs) / s;
  f.events_per_s = (after.events - before.events) / s;
  double writes = after.batch_count - before.batch_count;
  f.batch_avg = writes > 0 ? (after.batch_sum - before.batch_sum) / writes : 0;
  f.p50_s = QuantileBetween(before.latency, after.latency, 0.5);
  f.p99_s = QuantileBetween(before.latency, after.latency, 0.99);
  f.head = after.head;
  f.queue = after.queue;
  f.subscribers = after.subscribers;
  f.projections = after.projections;
  return f;
}

std::string FrameText(const TopFrame& f, std::string_view source) {
  std::string out = absl::StrFormat(
      "rcl admin top  %s  head %.0f  queue %.0f  subscribers %.0f\n"
      "commands/s %8.1f   rejected/s %6.1f   events/s %8.1f\n"
      "fsyncs/s   %8.1f   batch avg  %6.1f commands/fsync\n"
      "latency    p50 %8.2f ms   p99 %8.2f ms\n",
      std::string(source.data(), source.size()), f.head, f.queue, f.subscribers, f.commands_per_s,
      f.rejected_per_s, f.events_per_s, f.fsyncs_per_s, f.batch_avg, f.p50_s * 1e3, f.p99_s * 1e3);
  absl::StrAppend(&out, absl::StrFormat("%-16s %12s %10s\n", "projection", "checkpoint", "lag"));
  for (const auto& [name, cp] : f.projections) {
    absl::StrAppend(&out, absl::StrFormat("%-16s %12.0f %10.0f\n", name, cp.first, cp.second));
  }
  return out;
}

std::string FrameJson(const TopFrame& f) {
  auto num = [](double v) { return absl::StrFormat("%.6g", v); };
  JsonWriter w;
  w.BeginObject();
  w.Key("commands_per_s").Raw(num(f.commands_per_s));
  w.Key("rejected_per_s").Raw(num(f.rejected_per_s));
  w.Key("events_per_s").Raw(num(f.events_per_s));
  w.Key("fsyncs_per_s").Raw(num(f.fsyncs_per_s));
  w.Key("batch_avg").Raw(num(f.batch_avg));
  w.Key("p50_ms").Raw(num(f.p50_s * 1e3));
  w.Key("p99_ms").Raw(num(f.p99_s * 1e3));
  w.Key("head_position").Uint(static_cast<uint64_t>(f.head));
  w.Key("queue_depth").Uint(static_cast<uint64_t>(f.queue));
  w.Key("subscribers").Uint(static_cast<uint64_t>(f.subscribers));
  w.Key("projections").BeginArray();
  for (const auto& [name, cp] : f.projections) {
    w.BeginObject();
    w.Key("name").String(name);
    w.Key("checkpoint").Uint(static_cast<uint64_t>(cp.first));
    w.Key("lag").Uint(static_cast<uint64_t>(cp.second));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str();
}

}  // namespace rcl::cli
