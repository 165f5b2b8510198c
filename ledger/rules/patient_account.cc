// Adjustments, write-offs, appeals and the patient account (payments with
// bad-debt recovery, statements, refunds of credit). Every financial event
// carries balanced postings; business rules are FAILED_PRECONDITION with
// nothing written. The rules are in docs/API.md ("Claim lifecycle and the
// books").
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/rules/claim_rules.h"

namespace rcl::ledger::claim_rules {
namespace {

// Patient-side bad debt written off on a claim: what a later patient payment
// on it recovers.
int64_t BadDebt(const ClaimState& claim) {
  auto it =
      claim.write_offs.find({rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_BAD_DEBT});
  return it == claim.write_offs.end() ? 0 : it->second;
}

}  // namespace

absl::StatusOr<Decision> DecideAdjustClaim(const rcl::v1::AdjustClaim& c, StateView& view) {
  // Closed (replaced, voided) claims may still be adjusted: a payer reversal
  // can leave a balance on them that a biller must be able to clear.
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  if (c.amount_cents() > claim->PayerBalance()) {
    return Rule(absl::StrCat("adjustment of ", Cents(c.amount_cents()),
                             " exceeds the payer balance of claim ", c.claim_id(), " (",
                             Cents(claim->PayerBalance()), ")"));
  }
  // A negative adjustment raises what the payer owes: it can only take back
  // manual adjustments of its kind on an open claim, never create AR (what a
  // payer adjusted, the payer corrects, by a reversal or a new adjudication).
  const bool contractual = c.group() == rcl::v1::ADJUSTMENT_GROUP_CO;
  const int64_t manual = contractual ? claim->manual_contractual_cents : claim->manual_other_cents;
  if (c.amount_cents() < 0 && (claim->Closed() || manual + c.amount_cents() < 0)) {
    return Rule(absl::StrCat("negative adjustment of ", Cents(c.amount_cents()), " on claim ",
                             c.claim_id(), claim->Closed() ? " (closed)" : "",
                             " exceeds its manual ", contractual ? "contractual" : "other",
                             " adjustments in force (", Cents(claim->Closed() ? 0 : manual), ")"));
  }
  rcl::v1::ClaimAdjusted e;
  e.set_claim_id(c.claim_id());
  e.set_group(c.group());
  e.set_reason_code(c.reason_code());
  e.set_amount_cents(c.amount_cents());
  e.set_note(c.note());
  PostingBuilder pb;
  pb.Move(c.group() == rcl::v1::ADJUSTMENT_GROUP_CO ? kContractual : kOtherAdjustments,
          PayerAr(claim->payer_id), c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), std::move(e), ""));
  return d;
}

absl::StatusOr<Decision> DecideWriteOff(const rcl::v1::WriteOffClaim& c, StateView& view) {
  // Allowed on closed claims too, so that what is left on them can be cleared.
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  rcl::v1::BalanceSide side = c.side();
  if (side == rcl::v1::BALANCE_SIDE_UNSPECIFIED) {
    bool payer_reason = c.reason() == rcl::v1::WRITE_OFF_REASON_CONTRACTUAL ||
                        c.reason() == rcl::v1::WRITE_OFF_REASON_TIMELY_FILING ||
                        c.reason() == rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE;
    side = payer_reason ? rcl::v1::BALANCE_SIDE_PAYER : rcl::v1::BALANCE_SIDE_PATIENT;
  }
  bool patient_side = side == rcl::v1::BALANCE_SIDE_PATIENT;
  int64_t balance = patient_side ? claim->PatientBalance() : claim->PayerBalance();
  if (c.amount_cents() > balance) {
    return Rule(absl::StrCat("write-off of ", Cents(c.amount_cents()), " exceeds the ",
                             patient_side ? "patient" : "payer", " balance of claim ", c.claim_id(),
                             " (", Cents(balance), ")"));
  }
  rcl::v1::ClaimWrittenOff e;
  e.set_claim_id(c.claim_id());
  e.set_reason(c.reason());
  e.set_side(side);
  e.set_amount_cents(c.amount_cents());
  e.set_note(c.note());
  PostingBuilder pb;
  pb.Move(WriteOffAccount(c.reason()),
          patient_side ? PatientAr(claim->patient_id) : PayerAr(claim->payer_id), c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), std::move(e), ""));
  return d;
}

absl::StatusOr<Decision> DecideFileAppeal(const rcl::v1::FileAppeal& c, StateView& view) {
  const std::string filed = DateOrToday(c.filed_date(), view);
  RCL_RETURN_IF_ERROR(
      MustNotExist(view, AppealStream(c.appeal_id()), absl::StrCat("appeal ", c.appeal_id())));
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(MustBeOpen(*claim));
  bool denial_in_force =
      claim->adjudication.has_value() && (claim->adjudication->denied || claim->denied_cents > 0);
  if (!denial_in_force)
    return Rule(
        absl::StrCat("an appeal needs a denial; claim ", c.claim_id(), " has none in force"));
  for (const auto& [id, outcome] : claim->appeals) {
    if (outcome == rcl::v1::APPEAL_OUTCOME_UNSPECIFIED) {
      return Rule(absl::StrCat("claim ", c.claim_id(), " already has appeal ", id, " open"));
    }
  }
  rcl::v1::AppealFiled e;
  e.set_appeal_id(c.appeal_id());
  e.set_claim_id(c.claim_id());
  e.set_level(c.level());
  e.set_reason(c.reason());
  e.set_filed_date(filed);
  e.set_deadline(c.deadline());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, AppealStream(c.appeal_id()), e, filed));
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), std::move(e), filed));
  return d;
}

absl::StatusOr<Decision> DecideDecideAppeal(const rcl::v1::DecideAppeal& c, StateView& view) {
  const std::string decided = DateOrToday(c.decided_date(), view);
  RCL_ASSIGN_OR_RETURN(const AppealState* appeal,
                       GetAs<AppealState>(view, AppealStream(c.appeal_id()),
                                          absl::StrCat("appeal ", c.appeal_id())));
  if (appeal->outcome != rcl::v1::APPEAL_OUTCOME_UNSPECIFIED) {
    return Rule(absl::StrCat("appeal ", c.appeal_id(), " was already decided"));
  }
  rcl::v1::AppealDecided e;
  e.set_appeal_id(c.appeal_id());
  e.set_claim_id(appeal->claim_id);
  e.set_outcome(c.outcome());
  e.set_decided_date(decided);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, AppealStream(c.appeal_id()), e, decided));
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(appeal->claim_id), std::move(e), decided));
  return d;
}

// --- Patient account ------------------------------------------------------------

absl::StatusOr<Decision> DecidePatientPayment(const rcl::v1::ReceivePatientPayment& c,
                                              StateView& view) {
  const std::string received = DateOrToday(c.received_date(), view);
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, c.patient_id()));
  if (patient->payment_ids.contains(c.payment_id())) {
    return Rule(absl::StrCat("payment ", c.payment_id(), " was already received"));
  }
  std::vector<const ClaimState*> targets;
  if (c.claim_ids_size() > 0) {
    for (const std::string& id : c.claim_ids()) {
      RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, id));
      if (claim->patient_id != c.patient_id()) {
        return Rule(absl::StrCat("claim ", id, " is not a claim of patient ", c.patient_id()));
      }
      if (claim->status == ClaimStatus::kVoided) {
        return Rule(absl::StrCat("a payment cannot be applied to voided claim ", id));
      }
      targets.push_back(claim);
    }
  } else {
    // Oldest open balance first: by date of service, then claim id.
    std::vector<std::pair<std::string, std::string>> by_date;
    for (const auto& [id, dos] : patient->claims) by_date.emplace_back(dos, id);
    std::sort(by_date.begin(), by_date.end());
    for (const auto& [dos, id] : by_date) {
      RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, id));
      if (claim->status != ClaimStatus::kVoided &&
          (claim->PatientBalance() > 0 || BadDebt(*claim) > 0)) {
        targets.push_back(claim);
      }
    }
  }
  rcl::v1::PatientPaymentReceived e;
  e.set_patient_id(c.patient_id());
  e.set_payment_id(c.payment_id());
  e.set_amount_cents(c.amount_cents());
  e.set_method(c.method());
  e.set_received_date(received);
  int64_t remaining = c.amount_cents();
  std::map<std::string, int64_t> recovered;  // claim id -> bad debt this payment recovers
  for (const ClaimState* claim : targets) {
    // The open balance first, then a recovery of what was written off as bad debt.
    int64_t apply = std::min(remaining, std::max<int64_t>(claim->PatientBalance(), 0));
    int64_t recover = std::min(remaining - apply, BadDebt(*claim));
    if (apply + recover <= 0) continue;
    auto* a = e.add_allocations();
    a->set_claim_id(claim->claim_id);
    a->set_amount_cents(apply + recover);
    if (recover > 0) recovered[claim->claim_id] = recover;
    remaining -= apply + recover;
  }
  e.set_unapplied_cents(remaining);  // a credit balance on the account, refundable
  PostingBuilder pb;
  pb.Move(kCashPatient, PatientAr(c.patient_id()), c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), e, received));
  for (const ClaimState* claim : targets) {
    auto it = recovered.find(claim->claim_id);
    if (it == recovered.end()) continue;
    RCL_RETURN_IF_ERROR(ReverseWriteOffs(&d, *claim, rcl::v1::BALANCE_SIDE_PATIENT, it->second,
                                         {rcl::v1::WRITE_OFF_REASON_BAD_DEBT}, "recovery", received)
                            .status());
  }
  for (const auto& a : e.allocations()) {
    rcl::v1::PatientPaymentApplied applied;
    applied.set_claim_id(a.claim_id());
    applied.set_payment_id(c.payment_id());
    applied.set_amount_cents(a.amount_cents());
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(a.claim_id()), std::move(applied), received));
  }
  return d;
}

absl::StatusOr<Decision> DecideStatement(const rcl::v1::IssuePatientStatement& c, StateView& view) {
  const std::string statement_date = DateOrToday(c.statement_date(), view);
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, c.patient_id()));
  rcl::v1::PatientStatementIssued e;
  e.set_patient_id(c.patient_id());
  e.set_statement_date(statement_date);
  int64_t total = 0;
  for (const auto& [id, dos] : patient->claims) {
    RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, id));
    if (claim->PatientBalance() == 0) continue;
    auto* line = e.add_lines();
    line->set_claim_id(id);
    line->set_date_of_service(dos);
    line->set_patient_balance_cents(claim->PatientBalance());
    total += claim->PatientBalance();
  }
  e.set_credit_cents(patient->credit_cents);
  e.set_balance_cents(total - patient->credit_cents);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), std::move(e), statement_date));
  return d;
}

absl::StatusOr<Decision> DecideRefund(const rcl::v1::RefundPatient& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, c.patient_id()));
  if (!c.refund_id().empty() && patient->refund_ids.contains(c.refund_id())) {
    return Rule(absl::StrCat("refund ", c.refund_id(), " was already made"));
  }
  if (c.amount_cents() > patient->credit_cents) {
    return Rule(absl::StrCat("refund of ", Cents(c.amount_cents()),
                             " exceeds the credit balance of patient ", c.patient_id(), " (",
                             Cents(patient->credit_cents), ")"));
  }
  rcl::v1::PatientRefunded e;
  e.set_patient_id(c.patient_id());
  e.set_refund_id(c.refund_id());
  e.set_amount_cents(c.amount_cents());
  PostingBuilder pb;
  pb.Move(PatientAr(c.patient_id()), kCashPatient, c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), std::move(e), ""));
  return d;
}

}  // namespace rcl::ledger::claim_rules
