// LogFeed: the log, read and decoded once for every projection worker.
//
// An event reaches a projection as a LogEvent: the stored record and its
// payload parsed once (as the rcl.v1 message its type names), so that no
// projection decodes the record or parses the payload itself.
//
// Workers that catch up (a rebuild, a first build, a restart far behind the
// head) read the same stretch of the log: the feed decodes it in chunks of
// Options::chunk_events consecutive positions and keeps the last
// Options::chunks_max chunks for the other workers; a chunk is decoded by
// the first worker that needs it while the others wanting it wait for it
// (never twice at once). So that the chunks a slower worker needs are still
// there when it gets to them, a worker catching up waits (at most
// kLeadWaitMax per chunk) before reading more than Options::lead_chunks_max
// chunks ahead of the slowest other worker catching up. A chunk that is gone
// is simply decoded again: the feed changes how often the log is decoded,
// never which events a worker sees (exactly from..to, in order).
//
// Only readers catching up share chunks, and only whole chunks at or below
// the head the caller gives (the log below the head is immutable); a reader
// following new commits, the part of a read past the last whole chunk, and
// a chunk over Options::chunk_bytes_max are streamed by each reader alone,
// one event at a time.
//
// Memory: at most chunks_max shared chunks of at most chunk_bytes_max each,
// plus the chunk each reader is folding (a decoded event with its parsed
// payload is about 1 KiB: a chunk of 2,048 about 2 MiB).
//
// Thread-safety: every method is safe from any thread; a Cursor is used by
// its worker thread only.
#ifndef RCL_PROJECTIONS_LOG_FEED_H_
#define RCL_PROJECTIONS_LOG_FEED_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rcl/v1/events.pb.h"

namespace rcl::projections {

struct LogEvent {
  ledger::EventRecord record;
  // The payload as the rcl.v1 message named by record.type (owned by the
  // DecodedEvents' arena); null when the type names no such message, or when
  // the payload does not parse (then `undecodable`: a projection that needs
  // it stops with DATA_LOSS).
  const google::protobuf::Message* payload = nullptr;
  bool undecodable = false;

  // The payload as `T` when it is one; else null.
  template <typename T>
  const T* As() const {
    return payload != nullptr && payload->GetDescriptor() == T::descriptor()
               ? static_cast<const T*>(payload)
               : nullptr;
  }
};

// The payload's postings (its `repeated rcl.v1.Posting postings`), read in
// place; empty when it has none.
class PostingsView {
 public:
  PostingsView() = default;
  PostingsView(const google::protobuf::Message* payload,
               const google::protobuf::FieldDescriptor* field)
      : payload_(payload), field_(field) {}
  int size() const {
    return payload_ == nullptr ? 0 : payload_->GetReflection()->FieldSize(*payload_, field_);
  }
  bool empty() const { return size() == 0; }
  const rcl::v1::Posting& operator[](int i) const {
    return static_cast<const rcl::v1::Posting&>(
        payload_->GetReflection()->GetRepeatedMessage(*payload_, field_, i));
  }

 private:
  const google::protobuf::Message* payload_ = nullptr;
  const google::protobuf::FieldDescriptor* field_ = nullptr;
};
PostingsView PostingsOf(const LogEvent& event);
// The event's type is a message with postings (a financial event).
bool CarriesPostings(const LogEvent& event);

// Consecutive events of the log, their payloads parsed on one arena (freed
// at once with them).
struct DecodedEvents {
  DecodedEvents();
  google::protobuf::Arena arena;
  std::vector<LogEvent> events;
  size_t bytes = 0;  // their memory, about
};

// Decodes positions from..to of `log` into `out` (empty before), parsing
// each payload; false (and a part only) as soon as they take more than
// `bytes_max`. DATA_LOSS when the log skips a position or ends early.
absl::StatusOr<bool> DecodeEvents(const ledger::EventStore& log, uint64_t from, uint64_t to,
                                  size_t bytes_max, DecodedEvents* out);

// `record` as a LogEvent, its payload parsed on `arena` (as the feed does).
LogEvent ToLogEvent(ledger::EventRecord record, google::protobuf::Arena* arena);

// Visits positions from..to of `log` decoded one at a time (the memory of
// one event) until `visit` returns false; DATA_LOSS as DecodeEvents.
absl::Status StreamEvents(const ledger::EventStore& log, uint64_t from, uint64_t to,
                          const std::function<bool(const LogEvent&)>& visit);

class LogFeed {
 public:
  struct Options {
    uint64_t chunk_events = 2048;
    // A chunk whose events take more memory is not kept: its readers each
    // stream it (events of large payloads).
    size_t chunk_bytes_max = size_t{4} << 20;
    size_t chunks_max = 6;
    size_t lead_chunks_max = 4;
  };
  // Longest a worker waits, per chunk, for the slowest to come within its
  // lead: longer than a slow worker takes to fold a chunk and write its
  // batch on a loaded machine (at 50 ms, a full-size rebuild decoded the
  // log 1.7 times over), short enough that a stalled worker only slows the
  // others.
  static constexpr absl::Duration kLeadWaitMax = absl::Seconds(1);

  class Cursor;
  LogFeed(const ledger::EventStore* log, Options options);
  LogFeed(const LogFeed&) = delete;
  LogFeed& operator=(const LogFeed&) = delete;

  // Visits the events from..to (to <= head) in order until `visit` returns
  // false; `cursor` is the reading worker's.
  absl::Status Read(Cursor& cursor, uint64_t from, uint64_t to, uint64_t head,
                    const std::function<bool(const LogEvent&)>& visit);

  // Decodes done (shared chunks and unshared stretches), for tests and status.
  uint64_t chunks_decoded() const;

  // One worker's place in the log. A cursor catching up keeps within
  // lead_chunks_max chunks of the slowest other catching-up cursor.
  class Cursor {
   public:
    explicit Cursor(LogFeed* feed);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;
    // Catching up (large batches, far behind the head) or following it.
    void SetCatchingUp(bool catching_up);

   private:
    friend class LogFeed;
    LogFeed* feed_;
  };

 private:
  using Chunk = DecodedEvents;
  struct Slot {
    std::shared_ptr<const Chunk> chunk;  // null while being decoded, or oversized
    bool oversized = false;              // over chunk_bytes_max: streamed by each reader
    uint64_t used = 0;                   // recency (a tick of use_clock_)
  };
  struct Place {
    bool catching_up = false;
    uint64_t chunk = 0;  // the chunk it reads now
  };
  // The shared chunk `index`, decoding it if no one has it.
  absl::StatusOr<std::shared_ptr<const Chunk>> GetChunk(Cursor& cursor, uint64_t index);
  void WaitForLaggards(const Cursor& cursor, uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops a decoded chunk: one every catching-up reader has passed if any,
  // else the least recently used; false when none is decoded.
  bool EvictOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ledger::EventStore* log_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, Slot> chunks_ ABSL_GUARDED_BY(mu_);
  std::map<const Cursor*, Place> places_ ABSL_GUARDED_BY(mu_);
  uint64_t use_clock_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t decoded_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_LOG_FEED_H_
