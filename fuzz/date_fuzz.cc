// libFuzzer target over ParseCivilDate and FormatCivilDate
// (ledger/rules/validation.h): every date a request carries (birth dates,
// dates of service, coverage periods, deadlines, payment dates). Properties:
//   - the parser accepts exactly the strict YYYY-MM-DD texts that name a real
//     calendar day with a year in kCivilYearMin..kCivilYearMax, decided here
//     independently (Gregorian leap years: 1900 and 2100 are not, 2000 is);
//   - an accepted date formats back to the very same text;
//   - every refusal has one fixed message, so it never echoes the input (no
//     birth date in an error message);
//   - every day of the accepted range formats to a text that parses back.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "fuzz/fuzz_check.h"
#include "ledger/rules/validation.h"

namespace {

using rcl::ledger::kCivilYearMax;
using rcl::ledger::kCivilYearMin;

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Digits at [from, from + n) as a number, or -1.
int Number(std::string_view s, size_t from, size_t n) {
  int value = 0;
  for (size_t i = from; i < from + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

bool ShouldAccept(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int year = Number(s, 0, 4), month = Number(s, 5, 2), day = Number(s, 8, 2);
  if (year < kCivilYearMin || year > kCivilYearMax || month < 1 || month > 12) return false;
  return day >= 1 && day <= DaysIn(year, month);
}

void CheckParse(std::string_view text) {
  const absl::StatusOr<absl::CivilDay> day = rcl::ledger::ParseCivilDate(text);
  RCL_FUZZ_REQUIRE(day.ok() == ShouldAccept(text));
  if (!day.ok()) {
    const std::string_view message(day.status().message().data(), day.status().message().size());
    // One fixed message for every refusal: it cannot carry the input.
    static const std::string kRefusal(rcl::ledger::ParseCivilDate("").status().message());
    RCL_FUZZ_REQUIRE(!message.empty() && message == kRefusal);
    return;
  }
  RCL_FUZZ_REQUIRE(rcl::ledger::FormatCivilDate(*day) == text);
}

// Day number n (mod the size of the accepted range) after kCivilYearMin-01-01.
void CheckFormat(uint32_t n) {
  const absl::CivilDay first(kCivilYearMin, 1, 1);
  const absl::CivilDay end(kCivilYearMax + 1, 1, 1);
  const absl::CivilDay day = first + static_cast<int64_t>(n % static_cast<uint32_t>(end - first));
  const std::string text = rcl::ledger::FormatCivilDate(day);
  const absl::StatusOr<absl::CivilDay> back = rcl::ledger::ParseCivilDate(text);
  RCL_FUZZ_REQUIRE(back.ok() && *back == day);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kInputMax = 64;
  const std::string_view text(reinterpret_cast<const char*>(data),
                              size < kInputMax ? size : kInputMax);
  CheckParse(text);
  if (size >= sizeof(uint32_t)) {
    uint32_t n = 0;
    std::memcpy(&n, data, sizeof n);
    CheckFormat(n);
  }
  return 0;
}
