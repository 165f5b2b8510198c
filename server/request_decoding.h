// Parsing requests from the wire. A proto3 `string` field holding invalid
// UTF-8 makes protobuf's parser fail (and log a line per request); gRPC's
// generated handlers then answer UNIMPLEMENTED before any handler runs. The
// services therefore take the raw bytes and decode them here: a request is
// parsed where gRPC received it, and only one that does not parse is walked
// again, string field by string field, so that a string that is not UTF-8
// is INVALID_ARGUMENT naming the field. The server routes protobuf's log
// lines to its own log without that parser's line (RouteProtobufLog), so a
// client's bad strings never reach the log.
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

// Sends protobuf's log lines to spdlog, all but the parser's line for a
// string that is not UTF-8 (DecodeRequest answers those). Not thread-safe:
// call once, at startup, before any request is decoded.
void RouteProtobufLog();

}  // namespace rcl::server

#endif  // RCL_SERVER_REQUEST_DECODING_H_
