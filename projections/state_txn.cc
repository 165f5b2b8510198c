#include "projections/state_txn.h"

#include <algorithm>
#include <vector>

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

absl::Status ParseBytes(std::string_view key, std::string_view bytes,
                        google::protobuf::MessageLite* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("projection store: undecodable row (", key.size(), "-byte key)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ParseInto(std::string_view key, const std::optional<std::string>& bytes,
                               google::protobuf::MessageLite* out) {
  if (!bytes.has_value()) return false;
  RCL_RETURN_IF_ERROR(ParseBytes(key, *bytes, out));
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
  Evict();
}

void RowCache::Evict() {
  while (bytes_ > bytes_max_ && !lru_.empty()) {
    bytes_ -= SizeOf(lru_.back());
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  RCL_CHECK(index_.size() == lru_.size());
}

StateTxn::StateTxn(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, RowCache* cache,
                   rocksdb::WriteBatch* batch)
    : db_(db), family_(family), cache_(cache), batch_(batch) {
  RCL_CHECK(batch_ != nullptr);
}

absl::StatusOr<StateTxn::Row*> StateTxn::Load(std::string_view key) {
  auto [it, inserted] = rows_.try_emplace(AbslView(key));
  Row& row = it->second;
  if (!inserted) return &row;
  if (cache_ != nullptr) {
    if (const std::optional<std::string>* cached = cache_->Find(key)) {
      row.present = cached->has_value();
      if (row.present) row.bytes = **cached;
      return &row;
    }
  }
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family_, ToSlice(key), &value);
  if (!s.IsNotFound()) {
    if (absl::Status bad = FromRocks(s, "read"); !bad.ok()) {
      rows_.erase(it);
      return bad;
    }
    row.present = true;
    row.bytes.assign(value.data(), value.size());
  }
  if (cache_ != nullptr) {
    cache_->Put(key, row.present ? std::optional<std::string>(row.bytes) : std::nullopt);
  }
  return &row;
}

StateTxn::Row& StateTxn::Blank(std::string_view key) {
  Row& row = rows_[AbslView(key)];
  row.written = true;
  row.parsed = false;
  return row;
}

absl::StatusOr<std::optional<std::string>> StateTxn::Get(std::string_view key) {
  RCL_ASSIGN_OR_RETURN(Row * row, Load(key));
  if (!row->present) return std::nullopt;
  if (row->parsed) return row->message->SerializeAsString();
  return row->bytes;
}

absl::StatusOr<bool> StateTxn::GetProto(std::string_view key, google::protobuf::MessageLite* out) {
  RCL_ASSIGN_OR_RETURN(Row * row, Load(key));
  if (!row->present) return false;
  if (row->parsed) {
    out->Clear();
    out->CheckTypeAndMergeFrom(*row->message);
    return true;
  }
  RCL_RETURN_IF_ERROR(ParseBytes(key, row->bytes, out));
  return true;
}

absl::StatusOr<StateTxn::Row*> StateTxn::MutableRow(std::string_view key,
                                                    const google::protobuf::MessageLite* type,
                                                    bool* exists) {
  RCL_ASSIGN_OR_RETURN(Row * row, Load(key));
  if (exists != nullptr) *exists = row->present;
  if (row->message == nullptr) {
    row->message.reset(type->New());
    row->type = type;
  }
  RCL_CHECK(row->type == type) << "a row edited as two message types";
  if (!row->parsed) {
    row->message->Clear();
    if (row->present) {
      RCL_RETURN_IF_ERROR(ParseBytes(key, row->bytes, row->message.get()));
      row->bytes.clear();
    }
    row->parsed = true;
  }
  row->present = true;
  row->written = true;
  return row;
}

void StateTxn::Put(std::string_view key, std::string value) {
  Row& row = Blank(key);
  row.present = true;
  row.bytes = std::move(value);
}

void StateTxn::PutProto(std::string_view key, const google::protobuf::MessageLite& value) {
  Put(key, value.SerializeAsString());
}

void StateTxn::Delete(std::string_view key) {
  Row& row = Blank(key);
  row.present = false;
  row.bytes.clear();
}

absl::Status StateTxn::AddInt64(std::string_view key, int64_t delta) {
  if (delta == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(Row * row, Load(key));
  RCL_CHECK(!row->parsed) << "a counter edited as a message";
  int64_t value = 0;
  if (row->present) {
    RCL_ASSIGN_OR_RETURN(value, DecodeInt64(row->bytes));
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(value, delta, &sum)) {
    return absl::OutOfRangeError("projection counter overflows int64");
  }
  row->written = true;
  row->present = sum != 0;
  if (row->present) {
    row->bytes = EncodeInt64(sum);
  } else {
    row->bytes.clear();
  }
  return absl::OkStatus();
}

void StateTxn::Append(std::string_view key, std::string_view value) {
  blind_.push_back(BlindWrite{std::string(key), std::string(value), false});
}

void StateTxn::AppendProto(std::string_view key, const google::protobuf::MessageLite& value) {
  BlindWrite& w = blind_.emplace_back();
  w.key = key;
  value.SerializeToString(&w.value);
}

void StateTxn::Erase(std::string_view key) {
  blind_.push_back(BlindWrite{std::string(key), std::string(), true});
}

void StateTxn::Flush() {
  // Every write of the batch in key order (a blind key written twice keeps
  // its order): the memtable inserts each next to the previous one.
  struct Op {
    const std::string* key;
    const std::string* value;  // null: a delete
  };
  std::vector<Op> ops;
  ops.reserve(rows_.size() + blind_.size());
  for (auto& [key, row] : rows_) {
    if (!row.written) continue;
    if (row.present && row.parsed) row.message->SerializeToString(&row.bytes);
    ops.push_back(Op{&key, row.present ? &row.bytes : nullptr});
  }
  for (const BlindWrite& w : blind_) ops.push_back(Op{&w.key, w.erase ? nullptr : &w.value});
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op& a, const Op& b) { return *a.key < *b.key; });
  for (const Op& op : ops) {
    if (op.value == nullptr) {
      batch_->Delete(family_, ToSlice(*op.key));
    } else {
      batch_->Put(family_, ToSlice(*op.key), ToSlice(*op.value));
    }
  }
  if (cache_ != nullptr) {
    for (auto& [key, row] : rows_) {
      if (!row.written) continue;
      cache_->Put(key,
                  row.present ? std::optional<std::string>(std::move(row.bytes)) : std::nullopt);
    }
  }
  rows_.clear();
  blind_.clear();
}

}  // namespace rcl::projections
