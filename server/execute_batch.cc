// LedgerService.ExecuteBatch (docs/API.md, "ExecuteBatch"): up to
// ledger::kBatchCommandsMax commands in one call, each authorized exactly as
// its own RPC would be (role and tenant), queued to the ledger together
// (Ledger::SubmitBatch) and answered one result per command, in order. The
// call is finished on the ledger's completer thread once the last command is
// answered; no gRPC callback thread waits.
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"
#include "server/batch_commands.h"
#include "server/message_arena.h"
#include "server/services.h"

namespace rcl::server {
namespace {

// One call in flight: what the ledger's callbacks fill in. Each callback
// writes its own slot. `waiting` counts the commands not yet answered plus
// one that QueueBatch holds while it queues them; whoever brings it to zero
// (Settle) answers the call and deletes it. The callbacks hold a plain
// pointer and an index (no allocation per command: a std::function keeps
// that much in place).
struct BatchCall {
  grpc::ServerUnaryReactor* reactor = nullptr;
  rcl::v1::ExecuteBatchResponse* resp = nullptr;
  bool atomic = false;
  std::vector<absl::StatusOr<ledger::CommandResult>> results;
  std::atomic<size_t> waiting{0};
};

void Answer(BatchCall& call) {
  rcl::v1::ExecuteBatchResponse& resp = *call.resp;
  int32_t refused = -1;
  uint32_t succeeded = 0;
  resp.mutable_results()->Reserve(static_cast<int>(call.results.size()));
  for (size_t i = 0; i < call.results.size(); ++i) {
    absl::StatusOr<ledger::CommandResult>& r = call.results[i];
    if (r.ok()) {
      ++succeeded;
    } else if (call.atomic && refused < 0 &&
               !absl::StartsWith(r.status().message(), ledger::kNotWrittenPrefix)) {
      refused = static_cast<int32_t>(i);
    }
    ToBatchResult(std::move(r), resp.add_results());  // its status stays
  }
  // An atomic batch is written whole or not at all.
  RCL_CHECK(!call.atomic || succeeded == 0 || succeeded == call.results.size())
      << succeeded << " of " << call.results.size() << " commands of an atomic batch written";
  resp.set_succeeded(succeeded);
  resp.set_failed(static_cast<uint32_t>(call.results.size()) - succeeded);
  resp.set_refused_index(refused);
  call.reactor->Finish(grpc::Status::OK);
}

// One answer or QueueBatch's own hold is done; the last answers the call.
void Settle(BatchCall* call) {
  if (call->waiting.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  Answer(*call);
  delete call;
}

// Every command got the same refusal from the ledger's admission (queue
// full, stopping, disk full: the client retries the call; or a batch larger
// than the whole queue, FAILED_PRECONDITION: it sends smaller ones): the
// call as a whole is refused with it.
bool AdmissionRefused(const std::vector<absl::Status>& queued) {
  if (queued.empty() || queued[0].ok()) return false;
  if (!absl::IsUnavailable(queued[0]) && !absl::IsResourceExhausted(queued[0]) &&
      !absl::IsFailedPrecondition(queued[0])) {
    return false;
  }
  for (const absl::Status& s : queued) {
    if (s != queued[0]) return false;
  }
  return true;
}

// Queues the call's commands to the ledger, moving them out of the decoded
// request (this call's alone; their kinds stay, to name an invalid one's
// fields), and answers at once what the ledger refused before queueing.
// The request was decoded on an arena (MessageArenas::kBatch) and stays
// there: each ledger request holds a share of it (`owner`). Takes `call`
// (waiting = commands + 1).
grpc::ServerUnaryReactor* QueueBatch(ledger::Ledger* ledger, BatchCall* call,
                                     RequestPtr<rcl::v1::ExecuteBatchRequest> owner,
                                     const Caller& caller) {
  rcl::v1::ExecuteBatchRequest& req = *owner;
  grpc::ServerUnaryReactor* const reactor = call->reactor;  // `call` may be gone below
  const int n = req.commands_size();
  RCL_CHECK(call->waiting.load(std::memory_order_relaxed) == static_cast<size_t>(n) + 1 &&
            call->results.size() == static_cast<size_t>(n))
      << "a call of " << n << " commands waits for " << call->waiting.load() << " answers";
  std::vector<ledger::CommandRequest> requests(n);
  std::vector<ledger::CommandCallback> callbacks;
  callbacks.reserve(n);
  std::vector<const google::protobuf::FieldDescriptor*> kinds(n);
  const size_t share = ArenaShareBytes(req, static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    kinds[i] = CommandKind(req.commands(i).command());
    requests[i] = ToLedgerRequest(std::move(*req.mutable_commands(i)), caller, owner, share);
    callbacks.push_back([call, i](absl::StatusOr<ledger::CommandResult> result) {
      call->results[i] = std::move(result);
      Settle(call);
    });
  }
  std::vector<absl::Status> queued =
      ledger->SubmitBatch(std::move(requests), std::move(callbacks), req.atomic());
  RCL_CHECK(queued.size() == static_cast<size_t>(n)) << "the count was checked above";
  // Refused whole (admission) or for an invalid command: the ledger queued
  // none of them, so no callback runs and the call is answered here.
  absl::Status whole = AdmissionRefused(queued) ? queued[0] : absl::OkStatus();
  if (whole.ok()) {
    Violations invalid;
    for (int i = 0; i < n; ++i) {
      if (absl::IsInvalidArgument(queued[i])) {
        AddKindViolations(queued[i], CommandAt{i}, kinds[i], invalid);
      }
    }
    if (!invalid.empty()) whole = invalid.ToStatus();
  }
  if (!whole.ok()) {
    reactor->Finish(ToGrpcStatus(whole));
    delete call;
    return reactor;
  }
  for (int i = 0; i < n; ++i) {
    if (queued[i].ok()) continue;
    call->results[i] = queued[i];
    Settle(call);
  }
  Settle(call);  // QueueBatch's own hold
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* LedgerServiceImpl::ExecuteBatch(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::ExecuteBatchRequest> req,
    rcl::v1::ExecuteBatchResponse* resp, const Caller& caller) {
  const int n = req->commands_size();
  if (n == 0 || static_cast<size_t>(n) > ledger::kBatchCommandsMax) {
    return Refuse(
        ctx, InvalidField("commands", absl::StrCat("must hold 1 to ", ledger::kBatchCommandsMax,
                                                   " commands, not ", n)));
  }
  // Every command's shape and permission first: a refused one refuses the
  // call, and nothing is queued.
  Violations shape;
  std::vector<const BatchMethod*> methods(n, nullptr);
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<const BatchMethod*> method =
        CheckBatchCommand(req->commands(i), CommandAt{i}, shape);
    if (method.ok()) methods[i] = *method;
  }
  if (!shape.empty()) return Refuse(ctx, shape.ToStatus());
  // The call's credentials are the same for every command, and a batchable
  // command's permission reads only its tenant (batch_commands.cc): a
  // command of the kind and tenant just allowed is allowed alike.
  const BatchMethod* allowed_method = nullptr;
  const std::string* allowed_tenant = nullptr;
  for (int i = 0; i < n; ++i) {
    const rcl::v1::BatchCommand& c = req->commands(i);
    if (methods[i] == allowed_method && c.context().tenant() == *allowed_tenant) continue;
    absl::StatusOr<Caller> allowed =
        AuthorizeCall(gate_, *ctx, methods[i]->name, methods[i]->permission, c);
    if (!allowed.ok()) {
      return Refuse(ctx,
                    absl::Status(allowed.status().code(),
                                 absl::StrCat("commands[", i, "]: ", allowed.status().message())));
    }
    allowed_method = methods[i];
    allowed_tenant = &c.context().tenant();
  }
  auto* call = new BatchCall();
  call->reactor = ctx->DefaultReactor();
  call->resp = resp;
  call->atomic = req->atomic();
  call->results.assign(n, absl::UnknownError("not answered"));
  call->waiting.store(static_cast<size_t>(n) + 1, std::memory_order_relaxed);
  return QueueBatch(ledger_, call, std::move(req), caller);
}

}  // namespace rcl::server
