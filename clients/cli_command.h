// The command layer of `rcl`, shared by the dispatcher (rcl_main.cc) and the
// command groups (cli_patients.cc, cli_encounters.cc, cli_claim_commands.cc,
// cli_remits.cc, cli_appeals.cc, cli_reports.cc, cli_batch.cc, cli_demo.cc, cli_log.cc):
// one invocation (its parsed flags, a client connected on first use, the
// stdout text), the row of the command table, usage errors (exit 2), the
// flag helpers every command uses and the write helpers (run a write, print
// its result).
//
// Each group file defines its commands and their rows; the dispatcher
// assembles the command table from the per-group tables declared at the end.
// Single-threaded: one invocation per process (only `log tail` starts a
// watcher thread, which touches none of this).
#ifndef RCL_CLIENTS_CLI_COMMAND_H_
#define RCL_CLIENTS_CLI_COMMAND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/cli_args.h"
#include "clients/cli_output.h"
#include "clients/client.h"
#include "rcl/v1/api.pb.h"

namespace rcl::cli {

inline constexpr FlagKind kBool = FlagKind::kBool;
inline constexpr FlagKind kValue = FlagKind::kValue;
inline constexpr FlagKind kRepeated = FlagKind::kRepeated;

// The flags every command takes (before or after the command words).
const std::vector<FlagSpec>& GlobalFlags();

// --patient, shared by the patient, coverage and encounter commands.
inline constexpr FlagSpec kPatientIdFlag = {"patient", kValue, "ID", "patient id", true};

// ---------------------------------------------------------------------------
// Errors. Usage errors (exit 2) carry a marker payload; everything else is a
// server or connection error (exit 1).

absl::Status Usage(absl::Status status);
absl::Status UsageError(absl::string_view message);
bool IsUsage(const absl::Status& status);

// ---------------------------------------------------------------------------
// One invocation.

class Invocation {
 public:
  Invocation(ParsedArgs args, std::string server, std::string tenant)
      : args_(std::move(args)), server_(std::move(server)), tenant_(std::move(tenant)) {}

  const ParsedArgs& args() const { return args_; }
  bool json() const { return args_.Has("json"); }
  const std::string& server() const { return server_; }
  const std::string& tenant() const { return tenant_; }

  absl::StatusOr<client::Client*> client();

  // Stdout text written at the end (so a failure prints no partial output).
  std::string& out() { return out_; }

 private:
  ParsedArgs args_;
  std::string server_;
  std::string tenant_;
  std::unique_ptr<client::Client> client_;
  std::string out_;
};

using RunFn = absl::Status (*)(Invocation&);

struct CommandDef {
  absl::string_view group;  // empty for top-level commands
  absl::string_view name;
  absl::string_view positional;  // e.g. "STREAM"; empty: none
  absl::string_view summary;
  std::vector<FlagSpec> flags;
  RunFn run;
};

// ---------------------------------------------------------------------------
// Flag helpers: every parse error is a usage error naming the flag.

std::string Str(const Invocation& inv, absl::string_view name);
absl::StatusOr<int32_t> Int32Flag(const Invocation& inv, absl::string_view name, int32_t fallback);
absl::StatusOr<uint64_t> UintFlag(const Invocation& inv, absl::string_view name, uint64_t fallback,
                                  uint64_t max = UINT64_MAX);
// An amount in dollars ("150.00"; with allow_negative also "-12.34").
absl::StatusOr<int64_t> AmountFlag(const Invocation& inv, absl::string_view name,
                                   bool allow_negative);

// Parses a flag with one of the Parse* functions of cli_claims.h, as a usage
// error.
template <typename T, typename Parser>
absl::StatusOr<T> Parsed(const Invocation& inv, absl::string_view name, Parser parse) {
  absl::StatusOr<T> v = parse(absl::StrCat("--", name), Str(inv, name));
  if (!v.ok()) return Usage(v.status());
  return v;
}

// ---------------------------------------------------------------------------
// Writes.

// The command options of a write: --command-id, --expected-version, ...
absl::StatusOr<client::CommandOptions> WriteOptions(const Invocation& inv);

// Prints a write's result (one JSON object or one line).
absl::Status PrintWrite(Invocation& inv, const absl::StatusOr<rcl::v1::CommandResponse>& r);

// Runs one write: `call` receives the client and the command options.
template <typename Call>
absl::Status DoWrite(Invocation& inv, Call call) {
  absl::StatusOr<client::CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<client::Client*> client = inv.client();
  if (!client.ok()) return client.status();
  return PrintWrite(inv, call(**client, *options));
}

// The event of `type` the command wrote on `stream`: the newest one at or
// before the stream version the command returned (so an idempotent replay
// shows the original result).
template <typename Message>
absl::StatusOr<Message> ReadWrittenEvent(client::Client& client, const rcl::v1::CommandResponse& r,
                                         const std::string& stream, absl::string_view type) {
  constexpr uint32_t kLookBack = 100;
  rcl::v1::ReadStreamRequest request;
  request.set_stream(stream);
  request.set_backward(true);
  if (r.stream() == stream) request.set_from_version(r.stream_version());
  request.set_limit(kLookBack);
  absl::StatusOr<rcl::v1::ReadStreamResponse> page = client.ReadStream(request);
  if (!page.ok()) return page.status();
  for (const rcl::v1::Event& e : page->events()) {
    if (e.type() != type) continue;
    Message m;
    if (!m.ParseFromString(e.payload())) {
      return absl::DataLossError(
          absl::StrCat("undecodable ", type, " event at position ", e.position()));
    }
    return m;
  }
  return absl::NotFoundError(absl::StrCat("no ", type, " event found on stream ", stream));
}

// Prints a write's result together with the event of type Message it wrote
// on `stream` (read back), as one JSON object or as text.
template <typename Message>
absl::Status PrintWriteAndEvent(Invocation& inv, client::Client& client,
                                const rcl::v1::CommandResponse& r, const std::string& stream,
                                void (*append_json)(const Message&, JsonWriter*),
                                std::string (*text)(const Message&)) {
  absl::StatusOr<Message> event =
      ReadWrittenEvent<Message>(client, r, stream, Message::descriptor()->name());
  if (!event.ok()) return event.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    AppendCommandResponseFields(r, &w);
    append_json(*event, &w);
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), CommandResponseLine(r), "\n", text(*event));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// The per-group command tables. The dispatcher concatenates them in this
// order, which is the order of `rcl --help` (the patient group is split:
// registration comes first, the patient's money after claims to cash).

std::vector<CommandDef> StatusCommands();               // cli_log.cc: status
std::vector<CommandDef> PatientRegistrationCommands();  // cli_patients.cc: patient register,
                                                        // coverage add/end
std::vector<CommandDef> EncounterCommands();            // cli_encounters.cc
std::vector<CommandDef> ClaimCommands();                // cli_claim_commands.cc
std::vector<CommandDef> RemitCommands();                // cli_remits.cc
std::vector<CommandDef> X12Commands();     // cli_x12.cc: remit import, remit suspense, payer alias
std::vector<CommandDef> AppealCommands();  // cli_appeals.cc
std::vector<CommandDef> PatientAccountCommands();  // cli_patients.cc: patient pay,
                                                   // statement, refund
std::vector<CommandDef> ReportCommands();          // cli_reports.cc: books, ar, work,
                                                   // projections
std::vector<CommandDef> HistoryCommands();         // cli_history.cc: claim, patient, remit history
std::vector<CommandDef> BatchCommands();           // cli_batch.cc: batch FILE
std::vector<CommandDef> DemoCommands();            // cli_demo.cc
std::vector<CommandDef> LogCommands();             // cli_log.cc: stream read, log ...
std::vector<CommandDef> AuditCommands();           // cli_audit.cc: audit sth, inclusion, ...
std::vector<CommandDef> AdminCommands();           // cli_admin.cc: admin backup, admin top

}  // namespace rcl::cli

#endif  // RCL_CLIENTS_CLI_COMMAND_H_
