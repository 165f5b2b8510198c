// The "claims" projection: per claim its balances (the ledger's own claim
// fold, see claim_row.h), sums per patient, per payer and per tenant, AR
// aging cells, each claim's balance history (for reports as of a past
// date) and the work queues (open denials, appeals by deadline, claims
// awaiting the payer, patients awaiting a statement). Its tables, all keyed
// by tenant first (keys.h; docs/STORAGE.md lists them):
//   C claim                      -> ClaimRow
//   A kind(t|p|y) key            -> BalanceTotals (tenant, patient, payer)
//   G basis(d|s) side(y|p) key date -> AgingCell (balances by basis date)
//   H claim date BE64(position)  -> BalanceDelta (a claim's balance changes)
//   N claim                      -> "" (open denials)
//   S date claim                 -> "" (submitted, no payer response yet)
//   P patient                    -> PatientRow
//   T last_statement_date patient -> "" (patients owing, by last statement)
//   F appeal                     -> AppealRow
//   E deadline appeal            -> "" (open appeals with a deadline)
//   M                            -> TenantRow
#ifndef RCL_PROJECTIONS_CLAIMS_PROJECTION_H_
#define RCL_PROJECTIONS_CLAIMS_PROJECTION_H_

#include "projections/projection.h"

namespace rcl::projections {

inline constexpr char kClaimsProjection[] = "claims";

// Table tags.
inline constexpr char kClaimTag = 'C';
inline constexpr char kTotalsTag = 'A';
inline constexpr char kAgingTag = 'G';
inline constexpr char kHistoryTag = 'H';
inline constexpr char kDenialTag = 'N';
inline constexpr char kAwaitingTag = 'S';
inline constexpr char kPatientTag = 'P';
inline constexpr char kStatementTag = 'T';
inline constexpr char kAppealTag = 'F';
inline constexpr char kAppealDueTag = 'E';
inline constexpr char kTenantTag = 'M';

// Kinds of totals and sides/bases of aging cells.
inline constexpr char kTenantTotals[] = "t";
inline constexpr char kPatientTotals[] = "p";
inline constexpr char kPayerTotals[] = "y";
inline constexpr char kBasisService[] = "d";
inline constexpr char kBasisSubmission[] = "s";
inline constexpr char kSidePayer[] = "y";
inline constexpr char kSidePatient[] = "p";

class ClaimsProjection final : public Projection {
 public:
  std::string_view name() const override { return kClaimsProjection; }
  uint32_t version() const override { return 1; }
  absl::Status Apply(const LogEvent& event, StateTxn& state) const override;
};

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_CLAIMS_PROJECTION_H_
