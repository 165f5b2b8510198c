// Internal to rcl_x12: Debian's Abseil has its own absl::string_view (not an
// alias of std::string_view), so std::string_view arguments to StrCat and
// friends pass through Av(). Header only; thread-safe.
#ifndef RCL_LEDGER_X12_TEXT_H_
#define RCL_LEDGER_X12_TEXT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace rcl::x12 {

inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace rcl::x12

#endif  // RCL_LEDGER_X12_TEXT_H_
