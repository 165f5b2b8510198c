#include "projections/history_summary.h"

#include <cstdlib>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "rcl/v1/events.pb.h"

namespace rcl::projections {
namespace {

using namespace rcl::v1;  // NOLINT: event messages

// "90.00", "-12.34".
std::string Money(int64_t cents) {
  uint64_t magnitude = cents < 0 ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  return absl::StrFormat("%s%d.%02d", cents < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

std::string GroupName(AdjustmentGroup g) {
  switch (g) {
    case ADJUSTMENT_GROUP_CO: return "CO";
    case ADJUSTMENT_GROUP_PR: return "PR";
    case ADJUSTMENT_GROUP_OA: return "OA";
    case ADJUSTMENT_GROUP_PI: return "PI";
    case ADJUSTMENT_GROUP_CR: return "CR";
    default: return "??";
  }
}

std::string ReasonName(WriteOffReason r) {
  std::string name = WriteOffReason_Name(r);
  return name.size() > 17 ? absl::AsciiStrToLower(name.substr(17)) : name;  // WRITE_OFF_REASON_
}

std::string SideName(BalanceSide s) { return s == BALANCE_SIDE_PATIENT ? "patient" : "payer"; }

std::string OutcomeName(AppealOutcome o) {
  std::string name = AppealOutcome_Name(o);
  return name.size() > 15 ? absl::AsciiStrToLower(name.substr(15)) : name;  // APPEAL_OUTCOME_
}

// "paid 90.00, CO-45 30.00, PR-2 30.00": the adjustments summed by group and
// reason over the lines and the claim.
std::string Adjudication(const ClaimAdjudicated& e) {
  std::map<std::string, int64_t> by_code;
  auto add = [&](const google::protobuf::RepeatedPtrField<Adjustment>& adjustments) {
    for (const auto& a : adjustments)
      by_code[absl::StrCat(GroupName(a.group()), "-", a.reason_code())] += a.amount_cents();
  };
  for (const auto& line : e.lines()) add(line.adjustments());
  add(e.claim_adjustments());
  std::vector<std::string> parts = {absl::StrCat("paid ", Money(e.paid_cents()))};
  for (const auto& [code, cents] : by_code) parts.push_back(absl::StrCat(code, " ", Money(cents)));
  std::string verb = e.status() == CLAIM_PAYMENT_STATUS_PREDETERMINATION ? "predetermined"
                     : e.denied()                                        ? "denied"
                                                                         : "adjudicated";
  std::string out = absl::StrCat(verb, " under ", e.remit_id(), ": ", absl::StrJoin(parts, ", "));
  if (!e.transfer_claim_id().empty()) {
    absl::StrAppend(&out, "; ", Money(e.patient_responsibility_cents()),
                    " to the next payer's claim ", e.transfer_claim_id());
  }
  return out;
}

// The summary of the claim side's events; "" when `type` is not one.
std::string ClaimSide(std::string_view type, const LogEvent& event) {
  if (type == "ClaimCreated") {
    const ClaimCreated* parsed = event.As<ClaimCreated>();
    if (parsed == nullptr) return "";
    const ClaimCreated& e = *parsed;
    return absl::StrCat("claim created for payer ", e.payer_id(), " (rank ", e.rank(),
                        ", frequency ", e.frequency(), "): charge ", Money(e.charge_cents()),
                        " on ", e.lines_size(), " lines, service ", e.date_of_service());
  }
  if (type == "ClaimScrubbed") {
    const ClaimScrubbed* parsed = event.As<ClaimScrubbed>();
    if (parsed == nullptr) return "";
    const ClaimScrubbed& e = *parsed;
    std::vector<std::string> codes;
    for (const auto& edit : e.edits()) codes.push_back(edit.code());
    return e.passed() ? "scrub passed" : absl::StrCat("scrub failed: ", absl::StrJoin(codes, ", "));
  }
  if (type == "ClaimSubmitted") {
    const ClaimSubmitted* parsed = event.As<ClaimSubmitted>();
    if (parsed == nullptr) return "";
    const ClaimSubmitted& e = *parsed;
    return absl::StrCat("submitted (submission ", e.submission_number(), ")");
  }
  if (type == "ClaimAcknowledged") {
    const ClaimAcknowledged* parsed = event.As<ClaimAcknowledged>();
    if (parsed == nullptr) return "";
    const ClaimAcknowledged& e = *parsed;
    return e.accepted() ? "accepted by the payer" : "rejected by the payer";
  }
  if (type == "ClaimAdjudicated") {
    const ClaimAdjudicated* e = event.As<ClaimAdjudicated>();
    return e != nullptr ? Adjudication(*e) : "";
  }
  if (type == "ClaimAdjudicationReversed") {
    const ClaimAdjudicationReversed* parsed = event.As<ClaimAdjudicationReversed>();
    if (parsed == nullptr) return "";
    const ClaimAdjudicationReversed& e = *parsed;
    return absl::StrCat(e.superseded() ? "superseded" : "reversed", " under ", e.remit_id(),
                        ": the adjudication of ", e.reversed_remit_id(), " (paid ",
                        Money(e.paid_cents()), ")");
  }
  if (type == "ClaimBalanceTransferred") {
    const ClaimBalanceTransferred* parsed = event.As<ClaimBalanceTransferred>();
    if (parsed == nullptr) return "";
    const ClaimBalanceTransferred& e = *parsed;
    return absl::StrCat(Money(e.amount_cents()), " transferred in from claim ", e.from_claim_id());
  }
  if (type == "ClaimReplaced") {
    const ClaimReplaced* parsed = event.As<ClaimReplaced>();
    if (parsed == nullptr) return "";
    const ClaimReplaced& e = *parsed;
    return absl::StrCat("replaced by claim ", e.replacement_claim_id(), " (",
                        Money(e.moved_cents()), " moved)");
  }
  if (type == "ClaimVoided") {
    const ClaimVoided* parsed = event.As<ClaimVoided>();
    if (parsed == nullptr) return "";
    const ClaimVoided& e = *parsed;
    return absl::StrCat("voided by claim ", e.void_claim_id(), " (", Money(e.returned_cents()),
                        " returned)");
  }
  if (type == "ClaimTransferReturned") {
    const ClaimTransferReturned* parsed = event.As<ClaimTransferReturned>();
    if (parsed == nullptr) return "";
    const ClaimTransferReturned& e = *parsed;
    return absl::StrCat(Money(e.amount_cents()), " returned to the patient from voided claim ",
                        e.from_claim_id());
  }
  if (type == "ClaimAdjusted") {
    const ClaimAdjusted* parsed = event.As<ClaimAdjusted>();
    if (parsed == nullptr) return "";
    const ClaimAdjusted& e = *parsed;
    return absl::StrCat("adjusted ", GroupName(e.group()), "-", e.reason_code(), " ",
                        Money(e.amount_cents()));
  }
  if (type == "ClaimWrittenOff") {
    const ClaimWrittenOff* parsed = event.As<ClaimWrittenOff>();
    if (parsed == nullptr) return "";
    const ClaimWrittenOff& e = *parsed;
    return absl::StrCat("written off ", Money(e.amount_cents()), " of the ", SideName(e.side()),
                        " balance (", ReasonName(e.reason()), ")");
  }
  if (type == "ClaimWriteOffReversed") {
    const ClaimWriteOffReversed* parsed = event.As<ClaimWriteOffReversed>();
    if (parsed == nullptr) return "";
    const ClaimWriteOffReversed& e = *parsed;
    return absl::StrCat("write-off of ", Money(e.amount_cents()), " (", ReasonName(e.reason()),
                        ") taken back: ", e.cause());
  }
  return "";
}

// The summary of the patient account's, remittances' and appeals' events.
std::string AccountSide(std::string_view type, const LogEvent& event) {
  if (type == "PatientRegistered") return "patient registered";
  if (type == "CoverageAdded") {
    const CoverageAdded* parsed = event.As<CoverageAdded>();
    if (parsed == nullptr) return "";
    const CoverageAdded& e = *parsed;
    return absl::StrCat("coverage ", e.coverage_id(), " added: payer ", e.payer_id(), ", rank ",
                        e.rank(), ", from ", e.effective_from());
  }
  if (type == "CoverageEnded") {
    const CoverageEnded* parsed = event.As<CoverageEnded>();
    if (parsed == nullptr) return "";
    const CoverageEnded& e = *parsed;
    return absl::StrCat("coverage ", e.coverage_id(), " ends ", e.effective_to());
  }
  if (type == "PatientClaimLinked") {
    const PatientClaimLinked* parsed = event.As<PatientClaimLinked>();
    if (parsed == nullptr) return "";
    const PatientClaimLinked& e = *parsed;
    return absl::StrCat("claim ", e.claim_id(), " (service ", e.date_of_service(), ")");
  }
  if (type == "PatientPaymentReceived") {
    const PatientPaymentReceived* parsed = event.As<PatientPaymentReceived>();
    if (parsed == nullptr) return "";
    const PatientPaymentReceived& e = *parsed;
    return absl::StrCat("payment ", e.payment_id(), " received: ", Money(e.amount_cents()), " on ",
                        e.allocations_size(), " claims, ", Money(e.unapplied_cents()),
                        " unapplied");
  }
  if (type == "PatientPaymentApplied") {
    const PatientPaymentApplied* parsed = event.As<PatientPaymentApplied>();
    if (parsed == nullptr) return "";
    const PatientPaymentApplied& e = *parsed;
    return absl::StrCat("patient payment ", e.payment_id(), " applied: ", Money(e.amount_cents()));
  }
  if (type == "PatientPaymentUnapplied") {
    const PatientPaymentUnapplied* parsed = event.As<PatientPaymentUnapplied>();
    if (parsed == nullptr) return "";
    const PatientPaymentUnapplied& e = *parsed;
    return absl::StrCat(Money(e.amount_cents()),
                        " of patient payments moved to the account's credit (claim ", e.claim_id(),
                        ")");
  }
  if (type == "PatientCreditApplied") {
    const PatientCreditApplied* parsed = event.As<PatientCreditApplied>();
    if (parsed == nullptr) return "";
    const PatientCreditApplied& e = *parsed;
    return absl::StrCat(Money(e.amount_cents()), " of the account's credit applied (claim ",
                        e.claim_id(), ")");
  }
  if (type == "PatientStatementIssued") {
    const PatientStatementIssued* parsed = event.As<PatientStatementIssued>();
    if (parsed == nullptr) return "";
    const PatientStatementIssued& e = *parsed;
    return absl::StrCat("statement of ", e.statement_date(), ": balance ", Money(e.balance_cents()),
                        " on ", e.lines_size(), " claims");
  }
  if (type == "PatientRefunded") {
    const PatientRefunded* parsed = event.As<PatientRefunded>();
    if (parsed == nullptr) return "";
    const PatientRefunded& e = *parsed;
    return absl::StrCat("refunded ", Money(e.amount_cents()));
  }
  if (type == "RemittanceRecorded") {
    const RemittanceRecorded* parsed = event.As<RemittanceRecorded>();
    if (parsed == nullptr) return "";
    const RemittanceRecorded& e = *parsed;
    return absl::StrCat("remittance from payer ", e.payer_id(), ", trace ", e.trace_number(),
                        ": total ", Money(e.total_cents()), ", paid ", e.paid_date());
  }
  if (type == "RemittanceClaimPosted") {
    const RemittanceClaimPosted* parsed = event.As<RemittanceClaimPosted>();
    if (parsed == nullptr) return "";
    const RemittanceClaimPosted& e = *parsed;
    return absl::StrCat("claim ", e.claim_id(), " posted: paid ", Money(e.paid_cents()));
  }
  if (type == "ProviderAdjustmentRecorded") {
    const ProviderAdjustmentRecorded* parsed = event.As<ProviderAdjustmentRecorded>();
    if (parsed == nullptr) return "";
    const ProviderAdjustmentRecorded& e = *parsed;
    return absl::StrCat("provider adjustment ", e.reason_code(), " ", Money(e.amount_cents()));
  }
  if (type == "AppealFiled") {
    const AppealFiled* parsed = event.As<AppealFiled>();
    if (parsed == nullptr) return "";
    const AppealFiled& e = *parsed;
    return absl::StrCat("appeal ", e.appeal_id(), " filed (level ", e.level(), ")",
                        e.deadline().empty() ? "" : absl::StrCat(", deadline ", e.deadline()));
  }
  if (type == "AppealDecided") {
    const AppealDecided* parsed = event.As<AppealDecided>();
    if (parsed == nullptr) return "";
    const AppealDecided& e = *parsed;
    return absl::StrCat("appeal ", e.appeal_id(), " decided: ", OutcomeName(e.outcome()));
  }
  return "";
}

}  // namespace

std::string Summarize(const LogEvent& event) {
  std::string_view type = event.record.type;
  std::string s = ClaimSide(type, event);
  if (s.empty()) s = AccountSide(type, event);
  return s.empty() ? std::string(type) : s;
}

}  // namespace rcl::projections
