#include "clients/audit_verify.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "clients/cli_output.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/status.h"

namespace rcl::client {
namespace {

// The most proofs asked for in one request (the server's bound).
constexpr size_t kProofsPerRequest = 1000;
// The longest STH file ParseSthJson reads.
constexpr size_t kSthJsonSizeMax = 4096;

absl::StatusOr<audit::Hash> HexField(std::string_view name, const std::string& hex) {
  absl::StatusOr<audit::Hash> h = audit::HashFromHex(hex);
  if (!h.ok())
    return absl::InvalidArgumentError(absl::StrCat(AbslView(name), " is not 64 hex digits"));
  return *h;
}

absl::StatusOr<std::vector<audit::Hash>> HexPath(
    const google::protobuf::RepeatedPtrField<std::string>& path) {
  if (static_cast<size_t>(path.size()) > audit::kProofPathSizeMax) {
    return absl::DataLossError("proof path longer than any tree needs");
  }
  std::vector<audit::Hash> out;
  for (const std::string& hex : path) {
    absl::StatusOr<audit::Hash> h = HexField("path hash", hex);
    if (!h.ok()) return absl::DataLossError(h.status().message());
    out.push_back(*h);
  }
  return out;
}

std::string EventName(const rcl::v1::Event& e) {
  return absl::StrCat(e.stream(), " version ", e.version(), " (tenant sequence ", e.tenant_seq(),
                      ")");
}

ClaimVerification Failed(ClaimVerification r, std::string why) {
  r.ok = false;
  r.failure = std::move(why);
  return r;
}

}  // namespace

absl::StatusOr<ledger::EventRecord> RecordOf(const rcl::v1::Event& e) {
  ledger::EventRecord r;
  r.position = e.position();
  r.version = e.version();
  r.tenant_seq = e.tenant_seq();
  r.recorded_at_us = e.recorded_at_us();
  r.tenant = e.tenant();
  r.stream = e.stream();
  r.type = e.type();
  r.event_id = e.event_id();
  r.command_id = e.command_id();
  r.correlation_id = e.correlation_id();
  r.causation_id = e.causation_id();
  r.actor = e.actor();
  r.effective_date = e.effective_date();
  r.payload = e.payload();
  RCL_ASSIGN_OR_RETURN(r.prev_hash, HexField("prev_hash", e.prev_hash()));
  RCL_ASSIGN_OR_RETURN(r.hash, HexField("hash", e.hash()));
  RCL_ASSIGN_OR_RETURN(r.tenant_prev_hash, HexField("tenant_prev_hash", e.tenant_prev_hash()));
  RCL_ASSIGN_OR_RETURN(r.tenant_hash, HexField("tenant_hash", e.tenant_hash()));
  return r;
}

absl::StatusOr<audit::Hash> LeafHashOf(const rcl::v1::Event& event) {
  RCL_ASSIGN_OR_RETURN(ledger::EventRecord r, RecordOf(event));
  return audit::LeafHash(ledger::CanonicalBytes(r));
}

absl::Status CheckEventHashes(const rcl::v1::Event& event, const audit::Hash& tenant_prev) {
  absl::StatusOr<ledger::EventRecord> r = RecordOf(event);
  if (!r.ok())
    return absl::DataLossError(absl::StrCat(EventName(event), ": ", r.status().message()));
  const std::string canonical = ledger::CanonicalBytes(*r);
  if (ledger::ChainHash(r->prev_hash, canonical) != r->hash) {
    return absl::DataLossError(absl::StrCat(EventName(event), ": hash does not match its fields"));
  }
  if (r->tenant_prev_hash != tenant_prev) {
    return absl::DataLossError(absl::StrCat(
        EventName(event), ": tenant_prev_hash is not the previous event's tenant_hash"));
  }
  if (ledger::ChainHash(r->tenant_prev_hash, canonical) != r->tenant_hash) {
    return absl::DataLossError(
        absl::StrCat(EventName(event), ": tenant_hash does not match its fields"));
  }
  return absl::OkStatus();
}

absl::StatusOr<audit::SignedTreeHead> CheckSignedTreeHead(const rcl::v1::SignedTreeHead& sth,
                                                          const audit::VerifyingKey& key) {
  if (sth.public_key_sha256() != key.Sha256Hex()) {
    return absl::DataLossError("tree head was signed by another key than the server's");
  }
  audit::SignedTreeHead out;
  out.head.tenant = sth.tenant();
  out.head.tree_size = sth.tree_size();
  out.head.timestamp_us = sth.timestamp_us();
  absl::StatusOr<audit::Hash> root = HexField("root_hash", sth.root_hash());
  if (!root.ok()) return absl::DataLossError(root.status().message());
  out.head.root = *root;
  if (sth.signature().size() != 2 * audit::kSignatureSize) {
    return absl::DataLossError("signature is not 64 bytes of hex");
  }
  for (size_t i = 0; i < sth.signature().size(); i += 2) {
    const std::string byte = sth.signature().substr(i, 2);
    if (byte.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return absl::DataLossError("signature is not hex");
    }
    out.signature.push_back(static_cast<char>(std::stoi(byte, nullptr, 16)));
  }
  RCL_RETURN_IF_ERROR(audit::VerifyTreeHead(key, out));
  return out;
}

std::string SthJson(const rcl::v1::SignedTreeHead& sth) {
  rcl::cli::JsonWriter w;
  w.BeginObject();
  w.Key("tenant").String(sth.tenant());
  w.Key("tree_size").Uint(sth.tree_size());
  w.Key("root_hash").String(sth.root_hash());
  w.Key("timestamp_us").Int(sth.timestamp_us());
  w.Key("signature").String(sth.signature());
  w.Key("public_key_sha256").String(sth.public_key_sha256());
  w.EndObject();
  return w.str();
}

absl::StatusOr<rcl::v1::SignedTreeHead> ParseSthJson(const std::string& text) {
  if (text.size() > kSthJsonSizeMax) {
    return absl::InvalidArgumentError("tree head file is larger than any tree head");
  }
  rcl::v1::SignedTreeHead sth;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(text, &sth, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree head file is not a tree head: ", status.message().as_string()));
  }
  return sth;
}

absl::StatusOr<ClaimVerification> VerifyClaim(Client& client, const std::string& claim_id,
                                              const rcl::v1::SignedTreeHead& saved) {
  ClaimVerification r;
  r.saved_tree_size = saved.tree_size();
  RCL_ASSIGN_OR_RETURN(rcl::v1::PublicKeyResponse pk, client.GetPublicKey());
  RCL_ASSIGN_OR_RETURN(audit::VerifyingKey key, audit::VerifyingKey::FromPem(pk.pem()));
  if (saved.tenant() != client.tenant()) return Failed(r, "saved tree head is of another tenant");
  absl::StatusOr<audit::SignedTreeHead> old_head = CheckSignedTreeHead(saved, key);
  if (!old_head.ok())
    return Failed(r, absl::StrCat("saved tree head: ", old_head.status().message()));
  RCL_ASSIGN_OR_RETURN(rcl::v1::SignedTreeHead fresh, client.GetSignedTreeHead());
  absl::StatusOr<audit::SignedTreeHead> now = CheckSignedTreeHead(fresh, key);
  if (!now.ok()) return Failed(r, absl::StrCat("current tree head: ", now.status().message()));
  r.current_tree_size = now->head.tree_size;
  // 1. The log today extends the log the auditor saw: nothing rewritten.
  if (old_head->head.tree_size > now->head.tree_size) {
    return Failed(r, "the tenant's tree is smaller than the saved tree head says");
  }
  if (old_head->head.tree_size > 0) {
    RCL_ASSIGN_OR_RETURN(rcl::v1::ConsistencyProofResponse c,
                         client.GetConsistencyProof(old_head->head.tree_size, now->head.tree_size));
    absl::StatusOr<std::vector<audit::Hash>> path = HexPath(c.path());
    absl::Status consistent =
        path.ok() ? audit::VerifyConsistency(old_head->head.tree_size, now->head.tree_size,
                                             old_head->head.root, now->head.root, *path)
                  : path.status();
    if (!consistent.ok()) {
      return Failed(r, absl::StrCat("consistency from tree size ", old_head->head.tree_size, " to ",
                                    now->head.tree_size, ": ", consistent.message()));
    }
  }
  // 2. Every event of the claim is in today's tree, as its fields hash.
  RCL_ASSIGN_OR_RETURN(std::vector<rcl::v1::Event> events,
                       client.ReadWholeStream(absl::StrCat("claim-", claim_id)));
  if (events.empty()) return absl::NotFoundError(absl::StrCat("no claim ", claim_id));
  for (size_t begin = 0; begin < events.size(); begin += kProofsPerRequest) {
    const size_t end = std::min(events.size(), begin + kProofsPerRequest);
    std::vector<uint64_t> seqs;
    for (size_t i = begin; i < end; ++i) seqs.push_back(events[i].tenant_seq());
    // The stream was read after the tree head was taken: events newer than
    // it are proven in the next round's tree, never skipped.
    if (seqs.back() > now->head.tree_size) {
      return Failed(r, "the claim changed while it was verified; run it again");
    }
    RCL_ASSIGN_OR_RETURN(rcl::v1::InclusionProofResponse proofs,
                         client.GetInclusionProof(seqs, now->head.tree_size));
    if (proofs.proofs_size() != static_cast<int>(seqs.size())) {
      return Failed(r, "server returned another number of proofs than asked");
    }
    for (size_t i = begin; i < end; ++i) {
      const rcl::v1::Event& e = events[i];
      const rcl::v1::InclusionProof& p = proofs.proofs(static_cast<int>(i - begin));
      absl::StatusOr<audit::Hash> leaf = LeafHashOf(e);
      absl::StatusOr<std::vector<audit::Hash>> path = HexPath(p.path());
      absl::Status included =
          !leaf.ok()   ? leaf.status()
          : !path.ok() ? path.status()
                       : audit::VerifyInclusion(*leaf, e.tenant_seq() - 1, now->head.tree_size,
                                                *path, now->head.root);
      if (e.tenant_seq() == 0 || p.tenant_seq() != e.tenant_seq() || !included.ok()) {
        return Failed(r, absl::StrCat(EventName(e), " is not in the signed tree: ",
                                      included.ok() ? "wrong sequence" : included.message()));
      }
      ++r.events_checked;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace rcl::client
