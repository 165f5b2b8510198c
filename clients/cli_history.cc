// `rcl claim history`, `rcl patient history`, `rcl remit history`: the audit
// trail of one claim, patient account or remittance (ReportService.History,
// from the history projection), in log order, optionally as it stood at a
// log position.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "clients/cli_command.h"
#include "clients/cli_output.h"
#include "ledger/money.h"

namespace rcl::cli {
namespace {

constexpr uint64_t kHistoryEntriesDefault = 1000;
constexpr uint64_t kHistoryEntriesMax = 100'000;

std::string RecordedAt(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

void WriteJson(const std::string& kind, const std::string& id, const rcl::v1::HistoryResponse& h,
               bool truncated, std::string* out) {
  JsonWriter w;
  w.BeginObject().Key("kind").String(kind).Key("id").String(id).Key("entries").BeginArray();
  for (const auto& e : h.entries()) {
    w.BeginObject()
        .Key("tenant_seq")
        .Uint(e.tenant_seq())
        .Key("position")
        .Uint(e.position())
        .Key("stream_version")
        .Uint(e.stream_version())
        .Key("recorded_at_us")
        .Int(e.recorded_at_us())
        .Key("effective_date")
        .String(e.effective_date())
        .Key("actor")
        .String(e.actor())
        .Key("command_id")
        .String(e.command_id())
        .Key("correlation_id")
        .String(e.correlation_id())
        .Key("event_id")
        .String(e.event_id())
        .Key("type")
        .String(e.type())
        .Key("summary")
        .String(e.summary())
        .Key("source")
        .String(e.source())
        .Key("postings")
        .BeginArray();
    for (const auto& p : e.postings()) {
      w.BeginObject()
          .Key("account")
          .String(p.account())
          .Key("amount_cents")
          .Int(p.balance_cents())
          .EndObject();
    }
    w.EndArray();
    if (kind == "claim") {
      w.Key("status")
          .String(e.status())
          .Key("payer_balance_cents")
          .Int(e.payer_balance_cents())
          .Key("patient_balance_cents")
          .Int(e.patient_balance_cents());
    }
    w.EndObject();
  }
  w.EndArray()
      .Key("count")
      .Uint(static_cast<uint64_t>(h.entries_size()))
      .Key("as_of_position")
      .Uint(h.as_of_position())
      .Key("truncated")
      .Bool(truncated)
      .EndObject();
  absl::StrAppend(out, w.str(), "\n");
}

void WriteText(const std::string& kind, const std::string& id, const rcl::v1::HistoryResponse& h,
               bool truncated, std::string* out) {
  absl::StrAppend(out, kind, " ", id, ": ", h.entries_size(), " events, as of log position ",
                  h.as_of_position(), "\n");
  for (const auto& e : h.entries()) {
    absl::StrAppend(out, absl::StrFormat("%8d  %s  %-10s  %-20s  %s\n", e.position(),
                                         RecordedAt(e.recorded_at_us()),
                                         e.effective_date().empty() ? "-" : e.effective_date(),
                                         e.actor(), e.summary()));
    if (!e.source().empty()) absl::StrAppend(out, absl::StrFormat("%10sfrom %s\n", "", e.source()));
    if (kind == "claim") {
      absl::StrAppend(out, absl::StrFormat("%10s%s: payer %s, patient %s\n", "", e.status(),
                                           rcl::FormatCents(e.payer_balance_cents()),
                                           rcl::FormatCents(e.patient_balance_cents())));
    }
    for (const auto& p : e.postings()) {
      absl::StrAppend(out, absl::StrFormat("%10s%-32s %14s\n", "", p.account(),
                                           rcl::FormatCents(p.balance_cents())));
    }
  }
  if (truncated) absl::StrAppend(out, "(more events: raise --limit)\n");
}

absl::Status RunHistory(Invocation& inv, rcl::v1::HistoryKind kind, const std::string& kind_name,
                        const std::string& flag) {
  std::string id = Str(inv, flag);
  absl::StatusOr<uint64_t> as_of = UintFlag(inv, "as-of-position", 0);
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<uint64_t> min_position = UintFlag(inv, "min-position", 0);
  if (!min_position.ok()) return min_position.status();
  int64_t as_of_time_us = 0;
  if (const std::string t = Str(inv, "as-of-time"); !t.empty()) {
    if (*as_of != 0) return UsageError("give --as-of-position or --as-of-time, not both");
    absl::Time parsed;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, t, &parsed, &error) || parsed < absl::UnixEpoch()) {
      return UsageError("--as-of-time must be an RFC 3339 time, e.g. 2026-11-30T17:00:00Z");
    }
    as_of_time_us = absl::ToUnixMicros(parsed);
  }
  absl::StatusOr<uint64_t> limit =
      UintFlag(inv, "limit", kHistoryEntriesDefault, kHistoryEntriesMax);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<client::Client*> client = inv.client();
  if (!client.ok()) return client.status();
  rcl::v1::HistoryRequest request;
  request.set_kind(kind);
  request.set_id(id);
  request.set_as_of_position(*as_of);
  request.set_as_of_time_us(as_of_time_us);
  request.set_min_position(std::max(*min_position, *as_of));
  rcl::v1::HistoryResponse all;
  bool truncated = false;
  while (true) {
    absl::StatusOr<rcl::v1::HistoryResponse> page = (*client)->History(request);
    if (!page.ok()) return page.status();
    // Later pages are read as of the first page's position.
    if (all.as_of_position() == 0) all.set_as_of_position(page->as_of_position());
    if (all.as_of_position() != 0) {
      request.set_as_of_position(all.as_of_position());
      request.set_as_of_time_us(0);
    }
    for (auto& e : *page->mutable_entries()) {
      if (static_cast<uint64_t>(all.entries_size()) == *limit) {
        truncated = true;
        break;
      }
      *all.add_entries() = std::move(e);
    }
    if (truncated || page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  if (inv.json()) {
    WriteJson(kind_name, id, all, truncated, &inv.out());
  } else {
    WriteText(kind_name, id, all, truncated, &inv.out());
  }
  return absl::OkStatus();
}

absl::Status RunClaimHistory(Invocation& inv) {
  return RunHistory(inv, rcl::v1::HISTORY_KIND_CLAIM, "claim", "id");
}
absl::Status RunPatientHistory(Invocation& inv) {
  return RunHistory(inv, rcl::v1::HISTORY_KIND_PATIENT, "patient", "patient");
}
absl::Status RunRemitHistory(Invocation& inv) {
  return RunHistory(inv, rcl::v1::HISTORY_KIND_REMITTANCE, "remittance", "id");
}

std::vector<FlagSpec> HistoryFlags(FlagSpec id) {
  return {id,
          {"as-of-position", kValue, "POS",
           "the history as it stood at this log position (default: now)"},
          {"as-of-time", kValue, "TIME",
           "the history as it stood at this moment (RFC 3339, e.g. 2026-11-30T17:00:00Z)"},
          {"min-position", kValue, "N", "wait until the history has folded log position N"},
          {"limit", kValue, "N", "at most N events (default 1000)"}};
}

}  // namespace

std::vector<CommandDef> HistoryCommands() {
  return {
      {"claim", "history", "",
       "a claim's audit trail: every event in order, who and when, its postings and the balances "
       "after it",
       HistoryFlags({"id", kValue, "ID", "claim id", true}), RunClaimHistory},
      {"patient", "history", "",
       "a patient account's audit trail (coverages, claims, payments, statements, refunds)",
       HistoryFlags(kPatientIdFlag), RunPatientHistory},
      {"remit", "history", "", "a remittance's audit trail (claims posted, provider adjustments)",
       HistoryFlags({"id", kValue, "ID", "remittance id", true}), RunRemitHistory},
  };
}

}  // namespace rcl::cli
