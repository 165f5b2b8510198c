// Ledger: the write side of RCL. Owns the EventStore and a three-stage
// pipeline (group commit):
//   1. the sequencer thread takes queued commands in batches, decides each
//      against current state, and builds ONE RocksDB WriteBatch per batch
//      (positions, versions, hash chain);
//   2. the writer thread writes every decided batch waiting, in order, with
//      ONE WAL fsync at the end, and only then publishes the new head;
//   3. the completer thread answers every command of a durable batch.
// The sequencer decides batch N+1 while batch N is being fsynced; a command
// is never answered before its batch (and every batch before it) is durable.
// After a storage failure every later batch is failed and nothing more is
// written until the ledger is reopened (a failed fsync leaves the page cache
// untrustworthy). The one exception is a full disk: the ledger refuses writes
// (UNAVAILABLE) while it is full, and the sequencer probes every
// kDiskFullRetryInterval; once a synced write works again it forgets every
// state decided on top of the failed writes, reloads the head from the store
// and accepts writes again by itself. "Full" means less free space than
// Options::disk_reserve_bytes: the writer checks it before every write
// (ledger/storage/disk_space.h) and refuses the batch without handing it to
// RocksDB, so RocksDB keeps the reserve for its own flushes and compactions
// and does not meet ENOSPC itself; an ENOSPC it reports anyway (the disk
// filled by someone else faster than the probes) is handled the same way.
//
// Thread-safety: Submit(), head(), WaitForPosition() and the listener calls
// are safe from any thread. Callbacks run on the completer thread and must
// not block.
#ifndef RCL_LEDGER_LEDGER_H_
#define RCL_LEDGER_LEDGER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/bounded_queue.h"
#include "ledger/held_command.h"
#include "ledger/rules/commands.h"
#include "ledger/storage/disk_space.h"
#include "ledger/storage/event_store.h"
#include "rcl/v1/events.pb.h"
#include "rocksdb/write_batch.h"

namespace rcl::ledger {

struct CommandRequest {
  std::string tenant;
  std::string command_id;                   // optional idempotency key
  std::optional<int64_t> expected_version;  // of CommandStream(command); -1 = must not exist
  std::string correlation_id;
  std::string causation_id;
  std::string actor;
  HeldCommand command;  // its own, or on a batch's arena (held_command.h)
  // Decide only: nothing is written, the result's `preview` holds the events
  // the command would append (its position and versions are not set).
  bool dry_run = false;
  // Where an import reports how far it is (commands.h); null: not watched.
  std::shared_ptr<ImportProgress> progress;
};

struct CommandResult {
  uint64_t position = 0;  // position of the command's last event
  std::string stream;
  uint64_t stream_version = 0;
  std::vector<std::string> event_ids;
  std::string command_id;
  std::vector<NewEvent> preview;  // dry runs only
  bool operator==(const CommandResult&) const = default;
};

using CommandCallback = std::function<void(absl::StatusOr<CommandResult>)>;

// What one durable write (one fsync) carried, for metrics (Options::after_write).
struct WriteStats {
  size_t batches = 0;    // decided batches merged into the write
  size_t commands = 0;   // commands that wrote events (the group-commit size)
  uint64_t events = 0;   // events appended
  int64_t write_us = 0;  // the write and its fsync, in microseconds
};

// Tenant tips (tenant sequence, tenant hash, Merkle right edge: about 2 KiB
// each) the sequencer keeps beyond those of batches not yet durable.
inline constexpr size_t kTenantTipsMax = 10'000;

// Most commands one SubmitBatch() takes (the ExecuteBatch RPC's bound). An
// atomic batch is decided alone in its ledger batch, so a ledger batch holds
// at most max(batch_commands_max, kBatchCommandsMax) commands.
inline constexpr size_t kBatchCommandsMax = 1000;

// What one command's write usually takes (a charge's record, its three
// index entries and its command record: about 1 KiB): a decided batch's
// write is made this much room a command at first (1 MiB for a batch of
// kBatchCommandsMax), so that it seldom grows by copying.
inline constexpr size_t kWriteBytesPerCommandGuess = 1024;

// A decided batch's tables of the streams it changes (its overlay, their
// base versions and last versions) start with room for one stream a
// command, up to this many: growing one rehashes and moves every stream
// state it holds.
inline constexpr size_t kBatchStreamsReserveMax = 256;

// In a refused atomic batch, the message of every command but the refused
// one starts with this (code ABORTED).
inline constexpr char kNotWrittenPrefix[] = "not written: command ";

// How often the sequencer tries writing again while the disk is full.
inline constexpr absl::Duration kDiskFullRetryInterval = absl::Seconds(1);

class Ledger {
 public:
  struct Options {
    std::string data_dir;
    size_t queue_max = 8192;           // queued commands; beyond: RESOURCE_EXHAUSTED
    size_t batch_commands_max = 512;   // commands decided and committed together
    size_t batches_in_flight_max = 4;  // decided batches waiting for fsync or answers
    size_t state_cache_streams_max = 200'000;
    // Estimated bytes of the stream states the sequencer caches (see
    // StateCache); the states pinned by batches not yet durable are outside
    // this bound (at most PinnedStreamsMax() of them).
    size_t state_cache_bytes_max = size_t{256} << 20;
    // Estimated bytes of the commands queued or in flight (not yet answered);
    // beyond: RESOURCE_EXHAUSTED, like queue_max.
    size_t queue_bytes_max = size_t{160} << 20;  // holds the largest 835 import (kImportBytesMax)
    // RocksDB memory: the block cache (which also holds index and filter
    // blocks) and the memtables of all column families together.
    size_t block_cache_bytes = size_t{64} << 20;
    size_t write_buffer_bytes = size_t{64} << 20;
    bool sync_writes = true;  // only tests may turn fsync off
    // Keep each tenant's Merkle tree (EventStore::Options::merkle_tree).
    bool merkle_tree = true;
    // Clock, for tests; default is the system clock (microseconds since epoch).
    std::function<int64_t()> clock_us;
    // Decider, for tests of the log mechanics (e.g. commands spanning many
    // streams); default is rcl::ledger::Decide.
    std::function<absl::StatusOr<Decision>(const rcl::v1::Command&, StateView&)> decide;
    // Called on the writer thread before each write to the store, for tests
    // that hold or slow the writer so that decided batches pile up before
    // they are durable. Default: nothing.
    std::function<void()> before_write;
    // Called on the writer thread after each durable write, before the head
    // is published. Must be cheap and must not block (metrics: atomic adds).
    std::function<void(const WriteStats&)> after_write;
    // The RocksDB Env of the event store (EventStore::Options::env); tests
    // only.
    rocksdb::Env* env = nullptr;
    // Free bytes of the data directory's file system below which nothing is
    // written (the disk counts as full; DiskReserve).
    uint64_t disk_reserve_bytes = kDiskReserveBytesDefault;
    // Tells the data directory's free bytes; default FreeBytes(data_dir).
    // Tests only.
    FreeSpaceProbe free_space_probe;
  };

  static absl::StatusOr<std::unique_ptr<Ledger>> Open(Options options);
  ~Ledger();  // Stop()s
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Validates and normalizes the command, then queues it. On OK the callback
  // is called exactly once, after the command's events are durable (or with
  // the rule it broke). On error the callback is never called:
  // INVALID_ARGUMENT (bad input), RESOURCE_EXHAUSTED (queue full),
  // UNAVAILABLE (stopping, or read-only after a write failure).
  absl::Status Submit(CommandRequest request, CommandCallback callback) ABSL_LOCKS_EXCLUDED(mu_);

  // Submit and wait.
  absl::StatusOr<CommandResult> Execute(CommandRequest request) ABSL_LOCKS_EXCLUDED(mu_);

  // Queues 1 to kBatchCommandsMax commands together, in order, under one
  // lock: they are decided in that order (each against the state the earlier
  // ones produced) and ride the same group commit(s). callbacks[i] belongs
  // to requests[i]. Returns one status per command: OK means queued (its
  // callback is called exactly once, as for Submit), an error means its
  // callback is never called. Dry runs are refused (INVALID_ARGUMENT).
  //  - atomic = false: each command succeeds or fails on its own, as if
  //    submitted one by one in that order.
  //  - atomic = true: all or nothing in ONE commit (one WriteBatch): the
  //    group is decided alone in its ledger batch; if any command is refused
  //    (a rule, an expected version, a used command id) nothing is written,
  //    that command's callback gets its error and every other one ABORTED
  //    naming the refused command's index. An import (DecidedAlone) cannot
  //    be part of an atomic batch.
  // In both modes, if any command is invalid (INVALID_ARGUMENT: the request
  // itself is wrong), none is queued: the invalid ones get their error, the
  // others ABORTED.
  std::vector<absl::Status> SubmitBatch(std::vector<CommandRequest> requests,
                                        std::vector<CommandCallback> callbacks, bool atomic)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Completer thread, inside a command's callback only (checked): runs `fn`
  // there once every callback of the batch being answered has run, so that
  // answers going to one place can leave together (CommandStream writes a
  // group commit's answers in one message). `fn` must not block.
  void AfterThisBatch(std::function<void()> fn);

  // SubmitBatch and wait: one result per command.
  std::vector<absl::StatusOr<CommandResult>> ExecuteBatch(std::vector<CommandRequest> requests,
                                                          bool atomic) ABSL_LOCKS_EXCLUDED(mu_);

  // The last committed (durable) position and hash.
  LogHead head() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until head().position >= position or the timeout passes.
  bool WaitForPosition(uint64_t position, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Called on the writer thread after every commit with the new head
  // position. Must be fast and must not block. Returns an id for removal.
  int AddCommitListener(std::function<void(uint64_t)> listener) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveCommitListener(int id) ABSL_LOCKS_EXCLUDED(mu_);

  // Stops accepting commands, finishes every queued one (decided, written,
  // answered), and joins the sequencer, writer and completer threads.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  const EventStore& store() const { return *store_; }
  EventStore* mutable_store_for_testing() { return store_.get(); }

  // For metrics: whether writes are refused for a full disk (until space is
  // back), the data directory's free bytes (probed now: one statvfs) and
  // the reserve.
  bool disk_full() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<uint64_t> disk_free_bytes() const;
  uint64_t disk_reserve_bytes() const { return options_.disk_reserve_bytes; }

  // Counters for metrics and benchmarks.
  uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  uint64_t committed_commands() const {
    return committed_commands_.load(std::memory_order_relaxed);
  }
  uint64_t fsyncs() const { return fsyncs_.load(std::memory_order_relaxed); }
  // Commands queued for the sequencer (not yet taken into a batch). Takes the
  // queue's lock once: for metrics scrapes, not for the hot path.
  size_t queued_commands() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pending {
    CommandRequest request;
    std::string fingerprint;  // SHA-256 of the command, when command_id is set
    CommandCallback callback;
    size_t bytes = 0;  // charged to commands_bytes_ until answered
    // On the first command of an atomic group: the group's size (its
    // commands follow it in the queue); 0 otherwise.
    size_t atomic_group = 0;
  };
  // A batch decided by the sequencer, on its way to disk and then to answers.
  struct DecidedBatch {
    uint64_t seq = 0;
    std::vector<Pending> commands;
    std::vector<absl::StatusOr<CommandResult>> results;
    std::unique_ptr<rocksdb::WriteBatch> write_batch;  // null when nothing to write
    LogHead head_before;                               // the head this batch was decided on
    LogHead head_after;                                // set when write_batch is
    size_t written_commands = 0;
  };
  class BatchView;

  explicit Ledger(Options options);
  // Most stream states the sequencer keeps pinned (changed by batches not yet
  // durable) for these options.
  static size_t PinnedStreamsMax(const Options& options);
  void SequencerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  struct BatchContext;
  // The sequencer's steps (ledger.cc and ledger_groups.cc say what each
  // does). Sequencer thread only.
  DecidedBatch DecideBatch(std::vector<Pending> batch);
  void ForgetDurable(uint64_t seq);
  absl::StatusOr<CommandResult> DecideOne(BatchContext& ctx, const Pending& pending);
  void DecideEach(BatchContext& ctx, const std::vector<Pending>& batch);
  void DecideAtomic(BatchContext& ctx, const std::vector<Pending>& group);
  // What deciding a batch's commands changes outside its BatchContext
  // (tenant tips, in-flight command ids), as it was at the batch's start:
  // restored by RollBack.
  struct BatchUndo;
  void RollBack(BatchContext& ctx, const BatchUndo& undo);
  std::optional<absl::StatusOr<CommandResult>> CheckIdempotency(const Pending& pending,
                                                                const std::string& command_key);
  absl::StatusOr<CommandResult> DecideDryRun(BatchContext& ctx, const CommandRequest& req,
                                             const std::string& primary);
  absl::Status CheckExpectedVersion(BatchView& view, const CommandRequest& req,
                                    const std::string& primary);
  absl::StatusOr<std::vector<EventRecord>> DecideAndApply(BatchContext& ctx,
                                                          const CommandRequest& req,
                                                          CommandResult* result);
  static absl::Status CheckNewEvent(const NewEvent& ne);
  absl::Status ApplyNewEvent(BatchContext& ctx, const CommandRequest& req, size_t index,
                             NewEvent* ne, CommandResult* result,
                             std::vector<EventRecord>* records);
  void ExtendChain(BatchContext& ctx, std::vector<EventRecord>* records, CommandResult* result);
  absl::Status LoadTip(const std::string& tenant);
  void SealAndPut(BatchContext& ctx, EventRecord* e);
  void RecordCommand(BatchContext& ctx, const Pending& pending, const std::string& command_key,
                     const CommandResult& result);
  void PublishBatch(BatchContext& ctx);
  // While the disk is full and no command waits: writes again if it can
  // (ledger_writer.cc). Sequencer thread only.
  void TryResumeWrites() ABSL_LOCKS_EXCLUDED(mu_);
  // The writer's steps (ledger.cc says what each does). Writer thread only,
  // except StorageFailed().
  struct WriterCursor {
    uint64_t last_seq = 0;  // the last batch seen
    LogHead written;        // the head the next batch must have been decided on
  };
  void WriterLoop() ABSL_LOCKS_EXCLUDED(mu_);
  bool StorageFailed() const ABSL_LOCKS_EXCLUDED(mu_);
  static void CheckFollows(WriterCursor& cursor, const std::vector<DecidedBatch>& batches,
                           bool failed);
  // What became of one write: written, refused before RocksDB saw it (the
  // disk is below its reserve), or failed in RocksDB (maybe partly on disk).
  enum class WriteOutcome { kWritten, kNotWritten, kFailed };
  WriteOutcome WriteMerged(const std::vector<DecidedBatch>& batches) ABSL_LOCKS_EXCLUDED(mu_);
  // Answers every command of `batches` UNAVAILABLE; `attempted`: their write
  // reached RocksDB (so they may have been recorded).
  void FailBatches(std::vector<DecidedBatch>& batches, bool attempted) ABSL_LOCKS_EXCLUDED(mu_);
  static const LogHead* LastHeadAfter(const std::vector<DecidedBatch>& batches);
  void PublishHead(const LogHead& head) ABSL_LOCKS_EXCLUDED(mu_);
  // Checks the context and the command (every violation, normalizing the
  // command in place).
  absl::Status ValidateRequest(CommandRequest& request) const;
  // A validated command ready to queue (its bytes and fingerprint set).
  absl::StatusOr<Pending> Prepare(CommandRequest request, CommandCallback callback) const;
  // Whether `commands` more commands of `bytes` may be queued now; on OK
  // charges the bytes.
  absl::Status AdmitLocked(size_t commands, size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleterLoop();
  int64_t NowUs() const;

  Options options_;
  std::unique_ptr<EventStore> store_;
  // The data directory's free-space reserve: asked by the writer before each
  // write and by the sequencer before it tries writing again.
  static DiskReserve::Options ReserveOptions(const Options& options);
  DiskReserve disk_reserve_{ReserveOptions(options_)};

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  // Estimated bytes of the commands queued or in flight (not yet answered).
  std::atomic<size_t> commands_bytes_{0};
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;     // until reopened
  bool disk_full_ ABSL_GUARDED_BY(mu_) = false;  // until TryResumeWrites() succeeds
  LogHead head_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::function<void(uint64_t)>> listeners_ ABSL_GUARDED_BY(mu_);
  int next_listener_id_ ABSL_GUARDED_BY(mu_) = 1;

  // Sequencer-thread state (no lock: only the sequencer touches it).
  struct SequencerState;
  std::unique_ptr<SequencerState> sequencer_state_;
  std::unique_ptr<BoundedQueue<DecidedBatch>> to_write_;
  std::unique_ptr<BoundedQueue<DecidedBatch>> to_complete_;
  std::atomic<uint64_t> durable_seq_{0};  // last batch written (or failed)
  std::thread sequencer_thread_;
  std::thread writer_thread_;
  std::thread completer_thread_;
  // Completer thread only: what AfterThisBatch deferred to the end of the
  // batch being answered.
  std::vector<std::function<void()>> after_batch_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> committed_commands_{0};
  std::atomic<uint64_t> fsyncs_{0};
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_LEDGER_H_
