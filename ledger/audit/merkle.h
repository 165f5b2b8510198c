// Merkle trees in the shape of RFC 9162 (Certificate Transparency 2.0),
// sections 2.1.1-2.1.4: the tree hash, inclusion proofs and consistency
// proofs, their generation and their verification. Pure functions over
// hashes; no storage. The exact bytes are in docs/AUDIT.md.
//
// Sizes and indices are uint64_t. A tree of size n holds leaves 0..n-1. A
// "perfect node" (level, index) is the root of the perfect subtree over leaves
// [index * 2^level, (index + 1) * 2^level); level 0 is the leaf hashes
// themselves. Only perfect nodes are immutable as the tree grows, so they are
// what a store keeps; every other node is recomputed from them.
//
// Verification returns OK, or:
//   INVALID_ARGUMENT  the question itself is impossible (index >= tree size,
//                     a consistency proof from size 0 or to a smaller size);
//   DATA_LOSS         the proof does not prove it: wrong path length or the
//                     recomputed root differs (what was shown is not what was
//                     signed).
// Neither is worth retrying with the same proof.
#ifndef RCL_LEDGER_AUDIT_MERKLE_H_
#define RCL_LEDGER_AUDIT_MERKLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ledger/storage/codec.h"  // Hash (header only: no RocksDB)

namespace rcl::audit {

using Hash = ::rcl::ledger::Hash;  // 32 bytes, SHA-256
inline constexpr size_t kHashSize = ::rcl::ledger::kHashSize;

// Domain separation prefixes (RFC 9162 2.1.1).
inline constexpr uint8_t kLeafPrefix = 0x00;
inline constexpr uint8_t kNodePrefix = 0x01;

// The longest proof of a tree of up to 2^64 - 1 leaves: an inclusion path
// has at most 64 hashes, a consistency path at most 65. A bound for callers
// that receive proofs (reject longer ones before reading them).
inline constexpr size_t kProofPathSizeMax = 65;

// SHA-256(bytes).
Hash Sha256Of(std::string_view bytes);
// SHA-256(0x00 || leaf_bytes).
Hash LeafHash(std::string_view leaf_bytes);
// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256 of the empty string: the root of the empty tree.
Hash EmptyRoot();

// Lower-case hex, two digits a byte.
std::string ToHex(std::string_view bytes);
std::string ToHex(const Hash& hash);
// INVALID_ARGUMENT unless `hex` is exactly 64 hex digits (either case).
absl::StatusOr<Hash> HashFromHex(std::string_view hex);

// MTH of the tree whose leaf hashes are `leaf_hashes` (RFC 9162 2.1.1):
// EmptyRoot() for none, the leaf hash itself for one, else
// NodeHash(MTH(first k), MTH(rest)) with k the largest power of two < n.
Hash RootOf(absl::Span<const Hash> leaf_hashes);

// The hash of the perfect subtree at (level, index); must be defined for every
// perfect subtree wholly inside the tree the caller asks about. Called
// O(log n) times per proof or root.
using PerfectNodeFn = std::function<Hash(uint32_t level, uint64_t index)>;

// --- Inclusion (RFC 9162 2.1.3) ---

// The audit path of leaf `index` in the tree of the first `tree_size` leaves
// of `leaf_hashes`, bottom-up (the sibling of the leaf first).
// INVALID_ARGUMENT if index >= tree_size or tree_size > leaf_hashes.size().
absl::StatusOr<std::vector<Hash>> InclusionProof(absl::Span<const Hash> leaf_hashes, uint64_t index,
                                                 uint64_t tree_size);
// The same path, built from perfect nodes (O(log n) calls to `perfect_node`).
absl::StatusOr<std::vector<Hash>> InclusionProofFrom(uint64_t index, uint64_t tree_size,
                                                     const PerfectNodeFn& perfect_node);
// How many hashes the path of `index` in a tree of `tree_size` has
// (index < tree_size).
size_t InclusionPathSize(uint64_t index, uint64_t tree_size);

// OK when `path` proves that `leaf_hash` is leaf `index` of the tree of size
// `tree_size` whose root is `root`.
absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                             absl::Span<const Hash> path, const Hash& root);

// --- Consistency (RFC 9162 2.1.4) ---

// The proof that the tree of the first `m` leaves is a prefix of the tree of
// the first `n`. Empty when m == n. INVALID_ARGUMENT if m == 0, m > n or
// n > leaf_hashes.size().
absl::StatusOr<std::vector<Hash>> ConsistencyProof(absl::Span<const Hash> leaf_hashes, uint64_t m,
                                                   uint64_t n);
// The same proof, built from perfect nodes.
absl::StatusOr<std::vector<Hash>> ConsistencyProofFrom(uint64_t m, uint64_t n,
                                                       const PerfectNodeFn& perfect_node);
// How many hashes the proof from m to n has (0 < m <= n).
size_t ConsistencyPathSize(uint64_t m, uint64_t n);

// OK when `path` proves that the tree of size m with root `root_m` is a prefix
// of the tree of size n with root `root_n`. m == n needs an empty path and
// root_m == root_n; m < n needs the non-empty RFC 9162 path.
absl::Status VerifyConsistency(uint64_t m, uint64_t n, const Hash& root_m, const Hash& root_n,
                               absl::Span<const Hash> path);

// --- Roots from stored nodes ---

// MTH of leaves [begin, end) taken as a tree of their own, from perfect
// nodes: the range splits into perfect subtrees as MTH splits it, and each
// must be a perfect node of the whole tree (start at a multiple of its
// width). True of [0, n) and of every range a proof names; aborts
// (RCL_CHECK) otherwise, a caller bug rather than bad input.
Hash SubtreeRootFrom(uint64_t begin, uint64_t end, const PerfectNodeFn& perfect_node);
// MTH of the tree of size `tree_size` from perfect nodes.
Hash RootFrom(uint64_t tree_size, const PerfectNodeFn& perfect_node);

// --- The right edge of a growing tree ---

// One perfect node, as Append reports the ones it completes.
struct PerfectNode {
  uint32_t level = 0;
  uint64_t index = 0;
  Hash hash{};
  bool operator==(const PerfectNode&) const = default;
};

// The compact range [0, size): the roots of the perfect subtrees the tree of
// `size` leaves splits into, one per set bit of `size`, largest (leftmost)
// first. O(log n) space; Append is O(log n) hashes (amortized O(1)); Root is
// O(log n) hashes. Not thread-safe; a single writer owns one.
class CompactRange {
 public:
  CompactRange() = default;
  // The range of `tree_size` leaves from its stored perfect nodes (e.g. at
  // start, to continue a tree).
  static CompactRange FromPerfectNodes(uint64_t tree_size, const PerfectNodeFn& perfect_node);
  // From the hashes `nodes()` returned. INVALID_ARGUMENT unless there is one
  // per set bit of `tree_size`.
  static absl::StatusOr<CompactRange> FromNodes(uint64_t tree_size, std::vector<Hash> nodes);

  // Adds the next leaf, and calls `on_node` for every perfect node this
  // leaf completes, bottom-up: the leaf itself (level 0) first, then each
  // node it closes; these are the nodes a store keeps. (A FunctionRef: the
  // sequencer appends every event, and a capturing std::function would
  // allocate each time.)
  void Append(const Hash& leaf_hash, absl::FunctionRef<void(const PerfectNode&)> on_node);
  // Adds the next leaf; nothing to report.
  void Append(const Hash& leaf_hash) {
    Append(leaf_hash, [](const PerfectNode&) {});
  }

  // MTH of the leaves appended so far (EmptyRoot() when none).
  Hash Root() const;
  uint64_t size() const { return size_; }
  const std::vector<Hash>& nodes() const { return nodes_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> nodes_;  // one per set bit of size_, highest bit first
};

}  // namespace rcl::audit

#endif  // RCL_LEDGER_AUDIT_MERKLE_H_
