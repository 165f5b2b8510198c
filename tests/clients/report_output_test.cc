// Unit tests of the report output of `rcl` (clients/report_output.h): the
// JSON keys and values of sample answers, CSV quoting, the aging table's
// totals line, the aging chart (SVG), the rebuild progress lines and the
// date flag parser. No server.
#include "clients/report_output.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace rcl::cli {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Struct ParseJson(const std::string& json) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(status.ok()) << status << "\n" << json;
  return s;
}

double Num(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing key " << key;
  if (it == s.fields().end()) return -1e300;
  EXPECT_EQ(it->second.kind_case(), Value::kNumberValue) << key;
  return it->second.number_value();
}

std::string Str(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing key " << key;
  return it == s.fields().end() ? "" : it->second.string_value();
}

const google::protobuf::ListValue& List(const Struct& s, const std::string& key) {
  static const google::protobuf::ListValue empty;
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing key " << key;
  return it == s.fields().end() ? empty : it->second.list_value();
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

void SetBuckets(google::protobuf::RepeatedPtrField<rcl::v1::AgingBucket>* buckets,
                std::vector<int64_t> amounts) {
  const char* labels[] = {"0-30", "31-60", "61-90", "91-120", "121+"};
  for (size_t k = 0; k < 5; ++k) {
    rcl::v1::AgingBucket* b = buckets->Add();
    b->set_label(labels[k]);
    b->set_amount_cents(amounts[k]);
  }
}

// Two payers, one of them with a comma, a quote and markup in its id.
rcl::v1::ArAgingResponse SampleAging() {
  rcl::v1::ArAgingResponse r;
  rcl::v1::AgingRow* a = r.add_rows();
  a->set_key("87726");
  SetBuckets(a->mutable_buckets(), {10000, 0, 2550, 0, 100});
  a->set_total_cents(12650);
  a->set_credit_cents(-500);
  rcl::v1::AgingRow* b = r.add_rows();
  b->set_key("ACME, \"West\" <&>");
  SetBuckets(b->mutable_buckets(), {0, 4000, 0, 0, 0});
  b->set_total_cents(4000);
  SetBuckets(r.mutable_buckets(), {10000, 4000, 2550, 0, 100});
  r.set_total_cents(16650);
  r.set_credit_total_cents(-500);
  r.set_as_of_position(4242);
  r.set_as_of_date("2026-11-30");
  return r;
}

TEST(ReportOutputTest, TrialBalanceJsonHasTheContractKeys) {
  rcl::v1::TrialBalanceResponse r;
  auto* a = r.add_accounts();
  a->set_account("ar_payer");
  a->set_balance_cents(15000);
  auto* b = r.add_accounts();
  b->set_account("revenue");
  b->set_balance_cents(-15000);
  r.set_as_of_position(17);
  r.set_as_of_date("2026-11-30");
  JsonWriter w;
  WriteTrialBalanceJson(r, &w);
  Struct s = ParseJson(w.str());
  ASSERT_EQ(List(s, "accounts").values_size(), 2);
  const Struct& first = List(s, "accounts").values(0).struct_value();
  EXPECT_EQ(Str(first, "account"), "ar_payer");
  EXPECT_EQ(Num(first, "balance_cents"), 15000);
  EXPECT_EQ(Num(List(s, "accounts").values(1).struct_value(), "balance_cents"), -15000);
  EXPECT_EQ(Num(s, "total_cents"), 0);
  EXPECT_EQ(Num(s, "as_of_position"), 17);
  EXPECT_EQ(Str(s, "as_of_date"), "2026-11-30");
  EXPECT_EQ(TrialBalanceCsv(r), "account,balance_cents\r\nar_payer,15000\r\nrevenue,-15000\r\n");
  std::string table = TrialBalanceTable(r);
  EXPECT_THAT(table, HasSubstr("150.00"));
  EXPECT_THAT(table, HasSubstr("the books balance"));
}

TEST(ReportOutputTest, BalancesJsonCarriesEveryAmountAtTheTopLevel) {
  rcl::v1::BalancesResponse r;
  r.set_scope("payer");
  r.set_key("87726");
  r.set_as_of_position(99);
  rcl::v1::BalanceAmounts* m = r.mutable_amounts();
  m->set_charge_cents(20000);
  m->set_payer_paid_cents(9000);
  m->set_contractual_cents(4000);
  m->set_other_adjustment_cents(100);
  m->set_patient_responsibility_cents(2000);
  m->set_patient_paid_cents(500);
  m->set_written_off_cents(300);
  m->set_payer_balance_cents(4900);
  m->set_patient_balance_cents(1500);
  m->set_denied_cents(50);
  m->set_claims(2);
  JsonWriter w;
  WriteBalancesJson(r, &w);
  Struct s = ParseJson(w.str());
  EXPECT_EQ(Str(s, "scope"), "payer");
  EXPECT_EQ(Str(s, "key"), "87726");
  EXPECT_EQ(Num(s, "charge_cents"), 20000);
  EXPECT_EQ(Num(s, "payer_paid_cents"), 9000);
  EXPECT_EQ(Num(s, "contractual_cents"), 4000);
  EXPECT_EQ(Num(s, "other_adjustment_cents"), 100);
  EXPECT_EQ(Num(s, "patient_responsibility_cents"), 2000);
  EXPECT_EQ(Num(s, "patient_paid_cents"), 500);
  EXPECT_EQ(Num(s, "written_off_cents"), 300);
  EXPECT_EQ(Num(s, "payer_balance_cents"), 4900);
  EXPECT_EQ(Num(s, "patient_balance_cents"), 1500);
  EXPECT_EQ(Num(s, "denied_cents"), 50);
  EXPECT_EQ(Num(s, "transferred_cents"), 0);
  EXPECT_EQ(Num(s, "transferred_in_cents"), 0);
  EXPECT_EQ(Num(s, "claims"), 2);
  EXPECT_EQ(Num(s, "as_of_position"), 99);
  std::vector<std::string> lines = absl::StrSplit(BalancesCsv(r), "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "scope,key,charge_cents,payer_paid_cents,")) << lines[0];
  EXPECT_TRUE(absl::StartsWith(lines[1], "payer,87726,20000,9000,")) << lines[1];
  EXPECT_THAT(BalancesTable(r), HasSubstr("200.00"));
}

TEST(ReportOutputTest, AgingJsonHasBucketsRowsAndTotals) {
  rcl::v1::ArAgingResponse r = SampleAging();
  AgingView v;
  v.response = &r;
  JsonWriter w;
  WriteAgingJson(v, &w);
  Struct s = ParseJson(w.str());
  ASSERT_EQ(List(s, "buckets").values_size(), 5);
  std::vector<std::string> labels;
  for (const Value& b : List(s, "buckets").values())
    labels.push_back(Str(b.struct_value(), "label"));
  EXPECT_THAT(labels, ElementsAre("0-30", "31-60", "61-90", "91-120", "121+"));
  EXPECT_EQ(Num(List(s, "buckets").values(2).struct_value(), "amount_cents"), 2550);
  ASSERT_EQ(List(s, "rows").values_size(), 2);
  const Struct& row = List(s, "rows").values(0).struct_value();
  EXPECT_EQ(Str(row, "key"), "87726");
  EXPECT_EQ(List(row, "buckets").values_size(), 5);
  EXPECT_EQ(Num(List(row, "buckets").values(0).struct_value(), "amount_cents"), 10000);
  EXPECT_EQ(Num(row, "total_cents"), 12650);
  EXPECT_EQ(Num(row, "credit_cents"), -500);
  EXPECT_EQ(Str(List(s, "rows").values(1).struct_value(), "key"), "ACME, \"West\" <&>");
  EXPECT_EQ(Num(s, "total_cents"), 16650);
  EXPECT_EQ(Num(s, "credit_total_cents"), -500);
  EXPECT_EQ(Num(s, "as_of_position"), 4242);
  EXPECT_FALSE(s.fields().at("truncated").bool_value());
}

TEST(ReportOutputTest, CsvQuotesCommasAndQuotes) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvRow({"x", "", "y,z"}), "x,,\"y,z\"\r\n");

  rcl::v1::ArAgingResponse r = SampleAging();
  AgingView v;
  v.response = &r;
  std::vector<std::string> lines = absl::StrSplit(AgingCsv(v), "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "key,0-30,31-60,61-90,91-120,121+,total_cents,credit_cents");
  EXPECT_EQ(lines[1], "87726,10000,0,2550,0,100,12650,-500");
  EXPECT_EQ(lines[2], "\"ACME, \"\"West\"\" <&>\",0,4000,0,0,0,4000,0");
}

TEST(ReportOutputTest, AgingTableEndsWithTheTotalsLine) {
  rcl::v1::ArAgingResponse r = SampleAging();
  AgingView v;
  v.response = &r;
  std::string table = AgingTable(v);
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  auto totals = std::find_if(lines.begin(), lines.end(),
                             [](const std::string& l) { return l.rfind("total ", 0) == 0; });
  ASSERT_NE(totals, lines.end()) << table;
  std::vector<std::string> cells = absl::StrSplit(*totals, ' ', absl::SkipEmpty());
  EXPECT_THAT(cells,
              ElementsAre("total", "100.00", "40.00", "25.50", "0.00", "1.00", "166.50", "-5.00"));
  // The rule sits right above it, and the rows above that.
  ASSERT_NE(totals, lines.begin());
  EXPECT_EQ((totals - 1)->find_first_not_of('-'), std::string::npos);
  EXPECT_THAT(table, HasSubstr("as of 2026-11-30 (log position 4242)"));
  v.truncated = true;
  EXPECT_THAT(AgingTable(v), HasSubstr("truncated"));
}

TEST(ReportOutputTest, AgingSvgDrawsOneRectPerNonZeroSegment) {
  rcl::v1::ArAgingResponse r = SampleAging();
  AgingView v;
  v.response = &r;
  v.basis = "submission";
  std::string svg = AgingSvg(v);
  EXPECT_TRUE(absl::StartsWith(svg, "<?xml")) << svg.substr(0, 80);
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>\n"));
  // 87726: three non-zero buckets; the other payer: one.
  EXPECT_EQ(Count(svg, "<rect"), 4);
  EXPECT_EQ(Count(svg, "<rect"), Count(svg, "</rect>"));
  EXPECT_THAT(svg, HasSubstr("ACME, &quot;West&quot; &lt;&amp;&gt;"));
  EXPECT_THAT(svg, Not(HasSubstr("<&>")));
  EXPECT_THAT(svg, HasSubstr("2026-11-30"));
  EXPECT_THAT(svg, HasSubstr("first submission date"));
  EXPECT_THAT(svg, HasSubstr("$100"));  // an axis tick in dollars
  for (const char* label : {"0-30", "31-60", "61-90", "91-120", "121+"})
    EXPECT_THAT(svg, HasSubstr(label));
}

TEST(ReportOutputTest, AgingSvgCapsTheBarsWithOther) {
  rcl::v1::ArAgingResponse r;
  for (int i = 0; i < 40; ++i) {
    rcl::v1::AgingRow* row = r.add_rows();
    row->set_key(absl::StrCat("P", i));
    SetBuckets(row->mutable_buckets(), {100 + i, 0, 0, 0, 0});
    row->set_total_cents(100 + i);
  }
  AgingView v;
  v.response = &r;
  std::string svg = AgingSvg(v, 30);
  EXPECT_EQ(Count(svg, "<rect"), 30);
  EXPECT_THAT(svg, HasSubstr("other (11)"));
  EXPECT_THAT(svg, HasSubstr(">P39<"));  // the largest is kept
  EXPECT_THAT(svg, Not(HasSubstr(">P0<")));

  // A long key is shortened under its bar, whole in the tooltip.
  r.mutable_rows(0)->set_key("A VERY LONG PAYER NAME & SONS");
  r.mutable_rows(0)->set_total_cents(1000);
  SetBuckets(r.mutable_rows(0)->mutable_buckets(), {1000, 0, 0, 0, 0});
  r.mutable_rows(0)->mutable_buckets()->DeleteSubrange(0, 5);
  svg = AgingSvg(v, 30);
  EXPECT_THAT(
      svg, HasSubstr(
               ">A VERY LONG PAYER\u2026<title>A VERY LONG PAYER NAME &amp; SONS: $10.00</title>"));
}

TEST(ReportOutputTest, ProgressLines) {
  WorkProgress p;
  p.name = "balances";
  p.total = 1000;
  p.events_per_s = 250;
  std::string zero = ProgressBarLine(p, 10);
  EXPECT_EQ(zero, "balances [..........]   0.0%  250 ev/s  ETA 4s");
  p.done = 500;
  EXPECT_EQ(ProgressBarLine(p, 10), "balances [#####.....]  50.0%  250 ev/s  ETA 2s");
  EXPECT_EQ(ProgressPlainLine(p), "rebuild balances: 50.0% (500/1000 events, 250 ev/s)");
  p.done = 1000;
  EXPECT_EQ(ProgressBarLine(p, 10), "balances [##########] 100.0%  250 ev/s  ETA 0s");
  EXPECT_EQ(ProgressPlainLine(p), "rebuild balances: 100.0% (1000/1000 events, 250 ev/s)");
  p.total = 0;
  p.done = 1234;
  p.events_per_s = 2000;
  std::string unknown = ProgressBarLine(p, 10);
  EXPECT_THAT(unknown, HasSubstr("?%"));
  EXPECT_THAT(unknown, HasSubstr("1,234 events"));
  EXPECT_THAT(unknown, HasSubstr("ETA ?"));
  EXPECT_EQ(ProgressPlainLine(p), "rebuild balances: ?% (1234 events, 2000 ev/s)");
  p.total = 100;
  p.done = 10;
  p.events_per_s = 0;
  EXPECT_THAT(ProgressBarLine(p, 10), HasSubstr("ETA ?"));
  EXPECT_EQ(RebuildDoneLine("aging", 1000, 2.5, 3),
            "rebuilt aging: 1000 events in 2.5 s (400 events/s), generation 3");
}

TEST(ReportOutputTest, WorkQueueJsonHasRowsCountAndPosition) {
  rcl::v1::DenialsResponse d;
  rcl::v1::DenialRow* row = d.add_denials();
  row->set_claim_id("CL2");
  row->set_payer_id("87726");
  row->set_denied(true);
  row->set_denied_cents(15000);
  row->set_payer_balance_cents(15000);
  row->add_reason_codes("50");
  row->set_open_appeals(1);
  d.set_as_of_position(12);
  JsonWriter w;
  WriteDenialsJson(d, false, &w);
  Struct s = ParseJson(w.str());
  EXPECT_EQ(Num(s, "count"), 1);
  EXPECT_EQ(Num(s, "as_of_position"), 12);
  const Struct& listed = List(s, "denials").values(0).struct_value();
  EXPECT_EQ(Str(listed, "claim_id"), "CL2");
  EXPECT_EQ(Num(listed, "denied_cents"), 15000);
  EXPECT_EQ(List(listed, "reason_codes").values(0).string_value(), "50");

  // `claim denials` keeps its keys.
  JsonWriter legacy;
  WriteClaimDenialsJson(d, &legacy);
  Struct l = ParseJson(legacy.str());
  const Struct& old_row = List(l, "denials").values(0).struct_value();
  for (const char* key : {"claim_id", "status", "payer_id", "date_of_service", "denied",
                          "denied_cents", "payer_balance_cents", "open_appeals"}) {
    EXPECT_TRUE(old_row.fields().contains(key)) << key;
  }
  EXPECT_EQ(Num(l, "count"), 1);

  rcl::v1::StatementsDueResponse st;
  rcl::v1::StatementDueRow* p = st.add_patients();
  p->set_patient_id("P1");
  p->set_patient_balance_cents(3000);
  st.set_as_of_position(7);
  JsonWriter ws;
  WriteStatementsDueJson(st, true, &ws);
  Struct ss = ParseJson(ws.str());
  EXPECT_EQ(Num(ss, "count"), 1);
  EXPECT_EQ(Num(List(ss, "patients").values(0).struct_value(), "patient_balance_cents"), 3000);
  EXPECT_TRUE(ss.fields().at("truncated").bool_value());
  EXPECT_THAT(StatementsDueTable(st, false), HasSubstr("never"));
}

TEST(ReportOutputTest, ProjectionStatusJson) {
  rcl::v1::ProjectionStatusResponse r;
  rcl::v1::ProjectionInfo* p = r.add_projections();
  p->set_name("aging");
  p->set_checkpoint(90);
  p->set_lag(10);
  p->set_events_per_s(1234.5);
  p->set_state_bytes(4096);
  p->set_state("live");
  p->set_rebuilding(true);
  r.set_head(100);
  JsonWriter w;
  WriteProjectionStatusJson(r, &w);
  Struct s = ParseJson(w.str());
  EXPECT_EQ(Num(s, "head"), 100);
  const Struct& info = List(s, "projections").values(0).struct_value();
  EXPECT_EQ(Str(info, "name"), "aging");
  EXPECT_EQ(Num(info, "checkpoint"), 90);
  EXPECT_EQ(Num(info, "lag"), 10);
  EXPECT_EQ(Num(info, "events_per_s"), 1234.5);
  EXPECT_EQ(Num(info, "state_bytes"), 4096);
  EXPECT_EQ(Str(info, "state"), "live");
  EXPECT_TRUE(info.fields().at("rebuilding").bool_value());
  EXPECT_THAT(ProjectionStatusTable(r), HasSubstr("aging"));
}

TEST(ReportOutputTest, DateFlagsAreCivilDates) {
  EXPECT_EQ(*ParseDateFlag("--as-of", "2026-11-30"), "2026-11-30");
  EXPECT_EQ(*ParseDateFlag("--as-of", "2024-02-29"), "2024-02-29");
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-1-01", "20261130", "2026-11-30x", "",
                          "abcd-ef-gh", "2025-02-29", "0000-01-01"}) {
    absl::StatusOr<std::string> d = ParseDateFlag("--as-of", bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr("--as-of")) << bad;
  }
}

TEST(ReportOutputTest, DollarsLabel) {
  EXPECT_EQ(DollarsLabel(0), "$0");
  EXPECT_EQ(DollarsLabel(123456789), "$1,234,568");
  EXPECT_EQ(DollarsLabel(-50000), "-$500");
}

}  // namespace
}  // namespace rcl::cli
