#include "ledger/money.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rcl {

absl::StatusOr<int64_t> ParseAmountCents(std::string_view text, bool allow_negative) {
  constexpr size_t kTextMax = 32;
  if (text.empty()) return absl::InvalidArgumentError("amount is empty");
  if (text.size() > kTextMax) return absl::InvalidArgumentError("amount is too long");
  bool negative = false;
  if (text.front() == '-') {
    if (!allow_negative) return absl::InvalidArgumentError("amount must not be negative");
    negative = true;
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty())
    return absl::InvalidArgumentError("amount needs digits before the decimal point");
  if (dot != std::string_view::npos && frac.empty()) {
    return absl::InvalidArgumentError("amount needs digits after the decimal point");
  }
  if (frac.size() > 2) return absl::InvalidArgumentError("amount has more than two decimals");
  int64_t cents = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError("amount must be a plain decimal like 150.00");
    }
    cents = cents * 10 + (c - '0');
    if (cents > kAmountCentsMax) return absl::InvalidArgumentError("amount is too large");
  }
  cents *= 100;
  int64_t scale = 10;
  for (char c : frac) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError("amount must be a plain decimal like 150.00");
    }
    cents += (c - '0') * scale;
    scale /= 10;
  }
  if (cents > kAmountCentsMax) return absl::InvalidArgumentError("amount is too large");
  return negative ? -cents : cents;
}

std::string FormatCents(int64_t cents) {
  // Work in unsigned to survive INT64_MIN.
  bool negative = cents < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  return absl::StrFormat("%s%d.%02d", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

}  // namespace rcl
