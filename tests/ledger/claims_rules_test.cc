// Claims-to-cash business rules and input validation, one table row each.
// A broken rule is FAILED_PRECONDITION with a message naming the rule and
// the entity; bad input is INVALID_ARGUMENT whose field violations name the
// field. Either way nothing is written (the log head does not move).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/status.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::ledger {
namespace {

using namespace ::rcl::ledger::claims_testing;  // NOLINT: builders
using ::testing::HasSubstr;

struct RuleCase {
  std::string name;
  Command command;
  absl::StatusCode code;
  // FAILED_PRECONDITION: parts of the message (the rule and the entity).
  // INVALID_ARGUMENT: the violated field names.
  std::vector<std::string> expected;
};

// What ctest shows beside the case's name: the rule, not the struct's bytes.
void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

RuleCase Rule(std::string name, Command command, std::vector<std::string> message_parts) {
  return {std::move(name), std::move(command), absl::StatusCode::kFailedPrecondition,
          std::move(message_parts)};
}
RuleCase Bad(std::string name, Command command, std::vector<std::string> fields) {
  return {std::move(name), std::move(command), absl::StatusCode::kInvalidArgument,
          std::move(fields)};
}

void Coded(std::vector<Command>* out, const std::string& encounter_id,
           const std::string& patient_id = "P1") {
  out->push_back(OpenEncounter(encounter_id, patient_id));
  out->push_back(RecordDiagnoses(encounter_id, {"E11.9", "I10"}));
  out->push_back(RecordCharge(encounter_id, 1, 10000, "99213"));
  out->push_back(RecordCharge(encounter_id, 2, 5000, "85025"));
  out->push_back(CompleteCoding(encounter_id));
}

void Submitted(std::vector<Command>* out, const std::string& claim_id,
               const std::string& encounter_id) {
  Coded(out, encounter_id);
  out->push_back(CreateClaim(claim_id, encounter_id, "COV1"));
  out->push_back(ScrubClaim(claim_id));
  out->push_back(SubmitClaim(claim_id));
}

void Denied(std::vector<Command>* out, const std::string& claim_id,
            const std::string& encounter_id) {
  Submitted(out, claim_id, encounter_id);
  out->push_back(AcknowledgeClaim(claim_id, true));
  out->push_back(AdjudicateClaim(claim_id, "R1",
                                 {Line(1, 0, {Co("50", 10000)}), Line(2, 0, {Co("50", 5000)})}));
}

// The world every row starts from:
//   P1 (COV1 PAYERA rank 1; COVX rank 3 in force only from 2025), P2 (COV9 PAYERB);
//   remittances R1 (PAYERA, trace T1) and RB (PAYERB);
//   C1 created on E1, not scrubbed; E2 charged but not coded; C3 submitted on E3;
//   C4 denied with appeal A4 open; C5 denied with appeal A5 upheld;
//   C6 voided by C6V; E7 coded, unbilled; C8 paid in full; C9 failed scrubbing;
//   C10 paid in full, then voided by C10V (the payment not yet recouped).
std::vector<Command> World() {
  std::vector<Command> w = {
      RegisterPatient("P1"),
      AddCoverage("P1", "COV1", "PAYERA", 1),
      AddCoverage("P1", "COVX", "PAYERX", 3, "2025-01-01"),
      RegisterPatient("P2"),
      AddCoverage("P2", "COV9", "PAYERB", 1),
      RecordRemittance("R1", "PAYERA", "T1", 15000),
      RecordRemittance("RB", "PAYERB", "TB1", 0),
  };
  Coded(&w, "E1");
  w.push_back(CreateClaim("C1", "E1", "COV1"));
  w.push_back(OpenEncounter("E2", "P1"));
  w.push_back(RecordDiagnoses("E2", {"E11.9"}));
  w.push_back(RecordCharge("E2", 1, 10000, "99213"));
  Submitted(&w, "C3", "E3");
  Denied(&w, "C4", "E4");
  w.push_back(FileAppeal("A4", "C4"));
  Denied(&w, "C5", "E5");
  w.push_back(FileAppeal("A5", "C5"));
  w.push_back(DecideAppeal("A5", rcl::v1::APPEAL_OUTCOME_UPHELD));
  Submitted(&w, "C6", "E6");
  w.push_back(VoidClaim("C6V", "C6"));
  Coded(&w, "E7");
  Submitted(&w, "C8", "E8");
  w.push_back(AdjudicateClaim("C8", "R1", {Line(1, 10000), Line(2, 5000)}));
  Coded(&w, "E9");
  w.push_back(CreateClaim("C9", "E9", "COVX"));
  w.push_back(ScrubClaim("C9"));  // COVERAGE_ACTIVE fails: COVX starts after the date of service
  Submitted(&w, "C10", "E10");
  w.push_back(AdjudicateClaim("C10", "R1", {Line(1, 10000), Line(2, 5000)}));
  w.push_back(VoidClaim("C10V", "C10"));  // paid, voided, not yet recouped
  return w;
}

std::vector<RuleCase> Cases() {
  using rcl::v1::ADJUSTMENT_GROUP_CO;
  std::vector<RuleCase> cases = {
      // Claims.
      Rule("ClaimForAnEncounterNotCodingComplete", CreateClaim("CX", "E2", "COV1"),
           {"encounter E2", "has not completed coding"}),
      Rule("EncounterAlreadyBilled", CreateClaim("CX", "E1", "COV1"),
           {"encounter E1", "already billed", "C1"}),
      Rule("CoverageNotThePatients", CreateClaim("CX", "E7", "COV9"),
           {"coverage COV9", "not a coverage of the encounter's patient"}),
      Rule("ClaimIdTaken", CreateClaim("C1", "E7", "COV1"), {"claim C1", "already exists"}),
      Rule("SubmitBeforeScrub", SubmitClaim("C1"), {"claim C1", "must pass scrubbing"}),
      Rule("SubmitAfterAFailedScrub", SubmitClaim("C9"), {"claim C9", "must pass scrubbing"}),
      Rule("SubmitTwiceWithoutARejection", SubmitClaim("C3"), {"claim C3", "already submitted"}),
      Rule("AcknowledgeANonSubmittedClaim", AcknowledgeClaim("C1", true),
           {"claim C1", "only a submitted claim"}),
      Rule("ReplaceANeverSubmittedClaim", ReplaceClaim("CX", "C1"),
           {"claim C1", "never submitted"}),
      Rule("VoidANeverSubmittedClaim", VoidClaim("CX", "C1"), {"claim C1", "never submitted"}),
      Rule("VoidAVoidedClaim", VoidClaim("CX", "C6"), {"claim C6", "voided"}),
      // Remittances and adjudication.
      Rule("SamePayerAndTraceTwice", RecordRemittance("R9", "PAYERA", "T1", 100),
           {"payer PAYERA", "trace T1", "already posted", "R1"}),
      Rule("AdjudicateBeforeSubmission", AdjudicateClaim("C1", "R1", {Line(1, 100)}),
           {"claim C1", "only a submitted claim is adjudicated"}),
      Rule("RemittanceFromAnotherPayer", AdjudicateClaim("C3", "RB", {Line(1, 100)}),
           {"remittance RB", "payer PAYERB", "claim C3", "PAYERA"}),
      Rule("LineNotOnTheClaim", AdjudicateClaim("C3", "R1", {Line(1, 10000), Line(3, 100)}),
           {"line 3", "does not belong to claim C3"}),
      // Every adjudicated line balances: charge - paid = its adjustments.
      Rule("PaymentsPlusAdjustmentsExceedTheCharge",
           AdjudicateClaim("C3", "R1",
                           {Line(1, 9000, {Co("45", 500), Pr("1", 501)}), Line(2, 5000)}),
           {"line 1 does not balance", "charge 100.00 - paid 90.00 = 10.00", "sum to 10.01"}),
      Rule("PaymentsPlusAdjustmentsBelowTheCharge",
           AdjudicateClaim("C3", "R1", {Line(1, 9000, {Co("45", 500)}), Line(2, 5000)}),
           {"line 1 does not balance", "sum to 5.00"}),
      Rule("OverpaidLineAdjustedDown",
           AdjudicateClaim("C3", "R1", {Line(1, 10001, {Co("45", 1)}), Line(2, 5000)}),
           {"line 1 does not balance", "= -0.01", "sum to 0.01"}),
      Rule("NegativePatientResponsibilityWithNothingPaid",
           AdjudicateClaim("C3", "R1",
                           {Line(1, 0, {Pr("1", -100'000)}, /*allowed_cents=*/0), Line(2, 5000)}),
           {"line 1 does not balance", "sum to -1000.00"}),
      Rule("HugeNegativeContractualAdjustments",
           AdjudicateClaim("C3", "R1",
                           {Line(1, 0,
                                 {Co("45", -99'999'999'999), Co("45", -99'999'999'999),
                                  Co("45", -99'999'999'999)}),
                            Line(2, 5000)}),
           {"line 1 does not balance"}),
      Rule(
          "PaidAboveAllowed",
          AdjudicateClaim("C3", "R1",
                          {Line(1, 9000, {Co("45", 1000)}, /*allowed_cents=*/8000), Line(2, 5000)}),
          {"line 1",
           "paid 90.00 plus patient responsibility 0.00 exceeds the allowed amount 80.00"}),
      Rule("PaidPlusPatientResponsibilityAboveAllowed",
           AdjudicateClaim("C3", "R1",
                           {Line(1, 7000, {Co("45", 1000), Pr("1", 2000)}, 8000), Line(2, 5000)}),
           {"line 1", "plus patient responsibility 20.00 exceeds the allowed amount 80.00"}),
      Rule("ClaimLevelAdjustmentsUnbalanceTheClaim",
           AdjudicateClaim("C3", "R1", {Line(1, 10000), Line(2, 5000)},
                           rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY, "PCN", {Co("45", 100)}),
           {"claim C3 does not balance", "sum to 1.00"}),
      Rule("LineLeftOutAndNotCoveredAtClaimLevel", AdjudicateClaim("C3", "R1", {Line(1, 10000)}),
           {"claim C3 does not balance", "charge 150.00 - paid 100.00 = 50.00", "sum to 0.00"}),
      Rule("AdjudicateAVoidClaim", AdjudicateClaim("C10V", "R1", {Line(1, 10000), Line(2, 5000)}),
           {"claim C10V", "void (frequency 8)"}),
      Rule("RebillAVoidedClaimBeforeTheRecoupment", CreateClaim("CX", "E10", "COV1"),
           {"encounter E10", "0.00 of its 150.00", "not yet recouped"}),
      Rule("NegativeManualAdjustmentCreatingAr",
           AdjustClaim("C8", ADJUSTMENT_GROUP_CO, "45", -100'000'000'000),
           {"negative adjustment", "claim C8", "manual contractual adjustments in force (0.00)"}),
      Rule("ReverseWithNothingInForce", ReverseAdjudication("C3", "R1"),
           {"claim C3", "no adjudication in force"}),
      Rule("ReverseWithAnotherPayersRemittance", ReverseAdjudication("C8", "RB"),
           {"remittance RB", "claim C8"}),
      // Appeals.
      Rule("AppealWithoutADenial", FileAppeal("A9", "C3"), {"appeal needs a denial", "C3"}),
      Rule("AppealOfAPaidClaim", FileAppeal("A9", "C8"), {"appeal needs a denial", "C8"}),
      Rule("SecondOpenAppeal", FileAppeal("A9", "C4", 2),
           {"claim C4", "already has appeal A4 open"}),
      Rule("DecideAnAppealTwice", DecideAppeal("A5", rcl::v1::APPEAL_OUTCOME_OVERTURNED),
           {"appeal A5", "already decided"}),
      // Patient account.
      Rule("PaymentAppliedToAVoidedClaim", ReceivePatientPayment("P1", "PAYX", 100, {"C6"}),
           {"voided claim C6"}),
      Rule("PaymentAppliedToAnotherPatientsClaim", ReceivePatientPayment("P2", "PAYX", 100, {"C3"}),
           {"claim C3", "not a claim of patient P2"}),
      Rule("RefundAboveTheCredit", RefundPatient("P1", 1),
           {"refund", "exceeds the credit balance", "P1"}),
      // Adjustments and write-offs.
      Rule("PayerWriteOffAboveTheBalance",
           WriteOffClaim("C3", rcl::v1::WRITE_OFF_REASON_CONTRACTUAL, 15001),
           {"write-off", "exceeds the payer balance", "claim C3"}),
      Rule("PatientWriteOffAboveTheBalance",
           WriteOffClaim("C3", rcl::v1::WRITE_OFF_REASON_BAD_DEBT, 1),
           {"write-off", "exceeds the patient balance", "claim C3"}),
      Rule("PatientSideWriteOffOfAPaidClaim",
           WriteOffClaim("C8", rcl::v1::WRITE_OFF_REASON_CONTRACTUAL, 1,
                         rcl::v1::BALANCE_SIDE_PATIENT),
           {"write-off", "exceeds the patient balance", "claim C8"}),
      Rule("AdjustmentAboveThePayerBalance", AdjustClaim("C3", ADJUSTMENT_GROUP_CO, "45", 15001),
           {"adjustment", "exceeds the payer balance of claim C3"}),
      Rule("AdjustAVoidedClaimBeyondItsBalance", AdjustClaim("C6", ADJUSTMENT_GROUP_CO, "45", 1),
           {"exceeds the payer balance of claim C6"}),
      // Bad input.
      Bad("NegativeRemittanceTotal", RecordRemittance("R9", "PAYERA", "T9", -1), {"total_cents"}),
      Bad("AdjudicationWithoutStatus",
          AdjudicateClaim("C3", "R1", {Line(1, 100)}, rcl::v1::CLAIM_PAYMENT_STATUS_UNSPECIFIED),
          {"status"}),
      Bad("PrAsAManualAdjustmentGroup", AdjustClaim("C3", rcl::v1::ADJUSTMENT_GROUP_PR, "1", 100),
          {"group"}),
      Bad("AppealLevel4", FileAppeal("A9", "C4", 4), {"level"}),
      Bad("ZeroPatientPayment", ReceivePatientPayment("P1", "PAYX", 0), {"amount_cents"}),
      Bad("LineAdjudicatedTwice", AdjudicateClaim("C3", "R1", {Line(1, 100), Line(1, 200)}),
          {"lines[1].line_number"}),
      Bad("FutureFiledDate", FileAppeal("A9", "C4", 1, TodayPlus(1)), {"filed_date"}),
      Bad("NegativeLinePayment", AdjudicateClaim("C3", "R1", {Line(1, -100, {}, 0)}),
          {"lines[0].paid_cents"}),
      Bad("ZeroAdjustmentAmount", AdjudicateClaim("C3", "R1", {Line(1, 100, {Co("45", 0)})}),
          {"lines[0].adjustments[0].amount_cents"}),
      Bad("RejectionWithoutReason", AcknowledgeClaim("C3", false, ""), {"reason"}),
      Bad("ZeroWriteOff", WriteOffClaim("C3", rcl::v1::WRITE_OFF_REASON_CONTRACTUAL, 0),
          {"amount_cents"}),
      Bad("ZeroRefund", RefundPatient("P1", 0), {"amount_cents"}),
      Bad("PaymentNamingAClaimTwice", ReceivePatientPayment("P1", "PAYX", 100, {"C3", "C3"}),
          {"claim_ids[1]"}),
      Bad("ReplacementOfItself", ReplaceClaim("C3", "C3"), {"original_claim_id"}),
      Bad("MissingRemittanceMethod",
          RecordRemittance("R9", "PAYERA", "T9", 100, "2024-04-01",
                           rcl::v1::PAYMENT_METHOD_UNSPECIFIED),
          {"method"}),
  };
  return cases;
}

class ClaimsRulesTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ClaimsRulesTest, RefusedAndNothingWritten) {
  const RuleCase& c = GetParam();
  ClaimsLedger books;
  books.RunAll(World());
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the world did not build";
  ASSERT_EQ(books.ClaimBalances("C9").status, "scrub_failed");
  ASSERT_EQ(books.ClaimBalances("C4").status, "denied");
  const uint64_t head = books.head();

  absl::StatusOr<CommandResult> r = books.Run(c.command);
  ASSERT_FALSE(r.ok()) << c.command.DebugString();
  EXPECT_EQ(r.status().code(), c.code) << r.status();
  const std::string message(r.status().message());
  if (c.code == absl::StatusCode::kInvalidArgument) {
    std::vector<std::string> fields;
    for (const FieldViolation& v : GetFieldViolations(r.status())) fields.push_back(v.field);
    for (const std::string& field : c.expected) {
      EXPECT_THAT(fields, ::testing::Contains(field)) << r.status();
      EXPECT_THAT(message, HasSubstr(field));
    }
  } else {
    EXPECT_TRUE(GetFieldViolations(r.status()).empty());
    for (const std::string& part : c.expected) EXPECT_THAT(message, HasSubstr(part));
  }
  EXPECT_EQ(books.head(), head) << "a refused command wrote events";
  std::vector<std::string> problems = books.CheckBooks();
  EXPECT_TRUE(problems.empty()) << JoinProblems(problems);
}

INSTANTIATE_TEST_SUITE_P(Claims, ClaimsRulesTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace rcl::ledger
