#include "ledger/status.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rcl {

namespace check_internal {

CheckFailure::~CheckFailure() {
  const std::string message = message_.str();
  // One write, so that lines from other threads do not interleave with it.
  std::string line = absl::StrCat(file_, ":", line_, ": RCL_CHECK(", condition_, ") failed",
                                  message.empty() ? "" : ": ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace check_internal

namespace {
// Payload type URL under which violations travel inside an absl::Status.
// Encoding: one violation per line, "field\tdescription\n".
constexpr absl::string_view kViolationsPayload = "rcl.dev/FieldViolations";
}  // namespace

absl::Status Violations::ToStatus() const {
  if (list_.empty()) return absl::OkStatus();
  std::string message;
  std::string payload;
  std::vector<FieldViolation> reported = list_;
  if (omitted_ > 0) {
    reported.push_back(
        {"request", absl::StrCat("and ", omitted_, " more violations not reported")});
  }
  for (const FieldViolation& v : reported) {
    if (!message.empty()) absl::StrAppend(&message, "; ");
    absl::StrAppend(&message, v.field, ": ", v.description);
    absl::StrAppend(&payload, v.field, "\t", v.description, "\n");
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kViolationsPayload, absl::Cord(payload));
  return status;
}

absl::Status InvalidField(std::string field, std::string description) {
  Violations v;
  v.Add(std::move(field), std::move(description));
  return v.ToStatus();
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kViolationsPayload);
  if (!payload.has_value()) return out;
  std::string text(*payload);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> parts = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    out.push_back({parts.first, parts.second});
  }
  return out;
}

}  // namespace rcl
