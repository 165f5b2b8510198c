// Parsing requests from the wire. A proto3 `string` field holding invalid
// UTF-8 makes protobuf's parser fail (and log a line per request); gRPC's
// generated handlers then answer UNIMPLEMENTED before any handler runs. The
// services therefore take the raw bytes and decode them here: every string
// field is checked for UTF-8 first, so a bad one is INVALID_ARGUMENT naming
// the field, and protobuf never sees (or logs) it.
#ifndef RCL_SERVER_REQUEST_DECODING_H_
#define RCL_SERVER_REQUEST_DECODING_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace rcl::server {

// Parses `bytes` into `request`. INVALID_ARGUMENT with one violation per
// string field that is not valid UTF-8 (named as the API names fields:
// "family_name", "correlation_id", "lines[0].adjustments[1].reason_code"), or
// one for "request" when the bytes are not a message of that type.
absl::Status DecodeRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request);

}  // namespace rcl::server

#endif  // RCL_SERVER_REQUEST_DECODING_H_
