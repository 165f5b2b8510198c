// X12 decimal numbers (data element type R) as exact integers: amounts as
// int64 cents, quantities (units) as int64 thousandths. Never through
// floating point. Pure functions; thread-safe.
//
// This is the library's own strict parser so that rcl_x12 depends on nothing
// but Abseil (ledger/money.cc links the ledger's protobuf events).
#ifndef RCL_LEDGER_X12_AMOUNT_H_
#define RCL_LEDGER_X12_AMOUNT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rcl::x12 {

// Largest magnitude accepted: $1,000,000,000.00 as cents (and 1e11
// thousandths of a unit), so that sums of millions of amounts stay far from
// int64 overflow.
inline constexpr int64_t kAmountCentsMax = 100'000'000'000;
inline constexpr int64_t kQuantityMilliMax = 100'000'000'000;
// Longest decimal text read (sign, digits, point).
inline constexpr size_t kDecimalTextMax = 18;

// "100" -> 10000, "100.5" -> 10050, "-12.34" -> -1234, ".5" -> 50, "7." -> 700.
// INVALID_ARGUMENT for the empty string, more than two decimals, a "+" sign,
// spaces, exponents, separators, a lone "." or "-", or a magnitude above
// kAmountCentsMax. The message never repeats the text.
absl::StatusOr<int64_t> ParseCents(std::string_view text);

// The same for quantities with up to three decimals: "1" -> 1000,
// "1.5" -> 1500, ".125" -> 125.
absl::StatusOr<int64_t> ParseMilli(std::string_view text);

// The general form: [-]digits[.digits] with at most `decimals` fraction
// digits, scaled by 10^decimals, magnitude at most `max`. Messages have no
// subject ("has more than 2 decimals") so callers can name the element.
absl::StatusOr<int64_t> ParseDecimal(std::string_view text, int decimals, int64_t max);

// The shortest X12 decimal for an amount: 10000 -> "100", 10050 -> "100.5",
// 7904 -> "79.04", -1234 -> "-12.34", 0 -> "0".
std::string FormatCents(int64_t cents);
// The same for thousandths: 1000 -> "1", 1500 -> "1.5", 125 -> "0.125".
std::string FormatMilli(int64_t milli);
// "$1,234.56"-free human form for error messages: 123456 -> "1234.56",
// -5 -> "-0.05" (always two decimals).
std::string DollarsAndCents(int64_t cents);

}  // namespace rcl::x12

#endif  // RCL_LEDGER_X12_AMOUNT_H_
