#include "clients/cli_claims.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/cli_args.h"
#include "ledger/money.h"

namespace rcl::cli {
namespace {

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", what));
}

// The offending text, quoted and kept short and on one line.
std::string Quoted(absl::string_view text) {
  constexpr size_t kShown = 80;
  std::string shown = OneLine(text.substr(0, kShown));
  if (text.size() > kShown) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

std::string Lower(absl::string_view text) { return absl::AsciiStrToLower(text); }

absl::StatusOr<int64_t> Amount(absl::string_view text, bool allow_negative) {
  absl::StatusOr<int64_t> cents =
      rcl::ParseAmountCents(std::string_view(text.data(), text.size()), allow_negative);
  if (!cents.ok()) return absl::InvalidArgumentError(cents.status().message());
  return *cents;
}

bool IsCodeText(absl::string_view text, size_t max) {
  if (text.empty() || text.size() > max) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Money(int64_t cents) { return rcl::FormatCents(cents); }

}  // namespace

absl::StatusOr<int64_t> ParseSignedAmountFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int64_t> cents = Amount(text, /*allow_negative=*/true);
  if (!cents.ok()) return FlagError(flag, cents.status().message());
  return *cents;
}

absl::StatusOr<rcl::v1::ClaimPaymentStatus> ParseClaimPaymentStatus(absl::string_view flag,
                                                                    absl::string_view text) {
  std::string word = Lower(text);
  if (word == "primary" || word == "1") return rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY;
  if (word == "secondary" || word == "2") return rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY;
  if (word == "tertiary" || word == "3") return rcl::v1::CLAIM_PAYMENT_STATUS_TERTIARY;
  if (word == "denied" || word == "4") return rcl::v1::CLAIM_PAYMENT_STATUS_DENIED;
  if (word == "predetermination" || word == "25") {
    return rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION;
  }
  return FlagError(flag, absl::StrCat(Quoted(text),
                                      " is not a claim status (primary, secondary, tertiary, "
                                      "denied or predetermination)"));
}

absl::StatusOr<rcl::v1::AdjustmentGroup> ParseAdjustmentGroup(absl::string_view flag,
                                                              absl::string_view text) {
  std::string word = absl::AsciiStrToUpper(text);
  if (word == "CO") return rcl::v1::ADJUSTMENT_GROUP_CO;
  if (word == "PR") return rcl::v1::ADJUSTMENT_GROUP_PR;
  if (word == "OA") return rcl::v1::ADJUSTMENT_GROUP_OA;
  if (word == "PI") return rcl::v1::ADJUSTMENT_GROUP_PI;
  if (word == "CR") return rcl::v1::ADJUSTMENT_GROUP_CR;
  return FlagError(
      flag, absl::StrCat(Quoted(text), " is not an adjustment group (CO, PR, OA, PI or CR)"));
}

absl::StatusOr<rcl::v1::Adjustment> ParseAdjustmentCode(absl::string_view flag,
                                                        absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  if (parts.size() < 2 || parts.size() > 3) {
    return FlagError(
        flag, absl::StrCat(Quoted(text), ": an adjustment code is GROUP-CARC[-RARC], e.g. CO-45"));
  }
  absl::StatusOr<rcl::v1::AdjustmentGroup> group = ParseAdjustmentGroup(flag, parts[0]);
  if (!group.ok()) return group.status();
  if (!IsCodeText(parts[1], 5)) {
    return FlagError(flag, absl::StrCat(Quoted(text), ": the reason code (CARC) ", Quoted(parts[1]),
                                        " must be 1..5 letters or digits"));
  }
  rcl::v1::Adjustment adjustment;
  adjustment.set_group(*group);
  adjustment.set_reason_code(absl::AsciiStrToUpper(parts[1]));
  if (parts.size() == 3) {
    if (!IsCodeText(parts[2], 10)) {
      return FlagError(flag, absl::StrCat(Quoted(text), ": the remark code (RARC) ",
                                          Quoted(parts[2]), " must be 1..10 letters or digits"));
    }
    adjustment.set_remark_code(absl::AsciiStrToUpper(parts[2]));
  }
  return adjustment;
}

namespace {

// The amount part of an adjustment: signed and not zero.
absl::Status SetAdjustmentAmount(absl::string_view flag, absl::string_view spec,
                                 absl::string_view code, absl::string_view amount,
                                 rcl::v1::Adjustment* adjustment) {
  absl::StatusOr<int64_t> cents = Amount(amount, /*allow_negative=*/true);
  if (!cents.ok()) {
    return FlagError(flag, absl::StrCat(Quoted(spec), ": the amount of ", code, " ", Quoted(amount),
                                        ": ", cents.status().message()));
  }
  if (*cents == 0) {
    return FlagError(flag,
                     absl::StrCat(Quoted(spec), ": the amount of ", code, " must not be zero"));
  }
  adjustment->set_amount_cents(*cents);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<rcl::v1::Adjustment> ParseAdjustmentSpec(absl::string_view flag,
                                                        absl::string_view text) {
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos || text.find(':', colon + 1) != absl::string_view::npos) {
    return FlagError(flag, absl::StrCat(Quoted(text),
                                        ": an adjustment is GROUP-CARC[-RARC]:AMOUNT, e.g. "
                                        "CO-45:10.00"));
  }
  absl::string_view code = text.substr(0, colon);
  absl::StatusOr<rcl::v1::Adjustment> adjustment = ParseAdjustmentCode(flag, code);
  if (!adjustment.ok()) return adjustment.status();
  if (absl::Status s = SetAdjustmentAmount(flag, text, code, text.substr(colon + 1), &*adjustment);
      !s.ok()) {
    return s;
  }
  return adjustment;
}

absl::StatusOr<rcl::v1::LineAdjudication> ParseLineSpec(absl::string_view flag,
                                                        absl::string_view text) {
  const std::string usage =
      "a line is N[:paid=AMOUNT][:allowed=AMOUNT][:adj=GROUP-CARC[-RARC]:AMOUNT]...";
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  rcl::v1::LineAdjudication line;
  absl::StatusOr<int64_t> number = ParseIntFlag(flag, parts[0], 1, INT32_MAX);
  if (!number.ok()) {
    return FlagError(flag, absl::StrCat(Quoted(text), ": the line number ", Quoted(parts[0]),
                                        " must be a positive integer (", usage, ")"));
  }
  line.set_line_number(static_cast<int32_t>(*number));
  bool has_paid = false;
  bool has_allowed = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view part = parts[i];
    size_t eq = part.find('=');
    absl::string_view key = eq == absl::string_view::npos ? part : part.substr(0, eq);
    absl::string_view value = eq == absl::string_view::npos ? "" : part.substr(eq + 1);
    if (eq != absl::string_view::npos && (key == "paid" || key == "allowed")) {
      bool paid = key == "paid";
      if (paid ? has_paid : has_allowed) {
        return FlagError(flag, absl::StrCat(Quoted(text), ": ", key, "= is given more than once"));
      }
      (paid ? has_paid : has_allowed) = true;
      absl::StatusOr<int64_t> cents = Amount(value, /*allow_negative=*/false);
      if (!cents.ok()) {
        return FlagError(
            flag, absl::StrCat(Quoted(text), ": ", OneLine(part), ": ", cents.status().message()));
      }
      if (paid) {
        line.set_paid_cents(*cents);
      } else {
        line.set_allowed_cents(*cents);
      }
    } else if (eq != absl::string_view::npos && key == "adj") {
      // Errors name the flag, the spec and the part: `--line: "1:adj=XX-1:2": adj=XX-1: ...`.
      absl::StatusOr<rcl::v1::Adjustment> adjustment =
          ParseAdjustmentCode(absl::StrCat(flag, ": ", Quoted(text), ": ", OneLine(part)), value);
      if (!adjustment.ok()) return adjustment.status();
      if (i + 1 >= parts.size()) {
        return FlagError(
            flag, absl::StrCat(Quoted(text), ": ", OneLine(part),
                               " needs an amount after it (adj=", OneLine(value), ":AMOUNT)"));
      }
      absl::string_view amount = parts[++i];
      if (absl::Status s = SetAdjustmentAmount(flag, text, part, amount, &*adjustment); !s.ok()) {
        return s;
      }
      *line.add_adjustments() = *std::move(adjustment);
    } else {
      return FlagError(
          flag, absl::StrCat(Quoted(text), ": unexpected part ", Quoted(part), " (", usage, ")"));
    }
  }
  return line;
}

absl::StatusOr<rcl::v1::WriteOffReason> ParseWriteOffReason(absl::string_view flag,
                                                            absl::string_view text) {
  std::string word = Lower(text);
  std::replace(word.begin(), word.end(), '-', '_');
  if (word == "contractual") return rcl::v1::WRITE_OFF_REASON_CONTRACTUAL;
  if (word == "small_balance") return rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE;
  if (word == "bad_debt") return rcl::v1::WRITE_OFF_REASON_BAD_DEBT;
  if (word == "charity") return rcl::v1::WRITE_OFF_REASON_CHARITY;
  if (word == "timely_filing") return rcl::v1::WRITE_OFF_REASON_TIMELY_FILING;
  if (word == "administrative") return rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE;
  return FlagError(flag, absl::StrCat(Quoted(text),
                                      " is not a write-off reason (contractual, small_balance, "
                                      "bad_debt, charity, timely_filing or administrative)"));
}

absl::StatusOr<rcl::v1::BalanceSide> ParseBalanceSide(absl::string_view flag,
                                                      absl::string_view text) {
  std::string word = Lower(text);
  if (word == "payer") return rcl::v1::BALANCE_SIDE_PAYER;
  if (word == "patient") return rcl::v1::BALANCE_SIDE_PATIENT;
  return FlagError(flag, absl::StrCat(Quoted(text), " is not a side (payer or patient)"));
}

absl::StatusOr<rcl::v1::AppealOutcome> ParseAppealOutcome(absl::string_view flag,
                                                          absl::string_view text) {
  std::string word = Lower(text);
  if (word == "overturned") return rcl::v1::APPEAL_OUTCOME_OVERTURNED;
  if (word == "upheld") return rcl::v1::APPEAL_OUTCOME_UPHELD;
  if (word == "partial") return rcl::v1::APPEAL_OUTCOME_PARTIAL;
  return FlagError(
      flag, absl::StrCat(Quoted(text), " is not an outcome (overturned, upheld or partial)"));
}

absl::StatusOr<rcl::v1::PaymentMethod> ParsePaymentMethod(absl::string_view flag,
                                                          absl::string_view text) {
  std::string word = absl::AsciiStrToUpper(text);
  if (word == "CHK") return rcl::v1::PAYMENT_METHOD_CHK;
  if (word == "ACH") return rcl::v1::PAYMENT_METHOD_ACH;
  if (word == "NON") return rcl::v1::PAYMENT_METHOD_NON;
  return FlagError(flag, absl::StrCat(Quoted(text), " is not a payment method (CHK, ACH or NON)"));
}

std::string ClaimPaymentStatusWord(rcl::v1::ClaimPaymentStatus status) {
  switch (status) {
    case rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY: return "primary";
    case rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY: return "secondary";
    case rcl::v1::CLAIM_PAYMENT_STATUS_TERTIARY: return "tertiary";
    case rcl::v1::CLAIM_PAYMENT_STATUS_DENIED: return "denied";
    case rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION: return "predetermination";
    default: return "unspecified";
  }
}

std::string AdjustmentGroupWord(rcl::v1::AdjustmentGroup group) {
  switch (group) {
    case rcl::v1::ADJUSTMENT_GROUP_CO: return "CO";
    case rcl::v1::ADJUSTMENT_GROUP_PR: return "PR";
    case rcl::v1::ADJUSTMENT_GROUP_OA: return "OA";
    case rcl::v1::ADJUSTMENT_GROUP_PI: return "PI";
    case rcl::v1::ADJUSTMENT_GROUP_CR: return "CR";
    default: return "??";
  }
}

std::string WriteOffReasonWord(rcl::v1::WriteOffReason reason) {
  switch (reason) {
    case rcl::v1::WRITE_OFF_REASON_CONTRACTUAL: return "contractual";
    case rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE: return "small_balance";
    case rcl::v1::WRITE_OFF_REASON_BAD_DEBT: return "bad_debt";
    case rcl::v1::WRITE_OFF_REASON_CHARITY: return "charity";
    case rcl::v1::WRITE_OFF_REASON_TIMELY_FILING: return "timely_filing";
    case rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE: return "administrative";
    default: return "unspecified";
  }
}

std::string AppealOutcomeWord(rcl::v1::AppealOutcome outcome) {
  switch (outcome) {
    case rcl::v1::APPEAL_OUTCOME_OVERTURNED: return "overturned";
    case rcl::v1::APPEAL_OUTCOME_UPHELD: return "upheld";
    case rcl::v1::APPEAL_OUTCOME_PARTIAL: return "partial";
    default: return "open";
  }
}

std::string FormatAdjustmentSpec(const rcl::v1::Adjustment& adjustment) {
  std::string out =
      absl::StrCat(AdjustmentGroupWord(adjustment.group()), "-", adjustment.reason_code());
  if (!adjustment.remark_code().empty()) absl::StrAppend(&out, "-", adjustment.remark_code());
  absl::StrAppend(&out, ":", Money(adjustment.amount_cents()));
  return out;
}

// ---------------------------------------------------------------------------
// Output.

void WriteClaimViewJson(const rcl::v1::ClaimView& c, JsonWriter* w) {
  w->BeginObject();
  w->Key("claim_id").String(c.claim_id());
  w->Key("status").String(c.status());
  w->Key("encounter_id").String(c.encounter_id());
  w->Key("patient_id").String(c.patient_id());
  w->Key("coverage_id").String(c.coverage_id());
  w->Key("payer_id").String(c.payer_id());
  w->Key("rank").Int(c.rank());
  w->Key("frequency").Int(c.frequency());
  w->Key("original_claim_id").String(c.original_claim_id());
  w->Key("payer_claim_number").String(c.payer_claim_number());
  w->Key("date_of_service").String(c.date_of_service());
  w->Key("submissions").Int(c.submissions());
  w->Key("charge_cents").Int(c.charge_cents());
  w->Key("opening_balance_cents").Int(c.opening_balance_cents());
  w->Key("transferred_in_cents").Int(c.transferred_in_cents());
  w->Key("payer_paid_cents").Int(c.payer_paid_cents());
  w->Key("contractual_cents").Int(c.contractual_cents());
  w->Key("other_adjustment_cents").Int(c.other_adjustment_cents());
  w->Key("patient_responsibility_cents").Int(c.patient_responsibility_cents());
  w->Key("transferred_cents").Int(c.transferred_cents());
  w->Key("patient_paid_cents").Int(c.patient_paid_cents());
  w->Key("written_off_cents").Int(c.written_off_cents());
  w->Key("moved_out_cents").Int(c.moved_out_cents());
  w->Key("payer_balance_cents").Int(c.payer_balance_cents());
  w->Key("patient_balance_cents").Int(c.patient_balance_cents());
  w->Key("denied_cents").Int(c.denied_cents());
  w->Key("denied").Bool(c.denied());
  w->Key("next_claim_id").String(c.next_claim_id());
  w->Key("lines").BeginArray();
  for (const rcl::v1::ClaimLineView& l : c.lines()) {
    w->BeginObject();
    w->Key("line_number").Int(l.line_number());
    w->Key("procedure_code").String(l.procedure_code());
    w->Key("modifiers").BeginArray();
    for (const std::string& m : l.modifiers()) w->String(m);
    w->EndArray();
    w->Key("units").Int(l.units());
    w->Key("diagnosis_pointers").BeginArray();
    for (int32_t p : l.diagnosis_pointers()) w->Int(p);
    w->EndArray();
    w->Key("charge_cents").Int(l.charge_cents());
    w->Key("allowed_cents").Int(l.allowed_cents());
    w->Key("paid_cents").Int(l.paid_cents());
    w->Key("contractual_cents").Int(l.contractual_cents());
    w->Key("other_adjustment_cents").Int(l.other_adjustment_cents());
    w->Key("patient_responsibility_cents").Int(l.patient_responsibility_cents());
    w->Key("denied_cents").Int(l.denied_cents());
    w->EndObject();
  }
  w->EndArray();
  w->Key("appeals").BeginArray();
  for (const rcl::v1::AppealView& a : c.appeals()) {
    w->BeginObject().Key("appeal_id").String(a.appeal_id()).Key("outcome").String(a.outcome());
    w->EndObject();
  }
  w->EndArray();
  w->Key("stream_version").Int(c.stream_version());
  w->Key("as_of_position").Uint(c.as_of_position());
  w->EndObject();
}

std::string ClaimViewText(const rcl::v1::ClaimView& c) {
  std::string out = absl::StrCat("claim ", c.claim_id(), "  status=", c.status(),
                                 "  frequency=", c.frequency(), "  payer=", c.payer_id(),
                                 " rank=", c.rank(), "  coverage=", c.coverage_id(), "\n");
  absl::StrAppend(&out, "  patient=", c.patient_id(), "  encounter=", c.encounter_id(),
                  "  date_of_service=", c.date_of_service(), "  submissions=", c.submissions());
  if (!c.payer_claim_number().empty()) {
    absl::StrAppend(&out, "  payer_claim_number=", c.payer_claim_number());
  }
  if (!c.original_claim_id().empty()) absl::StrAppend(&out, "  original=", c.original_claim_id());
  if (!c.next_claim_id().empty()) absl::StrAppend(&out, "  next=", c.next_claim_id());
  if (c.denied()) absl::StrAppend(&out, "  DENIED");
  absl::StrAppend(&out, "\n  as_of_position=", c.as_of_position(),
                  "  stream_version=", c.stream_version(), "\n\n");
  const std::vector<std::pair<std::string, int64_t>> money = {
      {"charges", c.charge_cents()},
      {"opening balance", c.opening_balance_cents()},
      {"transferred in", c.transferred_in_cents()},
      {"payer paid", c.payer_paid_cents()},
      {"contractual", c.contractual_cents()},
      {"other adjustments", c.other_adjustment_cents()},
      {"patient responsibility", c.patient_responsibility_cents()},
      {"transferred to next payer", c.transferred_cents()},
      {"patient paid", c.patient_paid_cents()},
      {"written off", c.written_off_cents()},
      {"moved out", c.moved_out_cents()},
      {"denied (in payer AR)", c.denied_cents()},
      {"payer balance", c.payer_balance_cents()},
      {"patient balance", c.patient_balance_cents()},
  };
  for (const auto& [label, cents] : money) {
    absl::StrAppend(&out, absl::StrFormat("  %-26s %14s\n", label, Money(cents)));
  }
  absl::StrAppend(&out, "\n",
                  absl::StrFormat("  %-4s %-6s %-11s %5s %10s %10s %10s %11s %10s %10s %10s\n",
                                  "line", "code", "modifiers", "units", "charge", "allowed", "paid",
                                  "contractual", "other", "patient", "denied"));
  for (const rcl::v1::ClaimLineView& l : c.lines()) {
    const std::string modifiers =
        l.modifiers().empty() ? std::string(1, '-') : absl::StrJoin(l.modifiers(), ",");
    absl::StrAppend(
        &out,
        absl::StrFormat("  %-4d %-6s %-11s %5d %10s %10s %10s %11s %10s %10s %10s\n",
                        l.line_number(), l.procedure_code(), modifiers, l.units(),
                        Money(l.charge_cents()), Money(l.allowed_cents()), Money(l.paid_cents()),
                        Money(l.contractual_cents()), Money(l.other_adjustment_cents()),
                        Money(l.patient_responsibility_cents()), Money(l.denied_cents())));
  }
  if (c.appeals_size() > 0) {
    absl::StrAppend(&out, "\n  appeals:");
    for (const rcl::v1::AppealView& a : c.appeals()) {
      absl::StrAppend(&out, " ", a.appeal_id(), "=", a.outcome());
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

void AppendScrubJson(const rcl::v1::ClaimScrubbed& scrub, JsonWriter* w) {
  w->Key("passed").Bool(scrub.passed());
  w->Key("edits").BeginArray();
  for (const rcl::v1::ScrubEdit& e : scrub.edits()) {
    w->BeginObject();
    w->Key("code").String(e.code());
    w->Key("message").String(e.message());
    w->Key("line_number").Int(e.line_number());
    w->EndObject();
  }
  w->EndArray();
  w->Key("checks").BeginArray();
  for (const std::string& check : scrub.checks()) w->String(check);
  w->EndArray();
}

std::string ScrubText(const rcl::v1::ClaimScrubbed& scrub) {
  std::string out = absl::StrCat("scrub ", scrub.passed() ? "passed" : "failed", " (",
                                 scrub.checks_size(), " checks, ", scrub.edits_size(),
                                 scrub.edits_size() == 1 ? " edit" : " edits", ")\n");
  for (const rcl::v1::ScrubEdit& e : scrub.edits()) {
    absl::StrAppend(
        &out, "  edit ", e.code(),
        e.line_number() == 0 ? std::string(" claim") : absl::StrCat(" line ", e.line_number()),
        ": ", OneLine(e.message()), "\n");
  }
  return out;
}

void AppendStatementJson(const rcl::v1::PatientStatementIssued& s, JsonWriter* w) {
  w->Key("patient_id").String(s.patient_id());
  w->Key("statement_date").String(s.statement_date());
  w->Key("lines").BeginArray();
  for (const rcl::v1::StatementLine& l : s.lines()) {
    w->BeginObject();
    w->Key("claim_id").String(l.claim_id());
    w->Key("date_of_service").String(l.date_of_service());
    w->Key("patient_balance_cents").Int(l.patient_balance_cents());
    w->EndObject();
  }
  w->EndArray();
  w->Key("credit_cents").Int(s.credit_cents());
  w->Key("balance_cents").Int(s.balance_cents());
}

std::string StatementText(const rcl::v1::PatientStatementIssued& s) {
  std::string out =
      absl::StrCat("statement patient=", s.patient_id(), " date=", s.statement_date(), "\n");
  for (const rcl::v1::StatementLine& l : s.lines()) {
    absl::StrAppend(&out, absl::StrFormat("  %-24s %-10s %12s\n", l.claim_id(), l.date_of_service(),
                                          Money(l.patient_balance_cents())));
  }
  if (s.credit_cents() != 0) {
    absl::StrAppend(&out, absl::StrFormat("  %-35s %12s\n", "credit", Money(-s.credit_cents())));
  }
  absl::StrAppend(&out, absl::StrFormat("  %-35s %12s\n", "balance due", Money(s.balance_cents())));
  return out;
}

}  // namespace rcl::cli
