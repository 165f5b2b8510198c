// StateTxn: a projection worker's view of its own state while it folds
// batches of events. Two kinds of keys, by table (a table uses one kind only):
//   - rows folds read and update (Get, GetProto, Mutable, Put, Delete,
//     AddInt64): held across batches (bounded; see the class), read from
//     RocksDB once, parsed once when edited through Mutable, and serialized
//     and written once per batch however many of its events changed them;
//   - blind writes (Append, AppendProto, Erase) of keys folds never read
//     (append-only histories, queue memberships): kept in order until the
//     next Flush, never read back, never held.
// Flush puts a batch's changes into its one WriteBatch, in key order
// (cheaper memtable inserts), beside which the runtime puts the checkpoint.
// The changes are bounded by the batch (the runtime's batch sizes, each
// event touching a few keys).
//
// StateReader: a consistent read-only snapshot of a projection's stored
// state, for queries. Both are used by one thread at a time.
#ifndef RCL_PROJECTIONS_STATE_TXN_H_
#define RCL_PROJECTIONS_STATE_TXN_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message_lite.h"
#include "ledger/status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace rcl::projections {

// Reserved key of the checkpoint in every projection's column family;
// projections' own keys start with a printable letter.
inline constexpr char kCheckpointKey[] = "\x01checkpoint";

class StateReader {
 public:
  // Reads `family` at `snapshot` (which it releases). `family` must outlive
  // the reader (the runtime keeps it alive through `keep_alive`).
  StateReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
              std::shared_ptr<void> keep_alive);
  ~StateReader();
  StateReader(const StateReader&) = delete;
  StateReader& operator=(const StateReader&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const;
  // Parses into `out`; false when absent. DATA_LOSS when undecodable.
  absl::StatusOr<bool> GetProto(std::string_view key, google::protobuf::MessageLite* out) const;
  // Visits keys with `prefix`, from `start` (>= prefix; "" = the prefix) in
  // order, until `visit` returns false.
  absl::Status Scan(
      std::string_view prefix, std::string_view start,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
  // The last log position folded into this snapshot.
  uint64_t checkpoint() const { return checkpoint_; }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
  std::shared_ptr<void> keep_alive_;
  const rocksdb::Snapshot* snapshot_;
  uint64_t checkpoint_ = 0;
};

// A worker's view of its own state, kept across the batches it folds.
// Rows stay held (parsed, when edited as messages) from one batch to the
// next, so a row that many events touch (a tenant's totals, an aging cell,
// a claim across its lifecycle) is read from RocksDB and parsed once, and
// serialized once per batch that changed it. Coherent because only its
// worker writes its column family. Bounded: `bytes_max` of held rows (an
// estimate: key, value, and a parsed message counted at kParsedExpansion
// times its serialized size); past it, Flush drops the rows untouched
// longest until three quarters of the bound remain.
class StateTxn {
 public:
  StateTxn(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, size_t bytes_max);
  StateTxn(const StateTxn&) = delete;
  StateTxn& operator=(const StateTxn&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  absl::StatusOr<bool> GetProto(std::string_view key, google::protobuf::MessageLite* out);
  void Put(std::string_view key, std::string value);
  void PutProto(std::string_view key, const google::protobuf::MessageLite& value);
  void Delete(std::string_view key);
  // Adds `delta` to a signed 64-bit counter (absent = 0; deleted at 0).
  absl::Status AddInt64(std::string_view key, int64_t delta);
  // The row at `key` as a message of type T (empty when absent; `exists`
  // says which), owned by the transaction, which writes it (serialized once
  // per batch) at the next Flush unless Delete(key) came after. Repeated
  // calls return the same object while the row is held; a key is always
  // edited as the same type. DATA_LOSS when the stored row is undecodable.
  template <typename T>
  absl::StatusOr<T*> Mutable(std::string_view key, bool* exists = nullptr) {
    RCL_ASSIGN_OR_RETURN(Row * row, MutableRow(key, &T::default_instance(), exists));
    return static_cast<T*>(row->message.get());
  }

  // Blind writes of keys no fold reads (see the top of this file).
  void Append(std::string_view key, std::string_view value);
  void AppendProto(std::string_view key, const google::protobuf::MessageLite& value);
  void Erase(std::string_view key);

  // Rows changed and blind writes since the last Flush.
  size_t pending_keys() const { return dirty_.size() + blind_.size(); }
  // Estimated bytes of the rows held.
  size_t held_bytes() const { return held_bytes_; }
  size_t held_rows() const { return rows_.size(); }
  // Writes every change since the last Flush into `batch`, in key order;
  // the rows stay held (clean) for the next batches, within the bound.
  void Flush(rocksdb::WriteBatch* batch);
  // Forgets every held row and every change not flushed: after a batch that
  // failed to fold or to be written, the held rows may be ahead of the store.
  void Discard();

 private:
  // A parsed message is counted as this many times its serialized size.
  static constexpr size_t kParsedExpansion = 4;
  static constexpr size_t kRowOverheadBytes = 96;
  // One row's value: absent, bytes, or a parsed message (the message is the
  // value while `parsed`).
  struct Row {
    bool present = false;
    bool parsed = false;
    bool dirty = false;        // changed since the last Flush (listed in dirty_)
    uint32_t last_used = 0;    // the batch that last touched it
    size_t counted_bytes = 0;  // its share of held_bytes_
    std::string bytes;
    std::unique_ptr<google::protobuf::MessageLite> message;
    const google::protobuf::MessageLite* type = nullptr;  // the message's default instance
  };
  using RowMap = absl::node_hash_map<std::string, Row>;
  // The row's entry, read from RocksDB on first use.
  absl::StatusOr<RowMap::value_type*> LoadEntry(std::string_view key);
  absl::StatusOr<Row*> Load(std::string_view key);
  absl::StatusOr<Row*> MutableRow(std::string_view key, const google::protobuf::MessageLite* type,
                                  bool* exists);
  // Marks a held row changed (Flush writes it).
  void Touch(RowMap::value_type& entry);
  Row& Blank(std::string_view key);
  void Recount(const std::string& key, Row& row);
  // Drops rows untouched longest until held_bytes_ <= 3/4 of bytes_max_.
  void Evict();

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
  const size_t bytes_max_;
  size_t held_bytes_ = 0;
  uint32_t batch_ = 0;  // Flushes so far
  // node_hash_map: a Row* handed out stays valid while the row is held.
  RowMap rows_;
  // Rows changed since the last Flush (pointers into rows_).
  std::vector<RowMap::value_type*> dirty_;
  struct BlindWrite {
    std::string key;
    std::string value;
    bool erase = false;
  };
  std::vector<BlindWrite> blind_;
};

// Fixed 8-byte big-endian encoding of counters and positions in values.
std::string EncodeInt64(int64_t value);
absl::StatusOr<int64_t> DecodeInt64(std::string_view bytes);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_STATE_TXN_H_
