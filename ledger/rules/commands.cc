#include "ledger/rules/commands.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/rules/claim_rules.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

using claim_rules::GetPatient;
using claim_rules::kArUnbilled;
using claim_rules::kGrossCharges;
using claim_rules::Rule;
using rcl::v1::Command;

}  // namespace

absl::Status EmitMessage(Decision* d, std::string stream,
                         std::shared_ptr<const google::protobuf::Message> message,
                         std::string effective_date) {
  RCL_CHECK(message != nullptr) << "an event without a payload";
  RCL_RETURN_IF_ERROR(CheckMessageBalanced(*message));
  NewEvent e;
  e.stream = std::move(stream);
  e.type = message->GetDescriptor()->name();
  if (!message->SerializeToString(&e.payload))
    return absl::InternalError("cannot serialize event payload");
  e.effective_date = std::move(effective_date);
  e.message = std::move(message);
  d->events.push_back(std::move(e));
  return absl::OkStatus();
}

namespace {

// The open encounter `encounter_id`; its stream's name in `stream` (the
// events the command emits go there: named once per command).
absl::StatusOr<const EncounterState*> GetEncounter(StateView& view, const std::string& encounter_id,
                                                   std::string* stream) {
  *stream = EncounterStream(encounter_id);
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(*stream));
  const auto* e = std::get_if<EncounterState>(&s->aggregate);
  if (!s->exists() || e == nullptr)
    return Rule(absl::StrCat("encounter ", encounter_id, " is not open"));
  return e;
}

absl::StatusOr<const EncounterState*> GetCodableEncounter(StateView& view,
                                                          const std::string& encounter_id,
                                                          std::string* stream) {
  RCL_ASSIGN_OR_RETURN(const EncounterState* e, GetEncounter(view, encounter_id, stream));
  if (e->coding_complete)
    return Rule(absl::StrCat("encounter ", encounter_id, " has completed coding"));
  return e;
}

// Date ranges as YYYY-MM-DD strings compare correctly as strings.
bool Overlaps(const CoverageState& c, std::string_view from, std::string_view to) {
  bool c_ends_before = !c.effective_to.empty() && c.effective_to < from;
  bool starts_after_c = !to.empty() && to < c.effective_from;
  return !c_ends_before && !starts_after_c;
}

absl::StatusOr<Decision> DecideRegisterPatient(const rcl::v1::RegisterPatient& c, StateView& view) {
  std::string stream = PatientStream(c.patient_id());
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  if (s->exists()) return Rule(absl::StrCat("patient ", c.patient_id(), " is already registered"));
  rcl::v1::PatientRegistered e;
  e.set_patient_id(c.patient_id());
  e.set_family_name(c.family_name());
  e.set_given_name(c.given_name());
  e.set_birth_date(c.birth_date());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, stream, std::move(e), ""));
  return d;
}

absl::StatusOr<Decision> DecideAddCoverage(const rcl::v1::AddCoverage& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const PatientState* p, GetPatient(view, c.patient_id()));
  if (p->coverages.contains(c.coverage_id())) {
    return Rule(
        absl::StrCat("coverage ", c.coverage_id(), " already exists for patient ", c.patient_id()));
  }
  for (const auto& [id, existing] : p->coverages) {
    if (existing.rank == c.rank() && Overlaps(existing, c.effective_from(), c.effective_to())) {
      return Rule(absl::StrCat("rank ", c.rank(), " overlaps coverage ", id, " of the same rank"));
    }
  }
  rcl::v1::CoverageAdded e;
  e.set_patient_id(c.patient_id());
  e.set_coverage_id(c.coverage_id());
  e.set_payer_id(c.payer_id());
  e.set_payer_name(c.payer_name());
  e.set_member_id(c.member_id());
  e.set_rank(c.rank());
  e.set_effective_from(c.effective_from());
  e.set_effective_to(c.effective_to());
  Decision d;
  RCL_RETURN_IF_ERROR(
      EmitEvent(&d, PatientStream(c.patient_id()), std::move(e), c.effective_from()));
  return d;
}

absl::StatusOr<Decision> DecideEndCoverage(const rcl::v1::EndCoverage& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const PatientState* p, GetPatient(view, c.patient_id()));
  auto it = p->coverages.find(c.coverage_id());
  if (it == p->coverages.end()) {
    return Rule(
        absl::StrCat("coverage ", c.coverage_id(), " does not exist for patient ", c.patient_id()));
  }
  if (c.effective_to() < it->second.effective_from) {
    return Rule("effective_to is before the coverage's effective_from");
  }
  if (!it->second.effective_to.empty() && it->second.effective_to < c.effective_to()) {
    return Rule("coverage already ends before effective_to; ending can only shorten it");
  }
  rcl::v1::CoverageEnded e;
  e.set_patient_id(c.patient_id());
  e.set_coverage_id(c.coverage_id());
  e.set_effective_to(c.effective_to());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), std::move(e), c.effective_to()));
  return d;
}

absl::StatusOr<Decision> DecideOpenEncounter(const rcl::v1::OpenEncounter& c, StateView& view) {
  RCL_RETURN_IF_ERROR(GetPatient(view, c.patient_id()).status());
  std::string stream = EncounterStream(c.encounter_id());
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  if (s->exists()) return Rule(absl::StrCat("encounter ", c.encounter_id(), " already exists"));
  rcl::v1::EncounterOpened e;
  e.set_encounter_id(c.encounter_id());
  e.set_patient_id(c.patient_id());
  e.set_rendering_npi(c.rendering_npi());
  e.set_billing_npi(c.billing_npi());
  e.set_date_of_service(c.date_of_service());
  e.set_place_of_service(c.place_of_service());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, stream, std::move(e), c.date_of_service()));
  return d;
}

// Must match ledger/rules/validation.h's kDiagnosesPerEncounterMax (837P allows 12).
constexpr size_t kEncounterDiagnosesMax = 12;
static_assert(kEncounterDiagnosesMax == static_cast<size_t>(kDiagnosesPerEncounterMax),
              "the rule and request validation must allow the same number of diagnoses");

absl::StatusOr<Decision> DecideRecordDiagnoses(const rcl::v1::RecordDiagnoses& c, StateView& view) {
  std::string stream;
  RCL_ASSIGN_OR_RETURN(const EncounterState* enc,
                       GetCodableEncounter(view, c.encounter_id(), &stream));
  if (enc->diagnoses.size() + c.icd10_codes_size() > kEncounterDiagnosesMax) {
    return Rule(absl::StrCat("an encounter holds at most ", kEncounterDiagnosesMax, " diagnoses"));
  }
  for (const std::string& code : c.icd10_codes()) {
    if (std::find(enc->diagnoses.begin(), enc->diagnoses.end(), code) != enc->diagnoses.end()) {
      return Rule(
          absl::StrCat("diagnosis ", code, " is already recorded on encounter ", c.encounter_id()));
    }
  }
  rcl::v1::DiagnosesRecorded e;
  e.set_encounter_id(c.encounter_id());
  *e.mutable_icd10_codes() = c.icd10_codes();
  e.set_first_pointer(static_cast<int>(enc->diagnoses.size()) + 1);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, std::move(stream), std::move(e), enc->date_of_service));
  return d;
}

absl::StatusOr<Decision> DecideRecordCharge(const rcl::v1::RecordCharge& c, StateView& view) {
  std::string stream;
  RCL_ASSIGN_OR_RETURN(const EncounterState* enc,
                       GetCodableEncounter(view, c.encounter_id(), &stream));
  if (enc->lines.contains(c.line_number())) {
    return Rule(
        absl::StrCat("line ", c.line_number(), " already exists on encounter ", c.encounter_id()));
  }
  for (int pointer : c.diagnosis_pointers()) {
    if (pointer < 1 || static_cast<size_t>(pointer) > enc->diagnoses.size()) {
      return Rule(absl::StrCat("diagnosis pointer ", pointer,
                               " does not point at a recorded diagnosis (encounter has ",
                               enc->diagnoses.size(), ")"));
    }
  }
  rcl::v1::ChargeRecorded e;
  e.set_encounter_id(c.encounter_id());
  e.set_line_number(c.line_number());
  bool cpt = !c.cpt().empty();
  e.set_code_system(cpt ? rcl::v1::PROCEDURE_CODE_SYSTEM_CPT
                        : rcl::v1::PROCEDURE_CODE_SYSTEM_HCPCS);
  e.set_procedure_code(cpt ? c.cpt() : c.hcpcs());
  *e.mutable_modifiers() = c.modifiers();
  e.set_units(c.units());
  e.set_amount_cents(c.amount_cents());
  *e.mutable_diagnosis_pointers() = c.diagnosis_pointers();
  e.set_patient_id(enc->patient_id);
  e.set_date_of_service(enc->date_of_service);
  AddPostingPair(e.mutable_postings(), kArUnbilled, kGrossCharges, c.amount_cents());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, std::move(stream), std::move(e), enc->date_of_service));
  return d;
}

absl::StatusOr<Decision> DecideVoidCharge(const rcl::v1::VoidCharge& c, StateView& view) {
  // Charges change only while coding is open: once coded, the encounter's
  // lines are what claims bill.
  std::string stream;
  RCL_ASSIGN_OR_RETURN(const EncounterState* enc,
                       GetCodableEncounter(view, c.encounter_id(), &stream));
  auto it = enc->lines.find(c.line_number());
  if (it == enc->lines.end()) {
    return Rule(
        absl::StrCat("line ", c.line_number(), " does not exist on encounter ", c.encounter_id()));
  }
  if (it->second.voided) return Rule(absl::StrCat("line ", c.line_number(), " is already voided"));
  // The stored amount is outside input (a damaged record may hold any int64):
  // only a positive amount has the negation the void's postings need.
  if (it->second.amount_cents <= 0) {
    return absl::DataLossError(absl::StrCat("stored charge line ", c.line_number(),
                                            " of encounter ", c.encounter_id(),
                                            " has a non-positive amount"));
  }
  rcl::v1::ChargeVoided e;
  e.set_encounter_id(c.encounter_id());
  e.set_line_number(c.line_number());
  e.set_reason(c.reason());
  e.set_amount_cents(it->second.amount_cents);
  // The exact negation of the charge's postings.
  AddPostingPair(e.mutable_postings(), kGrossCharges, kArUnbilled, it->second.amount_cents);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, std::move(stream), std::move(e), enc->date_of_service));
  return d;
}

absl::StatusOr<Decision> DecideCompleteCoding(const rcl::v1::CompleteCoding& c, StateView& view) {
  std::string stream;
  RCL_ASSIGN_OR_RETURN(const EncounterState* enc,
                       GetCodableEncounter(view, c.encounter_id(), &stream));
  if (enc->diagnoses.empty()) return Rule("coding cannot complete without at least one diagnosis");
  if (enc->ActiveLineCount() == 0)
    return Rule("coding cannot complete without at least one charge line");
  rcl::v1::CodingCompleted e;
  e.set_encounter_id(c.encounter_id());
  e.set_active_line_count(enc->ActiveLineCount());
  e.set_diagnosis_count(static_cast<int>(enc->diagnoses.size()));
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, std::move(stream), std::move(e), enc->date_of_service));
  return d;
}

}  // namespace

bool DecidedAlone(const Command& command) {
  return command.kind_case() == Command::kImportRemittanceFile;
}

size_t EventsMax(const Command& command) {
  return DecidedAlone(command) ? kEventsPerImportMax : kEventsPerCommandMax;
}

std::string FileSha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// Both switches list every command kind and have no default: a new command
// that one of them forgets does not compile (-Werror=switch).
std::string CommandStream(const Command& command) {
  switch (command.kind_case()) {
    case Command::kRegisterPatient: return PatientStream(command.register_patient().patient_id());
    case Command::kAddCoverage: return PatientStream(command.add_coverage().patient_id());
    case Command::kEndCoverage: return PatientStream(command.end_coverage().patient_id());
    case Command::kOpenEncounter: return EncounterStream(command.open_encounter().encounter_id());
    case Command::kRecordDiagnoses:
      return EncounterStream(command.record_diagnoses().encounter_id());
    case Command::kRecordCharge: return EncounterStream(command.record_charge().encounter_id());
    case Command::kVoidCharge: return EncounterStream(command.void_charge().encounter_id());
    case Command::kCompleteCoding: return EncounterStream(command.complete_coding().encounter_id());
    case Command::kCreateClaim: return ClaimStream(command.create_claim().claim_id());
    case Command::kScrubClaim: return ClaimStream(command.scrub_claim().claim_id());
    case Command::kSubmitClaim: return ClaimStream(command.submit_claim().claim_id());
    case Command::kAcknowledgeClaim: return ClaimStream(command.acknowledge_claim().claim_id());
    case Command::kReplaceClaim: return ClaimStream(command.replace_claim().claim_id());
    case Command::kVoidClaim: return ClaimStream(command.void_claim().claim_id());
    case Command::kRecordRemittance: return RemitStream(command.record_remittance().remit_id());
    case Command::kAdjudicateClaim: return ClaimStream(command.adjudicate_claim().claim_id());
    case Command::kReverseAdjudication:
      return ClaimStream(command.reverse_adjudication().claim_id());
    case Command::kRecordProviderAdjustment:
      return RemitStream(command.record_provider_adjustment().remit_id());
    case Command::kAdjustClaim: return ClaimStream(command.adjust_claim().claim_id());
    case Command::kWriteOffClaim: return ClaimStream(command.write_off_claim().claim_id());
    case Command::kFileAppeal: return AppealStream(command.file_appeal().appeal_id());
    case Command::kDecideAppeal: return AppealStream(command.decide_appeal().appeal_id());
    case Command::kReceivePatientPayment:
      return PatientStream(command.receive_patient_payment().patient_id());
    case Command::kIssuePatientStatement:
      return PatientStream(command.issue_patient_statement().patient_id());
    case Command::kRefundPatient: return PatientStream(command.refund_patient().patient_id());
    case Command::kImportRemittanceFile:
      return X12FileStream(FileSha256Hex(command.import_remittance_file().x12()));
    case Command::kAliasPayer: return PayerAliasStream(command.alias_payer().x12_id());
    case Command::kApplySuspendedPayment:
      return SuspenseStream(command.apply_suspended_payment().item_id());
    case Command::kRecordClaimExport:
      return ExportStream(command.record_claim_export().export_id());
    case Command::KIND_NOT_SET: return "";
  }
  return "";
}

absl::StatusOr<Decision> Decide(const Command& command, StateView& view) {
  using namespace claim_rules;  // NOLINT: the claims-to-cash deciders
  switch (command.kind_case()) {
    case Command::kRegisterPatient: return DecideRegisterPatient(command.register_patient(), view);
    case Command::kAddCoverage: return DecideAddCoverage(command.add_coverage(), view);
    case Command::kEndCoverage: return DecideEndCoverage(command.end_coverage(), view);
    case Command::kOpenEncounter: return DecideOpenEncounter(command.open_encounter(), view);
    case Command::kRecordDiagnoses: return DecideRecordDiagnoses(command.record_diagnoses(), view);
    case Command::kRecordCharge: return DecideRecordCharge(command.record_charge(), view);
    case Command::kVoidCharge: return DecideVoidCharge(command.void_charge(), view);
    case Command::kCompleteCoding: return DecideCompleteCoding(command.complete_coding(), view);
    case Command::kCreateClaim: return DecideCreateClaim(command.create_claim(), view);
    case Command::kScrubClaim: return DecideScrubClaim(command.scrub_claim(), view);
    case Command::kSubmitClaim: return DecideSubmitClaim(command.submit_claim(), view);
    case Command::kAcknowledgeClaim:
      return DecideAcknowledgeClaim(command.acknowledge_claim(), view);
    case Command::kReplaceClaim: return DecideReplaceClaim(command.replace_claim(), view);
    case Command::kVoidClaim: return DecideVoidClaim(command.void_claim(), view);
    case Command::kRecordRemittance:
      return DecideRecordRemittance(command.record_remittance(), view);
    case Command::kAdjudicateClaim: return DecideAdjudicate(command.adjudicate_claim(), view);
    case Command::kReverseAdjudication: return DecideReverse(command.reverse_adjudication(), view);
    case Command::kRecordProviderAdjustment:
      return DecideProviderAdjustment(command.record_provider_adjustment(), view);
    case Command::kAdjustClaim: return DecideAdjustClaim(command.adjust_claim(), view);
    case Command::kWriteOffClaim: return DecideWriteOff(command.write_off_claim(), view);
    case Command::kFileAppeal: return DecideFileAppeal(command.file_appeal(), view);
    case Command::kDecideAppeal: return DecideDecideAppeal(command.decide_appeal(), view);
    case Command::kReceivePatientPayment:
      return DecidePatientPayment(command.receive_patient_payment(), view);
    case Command::kIssuePatientStatement:
      return DecideStatement(command.issue_patient_statement(), view);
    case Command::kRefundPatient: return DecideRefund(command.refund_patient(), view);
    case Command::kImportRemittanceFile:
      return DecideImportRemittanceFile(command.import_remittance_file(), view);
    case Command::kAliasPayer: return DecideAliasPayer(command.alias_payer(), view);
    case Command::kApplySuspendedPayment:
      return DecideApplySuspendedPayment(command.apply_suspended_payment(), view);
    case Command::kRecordClaimExport:
      return DecideRecordClaimExport(command.record_claim_export(), view);
    case Command::KIND_NOT_SET: return absl::InvalidArgumentError("command: no command given");
  }
  return absl::InvalidArgumentError("command: unknown command");
}

}  // namespace rcl::ledger
