// libFuzzer target over ParseAmountCents and FormatCents (ledger/money.h):
// the amounts of every request ("150", "150.5", "-12.34"). Properties beyond
// "no crash, no sanitizer report":
//   - an accepted text has the documented shape -?[0-9]+(.[0-9]{1,2})? and a
//     magnitude of at most kAmountCentsMax;
//   - its value is the one an independent reading of the digits gives, so it
//     re-formats to the same cents (leading zeros dropped, decimals padded);
//   - what is accepted without negatives is accepted the same with them;
//   - any int64 formats, and every amount in range parses back from its text.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "ledger/money.h"

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// -?[0-9]+(.[0-9]{1,2})?
bool HasAmountShape(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && (frac.empty() || frac.size() > 2)))
    return false;
  for (char c : whole)
    if (!IsDigit(c)) return false;
  for (char c : frac)
    if (!IsDigit(c)) return false;
  return true;
}

// The text FormatCents must give for an accepted `s`, built from its digits
// alone: no sign for zero, no leading zeros, two decimals.
std::string ExpectedFormat(std::string_view s, int64_t cents) {
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  const size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string frac(dot == std::string_view::npos ? "" : s.substr(dot + 1));
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  frac.resize(2, '0');
  return std::string(negative && cents != 0 ? "-" : "") + std::string(whole) + "." + frac;
}

void CheckParse(std::string_view text) {
  const absl::StatusOr<int64_t> positive = rcl::ParseAmountCents(text, false);
  const absl::StatusOr<int64_t> any = rcl::ParseAmountCents(text, true);
  if (positive.ok()) {
    RCL_FUZZ_REQUIRE(*positive >= 0);
    RCL_FUZZ_REQUIRE(any.ok() && *any == *positive);
  } else {
    RCL_FUZZ_REQUIRE(!positive.status().message().empty());
  }
  if (!any.ok()) {
    RCL_FUZZ_REQUIRE(!any.status().message().empty());
    return;
  }
  RCL_FUZZ_REQUIRE(HasAmountShape(text));
  RCL_FUZZ_REQUIRE(*any <= rcl::kAmountCentsMax && *any >= -rcl::kAmountCentsMax);
  const std::string formatted = rcl::FormatCents(*any);
  RCL_FUZZ_REQUIRE(formatted == ExpectedFormat(text, *any));
  const absl::StatusOr<int64_t> again = rcl::ParseAmountCents(formatted, true);
  RCL_FUZZ_REQUIRE(again.ok() && *again == *any);
}

// Any int64 formats with the amount shape; one in range parses back.
void CheckFormat(int64_t cents) {
  const std::string text = rcl::FormatCents(cents);
  RCL_FUZZ_REQUIRE(HasAmountShape(text));
  const absl::StatusOr<int64_t> back = rcl::ParseAmountCents(text, true);
  if (cents >= -rcl::kAmountCentsMax && cents <= rcl::kAmountCentsMax) {
    RCL_FUZZ_REQUIRE(back.ok() && *back == cents);
  } else {
    RCL_FUZZ_REQUIRE(!back.ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kInputMax = 256;  // the parser refuses anything over 32 bytes
  const std::string_view text(reinterpret_cast<const char*>(data),
                              size < kInputMax ? size : kInputMax);
  CheckParse(text);
  if (size >= sizeof(int64_t)) {
    int64_t cents = 0;
    std::memcpy(&cents, data, sizeof cents);
    CheckFormat(cents);
  }
  return 0;
}
