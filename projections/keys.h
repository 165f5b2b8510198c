// Key layout of the projections' column families (docs/STORAGE.md,
// "Projections"). Every key starts with a one-letter table tag, then the
// tenant, then fields separated by \0 (ids, codes and dates never contain
// \0: the ledger validates them), so a tenant's rows of one table are one
// prefix and sort by the fields in order.
#ifndef RCL_PROJECTIONS_KEYS_H_
#define RCL_PROJECTIONS_KEYS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "ledger/storage/codec.h"

namespace rcl::projections {

// tag, tenant, then each part, \0-separated; with `trailing_separator`, a
// \0 after the last part too (a prefix that stops at a field boundary).
std::string Key(char tag, std::string_view tenant, std::initializer_list<std::string_view> parts,
                bool trailing_separator = false);
// The \0-separated fields after `prefix` (which ends at a field boundary).
std::vector<std::string_view> SplitKey(std::string_view key, std::string_view prefix);

// The business date an event counts on: its effective date, or the UTC date
// it was recorded when it has none (YYYY-MM-DD).
std::string EventDate(std::string_view effective_date, int64_t recorded_at_us);
// The same of an event (a ledger::RecordView or ledger::EventRecord).
template <typename Event>
std::string EventDate(const Event& event) {
  return EventDate(event.effective_date, event.recorded_at_us);
}
// The UTC date of a time in microseconds since the epoch.
std::string UtcDate(int64_t unix_us);
// YYYY-MM-DD of today (UTC).
std::string TodayUtc();
// Parses YYYY-MM-DD strictly; false when it is not one.
bool ParseDay(std::string_view text, absl::CivilDay* day);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_KEYS_H_
