#include "ledger/audit/merkle.h"

#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/status.h"

namespace rcl::audit {
namespace {

static_assert(kHashSize == 32, "RFC 9162 with SHA-256: 32-byte hashes");

// SHA-256 over the concatenation of `parts` (codec.h: one digest fetch for
// the process, one context per thread).
using rcl::ledger::Sha256Parts;

std::string_view View(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// The largest power of two strictly below n (n >= 2): RFC 9162's k.
uint64_t SplitPoint(uint64_t n) {
  RCL_CHECK(n >= 2) << "no split point for a tree of size " << n;
  return std::bit_floor(n - 1);
}

// --- From leaves: the RFC's recursive definitions, directly ---

// PATH(m, D[n]) of RFC 9162 2.1.3.1.
void PathOfLeaves(absl::Span<const Hash> d, uint64_t m, std::vector<Hash>* out) {
  if (d.size() <= 1) return;
  const uint64_t k = SplitPoint(d.size());
  if (m < k) {
    PathOfLeaves(d.first(k), m, out);
    out->push_back(RootOf(d.subspan(k)));
  } else {
    PathOfLeaves(d.subspan(k), m - k, out);
    out->push_back(RootOf(d.first(k)));
  }
}

// SUBPROOF(m, D[begin:end], whole) of RFC 9162 2.1.4.1, with the hash of a
// range from `range_root`.
template <typename RangeRoot>
void SubProof(uint64_t m, uint64_t begin, uint64_t end, bool whole, const RangeRoot& range_root,
              std::vector<Hash>* out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out->push_back(range_root(begin, end));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, begin, begin + k, whole, range_root, out);
    out->push_back(range_root(begin + k, end));
  } else {
    SubProof(m - k, begin + k, end, false, range_root, out);
    out->push_back(range_root(begin, begin + k));
  }
}

absl::Status CheckConsistencySizes(uint64_t m, uint64_t n) {
  if (m == 0) {
    return absl::InvalidArgumentError(
        "a consistency proof starts from a tree of size 1 or more, not 0");
  }
  if (m > n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a consistency proof goes from a smaller tree to a larger one, not from ", m, " to ", n));
  }
  return absl::OkStatus();
}

}  // namespace

Hash Sha256Of(std::string_view bytes) { return Sha256Parts({bytes}); }

Hash LeafHash(std::string_view leaf_bytes) {
  const char prefix = static_cast<char>(kLeafPrefix);
  return Sha256Parts({std::string_view(&prefix, 1), leaf_bytes});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  const char prefix = static_cast<char>(kNodePrefix);
  return Sha256Parts({std::string_view(&prefix, 1), View(left), View(right)});
}

Hash EmptyRoot() { return Sha256Parts({}); }

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

std::string ToHex(const Hash& hash) { return ToHex(View(hash)); }

absl::StatusOr<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * kHashSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a hash is ", 2 * kHashSize, " hex digits, not ", hex.size()));
  }
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Hash out{};
  for (size_t i = 0; i < kHashSize; ++i) {
    const int hi = digit(hex[2 * i]);
    const int lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("a hash is hex digits; offset ", 2 * i, " is not"));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

Hash RootOf(absl::Span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  if (leaf_hashes.size() == 1) return leaf_hashes[0];
  const uint64_t k = SplitPoint(leaf_hashes.size());
  return NodeHash(RootOf(leaf_hashes.first(k)), RootOf(leaf_hashes.subspan(k)));
}

// --- Roots from perfect nodes ---

Hash SubtreeRootFrom(uint64_t begin, uint64_t end, const PerfectNodeFn& perfect_node) {
  RCL_CHECK(begin < end) << "empty range [" << begin << ", " << end << ")";
  const uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    RCL_CHECK(begin % n == 0) << "range [" << begin << ", " << end << ") is not a perfect node";
    const auto level = static_cast<uint32_t>(std::countr_zero(n));
    return perfect_node(level, begin >> level);
  }
  const uint64_t k = std::bit_floor(n);  // n is not a power of two: the largest one below it
  return NodeHash(SubtreeRootFrom(begin, begin + k, perfect_node),
                  SubtreeRootFrom(begin + k, end, perfect_node));
}

Hash RootFrom(uint64_t tree_size, const PerfectNodeFn& perfect_node) {
  if (tree_size == 0) return EmptyRoot();
  return SubtreeRootFrom(0, tree_size, perfect_node);
}

// --- Inclusion ---

size_t InclusionPathSize(uint64_t index, uint64_t tree_size) {
  RCL_CHECK(index < tree_size) << "leaf " << index << " is not in a tree of size " << tree_size;
  // Walk up the levels while the level still has more than one node; a node
  // whose sibling lies wholly past the tree's end has no sibling (the node is
  // promoted unchanged), so that level adds nothing to the path.
  size_t count = 0;
  for (uint32_t level = 0; level < 64 && ((tree_size - 1) >> level) != 0; ++level) {
    const uint64_t sibling = (index >> level) ^ 1;
    if ((sibling << level) < tree_size) ++count;
  }
  return count;
}

absl::StatusOr<std::vector<Hash>> InclusionProof(absl::Span<const Hash> leaf_hashes, uint64_t index,
                                                 uint64_t tree_size) {
  if (tree_size > leaf_hashes.size()) {
    return absl::InvalidArgumentError(absl::StrCat("tree size ", tree_size, " is beyond the ",
                                                   leaf_hashes.size(), " leaves there are"));
  }
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf ", index, " is not in a tree of size ", tree_size));
  }
  std::vector<Hash> path;
  PathOfLeaves(leaf_hashes.first(tree_size), index, &path);
  return path;
}

absl::StatusOr<std::vector<Hash>> InclusionProofFrom(uint64_t index, uint64_t tree_size,
                                                     const PerfectNodeFn& perfect_node) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf ", index, " is not in a tree of size ", tree_size));
  }
  std::vector<Hash> path;
  for (uint32_t level = 0; level < 64 && ((tree_size - 1) >> level) != 0; ++level) {
    const uint64_t sibling = (index >> level) ^ 1;
    const uint64_t begin = sibling << level;
    if (begin >= tree_size) continue;  // no sibling: this node is promoted
    const uint64_t width = uint64_t{1} << level;
    const uint64_t end = tree_size - begin < width ? tree_size : begin + width;
    path.push_back(SubtreeRootFrom(begin, end, perfect_node));
  }
  return path;
}

absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                             absl::Span<const Hash> path, const Hash& root) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf ", index, " is not in a tree of size ", tree_size));
  }
  const size_t expected = InclusionPathSize(index, tree_size);
  if (path.size() != expected) {
    return absl::DataLossError(absl::StrCat("inclusion proof of leaf ", index,
                                            " in a tree of size ", tree_size, " has ", path.size(),
                                            " hashes; it needs ", expected));
  }
  // RFC 9162 2.1.3.2.
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : path) {
    if (sn == 0) {
      return absl::DataLossError(absl::StrCat("inclusion proof of leaf ", index,
                                              " in a tree of size ", tree_size,
                                              " is longer than the tree is high"));
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::DataLossError(absl::StrCat("inclusion proof of leaf ", index,
                                            " in a tree of size ", tree_size,
                                            " stops below the root"));
  }
  if (r != root) {
    return absl::DataLossError(absl::StrCat("leaf ", index, " and its inclusion proof give root ",
                                            ToHex(r), ", not the root ", ToHex(root),
                                            " of the tree of size ", tree_size));
  }
  return absl::OkStatus();
}

// --- Consistency ---

size_t ConsistencyPathSize(uint64_t m, uint64_t n) {
  RCL_CHECK(m > 0 && m <= n) << "no consistency proof from " << m << " to " << n;
  // SUBPROOF's recursion, counting: one hash per split, plus the old root
  // itself when it is a proper subtree reached through a right branch.
  size_t count = 0;
  bool whole = true;
  while (m != n) {
    const uint64_t k = SplitPoint(n);
    ++count;
    if (m <= k) {
      n = k;
    } else {
      m -= k;
      n -= k;
      whole = false;
    }
  }
  return count + (whole ? 0 : 1);
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(absl::Span<const Hash> leaf_hashes, uint64_t m,
                                                   uint64_t n) {
  RCL_RETURN_IF_ERROR(CheckConsistencySizes(m, n));
  if (n > leaf_hashes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree size ", n, " is beyond the ", leaf_hashes.size(), " leaves there are"));
  }
  std::vector<Hash> path;
  SubProof(
      m, 0, n, true,
      [&](uint64_t begin, uint64_t end) { return RootOf(leaf_hashes.subspan(begin, end - begin)); },
      &path);
  return path;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProofFrom(uint64_t m, uint64_t n,
                                                       const PerfectNodeFn& perfect_node) {
  RCL_RETURN_IF_ERROR(CheckConsistencySizes(m, n));
  std::vector<Hash> path;
  SubProof(
      m, 0, n, true,
      [&](uint64_t begin, uint64_t end) { return SubtreeRootFrom(begin, end, perfect_node); },
      &path);
  return path;
}

absl::Status VerifyConsistency(uint64_t m, uint64_t n, const Hash& root_m, const Hash& root_n,
                               absl::Span<const Hash> path) {
  RCL_RETURN_IF_ERROR(CheckConsistencySizes(m, n));
  if (m == n) {
    if (!path.empty()) {
      return absl::DataLossError(absl::StrCat("a consistency proof between two trees of size ", m,
                                              " is empty; this one has ", path.size(), " hashes"));
    }
    if (root_m != root_n) {
      return absl::DataLossError(absl::StrCat("two trees of size ", m, " have different roots ",
                                              ToHex(root_m), " and ", ToHex(root_n)));
    }
    return absl::OkStatus();
  }
  if (path.empty()) {
    return absl::DataLossError(absl::StrCat("consistency proof from ", m, " to ", n, " is empty"));
  }
  const size_t expected = ConsistencyPathSize(m, n);
  if (path.size() != expected) {
    return absl::DataLossError(absl::StrCat("consistency proof from ", m, " to ", n, " has ",
                                            path.size(), " hashes; it needs ", expected));
  }
  // RFC 9162 2.1.4.2. When m is a power of two the old tree is a perfect
  // subtree of the new one and the proof leaves its root out: put it back.
  const bool prepend = std::has_single_bit(m);
  const size_t count = path.size() + (prepend ? 1 : 0);
  auto at = [&](size_t i) -> const Hash& {
    return prepend ? (i == 0 ? root_m : path[i - 1]) : path[i];
  };

  uint64_t fn = m - 1;
  uint64_t sn = n - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = at(0);
  Hash sr = at(0);
  for (size_t i = 1; i < count; ++i) {
    const Hash& c = at(i);
    if (sn == 0) {
      return absl::DataLossError(absl::StrCat("consistency proof from ", m, " to ", n,
                                              " is longer than the tree is high"));
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::DataLossError(
        absl::StrCat("consistency proof from ", m, " to ", n, " stops below the root"));
  }
  if (fr != root_m) {
    return absl::DataLossError(absl::StrCat("consistency proof from ", m, " to ", n,
                                            " gives old root ", ToHex(fr), ", not ",
                                            ToHex(root_m)));
  }
  if (sr != root_n) {
    return absl::DataLossError(absl::StrCat("consistency proof from ", m, " to ", n,
                                            " and old root ", ToHex(root_m), " give new root ",
                                            ToHex(sr), ", not ", ToHex(root_n)));
  }
  return absl::OkStatus();
}

// --- CompactRange ---

CompactRange CompactRange::FromPerfectNodes(uint64_t tree_size, const PerfectNodeFn& perfect_node) {
  CompactRange range;
  range.size_ = tree_size;
  // One perfect node per set bit, highest first, left to right.
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((tree_size & width) == 0) continue;
    range.nodes_.push_back(perfect_node(static_cast<uint32_t>(level), begin >> level));
    begin += width;
  }
  return range;
}

absl::StatusOr<CompactRange> CompactRange::FromNodes(uint64_t tree_size, std::vector<Hash> nodes) {
  const auto needed = static_cast<size_t>(std::popcount(tree_size));
  if (nodes.size() != needed) {
    return absl::InvalidArgumentError(absl::StrCat("a compact range of size ", tree_size, " has ",
                                                   needed, " nodes, not ", nodes.size()));
  }
  CompactRange range;
  range.size_ = tree_size;
  range.nodes_ = std::move(nodes);
  return range;
}

void CompactRange::Append(const Hash& leaf_hash,
                          absl::FunctionRef<void(const PerfectNode&)> on_node) {
  RCL_CHECK(size_ != UINT64_MAX) << "a tree holds at most 2^64 - 1 leaves";
  Hash h = leaf_hash;
  uint64_t index = size_;  // of the new node at the current level
  uint32_t level = 0;
  on_node(PerfectNode{level, index, h});
  // Each trailing one bit of the old size is a perfect left sibling waiting
  // for this right one.
  for (uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    RCL_CHECK(!nodes_.empty()) << "compact range of size " << size_ << " lost a node";
    h = NodeHash(nodes_.back(), h);
    nodes_.pop_back();
    ++level;
    index >>= 1;
    on_node(PerfectNode{level, index, h});
  }
  nodes_.push_back(h);
  ++size_;
  RCL_CHECK(nodes_.size() == static_cast<size_t>(std::popcount(size_)))
      << "compact range of size " << size_ << " has " << nodes_.size() << " nodes";
}

Hash CompactRange::Root() const {
  if (nodes_.empty()) return EmptyRoot();
  // The RFC tree's right spine: each perfect subtree is the left child of
  // the node that joins it to everything to its right.
  Hash r = nodes_.back();
  for (size_t i = nodes_.size() - 1; i-- > 0;) r = NodeHash(nodes_[i], r);
  return r;
}

}  // namespace rcl::audit
