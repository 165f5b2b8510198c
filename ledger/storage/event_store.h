// EventStore: the append-only event log on RocksDB. Reads are safe from any
// thread; Write() is called only by the ledger's writer thread (one writer). Holds no
// in-memory state of its own beyond RocksDB handles.
#ifndef RCL_LEDGER_EVENT_STORE_H_
#define RCL_LEDGER_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/storage/codec.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace rcl::ledger {

struct LogHead {
  uint64_t position = 0;  // 0 when the log is empty
  Hash hash{};            // all zeros when the log is empty
  int64_t recorded_at_us = 0;
};

struct VerifyResult {
  bool ok = true;
  uint64_t from_position = 0;
  uint64_t to_position = 0;
  uint64_t events_checked = 0;
  uint64_t first_bad_position = 0;
  std::string error;
  Hash hash_at_to{};
};

// Largest range one Verify call checks; callers page through longer ranges.
inline constexpr uint64_t kVerifyEventsMax = 1'000'000;
// Largest page of a stream read.
inline constexpr size_t kReadPageMax = 1000;

class EventStore {
 public:
  struct Options {
    std::string path;
    bool sync_writes = true;  // WAL fsync on every write; only tests may turn it off
    // The block cache, shared by every column family; it also holds their
    // index and filter blocks, which otherwise stay outside any bound and grow
    // with the number and size of table files.
    size_t block_cache_bytes = size_t{64} << 20;
    // Memtables of all column families together (RocksDB's
    // db_write_buffer_size); each family's memtable is a quarter of it, at
    // most two per family.
    size_t write_buffer_bytes = size_t{64} << 20;
  };

  static absl::StatusOr<std::unique_ptr<EventStore>> Open(const Options& options);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // The last event of the log (found by seeking to the end: no scan).
  absl::StatusOr<LogHead> ReadHead() const;

  // NOT_FOUND if there is no event at `position`.
  absl::StatusOr<EventRecord> ReadEvent(uint64_t position) const;

  // Calls `visit` for each event with from <= position <= to in order, at most
  // `count_max` of them, until `visit` returns false.
  absl::Status ScanLog(uint64_t from, uint64_t to, size_t count_max,
                       const std::function<bool(const EventRecord&)>& visit) const;

  // -1 when the stream has no event.
  absl::StatusOr<int64_t> StreamLastVersion(std::string_view tenant, std::string_view stream) const;

  // Up to `limit` events of a stream from `from_version` (inclusive), forward
  // or backward; stops after the event that brings the stored bytes of the
  // events read to `bytes_max` or more (so a page can be short of `limit`).
  absl::StatusOr<std::vector<EventRecord>> ReadStream(std::string_view tenant,
                                                      std::string_view stream,
                                                      uint64_t from_version, bool backward,
                                                      size_t limit,
                                                      size_t bytes_max = SIZE_MAX) const;

  // The stored command record for an idempotency key, if any.
  absl::StatusOr<std::optional<std::string>> GetCommand(std::string_view tenant,
                                                        std::string_view command_id) const;

  // Checks the log over [from, to] (clamped to the head and to
  // kVerifyEventsMax events), on one snapshot of the store:
  //  - the hash chain: positions gapless, records decodable, each record's
  //    position equal to its key, prev_hash equal to the previous event's
  //    hash, hash equal to SHA-256(prev_hash || canonical bytes), and the
  //    postings of financial events balancing;
  //  - the stream index: every event in the range reachable from its index
  //    entry, every index entry pointing into the range naming an event of
  //    that stream and version, every stream's entries gapless from version 0
  //    and in position order. Entries pointing nowhere (position 0, or past
  //    the head) and malformed entries are reported by the call whose range
  //    reaches the head, at position head + 1.
  // The first problem (lowest position) is reported, with the stream it
  // concerns in `error`. The index check walks the whole stream index
  // (sequentially, keys and 8-byte values) on every call.
  absl::StatusOr<VerifyResult> Verify(uint64_t from, uint64_t to) const;

  // Atomically applies one batch, with WAL fsync (unless the store was
  // opened without it).
  absl::Status Write(rocksdb::WriteBatch* batch);

  // Atomically applies several batches, in order, as one write with one
  // fsync.
  absl::Status WriteAll(const std::vector<rocksdb::WriteBatch*>& batches);

  rocksdb::ColumnFamilyHandle* log_family() const { return log_; }
  rocksdb::ColumnFamilyHandle* stream_family() const { return streams_; }
  rocksdb::ColumnFamilyHandle* command_family() const { return commands_; }
  // Raw access for tests and tools (e.g. tampering tests). Never for writes
  // in production code.
  rocksdb::DB* raw_db() const { return db_.get(); }

 private:
  EventStore() = default;
  absl::StatusOr<LogHead> ReadHeadAt(const rocksdb::ReadOptions& options) const;
  absl::StatusOr<EventRecord> ReadEventAt(const rocksdb::ReadOptions& options,
                                          uint64_t position) const;
  // The stream-index half of Verify (see event_store.cc).
  struct IndexCheck;
  void VerifyStreamIndex(const rocksdb::ReadOptions& options, IndexCheck* check) const;

  Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_EVENT_STORE_H_
