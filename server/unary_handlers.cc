#include "server/unary_handlers.h"

#include "google/protobuf/descriptor.h"
#include "ledger/status.h"
#include "server/byte_budget.h"
#include "server/status_mapping.h"

namespace rcl::server {
namespace {

// A unary reactor that holds its read's lease on the read memory budget
// until gRPC is done with the call (the answer sent or the call cancelled).
class LeasedReactor final : public grpc::ServerUnaryReactor {
 public:
  void FinishWith(const absl::Status& status, std::unique_ptr<ByteLease> lease) {
    lease_ = std::move(lease);
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }

 private:
  std::unique_ptr<ByteLease> lease_;
};

}  // namespace

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Queues `work` on the read pool with a worst case of `bytes`; once it ran,
// the call keeps only what its answer holds (the message and its serialized
// copy) until it is sent.
grpc::ServerUnaryReactor* ScheduleRead(WorkPool* reads, size_t bytes,
                                       const google::protobuf::Message* resp,
                                       std::function<absl::Status()> work) {
  auto* reactor = new LeasedReactor();
  bool queued = reads->TrySchedule(
      bytes, [reactor, resp, work = std::move(work)](std::unique_ptr<ByteLease> lease) {
        absl::Status status = work();
        lease->ShrinkTo(kReadOverheadBytes + resp->SpaceUsedLong() + resp->ByteSizeLong());
        reactor->FinishWith(status, std::move(lease));
      });
  if (!queued) {
    reactor->FinishWith(absl::ResourceExhaustedError("too many reads in progress; retry later"),
                        nullptr);
  }
  return reactor;
}

// The index gRPC gives `method` of `service`: the generated services add
// their methods in proto order.
int MethodIndex(const char* service, const char* method) {
  const auto* s = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  RCL_CHECK(s != nullptr) << service;
  const auto* m = s->FindMethodByName(method);
  RCL_CHECK(m != nullptr) << service << "/" << method;
  return m->index();
}

absl::Status Admit(CallGate* gate) {
  gate->calls_started.fetch_add(1, std::memory_order_relaxed);
  if (gate->draining.load(std::memory_order_acquire))
    return absl::UnavailableError("server is shutting down");
  return absl::OkStatus();
}

absl::StatusOr<Caller> AuthorizeCall(const CallGate* gate, const grpc::ServerContextBase& ctx,
                                     const std::string& method, const Permission* permission,
                                     const google::protobuf::Message& request) {
  if (gate->authorizer == nullptr) {
    return absl::InternalError("the server has no authorizer; every call is refused");
  }
  return gate->authorizer->Authorize(ctx, method, permission, request);
}

}  // namespace rcl::server
