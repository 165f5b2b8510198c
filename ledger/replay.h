// Folding a stream's stored events into its state: what the sequencer does
// on a cache miss, and what reads from the command side (GetClaim) and
// replay checks do.
#ifndef RCL_LEDGER_REPLAY_H_
#define RCL_LEDGER_REPLAY_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/rules/state.h"
#include "ledger/storage/event_store.h"

namespace rcl::ledger {

// The state of `stream` from all its events with position <= as_of_position
// (0 = all).
absl::StatusOr<StreamState> LoadStreamState(const EventStore& store, std::string_view tenant,
                                            std::string_view stream, uint64_t as_of_position = 0);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_REPLAY_H_
