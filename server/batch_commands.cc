#include "server/batch_commands.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"
#include "server/services.h"

namespace rcl::server {
namespace {

// Every batchable command kind's RPC, by the kind's field number in
// rcl.v1.Command. Built once, from the descriptors.
const absl::flat_hash_map<int, BatchMethod>& BatchMethods() {
  static const absl::flat_hash_map<int, BatchMethod>* const methods = [] {
    auto* out = new absl::flat_hash_map<int, BatchMethod>();
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            "rcl.v1.LedgerService");
    RCL_CHECK(service != nullptr) << "rcl.v1.LedgerService is not linked in";
    const google::protobuf::OneofDescriptor* kind =
        rcl::v1::Command::descriptor()->FindOneofByName("kind");
    RCL_CHECK(kind != nullptr) << "rcl.v1.Command has no oneof kind";
    for (int i = 0; i < kind->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = kind->field(i);
      const google::protobuf::MethodDescriptor* method =
          service->FindMethodByName(field->message_type()->name());
      if (method == nullptr || method->output_type() != rcl::v1::CommandResponse::descriptor()) {
        continue;
      }
      BatchMethod m;
      m.name = absl::StrCat(service->full_name(), "/", method->name());
      m.permission = FindPermission(m.name);
      // ExecuteBatch authorizes a kind and tenant once per call, reading the
      // tenant from the BatchCommand's context: it must be where the
      // permission looks, and no read may need its own access record.
      RCL_CHECK(m.permission == nullptr || (m.permission->tenant_field == "context.tenant" &&
                                            m.permission->access_log_field.empty()))
          << m.name << ": a batchable command's permission must read context.tenant";
      out->emplace(field->number(), std::move(m));
    }
    return out;
  }();
  return *methods;
}

}  // namespace

std::string CommandAt::Name() const {
  return index == kStream ? std::string() : absl::StrCat("commands[", index, "]");
}

std::string CommandAt::Field(std::string_view name) const {
  return index == kStream ? std::string(name)
                          : absl::StrCat("commands[", index, "].", AbslView(name));
}

absl::StatusOr<const BatchMethod*> CommandMethod(const rcl::v1::Command& command, CommandAt at,
                                                 Violations& v) {
  if (command.kind_case() == rcl::v1::Command::KIND_NOT_SET) {
    v.Add(at.Field("command"), "must hold a command");
    return absl::InvalidArgumentError("no command");
  }
  const absl::flat_hash_map<int, BatchMethod>& methods = BatchMethods();
  auto it = methods.find(static_cast<int>(command.kind_case()));
  if (it == methods.end()) {
    const google::protobuf::FieldDescriptor* kind = CommandKind(command);
    RCL_CHECK(kind != nullptr) << "kind " << command.kind_case() << " has no field";
    v.Add(at.Field("command"), absl::StrCat(kind->name(), " cannot be batched; use its own RPC"));
    return absl::InvalidArgumentError("not batchable");
  }
  return &it->second;
}

// Checked with names relative to the context; named from `at` only when
// something is wrong.
void CheckContext(const rcl::v1::CommandContext& c, CommandAt at, Violations& v) {
  Violations found;
  ledger::CheckString("tenant", c.tenant(), ledger::kIdRule, ledger::Presence::kRequired, found);
  ledger::CheckString("command_id", c.command_id(), ledger::kIdRule, ledger::Presence::kOptional,
                      found);
  ledger::CheckString("correlation_id", c.correlation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, found);
  ledger::CheckString("causation_id", c.causation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, found);
  if (c.has_expected_version() && c.expected_version() < -1) {
    found.Add("expected_version", "must be -1 (no stream) or a version >= 0");
  }
  for (const FieldViolation& f : found.list()) {
    v.Add(at.Field(absl::StrCat("context.", f.field)), f.description);
  }
}

const google::protobuf::FieldDescriptor* CommandKind(const rcl::v1::Command& command) {
  return command.kind_case() == rcl::v1::Command::KIND_NOT_SET
             ? nullptr
             : rcl::v1::Command::descriptor()->FindFieldByNumber(command.kind_case());
}

void AddKindViolations(const absl::Status& s, CommandAt at,
                       const google::protobuf::FieldDescriptor* kind, Violations& v) {
  if (s.ok()) return;
  const std::string prefix =
      at.Field("command.") + (kind == nullptr ? std::string() : kind->name() + ".");
  std::vector<FieldViolation> fields = GetFieldViolations(s);
  if (fields.empty()) {
    v.Add(at.index == CommandAt::kStream ? "command" : at.Name(), std::string(s.message()));
  }
  for (const FieldViolation& f : fields) v.Add(prefix + f.field, f.description);
}

absl::StatusOr<const BatchMethod*> CheckBatchCommand(const rcl::v1::BatchCommand& c, CommandAt at,
                                                     Violations& v) {
  Violations context;
  CheckContext(c.context(), at, context);
  absl::StatusOr<const BatchMethod*> method = CommandMethod(c.command(), at, v);
  if (context.empty()) return method;
  for (const FieldViolation& f : context.list()) v.Add(f.field, f.description);
  if (method.ok()) {
    rcl::v1::Command copy = c.command();
    Violations fields;
    ledger::ValidateCommand(&copy, absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), fields);
    AddKindViolations(fields.ToStatus(), at, CommandKind(copy), v);
  }
  return absl::InvalidArgumentError("invalid context");
}

ledger::CommandRequest FromContext(rcl::v1::CommandContext&& context, const Caller& caller) {
  ledger::CommandRequest r;
  // An unset string is left alone: its mutable_ accessor would make a string
  // just to move nothing out of it.
  if (!context.tenant().empty()) r.tenant = std::move(*context.mutable_tenant());
  if (!context.command_id().empty()) r.command_id = std::move(*context.mutable_command_id());
  if (context.has_expected_version()) r.expected_version = context.expected_version();
  if (!context.correlation_id().empty()) {
    r.correlation_id = std::move(*context.mutable_correlation_id());
  }
  if (!context.causation_id().empty()) r.causation_id = std::move(*context.mutable_causation_id());
  r.actor = caller.actor;
  return r;
}

ledger::CommandRequest ToLedgerRequest(rcl::v1::BatchCommand&& c, const Caller& caller,
                                       std::shared_ptr<const void> arena_owner,
                                       size_t share_bytes) {
  RCL_CHECK(c.GetArena() != nullptr && arena_owner != nullptr)
      << "a batchable command is decoded on an arena, and comes with its owner";
  ledger::CommandRequest r = FromContext(std::move(*c.mutable_context()), caller);
  r.command = ledger::HeldCommand(std::move(arena_owner), c.mutable_command(), share_bytes);
  return r;
}

void ToBatchResult(absl::StatusOr<ledger::CommandResult>&& r, rcl::v1::BatchResult* out) {
  if (r.ok()) {
    ToCommandResponse(*std::move(r), out->mutable_result());
    return;
  }
  out->set_code(static_cast<int32_t>(r.status().code()));
  out->set_message(std::string(r.status().message()));
}

}  // namespace rcl::server
