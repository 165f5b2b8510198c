// Client methods for the AdminService (client.h).
#include <chrono>

#include "clients/client.h"

namespace rcl::client {

absl::StatusOr<rcl::v1::BackupResponse> Client::Backup(const std::string& to, int64_t deadline_ms) {
  std::unique_ptr<grpc::ClientContext> context = NewContext(/*with_deadline=*/false);
  if (deadline_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(deadline_ms));
  }
  rcl::v1::BackupRequest request;
  request.set_to(to);
  rcl::v1::BackupResponse response;
  auto stub = rcl::v1::AdminService::NewStub(channel_);
  grpc::Status status = stub->Backup(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace rcl::client
