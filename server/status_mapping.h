// The one place absl::Status becomes grpc::Status. INVALID_ARGUMENT errors
// carrying field violations get a google.rpc.Status with a
// google.rpc.BadRequest in the error details.
#ifndef RCL_SERVER_STATUS_MAPPING_H_
#define RCL_SERVER_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace rcl::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace rcl::server

#endif  // RCL_SERVER_STATUS_MAPPING_H_
