// The 837P writer (ledger/x12/claim837p.h): exact output for a small claim,
// validation, and a round trip through the project's reader.
#include "ledger/x12/claim837p.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "ledger/x12/reader.h"

namespace rcl::x12 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Envelope837 TestEnvelope() {
  Envelope837 e;
  e.sender_id = "RCLCLINIC";
  e.receiver_id = "CLEARINGHOUSE";
  e.interchange_control_number = 42;
  e.group_control_number = 42;
  e.transaction_control_number = "0042";
  e.created = absl::CivilSecond(2024, 3, 5, 9, 7, 0);
  e.production = false;
  e.batch_reference = "EXP42";
  e.submitter_name = "RCL CLINIC";
  e.submitter_id = "SUB1";
  e.contact_name = "BILLING OFFICE";
  e.contact_phone = "5555550100";
  e.receiver_name = "CLEARINGHOUSE";
  return e;
}

BillingProvider TestBilling() {
  return {"RCL CLINIC",
          "1234567893",
          "123456789",
          "207Q00000X",
          {"1 MAIN ST", "", "SPRINGFIELD", "IL", "62701"}};
}

Claim837 TestClaim() {
  Claim837 c;
  c.claim_id = "CL1";
  c.total_charge_cents = 15050;
  c.diagnoses = {"E11.9", "I10"};
  c.subscriber.person = {"DOE", "JANE",
                         "",    absl::CivilDay(1980, 2, 29),
                         'F',   {"2 ELM ST", "APT 3", "SPRINGFIELD", "IL", "627010001"}};
  c.subscriber.member_id = "MEMBER1";
  c.subscriber.group_number = "GRP9";
  c.payer = {"ACME HEALTH PLAN", "87726"};
  ServiceLine837 visit;
  visit.procedure_code = "99213";
  visit.modifiers = {"25"};
  visit.charge_cents = 12000;
  visit.diagnosis_pointers = {1, 2};
  visit.service_date = absl::CivilDay(2024, 3, 1);
  visit.line_id = "CL1-1";
  ServiceLine837 lab;
  lab.procedure_code = "82947";
  lab.charge_cents = 3050;
  lab.units_milli = 2000;
  lab.service_date = absl::CivilDay(2024, 3, 1);
  lab.line_id = "CL1-2";
  c.lines = {visit, lab};
  return c;
}

TEST(WriteClaims837P, WritesTheExpectedSegments) {
  absl::StatusOr<std::string> x12 = WriteClaims837P(TestEnvelope(), TestBilling(), {TestClaim()});
  ASSERT_TRUE(x12.ok()) << x12.status();
  EXPECT_EQ(*x12,
            "ISA*00*          *00*          *ZZ*RCLCLINIC      *ZZ*CLEARINGHOUSE  *240305*0907*^*"
            "00501*000000042*0*T*:~\n"
            "GS*HC*RCLCLINIC*CLEARINGHOUSE*20240305*0907*42*X*005010X222A1~\n"
            "ST*837*0042*005010X222A1~\n"
            "BHT*0019*00*EXP42*20240305*0907*CH~\n"
            "NM1*41*2*RCL CLINIC*****46*SUB1~\n"
            "PER*IC*BILLING OFFICE*TE*5555550100~\n"
            "NM1*40*2*CLEARINGHOUSE*****46*CLEARINGHOUSE~\n"
            "HL*1**20*1~\n"
            "PRV*BI*PXC*207Q00000X~\n"
            "NM1*85*2*RCL CLINIC*****XX*1234567893~\n"
            "N3*1 MAIN ST~\n"
            "N4*SPRINGFIELD*IL*62701~\n"
            "REF*EI*123456789~\n"
            "HL*2*1*22*0~\n"
            "SBR*P*18*GRP9******CI~\n"
            "NM1*IL*1*DOE*JANE****MI*MEMBER1~\n"
            "N3*2 ELM ST*APT 3~\n"
            "N4*SPRINGFIELD*IL*627010001~\n"
            "DMG*D8*19800229*F~\n"
            "NM1*PR*2*ACME HEALTH PLAN*****PI*87726~\n"
            "CLM*CL1*150.5***11:B:1*Y*A*Y*Y~\n"
            "HI*ABK:E119*ABF:I10~\n"
            "LX*1~\n"
            "SV1*HC:99213:25*120*UN*1***1:2~\n"
            "DTP*472*D8*20240301~\n"
            "REF*6R*CL1-1~\n"
            "LX*2~\n"
            "SV1*HC:82947*30.5*UN*2***1~\n"
            "DTP*472*D8*20240301~\n"
            "REF*6R*CL1-2~\n"
            "SE*29*0042~\n"
            "GE*1*42~\n"
            "IEA*1*000000042~\n");
}

// The reader accepts what the writer wrote: envelopes, control numbers and
// every count; and the claim's figures read back as written.
TEST(WriteClaims837P, RoundTripsThroughTheReader) {
  Claim837 child = TestClaim();
  child.claim_id = "CL2";
  child.patient_is_subscriber = false;
  child.patient.person = {"DOE", "JIMMY",
                          "Q",   absl::CivilDay(2015, 6, 1),
                          'M',   {"2 ELM ST", "", "SPRINGFIELD", "IL", "62701"}};
  child.frequency = '7';
  child.original_claim_number = "PAYER123";
  Envelope837 envelope = TestEnvelope();
  envelope.line_break_after_segment = false;
  absl::StatusOr<std::string> x12 = WriteClaims837P(envelope, TestBilling(), {TestClaim(), child});
  ASSERT_TRUE(x12.ok()) << x12.status();
  absl::StatusOr<Document> doc = ReadX12(*x12);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->warnings.empty());
  ASSERT_EQ(doc->interchanges.size(), 1u);
  const Interchange& ic = doc->interchanges[0];
  EXPECT_EQ(ic.control_number, "000000042");
  EXPECT_EQ(ic.usage, "T");
  EXPECT_EQ(ic.sender, "RCLCLINIC");
  ASSERT_EQ(ic.groups.size(), 1u);
  EXPECT_EQ(ic.groups[0].version, "005010X222A1");
  ASSERT_EQ(ic.groups[0].transactions.size(), 1u);
  const TransactionSet& tx = ic.groups[0].transactions[0];
  EXPECT_EQ(tx.id, "837");
  EXPECT_EQ(tx.implementation, "005010X222A1");

  std::vector<std::string> claim_ids, totals, frequencies, hl, lines, f8;
  for (const Segment& s : tx.segments) {
    if (s.id() == "CLM") {
      claim_ids.emplace_back(s.Element(1));
      totals.emplace_back(s.Element(2));
      frequencies.emplace_back(s.CompositeAt(5).components.at(2));
    }
    if (s.id() == "HL") hl.emplace_back(s.raw());
    if (s.id() == "SV1") lines.emplace_back(s.raw());
    if (s.id() == "REF" && s.Element(1) == "F8") f8.emplace_back(s.Element(2));
  }
  EXPECT_THAT(claim_ids, ElementsAre("CL1", "CL2"));
  EXPECT_THAT(totals, ElementsAre("150.5", "150.5"));
  EXPECT_THAT(frequencies, ElementsAre("1", "7"));
  EXPECT_THAT(f8, ElementsAre("PAYER123"));
  EXPECT_THAT(hl, ElementsAre("HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0"));
  EXPECT_EQ(lines.size(), 4u);
}

TEST(WriteClaims837P, ControlNumbersAndCountsFollowTheEnvelope) {
  Envelope837 e = TestEnvelope();
  e.interchange_control_number = 999999999;
  e.group_control_number = 123;
  e.transaction_control_number = "ABCD1";
  std::vector<Claim837> claims(3, TestClaim());
  absl::StatusOr<std::string> x12 = WriteClaims837P(e, TestBilling(), claims);
  ASSERT_TRUE(x12.ok()) << x12.status();
  EXPECT_THAT(*x12, HasSubstr("*00501*999999999*0*T*:~"));
  EXPECT_THAT(*x12, HasSubstr("SE*63*ABCD1~\nGE*1*123~\nIEA*1*999999999~\n"));
  EXPECT_TRUE(ReadX12(*x12).ok());
}

TEST(WriteClaims837P, RefusesInvalidClaimsNamingTheFieldNotTheValue) {
  struct Case {
    std::function<void(Claim837&)> breaks;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](Claim837& c) { c.claim_id = ""; }, "claim 0: claim_id is empty"},
      {[](Claim837& c) { c.claim_id = std::string(39, 'C'); },
       "claim 0: claim_id is longer than 38"},
      {[](Claim837& c) { c.subscriber.person.last_name = "O*BRIEN"; },
       "claim 0: subscriber.person.last_name contains an X12 delimiter (* : ^ ~) or a line break"},
      {[](Claim837& c) { c.total_charge_cents += 1; },
       "claim 0: total_charge_cents is not the sum of the lines"},
      {[](Claim837& c) { c.diagnoses.clear(); }, "claim 0: diagnoses is not 1 to 12 codes"},
      {[](Claim837& c) { c.diagnoses.assign(13, "I10"); },
       "claim 0: diagnoses is not 1 to 12 codes"},
      {[](Claim837& c) { c.diagnoses[0] = "E1"; },
       "claim 0: diagnoses is not 3 to 7 letters or digits"},
      {[](Claim837& c) { c.lines[0].diagnosis_pointers = {3}; },
       "claim 0: lines[0].diagnosis_pointers points at no diagnosis"},
      {[](Claim837& c) {
         c.lines[0].modifiers = {"25", "59", "XS", "GT", "76"};
       },
       "claim 0: lines[0].modifiers has more than 4"},
      {[](Claim837& c) { c.lines[1].procedure_code = "8294"; },
       "claim 0: lines[1].procedure_code is not 5 to 5 letters or digits"},
      {[](Claim837& c) { c.lines[1].units_milli = 0; },
       "claim 0: lines[1].units_milli is not positive"},
      {[](Claim837& c) { c.frequency = '7'; }, "claim 0: original_claim_number is empty"},
      {[](Claim837& c) { c.frequency = '2'; },
       "claim 0: frequency is not 1 (original), 7 (replacement) or 8 (void)"},
      {[](Claim837& c) { c.subscriber.person.gender = 'X'; },
       "claim 0: subscriber.person.gender is not M, F or U"},
      {[](Claim837& c) {
         c.lines.clear();
         c.total_charge_cents = 0;
       },
       "claim 0: lines is not 1 to 50 lines"},
      {[](Claim837& c) { c.payer.payer_id = ""; }, "claim 0: payer.payer_id is empty"},
  };
  for (const Case& k : cases) {
    Claim837 claim = TestClaim();
    k.breaks(claim);
    absl::Status st = WriteClaims837P(TestEnvelope(), TestBilling(), {claim}).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << k.message;
    EXPECT_EQ(st.message(), k.message);
    EXPECT_THAT(std::string(st.message()), Not(HasSubstr("BRIEN")));
  }
}

TEST(WriteClaims837P, RefusesABadEnvelope) {
  Envelope837 e = TestEnvelope();
  e.sender_id = "A_SENDER_ID_TOO_LONG";
  EXPECT_EQ(WriteClaims837P(e, TestBilling(), {TestClaim()}).status().message(),
            "envelope: sender_id is longer than 15");
  e = TestEnvelope();
  e.interchange_control_number = 0;
  EXPECT_EQ(WriteClaims837P(e, TestBilling(), {TestClaim()}).status().message(),
            "envelope: interchange_control_number is not 1 to 999999999");
  BillingProvider b = TestBilling();
  b.npi = "123";
  EXPECT_EQ(WriteClaims837P(TestEnvelope(), b, {TestClaim()}).status().message(),
            "billing provider: npi is not 10 to 10 digits");
  EXPECT_EQ(WriteClaims837P(TestEnvelope(), TestBilling(), {}).status().message(),
            "an 837P holds 1 to 5000 claims");
}

}  // namespace
}  // namespace rcl::x12
