// What ExecuteBatch (server/execute_batch.cc) and CommandStream
// (server/command_stream.h) share: a rcl.v1.BatchCommand checked, named and
// turned into a ledger command, and a ledger result turned into a
// rcl.v1.BatchResult. Field names are given relative to `at`: the batch
// names its commands by index ("commands[3].context.tenant"), the stream
// does not ("context.tenant").
//
// Pure functions: no state, callable from any thread.
#ifndef RCL_SERVER_BATCH_COMMANDS_H_
#define RCL_SERVER_BATCH_COMMANDS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "ledger/status.h"
#include "rcl/v1/api.pb.h"
#include "server/authorizer.h"
#include "server/permissions.h"

namespace rcl::server {

// Where a command's fields are named from: "commands[3]" in a batch, nothing
// on a stream. The names are built only for a violation.
struct CommandAt {
  static constexpr int kStream = -1;
  int index = kStream;
  // "commands[3]", or "" on a stream.
  std::string Name() const;
  // "commands[3].context.tenant", or "context.tenant" on a stream.
  std::string Field(std::string_view name) const;
};

// The LedgerService RPC a command kind stands for: the one named like the
// command's message that answers a CommandResponse.
struct BatchMethod {
  std::string name;                        // "rcl.v1.LedgerService/RecordCharge"
  const Permission* permission = nullptr;  // FindPermission(name): null if none
};

// The RPC of the command's kind (looked up once per kind for the process).
// INVALID_ARGUMENT (and a violation of `at`.command) for a command without a
// kind, or one that has no such RPC (imports, exports).
absl::StatusOr<const BatchMethod*> CommandMethod(const rcl::v1::Command& command, CommandAt at,
                                                 Violations& v);

// The command's context, checked as the ledger checks it.
void CheckContext(const rcl::v1::CommandContext& c, CommandAt at, Violations& v);

// The ledger's INVALID_ARGUMENT for a command of kind `kind` (the Command
// field that is set, or null; field names relative to the command) as
// violations named from `at` ("commands[3].command.record_charge.cpt"). The
// kind, not the command: the command may have moved to the ledger.
void AddKindViolations(const absl::Status& s, CommandAt at,
                       const google::protobuf::FieldDescriptor* kind, Violations& v);
// The Command field that is set in `command` (its oneof `kind`), or null.
const google::protobuf::FieldDescriptor* CommandKind(const rcl::v1::Command& command);

// CheckContext and CommandMethod for one command: its method, or INVALID_ARGUMENT with
// its violations added to `v`. When the context is invalid (the command
// is refused anyway) the command's own fields are checked too, as the
// ledger would have checked them.
absl::StatusOr<const BatchMethod*> CheckBatchCommand(const rcl::v1::BatchCommand& c, CommandAt at,
                                                     Violations& v);

// The ledger command of `c`, written as `caller`: the command and its
// context's strings move out of `c` (no copy), so the caller must own the
// decoded request and be done with it. `c` lives on a protobuf arena
// (ExecuteBatch and CommandStream decode there) and `arena_owner` keeps that
// arena alive: the command stays on it and the request holds a share of
// it, `share_bytes` of the arena's memory (ledger/held_command.h).
ledger::CommandRequest ToLedgerRequest(rcl::v1::BatchCommand&& c, const Caller& caller,
                                       std::shared_ptr<const void> arena_owner, size_t share_bytes);
// The ledger request of a command's context (its strings move out),
// written as `caller`; the command itself is left to the caller to set.
ledger::CommandRequest FromContext(rcl::v1::CommandContext&& context, const Caller& caller);

// One command's outcome as ExecuteBatch and CommandStream answer it; the
// result's strings move into the answer (no copy), its status stays.
void ToBatchResult(absl::StatusOr<ledger::CommandResult>&& r, rcl::v1::BatchResult* out);

}  // namespace rcl::server

#endif  // RCL_SERVER_BATCH_COMMANDS_H_
