// rcl: the command line of the RCL revenue-cycle ledger.
//
//   rcl [global flags] <group> <command> [flags]     e.g. rcl encounter charge --id E1 ...
//
// Exit codes: 0 success, 1 server (or connection) error, 2 usage error. On
// failure exactly one line goes to stderr ("rcl: invalid argument: cpt: ...").
// With --json, stdout holds exactly one JSON object (on failure:
// {"error":{...}}).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "ledger/money.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "clients/cli_args.h"
#include "clients/cli_claims.h"
#include "clients/cli_output.h"
#include "clients/client.h"
#include "clients/demo.h"
#include "ledger/status.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

constexpr absl::string_view kDefaultServer = "127.0.0.1:50051";
constexpr absl::string_view kDefaultTenant = "default";
constexpr uint64_t kReadLimitDefault = 100;
constexpr uint64_t kReadLimitMax = 100'000;
constexpr uint32_t kServerPageMax = 1000;

constexpr FlagKind kBool = FlagKind::kBool;
constexpr FlagKind kValue = FlagKind::kValue;
constexpr FlagKind kRepeated = FlagKind::kRepeated;

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> flags = {
      {"server", kValue, "HOST:PORT", "server address (default 127.0.0.1:50051, env RCL_SERVER)"},
      {"tenant", kValue, "ID", "tenant (default \"default\", env RCL_TENANT)"},
      {"command-id", kValue, "ID", "idempotency key of a write"},
      {"expected-version", kValue, "N",
       "expected last version of the command's stream (-1: must not exist)"},
      {"correlation-id", kValue, "ID", "correlation id of a write"},
      {"causation-id", kValue, "ID", "causation id of a write"},
      {"json", kBool, "", "print exactly one JSON object on stdout"},
      {"help", kBool, "", "show help"},
  };
  return flags;
}

// ---------------------------------------------------------------------------
// Errors. Usage errors (exit 2) carry a marker payload; everything else is a
// server or connection error (exit 1).

constexpr absl::string_view kUsagePayload = "rcl.dev/cli-usage";

absl::Status Usage(absl::Status status) {
  if (status.ok()) return status;
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

absl::Status UsageError(absl::string_view message) {
  return Usage(absl::InvalidArgumentError(message));
}

bool IsUsage(const absl::Status& status) { return status.GetPayload(kUsagePayload).has_value(); }

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::AsciiStrToLower(absl::StatusCodeToString(code));
  for (char& c : name) {
    if (c == '_') c = ' ';
  }
  return name;
}

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

  absl::StatusOr<Client*> client() {
    if (client_ == nullptr) {
      client::Options options;
      options.tenant = tenant_;
      absl::StatusOr<std::unique_ptr<Client>> c = Client::Connect(server_, options);
      if (!c.ok()) return c.status();
      client_ = std::move(*c);
    }
    return client_.get();
  }

  // Stdout text written at the end (so a failure prints no partial output).
  std::string& out() { return out_; }

 private:
  ParsedArgs args_;
  std::string server_;
  std::string tenant_;
  std::unique_ptr<Client> client_;
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

// --- Flag helpers: every parse error is a usage error naming the flag.

std::string Str(const Invocation& inv, absl::string_view name) {
  return inv.args().ValueOr(name, "");
}

absl::StatusOr<int32_t> Int32Flag(const Invocation& inv, absl::string_view name, int32_t fallback) {
  std::optional<std::string> v = inv.args().Value(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<int64_t> n = ParseIntFlag(absl::StrCat("--", name), *v, INT32_MIN, INT32_MAX);
  if (!n.ok()) return Usage(n.status());
  return static_cast<int32_t>(*n);
}

absl::StatusOr<uint64_t> UintFlag(const Invocation& inv, absl::string_view name, uint64_t fallback,
                                  uint64_t max = UINT64_MAX) {
  std::optional<std::string> v = inv.args().Value(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<uint64_t> n = ParseUintFlag(absl::StrCat("--", name), *v, max);
  if (!n.ok()) return Usage(n.status());
  return *n;
}

absl::StatusOr<CommandOptions> WriteOptions(const Invocation& inv) {
  CommandOptions options;
  options.command_id = Str(inv, "command-id");
  options.correlation_id = Str(inv, "correlation-id");
  options.causation_id = Str(inv, "causation-id");
  if (std::optional<std::string> v = inv.args().Value("expected-version"); v.has_value()) {
    absl::StatusOr<int64_t> n = ParseIntFlag("--expected-version", *v, -1, INT64_MAX);
    if (!n.ok()) return Usage(n.status());
    options.expected_version = *n;
  }
  return options;
}

absl::Status PrintWrite(Invocation& inv, const absl::StatusOr<rcl::v1::CommandResponse>& r) {
  if (!r.ok()) return r.status();
  if (inv.json()) {
    JsonWriter w;
    WriteCommandResponseJson(*r, &w);
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), CommandResponseLine(*r), "\n");
  }
  return absl::OkStatus();
}

// Runs one write: `call` receives the client and the command options.
template <typename Call>
absl::Status DoWrite(Invocation& inv, Call call) {
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  return PrintWrite(inv, call(**client, *options));
}

// ---------------------------------------------------------------------------
// Commands.

absl::Status RunStatus(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
  if (!head.ok()) return head.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("server").String(inv.server());
    w.Key("tenant").String(inv.tenant());
    w.Key("serving").Bool(true);
    w.Key("head_position").Uint(head->position());
    w.Key("head_hash").String(head->hash());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "ok server=", inv.server(),
                    " serving head_position=", head->position(), " head_hash=", head->hash(), "\n");
  }
  return absl::OkStatus();
}

absl::Status RunPatientRegister(Invocation& inv) {
  rcl::v1::RegisterPatient cmd;
  cmd.set_patient_id(Str(inv, "id"));
  cmd.set_family_name(Str(inv, "family"));
  cmd.set_given_name(Str(inv, "given"));
  cmd.set_birth_date(Str(inv, "birth-date"));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.RegisterPatient(cmd, o); });
}

absl::Status RunCoverageAdd(Invocation& inv) {
  rcl::v1::AddCoverage cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_coverage_id(Str(inv, "id"));
  cmd.set_payer_id(Str(inv, "payer"));
  cmd.set_payer_name(Str(inv, "payer-name"));
  cmd.set_member_id(Str(inv, "member-id"));
  absl::StatusOr<int32_t> rank = Int32Flag(inv, "rank", 0);
  if (!rank.ok()) return rank.status();
  cmd.set_rank(*rank);
  cmd.set_effective_from(Str(inv, "from"));
  cmd.set_effective_to(Str(inv, "to"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.AddCoverage(cmd, o); });
}

absl::Status RunCoverageEnd(Invocation& inv) {
  rcl::v1::EndCoverage cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_coverage_id(Str(inv, "id"));
  cmd.set_effective_to(Str(inv, "to"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.EndCoverage(cmd, o); });
}

absl::Status RunEncounterOpen(Invocation& inv) {
  rcl::v1::OpenEncounter cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_rendering_npi(Str(inv, "rendering-npi"));
  cmd.set_billing_npi(Str(inv, "billing-npi"));
  cmd.set_date_of_service(Str(inv, "date"));
  cmd.set_place_of_service(Str(inv, "pos"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.OpenEncounter(cmd, o); });
}

absl::Status RunEncounterDiagnose(Invocation& inv) {
  rcl::v1::RecordDiagnoses cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  for (std::string& code : inv.args().Values("icd10")) cmd.add_icd10_codes(std::move(code));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.RecordDiagnoses(cmd, o); });
}

absl::Status RunEncounterCharge(Invocation& inv) {
  rcl::v1::RecordCharge cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  absl::StatusOr<int32_t> line = Int32Flag(inv, "line", 0);
  if (!line.ok()) return line.status();
  cmd.set_line_number(*line);
  bool has_cpt = inv.args().Value("cpt").has_value();
  bool has_hcpcs = inv.args().Value("hcpcs").has_value();
  if (has_cpt == has_hcpcs) return UsageError("exactly one of --cpt or --hcpcs is required");
  cmd.set_cpt(Str(inv, "cpt"));
  cmd.set_hcpcs(Str(inv, "hcpcs"));
  for (std::string& m : inv.args().Values("modifier")) cmd.add_modifiers(std::move(m));
  absl::StatusOr<int32_t> units = Int32Flag(inv, "units", 1);
  if (!units.ok()) return units.status();
  cmd.set_units(*units);
  absl::StatusOr<int64_t> cents = ParseAmountFlag("--amount", Str(inv, "amount"));
  if (!cents.ok()) return Usage(cents.status());
  cmd.set_amount_cents(*cents);
  absl::StatusOr<std::vector<int32_t>> pointers = ParsePointerList("--dx", inv.args().Values("dx"));
  if (!pointers.ok()) return Usage(pointers.status());
  for (int32_t p : *pointers) cmd.add_diagnosis_pointers(p);
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.RecordCharge(cmd, o); });
}

absl::Status RunEncounterVoidCharge(Invocation& inv) {
  rcl::v1::VoidCharge cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  absl::StatusOr<int32_t> line = Int32Flag(inv, "line", 0);
  if (!line.ok()) return line.status();
  cmd.set_line_number(*line);
  cmd.set_reason(Str(inv, "reason"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.VoidCharge(cmd, o); });
}

absl::Status RunEncounterComplete(Invocation& inv) {
  rcl::v1::CompleteCoding cmd;
  cmd.set_encounter_id(Str(inv, "id"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.CompleteCoding(cmd, o); });
}

// --- Claims to cash.

// Parses a flag with one of the Parse* functions above, as a usage error.
template <typename T, typename Parser>
absl::StatusOr<T> Parsed(const Invocation& inv, absl::string_view name, Parser parse) {
  absl::StatusOr<T> v = parse(absl::StrCat("--", name), Str(inv, name));
  if (!v.ok()) return Usage(v.status());
  return v;
}

absl::StatusOr<int64_t> AmountFlag(const Invocation& inv, absl::string_view name,
                                   bool allow_negative) {
  absl::StatusOr<int64_t> cents =
      allow_negative ? ParseSignedAmountFlag(absl::StrCat("--", name), Str(inv, name))
                     : ParseAmountFlag(absl::StrCat("--", name), Str(inv, name));
  if (!cents.ok()) return Usage(cents.status());
  return cents;
}

// The event of `type` the command wrote on `stream`: the newest one at or
// before the stream version the command returned (so an idempotent replay
// shows the original result).
template <typename Message>
absl::StatusOr<Message> ReadWrittenEvent(Client& client, const rcl::v1::CommandResponse& r,
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
      return absl::DataLossError(absl::StrCat("undecodable ", type, " event at position ",
                                              e.position()));
    }
    return m;
  }
  return absl::NotFoundError(absl::StrCat("no ", type, " event found on stream ", stream));
}

// Prints a write's result together with the event of type Message it wrote
// on `stream` (read back), as one JSON object or as text.
template <typename Message>
absl::Status PrintWriteAndEvent(Invocation& inv, Client& client, const rcl::v1::CommandResponse& r,
                                const std::string& stream, void (*append_json)(const Message&, JsonWriter*),
                                std::string (*text)(const Message&)) {
  absl::StatusOr<Message> event = ReadWrittenEvent<Message>(client, r, stream, Message::descriptor()->name());
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

absl::Status RunClaimCreate(Invocation& inv) {
  rcl::v1::CreateClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_encounter_id(Str(inv, "encounter"));
  cmd.set_coverage_id(Str(inv, "coverage"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.CreateClaim(cmd, o); });
}

absl::Status RunClaimScrub(Invocation& inv) {
  rcl::v1::ScrubClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::CommandResponse> r = (*client)->ScrubClaim(cmd, *options);
  if (!r.ok()) return r.status();
  return PrintWriteAndEvent<rcl::v1::ClaimScrubbed>(inv, **client, *r, absl::StrCat("claim-", cmd.claim_id()),
                                                    AppendScrubJson, ScrubText);
}

absl::Status RunClaimSubmit(Invocation& inv) {
  rcl::v1::SubmitClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_batch_id(Str(inv, "batch"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.SubmitClaim(cmd, o); });
}

absl::Status RunClaimAck(Invocation& inv) {
  bool accepted = inv.args().Has("accepted");
  bool rejected = inv.args().Has("rejected");
  if (accepted == rejected) return UsageError("exactly one of --accepted or --rejected is required");
  if (rejected && !inv.args().Value("reason").has_value()) {
    return UsageError("--reason is required with --rejected");
  }
  rcl::v1::AcknowledgeClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_accepted(accepted);
  cmd.set_reason(Str(inv, "reason"));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.AcknowledgeClaim(cmd, o); });
}

absl::Status RunClaimReplace(Invocation& inv) {
  rcl::v1::ReplaceClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_original_claim_id(Str(inv, "original"));
  cmd.set_payer_claim_number(Str(inv, "payer-claim-number"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.ReplaceClaim(cmd, o); });
}

absl::Status RunClaimVoid(Invocation& inv) {
  rcl::v1::VoidClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_original_claim_id(Str(inv, "original"));
  cmd.set_payer_claim_number(Str(inv, "payer-claim-number"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.VoidClaim(cmd, o); });
}

absl::Status RunRemitRecord(Invocation& inv) {
  rcl::v1::RecordRemittance cmd;
  cmd.set_remit_id(Str(inv, "id"));
  cmd.set_payer_id(Str(inv, "payer"));
  cmd.set_trace_number(Str(inv, "trace"));
  absl::StatusOr<rcl::v1::PaymentMethod> method =
      Parsed<rcl::v1::PaymentMethod>(inv, "method", ParsePaymentMethod);
  if (!method.ok()) return method.status();
  cmd.set_method(*method);
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_total_cents(*amount);
  cmd.set_paid_date(Str(inv, "date"));
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.RecordRemittance(cmd, o); });
}

absl::Status RunClaimAdjudicate(Invocation& inv) {
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_remit_id(Str(inv, "remit"));
  cmd.set_payer_claim_number(Str(inv, "payer-claim-number"));
  absl::StatusOr<rcl::v1::ClaimPaymentStatus> status =
      Parsed<rcl::v1::ClaimPaymentStatus>(inv, "status", ParseClaimPaymentStatus);
  if (!status.ok()) return status.status();
  cmd.set_status(*status);
  if (inv.args().Values("line").empty() && inv.args().Values("claim-adj").empty()) {
    return UsageError("at least one --line or --claim-adj is required");
  }
  for (const std::string& spec : inv.args().Values("line")) {
    absl::StatusOr<rcl::v1::LineAdjudication> line = ParseLineSpec("--line", spec);
    if (!line.ok()) return Usage(line.status());
    *cmd.add_lines() = *std::move(line);
  }
  for (const std::string& spec : inv.args().Values("claim-adj")) {
    absl::StatusOr<rcl::v1::Adjustment> adj = ParseAdjustmentSpec("--claim-adj", spec);
    if (!adj.ok()) return Usage(adj.status());
    *cmd.add_claim_adjustments() = *std::move(adj);
  }
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.AdjudicateClaim(cmd, o); });
}

absl::Status RunClaimReverse(Invocation& inv) {
  rcl::v1::ReverseAdjudication cmd;
  cmd.set_claim_id(Str(inv, "id"));
  cmd.set_remit_id(Str(inv, "remit"));
  return DoWrite(
      inv, [&](Client& c, const CommandOptions& o) { return c.ReverseAdjudication(cmd, o); });
}

absl::Status RunRemitProviderAdjustment(Invocation& inv) {
  rcl::v1::RecordProviderAdjustment cmd;
  cmd.set_remit_id(Str(inv, "id"));
  cmd.set_reason_code(Str(inv, "reason"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", true);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_reference(Str(inv, "reference"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) {
    return c.RecordProviderAdjustment(cmd, o);
  });
}

absl::Status RunClaimAdjust(Invocation& inv) {
  rcl::v1::AdjustClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  absl::StatusOr<rcl::v1::AdjustmentGroup> group =
      Parsed<rcl::v1::AdjustmentGroup>(inv, "group", ParseAdjustmentGroup);
  if (!group.ok()) return group.status();
  cmd.set_group(*group);
  cmd.set_reason_code(Str(inv, "reason"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", true);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_note(Str(inv, "note"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.AdjustClaim(cmd, o); });
}

absl::Status RunClaimWriteOff(Invocation& inv) {
  rcl::v1::WriteOffClaim cmd;
  cmd.set_claim_id(Str(inv, "id"));
  absl::StatusOr<rcl::v1::WriteOffReason> reason =
      Parsed<rcl::v1::WriteOffReason>(inv, "reason", ParseWriteOffReason);
  if (!reason.ok()) return reason.status();
  cmd.set_reason(*reason);
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  if (inv.args().Value("side").has_value()) {
    absl::StatusOr<rcl::v1::BalanceSide> side =
        Parsed<rcl::v1::BalanceSide>(inv, "side", ParseBalanceSide);
    if (!side.ok()) return side.status();
    cmd.set_side(*side);
  }
  cmd.set_note(Str(inv, "note"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.WriteOffClaim(cmd, o); });
}

absl::Status RunAppealFile(Invocation& inv) {
  rcl::v1::FileAppeal cmd;
  cmd.set_appeal_id(Str(inv, "id"));
  cmd.set_claim_id(Str(inv, "claim"));
  absl::StatusOr<int32_t> level = Int32Flag(inv, "level", 0);
  if (!level.ok()) return level.status();
  cmd.set_level(*level);
  cmd.set_reason(Str(inv, "reason"));
  cmd.set_deadline(Str(inv, "deadline"));
  cmd.set_filed_date(Str(inv, "filed"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.FileAppeal(cmd, o); });
}

absl::Status RunAppealDecide(Invocation& inv) {
  rcl::v1::DecideAppeal cmd;
  cmd.set_appeal_id(Str(inv, "id"));
  absl::StatusOr<rcl::v1::AppealOutcome> outcome =
      Parsed<rcl::v1::AppealOutcome>(inv, "outcome", ParseAppealOutcome);
  if (!outcome.ok()) return outcome.status();
  cmd.set_outcome(*outcome);
  cmd.set_decided_date(Str(inv, "date"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.DecideAppeal(cmd, o); });
}

absl::Status RunPatientPay(Invocation& inv) {
  rcl::v1::ReceivePatientPayment cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_payment_id(Str(inv, "id"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_method(Str(inv, "method"));
  for (std::string& id : inv.args().Values("claim")) cmd.add_claim_ids(std::move(id));
  cmd.set_received_date(Str(inv, "date"));
  return DoWrite(
      inv, [&](Client& c, const CommandOptions& o) { return c.ReceivePatientPayment(cmd, o); });
}

absl::Status RunPatientStatement(Invocation& inv) {
  rcl::v1::IssuePatientStatement cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  cmd.set_statement_date(Str(inv, "date"));
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::CommandResponse> r = (*client)->IssuePatientStatement(cmd, *options);
  if (!r.ok()) return r.status();
  return PrintWriteAndEvent<rcl::v1::PatientStatementIssued>(
      inv, **client, *r, absl::StrCat("patient-", cmd.patient_id()), AppendStatementJson, StatementText);
}

absl::Status RunPatientRefund(Invocation& inv) {
  rcl::v1::RefundPatient cmd;
  cmd.set_patient_id(Str(inv, "patient"));
  absl::StatusOr<int64_t> amount = AmountFlag(inv, "amount", false);
  if (!amount.ok()) return amount.status();
  cmd.set_amount_cents(*amount);
  cmd.set_refund_id(Str(inv, "id"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.RefundPatient(cmd, o); });
}

absl::Status RunClaimShow(Invocation& inv) {
  absl::StatusOr<uint64_t> as_of = UintFlag(inv, "as-of", 0);
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::ClaimView> claim = (*client)->GetClaim(Str(inv, "id"), *as_of);
  if (!claim.ok()) return claim.status();
  if (inv.json()) {
    JsonWriter w;
    WriteClaimViewJson(*claim, &w);
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), ClaimViewText(*claim));
  }
  return absl::OkStatus();
}

// Denials in force: claims whose adjudication in force denies them or holds
// denied lines in payer AR. Found by scanning the tenant's ClaimAdjudicated
// events (bounded ReadAll pages), then reading each candidate claim once. An
// indexed denial work queue belongs to the projections.
absl::Status RunClaimDenials(Invocation& inv) {
  constexpr uint64_t kDenialsMax = 1000;
  constexpr uint32_t kScanPage = 1000;
  absl::StatusOr<uint64_t> limit = UintFlag(inv, "limit", 100, kDenialsMax);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  std::vector<std::string> candidates;
  absl::flat_hash_set<std::string> seen;
  rcl::v1::ReadAllRequest request;
  request.set_from_position(1);
  request.set_limit(kScanPage);
  request.add_event_types("ClaimAdjudicated");
  while (true) {
    absl::StatusOr<rcl::v1::ReadAllResponse> page = (*client)->ReadAll(request);
    if (!page.ok()) return page.status();
    for (const rcl::v1::Event& e : page->events()) {
      rcl::v1::ClaimAdjudicated adjudicated;
      if (!adjudicated.ParseFromString(e.payload())) {
        return absl::DataLossError(absl::StrCat("undecodable ClaimAdjudicated at position ", e.position()));
      }
      if ((adjudicated.denied() || adjudicated.denied_cents() > 0) && seen.insert(adjudicated.claim_id()).second) {
        candidates.push_back(adjudicated.claim_id());
      }
    }
    if (page->end_of_log()) break;
    request.set_from_position(page->next_position());
  }
  std::vector<rcl::v1::ClaimView> denied;
  for (const std::string& id : candidates) {
    if (denied.size() >= *limit) break;
    absl::StatusOr<rcl::v1::ClaimView> claim = (*client)->GetClaim(id, 0);
    if (!claim.ok()) return claim.status();
    if (claim->denied() || claim->denied_cents() > 0) denied.push_back(*std::move(claim));
  }
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("denials").BeginArray();
    for (const auto& c : denied) {
      int open_appeals = 0;
      for (const auto& a : c.appeals()) open_appeals += a.outcome() == "open" ? 1 : 0;
      w.BeginObject()
          .Key("claim_id").String(c.claim_id())
          .Key("status").String(c.status())
          .Key("payer_id").String(c.payer_id())
          .Key("date_of_service").String(c.date_of_service())
          .Key("denied").Bool(c.denied())
          .Key("denied_cents").Int(c.denied_cents())
          .Key("payer_balance_cents").Int(c.payer_balance_cents())
          .Key("open_appeals").Int(open_appeals)
          .EndObject();
    }
    w.EndArray().Key("count").Uint(denied.size()).EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
    return absl::OkStatus();
  }
  absl::StrAppend(&inv.out(), absl::StrFormat("%-20s %-12s %-10s %-10s %12s %12s\n", "claim", "status", "payer",
                                              "service", "denied", "payer bal"));
  for (const auto& c : denied) {
    absl::StrAppend(&inv.out(), absl::StrFormat("%-20s %-12s %-10s %-10s %12s %12s\n", c.claim_id(), c.status(),
                                                c.payer_id(), c.date_of_service(), rcl::FormatCents(c.denied_cents()),
                                                rcl::FormatCents(c.payer_balance_cents())));
  }
  absl::StrAppend(&inv.out(), denied.size(), " claim(s) with a denial in force\n");
  return absl::OkStatus();
}

// --- The demo workload.

absl::Status RunDemoCommand(Invocation& inv) {
  demo::DemoOptions options;
  absl::StatusOr<uint64_t> seed = UintFlag(inv, "seed", 1);
  if (!seed.ok()) return seed.status();
  options.seed = *seed;
  absl::StatusOr<uint64_t> patients = UintFlag(inv, "patients", 100, demo::kPatientsMax);
  if (!patients.ok()) return patients.status();
  absl::StatusOr<uint64_t> days = UintFlag(inv, "days", 30, demo::kDaysMax);
  if (!days.ok()) return days.status();
  if (*patients == 0) return UsageError("--patients: must be at least 1");
  if (*days == 0) return UsageError("--days: must be at least 1");
  options.patients = static_cast<int>(*patients);
  options.days = static_cast<int>(*days);
  options.end = demo::DefaultDemoEnd();
  if (std::optional<std::string> end = inv.args().Value("end"); end.has_value()) {
    absl::CivilDay day;
    if (end->size() != 10 || !absl::ParseCivilTime(*end, &day)) {
      return UsageError("--end: must be a civil date YYYY-MM-DD");
    }
    if (day > demo::DefaultDemoEnd()) {
      return UsageError(absl::StrCat("--end: must be at least ", demo::kSettleDays,
                                     " days before today (UTC): the demo's workflow runs ",
                                     demo::kSettleDays, " days past the last date of service"));
    }
    options.end = day;
  }
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  const bool tty = isatty(STDERR_FILENO) == 1;
  demo::DemoProgress progress = [tty](int day, int total, int64_t commands) {
    if (!tty) return;
    constexpr int kWidth = 30;
    int filled = total == 0 ? kWidth : day * kWidth / total;
    std::string bar = absl::StrCat("\rdemo [", std::string(static_cast<size_t>(filled), '#'),
                                   std::string(static_cast<size_t>(kWidth - filled), '.'), "] day ",
                                   day, "/", total, "  commands ", commands, "  ");
    fwrite(bar.data(), 1, bar.size(), stderr);
    fflush(stderr);
  };
  demo::ClientSink sink(*client);
  absl::StatusOr<demo::DemoSummary> summary = demo::RunDemo(options, sink, progress);
  if (tty) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  if (!summary.ok()) {
    if (summary.status().code() == absl::StatusCode::kInvalidArgument &&
        absl::StartsWith(summary.status().message(), "--")) {
      return Usage(summary.status());
    }
    return summary.status();
  }
  if (inv.json()) {
    absl::StrAppend(&inv.out(), demo::DemoSummaryJson(*summary), "\n");
  } else {
    absl::StrAppend(&inv.out(), demo::DemoSummaryText(*summary));
  }
  return absl::OkStatus();
}

void AppendEvents(Invocation& inv, const std::vector<rcl::v1::Event>& events, JsonWriter* w) {
  if (inv.json()) {
    w->Key("events").BeginArray();
    for (const rcl::v1::Event& e : events) WriteEventJson(e, w);
    w->EndArray();
  } else {
    for (const rcl::v1::Event& e : events) absl::StrAppend(&inv.out(), EventLine(e), "\n");
  }
}

absl::Status RunStreamRead(Invocation& inv) {
  const std::string& stream = inv.args().positional()[0];
  absl::StatusOr<uint64_t> limit = UintFlag(inv, "limit", kReadLimitDefault, kReadLimitMax);
  if (!limit.ok()) return limit.status();
  rcl::v1::ReadStreamRequest request;
  request.set_stream(stream);
  request.set_backward(inv.args().Has("backward"));
  if (inv.args().Value("from").has_value()) {
    absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
    if (!from.ok()) return from.status();
    request.set_from_version(*from);
  }
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  std::vector<rcl::v1::Event> events;
  rcl::v1::ReadStreamResponse last;
  // *limit == 0 means one default-sized server page.
  do {
    uint64_t remaining = *limit == 0 ? 0 : *limit - events.size();
    request.set_limit(static_cast<uint32_t>(std::min<uint64_t>(remaining, kServerPageMax)));
    absl::StatusOr<rcl::v1::ReadStreamResponse> page = (*client)->ReadStream(request);
    if (!page.ok()) return page.status();
    bool empty_page = page->events().empty();
    for (const rcl::v1::Event& e : page->events()) events.push_back(e);
    page->clear_events();
    last = std::move(*page);
    if (last.end_of_stream() || empty_page || *limit == 0) break;
    request.set_from_version(last.next_version());
  } while (events.size() < *limit);

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("stream").String(stream);
    AppendEvents(inv, events, &w);
    w.Key("end_of_stream").Bool(last.end_of_stream());
    w.Key("next_version").Uint(last.next_version());
    w.Key("stream_version").Int(last.stream_version());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    AppendEvents(inv, events, nullptr);
    if (last.stream_version() < 0) {
      absl::StrAppend(&inv.out(), "(stream ", stream, " does not exist)\n");
    } else if (!last.end_of_stream()) {
      absl::StrAppend(&inv.out(), "(more: continue with --from ", last.next_version(), ")\n");
    }
  }
  return absl::OkStatus();
}

// --stream-prefix and --type into a ReadAllRequest or a SubscribeRequest.
template <typename Request>
void SetEventFilters(const Invocation& inv, Request* request) {
  request->set_stream_prefix(Str(inv, "stream-prefix"));
  for (std::string& t : inv.args().Values("type")) request->add_event_types(std::move(t));
}

absl::Status RunLogRead(Invocation& inv) {
  absl::StatusOr<uint64_t> limit = UintFlag(inv, "limit", kReadLimitDefault, kReadLimitMax);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
  if (!from.ok()) return from.status();
  rcl::v1::ReadAllRequest request;
  request.set_from_position(*from);
  SetEventFilters(inv, &request);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  std::vector<rcl::v1::Event> events;
  rcl::v1::ReadAllResponse last;
  while (true) {
    uint64_t remaining = *limit == 0 ? 0 : *limit - events.size();
    request.set_limit(static_cast<uint32_t>(std::min<uint64_t>(remaining, kServerPageMax)));
    absl::StatusOr<rcl::v1::ReadAllResponse> page = (*client)->ReadAll(request);
    if (!page.ok()) return page.status();
    for (const rcl::v1::Event& e : page->events()) events.push_back(e);
    page->clear_events();
    last = std::move(*page);
    // Filtered pages may be short before the head: keep going until the
    // limit or the end of the log, as long as the server makes progress.
    if (last.end_of_log() || *limit == 0 || events.size() >= *limit) break;
    if (last.next_position() <= request.from_position()) break;
    request.set_from_position(last.next_position());
  }

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    AppendEvents(inv, events, &w);
    w.Key("next_position").Uint(last.next_position());
    w.Key("head_position").Uint(last.head_position());
    w.Key("end_of_log").Bool(last.end_of_log());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    AppendEvents(inv, events, nullptr);
    if (!last.end_of_log()) {
      absl::StrAppend(&inv.out(), "(more: continue with --from ", last.next_position(), ")\n");
    }
  }
  return absl::OkStatus();
}

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

absl::Status RunLogTail(Invocation& inv) {
  absl::StatusOr<uint64_t> count = UintFlag(inv, "count", 0);
  if (!count.ok()) return count.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  rcl::v1::SubscribeRequest request;
  if (inv.args().Value("from").has_value()) {
    absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
    if (!from.ok()) return from.status();
    request.set_from_position(*from);
  } else {
    // Default: only events appended from now on.
    absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
    if (!head.ok()) return head.status();
    request.set_from_position(head->position() + 1);
  }
  SetEventFilters(inv, &request);

  absl::StatusOr<std::unique_ptr<client::Subscription>> sub = (*client)->Subscribe(request);
  if (!sub.ok()) return sub.status();
  client::Subscription* subscription = sub->get();

  // Ctrl-C (or SIGTERM) cancels the subscription; the watcher polls the flag
  // because a signal handler may not call into gRPC.
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (g_interrupted.load()) {
        subscription->Cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  std::vector<rcl::v1::Event> events;
  uint64_t received = 0;
  uint64_t checkpoint = 0;
  uint64_t head = 0;
  rcl::v1::SubscribeResponse response;
  while ((*count == 0 || received < *count) && subscription->Next(&response)) {
    checkpoint = std::max(checkpoint, response.checkpoint_position());
    head = std::max(head, response.head_position());
    for (rcl::v1::Event& e : *response.mutable_events()) {
      if (*count != 0 && received >= *count) break;
      ++received;
      if (inv.json()) {
        events.push_back(std::move(e));
      } else {
        std::string line = absl::StrCat(EventLine(e), "\n");
        fwrite(line.data(), 1, line.size(), stdout);
        fflush(stdout);
      }
    }
  }
  bool reached_count = *count != 0 && received >= *count;
  if (reached_count) subscription->Cancel();
  absl::Status status = subscription->Finish();
  done.store(true);
  watcher.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!status.ok() && !subscription->cancelled()) return status;

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    AppendEvents(inv, events, &w);
    w.Key("count").Uint(received);
    w.Key("checkpoint_position").Uint(checkpoint);
    w.Key("head_position").Uint(head);
    w.Key("interrupted").Bool(!reached_count);
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  }
  return absl::OkStatus();
}

absl::Status RunLogHead(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
  if (!head.ok()) return head.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("position").Uint(head->position()).Key("hash").String(head->hash());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "position=", head->position(), " hash=", head->hash(), "\n");
  }
  return absl::OkStatus();
}

absl::Status RunLogVerify(Invocation& inv) {
  absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
  if (!from.ok()) return from.status();
  absl::StatusOr<uint64_t> to = UintFlag(inv, "to", 0);
  if (!to.ok()) return to.status();
  if (*to != 0 && *from > *to) return UsageError("--from must not be after --to");
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  uint64_t target = *to;
  if (target == 0) {
    absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
    if (!head.ok()) return head.status();
    target = head->position();
  }
  // The server may check a partial range per call: loop until the target.
  uint64_t next = std::max<uint64_t>(*from, 1);
  uint64_t first = 0;
  uint64_t checked = 0;
  rcl::v1::VerifyResponse last;
  bool any = false;
  // An empty log has nothing to verify (the server answers OUT_OF_RANGE).
  last.set_ok(target == 0);
  while (target != 0) {
    absl::StatusOr<rcl::v1::VerifyResponse> r = (*client)->Verify(next, target);
    if (!r.ok()) return r.status();
    if (!any) first = r->from_position();
    any = true;
    checked += r->events_checked();
    last = *r;
    if (!r->ok()) break;
    if (target == 0 || r->to_position() >= target) break;
    if (r->to_position() < next) {
      return absl::InternalError(absl::StrCat("verify made no progress at position ", next));
    }
    next = r->to_position() + 1;
  }

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("ok").Bool(last.ok());
    w.Key("from_position").Uint(first);
    w.Key("to_position").Uint(last.ok() ? last.to_position() : last.first_bad_position());
    w.Key("events_checked").Uint(checked);
    if (last.ok()) {
      w.Key("hash_at_to").String(last.hash_at_to());
    } else {
      w.Key("first_bad_position").Uint(last.first_bad_position());
      w.Key("error").String(last.error());
    }
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else if (last.ok() && checked == 0) {
    absl::StrAppend(&inv.out(), "ok no events to verify\n");
  } else if (last.ok()) {
    absl::StrAppend(&inv.out(), "ok chain verified positions ", first, "..", last.to_position(),
                    " events_checked=", checked, " hash_at_to=", last.hash_at_to(), "\n");
  }
  if (!last.ok()) {
    return absl::DataLossError(absl::StrCat("hash chain broken at position ",
                                            last.first_bad_position(), ": ", last.error()));
  }
  return absl::OkStatus();
}

absl::Status RunLogDigest(Invocation& inv) {
  absl::StatusOr<uint64_t> position = UintFlag(inv, "position", 0);
  if (!position.ok()) return position.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::DigestResponse> d = (*client)->Digest(*position);
  if (!d.ok()) return d.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("position").Uint(d->position());
    w.Key("hash").String(d->hash());
    w.Key("head_position").Uint(d->head_position());
    w.Key("head_hash").String(d->head_hash());
    w.Key("taken_at_us").Int(d->taken_at_us());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "position=", d->position(), " hash=", d->hash(),
                    " head_position=", d->head_position(), " head_hash=", d->head_hash(),
                    " taken_at_us=", d->taken_at_us(), "\n");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// The command table.

// Flags several commands share.
constexpr FlagSpec kPatientIdFlag = {"patient", kValue, "ID", "patient id", true};
constexpr FlagSpec kEncounterIdFlag = {"id", kValue, "ID", "encounter id", true};
constexpr FlagSpec kClaimIdFlag = {"id", kValue, "ID", "claim id", true};
constexpr FlagSpec kPayerClaimNumberFlag = {"payer-claim-number", kValue, "PCN",
                                            "the payer's claim control number", true};
constexpr FlagSpec kReadLimitFlag = {"limit", kValue, "N", "at most N events (default 100)"};
// The event filters of `log read` and `log tail` (see SetEventFilters).
constexpr FlagSpec kStreamPrefixFlag = {"stream-prefix", kValue, "PREFIX",
                                        "only streams starting with PREFIX"};
constexpr FlagSpec kEventTypeFlag = {"type", kRepeated, "TYPE", "only events of TYPE"};

const std::vector<CommandDef>& Commands() {
  static const std::vector<CommandDef> commands = {
      {"", "status", "", "check the server: up, head position and head hash", {}, RunStatus},
      {"patient",
       "register",
       "",
       "register a patient",
       {{"id", kValue, "ID", "patient id", true},
        {"family", kValue, "NAME", "family name", true},
        {"given", kValue, "NAME", "given name", true},
        {"birth-date", kValue, "YYYY-MM-DD", "birth date", true}},
       RunPatientRegister},
      {"coverage",
       "add",
       "",
       "add a coverage (payer plan) to a patient",
       {kPatientIdFlag,
        {"id", kValue, "ID", "coverage id", true},
        {"payer", kValue, "ID", "payer id", true},
        {"payer-name", kValue, "NAME", "payer name", true},
        {"member-id", kValue, "ID", "member id", true},
        {"rank", kValue, "N", "1 primary, 2 secondary, 3 tertiary", true},
        {"from", kValue, "YYYY-MM-DD", "first day in force", true},
        {"to", kValue, "YYYY-MM-DD", "last day in force (default: open ended)"}},
       RunCoverageAdd},
      {"coverage",
       "end",
       "",
       "end a coverage",
       {kPatientIdFlag,
        {"id", kValue, "ID", "coverage id", true},
        {"to", kValue, "YYYY-MM-DD", "last day in force", true}},
       RunCoverageEnd},
      {"encounter",
       "open",
       "",
       "open an encounter (one visit)",
       {kEncounterIdFlag,
        kPatientIdFlag,
        {"rendering-npi", kValue, "NPI", "rendering provider NPI", true},
        {"billing-npi", kValue, "NPI", "billing provider NPI", true},
        {"date", kValue, "YYYY-MM-DD", "date of service", true},
        {"pos", kValue, "NN", "place of service (2 digits)", true}},
       RunEncounterOpen},
      {"encounter",
       "diagnose",
       "",
       "record ICD-10-CM diagnoses (appended in order; pointers count from 1)",
       {kEncounterIdFlag,
        {"icd10", kRepeated, "CODE", "ICD-10-CM code, e.g. E11.9", true}},
       RunEncounterDiagnose},
      {"encounter",
       "charge",
       "",
       "record a charge line (exactly one of --cpt / --hcpcs)",
       {kEncounterIdFlag,
        {"line", kValue, "N", "line number (1-based)", true},
        {"cpt", kValue, "CODE", "CPT code"},
        {"hcpcs", kValue, "CODE", "HCPCS Level II code"},
        {"modifier", kRepeated, "MM", "procedure modifier (at most 4)"},
        {"units", kValue, "N", "units (default 1)"},
        {"amount", kValue, "DOLLARS", "charge amount, e.g. 150.00", true},
        {"dx", kRepeated, "N,N", "diagnosis pointers, e.g. 1,2"}},
       RunEncounterCharge},
      {"encounter",
       "void-charge",
       "",
       "void a charge line",
       {kEncounterIdFlag,
        {"line", kValue, "N", "line number", true},
        {"reason", kValue, "TEXT", "why the line is voided", true}},
       RunEncounterVoidCharge},
      {"encounter",
       "complete",
       "",
       "complete coding of an encounter",
       {kEncounterIdFlag},
       RunEncounterComplete},
      {"claim",
       "create",
       "",
       "create a claim for an encounter's coded charges, billed to one coverage",
       {kClaimIdFlag,
        {"encounter", kValue, "ID", "encounter id", true},
        {"coverage", kValue, "ID", "coverage id (of the encounter's patient)", true}},
       RunClaimCreate},
      {"claim",
       "scrub",
       "",
       "run the scrubbing edits on a claim; prints passed/failed and each edit",
       {kClaimIdFlag},
       RunClaimScrub},
      {"claim",
       "submit",
       "",
       "submit a scrubbed claim to its payer",
       {kClaimIdFlag, {"batch", kValue, "ID", "batch id"}},
       RunClaimSubmit},
      {"claim",
       "ack",
       "",
       "acknowledge a submitted claim (exactly one of --accepted / --rejected)",
       {kClaimIdFlag,
        {"accepted", kBool, "", "the payer accepted the claim"},
        {"rejected", kBool, "", "the payer rejected the claim (front-end rejection)"},
        {"reason", kValue, "TEXT", "why it was rejected (required with --rejected)"}},
       RunClaimAck},
      {"claim",
       "replace",
       "",
       "create a replacement claim (frequency 7) of a submitted claim",
       {{"id", kValue, "ID", "replacement claim id", true},
        {"original", kValue, "ID", "the claim it replaces", true},
        kPayerClaimNumberFlag},
       RunClaimReplace},
      {"claim",
       "void",
       "",
       "create a void claim (frequency 8) of a submitted claim",
       {{"id", kValue, "ID", "void claim id", true},
        {"original", kValue, "ID", "the claim it voids", true},
        kPayerClaimNumberFlag},
       RunClaimVoid},
      {"claim",
       "adjudicate",
       "",
       "post a payer's adjudication of a claim under a remittance (--line and/or --claim-adj)",
       {kClaimIdFlag,
        {"remit", kValue, "ID", "remittance id", true},
        kPayerClaimNumberFlag,
        {"status", kValue, "STATUS", "primary, secondary, tertiary, denied or predetermination",
         true},
        {"line", kRepeated, "SPEC",
         "N:paid=AMT:allowed=AMT:adj=GROUP-CARC[-RARC]:AMT..., e.g. "
         "1:paid=450.00:allowed=750.00:adj=CO-45:50.00:adj=PR-1:300.00"},
        {"claim-adj", kRepeated, "GROUP-CARC:AMT", "claim-level adjustment, e.g. CO-45:10.00"}},
       RunClaimAdjudicate},
      {"claim",
       "reverse",
       "",
       "reverse the adjudication in force (835 CLP02=22) under a remittance",
       {kClaimIdFlag,
        {"remit", kValue, "ID", "the remittance carrying the reversal", true}},
       RunClaimReverse},
      {"claim",
       "adjust",
       "",
       "a manual adjustment of a claim's payer balance (positive reduces it)",
       {kClaimIdFlag,
        {"group", kValue, "GROUP", "CO, OA, PI or CR", true},
        {"reason", kValue, "CARC", "reason code, e.g. 45", true},
        {"amount", kValue, "DOLLARS", "signed amount, e.g. 10.00 or -5.00", true},
        {"note", kValue, "TEXT", "why"}},
       RunClaimAdjust},
      {"claim",
       "write-off",
       "",
       "write off part of a claim's payer or patient balance",
       {kClaimIdFlag,
        {"reason", kValue, "REASON",
         "contractual, small_balance, bad_debt, charity, timely_filing or administrative", true},
        {"amount", kValue, "DOLLARS", "amount, e.g. 4.00", true},
        {"side", kValue, "SIDE",
         "payer or patient (default: payer for contractual, timely_filing, administrative)"},
        {"note", kValue, "TEXT", "why"}},
       RunClaimWriteOff},
      {"claim",
       "show",
       "",
       "a claim's state and balances (GetClaim), optionally as of a log position",
       {kClaimIdFlag,
        {"as-of", kValue, "POS", "log position (default: now)"}},
       RunClaimShow},
      {"claim",
       "denials",
       "",
       "claims with a denial in force (denied, or denied lines held in payer AR)",
       {{"limit", kValue, "N", "at most N claims (default 100, at most 1000)"}},
       RunClaimDenials},
      {"remit",
       "record",
       "",
       "record a remittance (one payer payment: check, EFT or none)",
       {{"id", kValue, "ID", "remittance id", true},
        {"payer", kValue, "ID", "payer id, e.g. 87726", true},
        {"trace", kValue, "TRN", "trace (check or EFT) number", true},
        {"method", kValue, "METHOD", "CHK, ACH or NON", true},
        {"amount", kValue, "DOLLARS", "total paid, e.g. 945.00", true},
        {"date", kValue, "YYYY-MM-DD", "paid date", true}},
       RunRemitRecord},
      {"remit",
       "provider-adjustment",
       "",
       "a provider-level adjustment (835 PLB) of a remittance; positive reduces the payment",
       {{"id", kValue, "ID", "remittance id", true},
        {"reason", kValue, "CODE", "PLB reason, e.g. L6 interest, WO recoupment, FB", true},
        {"amount", kValue, "DOLLARS", "signed amount, e.g. -12.34", true},
        {"reference", kValue, "REF", "reference identifier"}},
       RunRemitProviderAdjustment},
      {"appeal",
       "file",
       "",
       "file an appeal of a claim's denial",
       {{"id", kValue, "ID", "appeal id", true},
        {"claim", kValue, "ID", "claim id", true},
        {"level", kValue, "N", "1, 2 or 3", true},
        {"reason", kValue, "TEXT", "grounds of the appeal", true},
        {"deadline", kValue, "YYYY-MM-DD", "filing deadline"},
        {"filed", kValue, "YYYY-MM-DD", "filed date (default: today)"}},
       RunAppealFile},
      {"appeal",
       "decide",
       "",
       "record the payer's decision on an appeal",
       {{"id", kValue, "ID", "appeal id", true},
        {"outcome", kValue, "OUTCOME", "overturned, upheld or partial", true},
        {"date", kValue, "YYYY-MM-DD", "decided date (default: today)"}},
       RunAppealDecide},
      {"patient",
       "pay",
       "",
       "receive a patient payment (applied to --claim in order, else oldest balance first)",
       {kPatientIdFlag,
        {"id", kValue, "ID", "payment id", true},
        {"amount", kValue, "DOLLARS", "amount, e.g. 300.00", true},
        {"method", kValue, "METHOD", "card, cash, check, ...", true},
        {"claim", kRepeated, "ID", "apply to this claim"},
        {"date", kValue, "YYYY-MM-DD", "received date (default: today)"}},
       RunPatientPay},
      {"patient",
       "statement",
       "",
       "issue a patient statement and print its lines and balance",
       {kPatientIdFlag,
        {"date", kValue, "YYYY-MM-DD", "statement date (default: today)"}},
       RunPatientStatement},
      {"patient",
       "refund",
       "",
       "refund part of a patient's credit balance",
       {kPatientIdFlag,
        {"amount", kValue, "DOLLARS", "amount, e.g. 20.00", true},
        {"id", kValue, "ID", "refund id"}},
       RunPatientRefund},
      {"",
       "demo",
       "",
       "generate a realistic, deterministic practice workload through the API",
       {{"seed", kValue, "N", "random seed (default 1); the same seed gives the same commands"},
        {"patients", kValue, "N", "patients, 1..10000 (default 100)"},
        {"days", kValue, "N", "days of visits, 1..365 (default 30)"},
        {"end", kValue, "YYYY-MM-DD", "last date of service (default: 3 days before today)"}},
       RunDemoCommand},
      {"stream",
       "read",
       "STREAM",
       "read a stream's events, e.g. encounter-E1",
       {{"from", kValue, "VERSION", "first version (default: 0, or the last when --backward)"},
        {"backward", kBool, "", "read backward"},
        kReadLimitFlag},
       RunStreamRead},
      {"log",
       "read",
       "",
       "read the tenant's log",
       {{"from", kValue, "POS", "first position (default: the start)"},
        kReadLimitFlag,
        kStreamPrefixFlag,
        kEventTypeFlag},
       RunLogRead},
      {"log",
       "tail",
       "",
       "follow the log live (until --count events or Ctrl-C)",
       {{"from", kValue, "POS", "first position (default: after the current head)"},
        {"count", kValue, "N", "stop after N events"},
        kStreamPrefixFlag,
        kEventTypeFlag},
       RunLogTail},
      {"log", "head", "", "the log head: position and hash", {}, RunLogHead},
      {"log",
       "verify",
       "",
       "verify the hash chain (exit 1 naming the first bad position)",
       {{"from", kValue, "POS", "first position (default 1)"},
        {"to", kValue, "POS", "last position (default: the head)"}},
       RunLogVerify},
      {"log",
       "digest",
       "",
       "a digest (position + hash) an auditor can keep",
       {{"position", kValue, "POS", "position (default: the head)"}},
       RunLogDigest},
  };
  return commands;
}

std::string CommandUsage(const CommandDef& c) {
  std::string usage = absl::StrCat("rcl ", c.group, c.group.empty() ? "" : " ", c.name);
  if (!c.positional.empty()) absl::StrAppend(&usage, " ", c.positional);
  if (!c.flags.empty()) absl::StrAppend(&usage, " [flags]");
  return usage;
}

std::string CommandHelp(const CommandDef& c) {
  std::string out = absl::StrCat("Usage: ", CommandUsage(c), "\n  ", c.summary, "\n");
  if (!c.flags.empty()) absl::StrAppend(&out, "\nFlags:\n", FormatFlagHelp(c.flags));
  absl::StrAppend(&out, "\nGlobal flags:\n", FormatFlagHelp(GlobalFlags()));
  return out;
}

std::string GroupHelp(absl::string_view group) {
  std::string out = absl::StrCat("Usage: rcl ", group, " <command> [flags]\n\nCommands:\n");
  for (const CommandDef& c : Commands()) {
    if (c.group != group) continue;
    absl::StrAppend(&out, "\n  ", CommandUsage(c), "\n      ", c.summary, "\n");
    if (!c.flags.empty()) {
      for (absl::string_view line :
           absl::StrSplit(FormatFlagHelp(c.flags), '\n', absl::SkipEmpty())) {
        absl::StrAppend(&out, "    ", line, "\n");
      }
    }
  }
  absl::StrAppend(&out, "\nGlobal flags:\n", FormatFlagHelp(GlobalFlags()));
  return out;
}

std::string TopHelp() {
  std::string out =
      "rcl: command line of the RCL revenue-cycle ledger\n\n"
      "Usage: rcl [global flags] <command> [flags]\n\nCommands:\n";
  size_t width = 0;
  for (const CommandDef& c : Commands()) width = std::max(width, CommandUsage(c).size());
  for (const CommandDef& c : Commands()) {
    std::string usage = CommandUsage(c);
    absl::StrAppend(&out, "  ", usage, std::string(width - usage.size() + 2, ' '), c.summary, "\n");
  }
  absl::StrAppend(&out, "\nGlobal flags (before or after the command):\n",
                  FormatFlagHelp(GlobalFlags()),
                  "\nRun \"rcl <group> --help\" or \"rcl <group> <command> --help\" for the "
                  "flags of a command.\n"
                  "Exit status: 0 ok, 1 server error, 2 usage error.\n");
  return out;
}

bool IsGroup(absl::string_view word) {
  for (const CommandDef& c : Commands()) {
    if (!c.group.empty() && c.group == word) return true;
  }
  return false;
}

const CommandDef* FindCommand(absl::string_view group, absl::string_view name) {
  for (const CommandDef& c : Commands()) {
    if (c.group == group && c.name == name) return &c;
  }
  return nullptr;
}

std::string EnvOr(const char* name, absl::string_view fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

// What main() prints and returns.
struct Outcome {
  int exit_code = 0;
  std::string out;  // stdout
  std::string err;  // stderr (one line on failure)
};

Outcome Fail(const absl::Status& status, bool json) {
  Outcome o;
  bool usage = IsUsage(status);
  o.exit_code = usage ? 2 : 1;
  std::string message = OneLine(status.message());
  o.err = usage ? absl::StrCat("rcl: ", message, "\n")
                : absl::StrCat("rcl: ", CodeName(status.code()), ": ", message, "\n");
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("error").BeginObject();
    w.Key("code").String(usage ? "USAGE" : absl::StatusCodeToString(status.code()));
    w.Key("message").String(status.message());
    w.Key("exit_code").Int(o.exit_code);
    w.Key("field_violations").BeginArray();
    for (const auto& [field, description] : client::FieldViolationsOf(status)) {
      w.BeginObject().Key("field").String(field).Key("description").String(description);
      w.EndObject();
    }
    w.EndArray().EndObject().EndObject();
    o.out = absl::StrCat(w.str(), "\n");
  }
  return o;
}

Outcome Run(const std::vector<std::string>& args) {
  // Global flags may precede the command words.
  bool json_hint = false;
  for (const std::string& a : args) json_hint |= (a == "--json" || a == "--json=true");
  std::vector<std::string> leading;
  size_t i = 0;
  while (i < args.size() && !args[i].empty() && args[i][0] == '-') {
    absl::string_view body(args[i]);
    if (body == "-h") body = "--help";
    if (body.substr(0, 2) != "--" || body == "--") break;
    body.remove_prefix(2);
    absl::string_view name = body.substr(0, body.find('='));
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : GlobalFlags()) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      return Fail(UsageError(absl::StrCat("unknown global flag --", OneLine(name.substr(0, 64)),
                                          " (command flags go after the command)")),
                  json_hint);
    }
    leading.push_back(args[i++]);
    if (spec->kind != kBool && body.find('=') == absl::string_view::npos && i < args.size()) {
      leading.push_back(args[i++]);
    }
  }
  auto has_help = [&](size_t from) {
    for (size_t k = 0; k < leading.size(); ++k) {
      if (leading[k] == "--help" || leading[k] == "-h") return true;
    }
    for (size_t k = from; k < args.size(); ++k) {
      if (args[k] == "--help" || args[k] == "-h") return true;
    }
    return false;
  };
  if (i >= args.size()) {
    if (has_help(i)) return Outcome{0, TopHelp(), ""};
    return Fail(UsageError("missing command (see rcl --help)"), json_hint);
  }
  absl::string_view word = args[i];
  if (word == "help") return Outcome{0, TopHelp(), ""};
  const CommandDef* command = FindCommand("", word);
  size_t rest = i + 1;
  if (command == nullptr) {
    if (!IsGroup(word)) {
      return Fail(UsageError(absl::StrCat("unknown command ", OneLine(word.substr(0, 64)),
                                          " (see rcl --help)")),
                  json_hint);
    }
    if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1][0] == '-' ||
        args[i + 1] == "help") {
      if (has_help(i + 1) || (i + 1 < args.size() && args[i + 1] == "help")) {
        return Outcome{0, GroupHelp(word), ""};
      }
      return Fail(UsageError(absl::StrCat(word, ": missing command (see rcl ", word, " --help)")),
                  json_hint);
    }
    command = FindCommand(word, args[i + 1]);
    if (command == nullptr) {
      return Fail(
          UsageError(absl::StrCat("unknown command ", word, " ", OneLine(args[i + 1].substr(0, 64)),
                                  " (see rcl ", word, " --help)")),
          json_hint);
    }
    rest = i + 2;
  }
  if (has_help(rest)) return Outcome{0, CommandHelp(*command), ""};

  std::vector<std::string> flag_args = leading;
  flag_args.insert(flag_args.end(), args.begin() + static_cast<std::ptrdiff_t>(rest), args.end());
  std::vector<FlagSpec> specs = GlobalFlags();
  specs.insert(specs.end(), command->flags.begin(), command->flags.end());
  absl::StatusOr<ParsedArgs> parsed = ParseFlags(flag_args, specs);
  if (!parsed.ok()) return Fail(Usage(parsed.status()), json_hint);
  bool json = parsed->Has("json");
  size_t want = command->positional.empty() ? 0 : 1;
  if (parsed->positional().size() != want) {
    std::string usage = CommandUsage(*command);
    if (parsed->positional().size() < want) {
      return Fail(
          UsageError(absl::StrCat("missing ", command->positional, " (usage: ", usage, ")")), json);
    }
    return Fail(UsageError(absl::StrCat("unexpected argument ",
                                        OneLine(parsed->positional()[want].substr(0, 64)),
                                        " (usage: ", usage, ")")),
                json);
  }
  if (absl::Status s = CheckRequired(*parsed, command->flags); !s.ok()) {
    return Fail(Usage(s), json);
  }
  std::string server = parsed->ValueOr("server", EnvOr("RCL_SERVER", kDefaultServer));
  std::string tenant = parsed->ValueOr("tenant", EnvOr("RCL_TENANT", kDefaultTenant));
  if (server.empty()) return Fail(UsageError("--server: must not be empty"), json);
  if (tenant.empty()) return Fail(UsageError("--tenant: must not be empty"), json);

  Invocation inv(std::move(*parsed), std::move(server), std::move(tenant));
  absl::Status status = command->run(inv);
  if (!status.ok()) {
    Outcome failed = Fail(status, json);
    // A command may have written its own JSON result before failing (log
    // verify on a broken chain): keep that as the one object on stdout.
    if (json && !inv.out().empty()) failed.out = std::move(inv.out());
    return failed;
  }
  return Outcome{0, std::move(inv.out()), ""};
}

}  // namespace
}  // namespace rcl::cli

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  rcl::cli::Outcome outcome = rcl::cli::Run(args);
  if (!outcome.out.empty()) {
    fwrite(outcome.out.data(), 1, outcome.out.size(), stdout);
  }
  fflush(stdout);
  if (!outcome.err.empty()) {
    fwrite(outcome.err.data(), 1, outcome.err.size(), stderr);
  }
  fflush(stderr);
  return outcome.exit_code;
}
