// StateTxn: a projection's view of its own state while it folds one batch of
// events: reads see the batch's own writes first, then the stored state;
// writes are buffered and reach RocksDB in the batch's one WriteBatch, with
// the new checkpoint. The buffer is bounded by the batch (the runtime's
// batch_events_max events, each touching a few keys).
//
// StateReader: a consistent read-only snapshot of a projection's stored
// state, for queries. Both are used by one thread at a time.
#ifndef RCL_PROJECTIONS_STATE_TXN_H_
#define RCL_PROJECTIONS_STATE_TXN_H_

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message_lite.h"
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
// worker writes its column family: StateTxn::Flush updates it. Used by one
// thread.
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
  const size_t bytes_max_;
  size_t bytes_ = 0;
  std::list<Entry> lru_;  // most recently used first
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
};

class StateTxn {
 public:
  // `cache` (may be null) outlives the transaction.
  StateTxn(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, RowCache* cache = nullptr);

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  absl::StatusOr<bool> GetProto(std::string_view key, google::protobuf::MessageLite* out);
  void Put(std::string_view key, std::string value);
  void PutProto(std::string_view key, const google::protobuf::MessageLite& value);
  void Delete(std::string_view key);
  // Adds `delta` to a signed 64-bit counter (absent = 0; deleted at 0).
  absl::Status AddInt64(std::string_view key, int64_t delta);

  size_t pending_keys() const { return pending_.size(); }
  // Moves every buffered write into `batch` and clears the buffer.
  void Flush(rocksdb::WriteBatch* batch);

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
  RowCache* cache_;
  // key -> new value (nullopt = deleted).
  absl::flat_hash_map<std::string, std::optional<std::string>> pending_;
};

// Fixed 8-byte big-endian encoding of counters and positions in values.
std::string EncodeInt64(int64_t value);
absl::StatusOr<int64_t> DecodeInt64(std::string_view bytes);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_STATE_TXN_H_
