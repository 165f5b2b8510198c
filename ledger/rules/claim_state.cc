// Folding claim-side events (claims, remittances, appeals, the patient
// account) into stream state: one Apply function per event, registered in
// the fold table (ledger/rules/fold.h). See ledger/rules/state.h.
#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/rules/fold.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

ClaimLineAmounts LineAmounts(const rcl::v1::LineAdjudication& line, bool line_denied) {
  ClaimLineAmounts a;
  a.allowed_cents = line.allowed_cents();
  a.paid_cents = line.paid_cents();
  for (const auto& adj : line.adjustments()) {
    switch (adj.group()) {
      case rcl::v1::ADJUSTMENT_GROUP_PR:
        fold::AddCents(a.patient_responsibility_cents, adj.amount_cents());
        break;
      case rcl::v1::ADJUSTMENT_GROUP_CO:
        fold::AddCents((line_denied ? a.denied_cents : a.contractual_cents), adj.amount_cents());
        break;
      default:
        fold::AddCents((line_denied ? a.denied_cents : a.other_adjustment_cents),
                       adj.amount_cents());
        break;
    }
  }
  return a;
}

}  // namespace

// A line is denied when the payer paid nothing on it and adjusted it for a
// reason that is neither the patient's responsibility nor a prior payer's
// share (or the whole claim is denied). Shared with the adjudication decider through this
// definition.
bool LineDenied(const rcl::v1::LineAdjudication& line, rcl::v1::ClaimPaymentStatus status) {
  if (line.paid_cents() != 0) return false;
  if (status == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED) return true;
  int64_t patient_responsibility = 0;
  bool adjusted = false;
  for (const auto& adj : line.adjustments()) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
      fold::AddCents(patient_responsibility, adj.amount_cents());
    } else if (adj.amount_cents() > 0 && adj.reason_code() != kPriorPayerCarc) {
      adjusted = true;
    }
  }
  // Nothing paid because the patient owes it (e.g. all to the deductible), or
  // because a prior payer covered it (CARC 23), is a processed line, not a
  // denial.
  return adjusted && patient_responsibility <= 0;
}

std::string_view ClaimStatusName(ClaimStatus status) {
  switch (status) {
    case ClaimStatus::kCreated: return "created";
    case ClaimStatus::kScrubFailed: return "scrub_failed";
    case ClaimStatus::kReady: return "ready";
    case ClaimStatus::kSubmitted: return "submitted";
    case ClaimStatus::kAccepted: return "accepted";
    case ClaimStatus::kRejected: return "rejected";
    case ClaimStatus::kAdjudicated: return "adjudicated";
    case ClaimStatus::kDenied: return "denied";
    case ClaimStatus::kReplaced: return "replaced";
    case ClaimStatus::kVoided: return "voided";
  }
  return "unknown";
}

namespace {

using namespace rcl::v1;  // NOLINT: event messages

// --- Claims ---------------------------------------------------------------------

void ApplyClaimCreated(ClaimState& c, const ClaimCreated& e) {
  c.claim_id = e.claim_id();
  c.encounter_id = e.encounter_id();
  c.patient_id = e.patient_id();
  c.coverage_id = e.coverage_id();
  c.payer_id = e.payer_id();
  c.rank = e.rank();
  c.frequency = e.frequency();
  c.original_claim_id = e.original_claim_id();
  c.payer_claim_number = e.payer_claim_number();
  c.date_of_service = e.date_of_service();
  c.billing_npi = e.billing_npi();
  c.rendering_npi = e.rendering_npi();
  c.diagnoses.assign(e.diagnoses().begin(), e.diagnoses().end());
  for (const auto& line : e.lines()) c.lines[line.line_number()] = ClaimLineView{line, {}};
  c.charge_cents = e.charge_cents();
  c.opening_balance_cents = e.opening_balance_cents();
  c.status = ClaimStatus::kCreated;
}

void ApplyClaimScrubbed(ClaimState& c, const ClaimScrubbed& e) {
  c.last_scrub_passed = e.passed();
  c.status = e.passed() ? ClaimStatus::kReady : ClaimStatus::kScrubFailed;
}

void ApplyClaimSubmitted(ClaimState& c, const ClaimSubmitted&) {
  ++c.submissions;
  c.status = ClaimStatus::kSubmitted;
}

void ApplyClaimAcknowledged(ClaimState& c, const ClaimAcknowledged& e) {
  c.status = e.accepted() ? ClaimStatus::kAccepted : ClaimStatus::kRejected;
}

AdjudicationState AdjudicationOf(const ClaimAdjudicated& e) {
  AdjudicationState a;
  a.remit_id = e.remit_id();
  a.payer_claim_number = e.payer_claim_number();
  a.status = e.status();
  a.paid_cents = e.paid_cents();
  a.contractual_cents = e.contractual_cents();
  a.other_adjustment_cents = e.other_adjustment_cents();
  a.patient_responsibility_cents = e.patient_responsibility_cents();
  a.denied_cents = e.denied_cents();
  a.denied = e.denied();
  a.transfer_claim_id = e.transfer_claim_id();
  a.transfer_payer_id = e.transfer_payer_id();
  a.prior_payer_cents = e.prior_payer_cents();
  for (const auto& line : e.lines())
    a.lines[line.line_number()] = LineAmounts(line, LineDenied(line, e.status()));
  for (const auto& p : e.postings()) a.postings.emplace_back(p.account(), p.amount_cents());
  return a;
}

void ApplyClaimAdjudicated(ClaimState& c, const ClaimAdjudicated& e) {
  c.payer_claim_number = e.payer_claim_number();
  if (e.status() == CLAIM_PAYMENT_STATUS_PREDETERMINATION) return;  // no money moves
  AdjudicationState a = AdjudicationOf(e);
  fold::AddCents(c.payer_paid_cents, a.paid_cents);
  fold::AddCents(c.contractual_cents, a.contractual_cents);
  fold::AddCents(c.other_adjustment_cents, a.other_adjustment_cents);
  fold::AddCents(
      (a.transfer_claim_id.empty() ? c.patient_responsibility_cents : c.transferred_out_cents),
      a.patient_responsibility_cents);
  fold::AddCents(c.denied_cents, a.denied_cents);
  if (!a.transfer_claim_id.empty()) c.next_payer_claim_id = a.transfer_claim_id;
  for (auto& [number, line] : c.lines) {
    auto it = a.lines.find(number);
    line.amounts = it == a.lines.end() ? ClaimLineAmounts{} : it->second;
  }
  c.ever_denied = c.ever_denied || a.denied;
  c.status = a.denied ? ClaimStatus::kDenied : ClaimStatus::kAdjudicated;
  c.adjudication = std::move(a);
}

void ApplyClaimAdjudicationReversed(ClaimState& c, const ClaimAdjudicationReversed&) {
  if (!c.adjudication.has_value()) return;
  const AdjudicationState& a = *c.adjudication;
  fold::SubCents(c.payer_paid_cents, a.paid_cents);
  fold::SubCents(c.contractual_cents, a.contractual_cents);
  fold::SubCents(c.other_adjustment_cents, a.other_adjustment_cents);
  if (a.transfer_claim_id.empty()) {
    fold::SubCents(c.patient_responsibility_cents, a.patient_responsibility_cents);
  } else {
    int64_t still_transferred = a.patient_responsibility_cents;
    fold::SubCents(still_transferred, a.returned_to_patient_cents);
    fold::SubCents(c.transferred_out_cents, still_transferred);
    fold::SubCents(c.patient_responsibility_cents, a.returned_to_patient_cents);
  }
  fold::SubCents(c.denied_cents, a.denied_cents);
  for (auto& [number, line] : c.lines) line.amounts = ClaimLineAmounts{};
  c.adjudication.reset();
  if (!c.Closed()) c.status = ClaimStatus::kAccepted;
}

void ApplyClaimBalanceTransferred(ClaimState& c, const ClaimBalanceTransferred& e) {
  fold::AddCents(c.transferred_in_cents, e.amount_cents());
  if (e.amount_cents() > 0) c.transfer_from_claim_id = e.from_claim_id();
}

void ApplyClaimReplaced(ClaimState& c, const ClaimReplaced& e) {
  fold::AddCents(c.moved_out_cents, e.moved_cents());
  c.replacement_claim_id = e.replacement_claim_id();
  c.status = ClaimStatus::kReplaced;
}

void ApplyClaimVoided(ClaimState& c, const ClaimVoided& e) {
  fold::AddCents(c.moved_out_cents, e.returned_cents());
  c.void_claim_id = e.void_claim_id();
  c.status = ClaimStatus::kVoided;
}

void ApplyClaimTransferReturned(ClaimState& c, const ClaimTransferReturned& e) {
  fold::SubCents(c.transferred_out_cents, e.amount_cents());
  fold::AddCents(c.patient_responsibility_cents, e.amount_cents());
  if (c.adjudication.has_value() && !c.adjudication->transfer_claim_id.empty()) {
    fold::AddCents(c.adjudication->returned_to_patient_cents, e.amount_cents());
  }
}

void ApplyClaimAdjusted(ClaimState& c, const ClaimAdjusted& e) {
  const bool contractual = e.group() == ADJUSTMENT_GROUP_CO;
  fold::AddCents((contractual ? c.contractual_cents : c.other_adjustment_cents), e.amount_cents());
  fold::AddCents((contractual ? c.manual_contractual_cents : c.manual_other_cents),
                 e.amount_cents());
}

void ApplyClaimWrittenOff(ClaimState& c, const ClaimWrittenOff& e) {
  fold::AddCents(
      (e.side() == BALANCE_SIDE_PATIENT ? c.patient_written_off_cents : c.payer_written_off_cents),
      e.amount_cents());
  fold::AddCents(c.write_offs[{e.side(), e.reason()}], e.amount_cents());
}

void ApplyClaimWriteOffReversed(ClaimState& c, const ClaimWriteOffReversed& e) {
  fold::SubCents(
      (e.side() == BALANCE_SIDE_PATIENT ? c.patient_written_off_cents : c.payer_written_off_cents),
      e.amount_cents());
  auto it = c.write_offs.find({e.side(), e.reason()});
  if (it == c.write_offs.end()) return;
  fold::SubCents(it->second, e.amount_cents());
  if (it->second == 0) c.write_offs.erase(it);
}

// --- Appeals (on the appeal's stream and on its claim's) -------------------------

void ApplyAppealFiledToClaim(ClaimState& c, const AppealFiled& e) {
  c.appeals[e.appeal_id()] = APPEAL_OUTCOME_UNSPECIFIED;
}
void ApplyAppealFiled(AppealState& a, const AppealFiled& e) {
  a.appeal_id = e.appeal_id();
  a.claim_id = e.claim_id();
  a.level = e.level();
  a.deadline = e.deadline();
}
void ApplyAppealDecidedToClaim(ClaimState& c, const AppealDecided& e) {
  c.appeals[e.appeal_id()] = e.outcome();
}
void ApplyAppealDecided(AppealState& a, const AppealDecided& e) { a.outcome = e.outcome(); }

// --- Remittances -------------------------------------------------------------------

void ApplyRemittanceRecorded(RemittanceState& r, const RemittanceRecorded& e) {
  r.remit_id = e.remit_id();
  r.payer_id = e.payer_id();
  r.trace_number = e.trace_number();
  r.method = e.method();
  r.total_cents = e.total_cents();
  r.paid_date = e.paid_date();
}
void ApplyRemittanceTraceClaimed(GuardState& g, const RemittanceTraceClaimed& e) {
  g.owner = e.remit_id();
}
void ApplyRemittanceClaimPosted(RemittanceState& r, const RemittanceClaimPosted& e) {
  fold::AddCents(r.posted_cents, e.paid_cents());
}
void ApplyProviderAdjustmentRecorded(RemittanceState& r, const ProviderAdjustmentRecorded& e) {
  fold::AddCents(r.provider_adjustment_cents, e.amount_cents());
}

// --- X12 imports and exports ------------------------------------------------------

void ApplyRemittanceFileImported(GuardState& g, const RemittanceFileImported& e) {
  for (const auto& r : e.remittances()) {
    absl::StrAppend(&g.owner, g.owner.empty() ? "" : ", ", r.remit_id());
  }
}
void ApplyPayerAliased(GuardState& g, const PayerAliased& e) { g.owner = e.payer_id(); }
void ApplyRemittanceClaimSuspended(SuspenseState& s, const RemittanceClaimSuspended& e) {
  s.item = e;
}
void ApplySuspendedPaymentApplied(SuspenseState& s, const SuspendedPaymentApplied& e) {
  s.applied_to = e.claim_id();
}
void ApplyRemittanceImbalanceAccepted(RemittanceState& r, const RemittanceImbalanceAccepted& e) {
  fold::AddCents(r.imbalance_cents, e.difference_cents());
}
void ApplyClaimExported(ClaimState& c, const ClaimExported&) { ++c.exports; }
void ApplyClaimExportedToGuard(GuardState& g, const ClaimExported& e) { g.owner = e.file_sha256(); }

// --- The patient account (on the patient's stream and on claims) ---------------------

void ApplyPatientPaymentReceived(PatientState& p, const PatientPaymentReceived& e) {
  fold::AddCents(p.credit_cents, e.unapplied_cents());
  p.payment_ids.insert(e.payment_id());
}
void ApplyPatientPaymentApplied(ClaimState& c, const PatientPaymentApplied& e) {
  fold::AddCents(c.patient_paid_cents, e.amount_cents());
  c.payment_ids.insert(e.payment_id());
}
void ApplyPaymentUnappliedToClaim(ClaimState& c, const PatientPaymentUnapplied& e) {
  fold::SubCents(c.patient_paid_cents, e.amount_cents());
}
void ApplyPaymentUnapplied(PatientState& p, const PatientPaymentUnapplied& e) {
  fold::AddCents(p.credit_cents, e.amount_cents());
}
void ApplyCreditAppliedToClaim(ClaimState& c, const PatientCreditApplied& e) {
  fold::AddCents(c.patient_paid_cents, e.amount_cents());
}
void ApplyCreditApplied(PatientState& p, const PatientCreditApplied& e) {
  fold::SubCents(p.credit_cents, e.amount_cents());
}
void ApplyPatientRefunded(PatientState& p, const PatientRefunded& e) {
  fold::SubCents(p.credit_cents, e.amount_cents());
  if (!e.refund_id().empty()) p.refund_ids.insert(e.refund_id());
}
void ApplyPatientStatementIssued(PatientState& p, const PatientStatementIssued&) { ++p.statements; }

}  // namespace

namespace fold {

void AddClaimSideFolds(FoldTable* t) {
  Register<ClaimCreated>(t, Fold<ClaimCreated, ClaimState, ApplyClaimCreated>);
  Register<ClaimScrubbed>(t, Fold<ClaimScrubbed, ClaimState, ApplyClaimScrubbed>);
  Register<ClaimSubmitted>(t, Fold<ClaimSubmitted, ClaimState, ApplyClaimSubmitted>);
  Register<ClaimAcknowledged>(t, Fold<ClaimAcknowledged, ClaimState, ApplyClaimAcknowledged>);
  Register<ClaimAdjudicated>(t, Fold<ClaimAdjudicated, ClaimState, ApplyClaimAdjudicated>);
  Register<ClaimAdjudicationReversed>(
      t, Fold<ClaimAdjudicationReversed, ClaimState, ApplyClaimAdjudicationReversed>);
  Register<ClaimBalanceTransferred>(
      t, Fold<ClaimBalanceTransferred, ClaimState, ApplyClaimBalanceTransferred>);
  Register<ClaimReplaced>(t, Fold<ClaimReplaced, ClaimState, ApplyClaimReplaced>);
  Register<ClaimVoided>(t, Fold<ClaimVoided, ClaimState, ApplyClaimVoided>);
  Register<ClaimTransferReturned>(
      t, Fold<ClaimTransferReturned, ClaimState, ApplyClaimTransferReturned>);
  Register<ClaimAdjusted>(t, Fold<ClaimAdjusted, ClaimState, ApplyClaimAdjusted>);
  Register<ClaimWrittenOff>(t, Fold<ClaimWrittenOff, ClaimState, ApplyClaimWrittenOff>);
  Register<ClaimWriteOffReversed>(
      t, Fold<ClaimWriteOffReversed, ClaimState, ApplyClaimWriteOffReversed>);
  Register<AppealFiled>(
      t,
      FoldEither<AppealFiled, ClaimState, ApplyAppealFiledToClaim, AppealState, ApplyAppealFiled>);
  Register<AppealDecided>(t, FoldEither<AppealDecided, ClaimState, ApplyAppealDecidedToClaim,
                                        AppealState, ApplyAppealDecided>);
  Register<RemittanceRecorded>(t,
                               Fold<RemittanceRecorded, RemittanceState, ApplyRemittanceRecorded>);
  Register<RemittanceTraceClaimed>(
      t, Fold<RemittanceTraceClaimed, GuardState, ApplyRemittanceTraceClaimed>);
  Register<RemittanceClaimPosted>(
      t, Fold<RemittanceClaimPosted, RemittanceState, ApplyRemittanceClaimPosted>);
  Register<ProviderAdjustmentRecorded>(
      t, Fold<ProviderAdjustmentRecorded, RemittanceState, ApplyProviderAdjustmentRecorded>);
  Register<PatientPaymentReceived>(
      t, Fold<PatientPaymentReceived, PatientState, ApplyPatientPaymentReceived>);
  Register<PatientPaymentApplied>(
      t, Fold<PatientPaymentApplied, ClaimState, ApplyPatientPaymentApplied>);
  Register<PatientPaymentUnapplied>(
      t, FoldEither<PatientPaymentUnapplied, ClaimState, ApplyPaymentUnappliedToClaim, PatientState,
                    ApplyPaymentUnapplied>);
  Register<PatientCreditApplied>(
      t, FoldEither<PatientCreditApplied, ClaimState, ApplyCreditAppliedToClaim, PatientState,
                    ApplyCreditApplied>);
  Register<RemittanceFileImported>(
      t, Fold<RemittanceFileImported, GuardState, ApplyRemittanceFileImported>);
  Register<PayerAliased>(t, Fold<PayerAliased, GuardState, ApplyPayerAliased>);
  Register<RemittanceClaimSuspended>(
      t, Fold<RemittanceClaimSuspended, SuspenseState, ApplyRemittanceClaimSuspended>);
  Register<SuspendedPaymentApplied>(
      t, Fold<SuspendedPaymentApplied, SuspenseState, ApplySuspendedPaymentApplied>);
  Register<RemittanceImbalanceAccepted>(
      t, Fold<RemittanceImbalanceAccepted, RemittanceState, ApplyRemittanceImbalanceAccepted>);
  Register<ClaimExported>(t, FoldEither<ClaimExported, ClaimState, ApplyClaimExported, GuardState,
                                        ApplyClaimExportedToGuard>);
  Register<PatientRefunded>(t, Fold<PatientRefunded, PatientState, ApplyPatientRefunded>);
  Register<PatientStatementIssued>(
      t, Fold<PatientStatementIssued, PatientState, ApplyPatientStatementIssued>);
}

}  // namespace fold
}  // namespace rcl::ledger
