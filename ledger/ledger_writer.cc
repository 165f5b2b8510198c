// The ledger's writer and completer stages (ledger/ledger.h): the writer
// writes every decided batch waiting as one write with one fsync, publishes
// the new head and hands the batches to the completer, which answers them.
// The sequencer's side is in ledger.cc.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ledger/ledger.h"
#include "ledger/status.h"
#include "spdlog/spdlog.h"

namespace rcl::ledger {

DiskReserve::Options Ledger::ReserveOptions(const Options& options) {
  return {.path = options.data_dir,
          .reserve_bytes = options.disk_reserve_bytes,
          .probe = options.free_space_probe,
          .now = nullptr,
          .writer = "ledger"};
}

// The writer's one round per group of decided batches, in named steps: check
// they follow one another, write them as one, answer failure or count the
// commit, publish the new head, mark them durable, hand them to the completer.
void Ledger::WriterLoop() {
  // The writer sees every batch, in the order the sequencer decided them, and
  // writes them on top of one another.
  WriterCursor cursor{.last_seq = 0, .written = head()};
  while (true) {
    // Every decided batch waiting is written now, merged into ONE write with
    // one fsync.
    std::vector<DecidedBatch> batches = to_write_->PopAll();
    if (batches.empty()) break;
    bool failed = StorageFailed();
    CheckFollows(cursor, batches, failed);
    bool attempted = false;
    if (!failed) {
      const WriteOutcome outcome = WriteMerged(batches);
      failed = outcome != WriteOutcome::kWritten;
      attempted = outcome == WriteOutcome::kFailed;
    }
    if (failed) {
      FailBatches(batches, attempted);
      // The next batch that writes is decided on the last durable head
      // (after a full disk, once the sequencer starts again from the store).
      cursor.written = head();
    } else {
      const LogHead* written = LastHeadAfter(batches);
      if (written != nullptr) PublishHead(*written);
    }
    RCL_CHECK(batches.back().seq > durable_seq_.load(std::memory_order_relaxed));
    durable_seq_.store(batches.back().seq, std::memory_order_release);
    for (DecidedBatch& b : batches) to_complete_->Push(std::move(b));
  }
  to_complete_->Close();
}

// Any thread. True once a write failed (until the ledger is reopened, or
// until TryResumeWrites() finds space again): nothing more is written.
bool Ledger::StorageFailed() const {
  absl::MutexLock lock(&mu_);
  return failed_ || disk_full_;
}

// Writer thread. Each batch must be the one after the last (by seq) and,
// unless a write already failed, decided on the head the log is at; moves
// `cursor` past them.
void Ledger::CheckFollows(WriterCursor& cursor, const std::vector<DecidedBatch>& batches,
                          bool failed) {
  for (const DecidedBatch& b : batches) {
    RCL_CHECK(b.seq == cursor.last_seq + 1)
        << "batch " << b.seq << " after batch " << cursor.last_seq;
    cursor.last_seq = b.seq;
    if (failed) continue;  // decided on top of a batch that was never written
    RCL_CHECK(b.head_before.position == cursor.written.position &&
              b.head_before.hash == cursor.written.hash)
        << "batch " << b.seq << " decided on position " << b.head_before.position
        << ", the log is at " << cursor.written.position;
    if (b.write_batch == nullptr) continue;
    RCL_CHECK(b.head_after.position > b.head_before.position &&
              b.head_after.recorded_at_us >= b.head_before.recorded_at_us)
        << "batch " << b.seq << " moves the head from " << b.head_before.position << " to "
        << b.head_after.position;
    cursor.written = b.head_after;
  }
}

// Writer thread. Writes every batch that has something to write as ONE
// atomic write with one fsync, and counts the commits. Refuses the write
// before RocksDB sees it when it would leave less than the reserve free.
// Either failure stops the ledger accepting writes (a full disk until space
// is back). Nothing of these batches is visible to readers before it is
// durable (PublishHead comes after).
Ledger::WriteOutcome Ledger::WriteMerged(const std::vector<DecidedBatch>& batches) {
  std::vector<rocksdb::WriteBatch*> to_write;
  uint64_t bytes = 0;
  for (const DecidedBatch& b : batches) {
    if (b.write_batch == nullptr) continue;
    to_write.push_back(b.write_batch.get());
    bytes += b.write_batch->GetDataSize();
  }
  if (to_write.empty()) return WriteOutcome::kWritten;
  if (options_.before_write) options_.before_write();
  if (absl::Status room = disk_reserve_.Admit(bytes); !room.ok()) {
    spdlog::error(
        "{}; refusing writes until space is freed (nothing of this write reached "
        "the store)",
        std::string(room.message()));
    absl::MutexLock lock(&mu_);
    disk_full_ = true;
    return WriteOutcome::kNotWritten;
  }
  auto started = std::chrono::steady_clock::now();
  absl::Status written =
      to_write.size() == 1 ? store_->Write(to_write[0]) : store_->WriteAll(to_write);
  auto write_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (!written.ok()) {
    absl::MutexLock lock(&mu_);
    if (absl::IsResourceExhausted(written)) {
      spdlog::error(
          "ledger write failed, the disk is full; refusing writes until space is freed: {}",
          written.ToString());
      disk_full_ = true;
    } else {
      spdlog::error("ledger write failed; refusing further writes until restarted: {}",
                    written.ToString());
      failed_ = true;
    }
    return WriteOutcome::kFailed;
  }
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  WriteStats stats;
  stats.write_us = write_us;
  for (const DecidedBatch& b : batches) {
    if (b.write_batch == nullptr) continue;
    commits_.fetch_add(1, std::memory_order_relaxed);
    committed_commands_.fetch_add(b.written_commands, std::memory_order_relaxed);
    stats.batches += 1;
    stats.commands += b.written_commands;
    stats.events += b.head_after.position - b.head_before.position;
  }
  if (options_.after_write) options_.after_write(stats);
  return WriteOutcome::kWritten;
}

size_t Ledger::queued_commands() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

bool Ledger::disk_full() const {
  absl::MutexLock lock(&mu_);
  return disk_full_ && !failed_;
}

absl::StatusOr<uint64_t> Ledger::disk_free_bytes() const {
  if (options_.free_space_probe) return options_.free_space_probe();
  return FreeBytes(options_.data_dir);
}

// Writer thread. Batches not durable (or decided on top of a batch that is
// not): no command of them gets any answer but this. A full disk refused
// before RocksDB saw the write (or never tried: a batch decided on top of a
// refused one) wrote nothing; a write RocksDB failed may have reached it.
void Ledger::FailBatches(std::vector<DecidedBatch>& batches, bool attempted) {
  const char* message =
      "storage write failed; the command may not have been recorded: retry with the same "
      "command id after a restart";
  if (disk_full()) {
    message = attempted
                  ? "storage write failed, the data directory's disk is full; the command may "
                    "not have been recorded: retry with the same command id once space is freed "
                    "(writes resume by themselves)"
                  : "the data directory's disk is full: the command was not written; retry it "
                    "with the same command id once space is freed (writes resume by themselves)";
  }
  for (DecidedBatch& b : batches) {
    for (auto& r : b.results) r = absl::UnavailableError(message);
  }
}

// The head after the last batch that wrote something; null if none did.
const LogHead* Ledger::LastHeadAfter(const std::vector<DecidedBatch>& batches) {
  for (auto b = batches.rbegin(); b != batches.rend(); ++b) {
    if (b->write_batch != nullptr) return &b->head_after;
  }
  return nullptr;
}

// Writer thread, after the write is durable. Makes `head` visible to
// readers, then tells the commit listeners (outside the lock).
void Ledger::PublishHead(const LogHead& head) {
  std::vector<std::function<void(uint64_t)>> listeners;
  {
    absl::MutexLock lock(&mu_);
    RCL_CHECK(head.position > head_.position)
        << "head from " << head_.position << " to " << head.position;
    head_ = head;
    for (auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (auto& listener : listeners) listener(head.position);
}

namespace {
// The ledger whose completer runs on this thread while it answers a batch
// (AfterThisBatch may be called only then).
thread_local const Ledger* tl_completing = nullptr;
}  // namespace

void Ledger::CompleterLoop() {
  while (std::optional<DecidedBatch> b = to_complete_->Pop()) {
    size_t bytes = 0;
    tl_completing = this;
    for (size_t i = 0; i < b->commands.size(); ++i) {
      b->commands[i].callback(std::move(b->results[i]));
      bytes += b->commands[i].bytes;
    }
    tl_completing = nullptr;
    // Moved out first: a deferred function may not defer again.
    std::vector<std::function<void()>> after = std::move(after_batch_);
    after_batch_.clear();
    for (std::function<void()>& fn : after) fn();
    commands_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
}

// Completer thread, inside a callback.
void Ledger::AfterThisBatch(std::function<void()> fn) {
  RCL_CHECK(tl_completing == this) << "AfterThisBatch outside this ledger's completion callbacks";
  after_batch_.push_back(std::move(fn));
}

}  // namespace rcl::ledger
