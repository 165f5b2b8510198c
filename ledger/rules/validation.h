// Shape validation of commands: ids, codes (ICD-10-CM, CPT, HCPCS Level II,
// modifiers), NPIs, places of service, civil dates and limits. Everything here
// is stateless; business rules that need stored state live elsewhere.
//
// The predicates expect already-normalized input (upper case);
// ValidateCommand() normalizes a command in place before checking it.
#ifndef RCL_LEDGER_VALIDATION_H_
#define RCL_LEDGER_VALIDATION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "ledger/rules/input_rules.h"
#include "ledger/status.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {

// Limits (string lengths and repeated-field bounds are in input_rules.h).
inline constexpr int kDiagnosesPerEncounterMax = 12;
inline constexpr int kUnitsMax = 9999;
inline constexpr int kLineNumberMax = 999;
inline constexpr int kCoverageRankMax = 3;
inline constexpr int kCivilYearMin = 1900;
inline constexpr int kCivilYearMax = 2199;

// 1..kIdLengthMax characters of [A-Za-z0-9._-], the first alphanumeric.
bool IsValidId(std::string_view id);

// Same rule as IsValidId().
bool IsValidTenant(std::string_view tenant);

// ICD-10-CM. Accepts "E11.9" or "E119" in any case and returns "E119".
// After removing a single optional dot (allowed only right after the third
// character, and not as the last character) the code has 3..7 characters: a
// letter, a digit, then letters or digits.
absl::StatusOr<std::string> NormalizeIcd10(std::string_view code);

// CPT: 5 digits (Category I), or 4 digits + 'F' (II) or 'T' (III).
// Upper case only.
bool IsValidCpt(std::string_view code);

// HCPCS Level II: an upper-case letter A..V followed by 4 digits.
bool IsValidHcpcs(std::string_view code);

// Procedure modifier: exactly 2 characters of [A-Z0-9].
bool IsValidModifier(std::string_view m);

// NPI: 10 digits whose last digit is the Luhn check digit computed over
// "80840" followed by the first 9 digits.
bool IsValidNpi(std::string_view npi);

// CMS place of service: exactly 2 digits, "01".."99".
bool IsValidPlaceOfService(std::string_view pos);

// Strict "YYYY-MM-DD" naming a real calendar date with a year in
// kCivilYearMin..kCivilYearMax. The error message never echoes the input.
absl::StatusOr<absl::CivilDay> ParseCivilDate(std::string_view text);

// "YYYY-MM-DD".
std::string FormatCivilDate(absl::CivilDay day);

// Validates `command` and normalizes it in place (ICD-10-CM codes without the
// dot and upper case; CPT, HCPCS and modifiers upper case). Returns OK, or
// INVALID_ARGUMENT built by rcl::Violations carrying every violation found.
// Field names are the proto field names of the command's message, indexed for
// repeated fields ("icd10_codes[1]"); a command with no kind set gives
// "command". `today` is the server's current UTC date: birth dates and dates
// of service after it are rejected. Descriptions never echo input values.
// When the result is not OK the command may be partly normalized.
absl::Status ValidateCommand(rcl::v1::Command* command, absl::CivilDay today);

// Same, adding the violations to `v` (for callers that also check the
// command's context).
void ValidateCommand(rcl::v1::Command* command, absl::CivilDay today, Violations& v);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_VALIDATION_H_
