// libFuzzer target over the X12 reader and the 835 parser (built with
// -DRCL_FUZZ=ON and clang; run by ops/fuzz). Beyond "no crash, no sanitizer
// report", it checks invariants: every error has a message, parsed amounts
// survive a format/parse round trip, and the balance helpers never fail
// with anything but FAILED_PRECONDITION.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "ledger/x12/amount.h"
#include "ledger/x12/reader.h"
#include "ledger/x12/remit835.h"

namespace {

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckBalanceStatus(const absl::Status& st) {
  Require(st.ok() || st.code() == absl::StatusCode::kFailedPrecondition);
}

void ExerciseDocument(const rcl::x12::Document& doc) {
  for (const rcl::x12::Interchange& ic : doc.interchanges) {
    for (const rcl::x12::FunctionalGroup& group : ic.groups) {
      for (const rcl::x12::TransactionSet& tx : group.transactions) {
        for (const rcl::x12::Segment& s : tx.segments) {
          const size_t n = s.ElementCount();
          for (size_t i = 0; i <= n + 1; ++i) Require(!s.CompositeAt(i).components.empty());
        }
      }
    }
  }
}

void ExerciseAmount(std::string_view text) {
  absl::StatusOr<int64_t> cents = rcl::x12::ParseCents(text);
  if (cents.ok()) {
    absl::StatusOr<int64_t> again = rcl::x12::ParseCents(rcl::x12::FormatCents(*cents));
    Require(again.ok() && *again == *cents);
  }
  absl::StatusOr<int64_t> milli = rcl::x12::ParseMilli(text);
  if (milli.ok()) {
    absl::StatusOr<int64_t> again = rcl::x12::ParseMilli(rcl::x12::FormatMilli(*milli));
    Require(again.ok() && *again == *milli);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ExerciseAmount(bytes.substr(0, rcl::x12::kDecimalTextMax + 1));
  absl::StatusOr<rcl::x12::Document> doc = rcl::x12::ReadX12(bytes);
  if (!doc.ok()) {
    Require(!doc.status().message().empty());
    return 0;
  }
  ExerciseDocument(*doc);
  absl::StatusOr<rcl::x12::RemittanceFile> file = rcl::x12::Parse835(*doc);
  if (!file.ok()) {
    Require(!file.status().message().empty());
    return 0;
  }
  for (const rcl::x12::Remittance& r : file->remittances) {
    CheckBalanceStatus(rcl::x12::CheckRemittanceBalance(r));
    Require(!r.trace.trace_number.empty());
    for (const rcl::x12::ClaimPayment& c : r.claims) {
      CheckBalanceStatus(rcl::x12::CheckClaimBalance(c));
      for (const rcl::x12::ServiceLine& l : c.lines)
        CheckBalanceStatus(rcl::x12::CheckLineBalance(l));
    }
  }
  return 0;
}
