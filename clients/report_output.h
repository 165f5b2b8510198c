// The output of the report commands of `rcl` (cli_reports.cc), free of any
// server so tests/clients can check it: for each ReportService answer a
// table for people (money as dollars, rcl::FormatCents), one JSON object for
// programs (integer cents) and CSV for spreadsheets (a header row, RFC 4180
// quoting, integer cents); the AR aging report as a stacked bar chart (SVG);
// the lines `rcl projections rebuild` draws while it waits; and the strict
// parser of the dates report flags take.
#ifndef RCL_CLIENTS_REPORT_OUTPUT_H_
#define RCL_CLIENTS_REPORT_OUTPUT_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clients/cli_output.h"
#include "rcl/v1/reports.pb.h"

namespace rcl::cli {

// A civil date "YYYY-MM-DD" (exactly that shape, a real day: no 2026-02-30).
// INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<std::string> ParseDateFlag(absl::string_view flag, absl::string_view text);

// ---------------------------------------------------------------------------
// CSV (RFC 4180): fields holding a comma, a quote, CR or LF are quoted, with
// quotes doubled; rows end in CRLF.

std::string CsvField(absl::string_view text);
std::string CsvRow(const std::vector<std::string>& fields);

// "$1,234" (whole dollars, thousands separated; negative "-$5"): axis labels.
std::string DollarsLabel(int64_t cents);

// ---------------------------------------------------------------------------
// Balances: JSON has every amount at the top level plus scope, key and
// as_of_position; CSV is a header row and one row (scope, key, the amounts,
// claims, as_of_position).

void WriteBalancesJson(const rcl::v1::BalancesResponse& r, JsonWriter* w);
std::string BalancesTable(const rcl::v1::BalancesResponse& r);
std::string BalancesCsv(const rcl::v1::BalancesResponse& r);

// ---------------------------------------------------------------------------
// Trial balance: {"accounts":[{"account","balance_cents"}],"total_cents",
// "as_of_position","as_of_date"}; CSV account,balance_cents.

void WriteTrialBalanceJson(const rcl::v1::TrialBalanceResponse& r, JsonWriter* w);
std::string TrialBalanceTable(const rcl::v1::TrialBalanceResponse& r);
std::string TrialBalanceCsv(const rcl::v1::TrialBalanceResponse& r);

// ---------------------------------------------------------------------------
// AR aging: `r` holds every page fetched (rows concatenated); `truncated`
// says the row cap stopped the fetching early. `by` is "payer" or
// "patient", `basis` "dos" or "submission".

struct AgingView {
  const rcl::v1::ArAgingResponse* response = nullptr;
  std::string by = "payer";
  std::string basis = "dos";
  bool truncated = false;
};

// {"buckets":[{"label","amount_cents"}],"rows":[{"key","buckets","total_cents",
// "credit_cents"}],"total_cents","credit_total_cents","as_of_position",
// "as_of_date","by","basis","truncated"}
void WriteAgingJson(const AgingView& v, JsonWriter* w);
// A row per key, then a rule and the totals line ("total" and the five
// bucket totals, the total and the credit total), then the as-of line.
std::string AgingTable(const AgingView& v);
// key,0-30,31-60,61-90,91-120,121+,total_cents,credit_cents
std::string AgingCsv(const AgingView& v);

// A standalone SVG: one stacked bar per key (the `max_bars` - 1 largest by
// total, the rest summed as "other" when there are more than `max_bars`),
// stacked by the five buckets, with a legend, a dollar axis and a title
// naming the side, as-of date and basis. Exactly one <rect> per non-zero
// bucket segment (nothing else is drawn with <rect>); text is XML-escaped.
std::string AgingSvg(const AgingView& v, int max_bars = 30);

// ---------------------------------------------------------------------------
// Work queues. Each JSON object carries its rows array, "count" and
// "as_of_position" (and "as_of_date" where the answer has one, and
// "truncated").

void WriteDenialsJson(const rcl::v1::DenialsResponse& r, bool truncated, JsonWriter* w);
std::string DenialsTable(const rcl::v1::DenialsResponse& r, bool truncated);
std::string DenialsCsv(const rcl::v1::DenialsResponse& r);
// `rcl claim denials`: the columns and JSON keys it had before the Denials
// RPC (claim_id, status, payer_id, date_of_service, denied, denied_cents,
// payer_balance_cents, open_appeals; count), plus as_of_position.
void WriteClaimDenialsJson(const rcl::v1::DenialsResponse& r, JsonWriter* w);
std::string ClaimDenialsTable(const rcl::v1::DenialsResponse& r);

void WriteAppealsDueJson(const rcl::v1::AppealsDueResponse& r, bool truncated, JsonWriter* w);
std::string AppealsDueTable(const rcl::v1::AppealsDueResponse& r, bool truncated);
std::string AppealsDueCsv(const rcl::v1::AppealsDueResponse& r);

void WriteNoResponseJson(const rcl::v1::NoResponseResponse& r, bool truncated, JsonWriter* w);
std::string NoResponseTable(const rcl::v1::NoResponseResponse& r, bool truncated);
std::string NoResponseCsv(const rcl::v1::NoResponseResponse& r);

void WriteStatementsDueJson(const rcl::v1::StatementsDueResponse& r, bool truncated, JsonWriter* w);
std::string StatementsDueTable(const rcl::v1::StatementsDueResponse& r, bool truncated);
std::string StatementsDueCsv(const rcl::v1::StatementsDueResponse& r);

// ---------------------------------------------------------------------------
// Projections.

// {"projections":[{"name","checkpoint","lag","events_per_s","state_bytes",
// "state","error","generation","rebuilding","rebuild_checkpoint",
// "rebuild_target"}],"head"}
void WriteProjectionStatusJson(const rcl::v1::ProjectionStatusResponse& r, JsonWriter* w);
std::string ProjectionStatusTable(const rcl::v1::ProjectionStatusResponse& r);
std::string ProjectionStatusCsv(const rcl::v1::ProjectionStatusResponse& r);

// How far a long job is - a projection rebuild, an 835 import - for the
// progress lines below: `done` of `total` `unit` (total 0: unknown), at
// `events_per_s` of them a second.
struct WorkProgress {
  std::string name;
  uint64_t done = 0;
  uint64_t total = 0;
  double events_per_s = 0;
  std::string unit = "events";  // what done and total count
  std::string rate_unit = "ev/s";
  std::string verb = "rebuild";  // the plain line's first word ("" for none)
};

// The terminal line (no "\r"): "balances [#####.....]  50.0%  1,234 ev/s  ETA 12s".
// Unknown total: "balances [?????...]  ?%  1,234 events  1,234 ev/s".
std::string ProgressBarLine(const WorkProgress& p, int width = 30);
// The line printed once a second when the output is no terminal:
// "rebuild balances: 50.0% (500/1000 events, 1234 ev/s)".
std::string ProgressPlainLine(const WorkProgress& p);

// Where progress lines go: `stream` (none: nowhere), redrawn in place when
// it is a terminal, one line each otherwise. MakeProgressSink: without
// --json, `plain` (stdout for a rebuild, stderr for an import); with --json
// (stdout is one object) stderr when that is a terminal, else nowhere.
struct ProgressSink {
  FILE* stream = nullptr;
  bool terminal = false;
  bool drew_bar = false;

  void Draw(const std::string& line);
  // Ends a redrawn line.
  void Finish();
};
ProgressSink MakeProgressSink(bool json, FILE* plain = stdout);

// "rebuilt balances: 1000 events in 2.5 s (400 events/s), generation 3"
std::string RebuildDoneLine(absl::string_view name, uint64_t events, double seconds,
                            uint64_t generation);

}  // namespace rcl::cli

#endif  // RCL_CLIENTS_REPORT_OUTPUT_H_
