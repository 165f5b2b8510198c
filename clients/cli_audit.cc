// `rcl audit`: what an auditor runs against one tenant's log: save a signed
// tree head, print the server's public key, ask for inclusion and
// consistency proofs (each checked here before it is printed), and verify a
// whole claim against a tree head saved earlier. Every hash is recomputed in
// this process (clients/audit_verify.h); the server is not trusted.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/audit_verify.h"
#include "clients/cli_command.h"
#include "clients/cli_output.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;

// Largest STH file `--sth` reads (a tree head is about 400 bytes).
constexpr std::streamsize kSthFileSizeMax = 4096;

absl::StatusOr<audit::VerifyingKey> ServerKey(Client& client) {
  absl::StatusOr<rcl::v1::PublicKeyResponse> pk = client.GetPublicKey();
  if (!pk.ok()) return pk.status();
  return audit::VerifyingKey::FromPem(pk->pem());
}

absl::StatusOr<std::vector<audit::Hash>> PathOf(
    const google::protobuf::RepeatedPtrField<std::string>& hex) {
  if (static_cast<size_t>(hex.size()) > audit::kProofPathSizeMax) {
    return absl::DataLossError("proof path longer than any tree needs");
  }
  std::vector<audit::Hash> path;
  for (const std::string& h : hex) {
    absl::StatusOr<audit::Hash> hash = audit::HashFromHex(h);
    if (!hash.ok()) return absl::DataLossError("proof hash is not 64 hex digits");
    path.push_back(*hash);
  }
  return path;
}

void WriteHexArray(const google::protobuf::RepeatedPtrField<std::string>& hex, JsonWriter* w) {
  w->BeginArray();
  for (const std::string& h : hex) w->String(h);
  w->EndArray();
}

absl::Status RunSth(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::SignedTreeHead> sth = (*client)->GetSignedTreeHead();
  if (!sth.ok()) return sth.status();
  absl::StatusOr<audit::VerifyingKey> key = ServerKey(**client);
  if (!key.ok()) return key.status();
  absl::StatusOr<audit::SignedTreeHead> checked = client::CheckSignedTreeHead(*sth, *key);
  if (!checked.ok()) return checked.status();
  const std::string json = client::SthJson(*sth);
  const std::string out = Str(inv, "out");
  if (out.empty()) {
    absl::StrAppend(&inv.out(), json, "\n");
    return absl::OkStatus();
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << json << "\n";
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", out));
  if (inv.json()) {
    absl::StrAppend(&inv.out(), json, "\n");
  } else {
    absl::StrAppend(&inv.out(), "ok saved tree head tenant=", sth->tenant(),
                    " tree_size=", sth->tree_size(), " root_hash=", sth->root_hash(), " to ", out,
                    "\n");
  }
  return absl::OkStatus();
}

absl::Status RunPublicKey(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::PublicKeyResponse> pk = (*client)->GetPublicKey();
  if (!pk.ok()) return pk.status();
  absl::StatusOr<audit::VerifyingKey> key = audit::VerifyingKey::FromPem(pk->pem());
  if (!key.ok()) return key.status();
  if (key->Sha256Hex() != pk->sha256()) {
    return absl::DataLossError("the server's key fingerprint does not match its key");
  }
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("pem").String(pk->pem()).Key("sha256").String(pk->sha256()).EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), pk->pem());
  }
  return absl::OkStatus();
}

absl::Status RunInclusion(Invocation& inv) {
  absl::StatusOr<uint64_t> seq = UintFlag(inv, "seq", 0);
  if (!seq.ok()) return seq.status();
  if (*seq == 0) return UsageError("--seq must be a tenant sequence (from 1)");
  absl::StatusOr<uint64_t> size = UintFlag(inv, "tree-size", 0);
  if (!size.ok()) return size.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::InclusionProofResponse> r = (*client)->GetInclusionProof({*seq}, *size);
  if (!r.ok()) return r.status();
  if (r->proofs_size() != 1) return absl::DataLossError("server returned no proof");
  const rcl::v1::InclusionProof& p = r->proofs(0);
  absl::StatusOr<std::vector<audit::Hash>> path = PathOf(p.path());
  absl::StatusOr<audit::Hash> leaf = audit::HashFromHex(p.leaf_hash());
  absl::StatusOr<audit::Hash> root = audit::HashFromHex(r->root_hash());
  if (!path.ok()) return path.status();
  if (!leaf.ok() || !root.ok()) return absl::DataLossError("proof hash is not 64 hex digits");
  absl::Status ok = audit::VerifyInclusion(*leaf, *seq - 1, r->tree_size(), *path, *root);
  if (!ok.ok()) return ok;
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("tenant_seq").Uint(*seq).Key("tree_size").Uint(r->tree_size());
    w.Key("leaf_hash").String(p.leaf_hash()).Key("path");
    WriteHexArray(p.path(), &w);
    w.Key("root_hash").String(r->root_hash()).EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "ok tenant_seq=", *seq, " is in the tree of size ", r->tree_size(),
                    " root_hash=", r->root_hash(), " (", p.path_size(), " hashes)\n");
  }
  return absl::OkStatus();
}

absl::Status RunConsistency(Invocation& inv) {
  absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
  if (!from.ok()) return from.status();
  if (*from == 0) return UsageError("--from must be a tree size (from 1)");
  absl::StatusOr<uint64_t> to = UintFlag(inv, "to", 0);
  if (!to.ok()) return to.status();
  if (*to != 0 && *to < *from) return UsageError("--to must not be smaller than --from");
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::ConsistencyProofResponse> r = (*client)->GetConsistencyProof(*from, *to);
  if (!r.ok()) return r.status();
  absl::StatusOr<std::vector<audit::Hash>> path = PathOf(r->path());
  absl::StatusOr<audit::Hash> from_root = audit::HashFromHex(r->from_root());
  absl::StatusOr<audit::Hash> to_root = audit::HashFromHex(r->to_root());
  if (!path.ok()) return path.status();
  if (!from_root.ok() || !to_root.ok()) return absl::DataLossError("root is not 64 hex digits");
  absl::Status ok =
      audit::VerifyConsistency(r->from_size(), r->to_size(), *from_root, *to_root, *path);
  if (!ok.ok()) return ok;
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("from_size").Uint(r->from_size()).Key("to_size").Uint(r->to_size());
    w.Key("from_root").String(r->from_root()).Key("to_root").String(r->to_root()).Key("path");
    WriteHexArray(r->path(), &w);
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "ok the tree of size ", r->to_size(), " extends the tree of size ",
                    r->from_size(), " (", r->path_size(), " hashes)\n");
  }
  return absl::OkStatus();
}

absl::StatusOr<rcl::v1::SignedTreeHead> ReadSthFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return UsageError(absl::StrCat("cannot read --sth file ", path));
  std::string text(static_cast<size_t>(kSthFileSizeMax) + 1, '\0');
  file.read(text.data(), kSthFileSizeMax + 1);
  text.resize(static_cast<size_t>(file.gcount()));
  absl::StatusOr<rcl::v1::SignedTreeHead> sth = client::ParseSthJson(text);
  if (!sth.ok()) return Usage(sth.status());
  return sth;
}

absl::Status RunVerifyClaim(Invocation& inv) {
  const std::string id = Str(inv, "id");
  absl::StatusOr<rcl::v1::SignedTreeHead> saved = ReadSthFile(Str(inv, "sth"));
  if (!saved.ok()) return saved.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<client::ClaimVerification> r = client::VerifyClaim(**client, id, *saved);
  if (!r.ok()) return r.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("ok").Bool(r->ok).Key("claim").String(id);
    w.Key("events_checked").Uint(r->events_checked);
    w.Key("saved_tree_size").Uint(r->saved_tree_size);
    w.Key("current_tree_size").Uint(r->current_tree_size);
    if (!r->ok) w.Key("failure").String(r->failure);
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else if (r->ok) {
    absl::StrAppend(&inv.out(), "ok claim ", id, ": ", r->events_checked,
                    " events in the signed tree of size ", r->current_tree_size,
                    ", which extends the saved tree of size ", r->saved_tree_size, "\n");
  }
  if (!r->ok) {
    return absl::DataLossError(absl::StrCat("claim ", id, " does not verify: ", r->failure));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandDef> AuditCommands() {
  return {
      {"audit",
       "sth",
       "",
       "a signed tree head of the tenant's log (checked), to keep",
       {{"out", kValue, "FILE", "write it to FILE (JSON)"}},
       RunSth},
      {"audit", "public-key", "", "the server's Ed25519 public key (PEM)", {}, RunPublicKey},
      {"audit",
       "inclusion",
       "",
       "the proof that tenant event SEQ is in the tree (checked)",
       {{"seq", kValue, "N", "tenant sequence", true},
        {"tree-size", kValue, "M", "tree size (default: the current one)"}},
       RunInclusion},
      {"audit",
       "consistency",
       "",
       "the proof that the tree of size --to extends the tree of size --from (checked)",
       {{"from", kValue, "M1", "earlier tree size", true},
        {"to", kValue, "M2", "later tree size (default: the current one)"}},
       RunConsistency},
      {"audit",
       "verify-claim",
       "",
       "check every event of a claim against a saved tree head (exit 1 naming the first failure)",
       {{"id", kValue, "CLAIM", "claim id", true},
        {"sth", kValue, "FILE", "a tree head saved by `rcl audit sth --out`", true}},
       RunVerifyClaim},
  };
}

}  // namespace rcl::cli
