// The projection runtime: runs every registered Projection as a worker that
// folds the log from its own checkpoint and stores its state and checkpoint
// in one atomic RocksDB write per batch, in a RocksDB instance of its own
// (the projections' directory; one column family per copy of a projection,
// plus "default" for the runtime's meta). Free of gRPC and of the command
// side: it reads the log through ledger/storage (EventStore) and learns of
// new commits through NotifyHead() (the server wires it to the ledger's
// commit listener).
//
// Copies (generations): a projection has a live copy that queries read and,
// during a rebuild, a second copy built beside it from position 0; when the
// new copy has caught up with the live one it is swapped in (one meta write)
// and the old column family is dropped. A first build (fresh directory, or a
// stored copy of another version) is live from the start but answers
// UNAVAILABLE until it reaches the head it started at, so no query ever sees
// a half-built state. After a crash, each copy resumes at its checkpoint.
//
// Reading: every worker reads the log through one LogFeed (log_feed.h), so
// workers catching up together (a rebuild of everything, a first build)
// decode each stretch of the log and parse each payload once between them.
//
// Memory: RocksDB's block cache and memtables are bounded by Options; a
// worker holds rows across batches (held_rows_bytes) and buffers at most one batch
// (catch_up_batch_events_max events) of writes; the feed keeps a bounded window of decoded events.
//
// Thread-safety: every public method is safe from any thread. One worker
// thread per copy (named "p:<name>"), which alone owns
// its StateTxn and its LogFeed cursor; NotifyHead() never blocks on disk.
#ifndef RCL_PROJECTIONS_RUNTIME_H_
#define RCL_PROJECTIONS_RUNTIME_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/storage/disk_space.h"
#include "ledger/storage/event_store.h"
#include "projections/log_feed.h"
#include "projections/projection.h"
#include "projections/state_txn.h"
#include "rocksdb/db.h"

namespace rcl::projections {

struct ProjectionStatus {
  std::string name;
  uint64_t checkpoint = 0;
  uint64_t lag = 0;
  uint64_t events_per_s = 0;  // whole events per second
  uint64_t state_bytes = 0;
  std::string state;  // "live", "building" (first build), "stopped"
  std::string error;
  uint64_t generation = 0;
  bool rebuilding = false;
  uint64_t rebuild_checkpoint = 0;
  uint64_t rebuild_target = 0;
};

struct RebuildStarted {
  uint64_t generation = 0;
  uint64_t target = 0;
};

class Runtime {
 public:
  struct Options {
    std::string path;  // the projections' RocksDB directory (created if missing)
    size_t block_cache_bytes = size_t{32} << 20;
    size_t write_buffer_bytes = size_t{32} << 20;
    // Events folded and written together (one WriteBatch, one checkpoint)
    // when following the head, and while catching up (more than four such
    // batches behind): fewer, larger writes.
    size_t batch_events_max = 4096;
    size_t catch_up_batch_events_max = 16384;
    // While following the head, a worker with fewer than
    // follow_gather_events new events waits up to follow_gather_wait for
    // more before it folds, unless a query waits for a position (or the
    // worker stops): under a stream of small commits, fewer and larger
    // batches and wake-ups, for at most that much more lag. 0 events: no
    // wait. At 64 unary commands in flight, 5 ms and 1,024 events took the
    // workers from about 4.0 to 3.0 µs of CPU a command against 1 ms and
    // 256 (docs/PERFORMANCE.md).
    size_t follow_gather_events = 1024;
    absl::Duration follow_gather_wait = absl::Milliseconds(5);
    // Each worker's rows held across batches (StateTxn's bound, estimated).
    size_t held_rows_bytes = size_t{32} << 20;
    // The shared reader's chunks (LogFeed::Options).
    LogFeed::Options feed;
    // Longest a query waits for min_position.
    absl::Duration min_position_wait_max = absl::Seconds(2);
    // Tests: called on the worker thread before each batch is folded.
    std::function<void(std::string_view name, uint64_t from)> before_batch;
    // Free bytes of the file system below which no state is written (the
    // workers wait, as for a full disk; ledger/storage/disk_space.h), and
    // what tells them (default: statvfs of `path`; tests inject one).
    uint64_t disk_reserve_bytes = ledger::kDiskReserveBytesDefault;
    ledger::FreeSpaceProbe free_space_probe;
  };
  // The memory options for a bound of `memory_bytes` shared by `workers`
  // workers, as rcl-server sizes them (--projections-memory-mb): half for
  // RocksDB's block cache, to which the memtables (a quarter of the bound)
  // are charged; the other half for the rows the workers hold, equally.
  static Options ForMemory(size_t memory_bytes, size_t workers);

  // Opens (or creates) the store; starts nothing yet.
  static absl::StatusOr<std::unique_ptr<Runtime>> Open(
      Options options, const ledger::EventStore* log,
      std::vector<std::unique_ptr<Projection>> projections);
  ~Runtime();  // Stop()s
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Starts one worker per copy, following the log from each checkpoint.
  void Start();
  // Stops and joins every worker (a rebuild in progress resumes at the next
  // Start of the same directory).
  void Stop();

  // The log's head moved to `position` (durable). Cheap; never blocks on I/O.
  void NotifyHead(uint64_t position);

  // A snapshot of `name`'s live copy that has folded at least min_position,
  // waiting up to Options::min_position_wait_max. NOT_FOUND (no such
  // projection), OUT_OF_RANGE (min_position past the head), UNAVAILABLE
  // (still behind after the wait, first build not finished, or stopped on an
  // error; the message says how far behind or why).
  absl::StatusOr<std::unique_ptr<StateReader>> Read(std::string_view name, uint64_t min_position);

  std::vector<ProjectionStatus> Status();

  // Starts building a fresh copy of `name` beside the live one.
  // NOT_FOUND, or FAILED_PRECONDITION when a build is already running.
  absl::StatusOr<RebuildStarted> Rebuild(std::string_view name);

  uint64_t head() const;
  // Stretches of the log the shared reader has decoded so far (LogFeed).
  uint64_t log_chunks_decoded() const { return feed_.chunks_decoded(); }

  // The projections' RocksDB, for operations that read it whole (backups,
  // size metrics). Never for writes.
  rocksdb::DB* raw_db() const { return db_.get(); }

 private:
  struct Generation;
  struct Slot;
  // What changes about a copy while its worker runs.
  struct Progress {
    bool live = false;  // false while it is a rebuild beside the live copy
    uint64_t checkpoint = 0;
    bool stop = false;
    std::string error;
    absl::Time rate_since = absl::InfinitePast();
    uint64_t rate_from = 0;
    uint64_t events_per_s = 0;  // whole events per second
    absl::Time last_batch = absl::InfinitePast();
  };
  // A projection's copies: the one queries read, and a rebuild beside it.
  struct Copies {
    std::shared_ptr<Generation> live;
    std::shared_ptr<Generation> building;
  };
  Progress& ProgressOf(const Generation& gen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // It has folded up to the head it started at (its target).
  bool Complete(const Generation& gen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  explicit Runtime(Options options, const ledger::EventStore* log);
  absl::Status OpenStore(std::vector<std::unique_ptr<Projection>> projections);
  absl::Status LoadSlot(Slot& slot, const std::vector<std::string>& families);
  absl::StatusOr<std::shared_ptr<Generation>> NewGeneration(const Projection& projection, bool live)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartWorker(Slot* slot, std::shared_ptr<Generation> gen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Worker thread of one copy.
  void RunWorker(Slot* slot, std::shared_ptr<Generation> gen) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status FoldBatch(const Projection& projection, Generation& gen, StateTxn& txn,
                         LogFeed::Cursor& cursor, uint64_t from, uint64_t to, uint64_t head)
      ABSL_LOCKS_EXCLUDED(mu_);
  // After a write found the disk full: waits until more than the reserve is
  // free (a retry interval at least; less when stopped). Worker thread.
  void WaitForSpace(Generation& gen) ABSL_LOCKS_EXCLUDED(mu_);
  // A following worker's wait for more events (Options::follow_gather_*).
  void GatherLocked(const Generation& gen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Swaps a rebuilt copy in once it has caught up; on its worker thread.
  // True once it is the live copy.
  bool MaybeSwap(Slot* slot, const std::shared_ptr<Generation>& gen) ABSL_LOCKS_EXCLUDED(mu_);
  // Advances `p`'s events/s after a batch folded up to `to`.
  static void NoteRate(Progress& p, uint64_t to);
  Slot* FindSlot(std::string_view name);
  uint64_t StateBytes(const Generation& gen) const;
  // Installs `gen` as a copy of `slot` with its progress.
  void AddCopy(Slot* slot, std::shared_ptr<Generation> gen, Progress progress)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const ledger::EventStore* log_;
  LogFeed feed_;
  // Asked before each state write, by every worker (thread-safe).
  std::unique_ptr<ledger::DiskReserve> disk_reserve_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;  // the default family
  std::vector<std::unique_ptr<Slot>> slots_;     // fixed after Open

  mutable absl::Mutex mu_;
  uint64_t head_ ABSL_GUARDED_BY(mu_) = 0;
  // Queries waiting in Read() for a position: no worker gathers meanwhile.
  size_t readers_waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<const Slot*, Copies> copies_ ABSL_GUARDED_BY(mu_);
  // Every running or stopped copy's progress (std::map: references stay valid).
  std::map<const Generation*, Progress> progress_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_RUNTIME_H_
