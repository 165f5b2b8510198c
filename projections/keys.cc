#include "projections/keys.h"

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rcl::projections {

std::string Key(char tag, std::string_view tenant, std::initializer_list<std::string_view> parts,
                bool trailing_separator) {
  size_t size = 1 + tenant.size() + (trailing_separator ? 1 : 0);
  for (std::string_view p : parts) size += 1 + p.size();
  std::string key;
  key.reserve(size);  // one allocation (none for a short key), not one a doubling
  key.push_back(tag);
  key.append(tenant);
  for (std::string_view p : parts) {
    key.push_back('\0');
    key.append(p);
  }
  if (trailing_separator) key.push_back('\0');
  return key;
}

std::vector<std::string_view> SplitKey(std::string_view key, std::string_view prefix) {
  std::vector<std::string_view> out;
  if (key.size() < prefix.size()) return out;
  std::string_view rest = key.substr(prefix.size());
  for (absl::string_view part : absl::StrSplit(absl::string_view(rest.data(), rest.size()), '\0')) {
    out.emplace_back(part.data(), part.size());
  }
  return out;
}

std::string UtcDate(int64_t unix_us) {
  return absl::FormatCivilTime(
      absl::ToCivilDay(absl::FromUnixMicros(unix_us), absl::UTCTimeZone()));
}

std::string EventDate(std::string_view effective_date, int64_t recorded_at_us) {
  return effective_date.empty() ? UtcDate(recorded_at_us) : std::string(effective_date);
}

std::string TodayUtc() { return UtcDate(absl::ToUnixMicros(absl::Now())); }

bool ParseDay(std::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!absl::ParseCivilTime(absl::string_view(text.data(), text.size()), day)) return false;
  return absl::FormatCivilTime(*day) == text;
}

}  // namespace rcl::projections
