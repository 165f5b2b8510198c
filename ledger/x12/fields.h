// Typed access to one element of a segment, with errors that name the
// segment's position and the element ("segment 17 (CLP): CLP04 ...") and never
// its contents. Internal to rcl_x12; stateless, thread-safe.
#ifndef RCL_LEDGER_X12_FIELDS_H_
#define RCL_LEDGER_X12_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "ledger/x12/reader.h"

namespace rcl::x12 {

// "CLP04".
std::string ElementName(const Segment& s, size_t i);
// INVALID_ARGUMENT "segment 17 (CLP): <message>".
absl::Status SegmentFail(const Segment& s, std::string_view message);
// INVALID_ARGUMENT "segment 17 (CLP): CLP04 <message>".
absl::Status ElementFail(const Segment& s, size_t i, std::string_view message);

// A required amount (cents) / an optional one (nullopt when the element is empty).
absl::StatusOr<int64_t> CentsAt(const Segment& s, size_t i);
absl::StatusOr<std::optional<int64_t>> OptionalCentsAt(const Segment& s, size_t i);
// An optional quantity in thousandths.
absl::StatusOr<std::optional<int64_t>> OptionalMilliAt(const Segment& s, size_t i);
// A required / optional CCYYMMDD date that exists on the calendar.
absl::StatusOr<absl::CivilDay> DateAt(const Segment& s, size_t i);
absl::StatusOr<std::optional<absl::CivilDay>> OptionalDateAt(const Segment& s, size_t i);

// A delimiter for a message: "'>'" when printable, else "0x1D".
std::string ShowChar(char c);

}  // namespace rcl::x12

#endif  // RCL_LEDGER_X12_FIELDS_H_
