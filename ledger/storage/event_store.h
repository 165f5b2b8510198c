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
#include "ledger/audit/merkle.h"
#include "ledger/storage/codec.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace rcl::ledger {

struct LogHead {
  uint64_t position = 0;  // 0 when the log is empty
  Hash hash{};            // all zeros when the log is empty
  int64_t recorded_at_us = 0;
};

// The last event of one tenant: its tenant sequence (the size of the
// tenant's Merkle tree), position and tenant chain hash.
struct TenantHead {
  uint64_t tenant_seq = 0;  // 0 when the tenant has no event
  uint64_t position = 0;
  Hash tenant_hash{};  // all zeros when the tenant has no event
  int64_t recorded_at_us = 0;
};

// What VerifyTenant found over [from_seq, to_seq] of one tenant.
struct TenantVerifyResult {
  bool ok = true;
  uint64_t from_seq = 0;
  uint64_t to_seq = 0;
  uint64_t events_checked = 0;
  uint64_t nodes_checked = 0;  // stored Merkle nodes recomputed and compared
  uint64_t first_bad_seq = 0;
  std::string error;
  Hash tenant_hash_at_to{};
  Hash root_at_to{};  // the Merkle root of the tree of size to_seq (when kept)
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
    // Whether the sequencer keeps each tenant's Merkle tree (the `merkle`
    // family). Recorded in the data directory at its creation; a directory is
    // always opened the way it was made. Off only for the benchmark that
    // measures the tree's cost (ops/bench/append).
    bool merkle_tree = true;
    // The RocksDB Env; null: the default. Only tests set it (a file system
    // that injects faults: tests/testing/fault_fs.h).
    rocksdb::Env* env = nullptr;
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
  // `count_max` of them, until `visit` returns false. The record is the
  // visit's own: it may move from it.
  absl::Status ScanLog(uint64_t from, uint64_t to, size_t count_max,
                       const std::function<bool(EventRecord&)>& visit) const;
  // The same, each event read in place (no string copied): the view and its
  // bytes are valid only during its visit.
  absl::Status ScanLogViews(uint64_t from, uint64_t to, size_t count_max,
                            const std::function<bool(const RecordView&)>& visit) const;

  // The last position whose event was recorded at or before `time_us`
  // (recorded_at_us never decreases along the log), among positions
  // [1, head]; 0 when the first event is later. O(log n) event reads.
  absl::StatusOr<uint64_t> LastPositionAtOrBefore(int64_t time_us, uint64_t head) const;

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

  // --- One tenant's log (ledger/storage/tenant_log.cc) ---

  // The tenant's last event (one seek in the tenant index, one read).
  absl::StatusOr<TenantHead> ReadTenantHead(std::string_view tenant) const;
  // The position of the tenant's event `tenant_seq`; NOT_FOUND if none.
  absl::StatusOr<uint64_t> TenantEventPosition(std::string_view tenant, uint64_t tenant_seq) const;
  // The tenant's event `tenant_seq`; NOT_FOUND if none, DATA_LOSS if the
  // index names an event of another tenant or sequence.
  absl::StatusOr<EventRecord> ReadTenantEvent(std::string_view tenant, uint64_t tenant_seq) const;
  // The smallest tenant sequence in [1, last_seq] whose event is at a
  // position >= `position`; last_seq + 1 if none (binary search: O(log n)
  // index reads).
  absl::StatusOr<uint64_t> TenantSeqAtOrAfter(std::string_view tenant, uint64_t position,
                                              uint64_t last_seq) const;
  // Calls `visit` for each event of the tenant with from <= position <= to,
  // in order, at most `count_max` of them, until `visit` returns false.
  // Reads only the tenant's own index and events: its cost is what the
  // tenant holds, not what the log holds. Sets *scanned_to to the last
  // position it can vouch for: `to` when it ran out of the tenant's events,
  // else the position of the last event visited.
  absl::Status ScanTenant(std::string_view tenant, uint64_t from, uint64_t to, size_t count_max,
                          const std::function<bool(const EventRecord&)>& visit,
                          uint64_t* scanned_to) const;
  // The perfect node (level, index) of the tenant's Merkle tree: a leaf from
  // its `tenants` entry, levels from kMerkleTileLevel up from `merkle`, and
  // the levels between recomputed from the 2^level stored leaves under them
  // (MerkleNodeReader keeps those leaves for a whole proof). NOT_FOUND if
  // the tree is smaller, or not kept.
  absl::StatusOr<Hash> ReadMerkleNode(std::string_view tenant, uint32_t level,
                                      uint64_t index) const;
  // A node kept in `merkle` (level >= kMerkleTileLevel).
  absl::StatusOr<Hash> ReadStoredMerkleNode(std::string_view tenant, uint32_t level,
                                            uint64_t index) const;
  // The stored leaf hashes [first, first + count) of the tenant's tree (leaf
  // i is tenant sequence i + 1), fewer when the tree has fewer; one range
  // scan of `tenants` (count <= kMerkleTileLeaves).
  absl::StatusOr<std::vector<Hash>> ReadMerkleLeaves(std::string_view tenant, uint64_t first,
                                                     uint64_t count) const;
  // The Merkle root of the tenant's tree of `tree_size` leaves (at most its
  // current size), from stored nodes (O(log n) reads). FAILED_PRECONDITION
  // when the tree is not kept; NOT_FOUND/DATA_LOSS when a node is missing.
  absl::StatusOr<Hash> TenantRoot(std::string_view tenant, uint64_t tree_size) const;
  // The right edge (compact range) of the tenant's tree of `tree_size`
  // leaves, to grow it from there: O(log n) stored nodes and one leaf tile.
  absl::StatusOr<audit::CompactRange> TenantRightEdge(std::string_view tenant,
                                                      uint64_t tree_size) const;
  // The leaf hash of `tenant_seq` and its audit path in the tree of
  // `tree_size` (tenant_seq <= tree_size <= the tenant's current size).
  struct InclusionProof {
    Hash leaf{};
    std::vector<Hash> path;
  };
  absl::StatusOr<InclusionProof> TenantInclusionProof(std::string_view tenant, uint64_t tenant_seq,
                                                      uint64_t tree_size) const;
  // The consistency proof from the tree of `from_size` to that of `to_size`
  // (1 <= from_size <= to_size <= the tenant's current size).
  absl::StatusOr<std::vector<Hash>> TenantConsistencyProof(std::string_view tenant,
                                                           uint64_t from_size,
                                                           uint64_t to_size) const;
  // Checks the tenant's events [from_seq, to_seq] (clamped to its head and to
  // kVerifyEventsMax events) on one snapshot: the tenant index gapless and
  // each entry naming an event of this tenant and sequence, the tenant chain
  // (tenant_prev_hash, tenant_hash), the global hash of each event, balanced
  // postings, and (when the tree is kept) every stored Merkle node the range
  // completes, recomputed from the events. The first problem is reported.
  absl::StatusOr<TenantVerifyResult> VerifyTenant(std::string_view tenant, uint64_t from_seq,
                                                  uint64_t to_seq) const;

  bool merkle_tree() const { return options_.merkle_tree; }

  // Atomically applies one batch, with WAL fsync (unless the store was
  // opened without it).
  absl::Status Write(rocksdb::WriteBatch* batch);

  // Atomically applies several batches, in order, as one write with one
  // fsync.
  absl::Status WriteAll(const std::vector<rocksdb::WriteBatch*>& batches);

  // After a write failed for want of space (RESOURCE_EXHAUSTED): tries one
  // synced write of the format record, which works once RocksDB has left its
  // error state by itself (it polls for free space). OK when writes work
  // again; RESOURCE_EXHAUSTED while the disk is still full.
  // Writer side only, never concurrently with Write().
  absl::Status Resume();

  rocksdb::ColumnFamilyHandle* log_family() const { return log_; }
  rocksdb::ColumnFamilyHandle* stream_family() const { return streams_; }
  rocksdb::ColumnFamilyHandle* command_family() const { return commands_; }
  rocksdb::ColumnFamilyHandle* tenant_family() const { return tenants_; }
  rocksdb::ColumnFamilyHandle* merkle_family() const { return merkle_; }
  // Raw access for tests and tools (e.g. tampering tests). Never for writes
  // in production code.
  rocksdb::DB* raw_db() const { return db_.get(); }

 private:
  EventStore() = default;
  absl::StatusOr<LogHead> ReadHeadAt(const rocksdb::ReadOptions& options) const;
  absl::StatusOr<EventRecord> ReadEventAt(const rocksdb::ReadOptions& options,
                                          uint64_t position) const;
  absl::Status CheckFormat();
  absl::Status MigrateFormat2();
  // The tenant's index entry `seq`: the event's position, and its leaf.
  absl::StatusOr<TenantIndexEntry> TenantIndexEntryAt(const rocksdb::ReadOptions& options,
                                                      std::string_view tenant, uint64_t seq) const;
  // The stream-index half of Verify (see event_store.cc).
  struct IndexCheck;
  void VerifyStreamIndex(const rocksdb::ReadOptions& options, IndexCheck* check) const;

  Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* tenants_ = nullptr;
  rocksdb::ColumnFamilyHandle* merkle_ = nullptr;
};

// The key in the default family naming the data directory's format, and its
// values (docs/STORAGE.md).
inline constexpr char kFormatKey[] = "format";
inline constexpr char kFormatWithMerkle[] = "rcl-log-3";
inline constexpr char kFormatWithoutMerkle[] = "rcl-log-2-no-merkle";
// Format 2 stored every perfect node in `merkle` and only the position in
// `tenants`. Format 3 keeps each leaf in its event's `tenants` entry and no
// nodes of levels 0 to 3 in `merkle`. A format-2 directory is migrated when
// opened (MigrateFormat2: each `tenants` entry gains its leaf from
// `merkle`; the lower nodes stay in place, unread), then re-marked; a
// format-2 server refuses it after that.
inline constexpr char kFormatWithMerkleAllLevels[] = "rcl-log-2";

// The stored leaves (level 0, in `tenants`) are the tree's witness of each
// event as it was written; above them, levels 1 to kMerkleTileLevel - 1 are
// not stored but recomputed from the tile of 16 aligned leaves under them
// (one range scan), and levels from kMerkleTileLevel up are stored in
// `merkle`. Per event the store writes one key for every 8 events in
// `merkle` on average, instead of 2 keys per event (docs/STORAGE.md,
// "Tenant logs").
inline constexpr uint32_t kMerkleTileLevel = 4;
inline constexpr uint64_t kMerkleTileLeaves = uint64_t{1} << kMerkleTileLevel;

// Reads the perfect nodes of one tenant's tree for one computation (a root,
// a proof, a tip): stored ones from `merkle`, the others from the tile of
// leaves under them, of which it keeps the last few it read (a proof touches
// at most two). Keeps the first error, since the Merkle functions take
// hashes, not statuses. Lives for one call, on the caller's thread.
class MerkleNodeReader {
 public:
  MerkleNodeReader(const EventStore* store, std::string_view tenant)
      : store_(store), tenant_(tenant) {}
  absl::StatusOr<Hash> Node(uint32_t level, uint64_t index);
  // Node() as a PerfectNodeFn: zeros after an error, which status() keeps.
  std::function<Hash(uint32_t, uint64_t)> Fn();
  const absl::Status& status() const { return status_; }

 private:
  static constexpr size_t kTilesCached = 4;
  struct Tile {
    uint64_t index = 0;
    std::vector<Hash> leaves;  // up to kMerkleTileLeaves; fewer at the tenant's end
  };
  const EventStore* store_;
  std::string tenant_;
  std::vector<Tile> tiles_;  // most recent last, at most kTilesCached
  absl::Status status_ = absl::OkStatus();
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_EVENT_STORE_H_
