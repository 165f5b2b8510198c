// One tenant's log as its auditor relies on it: gapless tenant sequences, a
// tenant chain and a Merkle tree that the tenant's own events recompute,
// independent of every other tenant; proofs from stored nodes that verify;
// reads through the tenant's own index; tampering caught; the tree carried
// across restarts.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit/merkle.h"
#include "ledger/ledger.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rocksdb/db.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::ReadLog;
using ::rcl::ledger::testing::RegisterPatientCommand;
using ::rcl::ledger::testing::Request;
using ::rcl::ledger::testing::ScratchDir;
using ::testing::HasSubstr;

constexpr char kSmall[] = "small-clinic";
constexpr char kLarge[] = "large-clinic";

// Registers patients alternating between the tenants: `large` of kLarge for
// every one of kSmall (the first `small` of them), ids unique per tenant.
void Interleave(Ledger& ledger, int small, int large_per_small, int* next_id) {
  for (int i = 0; i < small; ++i) {
    for (int j = 0; j < large_per_small; ++j) {
      ASSERT_TRUE(
          ledger
              .Execute(Request(RegisterPatientCommand(absl::StrCat("P", (*next_id)++)), "", kLarge))
              .ok());
    }
    ASSERT_TRUE(
        ledger.Execute(Request(RegisterPatientCommand(absl::StrCat("P", (*next_id)++)), "", kSmall))
            .ok());
  }
}

// The tenant's events in log order, read the way an auditor sees the log.
std::vector<EventRecord> TenantEvents(const EventStore& store, const std::string& tenant) {
  std::vector<EventRecord> out;
  uint64_t scanned_to = 0;
  absl::Status s = store.ScanTenant(
      tenant, 1, UINT64_MAX, SIZE_MAX,
      [&](const EventRecord& e) {
        out.push_back(e);
        return true;
      },
      &scanned_to);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::vector<audit::Hash> LeafHashes(const std::vector<EventRecord>& events) {
  std::vector<audit::Hash> leaves;
  for (const EventRecord& e : events) leaves.push_back(audit::LeafHash(CanonicalBytes(e)));
  return leaves;
}

// How many nodes a tree of n leaves keeps in `merkle`: the perfect nodes
// from level kMerkleTileLevel up (leaves live in the tenant index, levels 1
// to 3 are recomputed from them).
uint64_t StoredNodeCount(uint64_t n) {
  uint64_t count = 0;
  for (uint32_t level = kMerkleTileLevel; level < 64; ++level) count += n >> level;
  return count;
}

// The keys in the `merkle` family.
uint64_t MerkleKeys(const EventStore& store) {
  std::unique_ptr<rocksdb::Iterator> it(
      store.raw_db()->NewIterator(rocksdb::ReadOptions(), store.merkle_family()));
  uint64_t keys = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
  return keys;
}

// Every event's tenant sequence, tenant chain and hash, recomputed from the
// events alone (what an auditor does with ReadAll output).
void ExpectTenantChain(const std::vector<EventRecord>& events, const std::string& tenant) {
  Hash prev{};
  for (size_t i = 0; i < events.size(); ++i) {
    const EventRecord& e = events[i];
    SCOPED_TRACE(absl::StrCat(tenant, " event ", i));
    EXPECT_EQ(e.tenant, tenant);
    EXPECT_EQ(e.tenant_seq, i + 1);
    EXPECT_EQ(e.tenant_prev_hash, prev);
    EXPECT_EQ(e.tenant_hash, ChainHash(e.tenant_prev_hash, CanonicalBytes(e)));
    prev = e.tenant_hash;
  }
}

TEST(TenantLogTest, EachTenantHasItsOwnGaplessSequenceChainAndTree) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  int id = 0;
  Interleave(*ledger, 7, 5, &id);
  const EventStore& store = ledger->store();
  std::vector<EventRecord> small = TenantEvents(store, kSmall);
  std::vector<EventRecord> large = TenantEvents(store, kLarge);
  ASSERT_EQ(small.size(), 7u);
  ASSERT_EQ(large.size(), 35u);
  EXPECT_EQ(small.size() + large.size(), ReadLog(store).size());
  // In `merkle`: (4, 0), (4, 1) and (5, 0) of the large tenant's 35 leaves.
  // The leaves are in the tenant index; levels 1 to 3 are recomputed.
  EXPECT_EQ(MerkleKeys(store), StoredNodeCount(7) + StoredNodeCount(35));
  EXPECT_EQ(MerkleKeys(store), 3u);
  ExpectTenantChain(small, kSmall);
  ExpectTenantChain(large, kLarge);
  for (const auto& [tenant, events] : {std::pair{kSmall, small}, std::pair{kLarge, large}}) {
    absl::StatusOr<TenantHead> head = store.ReadTenantHead(tenant);
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_EQ(head->tenant_seq, events.size());
    EXPECT_EQ(head->tenant_hash, events.back().tenant_hash);
    EXPECT_EQ(head->position, events.back().position);
    // The stored tree's root is the RFC 9162 root of the tenant's leaves, at
    // every size.
    const std::vector<audit::Hash> leaves = LeafHashes(events);
    for (uint64_t n = 1; n <= leaves.size(); ++n) {
      absl::StatusOr<Hash> root = store.TenantRoot(tenant, n);
      ASSERT_TRUE(root.ok()) << root.status();
      EXPECT_EQ(*root, audit::RootOf(absl::MakeConstSpan(leaves).first(n))) << tenant << " " << n;
    }
    absl::StatusOr<TenantVerifyResult> v = store.VerifyTenant(tenant, 0, 0);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok) << v->error;
    EXPECT_EQ(v->events_checked, events.size());
    // Every stored leaf and every stored node above the tiles.
    EXPECT_EQ(v->nodes_checked, events.size() + StoredNodeCount(events.size()));
    EXPECT_EQ(v->root_at_to, audit::RootOf(leaves));
  }
  // A tenant with no event: an empty head, nothing to scan.
  absl::StatusOr<TenantHead> none = store.ReadTenantHead("no-such-clinic");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->tenant_seq, 0u);
  EXPECT_TRUE(TenantEvents(store, "no-such-clinic").empty());
}

TEST(TenantLogTest, ProofsFromStoredNodesVerifyForEveryEventAndSize) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  int id = 0;
  Interleave(*ledger, 37, 1, &id);  // across two whole leaf tiles and into a third
  const EventStore& store = ledger->store();
  const std::vector<audit::Hash> leaves = LeafHashes(TenantEvents(store, kSmall));
  ASSERT_EQ(leaves.size(), 37u);
  for (uint64_t size = 1; size <= leaves.size(); ++size) {
    const Hash root = audit::RootOf(absl::MakeConstSpan(leaves).first(size));
    for (uint64_t seq = 1; seq <= size; ++seq) {
      absl::StatusOr<EventStore::InclusionProof> p = store.TenantInclusionProof(kSmall, seq, size);
      ASSERT_TRUE(p.ok()) << p.status();
      EXPECT_EQ(p->leaf, leaves[seq - 1]);
      EXPECT_TRUE(audit::VerifyInclusion(p->leaf, seq - 1, size, p->path, root).ok())
          << "seq " << seq << " size " << size;
    }
    for (uint64_t m = 1; m <= size; ++m) {
      absl::StatusOr<std::vector<Hash>> c = store.TenantConsistencyProof(kSmall, m, size);
      ASSERT_TRUE(c.ok()) << c.status();
      const Hash old_root = audit::RootOf(absl::MakeConstSpan(leaves).first(m));
      EXPECT_TRUE(audit::VerifyConsistency(m, size, old_root, root, *c).ok())
          << m << " -> " << size;
    }
  }
}

TEST(TenantLogTest, ScanTenantStartsAtAPositionAndReportsHowFarItVouches) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  int id = 0;
  Interleave(*ledger, 4, 3, &id);  // small-clinic at positions 4, 8, 12, 16
  const EventStore& store = ledger->store();
  std::vector<uint64_t> positions;
  uint64_t scanned_to = 0;
  auto visit = [&](const EventRecord& e) {
    positions.push_back(e.position);
    return true;
  };
  ASSERT_TRUE(store.ScanTenant(kSmall, 5, 16, 10, visit, &scanned_to).ok());
  EXPECT_EQ(positions, (std::vector<uint64_t>{8, 12, 16}));
  EXPECT_EQ(scanned_to, 16u);
  positions.clear();
  // Past the tenant's last event: nothing, and it vouches for the whole range.
  ASSERT_TRUE(store.ScanTenant(kSmall, 17, 16, 10, visit, &scanned_to).ok());
  ASSERT_TRUE(store.ScanTenant(kSmall, 13, 15, 10, visit, &scanned_to).ok());
  EXPECT_TRUE(positions.empty());
  EXPECT_EQ(scanned_to, 15u);
  // A count bound stops at the last event read.
  ASSERT_TRUE(store.ScanTenant(kSmall, 1, 16, 2, visit, &scanned_to).ok());
  EXPECT_EQ(positions, (std::vector<uint64_t>{4, 8}));
  EXPECT_EQ(scanned_to, 8u);
}

TEST(TenantLogTest, TheTreeAndChainContinueAcrossARestart) {
  ScratchDir dir;
  int id = 0;
  {
    auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
    Interleave(*ledger, 13, 2, &id);  // stops inside the first leaf tile
  }
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  Interleave(*ledger, 22, 2, &id);
  const EventStore& store = ledger->store();
  std::vector<EventRecord> small = TenantEvents(store, kSmall);
  ASSERT_EQ(small.size(), 35u);
  ExpectTenantChain(small, kSmall);
  absl::StatusOr<Hash> root = store.TenantRoot(kSmall, 35);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, audit::RootOf(LeafHashes(small)));
  absl::StatusOr<TenantVerifyResult> v = store.VerifyTenant(kLarge, 0, 0);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->error;
  EXPECT_EQ(v->events_checked, 70u);
  EXPECT_EQ(v->nodes_checked, 70 + StoredNodeCount(70));
}

// Edits one stored thing with the ledger stopped; returns what VerifyTenant
// then says about the small tenant.
TenantVerifyResult VerifyAfter(const std::string& path,
                               const std::function<void(EventStore&)>& tamper) {
  {
    EventStore::Options options;
    options.path = path;
    auto store = EventStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    tamper(**store);
  }
  auto ledger = OpenLedgerOrDie(LedgerOptions(path));
  absl::StatusOr<TenantVerifyResult> v = ledger->store().VerifyTenant(kSmall, 0, 0);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : TenantVerifyResult{};
}

// Rewrites the small tenant's event `seq` with `edit`, then re-chains it and
// every later event of the log (global and tenant chains) as a forger with
// the data directory would, so that only the Merkle tree still disagrees.
void RewriteAndRechain(EventStore& store, uint64_t seq,
                       const std::function<void(EventRecord&)>& edit) {
  absl::StatusOr<EventRecord> first = store.ReadTenantEvent(kSmall, seq);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<LogHead> head = store.ReadHead();
  ASSERT_TRUE(head.ok());
  Hash prev = first->prev_hash;
  std::map<std::string, Hash> tenant_prev;  // tenants re-chained so far
  for (uint64_t position = first->position; position <= head->position; ++position) {
    absl::StatusOr<EventRecord> e = store.ReadEvent(position);
    ASSERT_TRUE(e.ok()) << e.status();
    if (position == first->position) edit(*e);
    if (auto t = tenant_prev.find(e->tenant); t != tenant_prev.end())
      e->tenant_prev_hash = t->second;
    e->prev_hash = prev;
    const std::string canonical = CanonicalBytes(*e);
    e->hash = ChainHash(e->prev_hash, canonical);
    e->tenant_hash = ChainHash(e->tenant_prev_hash, canonical);
    prev = e->hash;
    tenant_prev[e->tenant] = e->tenant_hash;
    ASSERT_TRUE(store.raw_db()
                    ->Put(rocksdb::WriteOptions(), store.log_family(), PositionKey(e->position),
                          EncodeRecord(*e))
                    .ok());
  }
}

TEST(TenantLogTest, TamperingWithAStoredEventOrNodeIsCaughtAtItsSequence) {
  struct Case {
    std::string name;
    std::function<void(EventStore&)> tamper;
    uint64_t bad_seq;
    std::string error;
  };
  auto rewrite_event = [](uint64_t seq, const std::function<void(EventRecord&)>& edit) {
    return [seq, edit](EventStore& store) {
      absl::StatusOr<EventRecord> e = store.ReadTenantEvent(kSmall, seq);
      ASSERT_TRUE(e.ok()) << e.status();
      edit(*e);
      rocksdb::WriteOptions wo;
      ASSERT_TRUE(store.raw_db()
                      ->Put(wo, store.log_family(), PositionKey(e->position), EncodeRecord(*e))
                      .ok());
    };
  };
  const std::vector<Case> cases = {
      {"an actor changed", rewrite_event(3, [](EventRecord& e) { e.actor = "someone-else"; }), 3,
       "tenant_hash does not match"},
      {"an event re-chained after a change (global hash recomputed)",
       rewrite_event(4,
                     [](EventRecord& e) {
                       e.effective_date = "2020-01-01";
                       std::string canonical = CanonicalBytes(e);
                       e.hash = ChainHash(e.prev_hash, canonical);
                       e.tenant_hash = ChainHash(e.tenant_prev_hash, canonical);
                     }),
       // Its own chain hashes now agree with it; its Merkle leaf does not.
       4, "stored Merkle node (0, 3) differs"},
      {"an event changed and the whole log re-chained after it",
       [](EventStore& store) {
         RewriteAndRechain(store, 4, [](EventRecord& e) { e.effective_date = "2020-01-01"; });
       },
       // Every chain hash agrees with the events; the stored leaf does not.
       4, "stored Merkle node (0, 3) differs"},
      {"a Merkle leaf replaced",
       [](EventStore& store) {
         Hash fake{};
         fake[0] = 1;
         absl::StatusOr<uint64_t> position = store.TenantEventPosition(kSmall, 6);
         ASSERT_TRUE(position.ok());
         ASSERT_TRUE(store.raw_db()
                         ->Put(rocksdb::WriteOptions(), store.tenant_family(),
                               TenantIndexKey(kSmall, 6), TenantIndexValue(*position, &fake))
                         .ok());
       },
       6, "stored Merkle node (0, 5) differs"},
      {"a stored inner node replaced",
       [](EventStore& store) {
         Hash fake{};
         fake[0] = 1;
         ASSERT_TRUE(store.raw_db()
                         ->Put(rocksdb::WriteOptions(), store.merkle_family(),
                               MerkleNodeKey(kSmall, 4, 0),
                               rocksdb::Slice(reinterpret_cast<const char*>(fake.data()), 32))
                         .ok());
       },
       16, "stored Merkle node (4, 0) differs"},
      {"a tenant index entry removed",
       [](EventStore& store) {
         ASSERT_TRUE(
             store.raw_db()
                 ->Delete(rocksdb::WriteOptions(), store.tenant_family(), TenantIndexKey(kSmall, 2))
                 .ok());
       },
       2, "no event 2 of the tenant"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ScratchDir dir;
    int id = 0;
    {
      auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
      Interleave(*ledger, 20, 1, &id);
    }
    TenantVerifyResult v = VerifyAfter(dir.path(), c.tamper);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, c.bad_seq);
    EXPECT_THAT(v.error, HasSubstr(c.error));
  }
}

// A directory of format 2 kept every node in `merkle`, leaves included, and
// only positions in the tenant index. Opened by this server it is migrated
// (the leaves move into the tenant index) and re-marked as format 3; the
// tree grows on, and proofs across the old and new parts verify.
TEST(TenantLogTest, AFormatTwoDirectoryIsReadAndContinuedAsFormatThree) {
  ScratchDir dir;
  int id = 0;
  {
    auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
    Interleave(*ledger, 10, 1, &id);
    // Made format 2: each leaf in `merkle` at level 0 (and the nodes of
    // level 1), tenant index entries of 8 bytes, and its marker.
    const EventStore& store = ledger->store();
    rocksdb::DB* db = store.raw_db();
    for (const char* tenant : {kSmall, kLarge}) {
      const std::vector<EventRecord> events = TenantEvents(store, tenant);
      const std::vector<audit::Hash> leaves = LeafHashes(events);
      for (uint64_t i = 0; i < leaves.size(); ++i) {
        rocksdb::WriteOptions wo;
        ASSERT_TRUE(db->Put(wo, store.merkle_family(), MerkleNodeKey(tenant, 0, i),
                            rocksdb::Slice(reinterpret_cast<const char*>(leaves[i].data()), 32))
                        .ok());
        ASSERT_TRUE(db->Put(wo, store.tenant_family(), TenantIndexKey(tenant, i + 1),
                            TenantIndexValue(events[i].position, nullptr))
                        .ok());
        if (i % 2 == 1) {
          const Hash node = audit::NodeHash(leaves[i - 1], leaves[i]);
          ASSERT_TRUE(db->Put(wo, store.merkle_family(), MerkleNodeKey(tenant, 1, i / 2),
                              rocksdb::Slice(reinterpret_cast<const char*>(node.data()), 32))
                          .ok());
        }
      }
    }
    ASSERT_TRUE(
        store.raw_db()->Put(rocksdb::WriteOptions(), kFormatKey, kFormatWithMerkleAllLevels).ok());
  }
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  std::string format;
  ASSERT_TRUE(ledger->store().raw_db()->Get(rocksdb::ReadOptions(), kFormatKey, &format).ok());
  EXPECT_EQ(format, kFormatWithMerkle);
  absl::StatusOr<Hash> leaf = ledger->store().ReadMerkleNode(kSmall, 0, 4);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  Interleave(*ledger, 10, 1, &id);
  const EventStore& store = ledger->store();
  const std::vector<audit::Hash> leaves = LeafHashes(TenantEvents(store, kSmall));
  ASSERT_EQ(leaves.size(), 20u);
  const Hash root = audit::RootOf(leaves);
  absl::StatusOr<Hash> stored_root = store.TenantRoot(kSmall, 20);
  ASSERT_TRUE(stored_root.ok()) << stored_root.status();
  EXPECT_EQ(*stored_root, root);
  absl::StatusOr<EventStore::InclusionProof> p = store.TenantInclusionProof(kSmall, 3, 20);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(audit::VerifyInclusion(p->leaf, 2, 20, p->path, root).ok());
  absl::StatusOr<std::vector<Hash>> c = store.TenantConsistencyProof(kSmall, 10, 20);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(audit::VerifyConsistency(10, 20, audit::RootOf(absl::MakeConstSpan(leaves).first(10)),
                                       root, *c)
                  .ok());
  absl::StatusOr<TenantVerifyResult> v = store.VerifyTenant(kSmall, 0, 0);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->error;
}

TEST(TenantLogTest, ADirectoryKeepsTheMerkleSettingItWasMadeWith) {
  ScratchDir dir;
  Ledger::Options without = LedgerOptions(dir.path());
  without.merkle_tree = false;
  {
    auto ledger = OpenLedgerOrDie(without);
    int id = 0;
    Interleave(*ledger, 2, 1, &id);
    EXPECT_EQ(ledger->store().TenantRoot(kSmall, 2).status().code(),
              absl::StatusCode::kFailedPrecondition);
    absl::StatusOr<TenantVerifyResult> v = ledger->store().VerifyTenant(kSmall, 0, 0);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << v->error;  // the chain is still kept and checked
  }
  absl::StatusOr<std::unique_ptr<Ledger>> with = Ledger::Open(LedgerOptions(dir.path()));
  ASSERT_FALSE(with.ok());
  EXPECT_EQ(with.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(with.status().message(), HasSubstr("Merkle tree setting"));
}

}  // namespace
}  // namespace rcl::ledger
