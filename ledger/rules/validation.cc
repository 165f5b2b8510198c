#include "ledger/rules/validation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/money.h"
#include "ledger/rules/claim_validation.h"
#include "ledger/rules/input_rules.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

constexpr std::string_view kCivilDateDescription = "must be a civil date YYYY-MM-DD";

// This Abseil is built with its own string_view (not std::string_view), so
// views cross into absl functions through this.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

std::string Indexed(std::string_view field, int index) {
  return absl::StrCat(AbslView(field), "[", index, "]");
}

void CheckId(std::string_view field, std::string_view value, Violations& violations) {
  CheckString(field, value, kIdRule, Presence::kRequired, violations);
}

std::optional<absl::CivilDay> CheckDate(std::string_view field, std::string_view value,
                                        Violations& violations) {
  absl::StatusOr<absl::CivilDay> day = ParseCivilDate(value);
  if (!day.ok()) {
    violations.Add(std::string(field), std::string(kCivilDateDescription));
    return std::nullopt;
  }
  return *day;
}

void CheckNotFuture(std::string_view field, std::string_view value, absl::CivilDay today,
                    Violations& violations) {
  std::optional<absl::CivilDay> day = CheckDate(field, value, violations);
  if (day.has_value() && *day > today) {
    violations.Add(std::string(field), "must not be in the future");
  }
}

void CheckNpi(std::string_view field, std::string_view value, Violations& violations) {
  if (!IsValidNpi(value)) {
    violations.Add(std::string(field), "must be a 10-digit NPI with a valid check digit");
  }
}

void CheckLineNumber(int32_t line_number, Violations& violations) {
  if (line_number < 1 || line_number > kLineNumberMax) {
    violations.Add("line_number", absl::StrCat("must be between 1 and ", kLineNumberMax));
  }
}

// Luhn check digit for `digits` (the payload without the check digit).
int LuhnCheckDigit(std::string_view digits) {
  int sum = 0;
  bool double_it = true;  // The rightmost payload digit is doubled.
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return (10 - sum % 10) % 10;
}

// --- Per-command validation -------------------------------------------------

void ValidateRegisterPatient(const rcl::v1::RegisterPatient& c, absl::CivilDay today,
                             Violations& v) {
  CheckId("patient_id", c.patient_id(), v);
  CheckString("family_name", c.family_name(), kNameRule, Presence::kRequired, v);
  CheckString("given_name", c.given_name(), kNameRule, Presence::kRequired, v);
  CheckNotFuture("birth_date", c.birth_date(), today, v);
}

void ValidateAddCoverage(const rcl::v1::AddCoverage& c, Violations& v) {
  CheckId("patient_id", c.patient_id(), v);
  CheckId("coverage_id", c.coverage_id(), v);
  CheckString("payer_id", c.payer_id(), kPayerIdRule, Presence::kRequired, v);
  CheckString("payer_name", c.payer_name(), kNameRule, Presence::kRequired, v);
  CheckString("member_id", c.member_id(), kMemberIdRule, Presence::kRequired, v);
  if (c.rank() < 1 || c.rank() > kCoverageRankMax) {
    v.Add("rank", absl::StrCat("must be between 1 and ", kCoverageRankMax));
  }
  std::optional<absl::CivilDay> from = CheckDate("effective_from", c.effective_from(), v);
  if (!c.effective_to().empty()) {
    std::optional<absl::CivilDay> to = CheckDate("effective_to", c.effective_to(), v);
    if (from.has_value() && to.has_value() && *to < *from) {
      v.Add("effective_to", "must not be before effective_from");
    }
  }
}

void ValidateEndCoverage(const rcl::v1::EndCoverage& c, Violations& v) {
  CheckId("patient_id", c.patient_id(), v);
  CheckId("coverage_id", c.coverage_id(), v);
  CheckDate("effective_to", c.effective_to(), v);
}

void ValidateOpenEncounter(const rcl::v1::OpenEncounter& c, absl::CivilDay today, Violations& v) {
  CheckId("encounter_id", c.encounter_id(), v);
  CheckId("patient_id", c.patient_id(), v);
  CheckNpi("rendering_npi", c.rendering_npi(), v);
  CheckNpi("billing_npi", c.billing_npi(), v);
  CheckNotFuture("date_of_service", c.date_of_service(), today, v);
  if (!IsValidPlaceOfService(c.place_of_service())) {
    v.Add("place_of_service", "must be a 2-digit place of service code 01..99");
  }
}

void ValidateRecordDiagnoses(rcl::v1::RecordDiagnoses& c, Violations& v) {
  CheckId("encounter_id", c.encounter_id(), v);
  const int count = c.icd10_codes_size();
  if (!CheckCount("icd10_codes", count, 1, kDiagnosesPerCommandMax, v)) return;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::string> code = NormalizeIcd10(c.icd10_codes(i));
    if (!code.ok()) {
      v.Add(Indexed("icd10_codes", i), "must be an ICD-10-CM code");
      continue;
    }
    if (!seen.insert(*code).second) {
      v.Add(Indexed("icd10_codes", i), "duplicates an earlier code in this command");
    }
    *c.mutable_icd10_codes(i) = *std::move(code);
  }
}

void ValidateRecordCharge(rcl::v1::RecordCharge& c, Violations& v) {
  CheckId("encounter_id", c.encounter_id(), v);
  CheckLineNumber(c.line_number(), v);

  absl::AsciiStrToUpper(c.mutable_cpt());
  absl::AsciiStrToUpper(c.mutable_hcpcs());
  const bool has_cpt = !c.cpt().empty();
  const bool has_hcpcs = !c.hcpcs().empty();
  if (has_cpt == has_hcpcs) {
    v.Add("cpt", "exactly one of cpt or hcpcs must be given");
  } else if (has_cpt && !IsValidCpt(c.cpt())) {
    v.Add("cpt", "must be a CPT code: 5 digits, or 4 digits followed by F or T");
  } else if (has_hcpcs && !IsValidHcpcs(c.hcpcs())) {
    v.Add("hcpcs", "must be a HCPCS Level II code: a letter A-V followed by 4 digits");
  }

  absl::flat_hash_set<std::string> modifiers;
  const bool modifiers_bounded =
      CheckCount("modifiers", c.modifiers_size(), 0, kModifiersPerLineMax, v);
  for (int i = 0; modifiers_bounded && i < c.modifiers_size(); ++i) {
    absl::AsciiStrToUpper(c.mutable_modifiers(i));
    if (!IsValidModifier(c.modifiers(i))) {
      v.Add(Indexed("modifiers", i), "must be exactly 2 letters or digits");
    } else if (!modifiers.insert(c.modifiers(i)).second) {
      v.Add(Indexed("modifiers", i), "duplicates an earlier modifier");
    }
  }

  if (c.units() < 1 || c.units() > kUnitsMax) {
    v.Add("units", absl::StrCat("must be between 1 and ", kUnitsMax));
  }
  if (c.amount_cents() <= 0 || c.amount_cents() > rcl::kAmountCentsMax) {
    v.Add("amount_cents",
          absl::StrCat("must be greater than 0 and at most ", rcl::kAmountCentsMax));
  }

  const int pointers = c.diagnosis_pointers_size();
  if (!CheckCount("diagnosis_pointers", pointers, 1, kPointersPerLineMax, v)) return;
  absl::flat_hash_set<int32_t> seen;
  for (int i = 0; i < pointers; ++i) {
    const int32_t p = c.diagnosis_pointers(i);
    if (p < 1 || p > kDiagnosesPerEncounterMax) {
      v.Add(Indexed("diagnosis_pointers", i),
            absl::StrCat("must be between 1 and ", kDiagnosesPerEncounterMax));
    } else if (!seen.insert(p).second) {
      v.Add(Indexed("diagnosis_pointers", i), "duplicates an earlier pointer");
    }
  }
}

void ValidateVoidCharge(const rcl::v1::VoidCharge& c, Violations& v) {
  CheckId("encounter_id", c.encounter_id(), v);
  CheckLineNumber(c.line_number(), v);
  CheckString("reason", c.reason(), kFreeTextRule, Presence::kRequired, v);
}

void ValidateCompleteCoding(const rcl::v1::CompleteCoding& c, Violations& v) {
  CheckId("encounter_id", c.encounter_id(), v);
}

}  // namespace

bool IsValidId(std::string_view id) { return FollowsRule(id, kIdRule); }

bool IsValidTenant(std::string_view tenant) { return IsValidId(tenant); }

absl::StatusOr<std::string> NormalizeIcd10(std::string_view code) {
  const absl::Status invalid = absl::InvalidArgumentError("must be an ICD-10-CM code");
  std::string out;
  out.reserve(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '.') {
      // A single dot, right after the third character, with more after it.
      if (i != 3 || i + 1 == code.size()) return invalid;
      continue;
    }
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return invalid;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (out.size() < 3 || out.size() > 7) return invalid;
  if (!IsUpper(out[0]) || !IsDigit(out[1])) return invalid;
  return out;
}

bool IsValidCpt(std::string_view code) {
  if (code.size() != 5) return false;
  if (!AllDigits(code.substr(0, 4))) return false;
  const char last = code[4];
  return IsDigit(last) || last == 'F' || last == 'T';
}

bool IsValidHcpcs(std::string_view code) {
  return code.size() == 5 && code[0] >= 'A' && code[0] <= 'V' && AllDigits(code.substr(1));
}

bool IsValidModifier(std::string_view m) {
  return m.size() == 2 && (IsUpper(m[0]) || IsDigit(m[0])) && (IsUpper(m[1]) || IsDigit(m[1]));
}

bool IsValidNpi(std::string_view npi) {
  if (npi.size() != 10 || !AllDigits(npi)) return false;
  const std::string payload = absl::StrCat("80840", AbslView(npi.substr(0, 9)));
  return LuhnCheckDigit(payload) == npi[9] - '0';
}

bool IsValidPlaceOfService(std::string_view pos) {
  return pos.size() == 2 && AllDigits(pos) && pos != "00";
}

absl::StatusOr<absl::CivilDay> ParseCivilDate(std::string_view text) {
  const absl::Status invalid = absl::InvalidArgumentError(std::string(kCivilDateDescription));
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return invalid;
  const std::string_view year_text = text.substr(0, 4);
  const std::string_view month_text = text.substr(5, 2);
  const std::string_view day_text = text.substr(8, 2);
  if (!AllDigits(year_text) || !AllDigits(month_text) || !AllDigits(day_text)) return invalid;
  const auto to_int = [](std::string_view digits) {
    int n = 0;
    for (char c : digits) n = n * 10 + (c - '0');
    return n;
  };
  const int year = to_int(year_text);
  const int month = to_int(month_text);
  const int day = to_int(day_text);
  if (year < kCivilYearMin || year > kCivilYearMax) return invalid;
  if (month < 1 || month > 12 || day < 1 || day > 31) return invalid;
  // CivilDay normalizes out-of-range days (Feb 30 -> Mar 2); a real date
  // survives unchanged.
  const absl::CivilDay result(year, month, day);
  if (result.month() != month || result.day() != day) return invalid;
  return result;
}

std::string FormatCivilDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::Status ValidateCommand(rcl::v1::Command* command, absl::CivilDay today) {
  Violations v;
  ValidateCommand(command, today, v);
  return v.ToStatus();
}

void ValidateCommand(rcl::v1::Command* command, absl::CivilDay today, Violations& v) {
  if (command == nullptr) {
    v.Add("command", "no command given");
    return;
  }
  switch (command->kind_case()) {
    case rcl::v1::Command::kRegisterPatient:
      ValidateRegisterPatient(command->register_patient(), today, v);
      break;
    case rcl::v1::Command::kAddCoverage: ValidateAddCoverage(command->add_coverage(), v); break;
    case rcl::v1::Command::kEndCoverage: ValidateEndCoverage(command->end_coverage(), v); break;
    case rcl::v1::Command::kOpenEncounter:
      ValidateOpenEncounter(command->open_encounter(), today, v);
      break;
    case rcl::v1::Command::kRecordDiagnoses:
      ValidateRecordDiagnoses(*command->mutable_record_diagnoses(), v);
      break;
    case rcl::v1::Command::kRecordCharge:
      ValidateRecordCharge(*command->mutable_record_charge(), v);
      break;
    case rcl::v1::Command::kVoidCharge: ValidateVoidCharge(command->void_charge(), v); break;
    case rcl::v1::Command::kCompleteCoding:
      ValidateCompleteCoding(command->complete_coding(), v);
      break;
    case rcl::v1::Command::KIND_NOT_SET: v.Add("command", "no command given"); break;
    case rcl::v1::Command::kCreateClaim:
    case rcl::v1::Command::kScrubClaim:
    case rcl::v1::Command::kSubmitClaim:
    case rcl::v1::Command::kAcknowledgeClaim:
    case rcl::v1::Command::kReplaceClaim:
    case rcl::v1::Command::kVoidClaim:
    case rcl::v1::Command::kRecordRemittance:
    case rcl::v1::Command::kAdjudicateClaim:
    case rcl::v1::Command::kReverseAdjudication:
    case rcl::v1::Command::kRecordProviderAdjustment:
    case rcl::v1::Command::kAdjustClaim:
    case rcl::v1::Command::kWriteOffClaim:
    case rcl::v1::Command::kFileAppeal:
    case rcl::v1::Command::kDecideAppeal:
    case rcl::v1::Command::kReceivePatientPayment:
    case rcl::v1::Command::kIssuePatientStatement:
    case rcl::v1::Command::kRefundPatient:
    case rcl::v1::Command::kImportRemittanceFile:
    case rcl::v1::Command::kAliasPayer:
    case rcl::v1::Command::kApplySuspendedPayment:
    case rcl::v1::Command::kRecordClaimExport:
      if (!ValidateClaimCommand(command, today, v)) v.Add("command", "unknown command");
      break;
      // No default: a command kind this switch forgets fails to compile.
  }
}

}  // namespace rcl::ledger
