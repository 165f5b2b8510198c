#include "ledger/replay.h"

#include "ledger/status.h"

namespace rcl::ledger {

absl::StatusOr<StreamState> LoadStreamState(const EventStore& store, std::string_view tenant,
                                            std::string_view stream, uint64_t as_of_position) {
  // A page of at most 4 MiB of records at a time, however large the events.
  constexpr size_t kPageBytesMax = 4 << 20;
  // A stored record beyond its payload: fixed fields, ten string lengths, nine
  // envelope strings and two hashes.
  constexpr size_t kRecordOverheadBytesMax = 25 + 10 * 4 + 9 * kEnvelopeStringSizeMax + 64;
  StreamState state;
  uint64_t from = 0;
  while (true) {
    RCL_ASSIGN_OR_RETURN(
        auto events, store.ReadStream(tenant, stream, from, false, kReadPageMax, kPageBytesMax));
    for (const EventRecord& e : events) {
      if (as_of_position != 0 && e.position > as_of_position) return state;
      RCL_RETURN_IF_ERROR(ApplyEvent(&state, e.version, e.type, e.payload));
    }
    if (events.empty()) return state;
    if (events.size() < kReadPageMax) {
      // Short: the end of the stream, unless the byte bound cut the page.
      size_t bytes_max = 0;  // an upper bound of the records' stored size
      for (const EventRecord& e : events) bytes_max += e.payload.size() + kRecordOverheadBytesMax;
      if (bytes_max < kPageBytesMax) return state;
    }
    from = events.back().version + 1;
  }
}

}  // namespace rcl::ledger
