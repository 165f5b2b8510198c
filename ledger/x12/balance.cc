// The 835's sums and balance checks (declared in remit835.h).
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "ledger/x12/amount.h"
#include "ledger/x12/remit835.h"

namespace rcl::x12 {

int64_t ServiceLine::AdjustmentCents() const {
  int64_t sum = 0;
  for (const Adjustment& a : adjustments) sum += a.cents;
  return sum;
}

int64_t ClaimPayment::AdjustmentCents() const {
  int64_t sum = 0;
  for (const Adjustment& a : adjustments) sum += a.cents;
  for (const ServiceLine& line : lines) sum += line.AdjustmentCents();
  return sum;
}

int64_t ProviderAdjustment::TotalCents() const {
  int64_t sum = 0;
  for (const ProviderAdjustmentItem& item : items) sum += item.cents;
  return sum;
}

std::string Remittance::PayerIdentifier() const {
  if (!payer.id.empty()) return payer.id;
  for (const Reference& ref : payer.references) {
    if (ref.qualifier == "2U" && !ref.value.empty()) return ref.value;
  }
  return trace.originator;
}

int64_t Remittance::ClaimsPaidCents() const {
  int64_t sum = 0;
  for (const ClaimPayment& claim : claims) sum += claim.paid_cents;
  return sum;
}

int64_t Remittance::ProviderAdjustmentCents() const {
  int64_t sum = 0;
  for (const ProviderAdjustment& plb : provider_adjustments) sum += plb.TotalCents();
  return sum;
}

absl::Status CheckRemittanceBalance(const Remittance& r) {
  const int64_t paid = r.ClaimsPaidCents();
  const int64_t plb = r.ProviderAdjustmentCents();
  const int64_t expected = r.payment.SignedTotalCents();
  if (paid - plb == expected) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "transaction %s (segment %d): the 835 does not balance: claims paid (sum of CLP04) %s "
      "- provider adjustments (sum of PLB) %s = %s, but BPR02 says %s (difference %s)",
      Printable(r.transaction_control_number), r.file_position, DollarsAndCents(paid),
      DollarsAndCents(plb), DollarsAndCents(paid - plb), DollarsAndCents(expected),
      DollarsAndCents(paid - plb - expected)));
}

absl::Status CheckClaimBalance(const ClaimPayment& c) {
  const int64_t adjusted = c.AdjustmentCents();
  if (c.charge_cents - adjusted == c.paid_cents) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "segment %d (CLP): the claim does not balance: CLP03 %s - adjustments (claim and line "
      "CAS) %s = %s, but CLP04 says %s",
      c.file_position, DollarsAndCents(c.charge_cents), DollarsAndCents(adjusted),
      DollarsAndCents(c.charge_cents - adjusted), DollarsAndCents(c.paid_cents)));
}

absl::Status CheckLineBalance(const ServiceLine& l) {
  const int64_t adjusted = l.AdjustmentCents();
  if (l.charge_cents - adjusted == l.paid_cents) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "segment %d (SVC): the service line does not balance: SVC02 %s - line CAS %s = %s, but "
      "SVC03 says %s",
      l.file_position, DollarsAndCents(l.charge_cents), DollarsAndCents(adjusted),
      DollarsAndCents(l.charge_cents - adjusted), DollarsAndCents(l.paid_cents)));
}

}  // namespace rcl::x12
