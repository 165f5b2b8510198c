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

StateTxn::StateTxn(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, size_t bytes_max)
    : db_(db), family_(family), bytes_max_(bytes_max) {
  RCL_CHECK(db_ != nullptr && family_ != nullptr);
}

void StateTxn::Recount(const std::string& key, Row& row) {
  size_t value = 0;
  if (row.present) {
    value = row.parsed ? row.message->ByteSizeLong() * kParsedExpansion : row.bytes.size();
  }
  RCL_CHECK(held_bytes_ >= row.counted_bytes);
  held_bytes_ -= row.counted_bytes;
  row.counted_bytes = key.size() + value + kRowOverheadBytes;
  held_bytes_ += row.counted_bytes;
}

absl::StatusOr<StateTxn::RowMap::value_type*> StateTxn::LoadEntry(std::string_view key) {
  auto [it, inserted] = rows_.try_emplace(AbslView(key));
  Row& row = it->second;
  row.last_used = batch_;
  if (!inserted) return &*it;
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
  Recount(it->first, row);
  return &*it;
}

absl::StatusOr<StateTxn::Row*> StateTxn::Load(std::string_view key) {
  RCL_ASSIGN_OR_RETURN(RowMap::value_type * entry, LoadEntry(key));
  return &entry->second;
}

void StateTxn::Touch(RowMap::value_type& entry) {
  Row& row = entry.second;
  row.last_used = batch_;
  if (!row.dirty) {
    row.dirty = true;
    dirty_.push_back(&entry);
  }
}

StateTxn::Row& StateTxn::Blank(std::string_view key) {
  auto it = rows_.try_emplace(AbslView(key)).first;
  Touch(*it);
  Row& row = it->second;
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
  RCL_ASSIGN_OR_RETURN(RowMap::value_type * entry, LoadEntry(key));
  Row* row = &entry->second;
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
      std::string().swap(row->bytes);
    }
    row->parsed = true;
  }
  row->present = true;
  Touch(*entry);
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
  RCL_ASSIGN_OR_RETURN(RowMap::value_type * entry, LoadEntry(key));
  Row* row = &entry->second;
  RCL_CHECK(!row->parsed) << "a counter edited as a message";
  int64_t value = 0;
  if (row->present) {
    RCL_ASSIGN_OR_RETURN(value, DecodeInt64(row->bytes));
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(value, delta, &sum)) {
    return absl::OutOfRangeError("projection counter overflows int64");
  }
  Touch(*entry);
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

void StateTxn::Flush(rocksdb::WriteBatch* batch) {
  // Every write of the batch in key order (a blind key written twice keeps
  // its order): the memtable inserts each next to the previous one.
  struct Op {
    const std::string* key;
    const std::string* value;  // null: a delete
  };
  std::vector<Op> ops;
  ops.reserve(dirty_.size() + blind_.size());
  for (RowMap::value_type* entry : dirty_) {
    Row& row = entry->second;
    RCL_CHECK(row.dirty);
    if (row.present && row.parsed) row.message->SerializeToString(&row.bytes);
    ops.push_back(Op{&entry->first, row.present ? &row.bytes : nullptr});
  }
  for (const BlindWrite& w : blind_) ops.push_back(Op{&w.key, w.erase ? nullptr : &w.value});
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op& a, const Op& b) { return *a.key < *b.key; });
  for (const Op& op : ops) {
    if (op.value == nullptr) {
      batch->Delete(family_, ToSlice(*op.key));
    } else {
      batch->Put(family_, ToSlice(*op.key), ToSlice(*op.value));
    }
  }
  for (RowMap::value_type* entry : dirty_) {
    Row& row = entry->second;
    row.dirty = false;
    // A parsed row's message is its value; its serialized copy was for the batch only.
    if (row.parsed) std::string().swap(row.bytes);
    Recount(entry->first, row);
  }
  dirty_.clear();
  blind_.clear();
  ++batch_;
  if (held_bytes_ > bytes_max_) Evict();
}

void StateTxn::Evict() {
  RCL_CHECK(dirty_.empty()) << "evicting rows not yet written";
  // Bytes by age (batches since last use, capped): drop the oldest ages
  // until three quarters of the bound remain.
  constexpr uint32_t kAges = 64;
  std::vector<size_t> bytes_by_age(kAges + 1, 0);
  for (const auto& [key, row] : rows_) {
    bytes_by_age[std::min(kAges, batch_ - row.last_used)] += row.counted_bytes;
  }
  const size_t target = bytes_max_ / 4 * 3;
  size_t kept = held_bytes_;
  uint32_t cutoff = kAges + 1;  // rows of this age or older go
  while (cutoff > 0 && kept > target) {
    --cutoff;
    kept -= bytes_by_age[cutoff];
  }
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (std::min(kAges, batch_ - it->second.last_used) >= cutoff) {
      held_bytes_ -= it->second.counted_bytes;
      rows_.erase(it++);
    } else {
      ++it;
    }
  }
  RCL_CHECK(held_bytes_ == kept) << "held bytes miscounted";
}

void StateTxn::Discard() {
  rows_.clear();
  dirty_.clear();
  blind_.clear();
  held_bytes_ = 0;
}

}  // namespace rcl::projections
