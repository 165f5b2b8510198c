// One 835 claim payment onto one of our claims: the target claim, the SVC
// lines matched to its lines, the AdjudicateClaim (or reversal) decided by
// the claims-to-cash deciders, and suspense for what cannot be applied.
// See remit_import.h; the rules are in docs/API.md ("835 import").
#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/rules/claim_rules.h"
#include "ledger/rules/remit_import.h"
#include "ledger/rules/validation.h"

namespace rcl::ledger::claim_rules {
namespace {

using rcl::v1::ClaimPaymentStatus;

// CLP02 -> the status an adjudication records; UNSPECIFIED when not posted
// automatically (22 is a reversal, handled apart).
ClaimPaymentStatus StatusOf(const std::string& code) {
  if (code == "1" || code == "19") return rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY;
  if (code == "2" || code == "20") return rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY;
  if (code == "3" || code == "21") return rcl::v1::CLAIM_PAYMENT_STATUS_TERTIARY;
  if (code == kClpDenied) return rcl::v1::CLAIM_PAYMENT_STATUS_DENIED;
  if (code == kClpPredetermination) return rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION;
  return rcl::v1::CLAIM_PAYMENT_STATUS_UNSPECIFIED;
}

// The coverage rank CLP02 names (0: any).
int RankOf(const std::string& code) {
  switch (StatusOf(code)) {
    case rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY: return 2;
    case rcl::v1::CLAIM_PAYMENT_STATUS_TERTIARY: return 3;
    default: return 0;
  }
}

absl::StatusOr<rcl::v1::AdjustmentGroup> GroupOf(const std::string& group) {
  if (group == "CO") return rcl::v1::ADJUSTMENT_GROUP_CO;
  if (group == "PR") return rcl::v1::ADJUSTMENT_GROUP_PR;
  if (group == "OA") return rcl::v1::ADJUSTMENT_GROUP_OA;
  if (group == "PI") return rcl::v1::ADJUSTMENT_GROUP_PI;
  if (group == "CR") return rcl::v1::ADJUSTMENT_GROUP_CR;
  return Rule(absl::StrCat("adjustment group ", group, " is not CO, PR, OA, PI or CR"));
}

absl::Status AddAdjustment(const x12::Adjustment& cas, int64_t cents,
                           google::protobuf::RepeatedPtrField<rcl::v1::Adjustment>* out) {
  if (cents == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(rcl::v1::AdjustmentGroup group, GroupOf(cas.group));
  auto* a = out->Add();
  a->set_group(group);
  a->set_reason_code(cas.reason);
  a->set_amount_cents(cents);
  return absl::OkStatus();
}

bool SameModifiers(const std::vector<std::string>& a,
                   const google::protobuf::RepeatedPtrField<std::string>& b) {
  return std::multiset<std::string>(a.begin(), a.end()) ==
         std::multiset<std::string>(b.begin(), b.end());
}

// The payer dropped one of the line's modifiers (or glued one to the code).
bool DroppedOne(const x12::Procedure& p, const rcl::v1::ClaimLine& line) {
  std::multiset<std::string> ours(line.modifiers().begin(), line.modifiers().end());
  std::string code = p.code;
  if (code.size() == line.procedure_code().size() + 2 && code.starts_with(line.procedure_code())) {
    std::string glued = code.substr(line.procedure_code().size());
    code = line.procedure_code();
    auto it = ours.find(glued);
    if (it == ours.end()) return false;
    ours.erase(it);
    return std::multiset<std::string>(p.modifiers.begin(), p.modifiers.end()) == ours;
  }
  if (code != line.procedure_code() || p.modifiers.size() + 1 != ours.size()) return false;
  for (const std::string& m : p.modifiers) {
    auto it = ours.find(m);
    if (it == ours.end()) return false;
    ours.erase(it);
  }
  return true;
}

// Our line number for an SVC, or 0. Each line is matched once.
int MatchLine(const x12::ServiceLine& svc, const ClaimState& claim, const std::set<int>& used) {
  int n = 0;
  if (!svc.line_id.empty() && absl::SimpleAtoi(svc.line_id, &n) && claim.lines.contains(n) &&
      !used.contains(n)) {
    return n;
  }
  std::vector<const x12::Procedure*> codes = {&svc.procedure};
  if (svc.original.has_value()) codes.push_back(&*svc.original);
  for (const x12::Procedure* p : codes) {
    for (const auto& [number, line] : claim.lines) {
      if (!used.contains(number) && p->code == line.line.procedure_code() &&
          SameModifiers(p->modifiers, line.line.modifiers()))
        return number;
    }
    for (const auto& [number, line] : claim.lines) {
      if (!used.contains(number) && DroppedOne(*p, line.line)) return number;
    }
  }
  return 0;
}

absl::Status MapLines(const x12::ClaimPayment& payment, const ClaimState& claim,
                      rcl::v1::AdjudicateClaim* a) {
  std::set<int> used;
  for (const x12::ServiceLine& svc : payment.lines) {
    const int n = MatchLine(svc, claim, used);
    if (n == 0) {
      // Unbundled lines the claim never had come back as $0 lines.
      if (svc.charge_cents == 0 && svc.paid_cents == 0 && svc.AdjustmentCents() == 0) continue;
      return Rule(absl::StrCat("the SVC at segment ", svc.segment_number,
                               " matches no line of claim ", claim.claim_id));
    }
    used.insert(n);
    auto* line = a->add_lines();
    line->set_line_number(n);
    line->set_paid_cents(svc.paid_cents);
    line->set_allowed_cents(svc.allowed_cents.value_or(0));
    for (const x12::Adjustment& cas : svc.adjustments) {
      RCL_RETURN_IF_ERROR(AddAdjustment(cas, cas.cents, line->mutable_adjustments()));
    }
  }
  return absl::OkStatus();
}

// No SVC lines: CLP04 and the claim's CAS spread over our lines in order,
// each line taking what its charge leaves.
absl::Status SpreadOverLines(const x12::ClaimPayment& payment, const ClaimState& claim,
                             rcl::v1::AdjudicateClaim* a) {
  int64_t paid_left = payment.paid_cents;
  std::vector<std::pair<const x12::Adjustment*, int64_t>> cas_left;
  for (const x12::Adjustment& cas : payment.adjustments) {
    if (cas.cents < 0 || paid_left < 0)
      return Rule("a claim payment without SVC lines has negative amounts to spread");
    cas_left.emplace_back(&cas, cas.cents);
  }
  for (const auto& [number, view] : claim.lines) {
    int64_t room = view.line.charge_cents();
    auto* line = a->add_lines();
    line->set_line_number(number);
    const int64_t paid = std::min(room, paid_left);
    line->set_paid_cents(paid);
    paid_left -= paid;
    room -= paid;
    for (auto& [cas, left] : cas_left) {
      const int64_t take = std::min(room, left);
      RCL_RETURN_IF_ERROR(AddAdjustment(*cas, take, line->mutable_adjustments()));
      left -= take;
      room -= take;
    }
  }
  for (const auto& [cas, left] : cas_left) {
    RCL_RETURN_IF_ERROR(AddAdjustment(*cas, left, a->mutable_claim_adjustments()));
  }
  if (paid_left != 0) {
    return Rule(absl::StrCat("CLP04 ", Cents(payment.paid_cents), " exceeds the charges of claim ",
                             claim.claim_id));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<rcl::v1::AdjudicateClaim> MapClaimPayment(const x12::ClaimPayment& payment,
                                                         const ClaimState& claim,
                                                         const std::string& remit_id) {
  const ClaimPaymentStatus status = StatusOf(payment.status_code);
  if (status == rcl::v1::CLAIM_PAYMENT_STATUS_UNSPECIFIED) {
    return Rule(absl::StrCat("CLP02 status ", payment.status_code, " is not posted automatically"));
  }
  rcl::v1::AdjudicateClaim a;
  a.set_claim_id(claim.claim_id);
  a.set_remit_id(remit_id);
  a.set_payer_claim_number(payment.payer_claim_control_number);
  a.set_status(status);
  if (payment.lines.empty()) {
    RCL_RETURN_IF_ERROR(SpreadOverLines(payment, claim, &a));
    return a;
  }
  RCL_RETURN_IF_ERROR(MapLines(payment, claim, &a));
  // A claim-level CAS beside SVC lines reduces what the lines paid (CLP04 =
  // the SVCs' paid - claim CAS): each positive one is taken from the lines'
  // payments in order, as an adjustment of those lines; what no line payment
  // covers stays claim-level (and must then balance on its own).
  for (const x12::Adjustment& cas : payment.adjustments) {
    int64_t left = cas.cents;
    for (auto& line : *a.mutable_lines()) {
      if (left <= 0) break;
      const int64_t take = std::min(left, line.paid_cents());
      if (take <= 0) continue;
      line.set_paid_cents(line.paid_cents() - take);
      RCL_RETURN_IF_ERROR(AddAdjustment(cas, take, line.mutable_adjustments()));
      left -= take;
    }
    if (left != 0) RCL_RETURN_IF_ERROR(AddAdjustment(cas, left, a.mutable_claim_adjustments()));
  }
  return a;
}

absl::StatusOr<const ClaimState*> TargetClaim(StateView& view, const x12::ClaimPayment& payment,
                                              const std::string& payer_id) {
  const std::string& id = payment.patient_control_number;
  if (!IsValidId(id)) return Rule("CLP01 is not a claim id of this ledger");
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(ClaimStream(id)));
  const ClaimState* claim = std::get_if<ClaimState>(&s->aggregate);
  if (!s->exists() || claim == nullptr) return Rule(absl::StrCat("no claim ", id));
  // CLP02 2/20 or 3/21: the next payers' claims up to that rank. Any other
  // status (a reversal, a denial, a predetermination, 1/19) names no rank:
  // the claim of CLP01's chain billed to this payer (a secondary payer
  // echoes the primary claim's id on a crossover).
  const int rank = RankOf(payment.status_code);
  auto follow = [&rank, &payer_id](const ClaimState& c) {
    if (c.next_payer_claim_id.empty()) return false;
    return rank > 0 ? rank > c.rank : c.payer_id != payer_id;
  };
  for (int hops = 0; follow(*claim); ++hops) {
    if (hops >= kClaimChainMax) return Rule(absl::StrCat("claim ", id, " has too many payers"));
    RCL_ASSIGN_OR_RETURN(claim, ClaimInForce(view, claim->next_payer_claim_id));
  }
  if (payment.status_code != kClpReversal && claim->status == ClaimStatus::kReplaced) {
    RCL_ASSIGN_OR_RETURN(claim, ClaimInForce(view, claim->claim_id));
  }
  if (claim->payer_id != payer_id) {
    return Rule(absl::StrCat("paid by payer ", payer_id, " but claim ", claim->claim_id,
                             " is billed to payer ", claim->payer_id));
  }
  return claim;
}

namespace {

absl::StatusOr<Decision> DecideOnClaim(const x12::ClaimPayment& payment, const ClaimState& claim,
                                       const std::string& remit_id, StateView& view) {
  if (payment.status_code == kClpReversal) {
    if (!claim.adjudication.has_value())
      return Rule(absl::StrCat("claim ", claim.claim_id, " has no adjudication to reverse"));
    if (-payment.paid_cents != claim.adjudication->paid_cents) {
      return Rule(absl::StrCat("the reversal takes back ", Cents(-payment.paid_cents),
                               " but the adjudication in force paid ",
                               Cents(claim.adjudication->paid_cents)));
    }
    rcl::v1::ReverseAdjudication r;
    r.set_claim_id(claim.claim_id);
    r.set_remit_id(remit_id);
    return DecideReverse(r, view);
  }
  RCL_ASSIGN_OR_RETURN(rcl::v1::AdjudicateClaim a, MapClaimPayment(payment, claim, remit_id));
  return DecideAdjudicate(a, view);
}

// A business rule (the reason to suspend) or an error that stops the import.
bool IsRule(const absl::Status& s) { return absl::IsFailedPrecondition(s); }

rcl::v1::RemittanceClaimSuspended SuspendedEvent(const x12::ClaimPayment& payment,
                                                 const std::string& remit_id,
                                                 const std::string& payer_id) {
  rcl::v1::RemittanceClaimSuspended e;
  e.set_item_id(absl::StrCat(remit_id, "-", payment.segment_number));
  e.set_remit_id(remit_id);
  e.set_payer_id(payer_id);
  e.set_patient_control_number(payment.patient_control_number);
  e.set_status_code(payment.status_code);
  e.set_charge_cents(payment.charge_cents);
  e.set_paid_cents(payment.paid_cents);
  e.set_patient_responsibility_cents(payment.patient_responsibility_cents.value_or(0));
  e.set_payer_claim_number(payment.payer_claim_control_number);
  auto add = [](const x12::Adjustment& cas, auto* out) {
    auto* a = out->Add();
    a->set_group(GroupOf(cas.group).value_or(rcl::v1::ADJUSTMENT_GROUP_UNSPECIFIED));
    a->set_reason_code(cas.reason);
    a->set_remark_code(cas.group);  // the group as sent, for groups we do not know
    a->set_amount_cents(cas.cents);
  };
  for (const auto& cas : payment.adjustments) add(cas, e.mutable_claim_adjustments());
  for (const x12::ServiceLine& svc : payment.lines) {
    auto* l = e.add_lines();
    l->set_procedure_qualifier(svc.procedure.qualifier);
    l->set_procedure_code(svc.procedure.code);
    for (const auto& m : svc.procedure.modifiers) l->add_modifiers(m);
    l->set_line_id(svc.line_id);
    l->set_charge_cents(svc.charge_cents);
    l->set_paid_cents(svc.paid_cents);
    l->set_allowed_cents(svc.allowed_cents.value_or(0));
    for (const auto& cas : svc.adjustments) add(cas, l->mutable_adjustments());
  }
  PostingBuilder pb;
  pb.Move(kCashPayer, kSuspense, payment.paid_cents);
  pb.To(e.mutable_postings());
  return e;
}

}  // namespace

absl::Status PostClaimPayment(const x12::ClaimPayment& payment, const std::string& remit_id,
                              const std::string& payer_id, const rcl::v1::X12Source& source,
                              const std::string& suspend_reason, DecisionView& view, Decision* out,
                              rcl::v1::ImportedRemittance* summary) {
  std::string reason = suspend_reason;
  if (reason.empty()) {
    absl::StatusOr<const ClaimState*> claim = TargetClaim(view, payment, payer_id);
    absl::StatusOr<Decision> d =
        claim.ok() ? DecideOnClaim(payment, **claim, remit_id, view) : claim.status();
    if (d.ok()) {
      RCL_RETURN_IF_ERROR(view.Take(*std::move(d), &source, out));
      if (payment.status_code == kClpReversal) {
        summary->set_reversals(summary->reversals() + 1);
      } else {
        summary->set_claims_posted(summary->claims_posted() + 1);
        if (payment.status_code == kClpDenied) summary->set_denials(summary->denials() + 1);
      }
      return absl::OkStatus();
    }
    if (!IsRule(d.status())) return d.status();
    reason = std::string(d.status().message());
  }
  rcl::v1::RemittanceClaimSuspended e = SuspendedEvent(payment, remit_id, payer_id);
  e.set_reason(reason);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, SuspenseStream(e.item_id()), std::move(e), ""));
  RCL_RETURN_IF_ERROR(view.Take(std::move(d), &source, out));
  summary->set_claims_unmatched(summary->claims_unmatched() + 1);
  return absl::OkStatus();
}

x12::ClaimPayment FromSuspended(const rcl::v1::RemittanceClaimSuspended& item) {
  x12::ClaimPayment p;
  p.patient_control_number = item.patient_control_number();
  p.status_code = item.status_code();
  p.charge_cents = item.charge_cents();
  p.paid_cents = item.paid_cents();
  p.patient_responsibility_cents = item.patient_responsibility_cents();
  p.payer_claim_control_number = item.payer_claim_number();
  auto cas = [](const rcl::v1::Adjustment& a) {
    return x12::Adjustment{a.remark_code(), a.reason_code(), a.amount_cents(), std::nullopt};
  };
  for (const auto& a : item.claim_adjustments()) p.adjustments.push_back(cas(a));
  size_t segment = 0;
  for (const rcl::v1::SuspendedLine& l : item.lines()) {
    x12::ServiceLine svc;
    svc.segment_number = ++segment;
    svc.procedure.qualifier = l.procedure_qualifier();
    svc.procedure.code = l.procedure_code();
    svc.procedure.modifiers.assign(l.modifiers().begin(), l.modifiers().end());
    svc.line_id = l.line_id();
    svc.charge_cents = l.charge_cents();
    svc.paid_cents = l.paid_cents();
    if (l.allowed_cents() != 0) svc.allowed_cents = l.allowed_cents();
    for (const auto& a : l.adjustments()) svc.adjustments.push_back(cas(a));
    p.lines.push_back(std::move(svc));
  }
  return p;
}

}  // namespace rcl::ledger::claim_rules
