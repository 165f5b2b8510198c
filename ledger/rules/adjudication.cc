// Payer money: remittances, adjudications (with supersede), reversals and
// provider-level adjustments. Every financial event carries balanced
// postings (docs/API.md, "Chart of accounts"); business rules are FAILED_PRECONDITION
// with nothing written. The rules are in docs/API.md ("Claim lifecycle and
// the books").
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "ledger/rules/claim_rules.h"
#include "ledger/rules/validation.h"

namespace rcl::ledger::claim_rules {
namespace {

using ClaimSet = std::set<std::string>;

int64_t ChargeTotal(const ClaimState& claim) {
  int64_t total = 0;
  for (const auto& [n, line] : claim.lines) total += line.line.charge_cents();
  return total;
}

// The X12 balancing rule: on every adjudicated line, charge - paid = the sum
// of its adjustments, to the cent; on the claim, total charge - total paid =
// the line adjustments plus the claim-level adjustments (so lines left out
// are covered by claim-level adjustments). An allowed amount, when given,
// is at least paid + patient responsibility.
absl::Status CheckBalances(const rcl::v1::AdjudicateClaim& c, const ClaimState& claim) {
  std::set<int> seen;
  int64_t paid_total = 0, adjusted_total = 0;
  for (const auto& line : c.lines()) {
    const int n = line.line_number();
    auto it = claim.lines.find(n);
    if (it == claim.lines.end())
      return Rule(absl::StrCat("line ", n, " does not belong to claim ", c.claim_id()));
    if (!seen.insert(n).second) return Rule(absl::StrCat("line ", n, " is adjudicated twice"));
    const int64_t charge = it->second.line.charge_cents();
    int64_t adjusted = 0, pr = 0;
    for (const auto& adj : line.adjustments()) {
      adjusted += adj.amount_cents();
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) pr += adj.amount_cents();
    }
    if (charge - line.paid_cents() != adjusted) {
      return Rule(absl::StrCat("line ", n, " does not balance: charge ", Cents(charge), " - paid ",
                               Cents(line.paid_cents()), " = ", Cents(charge - line.paid_cents()),
                               " but its adjustments sum to ", Cents(adjusted)));
    }
    if (line.allowed_cents() != 0 && line.paid_cents() + pr > line.allowed_cents()) {
      return Rule(absl::StrCat("line ", n, ": paid ", Cents(line.paid_cents()),
                               " plus patient responsibility ", Cents(pr),
                               " exceeds the allowed amount ", Cents(line.allowed_cents())));
    }
    paid_total += line.paid_cents();
    adjusted_total += adjusted;
  }
  for (const auto& adj : c.claim_adjustments()) adjusted_total += adj.amount_cents();
  const int64_t charge = ChargeTotal(claim);
  if (charge - paid_total != adjusted_total) {
    return Rule(absl::StrCat("claim ", c.claim_id(), " does not balance: charge ", Cents(charge),
                             " - paid ", Cents(paid_total), " = ", Cents(charge - paid_total),
                             " but line and claim adjustments sum to ", Cents(adjusted_total),
                             " (lines left out must be covered by claim-level adjustments)"));
  }
  return absl::OkStatus();
}

absl::Status CheckAdjudicatable(const ClaimState& claim) {
  RCL_RETURN_IF_ERROR(MustBeOpen(claim));
  if (claim.frequency == 8) {
    return Rule(absl::StrCat(
        "claim ", claim.claim_id,
        " is a void (frequency 8): a payer answers a void with a reversal of the original"));
  }
  switch (claim.status) {
    case ClaimStatus::kSubmitted:
    case ClaimStatus::kAccepted:
    case ClaimStatus::kAdjudicated:
    case ClaimStatus::kDenied: return absl::OkStatus();
    default:
      return Rule(absl::StrCat("claim ", claim.claim_id, " is ",
                               AbslView(ClaimStatusName(claim.status)),
                               "; only a submitted claim is adjudicated"));
  }
}

absl::StatusOr<const RemittanceState*> GetPayersRemit(StateView& view, const std::string& remit_id,
                                                      const ClaimState& claim) {
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetRemit(view, remit_id));
  if (remit->payer_id != claim.payer_id) {
    return Rule(absl::StrCat("remittance ", remit_id, " is from payer ", remit->payer_id,
                             " but claim ", claim.claim_id, " is billed to payer ",
                             claim.payer_id));
  }
  return remit;
}

absl::Status EmitRemitPosted(Decision* d, const std::string& remit_id, const std::string& claim_id,
                             int64_t paid, const std::string& date) {
  if (paid == 0) return absl::OkStatus();
  rcl::v1::RemittanceClaimPosted p;
  p.set_remit_id(remit_id);
  p.set_claim_id(claim_id);
  p.set_paid_cents(paid);
  return EmitEvent(d, RemitStream(remit_id), std::move(p), date);
}

// The reversal of the adjudication in force: negated postings, the transfer
// taken back from the next payer's claim in force, the remittance's posted
// total corrected. Claims whose balances moved are added to `settle`.
absl::Status EmitReversal(Decision* d, StateView& view, const ClaimState& claim,
                          const std::string& remit_id, bool superseded, const std::string& date,
                          ClaimSet* settle) {
  const AdjudicationState& a = *claim.adjudication;
  RCL_CHECK(a.returned_to_patient_cents == 0 || !a.transfer_payer_id.empty())
      << "claim " << claim.claim_id << ": a return to the patient without a transfer";
  rcl::v1::ClaimAdjudicationReversed r;
  r.set_claim_id(claim.claim_id);
  r.set_remit_id(remit_id);
  r.set_reversed_remit_id(a.remit_id);
  r.set_superseded(superseded);
  r.set_paid_cents(a.paid_cents);
  r.set_contractual_cents(a.contractual_cents);
  r.set_other_adjustment_cents(a.other_adjustment_cents);
  r.set_patient_responsibility_cents(a.patient_responsibility_cents);
  r.set_transfer_claim_id(a.transfer_claim_id);
  r.set_returned_to_patient_cents(a.returned_to_patient_cents);
  PostingBuilder pb;
  pb.AddNegationOf(a.postings);
  // What a void of the next claim returned to the patient comes back from the patient.
  pb.Move(PayerAr(a.transfer_payer_id), PatientAr(claim.patient_id), a.returned_to_patient_cents);
  pb.To(r.mutable_postings());
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), std::move(r), date));
  settle->insert(claim.claim_id);
  const int64_t transferred = a.patient_responsibility_cents - a.returned_to_patient_cents;
  if (!a.transfer_claim_id.empty() && transferred != 0) {
    RCL_ASSIGN_OR_RETURN(const ClaimState* target, ClaimInForce(view, a.transfer_claim_id));
    rcl::v1::ClaimBalanceTransferred t;
    t.set_claim_id(target->claim_id);
    t.set_from_claim_id(claim.claim_id);
    t.set_amount_cents(-transferred);
    RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(target->claim_id), std::move(t), date));
    settle->insert(target->claim_id);
  }
  return EmitRemitPosted(d, remit_id, claim.claim_id, -a.paid_cents, date);
}

// A replacement's adjudication supersedes whatever is still in force on the
// claims it replaced (the payer adjudicates one claim, not two): those are
// reversed and the balance they restore moves to the replacement. Returns
// that balance.
absl::StatusOr<int64_t> SupersedeReplaced(Decision* d, StateView& view, const ClaimState& claim,
                                          const std::string& remit_id, const std::string& date,
                                          ClaimSet* settle) {
  int64_t moved = 0;
  const ClaimState* c = &claim;
  for (int hops = 0; c->frequency == 7 && hops < kClaimChainMax; ++hops) {
    RCL_ASSIGN_OR_RETURN(const ClaimState* original, GetClaim(view, c->original_claim_id));
    if (original->adjudication.has_value()) {
      RCL_RETURN_IF_ERROR(EmitReversal(d, view, *original, remit_id, true, date, settle));
      // What the original is owed now leaves it (a credit owed back to the
      // payer stays where the payer paid it).
      RCL_ASSIGN_OR_RETURN(ClaimState after, ClaimAfter(*original, *d));
      const int64_t restored = std::max<int64_t>(0, after.PayerBalance());
      RCL_RETURN_IF_ERROR(MoveOffClosedClaim(d, view, *original, restored, date));
      moved += restored;
    }
    c = original;
  }
  return moved;
}

// The claim that receives patient responsibility for `next` coverage: the
// next payer's claim already in force for it (following replacements, also
// from the claims this one replaced), else a new id "<claim>-<rank>" (or
// "<claim>-<rank>.<n>" when taken). Sets *exists.
absl::StatusOr<std::string> NextPayerClaimId(StateView& view, const ClaimState& claim,
                                             const CoverageState& next, bool* exists) {
  *exists = true;
  const ClaimState* c = &claim;
  for (int hops = 0; hops < kClaimChainMax; ++hops) {
    if (!c->next_payer_claim_id.empty()) {
      RCL_ASSIGN_OR_RETURN(const ClaimState* in_force, ClaimInForce(view, c->next_payer_claim_id));
      if (!in_force->Closed() && in_force->coverage_id == next.coverage_id)
        return in_force->claim_id;
    }
    if (c->frequency != 7) break;
    RCL_ASSIGN_OR_RETURN(c, GetClaim(view, c->original_claim_id));
  }
  *exists = false;
  constexpr int kCandidatesMax = 20;
  std::string base = absl::StrCat(claim.claim_id, "-", claim.rank + 1);
  for (int n = 1; n <= kCandidatesMax; ++n) {
    std::string id = n == 1 ? base : absl::StrCat(base, ".", n);
    if (!IsValidId(id)) break;
    RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(ClaimStream(id)));
    if (!s->exists()) return id;
  }
  return Rule(absl::StrCat("no free id to name the next-payer claim of claim ", claim.claim_id));
}

// An adjudication's amounts by where they post. On a next-payer claim the
// prior payers' share of the charge (what was never billed to this payer) is
// taken first out of the adjustments that say so (CARC 23, "the impact of
// prior payer(s) adjudication"), then out of contractual, other and denied
// amounts: a secondary's own contractual adjustment stays contractual.
struct Split {
  int64_t paid = 0, contractual = 0, other = 0, pr = 0, denied = 0, prior = 0;
};

constexpr char kPriorPayerImpact[] = "23";

Split SplitAmounts(const rcl::v1::AdjudicateClaim& c, int64_t prior_share) {
  Split s;
  Split marked;  // the CARC 23 part of each bucket
  auto add = [&s, &marked](const rcl::v1::Adjustment& adj, bool held) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
      s.pr += adj.amount_cents();
      return;
    }
    // A denial keeps the amount in payer AR.
    int64_t Split::*bucket = held                                          ? &Split::denied
                             : adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO ? &Split::contractual
                                                                           : &Split::other;
    s.*bucket += adj.amount_cents();
    if (adj.reason_code() == kPriorPayerImpact) marked.*bucket += adj.amount_cents();
  };
  for (const auto& line : c.lines()) {
    s.paid += line.paid_cents();
    const bool held = LineDenied(line, c.status());
    for (const auto& adj : line.adjustments()) add(adj, held);
  }
  for (const auto& adj : c.claim_adjustments())
    add(adj, c.status() == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED);
  int64_t left = prior_share;
  auto take = [&s, &left](int64_t Split::*bucket, int64_t most) {
    const int64_t t = std::clamp<int64_t>(std::min(most, s.*bucket), 0, left);
    s.*bucket -= t;
    left -= t;
    s.prior += t;
  };
  constexpr int64_t Split::*kBuckets[] = {&Split::contractual, &Split::other, &Split::denied};
  for (int64_t Split::*bucket : kBuckets) take(bucket, marked.*bucket);
  for (int64_t Split::*bucket : kBuckets) take(bucket, s.*bucket);
  return s;
}

rcl::v1::ClaimAdjudicated AdjudicatedEvent(const rcl::v1::AdjudicateClaim& c,
                                           const ClaimState& claim, const RemittanceState& remit) {
  rcl::v1::ClaimAdjudicated e;
  e.set_claim_id(c.claim_id());
  e.set_remit_id(c.remit_id());
  e.set_payer_id(claim.payer_id);
  e.set_payer_claim_number(c.payer_claim_number());
  e.set_status(c.status());
  e.set_paid_date(remit.paid_date);
  *e.mutable_lines() = c.lines();
  *e.mutable_claim_adjustments() = c.claim_adjustments();
  return e;
}

// Where patient responsibility goes: the next coverage in force (its claim
// found or created), or the patient. Fills the event's transfer fields and
// `next_claim` when a claim must be created.
absl::Status RoutePatientResponsibility(StateView& view, const ClaimState& claim, int64_t pr,
                                        rcl::v1::ClaimAdjudicated* e, PostingBuilder* pb,
                                        rcl::v1::ClaimCreated* next_claim) {
  if (pr == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, claim.patient_id));
  const CoverageState* next =
      claim.rank < 3 ? patient->CoverageOn(claim.rank + 1, claim.date_of_service) : nullptr;
  if (next == nullptr) {
    pb->Move(PatientAr(claim.patient_id), PayerAr(claim.payer_id), pr);
    return absl::OkStatus();
  }
  bool exists = false;
  RCL_ASSIGN_OR_RETURN(std::string next_id, NextPayerClaimId(view, claim, *next, &exists));
  if (!exists) {
    next_claim->set_claim_id(next_id);
    next_claim->set_coverage_id(next->coverage_id);
    next_claim->set_payer_id(next->payer_id);
    next_claim->set_rank(next->rank);
    next_claim->set_frequency(1);
    next_claim->set_original_claim_id(claim.claim_id);
    next_claim->set_encounter_id(claim.encounter_id);
    next_claim->set_patient_id(claim.patient_id);
    next_claim->set_date_of_service(claim.date_of_service);
    next_claim->set_billing_npi(claim.billing_npi);
    next_claim->set_rendering_npi(claim.rendering_npi);
    next_claim->set_charge_cents(claim.charge_cents);
    for (const auto& [n, line] : claim.lines) *next_claim->add_lines() = line.line;
    for (const auto& dx : claim.diagnoses) next_claim->add_diagnoses(dx);
    next_claim->set_opening_balance_cents(0);
  }
  e->set_transfer_claim_id(next_id);
  e->set_transfer_payer_id(next->payer_id);
  pb->Move(PayerAr(next->payer_id), PayerAr(claim.payer_id), pr);
  return absl::OkStatus();
}

absl::Status EmitTransfer(Decision* d, const rcl::v1::ClaimAdjudicated& e,
                          const rcl::v1::ClaimCreated& next_claim, const std::string& date,
                          ClaimSet* settle) {
  if (e.transfer_claim_id().empty()) return absl::OkStatus();
  if (!next_claim.claim_id().empty()) {
    RCL_RETURN_IF_ERROR(
        EmitEvent(d, ClaimStream(next_claim.claim_id()), next_claim, next_claim.date_of_service()));
    RCL_RETURN_IF_ERROR(EmitClaimLinks(d, next_claim, 0));
  } else {
    settle->insert(e.transfer_claim_id());
  }
  rcl::v1::ClaimBalanceTransferred t;
  t.set_claim_id(e.transfer_claim_id());
  t.set_from_claim_id(e.claim_id());
  t.set_amount_cents(e.patient_responsibility_cents());
  return EmitEvent(d, ClaimStream(e.transfer_claim_id()), std::move(t), date);
}

absl::Status SettleAll(Decision* d, StateView& view, const ClaimSet& settle,
                       const std::string& date) {
  for (const std::string& id : settle) RCL_RETURN_IF_ERROR(SettleClaim(d, view, id, date));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Decision> DecideRecordRemittance(const rcl::v1::RecordRemittance& c,
                                                StateView& view) {
  RCL_RETURN_IF_ERROR(
      MustNotExist(view, RemitStream(c.remit_id()), absl::StrCat("remittance ", c.remit_id())));
  std::string guard = RemitTraceStream(c.payer_id(), c.trace_number());
  RCL_ASSIGN_OR_RETURN(const StreamState* g, view.Get(guard));
  if (g->exists()) {
    const auto* owner = std::get_if<GuardState>(&g->aggregate);
    return Rule(absl::StrCat("payer ", c.payer_id(), " trace ", c.trace_number(),
                             " was already posted as remittance ",
                             owner == nullptr ? "" : owner->owner));
  }
  rcl::v1::RemittanceRecorded e;
  e.set_remit_id(c.remit_id());
  e.set_payer_id(c.payer_id());
  e.set_trace_number(c.trace_number());
  e.set_method(c.method());
  e.set_total_cents(c.total_cents());
  e.set_paid_date(c.paid_date());
  rcl::v1::RemittanceTraceClaimed t;
  t.set_payer_id(c.payer_id());
  t.set_trace_number(c.trace_number());
  t.set_remit_id(c.remit_id());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, RemitStream(c.remit_id()), std::move(e), c.paid_date()));
  RCL_RETURN_IF_ERROR(EmitEvent(&d, guard, std::move(t), c.paid_date()));
  return d;
}

absl::StatusOr<Decision> DecideAdjudicate(const rcl::v1::AdjudicateClaim& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(CheckAdjudicatable(*claim));
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetPayersRemit(view, c.remit_id(), *claim));
  RCL_RETURN_IF_ERROR(CheckBalances(c, *claim));
  rcl::v1::ClaimAdjudicated e = AdjudicatedEvent(c, *claim, *remit);
  const std::string& date = remit->paid_date;
  Decision d;
  if (c.status() == rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION) {
    // Nothing moves and nothing is superseded; only the decision is recorded.
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, date));
    return d;
  }
  ClaimSet settle = {c.claim_id()};
  // A later adjudication supersedes the one in force: reverse it first.
  if (claim->adjudication.has_value()) {
    RCL_RETURN_IF_ERROR(EmitReversal(&d, view, *claim, c.remit_id(), true, date, &settle));
  }
  RCL_ASSIGN_OR_RETURN(int64_t moved_in,
                       SupersedeReplaced(&d, view, *claim, c.remit_id(), date, &settle));
  const int64_t billed = claim->opening_balance_cents + claim->transferred_in_cents + moved_in;
  const int64_t prior_share =
      claim->rank > 1 ? std::max<int64_t>(0, ChargeTotal(*claim) - billed) : 0;
  const Split s = SplitAmounts(c, prior_share);

  const std::string payer_ar = PayerAr(claim->payer_id);
  PostingBuilder pb;
  pb.Move(kCashPayer, payer_ar, s.paid);
  pb.Move(kContractual, payer_ar, s.contractual);
  pb.Move(kOtherAdjustments, payer_ar, s.other);
  rcl::v1::ClaimCreated next_claim;
  RCL_RETURN_IF_ERROR(RoutePatientResponsibility(view, *claim, s.pr, &e, &pb, &next_claim));
  e.set_paid_cents(s.paid);
  e.set_contractual_cents(s.contractual);
  e.set_other_adjustment_cents(s.other);
  e.set_patient_responsibility_cents(s.pr);
  e.set_denied_cents(s.denied);
  e.set_prior_payer_cents(s.prior);
  e.set_denied(c.status() == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED || (s.paid == 0 && s.denied > 0));
  pb.To(e.mutable_postings());
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, date));
  RCL_RETURN_IF_ERROR(EmitTransfer(&d, e, next_claim, date, &settle));
  RCL_RETURN_IF_ERROR(EmitRemitPosted(&d, c.remit_id(), c.claim_id(), s.paid, date));
  RCL_RETURN_IF_ERROR(SettleAll(&d, view, settle, date));
  return d;
}

absl::StatusOr<Decision> DecideReverse(const rcl::v1::ReverseAdjudication& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  if (!claim->adjudication.has_value()) {
    return Rule(
        absl::StrCat("claim ", c.claim_id(), " has no adjudication in force to reverse",
                     claim->status == ClaimStatus::kReplaced
                         ? " (its replacement's adjudication, if any, already superseded it)"
                         : ""));
  }
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetPayersRemit(view, c.remit_id(), *claim));
  const std::string& date = remit->paid_date;
  Decision d;
  ClaimSet settle;
  RCL_RETURN_IF_ERROR(EmitReversal(&d, view, *claim, c.remit_id(), false, date, &settle));
  if (claim->Closed()) {
    // The recoupment a void or replacement expected: what it restores leaves
    // the closed claim for where it belongs.
    // What the closed claim is owed now leaves it (a credit owed back to the
    // payer stays where the payer paid it).
    RCL_ASSIGN_OR_RETURN(ClaimState after, ClaimAfter(*claim, d));
    RCL_RETURN_IF_ERROR(
        MoveOffClosedClaim(&d, view, *claim, std::max<int64_t>(0, after.PayerBalance()), date));
  }
  RCL_RETURN_IF_ERROR(SettleAll(&d, view, settle, date));
  return d;
}

absl::StatusOr<Decision> DecideProviderAdjustment(const rcl::v1::RecordProviderAdjustment& c,
                                                  StateView& view) {
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetRemit(view, c.remit_id()));
  // Interest is income; everything else (recoupments, forward balances, ...)
  // waits in suspense until a biller applies it to the claims it concerns.
  std::string account = c.reason_code() == "L6" ? kInterest : kSuspense;
  rcl::v1::ProviderAdjustmentRecorded e;
  e.set_remit_id(c.remit_id());
  e.set_reason_code(c.reason_code());
  e.set_amount_cents(c.amount_cents());
  e.set_reference(c.reference());
  // A positive amount reduces the payment: the payer kept it.
  PostingBuilder pb;
  pb.Move(account, kCashPayer, c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, RemitStream(c.remit_id()), std::move(e), remit->paid_date));
  return d;
}

}  // namespace rcl::ledger::claim_rules
