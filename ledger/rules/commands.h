// Deciding commands: given a validated command and the current state of the
// streams it touches, the events to append (or the business rule it breaks).
// Pure: no I/O beyond the StateView, no clock.
#ifndef RCL_LEDGER_COMMANDS_H_
#define RCL_LEDGER_COMMANDS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
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
  // The payload as decided, whose serialization `payload` is: the sequencer
  // folds it into the stream's state without parsing `payload` back. Null
  // for an event made otherwise (then the bytes are parsed).
  std::shared_ptr<const google::protobuf::Message> message;
  // What the event is (its message, when set, is `payload` parsed).
  bool operator==(const NewEvent& o) const {
    return stream == o.stream && type == o.type && payload == o.payload &&
           effective_date == o.effective_date;
  }
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

// Appends `message` as a new event on `stream`; financial payloads (those
// with postings) must balance or this returns INTERNAL.
absl::Status EmitMessage(Decision* decision, std::string stream,
                         std::shared_ptr<const google::protobuf::Message> message,
                         std::string effective_date);

// Appends `payload` (an rcl.v1 event message) as a new event on `stream`:
// moved into the event when passed as an rvalue, else copied. Financial
// payloads (those with postings) must balance or this returns INTERNAL.
template <typename Payload>
absl::Status EmitEvent(Decision* decision, std::string stream, Payload&& payload,
                       std::string effective_date) {
  using Message = std::remove_cvref_t<Payload>;
  static_assert(std::is_base_of_v<google::protobuf::Message, Message>,
                "an event payload is a protobuf message");
  return EmitMessage(decision, std::move(stream),
                     std::make_shared<Message>(std::forward<Payload>(payload)),
                     std::move(effective_date));
}

// The stream a command is about: the one its expected version refers to and
// whose version the response reports.
std::string CommandStream(const rcl::v1::Command& command);

// Business rules broken: FAILED_PRECONDITION; nothing to append.
absl::StatusOr<Decision> Decide(const rcl::v1::Command& command, StateView& view);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_COMMANDS_H_
