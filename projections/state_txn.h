// StateTxn: a projection's view of its own state while it folds one batch of
// events. Two kinds of keys, by table (a table uses one kind only):
//   - rows folds read and update (Get, GetProto, Mutable, Put, Delete,
//     AddInt64): reads see the batch's own writes first, then the worker's
//     RowCache, then RocksDB. A row is held once per batch, parsed once when
//     edited through Mutable, and serialized and written once at Flush however
//     many events of the batch changed it;
//   - blind writes (Append, AppendProto, Erase) of keys folds never read
//     (append-only histories, queue memberships): kept in order, never read
//     back, never in the RowCache.
// Everything reaches RocksDB in the batch's one WriteBatch, in key order
// (cheaper memtable inserts), with the new checkpoint. The buffer is bounded by the batch (the
// runtime's batch sizes, each event touching a few keys).
//
// StateReader: a consistent read-only snapshot of a projection's stored
// state, for queries. Both are used by one thread at a time.
#ifndef RCL_PROJECTIONS_STATE_TXN_H_
#define RCL_PROJECTIONS_STATE_TXN_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

// A worker's cache of its own stored rows (and of keys known to be absent)
// across batches, least recently used first out, bounded by `bytes_max`
// (keys, values and a fixed overhead per entry). Coherent because only its
// worker writes its column family: StateTxn::Flush updates it (blind writes
// never enter it). Used by one thread (its worker's).
class RowCache {
 public:
  explicit RowCache(size_t bytes_max) : bytes_max_(bytes_max) {}
  RowCache(const RowCache&) = delete;
  RowCache& operator=(const RowCache&) = delete;

  // nullptr when the key is not cached; else the value (nullopt = absent).
  const std::optional<std::string>* Find(std::string_view key);
  void Put(std::string_view key, std::optional<std::string> value);
  size_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kEntryOverheadBytes = 96;
  struct Entry {
    std::string key;
    std::optional<std::string> value;
  };
  size_t SizeOf(const Entry& e) const {
    return e.key.size() + (e.value.has_value() ? e.value->size() : 0) + kEntryOverheadBytes;
  }
  void Evict();
  const size_t bytes_max_;
  size_t bytes_ = 0;
  std::list<Entry> lru_;  // most recently used first
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
};

class StateTxn {
 public:
  // Flush writes into `batch`; `cache` (may be null) and `batch` outlive the
  // transaction.
  StateTxn(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, RowCache* cache,
           rocksdb::WriteBatch* batch);

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  absl::StatusOr<bool> GetProto(std::string_view key, google::protobuf::MessageLite* out);
  void Put(std::string_view key, std::string value);
  void PutProto(std::string_view key, const google::protobuf::MessageLite& value);
  void Delete(std::string_view key);
  // Adds `delta` to a signed 64-bit counter (absent = 0; deleted at 0).
  absl::Status AddInt64(std::string_view key, int64_t delta);
  // The row at `key` as a message of type T (empty when absent; `exists`
  // says which), owned by the transaction until Flush, which writes it
  // (serialized once) unless Delete(key) came after. Repeated calls in one
  // batch return the same object; a key is always edited as the same type.
  // DATA_LOSS when the stored row is undecodable.
  template <typename T>
  absl::StatusOr<T*> Mutable(std::string_view key, bool* exists = nullptr) {
    RCL_ASSIGN_OR_RETURN(Row * row, MutableRow(key, &T::default_instance(), exists));
    return static_cast<T*>(row->message.get());
  }

  // Blind writes of keys no fold reads (see the top of this file).
  void Append(std::string_view key, std::string_view value);
  void AppendProto(std::string_view key, const google::protobuf::MessageLite& value);
  void Erase(std::string_view key);

  size_t pending_keys() const { return rows_.size() + blind_.size(); }
  // Writes every changed row into the batch and the cache; clears the buffer.
  void Flush();

 private:
  // One row's value in this batch: absent, bytes, or a parsed message (the
  // message is the value while `parsed`).
  struct Row {
    bool present = false;
    bool written = false;  // changed in this batch: Flush writes it
    bool parsed = false;
    std::string bytes;
    std::unique_ptr<google::protobuf::MessageLite> message;
    const google::protobuf::MessageLite* type = nullptr;  // the message's default instance
  };
  // The row's entry, read from the cache or RocksDB on first use.
  absl::StatusOr<Row*> Load(std::string_view key);
  absl::StatusOr<Row*> MutableRow(std::string_view key, const google::protobuf::MessageLite* type,
                                  bool* exists);
  Row& Blank(std::string_view key);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
  RowCache* cache_;
  rocksdb::WriteBatch* batch_;
  absl::flat_hash_map<std::string, Row> rows_;
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
