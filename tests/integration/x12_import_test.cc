// End-to-end: real-world X12 835 files (tests/x12/fixtures) posted through
// `rcl remit import` against a real rcl-server, after creating the claims
// they pay with the CLI: the --json summary, the claims' balances, the books
// (trial balance 0), duplicates, malformed files and dry runs.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/x12_import_fixture.h"

namespace rcl {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using namespace ::rcl::testing::json;  // NOLINT: JSON helpers
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string FixturePath(const std::string& name) { return testing::X12FixturePath(name); }
std::string ReadFixture(const std::string& name) { return testing::ReadX12Fixture(name); }

class X12ImportTest : public testing::X12CliTest {};

// managed-care.835: two claims paid by a payer named only by TRN03
// (1935665544), mapped to the coverages' payer with `rcl payer alias`; claim
// CAS CO-A2, line CAS PR-1 (deductible) and CO-45.
TEST_F(X12ImportTest, ManagedCarePaysTwoClaimsThroughAPayerAlias) {
  const std::string file = "LinuxForHealth-x12__managed-care.835";
  Ok({"payer", "alias", "--payer", "87726", "--x12-id", "1935665544"});
  Patient("P1", "87726");
  Claim("5554555444", "P1", {{"99211", "800.00"}});
  Claim("8765432112", "P1", {{"93555", "1200.00"}});

  // A dry run decides everything and writes nothing.
  const uint64_t before = Head();
  Struct dry = Import(file, {"--dry-run"});
  EXPECT_TRUE(Bool(dry, "dry_run"));
  EXPECT_FALSE(HasKey(dry, "position"));
  EXPECT_EQ(Num(OnlyRemittance(dry), "claims_posted"), 2);
  EXPECT_GT(Num(dry, "events"), 2);
  EXPECT_EQ(Head(), before);
  EXPECT_EQ(Num(Show("5554555444"), "payer_paid_cents"), 0);

  Struct summary = Import(file);
  EXPECT_FALSE(Bool(summary, "dry_run"));
  EXPECT_GT(Num(summary, "position"), before);
  EXPECT_EQ(Num(summary, "events"), Num(dry, "events"));
  const Struct& r = OnlyRemittance(summary);
  EXPECT_THAT(Str(r, "remit_id"), StartsWith("era-"));
  EXPECT_EQ(Str(r, "payer"), "87726");
  EXPECT_EQ(Str(r, "trace"), "7170066655");
  EXPECT_EQ(Num(r, "total_paid_cents"), 94500);
  EXPECT_EQ(Num(r, "claims_posted"), 2);
  EXPECT_EQ(Num(r, "claims_unmatched"), 0);
  EXPECT_EQ(Num(r, "reversals"), 0);
  EXPECT_EQ(Num(r, "denials"), 0);
  EXPECT_EQ(Num(r, "plb_total_cents"), 0);
  // BPR16 20002316 is not a date: a warning, not a refusal.
  std::vector<Value> warnings = List(summary, "warnings");
  ASSERT_FALSE(warnings.empty());
  EXPECT_THAT(warnings[0].string_value(), HasSubstr("BPR16"));

  // 800.00 - CO-A2 50.00 - PR-1 300.00 = 450.00 paid.
  ExpectMoney(Show("5554555444"), 45000, 5000, 30000, 0);
  // 1200.00 - CO-A2 55.00 - PR-1 600.00 - CO-45 50.00 = 495.00 paid.
  ExpectMoney(Show("8765432112"), 49500, 10500, 60000, 0);
  ExpectTrialBalanceZero();

  // The same file again: ALREADY_EXISTS naming the remittance, nothing posted.
  const uint64_t head = Head();
  testing::CommandResult again = Rcl({"--json", "remit", "import", FixturePath(file)});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_EQ(Str(Obj(ParseJson(again.out), "error"), "code"), "ALREADY_EXISTS");
  ExpectFailure({"remit", "import", FixturePath(file)}, 1, {"already exists", Str(r, "remit_id")});
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Num(Show("5554555444"), "payer_paid_cents"), 45000);
}

// medicare-part-a.835: payer named by REF*2U (999, used as the payer id),
// two claims without SVC lines (spread over our lines), CO-45 contractual,
// and a PLB (CV, -1.27) that adds to the payment.
TEST_F(X12ImportTest, MedicarePartAPaysClaimsWithoutLinesAndAProviderAdjustment) {
  Patient("P1", "999");
  Claim("666123", "P1", {{"99223", "211366.97"}});
  Claim("777777", "P1", {{"99223", "15000.00"}});
  const Struct summary = Import("LinuxForHealth-x12__medicare-part-a.835");
  const Struct& r = OnlyRemittance(summary);
  EXPECT_EQ(Str(r, "payer"), "999");
  EXPECT_EQ(Str(r, "trace"), "12345");
  EXPECT_EQ(Num(r, "total_paid_cents"), 15000000);
  EXPECT_EQ(Num(r, "claims_posted"), 2);
  EXPECT_EQ(Num(r, "claims_unmatched"), 0);
  EXPECT_EQ(Num(r, "plb_total_cents"), -127);
  ExpectMoney(Show("666123"), 13801840, 7334857, 0, 0);
  ExpectMoney(Show("777777"), 1198033, 301967, 0, 0);
  ExpectTrialBalanceZero();
}

// pyx12 835_mult_loops: a $0 BPR (NON) denying one claim of three T1005
// lines (CLP02 4). Our three lines carry modifiers U1-U3 (scrubbing refuses
// identical lines); the payer's SVCs drop them, and still match.
TEST_F(X12ImportTest, ADenialPostsNoMoneyAndMarksTheClaimDenied) {
  Patient("P1", "1386000134");
  Claim("2005555A", "P1",
        {{"T1005", "500.04", "68", "U1"},
         {"T1005", "127.80", "16", "U2"},
         {"T1005", "287.55", "36", "U3"}});
  const Struct summary = Import("pyx12__835_mult_loops.835");
  const Struct& r = OnlyRemittance(summary);
  EXPECT_EQ(Num(r, "total_paid_cents"), 0);
  EXPECT_EQ(Num(r, "claims_posted"), 1);
  EXPECT_EQ(Num(r, "denials"), 1);
  Struct c = Show("2005555A");
  EXPECT_TRUE(Bool(c, "denied"));
  EXPECT_EQ(Num(c, "payer_paid_cents"), 0);
  EXPECT_EQ(Num(c, "charge_cents"), 91539);
  ExpectTrialBalanceZero();
}

// The coordination-of-benefits files pay as secondary and tertiary payer.
// Without claims of ours every claim payment goes to suspense: nothing is
// dropped, and the books still balance.
TEST_F(X12ImportTest, ClaimPaymentsWithoutOurClaimsGoToSuspense) {
  struct Case {
    std::string file;
    int claims;
    int64_t paid;
  };
  const std::vector<Case> cases = {
      {"LinuxForHealth-x12__secondary-payment.835", 2, 122200},
      {"LinuxForHealth-x12__cob-contractural-adjustment.835", 1, 3400}};
  int suspended = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const Struct summary = Import(c.file);
    const Struct& r = OnlyRemittance(summary);
    EXPECT_EQ(Num(r, "claims_posted"), 0);
    EXPECT_EQ(Num(r, "claims_unmatched"), c.claims);
    EXPECT_EQ(Num(r, "total_paid_cents"), c.paid);
    suspended += c.claims;
  }
  testing::CommandResult list = Rcl({"--json", "remit", "suspense", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  google::protobuf::Value items;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(list.out, &items).ok()) << list.out;
  EXPECT_EQ(items.list_value().values_size(), suspended);
  ExpectTrialBalanceZero();
}

// tertiary-payment.835 carries its procedure code in SVC02 (`SVC*HC*24599.00
// *1766.50*187.50`), so its line does not balance: refused with the figures,
// then posted with --accept-imbalance.
TEST_F(X12ImportTest, AnUnbalancedFileIsRefusedUntilTheBillerAcceptsIt) {
  const std::string file = "LinuxForHealth-x12__tertiary-payment.835";
  const uint64_t head = Head();
  testing::CommandResult refused = Rcl({"remit", "import", FixturePath(file)});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("failed precondition"));
  EXPECT_EQ(Head(), head);
  const Struct r = OnlyRemittance(Import(file, {"--accept-imbalance"}));
  EXPECT_EQ(Num(r, "claims_posted") + Num(r, "claims_unmatched"), 1);
  ExpectTrialBalanceZero();
}

// managed-care.835 with BPR02 raised by $10.00: posted with
// --accept-imbalance, the difference is listed by `rcl work remit-imbalance`
// with its remittance, payer and trace for a biller to resolve.
TEST_F(X12ImportTest, AnAcceptedImbalanceIsListedForTheBillerWithItsPayerAndTrace) {
  Ok({"payer", "alias", "--payer", "87726", "--x12-id", "1935665544"});
  Patient("P1", "87726");
  Claim("5554555444", "P1", {{"99211", "800.00"}});
  Claim("8765432112", "P1", {{"93555", "1200.00"}});
  std::string bytes = ReadFixture("LinuxForHealth-x12__managed-care.835");
  const std::string bpr = "BPR*I*945.00*";
  ASSERT_NE(bytes.find(bpr), std::string::npos);
  bytes.replace(bytes.find(bpr), bpr.size(), "BPR*I*955.00*");
  const std::string path = absl::StrCat(dir_.path(), "/over.835");
  std::ofstream(path, std::ios::binary) << bytes;

  Struct empty = RclJson({"work", "remit-imbalance"});
  EXPECT_TRUE(List(empty, "items").empty());
  Struct imported = RclJson({"remit", "import", path, "--accept-imbalance"});
  const Struct& remit = OnlyRemittance(imported);
  EXPECT_EQ(Num(remit, "imbalance_cents"), 1000);

  Struct listed = RclJson({"work", "remit-imbalance"});
  std::vector<Value> items = List(listed, "items");
  ASSERT_EQ(items.size(), 1u) << listed.DebugString();
  const Struct& item = items[0].struct_value();
  EXPECT_EQ(Str(item, "remit_id"), Str(remit, "remit_id"));
  EXPECT_EQ(Str(item, "payer"), "87726");
  EXPECT_EQ(Str(item, "trace"), "7170066655");
  EXPECT_EQ(Num(item, "bpr_cents"), 95500);
  EXPECT_EQ(Num(item, "posted_cents"), 94500);
  EXPECT_EQ(Num(item, "difference_cents"), 1000);
  EXPECT_EQ(Num(listed, "total_cents"), 1000);
  testing::CommandResult text = Rcl({"work", "remit-imbalance"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("payer 87726  trace 7170066655"));
  EXPECT_THAT(text.out, HasSubstr("difference 10.00"));
  ExpectTrialBalanceZero();
}

TEST_F(X12ImportTest, MalformedFilesGiveTheirPreciseErrorsAndWriteNothing) {
  const std::string bytes = ReadFixture("LinuxForHealth-x12__managed-care.835");
  const uint64_t head = Head();

  // Cut inside the second CLP (segment 20).
  const size_t cut = bytes.find("CLP*8765432112");
  ASSERT_NE(cut, std::string::npos);
  ExpectFailure({"remit", "import", WriteFile("truncated.835", bytes.substr(0, cut + 10))}, 1,
                {"invalid argument", "segment 20: the file ends inside a segment (truncated?)"});

  // SE01 one more than the segments ST through SE.
  std::string bad_count = bytes;
  const size_t se = bad_count.find("SE*26*");
  ASSERT_NE(se, std::string::npos);
  bad_count.replace(se, 6, "SE*27*");
  ExpectFailure({"remit", "import", WriteFile("bad-count.835", bad_count)}, 1,
                {"invalid argument", "segment 28 (SE)",
                 "SE01 says 27 segments but transaction 112233 has 26 (ST through SE)"});

  // Not X12 at all; an empty file.
  ExpectFailure({"remit", "import", WriteFile("empty.835", "")}, 1, {"invalid argument"});
  ExpectFailure({"remit", "import", FixturePath("no-such-file.835")}, 2, {"cannot open"});
  EXPECT_EQ(Head(), head);
}

}  // namespace
}  // namespace rcl
