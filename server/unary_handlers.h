// The plumbing every unary RPC of the services shares: each is registered
// as a callback method that receives the raw request bytes and decodes them
// itself (server/request_decoding.h), so that a string field with invalid
// UTF-8 is INVALID_ARGUMENT naming the field rather than gRPC's
// UNIMPLEMENTED; reads run on the read pool (server/work_pool.h), never on a
// gRPC callback thread.
//
// Authorization: both wrappers below (DecodingHandler, behind
// RCL_REGISTER_UNARY, and AuthorizingStreamHandler) look their method up in
// the permission table (server/permissions.h) when the service is built,
// and call the Authorizer (server/authorizer.h) with the decoded request
// before the handler runs. They are the only way the rcl services register
// a method: a method registered otherwise is answered by gRPC's generated
// code (UNIMPLEMENTED), and auth_matrix_test fails on it.
#ifndef RCL_SERVER_UNARY_HANDLERS_H_
#define RCL_SERVER_UNARY_HANDLERS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/message_allocator.h"
#include "server/authorizer.h"
#include "server/message_arena.h"
#include "server/permissions.h"
#include "server/request_decoding.h"
#include "server/status_mapping.h"
#include "server/work_pool.h"

namespace rcl::server {

// The decoded request, owned by the call: a handler may move fields out of
// it once it no longer reads them (ExecuteBatch moves its commands'
// contexts). On an arena (MessageArenas) the pointer owns the arena, and a
// handler may hand shares of it on (ledger/held_command.h).
template <class Request>
using RequestPtr = std::shared_ptr<Request>;

// Shared by the services: counts the calls that reach a handler, and once
// draining, answers every new call UNAVAILABLE at once. Shutdown drains
// before it shuts gRPC down: gRPC 1.51 cancels (CANCELLED, not UNAVAILABLE)
// every call it has received but not yet handed to a handler.
// It also carries the Authorizer every wrapper asks (set before any
// service is built; a wrapper without one refuses every call).
struct CallGate {
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> calls_started{0};
  const Authorizer* authorizer = nullptr;
};

// Largest request of every RPC but the 835 import (see RequestBytesMax).
// gRPC's own receive bound is the import's (server.cc); every other method
// refuses a larger request before parsing it, as gRPC did before imports.
inline constexpr size_t kRequestBytesMax = 256 * 1024;
// The request bound of a method, by its request type (services.h raises it
// for the 835 import alone).
template <class Request>
struct RequestBytesMax {
  static constexpr size_t value = kRequestBytesMax;
};

// What every read holds besides what it reads (request, reactor, buffers).
inline constexpr size_t kReadOverheadBytes = 64 * 1024;

// Finishes the call at once with `status`.
grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const absl::Status& status);

// Queues `work` on the read pool with a worst case of `bytes`; once it ran,
// the call keeps only what its answer holds (the message and its serialized
// copy) until it is sent. RESOURCE_EXHAUSTED when the pool's queue is full.
grpc::ServerUnaryReactor* ScheduleRead(WorkPool* reads, size_t bytes,
                                       const google::protobuf::Message* resp,
                                       std::function<absl::Status()> work);

// The index gRPC gives `method` of `service` (proto order).
int MethodIndex(const char* service, const char* method);

// Counts the call; UNAVAILABLE once the server is draining.
absl::Status Admit(CallGate* gate);

// Decides the call (server/authorizer.h); INTERNAL without an authorizer.
absl::StatusOr<Caller> AuthorizeCall(const CallGate* gate, const grpc::ServerContextBase& ctx,
                                     const std::string& method, const Permission* permission,
                                     const google::protobuf::Message& request);

template <class Request, class Response>
using UnaryMethod = std::function<grpc::ServerUnaryReactor*(
    grpc::CallbackServerContext*, RequestPtr<Request>, Response*, const Caller&)>;

// Where a method's messages live (server/message_arena.h).
enum class MessageArenas {
  kNone,     // on the heap (reads, admin, imports)
  kCommand,  // the request and the response each on an arena of kCommandArenaBytes
  kBatch,    // the same, of kBatchArenaBytes (ExecuteBatch)
};

// A new request to decode into, where `arenas` says; on an arena, the
// pointer owns the arena.
template <class Request>
RequestPtr<Request> NewRequest(MessageArenas arenas) {
  switch (arenas) {
    case MessageArenas::kNone: break;
    case MessageArenas::kCommand: return NewOnArena<Request, kCommandArenaBytes>();
    case MessageArenas::kBatch: return NewOnArena<Request, kBatchArenaBytes>();
  }
  return std::make_shared<Request>();
}

// Gives each call of a method its response on an arena of its own (its
// first block kFirstBlockBytes), freed whole when gRPC is done with the
// call: the answer is built on the completer thread and freed on a gRPC
// thread, part by part on the heap (ExecuteBatch: a result, a response and
// its strings per command). Stateless: one per response type and size, for
// the life of the process.
template <class Response, size_t kFirstBlockBytes>
class ArenaResponses : public grpc::MessageAllocator<grpc::ByteBuffer, Response> {
 public:
  static ArenaResponses* Get() {
    static ArenaResponses* const allocator = new ArenaResponses();
    return allocator;
  }

  grpc::MessageHolder<grpc::ByteBuffer, Response>* AllocateMessages() override {
    return new Holder();
  }

 private:
  class Holder : public grpc::MessageHolder<grpc::ByteBuffer, Response> {
   public:
    Holder() {
      this->set_request(&request_);
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_.arena));
    }
    void Release() override { delete this; }

   private:
    grpc::ByteBuffer request_;
    BlockArena<kFirstBlockBytes> arena_;  // owns the response
  };
};

// A unary callback handler that takes the request's raw bytes, decodes them
// (refusing invalid UTF-8 field by field), authorizes the call and calls
// `method`. `name` is the method's full name ("rcl.v1.LogService/ReadAll").
// `arenas`: where its request and response live (MessageArenas).
template <class Request, class Response>
grpc::internal::MethodHandler* DecodingHandler(CallGate* gate, std::string name,
                                               UnaryMethod<Request, Response> method,
                                               MessageArenas arenas = MessageArenas::kNone) {
  const Permission* permission = FindPermission(name);
  auto* handler = new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response>(
      [gate, name = std::move(name), permission, method = std::move(method), arenas](
          grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* bytes, Response* resp) {
        absl::Status admitted = Admit(gate);
        if (!admitted.ok()) return Refuse(ctx, admitted);
        if (bytes->Length() > RequestBytesMax<Request>::value) {
          return Refuse(ctx, absl::ResourceExhaustedError(
                                 absl::StrCat("request of ", bytes->Length(), " bytes; at most ",
                                              RequestBytesMax<Request>::value)));
        }
        RequestPtr<Request> request = NewRequest<Request>(arenas);
        absl::Status decoded = DecodeRequest(*bytes, request.get());
        if (!decoded.ok()) return Refuse(ctx, decoded);
        absl::StatusOr<Caller> caller = AuthorizeCall(gate, *ctx, name, permission, *request);
        if (!caller.ok()) return Refuse(ctx, caller.status());
        return method(ctx, std::move(request), resp, *caller);
      });
  switch (arenas) {
    case MessageArenas::kNone: break;
    case MessageArenas::kCommand:
      handler->SetMessageAllocator(ArenaResponses<Response, kCommandArenaBytes>::Get());
      break;
    case MessageArenas::kBatch:
      handler->SetMessageAllocator(ArenaResponses<Response, kBatchArenaBytes>::Get());
      break;
  }
  return handler;
}

// A server-streaming call refused before it starts: ends at once.
template <class Response>
class RejectedWrite : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RejectedWrite(const absl::Status& s) { this->Finish(ToGrpcStatus(s)); }
  void OnDone() override { delete this; }
};

template <class Request, class Response>
using StreamMethod = std::function<grpc::ServerWriteReactor<Response>*(
    grpc::CallbackServerContext*, RequestPtr<Request>, const Caller&)>;

// The server-streaming counterpart of DecodingHandler.
template <class Request, class Response>
grpc::internal::MethodHandler* AuthorizingStreamHandler(CallGate* gate, std::string name,
                                                        StreamMethod<Request, Response> method) {
  const Permission* permission = FindPermission(name);
  return new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, Response>(
      [gate, name = std::move(name), permission, method = std::move(method)](
          grpc::CallbackServerContext* ctx,
          const grpc::ByteBuffer* bytes) -> grpc::ServerWriteReactor<Response>* {
        absl::Status admitted = Admit(gate);
        if (!admitted.ok()) return new RejectedWrite<Response>(admitted);
        if (bytes->Length() > RequestBytesMax<Request>::value) {
          return new RejectedWrite<Response>(absl::ResourceExhaustedError(
              absl::StrCat("request of ", bytes->Length(), " bytes; at most ",
                           RequestBytesMax<Request>::value)));
        }
        auto request = std::make_shared<Request>();
        absl::Status decoded = DecodeRequest(*bytes, request.get());
        if (!decoded.ok()) return new RejectedWrite<Response>(decoded);
        absl::StatusOr<Caller> caller = AuthorizeCall(gate, *ctx, name, permission, *request);
        if (!caller.ok()) return new RejectedWrite<Response>(caller.status());
        return method(ctx, std::move(request), *caller);
      });
}

}  // namespace rcl::server

// In a service's constructor: registers method `Name` of `service` (its
// full name) as a raw-bytes, authorized callback method calling this->Name.
#define RCL_REGISTER_UNARY(service, Name, Request, Response)                                \
  MarkMethodCallback(                                                                       \
      MethodIndex(service, #Name),                                                          \
      DecodingHandler<Request, Response>(                                                   \
          gate_, absl::StrCat(service, "/", #Name),                                         \
          [this](grpc::CallbackServerContext* ctx, RequestPtr<Request> req, Response* resp, \
                 const Caller&) { return Name(ctx, std::move(req), resp); }))
// The same for a method that writes events: this->Name also gets the
// Caller (the actor of its events).
// `arenas`: where its messages live (MessageArenas).
#define RCL_REGISTER_UNARY_WRITE(service, Name, Request, Response, arenas)                  \
  MarkMethodCallback(                                                                       \
      MethodIndex(service, #Name),                                                          \
      DecodingHandler<Request, Response>(                                                   \
          gate_, absl::StrCat(service, "/", #Name),                                         \
          [this](grpc::CallbackServerContext* ctx, RequestPtr<Request> req, Response* resp, \
                 const Caller& caller) { return Name(ctx, std::move(req), resp, caller); }, \
          arenas))

#endif  // RCL_SERVER_UNARY_HANDLERS_H_
