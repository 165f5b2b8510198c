// The AR aging chart (a standalone SVG) and the progress lines of
// `rcl projections rebuild` and `rcl remit import` (see report_output.h).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/report_output.h"
#include "ledger/money.h"

namespace rcl::cli {
namespace {

constexpr const char* kBucketLabels[] = {"0-30", "31-60", "61-90", "91-120", "121+"};
// Young to old: green, yellow, orange, red, purple.
constexpr const char* kBucketColors[] = {"#4e9a06", "#c4a000", "#f57900", "#cc0000", "#75507b"};

std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? ' ' : c;
    }
  }
  return out;
}

struct Bar {
  std::string key;
  int64_t buckets[5] = {0, 0, 0, 0, 0};
  int64_t total = 0;  // sum of the positive buckets: the bar's height
};

std::vector<Bar> Bars(const rcl::v1::ArAgingResponse& r, int max_bars) {
  std::vector<Bar> bars;
  for (const rcl::v1::AgingRow& row : r.rows()) {
    Bar bar;
    bar.key = row.key();
    for (const rcl::v1::AgingBucket& b : row.buckets()) {
      for (int k = 0; k < 5; ++k) {
        if (b.label() == kBucketLabels[k] && b.amount_cents() > 0)
          bar.buckets[k] += b.amount_cents();
      }
    }
    for (int64_t amount : bar.buckets) bar.total += amount;
    if (bar.total > 0) bars.push_back(std::move(bar));
  }
  std::stable_sort(bars.begin(), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.total > b.total; });
  max_bars = std::max(max_bars, 2);
  if (bars.size() > static_cast<size_t>(max_bars)) {
    Bar other;
    size_t kept = static_cast<size_t>(max_bars - 1);
    other.key = absl::StrCat("other (", bars.size() - kept, ")");
    for (size_t i = kept; i < bars.size(); ++i) {
      for (int k = 0; k < 5; ++k) other.buckets[k] += bars[i].buckets[k];
      other.total += bars[i].total;
    }
    bars.resize(kept);
    bars.push_back(std::move(other));
  }
  return bars;
}

// A round tick step (1, 2 or 5 times a power of ten, in cents) giving about
// five ticks up to `max_cents`.
double TickStep(double max_cents) {
  double raw = std::max(max_cents / 5, 100.0);
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string Num(double v) { return absl::StrFormat("%.1f", v); }

std::string ThousandsInt(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<uint64_t>(std::llround(seconds));
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

// A key short enough to stay inside the chart under its bar (the whole key
// is in the label's tooltip). Cuts at a UTF-8 character boundary.
std::string ShortLabel(const std::string& key) {
  constexpr size_t kMax = 18;
  if (key.size() <= kMax) return key;
  size_t cut = kMax - 1;
  while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;
  return key.substr(0, cut) + "\u2026";
}

double SafeRate(double r) { return std::isfinite(r) && r > 0 ? r : 0; }

}  // namespace

std::string AgingSvg(const AgingView& v, int max_bars) {
  const rcl::v1::ArAgingResponse& r = *v.response;
  std::vector<Bar> bars = Bars(r, max_bars);
  constexpr double kLeft = 100, kTop = 70, kPlotHeight = 320, kBottom = 130, kSlot = 36,
                   kBarWidth = 24;
  constexpr double kLegendWidth = 170;
  double plot_width = std::max(300.0, kSlot * static_cast<double>(bars.size()));
  double width = kLeft + plot_width + kLegendWidth;
  double height = kTop + kPlotHeight + kBottom;
  double base = kTop + kPlotHeight;

  int64_t max_total = 0;
  for (const Bar& b : bars) max_total = std::max(max_total, b.total);
  double step = TickStep(static_cast<double>(max_total));
  double top_value = std::max(step, std::ceil(static_cast<double>(max_total) / step) * step);
  auto y_of = [&](double cents) { return base - cents / top_value * kPlotHeight; };

  std::string basis = v.basis == "submission" ? "first submission date" : "date of service";
  std::string title = absl::StrCat("AR aging by ", v.by, " as of ",
                                   r.as_of_date().empty() ? "today" : r.as_of_date(),
                                   " (aged from the ", basis, ")");
  std::string subtitle =
      absl::StrCat("open ", DollarsLabel(r.total_cents()), "; credit balances (not charted) ",
                   DollarsLabel(r.credit_total_cents()), "; log position ", r.as_of_position());
  if (v.truncated) absl::StrAppend(&subtitle, "; truncated to the rows fetched");

  std::string out = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" "
      "font-family=\"sans-serif\" font-size=\"12\" style=\"background:#ffffff\">\n",
      Num(width), Num(height), Num(width), Num(height));
  absl::StrAppend(&out, "<title>", XmlEscape(title), "</title>\n");
  absl::StrAppend(&out, "<text x=\"", Num(kLeft),
                  "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">", XmlEscape(title),
                  "</text>\n");
  absl::StrAppend(&out, "<text x=\"", Num(kLeft), "\" y=\"48\" fill=\"#555555\">",
                  XmlEscape(subtitle), "</text>\n");

  // The dollar axis: gridlines and labels at each tick.
  for (double t = 0; t <= top_value + step / 2; t += step) {
    double y = y_of(t);
    absl::StrAppend(&out, "<line x1=\"", Num(kLeft), "\" y1=\"", Num(y), "\" x2=\"",
                    Num(kLeft + plot_width), "\" y2=\"", Num(y), "\" stroke=\"#dddddd\"/>\n");
    absl::StrAppend(&out, "<text x=\"", Num(kLeft - 6), "\" y=\"", Num(y + 4),
                    "\" text-anchor=\"end\">", XmlEscape(DollarsLabel(static_cast<int64_t>(t))),
                    "</text>\n");
  }
  absl::StrAppend(&out, "<line x1=\"", Num(kLeft), "\" y1=\"", Num(kTop), "\" x2=\"", Num(kLeft),
                  "\" y2=\"", Num(base), "\" stroke=\"#000000\"/>\n");
  absl::StrAppend(&out, "<line x1=\"", Num(kLeft), "\" y1=\"", Num(base), "\" x2=\"",
                  Num(kLeft + plot_width), "\" y2=\"", Num(base), "\" stroke=\"#000000\"/>\n");
  absl::StrAppend(&out, "<text transform=\"translate(18,", Num(kTop + kPlotHeight / 2),
                  ") rotate(-90)\" text-anchor=\"middle\">open balance (US dollars)</text>\n");
  absl::StrAppend(&out, "<text x=\"", Num(kLeft + plot_width / 2), "\" y=\"", Num(height - 10),
                  "\" text-anchor=\"middle\">", XmlEscape(v.by), "</text>\n");
  if (bars.empty()) {
    absl::StrAppend(&out, "<text x=\"", Num(kLeft + plot_width / 2), "\" y=\"",
                    Num(kTop + kPlotHeight / 2),
                    "\" text-anchor=\"middle\" fill=\"#555555\">no open balances</text>\n");
  }

  // The bars: one <rect> per non-zero segment, oldest bucket on top.
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    double x = kLeft + kSlot * static_cast<double>(i) + (kSlot - kBarWidth) / 2;
    double stacked = 0;
    std::string key = XmlEscape(bar.key);
    std::string label = XmlEscape(ShortLabel(bar.key));
    absl::StrAppend(&out, "<g>\n");
    for (int k = 0; k < 5; ++k) {
      if (bar.buckets[k] <= 0) continue;
      double y_top = y_of(stacked + static_cast<double>(bar.buckets[k]));
      double h = y_of(stacked) - y_top;
      stacked += static_cast<double>(bar.buckets[k]);
      absl::StrAppend(&out, "<rect x=\"", Num(x), "\" y=\"", Num(y_top), "\" width=\"",
                      Num(kBarWidth), "\" height=\"", Num(h), "\" fill=\"", kBucketColors[k],
                      "\"><title>", key, " ", kBucketLabels[k], " days: $",
                      rcl::FormatCents(bar.buckets[k]), "</title></rect>\n");
    }
    double label_x = x + kBarWidth / 2;
    absl::StrAppend(&out, "<text x=\"", Num(label_x), "\" y=\"", Num(base + 14),
                    "\" text-anchor=\"end\" transform=\"", "rotate(-45 ", Num(label_x), " ",
                    Num(base + 14), ")\">", label, "<title>", key, ": $",
                    rcl::FormatCents(bar.total), "</title></text>\n");
    absl::StrAppend(&out, "</g>\n");
  }

  // The legend (swatches are paths, so <rect> stays one per segment).
  double lx = kLeft + plot_width + 24;
  absl::StrAppend(&out, "<text x=\"", Num(lx), "\" y=\"", Num(kTop + 4),
                  "\" font-weight=\"bold\">days old</text>\n");
  for (int k = 4; k >= 0; --k) {
    double ly = kTop + 16 + 22 * (4 - k);
    absl::StrAppend(&out, "<path d=\"M", Num(lx), " ", Num(ly), " h14 v14 h-14 z\" fill=\"",
                    kBucketColors[k], "\"/>\n");
    absl::StrAppend(&out, "<text x=\"", Num(lx + 20), "\" y=\"", Num(ly + 11), "\">",
                    kBucketLabels[k], "</text>\n");
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

// --- Progress lines.

std::string ProgressBarLine(const WorkProgress& p, int width) {
  width = std::max(width, 1);
  double rate = SafeRate(p.events_per_s);
  if (p.total == 0) {
    return absl::StrFormat("%s [%s]    ?%%  %s %s  %s %s  ETA ?", p.name, std::string(width, '-'),
                           ThousandsInt(p.done), p.unit, ThousandsInt(static_cast<uint64_t>(rate)),
                           p.rate_unit);
  }
  uint64_t done = std::min(p.done, p.total);
  double fraction = static_cast<double>(done) / static_cast<double>(p.total);
  int filled = static_cast<int>(std::floor(fraction * width));
  std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
  std::string eta = done == p.total
                        ? "0s"
                        : (rate > 0 ? Duration(static_cast<double>(p.total - done) / rate) : "?");
  return absl::StrFormat("%s [%s] %5.1f%%  %s %s  ETA %s", p.name, bar, fraction * 100,
                         ThousandsInt(static_cast<uint64_t>(rate)), p.rate_unit, eta);
}

std::string ProgressPlainLine(const WorkProgress& p) {
  uint64_t rate = static_cast<uint64_t>(SafeRate(p.events_per_s));
  const std::string label = p.verb.empty() ? p.name : absl::StrCat(p.verb, " ", p.name);
  if (p.total == 0) {
    return absl::StrFormat("%s: ?%% (%d %s, %d %s)", label, p.done, p.unit, rate, p.rate_unit);
  }
  uint64_t done = std::min(p.done, p.total);
  double percent = static_cast<double>(done) / static_cast<double>(p.total) * 100;
  return absl::StrFormat("%s: %.1f%% (%d/%d %s, %d %s)", label, percent, done, p.total, p.unit,
                         rate, p.rate_unit);
}

void ProgressSink::Draw(const std::string& line) {
  if (stream == nullptr) return;
  std::string text = terminal ? absl::StrCat("\r", line, "\x1b[K") : absl::StrCat(line, "\n");
  fwrite(text.data(), 1, text.size(), stream);
  fflush(stream);
  drew_bar = drew_bar || terminal;
}

void ProgressSink::Finish() {
  if (stream != nullptr && drew_bar) {
    fputc('\n', stream);
    fflush(stream);
    drew_bar = false;
  }
}

ProgressSink MakeProgressSink(bool json, FILE* plain) {
  ProgressSink sink;
  if (!json) {
    sink.stream = plain;
    sink.terminal = isatty(fileno(plain)) == 1;
  } else if (isatty(STDERR_FILENO) == 1) {
    sink.stream = stderr;
    sink.terminal = true;
  }
  return sink;
}

std::string RebuildDoneLine(absl::string_view name, uint64_t events, double seconds,
                            uint64_t generation) {
  double rate = seconds > 0 ? static_cast<double>(events) / seconds : 0;
  return absl::StrFormat("rebuilt %s: %d events in %.1f s (%.0f events/s), generation %d", name,
                         events, seconds, rate, generation);
}

}  // namespace rcl::cli
