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

template <typename Event>
bool Parse(std::string_view payload, Event* e) {
  return e->ParseFromArray(payload.data(), static_cast<int>(payload.size()));
}

// The summary of the claim side's events; "" when `type` is not one.
std::string ClaimSide(std::string_view type, std::string_view payload) {
  if (type == "ClaimCreated") {
    ClaimCreated e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("claim created for payer ", e.payer_id(), " (rank ", e.rank(),
                        ", frequency ", e.frequency(), "): charge ", Money(e.charge_cents()),
                        " on ", e.lines_size(), " lines, service ", e.date_of_service());
  }
  if (type == "ClaimScrubbed") {
    ClaimScrubbed e;
    if (!Parse(payload, &e)) return "";
    std::vector<std::string> codes;
    for (const auto& edit : e.edits()) codes.push_back(edit.code());
    return e.passed() ? "scrub passed" : absl::StrCat("scrub failed: ", absl::StrJoin(codes, ", "));
  }
  if (type == "ClaimSubmitted") {
    ClaimSubmitted e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("submitted (submission ", e.submission_number(), ")");
  }
  if (type == "ClaimAcknowledged") {
    ClaimAcknowledged e;
    if (!Parse(payload, &e)) return "";
    return e.accepted() ? "accepted by the payer" : "rejected by the payer";
  }
  if (type == "ClaimAdjudicated") {
    ClaimAdjudicated e;
    return Parse(payload, &e) ? Adjudication(e) : "";
  }
  if (type == "ClaimAdjudicationReversed") {
    ClaimAdjudicationReversed e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat(e.superseded() ? "superseded" : "reversed", " under ", e.remit_id(),
                        ": the adjudication of ", e.reversed_remit_id(), " (paid ",
                        Money(e.paid_cents()), ")");
  }
  if (type == "ClaimBalanceTransferred") {
    ClaimBalanceTransferred e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat(Money(e.amount_cents()), " transferred in from claim ", e.from_claim_id());
  }
  if (type == "ClaimReplaced") {
    ClaimReplaced e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("replaced by claim ", e.replacement_claim_id(), " (",
                        Money(e.moved_cents()), " moved)");
  }
  if (type == "ClaimVoided") {
    ClaimVoided e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("voided by claim ", e.void_claim_id(), " (", Money(e.returned_cents()),
                        " returned)");
  }
  if (type == "ClaimTransferReturned") {
    ClaimTransferReturned e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat(Money(e.amount_cents()), " returned to the patient from voided claim ",
                        e.from_claim_id());
  }
  if (type == "ClaimAdjusted") {
    ClaimAdjusted e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("adjusted ", GroupName(e.group()), "-", e.reason_code(), " ",
                        Money(e.amount_cents()));
  }
  if (type == "ClaimWrittenOff") {
    ClaimWrittenOff e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("written off ", Money(e.amount_cents()), " of the ", SideName(e.side()),
                        " balance (", ReasonName(e.reason()), ")");
  }
  if (type == "ClaimWriteOffReversed") {
    ClaimWriteOffReversed e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("write-off of ", Money(e.amount_cents()), " (", ReasonName(e.reason()),
                        ") taken back: ", e.cause());
  }
  return "";
}

// The summary of the patient account's, remittances' and appeals' events.
std::string AccountSide(std::string_view type, std::string_view payload) {
  if (type == "PatientRegistered") return "patient registered";
  if (type == "CoverageAdded") {
    CoverageAdded e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("coverage ", e.coverage_id(), " added: payer ", e.payer_id(), ", rank ",
                        e.rank(), ", from ", e.effective_from());
  }
  if (type == "CoverageEnded") {
    CoverageEnded e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("coverage ", e.coverage_id(), " ends ", e.effective_to());
  }
  if (type == "PatientClaimLinked") {
    PatientClaimLinked e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("claim ", e.claim_id(), " (service ", e.date_of_service(), ")");
  }
  if (type == "PatientPaymentReceived") {
    PatientPaymentReceived e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("payment ", e.payment_id(), " received: ", Money(e.amount_cents()), " on ",
                        e.allocations_size(), " claims, ", Money(e.unapplied_cents()),
                        " unapplied");
  }
  if (type == "PatientPaymentApplied") {
    PatientPaymentApplied e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("patient payment ", e.payment_id(), " applied: ", Money(e.amount_cents()));
  }
  if (type == "PatientPaymentUnapplied") {
    PatientPaymentUnapplied e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat(Money(e.amount_cents()),
                        " of patient payments moved to the account's credit (claim ", e.claim_id(),
                        ")");
  }
  if (type == "PatientCreditApplied") {
    PatientCreditApplied e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat(Money(e.amount_cents()), " of the account's credit applied (claim ",
                        e.claim_id(), ")");
  }
  if (type == "PatientStatementIssued") {
    PatientStatementIssued e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("statement of ", e.statement_date(), ": balance ", Money(e.balance_cents()),
                        " on ", e.lines_size(), " claims");
  }
  if (type == "PatientRefunded") {
    PatientRefunded e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("refunded ", Money(e.amount_cents()));
  }
  if (type == "RemittanceRecorded") {
    RemittanceRecorded e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("remittance from payer ", e.payer_id(), ", trace ", e.trace_number(),
                        ": total ", Money(e.total_cents()), ", paid ", e.paid_date());
  }
  if (type == "RemittanceClaimPosted") {
    RemittanceClaimPosted e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("claim ", e.claim_id(), " posted: paid ", Money(e.paid_cents()));
  }
  if (type == "ProviderAdjustmentRecorded") {
    ProviderAdjustmentRecorded e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("provider adjustment ", e.reason_code(), " ", Money(e.amount_cents()));
  }
  if (type == "AppealFiled") {
    AppealFiled e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("appeal ", e.appeal_id(), " filed (level ", e.level(), ")",
                        e.deadline().empty() ? "" : absl::StrCat(", deadline ", e.deadline()));
  }
  if (type == "AppealDecided") {
    AppealDecided e;
    if (!Parse(payload, &e)) return "";
    return absl::StrCat("appeal ", e.appeal_id(), " decided: ", OutcomeName(e.outcome()));
  }
  return "";
}

}  // namespace

std::string Summarize(std::string_view type, std::string_view payload) {
  std::string s = ClaimSide(type, payload);
  if (s.empty()) s = AccountSide(type, payload);
  return s.empty() ? std::string(type) : s;
}

}  // namespace rcl::projections
