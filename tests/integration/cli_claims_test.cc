// End-to-end: claims to cash through the `rcl` command line against the real
// rcl-server (ServerProcess), checking every balance of `claim show --json`
// after each step, and the `rcl demo` workload (deterministic, idempotent).
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_fixture.h"
#include "tests/testing/server_process.h"

namespace rcl {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using namespace ::rcl::testing::json;  // NOLINT: JSON helpers
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The money of a claim view, every `_cents` key the CLI prints at the top.
struct Balances {
  int64_t charge = 0;
  int64_t payer_paid = 0;
  int64_t contractual = 0;
  int64_t other_adjustment = 0;
  int64_t patient_responsibility = 0;
  int64_t patient_paid = 0;
  int64_t written_off = 0;
  int64_t payer_balance = 0;
  int64_t patient_balance = 0;
  int64_t transferred = 0;
  int64_t denied = 0;
};

class ClaimsCliTest : public testing::RclCliTest {
 protected:
  // A write that must succeed; returns its position.
  uint64_t Ok(std::vector<std::string> args) {
    Struct r = RclJson(std::move(args));
    EXPECT_GT(Num(r, "position"), 0);
    EXPECT_FALSE(List(r, "event_ids").empty());
    return static_cast<uint64_t>(Num(r, "position"));
  }

  uint64_t Head() {
    return static_cast<uint64_t>(Num(RclJson({"log", "head", "--whole-log"}), "position"));
  }

  Struct Show(const std::string& claim, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"claim", "show", "--id", claim};
    args.insert(args.end(), extra.begin(), extra.end());
    return RclJson(args);
  }

  void ExpectBalances(const Struct& c, const Balances& b) {
    SCOPED_TRACE(Str(c, "claim_id"));
    EXPECT_EQ(Num(c, "charge_cents"), b.charge);
    EXPECT_EQ(Num(c, "payer_paid_cents"), b.payer_paid);
    EXPECT_EQ(Num(c, "contractual_cents"), b.contractual);
    EXPECT_EQ(Num(c, "other_adjustment_cents"), b.other_adjustment);
    EXPECT_EQ(Num(c, "patient_responsibility_cents"), b.patient_responsibility);
    EXPECT_EQ(Num(c, "patient_paid_cents"), b.patient_paid);
    EXPECT_EQ(Num(c, "written_off_cents"), b.written_off);
    EXPECT_EQ(Num(c, "payer_balance_cents"), b.payer_balance);
    EXPECT_EQ(Num(c, "patient_balance_cents"), b.patient_balance);
    EXPECT_EQ(Num(c, "transferred_cents"), b.transferred);
    EXPECT_EQ(Num(c, "denied_cents"), b.denied);
  }

  // A patient with coverage C1 (rank 1) at `payer`, and C2 (rank 2) at
  // `secondary_payer` when not empty.
  void Patient(const std::string& id, const std::string& payer,
               const std::string& secondary_payer = "") {
    Ok({"patient", "register", "--id", id, "--family", "DOE", "--given", "JANE", "--birth-date",
        "1950-02-03"});
    Ok({"coverage", "add", "--patient", id, "--id", "C1", "--payer", payer, "--payer-name",
        "PRIMARY PLAN", "--member-id", "M" + id, "--rank", "1", "--from", "2026-01-01"});
    if (!secondary_payer.empty()) {
      Ok({"coverage", "add", "--patient", id, "--id", "C2", "--payer", secondary_payer,
          "--payer-name", "SECONDARY PLAN", "--member-id", "S" + id, "--rank", "2", "--from",
          "2026-01-01"});
    }
  }

  // An encounter with diagnoses and charge lines ({cpt, amount, dx[, modifier]}).
  void Encounter(const std::string& id, const std::string& patient,
                 const std::vector<std::string>& icd10,
                 const std::vector<std::vector<std::string>>& lines) {
    Ok({"encounter", "open", "--id", id, "--patient", patient, "--rendering-npi", "1234567893",
        "--billing-npi", "1234567893", "--date", "2026-11-02", "--pos", "11"});
    std::vector<std::string> dx = {"encounter", "diagnose", "--id", id};
    for (const std::string& code : icd10) {
      dx.push_back("--icd10");
      dx.push_back(code);
    }
    Ok(dx);
    int n = 0;
    for (const std::vector<std::string>& line : lines) {
      std::vector<std::string> args = {"encounter",
                                       "charge",
                                       "--id",
                                       id,
                                       "--line",
                                       std::to_string(++n),
                                       line[0][0] == 'J' ? "--hcpcs" : "--cpt",
                                       line[0],
                                       "--amount",
                                       line[1],
                                       "--dx",
                                       line[2]};
      if (line.size() > 3) {
        args.push_back(line[3][0] == 'u' ? "--units" : "--modifier");
        args.push_back(line[3][0] == 'u' ? line[3].substr(1) : line[3]);
      }
      Ok(args);
    }
    Ok({"encounter", "complete", "--id", id});
  }

  // Creates, scrubs (must pass), submits and accepts a claim.
  void BillAndAccept(const std::string& claim, const std::string& encounter,
                     const std::string& coverage) {
    Ok({"claim", "create", "--id", claim, "--encounter", encounter, "--coverage", coverage});
    Struct scrub = RclJson({"claim", "scrub", "--id", claim});
    EXPECT_TRUE(Bool(scrub, "passed"));
    EXPECT_TRUE(List(scrub, "edits").empty());
    Ok({"claim", "submit", "--id", claim, "--batch", "B1"});
    Ok({"claim", "ack", "--id", claim, "--accepted"});
  }
};

TEST_F(ClaimsCliTest, PaidWithContractualAndDeductibleThenPatientPaysReversalAndRefund) {
  Patient("P1", "87726");
  Encounter("E1", "P1", {"E11.9", "I10"}, {{"99214", "200.00", "1,2"}, {"80053", "50.00", "1"}});
  Ok({"claim", "create", "--id", "CL1", "--encounter", "E1", "--coverage", "C1"});
  Struct created = Show("CL1");
  EXPECT_EQ(Str(created, "status"), "created");
  EXPECT_EQ(Num(created, "frequency"), 1);
  EXPECT_EQ(Num(created, "rank"), 1);
  EXPECT_EQ(Str(created, "payer_id"), "87726");
  Balances b;
  b.charge = 25000;
  b.payer_balance = 25000;
  ExpectBalances(created, b);

  // Scrub: the human form prints passed and the checks.
  testing::CommandResult scrub = Rcl({"claim", "scrub", "--id", "CL1"});
  ASSERT_EQ(scrub.exit_code, 0) << scrub.err;
  EXPECT_THAT(scrub.out, StartsWith("ok position="));
  EXPECT_THAT(scrub.out, HasSubstr("scrub passed"));
  Ok({"claim", "submit", "--id", "CL1", "--batch", "B1"});
  testing::CommandResult ack = Rcl({"claim", "ack", "--id", "CL1", "--accepted"});
  ASSERT_EQ(ack.exit_code, 0) << ack.err;
  EXPECT_THAT(ack.out, HasSubstr("stream=claim-CL1 stream_version=3 event_ids="));
  EXPECT_EQ(Str(Show("CL1"), "status"), "accepted");

  Ok({"remit", "record", "--id", "R1", "--payer", "87726", "--trace", "TRN123", "--method", "ACH",
      "--amount", "104.00", "--date", "2026-11-20"});
  // Allowed 120.00 of 200.00 with 40.00 to the deductible; 30.00 of 50.00
  // with 6.00 coinsurance.
  Ok({"claim", "adjudicate", "--id", "CL1", "--remit", "R1", "--payer-claim-number", "PCN1",
      "--status", "primary", "--line", "1:paid=80.00:allowed=120.00:adj=CO-45:80.00:adj=PR-1:40.00",
      "--line", "2:paid=24.00:allowed=30.00:adj=CO-45:20.00:adj=PR-2:6.00"});
  Struct paid = Show("CL1");
  EXPECT_EQ(Str(paid, "status"), "adjudicated");
  EXPECT_FALSE(Bool(paid, "denied"));
  EXPECT_EQ(Str(paid, "payer_claim_number"), "PCN1");
  b.payer_paid = 10400;
  b.contractual = 10000;
  b.patient_responsibility = 4600;
  b.payer_balance = 0;
  b.patient_balance = 4600;
  ExpectBalances(paid, b);
  std::vector<Value> lines = List(paid, "lines");
  ASSERT_EQ(lines.size(), 2u);
  const Struct& l1 = lines[0].struct_value();
  EXPECT_EQ(Num(l1, "line_number"), 1);
  EXPECT_EQ(Str(l1, "procedure_code"), "99214");
  EXPECT_TRUE(List(l1, "modifiers").empty());
  EXPECT_EQ(Num(l1, "units"), 1);
  EXPECT_EQ(Num(l1, "charge_cents"), 20000);
  EXPECT_EQ(Num(l1, "allowed_cents"), 12000);
  EXPECT_EQ(Num(l1, "paid_cents"), 8000);
  EXPECT_EQ(Num(l1, "contractual_cents"), 8000);
  EXPECT_EQ(Num(l1, "other_adjustment_cents"), 0);
  EXPECT_EQ(Num(l1, "patient_responsibility_cents"), 4000);
  EXPECT_EQ(Num(l1, "denied_cents"), 0);
  const Struct& l2 = lines[1].struct_value();
  EXPECT_EQ(Num(l2, "allowed_cents"), 3000);
  EXPECT_EQ(Num(l2, "paid_cents"), 2400);
  EXPECT_EQ(Num(l2, "contractual_cents"), 2000);
  EXPECT_EQ(Num(l2, "patient_responsibility_cents"), 600);

  // The human table shows the money in dollars.
  testing::CommandResult table = Rcl({"claim", "show", "--id", "CL1"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("status=adjudicated"));
  EXPECT_THAT(table.out, HasSubstr("104.00"));
  EXPECT_THAT(table.out, HasSubstr("99214"));

  // The statement shows the claim; the patient pays it.
  Struct statement = RclJson({"patient", "statement", "--patient", "P1", "--date", "2026-11-21"});
  EXPECT_EQ(Str(statement, "stream"), "patient-P1");
  EXPECT_EQ(Num(statement, "balance_cents"), 4600);
  std::vector<Value> st_lines = List(statement, "lines");
  ASSERT_EQ(st_lines.size(), 1u);
  EXPECT_EQ(Str(st_lines[0].struct_value(), "claim_id"), "CL1");
  EXPECT_EQ(Num(st_lines[0].struct_value(), "patient_balance_cents"), 4600);
  Ok({"patient", "pay", "--patient", "P1", "--id", "PP1", "--amount", "46.00", "--method", "card",
      "--claim", "CL1", "--date", "2026-11-22"});
  b.patient_paid = 4600;
  b.patient_balance = 0;
  ExpectBalances(Show("CL1"), b);

  // The payer reverses its payment (CLP02=22) and sends a corrected one.
  Ok({"remit", "record", "--id", "R2", "--payer", "87726", "--trace", "TRN124", "--method", "ACH",
      "--amount", "10.00", "--date", "2026-11-24"});
  Ok({"claim", "reverse", "--id", "CL1", "--remit", "R2"});
  Struct reversed = Show("CL1");
  EXPECT_EQ(Str(reversed, "status"), "accepted");
  Balances r;
  r.charge = 25000;
  r.payer_balance = 25000;
  ExpectBalances(reversed,
                 r);  // the patient's 46.00 is owed nothing on CL1 now: back to the account
  EXPECT_EQ(Num(RclJson({"patient", "statement", "--patient", "P1", "--date", "2026-11-24"}),
                "credit_cents"),
            4600);
  for (const Value& line : List(reversed, "lines")) {
    EXPECT_EQ(Num(line.struct_value(), "paid_cents"), 0);
  }
  Ok({"claim", "adjudicate", "--id", "CL1", "--remit", "R2", "--payer-claim-number", "PCN1",
      "--status", "primary", "--line", "1:paid=90.00:allowed=130.00:adj=CO-45:70.00:adj=PR-1:40.00",
      "--line", "2:paid=24.00:allowed=30.00:adj=CO-45:20.00:adj=PR-2:6.00"});
  b.payer_paid = 11400;
  b.contractual = 9000;
  ExpectBalances(Show("CL1"), b);  // the corrected PR takes the patient's credit back
  EXPECT_EQ(Str(Show("CL1"), "status"), "adjudicated");

  // Over-payment: 20.00 more than owed becomes a credit, then is refunded.
  Ok({"patient", "pay", "--patient", "P1", "--id", "PP2", "--amount", "20.00", "--method", "check",
      "--claim", "CL1", "--date", "2026-11-25"});
  ExpectBalances(Show("CL1"), b);  // nothing applied to the claim
  Struct credit = RclJson({"patient", "statement", "--patient", "P1", "--date", "2026-11-26"});
  EXPECT_EQ(Num(credit, "credit_cents"), 2000);
  EXPECT_EQ(Num(credit, "balance_cents"), -2000);
  EXPECT_TRUE(List(credit, "lines").empty());
  ExpectFailure({"patient", "refund", "--patient", "P1", "--amount", "20.01", "--id", "RF0"}, 1,
                {"failed precondition", "exceeds the credit balance"});
  testing::CommandResult refund =
      Rcl({"patient", "refund", "--patient", "P1", "--amount", "20.00", "--id", "RF1"});
  ASSERT_EQ(refund.exit_code, 0) << refund.err;
  EXPECT_THAT(refund.out, StartsWith("ok position="));
  EXPECT_THAT(refund.out, HasSubstr("stream=patient-P1"));
  Struct after = RclJson({"patient", "statement", "--patient", "P1", "--date", "2026-11-26"});
  EXPECT_EQ(Num(after, "credit_cents"), 0);
  EXPECT_EQ(Num(after, "balance_cents"), 0);
  ExpectFailure({"patient", "refund", "--patient", "P1", "--amount", "1.00"}, 1,
                {"failed precondition", "exceeds the credit balance"});
}

TEST_F(ClaimsCliTest, DeniedAppealedOverturnedAndPaid) {
  Patient("P2", "87726");
  Encounter("E2", "P2", {"J06.9"}, {{"99213", "150.00", "1"}});
  BillAndAccept("CL2", "E2", "C1");
  // No appeal without a denial.
  ExpectFailure({"appeal", "file", "--id", "A0", "--claim", "CL2", "--level", "1", "--reason", "x",
                 "--filed", "2026-11-12"},
                1, {"failed precondition", "an appeal needs a denial"});

  Ok({"remit", "record", "--id", "R2", "--payer", "87726", "--trace", "TRN200", "--method", "NON",
      "--amount", "0", "--date", "2026-11-10"});
  uint64_t denied_at =
      Ok({"claim", "adjudicate", "--id", "CL2", "--remit", "R2", "--payer-claim-number", "PCN2",
          "--status", "denied", "--line", "1:paid=0:allowed=0:adj=CO-50:150.00"});
  Struct denied = Show("CL2");
  EXPECT_EQ(Str(denied, "status"), "denied");
  EXPECT_TRUE(Bool(denied, "denied"));
  Balances b;
  b.charge = 15000;
  b.payer_balance = 15000;  // a denial keeps the amount in payer AR
  b.denied = 15000;
  ExpectBalances(denied, b);
  EXPECT_EQ(Num(List(denied, "lines")[0].struct_value(), "denied_cents"), 15000);
  // The denial is queryable: listed while it is in force.
  Struct queue = RclJson({"claim", "denials"});
  ASSERT_EQ(Num(queue, "count"), 1);
  Struct listed = List(queue, "denials")[0].struct_value();
  EXPECT_EQ(Str(listed, "claim_id"), "CL2");
  EXPECT_EQ(Num(listed, "denied_cents"), 15000);
  EXPECT_EQ(Num(listed, "payer_balance_cents"), 15000);

  Ok({"appeal", "file", "--id", "A1", "--claim", "CL2", "--level", "1", "--reason",
      "medically necessary: office notes attached", "--deadline", "2027-05-10", "--filed",
      "2026-11-12"});
  ExpectFailure({"appeal", "file", "--id", "A9", "--claim", "CL2", "--level", "2", "--reason",
                 "again", "--filed", "2026-11-13"},
                1, {"failed precondition", "already has appeal A1 open"});
  std::vector<Value> appeals = List(Show("CL2"), "appeals");
  ASSERT_EQ(appeals.size(), 1u);
  EXPECT_EQ(Str(appeals[0].struct_value(), "appeal_id"), "A1");
  EXPECT_EQ(Str(appeals[0].struct_value(), "outcome"), "open");
  Ok({"appeal", "decide", "--id", "A1", "--outcome", "overturned", "--date", "2026-11-20"});
  EXPECT_EQ(Str(List(Show("CL2"), "appeals")[0].struct_value(), "outcome"), "overturned");
  ExpectFailure({"appeal", "decide", "--id", "A1", "--outcome", "upheld", "--date", "2026-11-21"},
                1, {"failed precondition", "already decided"});

  // Paid on appeal: the new adjudication supersedes the denial.
  Ok({"remit", "record", "--id", "R3", "--payer", "87726", "--trace", "TRN201", "--method", "CHK",
      "--amount", "90.00", "--date", "2026-11-24"});
  Ok({"claim", "adjudicate", "--id", "CL2", "--remit", "R3", "--payer-claim-number", "PCN2",
      "--status", "primary", "--line",
      "1:paid=90.00:allowed=110.00:adj=CO-45:40.00:adj=PR-3:20.00"});
  Struct overturned = Show("CL2");
  EXPECT_EQ(Str(overturned, "status"), "adjudicated");
  EXPECT_FALSE(Bool(overturned, "denied"));
  // Paid on appeal: no longer in the denials.
  EXPECT_EQ(Num(RclJson({"claim", "denials"}), "count"), 0);
  Balances p;
  p.charge = 15000;
  p.payer_paid = 9000;
  p.contractual = 4000;
  p.patient_responsibility = 2000;
  p.patient_balance = 2000;
  ExpectBalances(overturned, p);

  // As of the denial, the claim was denied.
  Struct then = Show("CL2", {"--as-of", std::to_string(denied_at)});
  EXPECT_EQ(Str(then, "status"), "denied");
  EXPECT_EQ(Num(then, "as_of_position"), denied_at);
  ExpectBalances(then, b);

  // A manual adjustment (signed) and a small-balance write-off of the rest.
  ExpectFailure({"claim", "adjust", "--id", "CL2", "--group", "CO", "--reason", "45", "--amount",
                 "1.00", "--note", "fee schedule"},
                1, {"failed precondition", "exceeds the payer balance"});
  // A negative adjustment cannot reopen payer AR on a settled claim: it only
  // takes back a manual adjustment of its kind.
  ExpectFailure({"claim", "adjust", "--id", "CL2", "--group", "OA", "--reason", "94", "--amount",
                 "-5.00", "--note", "payer balance reopened"},
                1, {"failed precondition", "exceeds its manual other adjustments in force (0.00)"});
  ExpectBalances(Show("CL2"), p);
  ExpectFailure(
      {"claim", "write-off", "--id", "CL2", "--reason", "administrative", "--amount", "5.00"}, 1,
      {"failed precondition", "exceeds the payer balance"});
  Ok({"claim", "write-off", "--id", "CL2", "--reason", "small_balance", "--amount", "4.00",
      "--side", "patient", "--note", "under threshold"});
  p.written_off = 400;
  p.patient_balance = 1600;
  ExpectBalances(Show("CL2"), p);
}

TEST_F(ClaimsCliTest, PrimaryThenSecondaryThenPatient) {
  Patient("P3", "60054", "62308");
  Encounter(
      "E3", "P3", {"M17.11"},
      {{"99213", "150.00", "1", "25"}, {"20610", "180.00", "1"}, {"J3301", "32.00", "1", "u4"}});
  BillAndAccept("CL3", "E3", "C1");
  Ok({"remit", "record", "--id", "R4", "--payer", "60054", "--trace", "TRN300", "--method", "ACH",
      "--amount", "192.00", "--date", "2026-11-10"});
  Ok({"claim", "adjudicate", "--id", "CL3", "--remit", "R4", "--payer-claim-number", "PCN3",
      "--status", "primary", "--line", "1:paid=80.00:allowed=100.00:adj=CO-45:50.00:adj=PR-2:20.00",
      "--line", "2:paid=96.00:allowed=120.00:adj=CO-45:60.00:adj=PR-2:24.00", "--line",
      "3:paid=16.00:allowed=20.00:adj=CO-45:12.00:adj=PR-2:4.00"});
  Struct primary = Show("CL3");
  Balances b;
  b.charge = 36200;
  b.payer_paid = 19200;
  b.contractual = 12200;
  b.transferred = 4800;  // to the secondary payer, not the patient
  ExpectBalances(primary, b);
  EXPECT_EQ(Str(primary, "next_claim_id"), "CL3-2");
  EXPECT_EQ(List(primary, "lines")[0]
                .struct_value()
                .fields()
                .at("modifiers")
                .list_value()
                .values(0)
                .string_value(),
            "25");

  Struct secondary = Show("CL3-2");
  EXPECT_EQ(Str(secondary, "status"), "created");
  EXPECT_EQ(Num(secondary, "rank"), 2);
  EXPECT_EQ(Str(secondary, "payer_id"), "62308");
  EXPECT_EQ(Num(secondary, "frequency"), 1);
  Balances s;
  s.charge = 36200;
  s.payer_balance = 4800;
  ExpectBalances(secondary, s);

  Struct scrub = RclJson({"claim", "scrub", "--id", "CL3-2"});
  EXPECT_TRUE(Bool(scrub, "passed"));
  Ok({"claim", "submit", "--id", "CL3-2"});
  Ok({"claim", "ack", "--id", "CL3-2", "--accepted"});
  Ok({"remit", "record", "--id", "R5", "--payer", "62308", "--trace", "TRN301", "--method", "ACH",
      "--amount", "38.40", "--date", "2026-11-18"});
  Ok({"claim", "adjudicate", "--id", "CL3-2", "--remit", "R5", "--payer-claim-number", "PCN4",
      "--status", "secondary", "--line",
      "1:paid=16.00:allowed=20.00:adj=CO-23:130.00:adj=PR-2:4.00", "--line",
      "2:paid=19.20:allowed=24.00:adj=CO-23:156.00:adj=PR-2:4.80", "--line",
      "3:paid=3.20:allowed=4.00:adj=CO-23:28.00:adj=PR-2:0.80"});  // CO-23: the primary's share,
                                                                   // not posted
  s.payer_paid = 3840;
  s.patient_responsibility = 960;
  s.payer_balance = 0;
  s.patient_balance = 960;
  ExpectBalances(Show("CL3-2"), s);
  ExpectBalances(Show("CL3"), b);  // the primary is untouched

  Ok({"patient", "pay", "--patient", "P3", "--id", "PP3", "--amount", "5.00", "--method", "cash",
      "--date", "2026-11-20"});  // oldest open balance first: CL3-2
  s.patient_paid = 500;
  s.patient_balance = 460;
  ExpectBalances(Show("CL3-2"), s);
  Ok({"claim", "write-off", "--id", "CL3-2", "--reason", "small_balance", "--amount", "4.60"});
  s.written_off = 460;
  s.patient_balance = 0;
  ExpectBalances(Show("CL3-2"), s);
  ExpectFailure(
      {"claim", "write-off", "--id", "CL3-2", "--reason", "small_balance", "--amount", "0.01"}, 1,
      {"failed precondition", "exceeds the patient balance"});
}

TEST_F(ClaimsCliTest, RejectedResubmittedReplacedAndVoided) {
  Patient("P4", "00901");
  Encounter("E4", "P4", {"I10"}, {{"99212", "95.00", "1", "25"}, {"93000", "65.00", "1"}});
  Ok({"claim", "create", "--id", "CL4", "--encounter", "E4", "--coverage", "C1"});
  ExpectFailure({"claim", "submit", "--id", "CL4"}, 1,
                {"failed precondition", "must pass scrubbing"});
  Ok({"claim", "scrub", "--id", "CL4"});
  Ok({"claim", "submit", "--id", "CL4", "--batch", "B7"});
  ExpectFailure({"claim", "submit", "--id", "CL4"}, 1,
                {"failed precondition", "already submitted"});
  Ok({"claim", "ack", "--id", "CL4", "--rejected", "--reason", "subscriber id not found"});
  Struct rejected = Show("CL4");
  EXPECT_EQ(Str(rejected, "status"), "rejected");
  EXPECT_EQ(Num(rejected, "submissions"), 1);
  ExpectFailure({"claim", "submit", "--id", "CL4"}, 1,
                {"failed precondition", "was rejected; correct it and scrub it again"});
  Struct scrub = RclJson({"claim", "scrub", "--id", "CL4"});
  EXPECT_TRUE(Bool(scrub, "passed"));
  Ok({"claim", "submit", "--id", "CL4", "--batch", "B8"});
  Struct resubmitted = Show("CL4");
  EXPECT_EQ(Str(resubmitted, "status"), "submitted");
  EXPECT_EQ(Num(resubmitted, "submissions"), 2);
  Ok({"claim", "ack", "--id", "CL4", "--accepted"});

  // Replacement (frequency 7): the payer balance moves to the new claim.
  Ok({"claim", "replace", "--id", "CL4R", "--original", "CL4", "--payer-claim-number", "PCN9"});
  Struct replaced = Show("CL4");
  EXPECT_EQ(Str(replaced, "status"), "replaced");
  EXPECT_EQ(Str(replaced, "next_claim_id"), "CL4R");
  EXPECT_EQ(Num(replaced, "payer_balance_cents"), 0);
  Struct replacement = Show("CL4R");
  EXPECT_EQ(Num(replacement, "frequency"), 7);
  EXPECT_EQ(Str(replacement, "status"), "created");
  Balances b;
  b.charge = 16000;
  b.payer_balance = 16000;
  ExpectBalances(replacement, b);
  ExpectFailure({"claim", "scrub", "--id", "CL4"}, 1,
                {"failed precondition", "claim CL4 is replaced"});

  // A never-submitted claim cannot be voided; a submitted one can (frequency 8).
  ExpectFailure(
      {"claim", "void", "--id", "CL4V", "--original", "CL4R", "--payer-claim-number", "PCN9"}, 1,
      {"failed precondition", "was never submitted"});
  Ok({"claim", "scrub", "--id", "CL4R"});
  Ok({"claim", "submit", "--id", "CL4R"});
  Ok({"claim", "void", "--id", "CL4V", "--original", "CL4R", "--payer-claim-number", "PCN9"});
  Struct voided = Show("CL4R");
  EXPECT_EQ(Str(voided, "status"), "voided");
  EXPECT_EQ(Num(voided, "payer_balance_cents"), 0);
  Struct void_claim = Show("CL4V");
  EXPECT_EQ(Num(void_claim, "frequency"), 8);
  EXPECT_EQ(Num(void_claim, "payer_balance_cents"), 0);
  ExpectFailure({"patient", "pay", "--patient", "P4", "--id", "PP9", "--amount", "1.00", "--method",
                 "card", "--claim", "CL4R", "--date", "2026-11-20"},
                1, {"failed precondition", "voided claim CL4R"});

  // A claim whose coverage is not in force on the date of service fails
  // scrubbing, naming the edit, and cannot be submitted.
  Ok({"coverage", "add", "--patient", "P4", "--id", "C9", "--payer", "60054", "--payer-name",
      "LATE PLAN", "--member-id", "L9", "--rank", "3", "--from", "2026-11-10"});
  Encounter("E9", "P4", {"F41.1"}, {{"99214", "220.00", "1"}});
  Ok({"claim", "create", "--id", "CL9", "--encounter", "E9", "--coverage", "C9"});
  testing::CommandResult failed = Rcl({"claim", "scrub", "--id", "CL9"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;  // the scrub itself is recorded
  EXPECT_THAT(failed.out, HasSubstr("scrub failed"));
  EXPECT_THAT(failed.out, HasSubstr("edit COVERAGE_ACTIVE claim: the coverage is not in force"));
  Struct scrub_json = RclJson({"claim", "scrub", "--id", "CL9"});
  EXPECT_FALSE(Bool(scrub_json, "passed"));
  std::vector<Value> edits = List(scrub_json, "edits");
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(Str(edits[0].struct_value(), "code"), "COVERAGE_ACTIVE");
  EXPECT_EQ(Num(edits[0].struct_value(), "line_number"), 0);
  EXPECT_EQ(Str(Show("CL9"), "status"), "scrub_failed");
  ExpectFailure({"claim", "submit", "--id", "CL9"}, 1,
                {"failed precondition", "must pass scrubbing"});
}

TEST_F(ClaimsCliTest, BadInputsNameTheFlagOrField) {
  Patient("P5", "87726");
  Encounter("E5", "P5", {"K21.9"}, {{"99213", "150.00", "1"}});
  BillAndAccept("CL5", "E5", "C1");
  Ok({"remit", "record", "--id", "R5", "--payer", "87726", "--trace", "TRN500", "--method", "ACH",
      "--amount", "100.00", "--date", "2026-11-20"});
  uint64_t head = Head();
  std::vector<std::string> adjudicate = {"claim", "adjudicate",           "--id", "CL5", "--remit",
                                         "R5",    "--payer-claim-number", "PCN5"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = adjudicate;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  // Usage errors (exit 2) name the flag and the offending part.
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=abc"}), 2, {"--line", "paid=abc"});
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=1.005"}), 2,
                {"--line", "paid=1.005", "more than two decimals"});
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=10.00:adj=XX-45:5.00"}), 2,
                {"--line", "adj=XX-45", "adjustment group"});
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=10.00:adj=CO-45"}), 2,
                {"--line", "adj=CO-45", "needs an amount"});
  ExpectFailure(with({"--status", "primary", "--line", "x:paid=10.00"}), 2,
                {"--line", "line number"});
  ExpectFailure(with({"--status", "primary", "--line", "1:bogus=1"}), 2,
                {"--line", "unexpected part", "bogus=1"});
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=1.00", "--claim-adj", "CO45:1.00"}),
                2, {"--claim-adj", "CO45"});
  ExpectFailure(with({"--status", "paid", "--line", "1:paid=1.00"}), 2, {"--status", "paid"});
  ExpectFailure(with({"--status", "primary"}), 2, {"--line", "--claim-adj"});
  ExpectFailure({"claim", "write-off", "--id", "CL5", "--reason", "gift", "--amount", "1.00"}, 2,
                {"--reason", "gift"});
  ExpectFailure({"claim", "write-off", "--id", "CL5", "--reason", "charity", "--amount", "-1.00"},
                2, {"--amount"});
  ExpectFailure({"claim", "write-off", "--id", "CL5", "--reason", "charity", "--amount", "1.00",
                 "--side", "both"},
                2, {"--side", "both"});
  ExpectFailure({"remit", "record", "--id", "R6", "--payer", "87726", "--trace", "T6", "--method",
                 "WIRE", "--amount", "1.00", "--date", "2026-11-20"},
                2, {"--method", "WIRE"});
  ExpectFailure({"claim", "ack", "--id", "CL5"}, 2, {"--accepted", "--rejected"});
  ExpectFailure({"claim", "ack", "--id", "CL5", "--rejected"}, 2, {"--reason"});
  ExpectFailure({"appeal", "decide", "--id", "A1", "--outcome", "won"}, 2, {"--outcome", "won"});
  ExpectFailure(
      {"claim", "adjust", "--id", "CL5", "--group", "ZZ", "--reason", "45", "--amount", "1.00"}, 2,
      {"--group", "ZZ"});
  ExpectFailure({"claim", "show", "--id", "CL5", "--as-of", "-1"}, 2, {"--as-of"});

  // Server validation (exit 1) names the proto field.
  ExpectFailure({"claim", "create", "--id", "bad id!", "--encounter", "E5", "--coverage", "C1"}, 1,
                {"invalid argument", "claim_id"});
  ExpectFailure({"appeal", "file", "--id", "A1", "--claim", "CL5", "--level", "4", "--reason", "x"},
                1, {"invalid argument", "level"});
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=1.00:adj=CO-4500000:1.00"}), 2,
                {"--line", "CARC"});
  ExpectFailure({"remit", "provider-adjustment", "--id", "R5", "--reason", "L6", "--amount", "0"},
                1, {"invalid argument", "amount_cents"});
  ExpectFailure({"claim", "show", "--id", "NOPE"}, 1, {"not found", "NOPE"});

  // Business rules (exit 1) name the rule.
  ExpectFailure(with({"--status", "primary", "--line", "9:paid=1.00"}), 1,
                {"failed precondition", "line 9 does not belong to claim CL5"});
  ExpectFailure(with({"--status", "primary", "--line", "1:paid=100.00:adj=CO-45:60.00"}), 1,
                {"failed precondition", "line 1 does not balance",
                 "= 50.00 but its adjustments sum to 60.00"});
  ExpectFailure({"remit", "record", "--id", "R7", "--payer", "87726", "--trace", "TRN500",
                 "--method", "ACH", "--amount", "1.00", "--date", "2026-11-20"},
                1, {"failed precondition", "already posted as remittance R5"});
  ExpectFailure({"claim", "reverse", "--id", "CL5", "--remit", "R5"}, 1,
                {"failed precondition", "no adjudication in force"});

  // --json on a usage error: one error object.
  testing::CommandResult r =
      Rcl({"--json", "claim", "write-off", "--id", "CL5", "--reason", "gift", "--amount", "1.00"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Str(Field(ParseJson(r.out), "error").struct_value(), "code"), "USAGE");
  EXPECT_EQ(Head(), head);  // nothing was written

  // A provider-level adjustment and a claim-level adjustment post.
  Ok({"remit", "provider-adjustment", "--id", "R5", "--reason", "L6", "--amount", "-12.34",
      "--reference", "INT1"});
  // A claim-level denial (no lines), then the payer's corrected decision.
  Ok(with({"--status", "denied", "--claim-adj", "CO-197:150.00"}));
  Struct denied = Show("CL5");
  EXPECT_EQ(Str(denied, "status"), "denied");
  EXPECT_TRUE(Bool(denied, "denied"));
  Balances d;
  d.charge = 15000;
  d.payer_balance = 15000;
  d.denied = 15000;
  ExpectBalances(denied, d);
  ExpectFailure(with({"--status", "primary", "--line",
                      "1:paid=100.00:allowed=110.00:adj=CO-45:40.00", "--claim-adj", "PR-3:10.00"}),
                1, {"failed precondition", "line 1 does not balance"});
  Ok(with({"--status", "primary", "--line",
           "1:paid=100.00:allowed=110.00:adj=CO-45:40.00:adj=PR-3:10.00"}));
  Struct c = Show("CL5");
  Balances b;
  b.charge = 15000;
  b.payer_paid = 10000;
  b.contractual = 4000;
  b.patient_responsibility = 1000;
  b.patient_balance = 1000;
  ExpectBalances(c, b);
}

TEST_F(ClaimsCliTest, DemoIsDeterministicAndIdempotent) {
  std::vector<std::string> demo = {"--tenant",   "demo", "demo",   "--seed", "7",
                                   "--patients", "20",   "--days", "10"};
  testing::CommandResult first = Rcl(demo);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err, "");  // no progress bar when stderr is not a terminal
  EXPECT_THAT(first.out, HasSubstr("demo seed=7 patients=20 days=10"));
  EXPECT_THAT(first.out, HasSubstr("commands by type:"));
  EXPECT_THAT(first.out, HasSubstr("charges"));
  EXPECT_THAT(first.out, HasSubstr("$"));
  uint64_t head = Head();
  ASSERT_GT(head, 100u);

  std::vector<std::string> again = demo;
  again.insert(again.begin(), "--json");
  testing::CommandResult second = Rcl(again);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Lines(second.out), 1);
  Struct summary = ParseJson(second.out);
  EXPECT_EQ(Head(), head);  // idempotent: nothing new written
  EXPECT_EQ(Num(summary, "last_position"), head);
  EXPECT_EQ(Num(summary, "first_position"), 1);
  EXPECT_EQ(Num(summary, "patients"), 20);
  EXPECT_GT(Num(summary, "commands"), 100);
  EXPECT_GT(Num(summary, "claims"), 10);
  EXPECT_EQ(Num(summary, "claims_verified"), Num(summary, "claims"));
  EXPECT_GT(Num(summary, "charges_cents"), 0);
  EXPECT_GT(Num(summary, "adjudications"), 0);
  const Struct& by_type = Field(summary, "commands_by_type").struct_value();
  EXPECT_EQ(Num(by_type, "register_patient"), 20);
  EXPECT_GT(Num(by_type, "create_claim"), 0);
  // Same positions as the first run.
  EXPECT_THAT(first.out, HasSubstr(absl::StrCat("positions 1..", head, "  digest ",
                                                Str(summary, "positions_digest"))));

  testing::CommandResult verify = Rcl({"log", "verify", "--whole-log"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, StartsWith("ok chain verified"));
  // The demo tenant's own log: its chain and Merkle tree.
  verify = Rcl({"--tenant", "demo", "log", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, StartsWith("ok tenant demo verified sequences 1.."));

  // Bounds are usage errors.
  ExpectFailure({"demo", "--patients", "10001"}, 2, {"--patients"});
  ExpectFailure({"demo", "--days", "0"}, 2, {"--days"});
  ExpectFailure({"demo", "--end", "2999-01-01"}, 2, {"--end"});
}

}  // namespace
}  // namespace rcl
