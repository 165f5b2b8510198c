// The ledger's claim rules as the demo's model folds them (Generator
// methods; see demo_generator.h): an adjudication and a reversal, the
// transfer of the patient share to the next payer's claim, balance moved off
// replaced and voided claims, and settling (write-offs taken back, patient
// credit applied or returned). No commands are sent here: these mirror what
// the ledger does (ledger/rules/claim_rules.cc, adjudication.cc) so that the
// generator never sends a command the ledger rejects.
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/demo_generator.h"

namespace rcl::demo::internal {

// The adjudication `cmd` of a claim as the ledger folds it: paid, patient
// responsibility, denied (lines held in payer AR), contractual and other
// adjustments, less the part of the charge never billed to this payer.
Adjudication Generator::FoldAdjudication(int index, const rcl::v1::AdjudicateClaim& cmd) const {
  Adjudication a;
  a.remit_id = cmd.remit_id();
  a.status = cmd.status();
  a.lines.assign(cmd.lines().begin(), cmd.lines().end());
  for (const auto& line : cmd.lines()) {
    bool held = LineDenied(line, cmd.status());
    a.paid += line.paid_cents();
    for (const auto& adj : line.adjustments()) {
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
        a.pr += adj.amount_cents();
      } else if (held) {
        a.denied += adj.amount_cents();
      } else if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) {
        a.contractual += adj.amount_cents();
      } else {
        a.other += adj.amount_cents();
      }
    }
  }
  {
    // The part of the charge never billed to this payer (a prior payer's
    // share) comes out of contractual, then other, then denied amounts.
    const Claim& claim = claims_[static_cast<size_t>(index)];
    int64_t left = claim.rank > 1
                       ? std::max<int64_t>(0, claim.charge - claim.opening - claim.transferred_in)
                       : 0;
    for (int64_t* bucket : {&a.contractual, &a.other, &a.denied}) {
      int64_t take = std::clamp<int64_t>(*bucket, 0, left);
      *bucket -= take;
      left -= take;
    }
  }
  a.denial = cmd.status() == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED || (a.paid == 0 && a.denied > 0);
  return a;
}

// Mirrors DecideAdjudicate: the adjudication in force is superseded
// (reversed), and so is any still in force on the claims a replacement
// replaced (the payer adjudicates one claim, not two): the balance that
// restores moves to this claim. On a next payer's claim the prior payers'
// share (CO-23) is not posted. The patient share moves to the next payer's
// claim when the patient has one, else to the patient. Then every claim
// whose balances moved is settled.
void Generator::ApplyAdjudication(int index, const rcl::v1::AdjudicateClaim& cmd) {
  ClaimSet settle = {claims_[static_cast<size_t>(index)].id};
  if (claims_[static_cast<size_t>(index)].adjudication.has_value()) Reverse(index, &settle);
  for (int c = index; claims_[static_cast<size_t>(c)].frequency == 7;) {
    const int original = claims_[static_cast<size_t>(c)].original;
    if (claims_[static_cast<size_t>(original)].adjudication.has_value()) {
      MoveOffClosed(original, Reverse(original, &settle));
    }
    c = original;
  }
  Adjudication a = FoldAdjudication(index, cmd);
  const Patient& patient =
      patients_[static_cast<size_t>(claims_[static_cast<size_t>(index)].patient)];
  if (a.pr != 0 && claims_[static_cast<size_t>(index)].rank == 1 && patient.secondary.has_value()) {
    // The next payer's claim in force, also through the claims this one replaced.
    int next = -1;
    for (int c = index; c >= 0;) {
      const Claim& from = claims_[static_cast<size_t>(c)];
      if (from.next_claim >= 0) {
        int in_force = InForce(from.next_claim);
        if (!claims_[static_cast<size_t>(in_force)].Closed()) {
          next = in_force;
          break;
        }
      }
      c = from.frequency == 7 ? from.original : -1;
    }
    if (next < 0) {
      const Claim& from = claims_[static_cast<size_t>(index)];
      next = NewClaimFrom(from, absl::StrCat(from.id, "-2"), 1);
      Claim& created = claims_[static_cast<size_t>(next)];
      created.payer = patient.secondary->payer;
      created.rank = 2;
      created.coverage_id = patient.secondary->id;
      created.may_void = false;
      ++summary_.secondary_claims;
    } else {
      settle.insert(claims_[static_cast<size_t>(next)].id);
    }
    claims_[static_cast<size_t>(index)].next_claim = next;
    a.transfer_claim = next;
    TransferIn(next, index, a.pr);
  }
  Claim& claim = claims_[static_cast<size_t>(index)];
  claim.paid += a.paid;
  claim.contractual += a.contractual;
  claim.other += a.other;
  (a.transfer_claim < 0 ? claim.patient_responsibility : claim.transferred_out) += a.pr;
  claim.denied += a.denied;
  claim.status = a.denial ? Status::kDenied : Status::kAdjudicated;
  claim.adjudication = std::move(a);
  SettleAll(settle);
}

// Mirrors DecideReverse: the reversal, what it restores moved off a closed
// claim, then the claims whose balances moved settled.
void Generator::ApplyReversal(int index) {
  ClaimSet settle;
  const int64_t restored = Reverse(index, &settle);
  if (claims_[static_cast<size_t>(index)].Closed()) MoveOffClosed(index, restored);
  SettleAll(settle);
}

int Generator::InForce(int index) const {
  while (claims_[static_cast<size_t>(index)].status == Status::kReplaced) {
    index = claims_[static_cast<size_t>(index)].replacement;
  }
  return index;
}

int Generator::ChainRoot(int index) const {
  while (claims_[static_cast<size_t>(index)].frequency != 1) {
    index = claims_[static_cast<size_t>(index)].original;
  }
  return index;
}

void Generator::TransferIn(int to, int from, int64_t cents) {
  Claim& claim = claims_[static_cast<size_t>(to)];
  claim.transferred_in += cents;
  if (cents > 0) claim.transfer_from = from;
}

// The reversal of the adjudication in force (ledger EmitReversal and its
// fold): the transfer is taken back from the next payer's claim in force.
// Returns the payer balance it restores.
int64_t Generator::Reverse(int index, ClaimSet* settle) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  const int64_t before = claim.PayerBalance();
  const Adjudication& a = *claim.adjudication;
  claim.paid -= a.paid;
  claim.contractual -= a.contractual;
  claim.other -= a.other;
  if (a.transfer_claim < 0) {
    claim.patient_responsibility -= a.pr;
  } else {
    claim.transferred_out -= a.pr - a.returned_to_patient;
    claim.patient_responsibility -= a.returned_to_patient;
  }
  claim.denied -= a.denied;
  settle->insert(claim.id);
  if (a.transfer_claim >= 0 && a.pr != a.returned_to_patient) {
    const int target = InForce(a.transfer_claim);
    TransferIn(target, index, -(a.pr - a.returned_to_patient));
    settle->insert(claims_[static_cast<size_t>(target)].id);
  }
  claim.adjudication.reset();
  if (!claim.Closed()) claim.status = Status::kAccepted;
  return claim.PayerBalance() - before;
}

// Payer balance that came back onto a replaced or voided claim leaves it
// (ledger MoveOffClosedClaim): a replaced claim's for the claim in force; a
// voided next payer's claim's back to the claim that transferred it, as the
// patient's; any other voided claim's to the encounter's unbilled charges.
void Generator::MoveOffClosed(int index, int64_t cents) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  if (cents == 0 || !claim.Closed()) return;
  claim.moved_out += cents;
  if (claim.status == Status::kReplaced) {
    const int in_force = InForce(claim.replacement);
    TransferIn(in_force, index, cents);
    MoveOffClosed(in_force, cents);  // the end of the chain may be voided
    return;
  }
  const Claim& root = claims_[static_cast<size_t>(ChainRoot(index))];
  if (root.original < 0) {
    encounters_[static_cast<size_t>(claim.encounter)].unbilled += cents;
    return;
  }
  const int from = claim.transfer_from >= 0  ? claim.transfer_from
                   : root.transfer_from >= 0 ? root.transfer_from
                                             : root.original;
  Claim& f = claims_[static_cast<size_t>(from)];
  f.transferred_out -= cents;
  f.patient_responsibility += cents;
  if (f.adjudication.has_value()) f.adjudication->returned_to_patient += cents;
}

// Takes back up to `cents` of the claim's write-offs on `side` (of reason
// `only`, when set), in the ledger's order; returns what was taken back.
int64_t Generator::ReverseWriteOffs(int index, rcl::v1::BalanceSide side, int64_t cents,
                                    std::optional<rcl::v1::WriteOffReason> only) {
  auto& write_offs = claims_[static_cast<size_t>(index)].write_offs;
  int64_t left = cents;
  for (auto it = write_offs.begin(); it != write_offs.end() && left > 0;) {
    if (it->first.first != side || it->second <= 0 ||
        (only.has_value() && it->first.second != *only)) {
      ++it;
      continue;
    }
    const int64_t take = std::min(left, it->second);
    left -= take;
    it->second -= take;
    it = it->second == 0 ? write_offs.erase(it) : std::next(it);
  }
  return cents - left;
}

// Relief that outlived its reason (ledger SettleClaim): a negative payer
// balance takes back payer write-offs (the ledger then takes back manual
// adjustments, which the demo never makes); a negative patient balance takes
// back patient write-offs, then returns the patient's payments on the claim
// to the account as credit; a positive patient balance takes the account's
// credit.
void Generator::Settle(int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  Patient& patient = patients_[static_cast<size_t>(claim.patient)];
  if (claim.PayerBalance() < 0) {
    ReverseWriteOffs(index, rcl::v1::BALANCE_SIDE_PAYER, -claim.PayerBalance(), std::nullopt);
  }
  const int64_t excess = -claim.PatientBalance();
  if (excess < 0) {
    if (claim.status == Status::kVoided) return;
    const int64_t apply = std::min(-excess, patient.credit_cents);
    if (apply <= 0) return;
    claim.patient_paid += apply;
    patient.credit_cents -= apply;
    return;
  }
  if (excess == 0) return;
  const int64_t taken_back =
      ReverseWriteOffs(index, rcl::v1::BALANCE_SIDE_PATIENT, excess, std::nullopt);
  const int64_t unapply = std::min(excess - taken_back, claim.patient_paid);
  if (unapply <= 0) return;
  claim.patient_paid -= unapply;
  patient.credit_cents += unapply;
}

}  // namespace rcl::demo::internal
