// Tables, JSON and CSV of the report commands (see report_output.h). The
// chart and the progress lines are in report_svg.cc.
#include "clients/report_output.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "clients/cli_args.h"
#include "ledger/money.h"

namespace rcl::cli {
namespace {

using rcl::v1::AgingBucket;
using rcl::v1::AgingRow;
using rcl::v1::BalanceAmounts;

// ---------------------------------------------------------------------------
// A plain text table: columns padded to their widest cell, numbers right
// aligned, an optional rule and footer rows after the body.

struct Column {
  std::string title;
  bool right = false;
};

using Cells = std::vector<std::string>;

std::string Pad(const std::string& text, size_t width, bool right) {
  if (text.size() >= width) return text;
  std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

std::string RenderTable(const std::vector<Column>& columns, const std::vector<Cells>& rows,
                        const std::vector<Cells>& footer = {}) {
  std::vector<size_t> widths;
  for (const Column& c : columns) widths.push_back(c.title.size());
  auto widen = [&widths](const Cells& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  };
  for (const Cells& row : rows) widen(row);
  for (const Cells& row : footer) widen(row);
  auto line = [&](const Cells& row) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += "  ";
      out += Pad(i < row.size() ? row[i] : "", widths[i], columns[i].right);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  Cells titles;
  for (const Column& c : columns) titles.push_back(c.title);
  std::string out = line(titles);
  for (const Cells& row : rows) out += line(row);
  if (!footer.empty()) {
    size_t total = 0;
    for (size_t w : widths) total += w;
    total += 2 * (widths.empty() ? 0 : widths.size() - 1);
    out += std::string(total, '-') + "\n";
    for (const Cells& row : footer) out += line(row);
  }
  return out;
}

std::string Money(int64_t cents) { return rcl::FormatCents(cents); }

// A key or other server text, safe on one table line.
std::string Text(absl::string_view s) { return OneLine(s); }

std::string AsOfLine(uint64_t position, absl::string_view date) {
  if (date.empty()) return absl::StrCat("as of log position ", position, "\n");
  return absl::StrCat("as of ", date, " (log position ", position, ")\n");
}

std::string TruncatedNote(bool truncated, size_t rows) {
  if (!truncated) return "";
  return absl::StrCat("(truncated: showing the first ", rows,
                      " rows; narrow the query or raise --limit)\n");
}

// ---------------------------------------------------------------------------
// Balances.

struct AmountField {
  const char* name;
  int64_t (BalanceAmounts::*get)() const;
};

constexpr AmountField kAmountFields[] = {
    {"charge_cents", &BalanceAmounts::charge_cents},
    {"payer_paid_cents", &BalanceAmounts::payer_paid_cents},
    {"contractual_cents", &BalanceAmounts::contractual_cents},
    {"other_adjustment_cents", &BalanceAmounts::other_adjustment_cents},
    {"patient_responsibility_cents", &BalanceAmounts::patient_responsibility_cents},
    {"patient_paid_cents", &BalanceAmounts::patient_paid_cents},
    {"written_off_cents", &BalanceAmounts::written_off_cents},
    {"payer_balance_cents", &BalanceAmounts::payer_balance_cents},
    {"patient_balance_cents", &BalanceAmounts::patient_balance_cents},
    {"denied_cents", &BalanceAmounts::denied_cents},
    {"transferred_cents", &BalanceAmounts::transferred_cents},
    {"transferred_in_cents", &BalanceAmounts::transferred_in_cents},
};

// "payer_paid_cents" -> "payer paid".
std::string AmountLabel(absl::string_view name) {
  std::string label(name.substr(0, name.size() - absl::string_view("_cents").size()));
  std::replace(label.begin(), label.end(), '_', ' ');
  return label;
}

// ---------------------------------------------------------------------------
// Aging.

constexpr const char* kBucketLabels[] = {"0-30", "31-60", "61-90", "91-120", "121+"};

// The five amounts of `buckets` in the order of kBucketLabels (missing: 0).
std::vector<int64_t> FiveBuckets(const google::protobuf::RepeatedPtrField<AgingBucket>& buckets) {
  std::vector<int64_t> out(5, 0);
  for (int i = 0; i < buckets.size(); ++i) {
    for (size_t k = 0; k < 5; ++k) {
      if (buckets[i].label() == kBucketLabels[k]) out[k] += buckets[i].amount_cents();
    }
  }
  return out;
}

void WriteBucketsJson(const google::protobuf::RepeatedPtrField<AgingBucket>& buckets,
                      JsonWriter* w) {
  std::vector<int64_t> five = FiveBuckets(buckets);
  w->BeginArray();
  for (size_t k = 0; k < 5; ++k) {
    w->BeginObject()
        .Key("label")
        .String(kBucketLabels[k])
        .Key("amount_cents")
        .Int(five[k])
        .EndObject();
  }
  w->EndArray();
}

std::string BasisWords(absl::string_view basis) {
  return basis == "submission" ? "first submission date" : "date of service";
}

}  // namespace

absl::StatusOr<std::string> ParseDateFlag(absl::string_view flag, absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", OneLine(text.substr(0, 32)), "\" is not a date YYYY-MM-DD"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
      if (text[i] < '0' || text[i] > '9') return bad();
      parts[p] = parts[p] * 10 + (text[i] - '0');
    }
  }
  absl::CivilDay day(parts[0], parts[1], parts[2]);
  if (day.year() != parts[0] || day.month() != parts[1] || day.day() != parts[2] || parts[0] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", OneLine(text), "\" is not a day of the calendar (YYYY-MM-DD)"));
  }
  return std::string(text);
}

// --- CSV.

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvRow(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvField(fields[i]);
  }
  out += "\r\n";
  return out;
}

std::string DollarsLabel(int64_t cents) {
  bool negative = cents < 0;
  // Round half away from zero to whole dollars, without overflow at the ends.
  uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(cents + 1)) + 1 : static_cast<uint64_t>(cents);
  uint64_t dollars = (magnitude + 50) / 100;
  std::string digits = absl::StrCat(dollars);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return absl::StrCat(negative && dollars > 0 ? "-" : "", "$", grouped);
}

// --- Balances.

void WriteBalancesJson(const rcl::v1::BalancesResponse& r, JsonWriter* w) {
  w->BeginObject().Key("scope").String(r.scope()).Key("key").String(r.key());
  for (const AmountField& f : kAmountFields) w->Key(f.name).Int((r.amounts().*f.get)());
  w->Key("claims").Int(r.amounts().claims());
  w->Key("as_of_position").Uint(r.as_of_position());
  w->EndObject();
}

std::string BalancesTable(const rcl::v1::BalancesResponse& r) {
  std::string out = r.key().empty()
                        ? absl::StrCat("balances of the ", Text(r.scope()), "\n")
                        : absl::StrCat("balances of ", Text(r.scope()), " ", Text(r.key()), "\n");
  std::vector<Cells> rows;
  for (const AmountField& f : kAmountFields)
    rows.push_back({AmountLabel(f.name), Money((r.amounts().*f.get)())});
  rows.push_back({"claims", absl::StrCat(r.amounts().claims())});
  out += RenderTable({{"amount", false}, {"dollars", true}}, rows);
  out += AsOfLine(r.as_of_position(), "");
  return out;
}

std::string BalancesCsv(const rcl::v1::BalancesResponse& r) {
  std::vector<std::string> header = {"scope", "key"};
  std::vector<std::string> values = {r.scope(), r.key()};
  for (const AmountField& f : kAmountFields) {
    header.push_back(f.name);
    values.push_back(absl::StrCat((r.amounts().*f.get)()));
  }
  header.insert(header.end(), {"claims", "as_of_position"});
  values.insert(values.end(),
                {absl::StrCat(r.amounts().claims()), absl::StrCat(r.as_of_position())});
  return CsvRow(header) + CsvRow(values);
}

// --- Trial balance.

void WriteTrialBalanceJson(const rcl::v1::TrialBalanceResponse& r, JsonWriter* w) {
  w->BeginObject().Key("accounts").BeginArray();
  for (const rcl::v1::AccountBalance& a : r.accounts()) {
    w->BeginObject()
        .Key("account")
        .String(a.account())
        .Key("balance_cents")
        .Int(a.balance_cents())
        .EndObject();
  }
  w->EndArray();
  w->Key("total_cents").Int(r.total_cents());
  w->Key("as_of_position").Uint(r.as_of_position());
  w->Key("as_of_date").String(r.as_of_date());
  w->EndObject();
}

std::string TrialBalanceTable(const rcl::v1::TrialBalanceResponse& r) {
  std::vector<Cells> rows;
  for (const rcl::v1::AccountBalance& a : r.accounts()) {
    int64_t b = a.balance_cents();
    rows.push_back({Text(a.account()), b > 0 ? Money(b) : "", b < 0 ? Money(-b) : ""});
  }
  std::string out = RenderTable({{"account", false}, {"debit", true}, {"credit", true}}, rows,
                                {{"total (debits - credits)", Money(r.total_cents()), ""}});
  out += r.total_cents() == 0 ? "the books balance\n" : "THE BOOKS DO NOT BALANCE\n";
  out += AsOfLine(r.as_of_position(), r.as_of_date());
  return out;
}

std::string TrialBalanceCsv(const rcl::v1::TrialBalanceResponse& r) {
  std::string out = CsvRow({"account", "balance_cents"});
  for (const rcl::v1::AccountBalance& a : r.accounts()) {
    out += CsvRow({a.account(), absl::StrCat(a.balance_cents())});
  }
  return out;
}

// --- Aging.

void WriteAgingJson(const AgingView& v, JsonWriter* w) {
  const rcl::v1::ArAgingResponse& r = *v.response;
  w->BeginObject().Key("buckets");
  WriteBucketsJson(r.buckets(), w);
  w->Key("rows").BeginArray();
  for (const AgingRow& row : r.rows()) {
    w->BeginObject().Key("key").String(row.key()).Key("buckets");
    WriteBucketsJson(row.buckets(), w);
    w->Key("total_cents")
        .Int(row.total_cents())
        .Key("credit_cents")
        .Int(row.credit_cents())
        .EndObject();
  }
  w->EndArray();
  w->Key("total_cents").Int(r.total_cents());
  w->Key("credit_total_cents").Int(r.credit_total_cents());
  w->Key("as_of_position").Uint(r.as_of_position());
  w->Key("as_of_date").String(r.as_of_date());
  w->Key("by").String(v.by).Key("basis").String(v.basis);
  w->Key("truncated").Bool(v.truncated);
  w->EndObject();
}

std::string AgingTable(const AgingView& v) {
  const rcl::v1::ArAgingResponse& r = *v.response;
  std::vector<Column> columns = {{v.by, false}};
  for (const char* label : kBucketLabels) columns.push_back({label, true});
  columns.push_back({"total", true});
  columns.push_back({"credit", true});
  std::vector<Cells> rows;
  for (const AgingRow& row : r.rows()) {
    Cells cells = {Text(row.key())};
    for (int64_t amount : FiveBuckets(row.buckets())) cells.push_back(Money(amount));
    cells.push_back(Money(row.total_cents()));
    cells.push_back(Money(row.credit_cents()));
    rows.push_back(std::move(cells));
  }
  Cells totals = {"total"};
  for (int64_t amount : FiveBuckets(r.buckets())) totals.push_back(Money(amount));
  totals.push_back(Money(r.total_cents()));
  totals.push_back(Money(r.credit_total_cents()));
  std::string out =
      absl::StrCat("AR aging by ", v.by, ", aged from the ", BasisWords(v.basis), "\n");
  out += RenderTable(columns, rows, {totals});
  out += TruncatedNote(v.truncated, rows.size());
  out += AsOfLine(r.as_of_position(), r.as_of_date());
  return out;
}

std::string AgingCsv(const AgingView& v) {
  std::vector<std::string> header = {"key"};
  for (const char* label : kBucketLabels) header.push_back(label);
  header.insert(header.end(), {"total_cents", "credit_cents"});
  std::string out = CsvRow(header);
  for (const AgingRow& row : v.response->rows()) {
    std::vector<std::string> fields = {row.key()};
    for (int64_t amount : FiveBuckets(row.buckets())) fields.push_back(absl::StrCat(amount));
    fields.push_back(absl::StrCat(row.total_cents()));
    fields.push_back(absl::StrCat(row.credit_cents()));
    out += CsvRow(fields);
  }
  return out;
}

// --- Denials.

void WriteDenialsJson(const rcl::v1::DenialsResponse& r, bool truncated, JsonWriter* w) {
  w->BeginObject().Key("denials").BeginArray();
  for (const rcl::v1::DenialRow& d : r.denials()) {
    w->BeginObject().Key("claim_id").String(d.claim_id()).Key("payer_id").String(d.payer_id());
    w->Key("date_of_service").String(d.date_of_service()).Key("status").String(d.status());
    w->Key("denied").Bool(d.denied()).Key("denied_cents").Int(d.denied_cents());
    w->Key("payer_balance_cents").Int(d.payer_balance_cents()).Key("reason_codes").BeginArray();
    for (const std::string& code : d.reason_codes()) w->String(code);
    w->EndArray().Key("adjudicated_date").String(d.adjudicated_date());
    w->Key("open_appeals").Int(d.open_appeals()).EndObject();
  }
  w->EndArray().Key("count").Uint(static_cast<uint64_t>(r.denials_size()));
  w->Key("as_of_position").Uint(r.as_of_position()).Key("truncated").Bool(truncated).EndObject();
}

std::string DenialsTable(const rcl::v1::DenialsResponse& r, bool truncated) {
  std::vector<Cells> rows;
  int64_t denied = 0;
  int64_t balance = 0;
  for (const rcl::v1::DenialRow& d : r.denials()) {
    rows.push_back({Text(d.claim_id()), Text(d.payer_id()), Text(d.date_of_service()),
                    Text(d.status()), d.denied() ? "claim" : "lines",
                    Text(absl::StrJoin(d.reason_codes(), " ")), Text(d.adjudicated_date()),
                    Money(d.denied_cents()), Money(d.payer_balance_cents()),
                    absl::StrCat(d.open_appeals())});
    denied += d.denied_cents();
    balance += d.payer_balance_cents();
  }
  std::string out =
      RenderTable({{"claim", false},
                   {"payer", false},
                   {"service", false},
                   {"status", false},
                   {"denied", false},
                   {"carc", false},
                   {"adjudicated", false},
                   {"denied amt", true},
                   {"payer bal", true},
                   {"appeals", true}},
                  rows, {{"total", "", "", "", "", "", "", Money(denied), Money(balance), ""}});
  out += TruncatedNote(truncated, rows.size());
  out += absl::StrCat(rows.size(), " claim(s) with a denial in force\n");
  out += AsOfLine(r.as_of_position(), "");
  return out;
}

std::string DenialsCsv(const rcl::v1::DenialsResponse& r) {
  std::string out =
      CsvRow({"claim_id", "payer_id", "date_of_service", "status", "denied", "reason_codes",
              "adjudicated_date", "denied_cents", "payer_balance_cents", "open_appeals"});
  for (const rcl::v1::DenialRow& d : r.denials()) {
    out += CsvRow({d.claim_id(), d.payer_id(), d.date_of_service(), d.status(),
                   d.denied() ? "true" : "false", absl::StrJoin(d.reason_codes(), " "),
                   d.adjudicated_date(), absl::StrCat(d.denied_cents()),
                   absl::StrCat(d.payer_balance_cents()), absl::StrCat(d.open_appeals())});
  }
  return out;
}

void WriteClaimDenialsJson(const rcl::v1::DenialsResponse& r, JsonWriter* w) {
  w->BeginObject().Key("denials").BeginArray();
  for (const rcl::v1::DenialRow& d : r.denials()) {
    w->BeginObject().Key("claim_id").String(d.claim_id()).Key("status").String(d.status());
    w->Key("payer_id").String(d.payer_id()).Key("date_of_service").String(d.date_of_service());
    w->Key("denied").Bool(d.denied()).Key("denied_cents").Int(d.denied_cents());
    w->Key("payer_balance_cents")
        .Int(d.payer_balance_cents())
        .Key("open_appeals")
        .Int(d.open_appeals());
    w->EndObject();
  }
  w->EndArray().Key("count").Uint(static_cast<uint64_t>(r.denials_size()));
  w->Key("as_of_position").Uint(r.as_of_position()).EndObject();
}

std::string ClaimDenialsTable(const rcl::v1::DenialsResponse& r) {
  std::string out = absl::StrFormat("%-20s %-12s %-10s %-10s %12s %12s\n", "claim", "status",
                                    "payer", "service", "denied", "payer bal");
  for (const rcl::v1::DenialRow& d : r.denials()) {
    out += absl::StrFormat("%-20s %-12s %-10s %-10s %12s %12s\n", Text(d.claim_id()),
                           Text(d.status()), Text(d.payer_id()), Text(d.date_of_service()),
                           Money(d.denied_cents()), Money(d.payer_balance_cents()));
  }
  out += absl::StrCat(r.denials_size(), " claim(s) with a denial in force\n");
  return out;
}

// --- Appeals due.

void WriteAppealsDueJson(const rcl::v1::AppealsDueResponse& r, bool truncated, JsonWriter* w) {
  w->BeginObject().Key("appeals").BeginArray();
  for (const rcl::v1::AppealDueRow& a : r.appeals()) {
    w->BeginObject().Key("appeal_id").String(a.appeal_id()).Key("claim_id").String(a.claim_id());
    w->Key("level").Int(a.level()).Key("filed_date").String(a.filed_date());
    w->Key("deadline").String(a.deadline()).Key("days_left").Int(a.days_left()).EndObject();
  }
  w->EndArray().Key("count").Uint(static_cast<uint64_t>(r.appeals_size()));
  w->Key("as_of_position").Uint(r.as_of_position()).Key("as_of_date").String(r.as_of_date());
  w->Key("truncated").Bool(truncated).EndObject();
}

std::string AppealsDueTable(const rcl::v1::AppealsDueResponse& r, bool truncated) {
  std::vector<Cells> rows;
  for (const rcl::v1::AppealDueRow& a : r.appeals()) {
    rows.push_back(
        {Text(a.appeal_id()), Text(a.claim_id()), absl::StrCat(a.level()), Text(a.filed_date()),
         Text(a.deadline()),
         a.days_left() < 0 ? absl::StrCat(a.days_left(), " (late)") : absl::StrCat(a.days_left())});
  }
  std::string out = RenderTable({{"appeal", false},
                                 {"claim", false},
                                 {"level", true},
                                 {"filed", false},
                                 {"deadline", false},
                                 {"days left", true}},
                                rows);
  out += TruncatedNote(truncated, rows.size());
  out += absl::StrCat(rows.size(), " appeal(s) due\n");
  out += AsOfLine(r.as_of_position(), r.as_of_date());
  return out;
}

std::string AppealsDueCsv(const rcl::v1::AppealsDueResponse& r) {
  std::string out =
      CsvRow({"appeal_id", "claim_id", "level", "filed_date", "deadline", "days_left"});
  for (const rcl::v1::AppealDueRow& a : r.appeals()) {
    out += CsvRow({a.appeal_id(), a.claim_id(), absl::StrCat(a.level()), a.filed_date(),
                   a.deadline(), absl::StrCat(a.days_left())});
  }
  return out;
}

// --- No response.

void WriteNoResponseJson(const rcl::v1::NoResponseResponse& r, bool truncated, JsonWriter* w) {
  w->BeginObject().Key("claims").BeginArray();
  for (const rcl::v1::NoResponseRow& c : r.claims()) {
    w->BeginObject().Key("claim_id").String(c.claim_id()).Key("payer_id").String(c.payer_id());
    w->Key("submitted_date").String(c.submitted_date()).Key("days").Int(c.days());
    w->Key("payer_balance_cents").Int(c.payer_balance_cents()).EndObject();
  }
  w->EndArray().Key("count").Uint(static_cast<uint64_t>(r.claims_size()));
  w->Key("as_of_position").Uint(r.as_of_position()).Key("as_of_date").String(r.as_of_date());
  w->Key("truncated").Bool(truncated).EndObject();
}

std::string NoResponseTable(const rcl::v1::NoResponseResponse& r, bool truncated) {
  std::vector<Cells> rows;
  int64_t balance = 0;
  for (const rcl::v1::NoResponseRow& c : r.claims()) {
    rows.push_back({Text(c.claim_id()), Text(c.payer_id()), Text(c.submitted_date()),
                    absl::StrCat(c.days()), Money(c.payer_balance_cents())});
    balance += c.payer_balance_cents();
  }
  std::string out = RenderTable({{"claim", false},
                                 {"payer", false},
                                 {"submitted", false},
                                 {"days", true},
                                 {"payer bal", true}},
                                rows, {{"total", "", "", "", Money(balance)}});
  out += TruncatedNote(truncated, rows.size());
  out += absl::StrCat(rows.size(), " submitted claim(s) with no payer response\n");
  out += AsOfLine(r.as_of_position(), r.as_of_date());
  return out;
}

std::string NoResponseCsv(const rcl::v1::NoResponseResponse& r) {
  std::string out =
      CsvRow({"claim_id", "payer_id", "submitted_date", "days", "payer_balance_cents"});
  for (const rcl::v1::NoResponseRow& c : r.claims()) {
    out += CsvRow({c.claim_id(), c.payer_id(), c.submitted_date(), absl::StrCat(c.days()),
                   absl::StrCat(c.payer_balance_cents())});
  }
  return out;
}

// --- Statements due.

void WriteStatementsDueJson(const rcl::v1::StatementsDueResponse& r, bool truncated,
                            JsonWriter* w) {
  w->BeginObject().Key("patients").BeginArray();
  for (const rcl::v1::StatementDueRow& p : r.patients()) {
    w->BeginObject().Key("patient_id").String(p.patient_id());
    w->Key("patient_balance_cents").Int(p.patient_balance_cents());
    w->Key("last_statement_date").String(p.last_statement_date()).EndObject();
  }
  w->EndArray().Key("count").Uint(static_cast<uint64_t>(r.patients_size()));
  w->Key("as_of_position").Uint(r.as_of_position()).Key("as_of_date").String(r.as_of_date());
  w->Key("truncated").Bool(truncated).EndObject();
}

std::string StatementsDueTable(const rcl::v1::StatementsDueResponse& r, bool truncated) {
  std::vector<Cells> rows;
  int64_t balance = 0;
  for (const rcl::v1::StatementDueRow& p : r.patients()) {
    rows.push_back({Text(p.patient_id()), Money(p.patient_balance_cents()),
                    p.last_statement_date().empty() ? "never" : Text(p.last_statement_date())});
    balance += p.patient_balance_cents();
  }
  std::string out =
      RenderTable({{"patient", false}, {"patient bal", true}, {"last statement", false}}, rows,
                  {{"total", Money(balance), ""}});
  out += TruncatedNote(truncated, rows.size());
  out += absl::StrCat(rows.size(), " patient(s) due a statement\n");
  out += AsOfLine(r.as_of_position(), r.as_of_date());
  return out;
}

std::string StatementsDueCsv(const rcl::v1::StatementsDueResponse& r) {
  std::string out = CsvRow({"patient_id", "patient_balance_cents", "last_statement_date"});
  for (const rcl::v1::StatementDueRow& p : r.patients()) {
    out +=
        CsvRow({p.patient_id(), absl::StrCat(p.patient_balance_cents()), p.last_statement_date()});
  }
  return out;
}

// --- Projection status.

namespace {

std::string Rate(double events_per_s) {
  if (!std::isfinite(events_per_s) || events_per_s < 0) events_per_s = 0;
  return absl::StrFormat("%.1f", events_per_s);
}

}  // namespace

void WriteProjectionStatusJson(const rcl::v1::ProjectionStatusResponse& r, JsonWriter* w) {
  w->BeginObject().Key("projections").BeginArray();
  for (const rcl::v1::ProjectionInfo& p : r.projections()) {
    w->BeginObject()
        .Key("name")
        .String(p.name())
        .Key("checkpoint")
        .Uint(p.checkpoint())
        .Key("lag")
        .Uint(p.lag());
    w->Key("events_per_s").Raw(Rate(p.events_per_s())).Key("state_bytes").Uint(p.state_bytes());
    w->Key("state")
        .String(p.state())
        .Key("error")
        .String(p.error())
        .Key("generation")
        .Uint(p.generation());
    w->Key("rebuilding")
        .Bool(p.rebuilding())
        .Key("rebuild_checkpoint")
        .Uint(p.rebuild_checkpoint());
    w->Key("rebuild_target").Uint(p.rebuild_target()).EndObject();
  }
  w->EndArray().Key("head").Uint(r.head()).EndObject();
}

std::string ProjectionStatusTable(const rcl::v1::ProjectionStatusResponse& r) {
  std::vector<Cells> rows;
  for (const rcl::v1::ProjectionInfo& p : r.projections()) {
    std::string rebuild = "-";
    if (p.rebuilding()) {
      rebuild = absl::StrCat(p.rebuild_checkpoint(), "/", p.rebuild_target());
    }
    rows.push_back({Text(p.name()), Text(p.state()), absl::StrCat(p.checkpoint()),
                    absl::StrCat(p.lag()), Rate(p.events_per_s()), absl::StrCat(p.state_bytes()),
                    absl::StrCat(p.generation()), rebuild, Text(p.error())});
  }
  std::string out = RenderTable({{"projection", false},
                                 {"state", false},
                                 {"checkpoint", true},
                                 {"lag", true},
                                 {"events/s", true},
                                 {"state bytes", true},
                                 {"gen", true},
                                 {"rebuild", true},
                                 {"error", false}},
                                rows);
  out += absl::StrCat("log head ", r.head(), "\n");
  return out;
}

std::string ProjectionStatusCsv(const rcl::v1::ProjectionStatusResponse& r) {
  std::string out =
      CsvRow({"name", "state", "checkpoint", "lag", "events_per_s", "state_bytes", "generation",
              "rebuilding", "rebuild_checkpoint", "rebuild_target", "error"});
  for (const rcl::v1::ProjectionInfo& p : r.projections()) {
    out +=
        CsvRow({p.name(), p.state(), absl::StrCat(p.checkpoint()), absl::StrCat(p.lag()),
                Rate(p.events_per_s()), absl::StrCat(p.state_bytes()), absl::StrCat(p.generation()),
                p.rebuilding() ? "true" : "false", absl::StrCat(p.rebuild_checkpoint()),
                absl::StrCat(p.rebuild_target()), p.error()});
  }
  return out;
}

}  // namespace rcl::cli
