#include "ledger/x12/amount.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rcl::x12 {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string FormatScaled(int64_t value, int decimals, bool trim) {
  const bool negative = value < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(value + 1)) + 1 : static_cast<uint64_t>(value);
  uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  std::string frac = absl::StrFormat("%0*d", decimals, magnitude % scale);
  if (trim) {
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
  }
  return absl::StrCat(negative ? "-" : "", magnitude / scale, frac.empty() ? "" : ".", frac);
}

}  // namespace

absl::StatusOr<int64_t> ParseDecimal(std::string_view text, int decimals, int64_t max) {
  if (text.empty()) return absl::InvalidArgumentError("is empty");
  if (text.size() > kDecimalTextMax) return absl::InvalidArgumentError("is too long");
  bool negative = false;
  if (text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && frac.empty()) return absl::InvalidArgumentError("has no digits");
  if (static_cast<int>(frac.size()) > decimals) {
    return absl::InvalidArgumentError(absl::StrFormat("has more than %d decimals", decimals));
  }
  int64_t value = 0;
  for (char c : whole) {
    if (!IsDigit(c)) return absl::InvalidArgumentError("is not a number");
    if (value > max) break;  // keeps the multiplication far from overflow
    value = value * 10 + (c - '0');
  }
  for (int i = 0; i < decimals; ++i) {
    int digit = 0;
    if (i < static_cast<int>(frac.size())) {
      if (!IsDigit(frac[i])) return absl::InvalidArgumentError("is not a number");
      digit = frac[i] - '0';
    }
    if (value > max) break;
    value = value * 10 + digit;
  }
  if (value > max) return absl::InvalidArgumentError("is out of range");
  return negative ? -value : value;
}

absl::StatusOr<int64_t> ParseCents(std::string_view text) {
  absl::StatusOr<int64_t> cents = ParseDecimal(text, 2, kAmountCentsMax);
  if (!cents.ok())
    return absl::InvalidArgumentError(absl::StrCat("amount ", cents.status().message()));
  return cents;
}

absl::StatusOr<int64_t> ParseMilli(std::string_view text) {
  absl::StatusOr<int64_t> milli = ParseDecimal(text, 3, kQuantityMilliMax);
  if (!milli.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("quantity ", milli.status().message()));
  }
  return milli;
}

std::string FormatCents(int64_t cents) { return FormatScaled(cents, 2, true); }
std::string FormatMilli(int64_t milli) { return FormatScaled(milli, 3, true); }
std::string DollarsAndCents(int64_t cents) { return FormatScaled(cents, 2, false); }

}  // namespace rcl::x12
