// Client methods for the 835 import, the 837P export and ExecuteBatch (client.h); the one-command
// methods are in client.cc.
#include "clients/client.h"

namespace rcl::client {

absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> Client::ImportRemittanceFile(
    const std::string& x12, bool dry_run, bool accept_imbalance, const CommandOptions& options) {
  rcl::v1::ImportRemittanceFileRequest request;
  *request.mutable_context() = MakeContext(options);
  request.set_x12(x12);
  request.set_dry_run(dry_run);
  request.set_accept_imbalance(accept_imbalance);
  rcl::v1::ImportRemittanceFileResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(/*with_deadline=*/true);
  grpc::Status status = ledger_->ImportRemittanceFile(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::ExportClaims837Response> Client::ExportClaims837(
    const std::vector<std::string>& claim_ids, bool test, const CommandOptions& options) {
  rcl::v1::ExportClaims837Request request;
  *request.mutable_context() = MakeContext(options);
  for (const std::string& id : claim_ids) request.add_claim_ids(id);
  request.set_test(test);
  rcl::v1::ExportClaims837Response response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(/*with_deadline=*/true);
  grpc::Status status = ledger_->ExportClaims837(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::ExecuteBatchResponse> Client::ExecuteBatch(
    rcl::v1::ExecuteBatchRequest request) {
  for (rcl::v1::BatchCommand& c : *request.mutable_commands()) {
    if (c.context().tenant().empty()) c.mutable_context()->set_tenant(options_.tenant);
  }
  rcl::v1::ExecuteBatchResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(/*with_deadline=*/true);
  grpc::Status status = ledger_->ExecuteBatch(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace rcl::client
