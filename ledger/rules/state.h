// Aggregate state of one stream, folded from its events. The sequencer keeps
// these in memory (bounded) to decide commands; replaying a stream's events
// through Apply() from version 0 always reproduces the same state.
#ifndef RCL_LEDGER_STATE_H_
#define RCL_LEDGER_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "rcl/v1/events.pb.h"
#include "rcl/v1/x12_events.pb.h"

namespace rcl::ledger {

struct CoverageState {
  std::string coverage_id;
  std::string payer_id;
  std::string payer_name;
  int rank = 0;
  std::string effective_from;  // YYYY-MM-DD
  std::string effective_to;    // "" = open ended
  bool operator==(const CoverageState&) const = default;
};

struct PatientState {
  std::string patient_id;
  std::map<std::string, CoverageState> coverages;  // by coverage id
  // Claims billing this patient's encounters, with their dates of service.
  std::map<std::string, std::string> claims;  // claim id -> date of service
  int64_t credit_cents = 0;                   // unapplied payments minus refunds
  std::set<std::string> payment_ids;
  std::set<std::string> refund_ids;
  int statements = 0;
  // The coverage of `rank` in force on `date` (YYYY-MM-DD), if any.
  const CoverageState* CoverageOn(int rank, const std::string& date) const;
  bool operator==(const PatientState&) const = default;
};

struct ChargeLineState {
  int line_number = 0;
  rcl::v1::ProcedureCodeSystem code_system = rcl::v1::PROCEDURE_CODE_SYSTEM_UNSPECIFIED;
  std::string procedure_code;
  std::vector<std::string> modifiers;
  int units = 0;
  int64_t amount_cents = 0;
  std::vector<int> diagnosis_pointers;
  bool voided = false;
  bool operator==(const ChargeLineState&) const = default;
};

struct EncounterState {
  std::string encounter_id;
  std::string patient_id;
  std::string rendering_npi;
  std::string billing_npi;
  std::string date_of_service;
  std::string place_of_service;
  std::vector<std::string> diagnoses;    // pointer n is diagnoses[n - 1]
  std::map<int, ChargeLineState> lines;  // by line number
  bool coding_complete = false;
  // Claims of this encounter: claim id -> (coverage id, frequency).
  std::map<std::string, std::pair<std::string, int>> claims;
  // Charges not on any claim: recorded minus voided charges, minus what
  // original claims billed, plus what voids returned. Never negative.
  int64_t unbilled_cents = 0;
  int ActiveLineCount() const;
  bool operator==(const EncounterState&) const = default;
};

enum class ClaimStatus {
  kCreated,      // not yet scrubbed
  kScrubFailed,  // last scrub failed: cannot submit
  kReady,        // last scrub passed
  kSubmitted,
  kAccepted,     // acknowledged by the payer (or adjudication reversed)
  kRejected,     // front-end rejection: correct, scrub, resubmit
  kAdjudicated,  // paid (fully or partly) or moved to patient / next payer
  kDenied,       // adjudicated paying nothing for a non-PR reason
  kReplaced,     // superseded by a frequency-7 claim
  kVoided,       // voided by a frequency-8 claim
};
std::string_view ClaimStatusName(ClaimStatus status);

struct ClaimLineAmounts {
  int64_t allowed_cents = 0;
  int64_t paid_cents = 0;
  int64_t contractual_cents = 0;
  int64_t other_adjustment_cents = 0;
  int64_t patient_responsibility_cents = 0;
  int64_t denied_cents = 0;
  bool operator==(const ClaimLineAmounts&) const = default;
};

struct ClaimLineView {
  rcl::v1::ClaimLine line;
  ClaimLineAmounts amounts;  // of the adjudication in force
  bool operator==(const ClaimLineView& o) const {
    return line.SerializeAsString() == o.line.SerializeAsString() && amounts == o.amounts;
  }
};

// The adjudication in force (not reversed or superseded).
struct AdjudicationState {
  std::string remit_id;
  std::string payer_claim_number;
  rcl::v1::ClaimPaymentStatus status = rcl::v1::CLAIM_PAYMENT_STATUS_UNSPECIFIED;
  int64_t paid_cents = 0;
  int64_t contractual_cents = 0;
  int64_t other_adjustment_cents = 0;
  int64_t patient_responsibility_cents = 0;
  int64_t denied_cents = 0;
  bool denied = false;
  std::string transfer_claim_id;
  std::string transfer_payer_id;
  int64_t prior_payer_cents = 0;  // line adjustments that were the prior payers' share (not posted)
  int64_t returned_to_patient_cents =
      0;  // of the transfer: returned to the patient by a void of the next claim
  std::map<int, ClaimLineAmounts> lines;
  std::vector<std::pair<std::string, int64_t>> postings;  // account, amount
  bool operator==(const AdjudicationState&) const = default;
};

struct ClaimState {
  std::string claim_id;
  std::string encounter_id;
  std::string patient_id;
  std::string coverage_id;
  std::string payer_id;
  int rank = 1;
  int frequency = 1;
  std::string original_claim_id;
  std::string payer_claim_number;
  std::string date_of_service;
  std::string billing_npi;
  std::string rendering_npi;
  std::vector<std::string> diagnoses;
  std::map<int, ClaimLineView> lines;
  ClaimStatus status = ClaimStatus::kCreated;
  int submissions = 0;
  bool last_scrub_passed = false;

  int64_t charge_cents = 0;
  int64_t opening_balance_cents = 0;
  int64_t transferred_in_cents = 0;
  int64_t payer_paid_cents = 0;
  int64_t contractual_cents = 0;
  int64_t other_adjustment_cents = 0;
  int64_t patient_responsibility_cents = 0;  // moved to the patient
  int64_t transferred_out_cents = 0;         // moved to the next payer
  int64_t denied_cents = 0;                  // held in payer AR by the adjudication in force
  int64_t patient_paid_cents = 0;
  int64_t payer_written_off_cents = 0;
  int64_t patient_written_off_cents = 0;
  int64_t moved_out_cents = 0;  // to a replacement claim, or back to unbilled by a void
  bool ever_denied = false;
  std::string next_payer_claim_id;     // the next payer's claim, once created by a transfer
  std::string replacement_claim_id;    // set when replaced (frequency 7)
  std::string void_claim_id;           // set when voided (frequency 8)
  std::string transfer_from_claim_id;  // the claim whose adjudication last moved balance in
  // Of contractual/other: what billers adjusted by hand (AdjustClaim), net.
  int64_t manual_contractual_cents = 0;
  int64_t manual_other_cents = 0;
  // Write-offs in force by (side, reason), so that each can be taken back.
  std::map<std::pair<int, int>, int64_t> write_offs;
  std::optional<AdjudicationState> adjudication;
  std::map<std::string, rcl::v1::AppealOutcome>
      appeals;  // appeal id -> outcome (UNSPECIFIED = open)
  std::set<std::string> payment_ids;
  int exports = 0;  // 837P files it left in

  int64_t PayerBalance() const {
    return opening_balance_cents + transferred_in_cents - payer_paid_cents - contractual_cents -
           other_adjustment_cents - patient_responsibility_cents - transferred_out_cents -
           payer_written_off_cents - moved_out_cents;
  }
  int64_t PatientBalance() const {
    return patient_responsibility_cents - patient_paid_cents - patient_written_off_cents;
  }
  int64_t WrittenOff() const { return payer_written_off_cents + patient_written_off_cents; }
  bool Closed() const { return status == ClaimStatus::kReplaced || status == ClaimStatus::kVoided; }
  // Shown by the API: the replacement once replaced, else the next payer's claim.
  const std::string& NextClaimId() const {
    return replacement_claim_id.empty() ? next_payer_claim_id : replacement_claim_id;
  }
  bool operator==(const ClaimState&) const = default;
};

struct RemittanceState {
  std::string remit_id;
  std::string payer_id;
  std::string trace_number;
  rcl::v1::PaymentMethod method = rcl::v1::PAYMENT_METHOD_UNSPECIFIED;
  int64_t total_cents = 0;
  std::string paid_date;
  int64_t posted_cents = 0;  // claim payments posted (net of reversals)
  int64_t provider_adjustment_cents = 0;
  int64_t imbalance_cents = 0;  // accepted by the biller on import
  bool operator==(const RemittanceState&) const = default;
};

struct AppealState {
  std::string appeal_id;
  std::string claim_id;
  int level = 0;
  std::string deadline;
  rcl::v1::AppealOutcome outcome = rcl::v1::APPEAL_OUTCOME_UNSPECIFIED;
  bool operator==(const AppealState&) const = default;
};

// A uniqueness guard stream (e.g. one remittance per payer + trace number),
// also an imported 835 file (owner: its remittances), a payer alias (owner:
// the payer id) and an 837P export (owner: the file's SHA-256).
struct GuardState {
  std::string owner;
  bool operator==(const GuardState&) const = default;
};

// A claim payment an 835 import held in suspense.
struct SuspenseState {
  rcl::v1::RemittanceClaimSuspended item;
  std::string applied_to;  // the claim it was applied to; "" while open
  bool operator==(const SuspenseState& o) const {
    return item.SerializeAsString() == o.item.SerializeAsString() && applied_to == o.applied_to;
  }
};

using Aggregate = std::variant<std::monostate, PatientState, EncounterState, ClaimState,
                               RemittanceState, AppealState, GuardState, SuspenseState>;

struct StreamState {
  int64_t version = -1;  // last version; -1 = the stream does not exist
  Aggregate aggregate;
  bool exists() const { return version >= 0; }
  bool operator==(const StreamState&) const = default;
};

// Folds one event into the state of its stream. The event must be the
// stream's next version; an unknown type, an undecodable payload or stored
// amounts whose sums overflow int64 cents are DATA_LOSS.
absl::Status ApplyEvent(StreamState* state, uint64_t version, std::string_view type,
                        std::string_view payload);
// A new event as the sequencer folds it: from `message`, the payload its
// decider emitted (whose serialization `payload` is; its name must be
// `type`), or when there is none, from the bytes.
absl::Status ApplyDecidedEvent(StreamState* state, uint64_t version, std::string_view type,
                               std::string_view payload, const google::protobuf::Message* message);

// CARC 23: "the impact of prior payer(s) adjudication": on a next payer's
// remittance, the part of the charge the prior payers covered.
inline constexpr char kPriorPayerCarc[] = "23";

// True when an adjudicated line counts as denied: nothing paid, adjusted for
// a reason that is not patient responsibility, and nothing of it made the
// patient's responsibility (or the whole claim is denied).
bool LineDenied(const rcl::v1::LineAdjudication& line, rcl::v1::ClaimPaymentStatus status);

// Folds one event into `state` without the version check, e.g. to see a
// decision's effect before it is written. DATA_LOSS for an unknown type, an
// undecodable payload, unbalanced postings, stored amounts whose sums
// overflow int64 cents, or a stream of another kind.
absl::Status FoldEvent(StreamState* state, std::string_view type, std::string_view payload);
// The same for a payload already parsed (as the rcl.v1 message its type
// names: the type is the message's name).
absl::Status FoldParsedEvent(StreamState* state, const google::protobuf::Message& payload);

// Stream names.
std::string PatientStream(std::string_view patient_id);
std::string EncounterStream(std::string_view encounter_id);
std::string ClaimStream(std::string_view claim_id);
std::string RemitStream(std::string_view remit_id);
std::string AppealStream(std::string_view appeal_id);
std::string RemitTraceStream(std::string_view payer_id, std::string_view trace_number);
std::string X12FileStream(std::string_view sha256_hex);
std::string PayerAliasStream(std::string_view x12_id);
std::string SuspenseStream(std::string_view item_id);
std::string ExportStream(std::string_view export_id);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STATE_H_
