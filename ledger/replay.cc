#include "ledger/replay.h"

#include "ledger/status.h"

namespace rcl::ledger {

absl::StatusOr<StreamState> LoadStreamState(const EventStore& store, std::string_view tenant, std::string_view stream,
                                            uint64_t as_of_position) {
  StreamState state;
  uint64_t from = 0;
  while (true) {
    RCL_ASSIGN_OR_RETURN(auto events, store.ReadStream(tenant, stream, from, false, kReadPageMax));
    for (const EventRecord& e : events) {
      if (as_of_position != 0 && e.position > as_of_position) return state;
      RCL_RETURN_IF_ERROR(ApplyEvent(&state, e.version, e.type, e.payload));
    }
    if (events.size() < kReadPageMax) return state;
    from = events.back().version + 1;
  }
}

}  // namespace rcl::ledger
