// The claim lifecycle rules of docs/API.md ("Claim lifecycle and the books"),
// one test per sequence a billing office runs, each a reproduction from the
// books-correctness review that put money on the wrong claim or account.
// After every step the books are checked (trial balance zero, every AR
// account equal to what the claims, patients and encounters say, and the
// claim invariants of CheckClaimInvariants).
//
// Setup: P1 with primary coverage COV1 (PAYERA, rank 1) and, where a test
// asks, secondary COV2 (PAYERB, rank 2); encounter E1 with one 1,000.00
// line; claim C1 created, scrubbed, submitted. "Standard primary" is C1
// adjudicated under R1: paid 700.00, allowed 800.00, CO-45 200.00, PR-1 100.00.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/rules/state.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::ledger {
namespace {

using namespace ::rcl::ledger::claims_testing;  // NOLINT: builders
using ::testing::HasSubstr;

constexpr int64_t kCharge = 100'000;

class ClaimsLifecycleTest : public ::testing::Test {
 protected:
  void Setup(bool secondary = false) {
    Ok(RegisterPatient("P1"));
    Ok(AddCoverage("P1", "COV1", "PAYERA", 1));
    if (secondary) Ok(AddCoverage("P1", "COV2", "PAYERB", 2));
    Ok(OpenEncounter("E1", "P1", "2024-03-15"));
    Ok(RecordDiagnoses("E1", {"E11.9"}));
    Ok(RecordCharge("E1", 1, kCharge, "99213"));
    Ok(CompleteCoding("E1"));
    Submitted("C1", "E1");
    Ok(RecordRemittance("R1", "PAYERA", "T1", 70'000));
    Ok(RecordRemittance("R2", "PAYERA", "T2", 0));
    if (secondary) Ok(RecordRemittance("RB", "PAYERB", "TB", 8'000));
  }

  void Submitted(const std::string& claim_id, const std::string& encounter_id) {
    Ok(CreateClaim(claim_id, encounter_id, "COV1"));
    Ok(ScrubClaim(claim_id));
    Ok(SubmitClaim(claim_id));
  }

  // Scrubs and submits a claim the ledger created (a next payer's or a replacement).
  void Submit(const std::string& claim_id) {
    Ok(ScrubClaim(claim_id));
    Ok(SubmitClaim(claim_id));
  }

  Command StandardPrimary(const std::string& claim_id, const std::string& remit_id = "R1") {
    return AdjudicateClaim(claim_id, remit_id,
                           {Line(1, 70'000, {Co("45", 20'000), Pr("1", 10'000)}, 80'000)});
  }
  // The same payer's later decision: the patient owes 20.00, not 100.00.
  Command SupersedeWithPr20(const std::string& claim_id) {
    return AdjudicateClaim(claim_id, "R2",
                           {Line(1, 78'000, {Co("45", 20'000), Pr("1", 2'000)}, 80'000)});
  }

  void Ok(const Command& command) {
    absl::StatusOr<CommandResult> r = books_.Run(command);
    ASSERT_TRUE(r.ok()) << r.status() << "\n" << command.ShortDebugString();
    std::vector<std::string> problems = books_.CheckBooks(&accounts_);
    EXPECT_TRUE(problems.empty()) << "after " << command.ShortDebugString()
                                  << JoinProblems(problems);
  }

  void Refused(const Command& command, const std::vector<std::string>& parts) {
    uint64_t before = books_.head();
    absl::StatusOr<CommandResult> r = books_.Run(command);
    ASSERT_FALSE(r.ok()) << command.ShortDebugString();
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    for (const auto& part : parts) EXPECT_THAT(std::string(r.status().message()), HasSubstr(part));
    EXPECT_EQ(books_.head(), before);
  }

  int64_t Account(const std::string& account) const {
    auto it = accounts_.find(account);
    return it == accounts_.end() ? 0 : it->second;
  }

  ClaimsLedger books_{/*sync_writes=*/false};
  Postings accounts_;
};

// Finding 1: a credit created by a supersede is refundable.
TEST_F(ClaimsLifecycleTest, ACreditLeftByASupersedeIsRefundable) {
  Setup();
  Ok(StandardPrimary("C1"));
  Ok(ReceivePatientPayment("P1", "PAY1", 10'000, {"C1"}));
  Ok(SupersedeWithPr20("C1"));
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.PatientBalance(), 0);
  EXPECT_EQ(c1.patient_paid_cents, 2'000);
  EXPECT_EQ(books_.Patient("P1").credit_cents, 8'000);
  Ok(IssuePatientStatement("P1"));
  Ok(RefundPatient("P1", 8'000, "RF1"));
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);
  EXPECT_EQ(Account("ar:patient:P1"), 0);
}

// Finding 2: a write-off follows the balance it wrote off.
TEST_F(ClaimsLifecycleTest, APatientWriteOffShrinksWithTheBalanceItWroteOff) {
  Setup();
  Ok(StandardPrimary("C1"));
  Ok(WriteOffClaim("C1", rcl::v1::WRITE_OFF_REASON_CHARITY, 10'000));
  Ok(SupersedeWithPr20("C1"));
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.patient_written_off_cents, 2'000);
  EXPECT_EQ(c1.PatientBalance(), 0);
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);  // the patient paid nothing: no credit
  EXPECT_EQ(Account("writeoff:charity"), 2'000);
}

// Finding 3: a payment on appeal takes back the write-off of the denial first.
TEST_F(ClaimsLifecycleTest, APaymentOnAppealReversesTheWriteOffOfTheDenial) {
  Setup();
  Ok(AdjudicateClaim("C1", "R1", {Line(1, 0, {Co("50", kCharge)})},
                     rcl::v1::CLAIM_PAYMENT_STATUS_DENIED));
  EXPECT_EQ(books_.Claim("C1").PayerBalance(), kCharge);  // a denial stays in payer AR
  Ok(WriteOffClaim("C1", rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE, kCharge));
  Ok(FileAppeal("A1", "C1"));
  Ok(DecideAppeal("A1", rcl::v1::APPEAL_OUTCOME_OVERTURNED));
  Ok(AdjudicateClaim("C1", "R2", {Line(1, 80'000, {Co("45", 20'000)})}));
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.PayerBalance(), 0);
  EXPECT_EQ(c1.payer_written_off_cents, 0);
  EXPECT_EQ(Account("writeoff:administrative"), 0);
  EXPECT_EQ(Account("contra:contractual"), 20'000);  // 200.00 of relief on 1,000.00, not 1,200.00
  EXPECT_EQ(Account("cash:payer"), 80'000);
}

// Finding 4: a payment after a bad-debt write-off is a recovery.
TEST_F(ClaimsLifecycleTest, APaymentAfterABadDebtWriteOffRecoversIt) {
  Setup();
  Ok(StandardPrimary("C1"));
  Ok(WriteOffClaim("C1", rcl::v1::WRITE_OFF_REASON_BAD_DEBT, 10'000));
  Ok(ReceivePatientPayment("P1", "PAY1", 10'000, {"C1"}));
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.patient_paid_cents, 10'000);
  EXPECT_EQ(c1.patient_written_off_cents, 0);
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);
  EXPECT_EQ(Account("writeoff:bad_debt"), 0);
  Refused(RefundPatient("P1", 1), {"exceeds the credit balance", "(0.00)"});
}

// Finding 5: a secondary's adjustments are bounded by what was transferred to it.
TEST_F(ClaimsLifecycleTest, ASecondaryPostsOnlyWhatWasTransferredToIt) {
  Setup(/*secondary=*/true);
  Ok(StandardPrimary("C1"));
  EXPECT_EQ(books_.Claim("C1-2").transferred_in_cents, 10'000);
  Submit("C1-2");
  Ok(AdjudicateClaim("C1-2", "RB", {Line(1, 8'000, {Co("23", 90'000), Pr("2", 2'000)})},
                     rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY));
  ClaimState c12 = books_.Claim("C1-2");
  EXPECT_EQ(c12.PayerBalance(), 0);
  EXPECT_EQ(c12.contractual_cents, 0);
  EXPECT_EQ(c12.adjudication->prior_payer_cents, 90'000);
  EXPECT_EQ(c12.PatientBalance(), 2'000);
  EXPECT_EQ(Account("contra:contractual"), 20'000);
  EXPECT_EQ(Account("ar:payer:PAYERB"), 0);
}

// Finding 6: transfers follow the next payer's claim in force.
TEST_F(ClaimsLifecycleTest, ASupersedeMovesTheTransferOnTheReplacementOfTheSecondary) {
  Setup(/*secondary=*/true);
  Ok(StandardPrimary("C1"));
  Submit("C1-2");
  Ok(ReplaceClaim("C1-2R", "C1-2", "PCNB"));
  Ok(SupersedeWithPr20("C1"));
  EXPECT_EQ(books_.Claim("C1-2").PayerBalance(), 0);
  EXPECT_EQ(books_.Claim("C1-2R").PayerBalance(), 2'000);
  EXPECT_FALSE(books_.Stream(ClaimStream("C1-2.2"))->exists())
      << "a second secondary claim for one balance";
  EXPECT_EQ(Account("ar:payer:PAYERB"), 2'000);
}

// Finding 7: a reversal of a replaced claim lands on the claim in force.
TEST_F(ClaimsLifecycleTest, AReversalOfAReplacedClaimMovesToTheReplacement) {
  Setup();
  Ok(StandardPrimary("C1"));
  Ok(ReplaceClaim("C1R", "C1", "PCN1"));
  EXPECT_EQ(books_.Claim("C1R").PayerBalance(), 0);
  Ok(ReverseAdjudication("C1", "R2"));
  EXPECT_EQ(books_.Claim("C1").PayerBalance(), 0);
  EXPECT_EQ(books_.Claim("C1R").PayerBalance(), kCharge);
  Submit("C1R");
  Ok(StandardPrimary("C1R", "R2"));
  EXPECT_EQ(books_.Claim("C1R").PayerBalance(), 0);
  EXPECT_EQ(books_.Claim("C1R").PatientBalance(), 10'000);
  EXPECT_EQ(Account("cash:payer"), 70'000);
  EXPECT_EQ(Account("ar:payer:PAYERA"), 0);
}

// The payer adjudicates the replacement before (or instead of) reversing the
// original: the replacement's adjudication supersedes the original's.
TEST_F(ClaimsLifecycleTest, AReplacementsAdjudicationSupersedesTheOriginals) {
  Setup();
  Ok(StandardPrimary("C1"));
  Ok(ReplaceClaim("C1R", "C1", "PCN1"));
  Submit("C1R");
  Ok(AdjudicateClaim("C1R", "R2", {Line(1, 75'000, {Co("45", 20'000), Pr("1", 5'000)}, 80'000)}));
  ClaimState c1 = books_.Claim("C1");
  ClaimState c1r = books_.Claim("C1R");
  EXPECT_FALSE(c1.adjudication.has_value());
  EXPECT_EQ(c1.PayerBalance(), 0);
  EXPECT_EQ(c1.PatientBalance(), 0);
  EXPECT_EQ(c1r.PayerBalance(), 0);
  EXPECT_EQ(c1r.PatientBalance(), 5'000);
  EXPECT_EQ(Account("cash:payer"), 75'000);
  EXPECT_EQ(Account("ar:patient:P1"), 5'000);
  Refused(ReverseAdjudication("C1", "R2"),
          {"claim C1", "no adjudication in force", "already superseded"});
}

// Without a reversal of the original, the secondary is not billed twice.
TEST_F(ClaimsLifecycleTest, AReplacementTransfersToTheSameSecondaryClaim) {
  Setup(/*secondary=*/true);
  Ok(StandardPrimary("C1"));
  Ok(ReplaceClaim("C1R", "C1", "PCN1"));
  Submit("C1R");
  Ok(StandardPrimary("C1R", "R2"));
  EXPECT_EQ(books_.Claim("C1-2").transferred_in_cents, 10'000);
  EXPECT_FALSE(books_.Stream(ClaimStream("C1R-2"))->exists());
  EXPECT_EQ(Account("ar:payer:PAYERB"), 10'000);
}

// A voided secondary's balance goes back where it came from: the patient
// owes it on the claim that transferred it.
TEST_F(ClaimsLifecycleTest, AVoidOfASecondaryReturnsItsBalanceToThePatient) {
  Setup(/*secondary=*/true);
  Ok(StandardPrimary("C1"));
  Submit("C1-2");
  Ok(VoidClaim("C1-2V", "C1-2", "PCNB"));
  EXPECT_EQ(books_.Claim("C1-2").PayerBalance(), 0);
  EXPECT_EQ(books_.Claim("C1").PatientBalance(), 10'000);
  EXPECT_EQ(Account("ar:payer:PAYERB"), 0);
  EXPECT_EQ(Account("ar:patient:P1"), 10'000);
  EXPECT_EQ(Account("ar:unbilled"), 0);
  // The primary's later decision takes the returned balance back from the patient.
  Ok(SupersedeWithPr20("C1"));
  EXPECT_EQ(books_.Claim("C1").PatientBalance(), 0);
  EXPECT_EQ(books_.Claim("C1-2.2").PayerBalance(),
            2'000);  // a new secondary claim for the new share
  EXPECT_EQ(Account("ar:patient:P1"), 0);
}

// Void, rebill, reverse: a void of a paid claim expects a recoupment, and
// the charge is billed again only once it is recouped.
TEST_F(ClaimsLifecycleTest, AVoidedPaidClaimIsRebilledOnlyAfterTheRecoupment) {
  Setup();
  Ok(AdjudicateClaim("C1", "R1", {Line(1, kCharge)}));
  Ok(VoidClaim("C1V", "C1", "PCN1"));
  EXPECT_EQ(Account("ar:unbilled"), 0);
  Refused(CreateClaim("C2", "E1", "COV1"),
          {"encounter E1", "0.00 of its 1000.00", "not yet recouped"});
  Submit("C1V");
  Refused(AdjudicateClaim("C1V", "R2", {Line(1, kCharge)}), {"claim C1V", "void (frequency 8)"});
  Ok(ReverseAdjudication("C1", "R2"));  // the payer recoups
  EXPECT_EQ(books_.Claim("C1").PayerBalance(), 0);
  EXPECT_EQ(Account("ar:unbilled"), kCharge);
  EXPECT_EQ(Account("cash:payer"), 0);
  Ok(CreateClaim("C2", "E1", "COV1"));
  EXPECT_EQ(books_.Claim("C2").PayerBalance(), kCharge);
  EXPECT_EQ(Account("ar:unbilled"), 0);
  EXPECT_EQ(Account("ar:payer:PAYERA"), kCharge);
  Refused(ReverseAdjudication("C1", "R2"), {"no adjudication in force"});
}

// An unpaid claim's void returns it to unbilled at once.
TEST_F(ClaimsLifecycleTest, AVoidedUnpaidClaimIsRebilledAtOnce) {
  Setup();
  Ok(VoidClaim("C1V", "C1", "PCN1"));
  EXPECT_EQ(Account("ar:unbilled"), kCharge);
  Ok(CreateClaim("C2", "E1", "COV1"));
  EXPECT_EQ(Account("ar:unbilled"), 0);
  EXPECT_EQ(Account("ar:payer:PAYERA"), kCharge);
}

// No AR out of nothing: a negative manual adjustment on a settled claim.
TEST_F(ClaimsLifecycleTest, ANegativeAdjustmentCannotCreatePayerAr) {
  Setup();
  Ok(StandardPrimary("C1"));
  Refused(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_CO, "45", -100'000'000'000),
          {"negative adjustment of -1000000000.00", "claim C1",
           "manual contractual adjustments in force (0.00)"});
  Refused(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_OA, "94", -1),
          {"manual other adjustments in force (0.00)"});
  EXPECT_EQ(Account("ar:payer:PAYERA"), 0);
}

// Relief a biller granted by hand is taken back when the payer pays it.
TEST_F(ClaimsLifecycleTest, AManualAdjustmentIsTakenBackWhenThePayerPaysItsBalance) {
  Setup();
  Ok(AdjudicateClaim("C1", "R1", {Line(1, 0, {Co("50", kCharge)})},
                     rcl::v1::CLAIM_PAYMENT_STATUS_DENIED));
  Ok(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_CO, "45", 30'000));
  Ok(AdjudicateClaim("C1", "R2", {Line(1, 80'000, {Co("45", 20'000)})}));
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.PayerBalance(), 0);
  EXPECT_EQ(c1.manual_contractual_cents, 0);
  EXPECT_EQ(Account("contra:contractual"), 20'000);
}

}  // namespace
}  // namespace rcl::ledger
