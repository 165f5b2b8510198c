#include "projections/claims_projection.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"
#include "projections/claim_row.h"
#include "projections/keys.h"
#include "projections/log_feed.h"
#include "rcl/store/projection_rows.pb.h"
#include "rcl/v1/events.pb.h"

namespace rcl::projections {
namespace {

constexpr std::string_view kClaimStreamPrefix = "claim-";
constexpr std::string_view kAppealStreamPrefix = "appeal-";
constexpr std::string_view kPatientStreamPrefix = "patient-";

// The payload as `Event`; DATA_LOSS when it is not one.
template <typename Event>
absl::StatusOr<const Event*> PayloadOf(const LogEvent& e) {
  const Event* payload = e.As<Event>();
  if (payload == nullptr)
    return absl::DataLossError(absl::StrCat("undecodable ", AbslView(e.record.type), " payload"));
  return payload;
}

// What the fold compares before and after a claim event: the claim's sums
// and balances and the fields its aging cells and queue entries are keyed by.
struct ClaimFacts {
  store::BalanceTotals amounts;
  int64_t payer_balance = 0;
  int64_t patient_balance = 0;
  std::string payer_id;
  std::string patient_id;
  std::string date_of_service;
  std::string first_submitted;
  std::string last_submitted;
  bool open_denial = false;
  bool awaiting = false;
};

ClaimFacts FactsOf(const store::ClaimRow& r) {
  ClaimFacts f;
  f.amounts = AmountsOf(r);
  f.payer_balance = PayerBalance(r);
  f.patient_balance = PatientBalance(r);
  f.payer_id = r.payer_id();
  f.patient_id = r.patient_id();
  f.date_of_service = r.date_of_service();
  f.first_submitted = r.first_submitted_date();
  f.last_submitted = r.last_submitted_date();
  f.open_denial = IsOpenDenial(r);
  f.awaiting = r.awaiting_response();
  return f;
}

const std::string& BasisDate(const ClaimFacts& f, std::string_view basis) {
  if (basis == kBasisSubmission && !f.first_submitted.empty()) return f.first_submitted;
  return f.date_of_service;
}

// Adds (sign = +1) or removes (-1) one claim's balance in an aging cell.
absl::Status AddToCell(StateTxn& txn, const std::string& key, int64_t balance, int sign) {
  if (balance == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(store::AgingCell * cell, txn.Mutable<store::AgingCell>(key));
  if (balance > 0) {
    cell->set_debit_cents(cell->debit_cents() + sign * balance);
  } else {
    cell->set_credit_cents(cell->credit_cents() + sign * balance);
  }
  RCL_CHECK(cell->debit_cents() >= 0 && cell->credit_cents() <= 0) << "an aging cell changed sign";
  if (cell->debit_cents() == 0 && cell->credit_cents() == 0) txn.Delete(key);
  return absl::OkStatus();
}

// The cells of both bases and both sides (basis letter, side letter).
constexpr std::string_view kAgingCells[] = {"dy", "dp", "sy", "sp"};

absl::Status UpdateAging(StateTxn& txn, std::string_view tenant, const ClaimFacts* before,
                         const ClaimFacts& after) {
  for (std::string_view cell : kAgingCells) {
    const std::string_view basis = cell.substr(0, 1);
    const bool payer = cell.substr(1) == kSidePayer;
    auto balance_of = [&](const ClaimFacts& f) {
      return payer ? f.payer_balance : f.patient_balance;
    };
    auto key_of = [&](const ClaimFacts& f) {
      return Key(kAgingTag, tenant, {cell, payer ? f.payer_id : f.patient_id, BasisDate(f, basis)});
    };
    if (before != nullptr) {
      if (balance_of(*before) == 0 && balance_of(after) == 0) continue;
      std::string before_key = key_of(*before);
      std::string after_key = key_of(after);
      if (before_key == after_key && balance_of(*before) == balance_of(after)) continue;
      RCL_RETURN_IF_ERROR(AddToCell(txn, before_key, balance_of(*before), -1));
      RCL_RETURN_IF_ERROR(AddToCell(txn, after_key, balance_of(after), +1));
    } else if (balance_of(after) != 0) {
      RCL_RETURN_IF_ERROR(AddToCell(txn, key_of(after), balance_of(after), +1));
    }
  }
  return absl::OkStatus();
}

absl::Status AddTotalsAt(StateTxn& txn, const std::string& key, const store::BalanceTotals& delta) {
  RCL_ASSIGN_OR_RETURN(store::BalanceTotals * totals, txn.Mutable<store::BalanceTotals>(key));
  AddTotals(delta, +1, totals);
  if (IsZero(*totals)) txn.Delete(key);
  return absl::OkStatus();
}

// A patient's row and its place in the statement queue (patients who owe).
absl::Status UpdatePatient(StateTxn& txn, std::string_view tenant, const std::string& patient_id,
                           int64_t balance_delta, const std::string* statement_date) {
  RCL_ASSIGN_OR_RETURN(store::PatientRow * row,
                       txn.Mutable<store::PatientRow>(Key(kPatientTag, tenant, {patient_id})));
  auto queue_key = [&](const store::PatientRow& r) {
    return r.patient_balance_cents() > 0
               ? Key(kStatementTag, tenant, {r.last_statement_date(), patient_id})
               : "";
  };
  std::string old_queue = queue_key(*row);
  row->set_patient_balance_cents(row->patient_balance_cents() + balance_delta);
  if (statement_date != nullptr) row->set_last_statement_date(*statement_date);
  std::string new_queue = queue_key(*row);
  if (old_queue != new_queue) {
    if (!old_queue.empty()) txn.Erase(old_queue);
    if (!new_queue.empty()) txn.Append(new_queue, "");
  }
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
absl::Status ApplyOwnFields(const LogEvent& le, store::ClaimRow* row) {
  const ledger::RecordView& e = le.record;
  if (e.type == "ClaimSubmitted") {
    std::string date = EventDate(e);
    if (row->first_submitted_date().empty()) row->set_first_submitted_date(date);
    row->set_last_submitted_date(date);
    row->set_awaiting_response(true);
  } else if (e.type == "ClaimAcknowledged") {
    RCL_ASSIGN_OR_RETURN(const rcl::v1::ClaimAcknowledged* ack,
                         PayloadOf<rcl::v1::ClaimAcknowledged>(le));
    if (!ack->accepted()) row->set_awaiting_response(false);
  } else if (e.type == "ClaimAdjudicated") {
    RCL_ASSIGN_OR_RETURN(const rcl::v1::ClaimAdjudicated* adj,
                         PayloadOf<rcl::v1::ClaimAdjudicated>(le));
    if (adj->status() == rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION) return absl::OkStatus();
    row->set_awaiting_response(false);
    row->set_adjudicated_date(EventDate(e));
    CollectDenialCodes(*adj, row);
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

absl::Status UpdateTotals(StateTxn& txn, std::string_view tenant, const ClaimFacts* before,
                          const ClaimFacts& after) {
  store::BalanceTotals delta = after.amounts;
  if (before != nullptr) AddTotals(before->amounts, -1, &delta);
  if (IsZero(delta)) return absl::OkStatus();
  RCL_RETURN_IF_ERROR(AddTotalsAt(txn, Key(kTotalsTag, tenant, {kTenantTotals, ""}), delta));
  RCL_RETURN_IF_ERROR(
      AddTotalsAt(txn, Key(kTotalsTag, tenant, {kPatientTotals, after.patient_id}), delta));
  return AddTotalsAt(txn, Key(kTotalsTag, tenant, {kPayerTotals, after.payer_id}), delta);
}

void RecordHistory(StateTxn& txn, const ledger::RecordView& e, std::string_view claim_id,
                   const std::string& date, const ClaimFacts* before, const ClaimFacts& after) {
  store::BalanceDelta delta;
  delta.set_payer_cents(after.payer_balance - (before ? before->payer_balance : 0));
  delta.set_patient_cents(after.patient_balance - (before ? before->patient_balance : 0));
  if (delta.payer_cents() == 0 && delta.patient_cents() == 0) return;
  std::string key = Key(kHistoryTag, e.tenant, {claim_id, date});
  ledger::PutBigEndian64(&key, e.position);
  txn.AppendProto(key, delta);
}

// The latest date any claim event of the tenant counts on: reports as of a
// later date can use the running sums.
absl::Status NoteDate(StateTxn& txn, const ledger::RecordView& e, const std::string& date) {
  RCL_ASSIGN_OR_RETURN(store::TenantRow * tenant,
                       txn.Mutable<store::TenantRow>(Key(kTenantTag, e.tenant, {})));
  if (date > tenant->max_effective_date()) tenant->set_max_effective_date(date);
  return absl::OkStatus();
}

// Membership of the denial and awaiting-response queues.
void UpdateQueues(StateTxn& txn, std::string_view tenant, std::string_view claim_id,
                  const ClaimFacts* before, const ClaimFacts& after) {
  bool denied_before = before != nullptr && before->open_denial;
  if (denied_before != after.open_denial) {
    std::string key = Key(kDenialTag, tenant, {claim_id});
    if (denied_before) {
      txn.Erase(key);
    } else {
      txn.Append(key, "");
    }
  }
  auto awaiting_key = [&](const ClaimFacts& f) {
    return f.awaiting ? Key(kAwaitingTag, tenant, {f.last_submitted, claim_id}) : "";
  };
  std::string old_key = before != nullptr ? awaiting_key(*before) : "";
  std::string new_key = awaiting_key(after);
  if (old_key != new_key) {
    if (!old_key.empty()) txn.Erase(old_key);
    if (!new_key.empty()) txn.Append(new_key, "");
  }
}

absl::Status ApplyClaimEvent(const LogEvent& le, StateTxn& txn) {
  const ledger::RecordView& e = le.record;
  std::string_view claim_id = std::string_view(e.stream).substr(kClaimStreamPrefix.size());
  bool exists = false;
  RCL_ASSIGN_OR_RETURN(store::ClaimRow * row,
                       txn.Mutable<store::ClaimRow>(Key(kClaimTag, e.tenant, {claim_id}), &exists));
  std::optional<ClaimFacts> before;
  if (exists) before = FactsOf(*row);
  RCL_RETURN_IF_ERROR(FoldClaimIntoRow(e.type, e.payload, le.payload, exists, row));
  RCL_RETURN_IF_ERROR(ApplyOwnFields(le, row));
  const ClaimFacts* prior = before.has_value() ? &*before : nullptr;
  const ClaimFacts after = FactsOf(*row);
  const std::string date = EventDate(e);
  RCL_RETURN_IF_ERROR(UpdateTotals(txn, e.tenant, prior, after));
  RCL_RETURN_IF_ERROR(UpdateAging(txn, e.tenant, prior, after));
  RecordHistory(txn, e, row->claim_id(), date, prior, after);
  RCL_RETURN_IF_ERROR(NoteDate(txn, e, date));
  UpdateQueues(txn, e.tenant, row->claim_id(), prior, after);
  int64_t patient_delta = after.patient_balance - (prior ? prior->patient_balance : 0);
  if (patient_delta != 0 || prior == nullptr) {
    RCL_RETURN_IF_ERROR(UpdatePatient(txn, e.tenant, after.patient_id, patient_delta, nullptr));
  }
  return absl::OkStatus();
}

absl::Status ApplyAppealEvent(const LogEvent& le, StateTxn& txn) {
  const ledger::RecordView& e = le.record;
  if (e.type != "AppealFiled" && e.type != "AppealDecided") return absl::OkStatus();
  const std::string appeal_id(e.stream.substr(kAppealStreamPrefix.size()));
  RCL_ASSIGN_OR_RETURN(store::AppealRow * row,
                       txn.Mutable<store::AppealRow>(Key(kAppealTag, e.tenant, {appeal_id})));
  auto due_key = [&](const store::AppealRow& r) {
    return r.open() && !r.deadline().empty()
               ? Key(kAppealDueTag, e.tenant, {r.deadline(), appeal_id})
               : "";
  };
  std::string old_due = due_key(*row);
  if (e.type == "AppealFiled") {
    RCL_ASSIGN_OR_RETURN(const rcl::v1::AppealFiled* filed, PayloadOf<rcl::v1::AppealFiled>(le));
    row->set_claim_id(filed->claim_id());
    row->set_level(filed->level());
    row->set_filed_date(filed->filed_date().empty() ? EventDate(e) : filed->filed_date());
    row->set_deadline(filed->deadline());
    row->set_open(true);
  } else {
    row->set_open(false);
  }
  std::string new_due = due_key(*row);
  if (old_due != new_due) {
    if (!old_due.empty()) txn.Erase(old_due);
    if (!new_due.empty()) txn.Append(new_due, "");
  }
  return absl::OkStatus();
}

absl::Status ApplyStatement(const LogEvent& le, StateTxn& txn) {
  const ledger::RecordView& e = le.record;
  RCL_ASSIGN_OR_RETURN(const rcl::v1::PatientStatementIssued* statement,
                       PayloadOf<rcl::v1::PatientStatementIssued>(le));
  std::string date =
      statement->statement_date().empty() ? EventDate(e) : statement->statement_date();
  const std::string patient_id(e.stream.substr(kPatientStreamPrefix.size()));
  return UpdatePatient(txn, e.tenant, patient_id, 0, &date);
}

}  // namespace

absl::Status ClaimsProjection::Apply(const LogEvent& le, StateTxn& txn) const {
  const ledger::RecordView& e = le.record;
  if (e.stream.starts_with(kClaimStreamPrefix)) return ApplyClaimEvent(le, txn);
  if (e.stream.starts_with(kAppealStreamPrefix)) return ApplyAppealEvent(le, txn);
  if (e.type == "PatientStatementIssued" && e.stream.starts_with(kPatientStreamPrefix)) {
    return ApplyStatement(le, txn);
  }
  return absl::OkStatus();
}

}  // namespace rcl::projections
