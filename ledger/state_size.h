// An estimate of the heap a StreamState holds, so that the sequencer's state
// cache can be bounded by bytes rather than by entries: a stream's state
// grows with its events (an encounter's charge lines, a claim's lines and
// adjudications, a patient's claims and payment ids).
#ifndef RCL_LEDGER_STATE_SIZE_H_
#define RCL_LEDGER_STATE_SIZE_H_

#include <cstddef>

#include "ledger/rules/state.h"

namespace rcl::ledger {

// Bytes of memory `state` occupies, including sizeof(StreamState) and the
// allocator's per-block overhead, estimated from the sizes of its strings,
// containers and protobuf messages. Never less than the real figure by more
// than a few percent for the aggregates RCL keeps; O(size of the state).
size_t EstimateStateBytes(const StreamState& state);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STATE_SIZE_H_
