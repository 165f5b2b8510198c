#include "ledger/event_store.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/status.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"

namespace rcl::ledger {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(what, ": not found"));
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache, bool point_lookups) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kNoCompression;
  return cf;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const Options& options) {
  std::unique_ptr<EventStore> store(new EventStore());
  store->options_ = options;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // Recover every synced write; refuse to open over a corrupted WAL tail
  // rather than silently dropping acknowledged events.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 10;

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, false)},
      {kLogFamily, FamilyOptions(cache, false)},
      {kStreamIndexFamily, FamilyOptions(cache, true)},
      {kCommandFamily, FamilyOptions(cache, true)},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &store->handles_, &raw);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("cannot open data directory: ", s.ToString()));
  store->db_.reset(raw);
  store->log_ = store->handles_[1];
  store->streams_ = store->handles_[2];
  store->commands_ = store->handles_[3];
  return store;
}

EventStore::~EventStore() {
  if (db_ == nullptr) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

absl::StatusOr<LogHead> EventStore::ReadHead() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  it->SeekToLast();
  LogHead head;
  if (!it->Valid()) {
    RCL_RETURN_IF_ERROR(FromRocks(it->status(), "read head"));
    return head;
  }
  RCL_ASSIGN_OR_RETURN(EventRecord e, DecodeRecord(it->value().ToStringView()));
  RCL_ASSIGN_OR_RETURN(uint64_t key_position, DecodePositionKey(it->key().ToStringView()));
  if (key_position != e.position) return absl::DataLossError("last log record's position differs from its key");
  head.position = e.position;
  head.hash = e.hash;
  head.recorded_at_us = e.recorded_at_us;
  return head;
}

absl::StatusOr<EventRecord> EventStore::ReadEvent(uint64_t position) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), log_, PositionKey(position), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no event at position ", position));
  RCL_RETURN_IF_ERROR(FromRocks(s, "read event"));
  return DecodeRecord(value);
}

absl::Status EventStore::ScanLog(uint64_t from, uint64_t to, size_t count_max,
                                 const std::function<bool(const EventRecord&)>& visit) const {
  if (from > to || count_max == 0) return absl::OkStatus();
  std::string upper = PositionKey(to == UINT64_MAX ? to : to + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (to != UINT64_MAX) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_));
  size_t seen = 0;
  for (it->Seek(PositionKey(from)); it->Valid() && seen < count_max; it->Next(), ++seen) {
    RCL_ASSIGN_OR_RETURN(EventRecord e, DecodeRecord(it->value().ToStringView()));
    if (!visit(e)) return absl::OkStatus();
  }
  return FromRocks(it->status(), "scan log");
}

absl::StatusOr<int64_t> EventStore::StreamLastVersion(std::string_view tenant, std::string_view stream) const {
  std::string prefix = StreamPrefix(tenant, stream);
  std::string last = prefix;
  PutBigEndian64(&last, UINT64_MAX);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  it->SeekForPrev(last);
  if (!it->Valid()) {
    RCL_RETURN_IF_ERROR(FromRocks(it->status(), "stream version"));
    return -1;
  }
  rocksdb::Slice key = it->key();
  if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) return -1;
  return static_cast<int64_t>(GetBigEndian64(key.data() + prefix.size()));
}

absl::StatusOr<std::vector<EventRecord>> EventStore::ReadStream(std::string_view tenant, std::string_view stream,
                                                                uint64_t from_version, bool backward,
                                                                size_t limit) const {
  limit = std::min(limit, kReadPageMax);
  std::vector<EventRecord> out;
  std::string prefix = StreamPrefix(tenant, stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  std::vector<std::string> position_keys;
  for (backward ? it->SeekForPrev(StreamIndexKey(tenant, stream, from_version))
                : it->Seek(StreamIndexKey(tenant, stream, from_version));
       it->Valid() && position_keys.size() < limit; backward ? it->Prev() : it->Next()) {
    rocksdb::Slice key = it->key();
    if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) break;
    if (it->value().size() != 8) return absl::DataLossError("stream index value is not 8 bytes");
    position_keys.push_back(it->value().ToString());
  }
  RCL_RETURN_IF_ERROR(FromRocks(it->status(), "read stream"));
  if (position_keys.empty()) return out;
  std::vector<rocksdb::Slice> keys(position_keys.begin(), position_keys.end());
  std::vector<std::string> values(keys.size());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), log_);
  std::vector<rocksdb::Status> statuses = db_->MultiGet(rocksdb::ReadOptions(), cfs, keys, &values);
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) return absl::DataLossError("stream index points at a missing event");
    RCL_RETURN_IF_ERROR(FromRocks(statuses[i], "read stream event"));
    RCL_ASSIGN_OR_RETURN(EventRecord e, DecodeRecord(values[i]));
    if (e.tenant != tenant || e.stream != stream) return absl::DataLossError("stream index points at another stream");
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> EventStore::GetCommand(std::string_view tenant,
                                                                  std::string_view command_id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), commands_, CommandKey(tenant, command_id), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RCL_RETURN_IF_ERROR(FromRocks(s, "read command"));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<VerifyResult> EventStore::Verify(uint64_t from, uint64_t to) const {
  RCL_ASSIGN_OR_RETURN(LogHead head, ReadHead());
  VerifyResult r;
  from = std::max<uint64_t>(from, 1);
  if (to == 0 || to > head.position) to = head.position;
  if (to >= from && to - from >= kVerifyEventsMax) to = from + kVerifyEventsMax - 1;
  r.from_position = from;
  r.to_position = to;
  if (from > to) return r;  // nothing to check

  Hash expected_prev{};
  if (from > 1) {
    auto prev = ReadEvent(from - 1);
    if (!prev.ok()) {
      r.ok = false;
      r.first_bad_position = from - 1;
      r.error = std::string(prev.status().message());
      return r;
    }
    expected_prev = prev->hash;
  }
  uint64_t expected_position = from;
  std::string upper = PositionKey(to + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_));
  auto fail = [&](uint64_t position, std::string error) {
    r.ok = false;
    r.first_bad_position = position;
    r.error = std::move(error);
    return r;
  };
  for (it->Seek(PositionKey(from)); it->Valid(); it->Next()) {
    auto key_position = DecodePositionKey(it->key().ToStringView());
    if (!key_position.ok()) return fail(expected_position, "malformed log key");
    if (*key_position != expected_position) {
      return fail(expected_position, absl::StrCat("missing event (next key is position ", *key_position, ")"));
    }
    auto e = DecodeRecord(it->value().ToStringView());
    if (!e.ok()) return fail(expected_position, std::string(e.status().message()));
    if (e->position != expected_position) return fail(expected_position, "record position differs from its key");
    if (e->prev_hash != expected_prev) return fail(expected_position, "prev_hash does not match the previous event's hash");
    if (ChainHash(e->prev_hash, CanonicalBytes(*e)) != e->hash) {
      return fail(expected_position, "hash does not match the event's contents");
    }
    expected_prev = e->hash;
    ++r.events_checked;
    ++expected_position;
  }
  if (!it->status().ok()) return fail(expected_position, it->status().ToString());
  if (expected_position != to + 1) return fail(expected_position, "missing event");
  r.hash_at_to = expected_prev;
  return r;
}

namespace {

// Copies the puts of one batch into another (column families by id).
class MergeInto : public rocksdb::WriteBatch::Handler {
 public:
  MergeInto(rocksdb::WriteBatch* out, const std::vector<rocksdb::ColumnFamilyHandle*>& families)
      : out_(out), families_(families) {}
  rocksdb::Status PutCF(uint32_t family_id, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    for (auto* f : families_) {
      if (f->GetID() == family_id) return out_->Put(f, key, value);
    }
    return rocksdb::Status::Corruption("batch names an unknown column family");
  }

 private:
  rocksdb::WriteBatch* out_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& families_;
};

}  // namespace

absl::Status EventStore::WriteAll(const std::vector<rocksdb::WriteBatch*>& batches) {
  rocksdb::WriteBatch merged;
  MergeInto merge(&merged, handles_);
  for (rocksdb::WriteBatch* b : batches) {
    RCL_RETURN_IF_ERROR(FromRocks(b->Iterate(&merge), "merge batches"));
  }
  return Write(&merged);
}

absl::Status EventStore::Write(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  return FromRocks(db_->Write(wo, batch), "write batch");
}

}  // namespace rcl::ledger
