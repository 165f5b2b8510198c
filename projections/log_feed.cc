#include "projections/log_feed.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "ledger/status.h"

namespace rcl::projections {
namespace {

// An event type's payload message and its postings field (null if none).
struct PayloadType {
  const google::protobuf::Message* prototype = nullptr;
  const google::protobuf::FieldDescriptor* postings = nullptr;
};

PayloadType TypeOf(const google::protobuf::Descriptor* d) {
  PayloadType t;
  t.prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  const google::protobuf::FieldDescriptor* f = d->FindFieldByName("postings");
  if (f != nullptr && f->is_repeated() && f->message_type() == rcl::v1::Posting::descriptor())
    t.postings = f;
  return t;
}

// Every message of rcl.v1's events.proto by name, built once (immutable
// after, so read without a lock).
const absl::flat_hash_map<std::string, PayloadType>& PayloadTypes() {
  static const auto* types = [] {
    auto* m = new absl::flat_hash_map<std::string, PayloadType>();
    const google::protobuf::FileDescriptor* file = rcl::v1::Posting::descriptor()->file();
    for (int i = 0; i < file->message_type_count(); ++i) {
      (*m)[file->message_type(i)->name()] = TypeOf(file->message_type(i));
    }
    return m;
  }();
  return *types;
}

// The payload type of an event type: events.proto's, else any rcl.v1
// message of that name (as ledger::PayloadPostings finds it), else none.
PayloadType FindType(std::string_view type) {
  const auto& types = PayloadTypes();
  if (auto it = types.find(AbslView(type)); it != types.end()) return it->second;
  const google::protobuf::Descriptor* d =
      rcl::v1::Posting::descriptor()->file()->pool()->FindMessageTypeByName(
          absl::StrCat("rcl.v1.", AbslView(type)));
  return d == nullptr ? PayloadType{} : TypeOf(d);
}

// Arena blocks of the decoded events: a chunk's payloads take a few of them.
constexpr size_t kArenaFirstBlockBytes = size_t{64} << 10;
constexpr size_t kArenaBlockBytesMax = size_t{1} << 20;

google::protobuf::ArenaOptions ArenaBlocks() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kArenaFirstBlockBytes;
  options.max_block_size = kArenaBlockBytesMax;
  return options;
}

void ParsePayload(google::protobuf::Arena* arena, LogEvent* e) {
  PayloadType t = FindType(e->record.type);
  if (t.prototype == nullptr) return;
  google::protobuf::Message* message = t.prototype->New(arena);
  std::string_view bytes = e->record.payload;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    e->undecodable = true;
    return;
  }
  e->payload = message;
}

// `bytes` copied onto `arena` (freed with it).
std::string_view CopyOnto(google::protobuf::Arena* arena, std::string_view bytes) {
  char* copy = google::protobuf::Arena::CreateArray<char>(arena, bytes.size());
  std::copy(bytes.begin(), bytes.end(), copy);
  return std::string_view(copy, bytes.size());
}

}  // namespace

PostingsView PostingsOf(const LogEvent& event) {
  if (event.payload == nullptr) return PostingsView();
  PayloadType t = FindType(event.record.type);
  if (t.postings == nullptr) return PostingsView();
  return PostingsView(event.payload, t.postings);
}

LogEvent ToLogEvent(const ledger::RecordView& record, google::protobuf::Arena* arena) {
  LogEvent e;
  e.record = ledger::Rebased(record, CopyOnto(arena, record.bytes));
  ParsePayload(arena, &e);
  return e;
}

bool CarriesPostings(const LogEvent& event) {
  return FindType(event.record.type).postings != nullptr;
}

DecodedEvents::DecodedEvents() : arena(ArenaBlocks()) {}

namespace {

// Scans from..to, checking that no position is skipped or missing; `visit`
// returns false to stop early (then no check of the end). The record views
// the log's bytes, valid only during its visit.
absl::Status ScanChecked(const ledger::EventStore& log, uint64_t from, uint64_t to,
                         const std::function<bool(const ledger::RecordView&)>& visit) {
  uint64_t expected = from;
  bool stopped = false;
  absl::Status skipped;
  RCL_RETURN_IF_ERROR(log.ScanLogViews(from, to, to - from + 1, [&](const ledger::RecordView& r) {
    if (r.position != expected) {
      skipped = absl::DataLossError(
          absl::StrCat("the log skips from position ", expected, " to ", r.position));
      return false;
    }
    ++expected;
    stopped = !visit(r);
    return !stopped;
  }));
  RCL_RETURN_IF_ERROR(skipped);
  if (!stopped && expected != to + 1) {
    return absl::DataLossError(
        absl::StrCat("the log ends at position ", expected - 1, ", before ", to));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> DecodeEvents(const ledger::EventStore& log, uint64_t from, uint64_t to,
                                  size_t bytes_max, DecodedEvents* out) {
  RCL_CHECK(out->events.empty());
  if (to < from) return true;
  out->events.reserve(to - from + 1);
  bool whole = true;
  RCL_RETURN_IF_ERROR(ScanChecked(log, from, to, [&](const ledger::RecordView& r) {
    // The record's bytes and its payload's message share the arena: one
    // allocation a few hundred events, none of them per string.
    out->events.push_back(ToLogEvent(r, &out->arena));
    out->bytes =
        out->events.size() * sizeof(LogEvent) + static_cast<size_t>(out->arena.SpaceAllocated());
    whole = out->bytes <= bytes_max;
    return whole;
  }));
  return whole;
}

absl::Status StreamEvents(const ledger::EventStore& log, uint64_t from, uint64_t to,
                          const std::function<bool(const LogEvent&)>& visit) {
  if (to < from) return absl::OkStatus();
  google::protobuf::Arena arena(ArenaBlocks());
  LogEvent e;
  return ScanChecked(log, from, to, [&](const ledger::RecordView& r) {
    arena.Reset();
    e.record = r;  // the log's bytes, valid for this visit
    e.payload = nullptr;
    e.undecodable = false;
    ParsePayload(&arena, &e);
    return visit(e);
  });
}

LogFeed::LogFeed(const ledger::EventStore* log, Options options) : log_(log), options_(options) {
  RCL_CHECK(options_.chunk_events > 0 && options_.chunks_max > 0 &&
            options_.tail_segment_events_max > 0);
}

LogFeed::Cursor::Cursor(LogFeed* feed) : feed_(feed) {
  absl::MutexLock lock(&feed_->mu_);
  feed_->places_[this] = Place{};
}

LogFeed::Cursor::~Cursor() {
  absl::MutexLock lock(&feed_->mu_);
  feed_->places_.erase(this);
}

void LogFeed::Cursor::SetCatchingUp(bool catching_up) {
  absl::MutexLock lock(&feed_->mu_);
  feed_->places_[this].catching_up = catching_up;
}

uint64_t LogFeed::chunks_decoded() const {
  absl::MutexLock lock(&mu_);
  return decoded_;
}

uint64_t LogFeed::events_decoded() const { return events_decoded_.load(std::memory_order_relaxed); }

absl::Status LogFeed::StreamCounted(uint64_t from, uint64_t to,
                                    const std::function<bool(const LogEvent&)>& visit) {
  uint64_t streamed = 0;
  absl::Status s = StreamEvents(*log_, from, to, [&](const LogEvent& e) {
    ++streamed;
    return visit(e);
  });
  events_decoded_.fetch_add(streamed, std::memory_order_relaxed);
  return s;
}

void LogFeed::WaitForLaggards(const Cursor& cursor, uint64_t index) {
  Place& me = places_[&cursor];
  me.chunk = index;
  if (!me.catching_up) return;
  auto within_lead = [this, &cursor, index]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& [other, place] : places_) {
      if (other != &cursor && place.catching_up && place.chunk + options_.lead_chunks_max < index) {
        return false;
      }
    }
    return true;
  };
  mu_.AwaitWithTimeout(absl::Condition(&within_lead), kLeadWaitMax);
}

bool LogFeed::EvictOne() {
  // Chunks below every catching-up reader's are needed by none of them.
  uint64_t needed_from = UINT64_MAX;
  for (const auto& [cursor, place] : places_) {
    if (place.catching_up) needed_from = std::min(needed_from, place.chunk);
  }
  auto oldest = chunks_.end();
  for (auto it = chunks_.begin(); it != chunks_.end(); ++it) {
    if (it->second.chunk == nullptr && !it->second.oversized) continue;  // being decoded
    if (it->first < needed_from) {
      oldest = it;  // the map is in index order: the first passed one
      break;
    }
    if (oldest == chunks_.end() || it->second.used < oldest->second.used) oldest = it;
  }
  if (oldest == chunks_.end()) return false;
  chunks_.erase(oldest);
  return true;
}

absl::StatusOr<std::shared_ptr<const LogFeed::Chunk>> LogFeed::GetChunk(Cursor& cursor,
                                                                        uint64_t index) {
  {
    absl::MutexLock lock(&mu_);
    WaitForLaggards(cursor, index);
    while (true) {
      auto it = chunks_.find(index);
      if (it == chunks_.end()) break;  // no one has it: this reader decodes it
      if (it->second.chunk != nullptr || it->second.oversized) {
        it->second.used = ++use_clock_;
        return it->second.chunk;  // null when oversized
      }
      // Another reader is decoding it.
      auto ready = [this, index]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        auto found = chunks_.find(index);
        return found == chunks_.end() || found->second.chunk != nullptr || found->second.oversized;
      };
      mu_.Await(absl::Condition(&ready));
    }
    chunks_[index] = Slot{};
  }
  auto chunk = std::make_shared<Chunk>();
  const uint64_t first = index * options_.chunk_events + 1;
  absl::StatusOr<bool> whole = DecodeEvents(*log_, first, first + options_.chunk_events - 1,
                                            options_.chunk_bytes_max, chunk.get());
  events_decoded_.fetch_add(chunk->events.size(), std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  if (!whole.ok()) {
    chunks_.erase(index);  // a waiter tries again itself
    return whole.status();
  }
  ++decoded_;
  Slot& slot = chunks_[index];
  slot.used = ++use_clock_;
  if (!*whole) {
    // Too large to keep: every reader streams it (a marker, no events).
    slot.oversized = true;
    return std::shared_ptr<const Chunk>();
  }
  slot.chunk = std::move(chunk);
  while (chunks_.size() > options_.chunks_max && EvictOne()) {
  }
  return slot.chunk;
}

absl::Status LogFeed::Read(Cursor& cursor, uint64_t from, uint64_t to, uint64_t head,
                           const std::function<bool(const LogEvent&)>& visit) {
  RCL_CHECK(to <= head);
  const uint64_t k = options_.chunk_events;
  bool shared = false;
  {
    absl::MutexLock lock(&mu_);
    shared = places_[&cursor].catching_up;
  }
  uint64_t next = from;
  bool more = true;
  // Whole chunks at or below the head, for a reader catching up: shared.
  while (shared && more && next <= to && ((next - 1) / k + 1) * k <= head) {
    const uint64_t index = (next - 1) / k;
    RCL_ASSIGN_OR_RETURN(std::shared_ptr<const Chunk> chunk, GetChunk(cursor, index));
    const uint64_t last = std::min(to, (index + 1) * k);
    if (chunk == nullptr) {
      bool stopped = false;
      RCL_RETURN_IF_ERROR(StreamCounted(next, last, [&](const LogEvent& e) {
        stopped = !visit(e);
        return !stopped;
      }));
      more = !stopped;
    } else {
      for (uint64_t p = next; p <= last && more; ++p)
        more = visit(chunk->events[p - index * k - 1]);
    }
    next = last + 1;
  }
  if (!more || next > to) return absl::OkStatus();
  // The rest (a reader following the head; past the last whole chunk): from
  // the shared tail.
  return ReadTail(next, to, head, visit);
}

LogFeed::TailPiece LogFeed::FindOrClaim(uint64_t next, uint64_t to, uint64_t head) {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto following = tail_.upper_bound(next);  // the first segment after `next`
    if (following != tail_.begin() && std::prev(following)->second.last >= next) {
      const auto& [first, segment] = *std::prev(following);
      if (segment.events != nullptr || segment.oversized) {
        return TailPiece{first, segment.last, segment.events, false};
      }
      // Another reader is decoding it: wait for it (or for its failure).
      const uint64_t key = first;
      auto ready = [this, key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        auto found = tail_.find(key);
        return found == tail_.end() || found->second.events != nullptr || found->second.oversized;
      };
      mu_.Await(absl::Condition(&ready));
      continue;  // look again: it may be published, evicted or dropped
    }
    uint64_t last = std::min(to, next + options_.tail_segment_events_max - 1);
    if (following != tail_.end()) last = std::min(last, following->first - 1);
    // Only the immutable log (at or below a head) is ever shared.
    RCL_CHECK(next <= last && last <= head);
    tail_[next] = Segment{last, nullptr, false};
    return TailPiece{next, last, nullptr, true};
  }
}

absl::StatusOr<std::shared_ptr<const DecodedEvents>> LogFeed::DecodeSegment(uint64_t first,
                                                                            uint64_t last) {
  auto events = std::make_shared<DecodedEvents>();
  absl::StatusOr<bool> whole =
      DecodeEvents(*log_, first, last, options_.chunk_bytes_max, events.get());
  events_decoded_.fetch_add(events->events.size(), std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  auto it = tail_.find(first);
  // A claim is never evicted: it is still there, still undecoded.
  RCL_CHECK(it != tail_.end() && it->second.last == last && it->second.events == nullptr &&
            !it->second.oversized);
  if (!whole.ok()) {
    tail_.erase(it);  // a waiter tries again itself
    return whole.status();
  }
  if (!*whole) {
    it->second.oversized = true;  // a marker: every reader streams it
    TrimTail();
    return std::shared_ptr<const DecodedEvents>();
  }
  // A segment's events are positions first..last, consecutive.
  RCL_CHECK(events->events.size() == last - first + 1 &&
            events->events.front().record.position == first &&
            events->events.back().record.position == last);
  it->second.events = events;
  tail_bytes_ += events->bytes;
  TrimTail();
  return std::shared_ptr<const DecodedEvents>(std::move(events));
}

void LogFeed::TrimTail() {
  auto it = tail_.begin();
  while (it != tail_.end() &&
         (tail_.size() > options_.tail_segments_max || tail_bytes_ > options_.tail_bytes_max)) {
    const Segment& segment = it->second;
    if (segment.events == nullptr && !segment.oversized) {
      ++it;  // being decoded
      continue;
    }
    if (segment.events != nullptr) {
      RCL_CHECK(tail_bytes_ >= segment.events->bytes);
      tail_bytes_ -= segment.events->bytes;
    }
    it = tail_.erase(it);  // the oldest positions first
  }
}

absl::Status LogFeed::ReadTail(uint64_t next, uint64_t to, uint64_t head,
                               const std::function<bool(const LogEvent&)>& visit) {
  RCL_CHECK(to <= head);
  while (next <= to) {
    TailPiece piece = FindOrClaim(next, to, head);
    if (piece.claimed) {
      RCL_ASSIGN_OR_RETURN(piece.events, DecodeSegment(piece.first, piece.last));
    }
    const uint64_t last = std::min(to, piece.last);
    bool more = true;
    if (piece.events == nullptr) {
      // Oversized: this reader streams its part alone.
      RCL_RETURN_IF_ERROR(StreamCounted(next, last, [&](const LogEvent& e) {
        more = visit(e);
        return more;
      }));
    } else {
      for (uint64_t p = next; p <= last && more; ++p) {
        more = visit(piece.events->events[p - piece.first]);
      }
    }
    if (!more) break;
    next = last + 1;
  }
  return absl::OkStatus();
}

}  // namespace rcl::projections
