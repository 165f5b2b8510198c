// The rows of the bad-input matrix (tests/integration/bad_input_matrix_test.cc):
// per RPC, requests in protobuf text format that are empty, oversize ($BIG
// stands for 70,000 bytes), of the wrong format, negative, naming unknown ids,
// or in the wrong state for what SetUpState() made, with the code and a
// message substring the server must answer.
#ifndef RCL_TESTS_INTEGRATION_BAD_INPUT_ROWS_H_
#define RCL_TESTS_INTEGRATION_BAD_INPUT_ROWS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "grpcpp/grpcpp.h"

namespace rcl::bad_input {

inline constexpr char kTenant[] = "acme";

struct Row {
  std::string rpc;      // "LedgerService.RegisterPatient"
  std::string what;     // starts with its kind: empty, oversize, format, negative, unknown, state
  std::string request;  // text format
  grpc::StatusCode code;
  std::string message;  // a substring of the message (field violations included)
};

// A command request of the matrix's tenant.
inline std::string Cmd(const std::string& command) {
  return absl::StrCat("context { tenant: \"", kTenant, "\" } command { ", command, " }");
}
inline std::string Ctx(const std::string& rest) {
  return absl::StrCat("context { tenant: \"", kTenant, "\" } ", rest);
}
inline std::string Tenant(const std::string& rest = "") {
  return absl::StrCat("tenant: \"", kTenant, "\" ", rest);
}

// `n` RegisterPatient commands of patient `patient` in an ExecuteBatch
// request (text format).
inline std::string BatchOf(int n, const std::string& patient) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&out, "commands { context { tenant: \"", kTenant,
                    "\" } command { register_patient { patient_id: \"", patient,
                    "\" family_name: \"Doe\" given_name: \"Jo\" birth_date: \"1980-01-01\" "
                    "} } } ");
  }
  return out;
}

// What the rows refer to: patient P1 with coverage C1; encounter E1 coded
// and complete (one charge line); claim CL1 created, neither scrubbed nor
// submitted; remittance R1.
inline absl::Status SetUpState(client::Client& c) {
  v1::RegisterPatient p;
  p.set_patient_id("P1");
  p.set_family_name("Doe");
  p.set_given_name("Jane");
  p.set_birth_date("1980-01-01");
  client::CommandOptions id;
  id.command_id = "setup-P1";
  if (auto r = c.RegisterPatient(p, id); !r.ok()) return r.status();
  v1::AddCoverage cov;
  cov.set_patient_id("P1");
  cov.set_coverage_id("C1");
  cov.set_payer_id("87726");
  cov.set_payer_name("ACME HEALTH");
  cov.set_member_id("M1");
  cov.set_rank(1);
  cov.set_effective_from("2025-01-01");
  if (auto r = c.AddCoverage(cov); !r.ok()) return r.status();
  v1::OpenEncounter e;
  e.set_encounter_id("E1");
  e.set_patient_id("P1");
  e.set_rendering_npi("1234567893");
  e.set_billing_npi("1234567893");
  e.set_date_of_service("2025-03-03");
  e.set_place_of_service("11");
  if (auto r = c.OpenEncounter(e); !r.ok()) return r.status();
  v1::RecordDiagnoses d;
  d.set_encounter_id("E1");
  d.add_icd10_codes("E11.9");
  if (auto r = c.RecordDiagnoses(d); !r.ok()) return r.status();
  v1::RecordCharge ch;
  ch.set_encounter_id("E1");
  ch.set_line_number(1);
  ch.set_cpt("99213");
  ch.set_units(1);
  ch.set_amount_cents(15000);
  ch.add_diagnosis_pointers(1);
  if (auto r = c.RecordCharge(ch); !r.ok()) return r.status();
  v1::CompleteCoding cc;
  cc.set_encounter_id("E1");
  if (auto r = c.CompleteCoding(cc); !r.ok()) return r.status();
  v1::CreateClaim cl;
  cl.set_claim_id("CL1");
  cl.set_encounter_id("E1");
  cl.set_coverage_id("C1");
  if (auto r = c.CreateClaim(cl); !r.ok()) return r.status();
  v1::RecordRemittance rm;
  rm.set_remit_id("R1");
  rm.set_payer_id("87726");
  rm.set_trace_number("TRN1");
  rm.set_method(v1::PAYMENT_METHOD_ACH);
  rm.set_total_cents(1000);
  rm.set_paid_date("2025-04-01");
  if (auto r = c.RecordRemittance(rm); !r.ok()) return r.status();
  return absl::OkStatus();
}

// RPCs with nothing a caller could get wrong, and why.
inline const std::set<std::string>& Exempt() {
  static const std::set<std::string> exempt = {
      "ReportService.ProjectionStatus",  // no input: every request is the same
      "AuditService.GetPublicKey",       // no input: every request is the same
  };
  return exempt;
}

inline const std::vector<Row>& Rows();

inline bool HasKind(const std::string& rpc, const std::string& kind) {
  for (const Row& r : Rows())
    if (r.rpc == rpc && absl::StartsWith(r.what, kind)) return true;
  return false;
}

using grpc::StatusCode;
inline constexpr StatusCode kInvalid = StatusCode::INVALID_ARGUMENT;
inline constexpr StatusCode kNotFound =
    StatusCode::NOT_FOUND;  // reads only: commands say FAILED_PRECONDITION
inline constexpr StatusCode kPrecondition = StatusCode::FAILED_PRECONDITION;
inline constexpr StatusCode kOutOfRange = StatusCode::OUT_OF_RANGE;
inline constexpr StatusCode kExists = StatusCode::ALREADY_EXISTS;
inline constexpr StatusCode kOk = StatusCode::OK;  // an empty request that is valid

inline const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      // --- LedgerService: patients and coverage.
      {"LedgerService.RegisterPatient", "empty request", "", kInvalid, "tenant"},
      {"LedgerService.RegisterPatient", "oversize patient id",
       Cmd("patient_id: \"$BIG\" family_name: \"Doe\" given_name: \"Jane\" birth_date: "
           "\"1980-01-01\""),
       kInvalid, "patient_id"},
      {"LedgerService.RegisterPatient", "format: birth date 1980-13-45",
       Cmd("patient_id: \"P9\" family_name: \"Doe\" given_name: \"Jane\" birth_date: "
           "\"1980-13-45\""),
       kInvalid, "birth_date"},
      {"LedgerService.RegisterPatient", "format: tenant with a space",
       "context { tenant: \"bad tenant\" } command { patient_id: \"P9\" family_name: \"Doe\" "
       "given_name: \"Jane\" birth_date: \"1980-01-01\" }",
       kInvalid, "tenant"},
      {"LedgerService.RegisterPatient", "state: a used command id with another payload",
       "context { tenant: \"acme\" command_id: \"setup-P1\" } command { patient_id: \"P2\" "
       "family_name: \"Doe\" given_name: \"Jane\" birth_date: \"1980-01-01\" }",
       kExists, "command id was already used"},
      {"LedgerService.RegisterPatient", "state: P1 exists",
       Cmd("patient_id: \"P1\" family_name: \"Doe\" given_name: \"Jane\" birth_date: "
           "\"1980-01-01\""),
       kPrecondition, "P1"},
      {"LedgerService.AddCoverage", "empty command", Cmd(""), kInvalid, "patient_id"},
      {"LedgerService.AddCoverage", "negative rank",
       Cmd("patient_id: \"P1\" coverage_id: \"C9\" payer_id: \"87726\" payer_name: \"X\" "
           "member_id: \"M\" rank: -1 effective_from: \"2025-01-01\""),
       kInvalid, "rank"},
      {"LedgerService.AddCoverage", "unknown patient",
       Cmd("patient_id: \"NOPE\" coverage_id: \"C9\" payer_id: \"87726\" payer_name: \"X\" "
           "member_id: \"M\" rank: 2 effective_from: \"2025-01-01\""),
       kPrecondition, "NOPE"},
      {"LedgerService.EndCoverage", "empty command", Cmd(""), kInvalid, "patient_id"},
      {"LedgerService.EndCoverage", "format: 2025-02-30",
       Cmd("patient_id: \"P1\" coverage_id: \"C1\" effective_to: \"2025-02-30\""), kInvalid,
       "effective_to"},
      {"LedgerService.EndCoverage", "unknown coverage",
       Cmd("patient_id: \"P1\" coverage_id: \"NOPE\" effective_to: \"2025-12-31\""), kPrecondition,
       "NOPE"},
      // --- Encounters and coding.
      {"LedgerService.OpenEncounter", "empty command", Cmd(""), kInvalid, "encounter_id"},
      {"LedgerService.OpenEncounter", "format: NPI check digit",
       Cmd("encounter_id: \"E9\" patient_id: \"P1\" rendering_npi: \"1234567890\" billing_npi: "
           "\"1234567893\" date_of_service: \"2025-03-03\" place_of_service: \"11\""),
       kInvalid, "rendering_npi"},
      {"LedgerService.OpenEncounter", "unknown patient",
       Cmd("encounter_id: \"E9\" patient_id: \"NOPE\" rendering_npi: \"1234567893\" "
           "billing_npi: \"1234567893\" date_of_service: \"2025-03-03\" place_of_service: \"11\""),
       kPrecondition, "NOPE"},
      {"LedgerService.RecordDiagnoses", "empty command", Cmd(""), kInvalid, "encounter_id"},
      {"LedgerService.RecordDiagnoses", "format: ICD-10 ZZZ",
       Cmd("encounter_id: \"E1\" icd10_codes: \"ZZZ\""), kInvalid, "icd10_codes"},
      {"LedgerService.RecordDiagnoses", "unknown encounter",
       Cmd("encounter_id: \"NOPE\" icd10_codes: \"I10\""), kPrecondition, "NOPE"},
      {"LedgerService.RecordDiagnoses", "state: E1 coding complete",
       Cmd("encounter_id: \"E1\" icd10_codes: \"I10\""), kPrecondition, "E1"},
      {"LedgerService.RecordCharge", "empty command", Cmd(""), kInvalid, "encounter_id"},
      {"LedgerService.RecordCharge", "negative amount",
       Cmd("encounter_id: \"E1\" line_number: 2 cpt: \"99213\" units: 1 amount_cents: -100 "
           "diagnosis_pointers: 1"),
       kInvalid, "amount_cents"},
      {"LedgerService.RecordCharge", "format: CPT 9921",
       Cmd("encounter_id: \"E1\" line_number: 2 cpt: \"9921\" units: 1 amount_cents: 100 "
           "diagnosis_pointers: 1"),
       kInvalid, "cpt"},
      {"LedgerService.RecordCharge", "oversize modifiers",
       Cmd("encounter_id: \"E1\" line_number: 2 cpt: \"99213\" modifiers: \"$BIG\" units: 1 "
           "amount_cents: 100 diagnosis_pointers: 1"),
       kInvalid, "modifiers"},
      {"LedgerService.RecordCharge", "state: E1 coding complete",
       Cmd("encounter_id: \"E1\" line_number: 2 cpt: \"99213\" units: 1 amount_cents: 100 "
           "diagnosis_pointers: 1"),
       kPrecondition, "E1"},
      {"LedgerService.VoidCharge", "empty command", Cmd(""), kInvalid, "encounter_id"},
      {"LedgerService.VoidCharge", "state: E1 coding complete (line 99 unknown too)",
       Cmd("encounter_id: \"E1\" line_number: 99 reason: \"dup\""), kPrecondition,
       "completed coding"},
      {"LedgerService.CompleteCoding", "empty command", Cmd(""), kInvalid, "encounter_id"},
      {"LedgerService.CompleteCoding", "unknown encounter", Cmd("encounter_id: \"NOPE\""),
       kPrecondition, "NOPE"},
      {"LedgerService.CompleteCoding", "state: E1 already complete", Cmd("encounter_id: \"E1\""),
       kPrecondition, "E1"},
      // --- Claims.
      {"LedgerService.CreateClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.CreateClaim", "unknown encounter",
       Cmd("claim_id: \"CL9\" encounter_id: \"NOPE\" coverage_id: \"C1\""), kPrecondition, "NOPE"},
      {"LedgerService.CreateClaim", "state: CL1 exists",
       Cmd("claim_id: \"CL1\" encounter_id: \"E1\" coverage_id: \"C1\""), kPrecondition, "CL1"},
      {"LedgerService.ScrubClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.ScrubClaim", "unknown claim", Cmd("claim_id: \"NOPE\""), kPrecondition,
       "NOPE"},
      {"LedgerService.SubmitClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.SubmitClaim", "unknown claim", Cmd("claim_id: \"NOPE\""), kPrecondition,
       "NOPE"},
      {"LedgerService.SubmitClaim", "state: CL1 never scrubbed", Cmd("claim_id: \"CL1\""),
       kPrecondition, "scrub"},
      {"LedgerService.AcknowledgeClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.AcknowledgeClaim", "format: rejected without a reason",
       Cmd("claim_id: \"CL1\" accepted: false"), kInvalid, "reason"},
      {"LedgerService.AcknowledgeClaim", "state: CL1 not submitted",
       Cmd("claim_id: \"CL1\" accepted: true"), kPrecondition, "CL1"},
      {"LedgerService.ReplaceClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.ReplaceClaim", "unknown original",
       Cmd("claim_id: \"CL9\" original_claim_id: \"NOPE\" payer_claim_number: \"PCN\""),
       kPrecondition, "NOPE"},
      {"LedgerService.VoidClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.VoidClaim", "unknown original",
       Cmd("claim_id: \"CL9\" original_claim_id: \"NOPE\" payer_claim_number: \"PCN\""),
       kPrecondition, "NOPE"},
      // --- Remittances and adjudication.
      {"LedgerService.RecordRemittance", "empty command", Cmd(""), kInvalid, "remit_id"},
      {"LedgerService.RecordRemittance", "negative total",
       Cmd("remit_id: \"R9\" payer_id: \"87726\" trace_number: \"T9\" method: PAYMENT_METHOD_ACH "
           "total_cents: -5 paid_date: \"2025-04-01\""),
       kInvalid, "total_cents"},
      {"LedgerService.RecordRemittance", "state: R1 exists",
       Cmd("remit_id: \"R1\" payer_id: \"87726\" trace_number: \"T9\" method: PAYMENT_METHOD_ACH "
           "total_cents: 5 paid_date: \"2025-04-01\""),
       kPrecondition, "R1"},
      {"LedgerService.AdjudicateClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.AdjudicateClaim", "negative paid",
       Cmd("claim_id: \"CL1\" remit_id: \"R1\" payer_claim_number: \"PCN\" status: "
           "CLAIM_PAYMENT_STATUS_PRIMARY lines { line_number: 1 paid_cents: -1 }"),
       kInvalid, "paid_cents"},
      {"LedgerService.AdjudicateClaim", "unknown claim",
       Cmd("claim_id: \"NOPE\" remit_id: \"R1\" payer_claim_number: \"PCN\" status: "
           "CLAIM_PAYMENT_STATUS_PRIMARY lines { line_number: 1 paid_cents: 0 }"),
       kPrecondition, "NOPE"},
      {"LedgerService.ReverseAdjudication", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.ReverseAdjudication", "state: CL1 never adjudicated",
       Cmd("claim_id: \"CL1\" remit_id: \"R1\""), kPrecondition, "CL1"},
      {"LedgerService.RecordProviderAdjustment", "empty command", Cmd(""), kInvalid, "remit_id"},
      {"LedgerService.RecordProviderAdjustment", "unknown remittance",
       Cmd("remit_id: \"NOPE\" reason_code: \"L6\" amount_cents: -100 reference: \"X\""),
       kPrecondition, "NOPE"},
      {"LedgerService.AdjustClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.AdjustClaim", "unknown claim",
       Cmd("claim_id: \"NOPE\" group: ADJUSTMENT_GROUP_CO reason_code: \"45\" amount_cents: 100"),
       kPrecondition, "NOPE"},
      {"LedgerService.WriteOffClaim", "empty command", Cmd(""), kInvalid, "claim_id"},
      {"LedgerService.WriteOffClaim", "negative amount",
       Cmd("claim_id: \"CL1\" reason: WRITE_OFF_REASON_SMALL_BALANCE amount_cents: -1"), kInvalid,
       "amount_cents"},
      // --- Appeals and the patient side.
      {"LedgerService.FileAppeal", "empty command", Cmd(""), kInvalid, "appeal_id"},
      {"LedgerService.FileAppeal", "format: level 7",
       Cmd("appeal_id: \"A1\" claim_id: \"CL1\" level: 7 reason: \"x\""), kInvalid, "level"},
      {"LedgerService.FileAppeal", "unknown claim",
       Cmd("appeal_id: \"A1\" claim_id: \"NOPE\" level: 1 reason: \"x\""), kPrecondition, "NOPE"},
      {"LedgerService.DecideAppeal", "empty command", Cmd(""), kInvalid, "appeal_id"},
      {"LedgerService.DecideAppeal", "unknown appeal",
       Cmd("appeal_id: \"NOPE\" outcome: APPEAL_OUTCOME_UPHELD"), kPrecondition, "NOPE"},
      {"LedgerService.ReceivePatientPayment", "empty command", Cmd(""), kInvalid, "patient_id"},
      {"LedgerService.ReceivePatientPayment", "negative amount",
       Cmd("patient_id: \"P1\" payment_id: \"PP1\" amount_cents: -100 method: \"card\""), kInvalid,
       "amount_cents"},
      {"LedgerService.ReceivePatientPayment", "unknown patient",
       Cmd("patient_id: \"NOPE\" payment_id: \"PP1\" amount_cents: 100 method: \"card\""),
       kPrecondition, "NOPE"},
      {"LedgerService.IssuePatientStatement", "empty command", Cmd(""), kInvalid, "patient_id"},
      {"LedgerService.IssuePatientStatement", "unknown patient", Cmd("patient_id: \"NOPE\""),
       kPrecondition, "NOPE"},
      {"LedgerService.RefundPatient", "empty command", Cmd(""), kInvalid, "patient_id"},
      {"LedgerService.RefundPatient", "negative amount", Cmd("patient_id: \"P1\" amount_cents: -5"),
       kInvalid, "amount_cents"},
      {"LedgerService.RefundPatient", "state: P1 has no credit",
       Cmd("patient_id: \"P1\" amount_cents: 500"), kPrecondition, "credit"},
      {"LedgerService.GetClaim", "empty request", "", kInvalid, "tenant"},
      {"LedgerService.GetClaim", "unknown claim", Tenant("claim_id: \"NOPE\""), kNotFound, "NOPE"},
      {"LedgerService.GetClaim", "format: as of a position past the head",
       Tenant("claim_id: \"CL1\" as_of_position: 999999"), kOutOfRange, "head"},
      // --- X12.
      {"LedgerService.AliasPayer", "empty command", Cmd(""), kInvalid, "x12_id"},
      {"LedgerService.AliasPayer", "oversize x12 id", Cmd("x12_id: \"$BIG\" payer_id: \"87726\""),
       kInvalid, "x12_id"},
      {"LedgerService.ApplySuspendedPayment", "empty command", Cmd(""), kInvalid, "item_id"},
      {"LedgerService.ApplySuspendedPayment", "unknown item",
       Cmd("item_id: \"NOPE\" claim_id: \"CL1\""), kPrecondition, "NOPE"},
      {"LedgerService.ImportRemittanceFile", "empty request", Ctx(""), kInvalid, "x12"},
      {"LedgerService.ImportRemittanceFile", "format: not X12", Ctx("x12: \"hello, world\""),
       kInvalid, "ISA"},
      {"LedgerService.ImportRemittanceFileStream", "empty request", Ctx(""), kInvalid, "x12"},
      {"LedgerService.ImportRemittanceFileStream", "format: not X12", Ctx("x12: \"hello, world\""),
       kInvalid, "ISA"},
      {"LedgerService.ExportClaims837", "empty request", Ctx(""), kInvalid, "claim_ids"},
      {"LedgerService.ExportClaims837", "unknown claim", Ctx("claim_ids: \"NOPE\""), kNotFound,
       "NOPE"},
      // --- ExecuteBatch: the batch's shape or an invalid command inside
      // refuses the call; a command refused by the state is answered in its
      // result (the call is OK).
      {"LedgerService.ExecuteBatch", "empty request", "", kInvalid, "1 to 1000 commands, not 0"},
      {"LedgerService.ExecuteBatch", "oversize: 1001 commands", BatchOf(1001, "P1"), kInvalid,
       "1 to 1000 commands, not 1001"},
      {"LedgerService.ExecuteBatch", "oversize: more than 4 MiB", BatchOf(61, "$BIG"),
       StatusCode::RESOURCE_EXHAUSTED, "at most 4194304"},
      {"LedgerService.ExecuteBatch", "format: a command without a kind",
       "commands { context { tenant: \"acme\" } }", kInvalid, "commands[0].command"},
      {"LedgerService.ExecuteBatch", "format: an import inside",
       "commands { context { tenant: \"acme\" } command { import_remittance_file { } } }", kInvalid,
       "cannot be batched"},
      {"LedgerService.ExecuteBatch",
       "empty patient id inside a batch: the call is refused, naming the command's field",
       absl::StrCat(BatchOf(1, "P9"), BatchOf(1, "")), kInvalid,
       "commands[1].command.register_patient.patient_id"},
      {"LedgerService.ExecuteBatch", "state: refused command inside a batch (answered per command)",
       BatchOf(1, "P1"), kOk, ""},
      // --- CommandStream: a command is refused in its own answer (the
      // stream goes on); a message that is not commands ends the call.
      {"LedgerService.CommandStream", "empty request: a message of no command ends the stream", "",
       kInvalid, "holds 0 commands; a message holds 1 to 64"},
      {"LedgerService.CommandStream", "a command without a kind", "commands { tag: 1 }", kInvalid,
       "command: must hold a command"},
      {"LedgerService.CommandStream", "format: an import",
       "commands { command { context { tenant: \"acme\" } command { import_remittance_file { } } } "
       "}",
       kInvalid, "cannot be batched"},
      {"LedgerService.CommandStream", "empty patient id, named from the command",
       "commands { tag: 1 command { context { tenant: \"acme\" } command { register_patient { "
       "patient_id: \"\" family_name: \"Doe\" given_name: \"Jo\" birth_date: \"1980-01-01\" } } } "
       "}",
       kInvalid, "command.register_patient.patient_id"},
      {"LedgerService.CommandStream", "oversize patient id",
       "commands { command { context { tenant: \"acme\" } command { register_patient { patient_id: "
       "\"$BIG\" family_name: \"Doe\" given_name: \"Jo\" birth_date: \"1980-01-01\" } } } }",
       kInvalid, "command.register_patient.patient_id"},
      {"LedgerService.CommandStream", "oversize: a message over 256 KiB ends the stream",
       "commands { command { context { tenant: \"acme\" } command { register_patient { patient_id: "
       "\"$BIG\" family_name: \"$BIG\" given_name: \"$BIG\" birth_date: \"$BIG\" } } } }",
       StatusCode::RESOURCE_EXHAUSTED, "at most 262144"},
      {"LedgerService.CommandStream", "format: a command without a tenant",
       "commands { command { command { register_patient { patient_id: \"P7\" } } } }", kInvalid,
       "context.tenant"},
      // --- LogService.
      {"LogService.ReadStream", "empty request", "", kInvalid, "tenant"},
      {"LogService.ReadStream", "oversize stream", Tenant("stream: \"$BIG\""), kInvalid, "stream"},
      {"LogService.ReadStream", "format: past the stream's end",
       Tenant("stream: \"patient-P1\" from_version: 50"), kOutOfRange, "version"},
      {"LogService.ReadAll", "empty request", "", kInvalid, "tenant"},
      {"LogService.ReadAll", "format: past the head", Tenant("from_position: 999999"), kOutOfRange,
       "head"},
      {"LogService.Subscribe", "empty request", "", kInvalid, "tenant"},
      {"LogService.Subscribe", "format: past the head", Tenant("from_position: 999999"),
       kOutOfRange, "head"},
      {"LogService.Head", "empty request: the whole log's head (valid)", "", kOk, ""},
      {"LogService.Head", "format: tenant with a space", "tenant: \"bad tenant\"", kInvalid,
       "tenant"},
      {"LogService.Head", "oversize tenant", "tenant: \"$BIG\"", kInvalid, "tenant"},
      {"LogService.Verify", "empty request: the whole log (valid)", "", kOk, ""},
      {"LogService.Verify", "format: from past the head", "from_position: 999999", kOutOfRange,
       "head"},
      {"LogService.Verify", "format: from after to", "from_position: 5 to_position: 2", kInvalid,
       "from_position"},
      {"LogService.Digest", "empty request: the head's digest (valid)", "", kOk, ""},
      {"LogService.Digest", "format: position past the head", "position: 999999", kOutOfRange,
       "head"},
      // --- ReportService.
      {"ReportService.Balances", "empty request", "", kInvalid, "tenant"},
      {"ReportService.Balances", "format: two scopes",
       Tenant("claim_id: \"CL1\" patient_id: \"P1\""), kInvalid, "one"},
      {"ReportService.TrialBalance", "empty request", "", kInvalid, "tenant"},
      {"ReportService.TrialBalance", "format: date 2025-02-30",
       Tenant("as_of_date: \"2025-02-30\""), kInvalid, "as_of_date"},
      {"ReportService.ArAging", "empty request", "", kInvalid, "tenant"},
      {"ReportService.ArAging", "format: a page token not ours", Tenant("page_token: \"garbage\""),
       kInvalid, "page_token"},
      {"ReportService.Denials", "empty request", "", kInvalid, "tenant"},
      {"ReportService.Denials", "oversize payer", Tenant("payer_id: \"$BIG\""), kInvalid,
       "payer_id"},
      {"ReportService.AppealsDue", "empty request", "", kInvalid, "tenant"},
      {"ReportService.AppealsDue", "format: date", Tenant("as_of_date: \"tomorrow\""), kInvalid,
       "as_of_date"},
      {"ReportService.NoResponse", "empty request", "", kInvalid, "tenant"},
      {"ReportService.NoResponse", "format: date", Tenant("as_of_date: \"2025/01/01\""), kInvalid,
       "as_of_date"},
      {"ReportService.StatementsDue", "empty request", "", kInvalid, "tenant"},
      {"ReportService.StatementsDue", "format: date", Tenant("as_of_date: \"01-01-2025\""),
       kInvalid, "as_of_date"},
      {"ReportService.History", "empty request", "", kInvalid, "tenant"},
      {"ReportService.History", "unknown claim", Tenant("kind: HISTORY_KIND_CLAIM id: \"NOPE\""),
       kNotFound, "NOPE"},
      {"ReportService.RebuildProjection", "empty request", "", kInvalid, "name"},
      {"ReportService.RebuildProjection", "unknown projection", "name: \"nope\"", kNotFound,
       "nope"},
      // --- AdminService.
      {"AdminService.Backup", "empty request", "", kInvalid, "to: must be an absolute directory"},
      {"AdminService.Backup", "format: a relative directory", "to: \"backups/here\"", kInvalid,
       "absolute"},
      // --- AuditService.
      {"AuditService.GetSignedTreeHead", "empty request", "", kInvalid, "tenant"},
      {"AuditService.GetSignedTreeHead", "format: tenant with a slash", "tenant: \"a/b\"", kInvalid,
       "tenant"},
      {"AuditService.GetInclusionProof", "empty request", "", kInvalid, "tenant"},
      {"AuditService.GetInclusionProof", "format: sequence past the tree",
       Tenant("tenant_seqs: 999999"), kOutOfRange, "999999"},
      {"AuditService.GetConsistencyProof", "empty request", "", kInvalid, "tenant"},
      {"AuditService.GetConsistencyProof", "format: from size 0", Tenant("from_size: 0"), kInvalid,
       "from_size"},
  };
  return rows;
}

}  // namespace rcl::bad_input

#endif  // RCL_TESTS_INTEGRATION_BAD_INPUT_ROWS_H_
