// Command-line pieces of `rcl` that need no server: a small table-driven flag
// parser ("--flag value", "--flag=value", boolean and repeatable flags) and
// strict parsers for integers, amounts and diagnosis pointer lists. Every
// error is INVALID_ARGUMENT whose message starts with the offending flag
// ("--amount: amount has more than two decimals").
#ifndef RCL_CLIENTS_CLI_ARGS_H_
#define RCL_CLIENTS_CLI_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rcl::cli {

// Longest accepted argument (flag value or positional), in bytes.
inline constexpr size_t kArgValueMax = 4096;

enum class FlagKind {
  kBool,      // --json (or --json=true / --json=false)
  kValue,     // --id P1, --id=P1; at most once
  kRepeated,  // --icd10 E11.9 --icd10 I10; any number of times
};

struct FlagSpec {
  absl::string_view name;  // without the leading "--"
  FlagKind kind = FlagKind::kValue;
  absl::string_view value_name;  // for help, e.g. "DATE"
  absl::string_view help;
  bool required = false;
};

class ParsedArgs {
 public:
  // Whether the flag was given (for bool flags: given and true).
  bool Has(absl::string_view name) const;
  // The value of a kValue flag (or the last value of a kRepeated one).
  std::optional<std::string> Value(absl::string_view name) const;
  std::string ValueOr(absl::string_view name, absl::string_view fallback) const;
  // Every value of a flag, in order.
  std::vector<std::string> Values(absl::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // Used by ParseFlags.
  void Add(absl::string_view name, std::string value);
  void Remove(absl::string_view name);
  void AddPositional(std::string value) { positional_.push_back(std::move(value)); }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positional_;
};

// Parses `args` (no program name) against `specs`. Words that do not start
// with "-" (and everything after a lone "--") are positional. A kValue or
// kRepeated flag takes the next argument as its value even when it starts
// with "-" (so "--amount -3" reaches the amount parser). Rejects unknown
// flags, missing values, a kValue flag given twice, values on kBool flags
// other than true/false, and values longer than kArgValueMax.
absl::StatusOr<ParsedArgs> ParseFlags(const std::vector<std::string>& args,
                                      std::span<const FlagSpec> specs);

// INVALID_ARGUMENT "--id is required" for the first required flag missing.
absl::Status CheckRequired(const ParsedArgs& args, std::span<const FlagSpec> specs);

// Strict base-10 integer ("-12", "7"; no "+", spaces, hex or exponents) in
// [min, max]. `flag` names the flag in the message (e.g. "--units").
absl::StatusOr<int64_t> ParseIntFlag(absl::string_view flag, absl::string_view text, int64_t min,
                                     int64_t max);
// Same for unsigned values in [0, max].
absl::StatusOr<uint64_t> ParseUintFlag(absl::string_view flag, absl::string_view text,
                                       uint64_t max = UINT64_MAX);

// An amount in dollars ("150", "150.5", "150.50") to cents exactly, through
// rcl::ParseAmountCents (no negatives, exponents or more than two decimals).
absl::StatusOr<int64_t> ParseAmountFlag(absl::string_view flag, absl::string_view text);

// Diagnosis pointers: each value is a comma-separated list ("1,2"); the
// result concatenates them. Each pointer must be an int32; the server checks
// the range and that it points to a recorded diagnosis.
absl::StatusOr<std::vector<int32_t>> ParsePointerList(absl::string_view flag,
                                                      const std::vector<std::string>& values);

// One line per flag: "  --amount AMOUNT   charge amount (required)".
std::string FormatFlagHelp(std::span<const FlagSpec> specs);

// Makes `text` safe for a single output line: newlines, tabs and other
// control characters become spaces.
std::string OneLine(absl::string_view text);

}  // namespace rcl::cli

#endif  // RCL_CLIENTS_CLI_ARGS_H_
