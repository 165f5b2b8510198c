// The lifecycle steps the claims-to-cash deciders share. See claim_rules.h;
// the rules are written down in docs/API.md ("Claim lifecycle and the books").
#include "ledger/rules/claim_rules.h"

#include <algorithm>

#include "ledger/rules/validation.h"

namespace rcl::ledger::claim_rules {

void PostingBuilder::To(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* out) const {
  for (const auto& [account, amount] : sums_) {
    if (amount == 0) continue;
    auto* p = out->Add();
    p->set_account(account);
    p->set_amount_cents(amount);
  }
}

std::string WriteOffReasonName(rcl::v1::WriteOffReason r) {
  switch (r) {
    case rcl::v1::WRITE_OFF_REASON_CONTRACTUAL: return "contractual";
    case rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE: return "small_balance";
    case rcl::v1::WRITE_OFF_REASON_BAD_DEBT: return "bad_debt";
    case rcl::v1::WRITE_OFF_REASON_CHARITY: return "charity";
    case rcl::v1::WRITE_OFF_REASON_TIMELY_FILING: return "timely_filing";
    case rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE: return "administrative";
    default: return "other";
  }
}

std::string WriteOffAccount(rcl::v1::WriteOffReason reason) {
  return absl::StrCat("writeoff:", WriteOffReasonName(reason));
}

absl::StatusOr<const ClaimState*> GetClaim(StateView& view, const std::string& id) {
  return GetAs<ClaimState>(view, ClaimStream(id), absl::StrCat("claim ", id));
}
absl::StatusOr<const PatientState*> GetPatient(StateView& view, const std::string& id) {
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(PatientStream(id)));
  const auto* p = std::get_if<PatientState>(&s->aggregate);
  if (!s->exists() || p == nullptr) return Rule(absl::StrCat("patient ", id, " is not registered"));
  return p;
}
absl::StatusOr<const RemittanceState*> GetRemit(StateView& view, const std::string& id) {
  return GetAs<RemittanceState>(view, RemitStream(id), absl::StrCat("remittance ", id));
}

absl::Status MustNotExist(StateView& view, const std::string& stream, const std::string& what) {
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  if (s->exists()) return Rule(absl::StrCat(what, " already exists"));
  return absl::OkStatus();
}

absl::Status MustBeOpen(const ClaimState& c) {
  if (c.Closed()) {
    return Rule(absl::StrCat("claim ", c.claim_id, " is ", AbslView(ClaimStatusName(c.status))));
  }
  return absl::OkStatus();
}

std::string DateOrToday(const std::string& date, const StateView& view) {
  return date.empty() ? FormatCivilDate(view.Today()) : date;
}

absl::Status EmitClaimLinks(Decision* d, const rcl::v1::ClaimCreated& created,
                            int64_t billed_cents) {
  rcl::v1::EncounterClaimed ec;
  ec.set_encounter_id(created.encounter_id());
  ec.set_claim_id(created.claim_id());
  ec.set_coverage_id(created.coverage_id());
  ec.set_frequency(created.frequency());
  ec.set_billed_cents(billed_cents);
  RCL_RETURN_IF_ERROR(EmitEvent(d, EncounterStream(created.encounter_id()), std::move(ec),
                                created.date_of_service()));
  rcl::v1::PatientClaimLinked pl;
  pl.set_patient_id(created.patient_id());
  pl.set_claim_id(created.claim_id());
  pl.set_date_of_service(created.date_of_service());
  return EmitEvent(d, PatientStream(created.patient_id()), std::move(pl),
                   created.date_of_service());
}

absl::StatusOr<ClaimState> ClaimAfter(const ClaimState& before, const Decision& d) {
  StreamState s;
  s.aggregate = before;
  const std::string stream = ClaimStream(before.claim_id);
  for (const NewEvent& e : d.events) {
    if (e.stream != stream) continue;
    RCL_RETURN_IF_ERROR(FoldEvent(&s, e.type, e.payload));
  }
  return std::get<ClaimState>(std::move(s.aggregate));
}

absl::StatusOr<const ClaimState*> ClaimInForce(StateView& view, const std::string& claim_id) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* c, GetClaim(view, claim_id));
  for (int hops = 0; c->status == ClaimStatus::kReplaced; ++hops) {
    if (hops >= kClaimChainMax)
      return Rule(absl::StrCat("claim ", claim_id, " has too many replacements"));
    RCL_ASSIGN_OR_RETURN(c, GetClaim(view, c->replacement_claim_id));
  }
  return c;
}

absl::StatusOr<const ClaimState*> ChainRoot(StateView& view, const ClaimState& claim) {
  const ClaimState* c = &claim;
  for (int hops = 0; c->frequency != 1; ++hops) {
    if (hops >= kClaimChainMax || c->original_claim_id.empty()) {
      return Rule(absl::StrCat("claim ", claim.claim_id, " has no original claim"));
    }
    RCL_ASSIGN_OR_RETURN(c, GetClaim(view, c->original_claim_id));
  }
  return c;
}

namespace {

// Balance on a voided claim goes back where it came from.
absl::Status ReturnFromVoidedClaim(Decision* d, StateView& view, const ClaimState& claim,
                                   int64_t amount, const std::string& date) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* root, ChainRoot(view, claim));
  rcl::v1::ClaimVoided v;
  v.set_claim_id(claim.claim_id);
  v.set_void_claim_id(claim.void_claim_id);
  v.set_returned_cents(amount);
  const bool next_payer_claim = !root->original_claim_id.empty();
  if (!next_payer_claim) {
    PostingBuilder pb;
    pb.Move(kArUnbilled, PayerAr(claim.payer_id), amount);
    pb.To(v.mutable_postings());
    RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), v, date));
    rcl::v1::EncounterBalanceReturned r;
    r.set_encounter_id(claim.encounter_id);
    r.set_claim_id(claim.claim_id);
    r.set_amount_cents(amount);
    return EmitEvent(d, EncounterStream(claim.encounter_id), std::move(r), date);
  }
  // The next payer does not owe it after all: the patient does, on the
  // claim whose adjudication transferred it.
  std::string from = !claim.transfer_from_claim_id.empty()   ? claim.transfer_from_claim_id
                     : !root->transfer_from_claim_id.empty() ? root->transfer_from_claim_id
                                                             : root->original_claim_id;
  RCL_ASSIGN_OR_RETURN(const ClaimState* from_claim, GetClaim(view, from));
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), std::move(v), date));
  rcl::v1::ClaimTransferReturned t;
  t.set_claim_id(from_claim->claim_id);
  t.set_from_claim_id(claim.claim_id);
  t.set_amount_cents(amount);
  PostingBuilder pb;
  pb.Move(PatientAr(from_claim->patient_id), PayerAr(claim.payer_id), amount);
  pb.To(t.mutable_postings());
  return EmitEvent(d, ClaimStream(from_claim->claim_id), std::move(t), date);
}

}  // namespace

absl::Status MoveOffClosedClaim(Decision* d, StateView& view, const ClaimState& claim,
                                int64_t amount, const std::string& date) {
  if (amount == 0 || !claim.Closed()) return absl::OkStatus();
  if (claim.status == ClaimStatus::kVoided)
    return ReturnFromVoidedClaim(d, view, claim, amount, date);
  RCL_ASSIGN_OR_RETURN(const ClaimState* in_force, ClaimInForce(view, claim.replacement_claim_id));
  rcl::v1::ClaimReplaced r;
  r.set_claim_id(claim.claim_id);
  r.set_replacement_claim_id(claim.replacement_claim_id);
  r.set_moved_cents(amount);
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), std::move(r), date));
  rcl::v1::ClaimBalanceTransferred t;
  t.set_claim_id(in_force->claim_id);
  t.set_from_claim_id(claim.claim_id);
  t.set_amount_cents(amount);
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(in_force->claim_id), std::move(t), date));
  // The end of a replacement chain may itself be voided.
  return MoveOffClosedClaim(d, view, *in_force, amount, date);
}

absl::StatusOr<int64_t> ReverseWriteOffs(Decision* d, const ClaimState& claim,
                                         rcl::v1::BalanceSide side, int64_t amount,
                                         const std::vector<rcl::v1::WriteOffReason>& reasons,
                                         const std::string& cause, const std::string& date) {
  int64_t left = amount;
  for (const auto& [key, written_off] : claim.write_offs) {
    if (left <= 0) break;
    if (key.first != side || written_off <= 0) continue;
    auto reason = static_cast<rcl::v1::WriteOffReason>(key.second);
    if (!reasons.empty() && std::find(reasons.begin(), reasons.end(), reason) == reasons.end())
      continue;
    int64_t take = std::min(left, written_off);
    rcl::v1::ClaimWriteOffReversed e;
    e.set_claim_id(claim.claim_id);
    e.set_reason(reason);
    e.set_side(side);
    e.set_amount_cents(take);
    e.set_cause(cause);
    PostingBuilder pb;
    pb.Move(side == rcl::v1::BALANCE_SIDE_PATIENT ? PatientAr(claim.patient_id)
                                                  : PayerAr(claim.payer_id),
            WriteOffAccount(reason), take);
    pb.To(e.mutable_postings());
    RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), std::move(e), date));
    left -= take;
  }
  return amount - left;
}

namespace {

// The patient's unapplied credit once this decision's events are applied.
// Folds into a patient that holds only the credit (the two events touch
// nothing else): copying the whole state, its claims map included, made an
// 835 import quadratic in a patient's claims.
absl::StatusOr<int64_t> CreditAfter(StateView& view, const Decision& d,
                                    const std::string& patient_id) {
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, patient_id));
  StreamState s;
  PatientState credit_only;
  credit_only.patient_id = patient->patient_id;
  credit_only.credit_cents = patient->credit_cents;
  s.aggregate = std::move(credit_only);
  const std::string stream = PatientStream(patient_id);
  for (const NewEvent& e : d.events) {
    if (e.stream != stream) continue;
    if (e.type != "PatientPaymentUnapplied" && e.type != "PatientCreditApplied") continue;
    RCL_RETURN_IF_ERROR(FoldEvent(&s, e.type, e.payload));
  }
  return std::get<PatientState>(s.aggregate).credit_cents;
}

// A balance the payer put back on the patient takes the patient's unapplied
// credit first (the credit often came from this very claim).
absl::Status ApplyCredit(Decision* d, StateView& view, const ClaimState& claim, int64_t balance,
                         const std::string& date) {
  if (claim.status == ClaimStatus::kVoided) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(int64_t credit, CreditAfter(view, *d, claim.patient_id));
  const int64_t apply = std::min(balance, credit);
  if (apply <= 0) return absl::OkStatus();
  rcl::v1::PatientCreditApplied a;
  a.set_claim_id(claim.claim_id);
  a.set_patient_id(claim.patient_id);
  a.set_amount_cents(apply);
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), a, date));
  return EmitEvent(d, PatientStream(claim.patient_id), std::move(a), date);
}

}  // namespace

absl::Status ReverseManualAdjustments(Decision* d, const ClaimState& claim, int64_t amount,
                                      const std::string& date) {
  int64_t left = amount;
  for (auto group : {rcl::v1::ADJUSTMENT_GROUP_OA, rcl::v1::ADJUSTMENT_GROUP_CO}) {
    const int64_t manual = group == rcl::v1::ADJUSTMENT_GROUP_CO ? claim.manual_contractual_cents
                                                                 : claim.manual_other_cents;
    const int64_t take = std::min(left, manual);
    if (take <= 0) continue;
    rcl::v1::ClaimAdjusted e;
    e.set_claim_id(claim.claim_id);
    e.set_group(group);
    e.set_amount_cents(-take);
    e.set_note("taken back: the balance it adjusted was paid or removed");
    PostingBuilder pb;
    pb.Move(PayerAr(claim.payer_id),
            group == rcl::v1::ADJUSTMENT_GROUP_CO ? kContractual : kOtherAdjustments, take);
    pb.To(e.mutable_postings());
    RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), std::move(e), date));
    left -= take;
  }
  return absl::OkStatus();
}

absl::Status SettleClaim(Decision* d, StateView& view, const std::string& claim_id,
                         const std::string& date) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* before, GetClaim(view, claim_id));
  RCL_ASSIGN_OR_RETURN(ClaimState after, ClaimAfter(*before, *d));
  if (after.PayerBalance() < 0) {
    RCL_ASSIGN_OR_RETURN(int64_t taken_back,
                         ReverseWriteOffs(d, after, rcl::v1::BALANCE_SIDE_PAYER,
                                          -after.PayerBalance(), {}, "balance_removed", date));
    RCL_RETURN_IF_ERROR(
        ReverseManualAdjustments(d, after, -after.PayerBalance() - taken_back, date));
  }
  int64_t excess = -after.PatientBalance();
  if (excess < 0) return ApplyCredit(d, view, after, -excess, date);
  if (excess == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(int64_t taken_back, ReverseWriteOffs(d, after, rcl::v1::BALANCE_SIDE_PATIENT,
                                                            excess, {}, "balance_removed", date));
  int64_t unapply = std::min(excess - taken_back, after.patient_paid_cents);
  if (unapply <= 0) return absl::OkStatus();
  rcl::v1::PatientPaymentUnapplied u;
  u.set_claim_id(claim_id);
  u.set_patient_id(after.patient_id);
  u.set_amount_cents(unapply);
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim_id), u, date));
  return EmitEvent(d, PatientStream(after.patient_id), std::move(u), date);
}

}  // namespace rcl::ledger::claim_rules
