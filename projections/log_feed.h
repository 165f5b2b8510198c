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
// Readers following the head (the normal case while the server takes
// commands) read the new events from a shared "tail": decoded stretches
// (segments) of consecutive positions at or below the head some reader
// gave. A reader takes what segments cover; a stretch no segment covers it
// decodes once (at most Options::tail_segment_events_max events) and
// publishes as a segment for the others, who wait for it while it is being
// decoded rather than decode it again (if the decoder fails, a waiter
// decodes it itself). Segments never overlap. The part of a catching-up
// read past its last whole chunk goes through the tail too. A stretch over
// Options::chunk_bytes_max is kept as a marker only: each reader streams it
// alone, one event at a time.
//
// Memory: at most chunks_max shared chunks of at most chunk_bytes_max each,
// plus the chunk each reader is folding (a decoded event with its parsed
// payload is about 1 KiB: a chunk of 2,048 about 2 MiB); the tail keeps at
// most tail_segments_max segments and tail_bytes_max bytes (the oldest
// positions evicted first, right after a segment is published; a segment
// being decoded is never evicted), plus the segment each reader is folding
// and the one each reader may be decoding (each at most chunk_bytes_max;
// a segment of a few events still takes its arena's first 64 KiB). A chunk or a
// segment that is gone is simply decoded again.
//
// Thread-safety: every method is safe from any thread; a Cursor is used by
// its worker thread only. The chunks, the tail and the cursors' places are
// guarded by one mutex; decoding and visiting run outside it, each reader
// holding the chunk or segment it visits (shared, immutable once
// published), so an eviction never frees events a reader is visiting.
#ifndef RCL_PROJECTIONS_LOG_FEED_H_
#define RCL_PROJECTIONS_LOG_FEED_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rcl/v1/events.pb.h"

namespace rcl::projections {

struct LogEvent {
  // The record's strings view its bytes: on the DecodedEvents' arena, or,
  // for an event streamed alone (StreamEvents), the log's own, valid only
  // during its visit.
  ledger::RecordView record;
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
// place; empty when it has none. The field is looked up by reflection once,
// when the view is made (a fold reads it per posting).
class PostingsView {
 public:
  PostingsView() = default;
  PostingsView(const google::protobuf::Message* payload,
               const google::protobuf::FieldDescriptor* field)
      : postings_(
            payload->GetReflection()->GetRepeatedFieldRef<rcl::v1::Posting>(*payload, field)) {}
  int size() const { return postings_.has_value() ? postings_->size() : 0; }
  bool empty() const { return size() == 0; }
  // For a generated message the reference is the entry itself; the scratch
  // space the interface asks for is not written.
  const rcl::v1::Posting& operator[](int i) const { return postings_->Get(i, &scratch_); }

 private:
  std::optional<google::protobuf::RepeatedFieldRef<rcl::v1::Posting>> postings_;
  mutable rcl::v1::Posting scratch_;
};
PostingsView PostingsOf(const LogEvent& event);
// The event's type is a message with postings (a financial event).
bool CarriesPostings(const LogEvent& event);

// Consecutive events of the log: each record's bytes copied onto one arena
// and its payload parsed there (all freed at once with them).
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

// `record` as a LogEvent: its bytes copied onto `arena` and its payload
// parsed there (as the feed's segments hold their events).
LogEvent ToLogEvent(const ledger::RecordView& record, google::protobuf::Arena* arena);

// Visits positions from..to of `log` decoded one at a time (the memory of
// one event) until `visit` returns false; DATA_LOSS as DecodeEvents.
absl::Status StreamEvents(const ledger::EventStore& log, uint64_t from, uint64_t to,
                          const std::function<bool(const LogEvent&)>& visit);

class LogFeed {
 public:
  // The tail's default bounds: a segment of at most a chunk's events; about
  // 8,000 events kept (two follower batches of the three workers' lag), in
  // at most 128 segments (followers waking at different heads cut the new
  // events into small segments).
  static constexpr uint64_t kTailSegmentEventsMax = 2048;
  static constexpr size_t kTailSegmentsMax = 128;
  static constexpr size_t kTailBytesMax = size_t{8} << 20;

  struct Options {
    uint64_t chunk_events = 2048;
    // A chunk whose events take more memory is not kept: its readers each
    // stream it (events of large payloads).
    size_t chunk_bytes_max = size_t{4} << 20;
    size_t chunks_max = 6;
    size_t lead_chunks_max = 4;
    // The shared tail of readers following the head.
    uint64_t tail_segment_events_max = kTailSegmentEventsMax;
    size_t tail_segments_max = kTailSegmentsMax;
    size_t tail_bytes_max = kTailBytesMax;
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

  // Shared chunks decoded (a chunk evicted and decoded again counts twice),
  // for tests and status.
  uint64_t chunks_decoded() const;
  // Events read from the log and decoded by this feed's readers: in chunks,
  // in tail segments, or streamed by a reader alone (for tests).
  uint64_t events_decoded() const;

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
  struct Segment {
    uint64_t last = 0;                            // its positions: its key in tail_ .. last
    std::shared_ptr<const DecodedEvents> events;  // null while being decoded, or oversized
    bool oversized = false;                       // over chunk_bytes_max: streamed by each reader
  };
  // Positions first..last of the tail for a reader at `first`: a segment's
  // (events null when oversized), or a stretch this reader has claimed and
  // must decode (`claimed`).
  struct TailPiece {
    uint64_t first = 0;
    uint64_t last = 0;
    std::shared_ptr<const DecodedEvents> events;
    bool claimed = false;
  };
  // The shared chunk `index`, decoding it if no one has it.
  absl::StatusOr<std::shared_ptr<const Chunk>> GetChunk(Cursor& cursor, uint64_t index);
  void WaitForLaggards(const Cursor& cursor, uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops a decoded chunk: one every catching-up reader has passed if any,
  // else the least recently used; false when none is decoded.
  bool EvictOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Visits next..to (to <= head) from the tail.
  absl::Status ReadTail(uint64_t next, uint64_t to, uint64_t head,
                        const std::function<bool(const LogEvent&)>& visit);
  // The segment covering `next`, waiting while it is being decoded; else a
  // claim on next..(at most to, tail_segment_events_max events, up to the
  // next segment).
  TailPiece FindOrClaim(uint64_t next, uint64_t to, uint64_t head) ABSL_LOCKS_EXCLUDED(mu_);
  // Decodes the claimed stretch first..last and publishes it (null when
  // oversized); on error drops the claim.
  absl::StatusOr<std::shared_ptr<const DecodedEvents>> DecodeSegment(uint64_t first, uint64_t last)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Evicts the oldest decoded segments while over the tail's bounds.
  void TrimTail() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // StreamEvents, counted in events_decoded_.
  absl::Status StreamCounted(uint64_t from, uint64_t to,
                             const std::function<bool(const LogEvent&)>& visit);

  const ledger::EventStore* log_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, Slot> chunks_ ABSL_GUARDED_BY(mu_);
  std::map<const Cursor*, Place> places_ ABSL_GUARDED_BY(mu_);
  uint64_t use_clock_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t decoded_ ABSL_GUARDED_BY(mu_) = 0;
  // The tail: segments by first position (never overlapping), their bytes.
  std::map<uint64_t, Segment> tail_ ABSL_GUARDED_BY(mu_);
  size_t tail_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> events_decoded_{0};
};

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_LOG_FEED_H_
