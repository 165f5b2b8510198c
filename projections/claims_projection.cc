#include "projections/claims_projection.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"
#include "projections/claim_row.h"
#include "projections/keys.h"
#include "rcl/store/projection_rows.pb.h"
#include "rcl/v1/events.pb.h"

namespace rcl::projections {
namespace {

constexpr std::string_view kClaimStreamPrefix = "claim-";
constexpr std::string_view kAppealStreamPrefix = "appeal-";
constexpr std::string_view kPatientStreamPrefix = "patient-";

template <typename Event>
absl::Status ParsePayload(const ledger::EventRecord& e, Event* out) {
  if (!out->ParseFromString(e.payload))
    return absl::DataLossError(absl::StrCat("undecodable ", e.type, " payload"));
  return absl::OkStatus();
}

std::string BasisDate(const store::ClaimRow& row, std::string_view basis) {
  if (basis == kBasisSubmission && !row.first_submitted_date().empty())
    return row.first_submitted_date();
  return row.date_of_service();
}

// Adds (sign = +1) or removes (-1) one claim's balance in an aging cell.
absl::Status AddToCell(StateTxn& txn, const std::string& key, int64_t balance, int sign) {
  if (balance == 0) return absl::OkStatus();
  store::AgingCell cell;
  RCL_RETURN_IF_ERROR(txn.GetProto(key, &cell).status());
  if (balance > 0) {
    cell.set_debit_cents(cell.debit_cents() + sign * balance);
  } else {
    cell.set_credit_cents(cell.credit_cents() + sign * balance);
  }
  RCL_CHECK(cell.debit_cents() >= 0 && cell.credit_cents() <= 0) << "an aging cell changed sign";
  if (cell.debit_cents() == 0 && cell.credit_cents() == 0) {
    txn.Delete(key);
  } else {
    txn.PutProto(key, cell);
  }
  return absl::OkStatus();
}

absl::Status UpdateAging(StateTxn& txn, const std::string& tenant, const store::ClaimRow* before,
                         const store::ClaimRow& after) {
  for (std::string_view basis : {kBasisService, kBasisSubmission}) {
    for (std::string_view side : {kSidePayer, kSidePatient}) {
      const bool payer = side == kSidePayer;
      auto key_of = [&](const store::ClaimRow& r) {
        return Key(kAgingTag, tenant,
                   {std::string(basis) + std::string(side), payer ? r.payer_id() : r.patient_id(),
                    BasisDate(r, basis)});
      };
      auto balance_of = [&](const store::ClaimRow& r) {
        return payer ? PayerBalance(r) : PatientBalance(r);
      };
      std::string after_key = key_of(after);
      if (before != nullptr) {
        std::string before_key = key_of(*before);
        if (before_key == after_key && balance_of(*before) == balance_of(after)) continue;
        RCL_RETURN_IF_ERROR(AddToCell(txn, before_key, balance_of(*before), -1));
      }
      RCL_RETURN_IF_ERROR(AddToCell(txn, after_key, balance_of(after), +1));
    }
  }
  return absl::OkStatus();
}

absl::Status AddTotalsAt(StateTxn& txn, const std::string& key, const store::BalanceTotals& delta) {
  store::BalanceTotals totals;
  RCL_RETURN_IF_ERROR(txn.GetProto(key, &totals).status());
  AddTotals(delta, +1, &totals);
  if (IsZero(totals)) {
    txn.Delete(key);
  } else {
    txn.PutProto(key, totals);
  }
  return absl::OkStatus();
}

// A patient's row and its place in the statement queue (patients who owe).
absl::Status UpdatePatient(StateTxn& txn, const std::string& tenant, const std::string& patient_id,
                           int64_t balance_delta, const std::string* statement_date) {
  std::string key = Key(kPatientTag, tenant, {patient_id});
  store::PatientRow row;
  RCL_RETURN_IF_ERROR(txn.GetProto(key, &row).status());
  auto queue_key = [&](const store::PatientRow& r) {
    return r.patient_balance_cents() > 0
               ? Key(kStatementTag, tenant, {r.last_statement_date(), patient_id})
               : "";
  };
  std::string old_queue = queue_key(row);
  row.set_patient_balance_cents(row.patient_balance_cents() + balance_delta);
  if (statement_date != nullptr) row.set_last_statement_date(*statement_date);
  std::string new_queue = queue_key(row);
  if (old_queue != new_queue) {
    if (!old_queue.empty()) txn.Delete(old_queue);
    if (!new_queue.empty()) txn.Put(new_queue, "");
  }
  txn.PutProto(key, row);
  return absl::OkStatus();
}

// The CARCs a denial is for: every non-PR adjustment of the denied lines
// (or of the whole claim when the claim is denied).
void CollectDenialCodes(const rcl::v1::ClaimAdjudicated& e, store::ClaimRow* row) {
  std::set<std::string> codes;
  auto add = [&](const google::protobuf::RepeatedPtrField<rcl::v1::Adjustment>& adjustments) {
    for (const auto& a : adjustments) {
      if (a.group() != rcl::v1::ADJUSTMENT_GROUP_PR && a.amount_cents() > 0 &&
          a.reason_code() != ledger::kPriorPayerCarc) {
        codes.insert(a.reason_code());
      }
    }
  };
  for (const auto& line : e.lines()) {
    if (e.denied() || ledger::LineDenied(line, e.status())) add(line.adjustments());
  }
  if (e.denied()) add(e.claim_adjustments());
  row->clear_denial_reason_codes();
  for (const auto& c : codes) row->add_denial_reason_codes(c);
}

// The projection's own fields of a claim row (dates, queues' facts).
absl::Status ApplyOwnFields(const ledger::EventRecord& e, store::ClaimRow* row) {
  if (e.type == "ClaimSubmitted") {
    std::string date = EventDate(e);
    if (row->first_submitted_date().empty()) row->set_first_submitted_date(date);
    row->set_last_submitted_date(date);
    row->set_awaiting_response(true);
  } else if (e.type == "ClaimAcknowledged") {
    rcl::v1::ClaimAcknowledged ack;
    RCL_RETURN_IF_ERROR(ParsePayload(e, &ack));
    if (!ack.accepted()) row->set_awaiting_response(false);
  } else if (e.type == "ClaimAdjudicated") {
    rcl::v1::ClaimAdjudicated adj;
    RCL_RETURN_IF_ERROR(ParsePayload(e, &adj));
    if (adj.status() == rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION) return absl::OkStatus();
    row->set_awaiting_response(false);
    row->set_adjudicated_date(EventDate(e));
    CollectDenialCodes(adj, row);
  } else if (e.type == "ClaimAdjudicationReversed") {
    row->clear_denial_reason_codes();
    row->clear_adjudicated_date();
  } else if (e.type == "ClaimReplaced" || e.type == "ClaimVoided") {
    row->set_awaiting_response(false);
  } else if (e.type == "AppealFiled") {
    row->set_open_appeals(row->open_appeals() + 1);
  } else if (e.type == "AppealDecided") {
    row->set_open_appeals(std::max(0, row->open_appeals() - 1));
  }
  return absl::OkStatus();
}

absl::Status UpdateTotals(StateTxn& txn, const std::string& tenant, const store::ClaimRow* before,
                          const store::ClaimRow& after) {
  store::BalanceTotals delta = AmountsOf(after);
  if (before != nullptr) AddTotals(AmountsOf(*before), -1, &delta);
  if (IsZero(delta)) return absl::OkStatus();
  RCL_RETURN_IF_ERROR(AddTotalsAt(txn, Key(kTotalsTag, tenant, {kTenantTotals, ""}), delta));
  RCL_RETURN_IF_ERROR(
      AddTotalsAt(txn, Key(kTotalsTag, tenant, {kPatientTotals, after.patient_id()}), delta));
  return AddTotalsAt(txn, Key(kTotalsTag, tenant, {kPayerTotals, after.payer_id()}), delta);
}

absl::Status RecordHistory(StateTxn& txn, const ledger::EventRecord& e,
                           const store::ClaimRow* before, const store::ClaimRow& after) {
  store::BalanceDelta delta;
  delta.set_payer_cents(PayerBalance(after) - (before ? PayerBalance(*before) : 0));
  delta.set_patient_cents(PatientBalance(after) - (before ? PatientBalance(*before) : 0));
  if (delta.payer_cents() == 0 && delta.patient_cents() == 0) return absl::OkStatus();
  std::string date = EventDate(e);
  std::string key = Key(kHistoryTag, e.tenant, {after.claim_id(), date});
  ledger::PutBigEndian64(&key, e.position);
  txn.PutProto(key, delta);
  return absl::OkStatus();
}

// The latest date any claim event of the tenant counts on: reports as of a
// later date can use the running sums.
absl::Status NoteDate(StateTxn& txn, const ledger::EventRecord& e) {
  std::string date = EventDate(e);
  std::string tenant_key = Key(kTenantTag, e.tenant, {});
  store::TenantRow tenant;
  RCL_RETURN_IF_ERROR(txn.GetProto(tenant_key, &tenant).status());
  if (date > tenant.max_effective_date()) {
    tenant.set_max_effective_date(date);
    txn.PutProto(tenant_key, tenant);
  }
  return absl::OkStatus();
}

// Membership of the denial and awaiting-response queues.
void UpdateQueues(StateTxn& txn, const std::string& tenant, const store::ClaimRow* before,
                  const store::ClaimRow& after) {
  bool denied_before = before != nullptr && IsOpenDenial(*before);
  if (denied_before != IsOpenDenial(after)) {
    std::string key = Key(kDenialTag, tenant, {after.claim_id()});
    if (denied_before) {
      txn.Delete(key);
    } else {
      txn.Put(key, "");
    }
  }
  auto awaiting_key = [&](const store::ClaimRow& r) {
    return r.awaiting_response()
               ? Key(kAwaitingTag, tenant, {r.last_submitted_date(), r.claim_id()})
               : "";
  };
  std::string old_key = before != nullptr ? awaiting_key(*before) : "";
  std::string new_key = awaiting_key(after);
  if (old_key != new_key) {
    if (!old_key.empty()) txn.Delete(old_key);
    if (!new_key.empty()) txn.Put(new_key, "");
  }
}

absl::Status ApplyClaimEvent(const ledger::EventRecord& e, StateTxn& txn) {
  std::string claim_id = e.stream.substr(kClaimStreamPrefix.size());
  std::string key = Key(kClaimTag, e.tenant, {claim_id});
  store::ClaimRow row;
  RCL_ASSIGN_OR_RETURN(bool exists, txn.GetProto(key, &row));
  std::optional<store::ClaimRow> before;
  if (exists) before = row;
  ledger::StreamState state;
  if (exists) {
    state.version = 0;
    state.aggregate = RowToState(row);
  }
  // The ledger's own fold (balances exactly as GetClaim computes them).
  RCL_RETURN_IF_ERROR(ledger::FoldEvent(&state, e.type, e.payload));
  const auto* claim = std::get_if<ledger::ClaimState>(&state.aggregate);
  if (claim == nullptr)
    return absl::DataLossError("a claim stream event folded into another kind of state");
  StateToRow(*claim, &row);
  RCL_RETURN_IF_ERROR(ApplyOwnFields(e, &row));
  const store::ClaimRow* prior = before.has_value() ? &*before : nullptr;
  RCL_RETURN_IF_ERROR(UpdateTotals(txn, e.tenant, prior, row));
  RCL_RETURN_IF_ERROR(UpdateAging(txn, e.tenant, prior, row));
  RCL_RETURN_IF_ERROR(RecordHistory(txn, e, prior, row));
  RCL_RETURN_IF_ERROR(NoteDate(txn, e));
  UpdateQueues(txn, e.tenant, prior, row);
  int64_t patient_delta = PatientBalance(row) - (prior ? PatientBalance(*prior) : 0);
  if (patient_delta != 0 || prior == nullptr) {
    RCL_RETURN_IF_ERROR(UpdatePatient(txn, e.tenant, row.patient_id(), patient_delta, nullptr));
  }
  txn.PutProto(key, row);
  return absl::OkStatus();
}

absl::Status ApplyAppealEvent(const ledger::EventRecord& e, StateTxn& txn) {
  std::string appeal_id = e.stream.substr(kAppealStreamPrefix.size());
  std::string key = Key(kAppealTag, e.tenant, {appeal_id});
  store::AppealRow row;
  RCL_RETURN_IF_ERROR(txn.GetProto(key, &row).status());
  auto due_key = [&](const store::AppealRow& r) {
    return r.open() && !r.deadline().empty()
               ? Key(kAppealDueTag, e.tenant, {r.deadline(), appeal_id})
               : "";
  };
  std::string old_due = due_key(row);
  if (e.type == "AppealFiled") {
    rcl::v1::AppealFiled filed;
    RCL_RETURN_IF_ERROR(ParsePayload(e, &filed));
    row.set_claim_id(filed.claim_id());
    row.set_level(filed.level());
    row.set_filed_date(filed.filed_date().empty() ? EventDate(e) : filed.filed_date());
    row.set_deadline(filed.deadline());
    row.set_open(true);
  } else if (e.type == "AppealDecided") {
    row.set_open(false);
  } else {
    return absl::OkStatus();
  }
  std::string new_due = due_key(row);
  if (old_due != new_due) {
    if (!old_due.empty()) txn.Delete(old_due);
    if (!new_due.empty()) txn.Put(new_due, "");
  }
  txn.PutProto(key, row);
  return absl::OkStatus();
}

absl::Status ApplyStatement(const ledger::EventRecord& e, StateTxn& txn) {
  rcl::v1::PatientStatementIssued statement;
  RCL_RETURN_IF_ERROR(ParsePayload(e, &statement));
  std::string date = statement.statement_date().empty() ? EventDate(e) : statement.statement_date();
  std::string patient_id = e.stream.substr(kPatientStreamPrefix.size());
  return UpdatePatient(txn, e.tenant, patient_id, 0, &date);
}

}  // namespace

absl::Status ClaimsProjection::Apply(const ledger::EventRecord& e, StateTxn& txn) const {
  if (e.stream.starts_with(kClaimStreamPrefix)) return ApplyClaimEvent(e, txn);
  if (e.stream.starts_with(kAppealStreamPrefix)) return ApplyAppealEvent(e, txn);
  if (e.type == "PatientStatementIssued" && e.stream.starts_with(kPatientStreamPrefix)) {
    return ApplyStatement(e, txn);
  }
  return absl::OkStatus();
}

}  // namespace rcl::projections
