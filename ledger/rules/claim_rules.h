// Internal to ledger/: what every decider shares (account names, the Rule
// error, state lookups, the posting builder) and the lifecycle steps several
// claims-to-cash commands take (moving balance to the claim in force,
// returning a voided claim's balance, taking back relief that outlived its
// reason). Pure like the
// deciders: no I/O beyond the StateView. The rules themselves are written
// down in docs/API.md ("Claim lifecycle and the books").
#ifndef RCL_LEDGER_CLAIM_RULES_H_
#define RCL_LEDGER_CLAIM_RULES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ledger/money.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"

namespace rcl::ledger::claim_rules {

// The chart of accounts (docs/API.md, "Chart of accounts").
inline constexpr char kArUnbilled[] = "ar:unbilled";
inline constexpr char kGrossCharges[] = "revenue:gross_charges";
inline constexpr char kCashPayer[] = "cash:payer";
inline constexpr char kCashPatient[] = "cash:patient";
inline constexpr char kContractual[] = "contra:contractual";
inline constexpr char kOtherAdjustments[] = "contra:other_adjustments";
inline constexpr char kSuspense[] = "suspense:unapplied";
inline constexpr char kInterest[] = "income:interest";
// What an 835's BPR02 paid beyond (or short of) its claims and PLBs, when the
// biller accepted the file anyway.
inline constexpr char kRemitImbalance[] = "suspense:remit_imbalance";

// Longest chain of replacements (7 of 7 of ...) or next payers followed.
inline constexpr int kClaimChainMax = 64;

inline std::string PayerAr(const std::string& payer_id) {
  return absl::StrCat("ar:payer:", payer_id);
}
inline std::string PatientAr(const std::string& patient_id) {
  return absl::StrCat("ar:patient:", patient_id);
}
inline absl::Status Rule(std::string message) {
  return absl::FailedPreconditionError(std::move(message));
}
inline std::string Cents(int64_t cents) { return FormatCents(cents); }
std::string WriteOffReasonName(rcl::v1::WriteOffReason reason);
std::string WriteOffAccount(rcl::v1::WriteOffReason reason);

// Accumulates Dr/Cr moves and emits them merged by account.
class PostingBuilder {
 public:
  void Move(const std::string& debit, const std::string& credit, int64_t amount_cents) {
    if (amount_cents == 0) return;
    sums_[debit] += amount_cents;
    sums_[credit] -= amount_cents;
  }
  void AddNegationOf(const std::vector<std::pair<std::string, int64_t>>& postings) {
    for (const auto& [account, amount] : postings) sums_[account] -= amount;
  }
  void To(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* out) const;

 private:
  std::map<std::string, int64_t> sums_;
};

template <typename T>
absl::StatusOr<const T*> GetAs(StateView& view, const std::string& stream,
                               const std::string& what) {
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  const T* t = std::get_if<T>(&s->aggregate);
  if (!s->exists() || t == nullptr) return Rule(absl::StrCat(what, " does not exist"));
  return t;
}
absl::StatusOr<const ClaimState*> GetClaim(StateView& view, const std::string& id);
absl::StatusOr<const PatientState*> GetPatient(StateView& view, const std::string& id);
absl::StatusOr<const RemittanceState*> GetRemit(StateView& view, const std::string& id);
absl::Status MustNotExist(StateView& view, const std::string& stream, const std::string& what);
absl::Status MustBeOpen(const ClaimState& claim);
std::string DateOrToday(const std::string& date, const StateView& view);

// The EncounterClaimed and PatientClaimLinked events of a new claim.
absl::Status EmitClaimLinks(Decision* d, const rcl::v1::ClaimCreated& created,
                            int64_t billed_cents);

// The claim as it will be once the events `d` holds for its stream so far
// are applied (the view shows only what was decided before this command).
absl::StatusOr<ClaimState> ClaimAfter(const ClaimState& before, const Decision& d);

// Follows replacements from `claim_id` to the claim now in force.
absl::StatusOr<const ClaimState*> ClaimInForce(StateView& view, const std::string& claim_id);

// The first claim of a replacement chain (the frequency-1 claim).
absl::StatusOr<const ClaimState*> ChainRoot(StateView& view, const ClaimState& claim);

// Payer balance that came back onto a replaced or voided claim (a reversal,
// a relief taken back) leaves it for where it belongs: a replaced claim's
// goes to the claim in force; a voided next-payer claim's back to the claim
// that transferred it, as the patient's; any other voided claim's to the
// encounter's unbilled charges. Nothing for an open claim.
absl::Status MoveOffClosedClaim(Decision* d, StateView& view, const ClaimState& claim,
                                int64_t amount_cents, const std::string& effective_date);

// Relief that outlived its reason: once this command's events are applied,
// a negative payer balance takes back the claim's payer write-offs first;
// a negative patient balance takes back patient write-offs, then returns
// the patient's payments on it to the account as a refundable credit.
absl::Status SettleClaim(Decision* d, StateView& view, const std::string& claim_id,
                         const std::string& effective_date);

// Takes back up to `amount_cents` of the claim's manual (AdjustClaim)
// adjustments, other adjustments first.
absl::Status ReverseManualAdjustments(Decision* d, const ClaimState& claim, int64_t amount_cents,
                                      const std::string& effective_date);

// Takes back up to `amount_cents` of the claim's write-offs on `side`
// (reasons in `reasons`, or all when empty); returns what was taken back.
absl::StatusOr<int64_t> ReverseWriteOffs(Decision* d, const ClaimState& claim,
                                         rcl::v1::BalanceSide side, int64_t amount_cents,
                                         const std::vector<rcl::v1::WriteOffReason>& reasons,
                                         const std::string& cause,
                                         const std::string& effective_date);

// Deciders, by file: claim_commands.cc (lifecycle), adjudication.cc (payer
// money), patient_account.cc (adjustments, write-offs, appeals, patient money).
// commands.cc dispatches every command kind to one of them.
absl::StatusOr<Decision> DecideCreateClaim(const rcl::v1::CreateClaim& c, StateView& view);
absl::StatusOr<Decision> DecideScrubClaim(const rcl::v1::ScrubClaim& c, StateView& view);
absl::StatusOr<Decision> DecideSubmitClaim(const rcl::v1::SubmitClaim& c, StateView& view);
absl::StatusOr<Decision> DecideAcknowledgeClaim(const rcl::v1::AcknowledgeClaim& c,
                                                StateView& view);
absl::StatusOr<Decision> DecideReplaceClaim(const rcl::v1::ReplaceClaim& c, StateView& view);
absl::StatusOr<Decision> DecideVoidClaim(const rcl::v1::VoidClaim& c, StateView& view);
absl::StatusOr<Decision> DecideRecordRemittance(const rcl::v1::RecordRemittance& c,
                                                StateView& view);
absl::StatusOr<Decision> DecideAdjudicate(const rcl::v1::AdjudicateClaim& c, StateView& view);
absl::StatusOr<Decision> DecideReverse(const rcl::v1::ReverseAdjudication& c, StateView& view);
absl::StatusOr<Decision> DecideProviderAdjustment(const rcl::v1::RecordProviderAdjustment& c,
                                                  StateView& view);
absl::StatusOr<Decision> DecideAdjustClaim(const rcl::v1::AdjustClaim& c, StateView& view);
absl::StatusOr<Decision> DecideWriteOff(const rcl::v1::WriteOffClaim& c, StateView& view);
absl::StatusOr<Decision> DecideFileAppeal(const rcl::v1::FileAppeal& c, StateView& view);
absl::StatusOr<Decision> DecideDecideAppeal(const rcl::v1::DecideAppeal& c, StateView& view);
absl::StatusOr<Decision> DecidePatientPayment(const rcl::v1::ReceivePatientPayment& c,
                                              StateView& view);
absl::StatusOr<Decision> DecideStatement(const rcl::v1::IssuePatientStatement& c, StateView& view);
absl::StatusOr<Decision> DecideRefund(const rcl::v1::RefundPatient& c, StateView& view);
// remit_import.cc: 835 files, payer aliases, suspense.
absl::StatusOr<Decision> DecideImportRemittanceFile(const rcl::v1::ImportRemittanceFile& c,
                                                    StateView& view);
absl::StatusOr<Decision> DecideAliasPayer(const rcl::v1::AliasPayer& c, StateView& view);
absl::StatusOr<Decision> DecideApplySuspendedPayment(const rcl::v1::ApplySuspendedPayment& c,
                                                     StateView& view);
// claim_export.cc: an 837P export recorded.
absl::StatusOr<Decision> DecideRecordClaimExport(const rcl::v1::RecordClaimExport& c,
                                                 StateView& view);

}  // namespace rcl::ledger::claim_rules

#endif  // RCL_LEDGER_CLAIM_RULES_H_
