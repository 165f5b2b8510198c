// The claims projection's row of one claim (rcl.store.ClaimRow) and the
// ledger's ClaimState: the row keeps every field the ledger's claim fold
// reads or writes that moves money, so the projection folds each claim event
// with the ledger's own Apply functions (ledger/rules) and its balances are
// those of GetClaim by construction. Claim lines are not kept (the fold
// updates their amounts only), nor appeals, payments and write-off reasons
// beyond their sums.
#ifndef RCL_PROJECTIONS_CLAIM_ROW_H_
#define RCL_PROJECTIONS_CLAIM_ROW_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "ledger/rules/state.h"
#include "rcl/store/projection_rows.pb.h"
#include "rcl/v1/reports.pb.h"

namespace rcl::projections {

ledger::ClaimState RowToState(const store::ClaimRow& row);
// Copies the ledger's fields of `state` into `row`, keeping the row's own
// fields (dates, denial reasons, appeals).
void StateToRow(const ledger::ClaimState& state, store::ClaimRow* row);

// Folds one claim event into `row` with the ledger's own fold (balances
// exactly as GetClaim computes them): `parsed` is the payload already parsed
// (null: parse `payload`). `exists`: the row holds the claim's state so far.
absl::Status FoldClaimIntoRow(std::string_view type, std::string_view payload,
                              const google::protobuf::Message* parsed, bool exists,
                              store::ClaimRow* row);

int64_t PayerBalance(const store::ClaimRow& row);
int64_t PatientBalance(const store::ClaimRow& row);
// The claim's amounts as GetClaim (ClaimView) names them; claims = 1.
store::BalanceTotals AmountsOf(const store::ClaimRow& row);
// An open denial: the adjudication in force denies the claim, or holds
// denied lines in payer AR (what `rcl claim denials` always listed).
bool IsOpenDenial(const store::ClaimRow& row);
std::string_view StatusName(const store::ClaimRow& row);

void AddTotals(const store::BalanceTotals& delta, int sign, store::BalanceTotals* into);
bool IsZero(const store::BalanceTotals& t);
void ToApi(const store::BalanceTotals& t, rcl::v1::BalanceAmounts* out);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_CLAIM_ROW_H_
