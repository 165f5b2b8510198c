// `rcl encounter`: one visit, from opening to complete coding: diagnoses,
// charge lines (CPT or HCPCS, modifiers, units, diagnosis pointers) and voids.
#include <string>
#include <utility>
#include <vector>

#include "clients/cli_command.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

constexpr FlagSpec kEncounterIdFlag = {"id", kValue, "ID", "encounter id", true};

absl::Status RunEncounterOpen(Invocation& inv) {
  rcl::v1::OpenEncounter cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_rendering_npi(Str(inv, "rendering-npi"));
  cmd.set_billing_npi(Str(inv, "billing-npi"));
  cmd.set_date_of_service(Str(inv, "date"));
  cmd.set_place_of_service(Str(inv, "pos"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.OpenEncounter(cmd, o); });
}

absl::Status RunEncounterDiagnose(Invocation& inv) {
  rcl::v1::RecordDiagnoses cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  for (std::string& code : inv.args().Values("icd10")) cmd.add_icd10_codes(std::move(code));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.RecordDiagnoses(cmd, o); });
}

absl::Status RunEncounterCharge(Invocation& inv) {
  rcl::v1::RecordCharge cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  absl::StatusOr<int32_t> line = Int32Flag(inv, "line", 0);
  if (!line.ok()) return line.status();
  cmd.set_line_number(*line);
  bool has_cpt = inv.args().Value("cpt").has_value();
  bool has_hcpcs = inv.args().Value("hcpcs").has_value();
  if (has_cpt == has_hcpcs) return UsageError("exactly one of --cpt or --hcpcs is required");
  cmd.set_cpt(Str(inv, "cpt"));
  cmd.set_hcpcs(Str(inv, "hcpcs"));
  for (std::string& m : inv.args().Values("modifier")) cmd.add_modifiers(std::move(m));
  absl::StatusOr<int32_t> units = Int32Flag(inv, "units", 1);
  if (!units.ok()) return units.status();
  cmd.set_units(*units);
  absl::StatusOr<int64_t> cents = ParseAmountFlag("--amount", Str(inv, "amount"));
  if (!cents.ok()) return Usage(cents.status());
  cmd.set_amount_cents(*cents);
  absl::StatusOr<std::vector<int32_t>> pointers = ParsePointerList("--dx", inv.args().Values("dx"));
  if (!pointers.ok()) return Usage(pointers.status());
  for (int32_t p : *pointers) cmd.add_diagnosis_pointers(p);
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.RecordCharge(cmd, o); });
}

absl::Status RunEncounterVoidCharge(Invocation& inv) {
  rcl::v1::VoidCharge cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  absl::StatusOr<int32_t> line = Int32Flag(inv, "line", 0);
  if (!line.ok()) return line.status();
  cmd.set_line_number(*line);
  cmd.set_reason(Str(inv, "reason"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.VoidCharge(cmd, o); });
}

absl::Status RunEncounterComplete(Invocation& inv) {
  rcl::v1::CompleteCoding cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.CompleteCoding(cmd, o); });
}

}  // namespace

std::vector<CommandDef> EncounterCommands() {
  return {
      {"encounter",
       "open",
       "",
       "open an encounter (one visit)",
       {kEncounterIdFlag,
        kPatientIdFlag,
        {"rendering-npi", kValue, "NPI", "rendering provider NPI", true},
        {"billing-npi", kValue, "NPI", "billing provider NPI", true},
        {"date", kValue, "YYYY-MM-DD", "date of service", true},
        {"pos", kValue, "NN", "place of service (2 digits)", true}},
       RunEncounterOpen},
      {"encounter",
       "diagnose",
       "",
       "record ICD-10-CM diagnoses (appended in order; pointers count from 1)",
       {kEncounterIdFlag, {"icd10", kRepeated, "CODE", "ICD-10-CM code, e.g. E11.9", true}},
       RunEncounterDiagnose},
      {"encounter",
       "charge",
       "",
       "record a charge line (exactly one of --cpt / --hcpcs)",
       {kEncounterIdFlag,
        {"line", kValue, "N", "line number (1-based)", true},
        {"cpt", kValue, "CODE", "CPT code"},
        {"hcpcs", kValue, "CODE", "HCPCS Level II code"},
        {"modifier", kRepeated, "MM", "procedure modifier (at most 4)"},
        {"units", kValue, "N", "units (default 1)"},
        {"amount", kValue, "DOLLARS", "charge amount, e.g. 150.00", true},
        {"dx", kRepeated, "N,N", "diagnosis pointers, e.g. 1,2"}},
       RunEncounterCharge},
      {"encounter",
       "void-charge",
       "",
       "void a charge line",
       {kEncounterIdFlag,
        {"line", kValue, "N", "line number", true},
        {"reason", kValue, "TEXT", "why the line is voided", true}},
       RunEncounterVoidCharge},
      {"encounter",
       "complete",
       "",
       "complete coding of an encounter",
       {kEncounterIdFlag},
       RunEncounterComplete},
  };
}

}  // namespace rcl::cli
