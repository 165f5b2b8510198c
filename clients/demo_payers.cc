// The demo's payers (Generator methods; see demo_generator.h): the
// adjudication a payer sends for a claim (paid under its fee schedule and the
// patient's plan, denied, or corrected after a reversal) and each payer's
// weekly remittance, which posts them with the model's updates.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/demo_generator.h"
#include "ledger/status.h"

namespace rcl::demo::internal {

// --- Adjudications ------------------------------------------------------------------

rcl::v1::AdjudicateClaim Generator::PaidAdjudication(int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  Patient& patient = patients_[static_cast<size_t>(claim.patient)];
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(claim.id);
  cmd.set_payer_claim_number(claim.payer_claim_number);
  if (claim.rank == 2) {
    // The secondary payer pays (part of) what the primary left to the patient.
    cmd.set_status(rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY);
    const Claim& primary =
        claims_[static_cast<size_t>(claim_index_.at(claim.id.substr(0, claim.id.size() - 2)))];
    // Every line balances against its full charge: CO-23 is the primary's share.
    std::map<int, int64_t> shares;
    for (const rcl::v1::LineAdjudication& p : primary.adjudication->lines) {
      shares[p.line_number()] = PatientShare(p);
    }
    for (const ChargeLine& l : claim.lines) {
      int64_t charge = kProcedures[l.proc].amount_cents;
      int64_t share = std::clamp<int64_t>(shares[l.number], 0, charge);
      auto* line = cmd.add_lines();
      line->set_line_number(l.number);
      int64_t paid = patient.secondary_pays_all ? share : share * 80 / 100;
      if (paid == 0) paid = share;
      line->set_allowed_cents(share);
      line->set_paid_cents(paid);
      AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_CO, "23", charge - share);
      AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "2", share - paid);
    }
    return cmd;
  }
  cmd.set_status(rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY);
  const Encounter& e = encounters_[static_cast<size_t>(claim.encounter)];
  int year = e.dos.year();
  if (!patient.deductible_left.contains(year))
    patient.deductible_left[year] = patient.deductible_cents;
  int64_t& deductible_left = patient.deductible_left[year];
  for (const ChargeLine& l : claim.lines) {
    const ProcedureInfo& info = kProcedures[l.proc];
    int64_t charge = info.amount_cents;
    int64_t allowed = Allowed(claim.payer, l.proc);
    int64_t copay = 0;
    int64_t deductible = 0;
    int64_t coinsurance = 0;
    if (patient.copay_plan) {
      if (info.evaluation) copay = std::min(patient.copay_cents, allowed * 9 / 10);
    } else {
      // The ledger counts a line with nothing paid and a positive CO
      // adjustment as denied, so the payer always pays part of a line here.
      deductible = std::min(deductible_left, allowed * 3 / 4);
      deductible_left -= deductible;
      coinsurance = (allowed - deductible) * patient.coinsurance_pct / 100;
    }
    auto* line = cmd.add_lines();
    line->set_line_number(l.number);
    line->set_allowed_cents(allowed);
    line->set_paid_cents(allowed - copay - deductible - coinsurance);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_CO, "45", charge - allowed);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "1", deductible);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "2", coinsurance);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "3", copay);
  }
  return cmd;
}

rcl::v1::AdjudicateClaim Generator::DeniedAdjudication(int index, const char* carc) {
  const Claim& claim = claims_[static_cast<size_t>(index)];
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(claim.id);
  cmd.set_payer_claim_number(claim.payer_claim_number);
  cmd.set_status(rcl::v1::CLAIM_PAYMENT_STATUS_DENIED);
  const char* remark = std::string(carc) == "16" ? "MA130" : "";
  for (const ChargeLine& l : claim.lines) {
    auto* line = cmd.add_lines();
    line->set_line_number(l.number);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_CO, carc, kProcedures[l.proc].amount_cents,
                  remark);
  }
  return cmd;
}

// The payer's correction after a reversal: it had under-applied its fee
// schedule; the patient's share does not change.
rcl::v1::AdjudicateClaim Generator::CorrectedAdjudication(int index) {
  const Claim& claim = claims_[static_cast<size_t>(index)];
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(claim.id);
  cmd.set_payer_claim_number(claim.payer_claim_number);
  cmd.set_status(claim.adjudication->status);
  for (const rcl::v1::LineAdjudication& old : claim.adjudication->lines) {
    rcl::v1::LineAdjudication* line = cmd.add_lines();
    *line = old;
    int64_t contractual = 0;
    for (const auto& adj : old.adjustments()) {
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) contractual += adj.amount_cents();
    }
    int64_t raise = std::min(contractual, old.allowed_cents() * random_.Uniform(3, 10) / 100);
    if (raise <= 0) continue;
    line->set_allowed_cents(old.allowed_cents() + raise);
    line->set_paid_cents(old.paid_cents() + raise);
    line->clear_adjustments();
    for (const auto& adj : old.adjustments()) {
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) {
        AddAdjustment(line, adj.group(), adj.reason_code().c_str(), adj.amount_cents() - raise);
      } else {
        *line->add_adjustments() = adj;
      }
    }
  }
  return cmd;
}

// Posts one claim of a remittance: the reversal first (for a correction),
// then the adjudication, with the model's updates; then what follows it: a
// replacement or an appeal of a denial, the secondary claim, a statement,
// now and then a reversal on the next remittance.
absl::Status Generator::PostAdjudication(absl::CivilDay day, const std::string& remit_id,
                                         PlannedAdjudication& p) {
  const int index = p.entry.claim;
  p.adjudication.set_remit_id(remit_id);
  if (p.entry.action == PayerAction::kReverse) {
    Command reverse;
    reverse.mutable_reverse_adjudication()->set_claim_id(claims_[static_cast<size_t>(index)].id);
    reverse.mutable_reverse_adjudication()->set_remit_id(remit_id);
    RCL_RETURN_IF_ERROR(Send(reverse, claims_[static_cast<size_t>(index)].id).status());
    ApplyReversal(index);
    ++summary_.reversals;
  }
  Command adjudicate;
  *adjudicate.mutable_adjudicate_claim() = p.adjudication;
  RCL_RETURN_IF_ERROR(Send(adjudicate, claims_[static_cast<size_t>(index)].id).status());
  ApplyAdjudication(index, p.adjudication);
  ++summary_.adjudications;
  const Claim& claim = claims_[static_cast<size_t>(index)];
  if (p.denial != nullptr) {
    ++summary_.denials;
    summary_.denied_cents += claim.denied;
    if (std::string(p.denial) == "16") {
      // Missing information: corrected and sent as a replacement claim.
      Schedule(day + random_.Uniform(2, 4), TaskKind::kReplace, index);
    } else {
      Appeal appeal;
      appeal.id = absl::StrCat(prefix_, "-A", Pad(static_cast<int64_t>(appeals_.size()) + 1, 5));
      appeal.claim = index;
      appeal.carc = p.denial;
      appeals_.push_back(appeal);
      Schedule(day + random_.Uniform(2, 5), TaskKind::kFileAppeal,
               static_cast<int>(appeals_.size()) - 1);
    }
    return absl::OkStatus();
  }
  if (claim.adjudication->transfer_claim >= 0 && p.entry.action != PayerAction::kReverse) {
    Schedule(day + 1, TaskKind::kBillSecondary, claim.adjudication->transfer_claim);
  }
  if (claim.PatientBalance() > 0) ScheduleStatement(day, claim.patient);
  // A few payments are taken back and corrected on the next remittance.
  if (p.entry.action != PayerAction::kReverse && claim.rank == 1 &&
      claim.adjudication->transfer_claim < 0 && random_.Percent(4)) {
    Queue(index, PayerAction::kReverse, day + 1);
  }
  return absl::OkStatus();
}

// One payer's weekly remittance: every claim it has had for two days or
// more, reversals with their corrections, and re-adjudications after appeals.
absl::Status Generator::RunRemittance(absl::CivilDay day, int payer) {
  std::vector<QueueEntry> due;
  std::vector<QueueEntry> later;
  for (const QueueEntry& e : queues_[payer]) (e.ready <= day ? due : later).push_back(e);
  if (due.empty()) return absl::OkStatus();
  queues_[payer] = std::move(later);

  std::vector<PlannedAdjudication> plan;
  int64_t total = 0;
  for (const QueueEntry& e : due) {
    const Claim& claim = claims_[static_cast<size_t>(e.claim)];
    PlannedAdjudication p;
    p.entry = e;
    if (e.action == PayerAction::kReverse) {
      total -= claim.adjudication->paid;
      p.adjudication = CorrectedAdjudication(e.claim);
    } else if (e.action == PayerAction::kFirst && claim.rank == 1 && !claim.corrected &&
               random_.Percent(8)) {
      const char* carcs[] = {"16", "50", "50", "197"};
      p.denial = carcs[random_.Uniform(0, 3)];
      p.adjudication = DeniedAdjudication(e.claim, p.denial);
    } else {
      p.adjudication = PaidAdjudication(e.claim);
    }
    for (const auto& line : p.adjudication.lines()) total += line.paid_cents();
    plan.push_back(std::move(p));
  }
  // Now and then the payer adds interest on late claims (PLB L6).
  int64_t interest = 0;
  if (total > 0 && random_.Percent(12)) interest = random_.Uniform(25, 1500);
  total += interest;

  ++remit_sequence_;
  std::string remit_id = absl::StrCat(prefix_, "-R", Pad(remit_sequence_, 5));
  Command record;
  auto* r = record.mutable_record_remittance();
  r->set_remit_id(remit_id);
  r->set_payer_id(kPayers[payer].id);
  r->set_trace_number(absl::StrCat("TRN", options_.seed, "-", Pad(remit_sequence_, 6)));
  r->set_method(total == 0 ? rcl::v1::PAYMENT_METHOD_NON : kPayers[payer].method);
  r->set_total_cents(total);
  r->set_paid_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(record, remit_id).status());
  ++summary_.remittances;
  summary_.remitted_cents += total;

  for (PlannedAdjudication& p : plan) RCL_RETURN_IF_ERROR(PostAdjudication(day, remit_id, p));
  if (interest != 0) {
    Command plb;
    auto* a = plb.mutable_record_provider_adjustment();
    a->set_remit_id(remit_id);
    a->set_reason_code("L6");
    a->set_amount_cents(-interest);  // negative: added to the payment
    a->set_reference(absl::StrCat("INT", Pad(remit_sequence_, 6)));
    RCL_RETURN_IF_ERROR(Send(plb, remit_id).status());
    summary_.provider_adjustment_cents -= interest;
  }
  return absl::OkStatus();
}

}  // namespace rcl::demo::internal
