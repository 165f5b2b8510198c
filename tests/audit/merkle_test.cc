// RFC 9162 Merkle trees (ledger/audit/merkle.h): an auditor who recomputes
// every hash from the RFC's definitions reaches the same roots and proofs the
// library produces, every honest proof verifies, and any change to a leaf, a
// path element, a root, an index, a size, or the order or number of leaves or
// path elements makes verification fail.
#include "ledger/audit/merkle.h"

#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rcl::audit {
namespace {

using ::testing::HasSubstr;

// --- A deliberately naive reference, straight from RFC 9162 2.1.1-2.1.4 ---
// (its own SHA-256 calls, vectors copied at every step, no shared code with
// the library).

Hash RefSha(const std::string& bytes) {
  Hash out{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
  return out;
}
std::string Str(const Hash& h) { return std::string(h.begin(), h.end()); }
Hash RefLeaf(const std::string& data) { return RefSha(std::string(1, '\x00') + data); }
Hash RefNode(const Hash& l, const Hash& r) {
  std::string bytes(1, '\x01');
  bytes.append(Str(l));
  bytes.append(Str(r));
  return RefSha(bytes);
}

using Leaves = std::vector<Hash>;  // leaf hashes
Leaves Slice(const Leaves& d, size_t from, size_t to) {
  return Leaves(d.begin() + from, d.begin() + to);
}
size_t RefK(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH over leaf hashes.
Hash RefMth(const Leaves& d) {
  if (d.empty()) return RefSha("");
  if (d.size() == 1) return d[0];
  const size_t k = RefK(d.size());
  return RefNode(RefMth(Slice(d, 0, k)), RefMth(Slice(d, k, d.size())));
}

// PATH(m, D[n]).
std::vector<Hash> RefPath(size_t m, const Leaves& d) {
  if (d.size() <= 1) return {};
  const size_t k = RefK(d.size());
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(m, Slice(d, 0, k));
    out.push_back(RefMth(Slice(d, k, d.size())));
  } else {
    out = RefPath(m - k, Slice(d, k, d.size()));
    out.push_back(RefMth(Slice(d, 0, k)));
  }
  return out;
}

// SUBPROOF(m, D[n], b) and PROOF(m, D[n]).
std::vector<Hash> RefSubProof(size_t m, const Leaves& d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{RefMth(d)};
  const size_t k = RefK(d.size());
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubProof(m, Slice(d, 0, k), b);
    out.push_back(RefMth(Slice(d, k, d.size())));
  } else {
    out = RefSubProof(m - k, Slice(d, k, d.size()), false);
    out.push_back(RefMth(Slice(d, 0, k)));
  }
  return out;
}
std::vector<Hash> RefProof(size_t m, const Leaves& d) { return RefSubProof(m, d, true); }

// The library's root of the first n leaves.
Hash RootOfFirst(const Leaves& d, uint64_t n) {
  return RootOf(absl::Span<const Hash>(d.data(), n));
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// The eight leaves of the Certificate Transparency test vectors.
std::vector<std::string> VectorLeaves() {
  return {"",
          Bytes({0x00}),
          Bytes({0x10}),
          Bytes({0x20, 0x21}),
          Bytes({0x30, 0x31}),
          Bytes({0x40, 0x41, 0x42, 0x43}),
          Bytes({0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57}),
          Bytes({0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                 0x6e, 0x6f})};
}

Leaves VectorLeafHashes() {
  Leaves out;
  for (const std::string& leaf : VectorLeaves()) out.push_back(RefLeaf(leaf));
  return out;
}

// Perfect nodes as a store would keep them: recorded from CompactRange::Append.
class NodeStore {
 public:
  void Put(const PerfectNode& node) { nodes_[{node.level, node.index}] = node.hash; }
  // A callback that fails the test if asked for a node outside [0, size).
  PerfectNodeFn Fn(uint64_t size) {
    return [this, size](uint32_t level, uint64_t index) {
      ++calls_;
      EXPECT_LE((index + 1) << level, size) << "asked for node (" << level << ", " << index << ")";
      auto it = nodes_.find({level, index});
      EXPECT_NE(it, nodes_.end()) << "no node (" << level << ", " << index << ")";
      return it == nodes_.end() ? Hash{} : it->second;
    };
  }
  int calls() const { return calls_; }
  void ResetCalls() { calls_ = 0; }

 private:
  std::map<std::pair<uint32_t, uint64_t>, Hash> nodes_;
  int calls_ = 0;
};

// --- Fixed vectors ---

TEST(MerkleVectors, PrimitivesAreSha256WithDomainPrefixes) {
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(LeafHash("abc"), RefSha(std::string("\x00"
                                                "abc",
                                                4)));
  const Hash l = RefLeaf("l");
  const Hash r = RefLeaf("r");
  EXPECT_EQ(NodeHash(l, r), RefNode(l, r));
  EXPECT_EQ(ToHex(NodeHash(LeafHash(""), LeafHash(std::string(1, '\0')))),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  EXPECT_NE(NodeHash(l, r), NodeHash(r, l));
  EXPECT_EQ(RootOf({}), EmptyRoot());
}

TEST(MerkleVectors, RootsOfTheCertificateTransparencyVectors) {
  // Computed independently (Python hashlib) from RFC 9162 2.1.1.
  const char* kRoots[] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  const std::vector<std::string> leaves = VectorLeaves();
  Leaves hashes;
  for (const std::string& leaf : leaves) hashes.push_back(LeafHash(leaf));
  for (size_t n = 0; n <= 8; ++n) {
    const absl::Span<const Hash> prefix(hashes.data(), n);
    EXPECT_EQ(ToHex(RootOf(prefix)), kRoots[n]) << "size " << n;
    EXPECT_EQ(RootOf(prefix), RefMth(Slice(hashes, 0, n))) << "size " << n;
  }
}

// The worked example of RFC 9162 2.1.5, seven leaves d0..d6:
//              hash
//          k          l
//       g     h     i    j
//      a b   c d   e f   d6
TEST(MerkleVectors, TheRfcSevenLeafExample) {
  const Leaves d = VectorLeafHashes();
  const Hash a = d[0], b = d[1], c = d[2], dd = d[3], e = d[4], f = d[5], j = d[6];
  const Hash g = RefNode(a, b), h = RefNode(c, dd), i = RefNode(e, f);
  const Hash k = RefNode(g, h), l = RefNode(i, j);
  const Hash root = RefNode(k, l);
  const absl::Span<const Hash> seven(d.data(), 7);
  ASSERT_EQ(RootOf(seven), root);

  auto inclusion = [&](uint64_t index) { return *InclusionProof(seven, index, 7); };
  EXPECT_EQ(inclusion(0), (std::vector<Hash>{b, h, l}));
  EXPECT_EQ(inclusion(3), (std::vector<Hash>{c, g, l}));
  EXPECT_EQ(inclusion(4), (std::vector<Hash>{f, j, k}));
  EXPECT_EQ(inclusion(6), (std::vector<Hash>{i, k}));

  auto consistency = [&](uint64_t m) { return *ConsistencyProof(seven, m, 7); };
  EXPECT_EQ(consistency(3), (std::vector<Hash>{c, dd, g, l}));
  EXPECT_EQ(consistency(4), (std::vector<Hash>{l}));
  EXPECT_EQ(consistency(6), (std::vector<Hash>{i, j, k}));
  EXPECT_TRUE(VerifyConsistency(3, 7, RefMth(Slice(d, 0, 3)), root, consistency(3)).ok());
  EXPECT_TRUE(VerifyConsistency(4, 7, k, root, consistency(4)).ok());
  EXPECT_TRUE(VerifyConsistency(6, 7, RefNode(k, i), root, consistency(6)).ok());
}

// Sizes 1-8: every leaf's inclusion proof and every consistency proof m <= n,
// from leaves and from stored perfect nodes, equal the reference and verify.
TEST(MerkleVectors, EveryProofOfEverySmallTree) {
  const Leaves d = VectorLeafHashes();
  NodeStore store;
  CompactRange range;
  for (const Hash& leaf : d) range.Append(leaf, [&](const PerfectNode& node) { store.Put(node); });
  for (uint64_t n = 1; n <= 8; ++n) {
    const Leaves tree = Slice(d, 0, n);
    const Hash root = RefMth(tree);
    EXPECT_EQ(RootFrom(n, store.Fn(n)), root) << "size " << n;
    for (uint64_t index = 0; index < n; ++index) {
      SCOPED_TRACE(testing::Message() << "leaf " << index << " of " << n);
      const absl::StatusOr<std::vector<Hash>> path = InclusionProof(d, index, n);
      ASSERT_TRUE(path.ok()) << path.status();
      EXPECT_EQ(*path, RefPath(index, tree));
      EXPECT_EQ(path->size(), InclusionPathSize(index, n));
      EXPECT_EQ(*InclusionProofFrom(index, n, store.Fn(n)), *path);
      EXPECT_TRUE(VerifyInclusion(d[index], index, n, *path, root).ok());
    }
    for (uint64_t m = 1; m <= n; ++m) {
      SCOPED_TRACE(testing::Message() << "from " << m << " to " << n);
      const absl::StatusOr<std::vector<Hash>> path = ConsistencyProof(d, m, n);
      ASSERT_TRUE(path.ok()) << path.status();
      EXPECT_EQ(*path, RefProof(m, tree));
      EXPECT_EQ(path->size(), ConsistencyPathSize(m, n));
      EXPECT_EQ(path->empty(), m == n);
      EXPECT_EQ(*ConsistencyProofFrom(m, n, store.Fn(n)), *path);
      const absl::Status verified = VerifyConsistency(m, n, RefMth(Slice(d, 0, m)), root, *path);
      EXPECT_TRUE(verified.ok()) << verified;
    }
  }
}

// --- The pitfalls (docs/AUDIT.md; the shared ARCHITECTURE.md, "Verifiable logs") ---

TEST(MerkleVerify, RejectsQuestionsThatHaveNoProof) {
  const Leaves d = VectorLeafHashes();
  const Hash root = RootOf(d);
  absl::Status s = VerifyInclusion(d[0], 8, 8, {}, root);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("leaf 8 is not in a tree of size 8"));
  EXPECT_TRUE(absl::IsInvalidArgument(VerifyInclusion(d[0], 0, 0, {}, EmptyRoot())));
  EXPECT_TRUE(absl::IsInvalidArgument(InclusionProof(d, 8, 8).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(InclusionProof(d, 0, 9).status()));  // more than the leaves there are
  EXPECT_TRUE(absl::IsInvalidArgument(InclusionProofFrom(3, 3, nullptr).status()));

  s = VerifyConsistency(0, 8, EmptyRoot(), root, {root});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("not 0"));
  s = VerifyConsistency(5, 4, root, root, {root});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("not from 5 to 4"));
  EXPECT_TRUE(absl::IsInvalidArgument(ConsistencyProof(d, 0, 8).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ConsistencyProof(d, 5, 4).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ConsistencyProof(d, 4, 9).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ConsistencyProofFrom(0, 4, nullptr).status()));
}

// Why the size must come from the signed tree head with the root: the path of
// leaf 0 in a tree of 3 has the same shape as in a tree of 4, so it "verifies"
// as size 4 against the size-3 root, and only the size-4 root exposes it
// (docs/AUDIT.md, "Bind the tree size").
TEST(MerkleVerify, TheTreeSizeIsBoundOnlyThroughItsRoot) {
  const Leaves d = VectorLeafHashes();
  const Hash root3 = RootOfFirst(d, 3);
  const std::vector<Hash> path = *InclusionProof(d, 0, 3);
  EXPECT_TRUE(VerifyInclusion(d[0], 0, 3, path, root3).ok());
  EXPECT_TRUE(VerifyInclusion(d[0], 0, 4, path, root3).ok());
  EXPECT_TRUE(absl::IsDataLoss(VerifyInclusion(d[0], 0, 4, path, RootOfFirst(d, 4))));
}

TEST(MerkleVerify, EqualSizesNeedAnEmptyProofAndEqualRoots) {
  const Leaves d = VectorLeafHashes();
  const Hash root = RootOf(d);
  EXPECT_TRUE(VerifyConsistency(8, 8, root, root, {}).ok());
  absl::Status s = VerifyConsistency(8, 8, root, root, {root});
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("is empty; this one has 1 hashes"));
  s = VerifyConsistency(8, 8, root, d[0], {});
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("different roots"));
}

TEST(MerkleVerify, AnEmptyPathWhereOneIsNeededFails) {
  const Leaves d = VectorLeafHashes();
  // Old and new root equal and no path: a verifier that skipped the empty
  // check would accept a "proof" that nothing was appended.
  const Hash root = RootOf(d);
  absl::Status s = VerifyConsistency(7, 8, root, root, {});
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("from 7 to 8 is empty"));
  // 1 -> 2: the proof is the second leaf; the first tree's root alone is not
  // enough (Trillian's 1 -> 2 bug).
  const Hash root2 = RootOf(absl::Span<const Hash>(d.data(), 2));
  EXPECT_TRUE(VerifyConsistency(1, 2, d[0], root2, {d[1]}).ok());
  EXPECT_FALSE(VerifyConsistency(1, 2, d[0], root2, {}).ok());
  EXPECT_FALSE(VerifyConsistency(1, 2, d[1], root2, {d[1]}).ok());
  // A power-of-two old size: its root is not in the path, but is still checked.
  const Hash root4 = RootOf(absl::Span<const Hash>(d.data(), 4));
  const std::vector<Hash> proof = *ConsistencyProof(d, 4, 8);
  EXPECT_TRUE(VerifyConsistency(4, 8, root4, root, proof).ok());
  s = VerifyConsistency(4, 8, d[0], root, proof);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  // (the old root is taken as given, so the new root is what disagrees)
  EXPECT_THAT(s.message(), HasSubstr("from 4 to 8 and old root " + ToHex(d[0]) + " give new root"));
  // Inclusion: a single-leaf tree needs an empty path, a larger one does not.
  EXPECT_TRUE(VerifyInclusion(d[0], 0, 1, {}, d[0]).ok());
  EXPECT_TRUE(absl::IsDataLoss(VerifyInclusion(d[0], 0, 1, {d[1]}, d[0])));
  s = VerifyInclusion(d[0], 0, 8, {}, root);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("has 0 hashes; it needs 3"));
}

// --- Property: random trees ---

struct RandomTree {
  std::vector<std::string> leaves;
  Leaves hashes;
};

RandomTree MakeTree(std::mt19937_64& rng, size_t size) {
  RandomTree tree;
  for (size_t i = 0; i < size; ++i) {
    std::string leaf(1 + rng() % 40, '\0');
    for (char& c : leaf) c = static_cast<char>(rng());
    tree.hashes.push_back(LeafHash(leaf));
    tree.leaves.push_back(std::move(leaf));
  }
  return tree;
}

Hash Flip(Hash h, size_t byte, uint8_t mask) {
  h[byte % kHashSize] ^= mask == 0 ? 1 : mask;
  return h;
}

// Every way of damaging a correct path: each element with a flipped byte, each
// element dropped, each adjacent pair of different elements swapped, an extra
// element at either end.
std::vector<std::vector<Hash>> DamagedPaths(const std::vector<Hash>& path, std::mt19937_64& rng) {
  std::vector<std::vector<Hash>> out;
  for (size_t i = 0; i < path.size(); ++i) {
    std::vector<Hash> flipped = path;
    flipped[i] = Flip(flipped[i], rng(), static_cast<uint8_t>(rng()));
    out.push_back(flipped);
    std::vector<Hash> dropped = path;
    dropped.erase(dropped.begin() + static_cast<ptrdiff_t>(i));
    out.push_back(dropped);
    if (i + 1 < path.size() && path[i] != path[i + 1]) {
      std::vector<Hash> swapped = path;
      std::swap(swapped[i], swapped[i + 1]);
      out.push_back(swapped);
    }
  }
  const Hash extra = LeafHash("extra");
  std::vector<Hash> longer = path;
  longer.push_back(extra);
  out.push_back(longer);
  longer = path;
  longer.insert(longer.begin(), extra);
  out.push_back(longer);
  return out;
}

TEST(MerkleProperty, RandomTreesProofsVerifyAndEveryChangeFails) {
  std::mt19937_64 rng(20240613);
  int inclusion_checked = 0;
  int consistency_checked = 0;
  for (int round = 0; round < 60; ++round) {
    const size_t n = 1 + rng() % 200;
    const RandomTree tree = MakeTree(rng, n);
    const Hash root = RootOf(tree.hashes);
    ASSERT_EQ(root, RefMth(tree.hashes));
    for (int pick = 0; pick < 4; ++pick) {
      const uint64_t index = rng() % n;
      SCOPED_TRACE(testing::Message() << "leaf " << index << " of " << n);
      const std::vector<Hash> path = *InclusionProof(tree.hashes, index, n);
      const Hash leaf = LeafHash(tree.leaves[index]);
      ASSERT_TRUE(VerifyInclusion(leaf, index, n, path, root).ok());
      ++inclusion_checked;
      // A changed byte in the leaf's bytes, its hash, or the root.
      std::string changed_leaf = tree.leaves[index];
      changed_leaf[rng() % changed_leaf.size()] ^= 0x20;
      EXPECT_FALSE(VerifyInclusion(LeafHash(changed_leaf), index, n, path, root).ok());
      EXPECT_FALSE(VerifyInclusion(Flip(leaf, rng(), 0x80), index, n, path, root).ok());
      EXPECT_FALSE(VerifyInclusion(leaf, index, n, path, Flip(root, rng(), 0x01)).ok());
      // The same leaf hashed as a node, or its bytes used as the hash: no.
      EXPECT_FALSE(VerifyInclusion(Sha256Of(tree.leaves[index]), index, n, path, root).ok());
      for (const std::vector<Hash>& damaged : DamagedPaths(path, rng)) {
        EXPECT_FALSE(VerifyInclusion(leaf, index, n, damaged, root).ok());
      }
      // Another index, or another size (with that size's root).
      for (uint64_t other = 0; other < n; ++other) {
        if (other == index) continue;
        EXPECT_FALSE(VerifyInclusion(leaf, other, n, path, root).ok()) << "index " << other;
      }
      for (uint64_t other = index + 1; other <= n + 1 && other <= tree.hashes.size(); ++other) {
        if (other == n) continue;
        EXPECT_FALSE(
            VerifyInclusion(leaf, index, other, path, RootOfFirst(tree.hashes, other)).ok())
            << "size " << other;
      }
    }
    for (int pick = 0; pick < 4; ++pick) {
      const uint64_t m = 1 + rng() % n;
      SCOPED_TRACE(testing::Message() << "from " << m << " to " << n);
      const Hash root_m = RootOfFirst(tree.hashes, m);
      const std::vector<Hash> path = *ConsistencyProof(tree.hashes, m, n);
      ASSERT_TRUE(VerifyConsistency(m, n, root_m, root, path).ok());
      ++consistency_checked;
      EXPECT_FALSE(VerifyConsistency(m, n, Flip(root_m, rng(), 0x04), root, path).ok());
      EXPECT_FALSE(VerifyConsistency(m, n, root_m, Flip(root, rng(), 0x10), path).ok());
      if (m == n) continue;  // the empty proof has no elements to damage
      for (const std::vector<Hash>& damaged : DamagedPaths(path, rng)) {
        EXPECT_FALSE(VerifyConsistency(m, n, root_m, root, damaged).ok());
      }
      for (uint64_t other = 1; other < n; ++other) {
        if (other == m) continue;
        EXPECT_FALSE(VerifyConsistency(other, n, RootOfFirst(tree.hashes, other), root, path).ok())
            << other;
      }
      for (uint64_t other = m; other < n; ++other) {
        EXPECT_FALSE(
            VerifyConsistency(m, other, root_m, RootOfFirst(tree.hashes, other), path).ok())
            << other;
      }
    }
  }
  EXPECT_EQ(inclusion_checked, 240);
  EXPECT_EQ(consistency_checked, 240);
}

// A log that dropped, reordered or changed an event cannot prove its leaves
// against the root signed before, nor prove it extends that tree.
TEST(MerkleProperty, ARewrittenLogFailsAgainstTheOldRoot) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 40; ++round) {
    const size_t n = 3 + rng() % 120;
    const RandomTree tree = MakeTree(rng, n);
    const Hash signed_root = RootOf(tree.hashes);
    const uint64_t victim = rng() % (n - 1);

    Leaves dropped = tree.hashes;
    dropped.erase(dropped.begin() + static_cast<ptrdiff_t>(victim));
    Leaves reordered = tree.hashes;
    std::swap(reordered[victim], reordered[victim + 1]);
    Leaves changed = tree.hashes;
    changed[victim] = LeafHash(tree.leaves[victim] + "x");

    for (const Leaves* rewritten : {&dropped, &reordered, &changed}) {
      EXPECT_NE(RootOf(*rewritten), signed_root);
      // The rewritten log, grown by one event, cannot prove consistency with
      // the tree the auditor saw.
      Leaves grown = *rewritten;
      grown.push_back(LeafHash("later"));
      const uint64_t old_size = n;
      if (grown.size() >= old_size) {
        const std::vector<Hash> proof = *ConsistencyProof(grown, old_size, grown.size());
        EXPECT_FALSE(
            VerifyConsistency(old_size, grown.size(), signed_root, RootOf(grown), proof).ok());
      }
      // The event it now shows at the victim's place, with its proof from the
      // rewritten tree, fails against the signed root.
      const uint64_t size = rewritten->size();
      const std::vector<Hash> path = *InclusionProof(*rewritten, victim, size);
      EXPECT_FALSE(VerifyInclusion((*rewritten)[victim], victim, n, path, signed_root).ok());
      EXPECT_FALSE(VerifyInclusion((*rewritten)[victim], victim, size, path, signed_root).ok());
    }
  }
}

// --- CompactRange and proofs from perfect nodes ---

TEST(CompactRange, RootEqualsRootOfAfterEveryAppend) {
  std::mt19937_64 rng(99);
  const RandomTree tree = MakeTree(rng, 300);
  CompactRange range;
  EXPECT_EQ(range.Root(), EmptyRoot());
  std::vector<PerfectNode> reported;
  for (size_t i = 0; i < tree.hashes.size(); ++i) {
    range.Append(tree.hashes[i], [&](const PerfectNode& node) { reported.push_back(node); });
    ASSERT_EQ(range.size(), i + 1);
    ASSERT_EQ(range.Root(), RootOfFirst(tree.hashes, i + 1)) << "after " << i + 1 << " leaves";
    ASSERT_EQ(range.nodes().size(), static_cast<size_t>(std::popcount(i + 1)));
  }
  // Every perfect node is reported exactly once, bottom-up, with its hash.
  size_t expected_nodes = 0;
  for (uint32_t level = 0; (uint64_t{1} << level) <= 300; ++level) expected_nodes += 300 >> level;
  EXPECT_EQ(reported.size(), expected_nodes);
  for (const PerfectNode& node : reported) {
    const uint64_t begin = node.index << node.level;
    const uint64_t end = begin + (uint64_t{1} << node.level);
    ASSERT_LE(end, 300u);
    EXPECT_EQ(node.hash, RefMth(Slice(tree.hashes, begin, end))) << node.level << "/" << node.index;
  }
  // Restored from its nodes, or from stored perfect nodes, it carries on.
  absl::StatusOr<CompactRange> copy = CompactRange::FromNodes(range.size(), range.nodes());
  ASSERT_TRUE(copy.ok()) << copy.status();
  NodeStore store;
  for (const PerfectNode& node : reported) store.Put(node);
  CompactRange restored = CompactRange::FromPerfectNodes(range.size(), store.Fn(range.size()));
  EXPECT_EQ(restored.nodes(), range.nodes());
  const Hash next = LeafHash("next");
  range.Append(next);
  copy->Append(next);
  restored.Append(next);
  EXPECT_EQ(copy->Root(), range.Root());
  EXPECT_EQ(restored.Root(), range.Root());
  EXPECT_TRUE(absl::IsInvalidArgument(CompactRange::FromNodes(5, {next}).status()));
}

int Width(uint64_t n) { return static_cast<int>(std::bit_width(n)); }

TEST(ProofsFromPerfectNodes, EqualProofsFromLeavesForEveryIndexAndSize) {
  std::mt19937_64 rng(5);
  const RandomTree tree = MakeTree(rng, 70);
  NodeStore store;
  CompactRange range;
  for (const Hash& leaf : tree.hashes)
    range.Append(leaf, [&](const PerfectNode& node) { store.Put(node); });
  for (uint64_t n = 1; n <= tree.hashes.size(); ++n) {
    store.ResetCalls();
    ASSERT_EQ(RootFrom(n, store.Fn(n)), RootOfFirst(tree.hashes, n));
    EXPECT_LE(store.calls(), Width(n)) << "root of " << n;
    for (uint64_t index = 0; index < n; ++index) {
      store.ResetCalls();
      ASSERT_EQ(*InclusionProofFrom(index, n, store.Fn(n)), *InclusionProof(tree.hashes, index, n))
          << index << " of " << n;
      EXPECT_LE(store.calls(), 2 * Width(n)) << index << " of " << n;
    }
    for (uint64_t m = 1; m <= n; ++m) {
      store.ResetCalls();
      ASSERT_EQ(*ConsistencyProofFrom(m, n, store.Fn(n)), *ConsistencyProof(tree.hashes, m, n))
          << m << " to " << n;
      EXPECT_LE(store.calls(), 3 * Width(n)) << m << " to " << n;
    }
  }
}

// Trees far too large to hold: leaves alternate between two values, so every
// perfect node above the leaves of one level is the same hash and the node
// callback is a table lookup; that is all a proof needs. Sizes up to
// 2^64 - 1 neither overflow nor loop.
TEST(ProofsFromPerfectNodes, HugeTreesNeedOnlyLogarithmicWork) {
  std::vector<Hash> level_hash = {Hash{}, NodeHash(LeafHash("even"), LeafHash("odd"))};
  for (int level = 2; level < 64; ++level)
    level_hash.push_back(NodeHash(level_hash.back(), level_hash.back()));
  const PerfectNodeFn node = [&](uint32_t level, uint64_t index) {
    if (level == 0) return LeafHash(index % 2 == 0 ? "even" : "odd");
    return level_hash[level];
  };
  const uint64_t kSizes[] = {uint64_t{1} << 40, (uint64_t{1} << 40) + 12345, uint64_t{1} << 63,
                             UINT64_MAX - 1, UINT64_MAX};
  for (uint64_t n : kSizes) {
    const Hash root = RootFrom(n, node);
    for (uint64_t index : {uint64_t{0}, n / 3, n - 2, n - 1}) {
      const std::vector<Hash> path = *InclusionProofFrom(index, n, node);
      EXPECT_LE(path.size(), 64u);
      const absl::Status s = VerifyInclusion(node(0, index), index, n, path, root);
      EXPECT_TRUE(s.ok()) << index << " of " << n << ": " << s;
      EXPECT_FALSE(VerifyInclusion(node(0, index), index ^ 1, n, path, root).ok());
    }
    for (uint64_t m : {uint64_t{1}, n / 2 + 1, n - 1, n}) {
      const std::vector<Hash> path = *ConsistencyProofFrom(m, n, node);
      EXPECT_LE(path.size(), kProofPathSizeMax);
      const absl::Status s = VerifyConsistency(m, n, RootFrom(m, node), root, path);
      EXPECT_TRUE(s.ok()) << m << " to " << n << ": " << s;
    }
  }
}

TEST(Hex, RoundTripsAndRejectsWhatIsNotAHash) {
  const Hash h = LeafHash("x");
  EXPECT_EQ(*HashFromHex(ToHex(h)), h);
  std::string upper = ToHex(h);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_EQ(*HashFromHex(upper), h);
  EXPECT_TRUE(absl::IsInvalidArgument(HashFromHex("abc").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(HashFromHex(std::string(64, 'g')).status()));
}

}  // namespace
}  // namespace rcl::audit
