// Coordination of benefits through a real rcl-server: a claim paid by the
// primary, secondary and tertiary payers, each through its own 835 (CLP02
// 1, 2, 3) posted with `rcl remit import`; a reversal (CLP02 22) of the
// secondary's payment and its corrected re-payment; another payer's
// secondary payment held in suspense; and the LinuxForHealth
// secondary-payment.835 fixture posted onto claims of ours set up to match
// it. Every dollar is checked where it lands: `rcl claim show`, `rcl books
// balances`, the trial balance and the suspense list.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/x12_import_fixture.h"
#include "tests/x12/x12_builder.h"

namespace rcl {
namespace {

using namespace ::rcl::testing::json;  // NOLINT: JSON helpers
using ::testing::HasSubstr;

constexpr char kPrimary[] = "87726";
constexpr char kSecondary[] = "60054";
constexpr char kTertiary[] = "39026";

// One 835 from `payer` (N1*PR N104) with trace `trace`, paying `bpr` (a
// negative amount is a debit: BPR03 D), holding `claims` (CLP loops).
std::string Remit835(const std::string& payer, const std::string& trace, int64_t bpr_cents,
                     const std::vector<std::string>& claims, const std::string& isa13) {
  x12::testing::X12Builder b;
  b.isa13 = isa13;
  const int64_t amount = bpr_cents < 0 ? -bpr_cents : bpr_cents;
  b.body = {absl::StrCat("BPR*I*", amount / 100, ".", absl::StrFormat("%02d", amount % 100), "*",
                         bpr_cents < 0 ? "D" : "C",
                         "*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*"
                         "20261120"),
            absl::StrCat("TRN*1*", trace, "*1", payer), "DTM*405*20261119",
            absl::StrCat("N1*PR*PLAN ", payer, "*XV*", payer), "N1*PE*RCL CLINIC*XX*1234567893"};
  int lx = 0;
  for (const std::string& segments : claims) {
    b.body.push_back(absl::StrCat("LX*", ++lx));
    for (absl::string_view s : absl::StrSplit(segments, '~')) b.body.emplace_back(s);
  }
  return b.Str();
}

// The claim payments of the tests (CLP loops, '~' between segments) for
// CL1: 99213 200.00 (our line 1), 36415 50.00 (line 2).
// The primary pays 120.00, CO-45 50.00, PR 80.00.
constexpr char kPrimaryClp[] =
    "CLP*CL1*1*250*120*80*12*PCN1*11*1~SVC*HC:99213*200*100**1~CAS*CO*45*40~CAS*PR*2*60~"
    "REF*6R*1~SVC*HC:36415*50*20**1~CAS*CO*45*10~CAS*PR*1*20~REF*6R*2";
// The secondary (crossover: CLP01 = CL1) pays 50.00 of its 80.00, PR 30.00;
// OA-23 170.00 is the primary's share.
constexpr char kSecondaryClp[] =
    "CLP*CL1*2*250*50*30*12*PCN2*11*1~SVC*HC:99213*200*40**1~CAS*OA*23*140~CAS*PR*2*20~"
    "REF*6R*1~SVC*HC:36415*50*10**1~CAS*OA*23*30~CAS*PR*1*10~REF*6R*2";
// Its reversal (CLP01 = CL1), and the corrected re-payment echoing the
// secondary claim's own id: 55.00, PR 25.00.
constexpr char kReversalClp[] =
    "CLP*CL1*22*-250*-50*-30*12*PCN2*11*1~SVC*HC:99213*-200*-40~CAS*OA*23*-140~CAS*PR*2*-20~"
    "REF*6R*1~SVC*HC:36415*-50*-10~CAS*OA*23*-30~CAS*PR*1*-10~REF*6R*2";
constexpr char kCorrectedClp[] =
    "CLP*CL1-2*2*250*55*25*12*PCN2B*11*1~SVC*HC:99213*200*45**1~CAS*OA*23*140~CAS*PR*2*15~"
    "REF*6R*1~SVC*HC:36415*50*10**1~CAS*OA*23*30~CAS*PR*1*10~REF*6R*2";
// The tertiary (CLP01 = CL1) pays 20.00 of its 25.00, PR 5.00.
constexpr char kTertiaryClp[] =
    "CLP*CL1*3*250*20*5*12*PCN3*11*1~SVC*HC:99213*200*15**1~CAS*OA*23*185~REF*6R*1~"
    "SVC*HC:36415*50*5**1~CAS*OA*23*40~CAS*PR*1*5~REF*6R*2";
// A "secondary" payment of 10.00 from a payer no coverage names.
constexpr char kStrangerClp[] = "CLP*CL1*2*250*10*0*12*PCNX*11*1~CAS*OA*23*240";

class X12CobTest : public testing::X12CliTest {
 protected:
  // P1 with a primary, a secondary and a tertiary coverage of three payers;
  // claim CL1 (99213 200.00, 36415 50.00) billed to the primary.
  void SetUpPatientAndClaim() {
    Ok({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE", "--birth-date",
        "1950-02-03"});
    Coverage("P1", "C1", kPrimary, 1);
    Coverage("P1", "C2", kSecondary, 2);
    Coverage("P1", "C3", kTertiary, 3);
    Claim("CL1", "P1", {{"99213", "200.00"}, {"36415", "50.00"}});
  }

  // Imports one 835 of `payer` holding `clp`; its one remittance's summary.
  Struct Post(const std::string& payer, const std::string& trace, int64_t bpr_cents,
              const std::string& clp) {
    const std::string isa13 = absl::StrFormat("%09d", ++files_);
    const Struct summary =
        ImportPath(WriteFile(trace + ".835", Remit835(payer, trace, bpr_cents, {clp}, isa13)));
    const Struct& r = OnlyRemittance(summary);
    EXPECT_EQ(Str(r, "payer"), payer);
    return r;
  }

  int64_t Account(const std::map<std::string, int64_t>& tb, const std::string& account) {
    auto it = tb.find(account);
    return it == tb.end() ? 0 : it->second;
  }

  // The primary's 835: 120.00 on CL1, its PR 80.00 moved to CL1-2, which
  // the ledger creates for the secondary coverage.
  void PrimaryPays() {
    Struct r = Post(kPrimary, "TP1", 12000, kPrimaryClp);
    EXPECT_EQ(Num(r, "claims_posted"), 1);
    EXPECT_EQ(Num(r, "claims_unmatched"), 0);
    Struct cl1 = Show("CL1");
    EXPECT_EQ(Num(cl1, "payer_paid_cents"), 12000);
    EXPECT_EQ(Num(cl1, "contractual_cents"), 5000);
    // PR moved on to the next payer: transferred, not the patient's.
    EXPECT_EQ(Num(cl1, "patient_responsibility_cents"), 0);
    EXPECT_EQ(Num(cl1, "transferred_cents"), 8000);
    EXPECT_EQ(Num(cl1, "payer_balance_cents"), 0);
    EXPECT_EQ(Num(cl1, "patient_balance_cents"), 0);
    ASSERT_EQ(Str(cl1, "next_claim_id"), "CL1-2");
    Struct cl2 = Show("CL1-2");
    EXPECT_EQ(Str(cl2, "payer_id"), kSecondary);
    EXPECT_EQ(Num(cl2, "rank"), 2);
    EXPECT_EQ(Num(cl2, "transferred_in_cents"), 8000);
    EXPECT_EQ(Num(cl2, "payer_balance_cents"), 8000);
  }

  // The biller bills CL1-2; the secondary's crossover payment lands on it
  // and leaves 30.00 to the tertiary's claim CL1-2-3.
  void SecondaryPays() {
    Submit("CL1-2");
    Struct r = Post(kSecondary, "TS1", 5000, kSecondaryClp);
    EXPECT_EQ(Num(r, "claims_posted"), 1);
    EXPECT_EQ(Num(r, "claims_unmatched"), 0);
    Struct cl2 = Show("CL1-2");
    EXPECT_EQ(Num(cl2, "payer_paid_cents"), 5000);
    // OA-23 is the primary's share, never billed to the secondary: not an
    // adjustment of its own.
    EXPECT_EQ(Num(cl2, "contractual_cents"), 0);
    EXPECT_EQ(Num(cl2, "other_adjustment_cents"), 0);
    EXPECT_EQ(Num(cl2, "patient_responsibility_cents"), 0);
    EXPECT_EQ(Num(cl2, "transferred_cents"), 3000);
    EXPECT_EQ(Num(cl2, "payer_balance_cents"), 0);
    ASSERT_EQ(Str(cl2, "next_claim_id"), "CL1-2-3");
    Struct cl3 = Show("CL1-2-3");
    EXPECT_EQ(Str(cl3, "payer_id"), kTertiary);
    EXPECT_EQ(Num(cl3, "rank"), 3);
    EXPECT_EQ(Num(cl3, "transferred_in_cents"), 3000);
    EXPECT_EQ(Num(Show("CL1"), "payer_paid_cents"), 12000);  // the primary's claim is untouched
  }

  // The secondary takes its payment back, then pays 55.00 instead.
  void SecondaryReversesAndRepays() {
    Struct r = Post(kSecondary, "TS2", -5000, kReversalClp);
    EXPECT_EQ(Num(r, "reversals"), 1);
    EXPECT_EQ(Num(r, "claims_posted"), 0);
    EXPECT_EQ(Num(r, "claims_unmatched"), 0);
    Struct cl2 = Show("CL1-2");
    EXPECT_EQ(Num(cl2, "payer_paid_cents"), 0);
    EXPECT_EQ(Num(cl2, "transferred_cents"), 0);
    EXPECT_EQ(Num(cl2, "payer_balance_cents"), 8000);
    EXPECT_EQ(Num(Show("CL1-2-3"), "transferred_in_cents"), 0);
    EXPECT_EQ(Num(Show("CL1-2-3"), "payer_balance_cents"), 0);
    EXPECT_EQ(Num(Show("CL1"), "payer_paid_cents"), 12000);

    r = Post(kSecondary, "TS3", 5500, kCorrectedClp);
    EXPECT_EQ(Num(r, "claims_posted"), 1);
    EXPECT_EQ(Num(r, "claims_unmatched"), 0);
    cl2 = Show("CL1-2");
    EXPECT_EQ(Num(cl2, "payer_paid_cents"), 5500);
    EXPECT_EQ(Num(cl2, "transferred_cents"), 2500);
    EXPECT_EQ(Num(cl2, "payer_balance_cents"), 0);
    EXPECT_EQ(Str(cl2, "next_claim_id"), "CL1-2-3");  // the same tertiary claim, not a new one
    EXPECT_EQ(Num(Show("CL1-2-3"), "transferred_in_cents"), 2500);
  }

  // The tertiary pays 20.00 of its 25.00; the patient owes 5.00.
  void TertiaryPays() {
    Submit("CL1-2-3");
    Struct r = Post(kTertiary, "TT1", 2000, kTertiaryClp);
    EXPECT_EQ(Num(r, "claims_posted"), 1);
    Struct cl3 = Show("CL1-2-3");
    EXPECT_EQ(Num(cl3, "payer_paid_cents"), 2000);
    EXPECT_EQ(Num(cl3, "other_adjustment_cents"), 0);
    EXPECT_EQ(Num(cl3, "patient_responsibility_cents"), 500);
    EXPECT_EQ(Num(cl3, "payer_balance_cents"), 0);
    EXPECT_EQ(Num(cl3, "patient_balance_cents"), 500);
    EXPECT_EQ(Str(cl3, "next_claim_id"), "");
  }

  // A secondary payment from a payer that is not the secondary coverage's.
  void AnotherPayerWaitsInSuspense() {
    Struct r = Post("11111", "TX1", 1000, kStrangerClp);
    EXPECT_EQ(Num(r, "claims_posted"), 0);
    EXPECT_EQ(Num(r, "claims_unmatched"), 1);
    std::vector<Struct> suspense = SuspenseItems();
    ASSERT_EQ(suspense.size(), 1u);
    EXPECT_EQ(Str(suspense[0], "payer"), "11111");
    EXPECT_EQ(Num(suspense[0], "paid_cents"), 1000);
    EXPECT_THAT(Str(suspense[0], "reason"), HasSubstr("billed to payer 60054"));
    EXPECT_EQ(Num(Show("CL1-2"), "payer_paid_cents"), 5500);
  }

  // The books: each payer's money on its own claim, the patient's 5.00,
  // the stranger's 10.00 in suspense, and nothing else left open.
  void ExpectEveryDollarInItsPlace() {
    Struct patient =
        RclJson({"books", "balances", "--patient", "P1", "--min-position", absl::StrCat(Head())});
    EXPECT_EQ(Num(patient, "payer_paid_cents"), 12000 + 5500 + 2000);
    EXPECT_EQ(Num(patient, "payer_balance_cents"), 0);
    EXPECT_EQ(Num(patient, "patient_balance_cents"), 500);
    EXPECT_EQ(Num(patient, "claims"), 3);
    const std::vector<std::pair<std::string, int64_t>> paid_by = {
        {kPrimary, 12000}, {kSecondary, 5500}, {kTertiary, 2000}};
    for (const auto& [payer, paid] : paid_by) {
      SCOPED_TRACE(payer);
      Struct b = RclJson({"books", "balances", "--payer", payer});
      EXPECT_EQ(Num(b, "payer_paid_cents"), paid);
      EXPECT_EQ(Num(b, "payer_balance_cents"), 0);
    }
    int64_t total = -1;
    std::map<std::string, int64_t> tb = TrialBalance(&total);
    EXPECT_EQ(total, 0);
    EXPECT_EQ(Account(tb, "ar:payer:87726"), 0);
    EXPECT_EQ(Account(tb, "ar:payer:60054"), 0);
    EXPECT_EQ(Account(tb, "ar:payer:39026"), 0);
    EXPECT_EQ(Account(tb, "ar:patient:P1"), 500);
    EXPECT_EQ(Account(tb, "cash:payer"), 12000 + 5000 - 5000 + 5500 + 2000 + 1000);
    EXPECT_EQ(Account(tb, "suspense:unapplied"), -1000);
  }

 private:
  int files_ = 200;  // ISA13 of the next file
};

// The primary pays 120.00 (CO-45 50.00, PR 80.00): the 80.00 moves to the
// secondary's claim CL1-2, which the ledger creates; the secondary pays
// 50.00 of it on a crossover (CLP01 = CL1) and leaves 30.00 to the
// tertiary's claim; it then reverses that payment (22, CLP01 = CL1) and pays
// 55.00 instead (CLP01 = CL1-2, as billed), leaving 25.00; the tertiary pays
// 20.00 and the patient owes 5.00. A "secondary" payment from a payer that
// is not the secondary coverage's waits in suspense.
TEST_F(X12CobTest, PrimarySecondaryAndTertiaryEachPayTheirOwnClaim) {
  SetUpPatientAndClaim();
  ASSERT_NO_FATAL_FAILURE(PrimaryPays());
  ASSERT_NO_FATAL_FAILURE(SecondaryPays());
  ASSERT_NO_FATAL_FAILURE(SecondaryReversesAndRepays());
  ASSERT_NO_FATAL_FAILURE(TertiaryPays());
  ASSERT_NO_FATAL_FAILURE(AnotherPayerWaitsInSuspense());
  ExpectEveryDollarInItsPlace();
}

// A secondary's 835 for a claim the primary has not adjudicated yet has no
// secondary claim to post to: suspense, naming the claim billed to another
// payer; applied by the biller once the secondary claim exists.
TEST_F(X12CobTest, ASecondaryPaymentBeforeThePrimaryWaitsInSuspenseUntilApplied) {
  SetUpPatientAndClaim();
  Struct r = Post(kSecondary, "TS1", 5000, kSecondaryClp);
  EXPECT_EQ(Num(r, "claims_unmatched"), 1);
  std::vector<Struct> suspense = SuspenseItems();
  ASSERT_EQ(suspense.size(), 1u);
  EXPECT_THAT(Str(suspense[0], "reason"), HasSubstr("claim CL1 is billed to payer 87726"));
  EXPECT_EQ(Num(Show("CL1"), "payer_paid_cents"), 0);

  Post(kPrimary, "TP1", 12000, kPrimaryClp);
  Submit("CL1-2");
  Ok({"remit", "suspense", "apply", "--item", Str(suspense[0], "item_id"), "--claim", "CL1-2"});
  EXPECT_TRUE(SuspenseItems().empty());
  Struct cl2 = Show("CL1-2");
  EXPECT_EQ(Num(cl2, "payer_paid_cents"), 5000);
  EXPECT_EQ(Num(cl2, "payer_balance_cents"), 0);
  EXPECT_EQ(Num(Show("CL1-2-3"), "transferred_in_cents"), 3000);
  int64_t total = -1;
  std::map<std::string, int64_t> tb = TrialBalance(&total);
  EXPECT_EQ(total, 0);
  EXPECT_EQ(Account(tb, "suspense:unapplied"), 0);
  EXPECT_EQ(Account(tb, "ar:payer:39026"), 3000);
}

// LinuxForHealth secondary-payment.835: a secondary payer named only by
// TRN03 (1559123456) pays two crossover claims as secondary (CLP02 2). Our
// claims L0004828311 (one line, charge 10,323.64) and 0001000053 (12345-26
// 166.50, 66543-26 585.00) were paid by the primary first (through `rcl
// claim adjudicate`), leaving 912.00 and 615.00 to the secondary coverage.
// The file's OA-23 amounts are exactly the primary's share; CO-42 85.00 is
// the secondary's own contractual adjustment and PR 220.00 the patient's.
TEST_F(X12CobTest, LinuxForHealthSecondaryPaymentPostsOntoOurSecondaryClaims) {
  const std::string secondary_payer = "1559123456";
  Ok({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE", "--birth-date",
      "1950-02-03"});
  Coverage("P1", "C1", kPrimary, 1);
  Coverage("P1", "C2", secondary_payer, 2);
  Claim("L0004828311", "P1", {{"99223", "10323.64"}});
  Claim("0001000053", "P1", {{"12345", "166.50", "1", "26"}, {"66543", "585.00", "1", "26"}});
  Ok({"remit", "record", "--id", "R1", "--payer", kPrimary, "--trace", "PRI1", "--method", "ACH",
      "--amount", "8136.50", "--date", "2005-03-20"});
  Ok({"claim", "adjudicate", "--id", "L0004828311", "--remit", "R1", "--payer-claim-number",
      "PRI-A", "--status", "primary", "--line",
      "1:paid=8000.00:adj=CO-45:1411.64:adj=PR-1:912.00"});
  Ok({"claim", "adjudicate", "--id", "0001000053", "--remit", "R1", "--payer-claim-number", "PRI-B",
      "--status", "primary", "--line", "1:paid=136.50:adj=PR-2:30.00", "--line",
      "2:paid=0:adj=PR-1:585.00"});
  ASSERT_EQ(Num(Show("L0004828311-2"), "transferred_in_cents"), 91200);
  ASSERT_EQ(Num(Show("0001000053-2"), "transferred_in_cents"), 61500);
  Submit("L0004828311-2");
  Submit("0001000053-2");

  Struct summary = Import("LinuxForHealth-x12__secondary-payment.835");
  const Struct& r = OnlyRemittance(summary);
  EXPECT_EQ(Str(r, "payer"), secondary_payer);
  EXPECT_EQ(Num(r, "total_paid_cents"), 122200);
  EXPECT_EQ(Num(r, "claims_posted"), 2);
  EXPECT_EQ(Num(r, "claims_unmatched"), 0);
  EXPECT_TRUE(SuspenseItems().empty());

  // No SVC lines: 912.00 and OA-23 9,411.64 spread over our one line.
  Struct a = Show("L0004828311-2");
  EXPECT_EQ(Num(a, "payer_paid_cents"), 91200);
  EXPECT_EQ(Num(a, "other_adjustment_cents"), 0);
  EXPECT_EQ(Num(a, "payer_balance_cents"), 0);
  EXPECT_EQ(Num(a, "patient_balance_cents"), 0);
  // SVC01 with '>' (ISA16 ':') still matches 12345-26 and 66543-26.
  Struct b = Show("0001000053-2");
  EXPECT_EQ(Num(b, "payer_paid_cents"), 31000);
  EXPECT_EQ(Num(b, "contractual_cents"), 8500);
  EXPECT_EQ(Num(b, "other_adjustment_cents"), 0);
  EXPECT_EQ(Num(b, "patient_responsibility_cents"), 22000);
  EXPECT_EQ(Num(b, "payer_balance_cents"), 0);
  EXPECT_EQ(Num(b, "patient_balance_cents"), 22000);
  std::vector<Value> lines = List(b, "lines");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Num(lines[0].struct_value(), "paid_cents"), 3000);
  EXPECT_EQ(Num(lines[1].struct_value(), "paid_cents"), 28000);
  EXPECT_EQ(Num(lines[1].struct_value(), "allowed_cents"), 50000);

  int64_t total = -1;
  std::map<std::string, int64_t> tb = TrialBalance(&total);
  EXPECT_EQ(total, 0);
  EXPECT_EQ(Account(tb, "ar:payer:" + secondary_payer), 0);
  EXPECT_EQ(Account(tb, "ar:payer:87726"), 0);
  EXPECT_EQ(Account(tb, "ar:patient:P1"), 22000);
  EXPECT_EQ(Account(tb, "suspense:unapplied"), 0);
}

}  // namespace
}  // namespace rcl
