#include "ledger/state.h"

#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

template <typename Message>
absl::Status Parse(std::string_view payload, Message* m) {
  if (!m->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat("undecodable ", Message::descriptor()->name(), " payload"));
  }
  return absl::OkStatus();
}

template <typename T>
T* As(StreamState* state) {
  if (std::holds_alternative<std::monostate>(state->aggregate)) state->aggregate = T{};
  return std::get_if<T>(&state->aggregate);
}

absl::Status Mismatch(std::string_view type) {
  return absl::DataLossError(absl::StrCat(AbslView(type), " event on a stream of another kind"));
}

}  // namespace

int EncounterState::ActiveLineCount() const {
  int n = 0;
  for (const auto& [number, line] : lines) n += line.voided ? 0 : 1;
  return n;
}

const CoverageState* PatientState::CoverageOn(int rank, const std::string& date) const {
  for (const auto& [id, c] : coverages) {
    if (c.rank == rank && c.effective_from <= date && (c.effective_to.empty() || date <= c.effective_to)) return &c;
  }
  return nullptr;
}

std::string ClaimStream(std::string_view id) { return absl::StrCat("claim-", AbslView(id)); }
std::string RemitStream(std::string_view id) { return absl::StrCat("remit-", AbslView(id)); }
std::string AppealStream(std::string_view id) { return absl::StrCat("appeal-", AbslView(id)); }
std::string RemitTraceStream(std::string_view payer_id, std::string_view trace_number) {
  return absl::StrCat("remittrace-", AbslView(payer_id), "-", AbslView(trace_number));
}

std::string PatientStream(std::string_view patient_id) { return absl::StrCat("patient-", absl::string_view(patient_id.data(), patient_id.size())); }
std::string EncounterStream(std::string_view encounter_id) { return absl::StrCat("encounter-", absl::string_view(encounter_id.data(), encounter_id.size())); }

absl::Status ApplyEvent(StreamState* state, uint64_t version, std::string_view type, std::string_view payload) {
  if (static_cast<int64_t>(version) != state->version + 1) {
    return absl::DataLossError(absl::StrCat("event version ", version, " applied to a stream at version ", state->version));
  }
  if (type == "PatientRegistered") {
    rcl::v1::PatientRegistered e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* p = As<PatientState>(state);
    if (p == nullptr) return Mismatch(type);
    p->patient_id = e.patient_id();
  } else if (type == "CoverageAdded") {
    rcl::v1::CoverageAdded e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* p = As<PatientState>(state);
    if (p == nullptr) return Mismatch(type);
    p->coverages[e.coverage_id()] = CoverageState{e.coverage_id(), e.payer_id(), e.payer_name(), e.rank(),
                                                  e.effective_from(), e.effective_to()};
  } else if (type == "CoverageEnded") {
    rcl::v1::CoverageEnded e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* p = As<PatientState>(state);
    if (p == nullptr) return Mismatch(type);
    p->coverages[e.coverage_id()].effective_to = e.effective_to();
  } else if (type == "EncounterOpened") {
    rcl::v1::EncounterOpened e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    enc->encounter_id = e.encounter_id();
    enc->patient_id = e.patient_id();
    enc->rendering_npi = e.rendering_npi();
    enc->billing_npi = e.billing_npi();
    enc->date_of_service = e.date_of_service();
    enc->place_of_service = e.place_of_service();
  } else if (type == "DiagnosesRecorded") {
    rcl::v1::DiagnosesRecorded e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    enc->diagnoses.insert(enc->diagnoses.end(), e.icd10_codes().begin(), e.icd10_codes().end());
  } else if (type == "ChargeRecorded") {
    rcl::v1::ChargeRecorded e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    if (!CheckBalanced({e.postings().begin(), e.postings().end()}).ok()) {
      return absl::DataLossError("stored ChargeRecorded postings do not balance");
    }
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    ChargeLineState line;
    line.line_number = e.line_number();
    line.code_system = e.code_system();
    line.procedure_code = e.procedure_code();
    line.modifiers.assign(e.modifiers().begin(), e.modifiers().end());
    line.units = e.units();
    line.amount_cents = e.amount_cents();
    line.diagnosis_pointers.assign(e.diagnosis_pointers().begin(), e.diagnosis_pointers().end());
    enc->unbilled_cents += line.amount_cents;
    enc->lines[line.line_number] = std::move(line);
  } else if (type == "ChargeVoided") {
    rcl::v1::ChargeVoided e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    if (!CheckBalanced({e.postings().begin(), e.postings().end()}).ok()) {
      return absl::DataLossError("stored ChargeVoided postings do not balance");
    }
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    enc->lines[e.line_number()].voided = true;
    enc->unbilled_cents -= e.amount_cents();
  } else if (type == "CodingCompleted") {
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    enc->coding_complete = true;
  } else if (type == "EncounterClaimed") {
    rcl::v1::EncounterClaimed e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    enc->claims[e.claim_id()] = {e.coverage_id(), e.frequency()};
    enc->unbilled_cents -= e.billed_cents();
  } else if (type == "EncounterBalanceReturned") {
    rcl::v1::EncounterBalanceReturned e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* enc = As<EncounterState>(state);
    if (enc == nullptr) return Mismatch(type);
    enc->unbilled_cents += e.amount_cents();
  } else if (type == "PatientClaimLinked") {
    rcl::v1::PatientClaimLinked e;
    if (auto s = Parse(payload, &e); !s.ok()) return s;
    auto* p = As<PatientState>(state);
    if (p == nullptr) return Mismatch(type);
    p->claims[e.claim_id()] = e.date_of_service();
  } else {
    absl::Status s = ApplyClaimSideEvent(state, type, payload);
    if (absl::IsNotFound(s)) return absl::DataLossError(absl::StrCat("unknown event type ", AbslView(type)));
    if (!s.ok()) return s;
  }
  state->version = static_cast<int64_t>(version);
  return absl::OkStatus();
}

}  // namespace rcl::ledger
