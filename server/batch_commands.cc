#include "server/batch_commands.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"
#include "server/services.h"

namespace rcl::server {
namespace {

// "commands[3].context.tenant", or "context.tenant" when `at` is empty.
std::string Field(const std::string& at, const std::string& name) {
  return at.empty() ? std::string(name) : absl::StrCat(at, ".", name);
}

}  // namespace

absl::StatusOr<std::string> CommandMethod(const rcl::v1::Command& command, const std::string& at,
                                          Violations& v) {
  const google::protobuf::OneofDescriptor* kind =
      rcl::v1::Command::descriptor()->FindOneofByName("kind");
  RCL_CHECK(kind != nullptr) << "rcl.v1.Command has no oneof kind";
  const google::protobuf::FieldDescriptor* field =
      command.GetReflection()->GetOneofFieldDescriptor(command, kind);
  const std::string where = Field(at, "command");
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

void CheckContext(const rcl::v1::CommandContext& c, const std::string& at, Violations& v) {
  const std::string prefix = Field(at, "context.");
  ledger::CheckString(prefix + "tenant", c.tenant(), ledger::kIdRule, ledger::Presence::kRequired,
                      v);
  ledger::CheckString(prefix + "command_id", c.command_id(), ledger::kIdRule,
                      ledger::Presence::kOptional, v);
  ledger::CheckString(prefix + "correlation_id", c.correlation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, v);
  ledger::CheckString(prefix + "causation_id", c.causation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, v);
  if (c.has_expected_version() && c.expected_version() < -1) {
    v.Add(prefix + "expected_version", "must be -1 (no stream) or a version >= 0");
  }
}

const google::protobuf::FieldDescriptor* CommandKind(const rcl::v1::Command& command) {
  return command.kind_case() == rcl::v1::Command::KIND_NOT_SET
             ? nullptr
             : rcl::v1::Command::descriptor()->FindFieldByNumber(command.kind_case());
}

void AddCommandViolations(const absl::Status& s, const std::string& at,
                          const rcl::v1::Command& command, Violations& v) {
  AddKindViolations(s, at, CommandKind(command), v);
}

void AddKindViolations(const absl::Status& s, const std::string& at,
                       const google::protobuf::FieldDescriptor* kind, Violations& v) {
  if (s.ok()) return;
  const std::string prefix =
      Field(at, "command.") + (kind == nullptr ? std::string() : kind->name() + ".");
  std::vector<FieldViolation> fields = GetFieldViolations(s);
  if (fields.empty()) v.Add(at.empty() ? "command" : at, std::string(s.message()));
  for (const FieldViolation& f : fields) v.Add(prefix + f.field, f.description);
}

absl::StatusOr<std::string> CheckBatchCommand(const rcl::v1::BatchCommand& c, const std::string& at,
                                              Violations& v) {
  Violations context;
  CheckContext(c.context(), at, context);
  absl::StatusOr<std::string> method = CommandMethod(c.command(), at, v);
  if (context.empty()) return method;
  for (const FieldViolation& f : context.list()) v.Add(f.field, f.description);
  if (method.ok()) {
    rcl::v1::Command copy = c.command();
    Violations fields;
    ledger::ValidateCommand(&copy, absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), fields);
    AddCommandViolations(fields.ToStatus(), at, copy, v);
  }
  return absl::InvalidArgumentError("invalid context");
}

ledger::CommandRequest ToLedgerRequest(rcl::v1::BatchCommand&& c, const Caller& caller) {
  ledger::CommandRequest r;
  rcl::v1::CommandContext& context = *c.mutable_context();
  r.tenant = std::move(*context.mutable_tenant());
  r.command_id = std::move(*context.mutable_command_id());
  if (context.has_expected_version()) r.expected_version = context.expected_version();
  r.correlation_id = std::move(*context.mutable_correlation_id());
  r.causation_id = std::move(*context.mutable_causation_id());
  r.actor = caller.actor;
  r.command.Swap(c.mutable_command());
  return r;
}

void ToBatchResult(const absl::StatusOr<ledger::CommandResult>& r, rcl::v1::BatchResult* out) {
  if (r.ok()) {
    ToCommandResponse(*r, out->mutable_result());
    return;
  }
  out->set_code(static_cast<int32_t>(r.status().code()));
  out->set_message(std::string(r.status().message()));
}

}  // namespace rcl::server
