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
#include "google/protobuf/descriptor.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"
#include "server/services.h"

namespace rcl::server {
namespace {

// The full name of the LedgerService RPC a batched command stands for
// ("rcl.v1.LedgerService/RecordCharge"): the one named like the command's
// message that answers a CommandResponse. INVALID_ARGUMENT for a command
// without a kind, or one that has no such RPC (imports, exports).
absl::StatusOr<std::string> CommandMethod(const rcl::v1::Command& command, int index,
                                          Violations& v) {
  const google::protobuf::OneofDescriptor* kind =
      rcl::v1::Command::descriptor()->FindOneofByName("kind");
  RCL_CHECK(kind != nullptr) << "rcl.v1.Command has no oneof kind";
  const google::protobuf::FieldDescriptor* field =
      command.GetReflection()->GetOneofFieldDescriptor(command, kind);
  const std::string where = absl::StrCat("commands[", index, "].command");
  if (field == nullptr) {
    v.Add(where, "must hold a command");
    return absl::InvalidArgumentError("no command");
  }
  static const google::protobuf::ServiceDescriptor* const service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("rcl.v1.LedgerService");
  RCL_CHECK(service != nullptr) << "rcl.v1.LedgerService is not linked in";
  const google::protobuf::MethodDescriptor* method =
      service->FindMethodByName(field->message_type()->name());
  if (method == nullptr || method->output_type() != rcl::v1::CommandResponse::descriptor()) {
    v.Add(where, absl::StrCat(field->name(), " cannot be batched; use its own RPC"));
    return absl::InvalidArgumentError("not batchable");
  }
  return absl::StrCat(service->full_name(), "/", method->name());
}

// The context of command `index`, checked as the ledger checks it, with
// the batch's field names ("commands[3].context.tenant").
void CheckContext(const rcl::v1::CommandContext& c, int index, Violations& v) {
  const std::string at = absl::StrCat("commands[", index, "].context.");
  ledger::CheckString(at + "tenant", c.tenant(), ledger::kIdRule, ledger::Presence::kRequired, v);
  ledger::CheckString(at + "command_id", c.command_id(), ledger::kIdRule,
                      ledger::Presence::kOptional, v);
  ledger::CheckString(at + "correlation_id", c.correlation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, v);
  ledger::CheckString(at + "causation_id", c.causation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, v);
  if (c.has_expected_version() && c.expected_version() < -1) {
    v.Add(at + "expected_version", "must be -1 (no stream) or a version >= 0");
  }
}

// The ledger's INVALID_ARGUMENT for command `index` (field names relative
// to the command) as violations of the batch ("commands[3].command.
// record_charge.cpt").
void AddCommandViolations(const absl::Status& s, int index, const rcl::v1::Command& command,
                          Violations& v) {
  const google::protobuf::FieldDescriptor* kind = command.GetReflection()->GetOneofFieldDescriptor(
      command, rcl::v1::Command::descriptor()->FindOneofByName("kind"));
  const std::string at = absl::StrCat("commands[", index, "].command.",
                                      kind == nullptr ? std::string() : kind->name() + ".");
  if (s.ok()) return;
  std::vector<FieldViolation> fields = GetFieldViolations(s);
  if (fields.empty()) v.Add(absl::StrCat("commands[", index, "]"), std::string(s.message()));
  for (const FieldViolation& f : fields) v.Add(at + f.field, f.description);
}

// One call in flight: what the ledger's callbacks fill in. Each callback
// writes its own slot; the one that brings `waiting` to zero answers.
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
  for (size_t i = 0; i < call.results.size(); ++i) {
    const absl::StatusOr<ledger::CommandResult>& r = call.results[i];
    rcl::v1::BatchResult* out = resp.add_results();
    if (r.ok()) {
      ++succeeded;
      ToCommandResponse(*r, out->mutable_result());
      continue;
    }
    out->set_code(static_cast<int32_t>(r.status().code()));
    out->set_message(std::string(r.status().message()));
    if (call.atomic && refused < 0 &&
        !absl::StartsWith(r.status().message(), ledger::kNotWrittenPrefix)) {
      refused = static_cast<int32_t>(i);
    }
  }
  // An atomic batch is written whole or not at all.
  RCL_CHECK(!call.atomic || succeeded == 0 || succeeded == call.results.size())
      << succeeded << " of " << call.results.size() << " commands of an atomic batch written";
  resp.set_succeeded(succeeded);
  resp.set_failed(static_cast<uint32_t>(call.results.size()) - succeeded);
  resp.set_refused_index(refused);
  call.reactor->Finish(grpc::Status::OK);
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
  std::vector<std::string> methods(n);
  for (int i = 0; i < n; ++i) {
    Violations context;
    CheckContext(req->commands(i).context(), i, context);
    absl::StatusOr<std::string> method = CommandMethod(req->commands(i).command(), i, shape);
    if (method.ok()) methods[i] = *std::move(method);
    if (context.empty()) continue;
    for (const FieldViolation& f : context.list()) shape.Add(f.field, f.description);
    // The call is refused anyway: name the command's own problems too (the
    // ledger would have, had the context been valid).
    if (method.ok()) {
      rcl::v1::Command copy = req->commands(i).command();
      Violations fields;
      ledger::ValidateCommand(&copy, absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), fields);
      AddCommandViolations(fields.ToStatus(), i, copy, shape);
    }
  }
  if (!shape.empty()) return Refuse(ctx, shape.ToStatus());
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Caller> allowed =
        AuthorizeCall(gate_, *ctx, methods[i], FindPermission(methods[i]), req->commands(i));
    if (!allowed.ok()) {
      return Refuse(ctx,
                    absl::Status(allowed.status().code(),
                                 absl::StrCat("commands[", i, "]: ", allowed.status().message())));
    }
  }
  auto call = std::make_shared<BatchCall>();
  call->reactor = ctx->DefaultReactor();
  call->resp = resp;
  call->atomic = req->atomic();
  call->results.assign(n, absl::UnknownError("not answered"));
  call->waiting.store(n, std::memory_order_relaxed);
  std::vector<ledger::CommandRequest> requests(n);
  std::vector<ledger::CommandCallback> callbacks;
  callbacks.reserve(n);
  for (int i = 0; i < n; ++i) {
    const rcl::v1::BatchCommand& c = req->commands(i);
    ledger::CommandRequest& r = requests[i];
    r.tenant = c.context().tenant();
    r.command_id = c.context().command_id();
    if (c.context().has_expected_version()) r.expected_version = c.context().expected_version();
    r.correlation_id = c.context().correlation_id();
    r.causation_id = c.context().causation_id();
    r.actor = caller.actor;
    r.command = c.command();
    callbacks.push_back([call, i](absl::StatusOr<ledger::CommandResult> result) {
      call->results[i] = std::move(result);
      if (call->waiting.fetch_sub(1, std::memory_order_acq_rel) == 1) Answer(*call);
    });
  }
  std::vector<absl::Status> queued =
      ledger_->SubmitBatch(std::move(requests), std::move(callbacks), req->atomic());
  RCL_CHECK(queued.size() == static_cast<size_t>(n)) << "the count was checked above";
  if (AdmissionRefused(queued)) {
    call->reactor->Finish(ToGrpcStatus(queued[0]));
    return call->reactor;
  }
  // An invalid command refuses the call (the ledger queued none of them).
  Violations invalid;
  for (int i = 0; i < n; ++i) {
    if (absl::IsInvalidArgument(queued[i])) {
      AddCommandViolations(queued[i], i, req->commands(i).command(), invalid);
    }
  }
  if (!invalid.empty()) {
    call->reactor->Finish(ToGrpcStatus(invalid.ToStatus()));
    return call->reactor;
  }
  for (int i = 0; i < n; ++i) {
    if (queued[i].ok()) continue;
    call->results[i] = queued[i];
    if (call->waiting.fetch_sub(1, std::memory_order_acq_rel) == 1) Answer(*call);
  }
  return call->reactor;
}

}  // namespace rcl::server
