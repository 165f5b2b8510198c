#include "ledger/ledger.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/audit/merkle.h"
#include "ledger/event_ids.h"
#include "ledger/postings.h"
#include "ledger/replay.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/validation.h"
#include "ledger/sequencer_context.h"
#include "ledger/state_cache.h"
#include "ledger/status.h"
#include "spdlog/spdlog.h"

namespace rcl::ledger {
namespace {

CommandResult FromRecord(const rcl::v1::CommandRecord& r, const std::string& command_id) {
  CommandResult out;
  out.position = r.position();
  out.stream = r.stream();
  out.stream_version = r.stream_version();
  out.event_ids.assign(r.event_ids().begin(), r.event_ids().end());
  out.command_id = command_id;
  return out;
}

}  // namespace

Ledger::Ledger(Options options) : options_(std::move(options)) {}

namespace {

size_t BatchesInFlightMax(const Ledger::Options& options) {
  return std::max<size_t>(options.batches_in_flight_max, 1);
}

}  // namespace

// At most 2 * in-flight + 1 batches are not durable while a batch is being
// decided: the ones the writer took (up to the queue's capacity), the ones
// queued behind them (up to the capacity), and the one being decided. Each
// touches at most max(batch_commands_max, kBatchCommandsMax) *
// kEventsPerCommandMax streams (an atomic group is decided alone in its
// batch), or kEventsPerImportMax when it is an import (decided alone too).
size_t Ledger::PinnedStreamsMax(const Options& options) {
  size_t batches = 2 * BatchesInFlightMax(options) + 1;
  size_t per_batch = 0;
  const size_t commands = std::max(options.batch_commands_max, kBatchCommandsMax);
  if (__builtin_mul_overflow(commands, kEventsPerCommandMax, &per_batch)) {
    return SIZE_MAX;
  }
  per_batch = std::max(per_batch, kEventsPerImportMax);
  size_t streams = 0;
  if (__builtin_mul_overflow(batches, per_batch, &streams)) return SIZE_MAX;
  return streams;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(Options options) {
  if (options.queue_max == 0 || options.batch_commands_max == 0) {
    return absl::InvalidArgumentError("queue_max and batch_commands_max must be positive");
  }
  std::unique_ptr<Ledger> ledger(new Ledger(std::move(options)));
  EventStore::Options store_options;
  store_options.path = ledger->options_.data_dir;
  store_options.sync_writes = ledger->options_.sync_writes;
  store_options.merkle_tree = ledger->options_.merkle_tree;
  store_options.block_cache_bytes = ledger->options_.block_cache_bytes;
  store_options.write_buffer_bytes = ledger->options_.write_buffer_bytes;
  store_options.env = ledger->options_.env;
  RCL_ASSIGN_OR_RETURN(ledger->store_, EventStore::Open(store_options));
  // Recovery: the head is the last record of the log (one seek); stream
  // versions and states load lazily from the stream index.
  RCL_ASSIGN_OR_RETURN(LogHead head, ledger->store_->ReadHead());
  ledger->sequencer_state_ = std::make_unique<SequencerState>(
      ledger->options_.state_cache_streams_max, ledger->options_.state_cache_bytes_max,
      PinnedStreamsMax(ledger->options_));
  ledger->sequencer_state_->next_position = head.position + 1;
  ledger->sequencer_state_->last_hash = head.hash;
  ledger->sequencer_state_->last_recorded_at_us = head.recorded_at_us;
  {
    absl::MutexLock lock(&ledger->mu_);
    ledger->head_ = head;
  }
  spdlog::info("ledger opened: head position {}", head.position);
  size_t in_flight = BatchesInFlightMax(ledger->options_);
  ledger->to_write_ = std::make_unique<BoundedQueue<DecidedBatch>>(in_flight);
  ledger->to_complete_ = std::make_unique<BoundedQueue<DecidedBatch>>(in_flight);
  Ledger* l = ledger.get();
  // Named for ops/bench/lone-command, perf and top -H (at most 15 bytes).
  ledger->completer_thread_ = std::thread([l] {
    pthread_setname_np(pthread_self(), "rcl-completer");
    l->CompleterLoop();
  });
  ledger->writer_thread_ = std::thread([l] {
    pthread_setname_np(pthread_self(), "rcl-writer");
    l->WriterLoop();
  });
  ledger->sequencer_thread_ = std::thread([l] {
    pthread_setname_np(pthread_self(), "rcl-sequencer");
    l->SequencerLoop();
  });
  return ledger;
}

Ledger::~Ledger() { Stop(); }

void Ledger::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Each stage drains what it has, then closes the next stage's queue.
  if (sequencer_thread_.joinable()) sequencer_thread_.join();
  if (writer_thread_.joinable()) writer_thread_.join();
  if (completer_thread_.joinable()) completer_thread_.join();
}

int64_t Ledger::NowUs() const {
  if (options_.clock_us) return options_.clock_us();
  return absl::ToUnixMicros(absl::Now());
}

LogHead Ledger::head() const {
  absl::MutexLock lock(&mu_);
  return head_;
}

bool Ledger::WaitForPosition(uint64_t position, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return head_.position >= position; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

int Ledger::AddCommitListener(std::function<void(uint64_t)> listener) {
  absl::MutexLock lock(&mu_);
  int id = next_listener_id_++;
  listeners_[id] = std::move(listener);
  return id;
}

void Ledger::RemoveCommitListener(int id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

void Ledger::SequencerLoop() {
  while (true) {
    std::vector<Pending> batch;
    bool resume = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      // A full disk wakes the sequencer (the writer sets disk_full_), which
      // then tries writing again once per interval while nothing is queued.
      auto ready_or_full = [&]()
                               ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ready() || disk_full_; };
      if (disk_full_) {
        mu_.AwaitWithTimeout(absl::Condition(&ready), kDiskFullRetryInterval);
      } else {
        mu_.Await(absl::Condition(&ready_or_full));
      }
      if (queue_.empty() && stopping_) break;  // stopping and drained
      resume = queue_.empty();                 // only a full disk wakes us with nothing to do
      // An import is decided alone: a batch holds one import or only
      // commands of the ordinary bound (PinnedStreamsMax counts on it).
      // So is an atomic group (SubmitBatch): all its commands, queued
      // together, make one batch.
      size_t n = std::min(queue_.size(), options_.batch_commands_max);
      for (size_t i = 0; i < n; ++i) {
        const size_t group = queue_.front().atomic_group;
        const bool alone = DecidedAlone(*queue_.front().request.command) || group > 0;
        if (alone && !batch.empty()) break;
        const size_t take = std::max<size_t>(group, 1);
        RCL_CHECK(queue_.size() >= take) << "atomic group of " << group << " cut short";
        for (size_t j = 0; j < take; ++j) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (alone) break;
      }
    }
    if (resume) {
      TryResumeWrites();
      continue;
    }
    to_write_->Push(DecideBatch(std::move(batch)));
  }
  to_write_->Close();
}

// Sequencer thread, while the disk is full and no command waits. Once every
// batch decided so far has failed in the writer and more than the reserve is
// free, asks the store to write again; if it can, the failed batches left
// nothing in the store (the head is the last one published), and every state
// decided on top of them is forgotten: it starts again from the store.
void Ledger::TryResumeWrites() {
  SequencerState& w = *sequencer_state_;
  {
    absl::MutexLock lock(&mu_);
    if (!disk_full_ || failed_) return;
  }
  if (durable_seq_.load(std::memory_order_acquire) + 1 != w.next_seq) return;
  if (!disk_reserve_.CheckNow().ok()) return;  // still below the reserve: RocksDB not asked
  absl::Status resumed = store_->Resume();
  if (!resumed.ok()) {
    if (absl::IsResourceExhausted(resumed)) return;  // still full
    spdlog::error(
        "ledger cannot write again after a full disk; refusing writes until restarted: {}",
        resumed.ToString());
    absl::MutexLock lock(&mu_);
    failed_ = true;
    return;
  }
  const LogHead published = head();
  absl::StatusOr<LogHead> stored = store_->ReadHead();
  if (!stored.ok() || stored->position != published.position || stored->hash != published.hash) {
    spdlog::error(
        "after a full disk the stored head is not the last one published; refusing "
        "writes until restarted");
    absl::MutexLock lock(&mu_);
    failed_ = true;
    return;
  }
  const uint64_t next_seq = w.next_seq;
  sequencer_state_ = std::make_unique<SequencerState>(
      options_.state_cache_streams_max, options_.state_cache_bytes_max, PinnedStreamsMax(options_));
  sequencer_state_->next_seq = next_seq;
  sequencer_state_->next_position = stored->position + 1;
  sequencer_state_->last_hash = stored->hash;
  sequencer_state_->last_recorded_at_us = stored->recorded_at_us;
  absl::MutexLock lock(&mu_);
  disk_full_ = false;
  spdlog::warn("the disk has space again: writes resume at position {}", stored->position + 1);
}

// The sequencer's one batch, in named steps: forget what is durable, then
// per command: the idempotency check, the expected-version check, decide and
// apply (a refusal after part of a command was folded rolls the batch back
// to decide it again without that command: ledger_groups.cc), extend the
// chain, record the command; finally publish the states later batches
// decide on.
Ledger::DecidedBatch Ledger::DecideBatch(std::vector<Pending> batch) {
  SequencerState& w = *sequencer_state_;
  BatchContext ctx(this);
  // Room for what a command usually writes, so the write grows by doubling
  // seldom (each doubling copies it whole).
  ctx.write_batch =
      std::make_unique<rocksdb::WriteBatch>(kWriteBytesPerCommandGuess * batch.size());
  const size_t streams = std::min(batch.size(), kBatchStreamsReserveMax);
  ctx.overlay.reserve(streams);
  ctx.versions.reserve(streams);
  ctx.view.Reserve(streams);
  ctx.out.seq = w.next_seq++;
  ctx.out.results.assign(batch.size(), absl::UnknownError("not decided"));
  ForgetDurable(ctx.out.seq);
  ctx.first_position = ctx.next_position = w.next_position;
  ctx.chain = w.last_hash;
  ctx.out.head_before = LogHead{ctx.first_position - 1, w.last_hash, w.last_recorded_at_us};
  ctx.recorded_at_us = std::max(NowUs(), w.last_recorded_at_us);
  RCL_CHECK(ctx.recorded_at_us >= w.last_recorded_at_us) << "recorded_at_us would go back";
  ctx.view.set_today(
      absl::ToCivilDay(absl::FromUnixMicros(ctx.recorded_at_us), absl::UTCTimeZone()));
  if (batch.front().atomic_group > 0) {
    DecideAtomic(ctx, batch);
  } else {
    DecideEach(ctx, batch);
  }
  ctx.view.ReleasePins();
  PublishBatch(ctx);
  ctx.out.commands = std::move(batch);
  return std::move(ctx.out);
}

// Sequencer thread. Forgets in-flight command ids and unpins stream states
// whose batch is durable: the store answers for them now.
void Ledger::ForgetDurable(uint64_t seq) {
  SequencerState& w = *sequencer_state_;
  uint64_t durable = durable_seq_.load(std::memory_order_acquire);
  RCL_CHECK(durable < seq) << "batch " << seq << " decided after durable batch " << durable;
  while (!w.in_flight_order.empty() && w.in_flight_order.front().first <= durable) {
    auto it = w.in_flight.find(w.in_flight_order.front().second);
    if (it != w.in_flight.end() && it->second.seq <= durable) w.in_flight.erase(it);
    w.in_flight_order.pop_front();
  }
  while (!w.pinned_order.empty() && w.pinned_order.front().first <= durable) {
    auto it = w.pinned.find(w.pinned_order.front().second);
    if (it != w.pinned.end() && it->second.seq <= durable) w.pinned.erase(it);
    w.pinned_order.pop_front();
  }
  if (w.tips.size() > kTenantTipsMax) {
    absl::erase_if(w.tips, [durable](const auto& tip) { return tip.second.batch_seq <= durable; });
  }
}

// Sequencer thread. Makes sure the tenant's tip is in memory: from the store
// (which holds every durable event) unless a batch not yet durable moved it.
absl::Status Ledger::LoadTip(const std::string& tenant) {
  SequencerState& w = *sequencer_state_;
  if (w.tips.contains(tenant)) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(TenantHead head, store_->ReadTenantHead(tenant));
  SequencerState::TenantTip tip;
  tip.seq = head.tenant_seq;
  tip.hash = head.tenant_hash;
  if (store_->merkle_tree()) {
    RCL_ASSIGN_OR_RETURN(tip.range, store_->TenantRightEdge(tenant, head.tenant_seq));
  }
  w.tips.emplace(tenant, std::move(tip));
  return absl::OkStatus();
}

// Sequencer thread. One command of the batch: its result, and on success its
// events in the batch's write.
absl::StatusOr<CommandResult> Ledger::DecideOne(BatchContext& ctx, const Pending& pending) {
  const CommandRequest& req = pending.request;
  ctx.view.set_tenant(req.tenant);
  ctx.view.set_progress(req.progress.get());
  ctx.view.ReleasePins();
  std::string command_key;
  if (!req.command_id.empty()) {
    command_key = CommandKey(req.tenant, req.command_id);
    std::optional<absl::StatusOr<CommandResult>> seen = CheckIdempotency(pending, command_key);
    if (seen.has_value()) return *std::move(seen);
  }
  std::string primary = CommandStream(*req.command);
  RCL_RETURN_IF_ERROR(CheckExpectedVersion(ctx.view, req, primary));
  if (req.dry_run) return DecideDryRun(ctx, req, primary);
  RCL_RETURN_IF_ERROR(LoadTip(req.tenant));
  CommandResult result;
  result.command_id = req.command_id.empty() ? NewUuid() : req.command_id;
  result.stream = std::move(primary);
  RCL_ASSIGN_OR_RETURN(std::vector<EventRecord> records, DecideAndApply(ctx, req, &result));
  ExtendChain(ctx, &records, &result);
  if (!command_key.empty()) RecordCommand(ctx, pending, command_key, result);
  ++ctx.written_commands;
  return result;
}

// Sequencer thread. A dry run: the events the command would append, decided
// against the batch's view; nothing is applied, written or recorded.
absl::StatusOr<CommandResult> Ledger::DecideDryRun(BatchContext& ctx, const CommandRequest& req,
                                                   const std::string& primary) {
  RCL_ASSIGN_OR_RETURN(Decision decision, options_.decide ? options_.decide(*req.command, ctx.view)
                                                          : Decide(*req.command, ctx.view));
  if (decision.events.size() > EventsMax(*req.command)) {
    return absl::FailedPreconditionError(absl::StrCat("command would append ",
                                                      decision.events.size(), " events; at most ",
                                                      EventsMax(*req.command), " are allowed"));
  }
  CommandResult result;
  result.stream = primary;
  result.command_id = req.command_id;
  result.preview = std::move(decision.events);
  return result;
}

// Sequencer thread. The same command id decided earlier (in this batch or
// one not yet durable) or already stored: its original result, or
// ALREADY_EXISTS for another command. nullopt when the id is new.
std::optional<absl::StatusOr<CommandResult>> Ledger::CheckIdempotency(
    const Pending& pending, const std::string& command_key) {
  SequencerState& w = *sequencer_state_;
  const CommandRequest& req = pending.request;
  if (auto it = w.in_flight.find(command_key); it != w.in_flight.end()) {
    if (it->second.fingerprint != pending.fingerprint) {
      return absl::AlreadyExistsError("command id was already used for a different command");
    }
    return it->second.result;
  }
  auto stored = store_->GetCommand(req.tenant, req.command_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::nullopt;
  rcl::v1::CommandRecord record;
  if (!record.ParseFromString(**stored)) return absl::DataLossError("undecodable command record");
  if (record.fingerprint() != pending.fingerprint) {
    return absl::AlreadyExistsError("command id was already used for a different command");
  }
  return FromRecord(record, req.command_id);
}

// Sequencer thread. ABORTED when the command's stream is not at the version
// the command expects.
absl::Status Ledger::CheckExpectedVersion(BatchView& view, const CommandRequest& req,
                                          const std::string& primary) {
  if (!req.expected_version.has_value()) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(const StreamState* current, view.Get(primary));
  if (current->version != *req.expected_version) {
    return absl::AbortedError(absl::StrCat("expected version ", *req.expected_version, " of ",
                                           primary, " but it is at ", current->version));
  }
  return absl::OkStatus();
}

// Sequencer thread. Decides the command against the batch's view and folds
// its events into the overlay; on any failure the overlay is as before.
absl::StatusOr<std::vector<EventRecord>> Ledger::DecideAndApply(BatchContext& ctx,
                                                                const CommandRequest& req,
                                                                CommandResult* result) {
  RCL_ASSIGN_OR_RETURN(Decision decision, options_.decide ? options_.decide(*req.command, ctx.view)
                                                          : Decide(*req.command, ctx.view));
  // The decision holds what it needs; the states it read may now move into
  // the overlay instead of being copied (BatchView::Mutable).
  ctx.view.ReleasePins();
  if (decision.events.empty()) return absl::InternalError("command decided no events");
  if (decision.events.size() > EventsMax(*req.command)) {
    return absl::FailedPreconditionError(absl::StrCat("command would append ",
                                                      decision.events.size(), " events; at most ",
                                                      EventsMax(*req.command), " are allowed"));
  }
  for (const NewEvent& ne : decision.events) RCL_RETURN_IF_ERROR(CheckNewEvent(ne));
  // Folded into the overlay in place: a refusal from here on leaves it
  // half-changed, and the batch is decided again without this command
  // (DecideEach, ledger_groups.cc).
  std::vector<EventRecord> records;
  records.reserve(decision.events.size());
  for (NewEvent& ne : decision.events) {
    absl::Status applied = ApplyNewEvent(ctx, req, records.size(), &ne, result, &records);
    if (!applied.ok()) {
      ctx.overlay_broken = true;
      return applied;
    }
    if (req.progress != nullptr) req.progress->Done(records.size());
  }
  return records;
}

// Sequencer thread. The limits of a decided event's envelope, checked before
// anything of its command is folded.
absl::Status Ledger::CheckNewEvent(const NewEvent& ne) {
  static_assert(kPayloadSizeMax == 64 * 1024, "the message below names the limit");
  if (ne.payload.size() > kPayloadSizeMax) {
    return absl::FailedPreconditionError("event payload exceeds the 64 KiB limit");
  }
  if (ne.stream.empty() || ne.stream.size() > kEnvelopeStringSizeMax ||
      ne.type.size() > kEnvelopeStringSizeMax ||
      ne.effective_date.size() > kEnvelopeStringSizeMax) {
    return absl::InternalError("event envelope field outside its limits");
  }
  return absl::OkStatus();
}

// Sequencer thread. The envelope of one new event, folded into the overlay.
absl::Status Ledger::ApplyNewEvent(BatchContext& ctx, const CommandRequest& req, size_t index,
                                   NewEvent* ne, CommandResult* result,
                                   std::vector<EventRecord>* records) {
  RCL_CHECK(CheckNewEvent(*ne).ok()) << "an event past its limits reached the overlay";
  RCL_ASSIGN_OR_RETURN(StreamState * state, ctx.view.Mutable(ne->stream));
  EventRecord e;
  e.position = ctx.next_position + index;
  e.version = static_cast<uint64_t>(state->version + 1);
  e.recorded_at_us = ctx.recorded_at_us;
  e.tenant = req.tenant;
  e.stream = std::move(ne->stream);  // the decision is done with its events
  e.type = std::move(ne->type);
  e.event_id = NewUuid();
  e.command_id = result->command_id;
  e.correlation_id = req.correlation_id;
  e.causation_id = req.causation_id;
  e.actor = req.actor;
  e.effective_date = std::move(ne->effective_date);
  e.payload = std::move(ne->payload);
  RCL_RETURN_IF_ERROR(ApplyDecidedEvent(state, e.version, e.type, e.payload, ne->message.get()));
  RCL_CHECK(state->version == static_cast<int64_t>(e.version))
      << "stream " << e.stream << " at version " << state->version << " after applying version "
      << e.version;
  if (e.stream == result->stream) result->stream_version = e.version;
  records->push_back(std::move(e));
  return absl::OkStatus();
}

// Sequencer thread. Checks what is about to be written (the next position,
// the stream's next version, time not going back, balanced postings), seals
// each record into the hash chain and puts it and its stream index entry
// into the batch's write.
void Ledger::ExtendChain(BatchContext& ctx, std::vector<EventRecord>* records,
                         CommandResult* result) {
  SequencerState& w = *sequencer_state_;
  for (EventRecord& e : *records) {
    RCL_CHECK(e.position == ctx.next_position + result->event_ids.size())
        << "position " << e.position << " where " << ctx.next_position + result->event_ids.size()
        << " is next";
    const std::string& key = StateKey(&ctx.state_key, e.tenant, e.stream);
    auto [last, first_in_batch] = ctx.versions.try_emplace(key, 0);
    if (first_in_batch) last->second = ctx.view.BaseVersion(key);
    RCL_CHECK(static_cast<int64_t>(e.version) == last->second + 1)
        << "stream " << e.stream << " version " << e.version << " after version " << last->second;
    last->second = static_cast<int64_t>(e.version);
    RCL_CHECK(e.recorded_at_us >= w.last_recorded_at_us)
        << "recorded_at_us goes back at position " << e.position;
    absl::Status balanced = CheckPayloadBalanced(e.type, e.payload);
    RCL_CHECK(balanced.ok()) << e.type << " at position " << e.position << " of " << e.stream
                             << ": " << balanced.message();
    SealAndPut(ctx, &e);
    result->event_ids.push_back(std::move(e.event_id));  // sealed: the record is done with it
  }
  ctx.next_position += records->size();
  result->position = ctx.next_position - 1;
}

// Sequencer thread. Gives the event its tenant sequence, seals it into the
// global chain and its tenant's chain, and puts it, its stream and tenant
// index entries and the Merkle nodes it completes into the batch's write.
void Ledger::SealAndPut(BatchContext& ctx, EventRecord* e) {
  SequencerState& w = *sequencer_state_;
  auto tip = w.tips.find(e->tenant);
  RCL_CHECK(tip != w.tips.end()) << "no tenant tip loaded for position " << e->position;
  SequencerState::TenantTip& t = tip->second;
  RCL_CHECK(!store_->merkle_tree() || t.range.size() == t.seq)
      << "tenant tree of " << t.range.size() << " leaves at tenant sequence " << t.seq;
  e->tenant_seq = t.seq + 1;
  const std::string_view canonical = SealRecord(ctx.chain, t.hash, e, &ctx.record);
  const std::string_view record = ctx.record;
  ctx.chain = e->hash;
  t.seq = e->tenant_seq;
  t.hash = e->tenant_hash;
  t.batch_seq = ctx.out.seq;
  rocksdb::WriteBatch& batch = *ctx.write_batch;
  batch.Put(store_->log_family(), PositionKey(e->position), record);
  std::string position_value;
  PutBigEndian64(&position_value, e->position);
  StreamIndexKeyInto(&ctx.index_key, e->tenant, e->stream, e->version);
  batch.Put(store_->stream_family(), ctx.index_key, position_value);
  const bool tree = store_->merkle_tree();
  const Hash leaf = tree ? audit::LeafHash(canonical) : Hash{};
  TenantIndexValueInto(&ctx.index_value, e->position, tree ? &leaf : nullptr);
  batch.Put(store_->tenant_family(), TenantIndexKey(e->tenant, e->tenant_seq), ctx.index_value);
  if (!tree) return;
  t.range.Append(leaf, [&](const audit::PerfectNode& node) {
    // The leaf is in the tenant index entry; levels 1 to 3 are recomputed.
    if (node.level < kMerkleTileLevel) return;
    batch.Put(store_->merkle_family(), MerkleNodeKey(e->tenant, node.level, node.index),
              rocksdb::Slice(reinterpret_cast<const char*>(node.hash.data()), node.hash.size()));
  });
  RCL_CHECK(t.range.size() == t.seq) << "tenant tree did not grow with its sequence";
}

// Sequencer thread. The command id's record (idempotency forever), and the
// id in flight until this batch is durable.
void Ledger::RecordCommand(BatchContext& ctx, const Pending& pending,
                           const std::string& command_key, const CommandResult& result) {
  SequencerState& w = *sequencer_state_;
  rcl::v1::CommandRecord record;
  record.set_fingerprint(pending.fingerprint);
  record.set_position(result.position);
  record.set_stream(result.stream);
  record.set_stream_version(result.stream_version);
  for (const auto& id : result.event_ids) record.add_event_ids(id);
  record.set_recorded_at_us(ctx.recorded_at_us);
  ctx.write_batch->Put(store_->command_family(), command_key, record.SerializeAsString());
  w.in_flight[command_key] = SequencerState::InFlight{ctx.out.seq, pending.fingerprint, result};
  w.in_flight_order.emplace_back(ctx.out.seq, command_key);
}

// Sequencer thread. The states later batches decide on are exactly what this
// batch wrote; they go to the cache and stay pinned until the batch is
// durable (the cache may evict them before then, and the store does not have
// them yet). Optimistic: if this batch's write fails, the writer fails it and
// every batch after it.
void Ledger::PublishBatch(BatchContext& ctx) {
  SequencerState& w = *sequencer_state_;
  RCL_CHECK(ctx.overlay.size() == ctx.versions.size())
      << ctx.overlay.size() << " streams changed, " << ctx.versions.size() << " written";
  for (const auto& [key, state] : ctx.overlay) {
    auto written = ctx.versions.find(key);
    RCL_CHECK(written != ctx.versions.end() && written->second == state.version)
        << "a stream's state is not at the version this batch wrote";
  }
  if (ctx.next_position == ctx.first_position) return;  // nothing to write
  for (auto& [key, state] : ctx.overlay) {
    auto shared = std::make_shared<StreamState>(std::move(state));
    w.cache.Put(key, shared);
    w.pinned[key] = SequencerState::Pinned{ctx.out.seq, std::move(shared)};
    w.pinned_order.emplace_back(ctx.out.seq, key);
  }
  RCL_CHECK(w.pinned.size() <= w.pinned_order.size() && w.pinned_order.size() <= w.pinned_max)
      << "pinned stream states: " << w.pinned.size() << " streams, " << w.pinned_order.size()
      << " entries, bound " << w.pinned_max;
  w.next_position = ctx.next_position;
  w.last_hash = ctx.chain;
  w.last_recorded_at_us = ctx.recorded_at_us;
  ctx.out.write_batch = std::move(ctx.write_batch);
  ctx.out.head_after = LogHead{ctx.next_position - 1, ctx.chain, ctx.recorded_at_us};
  RCL_CHECK(ctx.out.head_after.position > ctx.out.head_before.position);
  ctx.out.written_commands = ctx.written_commands;
}

}  // namespace rcl::ledger
