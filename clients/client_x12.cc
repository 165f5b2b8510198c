// Client methods for the 835 import, the 837P export and ExecuteBatch (client.h); the one-command
// methods are in client.cc.
#include <memory>
#include <utility>
#include <vector>

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

absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> Client::ImportRemittanceFileStream(
    const std::string& x12, bool dry_run, bool accept_imbalance, const CommandOptions& options,
    const ImportProgressCallback& on_progress) {
  rcl::v1::ImportRemittanceFileRequest request;
  *request.mutable_context() = MakeContext(options);
  request.set_x12(x12);
  request.set_dry_run(dry_run);
  request.set_accept_imbalance(accept_imbalance);
  std::unique_ptr<grpc::ClientContext> context = NewContext(/*with_deadline=*/true);
  std::unique_ptr<grpc::ClientReader<rcl::v1::ImportRemittanceFileStreamResponse>> reader =
      ledger_->ImportRemittanceFileStream(context.get(), request);
  if (reader == nullptr) return absl::InternalError("could not start ImportRemittanceFileStream");
  rcl::v1::ImportRemittanceFileResponse answer;
  std::vector<rcl::v1::PreviewEvent> preview;
  bool done = false;
  rcl::v1::ImportRemittanceFileStreamResponse message;
  while (reader->Read(&message)) {
    switch (message.body_case()) {
      case rcl::v1::ImportRemittanceFileStreamResponse::kProgress:
        if (on_progress) on_progress(message.progress());
        break;
      case rcl::v1::ImportRemittanceFileStreamResponse::kPreview:
        for (rcl::v1::PreviewEvent& e : *message.mutable_preview()->mutable_events())
          preview.push_back(std::move(e));
        break;
      case rcl::v1::ImportRemittanceFileStreamResponse::kDone:
        answer = std::move(*message.mutable_done());
        done = true;
        break;
      default: break;  // a message kind this client does not know
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  if (!done) return absl::DataLossError("the import stream ended without its answer");
  for (rcl::v1::PreviewEvent& e : preview) *answer.add_preview() = std::move(e);
  return answer;
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
