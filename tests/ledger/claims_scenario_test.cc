// Claims to cash, end to end through the public Ledger API: one test per
// revenue-cycle path. Every step asserts the step's postings (each event
// balanced, the step summing to zero), the running trial balance (zero),
// the books check (ar:payer:<P> and ar:patient:<X> agree with the claims), and
// every balance of every claim involved (docs/API.md, "Commands" and
// "Chart of accounts").
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "ledger/postings.h"
#include "ledger/replay.h"
#include "ledger/rules/state.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::ledger {
namespace {

using namespace ::rcl::ledger::claims_testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPayerA[] = "PAYERA";
constexpr char kPayerB[] = "PAYERB";
constexpr char kArPayerA[] = "ar:payer:PAYERA";
constexpr char kArPayerB[] = "ar:payer:PAYERB";
constexpr char kArPatient[] = "ar:patient:P1";
constexpr char kUnbilled[] = "ar:unbilled";
constexpr char kCashPayer[] = "cash:payer";
constexpr char kCashPatient[] = "cash:patient";
constexpr char kContractual[] = "contra:contractual";
constexpr char kOther[] = "contra:other_adjustments";

// Line 1 (99213) charges 100.00, line 2 (85025) 50.00: the claim bills 150.00.
constexpr int64_t kLine1 = 10000;
constexpr int64_t kLine2 = 5000;
constexpr int64_t kClaimTotal = kLine1 + kLine2;

// The postings of one event payload, merged by account.
Postings Sum(const google::protobuf::Message& payload) {
  Postings out;
  AddTo(&out, ExtractPostings(payload));
  return out;
}

// The negation of `postings`.
Postings Negated(const Postings& postings) {
  Postings out;
  for (const auto& [account, amount] : postings) out[account] = -amount;
  return out;
}

std::vector<std::string> Types(const std::vector<EventRecord>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}

class ClaimsScenarioTest : public ::testing::Test {
 protected:
  // Runs `command`, which must succeed, and checks the books after it.
  // Returns the step's postings merged by account.
  Postings Step(const Command& command) {
    VerifyAllClaims(command);
    absl::StatusOr<CommandResult> r = books_.Run(command);
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << command.DebugString();
    step_events_ = books_.EventsAfter(last_position_);
    Postings step;
    for (const EventRecord& e : step_events_) {
      std::vector<rcl::v1::Posting> postings = EventPostings(e);
      absl::Status balanced = CheckBalanced(postings);
      EXPECT_TRUE(balanced.ok()) << e.type << " at " << e.position << ": " << balanced;
      AddTo(&step, postings);
      AddTo(&trial_, postings);
    }
    EXPECT_EQ(Total(step), 0) << "the step's postings do not sum to zero";
    EXPECT_EQ(Total(trial_), 0) << "the running trial balance is not zero";
    std::vector<std::string> problems = books_.CheckBooks();
    EXPECT_TRUE(problems.empty()) << "after " << command.DebugString() << JoinProblems(problems);
    last_position_ = books_.head();
    return step;
  }

  // Runs `command`, which must break a rule: FAILED_PRECONDITION, a message
  // containing every part, nothing written.
  void Refused(const Command& command, const std::vector<std::string>& message_parts) {
    VerifyAllClaims(command);
    uint64_t before = books_.head();
    absl::StatusOr<CommandResult> r = books_.Run(command);
    ASSERT_FALSE(r.ok()) << command.DebugString();
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    for (const auto& part : message_parts)
      EXPECT_THAT(std::string(r.status().message()), HasSubstr(part));
    EXPECT_EQ(books_.head(), before) << "a refused command wrote events";
  }

  // The first event of the last step of type T.
  template <typename T>
  T StepEvent() {
    for (const EventRecord& e : step_events_) {
      if (e.type == T::descriptor()->name()) return PayloadOf<T>(e);
    }
    ADD_FAILURE() << "the step wrote no " << T::descriptor()->name();
    return T{};
  }

  // Runs `command`: either it is refused by a rule (nothing written; returns
  // true) or it succeeds and the step's books are checked as in Step().
  bool TriesAndIsRefused(const Command& command) {
    VerifyAllClaims(command);
    uint64_t before = books_.head();
    absl::StatusOr<CommandResult> r = books_.Run(command);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
      EXPECT_EQ(books_.head(), before) << "a refused command wrote events";
      return true;
    }
    step_events_ = books_.EventsAfter(last_position_);
    Postings step;
    for (const EventRecord& e : step_events_) {
      std::vector<rcl::v1::Posting> postings = EventPostings(e);
      EXPECT_TRUE(CheckBalanced(postings).ok()) << e.type << " at " << e.position;
      AddTo(&step, postings);
      AddTo(&trial_, postings);
    }
    EXPECT_EQ(Total(step), 0);
    EXPECT_EQ(Total(trial_), 0);
    std::vector<std::string> problems = books_.CheckBooks();
    EXPECT_TRUE(problems.empty()) << "after " << command.DebugString() << JoinProblems(problems);
    last_position_ = books_.head();
    return false;
  }

  // Asserts the balances of a claim the last step changed, and remembers
  // them: every later step first re-checks every claim against what the test
  // last said about it (so a claim a step should not touch is checked to be
  // untouched), and every claim in the log must have been described.
  void ExpectClaim(const std::string& claim_id, const Balances& expected) {
    expected_[claim_id] = expected;
    EXPECT_EQ(books_.ClaimBalances(claim_id), expected) << "claim " << claim_id;
  }

  void VerifyAllClaims(const Command& next) {
    for (const EventRecord& e : books_.EventsAfter(0)) {
      if (e.type != "ClaimCreated") continue;
      std::string id = PayloadOf<rcl::v1::ClaimCreated>(e).claim_id();
      if (!expected_.contains(id))
        ADD_FAILURE() << "the test never stated the balances of claim " << id;
    }
    for (const auto& [id, balances] : expected_) {
      EXPECT_EQ(books_.ClaimBalances(id), balances)
          << "claim " << id << " is not as last asserted, before " << next.ShortDebugString();
    }
  }

  void TearDown() override {
    if (!HasFatalFailure()) VerifyAllClaims(Command());
  }

  // P1 with primary coverage COV1 (PAYERA) and, when `secondary`, COV2
  // (PAYERB, rank 2); encounter E1 on 2024-03-15 coded with two lines.
  void Setup(bool secondary = false) {
    EXPECT_EQ(Step(RegisterPatient("P1")), Postings{});
    EXPECT_EQ(Step(AddCoverage("P1", "COV1", kPayerA, 1)), Postings{});
    if (secondary) {
      EXPECT_EQ(Step(AddCoverage("P1", "COV2", kPayerB, 2)), Postings{});
    }
    OpenCodedEncounter("E1");
  }

  void OpenCodedEncounter(const std::string& encounter_id, const std::string& dos = "2024-03-15") {
    EXPECT_EQ(Step(OpenEncounter(encounter_id, "P1", dos)), Postings{});
    EXPECT_EQ(Step(RecordDiagnoses(encounter_id, {"E11.9", "I10"})), Postings{});
    // Charge recorded: Dr ar:unbilled, Cr revenue:gross_charges.
    EXPECT_EQ(Step(RecordCharge(encounter_id, 1, kLine1, "99213")),
              (Postings{{kUnbilled, kLine1}, {"revenue:gross_charges", -kLine1}}));
    EXPECT_EQ(Step(RecordCharge(encounter_id, 2, kLine2, "85025", {1, 2})),
              (Postings{{kUnbilled, kLine2}, {"revenue:gross_charges", -kLine2}}));
    EXPECT_EQ(Step(CompleteCoding(encounter_id)), Postings{});
  }

  // Creates `claim_id` (payer A) and takes it to "accepted".
  void CreateAndAccept(const std::string& claim_id, const std::string& encounter_id = "E1") {
    EXPECT_EQ(Step(CreateClaim(claim_id, encounter_id, "COV1")),
              (Postings{{kArPayerA, kClaimTotal}, {kUnbilled, -kClaimTotal}}));
    ExpectClaim(claim_id, {.status = "created", .payer_balance = kClaimTotal});
    Accept(claim_id, kClaimTotal);
  }

  // Scrub, submit, acknowledge (accepted) a created claim with payer balance
  // `balance` and nothing else on it.
  void Accept(const std::string& claim_id, int64_t balance, int64_t transferred_in = 0) {
    EXPECT_EQ(Step(ScrubClaim(claim_id)), Postings{});
    ExpectClaim(claim_id,
                {.status = "ready", .transferred_in = transferred_in, .payer_balance = balance});
    EXPECT_EQ(Step(SubmitClaim(claim_id, "B1")), Postings{});
    ExpectClaim(
        claim_id,
        {.status = "submitted", .transferred_in = transferred_in, .payer_balance = balance});
    EXPECT_EQ(Step(AcknowledgeClaim(claim_id, true)), Postings{});
    ExpectClaim(claim_id,
                {.status = "accepted", .transferred_in = transferred_in, .payer_balance = balance});
  }

  ClaimsLedger books_;
  std::map<std::string, Balances> expected_;
  Postings trial_;
  uint64_t last_position_ = 0;
  std::vector<EventRecord> step_events_;
};

TEST_F(ClaimsScenarioTest, PaidInFull) {
  Setup();
  CreateAndAccept("C1");
  EXPECT_EQ(Step(RecordRemittance("R1", kPayerA, "T1", kClaimTotal)), Postings{});
  ExpectClaim("C1", {.status = "accepted", .payer_balance = kClaimTotal});
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1", {Line(1, kLine1), Line(2, kLine2)})),
            (Postings{{kCashPayer, kClaimTotal}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = kClaimTotal});
  EXPECT_THAT(Types(step_events_), ElementsAre("ClaimAdjudicated", "RemittanceClaimPosted"));
  EXPECT_EQ(books_.Remit("R1").posted_cents, kClaimTotal);

  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_EQ(accounts,
            (Postings{{kCashPayer, kClaimTotal}, {"revenue:gross_charges", -kClaimTotal}}));
}

TEST_F(ClaimsScenarioTest, ContractualAndDeductibleThenThePatientPays) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 9000));
  // Line 1: paid 60, CO-45 25, PR-1 (deductible) 15. Line 2: paid 30, CO-45 10, PR-2 10.
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1",
                                 {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                                  Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})})),
            (Postings{{kCashPayer, 9000},
                      {kContractual, 3500},
                      {kArPatient, 2500},
                      {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 9000,
                     .contractual = 3500,
                     .patient_responsibility = 2500,
                     .patient_balance = 2500});
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.lines.at(1).amounts.paid_cents, 6000);
  EXPECT_EQ(c1.lines.at(1).amounts.contractual_cents, 2500);
  EXPECT_EQ(c1.lines.at(1).amounts.patient_responsibility_cents, 1500);
  EXPECT_EQ(c1.lines.at(2).amounts.patient_responsibility_cents, 1000);

  EXPECT_EQ(Step(IssuePatientStatement("P1")), Postings{});
  auto statement = PayloadOf<rcl::v1::PatientStatementIssued>(step_events_.at(0));
  EXPECT_EQ(statement.balance_cents(), 2500);
  ASSERT_EQ(statement.lines_size(), 1);
  EXPECT_EQ(statement.lines(0).claim_id(), "C1");

  EXPECT_EQ(Step(ReceivePatientPayment("P1", "PAY1", 2500)),
            (Postings{{kCashPatient, 2500}, {kArPatient, -2500}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 9000,
                     .contractual = 3500,
                     .patient_responsibility = 2500,
                     .patient_paid = 2500});
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);
  auto payment = PayloadOf<rcl::v1::PatientPaymentReceived>(step_events_.at(0));
  ASSERT_EQ(payment.allocations_size(), 1);
  EXPECT_EQ(payment.allocations(0).claim_id(), "C1");
  EXPECT_EQ(payment.allocations(0).amount_cents(), 2500);
  EXPECT_EQ(payment.unapplied_cents(), 0);
}

// Nothing paid because everything went to the deductible is a processed
// claim, not a denial: the CO-45 posts as contractual and nothing stays open.
TEST_F(ClaimsScenarioTest, AllToTheDeductibleIsNotADenial) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 0));
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1",
                                 {Line(1, 0, {Co("45", 4000), Pr("1", 6000)}),
                                  Line(2, 0, {Co("45", 2000), Pr("1", 3000)})})),
            (Postings{{kContractual, 6000}, {kArPatient, 9000}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .contractual = 6000,
                     .patient_responsibility = 9000,
                     .patient_balance = 9000});
  EXPECT_EQ(books_.Claim("C1").denied_cents, 0);
}

TEST_F(ClaimsScenarioTest, DeniedAppealOverturnedThenPaid) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 0));
  // CO-50 (not medically necessary) on both lines, nothing paid: a denial.
  // The denied amount stays in payer AR: no postings at all.
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1",
                                 {Line(1, 0, {Co("50", kLine1)}), Line(2, 0, {Co("50", kLine2)})})),
            Postings{});
  ExpectClaim("C1", {.status = "denied", .denied = kClaimTotal, .payer_balance = kClaimTotal});
  auto denial = PayloadOf<rcl::v1::ClaimAdjudicated>(step_events_.at(0));
  EXPECT_TRUE(denial.denied());
  EXPECT_EQ(denial.denied_cents(), kClaimTotal);
  EXPECT_EQ(denial.contractual_cents(), 0);
  EXPECT_EQ(denial.postings_size(), 0);

  EXPECT_EQ(Step(FileAppeal("A1", "C1", 1)), Postings{});
  ExpectClaim("C1", {.status = "denied", .denied = kClaimTotal, .payer_balance = kClaimTotal});
  EXPECT_EQ(books_.Claim("C1").appeals.at("A1"), rcl::v1::APPEAL_OUTCOME_UNSPECIFIED);

  EXPECT_EQ(Step(DecideAppeal("A1", rcl::v1::APPEAL_OUTCOME_OVERTURNED)), Postings{});
  ExpectClaim("C1", {.status = "denied", .denied = kClaimTotal, .payer_balance = kClaimTotal});
  EXPECT_EQ(books_.Claim("C1").appeals.at("A1"), rcl::v1::APPEAL_OUTCOME_OVERTURNED);

  // The payer adjudicates again and pays: the denial is superseded.
  Step(RecordRemittance("R2", kPayerA, "T2", 12000));
  EXPECT_EQ(Step(AdjudicateClaim(
                "C1", "R2", {Line(1, 8000, {Co("45", 2000)}), Line(2, 4000, {Co("45", 1000)})})),
            (Postings{{kCashPayer, 12000}, {kContractual, 3000}, {kArPayerA, -kClaimTotal}}));
  EXPECT_THAT(Types(step_events_), ElementsAre("ClaimAdjudicationReversed", "ClaimAdjudicated",
                                               "RemittanceClaimPosted"));
  auto reversal = PayloadOf<rcl::v1::ClaimAdjudicationReversed>(step_events_.at(0));
  EXPECT_TRUE(reversal.superseded());
  EXPECT_EQ(reversal.reversed_remit_id(), "R1");
  EXPECT_EQ(reversal.postings_size(), 0);  // the denial posted nothing
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = 12000, .contractual = 3000});
  Refused(FileAppeal("A2", "C1", 2), {"appeal needs a denial", "C1"});
}

// Claim status DENIED: every line is denied, so no non-PR adjustment posts
// (the amounts stay in payer AR as denied), but PR still moves to the patient.
TEST_F(ClaimsScenarioTest, DeniedStatusHoldsEveryLineButPrStillMoves) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 0));
  EXPECT_EQ(
      Step(AdjudicateClaim(
          "C1", "R1", {Line(1, 0, {Co("16", kLine1)}), Line(2, 0, {Pr("1", 1000), Oa("23", 4000)})},
          rcl::v1::CLAIM_PAYMENT_STATUS_DENIED)),
      (Postings{{kArPatient, 1000}, {kArPayerA, -1000}}));
  ExpectClaim("C1", {.status = "denied",
                     .patient_responsibility = 1000,
                     .denied = 14000,
                     .payer_balance = 14000,
                     .patient_balance = 1000});
  auto denial = StepEvent<rcl::v1::ClaimAdjudicated>();
  EXPECT_TRUE(denial.denied());
  EXPECT_EQ(denial.denied_cents(), 14000);
  EXPECT_EQ(denial.contractual_cents(), 0);
  EXPECT_EQ(denial.other_adjustment_cents(), 0);
  EXPECT_EQ(books_.Claim("C1").lines.at(2).amounts.denied_cents, 4000);

  // The biller writes the denied amount off after giving up on it.
  EXPECT_EQ(Step(WriteOffClaim("C1", rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE, 14000)),
            (Postings{{"writeoff:administrative", 14000}, {kArPayerA, -14000}}));
  ExpectClaim("C1", {.status = "denied",
                     .patient_responsibility = 1000,
                     .denied = 14000,
                     .payer_written_off = 14000,
                     .patient_balance = 1000});
}

TEST_F(ClaimsScenarioTest, ReversedAndReadjudicated) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 12000));
  Postings first =
      Step(AdjudicateClaim("C1", "R1", {Line(1, 7000, {Co("45", 3000)}), Line(2, 5000)}));
  EXPECT_EQ(first,
            (Postings{{kCashPayer, 12000}, {kContractual, 3000}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = 12000, .contractual = 3000});
  auto adjudicated = PayloadOf<rcl::v1::ClaimAdjudicated>(step_events_.at(0));

  // The payer takes it back (CLP02 = 22) on remittance R2.
  Step(RecordRemittance("R2", kPayerA, "T2", 0));
  EXPECT_EQ(Step(ReverseAdjudication("C1", "R2")),
            (Postings{{kCashPayer, -12000}, {kContractual, -3000}, {kArPayerA, kClaimTotal}}));
  EXPECT_THAT(Types(step_events_),
              ElementsAre("ClaimAdjudicationReversed", "RemittanceClaimPosted"));
  auto reversal = PayloadOf<rcl::v1::ClaimAdjudicationReversed>(step_events_.at(0));
  EXPECT_FALSE(reversal.superseded());
  EXPECT_EQ(reversal.reversed_remit_id(), "R1");
  ASSERT_EQ(reversal.postings_size(), adjudicated.postings_size());
  EXPECT_EQ(Sum(reversal), Negated(Sum(adjudicated))) << "the reversal is not the exact negation";
  ExpectClaim("C1", {.status = "accepted", .payer_balance = kClaimTotal});
  EXPECT_EQ(books_.Remit("R2").posted_cents, -12000);
  Refused(ReverseAdjudication("C1", "R2"), {"C1", "no adjudication in force"});

  // Corrected adjudication on R2: nothing left to supersede.
  EXPECT_EQ(Step(AdjudicateClaim(
                "C1", "R2",
                {Line(1, 8000, {Co("45", 2000)}), Line(2, 4000, {Co("45", 500), Pr("3", 500)})})),
            (Postings{{kCashPayer, 12000},
                      {kContractual, 2500},
                      {kArPatient, 500},
                      {kArPayerA, -kClaimTotal}}));
  EXPECT_THAT(Types(step_events_), ElementsAre("ClaimAdjudicated", "RemittanceClaimPosted"));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 12000,
                     .contractual = 2500,
                     .patient_responsibility = 500,
                     .patient_balance = 500});
  auto second = PayloadOf<rcl::v1::ClaimAdjudicated>(step_events_.at(0));

  // Another adjudication without a reversal supersedes it in the same commit.
  Step(RecordRemittance("R3", kPayerA, "T3", 1500));
  EXPECT_EQ(Step(AdjudicateClaim(
                "C1", "R3", {Line(1, 9000, {Co("45", 1000)}), Line(2, 4500, {Co("45", 500)})})),
            (Postings{{kCashPayer, 1500}, {kContractual, -1000}, {kArPatient, -500}}));
  EXPECT_THAT(Types(step_events_), ElementsAre("ClaimAdjudicationReversed", "RemittanceClaimPosted",
                                               "ClaimAdjudicated", "RemittanceClaimPosted"));
  auto superseding = PayloadOf<rcl::v1::ClaimAdjudicationReversed>(step_events_.at(0));
  EXPECT_TRUE(superseding.superseded());
  EXPECT_EQ(superseding.reversed_remit_id(), "R2");
  EXPECT_EQ(superseding.remit_id(), "R3");
  EXPECT_EQ(Sum(superseding), Negated(Sum(second)))
      << "the superseding reversal is not the exact negation";
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = 13500, .contractual = 1500});
  EXPECT_EQ(books_.Remit("R1").posted_cents, 12000);
  EXPECT_EQ(books_.Remit("R2").posted_cents, 0);
  EXPECT_EQ(books_.Remit("R3").posted_cents, 1500);
}

TEST_F(ClaimsScenarioTest, PrimaryThenSecondaryThenPatient) {
  Setup(/*secondary=*/true);
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 9000));
  // PR goes to the secondary payer's AR, on claim C1-2 created for COV2.
  EXPECT_EQ(
      Step(AdjudicateClaim("C1", "R1",
                           {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                            Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})})),
      (Postings{
          {kCashPayer, 9000}, {kContractual, 3500}, {kArPayerB, 2500}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim(
      "C1",
      {.status = "adjudicated", .payer_paid = 9000, .contractual = 3500, .transferred_out = 2500});
  ExpectClaim("C1-2", {.status = "created", .transferred_in = 2500, .payer_balance = 2500});
  ClaimState secondary = books_.Claim("C1-2");
  EXPECT_EQ(secondary.payer_id, kPayerB);
  EXPECT_EQ(secondary.coverage_id, "COV2");
  EXPECT_EQ(secondary.rank, 2);
  EXPECT_EQ(secondary.original_claim_id, "C1");
  EXPECT_EQ(secondary.opening_balance_cents, 0);
  EXPECT_EQ(secondary.charge_cents, kClaimTotal);
  auto adjudicated = PayloadOf<rcl::v1::ClaimAdjudicated>(step_events_.at(0));
  EXPECT_EQ(adjudicated.transfer_claim_id(), "C1-2");
  EXPECT_EQ(adjudicated.transfer_payer_id(), kPayerB);
  EXPECT_EQ(books_.Claim("C1").NextClaimId(), "C1-2");

  Accept("C1-2", 2500, /*transferred_in=*/2500);
  Step(RecordRemittance("R2", kPayerB, "T1", 1000));
  Refused(AdjudicateClaim("C1-2", "R1", {Line(1, 1000)}, rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY),
          {"remittance R1", "payer PAYERA", "C1-2"});
  // The secondary's lines balance against the full charge (CO-23: the prior
  // payer's share, 125.00), pay 10.00 and leave 15.00 to the patient (no
  // tertiary). The prior payer's share is not this payer's AR: not posted.
  Refused(
      AdjudicateClaim("C1-2", "R2", {Line(1, 1000, {Pr("1", 500)}), Line(2, 0, {Pr("2", 1000)})},
                      rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY),
      {"line 1 does not balance", "charge 100.00 - paid 10.00 = 90.00", "sum to 5.00"});
  EXPECT_EQ(Step(AdjudicateClaim("C1-2", "R2",
                                 {Line(1, 1000, {Co("23", 8500), Pr("1", 500)}),
                                  Line(2, 0, {Co("23", 4000), Pr("2", 1000)})},
                                 rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY)),
            (Postings{{kCashPayer, 1000}, {kArPatient, 1500}, {kArPayerB, -2500}}));
  EXPECT_EQ(StepEvent<rcl::v1::ClaimAdjudicated>().prior_payer_cents(), 12500);
  ExpectClaim("C1-2", {.status = "adjudicated",
                       .payer_paid = 1000,
                       .patient_responsibility = 1500,
                       .transferred_in = 2500,
                       .patient_balance = 1500});
  ExpectClaim(
      "C1",
      {.status = "adjudicated", .payer_paid = 9000, .contractual = 3500, .transferred_out = 2500});

  EXPECT_EQ(Step(ReceivePatientPayment("P1", "PAY1", 1500)),
            (Postings{{kCashPatient, 1500}, {kArPatient, -1500}}));
  ExpectClaim("C1-2", {.status = "adjudicated",
                       .payer_paid = 1000,
                       .patient_responsibility = 1500,
                       .transferred_in = 2500,
                       .patient_paid = 1500});
  ExpectClaim(
      "C1",
      {.status = "adjudicated", .payer_paid = 9000, .contractual = 3500, .transferred_out = 2500});
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);
}

TEST_F(ClaimsScenarioTest, Replaced) {
  Setup();
  CreateAndAccept("C1");
  // Frequency 7: the payer balance moves to the replacement; AR stays put.
  EXPECT_EQ(Step(ReplaceClaim("C7", "C1", "PCN1")), Postings{});
  ExpectClaim("C1", {.status = "replaced", .moved_out = kClaimTotal});
  ExpectClaim("C7", {.status = "created", .payer_balance = kClaimTotal});
  ClaimState replacement = books_.Claim("C7");
  EXPECT_EQ(replacement.frequency, 7);
  EXPECT_EQ(replacement.original_claim_id, "C1");
  EXPECT_EQ(replacement.payer_claim_number, "PCN1");
  EXPECT_EQ(replacement.opening_balance_cents, kClaimTotal);
  EXPECT_EQ(replacement.charge_cents, kClaimTotal);
  EXPECT_EQ(replacement.lines.size(), 2u);

  Step(RecordRemittance("R1", kPayerA, "T1", 14000));
  Refused(AdjudicateClaim("C1", "R1", {Line(1, kLine1)}), {"claim C1", "replaced"});
  Accept("C7", kClaimTotal);
  EXPECT_EQ(Step(AdjudicateClaim("C7", "R1", {Line(1, 9000, {Co("45", 1000)}), Line(2, kLine2)})),
            (Postings{{kCashPayer, 14000}, {kContractual, 1000}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C7", {.status = "adjudicated", .payer_paid = 14000, .contractual = 1000});
  ExpectClaim("C1", {.status = "replaced", .moved_out = kClaimTotal});
}

TEST_F(ClaimsScenarioTest, VoidedAndAPaymentNamingItIsRefused) {
  Setup();
  CreateAndAccept("C1");
  // Frequency 8: the payer balance returns to unbilled.
  EXPECT_EQ(Step(VoidClaim("C8", "C1", "PCN1")),
            (Postings{{kUnbilled, kClaimTotal}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "voided", .moved_out = kClaimTotal});
  ExpectClaim("C8", {.status = "created"});
  EXPECT_EQ(books_.Claim("C8").frequency, 8);
  auto voided = StepEvent<rcl::v1::ClaimVoided>();
  EXPECT_EQ(voided.returned_cents(), kClaimTotal);

  Refused(ReceivePatientPayment("P1", "PAY1", 1000, {"C1"}), {"voided claim C1"});
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);

  // The encounter is unbilled again and can be billed on a new claim.
  EXPECT_EQ(Step(CreateClaim("C2", "E1", "COV1")),
            (Postings{{kArPayerA, kClaimTotal}, {kUnbilled, -kClaimTotal}}));
  ExpectClaim("C2", {.status = "created", .payer_balance = kClaimTotal});
  ExpectClaim("C1", {.status = "voided", .moved_out = kClaimTotal});
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_FALSE(accounts.contains(kUnbilled));  // 150 charged, billed, returned, billed again
}

TEST_F(ClaimsScenarioTest, PatientOverpaysThenIsRefunded) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 13000));
  // Line 1: paid 80, CO-45 5, PI-94 5 (payer initiated), PR-3 (copay) 10.
  EXPECT_EQ(Step(AdjudicateClaim(
                "C1", "R1",
                {Line(1, 8000,
                      {Co("45", 500), Adj(rcl::v1::ADJUSTMENT_GROUP_PI, "94", 500), Pr("3", 1000)}),
                 Line(2, kLine2)})),
            (Postings{{kCashPayer, 13000},
                      {kContractual, 500},
                      {kOther, 500},
                      {kArPatient, 1000},
                      {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 13000,
                     .contractual = 500,
                     .other_adjustment = 500,
                     .patient_responsibility = 1000,
                     .patient_balance = 1000});

  // 40.00 for a 10.00 copay: 30.00 is unapplied credit.
  EXPECT_EQ(Step(ReceivePatientPayment("P1", "PAY1", 4000, {"C1"})),
            (Postings{{kCashPatient, 4000}, {kArPatient, -4000}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 13000,
                     .contractual = 500,
                     .other_adjustment = 500,
                     .patient_responsibility = 1000,
                     .patient_paid = 1000});
  EXPECT_EQ(books_.Patient("P1").credit_cents, 3000);
  auto payment = PayloadOf<rcl::v1::PatientPaymentReceived>(step_events_.at(0));
  EXPECT_EQ(payment.unapplied_cents(), 3000);

  EXPECT_EQ(Step(IssuePatientStatement("P1")), Postings{});
  auto statement = PayloadOf<rcl::v1::PatientStatementIssued>(step_events_.at(0));
  EXPECT_EQ(statement.credit_cents(), 3000);
  EXPECT_EQ(statement.balance_cents(), -3000);

  Refused(RefundPatient("P1", 3001, "RF1"), {"refund", "exceeds the credit balance", "P1"});
  EXPECT_EQ(Step(RefundPatient("P1", 3000, "RF1")),
            (Postings{{kArPatient, 3000}, {kCashPatient, -3000}}));
  EXPECT_EQ(books_.Patient("P1").credit_cents, 0);
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 13000,
                     .contractual = 500,
                     .other_adjustment = 500,
                     .patient_responsibility = 1000,
                     .patient_paid = 1000});
  Refused(RefundPatient("P1", 1, "RF2"), {"exceeds the credit balance"});
}

TEST_F(ClaimsScenarioTest, PayerPaysAboveTheChargeWithANegativeAdjustmentThenCorrects) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 16000));
  // An overpayment must still balance: paid 110.00 on a 100.00 line carries
  // an adjustment of -10.00 (balance, not sign).
  Refused(AdjudicateClaim("C1", "R1", {Line(1, 11000), Line(2, kLine2)}),
          {"line 1 does not balance", "= -10.00", "sum to 0.00"});
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1", {Line(1, 11000, {Co("45", -1000)}), Line(2, kLine2)})),
            (Postings{{kCashPayer, 16000}, {kContractual, -1000}, {kArPayerA, -15000}}));
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = 16000, .contractual = -1000});
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_FALSE(accounts.contains(kArPayerA));  // nothing owed, nothing credited

  // The payer corrects itself on the next remittance (the reversal nets out).
  Step(RecordRemittance("R2", kPayerA, "T2", 0));
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R2", {Line(1, kLine1), Line(2, kLine2)})),
            (Postings{{kCashPayer, -1000}, {kContractual, 1000}}));
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = kClaimTotal});
  EXPECT_EQ(books_.Remit("R2").posted_cents, -1000);
}

// PLB WO: the payer recoups an earlier overpayment from a later remittance.
// The recouped money leaves payer cash and reduces the payer's credit
// balance; ar:payer:PAYERA must still equal the sum of its claims' balances.
TEST_F(ClaimsScenarioTest, RecoupmentOfAnOverpaymentKeepsPayerArEqualToTheClaims) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 16000));
  Step(AdjudicateClaim("C1", "R1", {Line(1, 11000, {Co("45", -1000)}), Line(2, kLine2)}));
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = 16000, .contractual = -1000});
  Step(RecordRemittance("R2", kPayerA, "T2", 0));
  Postings recoupment = Step(ProviderAdjustment("R2", "WO", 1000, "C1"));
  EXPECT_EQ(recoupment[kCashPayer], -1000);
  EXPECT_EQ(books_.Remit("R2").provider_adjustment_cents, 1000);
}

TEST_F(ClaimsScenarioTest, SecondaryNotInForceOnTheDateOfServiceLeavesPrWithThePatient) {
  Setup();
  Step(AddCoverage("P1", "COV2", kPayerB, 2, "2024-04-01"));  // starts after the 2024-03-15 visit
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 9000));
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1",
                                 {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                                  Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})})),
            (Postings{{kCashPayer, 9000},
                      {kContractual, 3500},
                      {kArPatient, 2500},
                      {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 9000,
                     .contractual = 3500,
                     .patient_responsibility = 2500,
                     .patient_balance = 2500});
  EXPECT_FALSE(books_.Stream(ClaimStream("C1-2"))->exists());
  EXPECT_TRUE(StepEvent<rcl::v1::ClaimAdjudicated>().transfer_claim_id().empty());
}

TEST_F(ClaimsScenarioTest, PatientPaymentGoesToTheOldestDateOfServiceFirst) {
  Setup();
  OpenCodedEncounter("E2", "2024-02-01");
  CreateAndAccept("C1", "E1");  // 2024-03-15
  CreateAndAccept("C2", "E2");  // 2024-02-01
  Step(RecordRemittance("R1", kPayerA, "T1", 27000));
  Step(AdjudicateClaim("C1", "R1", {Line(1, 9000, {Pr("3", 1000)}), Line(2, kLine2)}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 14000,
                     .patient_responsibility = 1000,
                     .patient_balance = 1000});
  Step(AdjudicateClaim("C2", "R1", {Line(1, 8000, {Pr("1", 2000)}), Line(2, kLine2)}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 14000,
                     .patient_responsibility = 1000,
                     .patient_balance = 1000});
  ExpectClaim("C2", {.status = "adjudicated",
                     .payer_paid = 13000,
                     .patient_responsibility = 2000,
                     .patient_balance = 2000});

  EXPECT_EQ(Step(ReceivePatientPayment("P1", "PAY1", 2500)),
            (Postings{{kCashPatient, 2500}, {kArPatient, -2500}}));
  auto payment = StepEvent<rcl::v1::PatientPaymentReceived>();
  ASSERT_EQ(payment.allocations_size(), 2);
  EXPECT_EQ(payment.allocations(0).claim_id(), "C2");
  EXPECT_EQ(payment.allocations(0).amount_cents(), 2000);
  EXPECT_EQ(payment.allocations(1).claim_id(), "C1");
  EXPECT_EQ(payment.allocations(1).amount_cents(), 500);
  ExpectClaim("C2", {.status = "adjudicated",
                     .payer_paid = 13000,
                     .patient_responsibility = 2000,
                     .patient_paid = 2000});
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 14000,
                     .patient_responsibility = 1000,
                     .patient_paid = 500,
                     .patient_balance = 500});

  // Named claims are paid in the order named, each up to its balance.
  EXPECT_EQ(Step(ReceivePatientPayment("P1", "PAY2", 800, {"C2", "C1"})),
            (Postings{{kCashPatient, 800}, {kArPatient, -800}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 14000,
                     .patient_responsibility = 1000,
                     .patient_paid = 1000});
  EXPECT_EQ(books_.Patient("P1").credit_cents, 300);
}

TEST_F(ClaimsScenarioTest, RejectedThenScrubbedAndResubmittedThenPaid) {
  Setup();
  EXPECT_EQ(Step(CreateClaim("C1", "E1", "COV1")),
            (Postings{{kArPayerA, kClaimTotal}, {kUnbilled, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "created", .payer_balance = kClaimTotal});
  Step(ScrubClaim("C1"));
  ExpectClaim("C1", {.status = "ready", .payer_balance = kClaimTotal});
  Step(SubmitClaim("C1"));
  ExpectClaim("C1", {.status = "submitted", .payer_balance = kClaimTotal});
  EXPECT_EQ(Step(AcknowledgeClaim("C1", false, "subscriber id invalid")), Postings{});
  ExpectClaim("C1", {.status = "rejected", .payer_balance = kClaimTotal});
  Refused(SubmitClaim("C1"), {"C1", "rejected", "scrub"});
  Step(RecordRemittance("R1", kPayerA, "T1", kClaimTotal));
  Refused(AdjudicateClaim("C1", "R1", {Line(1, kLine1)}), {"C1", "rejected"});

  EXPECT_EQ(Step(ScrubClaim("C1")), Postings{});
  ExpectClaim("C1", {.status = "ready", .payer_balance = kClaimTotal});
  EXPECT_EQ(Step(SubmitClaim("C1")), Postings{});
  ExpectClaim("C1", {.status = "submitted", .payer_balance = kClaimTotal});
  EXPECT_EQ(PayloadOf<rcl::v1::ClaimSubmitted>(step_events_.at(0)).submission_number(), 2);
  EXPECT_EQ(books_.Claim("C1").submissions, 2);
  Refused(SubmitClaim("C1"), {"C1", "already submitted"});
  EXPECT_EQ(Step(AcknowledgeClaim("C1", true)), Postings{});
  ExpectClaim("C1", {.status = "accepted", .payer_balance = kClaimTotal});
  EXPECT_EQ(Step(AdjudicateClaim("C1", "R1", {Line(1, kLine1), Line(2, kLine2)})),
            (Postings{{kCashPayer, kClaimTotal}, {kArPayerA, -kClaimTotal}}));
  ExpectClaim("C1", {.status = "adjudicated", .payer_paid = kClaimTotal});
}

TEST_F(ClaimsScenarioTest, AdjustedAndWrittenOff) {
  Setup();
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 6000));
  // Line 1: paid 60, CO-45 20, PR-1 20. Line 2 denied (CO-50 50, held in payer AR).
  EXPECT_EQ(
      Step(AdjudicateClaim(
          "C1", "R1",
          {Line(1, 6000, {Co("45", 2000), Pr("1", 2000)}), Line(2, 0, {Co("50", kLine2)})})),
      (Postings{
          {kCashPayer, 6000}, {kContractual, 2000}, {kArPatient, 2000}, {kArPayerA, -10000}}));
  const Balances adjudicated{.status = "adjudicated",
                             .payer_paid = 6000,
                             .contractual = 2000,
                             .patient_responsibility = 2000,
                             .denied = kLine2,
                             .payer_balance = kLine2,
                             .patient_balance = 2000};
  ExpectClaim("C1", adjudicated);

  // A negative adjustment only takes back adjustments of its kind in force.
  // A negative adjustment only takes back manual adjustments of its kind: a
  // payer's own adjustments are corrected by the payer.
  Refused(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_CO, "45", -1),
          {"negative adjustment of -0.01", "claim C1",
           "manual contractual adjustments in force (0.00)"});
  Refused(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_OA, "23", -1),
          {"manual other adjustments in force (0.00)"});
  Refused(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_CO, "45", -100'000'000'000),
          {"negative adjustment"});
  ExpectClaim("C1", adjudicated);

  EXPECT_EQ(Step(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_CO, "45", 1000)),
            (Postings{{kContractual, 1000}, {kArPayerA, -1000}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 6000,
                     .contractual = 3000,
                     .patient_responsibility = 2000,
                     .denied = kLine2,
                     .payer_balance = 4000,
                     .patient_balance = 2000});
  Refused(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_CO, "45", -1001),
          {"manual contractual adjustments in force (10.00)"});
  EXPECT_EQ(Step(AdjustClaim("C1", rcl::v1::ADJUSTMENT_GROUP_OA, "23", 500)),
            (Postings{{kOther, 500}, {kArPayerA, -500}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 6000,
                     .contractual = 3000,
                     .other_adjustment = 500,
                     .patient_responsibility = 2000,
                     .denied = kLine2,
                     .payer_balance = 3500,
                     .patient_balance = 2000});
  // Timely filing defaults to the payer side; small balance to the patient side.
  EXPECT_EQ(Step(WriteOffClaim("C1", rcl::v1::WRITE_OFF_REASON_TIMELY_FILING, 3500)),
            (Postings{{"writeoff:timely_filing", 3500}, {kArPayerA, -3500}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 6000,
                     .contractual = 3000,
                     .other_adjustment = 500,
                     .patient_responsibility = 2000,
                     .denied = kLine2,
                     .payer_written_off = 3500,
                     .patient_balance = 2000});
  EXPECT_EQ(Step(WriteOffClaim("C1", rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE, 2000)),
            (Postings{{"writeoff:small_balance", 2000}, {kArPatient, -2000}}));
  ExpectClaim("C1", {.status = "adjudicated",
                     .payer_paid = 6000,
                     .contractual = 3000,
                     .other_adjustment = 500,
                     .patient_responsibility = 2000,
                     .denied = kLine2,
                     .payer_written_off = 3500,
                     .patient_written_off = 2000});
}

TEST_F(ClaimsScenarioTest, ProviderLevelAdjustments) {
  Setup();
  Step(RecordRemittance("R1", kPayerA, "T1", 250));
  // L6 interest, negative: it adds to the payment. Cash up, interest income credited.
  EXPECT_EQ(Step(ProviderAdjustment("R1", "L6", -250, "INT1")),
            (Postings{{kCashPayer, 250}, {"income:interest", -250}}));
  EXPECT_EQ(books_.Remit("R1").provider_adjustment_cents, -250);
  auto plb = PayloadOf<rcl::v1::ProviderAdjustmentRecorded>(step_events_.at(0));
  EXPECT_EQ(plb.reason_code(), "L6");
  EXPECT_EQ(plb.amount_cents(), -250);
  // FB forward balance, positive: the payer kept it; it waits in suspense.
  EXPECT_EQ(Step(ProviderAdjustment("R1", "FB", 100, "FWD")),
            (Postings{{"suspense:unapplied", 100}, {kCashPayer, -100}}));
  EXPECT_EQ(books_.Remit("R1").provider_adjustment_cents, -150);
}

TEST_F(ClaimsScenarioTest, AsOfAnEarlierPositionReproducesEarlierBalances) {
  Setup();
  std::vector<std::pair<uint64_t, ClaimState>> claim_history;
  std::vector<std::pair<uint64_t, PatientState>> patient_history;
  auto remember = [&] {
    claim_history.emplace_back(books_.head(), books_.Claim("C1"));
    patient_history.emplace_back(books_.head(), books_.Patient("P1"));
  };
  const Balances created{.status = "created", .payer_balance = kClaimTotal};
  const Balances adjudicated{.status = "adjudicated",
                             .payer_paid = 9000,
                             .contractual = 3500,
                             .patient_responsibility = 2500,
                             .patient_balance = 2500};
  const Balances paid{.status = "adjudicated",
                      .payer_paid = 9000,
                      .contractual = 3500,
                      .patient_responsibility = 2500,
                      .patient_paid = 2500};
  // After the reversal the patient's 25.00 on C1 is owed nothing: it returns
  // to the account as a refundable credit.
  const Balances reversed{.status = "accepted", .payer_balance = kClaimTotal};
  Step(CreateClaim("C1", "E1", "COV1"));
  ExpectClaim("C1", created);
  remember();
  Step(ScrubClaim("C1"));
  ExpectClaim("C1", {.status = "ready", .payer_balance = kClaimTotal});
  Step(SubmitClaim("C1"));
  ExpectClaim("C1", {.status = "submitted", .payer_balance = kClaimTotal});
  remember();
  Step(RecordRemittance("R1", kPayerA, "T1", 9000));
  Step(AdjudicateClaim("C1", "R1",
                       {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                        Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})}));
  ExpectClaim("C1", adjudicated);
  remember();
  Step(ReceivePatientPayment("P1", "PAY1", 3000));
  ExpectClaim("C1", paid);
  remember();
  Step(RefundPatient("P1", 500));
  remember();
  Step(RecordRemittance("R2", kPayerA, "T2", 0));
  Step(ReverseAdjudication("C1", "R2"));
  ExpectClaim("C1", reversed);
  remember();

  ASSERT_EQ(claim_history.size(), 6u);
  EXPECT_EQ(BalancesOf(claim_history[0].second), created);
  EXPECT_EQ(BalancesOf(claim_history[2].second), adjudicated);
  EXPECT_EQ(BalancesOf(claim_history[3].second), paid);
  EXPECT_EQ(BalancesOf(claim_history[4].second), paid);
  EXPECT_EQ(BalancesOf(claim_history[5].second), reversed);
  EXPECT_EQ(patient_history[3].second.credit_cents, 500);
  EXPECT_EQ(patient_history[4].second.credit_cents, 0);
  EXPECT_EQ(patient_history[5].second.credit_cents, 2500);

  for (const auto& [position, expected] : claim_history) {
    EXPECT_EQ(books_.Claim("C1", position), expected) << "claim C1 as of " << position;
    EXPECT_EQ(BalancesOf(books_.Claim("C1", position)), BalancesOf(expected))
        << "as of " << position;
  }
  for (const auto& [position, expected] : patient_history) {
    EXPECT_EQ(books_.Patient("P1", position), expected) << "patient P1 as of " << position;
  }
  // CreateClaim wrote ClaimCreated, EncounterClaimed, PatientClaimLinked:
  // just before it, the claim did not exist.
  auto before = books_.Stream(ClaimStream("C1"), claim_history[0].first - 3);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->exists());
  auto first = books_.Stream(ClaimStream("C1"), claim_history[0].first - 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version, 0);
}

// Coverage changes retroactively after the primary moved PR to a secondary
// claim: COV2 (PAYERB) is ended before the date of service and COV3 (PAYERC,
// rank 2) covers it instead. A superseding primary adjudication moves PR to
// PAYERC's AR, so the claim receiving it must be billed to PAYERC (for COV3);
// refusing the adjudication would also keep the books right.
TEST_F(ClaimsScenarioTest, SupersedeAfterTheSecondaryCoverageChanged) {
  Setup(/*secondary=*/true);
  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 9000));
  Step(AdjudicateClaim("C1", "R1",
                       {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                        Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})}));
  ExpectClaim(
      "C1",
      {.status = "adjudicated", .payer_paid = 9000, .contractual = 3500, .transferred_out = 2500});
  ExpectClaim("C1-2", {.status = "created", .transferred_in = 2500, .payer_balance = 2500});
  EXPECT_EQ(books_.Claim("C1-2").payer_id, kPayerB);

  Step(EndCoverage("P1", "COV2", "2024-02-01"));
  Step(AddCoverage("P1", "COV3", "PAYERC", 2, "2024-02-02"));
  Step(RecordRemittance("R2", kPayerA, "T2", 0));
  Command again = AdjudicateClaim("C1", "R2",
                                  {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                                   Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})});
  if (TriesAndIsRefused(again)) return;
  ExpectClaim(
      "C1",
      {.status = "adjudicated", .payer_paid = 9000, .contractual = 3500, .transferred_out = 2500});
  auto adjudicated = StepEvent<rcl::v1::ClaimAdjudicated>();
  EXPECT_EQ(adjudicated.transfer_payer_id(), "PAYERC");
  ASSERT_FALSE(adjudicated.transfer_claim_id().empty());
  ClaimState receiving = books_.Claim(adjudicated.transfer_claim_id());
  EXPECT_EQ(receiving.payer_id, adjudicated.transfer_payer_id())
      << "PR posted to ar:payer:" << adjudicated.transfer_payer_id() << " but moved onto claim "
      << receiving.claim_id << " billed to " << receiving.payer_id;
  EXPECT_EQ(receiving.coverage_id, "COV3");
  if (receiving.claim_id != "C1-2") {
    ExpectClaim("C1-2", {.status = "created"});  // COV2 no longer owes the PR
    ExpectClaim(receiving.claim_id,
                {.status = "created", .transferred_in = 2500, .payer_balance = 2500});
  }
}

// Claim ids are chosen by clients: "C1-2" may already be an unrelated claim
// (here another patient's, billed to another payer) when C1's PR moves to the
// next payer. That claim must not receive C1's balance.
TEST_F(ClaimsScenarioTest, NextPayerClaimIdTakenByAnUnrelatedClaim) {
  Setup(/*secondary=*/true);
  Step(RegisterPatient("P2"));
  Step(AddCoverage("P2", "COV9", "PAYERZ", 1));
  Step(OpenEncounter("E9", "P2"));
  Step(RecordDiagnoses("E9", {"E11.9"}));
  Step(RecordCharge("E9", 1, 7000, "99213"));
  Step(CompleteCoding("E9"));
  Step(CreateClaim("C1-2", "E9", "COV9"));
  ExpectClaim("C1-2", {.status = "created", .payer_balance = 7000});

  CreateAndAccept("C1");
  Step(RecordRemittance("R1", kPayerA, "T1", 9000));
  Command adjudicate = AdjudicateClaim("C1", "R1",
                                       {Line(1, 6000, {Co("45", 2500), Pr("1", 1500)}),
                                        Line(2, 3000, {Co("45", 1000), Pr("2", 1000)})});
  if (TriesAndIsRefused(adjudicate)) return;
  ExpectClaim(
      "C1",
      {.status = "adjudicated", .payer_paid = 9000, .contractual = 3500, .transferred_out = 2500});
  ExpectClaim("C1-2", {.status = "created", .payer_balance = 7000});
  EXPECT_EQ(books_.Claim("C1-2").patient_id, "P2");
  auto adjudicated = StepEvent<rcl::v1::ClaimAdjudicated>();
  if (!adjudicated.transfer_claim_id().empty() && adjudicated.transfer_claim_id() != "C1-2") {
    ClaimState receiving = books_.Claim(adjudicated.transfer_claim_id());
    EXPECT_EQ(receiving.patient_id, "P1");
    EXPECT_EQ(receiving.payer_id, kPayerB);
    ExpectClaim(receiving.claim_id,
                {.status = "created", .transferred_in = 2500, .payer_balance = 2500});
  }
}

}  // namespace
}  // namespace rcl::ledger
