// Client methods for one tenant's log and the AuditService (client.h).
#include "clients/client.h"

namespace rcl::client {
namespace {

template <typename Stub, typename Request, typename Response, typename Method>
absl::StatusOr<Response> Call(Stub* stub, std::unique_ptr<grpc::ClientContext> context,
                              const Request& request, Method method) {
  Response response;
  grpc::Status status = (stub->*method)(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::StatusOr<rcl::v1::HeadResponse> Client::TenantHead() {
  rcl::v1::HeadRequest request;
  request.set_tenant(options_.tenant);
  return Call<rcl::v1::LogService::Stub, rcl::v1::HeadRequest, rcl::v1::HeadResponse>(
      log_.get(), NewContext(true), request, &rcl::v1::LogService::Stub::Head);
}

absl::StatusOr<rcl::v1::VerifyResponse> Client::TenantVerify(uint64_t from_seq, uint64_t to_seq) {
  rcl::v1::VerifyRequest request;
  request.set_tenant(options_.tenant);
  request.set_from_seq(from_seq);
  request.set_to_seq(to_seq);
  return Call<rcl::v1::LogService::Stub, rcl::v1::VerifyRequest, rcl::v1::VerifyResponse>(
      log_.get(), NewContext(true), request, &rcl::v1::LogService::Stub::Verify);
}

absl::StatusOr<rcl::v1::DigestResponse> Client::TenantDigest(uint64_t tenant_seq) {
  rcl::v1::DigestRequest request;
  request.set_tenant(options_.tenant);
  request.set_tenant_seq(tenant_seq);
  return Call<rcl::v1::LogService::Stub, rcl::v1::DigestRequest, rcl::v1::DigestResponse>(
      log_.get(), NewContext(true), request, &rcl::v1::LogService::Stub::Digest);
}

absl::StatusOr<rcl::v1::SignedTreeHead> Client::GetSignedTreeHead() {
  rcl::v1::SignedTreeHeadRequest request;
  request.set_tenant(options_.tenant);
  return Call<rcl::v1::AuditService::Stub, rcl::v1::SignedTreeHeadRequest, rcl::v1::SignedTreeHead>(
      audit_.get(), NewContext(true), request, &rcl::v1::AuditService::Stub::GetSignedTreeHead);
}

absl::StatusOr<rcl::v1::InclusionProofResponse> Client::GetInclusionProof(
    const std::vector<uint64_t>& tenant_seqs, uint64_t tree_size) {
  rcl::v1::InclusionProofRequest request;
  request.set_tenant(options_.tenant);
  for (uint64_t seq : tenant_seqs) request.add_tenant_seqs(seq);
  request.set_tree_size(tree_size);
  return Call<rcl::v1::AuditService::Stub, rcl::v1::InclusionProofRequest,
              rcl::v1::InclusionProofResponse>(audit_.get(), NewContext(true), request,
                                               &rcl::v1::AuditService::Stub::GetInclusionProof);
}

absl::StatusOr<rcl::v1::ConsistencyProofResponse> Client::GetConsistencyProof(uint64_t from_size,
                                                                              uint64_t to_size) {
  rcl::v1::ConsistencyProofRequest request;
  request.set_tenant(options_.tenant);
  request.set_from_size(from_size);
  request.set_to_size(to_size);
  return Call<rcl::v1::AuditService::Stub, rcl::v1::ConsistencyProofRequest,
              rcl::v1::ConsistencyProofResponse>(audit_.get(), NewContext(true), request,
                                                 &rcl::v1::AuditService::Stub::GetConsistencyProof);
}

absl::StatusOr<rcl::v1::PublicKeyResponse> Client::GetPublicKey() {
  return Call<rcl::v1::AuditService::Stub, rcl::v1::PublicKeyRequest, rcl::v1::PublicKeyResponse>(
      audit_.get(), NewContext(true), rcl::v1::PublicKeyRequest(),
      &rcl::v1::AuditService::Stub::GetPublicKey);
}

}  // namespace rcl::client
