// Money is int64 cents, everywhere. Parsing and printing decimal amounts
// exactly, never through floating point.
#ifndef RCL_LEDGER_MONEY_H_
#define RCL_LEDGER_MONEY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rcl {

// Largest amount accepted from text: $1,000,000,000.00 (fits int64 cents
// with room for sums of many amounts).
inline constexpr int64_t kAmountCentsMax = 100'000'000'000;

// Parses "150", "150.5", "150.50" (and, when allow_negative, "-12.34") into
// cents exactly. Rejects exponents, more than two decimals, signs when not
// allowed, "+", spaces, empty strings, lone ".", and amounts above
// kAmountCentsMax in magnitude.
absl::StatusOr<int64_t> ParseAmountCents(std::string_view text, bool allow_negative = false);

// 15000 -> "150.00", -1234 -> "-12.34".
std::string FormatCents(int64_t cents);

}  // namespace rcl

#endif  // RCL_LEDGER_MONEY_H_
