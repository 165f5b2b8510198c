// Folding claim-side events (claims, remittances, appeals, patient account)
// into stream state. See ledger/state.h.
#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/state.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

template <typename Message>
absl::Status Parse(std::string_view payload, Message* m) {
  if (!m->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat("undecodable ", Message::descriptor()->name(), " payload"));
  }
  return absl::OkStatus();
}

// Postings read back from the log must balance as they did when written.
template <typename Event>
absl::Status CheckStoredPostings(const Event& e) {
  if constexpr (requires { e.postings(); }) {
    absl::Status balanced = CheckBalanced({e.postings().begin(), e.postings().end()});
    if (!balanced.ok()) return absl::DataLossError(absl::StrCat("stored postings: ", balanced.message()));
  }
  return absl::OkStatus();
}

template <typename T>
T* As(StreamState* state) {
  if (std::holds_alternative<std::monostate>(state->aggregate)) state->aggregate = T{};
  return std::get_if<T>(&state->aggregate);
}

absl::Status Mismatch(std::string_view type) {
  return absl::DataLossError(absl::StrCat(AbslView(type), " event on a stream of another kind"));
}

// Parses the payload and applies `fn` to the aggregate of type T.
template <typename Event, typename T, typename Fn>
absl::Status On(StreamState* state, std::string_view type, std::string_view payload, Fn fn) {
  Event e;
  RCL_RETURN_IF_ERROR(Parse(payload, &e));
  RCL_RETURN_IF_ERROR(CheckStoredPostings(e));
  T* agg = As<T>(state);
  if (agg == nullptr) return Mismatch(type);
  fn(*agg, e);
  return absl::OkStatus();
}

ClaimLineAmounts LineAmounts(const rcl::v1::LineAdjudication& line, bool line_denied) {
  ClaimLineAmounts a;
  a.allowed_cents = line.allowed_cents();
  a.paid_cents = line.paid_cents();
  for (const auto& adj : line.adjustments()) {
    switch (adj.group()) {
      case rcl::v1::ADJUSTMENT_GROUP_PR: a.patient_responsibility_cents += adj.amount_cents(); break;
      case rcl::v1::ADJUSTMENT_GROUP_CO:
        (line_denied ? a.denied_cents : a.contractual_cents) += adj.amount_cents();
        break;
      default: (line_denied ? a.denied_cents : a.other_adjustment_cents) += adj.amount_cents(); break;
    }
  }
  return a;
}

}  // namespace

// A line is denied when the payer paid nothing on it and adjusted it for a
// reason that is neither the patient's responsibility nor a prior payer's
// share (or the whole claim is denied). Shared with the adjudication decider through this definition.
bool LineDenied(const rcl::v1::LineAdjudication& line, rcl::v1::ClaimPaymentStatus status) {
  if (line.paid_cents() != 0) return false;
  if (status == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED) return true;
  int64_t patient_responsibility = 0;
  bool adjusted = false;
  for (const auto& adj : line.adjustments()) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
      patient_responsibility += adj.amount_cents();
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

absl::Status ApplyClaimSideEvent(StreamState* state, std::string_view type, std::string_view payload) {
  using namespace rcl::v1;  // NOLINT: event messages
  if (type == "ClaimCreated") {
    return On<ClaimCreated, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimCreated& e) {
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
    });
  }
  if (type == "ClaimScrubbed") {
    return On<ClaimScrubbed, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimScrubbed& e) {
      c.last_scrub_passed = e.passed();
      c.status = e.passed() ? ClaimStatus::kReady : ClaimStatus::kScrubFailed;
    });
  }
  if (type == "ClaimSubmitted") {
    return On<ClaimSubmitted, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimSubmitted&) {
      ++c.submissions;
      c.status = ClaimStatus::kSubmitted;
    });
  }
  if (type == "ClaimAcknowledged") {
    return On<ClaimAcknowledged, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimAcknowledged& e) {
      c.status = e.accepted() ? ClaimStatus::kAccepted : ClaimStatus::kRejected;
    });
  }
  if (type == "ClaimAdjudicated") {
    return On<ClaimAdjudicated, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimAdjudicated& e) {
      c.payer_claim_number = e.payer_claim_number();
      if (e.status() == CLAIM_PAYMENT_STATUS_PREDETERMINATION) return;  // no money moves
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
      for (const auto& line : e.lines()) {
        a.lines[line.line_number()] = LineAmounts(line, LineDenied(line, e.status()));
      }
      for (const auto& p : e.postings()) a.postings.emplace_back(p.account(), p.amount_cents());
      c.payer_paid_cents += a.paid_cents;
      c.contractual_cents += a.contractual_cents;
      c.other_adjustment_cents += a.other_adjustment_cents;
      (a.transfer_claim_id.empty() ? c.patient_responsibility_cents : c.transferred_out_cents) +=
          a.patient_responsibility_cents;
      c.denied_cents += a.denied_cents;
      if (!a.transfer_claim_id.empty()) c.next_claim_id = c.next_payer_claim_id = a.transfer_claim_id;
      for (auto& [number, line] : c.lines) {
        auto it = a.lines.find(number);
        line.amounts = it == a.lines.end() ? ClaimLineAmounts{} : it->second;
      }
      c.ever_denied = c.ever_denied || a.denied;
      c.status = a.denied ? ClaimStatus::kDenied : ClaimStatus::kAdjudicated;
      c.adjudication = std::move(a);
    });
  }
  if (type == "ClaimAdjudicationReversed") {
    return On<ClaimAdjudicationReversed, ClaimState>(
        state, type, payload, [](ClaimState& c, const ClaimAdjudicationReversed& e) {
          if (!c.adjudication.has_value()) return;
          const AdjudicationState& a = *c.adjudication;
          c.payer_paid_cents -= a.paid_cents;
          c.contractual_cents -= a.contractual_cents;
          c.other_adjustment_cents -= a.other_adjustment_cents;
          if (a.transfer_claim_id.empty()) {
            c.patient_responsibility_cents -= a.patient_responsibility_cents;
          } else {
            c.transferred_out_cents -= a.patient_responsibility_cents - a.returned_to_patient_cents;
            c.patient_responsibility_cents -= a.returned_to_patient_cents;
          }
          c.denied_cents -= a.denied_cents;
          for (auto& [number, line] : c.lines) line.amounts = ClaimLineAmounts{};
          c.adjudication.reset();
          if (!c.Closed()) c.status = ClaimStatus::kAccepted;
        });
  }
  if (type == "ClaimBalanceTransferred") {
    return On<ClaimBalanceTransferred, ClaimState>(
        state, type, payload,
        [](ClaimState& c, const ClaimBalanceTransferred& e) {
          c.transferred_in_cents += e.amount_cents();
          if (e.amount_cents() > 0) c.transfer_from_claim_id = e.from_claim_id();
        });
  }
  if (type == "ClaimReplaced") {
    return On<ClaimReplaced, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimReplaced& e) {
      c.moved_out_cents += e.moved_cents();
      c.next_claim_id = c.replacement_claim_id = e.replacement_claim_id();
      c.status = ClaimStatus::kReplaced;
    });
  }
  if (type == "ClaimVoided") {
    return On<ClaimVoided, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimVoided& e) {
      c.moved_out_cents += e.returned_cents();
      c.void_claim_id = e.void_claim_id();
      c.status = ClaimStatus::kVoided;
    });
  }
  if (type == "ClaimAdjusted") {
    return On<ClaimAdjusted, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimAdjusted& e) {
      (e.group() == ADJUSTMENT_GROUP_CO ? c.contractual_cents : c.other_adjustment_cents) += e.amount_cents();
      (e.group() == ADJUSTMENT_GROUP_CO ? c.manual_contractual_cents : c.manual_other_cents) += e.amount_cents();
    });
  }
  if (type == "ClaimWrittenOff") {
    return On<ClaimWrittenOff, ClaimState>(state, type, payload, [](ClaimState& c, const ClaimWrittenOff& e) {
      (e.side() == BALANCE_SIDE_PATIENT ? c.patient_written_off_cents : c.payer_written_off_cents) +=
          e.amount_cents();
      c.write_offs[{e.side(), e.reason()}] += e.amount_cents();
    });
  }
  if (type == "ClaimWriteOffReversed") {
    return On<ClaimWriteOffReversed, ClaimState>(state, type, payload,
                                                 [](ClaimState& c, const ClaimWriteOffReversed& e) {
      (e.side() == BALANCE_SIDE_PATIENT ? c.patient_written_off_cents : c.payer_written_off_cents) -=
          e.amount_cents();
      auto it = c.write_offs.find({e.side(), e.reason()});
      if (it != c.write_offs.end() && (it->second -= e.amount_cents()) == 0) c.write_offs.erase(it);
    });
  }
  if (type == "ClaimTransferReturned") {
    return On<ClaimTransferReturned, ClaimState>(state, type, payload,
                                                 [](ClaimState& c, const ClaimTransferReturned& e) {
      c.transferred_out_cents -= e.amount_cents();
      c.patient_responsibility_cents += e.amount_cents();
      if (c.adjudication.has_value() && !c.adjudication->transfer_claim_id.empty()) {
        c.adjudication->returned_to_patient_cents += e.amount_cents();
      }
    });
  }
  if (type == "PatientPaymentUnapplied" || type == "PatientCreditApplied") {
    // Same shape: money moves between a claim and the patient's credit.
    PatientPaymentUnapplied e;
    RCL_RETURN_IF_ERROR(Parse(payload, &e));
    const int64_t to_credit = type == "PatientPaymentUnapplied" ? e.amount_cents() : -e.amount_cents();
    if (auto* c = std::get_if<ClaimState>(&state->aggregate)) {
      c->patient_paid_cents -= to_credit;
      return absl::OkStatus();
    }
    PatientState* p = As<PatientState>(state);
    if (p == nullptr) return Mismatch(type);
    p->credit_cents += to_credit;
    return absl::OkStatus();
  }
  if (type == "PatientPaymentApplied") {
    return On<PatientPaymentApplied, ClaimState>(state, type, payload,
                                                 [](ClaimState& c, const PatientPaymentApplied& e) {
                                                   c.patient_paid_cents += e.amount_cents();
                                                   c.payment_ids.insert(e.payment_id());
                                                 });
  }
  if (type == "AppealFiled" || type == "AppealDecided") {
    bool filed = type == "AppealFiled";
    AppealFiled f;
    AppealDecided d;
    RCL_RETURN_IF_ERROR(filed ? Parse(payload, &f) : Parse(payload, &d));
    if (auto* c = std::get_if<ClaimState>(&state->aggregate)) {
      if (filed) {
        c->appeals[f.appeal_id()] = APPEAL_OUTCOME_UNSPECIFIED;
      } else {
        c->appeals[d.appeal_id()] = d.outcome();
      }
      return absl::OkStatus();
    }
    AppealState* a = As<AppealState>(state);
    if (a == nullptr) return Mismatch(type);
    if (filed) {
      a->appeal_id = f.appeal_id();
      a->claim_id = f.claim_id();
      a->level = f.level();
      a->deadline = f.deadline();
    } else {
      a->outcome = d.outcome();
    }
    return absl::OkStatus();
  }
  if (type == "RemittanceRecorded") {
    return On<RemittanceRecorded, RemittanceState>(state, type, payload,
                                                   [](RemittanceState& r, const RemittanceRecorded& e) {
                                                     r.remit_id = e.remit_id();
                                                     r.payer_id = e.payer_id();
                                                     r.trace_number = e.trace_number();
                                                     r.method = e.method();
                                                     r.total_cents = e.total_cents();
                                                     r.paid_date = e.paid_date();
                                                   });
  }
  if (type == "RemittanceTraceClaimed") {
    return On<RemittanceTraceClaimed, GuardState>(
        state, type, payload, [](GuardState& g, const RemittanceTraceClaimed& e) { g.owner = e.remit_id(); });
  }
  if (type == "RemittanceClaimPosted") {
    return On<RemittanceClaimPosted, RemittanceState>(
        state, type, payload,
        [](RemittanceState& r, const RemittanceClaimPosted& e) { r.posted_cents += e.paid_cents(); });
  }
  if (type == "ProviderAdjustmentRecorded") {
    return On<ProviderAdjustmentRecorded, RemittanceState>(
        state, type, payload,
        [](RemittanceState& r, const ProviderAdjustmentRecorded& e) { r.provider_adjustment_cents += e.amount_cents(); });
  }
  if (type == "PatientPaymentReceived") {
    return On<PatientPaymentReceived, PatientState>(state, type, payload,
                                                    [](PatientState& p, const PatientPaymentReceived& e) {
                                                      p.credit_cents += e.unapplied_cents();
                                                      p.payment_ids.insert(e.payment_id());
                                                    });
  }
  if (type == "PatientRefunded") {
    return On<PatientRefunded, PatientState>(state, type, payload, [](PatientState& p, const PatientRefunded& e) {
      p.credit_cents -= e.amount_cents();
      if (!e.refund_id().empty()) p.refund_ids.insert(e.refund_id());
    });
  }
  if (type == "PatientStatementIssued") {
    return On<PatientStatementIssued, PatientState>(
        state, type, payload, [](PatientState& p, const PatientStatementIssued&) { ++p.statements; });
  }
  return absl::NotFoundError("not a claim-side event");
}

}  // namespace rcl::ledger
