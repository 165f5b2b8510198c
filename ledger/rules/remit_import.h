// Internal to ledger/rules/: the pieces of an 835 import (remit_import.cc
// posts a file, remit_match.cc maps one claim payment onto one of our
// claims). An import reuses the claims-to-cash deciders (DecideRecordRemittance,
// DecideAdjudicate, DecideReverse, DecideProviderAdjustment) one after the
// other against a DecisionView, which shows each step the state the earlier
// steps left; their events are stamped with where in the file they came
// from. Pure like every decider: no I/O beyond the StateView, no clock.
#ifndef RCL_LEDGER_RULES_REMIT_IMPORT_H_
#define RCL_LEDGER_RULES_REMIT_IMPORT_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/state.h"
#include "ledger/x12/remit835.h"
#include "rcl/v1/events.pb.h"
#include "rcl/v1/x12_events.pb.h"

namespace rcl::ledger::claim_rules {

// The state as it will be once the events taken so far are applied, over
// `base` (which shows what was decided before this command).
class DecisionView : public StateView {
 public:
  explicit DecisionView(StateView& base) : base_(base) { set_progress(base.progress()); }
  absl::StatusOr<const StreamState*> Get(const std::string& stream) override;
  absl::CivilDay Today() const override { return base_.Today(); }
  // Stamps `d`'s events with `source` (when given), folds them into the view
  // and appends them to `out`.
  absl::Status Take(Decision d, const rcl::v1::X12Source* source, Decision* out);

 private:
  StateView& base_;
  absl::flat_hash_map<std::string, StreamState> changed_;
};

// The X12 CLP02 codes the importer posts.
inline constexpr char kClpReversal[] = "22";
inline constexpr char kClpPredetermination[] = "25";
inline constexpr char kClpDenied[] = "4";

// The AdjudicateClaim that posts `payment` on `claim` under `remit_id`, or a
// FAILED_PRECONDITION saying why it cannot (the payment then goes to
// suspense): a status that is not posted automatically, an SVC that matches
// no line of the claim, an adjustment group we do not know. SVC lines match
// by REF*6R (our line number), then code and modifiers, then the code with
// one modifier dropped or glued to it; a payment without SVC lines is spread
// over the claim's lines in order.
absl::StatusOr<rcl::v1::AdjudicateClaim> MapClaimPayment(const x12::ClaimPayment& payment,
                                                         const ClaimState& claim,
                                                         const std::string& remit_id);

// The claim an 835 claim payment from `payer_id` posts to: CLP01's claim,
// followed to the next payer's claim of the rank CLP02 names (2/20, 3/21) or,
// for a status without a rank (22, 4, 25, 1, 19), to the claim of that chain
// billed to `payer_id`; then to the replacement in force (not for reversals). FAILED_PRECONDITION
// (the reason for suspense) when there is no such claim or another payer bills it.
absl::StatusOr<const ClaimState*> TargetClaim(StateView& view, const x12::ClaimPayment& payment,
                                              const std::string& payer_id);

// Posts one claim payment under `remit_id` on its claim (adjudication,
// denial, reversal, predetermination), or holds it in suspense with the
// reason (`suspend_reason` set: held without trying). Counts into `summary`.
absl::Status PostClaimPayment(const x12::ClaimPayment& payment, const std::string& remit_id,
                              const std::string& payer_id, const rcl::v1::X12Source& source,
                              const std::string& suspend_reason, DecisionView& view, Decision* out,
                              rcl::v1::ImportedRemittance* summary);

// The suspended payment as the 835 claim payment it came from.
x12::ClaimPayment FromSuspended(const rcl::v1::RemittanceClaimSuspended& item);

}  // namespace rcl::ledger::claim_rules

#endif  // RCL_LEDGER_RULES_REMIT_IMPORT_H_
