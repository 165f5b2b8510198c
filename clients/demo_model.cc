// The demo model's plain functions (see demo_model.h): dates and padded
// numbers as the demo writes them, claim status names as GetClaim reports
// them, and the ledger's line rules the model folds with.
#include "clients/demo_model.h"

#include "absl/strings/str_format.h"

namespace rcl::demo::internal {

std::string Date(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string Pad(int64_t n, int width) { return absl::StrFormat("%0*d", width, n); }

const char* StatusName(Status s) {
  switch (s) {
    case Status::kCreated: return "created";
    case Status::kScrubFailed: return "scrub_failed";
    case Status::kReady: return "ready";
    case Status::kSubmitted: return "submitted";
    case Status::kAccepted: return "accepted";
    case Status::kRejected: return "rejected";
    case Status::kAdjudicated: return "adjudicated";
    case Status::kDenied: return "denied";
    case Status::kReplaced: return "replaced";
    case Status::kVoided: return "voided";
  }
  return "unknown";
}

bool LineDenied(const rcl::v1::LineAdjudication& line, rcl::v1::ClaimPaymentStatus status) {
  if (line.paid_cents() != 0) return false;
  if (status == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED) return true;
  int64_t patient_responsibility = 0;
  bool adjusted = false;
  for (const auto& adj : line.adjustments()) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
      patient_responsibility += adj.amount_cents();
    } else if (adj.amount_cents() > 0 && adj.reason_code() != "23") {
      adjusted = true;
    }
  }
  return adjusted && patient_responsibility <= 0;
}

void AddAdjustment(rcl::v1::LineAdjudication* line, rcl::v1::AdjustmentGroup group,
                   const char* reason, int64_t cents, const char* remark) {
  if (cents == 0) return;
  auto* a = line->add_adjustments();
  a->set_group(group);
  a->set_reason_code(reason);
  a->set_remark_code(remark);
  a->set_amount_cents(cents);
}

int64_t PatientShare(const rcl::v1::LineAdjudication& line) {
  int64_t pr = 0;
  for (const auto& adj : line.adjustments()) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) pr += adj.amount_cents();
  }
  return pr;
}

}  // namespace rcl::demo::internal
