#include "server/audit_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/audit/merkle.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"

namespace rcl::server {
namespace {

constexpr char kAuditServiceName[] = "rcl.v1.AuditService";
// What one audit read holds at most: a thousand proofs of 64 hashes in hex.
constexpr size_t kAuditReadBytes = size_t{16} << 20;

absl::Status CheckTenant(const std::string& tenant) {
  Violations v;
  ledger::CheckString("tenant", tenant, ledger::kIdRule, ledger::Presence::kRequired, v);
  return v.ToStatus();
}

absl::Status PastTheTenant(std::string_view field, uint64_t value, uint64_t size) {
  return absl::OutOfRangeError(
      absl::StrCat(AbslView(field), " ", value, " is past the tenant's last sequence ", size));
}

// The tree size a request names: 0 means the tenant's current size.
absl::StatusOr<uint64_t> TreeSize(std::string_view field, uint64_t requested, uint64_t current) {
  if (requested > current) return PastTheTenant(field, requested, current);
  return requested == 0 ? current : requested;
}

void AddPath(const std::vector<ledger::Hash>& path,
             google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const ledger::Hash& h : path) *out->Add() = audit::ToHex(h);
}

}  // namespace

absl::Status TenantHead(const ledger::EventStore& store, const std::string& tenant,
                        rcl::v1::HeadResponse* resp) {
  RCL_ASSIGN_OR_RETURN(ledger::TenantHead head, store.ReadTenantHead(tenant));
  resp->set_tenant(tenant);
  resp->set_position(head.position);
  resp->set_tenant_seq(head.tenant_seq);
  resp->set_tenant_hash(ledger::HashHex(head.tenant_hash));
  if (store.merkle_tree()) {
    RCL_ASSIGN_OR_RETURN(ledger::Hash root, store.TenantRoot(tenant, head.tenant_seq));
    resp->set_root_hash(audit::ToHex(root));
  }
  return absl::OkStatus();
}

absl::Status TenantVerify(const ledger::EventStore& store, const rcl::v1::VerifyRequest& req,
                          rcl::v1::VerifyResponse* resp) {
  RCL_ASSIGN_OR_RETURN(ledger::TenantHead head, store.ReadTenantHead(req.tenant()));
  const uint64_t from = std::max<uint64_t>(req.from_seq(), 1);
  if (req.to_seq() != 0 && req.to_seq() < from) {
    return InvalidField("to_seq", "must not be before from_seq");
  }
  if (req.to_seq() > head.tenant_seq) return PastTheTenant("to_seq", req.to_seq(), head.tenant_seq);
  if (from > head.tenant_seq) return PastTheTenant("from_seq", from, head.tenant_seq);
  RCL_ASSIGN_OR_RETURN(ledger::TenantVerifyResult r,
                       store.VerifyTenant(req.tenant(), from, req.to_seq()));
  resp->set_tenant(req.tenant());
  resp->set_ok(r.ok);
  resp->set_from_seq(r.from_seq);
  resp->set_to_seq(r.to_seq);
  resp->set_events_checked(r.events_checked);
  resp->set_nodes_checked(r.nodes_checked);
  resp->set_first_bad_seq(r.first_bad_seq);
  resp->set_error(r.error);
  if (r.ok) {
    resp->set_tenant_hash_at_to(ledger::HashHex(r.tenant_hash_at_to));
    if (store.merkle_tree()) resp->set_root_hash_at_to(audit::ToHex(r.root_at_to));
  }
  return absl::OkStatus();
}

absl::Status TenantDigest(const ledger::EventStore& store, const rcl::v1::DigestRequest& req,
                          rcl::v1::DigestResponse* resp) {
  RCL_ASSIGN_OR_RETURN(ledger::TenantHead head, store.ReadTenantHead(req.tenant()));
  resp->set_tenant(req.tenant());
  resp->set_taken_at_us(absl::ToUnixMicros(absl::Now()));
  resp->set_head_tenant_seq(head.tenant_seq);
  resp->set_head_tenant_hash(ledger::HashHex(head.tenant_hash));
  if (store.merkle_tree()) {
    RCL_ASSIGN_OR_RETURN(ledger::Hash root, store.TenantRoot(req.tenant(), head.tenant_seq));
    resp->set_root_hash(audit::ToHex(root));
  }
  if (req.tenant_seq() == 0 || req.tenant_seq() == head.tenant_seq) {
    resp->set_tenant_seq(head.tenant_seq);
    resp->set_tenant_hash(ledger::HashHex(head.tenant_hash));
    return absl::OkStatus();
  }
  if (req.tenant_seq() > head.tenant_seq) {
    return PastTheTenant("tenant_seq", req.tenant_seq(), head.tenant_seq);
  }
  RCL_ASSIGN_OR_RETURN(ledger::EventRecord e,
                       store.ReadTenantEvent(req.tenant(), req.tenant_seq()));
  resp->set_tenant_seq(e.tenant_seq);
  resp->set_tenant_hash(ledger::HashHex(e.tenant_hash));
  return absl::OkStatus();
}

AuditServiceImpl::AuditServiceImpl(ledger::Ledger* ledger, audit::SigningKey key, WorkPool* reads,
                                   CallGate* gate)
    : ledger_(ledger),
      key_(std::move(key)),
      key_sha256_(key_.verifying_key().Sha256Hex()),
      reads_(reads),
      gate_(gate) {
  RegisterMethods();
}

void AuditServiceImpl::RegisterMethods() {
  RCL_REGISTER_UNARY(kAuditServiceName, GetSignedTreeHead, rcl::v1::SignedTreeHeadRequest,
                     rcl::v1::SignedTreeHead);
  RCL_REGISTER_UNARY(kAuditServiceName, GetInclusionProof, rcl::v1::InclusionProofRequest,
                     rcl::v1::InclusionProofResponse);
  RCL_REGISTER_UNARY(kAuditServiceName, GetConsistencyProof, rcl::v1::ConsistencyProofRequest,
                     rcl::v1::ConsistencyProofResponse);
  RCL_REGISTER_UNARY(kAuditServiceName, GetPublicKey, rcl::v1::PublicKeyRequest,
                     rcl::v1::PublicKeyResponse);
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetSignedTreeHead(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::SignedTreeHeadRequest> req,
    rcl::v1::SignedTreeHead* resp) {
  if (absl::Status s = CheckTenant(req->tenant()); !s.ok()) return Refuse(ctx, s);
  return ScheduleRead(reads_, kReadOverheadBytes, resp, [this, req, resp]() -> absl::Status {
    const ledger::EventStore& store = ledger_->store();
    RCL_ASSIGN_OR_RETURN(ledger::TenantHead head, store.ReadTenantHead(req->tenant()));
    RCL_ASSIGN_OR_RETURN(ledger::Hash root, store.TenantRoot(req->tenant(), head.tenant_seq));
    audit::TreeHead th{req->tenant(), head.tenant_seq, root, absl::ToUnixMicros(absl::Now())};
    RCL_ASSIGN_OR_RETURN(audit::SignedTreeHead sth, audit::SignTreeHead(key_, std::move(th)));
    resp->set_tenant(sth.head.tenant);
    resp->set_tree_size(sth.head.tree_size);
    resp->set_root_hash(audit::ToHex(sth.head.root));
    resp->set_timestamp_us(sth.head.timestamp_us);
    resp->set_signature(audit::ToHex(sth.signature));
    resp->set_public_key_sha256(key_sha256_);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetInclusionProof(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::InclusionProofRequest> req,
    rcl::v1::InclusionProofResponse* resp) {
  absl::Status shape = CheckTenant(req->tenant());
  if (shape.ok() &&
      (req->tenant_seqs_size() == 0 || req->tenant_seqs_size() > kInclusionProofsPerRequestMax)) {
    shape = InvalidField(
        "tenant_seqs",
        absl::StrCat("must name 1 to ", kInclusionProofsPerRequestMax, " tenant sequences"));
  }
  if (!shape.ok()) return Refuse(ctx, shape);
  return ScheduleRead(reads_, kAuditReadBytes, resp, [this, req, resp]() -> absl::Status {
    const ledger::EventStore& store = ledger_->store();
    RCL_ASSIGN_OR_RETURN(ledger::TenantHead head, store.ReadTenantHead(req->tenant()));
    RCL_ASSIGN_OR_RETURN(uint64_t size, TreeSize("tree_size", req->tree_size(), head.tenant_seq));
    for (uint64_t seq : req->tenant_seqs()) {
      if (seq == 0) return InvalidField("tenant_seqs", "tenant sequences start at 1");
      if (seq > size) {
        return absl::OutOfRangeError(
            absl::StrCat("tenant sequence ", seq, " is not in a tree of size ", size));
      }
    }
    RCL_ASSIGN_OR_RETURN(ledger::Hash root, store.TenantRoot(req->tenant(), size));
    resp->set_tree_size(size);
    resp->set_root_hash(audit::ToHex(root));
    for (uint64_t seq : req->tenant_seqs()) {
      RCL_ASSIGN_OR_RETURN(ledger::EventStore::InclusionProof proof,
                           store.TenantInclusionProof(req->tenant(), seq, size));
      rcl::v1::InclusionProof* out = resp->add_proofs();
      out->set_tenant_seq(seq);
      out->set_leaf_hash(audit::ToHex(proof.leaf));
      AddPath(proof.path, out->mutable_path());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetConsistencyProof(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::ConsistencyProofRequest> req,
    rcl::v1::ConsistencyProofResponse* resp) {
  absl::Status shape = CheckTenant(req->tenant());
  if (shape.ok() && req->from_size() == 0) shape = InvalidField("from_size", "must be at least 1");
  if (shape.ok() && req->to_size() != 0 && req->to_size() < req->from_size()) {
    shape = InvalidField("to_size", "must not be smaller than from_size");
  }
  if (!shape.ok()) return Refuse(ctx, shape);
  return ScheduleRead(reads_, kReadOverheadBytes, resp, [this, req, resp]() -> absl::Status {
    const ledger::EventStore& store = ledger_->store();
    RCL_ASSIGN_OR_RETURN(ledger::TenantHead head, store.ReadTenantHead(req->tenant()));
    RCL_ASSIGN_OR_RETURN(uint64_t to, TreeSize("to_size", req->to_size(), head.tenant_seq));
    if (req->from_size() > to) return PastTheTenant("from_size", req->from_size(), to);
    RCL_ASSIGN_OR_RETURN(ledger::Hash from_root, store.TenantRoot(req->tenant(), req->from_size()));
    RCL_ASSIGN_OR_RETURN(ledger::Hash to_root, store.TenantRoot(req->tenant(), to));
    RCL_ASSIGN_OR_RETURN(std::vector<ledger::Hash> path,
                         store.TenantConsistencyProof(req->tenant(), req->from_size(), to));
    resp->set_from_size(req->from_size());
    resp->set_to_size(to);
    resp->set_from_root(audit::ToHex(from_root));
    resp->set_to_root(audit::ToHex(to_root));
    AddPath(path, resp->mutable_path());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetPublicKey(grpc::CallbackServerContext* ctx,
                                                         RequestPtr<rcl::v1::PublicKeyRequest>,
                                                         rcl::v1::PublicKeyResponse* resp) {
  resp->set_pem(key_.verifying_key().Pem());
  resp->set_sha256(key_sha256_);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace rcl::server
