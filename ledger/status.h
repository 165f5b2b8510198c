// Small status helpers shared by the ledger (this Abseil has no
// RETURN_IF_ERROR / ASSIGN_OR_RETURN), and field violations carried inside an
// absl::Status so the server can turn them into google.rpc.BadRequest.
#ifndef RCL_LEDGER_STATUS_H_
#define RCL_LEDGER_STATUS_H_

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#define RCL_STATUS_CONCAT_INNER_(a, b) a##b
#define RCL_STATUS_CONCAT_(a, b) RCL_STATUS_CONCAT_INNER_(a, b)

#define RCL_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status rcl_status_ = (expr);       \
    if (!rcl_status_.ok()) return rcl_status_; \
  } while (0)

#define RCL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(*tmp)

// RCL_ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());
#define RCL_ASSIGN_OR_RETURN(lhs, expr) \
  RCL_ASSIGN_OR_RETURN_IMPL_(RCL_STATUS_CONCAT_(rcl_statusor_, __LINE__), lhs, expr)

// RCL_CHECK(condition) << "message";
//
// An invariant that holds in every build (unlike assert(), which the Release
// build compiles out). When `condition` is false, prints
//   file:line: RCL_CHECK(condition) failed: message
// to stderr and calls std::abort(): a violated invariant stops the process
// rather than let it write something wrong. The message is optional and is
// only evaluated when the check fails. Never put PHI into it (names, birth
// dates, member ids); positions, versions, counts and stream ids are fine.
//
// For data read back from disk, return DATA_LOSS instead: a damaged record is
// not a bug in this process. Check with RCL_CHECK what we are about to write.
#define RCL_CHECK(condition)            \
  switch (0)                            \
  case 0:                               \
  default:                              \
    if (ABSL_PREDICT_TRUE(condition)) { \
    } else                              \
      ::rcl::check_internal::CheckFailure(__FILE__, __LINE__, #condition).stream()

namespace rcl {

namespace check_internal {

// The failure of one RCL_CHECK: collects the streamed message, and on
// destruction (the end of the RCL_CHECK statement) prints it and aborts.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition)
      : file_(file), line_(line), condition_(condition) {}
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  ~CheckFailure();  // never returns: std::abort()

  std::ostream& stream() { return message_; }

 private:
  const char* file_;
  int line_;
  const char* condition_;
  std::ostringstream message_;
};

}  // namespace check_internal

// Debian's Abseil has its own string_view type (not std::string_view); this
// bridges the two for absl::StrCat and friends.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// One problem with one field of a request. `field` is the proto field name
// (e.g. "cpt", "modifiers[1]"); `description` says what is wrong without
// echoing PHI.
struct FieldViolation {
  std::string field;
  std::string description;
  bool operator==(const FieldViolation&) const = default;
};

// At most this many violations travel in one status (the rest are counted):
// error details go back in a gRPC trailer, and a trailer over gRPC's metadata
// limit loses the answer (RESOURCE_EXHAUSTED on the client, or no answer).
inline constexpr size_t kViolationsReportedMax = 20;

// Collects field violations; ToStatus() is OK when there are none, else
// INVALID_ARGUMENT whose message lists them and whose payload carries them:
// the first kViolationsReportedMax, then, when there were more, one entry
// for field "request" saying how many more there were.
class Violations {
 public:
  Violations() = default;
  // Keeps up to `reported_max` instead: for a client carrying the
  // violations a server reported (already capped, the count entry included).
  explicit Violations(size_t reported_max) : reported_max_(reported_max) {}

  void Add(std::string field, std::string description) {
    if (list_.size() < reported_max_) {
      list_.push_back({std::move(field), std::move(description)});
    } else {
      ++omitted_;
    }
  }
  bool empty() const { return list_.empty(); }
  const std::vector<FieldViolation>& list() const { return list_; }  // without the omitted ones
  size_t omitted() const { return omitted_; }
  absl::Status ToStatus() const;

 private:
  size_t reported_max_ = kViolationsReportedMax;
  std::vector<FieldViolation> list_;
  size_t omitted_ = 0;
};

// INVALID_ARGUMENT for a single field.
absl::Status InvalidField(std::string field, std::string description);

// The field violations carried by `status` (empty if none).
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace rcl

#endif  // RCL_LEDGER_STATUS_H_
