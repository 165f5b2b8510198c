#include "ledger/rules/claim_validation.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ledger/money.h"
#include "ledger/rules/validation.h"

namespace rcl::ledger {
namespace {

using rcl::v1::Command;

Presence PresenceOf(bool optional) { return optional ? Presence::kOptional : Presence::kRequired; }

void Id(const std::string& field, const std::string& value, Violations& v, bool optional = false) {
  CheckString(field, value, kIdRule, PresenceOf(optional), v);
}

void Code(const std::string& field, const std::string& value, const StringRule& rule, Violations& v,
          bool optional = false) {
  CheckString(field, value, rule, PresenceOf(optional), v);
}

void Text(const std::string& field, const std::string& value, Violations& v,
          bool optional = false) {
  CheckString(field, value, kFreeTextRule, PresenceOf(optional), v);
}

void Amount(const std::string& field, int64_t cents, Violations& v, bool positive) {
  if (positive ? cents <= 0 : cents == 0) {
    v.Add(field, positive ? "must be greater than zero" : "must not be zero");
  } else if (cents > kAmountCentsMax || cents < -kAmountCentsMax) {
    v.Add(field, "is too large");
  }
}

// A civil date. When `optional`, empty is allowed: the decider uses the
// business date of the commit (so a retry on another day still matches the
// original command's fingerprint).
void Date(const std::string& field, std::string* value, absl::CivilDay today, Violations& v,
          bool optional, bool not_future) {
  if (value->empty() && optional) return;
  auto day = ParseCivilDate(*value);
  if (!day.ok()) {
    v.Add(field, "must be a civil date YYYY-MM-DD");
  } else if (not_future && *day > today) {
    v.Add(field, "must not be in the future");
  }
}

void Adjustment(const std::string& field, const rcl::v1::Adjustment& a, Violations& v) {
  if (a.group() == rcl::v1::ADJUSTMENT_GROUP_UNSPECIFIED ||
      !rcl::v1::AdjustmentGroup_IsValid(a.group())) {
    v.Add(field + ".group", "must be CO, PR, OA, PI or CR");
  }
  Code(field + ".reason_code", a.reason_code(), kCarcRule, v);
  Code(field + ".remark_code", a.remark_code(), kRarcRule, v, true);
  Amount(field + ".amount_cents", a.amount_cents(), v, false);
}

void ValidateAdjudicate(rcl::v1::AdjudicateClaim& c, Violations& v) {
  Id("claim_id", c.claim_id(), v);
  Id("remit_id", c.remit_id(), v);
  Code("payer_claim_number", c.payer_claim_number(), kPayerClaimNumberRule, v);
  if (c.status() == rcl::v1::CLAIM_PAYMENT_STATUS_UNSPECIFIED ||
      !rcl::v1::ClaimPaymentStatus_IsValid(c.status())) {
    v.Add("status", "must be primary, secondary, tertiary, denied or predetermination");
  }
  if (c.lines_size() == 0 && c.claim_adjustments_size() == 0) {
    v.Add("lines", "at least one adjudicated line or claim adjustment is required");
  }
  std::set<int> seen;
  const bool lines_bounded = CheckCount("lines", c.lines_size(), 0, kAdjudicatedLinesMax, v);
  for (int i = 0; lines_bounded && i < c.lines_size(); ++i) {
    const auto& line = c.lines(i);
    std::string f = absl::StrCat("lines[", i, "]");
    if (line.line_number() < 1 || line.line_number() > kLineNumberMax) {
      v.Add(f + ".line_number", absl::StrCat("must be between 1 and ", kLineNumberMax));
    } else if (!seen.insert(line.line_number()).second) {
      v.Add(f + ".line_number", "is adjudicated twice");
    }
    if (line.paid_cents() < 0 || line.paid_cents() > kAmountCentsMax) {
      v.Add(f + ".paid_cents",
            "must be between 0 and the maximum amount (reversals use ReverseAdjudication)");
    }
    if (line.allowed_cents() < 0 || line.allowed_cents() > kAmountCentsMax) {
      v.Add(f + ".allowed_cents", "must be between 0 and the maximum amount");
    }
    if (!CheckCount(f + ".adjustments", line.adjustments_size(), 0, kAdjustmentsPerLineMax, v))
      continue;
    for (int j = 0; j < line.adjustments_size(); ++j) {
      Adjustment(absl::StrCat(f, ".adjustments[", j, "]"), line.adjustments(j), v);
    }
  }
  if (!CheckCount("claim_adjustments", c.claim_adjustments_size(), 0, kClaimAdjustmentsMax, v))
    return;
  for (int j = 0; j < c.claim_adjustments_size(); ++j) {
    Adjustment(absl::StrCat("claim_adjustments[", j, "]"), c.claim_adjustments(j), v);
  }
}

}  // namespace

bool ValidateClaimCommand(Command* command, absl::CivilDay today, Violations& v) {
  switch (command->kind_case()) {
    case Command::kCreateClaim: {
      const auto& c = command->create_claim();
      Id("claim_id", c.claim_id(), v);
      Id("encounter_id", c.encounter_id(), v);
      Id("coverage_id", c.coverage_id(), v);
      return true;
    }
    case Command::kScrubClaim: Id("claim_id", command->scrub_claim().claim_id(), v); return true;
    case Command::kSubmitClaim:
      Id("claim_id", command->submit_claim().claim_id(), v);
      Id("batch_id", command->submit_claim().batch_id(), v, true);
      return true;
    case Command::kAcknowledgeClaim: {
      const auto& c = command->acknowledge_claim();
      Id("claim_id", c.claim_id(), v);
      Text("reason", c.reason(), v, c.accepted());
      return true;
    }
    case Command::kReplaceClaim:
    case Command::kVoidClaim: {
      bool replace = command->kind_case() == Command::kReplaceClaim;
      const std::string& id =
          replace ? command->replace_claim().claim_id() : command->void_claim().claim_id();
      const std::string& original = replace ? command->replace_claim().original_claim_id()
                                            : command->void_claim().original_claim_id();
      Id("claim_id", id, v);
      Id("original_claim_id", original, v);
      if (!id.empty() && id == original) v.Add("original_claim_id", "must differ from claim_id");
      Code("payer_claim_number",
           replace ? command->replace_claim().payer_claim_number()
                   : command->void_claim().payer_claim_number(),
           kPayerClaimNumberRule, v);
      return true;
    }
    case Command::kRecordRemittance: {
      auto* c = command->mutable_record_remittance();
      Id("remit_id", c->remit_id(), v);
      Code("payer_id", c->payer_id(), kPayerIdRule, v);
      Id("trace_number", c->trace_number(), v);
      if (c->method() == rcl::v1::PAYMENT_METHOD_UNSPECIFIED ||
          !rcl::v1::PaymentMethod_IsValid(c->method())) {
        v.Add("method", "must be CHK, ACH or NON");
      }
      if (c->total_cents() < 0 || c->total_cents() > kAmountCentsMax) {
        v.Add("total_cents", "must be between 0 and the maximum amount");
      }
      Date("paid_date", c->mutable_paid_date(), today, v, false, false);
      return true;
    }
    case Command::kAdjudicateClaim:
      ValidateAdjudicate(*command->mutable_adjudicate_claim(), v);
      return true;
    case Command::kReverseAdjudication:
      Id("claim_id", command->reverse_adjudication().claim_id(), v);
      Id("remit_id", command->reverse_adjudication().remit_id(), v);
      return true;
    case Command::kRecordProviderAdjustment: {
      const auto& c = command->record_provider_adjustment();
      Id("remit_id", c.remit_id(), v);
      Code("reason_code", c.reason_code(), kPlbReasonRule, v);
      Amount("amount_cents", c.amount_cents(), v, false);
      Code("reference", c.reference(), kPlbReferenceRule, v, true);
      return true;
    }
    case Command::kAdjustClaim: {
      const auto& c = command->adjust_claim();
      Id("claim_id", c.claim_id(), v);
      if (c.group() == rcl::v1::ADJUSTMENT_GROUP_UNSPECIFIED ||
          !rcl::v1::AdjustmentGroup_IsValid(c.group())) {
        v.Add("group", "must be CO, OA, PI or CR");
      } else if (c.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
        v.Add("group",
              "PR is not a manual adjustment: patient responsibility comes from adjudication");
      }
      Code("reason_code", c.reason_code(), kCarcRule, v);
      Amount("amount_cents", c.amount_cents(), v, false);
      Text("note", c.note(), v, true);
      return true;
    }
    case Command::kWriteOffClaim: {
      const auto& c = command->write_off_claim();
      Id("claim_id", c.claim_id(), v);
      if (c.reason() == rcl::v1::WRITE_OFF_REASON_UNSPECIFIED ||
          !rcl::v1::WriteOffReason_IsValid(c.reason())) {
        v.Add("reason",
              "must be contractual, small_balance, bad_debt, charity, timely_filing or "
              "administrative");
      }
      Amount("amount_cents", c.amount_cents(), v, true);
      if (!rcl::v1::BalanceSide_IsValid(c.side())) v.Add("side", "must be payer or patient");
      Text("note", c.note(), v, true);
      return true;
    }
    case Command::kFileAppeal: {
      auto* c = command->mutable_file_appeal();
      Id("appeal_id", c->appeal_id(), v);
      Id("claim_id", c->claim_id(), v);
      if (c->level() < 1 || c->level() > 3) v.Add("level", "must be 1, 2 or 3");
      Text("reason", c->reason(), v);
      Date("filed_date", c->mutable_filed_date(), today, v, true, true);
      if (!c->deadline().empty()) {
        Date("deadline", c->mutable_deadline(), today, v, false, false);
        if (ParseCivilDate(c->deadline()).ok() && !c->filed_date().empty() &&
            c->deadline() < c->filed_date()) {
          v.Add("deadline", "must not be before filed_date");
        }
      }
      return true;
    }
    case Command::kDecideAppeal: {
      auto* c = command->mutable_decide_appeal();
      Id("appeal_id", c->appeal_id(), v);
      if (c->outcome() == rcl::v1::APPEAL_OUTCOME_UNSPECIFIED ||
          !rcl::v1::AppealOutcome_IsValid(c->outcome())) {
        v.Add("outcome", "must be overturned, upheld or partial");
      }
      Date("decided_date", c->mutable_decided_date(), today, v, true, true);
      return true;
    }
    case Command::kReceivePatientPayment: {
      auto* c = command->mutable_receive_patient_payment();
      Id("patient_id", c->patient_id(), v);
      Id("payment_id", c->payment_id(), v);
      Amount("amount_cents", c->amount_cents(), v, true);
      Code("method", c->method(), kPaymentMethodRule, v);
      std::set<std::string> seen;
      const bool bounded = CheckCount("claim_ids", c->claim_ids_size(), 0, kPaymentClaimsMax, v);
      for (int i = 0; bounded && i < c->claim_ids_size(); ++i) {
        Id(absl::StrCat("claim_ids[", i, "]"), c->claim_ids(i), v);
        if (!seen.insert(c->claim_ids(i)).second)
          v.Add(absl::StrCat("claim_ids[", i, "]"), "is named twice");
      }
      Date("received_date", c->mutable_received_date(), today, v, true, true);
      return true;
    }
    case Command::kIssuePatientStatement:
      Id("patient_id", command->issue_patient_statement().patient_id(), v);
      Date("statement_date", command->mutable_issue_patient_statement()->mutable_statement_date(),
           today, v, true, false);
      return true;
    case Command::kRefundPatient: {
      const auto& c = command->refund_patient();
      Id("patient_id", c.patient_id(), v);
      Amount("amount_cents", c.amount_cents(), v, true);
      Id("refund_id", c.refund_id(), v, true);
      return true;
    }
    case Command::kImportRemittanceFile:
      if (command->import_remittance_file().x12().empty()) v.Add("x12", "must not be empty");
      return true;
    case Command::kAliasPayer:
      Code("x12_id", command->alias_payer().x12_id(), kX12IdRule, v);
      Code("payer_id", command->alias_payer().payer_id(), kPayerIdRule, v);
      return true;
    case Command::kApplySuspendedPayment:
      Id("item_id", command->apply_suspended_payment().item_id(), v);
      Id("claim_id", command->apply_suspended_payment().claim_id(), v);
      return true;
    case Command::kRecordClaimExport: {
      const auto& c = command->record_claim_export();
      Id("export_id", c.export_id(), v);
      Code("file_sha256", c.file_sha256(), kPayerIdRule, v);
      if (c.claim_ids_size() == 0 || c.claim_ids_size() > kExportClaimsMax) {
        v.Add("claim_ids", absl::StrCat("must hold 1 to ", kExportClaimsMax, " claims"));
      }
      for (int i = 0; i < c.claim_ids_size(); ++i) {
        Id(absl::StrCat("claim_ids[", i, "]"), c.claim_ids(i), v);
      }
      return true;
    }
    case Command::kRegisterPatient:
    case Command::kAddCoverage:
    case Command::kEndCoverage:
    case Command::kOpenEncounter:
    case Command::kRecordDiagnoses:
    case Command::kRecordCharge:
    case Command::kVoidCharge:
    case Command::kCompleteCoding:
    case Command::KIND_NOT_SET:
      return false;  // not a claims-to-cash command (ledger/rules/validation.cc)
                     // No default: a command kind this switch forgets fails to compile.
  }
  return false;
}

}  // namespace rcl::ledger
