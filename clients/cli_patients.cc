// `rcl patient` and `rcl coverage`: registering a patient and the coverages
// (payer plans) of a patient, and the patient's money: payments, statements
// and refunds. Two tables, because `rcl --help` lists the patient's money
// after the claims-to-cash commands (see cli_command.h).
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cli_claims.h"
#include "clients/cli_command.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

absl::Status RunPatientRegister(Invocation& inv) {
  rcl::v1::RegisterPatient cmd;
  cmd.set_patient_id(Str(inv, "id"));
  cmd.set_family_name(Str(inv, "family"));
  cmd.set_given_name(Str(inv, "given"));
  cmd.set_birth_date(Str(inv, "birth-date"));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.RegisterPatient(cmd, o); });
}

absl::Status RunCoverageAdd(Invocation& inv) {
  rcl::v1::AddCoverage cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_coverage_id(Str(inv, "id"));
  cmd.set_payer_id(Str(inv, "payer"));
  cmd.set_payer_name(Str(inv, "payer-name"));
  cmd.set_member_id(Str(inv, "member-id"));
  absl::StatusOr<int32_t> rank = Int32Flag(inv, "rank", 0);
  if (!rank.ok()) return rank.status();
  cmd.set_rank(*rank);
  cmd.set_effective_from(Str(inv, "from"));
  cmd.set_effective_to(Str(inv, "to"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.AddCoverage(cmd, o); });
}

absl::Status RunCoverageEnd(Invocation& inv) {
  rcl::v1::EndCoverage cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_coverage_id(Str(inv, "id"));
  cmd.set_effective_to(Str(inv, "to"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.EndCoverage(cmd, o); });
}

absl::Status RunPatientPay(Invocation& inv) {
  rcl::v1::ReceivePatientPayment cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_payment_id(Str(inv, "id"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_method(Str(inv, "method"));
  for (std::string& id : inv.args().Values("claim")) cmd.add_claim_ids(std::move(id));
  cmd.set_received_date(Str(inv, "date"));
  return DoWrite(
      inv, [&](Client& c, const CommandOptions& o) { return c.ReceivePatientPayment(cmd, o); });
}

absl::Status RunPatientStatement(Invocation& inv) {
  rcl::v1::IssuePatientStatement cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_statement_date(Str(inv, "date"));
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::CommandResponse> r = (*client)->IssuePatientStatement(cmd, *options);
  if (!r.ok()) return r.status();
  return PrintWriteAndEvent<rcl::v1::PatientStatementIssued>(
      inv, **client, *r, absl::StrCat("patient-", cmd.patient_id()), AppendStatementJson,
      StatementText);
}

absl::Status RunPatientRefund(Invocation& inv) {
  rcl::v1::RefundPatient cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_refund_id(Str(inv, "id"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.RefundPatient(cmd, o); });
}

}  // namespace

std::vector<CommandDef> PatientRegistrationCommands() {
  return {
      {"patient",
       "register",
       "",
       "register a patient",
       {{"id", kValue, "ID", "patient id", true},
        {"family", kValue, "NAME", "family name", true},
        {"given", kValue, "NAME", "given name", true},
        {"birth-date", kValue, "YYYY-MM-DD", "birth date", true}},
       RunPatientRegister},
      {"coverage",
       "add",
       "",
       "add a coverage (payer plan) to a patient",
       {kPatientIdFlag,
        {"id", kValue, "ID", "coverage id", true},
        {"payer", kValue, "ID", "payer id", true},
        {"payer-name", kValue, "NAME", "payer name", true},
        {"member-id", kValue, "ID", "member id", true},
        {"rank", kValue, "N", "1 primary, 2 secondary, 3 tertiary", true},
        {"from", kValue, "YYYY-MM-DD", "first day in force", true},
        {"to", kValue, "YYYY-MM-DD", "last day in force (default: open ended)"}},
       RunCoverageAdd},
      {"coverage",
       "end",
       "",
       "end a coverage",
       {kPatientIdFlag,
        {"id", kValue, "ID", "coverage id", true},
        {"to", kValue, "YYYY-MM-DD", "last day in force", true}},
       RunCoverageEnd},
  };
}

std::vector<CommandDef> PatientAccountCommands() {
  return {
      {"patient",
       "pay",
       "",
       "receive a patient payment (applied to --claim in order, else oldest balance first)",
       {kPatientIdFlag,
        {"id", kValue, "ID", "payment id", true},
        {"amount", kValue, "DOLLARS", "amount, e.g. 300.00", true},
        {"method", kValue, "METHOD", "card, cash, check, ...", true},
        {"claim", kRepeated, "ID", "apply to this claim"},
        {"date", kValue, "YYYY-MM-DD", "received date (default: today)"}},
       RunPatientPay},
      {"patient",
       "statement",
       "",
       "issue a patient statement and print its lines and balance",
       {kPatientIdFlag, {"date", kValue, "YYYY-MM-DD", "statement date (default: today)"}},
       RunPatientStatement},
      {"patient",
       "refund",
       "",
       "refund part of a patient's credit balance",
       {kPatientIdFlag,
        {"amount", kValue, "DOLLARS", "amount, e.g. 20.00", true},
        {"id", kValue, "ID", "refund id"}},
       RunPatientRefund},
  };
}

}  // namespace rcl::cli
