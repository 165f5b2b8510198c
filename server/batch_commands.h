// What ExecuteBatch (server/execute_batch.cc) and CommandStream
// (server/command_stream.h) share: a rcl.v1.BatchCommand checked, named and
// turned into a ledger command, and a ledger result turned into a
// rcl.v1.BatchResult. Field names are given relative to `at`: the batch
// passes "commands[3]" ("commands[3].context.tenant"), the stream passes ""
// ("context.tenant").
//
// Pure functions: no state, callable from any thread.
#ifndef RCL_SERVER_BATCH_COMMANDS_H_
#define RCL_SERVER_BATCH_COMMANDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "ledger/status.h"
#include "rcl/v1/api.pb.h"
#include "server/authorizer.h"

namespace rcl::server {

// The full name of the LedgerService RPC a command stands for
// ("rcl.v1.LedgerService/RecordCharge"): the one named like the command's
// message that answers a CommandResponse. INVALID_ARGUMENT (and a violation
// of `at`.command) for a command without a kind, or one that has no such
// RPC (imports, exports).
absl::StatusOr<std::string> CommandMethod(const rcl::v1::Command& command, const std::string& at,
                                          Violations& v);

// The command's context, checked as the ledger checks it.
void CheckContext(const rcl::v1::CommandContext& c, const std::string& at, Violations& v);

// The ledger's INVALID_ARGUMENT for a command (field names relative to the
// command) as violations named from `at` ("commands[3].command.
// record_charge.cpt").
void AddCommandViolations(const absl::Status& s, const std::string& at,
                          const rcl::v1::Command& command, Violations& v);
// The same for a command of kind `kind` (the Command field that is set, or
// null), once the command itself has been moved to the ledger.
void AddKindViolations(const absl::Status& s, const std::string& at,
                       const google::protobuf::FieldDescriptor* kind, Violations& v);
// The Command field that is set in `command` (its oneof `kind`), or null.
const google::protobuf::FieldDescriptor* CommandKind(const rcl::v1::Command& command);

// Both of the above for one command: its method, or INVALID_ARGUMENT with
// its violations added to `v`. When the context is invalid (the command
// is refused anyway) the command's own fields are checked too, as the
// ledger would have checked them.
absl::StatusOr<std::string> CheckBatchCommand(const rcl::v1::BatchCommand& c, const std::string& at,
                                              Violations& v);

// The ledger command of `c`, written as `caller`: the command and its
// context's strings move out of `c` (no copy), so the caller must own the
// decoded request and be done with it.
ledger::CommandRequest ToLedgerRequest(rcl::v1::BatchCommand&& c, const Caller& caller);

// One command's outcome as ExecuteBatch and CommandStream answer it.
void ToBatchResult(const absl::StatusOr<ledger::CommandResult>& r, rcl::v1::BatchResult* out);

}  // namespace rcl::server

#endif  // RCL_SERVER_BATCH_COMMANDS_H_
