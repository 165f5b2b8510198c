// A projection: a fold of the log into state of its own, which reporting
// queries read. It sees events only (LogEvent: the stored record and its
// parsed payload, log_feed.h), never the command side, and keeps its state in a StateTxn (the
// runtime stores it in the projection's own RocksDB column family, together with its checkpoint, in
// one atomic write per batch of events).
//
// Thread-safety: a Projection object is immutable after construction; the
// runtime calls Apply() from one worker thread per copy (generation) of the
// projection, each with its own StateTxn, so Apply() must keep no state of
// its own.
#ifndef RCL_PROJECTIONS_PROJECTION_H_
#define RCL_PROJECTIONS_PROJECTION_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "projections/log_feed.h"
#include "projections/state_txn.h"

namespace rcl::projections {

class Projection {
 public:
  virtual ~Projection() = default;
  // Stable name: the key of its status, its rebuilds and its column families.
  virtual std::string_view name() const = 0;
  // Version of its state's format and rules. Stored with the state; a copy
  // of another version is rebuilt from position 0 at start.
  virtual uint32_t version() const = 0;
  // Folds one event (every event of the log, in position order, once).
  // Events of no interest are ignored (the checkpoint advances over them).
  // An error stops the projection at this event; the message says why.
  virtual absl::Status Apply(const LogEvent& event, StateTxn& state) const = 0;
};

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_PROJECTION_H_
