// Decides every call: who is calling (the bearer token's principal), whether
// the permission table (server/permissions.h) lets that principal call this
// RPC for this tenant, and records reads of patient data in the access log
// (server/access_log.h). The handler wrappers of server/unary_handlers.h
// call Authorize() for every method before its handler runs; there is no
// other way a method of the rcl services is registered.
//
// Outcomes: no token, a malformed one or an unknown one: UNAUTHENTICATED. A
// known principal without the role, or asking for a tenant it does not
// have, or an RPC missing from the table: PERMISSION_DENIED. Both logged
// with the principal (or "-"), the RPC, the tenant and the peer; never the
// token, never PHI.
//
// Without a tokens file the server runs in open development mode (only on a
// loopback address: Server::Start refuses otherwise): every call is let in
// and the actor is the caller's `x-rcl-actor` metadata, as before tokens.
//
// Threads: Authorize() from any gRPC thread; Reload() from the signal
// thread. The principal table is swapped whole under mu_; a call keeps the
// table it started with.
#ifndef RCL_SERVER_AUTHORIZER_H_
#define RCL_SERVER_AUTHORIZER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "server/access_log.h"
#include "server/permissions.h"
#include "server/principals.h"

namespace rcl::server {

// Who a decided call is: the actor recorded on the events it writes.
struct Caller {
  std::string actor;
};

class Authorizer {
 public:
  // `tokens_file` empty: open development mode. `access_log` outlives this.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Create(const std::string& tokens_file,
                                                            AccessLog* access_log);

  bool open_mode() const { return tokens_file_.empty(); }

  // Decides a call of `method` (full name, "rcl.v1.LogService/ReadAll");
  // `permission` is its table entry, looked up when the method was
  // registered (nullptr: not in the table). `request` is the decoded
  // request, for its tenant and the access log's id.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& ctx, std::string_view method,
                                   const Permission* permission,
                                   const google::protobuf::Message& request) const;

  // Reads the tokens file again. On error the current table stays, and the
  // error says why (the caller logs it).
  absl::Status Reload();

  size_t principals() const;

 private:
  Authorizer(std::string tokens_file, AccessLog* access_log)
      : tokens_file_(std::move(tokens_file)), access_log_(access_log) {}
  std::shared_ptr<const PrincipalTable> table() const;

  const std::string tokens_file_;
  AccessLog* const access_log_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const PrincipalTable> table_ ABSL_GUARDED_BY(mu_);
};

// The text of the string field at `path` ("tenant", "context.tenant") of
// `message`; a repeated string field's entries joined with ','. NOT_FOUND
// when the path names no string field.
absl::StatusOr<std::string> StringAtPath(const google::protobuf::Message& message,
                                         std::string_view path);

}  // namespace rcl::server

#endif  // RCL_SERVER_AUTHORIZER_H_
