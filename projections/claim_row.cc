#include "projections/claim_row.h"

#include "ledger/status.h"

namespace rcl::projections {

ledger::ClaimState RowToState(const store::ClaimRow& r) {
  ledger::ClaimState c;
  c.claim_id = r.claim_id();
  c.encounter_id = r.encounter_id();
  c.patient_id = r.patient_id();
  c.coverage_id = r.coverage_id();
  c.payer_id = r.payer_id();
  c.rank = r.rank();
  c.frequency = r.frequency();
  c.original_claim_id = r.original_claim_id();
  c.payer_claim_number = r.payer_claim_number();
  c.date_of_service = r.date_of_service();
  c.status = static_cast<ledger::ClaimStatus>(r.status());
  c.submissions = r.submissions();
  c.charge_cents = r.charge_cents();
  c.opening_balance_cents = r.opening_balance_cents();
  c.transferred_in_cents = r.transferred_in_cents();
  c.payer_paid_cents = r.payer_paid_cents();
  c.contractual_cents = r.contractual_cents();
  c.other_adjustment_cents = r.other_adjustment_cents();
  c.patient_responsibility_cents = r.patient_responsibility_cents();
  c.transferred_out_cents = r.transferred_out_cents();
  c.denied_cents = r.denied_cents();
  c.patient_paid_cents = r.patient_paid_cents();
  c.payer_written_off_cents = r.payer_written_off_cents();
  c.patient_written_off_cents = r.patient_written_off_cents();
  c.moved_out_cents = r.moved_out_cents();
  c.manual_contractual_cents = r.manual_contractual_cents();
  c.manual_other_cents = r.manual_other_cents();
  c.ever_denied = r.ever_denied();
  c.next_payer_claim_id = r.next_payer_claim_id();
  c.replacement_claim_id = r.replacement_claim_id();
  c.void_claim_id = r.void_claim_id();
  c.transfer_from_claim_id = r.transfer_from_claim_id();
  if (r.has_adjudication()) {
    const store::AdjudicationRow& a = r.adjudication();
    ledger::AdjudicationState s;
    s.remit_id = a.remit_id();
    s.payer_claim_number = a.payer_claim_number();
    s.status = static_cast<rcl::v1::ClaimPaymentStatus>(a.status());
    s.paid_cents = a.paid_cents();
    s.contractual_cents = a.contractual_cents();
    s.other_adjustment_cents = a.other_adjustment_cents();
    s.patient_responsibility_cents = a.patient_responsibility_cents();
    s.denied_cents = a.denied_cents();
    s.denied = a.denied();
    s.transfer_claim_id = a.transfer_claim_id();
    s.transfer_payer_id = a.transfer_payer_id();
    s.prior_payer_cents = a.prior_payer_cents();
    s.returned_to_patient_cents = a.returned_to_patient_cents();
    c.adjudication = std::move(s);
  }
  return c;
}

void StateToRow(const ledger::ClaimState& c, store::ClaimRow* r) {
  r->set_claim_id(c.claim_id);
  r->set_encounter_id(c.encounter_id);
  r->set_patient_id(c.patient_id);
  r->set_coverage_id(c.coverage_id);
  r->set_payer_id(c.payer_id);
  r->set_rank(c.rank);
  r->set_frequency(c.frequency);
  r->set_original_claim_id(c.original_claim_id);
  r->set_payer_claim_number(c.payer_claim_number);
  r->set_date_of_service(c.date_of_service);
  r->set_status(static_cast<int32_t>(c.status));
  r->set_submissions(c.submissions);
  r->set_charge_cents(c.charge_cents);
  r->set_opening_balance_cents(c.opening_balance_cents);
  r->set_transferred_in_cents(c.transferred_in_cents);
  r->set_payer_paid_cents(c.payer_paid_cents);
  r->set_contractual_cents(c.contractual_cents);
  r->set_other_adjustment_cents(c.other_adjustment_cents);
  r->set_patient_responsibility_cents(c.patient_responsibility_cents);
  r->set_transferred_out_cents(c.transferred_out_cents);
  r->set_denied_cents(c.denied_cents);
  r->set_patient_paid_cents(c.patient_paid_cents);
  r->set_payer_written_off_cents(c.payer_written_off_cents);
  r->set_patient_written_off_cents(c.patient_written_off_cents);
  r->set_moved_out_cents(c.moved_out_cents);
  r->set_manual_contractual_cents(c.manual_contractual_cents);
  r->set_manual_other_cents(c.manual_other_cents);
  r->set_ever_denied(c.ever_denied);
  r->set_next_payer_claim_id(c.next_payer_claim_id);
  r->set_replacement_claim_id(c.replacement_claim_id);
  r->set_void_claim_id(c.void_claim_id);
  r->set_transfer_from_claim_id(c.transfer_from_claim_id);
  if (!c.adjudication.has_value()) {
    r->clear_adjudication();
    return;
  }
  const ledger::AdjudicationState& s = *c.adjudication;
  store::AdjudicationRow* a = r->mutable_adjudication();
  a->set_remit_id(s.remit_id);
  a->set_payer_claim_number(s.payer_claim_number);
  a->set_status(static_cast<int32_t>(s.status));
  a->set_paid_cents(s.paid_cents);
  a->set_contractual_cents(s.contractual_cents);
  a->set_other_adjustment_cents(s.other_adjustment_cents);
  a->set_patient_responsibility_cents(s.patient_responsibility_cents);
  a->set_denied_cents(s.denied_cents);
  a->set_denied(s.denied);
  a->set_transfer_claim_id(s.transfer_claim_id);
  a->set_transfer_payer_id(s.transfer_payer_id);
  a->set_prior_payer_cents(s.prior_payer_cents);
  a->set_returned_to_patient_cents(s.returned_to_patient_cents);
}

absl::Status FoldClaimIntoRow(std::string_view type, std::string_view payload,
                              const google::protobuf::Message* parsed, bool exists,
                              store::ClaimRow* row) {
  ledger::StreamState state;
  if (exists) {
    state.version = 0;
    state.aggregate = RowToState(*row);
  }
  RCL_RETURN_IF_ERROR(parsed != nullptr ? ledger::FoldParsedEvent(&state, *parsed)
                                        : ledger::FoldEvent(&state, type, payload));
  const auto* claim = std::get_if<ledger::ClaimState>(&state.aggregate);
  if (claim == nullptr)
    return absl::DataLossError("a claim stream event folded into another kind of state");
  StateToRow(*claim, row);
  return absl::OkStatus();
}

int64_t PayerBalance(const store::ClaimRow& r) {
  return r.opening_balance_cents() + r.transferred_in_cents() - r.payer_paid_cents() -
         r.contractual_cents() - r.other_adjustment_cents() - r.patient_responsibility_cents() -
         r.transferred_out_cents() - r.payer_written_off_cents() - r.moved_out_cents();
}

int64_t PatientBalance(const store::ClaimRow& r) {
  return r.patient_responsibility_cents() - r.patient_paid_cents() - r.patient_written_off_cents();
}

store::BalanceTotals AmountsOf(const store::ClaimRow& r) {
  store::BalanceTotals t;
  t.set_charge_cents(r.charge_cents());
  t.set_payer_paid_cents(r.payer_paid_cents());
  t.set_contractual_cents(r.contractual_cents());
  t.set_other_adjustment_cents(r.other_adjustment_cents());
  t.set_patient_responsibility_cents(r.patient_responsibility_cents());
  t.set_patient_paid_cents(r.patient_paid_cents());
  t.set_written_off_cents(r.payer_written_off_cents() + r.patient_written_off_cents());
  t.set_payer_balance_cents(PayerBalance(r));
  t.set_patient_balance_cents(PatientBalance(r));
  t.set_denied_cents(r.denied_cents());
  t.set_transferred_cents(r.transferred_out_cents());
  t.set_transferred_in_cents(r.transferred_in_cents());
  t.set_claims(1);
  return t;
}

bool IsOpenDenial(const store::ClaimRow& r) {
  return (r.has_adjudication() && r.adjudication().denied()) || r.denied_cents() > 0;
}

std::string_view StatusName(const store::ClaimRow& r) {
  return ledger::ClaimStatusName(static_cast<ledger::ClaimStatus>(r.status()));
}

void AddTotals(const store::BalanceTotals& d, int sign, store::BalanceTotals* t) {
  t->set_charge_cents(t->charge_cents() + sign * d.charge_cents());
  t->set_payer_paid_cents(t->payer_paid_cents() + sign * d.payer_paid_cents());
  t->set_contractual_cents(t->contractual_cents() + sign * d.contractual_cents());
  t->set_other_adjustment_cents(t->other_adjustment_cents() + sign * d.other_adjustment_cents());
  t->set_patient_responsibility_cents(t->patient_responsibility_cents() +
                                      sign * d.patient_responsibility_cents());
  t->set_patient_paid_cents(t->patient_paid_cents() + sign * d.patient_paid_cents());
  t->set_written_off_cents(t->written_off_cents() + sign * d.written_off_cents());
  t->set_payer_balance_cents(t->payer_balance_cents() + sign * d.payer_balance_cents());
  t->set_patient_balance_cents(t->patient_balance_cents() + sign * d.patient_balance_cents());
  t->set_denied_cents(t->denied_cents() + sign * d.denied_cents());
  t->set_transferred_cents(t->transferred_cents() + sign * d.transferred_cents());
  t->set_transferred_in_cents(t->transferred_in_cents() + sign * d.transferred_in_cents());
  t->set_claims(t->claims() + sign * d.claims());
}

bool IsZero(const store::BalanceTotals& t) { return t.ByteSizeLong() == 0; }

void ToApi(const store::BalanceTotals& t, rcl::v1::BalanceAmounts* out) {
  out->set_charge_cents(t.charge_cents());
  out->set_payer_paid_cents(t.payer_paid_cents());
  out->set_contractual_cents(t.contractual_cents());
  out->set_other_adjustment_cents(t.other_adjustment_cents());
  out->set_patient_responsibility_cents(t.patient_responsibility_cents());
  out->set_patient_paid_cents(t.patient_paid_cents());
  out->set_written_off_cents(t.written_off_cents());
  out->set_payer_balance_cents(t.payer_balance_cents());
  out->set_patient_balance_cents(t.patient_balance_cents());
  out->set_denied_cents(t.denied_cents());
  out->set_transferred_cents(t.transferred_cents());
  out->set_transferred_in_cents(t.transferred_in_cents());
  out->set_claims(t.claims());
}

}  // namespace rcl::projections
