// Every real-world sample in tests/x12/fixtures parses to the values read
// off the files by hand (ledger/x12/remit835.h, ledger/x12/reader.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "ledger/x12/reader.h"
#include "ledger/x12/remit835.h"

namespace rcl::x12 {
namespace {

using ::testing::ElementsAre;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(RCL_SOURCE_DIR) + "/tests/x12/fixtures/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The file's one remittance, after checking the envelope it came in.
Remittance Only(const std::string& name, RemittanceFile* out = nullptr) {
  const std::string bytes = Fixture(name);
  absl::StatusOr<RemittanceFile> file = Parse835(bytes);
  EXPECT_TRUE(file.ok()) << name << ": " << file.status();
  if (!file.ok() || file->remittances.size() != 1) {
    ADD_FAILURE() << name << " has no single remittance";
    return Remittance{};
  }
  if (out != nullptr) *out = *file;
  return file->remittances[0];
}

void ExpectBalanced(const Remittance& r) {
  EXPECT_TRUE(CheckRemittanceBalance(r).ok()) << CheckRemittanceBalance(r);
  for (const ClaimPayment& c : r.claims) {
    EXPECT_TRUE(CheckClaimBalance(c).ok()) << CheckClaimBalance(c);
  }
}

TEST(Fixtures, ManagedCare) {
  RemittanceFile file;
  const Remittance r = Only("LinuxForHealth-x12__managed-care.835", &file);
  ASSERT_EQ(file.warnings.size(), 1u);
  EXPECT_EQ(file.warnings[0].message,
            "segment 4 (BPR): BPR16 (payment date) is not a date on the calendar; ignored");
  EXPECT_EQ(r.interchange_control_number, "000000907");
  EXPECT_EQ(r.group_control_number, "1");
  EXPECT_EQ(r.transaction_control_number, "112233");
  EXPECT_EQ(r.version, "005010X221A1");
  EXPECT_EQ(r.payment.handling, "I");
  EXPECT_EQ(r.payment.total_cents, 94500);
  EXPECT_EQ(r.payment.credit_debit, "C");
  EXPECT_EQ(r.payment.method, "ACH");
  EXPECT_EQ(r.payment.format, "CCP");
  EXPECT_EQ(r.payment.date, std::nullopt);  // BPR16 is 20002316
  EXPECT_EQ(r.trace.trace_number, "7170066655");
  EXPECT_EQ(r.trace.originator, "1935665544");
  EXPECT_EQ(r.production_date, absl::CivilDay(2002, 3, 14));
  EXPECT_EQ(r.payer.name, "RUSHMORE LIFE");
  EXPECT_EQ(r.PayerIdentifier(), "1935665544");  // no N104, no REF*2U: TRN03
  EXPECT_EQ(r.payee.name, "ACME MEDICAL CENTER");
  EXPECT_EQ(r.payee.id_qualifier, "XX");
  EXPECT_EQ(r.payee.id, "5544667733");
  EXPECT_THAT(r.payee.references, ElementsAre(Reference{"TJ", "777667755"}));
  ASSERT_EQ(r.claims.size(), 2u);

  const ClaimPayment& a = r.claims[0];
  EXPECT_EQ(a.segment_number, 11u);
  EXPECT_EQ(a.file_position, 13u);
  EXPECT_EQ(a.patient_control_number, "5554555444");
  EXPECT_EQ(a.status_code, "1");
  EXPECT_EQ(a.charge_cents, 80000);
  EXPECT_EQ(a.paid_cents, 45000);
  EXPECT_EQ(a.patient_responsibility_cents, 30000);
  EXPECT_EQ(a.filing_indicator, "12");
  EXPECT_EQ(a.payer_claim_control_number, "94060555410000");
  EXPECT_THAT(a.adjustments, ElementsAre(Adjustment{"CO", "A2", 5000, std::nullopt}));
  ASSERT_EQ(a.people.size(), 1u);
  EXPECT_EQ(a.people[0].entity_code, "QC");
  EXPECT_EQ(a.people[0].id_qualifier, "MI");
  ASSERT_EQ(a.lines.size(), 1u);
  EXPECT_EQ(a.lines[0].segment_number, 14u);
  EXPECT_EQ(a.lines[0].procedure, (Procedure{"HC", "99211", {}}));
  EXPECT_EQ(a.lines[0].charge_cents, 80000);
  EXPECT_EQ(a.lines[0].paid_cents, 50000);
  EXPECT_EQ(a.lines[0].units_milli, 1000);
  EXPECT_THAT(a.lines[0].dates, ElementsAre(Date{"150", absl::CivilDay(2002, 3, 1)},
                                            Date{"151", absl::CivilDay(2002, 3, 4)}));
  EXPECT_THAT(a.lines[0].adjustments, ElementsAre(Adjustment{"PR", "1", 30000, std::nullopt}));

  const ClaimPayment& b = r.claims[1];
  EXPECT_EQ(b.segment_number, 18u);
  EXPECT_EQ(b.patient_control_number, "8765432112");
  EXPECT_EQ(b.charge_cents, 120000);
  EXPECT_EQ(b.paid_cents, 49500);
  EXPECT_EQ(b.patient_responsibility_cents, 60000);
  EXPECT_EQ(b.payer_claim_control_number, "94077799230000");
  EXPECT_THAT(b.adjustments, ElementsAre(Adjustment{"CO", "A2", 5500, std::nullopt}));
  ASSERT_EQ(b.lines.size(), 1u);
  EXPECT_EQ(b.lines[0].procedure.code, "93555");
  EXPECT_EQ(b.lines[0].charge_cents, 120000);
  EXPECT_EQ(b.lines[0].paid_cents, 55000);
  EXPECT_THAT(b.lines[0].adjustments, ElementsAre(Adjustment{"PR", "1", 60000, std::nullopt},
                                                  Adjustment{"CO", "45", 5000, std::nullopt}));
  EXPECT_TRUE(r.provider_adjustments.empty());
  ExpectBalanced(r);
  for (const ClaimPayment& c : r.claims) EXPECT_TRUE(CheckLineBalance(c.lines[0]).ok());
}

TEST(Fixtures, MedicarePartA) {
  RemittanceFile file;
  const Remittance r = Only("LinuxForHealth-x12__medicare-part-a.835", &file);
  EXPECT_TRUE(file.warnings.empty());
  EXPECT_EQ(r.transaction_control_number, "1234");
  EXPECT_EQ(r.payment.handling, "C");
  EXPECT_EQ(r.payment.total_cents, 15000000);
  EXPECT_EQ(r.payment.method, "ACH");
  EXPECT_EQ(r.payment.format, "CTX");
  EXPECT_EQ(r.payment.date, absl::CivilDay(2002, 9, 13));
  EXPECT_EQ(r.trace.trace_number, "12345");
  EXPECT_EQ(r.trace.originator, "1512345678");
  EXPECT_EQ(r.production_date, absl::CivilDay(2002, 9, 16));
  EXPECT_THAT(r.payer.references, ElementsAre(Reference{"2U", "999"}));
  EXPECT_EQ(r.PayerIdentifier(), "999");
  EXPECT_EQ(r.payee.id, "6543210903");
  ASSERT_EQ(r.claims.size(), 2u);
  const ClaimPayment& a = r.claims[0];
  EXPECT_EQ(a.segment_number, 13u);
  EXPECT_EQ(a.patient_control_number, "666123");
  EXPECT_EQ(a.charge_cents, 21136697);
  EXPECT_EQ(a.paid_cents, 13801840);
  EXPECT_EQ(a.patient_responsibility_cents, std::nullopt);
  EXPECT_EQ(a.filing_indicator, "MA");
  EXPECT_EQ(a.payer_claim_control_number, "1999999444444");
  EXPECT_EQ(a.facility_type, "11");
  EXPECT_EQ(a.frequency, "1");
  EXPECT_THAT(a.adjustments, ElementsAre(Adjustment{"CO", "45", 7334857, std::nullopt}));
  EXPECT_THAT(a.dates, ElementsAre(Date{"232", absl::CivilDay(2002, 8, 16)},
                                   Date{"233", absl::CivilDay(2002, 8, 24)}));
  EXPECT_TRUE(a.lines.empty());
  const ClaimPayment& b = r.claims[1];
  EXPECT_EQ(b.segment_number, 22u);
  EXPECT_EQ(b.patient_control_number, "777777");
  EXPECT_EQ(b.charge_cents, 1500000);
  EXPECT_EQ(b.paid_cents, 1198033);
  EXPECT_EQ(b.filing_indicator, "MB");
  EXPECT_EQ(b.facility_type, "13");
  EXPECT_THAT(b.adjustments, ElementsAre(Adjustment{"CO", "45", 301967, std::nullopt}));
  EXPECT_THAT(b.dates, ElementsAre(Date{"232", absl::CivilDay(2002, 5, 12)}));
  ASSERT_EQ(r.provider_adjustments.size(), 1u);
  const ProviderAdjustment& plb = r.provider_adjustments[0];
  EXPECT_EQ(plb.segment_number, 27u);
  EXPECT_EQ(plb.provider_id, "6543210903");
  EXPECT_EQ(plb.fiscal_period, absl::CivilDay(2002, 12, 31));
  EXPECT_THAT(plb.items, ElementsAre(ProviderAdjustmentItem{"CV", "CP", -127}));
  // 138018.40 + 11980.33 - (-1.27) = 150000.00
  EXPECT_EQ(r.ClaimsPaidCents(), 14999873);
  EXPECT_EQ(r.ProviderAdjustmentCents(), -127);
  ExpectBalanced(r);
}

TEST(Fixtures, SecondaryPaymentWithForeignComponentSeparator) {
  RemittanceFile file;
  const Remittance r = Only("LinuxForHealth-x12__secondary-payment.835", &file);
  // Its BPR has one element too few: the date sits in BPR15, BPR16 is empty.
  ASSERT_EQ(file.warnings.size(), 3u);
  EXPECT_EQ(file.warnings[0].message, "segment 4 (BPR): BPR16 (payment date) is empty");
  EXPECT_EQ(file.warnings[1].segment, 29u);
  EXPECT_EQ(file.warnings[1].message,
            "segment 29 (SVC): SVC01 uses '>' as its component separator; ISA16 says ':'");
  EXPECT_EQ(file.warnings[2].segment, 34u);
  EXPECT_EQ(r.payment.total_cents, 122200);
  EXPECT_EQ(r.payment.method, "CHK");
  EXPECT_EQ(r.payment.format, "");
  EXPECT_EQ(r.payment.date, std::nullopt);
  EXPECT_EQ(r.trace.trace_number, "0012524965");
  EXPECT_THAT(r.references, ElementsAre(Reference{"EV", "030240928"}));
  EXPECT_EQ(r.PayerIdentifier(), "1559123456");
  EXPECT_EQ(r.payee.id_qualifier, "FI");
  EXPECT_EQ(r.payee.id, "599944521");
  EXPECT_THAT(r.payee.references, ElementsAre(Reference{"PQ", "10488"}));
  ASSERT_EQ(r.claims.size(), 2u);
  const ClaimPayment& a = r.claims[0];
  EXPECT_EQ(a.segment_number, 14u);
  EXPECT_EQ(a.patient_control_number, "L0004828311");
  EXPECT_EQ(a.status_code, "2");
  EXPECT_EQ(a.charge_cents, 1032364);
  EXPECT_EQ(a.paid_cents, 91200);
  EXPECT_EQ(a.patient_responsibility_cents, std::nullopt);
  EXPECT_THAT(a.adjustments, ElementsAre(Adjustment{"OA", "23", 941164, std::nullopt}));
  EXPECT_EQ(a.people.size(), 2u);
  EXPECT_THAT(a.amounts, ElementsAre(Amount{"AU", 91200}));
  EXPECT_TRUE(a.lines.empty());
  const ClaimPayment& b = r.claims[1];
  EXPECT_EQ(b.segment_number, 22u);
  EXPECT_EQ(b.patient_control_number, "0001000053");
  EXPECT_EQ(b.charge_cents, 75150);
  EXPECT_EQ(b.paid_cents, 31000);
  EXPECT_EQ(b.patient_responsibility_cents, 22000);
  ASSERT_EQ(b.lines.size(), 2u);
  EXPECT_EQ(b.lines[0].segment_number, 27u);
  EXPECT_EQ(b.lines[0].procedure, (Procedure{"HC", "12345", {"26"}}));
  EXPECT_EQ(b.lines[0].charge_cents, 16650);
  EXPECT_EQ(b.lines[0].paid_cents, 3000);
  EXPECT_EQ(b.lines[0].units_milli, 1000);
  EXPECT_THAT(b.lines[0].adjustments, ElementsAre(Adjustment{"OA", "23", 13650, std::nullopt}));
  EXPECT_THAT(b.lines[0].references, ElementsAre(Reference{"1B", "43285"}));
  EXPECT_EQ(b.lines[0].allowed_cents, 15000);
  EXPECT_EQ(b.lines[0].line_id, "");
  EXPECT_EQ(b.lines[1].procedure, (Procedure{"HC", "66543", {"26"}}));
  EXPECT_EQ(b.lines[1].charge_cents, 58500);
  EXPECT_EQ(b.lines[1].paid_cents, 28000);
  EXPECT_EQ(b.lines[1].revenue_code, "220");
  EXPECT_THAT(b.lines[1].adjustments, ElementsAre(Adjustment{"PR", "1", 15000, std::nullopt},
                                                  Adjustment{"PR", "2", 7000, std::nullopt},
                                                  Adjustment{"CO", "42", 8500, std::nullopt}));
  EXPECT_EQ(b.lines[1].allowed_cents, 50000);
  ExpectBalanced(r);
  for (const ServiceLine& l : b.lines) EXPECT_TRUE(CheckLineBalance(l).ok());
}

TEST(Fixtures, TertiaryPaymentWithAMalformedServiceLine) {
  RemittanceFile file;
  const Remittance r = Only("LinuxForHealth-x12__tertiary-payment.835", &file);
  // SVC*HC*24599.00*1766.50*187.50**1: the code is missing, so every element
  // after SVC01 is one place off.
  ASSERT_EQ(file.warnings.size(), 3u);
  EXPECT_EQ(file.warnings[0].message, "segment 4 (BPR): BPR16 (payment date) is empty");
  EXPECT_EQ(file.warnings[1].message, "segment 20 (SVC): SVC01 has no procedure code");
  EXPECT_EQ(file.warnings[2].message, "segment 20 (SVC): SVC06 has no procedure code");
  EXPECT_EQ(r.payment.total_cents, 18750);
  EXPECT_EQ(r.trace.trace_number, "0012524879");
  ASSERT_EQ(r.claims.size(), 1u);
  const ClaimPayment& c = r.claims[0];
  EXPECT_EQ(c.patient_control_number, "0001000054");
  EXPECT_EQ(c.status_code, "3");
  EXPECT_EQ(c.charge_cents, 176650);
  EXPECT_EQ(c.paid_cents, 18750);
  EXPECT_EQ(c.payer_claim_control_number, "50580155533");
  ASSERT_EQ(c.lines.size(), 1u);
  const ServiceLine& l = c.lines[0];
  EXPECT_EQ(l.procedure, (Procedure{"HC", "", {}}));
  EXPECT_EQ(l.charge_cents, 2459900);
  EXPECT_EQ(l.paid_cents, 176650);
  EXPECT_EQ(l.revenue_code, "187.50");
  EXPECT_EQ(l.units_milli, 1000);
  EXPECT_EQ(l.original, (Procedure{"1", "", {}}));
  EXPECT_THAT(l.adjustments, ElementsAre(Adjustment{"OA", "23", 157900, std::nullopt}));
  EXPECT_EQ(l.allowed_cents, 170000);
  ExpectBalanced(r);                        // the claim balances on CLP03/CLP04 ...
  EXPECT_EQ(CheckLineBalance(l).message(),  // ... the shifted line cannot
            "segment 20 (SVC): the service line does not balance: SVC02 24599.00 - line CAS "
            "1579.00 = 23020.00, but SVC03 says 1766.50");
}

TEST(Fixtures, CobContractualAdjustmentWithANegativeCas) {
  RemittanceFile file;
  const Remittance r = Only("LinuxForHealth-x12__cob-contractural-adjustment.835", &file);
  ASSERT_EQ(file.warnings.size(), 2u);  // BPR16 empty (date in BPR15), SVC01 uses '>'
  EXPECT_EQ(file.warnings[1].segment, 21u);
  EXPECT_EQ(r.payment.total_cents, 3400);
  EXPECT_EQ(r.payment.date, std::nullopt);
  EXPECT_EQ(r.trace.trace_number, "0063158ABC");
  EXPECT_EQ(r.trace.originator, "1566339911");
  EXPECT_EQ(r.payee.name, "ATONEWITHHEALTH");
  EXPECT_EQ(r.payee.id, "3UR334563");
  ASSERT_EQ(r.claims.size(), 1u);
  const ClaimPayment& c = r.claims[0];
  EXPECT_EQ(c.segment_number, 14u);
  EXPECT_EQ(c.patient_control_number, "0001000055");
  EXPECT_EQ(c.status_code, "2");
  EXPECT_EQ(c.charge_cents, 54100);
  EXPECT_EQ(c.paid_cents, 3400);
  EXPECT_EQ(c.payer_claim_control_number, "50650619501");
  EXPECT_THAT(c.dates, ElementsAre(Date{"232", absl::CivilDay(2005, 2, 2)},
                                   Date{"233", absl::CivilDay(2005, 2, 2)}));
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].procedure, (Procedure{"HC", "55669", {}}));
  EXPECT_THAT(c.lines[0].dates, ElementsAre(Date{"472", absl::CivilDay(2005, 2, 2)}));
  EXPECT_THAT(c.lines[0].adjustments, ElementsAre(Adjustment{"OA", "23", 51600, std::nullopt},
                                                  Adjustment{"OA", "94", -900, std::nullopt}));
  EXPECT_EQ(c.lines[0].allowed_cents, 55000);
  ExpectBalanced(r);
  EXPECT_TRUE(CheckLineBalance(c.lines[0]).ok());
}

TEST(Fixtures, PyX12ZeroPaymentDenial) {
  RemittanceFile file;
  const Remittance r = Only("pyx12__835_mult_loops.835", &file);
  EXPECT_TRUE(file.warnings.empty());
  EXPECT_EQ(r.interchange_control_number, "000238388");
  EXPECT_EQ(r.group_control_number, "383880001");
  EXPECT_EQ(r.payment.handling, "H");
  EXPECT_EQ(r.payment.total_cents, 0);
  EXPECT_EQ(r.payment.method, "NON");
  EXPECT_EQ(r.payment.date, absl::CivilDay(2004, 10, 28));
  EXPECT_EQ(r.trace.trace_number, "000000000");
  EXPECT_EQ(r.production_date, absl::CivilDay(2013, 9, 1));
  EXPECT_EQ(r.payee.id, "444313000");
  ASSERT_EQ(r.claims.size(), 1u);
  const ClaimPayment& c = r.claims[0];
  EXPECT_EQ(c.segment_number, 13u);
  EXPECT_EQ(c.patient_control_number, "2005555A");
  EXPECT_TRUE(c.IsDenial());
  EXPECT_EQ(c.charge_cents, 91539);
  EXPECT_EQ(c.paid_cents, 0);
  EXPECT_EQ(c.filing_indicator, "MC");
  ASSERT_EQ(c.lines.size(), 3u);
  EXPECT_EQ(c.lines[0].charge_cents, 50004);
  EXPECT_EQ(c.lines[0].units_milli, 68000);
  EXPECT_THAT(c.lines[0].adjustments, ElementsAre(Adjustment{"CO", "16", 50004, std::nullopt}));
  EXPECT_EQ(c.lines[1].charge_cents, 12780);
  EXPECT_EQ(c.lines[1].units_milli, 16000);
  EXPECT_THAT(c.lines[1].adjustments, ElementsAre(Adjustment{"OA", "A7", 12780, std::nullopt}));
  EXPECT_EQ(c.lines[2].charge_cents, 28755);
  EXPECT_EQ(c.lines[2].units_milli, 36000);
  EXPECT_EQ(c.lines[2].segment_number, 26u);
  EXPECT_THAT(c.lines[2].dates, ElementsAre(Date{"150", absl::CivilDay(2003, 10, 31)},
                                            Date{"151", absl::CivilDay(2003, 10, 31)}));
  ExpectBalanced(r);
}

TEST(Fixtures, The837FilesReadAtEnvelopeLevelAndAreNot835s) {
  struct Expected {
    const char* file;
    const char* control;
    const char* version;
    size_t segments;
  };
  for (const Expected& e :
       {Expected{"LinuxForHealth-x12__demo.example1.837", "0021", "005010X222A2", 40},
        Expected{"LinuxForHealth-x12__demo.cob.example3.B.837", "1234", "005010X222A2", 62},
        Expected{"LinuxForHealth-x12__institutional-claim.837i", "987654", "005010X223A3", 42}}) {
    const std::string bytes = Fixture(e.file);
    absl::StatusOr<Document> doc = ReadX12(bytes);
    ASSERT_TRUE(doc.ok()) << e.file << ": " << doc.status();
    const TransactionSet& tx = doc->interchanges.at(0).groups.at(0).transactions.at(0);
    EXPECT_EQ(doc->interchanges[0].groups[0].functional_id, "HC");
    EXPECT_EQ(tx.id, "837");
    EXPECT_EQ(tx.control_number, e.control);
    EXPECT_EQ(tx.implementation, e.version);
    EXPECT_EQ(tx.segments.size(), e.segments);
    EXPECT_EQ(Parse835(bytes).status().message(),
              "segment 3 (ST): transaction set 837 is not an 835");
  }
}

}  // namespace
}  // namespace rcl::x12
