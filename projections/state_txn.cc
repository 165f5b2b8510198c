#include "projections/state_txn.h"

#include "absl/strings/str_cat.h"
#include "ledger/status.h"

namespace rcl::projections {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("projection store: ", AbslView(what), ": ", s.ToString()));
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

absl::StatusOr<bool> ParseInto(std::string_view key, const std::optional<std::string>& bytes,
                               google::protobuf::MessageLite* out) {
  if (!bytes.has_value()) return false;
  if (!out->ParseFromArray(bytes->data(), static_cast<int>(bytes->size()))) {
    return absl::DataLossError(
        absl::StrCat("projection store: undecodable row (", key.size(), "-byte key)"));
  }
  return true;
}

}  // namespace

std::string EncodeInt64(int64_t value) {
  std::string out(8, '\0');
  uint64_t u = static_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i, u >>= 8) out[i] = static_cast<char>(u & 0xff);
  return out;
}

absl::StatusOr<int64_t> DecodeInt64(std::string_view bytes) {
  if (bytes.size() != 8) return absl::DataLossError("projection store: a counter is not 8 bytes");
  uint64_t u = 0;
  for (char c : bytes) u = (u << 8) | static_cast<uint8_t>(c);
  return static_cast<int64_t>(u);
}

StateReader::StateReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                         std::shared_ptr<void> keep_alive)
    : db_(db), family_(family), keep_alive_(std::move(keep_alive)), snapshot_(db->GetSnapshot()) {
  absl::StatusOr<std::optional<std::string>> c = Get(kCheckpointKey);
  if (c.ok() && c->has_value()) {
    absl::StatusOr<int64_t> v = DecodeInt64(**c);
    if (v.ok()) checkpoint_ = static_cast<uint64_t>(*v);
  }
}

StateReader::~StateReader() { db_->ReleaseSnapshot(snapshot_); }

absl::StatusOr<std::optional<std::string>> StateReader::Get(std::string_view key) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  std::string value;
  rocksdb::Status s = db_->Get(ro, family_, ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  RCL_RETURN_IF_ERROR(FromRocks(s, "read"));
  return value;
}

absl::StatusOr<bool> StateReader::GetProto(std::string_view key,
                                           google::protobuf::MessageLite* out) const {
  RCL_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Get(key));
  return ParseInto(key, bytes, out);
}

absl::Status StateReader::Scan(
    std::string_view prefix, std::string_view start,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, family_));
  std::string_view from = start.empty() ? prefix : start;
  for (it->Seek(ToSlice(from)); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, it->value().ToStringView())) break;
  }
  return FromRocks(it->status(), "scan");
}

const std::optional<std::string>* RowCache::Find(std::string_view key) {
  auto it = index_.find(AbslView(key));
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->value;
}

void RowCache::Put(std::string_view key, std::optional<std::string> value) {
  auto it = index_.find(AbslView(key));
  if (it != index_.end()) {
    bytes_ -= SizeOf(*it->second);
    it->second->value = std::move(value);
    bytes_ += SizeOf(*it->second);
    lru_.splice(lru_.begin(), lru_, it->second);
  } else {
    lru_.push_front(Entry{std::string(key), std::move(value)});
    bytes_ += SizeOf(lru_.front());
    index_.emplace(lru_.front().key, lru_.begin());
  }
  while (bytes_ > bytes_max_ && !lru_.empty()) {
    bytes_ -= SizeOf(lru_.back());
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  RCL_CHECK(index_.size() == lru_.size());
}

StateTxn::StateTxn(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, RowCache* cache)
    : db_(db), family_(family), cache_(cache) {}

absl::StatusOr<std::optional<std::string>> StateTxn::Get(std::string_view key) {
  if (auto it = pending_.find(AbslView(key)); it != pending_.end()) return it->second;
  if (cache_ != nullptr) {
    if (const std::optional<std::string>* cached = cache_->Find(key)) return *cached;
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family_, ToSlice(key), &value);
  std::optional<std::string> found;
  if (!s.IsNotFound()) {
    RCL_RETURN_IF_ERROR(FromRocks(s, "read"));
    found = std::move(value);
  }
  if (cache_ != nullptr) cache_->Put(key, found);
  return found;
}

absl::StatusOr<bool> StateTxn::GetProto(std::string_view key, google::protobuf::MessageLite* out) {
  if (auto it = pending_.find(AbslView(key)); it != pending_.end())
    return ParseInto(key, it->second, out);
  RCL_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Get(key));
  return ParseInto(key, bytes, out);
}

void StateTxn::Put(std::string_view key, std::string value) {
  pending_[std::string(key)] = std::move(value);
}

void StateTxn::PutProto(std::string_view key, const google::protobuf::MessageLite& value) {
  Put(key, value.SerializeAsString());
}

void StateTxn::Delete(std::string_view key) { pending_[std::string(key)] = std::nullopt; }

absl::Status StateTxn::AddInt64(std::string_view key, int64_t delta) {
  if (delta == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Get(key));
  int64_t value = 0;
  if (bytes.has_value()) {
    RCL_ASSIGN_OR_RETURN(value, DecodeInt64(*bytes));
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(value, delta, &sum)) {
    return absl::OutOfRangeError("projection counter overflows int64");
  }
  if (sum == 0) {
    Delete(key);
  } else {
    Put(key, EncodeInt64(sum));
  }
  return absl::OkStatus();
}

void StateTxn::Flush(rocksdb::WriteBatch* batch) {
  for (auto& [key, value] : pending_) {
    if (value.has_value()) {
      batch->Put(family_, ToSlice(key), ToSlice(*value));
    } else {
      batch->Delete(family_, ToSlice(key));
    }
    if (cache_ != nullptr) cache_->Put(key, std::move(value));
  }
  pending_.clear();
}

}  // namespace rcl::projections
