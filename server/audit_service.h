// AuditService (proto/rcl/v1/audit.proto): what auditors need to check one
// tenant's log without trusting the server: signed tree heads, inclusion and
// consistency proofs, and the public key. Also the tenant versions of the
// LogService's Head, Verify and Digest (TenantHead etc. below). Everything
// runs on the read pool and reads only the tenant's own index and nodes
// (ledger/storage/tenant_log.cc); the signing key is loaded (or created) at
// start and immutable after.
#ifndef RCL_SERVER_AUDIT_SERVICE_H_
#define RCL_SERVER_AUDIT_SERVICE_H_

#include <string>

#include "absl/status/status.h"
#include "ledger/audit/sth.h"
#include "ledger/ledger.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/audit.grpc.pb.h"
#include "server/unary_handlers.h"
#include "server/work_pool.h"

namespace rcl::server {

// Most events one inclusion-proof request may name.
inline constexpr int kInclusionProofsPerRequestMax = 1000;
// The signing key's file in the data directory (mode 0600, created on first
// start, never overwritten).
inline constexpr char kSigningKeyFile[] = "sth-ed25519-key.pem";

// The tenant forms of LogService.Head, Verify and Digest (the request's
// tenant is set and valid). Read pool only.
absl::Status TenantHead(const ledger::EventStore& store, const std::string& tenant,
                        rcl::v1::HeadResponse* resp);
absl::Status TenantVerify(const ledger::EventStore& store, const rcl::v1::VerifyRequest& req,
                          rcl::v1::VerifyResponse* resp);
absl::Status TenantDigest(const ledger::EventStore& store, const rcl::v1::DigestRequest& req,
                          rcl::v1::DigestResponse* resp);

class AuditServiceImpl final : public rcl::v1::AuditService::Service {
 public:
  AuditServiceImpl(ledger::Ledger* ledger, audit::SigningKey key, WorkPool* reads, CallGate* gate);

  grpc::ServerUnaryReactor* GetSignedTreeHead(grpc::CallbackServerContext* ctx,
                                              RequestPtr<rcl::v1::SignedTreeHeadRequest> req,
                                              rcl::v1::SignedTreeHead* resp);
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* ctx,
                                              RequestPtr<rcl::v1::InclusionProofRequest> req,
                                              rcl::v1::InclusionProofResponse* resp);
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* ctx,
                                                RequestPtr<rcl::v1::ConsistencyProofRequest> req,
                                                rcl::v1::ConsistencyProofResponse* resp);
  grpc::ServerUnaryReactor* GetPublicKey(grpc::CallbackServerContext* ctx,
                                         RequestPtr<rcl::v1::PublicKeyRequest> req,
                                         rcl::v1::PublicKeyResponse* resp);

 private:
  void RegisterMethods();
  ledger::Ledger* ledger_;
  const audit::SigningKey key_;
  const std::string key_sha256_;
  WorkPool* reads_;
  CallGate* gate_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_AUDIT_SERVICE_H_
