// `rcl books`, `rcl ar`, `rcl work` and `rcl projections`: the reports of
// the ReportService (reports.proto) and the projections behind them.
//
// Every report takes --min-position (read-your-writes: the position a write
// returned), prints a table by default, one JSON object with the global
// --json and CSV (a header row, RFC 4180) with --csv. Reports that page are
// fetched page by page up to --limit rows (default 10,000) so the output is
// the whole report; a cut-off report says so ("truncated"). The rendering is
// in report_output.h, unit-tested without a server.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cli_command.h"
#include "clients/report_output.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;

constexpr uint64_t kRowCapDefault = 10'000;
constexpr uint64_t kRowCapMax = 1'000'000;
constexpr uint32_t kPageMax = 1000;  // the server's largest page

constexpr FlagSpec kMinPositionFlag = {
    "min-position", kValue, "N", "wait (at most 2 s) until the report has folded log position N"};
constexpr FlagSpec kCsvFlag = {"csv", kBool, "",
                               "print CSV (a header row, then the rows; cents as integers)"};
constexpr FlagSpec kAsOfFlag = {"as-of", kValue, "YYYY-MM-DD",
                                "as of this date (default: today, UTC)"};
constexpr FlagSpec kLimitFlag = {"limit", kValue, "N",
                                 "at most N rows, fetched page by page (default 10000)"};

enum class Format { kTable, kJson, kCsv };

absl::StatusOr<Format> OutputFormat(const Invocation& inv) {
  bool csv = inv.args().Has("csv");
  if (csv && inv.json()) return UsageError("--csv and --json exclude each other");
  if (csv) return Format::kCsv;
  return inv.json() ? Format::kJson : Format::kTable;
}

// The flags every report shares: the output format, --min-position, and
// --as-of when the report has it (validated; "" when not given).
struct ReportFlags {
  Format format = Format::kTable;
  uint64_t min_position = 0;
  std::string as_of;
};

absl::StatusOr<ReportFlags> CommonFlags(const Invocation& inv) {
  ReportFlags f;
  absl::StatusOr<Format> format = OutputFormat(inv);
  if (!format.ok()) return format.status();
  f.format = *format;
  absl::StatusOr<uint64_t> min_position = UintFlag(inv, "min-position", 0);
  if (!min_position.ok()) return min_position.status();
  f.min_position = *min_position;
  if (inv.args().Value("as-of").has_value()) {
    absl::StatusOr<std::string> date = ParseDateFlag("--as-of", Str(inv, "as-of"));
    if (!date.ok()) return Usage(date.status());
    f.as_of = *date;
  }
  return f;
}

// Prints a report in the chosen format.
template <typename JsonFn, typename TableFn, typename CsvFn>
void Emit(Invocation& inv, Format format, JsonFn json, TableFn table, CsvFn csv) {
  switch (format) {
    case Format::kJson: {
      JsonWriter w;
      json(&w);
      absl::StrAppend(&inv.out(), w.str(), "\n");
      break;
    }
    case Format::kCsv: absl::StrAppend(&inv.out(), csv()); break;
    case Format::kTable: absl::StrAppend(&inv.out(), table()); break;
  }
}

// Every page of a paged report, up to `cap` rows: the first answer with the
// rows of the later pages appended. Later pages ask for the first page's
// as_of_position, so no page is older than the first. *truncated says the
// cap stopped it before the last page.
template <typename Response, typename Request, typename Call, typename RowsOf>
absl::StatusOr<Response> FetchAll(Request request, uint64_t cap, bool* truncated, Call call,
                                  RowsOf rows_of) {
  Response all;
  *truncated = false;
  bool first = true;
  while (true) {
    uint64_t have = static_cast<uint64_t>(rows_of(all)->size());
    request.set_limit(static_cast<uint32_t>(std::min<uint64_t>(kPageMax, cap - have)));
    absl::StatusOr<Response> page = call(request);
    if (!page.ok()) return page.status();
    const bool empty_page = rows_of(*page)->empty();
    request.set_page_token(page->next_page_token());
    if (first) {
      all = *std::move(page);
      first = false;
      request.set_min_position(std::max<uint64_t>(request.min_position(), all.as_of_position()));
    } else {
      for (auto& row : *rows_of(*page)) *rows_of(all)->Add() = std::move(row);
    }
    all.clear_next_page_token();
    if (request.page_token().empty()) return all;
    if (static_cast<uint64_t>(rows_of(all)->size()) >= cap) {
      *truncated = true;
      return all;
    }
    // A page that brings nothing but promises more would loop forever.
    if (empty_page)
      return absl::InternalError("the server returned an empty page with a next_page_token");
  }
}

absl::StatusOr<uint64_t> RowCap(const Invocation& inv) {
  absl::StatusOr<uint64_t> cap = UintFlag(inv, "limit", kRowCapDefault, kRowCapMax);
  if (!cap.ok()) return cap.status();
  if (*cap == 0) return UsageError("--limit: must be at least 1");
  return *cap;
}

// --- books.

absl::Status RunTrialBalance(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  rcl::v1::TrialBalanceRequest request;
  request.set_as_of_date(f->as_of);
  request.set_min_position(f->min_position);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::TrialBalanceResponse> r = (*client)->TrialBalance(request);
  if (!r.ok()) return r.status();
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteTrialBalanceJson(*r, w); },
      [&] { return TrialBalanceTable(*r); }, [&] { return TrialBalanceCsv(*r); });
  return absl::OkStatus();
}

absl::Status RunBalances(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  int scopes = 0;
  for (const char* flag : {"claim", "patient", "payer"})
    scopes += inv.args().Value(flag).has_value() ? 1 : 0;
  if (scopes > 1)
    return UsageError("at most one of --claim, --patient or --payer (none: the whole tenant)");
  for (const char* flag : {"claim", "patient", "payer"}) {
    if (inv.args().Value(flag).has_value() && Str(inv, flag).empty()) {
      return UsageError(absl::StrCat("--", flag, ": must not be empty"));
    }
  }
  rcl::v1::BalancesRequest request;
  request.set_claim_id(Str(inv, "claim"));
  request.set_patient_id(Str(inv, "patient"));
  request.set_payer_id(Str(inv, "payer"));
  request.set_min_position(f->min_position);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::BalancesResponse> r = (*client)->Balances(request);
  if (!r.ok()) return r.status();
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteBalancesJson(*r, w); },
      [&] { return BalancesTable(*r); }, [&] { return BalancesCsv(*r); });
  return absl::OkStatus();
}

// --- ar aging.

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file << text;
  if (file) file.flush();
  if (!file) {
    return absl::PermissionDeniedError(
        absl::StrCat("--svg: cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RunAging(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  absl::StatusOr<uint64_t> cap = RowCap(inv);
  if (!cap.ok()) return cap.status();
  rcl::v1::ArAgingRequest request;
  request.set_as_of_date(f->as_of);
  request.set_min_position(f->min_position);
  AgingView view;
  view.basis = inv.args().ValueOr("basis", "dos");
  if (view.basis == "dos") {
    request.set_basis(rcl::v1::AGING_BASIS_DATE_OF_SERVICE);
  } else if (view.basis == "submission") {
    request.set_basis(rcl::v1::AGING_BASIS_SUBMISSION);
  } else {
    return UsageError(absl::StrCat("--basis: \"", OneLine(view.basis.substr(0, 32)),
                                   "\": must be dos or submission"));
  }
  view.by = inv.args().ValueOr("by", "payer");
  if (view.by == "payer") {
    request.set_side(rcl::v1::AGING_SIDE_PAYER);
  } else if (view.by == "patient") {
    request.set_side(rcl::v1::AGING_SIDE_PATIENT);
  } else {
    return UsageError(
        absl::StrCat("--by: \"", OneLine(view.by.substr(0, 32)), "\": must be payer or patient"));
  }
  std::string svg_path = Str(inv, "svg");
  if (inv.args().Value("svg").has_value() && svg_path.empty())
    return UsageError("--svg: must name a file");
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::ArAgingResponse> r = FetchAll<rcl::v1::ArAgingResponse>(
      request, *cap, &view.truncated,
      [&](const rcl::v1::ArAgingRequest& q) { return (*client)->ArAging(q); },
      [](rcl::v1::ArAgingResponse& a) { return a.mutable_rows(); });
  if (!r.ok()) return r.status();
  view.response = &*r;
  if (!svg_path.empty()) {
    if (absl::Status s = WriteFile(svg_path, AgingSvg(view)); !s.ok()) return s;
  }
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteAgingJson(view, w); },
      [&] {
        std::string table = AgingTable(view);
        if (!svg_path.empty()) absl::StrAppend(&table, "chart written to ", svg_path, "\n");
        return table;
      },
      [&] { return AgingCsv(view); });
  return absl::OkStatus();
}

// --- work queues.

absl::Status RunWorkDenials(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  absl::StatusOr<uint64_t> cap = RowCap(inv);
  if (!cap.ok()) return cap.status();
  rcl::v1::DenialsRequest request;
  request.set_payer_id(Str(inv, "payer"));
  request.set_reason_code(Str(inv, "reason"));
  request.set_min_position(f->min_position);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  bool truncated = false;
  absl::StatusOr<rcl::v1::DenialsResponse> r = FetchAll<rcl::v1::DenialsResponse>(
      request, *cap, &truncated,
      [&](const rcl::v1::DenialsRequest& q) { return (*client)->Denials(q); },
      [](rcl::v1::DenialsResponse& d) { return d.mutable_denials(); });
  if (!r.ok()) return r.status();
  r->set_count(static_cast<uint64_t>(r->denials_size()));
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteDenialsJson(*r, truncated, w); },
      [&] { return DenialsTable(*r, truncated); }, [&] { return DenialsCsv(*r); });
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> DaysFlag(const Invocation& inv, absl::string_view name) {
  absl::StatusOr<uint64_t> days = UintFlag(inv, name, 0, 36'500);
  if (!days.ok()) return days.status();
  return static_cast<uint32_t>(*days);
}

absl::Status RunAppealsDue(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  absl::StatusOr<uint64_t> cap = RowCap(inv);
  if (!cap.ok()) return cap.status();
  absl::StatusOr<uint32_t> within = DaysFlag(inv, "within");
  if (!within.ok()) return within.status();
  rcl::v1::AppealsDueRequest request;
  request.set_within_days(*within);
  request.set_as_of_date(f->as_of);
  request.set_min_position(f->min_position);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  bool truncated = false;
  absl::StatusOr<rcl::v1::AppealsDueResponse> r = FetchAll<rcl::v1::AppealsDueResponse>(
      request, *cap, &truncated,
      [&](const rcl::v1::AppealsDueRequest& q) { return (*client)->AppealsDue(q); },
      [](rcl::v1::AppealsDueResponse& a) { return a.mutable_appeals(); });
  if (!r.ok()) return r.status();
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteAppealsDueJson(*r, truncated, w); },
      [&] { return AppealsDueTable(*r, truncated); }, [&] { return AppealsDueCsv(*r); });
  return absl::OkStatus();
}

absl::Status RunNoResponse(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  absl::StatusOr<uint64_t> cap = RowCap(inv);
  if (!cap.ok()) return cap.status();
  absl::StatusOr<uint32_t> days = DaysFlag(inv, "days");
  if (!days.ok()) return days.status();
  rcl::v1::NoResponseRequest request;
  request.set_days(*days);
  request.set_as_of_date(f->as_of);
  request.set_min_position(f->min_position);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  bool truncated = false;
  absl::StatusOr<rcl::v1::NoResponseResponse> r = FetchAll<rcl::v1::NoResponseResponse>(
      request, *cap, &truncated,
      [&](const rcl::v1::NoResponseRequest& q) { return (*client)->NoResponse(q); },
      [](rcl::v1::NoResponseResponse& n) { return n.mutable_claims(); });
  if (!r.ok()) return r.status();
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteNoResponseJson(*r, truncated, w); },
      [&] { return NoResponseTable(*r, truncated); }, [&] { return NoResponseCsv(*r); });
  return absl::OkStatus();
}

absl::Status RunStatementsDue(Invocation& inv) {
  absl::StatusOr<ReportFlags> f = CommonFlags(inv);
  if (!f.ok()) return f.status();
  absl::StatusOr<uint64_t> cap = RowCap(inv);
  if (!cap.ok()) return cap.status();
  absl::StatusOr<uint32_t> days = DaysFlag(inv, "days");
  if (!days.ok()) return days.status();
  rcl::v1::StatementsDueRequest request;
  request.set_days(*days);
  request.set_as_of_date(f->as_of);
  request.set_min_position(f->min_position);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  bool truncated = false;
  absl::StatusOr<rcl::v1::StatementsDueResponse> r = FetchAll<rcl::v1::StatementsDueResponse>(
      request, *cap, &truncated,
      [&](const rcl::v1::StatementsDueRequest& q) { return (*client)->StatementsDue(q); },
      [](rcl::v1::StatementsDueResponse& s) { return s.mutable_patients(); });
  if (!r.ok()) return r.status();
  Emit(
      inv, f->format, [&](JsonWriter* w) { WriteStatementsDueJson(*r, truncated, w); },
      [&] { return StatementsDueTable(*r, truncated); }, [&] { return StatementsDueCsv(*r); });
  return absl::OkStatus();
}

// --- projections.

absl::Status RunProjectionStatus(Invocation& inv) {
  absl::StatusOr<Format> format = OutputFormat(inv);
  if (!format.ok()) return format.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::ProjectionStatusResponse> r = (*client)->ProjectionStatus();
  if (!r.ok()) return r.status();
  Emit(
      inv, *format, [&](JsonWriter* w) { WriteProjectionStatusJson(*r, w); },
      [&] { return ProjectionStatusTable(*r); }, [&] { return ProjectionStatusCsv(*r); });
  return absl::OkStatus();
}

const rcl::v1::ProjectionInfo* FindProjection(const rcl::v1::ProjectionStatusResponse& r,
                                              const std::string& name) {
  for (const rcl::v1::ProjectionInfo& p : r.projections()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

// Polls ProjectionStatus until the copy of `generation` is swapped in,
// drawing progress. Returns the seconds it took.
absl::StatusOr<double> WaitForRebuild(Client& client, const std::string& name,
                                      const rcl::v1::RebuildProjectionResponse& started,
                                      ProgressSink& sink) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPoll = std::chrono::milliseconds(200);
  constexpr auto kPlainEvery = std::chrono::seconds(1);
  constexpr auto kNotRebuildingGrace = std::chrono::seconds(5);
  const Clock::time_point start = Clock::now();
  Clock::time_point last_plain = start - kPlainEvery;
  bool idle = false;  // not rebuilding (yet, or any more) since idle_since
  Clock::time_point idle_since = start;
  auto seconds = [&start] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  while (true) {
    std::this_thread::sleep_for(kPoll);
    absl::StatusOr<rcl::v1::ProjectionStatusResponse> status = client.ProjectionStatus();
    if (!status.ok()) return status.status();
    const rcl::v1::ProjectionInfo* p = FindProjection(*status, name);
    if (p == nullptr)
      return absl::NotFoundError(absl::StrCat("projection ", name, " is no longer listed"));
    if (!p->rebuilding() && p->generation() >= started.generation()) return seconds();
    if (p->state() == "stopped" && !p->error().empty()) {
      return absl::AbortedError(absl::StrCat("rebuild of ", name, " stopped: ", p->error()));
    }
    if (!p->rebuilding()) {
      // Not yet started, or ended without being swapped in.
      if (!idle) idle_since = Clock::now();
      idle = true;
      if (Clock::now() - idle_since > kNotRebuildingGrace) {
        return absl::AbortedError(
            absl::StrCat("the rebuild of ", name, " (generation ", started.generation(),
                         ") ended without being swapped in; generation in use ", p->generation(),
                         p->error().empty() ? "" : ": ", p->error()));
      }
      continue;
    }
    idle = false;
    WorkProgress progress;
    progress.name = name;
    progress.done = p->rebuild_checkpoint();
    progress.total = p->rebuild_target() != 0 ? p->rebuild_target() : started.target();
    double elapsed = seconds();
    progress.events_per_s = elapsed > 0 ? static_cast<double>(progress.done) / elapsed : 0;
    if (sink.terminal) {
      sink.Draw(ProgressBarLine(progress));
    } else if (Clock::now() - last_plain >= kPlainEvery) {
      last_plain = Clock::now();
      sink.Draw(ProgressPlainLine(progress));
    }
  }
}

absl::Status RunProjectionRebuild(Invocation& inv) {
  const std::string name = inv.args().positional()[0];
  if (name.empty()) return UsageError("NAME: must not be empty");
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::RebuildProjectionResponse> started = (*client)->RebuildProjection(name);
  if (!started.ok()) {
    return absl::Status(started.status().code(),
                        absl::StrCat("rebuild ", name, ": ", started.status().message()));
  }
  bool wait = !inv.args().Has("no-wait");
  double elapsed = 0;
  if (wait) {
    ProgressSink sink = MakeProgressSink(inv.json());
    WorkProgress at_start;
    at_start.name = name;
    at_start.total = started->target();
    if (sink.terminal) sink.Draw(ProgressBarLine(at_start));
    absl::StatusOr<double> took = WaitForRebuild(**client, name, *started, sink);
    if (took.ok()) {
      at_start.done = at_start.total;
      at_start.events_per_s = *took > 0 ? static_cast<double>(at_start.total) / *took : 0;
      sink.Draw(sink.terminal ? ProgressBarLine(at_start) : ProgressPlainLine(at_start));
    }
    sink.Finish();
    if (!took.ok()) return took.status();
    elapsed = *took;
  }
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("name").String(name).Key("generation").Uint(started->generation());
    w.Key("target").Uint(started->target()).Key("waited").Bool(wait);
    if (wait)
      w.Key("events")
          .Uint(started->target())
          .Key("elapsed_s")
          .Raw(absl::StrFormat("%.3f", elapsed));
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else if (wait) {
    absl::StrAppend(&inv.out(),
                    RebuildDoneLine(name, started->target(), elapsed, started->generation()), "\n");
  } else {
    absl::StrAppend(&inv.out(), "rebuild of ", name, " started: generation ", started->generation(),
                    ", ", started->target(),
                    " events to fold (follow it with rcl projections status)\n");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandDef> ReportCommands() {
  const FlagSpec within = {"within", kValue, "DAYS",
                           "deadline within DAYS days of --as-of (default 30)"};
  return {
      {"books",
       "trial-balance",
       "",
       "the sum of all postings by account (debits positive); the total is 0 when the books "
       "balance",
       {{"as-of", kValue, "YYYY-MM-DD", "postings effective on or before this date (default: all)"},
        kMinPositionFlag,
        kCsvFlag},
       RunTrialBalance},
      {"books",
       "balances",
       "",
       "the amounts of `claim show` summed for a claim, a patient, a payer or the tenant",
       {{"claim", kValue, "ID", "one claim"},
        {"patient", kValue, "ID", "a patient's claims"},
        {"payer", kValue, "ID", "a payer's claims (none of the three: the whole tenant)"},
        kMinPositionFlag,
        {"csv", kBool, "", "print CSV: a header row (scope, key, the amounts) and one row"}},
       RunBalances},
      {"ar",
       "aging",
       "",
       "open balances by age (0-30 ... 121+ days) by payer or patient; credit balances apart",
       {kAsOfFlag,
        {"basis", kValue, "dos|submission",
         "age from the date of service (default) or the first submission"},
        {"by", kValue, "payer|patient",
         "payer balances by payer (default) or patient balances by patient"},
        {"svg", kValue, "FILE", "also write a stacked bar chart (SVG) of the buckets by row"},
        kLimitFlag,
        kMinPositionFlag,
        kCsvFlag},
       RunAging},
      {"work",
       "denials",
       "",
       "open denials (claims denied, or denied lines in payer AR), by claim",
       {{"payer", kValue, "ID", "only this payer's"},
        {"reason", kValue, "CARC", "only denials with this reason code"},
        kLimitFlag,
        kMinPositionFlag,
        kCsvFlag},
       RunWorkDenials},
      {"work",
       "appeals-due",
       "",
       "open appeals by deadline",
       {within, kAsOfFlag, kLimitFlag, kMinPositionFlag, kCsvFlag},
       RunAppealsDue},
      {"work",
       "no-response",
       "",
       "submitted claims with no payer response after N days, oldest first",
       {{"days", kValue, "N", "submitted at least N days before --as-of (default 30)"},
        kAsOfFlag,
        kLimitFlag,
        kMinPositionFlag,
        kCsvFlag},
       RunNoResponse},
      {"work",
       "statements-due",
       "",
       "patients with a balance and no statement in N days",
       {{"days", kValue, "N", "no statement in N days (default 30)"},
        kAsOfFlag,
        kLimitFlag,
        kMinPositionFlag,
        kCsvFlag},
       RunStatementsDue},
      {"projections",
       "status",
       "",
       "each projection: checkpoint, lag behind the log head, events/s, state size, rebuild in "
       "progress",
       {kCsvFlag},
       RunProjectionStatus},
      {"projections",
       "rebuild",
       "NAME",
       "rebuild a projection from position 0 beside the live one, then swap it in; shows progress "
       "until done",
       {{"no-wait", kBool, "", "start the rebuild and return at once"}},
       RunProjectionRebuild},
  };
}

}  // namespace rcl::cli
