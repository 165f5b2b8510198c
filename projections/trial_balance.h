// The "trial_balance" projection: the sum of every posting by account, per
// tenant, and per account the sum of each effective date's postings (so the
// balance as of any date is exact). Tables, keyed by tenant first (keys.h):
//   B account       -> int64 balance (cents; debits positive)
//   D account date  -> int64 postings of that effective date
//   M               -> TenantRow (the latest effective date posted)
#ifndef RCL_PROJECTIONS_TRIAL_BALANCE_H_
#define RCL_PROJECTIONS_TRIAL_BALANCE_H_

#include "absl/status/statusor.h"
#include "projections/projection.h"
#include "rcl/v1/reports.pb.h"

namespace rcl::projections {

inline constexpr char kTrialBalanceProjection[] = "trial_balance";

class TrialBalanceProjection final : public Projection {
 public:
  std::string_view name() const override { return kTrialBalanceProjection; }
  uint32_t version() const override { return 1; }
  absl::Status Apply(const LogEvent& event, StateTxn& state) const override;
};

// Every account of `tenant` with a non-zero balance, as of `as_of_date`
// (YYYY-MM-DD, postings of events effective on or before it; "" = all).
// Cost: the tenant's accounts, or its accounts' dated sums for a date
// before the latest one posted.
absl::StatusOr<rcl::v1::TrialBalanceResponse> QueryTrialBalance(const StateReader& reader,
                                                                std::string_view tenant,
                                                                std::string_view as_of_date);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_TRIAL_BALANCE_H_
