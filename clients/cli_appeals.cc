// `rcl appeal`: filing an appeal of a claim's denial and recording the
// payer's decision on it.
#include <string>
#include <vector>

#include "clients/cli_claims.h"
#include "clients/cli_command.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

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

}  // namespace

std::vector<CommandDef> AppealCommands() {
  return {
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
  };
}

}  // namespace rcl::cli
