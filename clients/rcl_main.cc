// rcl: the command line of the RCL revenue-cycle ledger.
//
//   rcl [global flags] <group> <command> [flags]     e.g. rcl encounter charge --id E1 ...
//
// Exit codes: 0 success, 1 server (or connection) error, 2 usage error. On
// failure exactly one line goes to stderr ("rcl: invalid argument: cpt: ...").
// With --json, stdout holds exactly one JSON object (on failure:
// {"error":{...}}).
//
// This file is the dispatcher: the command table (assembled from the
// per-group tables of cli_command.h), help, finding the command, parsing its
// flags and reporting its outcome. The commands are in the cli_<group>.cc
// files.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "clients/cli_args.h"
#include "clients/cli_command.h"
#include "clients/cli_output.h"
#include "clients/client.h"

namespace rcl::cli {
namespace {

constexpr absl::string_view kDefaultServer = "127.0.0.1:50051";
constexpr absl::string_view kDefaultTenant = "default";

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::AsciiStrToLower(absl::StatusCodeToString(code));
  for (char& c : name) {
    if (c == '_') c = ' ';
  }
  return name;
}

// ---------------------------------------------------------------------------
// The command table.

const std::vector<CommandDef>& Commands() {
  static const std::vector<CommandDef> commands = [] {
    std::vector<CommandDef> all;
    // The order of `rcl --help`.
    for (std::vector<CommandDef> (*group)() :
         {StatusCommands, PatientRegistrationCommands, EncounterCommands, ClaimCommands,
          RemitCommands, X12Commands, AppealCommands, PatientAccountCommands, HistoryCommands,
          ReportCommands, BatchCommands, DemoCommands, LogCommands, AuditCommands, AdminCommands}) {
      for (CommandDef& c : group()) all.push_back(std::move(c));
    }
    return all;
  }();
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

// The global flags that precede the command words, copied to *leading (with
// their values); returns the index of the first command word.
absl::StatusOr<size_t> LeadingGlobalFlags(const std::vector<std::string>& args,
                                          std::vector<std::string>* leading) {
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
      return UsageError(absl::StrCat("unknown global flag --", OneLine(name.substr(0, 64)),
                                     " (command flags go after the command)"));
    }
    leading->push_back(args[i++]);
    if (spec->kind != kBool && body.find('=') == absl::string_view::npos && i < args.size()) {
      leading->push_back(args[i++]);
    }
  }
  return i;
}

// Whether --help (or -h) is among the leading global flags or args[from..].
bool HasHelp(const std::vector<std::string>& leading, const std::vector<std::string>& args,
             size_t from) {
  for (size_t k = 0; k < leading.size(); ++k) {
    if (leading[k] == "--help" || leading[k] == "-h") return true;
  }
  for (size_t k = from; k < args.size(); ++k) {
    if (args[k] == "--help" || args[k] == "-h") return true;
  }
  return false;
}

// The command named by the words at args[i] (and args[i + 1] for a group),
// and the index of its first flag; or, when they name no command to run,
// the outcome: help or a usage error.
struct Resolved {
  const CommandDef* command = nullptr;
  size_t rest = 0;
  Outcome outcome;
};

Resolved ResolveCommand(const std::vector<std::string>& args, size_t i,
                        const std::vector<std::string>& leading, bool json_hint) {
  auto done = [](Outcome o) { return Resolved{nullptr, 0, std::move(o)}; };
  if (i >= args.size()) {
    if (HasHelp(leading, args, i)) return done(Outcome{0, TopHelp(), ""});
    return done(Fail(UsageError("missing command (see rcl --help)"), json_hint));
  }
  absl::string_view word = args[i];
  if (word == "help") return done(Outcome{0, TopHelp(), ""});
  if (const CommandDef* command = FindCommand("", word); command != nullptr) {
    return Resolved{command, i + 1, {}};
  }
  if (!IsGroup(word)) {
    return done(Fail(UsageError(absl::StrCat("unknown command ", OneLine(word.substr(0, 64)),
                                             " (see rcl --help)")),
                     json_hint));
  }
  if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1][0] == '-' ||
      args[i + 1] == "help") {
    if (HasHelp(leading, args, i + 1) || (i + 1 < args.size() && args[i + 1] == "help")) {
      return done(Outcome{0, GroupHelp(word), ""});
    }
    return done(
        Fail(UsageError(absl::StrCat(word, ": missing command (see rcl ", word, " --help)")),
             json_hint));
  }
  const CommandDef* command = FindCommand(word, args[i + 1]);
  if (command == nullptr) {
    return done(Fail(
        UsageError(absl::StrCat("unknown command ", word, " ", OneLine(args[i + 1].substr(0, 64)),
                                " (see rcl ", word, " --help)")),
        json_hint));
  }
  return Resolved{command, i + 2, {}};
}

// Parses the command's flags (the leading global flags, then args[rest..]),
// checks them and runs the command.
Outcome RunCommand(const CommandDef& command, std::vector<std::string> flag_args, bool json_hint) {
  std::vector<FlagSpec> specs = GlobalFlags();
  specs.insert(specs.end(), command.flags.begin(), command.flags.end());
  absl::StatusOr<ParsedArgs> parsed = ParseFlags(flag_args, specs);
  if (!parsed.ok()) return Fail(Usage(parsed.status()), json_hint);
  bool json = parsed->Has("json");
  size_t want = command.positional.empty() ? 0 : 1;
  if (parsed->positional().size() != want) {
    std::string usage = CommandUsage(command);
    if (parsed->positional().size() < want) {
      return Fail(UsageError(absl::StrCat("missing ", command.positional, " (usage: ", usage, ")")),
                  json);
    }
    return Fail(UsageError(absl::StrCat("unexpected argument ",
                                        OneLine(parsed->positional()[want].substr(0, 64)),
                                        " (usage: ", usage, ")")),
                json);
  }
  if (absl::Status s = CheckRequired(*parsed, command.flags); !s.ok()) {
    return Fail(Usage(s), json);
  }
  std::string server = parsed->ValueOr("server", EnvOr("RCL_SERVER", kDefaultServer));
  std::string tenant = parsed->ValueOr("tenant", EnvOr("RCL_TENANT", kDefaultTenant));
  if (server.empty()) return Fail(UsageError("--server: must not be empty"), json);
  if (tenant.empty()) return Fail(UsageError("--tenant: must not be empty"), json);

  Invocation inv(std::move(*parsed), std::move(server), std::move(tenant));
  absl::Status status = command.run(inv);
  if (!status.ok()) {
    Outcome failed = Fail(status, json);
    // A command may have written its own JSON result before failing (log
    // verify on a broken chain): keep that as the one object on stdout.
    if (json && !inv.out().empty()) failed.out = std::move(inv.out());
    return failed;
  }
  return Outcome{0, std::move(inv.out()), ""};
}

Outcome Run(const std::vector<std::string>& args) {
  bool json_hint = false;
  for (const std::string& a : args) json_hint |= (a == "--json" || a == "--json=true");
  // Global flags may precede the command words.
  std::vector<std::string> leading;
  absl::StatusOr<size_t> first = LeadingGlobalFlags(args, &leading);
  if (!first.ok()) return Fail(first.status(), json_hint);
  Resolved resolved = ResolveCommand(args, *first, leading, json_hint);
  if (resolved.command == nullptr) return std::move(resolved.outcome);
  if (HasHelp(leading, args, resolved.rest)) return Outcome{0, CommandHelp(*resolved.command), ""};

  std::vector<std::string> flag_args = leading;
  flag_args.insert(flag_args.end(), args.begin() + static_cast<std::ptrdiff_t>(resolved.rest),
                   args.end());
  return RunCommand(*resolved.command, std::move(flag_args), json_hint);
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
