// One tenant's log: its index (tenant sequence -> position), its chain and
// its Merkle tree's stored nodes. Methods of EventStore; see event_store.h
// and docs/STORAGE.md ("Tenant logs").
#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/audit/merkle.h"
#include "ledger/postings.h"
#include "ledger/status.h"
#include "ledger/storage/event_store.h"
#include "ledger/storage/rocks_status.h"
#include "rocksdb/snapshot.h"

namespace rcl::ledger {

absl::StatusOr<TenantHead> EventStore::ReadTenantHead(std::string_view tenant) const {
  const std::string prefix = TenantPrefix(tenant);
  std::string last = prefix;
  PutBigEndian64(&last, UINT64_MAX);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tenants_));
  it->SeekForPrev(last);
  TenantHead head;
  if (!it->Valid()) {
    RCL_RETURN_IF_ERROR(FromRocks(it->status(), "read tenant head"));
    return head;
  }
  rocksdb::Slice key = it->key();
  if (!key.starts_with(prefix)) return head;  // another tenant's entry, or none
  if (key.size() != prefix.size() + 8) return absl::DataLossError("malformed tenant index key");
  RCL_ASSIGN_OR_RETURN(TenantIndexEntry entry, DecodeTenantIndexValue(it->value().ToStringView()));
  const uint64_t seq = GetBigEndian64(key.data() + prefix.size());
  RCL_ASSIGN_OR_RETURN(EventRecord e, ReadEvent(entry.position));
  if (e.tenant != tenant || e.tenant_seq != seq) {
    return absl::DataLossError(
        absl::StrCat("tenant index entry ", seq, " names another tenant's or sequence's event"));
  }
  head.tenant_seq = seq;
  head.position = e.position;
  head.tenant_hash = e.tenant_hash;
  head.recorded_at_us = e.recorded_at_us;
  return head;
}

absl::StatusOr<TenantIndexEntry> EventStore::TenantIndexEntryAt(const rocksdb::ReadOptions& options,
                                                                std::string_view tenant,
                                                                uint64_t seq) const {
  std::string value;
  rocksdb::Status s = db_->Get(options, tenants_, TenantIndexKey(tenant, seq), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no event ", seq, " of the tenant"));
  RCL_RETURN_IF_ERROR(FromRocks(s, "read tenant index"));
  return DecodeTenantIndexValue(value);
}

absl::StatusOr<uint64_t> EventStore::TenantEventPosition(std::string_view tenant,
                                                         uint64_t tenant_seq) const {
  RCL_ASSIGN_OR_RETURN(TenantIndexEntry entry,
                       TenantIndexEntryAt(rocksdb::ReadOptions(), tenant, tenant_seq));
  return entry.position;
}

absl::StatusOr<EventRecord> EventStore::ReadTenantEvent(std::string_view tenant,
                                                        uint64_t tenant_seq) const {
  RCL_ASSIGN_OR_RETURN(uint64_t position, TenantEventPosition(tenant, tenant_seq));
  RCL_ASSIGN_OR_RETURN(EventRecord e, ReadEvent(position));
  if (e.tenant != tenant || e.tenant_seq != tenant_seq) {
    return absl::DataLossError(absl::StrCat("tenant index entry ", tenant_seq,
                                            " names another tenant's or sequence's event"));
  }
  return e;
}

absl::StatusOr<uint64_t> EventStore::LastPositionAtOrBefore(int64_t time_us, uint64_t head) const {
  // The first position in [lo, hi) recorded after time_us, minus one.
  uint64_t lo = 1;
  uint64_t hi = head + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    RCL_ASSIGN_OR_RETURN(EventRecord e, ReadEvent(mid));
    if (e.recorded_at_us > time_us) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo - 1;
}

absl::StatusOr<uint64_t> EventStore::TenantSeqAtOrAfter(std::string_view tenant, uint64_t position,
                                                        uint64_t last_seq) const {
  // Positions grow with the tenant sequence: the first seq in [lo, hi) whose
  // position reaches `position`.
  uint64_t lo = 1;
  uint64_t hi = last_seq + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    RCL_ASSIGN_OR_RETURN(uint64_t p, TenantEventPosition(tenant, mid));
    if (p >= position) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

absl::Status EventStore::ScanTenant(std::string_view tenant, uint64_t from, uint64_t to,
                                    size_t count_max,
                                    const std::function<bool(const EventRecord&)>& visit,
                                    uint64_t* scanned_to) const {
  *scanned_to = from == 0 ? 0 : from - 1;
  if (from > to || count_max == 0) return absl::OkStatus();
  RCL_ASSIGN_OR_RETURN(TenantHead head, ReadTenantHead(tenant));
  uint64_t seq = 1;
  if (from > 1) {
    RCL_ASSIGN_OR_RETURN(seq, TenantSeqAtOrAfter(tenant, from, head.tenant_seq));
  }
  const std::string prefix = TenantPrefix(tenant);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tenants_));
  size_t seen = 0;
  for (it->Seek(TenantIndexKey(tenant, seq)); it->Valid(); it->Next(), ++seq) {
    rocksdb::Slice key = it->key();
    if (!key.starts_with(prefix)) break;
    if (key.size() != prefix.size() + 8 || GetBigEndian64(key.data() + prefix.size()) != seq) {
      return absl::DataLossError(absl::StrCat("tenant index is not gapless at sequence ", seq));
    }
    RCL_ASSIGN_OR_RETURN(TenantIndexEntry entry,
                         DecodeTenantIndexValue(it->value().ToStringView()));
    const uint64_t position = entry.position;
    if (position > to) break;
    if (seen == count_max) return absl::OkStatus();
    RCL_ASSIGN_OR_RETURN(EventRecord e, ReadEvent(position));
    if (e.tenant != tenant || e.tenant_seq != seq) {
      return absl::DataLossError(
          absl::StrCat("tenant index entry ", seq, " names another tenant's or sequence's event"));
    }
    ++seen;
    *scanned_to = position;
    if (!visit(e)) return absl::OkStatus();
  }
  RCL_RETURN_IF_ERROR(FromRocks(it->status(), "scan tenant"));
  *scanned_to = to;  // no more of the tenant's events up to `to`
  return absl::OkStatus();
}

absl::StatusOr<Hash> EventStore::ReadStoredMerkleNode(std::string_view tenant, uint32_t level,
                                                      uint64_t index) const {
  RCL_CHECK(level >= kMerkleTileLevel) << "Merkle level " << level << " is not in `merkle`";
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), merkle_, MerkleNodeKey(tenant, level, index), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no Merkle node (", level, ", ", index, ")"));
  }
  RCL_RETURN_IF_ERROR(FromRocks(s, "read Merkle node"));
  if (value.size() != kHashSize) return absl::DataLossError("Merkle node is not 32 bytes");
  Hash h{};
  std::copy_n(reinterpret_cast<const uint8_t*>(value.data()), kHashSize, h.begin());
  return h;
}

absl::StatusOr<Hash> EventStore::ReadMerkleNode(std::string_view tenant, uint32_t level,
                                                uint64_t index) const {
  MerkleNodeReader reader(this, tenant);
  return reader.Node(level, index);
}

absl::StatusOr<std::vector<Hash>> EventStore::ReadMerkleLeaves(std::string_view tenant,
                                                               uint64_t first,
                                                               uint64_t count) const {
  RCL_CHECK(count <= kMerkleTileLeaves) << "a leaf tile at most";
  std::vector<Hash> leaves;
  leaves.reserve(count);
  // Leaf i is tenant sequence i + 1.
  const std::string end = TenantIndexKey(tenant, first + count + 1);
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, tenants_));
  for (it->Seek(TenantIndexKey(tenant, first + 1)); it->Valid(); it->Next()) {
    const uint64_t seq = first + leaves.size() + 1;
    if (it->key() != rocksdb::Slice(TenantIndexKey(tenant, seq))) {
      return absl::DataLossError(absl::StrCat("tenant index is not gapless at sequence ", seq));
    }
    RCL_ASSIGN_OR_RETURN(TenantIndexEntry entry,
                         DecodeTenantIndexValue(it->value().ToStringView()));
    if (!entry.has_leaf) return absl::DataLossError("tenant index entry holds no Merkle leaf");
    leaves.push_back(entry.leaf_hash);
  }
  RCL_RETURN_IF_ERROR(FromRocks(it->status(), "read Merkle leaves"));
  return leaves;
}

absl::StatusOr<Hash> MerkleNodeReader::Node(uint32_t level, uint64_t index) {
  if (level >= kMerkleTileLevel) return store_->ReadStoredMerkleNode(tenant_, level, index);
  const uint64_t width = uint64_t{1} << level;
  const uint64_t first_leaf = index * width;
  const uint64_t tile_index = first_leaf / kMerkleTileLeaves;
  auto tile = std::find_if(tiles_.begin(), tiles_.end(),
                           [&](const Tile& t) { return t.index == tile_index; });
  if (tile == tiles_.end()) {
    RCL_ASSIGN_OR_RETURN(
        std::vector<Hash> leaves,
        store_->ReadMerkleLeaves(tenant_, tile_index * kMerkleTileLeaves, kMerkleTileLeaves));
    if (tiles_.size() == kTilesCached) tiles_.erase(tiles_.begin());
    tiles_.push_back(Tile{tile_index, std::move(leaves)});
    tile = tiles_.end() - 1;
  }
  const uint64_t offset = first_leaf - tile_index * kMerkleTileLeaves;
  RCL_CHECK(offset + width <= kMerkleTileLeaves) << "a low node lies inside one tile";
  if (offset + width > tile->leaves.size()) {
    return absl::NotFoundError(absl::StrCat("no Merkle node (", level, ", ", index, ")"));
  }
  return audit::RootOf(absl::MakeConstSpan(tile->leaves).subspan(offset, width));
}

std::function<Hash(uint32_t, uint64_t)> MerkleNodeReader::Fn() {
  return [this](uint32_t level, uint64_t index) -> Hash {
    absl::StatusOr<Hash> h = Node(level, index);
    if (h.ok()) return *h;
    if (status_.ok()) status_ = h.status();
    return Hash{};
  };
}

namespace {

// What VerifyTenant walks with: the snapshot, the tenant, and the first
// problem found.
struct TenantWalk {
  const rocksdb::ReadOptions* ro = nullptr;
  std::string_view tenant;
  TenantVerifyResult* result = nullptr;
  TenantVerifyResult Fail(uint64_t seq, std::string error) {
    result->ok = false;
    result->first_bad_seq = seq;
    result->error = std::move(error);
    return *result;
  }
};

// Why event `e`, the tenant's `seq`, breaks its chain; nullopt if it does not.
std::optional<std::string> ChainProblem(const EventRecord& e, std::string_view tenant, uint64_t seq,
                                        const Hash& expected_prev, std::string_view canonical) {
  if (e.tenant != tenant || e.tenant_seq != seq) {
    return "the tenant index names an event of another tenant or sequence";
  }
  if (e.tenant_prev_hash != expected_prev) {
    return "tenant_prev_hash does not match the previous event's tenant_hash";
  }
  if (ChainHash(e.tenant_prev_hash, canonical) != e.tenant_hash) {
    return "tenant_hash does not match the event's contents";
  }
  if (ChainHash(e.prev_hash, canonical) != e.hash)
    return "hash does not match the event's contents";
  if (absl::Status b = CheckPayloadBalanced(e.type, e.payload); !b.ok()) {
    return absl::StrCat(AbslView(e.type), ": ", b.message());
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<TenantVerifyResult> EventStore::VerifyTenant(std::string_view tenant,
                                                            uint64_t from_seq,
                                                            uint64_t to_seq) const {
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.verify_checksums = true;
  RCL_ASSIGN_OR_RETURN(TenantHead head, ReadTenantHead(tenant));
  TenantVerifyResult r;
  TenantWalk walk{&ro, tenant, &r};
  from_seq = std::max<uint64_t>(from_seq, 1);
  if (to_seq == 0 || to_seq > head.tenant_seq) to_seq = head.tenant_seq;
  if (to_seq >= from_seq && to_seq - from_seq >= kVerifyEventsMax) {
    to_seq = from_seq + kVerifyEventsMax - 1;
  }
  r.from_seq = from_seq;
  r.to_seq = to_seq;
  if (from_seq > to_seq) return r;

  // The tree and the chain as they stood before the range, from what is
  // stored (earlier calls vouched for it).
  Hash expected_prev{};
  audit::CompactRange range;
  if (from_seq > 1) {
    absl::StatusOr<TenantIndexEntry> prev_entry = TenantIndexEntryAt(ro, tenant, from_seq - 1);
    if (!prev_entry.ok())
      return walk.Fail(from_seq - 1, std::string(prev_entry.status().message()));
    absl::StatusOr<EventRecord> prev = ReadEventAt(ro, prev_entry->position);
    if (!prev.ok()) return walk.Fail(from_seq - 1, std::string(prev.status().message()));
    expected_prev = prev->tenant_hash;
    if (merkle_tree()) {
      absl::StatusOr<audit::CompactRange> edge = TenantRightEdge(tenant, from_seq - 1);
      if (!edge.ok()) return walk.Fail(from_seq - 1, std::string(edge.status().message()));
      range = *std::move(edge);
    }
  }

  for (uint64_t seq = from_seq; seq <= to_seq; ++seq) {
    absl::StatusOr<TenantIndexEntry> entry = TenantIndexEntryAt(ro, tenant, seq);
    if (!entry.ok()) return walk.Fail(seq, std::string(entry.status().message()));
    absl::StatusOr<EventRecord> e = ReadEventAt(ro, entry->position);
    if (!e.ok()) return walk.Fail(seq, std::string(e.status().message()));
    const std::string canonical = CanonicalBytes(*e);
    if (auto problem = ChainProblem(*e, tenant, seq, expected_prev, canonical)) {
      return walk.Fail(seq, *std::move(problem));
    }
    expected_prev = e->tenant_hash;
    ++r.events_checked;
    if (!merkle_tree()) continue;
    std::string node_error;
    range.Append(audit::LeafHash(canonical), [&](const audit::PerfectNode& n) {
      if (!node_error.empty() || (n.level > 0 && n.level < kMerkleTileLevel)) return;
      // The leaf is the index entry just read; levels from kMerkleTileLevel
      // up are in `merkle`.
      absl::StatusOr<Hash> stored = absl::DataLossError("tenant index entry holds no Merkle leaf");
      if (n.level > 0) {
        stored = ReadStoredMerkleNode(tenant, n.level, n.index);
      } else if (entry->has_leaf) {
        stored = entry->leaf_hash;
      }
      if (!stored.ok()) {
        node_error = std::string(stored.status().message());
      } else if (*stored != n.hash) {
        node_error = absl::StrCat("stored Merkle node (", n.level, ", ", n.index,
                                  ") differs from the one the events give");
      } else {
        ++r.nodes_checked;
      }
    });
    if (!node_error.empty()) return walk.Fail(seq, std::move(node_error));
  }
  r.tenant_hash_at_to = expected_prev;
  if (merkle_tree()) r.root_at_to = range.Root();
  return r;
}

}  // namespace rcl::ledger

namespace rcl::ledger {
namespace {

absl::Status NeedTree(const EventStore& store) {
  if (store.merkle_tree()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this data directory keeps no Merkle trees (created for a benchmark)");
}

}  // namespace

absl::StatusOr<Hash> EventStore::TenantRoot(std::string_view tenant, uint64_t tree_size) const {
  RCL_RETURN_IF_ERROR(NeedTree(*this));
  MerkleNodeReader nodes(this, tenant);
  Hash root = audit::RootFrom(tree_size, nodes.Fn());
  RCL_RETURN_IF_ERROR(nodes.status());
  return root;
}

absl::StatusOr<audit::CompactRange> EventStore::TenantRightEdge(std::string_view tenant,
                                                                uint64_t tree_size) const {
  RCL_RETURN_IF_ERROR(NeedTree(*this));
  MerkleNodeReader nodes(this, tenant);
  audit::CompactRange range = audit::CompactRange::FromPerfectNodes(tree_size, nodes.Fn());
  RCL_RETURN_IF_ERROR(nodes.status());
  return range;
}

absl::StatusOr<EventStore::InclusionProof> EventStore::TenantInclusionProof(
    std::string_view tenant, uint64_t tenant_seq, uint64_t tree_size) const {
  RCL_RETURN_IF_ERROR(NeedTree(*this));
  RCL_CHECK(tenant_seq >= 1 && tenant_seq <= tree_size) << "caller checks the sequence";
  InclusionProof proof;
  MerkleNodeReader nodes(this, tenant);
  RCL_ASSIGN_OR_RETURN(proof.leaf, nodes.Node(0, tenant_seq - 1));
  RCL_ASSIGN_OR_RETURN(proof.path,
                       audit::InclusionProofFrom(tenant_seq - 1, tree_size, nodes.Fn()));
  RCL_RETURN_IF_ERROR(nodes.status());
  return proof;
}

absl::StatusOr<std::vector<Hash>> EventStore::TenantConsistencyProof(std::string_view tenant,
                                                                     uint64_t from_size,
                                                                     uint64_t to_size) const {
  RCL_RETURN_IF_ERROR(NeedTree(*this));
  MerkleNodeReader nodes(this, tenant);
  RCL_ASSIGN_OR_RETURN(std::vector<Hash> path,
                       audit::ConsistencyProofFrom(from_size, to_size, nodes.Fn()));
  RCL_RETURN_IF_ERROR(nodes.status());
  return path;
}

}  // namespace rcl::ledger
