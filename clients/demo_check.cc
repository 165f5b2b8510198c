// The end of a demo run (Generator methods; see demo_generator.h): every
// claim of the model checked against the server's view of it (GetClaim),
// then the summary's totals taken from the model.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/demo_generator.h"

namespace rcl::demo::internal {

// Every claim of the model against the server's view of it.
absl::Status Generator::Verify() {
  for (const Claim& claim : claims_) {
    absl::StatusOr<rcl::v1::ClaimView> view = sink_.GetClaim(claim.id);
    if (view.status().code() == absl::StatusCode::kUnimplemented) return absl::OkStatus();
    if (!view.ok()) {
      return absl::Status(view.status().code(), absl::StrCat("demo: reading claim ", claim.id, ": ",
                                                             view.status().message()));
    }
    const std::vector<std::pair<const char*, std::pair<int64_t, int64_t>>> checks = {
        {"payer_balance_cents", {claim.PayerBalance(), view->payer_balance_cents()}},
        {"patient_balance_cents", {claim.PatientBalance(), view->patient_balance_cents()}},
        {"payer_paid_cents", {claim.paid, view->payer_paid_cents()}},
        {"contractual_cents", {claim.contractual, view->contractual_cents()}},
        {"other_adjustment_cents", {claim.other, view->other_adjustment_cents()}},
        {"patient_responsibility_cents",
         {claim.patient_responsibility, view->patient_responsibility_cents()}},
        {"transferred_cents", {claim.transferred_out, view->transferred_cents()}},
        {"patient_paid_cents", {claim.patient_paid, view->patient_paid_cents()}},
        {"written_off_cents",
         {claim.WrittenOff(rcl::v1::BALANCE_SIDE_PAYER) +
              claim.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT),
          view->written_off_cents()}},
        {"denied_cents", {claim.denied, view->denied_cents()}},
        {"charge_cents", {claim.charge, view->charge_cents()}},
        {"frequency", {claim.frequency, view->frequency()}},
        {"rank", {claim.rank, view->rank()}},
    };
    for (const auto& [field, values] : checks) {
      if (values.first != values.second) {
        return absl::InternalError(absl::StrCat("demo: claim ", claim.id, " ", field, " is ",
                                                values.second, " on the server, ", values.first,
                                                " in the demo's model"));
      }
    }
    if (view->status() != StatusName(claim.status)) {
      return absl::InternalError(absl::StrCat("demo: claim ", claim.id, " status is ",
                                              view->status(), " on the server, ",
                                              StatusName(claim.status), " in the demo's model"));
    }
    ++summary_.claims_verified;
  }
  return absl::OkStatus();
}

void Generator::Summarize() {
  for (const Claim& c : claims_) {
    summary_.payer_paid_cents += c.paid;
    summary_.contractual_cents += c.contractual;
    summary_.other_adjustment_cents += c.other;
    summary_.patient_responsibility_cents += c.patient_responsibility;
    summary_.written_off_cents +=
        c.WrittenOff(rcl::v1::BALANCE_SIDE_PAYER) + c.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT);
    summary_.payer_balance_cents += c.PayerBalance();
    summary_.patient_balance_cents += c.PatientBalance();
  }
  for (const Patient& p : patients_) summary_.patient_credit_cents += p.credit_cents;
  summary_.positions_digest = absl::StrFormat("%016x", digest_);
}

}  // namespace rcl::demo::internal
