// Aggregate state of one stream, folded from its events. The sequencer keeps
// these in memory (bounded) to decide commands; replaying a stream's events
// through Apply() from version 0 always reproduces the same state.
#ifndef RCL_LEDGER_STATE_H_
#define RCL_LEDGER_STATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {

struct CoverageState {
  std::string coverage_id;
  std::string payer_id;
  std::string payer_name;
  int rank = 0;
  std::string effective_from;  // YYYY-MM-DD
  std::string effective_to;    // "" = open ended
  bool operator==(const CoverageState&) const = default;
};

struct PatientState {
  std::string patient_id;
  std::map<std::string, CoverageState> coverages;  // by coverage id
  bool operator==(const PatientState&) const = default;
};

struct ChargeLineState {
  int line_number = 0;
  rcl::v1::ProcedureCodeSystem code_system = rcl::v1::PROCEDURE_CODE_SYSTEM_UNSPECIFIED;
  std::string procedure_code;
  std::vector<std::string> modifiers;
  int units = 0;
  int64_t amount_cents = 0;
  std::vector<int> diagnosis_pointers;
  bool voided = false;
  bool operator==(const ChargeLineState&) const = default;
};

struct EncounterState {
  std::string encounter_id;
  std::string patient_id;
  std::string rendering_npi;
  std::string billing_npi;
  std::string date_of_service;
  std::string place_of_service;
  std::vector<std::string> diagnoses;          // pointer n is diagnoses[n - 1]
  std::map<int, ChargeLineState> lines;        // by line number
  bool coding_complete = false;
  int ActiveLineCount() const;
  bool operator==(const EncounterState&) const = default;
};

using Aggregate = std::variant<std::monostate, PatientState, EncounterState>;

struct StreamState {
  int64_t version = -1;  // last version; -1 = the stream does not exist
  Aggregate aggregate;
  bool exists() const { return version >= 0; }
  bool operator==(const StreamState&) const = default;
};

// Folds one event into the state of its stream. The event must be the
// stream's next version; an unknown type or undecodable payload is DATA_LOSS.
absl::Status ApplyEvent(StreamState* state, uint64_t version, std::string_view type, std::string_view payload);

// Stream names.
std::string PatientStream(std::string_view patient_id);
std::string EncounterStream(std::string_view encounter_id);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STATE_H_
