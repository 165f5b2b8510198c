// Queries over a snapshot of the claims projection (claims_projection.h):
// balances, AR aging and the work queues. Each reads one consistent
// snapshot (StateReader) and answers in the report messages of
// proto/rcl/v1/reports.proto; arguments are validated by the caller (dates
// are YYYY-MM-DD, limits within kReportPageMax), except page tokens.
#ifndef RCL_PROJECTIONS_CLAIMS_QUERIES_H_
#define RCL_PROJECTIONS_CLAIMS_QUERIES_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "projections/state_txn.h"
#include "rcl/v1/reports.pb.h"

namespace rcl::projections {

inline constexpr uint32_t kReportPageDefault = 100;
inline constexpr uint32_t kReportPageMax = 1000;
inline constexpr uint32_t kQueueDaysDefault = 30;

// The five aging buckets: ages (days from the basis date to the as-of date)
// up to 30, 31-60, 61-90, 91-120, 121 and more. A basis date after the
// as-of date ages 0 days.
inline constexpr int kAgingBuckets = 5;
inline constexpr const char* kAgingLabels[kAgingBuckets] = {"0-30", "31-60", "61-90", "91-120",
                                                            "121+"};
int AgingBucket(int64_t age_days);

// claim_id, patient_id or payer_id (at most one set), or the tenant. A
// claim that does not exist: NOT_FOUND; a patient or payer without claims:
// zeros.
absl::StatusOr<rcl::v1::BalancesResponse> QueryBalances(const StateReader& reader,
                                                        const rcl::v1::BalancesRequest& request);

// Today's aging (as_of_date on or after the latest effective date the
// tenant has) reads the aging cells: one per key (payer or patient) and
// basis date, never per claim. An earlier date replays each claim's
// balance history up to it (exact; costs the tenant's claims and history).
absl::StatusOr<rcl::v1::ArAgingResponse> QueryAging(const StateReader& reader,
                                                    const rcl::v1::ArAgingRequest& request,
                                                    std::string_view as_of_date);

absl::StatusOr<rcl::v1::DenialsResponse> QueryDenials(const StateReader& reader,
                                                      const rcl::v1::DenialsRequest& request);
absl::StatusOr<rcl::v1::AppealsDueResponse> QueryAppealsDue(
    const StateReader& reader, const rcl::v1::AppealsDueRequest& request,
    std::string_view as_of_date);
absl::StatusOr<rcl::v1::NoResponseResponse> QueryNoResponse(
    const StateReader& reader, const rcl::v1::NoResponseRequest& request,
    std::string_view as_of_date);
absl::StatusOr<rcl::v1::StatementsDueResponse> QueryStatementsDue(
    const StateReader& reader, const rcl::v1::StatementsDueRequest& request,
    std::string_view as_of_date);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_CLAIMS_QUERIES_H_
