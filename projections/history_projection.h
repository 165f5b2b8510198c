// The "history" projection: the audit trail. Every event of a claim's,
// patient's or remittance's stream, in log order, with its envelope (who,
// when recorded, when effective, which command), a one-line summary without
// PHI (history_summary.h), the postings it made and, for claims, where the
// claim stood after it (status, payer and patient balance, by the ledger's
// own fold). Only what the log does not hold is stored: for each event a
// key naming its position and, for claims, the claim's standing after it;
// a query reads the events themselves from the log (EventStore::ReadEvent)
// and builds each entry, so the trail costs a few dozen bytes per event
// rather than a second copy of the log. Tables, keyed by tenant first
// (keys.h):
//   E kind(c|p|r) id BE64(position) -> store.HistoryMark (claims), "" (others)
//   C claim                         -> ClaimRow (the claim's running state)
#ifndef RCL_PROJECTIONS_HISTORY_PROJECTION_H_
#define RCL_PROJECTIONS_HISTORY_PROJECTION_H_

#include "absl/status/statusor.h"
#include "ledger/storage/event_store.h"
#include "projections/projection.h"
#include "rcl/v1/reports.pb.h"

namespace rcl::projections {

inline constexpr char kHistoryProjection[] = "history";

class HistoryProjection final : public Projection {
 public:
  std::string_view name() const override { return kHistoryProjection; }
  // 2: entries carry the tenant sequence. 3: only the marks are stored.
  uint32_t version() const override { return 3; }
  absl::Status Apply(const LogEvent& event, StateTxn& state) const override;
};

// One page of the history of request.kind()/request.id(), in log order, up
// to request.as_of_position() (0 = everything folded), the events read from
// `log` (the log the projection folded). NOT_FOUND when the claim, patient
// or remittance has no event (at that position).
absl::StatusOr<rcl::v1::HistoryResponse> QueryHistory(const StateReader& reader,
                                                      const ledger::EventStore& log,
                                                      const rcl::v1::HistoryRequest& request);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_HISTORY_PROJECTION_H_
