// What an auditor's client checks itself, trusting nothing the server says
// without recomputing it: an event's canonical bytes and hashes from the
// fields ReadAll/ReadStream return, a tenant chain over consecutive events,
// signed tree heads, inclusion and consistency proofs, and a whole claim
// against a tree head saved earlier (VerifyClaim). Formats: docs/STORAGE.md
// (records) and docs/AUDIT.md (trees, signatures). Not thread-safe: one
// auditor call at a time per Client.
#ifndef RCL_CLIENTS_AUDIT_VERIFY_H_
#define RCL_CLIENTS_AUDIT_VERIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/client.h"
#include "ledger/audit/merkle.h"
#include "ledger/audit/sth.h"
#include "ledger/storage/codec.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/audit.pb.h"

namespace rcl::client {

// The stored record of an API event (hex hashes parsed). INVALID_ARGUMENT
// when a hash is not 64 hex digits.
absl::StatusOr<ledger::EventRecord> RecordOf(const rcl::v1::Event& event);

// The event's Merkle leaf hash: SHA-256(0x00 || canonical bytes).
absl::StatusOr<audit::Hash> LeafHashOf(const rcl::v1::Event& event);

// OK when `event`'s hash and tenant_hash are what its fields give, and its
// tenant_prev_hash is `tenant_prev` (the previous event's tenant_hash, zeros
// before tenant sequence 1). DATA_LOSS naming the event otherwise.
absl::Status CheckEventHashes(const rcl::v1::Event& event, const audit::Hash& tenant_prev);

// An STH as the API carries it, checked against `key`: the signature over
// the bytes of docs/AUDIT.md, and the key's fingerprint.
absl::StatusOr<audit::SignedTreeHead> CheckSignedTreeHead(const rcl::v1::SignedTreeHead& sth,
                                                          const audit::VerifyingKey& key);

// The JSON file `rcl audit sth --out` writes, and back.
std::string SthJson(const rcl::v1::SignedTreeHead& sth);
absl::StatusOr<rcl::v1::SignedTreeHead> ParseSthJson(const std::string& text);

struct ClaimVerification {
  bool ok = false;
  uint64_t events_checked = 0;
  uint64_t saved_tree_size = 0;
  uint64_t current_tree_size = 0;
  std::string failure;  // the first thing that did not verify (ids and sequences only)
};

// Fetches the public key, a fresh signed tree head, the consistency proof
// from `saved` to it, and every event of `claim-<id>` with its inclusion
// proof, and recomputes every hash. `saved` must be signed by the same key.
absl::StatusOr<ClaimVerification> VerifyClaim(Client& client, const std::string& claim_id,
                                              const rcl::v1::SignedTreeHead& saved);

}  // namespace rcl::client

#endif  // RCL_CLIENTS_AUDIT_VERIFY_H_
