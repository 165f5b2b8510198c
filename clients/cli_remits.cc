// `rcl remit`: a payer's remittance (one payment: check, EFT or none) and its
// provider-level adjustments (835 PLB). The claims a remittance pays are
// adjudicated with `rcl claim adjudicate --remit`.
#include <string>
#include <vector>

#include "clients/cli_claims.h"
#include "clients/cli_command.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

absl::Status RunRemitRecord(Invocation& inv) {
  rcl::v1::RecordRemittance cmd;
  cmd.set_remit_id(Str(inv, "id"));
  cmd.set_payer_id(Str(inv, "payer"));
  cmd.set_trace_number(Str(inv, "trace"));
  absl::StatusOr<rcl::v1::PaymentMethod> method =
      Parsed<rcl::v1::PaymentMethod>(inv, "method", ParsePaymentMethod);
  if (!method.ok()) return method.status();
  cmd.set_method(*method);
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_total_cents(*amount);
  cmd.set_paid_date(Str(inv, "date"));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.RecordRemittance(cmd, o); });
}

absl::Status RunRemitProviderAdjustment(Invocation& inv) {
  rcl::v1::RecordProviderAdjustment cmd;
  cmd.set_remit_id(Str(inv, "id"));
  cmd.set_reason_code(Str(inv, "reason"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", true);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_reference(Str(inv, "reference"));
  return DoWrite(
      inv, [&](Client& c, const CommandOptions& o) { return c.RecordProviderAdjustment(cmd, o); });
}

}  // namespace

std::vector<CommandDef> RemitCommands() {
  return {
      {"remit",
       "record",
       "",
       "record a remittance (one payer payment: check, EFT or none)",
       {{"id", kValue, "ID", "remittance id", true},
        {"payer", kValue, "ID", "payer id, e.g. 87726", true},
        {"trace", kValue, "TRN", "trace (check or EFT) number", true},
        {"method", kValue, "METHOD", "CHK, ACH or NON", true},
        {"amount", kValue, "DOLLARS", "total paid, e.g. 945.00", true},
        {"date", kValue, "YYYY-MM-DD", "paid date", true}},
       RunRemitRecord},
      {"remit",
       "provider-adjustment",
       "",
       "a provider-level adjustment (835 PLB) of a remittance; positive reduces the payment",
       {{"id", kValue, "ID", "remittance id", true},
        {"reason", kValue, "CODE", "PLB reason, e.g. L6 interest, WO recoupment, FB", true},
        {"amount", kValue, "DOLLARS", "signed amount, e.g. -12.34", true},
        {"reference", kValue, "REF", "reference identifier"}},
       RunRemitProviderAdjustment},
  };
}

}  // namespace rcl::cli
