// Deciding commands: given a validated command and the current state of the
// streams it touches, the events to append (or the business rule it breaks).
// Pure: no I/O beyond the StateView, no clock.
#ifndef RCL_LEDGER_COMMANDS_H_
#define RCL_LEDGER_COMMANDS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "ledger/rules/state.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {

// Largest number of events one command may append.
inline constexpr size_t kEventsPerCommandMax = 4096;
// Largest number of events one 835 import (ImportRemittanceFile) may append:
// its own bound, since a 10,000-claim file writes tens of thousands. An
// import is decided alone in its batch (Ledger::SequencerLoop), so a batch
// appends at most max(batch_commands_max * kEventsPerCommandMax,
// kEventsPerImportMax) events.
inline constexpr size_t kEventsPerImportMax = 262'144;
// Largest 835 file an import takes.
inline constexpr size_t kImportBytesMax = 64 * 1024 * 1024;

// True for the commands that are decided alone in their batch (imports).
bool DecidedAlone(const rcl::v1::Command& command);
// The most events `command` may append.
size_t EventsMax(const rcl::v1::Command& command);
// Lower-case hex SHA-256 of a file (an 835's identity for duplicates).
std::string FileSha256Hex(std::string_view bytes);

struct NewEvent {
  std::string stream;
  std::string type;     // payload message name
  std::string payload;  // serialized payload
  std::string effective_date;
  bool operator==(const NewEvent&) const = default;
};

struct Decision {
  std::vector<NewEvent> events;  // in append order; at least one
};

// How far an 835 import is, for a caller watching it (the server's
// ImportRemittanceFileStream). Written by the sequencer thread while it
// decides and chains the import (the decider and Ledger::DecideAndApply),
// read by any thread; relaxed atomics, observation only: no decision ever
// reads it. `done` of `total` counts claim payments while matching, events
// while posting.
struct ImportProgress {
  enum Phase : int { kQueued = 0, kParsing, kMatching, kPosting };
  std::atomic<int> phase{kQueued};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> total{0};

  void Enter(Phase p, uint64_t of) {
    done.store(0, std::memory_order_relaxed);
    total.store(of, std::memory_order_relaxed);
    phase.store(p, std::memory_order_relaxed);
  }
  void Done(uint64_t n) { done.store(n, std::memory_order_relaxed); }
};

// Read access to stream states for one tenant. Get() returns the state
// including the effects of commands decided earlier in the same batch.
class StateView {
 public:
  virtual ~StateView() = default;
  virtual absl::StatusOr<const StreamState*> Get(const std::string& stream) = 0;
  // The business date (UTC) of the commit being decided, for commands whose
  // date defaults to "today".
  virtual absl::CivilDay Today() const = 0;
  // Where the command being decided reports its progress; null: nobody
  // watches. Only imports report.
  ImportProgress* progress() const { return progress_; }
  void set_progress(ImportProgress* progress) { progress_ = progress; }

 private:
  ImportProgress* progress_ = nullptr;
};

// Appends `payload` as a new event on `stream`; financial payloads (those
// with postings) must balance or this returns INTERNAL.
absl::Status EmitEvent(Decision* decision, std::string stream,
                       const google::protobuf::Message& payload, std::string effective_date);

// The stream a command is about: the one its expected version refers to and
// whose version the response reports.
std::string CommandStream(const rcl::v1::Command& command);

// Business rules broken: FAILED_PRECONDITION; nothing to append.
absl::StatusOr<Decision> Decide(const rcl::v1::Command& command, StateView& view);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_COMMANDS_H_
