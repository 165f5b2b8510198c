#include "ledger/storage/event_store.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/status.h"
#include "ledger/storage/rocks_logger.h"
#include "ledger/storage/rocks_status.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/table.h"
#include "spdlog/spdlog.h"

namespace rcl::ledger {
namespace {

// Column families sharing the block cache and the memtable budget.
constexpr size_t kFamilies = 6;
// Size of one partition of a table's filter or index (point-lookup families).
constexpr uint64_t kMetadataPartitionBytes = 4096;

// The index families' keys end in a BE64 counter under a prefix that names
// what it counts: a stream's versions (`streams`), a tenant's sequence
// (`tenants`), a tree level's nodes (`merkle`). Each prefix's keys arrive in
// counter order, but many prefixes are written at once (a billing office's
// clerks each on their own encounter), so consecutive inserts into the
// memtable land far apart and each searched the skiplist from the top. With
// this as the memtable's insert hint, RocksDB keeps where each prefix's last
// key went and inserts its next key there. It changes no read and nothing on
// disk; each prefix in a memtable costs about 250 bytes of it.
class CounterPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "rcl.CounterPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - kCounterBytes);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > kCounterBytes; }

 private:
  static constexpr size_t kCounterBytes = 8;
};

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t write_buffer_bytes, bool point_lookups) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the block cache (bounded) rather than in
  // each open table reader (unbounded: they grow with the log). Level-0
  // ones stay pinned so the newest files need no extra reads.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cf.write_buffer_size = std::max<size_t>(write_buffer_bytes / kFamilies, 1 << 20);
  cf.max_write_buffer_number = 2;
  if (point_lookups) {
    // Point lookups of keys that mostly do not exist yet (a new command id,
    // a new stream): a bloom filter answers them without a data block.
    // Filters and indexes come in partitions of about 4 KiB, each cached
    // like a data block, under a top-level index that stays pinned: a
    // lookup reads one small partition. A whole-table filter (about
    // 1.25 MiB for a 64 MiB table) is larger than a shard of the default
    // cache, so it did not stay cached and was read from the file and
    // checksummed again on every lookup: two thirds of the sequencer's time
    // on a log of 1.5 million events (docs/PERFORMANCE.md).
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
    table.partition_filters = true;
    table.metadata_block_size = kMetadataPartitionBytes;
    table.pin_top_level_index_and_filter = true;
  }
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
  // Every memtable of every family together; a flush is forced beyond it.
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  if (options.env != nullptr) db_options.env = options.env;
  // RocksDB's LOG, written so that a full disk cannot abort the process.
  RCL_ASSIGN_OR_RETURN(db_options.info_log, RocksLogger::Open(options.path));

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  const size_t wb = options.write_buffer_bytes;
  // A family whose keys end in a counter (CounterPrefix).
  auto counted = [&cache, wb, hint = std::make_shared<const CounterPrefix>()]() {
    rocksdb::ColumnFamilyOptions cf = FamilyOptions(cache, wb, true);
    cf.memtable_insert_with_hint_prefix_extractor = hint;
    return cf;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, wb, false)},
      {kLogFamily, FamilyOptions(cache, wb, false)},
      {kStreamIndexFamily, counted()},
      {kCommandFamily, FamilyOptions(cache, wb, true)},
      {kTenantFamily, counted()},
      {kMerkleFamily, counted()},
  };
  static_assert(kFamilies == 6, "the families above share the budgets");
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &store->handles_, &raw);
  if (!s.ok())
    return absl::UnavailableError(absl::StrCat("cannot open data directory: ", s.ToString()));
  store->db_.reset(raw);
  store->log_ = store->handles_[1];
  store->streams_ = store->handles_[2];
  store->commands_ = store->handles_[3];
  store->tenants_ = store->handles_[4];
  store->merkle_ = store->handles_[5];
  RCL_RETURN_IF_ERROR(store->CheckFormat());
  return store;
}

// A new directory records its format; an existing one must have been made
// with the same format and the same Merkle setting.
absl::Status EventStore::CheckFormat() {
  const std::string want = options_.merkle_tree ? kFormatWithMerkle : kFormatWithoutMerkle;
  std::string have;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[0], kFormatKey, &have);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  if (s.ok()) {
    if (have == want) return absl::OkStatus();
    if (have == kFormatWithMerkleAllLevels && want == kFormatWithMerkle) {
      RCL_RETURN_IF_ERROR(MigrateFormat2());
      return FromRocks(db_->Put(wo, handles_[0], kFormatKey, want), "re-mark format 2 as 3");
    }
    return absl::FailedPreconditionError(
        absl::StrCat("data directory has format \"", have, "\" but this server writes \"", want,
                     "\" (the Merkle tree setting cannot change after a directory is created)"));
  }
  RCL_RETURN_IF_ERROR(FromRocks(s.IsNotFound() ? rocksdb::Status::OK() : s, "read format"));
  absl::StatusOr<LogHead> head = ReadHead();
  if (!head.ok() || head->position != 0) {
    return absl::FailedPreconditionError(
        "data directory holds a log of format 1 (no tenant sequences); this server reads "
        "only format 2: start it on a new data directory (docs/STORAGE.md)");
  }
  return FromRocks(db_->Put(wo, handles_[0], kFormatKey, want), "record format");
}

// Format 2 kept each leaf in `merkle` at level 0. Copies it into its
// `tenants` entry, kMigrateBatchMax entries a write; entries already copied
// (a migration cut short by a crash) are copied again, the same bytes, and
// the format marker is moved only after the last write.
absl::Status EventStore::MigrateFormat2() {
  constexpr size_t kMigrateBatchMax = 10'000;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, tenants_));
  rocksdb::WriteBatch batch;
  uint64_t migrated = 0;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const size_t zero = key.find('\0');
    if (zero == std::string_view::npos || key.size() != zero + 9) {
      return absl::DataLossError("malformed tenant index key");
    }
    const uint64_t seq = GetBigEndian64(key.data() + zero + 1);
    RCL_ASSIGN_OR_RETURN(TenantIndexEntry entry,
                         DecodeTenantIndexValue(it->value().ToStringView()));
    std::string leaf;
    rocksdb::Status s =
        db_->Get(ro, merkle_, MerkleNodeKey(key.substr(0, zero), 0, seq - 1), &leaf);
    RCL_RETURN_IF_ERROR(FromRocks(s, "read a format-2 Merkle leaf"));
    if (leaf.size() != kHashSize) return absl::DataLossError("Merkle node is not 32 bytes");
    Hash hash{};
    std::copy_n(leaf.data(), kHashSize, hash.begin());
    batch.Put(tenants_, it->key(), TenantIndexValue(entry.position, &hash));
    ++migrated;
    if (batch.Count() >= kMigrateBatchMax) {
      RCL_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "migrate tenant index"));
      batch.Clear();
    }
  }
  RCL_RETURN_IF_ERROR(FromRocks(it->status(), "migrate tenant index"));
  if (batch.Count() > 0) {
    RCL_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "migrate tenant index"));
  }
  spdlog::info(
      "data directory migrated from format 2 to 3: {} Merkle leaves moved into the "
      "tenant index",
      migrated);
  return absl::OkStatus();
}

EventStore::~EventStore() {
  if (db_ == nullptr) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

absl::StatusOr<LogHead> EventStore::ReadHead() const { return ReadHeadAt(rocksdb::ReadOptions()); }

absl::StatusOr<LogHead> EventStore::ReadHeadAt(const rocksdb::ReadOptions& options) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, log_));
  it->SeekToLast();
  LogHead head;
  if (!it->Valid()) {
    RCL_RETURN_IF_ERROR(FromRocks(it->status(), "read head"));
    return head;
  }
  RCL_ASSIGN_OR_RETURN(EventRecord e, DecodeRecord(it->value().ToStringView()));
  RCL_ASSIGN_OR_RETURN(uint64_t key_position, DecodePositionKey(it->key().ToStringView()));
  if (key_position != e.position)
    return absl::DataLossError("last log record's position differs from its key");
  head.position = e.position;
  head.hash = e.hash;
  head.recorded_at_us = e.recorded_at_us;
  return head;
}

absl::StatusOr<EventRecord> EventStore::ReadEvent(uint64_t position) const {
  return ReadEventAt(rocksdb::ReadOptions(), position);
}

absl::StatusOr<EventRecord> EventStore::ReadEventAt(const rocksdb::ReadOptions& options,
                                                    uint64_t position) const {
  std::string value;
  rocksdb::Status s = db_->Get(options, log_, PositionKey(position), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no event at position ", position));
  RCL_RETURN_IF_ERROR(FromRocks(s, "read event"));
  return DecodeRecord(value);
}

absl::Status EventStore::ScanLog(uint64_t from, uint64_t to, size_t count_max,
                                 const std::function<bool(EventRecord&)>& visit) const {
  return ScanLogViews(from, to, count_max, [&visit](const RecordView& view) {
    EventRecord e = ToRecord(view);
    return visit(e);
  });
}

absl::Status EventStore::ScanLogViews(uint64_t from, uint64_t to, size_t count_max,
                                      const std::function<bool(const RecordView&)>& visit) const {
  if (from > to || count_max == 0) return absl::OkStatus();
  std::string upper = PositionKey(to == UINT64_MAX ? to : to + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (to != UINT64_MAX) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_));
  size_t seen = 0;
  for (it->Seek(PositionKey(from)); it->Valid() && seen < count_max; it->Next(), ++seen) {
    RCL_ASSIGN_OR_RETURN(RecordView e, DecodeRecordView(it->value().ToStringView()));
    if (!visit(e)) return absl::OkStatus();
  }
  return FromRocks(it->status(), "scan log");
}

absl::StatusOr<int64_t> EventStore::StreamLastVersion(std::string_view tenant,
                                                      std::string_view stream) const {
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

absl::StatusOr<std::vector<EventRecord>> EventStore::ReadStream(std::string_view tenant,
                                                                std::string_view stream,
                                                                uint64_t from_version,
                                                                bool backward, size_t limit,
                                                                size_t bytes_max) const {
  limit = std::min(limit, kReadPageMax);
  std::vector<EventRecord> out;
  if (!backward && from_version == 0) {
    // A stream's versions start at 0. One that does not exist (the first
    // read of every new stream the sequencer decides on) costs one point
    // lookup, filtered per table, instead of an iterator over every table.
    std::string first;
    rocksdb::Status found =
        db_->Get(rocksdb::ReadOptions(), streams_, StreamIndexKey(tenant, stream, 0), &first);
    if (found.IsNotFound()) return out;
    RCL_RETURN_IF_ERROR(FromRocks(found, "read stream"));
  }
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
  // Events are fetched a few at a time so that a byte-bounded page never
  // holds much more than `bytes_max` (events can be 64 KiB each).
  constexpr size_t kMultiGetChunk = 16;
  size_t bytes = 0;
  for (size_t begin = 0; begin < position_keys.size() && bytes < bytes_max;
       begin += kMultiGetChunk) {
    size_t end = std::min(position_keys.size(), begin + kMultiGetChunk);
    std::vector<rocksdb::Slice> keys(position_keys.begin() + static_cast<std::ptrdiff_t>(begin),
                                     position_keys.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<std::string> values(keys.size());
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), log_);
    std::vector<rocksdb::Status> statuses =
        db_->MultiGet(rocksdb::ReadOptions(), cfs, keys, &values);
    for (size_t i = 0; i < keys.size() && bytes < bytes_max; ++i) {
      if (statuses[i].IsNotFound())
        return absl::DataLossError("stream index points at a missing event");
      RCL_RETURN_IF_ERROR(FromRocks(statuses[i], "read stream event"));
      RCL_ASSIGN_OR_RETURN(EventRecord e, DecodeRecord(values[i]));
      if (e.tenant != tenant || e.stream != stream)
        return absl::DataLossError("stream index points at another stream");
      bytes += values[i].size();
      out.push_back(std::move(e));
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> EventStore::GetCommand(
    std::string_view tenant, std::string_view command_id) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), commands_, CommandKey(tenant, command_id), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RCL_RETURN_IF_ERROR(FromRocks(s, "read command"));
  return std::optional<std::string>(std::move(value));
}

// What the stream-index check needs from the chain check, and what it found.
struct EventStore::IndexCheck {
  uint64_t head = 0;
  uint64_t from = 0;
  uint64_t to = 0;       // the range of Verify
  uint64_t checked = 0;  // last position the chain check vouched for (from - 1 if none)
  // identity[p - from]: Identity() of the index key event p must have.
  std::vector<uint64_t> identity;
  // reached[p - from]: an index entry names event p.
  std::vector<bool> reached;
  // The first problem found: its position (UINT64_MAX = none) and what.
  uint64_t bad_position = UINT64_MAX;
  std::string error;

  void Found(uint64_t position, std::string what) {
    if (position < bad_position) {
      bad_position = position;
      error = std::move(what);
    }
  }
};

namespace {

// A 64-bit digest of a stream index key, to compare entries with the events
// they must name without keeping a million keys in memory. SHA-256, so that
// no one can craft a key that passes for another.
uint64_t Identity(std::string_view index_key) {
  Hash h = Sha256(index_key);
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | h[i];
  return out;
}

// "tenant/stream" of an index key prefix (tenant \0 stream \0), for messages.
// Stream names carry ids only, never PHI.
std::string StreamName(std::string_view tenant, std::string_view stream) {
  return absl::StrCat(AbslView(tenant), "/", AbslView(stream));
}

}  // namespace

absl::StatusOr<VerifyResult> EventStore::Verify(uint64_t from, uint64_t to) const {
  // One snapshot for the head, the log and the index: batches written
  // meanwhile are not half seen.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.verify_checksums = true;
  RCL_ASSIGN_OR_RETURN(LogHead head, ReadHeadAt(ro));
  VerifyResult r;
  from = std::max<uint64_t>(from, 1);
  if (to == 0 || to > head.position) to = head.position;
  if (to >= from && to - from >= kVerifyEventsMax) to = from + kVerifyEventsMax - 1;
  r.from_position = from;
  r.to_position = to;
  if (from > to && head.position != 0) return r;  // nothing to check

  auto fail = [&](uint64_t position, std::string error) {
    r.ok = false;
    r.first_bad_position = position;
    r.error = std::move(error);
    return r;
  };
  IndexCheck index;
  index.head = head.position;
  index.from = from;
  index.to = to;
  index.checked = from - 1;
  if (to >= from) {
    index.identity.resize(to - from + 1);
    index.reached.resize(to - from + 1);
  }

  // 1. The hash chain, and postings, over [from, to].
  Hash expected_prev{};
  if (from > 1 && from <= to) {
    auto prev = ReadEventAt(ro, from - 1);
    if (!prev.ok()) return fail(from - 1, std::string(prev.status().message()));
    expected_prev = prev->hash;
  }
  uint64_t expected_position = from;
  std::string upper = PositionKey(to + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions log_ro = ro;
  log_ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(log_ro, log_));
  uint64_t chain_bad = 0;  // 0 = the chain is sound over [from, to]
  std::string chain_error;
  for (it->Seek(PositionKey(from)); from <= to && it->Valid(); it->Next()) {
    auto key_position = DecodePositionKey(it->key().ToStringView());
    if (!key_position.ok()) {
      chain_error = "malformed log key";
    } else if (*key_position != expected_position) {
      chain_error = absl::StrCat("missing event (next key is position ", *key_position, ")");
    }
    if (!chain_error.empty()) break;
    auto e = DecodeRecord(it->value().ToStringView());
    if (!e.ok()) {
      chain_error = std::string(e.status().message());
    } else if (e->position != expected_position) {
      chain_error = "record position differs from its key";
    } else if (e->prev_hash != expected_prev) {
      chain_error = "prev_hash does not match the previous event's hash";
    } else if (ChainHash(e->prev_hash, CanonicalBytes(*e)) != e->hash) {
      chain_error = "hash does not match the event's contents";
    } else if (absl::Status balanced = CheckPayloadBalanced(e->type, e->payload); !balanced.ok()) {
      chain_error = absl::StrCat(AbslView(e->type), " of ", StreamName(e->tenant, e->stream),
                                 " version ", e->version, ": ", balanced.message());
    }
    if (!chain_error.empty()) break;
    index.identity[expected_position - from] =
        Identity(StreamIndexKey(e->tenant, e->stream, e->version));
    expected_prev = e->hash;
    ++r.events_checked;
    ++expected_position;
  }
  if (chain_error.empty() && !it->status().ok()) chain_error = it->status().ToString();
  if (chain_error.empty() && from <= to && expected_position != to + 1)
    chain_error = "missing event";
  if (!chain_error.empty()) chain_bad = expected_position;
  index.checked = expected_position - 1;

  // 2. The stream index, against the events the chain check vouched for.
  VerifyStreamIndex(ro, &index);
  if (chain_bad != 0 && chain_bad <= index.bad_position)
    return fail(chain_bad, std::move(chain_error));
  if (index.bad_position != UINT64_MAX) return fail(index.bad_position, std::move(index.error));
  r.hash_at_to = expected_prev;
  return r;
}

// Walks every entry of the stream index, in key order (so one stream's
// entries in version order). Each entry is judged by the Verify call whose
// range holds the position it names (entries naming no event of the log: by
// the call that reaches the head), so that paging through the log judges
// each entry once. Then reports the first event of the range no entry names.
void EventStore::VerifyStreamIndex(const rocksdb::ReadOptions& options, IndexCheck* check) const {
  const bool reaches_head = check->to == check->head;
  const uint64_t beyond = check->head + 1;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, streams_));
  std::string prefix;  // tenant \0 stream \0 of the stream being walked
  uint64_t expected_version = 0;
  uint64_t previous_position = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    // tenant \0 stream \0 BE64(version) -> BE64(position); tenants and
    // streams are not empty and hold no \0.
    const std::string_view key = it->key().ToStringView();
    const size_t tenant_end = key.find('\0');
    const size_t stream_end = key.size() >= 9 ? key.size() - 9 : 0;
    if (key.size() < 12 || tenant_end == 0 || tenant_end + 1 >= stream_end ||
        key.find('\0', tenant_end + 1) != stream_end || it->value().size() != 8) {
      if (reaches_head) {
        check->Found(beyond, absl::StrCat("malformed stream index entry (", key.size(),
                                          "-byte key, ", it->value().size(), "-byte value)"));
      }
      continue;
    }
    const std::string_view tenant = key.substr(0, tenant_end);
    const std::string_view stream = key.substr(tenant_end + 1, stream_end - tenant_end - 1);
    auto name = [&] { return StreamName(tenant, stream); };
    const uint64_t version = GetBigEndian64(key.data() + key.size() - 8);
    const uint64_t position = GetBigEndian64(it->value().data());
    if (key.substr(0, key.size() - 8) != prefix) {
      prefix = std::string(key.substr(0, key.size() - 8));
      expected_version = 0;
      previous_position = 0;
    }
    const uint64_t after = previous_position;
    const uint64_t wanted_version = expected_version;
    expected_version = version + 1;
    previous_position = position;

    if (position == 0 || position > check->head) {
      if (reaches_head) {
        check->Found(beyond, absl::StrCat("stream index entry ", name(), " version ", version,
                                          " points at position ", position,
                                          ", which is not in the log (head ", check->head, ")"));
      }
      continue;
    }
    if (position < check->from || position > check->checked) continue;  // another call's to judge
    if (version != wanted_version) {
      check->Found(position,
                   absl::StrCat("stream ", name(), " has no index entry for version ",
                                wanted_version, " (the next entry is version ", version, ")"));
    } else if (position <= after) {
      check->Found(position,
                   absl::StrCat("stream ", name(), " version ", version, " is at position ",
                                position, ", not after version ", version - 1, " at ", after));
    } else if (check->identity[position - check->from] != Identity(key)) {
      absl::StatusOr<EventRecord> e = ReadEventAt(options, position);
      check->Found(position, absl::StrCat("stream index entry ", name(), " version ", version,
                                          " points at position ", position, ", which is ",
                                          e.ok() ? absl::StrCat(StreamName(e->tenant, e->stream),
                                                                " version ", e->version)
                                                 : std::string(e.status().message())));
    } else {
      check->reached[position - check->from] = true;  // the entry names its event
    }
  }
  if (!it->status().ok()) {
    check->Found(check->from,
                 absl::StrCat("cannot read the stream index: ", it->status().ToString()));
    return;
  }

  // Every event the chain check vouched for is named by its own entry.
  for (uint64_t p = check->from; p <= check->checked; ++p) {
    if (check->reached[p - check->from]) continue;
    absl::StatusOr<EventRecord> e = ReadEventAt(options, p);
    if (!e.ok()) {
      check->Found(p, std::string(e.status().message()));
      return;
    }
    std::string value;
    rocksdb::Status s =
        db_->Get(options, streams_, StreamIndexKey(e->tenant, e->stream, e->version), &value);
    std::string entry;
    if (s.IsNotFound()) {
      entry = "there is no entry for it";
    } else if (!s.ok() || value.size() != 8) {
      entry = "its entry is unreadable";
    } else {
      entry = absl::StrCat("its entry points at position ", GetBigEndian64(value.data()));
    }
    check->Found(p, absl::StrCat("event ", p, " (", StreamName(e->tenant, e->stream), " version ",
                                 e->version, ") is not reachable from the stream index: ", entry));
    return;
  }
}

namespace {

// Copies the puts of one batch into another (column families by id).
class MergeInto : public rocksdb::WriteBatch::Handler {
 public:
  MergeInto(rocksdb::WriteBatch* out, const std::vector<rocksdb::ColumnFamilyHandle*>& families)
      : out_(out), families_(families) {}
  rocksdb::Status PutCF(uint32_t family_id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
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

absl::Status EventStore::Resume() {
  // RocksDB leaves its error state by itself (its SstFileManager polls for
  // free space, every 5 s). DB::Resume() is not called here: with a real
  // ENOSPC, Debian's RocksDB 7.8 asserts in WritableFileWriter when it is
  // called while its own recovery is due. While the error stands, this write
  // fails at once without touching the files.
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  const std::string format = options_.merkle_tree ? kFormatWithMerkle : kFormatWithoutMerkle;
  return FromRocks(db_->Put(wo, handles_[0], kFormatKey, format), "probe write");
}

absl::Status EventStore::Write(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  return FromRocks(db_->Write(wo, batch), "write batch");
}

}  // namespace rcl::ledger
