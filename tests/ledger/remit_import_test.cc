// The 835 import (ImportRemittanceFile) decided by the ledger: payments,
// adjustments, patient responsibility, denials, reversals with a corrected
// re-payment, PLB, suspense and applying it, duplicates (file and trace),
// unbalanced files (refused, then accepted), malformed files; one commit per
// file, contiguous positions; the books checked after each import.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/rules/commands.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::ledger {
namespace {

using namespace ::rcl::ledger::claims_testing;  // NOLINT: builders
using ::testing::HasSubstr;

// An 835 with one transaction. `body` is the segments after N1*PE (CLP
// loops, PLB); BPR02 is `total`.
std::string File835(const std::string& total, const std::string& trace,
                    const std::vector<std::string>& body, const std::string& payer = "PAYERA") {
  std::vector<std::string> st = {
      "ST*835*0001",
      absl::StrCat("BPR*I*", total,
                   "*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*"
                   "654321*20240401"),
      absl::StrCat("TRN*1*", trace, "*1512345678"),
      "DTM*405*20240401",
      absl::StrCat("N1*PR*PAYER A*XV*", payer),
      "N1*PE*CLINIC*XX*1234567893"};
  st.insert(st.end(), body.begin(), body.end());
  st.push_back(absl::StrCat("SE*", st.size() + 1, "*0001"));
  std::string out =
      "ISA*00*          *00*          *ZZ*PAYERA         *ZZ*CLINIC         *240401*1200*^*00501*"
      "000000001*0*P*:~GS*HP*PAYERA*CLINIC*20240401*1200*1*X*005010X221A1~";
  for (const auto& s : st) absl::StrAppend(&out, s, "~");
  absl::StrAppend(&out, "GE*1*1~IEA*1*000000001~");
  return out;
}

// A paid claim: charge 1000.00, paid 700.00, CO-45 200.00, PR-1 100.00.
std::vector<std::string> PaidClp(const std::string& claim, const std::string& status = "1") {
  return {absl::StrCat("CLP*", claim, "*", status, "*1000*700*100*12*PCN-", claim),
          "SVC*HC:99213*1000*700**1",
          "DTM*472*20240315",
          "CAS*CO*45*200",
          "CAS*PR*1*100",
          "REF*6R*1",
          "AMT*B6*800"};
}

Command Import(const std::string& x12, bool accept_imbalance = false) {
  Command c;
  c.mutable_import_remittance_file()->set_x12(x12);
  c.mutable_import_remittance_file()->set_accept_imbalance(accept_imbalance);
  return c;
}

class RemitImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Ok(RegisterPatient("P1"));
    Ok(AddCoverage("P1", "COV1", "PAYERA", 1));
    for (const char* id : {"C1", "C2"}) Claim(id);
  }

  void Claim(const std::string& id) {
    const std::string enc = absl::StrCat("E", id);
    Ok(OpenEncounter(enc, "P1", "2024-03-15"));
    Ok(RecordDiagnoses(enc, {"E11.9"}));
    Ok(RecordCharge(enc, 1, 100'000, "99213"));
    Ok(CompleteCoding(enc));
    Ok(CreateClaim(id, enc, "COV1"));
    Ok(ScrubClaim(id));
    Ok(SubmitClaim(id));
  }

  CommandResult Ok(const Command& c) {
    absl::StatusOr<CommandResult> r = books_.Run(c);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  void ExpectBooks() {
    std::vector<std::string> problems = books_.CheckBooks();
    EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  }

  // The events of one command are contiguous positions ending at r.position.
  void ExpectOneCommit(const CommandResult& r) {
    ASSERT_FALSE(r.event_ids.empty());
    std::vector<EventRecord> events = books_.EventsAfter(r.position - r.event_ids.size());
    ASSERT_EQ(events.size(), r.event_ids.size());
    for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].event_id, r.event_ids[i]);
  }

  ClaimsLedger books_;
};

TEST_F(RemitImportTest, PostsPaymentsAdjustmentsAndPatientResponsibility) {
  std::vector<std::string> body = PaidClp("C1");
  auto c2 = PaidClp("C2");
  body.insert(body.end(), c2.begin(), c2.end());
  CommandResult r = Ok(Import(File835("1400", "TRACE1", body)));
  ExpectOneCommit(r);
  ClaimState c = books_.Claim("C1");
  EXPECT_EQ(c.payer_paid_cents, 70'000);
  EXPECT_EQ(c.contractual_cents, 20'000);
  EXPECT_EQ(c.patient_responsibility_cents, 10'000);
  EXPECT_EQ(c.PatientBalance(), 10'000);
  EXPECT_EQ(c.lines.at(1).amounts.allowed_cents, 80'000);
  ExpectBooks();
  // Every event names its source.
  for (const EventRecord& e : books_.EventsAfter(r.position - r.event_ids.size())) {
    if (e.type != "ClaimAdjudicated") continue;
    rcl::v1::ClaimAdjudicated a;
    ASSERT_TRUE(a.ParseFromString(e.payload));
    EXPECT_EQ(a.x12_source().interchange_control_number(), "000000001");
    EXPECT_EQ(a.x12_source().transaction_control_number(), "0001");
    EXPECT_EQ(a.x12_source().file_sha256().size(), 64u);
    EXPECT_GT(a.x12_source().segment_number(), 6);
  }
}

// 5010: a claim-level CAS beside SVC lines reduces what the lines paid
// (CLP04 = SVC03 - claim CAS), as in the fixture managed-care.835. It is
// posted on the lines it reduces.
TEST_F(RemitImportTest, ClaimLevelCasBesideLinesReducesWhatTheLinesPaid) {
  CommandResult r = Ok(
      Import(File835("650", "TRACE1",
                     {"CLP*C1*1*1000*650*100*12*PCN-C1", "CAS*CO*A2*50", "SVC*HC:99213*1000*700**1",
                      "CAS*CO*45*200", "CAS*PR*1*100", "REF*6R*1"})));
  ExpectOneCommit(r);
  ClaimState c = books_.Claim("C1");
  EXPECT_EQ(c.payer_paid_cents, 65'000);
  EXPECT_EQ(c.contractual_cents, 25'000);
  EXPECT_EQ(c.patient_responsibility_cents, 10'000);
  EXPECT_EQ(c.lines.at(1).amounts.paid_cents, 65'000);
  EXPECT_EQ(c.lines.at(1).amounts.contractual_cents, 25'000);
  ExpectBooks();
  // SVC lines that, less the claim CAS, do not pay CLP04: refused with the
  // figures.
  absl::StatusOr<CommandResult> refused = books_.Run(
      Import(File835("650", "TRACE2",
                     {"CLP*C2*1*1000*650*100*12*PCN-C2", "CAS*CO*A2*50", "SVC*HC:99213*900*600**1",
                      "CAS*CO*45*200", "CAS*PR*1*100", "REF*6R*1"})));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      refused.status().message(),
      HasSubstr("the SVC lines pay 600.00 less claim-level CAS 50.00 but CLP04 says 650.00"));
}

TEST_F(RemitImportTest, DuplicatesAreAlreadyExists) {
  const std::string file = File835("700", "TRACE1", PaidClp("C1"));
  Ok(Import(file));
  absl::StatusOr<CommandResult> again = books_.Run(Import(file));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("already imported as remittance era-"));
  absl::StatusOr<CommandResult> trace = books_.Run(Import(File835("700", "TRACE1", PaidClp("C2"))));
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(trace.status().message(), HasSubstr("payer PAYERA trace TRACE1 was already posted"));
  EXPECT_EQ(books_.Claim("C2").payer_paid_cents, 0);
}

TEST_F(RemitImportTest, UnbalancedIsRefusedThenAcceptedIntoItsOwnSuspense) {
  const std::string file = File835("750", "TRACE1", PaidClp("C1"));
  const uint64_t head = books_.ledger().head().position;
  absl::StatusOr<CommandResult> refused = books_.Run(Import(file));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("= 700.00"));
  EXPECT_THAT(refused.status().message(), HasSubstr("BPR02 says 750.00"));
  EXPECT_EQ(books_.ledger().head().position, head);
  Ok(Import(file, /*accept_imbalance=*/true));
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_EQ(accounts["suspense:remit_imbalance"], -5'000);
  EXPECT_EQ(accounts["cash:payer"], 75'000);
}

TEST_F(RemitImportTest, UnmatchedGoesToSuspenseAndIsAppliedLater) {
  CommandResult r = Ok(Import(File835("700", "TRACE1", PaidClp("NOSUCH"))));
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_EQ(accounts["suspense:unapplied"], -70'000);
  // The item id is the remittance's id and the CLP's segment number.
  std::string item_id;
  for (const EventRecord& e : books_.EventsAfter(r.position - r.event_ids.size())) {
    if (e.type != "RemittanceClaimSuspended") continue;
    rcl::v1::RemittanceClaimSuspended s;
    ASSERT_TRUE(s.ParseFromString(e.payload));
    EXPECT_THAT(s.reason(), HasSubstr("no claim NOSUCH"));
    item_id = s.item_id();
  }
  ASSERT_FALSE(item_id.empty());
  Command apply;
  apply.mutable_apply_suspended_payment()->set_item_id(item_id);
  apply.mutable_apply_suspended_payment()->set_claim_id("C1");
  Ok(apply);
  EXPECT_EQ(books_.Claim("C1").payer_paid_cents, 70'000);
  accounts.clear();
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_EQ(accounts.count("suspense:unapplied"), 0u);
  EXPECT_EQ(books_.Run(apply).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RemitImportTest, OtherPayersClaimGoesToSuspense) {
  Command alias;
  alias.mutable_alias_payer()->set_x12_id("1346000128");
  alias.mutable_alias_payer()->set_payer_id("PAYERB");
  Ok(alias);
  Ok(Import(File835("700", "TRACE1", PaidClp("C1"), "1346000128")));
  EXPECT_EQ(books_.Claim("C1").payer_paid_cents, 0);
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty());
  EXPECT_EQ(accounts["suspense:unapplied"], -70'000);
}

TEST_F(RemitImportTest, ReversalAndCorrectedRepaymentWithPlbAndDenial) {
  Ok(Import(File835("700", "TRACE1", PaidClp("C1"))));
  std::vector<std::string> body = {"CLP*C1*22*-1000*-700*-100*12*PCN-C1",
                                   "SVC*HC:99213*-1000*-700**1", "CAS*CO*45*-200", "CAS*PR*1*-100",
                                   "REF*6R*1"};
  std::vector<std::string> corrected = {"CLP*C1*1*1000*800*0*12*PCN-C1", "SVC*HC:99213*1000*800**1",
                                        "CAS*CO*45*200"};
  std::vector<std::string> denied = {"CLP*C2*4*1000*0*0*12*PCN-C2", "CAS*CO*50*1000"};
  body.insert(body.end(), corrected.begin(), corrected.end());
  body.insert(body.end(), denied.begin(), denied.end());
  body.push_back("PLB*1234567893*20241231*L6*-5*WO:ABC*15");
  CommandResult r = Ok(Import(File835("90", "TRACE2", body)));
  ExpectOneCommit(r);
  ClaimState c1 = books_.Claim("C1");
  EXPECT_EQ(c1.payer_paid_cents, 80'000);
  EXPECT_EQ(c1.patient_responsibility_cents, 0);
  ClaimState c2 = books_.Claim("C2");
  EXPECT_EQ(c2.status, ClaimStatus::kDenied);
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty()) << absl::StrJoin(books_.CheckBooks(), "\n");
  EXPECT_EQ(accounts["cash:payer"], 79'000);  // 700.00, then 800.00 - 700.00 + 5.00 - 15.00
  EXPECT_EQ(accounts["income:interest"], -500);
}

// A secondary payer's 835s for a crossover claim echo the primary claim's id
// (CLP01 = C1): its payment (CLP02 2) and its reversal (22) both land on the
// secondary's claim C1-2, not on C1. OA-23 is the primary's share (not an
// adjustment of the secondary's); its own CO-42 stays contractual.
TEST_F(RemitImportTest, ASecondarysPaymentAndReversalOfACrossoverClaimLandOnItsClaim) {
  Ok(AddCoverage("P1", "COV2", "PAYERB", 2));
  Ok(Import(File835("700", "TRACE1", PaidClp("C1"))));  // PR-1 100.00 moves to C1-2
  ASSERT_EQ(books_.Claim("C1-2").transferred_in_cents, 10'000);
  Ok(ScrubClaim("C1-2"));
  Ok(SubmitClaim("C1-2"));
  Ok(Import(File835("60", "TRACE2",
                    {"CLP*C1*2*1000*60*0*12*PCN-S1", "CAS*OA*23*900", "CAS*CO*42*40"}, "PAYERB")));
  ClaimState c2 = books_.Claim("C1-2");
  EXPECT_EQ(c2.payer_paid_cents, 6'000);
  EXPECT_EQ(c2.contractual_cents, 4'000);
  EXPECT_EQ(c2.other_adjustment_cents, 0);
  EXPECT_EQ(c2.PayerBalance(), 0);
  EXPECT_EQ(books_.Claim("C1").payer_paid_cents, 70'000);

  // The reversal and a corrected re-payment (it takes the CO-42 back) in one
  // file: had the reversal missed C1-2, it would sit in suspense.
  CommandResult r =
      Ok(Import(File835("40", "TRACE3",
                        {"CLP*C1*22*-1000*-60*0*12*PCN-S1", "CAS*OA*23*-900", "CAS*CO*42*-40",
                         "CLP*C1*2*1000*100*0*12*PCN-S2", "CAS*OA*23*900"},
                        "PAYERB")));
  ExpectOneCommit(r);
  int reversals = 0;
  for (const EventRecord& e : books_.EventsAfter(r.position - r.event_ids.size())) {
    if (e.type != "ClaimAdjudicationReversed") continue;
    rcl::v1::ClaimAdjudicationReversed reversed;
    ASSERT_TRUE(reversed.ParseFromString(e.payload));
    EXPECT_EQ(reversed.claim_id(), "C1-2");
    reversals += reversed.superseded() ? 0 : 1;
  }
  EXPECT_EQ(reversals, 1);
  c2 = books_.Claim("C1-2");
  EXPECT_EQ(c2.payer_paid_cents, 10'000);
  EXPECT_EQ(c2.contractual_cents, 0);
  EXPECT_EQ(c2.PayerBalance(), 0);
  EXPECT_EQ(books_.Claim("C1").payer_paid_cents, 70'000);
  Postings accounts;
  EXPECT_TRUE(books_.CheckBooks(&accounts).empty()) << absl::StrJoin(books_.CheckBooks(), "\n");
  EXPECT_EQ(accounts.count("suspense:unapplied"), 0u);
  EXPECT_EQ(accounts.count("ar:payer:PAYERB"), 0u);
}

TEST_F(RemitImportTest, MalformedFilesAreInvalidArgument) {
  const std::string file = File835("700", "TRACE1", PaidClp("C1"));
  absl::StatusOr<CommandResult> truncated = books_.Run(Import(file.substr(0, file.size() - 30)));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
  std::string bad_count = file;
  bad_count.replace(bad_count.find("SE*"), 5, "SE*99");
  absl::StatusOr<CommandResult> count = books_.Run(Import(bad_count));
  EXPECT_EQ(count.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(count.status().message(), HasSubstr("SE"));
}

TEST_F(RemitImportTest, DryRunWritesNothing) {
  CommandRequest req;
  req.tenant = kTenant;
  req.dry_run = true;
  req.command = Import(File835("700", "TRACE1", PaidClp("C1")));
  const uint64_t head = books_.ledger().head().position;
  absl::StatusOr<CommandResult> r = books_.ledger().Execute(std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->preview.empty());
  EXPECT_EQ(r->preview.back().type, "RemittanceFileImported");
  EXPECT_EQ(books_.ledger().head().position, head);
}

TEST_F(RemitImportTest, TenThousandClaimsPostInOneCommitOrNothing) {
  constexpr int kClaims = 10'000;
  std::vector<Command> setup;
  setup.push_back(AddCoverage("P2", "COV2", "PAYERA", 1));
  Ok(RegisterPatient("P2"));
  for (int i = 0; i < kClaims; ++i) {
    const std::string enc = absl::StrCat("F", i), id = absl::StrCat("K", i);
    setup.push_back(OpenEncounter(enc, "P2", "2024-03-15"));
    setup.push_back(RecordDiagnoses(enc, {"E11.9"}));
    setup.push_back(RecordCharge(enc, 1, 100'000, "99213"));
    setup.push_back(CompleteCoding(enc));
    setup.push_back(CreateClaim(id, enc, "COV2"));
    setup.push_back(ScrubClaim(id));
    setup.push_back(SubmitClaim(id));
  }
  books_.RunAll(setup);
  std::vector<std::string> body;
  for (int i = 0; i < kClaims; ++i) {
    auto clp = PaidClp(absl::StrCat("K", i));
    body.insert(body.end(), clp.begin(), clp.end());
  }
  // A claim that cannot post (a line the claim does not have) would go to
  // suspense; a file whose totals do not balance posts nothing at all.
  const uint64_t head = books_.ledger().head().position;
  absl::StatusOr<CommandResult> refused =
      books_.Run(Import(File835(absl::StrCat(7 * kClaims * 100 + 1), "BIG", body)));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(books_.ledger().head().position, head);
  CommandResult r = Ok(Import(File835(absl::StrCat(7 * kClaims * 100), "BIG", body)));
  EXPECT_GT(r.event_ids.size(), static_cast<size_t>(2 * kClaims));
  EXPECT_EQ(r.position, head + r.event_ids.size());
  ExpectOneCommit(r);
  EXPECT_EQ(books_.Claim("K9999").payer_paid_cents, 70'000);
}

}  // namespace
}  // namespace rcl::ledger
