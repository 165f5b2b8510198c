// Stream state: the aggregates, their names, and ApplyEvent, which folds an
// event through the fold table (ledger/rules/fold.h). Patient and encounter events
// fold here; claim-side events in ledger/rules/claim_state.cc.
#include "ledger/rules/state.h"

#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/rules/fold.h"
#include "ledger/status.h"

namespace rcl::ledger {

int EncounterState::ActiveLineCount() const {
  int n = 0;
  for (const auto& [number, line] : lines) n += line.voided ? 0 : 1;
  return n;
}

const CoverageState* PatientState::CoverageOn(int rank, const std::string& date) const {
  for (const auto& [id, c] : coverages) {
    if (c.rank == rank && c.effective_from <= date &&
        (c.effective_to.empty() || date <= c.effective_to))
      return &c;
  }
  return nullptr;
}

std::string ClaimStream(std::string_view id) { return absl::StrCat("claim-", AbslView(id)); }
std::string RemitStream(std::string_view id) { return absl::StrCat("remit-", AbslView(id)); }
std::string AppealStream(std::string_view id) { return absl::StrCat("appeal-", AbslView(id)); }
std::string RemitTraceStream(std::string_view payer_id, std::string_view trace_number) {
  return absl::StrCat("remittrace-", AbslView(payer_id), "-", AbslView(trace_number));
}

std::string X12FileStream(std::string_view sha) { return absl::StrCat("x12file-", AbslView(sha)); }
std::string PayerAliasStream(std::string_view id) {
  return absl::StrCat("payeralias-", AbslView(id));
}
std::string SuspenseStream(std::string_view id) { return absl::StrCat("suspense-", AbslView(id)); }
std::string ExportStream(std::string_view id) { return absl::StrCat("export-", AbslView(id)); }

std::string PatientStream(std::string_view patient_id) {
  return absl::StrCat("patient-", absl::string_view(patient_id.data(), patient_id.size()));
}
std::string EncounterStream(std::string_view encounter_id) {
  return absl::StrCat("encounter-", absl::string_view(encounter_id.data(), encounter_id.size()));
}

namespace {

using namespace rcl::v1;  // NOLINT: event messages

void ApplyPatientRegistered(PatientState& p, const PatientRegistered& e) {
  p.patient_id = e.patient_id();
}

void ApplyCoverageAdded(PatientState& p, const CoverageAdded& e) {
  p.coverages[e.coverage_id()] =
      CoverageState{e.coverage_id(), e.payer_id(),       e.payer_name(),
                    e.rank(),        e.effective_from(), e.effective_to()};
}

void ApplyCoverageEnded(PatientState& p, const CoverageEnded& e) {
  p.coverages[e.coverage_id()].effective_to = e.effective_to();
}

void ApplyPatientClaimLinked(PatientState& p, const PatientClaimLinked& e) {
  p.claims[e.claim_id()] = e.date_of_service();
}

void ApplyEncounterOpened(EncounterState& enc, const EncounterOpened& e) {
  enc.encounter_id = e.encounter_id();
  enc.patient_id = e.patient_id();
  enc.rendering_npi = e.rendering_npi();
  enc.billing_npi = e.billing_npi();
  enc.date_of_service = e.date_of_service();
  enc.place_of_service = e.place_of_service();
}

void ApplyDiagnosesRecorded(EncounterState& enc, const DiagnosesRecorded& e) {
  enc.diagnoses.insert(enc.diagnoses.end(), e.icd10_codes().begin(), e.icd10_codes().end());
}

void ApplyChargeRecorded(EncounterState& enc, const ChargeRecorded& e) {
  ChargeLineState line;
  line.line_number = e.line_number();
  line.code_system = e.code_system();
  line.procedure_code = e.procedure_code();
  line.modifiers.assign(e.modifiers().begin(), e.modifiers().end());
  line.units = e.units();
  line.amount_cents = e.amount_cents();
  line.diagnosis_pointers.assign(e.diagnosis_pointers().begin(), e.diagnosis_pointers().end());
  fold::AddCents(enc.unbilled_cents, line.amount_cents);
  enc.lines[line.line_number] = std::move(line);
}

void ApplyChargeVoided(EncounterState& enc, const ChargeVoided& e) {
  enc.lines[e.line_number()].voided = true;
  fold::SubCents(enc.unbilled_cents, e.amount_cents());
}

void ApplyCodingCompleted(EncounterState& enc, const CodingCompleted&) {
  enc.coding_complete = true;
}

void ApplyEncounterClaimed(EncounterState& enc, const EncounterClaimed& e) {
  enc.claims[e.claim_id()] = {e.coverage_id(), e.frequency()};
  fold::SubCents(enc.unbilled_cents, e.billed_cents());
}

void ApplyEncounterBalanceReturned(EncounterState& enc, const EncounterBalanceReturned& e) {
  fold::AddCents(enc.unbilled_cents, e.amount_cents());
}

const fold::FoldTable& Folds() {
  static const fold::FoldTable* const table = [] {
    auto* t = new fold::FoldTable();
    fold::AddPatientAndEncounterFolds(t);
    fold::AddClaimSideFolds(t);
    return t;
  }();
  return *table;
}

}  // namespace

namespace fold {

void AddPatientAndEncounterFolds(FoldTable* t) {
  Register<PatientRegistered>(t, Fold<PatientRegistered, PatientState, ApplyPatientRegistered>);
  Register<CoverageAdded>(t, Fold<CoverageAdded, PatientState, ApplyCoverageAdded>);
  Register<CoverageEnded>(t, Fold<CoverageEnded, PatientState, ApplyCoverageEnded>);
  Register<PatientClaimLinked>(t, Fold<PatientClaimLinked, PatientState, ApplyPatientClaimLinked>);
  Register<EncounterOpened>(t, Fold<EncounterOpened, EncounterState, ApplyEncounterOpened>);
  Register<DiagnosesRecorded>(t, Fold<DiagnosesRecorded, EncounterState, ApplyDiagnosesRecorded>);
  Register<ChargeRecorded>(t, Fold<ChargeRecorded, EncounterState, ApplyChargeRecorded>);
  Register<ChargeVoided>(t, Fold<ChargeVoided, EncounterState, ApplyChargeVoided>);
  Register<CodingCompleted>(t, Fold<CodingCompleted, EncounterState, ApplyCodingCompleted>);
  Register<EncounterClaimed>(t, Fold<EncounterClaimed, EncounterState, ApplyEncounterClaimed>);
  Register<EncounterBalanceReturned>(
      t, Fold<EncounterBalanceReturned, EncounterState, ApplyEncounterBalanceReturned>);
}

}  // namespace fold

absl::Status FoldEvent(StreamState* state, std::string_view type, std::string_view payload) {
  const fold::FoldTable& folds = Folds();
  auto it = folds.find(type);
  if (it == folds.end())
    return absl::DataLossError(absl::StrCat("unknown event type ", AbslView(type)));
  return it->second(state, fold::Payload{payload, nullptr});
}

absl::Status FoldParsedEvent(StreamState* state, const google::protobuf::Message& payload) {
  const fold::FoldTable& folds = Folds();
  auto it = folds.find(std::string_view(payload.GetDescriptor()->name()));
  if (it == folds.end()) {
    return absl::DataLossError(
        absl::StrCat("unknown event type ", payload.GetDescriptor()->name()));
  }
  return it->second(state, fold::Payload{{}, &payload});
}

namespace {

absl::Status CheckNextVersion(const StreamState& state, uint64_t version) {
  if (static_cast<int64_t>(version) == state.version + 1) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("event version ", version, " applied to a stream at version ", state.version));
}

}  // namespace

absl::Status ApplyEvent(StreamState* state, uint64_t version, std::string_view type,
                        std::string_view payload) {
  RCL_RETURN_IF_ERROR(CheckNextVersion(*state, version));
  RCL_RETURN_IF_ERROR(FoldEvent(state, type, payload));
  state->version = static_cast<int64_t>(version);
  return absl::OkStatus();
}

absl::Status ApplyDecidedEvent(StreamState* state, uint64_t version, std::string_view type,
                               std::string_view payload, const google::protobuf::Message* message) {
  if (message == nullptr) return ApplyEvent(state, version, type, payload);
  RCL_CHECK(message->GetDescriptor()->name() == type)
      << "a " << message->GetDescriptor()->name() << " message as a " << type << " event";
  RCL_RETURN_IF_ERROR(CheckNextVersion(*state, version));
  RCL_RETURN_IF_ERROR(FoldParsedEvent(state, *message));
  state->version = static_cast<int64_t>(version);
  return absl::OkStatus();
}

}  // namespace rcl::ledger
