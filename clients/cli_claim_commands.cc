// `rcl claim`: claims to cash for one claim: create, scrub, submit,
// acknowledge, replace and void (frequency 7 and 8), adjudicate and reverse,
// manual adjustments and write-offs, and the reads `claim show` and
// `claim denials`. The server-independent parsing of their flags and the
// rendering of a claim view are in cli_claims.h.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "clients/cli_claims.h"
#include "clients/cli_command.h"
#include "clients/report_output.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

constexpr FlagSpec kClaimIdFlag = {"id", kValue, "ID", "claim id", true};
constexpr FlagSpec kPayerClaimNumberFlag = {"payer-claim-number", kValue, "PCN",
                                            "the payer's claim control number", true};

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
  return PrintWriteAndEvent<rcl::v1::ClaimScrubbed>(
      inv, **client, *r, absl::StrCat("claim-", cmd.claim_id()), AppendScrubJson, ScrubText);
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
  if (accepted == rejected)
    return UsageError("exactly one of --accepted or --rejected is required");
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
  return DoWrite(inv,
                 [&](Client& c, const CommandOptions& o) { return c.ReverseAdjudication(cmd, o); });
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
// denied lines in payer AR, from the denials work queue (ReportService.
// Denials, the same as `rcl work denials`). Unless --min-position says
// otherwise it waits for the log head, so it is as current as a read of the
// claims.
absl::Status RunClaimDenials(Invocation& inv) {
  constexpr uint64_t kDenialsMax = 1000;
  absl::StatusOr<uint64_t> limit = UintFlag(inv, "limit", 100, kDenialsMax);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<uint64_t> min_position = UintFlag(inv, "min-position", 0);
  if (!min_position.ok()) return min_position.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  rcl::v1::DenialsRequest request;
  request.set_limit(static_cast<uint32_t>(*limit));
  request.set_min_position(*min_position);
  if (!inv.args().Value("min-position").has_value()) {
    absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
    if (!head.ok()) return head.status();
    request.set_min_position(head->position());
  }
  absl::StatusOr<rcl::v1::DenialsResponse> denials = (*client)->Denials(request);
  if (!denials.ok()) return denials.status();
  if (inv.json()) {
    JsonWriter w;
    WriteClaimDenialsJson(*denials, &w);
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), ClaimDenialsTable(*denials));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandDef> ClaimCommands() {
  return {
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
       {kClaimIdFlag, {"remit", kValue, "ID", "the remittance carrying the reversal", true}},
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
       {kClaimIdFlag, {"as-of", kValue, "POS", "log position (default: now)"}},
       RunClaimShow},
      {"claim",
       "denials",
       "",
       "claims with a denial in force (denied, or denied lines held in payer AR)",
       {{"limit", kValue, "N", "at most N claims (default 100, at most 1000)"},
        {"min-position", kValue, "N",
         "wait until the denials queue has folded log position N (default: the head)"}},
       RunClaimDenials},
  };
}

}  // namespace rcl::cli
