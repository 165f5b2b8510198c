// The 835 model and parser on hand-made files (ledger/x12/remit835.h).
#include "ledger/x12/remit835.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/x12/x12_builder.h"

namespace rcl::x12 {
namespace {

using ::rcl::x12::testing::X12Builder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<RemittanceFile> ParseBody(std::vector<std::string> body) {
  X12Builder b;
  b.body = std::move(body);
  return Parse835(b.Str());
}

TEST(Parse835, ReadsEveryModeledField) {
  absl::StatusOr<RemittanceFile> file = Parse835(X12Builder().Str());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->warnings.empty());
  ASSERT_EQ(file->remittances.size(), 1u);
  const Remittance& r = file->remittances[0];
  EXPECT_EQ(r.interchange_control_number, "000000101");
  EXPECT_EQ(r.group_control_number, "7");
  EXPECT_EQ(r.transaction_control_number, "0001");
  EXPECT_EQ(r.version, "005010X221A1");
  EXPECT_EQ(r.file_position, 3u);
  EXPECT_EQ(r.payment.handling, "I");
  EXPECT_EQ(r.payment.total_cents, 10000);
  EXPECT_EQ(r.payment.credit_debit, "C");
  EXPECT_EQ(r.payment.method, "ACH");
  EXPECT_EQ(r.payment.format, "CCP");
  EXPECT_EQ(r.payment.date, absl::CivilDay(2024, 1, 5));
  EXPECT_EQ(r.trace.type, "1");
  EXPECT_EQ(r.trace.trace_number, "EFT0001");
  EXPECT_EQ(r.trace.originator, "1512345678");
  EXPECT_EQ(r.production_date, absl::CivilDay(2024, 1, 4));
  EXPECT_EQ(r.payer.name, "ACME HEALTH PLAN");
  EXPECT_EQ(r.payer.id_qualifier, "XV");
  EXPECT_EQ(r.payer.id, "87726");
  EXPECT_EQ(r.PayerIdentifier(), "87726");
  EXPECT_EQ(r.payee.id_qualifier, "XX");
  EXPECT_EQ(r.payee.id, "1234567893");
  ASSERT_EQ(r.claims.size(), 1u);
  const ClaimPayment& c = r.claims[0];
  EXPECT_EQ(c.segment_number, 8u);  // ST 1, BPR 2, ... LX 7, CLP 8
  EXPECT_EQ(c.file_position, 10u);
  EXPECT_EQ(c.patient_control_number, "CL1");
  EXPECT_EQ(c.status_code, "1");
  EXPECT_EQ(c.charge_cents, 15000);
  EXPECT_EQ(c.paid_cents, 10000);
  EXPECT_EQ(c.patient_responsibility_cents, 2000);
  EXPECT_EQ(c.filing_indicator, "12");
  EXPECT_EQ(c.payer_claim_control_number, "PAYERCLM1");
  EXPECT_EQ(c.facility_type, "11");
  EXPECT_EQ(c.frequency, "1");
  ASSERT_EQ(c.people.size(), 1u);
  EXPECT_EQ(c.people[0].entity_code, "QC");
  EXPECT_EQ(c.people[0].id, "MEMBERSECRET9");
  ASSERT_EQ(c.lines.size(), 1u);
  const ServiceLine& l = c.lines[0];
  EXPECT_EQ(l.segment_number, 10u);
  EXPECT_EQ(l.procedure, (Procedure{"HC", "99213", {"25"}}));
  EXPECT_EQ(l.charge_cents, 15000);
  EXPECT_EQ(l.paid_cents, 10000);
  EXPECT_EQ(l.units_milli, 1000);
  EXPECT_THAT(l.dates, ElementsAre(Date{"472", absl::CivilDay(2024, 1, 2)}));
  EXPECT_THAT(l.adjustments, ElementsAre(Adjustment{"CO", "45", 3000, std::nullopt},
                                         Adjustment{"PR", "2", 2000, std::nullopt}));
  EXPECT_EQ(l.line_id, "L1");
  EXPECT_EQ(l.allowed_cents, 12000);
  EXPECT_TRUE(CheckRemittanceBalance(r).ok());
  EXPECT_TRUE(CheckClaimBalance(c).ok());
  EXPECT_TRUE(CheckLineBalance(l).ok());
}

TEST(Parse835, ReversalWithNegativeAmountsThenCorrection) {
  std::vector<std::string> body = {
      "BPR*I*20*C*CHK************20240105",
      "TRN*1*CHK77*1512345678",
      "N1*PR*ACME*XV*87726",
      "N1*PE*RCL CLINIC*XX*1234567893",
      "LX*1",
      "CLP*CL1*22*-150*-100*-20*12*PAYERCLM1",
      "CAS*CO*45*-30",
      "CAS*PR*2*-20",
      "CLP*CL1*1*150*120*0*12*PAYERCLM2",
      "CAS*CO*45*30",
  };
  absl::StatusOr<RemittanceFile> file = ParseBody(body);
  ASSERT_TRUE(file.ok()) << file.status();
  const Remittance& r = file->remittances[0];
  ASSERT_EQ(r.claims.size(), 2u);
  EXPECT_TRUE(r.claims[0].IsReversal());
  EXPECT_EQ(r.claims[0].charge_cents, -15000);
  EXPECT_EQ(r.claims[0].paid_cents, -10000);
  EXPECT_EQ(r.claims[0].patient_responsibility_cents, -2000);
  EXPECT_EQ(r.claims[0].AdjustmentCents(), -5000);
  EXPECT_FALSE(r.claims[1].IsReversal());
  EXPECT_EQ(r.claims[1].segment_number, 10u);
  EXPECT_EQ(r.ClaimsPaidCents(), 2000);
  EXPECT_TRUE(CheckRemittanceBalance(r).ok());
  EXPECT_TRUE(CheckClaimBalance(r.claims[0]).ok());
  EXPECT_TRUE(CheckClaimBalance(r.claims[1]).ok());
}

TEST(Parse835, CasWithSixTriples) {
  X12Builder b;
  b.body[10] = "CAS*CO*45*5*1*253*1**A2*2*3*B10*4**P24*5**59*13";
  b.body[11] = "CAS*PR*2*20";
  absl::StatusOr<RemittanceFile> file = Parse835(b.Str());
  ASSERT_TRUE(file.ok()) << file.status();
  const ServiceLine& l = file->remittances[0].claims[0].lines[0];
  EXPECT_THAT(
      l.adjustments,
      ElementsAre(Adjustment{"CO", "45", 500, 1000}, Adjustment{"CO", "253", 100, std::nullopt},
                  Adjustment{"CO", "A2", 200, 3000}, Adjustment{"CO", "B10", 400, std::nullopt},
                  Adjustment{"CO", "P24", 500, std::nullopt},
                  Adjustment{"CO", "59", 1300, std::nullopt},
                  Adjustment{"PR", "2", 2000, std::nullopt}));
  EXPECT_TRUE(CheckLineBalance(l).ok());
}

TEST(Parse835, CasErrors) {
  X12Builder b;
  b.body[10] = "CAS*CO*45*5*1*253*1**A2*2*3*B10*4**P24*5**59*13**X*1";
  EXPECT_EQ(Parse835(b.Str()).status().message(),
            "segment 14 (CAS): CAS has more than six adjustments");
  b.body[10] = "CAS*CO**30";
  EXPECT_EQ(Parse835(b.Str()).status().message(), "segment 14 (CAS): CAS02 (reason) is empty");
  b.body[10] = "CAS*CO*45";
  EXPECT_EQ(Parse835(b.Str()).status().message(), "segment 14 (CAS): CAS03 (amount) is empty");
  b.body[10] = "CAS*CO";
  EXPECT_EQ(Parse835(b.Str()).status().message(), "segment 14 (CAS): CAS has no adjustment");
  b.body[10] = "CAS*ZZ*45*30";
  absl::StatusOr<RemittanceFile> file = Parse835(b.Str());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->warnings[0].message,
            "segment 14 (CAS): CAS01 group ZZ is not CO, PR, OA, PI or CR");
}

TEST(Parse835, ProviderAdjustmentsWithSeveralPairs) {
  std::vector<std::string> body = {
      "BPR*I*62.5*C*CHK************20240105",
      "TRN*1*CHK78*1512345678",
      "N1*PR*ACME*XV*87726",
      "N1*PE*RCL CLINIC*XX*1234567893",
      "LX*1",
      "CLP*CL1*1*100*100**12*PAYERCLM1",
      "PLB*1234567893*20241231*WO:CL9*25*L6*-2.5*FB:OLD1*15",
      "PLB*1234567893*20241231*72*0.5*CV:CP*-1.27*WU*1.27*50*1*90*-1*J1*0.5",
  };
  absl::StatusOr<RemittanceFile> file = ParseBody(body);
  ASSERT_TRUE(file.ok()) << file.status();
  const Remittance& r = file->remittances[0];
  ASSERT_EQ(r.provider_adjustments.size(), 2u);
  const ProviderAdjustment& plb = r.provider_adjustments[0];
  EXPECT_EQ(plb.provider_id, "1234567893");
  EXPECT_EQ(plb.fiscal_period, absl::CivilDay(2024, 12, 31));
  EXPECT_EQ(plb.segment_number, 8u);
  EXPECT_THAT(plb.items, ElementsAre(ProviderAdjustmentItem{"WO", "CL9", 2500},
                                     ProviderAdjustmentItem{"L6", "", -250},
                                     ProviderAdjustmentItem{"FB", "OLD1", 1500}));
  EXPECT_EQ(plb.TotalCents(), 3750);
  EXPECT_EQ(r.provider_adjustments[1].items.size(), 6u);
  EXPECT_EQ(r.provider_adjustments[1].TotalCents(), 50 - 127 + 127 + 100 - 100 + 50);
  EXPECT_EQ(r.ProviderAdjustmentCents(), 3750 + 100);
  // 100.00 paid - 38.50 PLB = 61.50, but BPR02 says 62.50.
  absl::Status st = CheckRemittanceBalance(r);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "transaction 0001 (segment 3): the 835 does not balance: claims paid (sum of CLP04) "
            "100.00 - provider adjustments (sum of PLB) 38.50 = 61.50, but BPR02 says 62.50 "
            "(difference -1.00)");
}

TEST(Parse835, PlbErrors) {
  std::vector<std::string> body = {"BPR*I*0*C*NON", "TRN*1*T1*1", "PLB*123*20241231"};
  EXPECT_EQ(ParseBody(body).status().message(), "segment 6 (PLB): PLB has no adjustment");
  body[2] = "PLB*123*20241331*WO*1";
  EXPECT_EQ(ParseBody(body).status().message(),
            "segment 6 (PLB): PLB02 is not a date on the calendar");
  body[2] = "PLB*123*20241231*WO*1.001";
  EXPECT_EQ(ParseBody(body).status().message(), "segment 6 (PLB): PLB04 has more than 2 decimals");
  body[2] = "PLB*123*20241231**1";
  EXPECT_EQ(ParseBody(body).status().message(),
            "segment 6 (PLB): PLB03 (adjustment reason) is empty");
}

TEST(Parse835, AmountsWithThreeDecimalsAreRefused) {
  X12Builder b;
  b.body[6] = "CLP*CL1*1*150.001*100*20*12*PAYERCLM1";
  absl::Status st = Parse835(b.Str()).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "segment 10 (CLP): CLP03 has more than 2 decimals");
  b = X12Builder();
  b.body[0] = "BPR*I*100.000*C*ACH";
  EXPECT_EQ(Parse835(b.Str()).status().message(),
            "segment 4 (BPR): BPR02 has more than 2 decimals");
}

TEST(Parse835, ErrorsNeverEchoPatientData) {
  X12Builder b;
  b.body[6] = "CLP*CL1*1*DOE JANE*100*20*12*PAYERCLM1";
  absl::Status st = Parse835(b.Str()).status();
  EXPECT_EQ(st.message(), "segment 10 (CLP): CLP03 is not a number");
  b = X12Builder();
  b.body[9] = "DTM*472*MEMBERSECRET9";
  st = Parse835(b.Str()).status();
  EXPECT_EQ(st.message(), "segment 13 (DTM): DTM02 is not a date (CCYYMMDD)");
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("SECRET")));
}

TEST(Parse835, StructuralErrors) {
  EXPECT_EQ(ParseBody({"TRN*1*T1*1"}).status().message(), "segment 3 (ST): the 835 has no BPR");
  EXPECT_EQ(ParseBody({"BPR*I*0*C*NON"}).status().message(), "segment 3 (ST): the 835 has no TRN");
  EXPECT_EQ(ParseBody({"BPR*I*0*C*NON", "TRN*1*T1*1", "SVC*HC:99213*1*1"}).status().message(),
            "segment 6 (SVC): SVC outside a claim (no CLP before it)");
  EXPECT_EQ(ParseBody({"BPR*I*0*C*NON", "TRN*1*T1*1", "CAS*CO*45*1"}).status().message(),
            "segment 6 (CAS): CAS outside a claim (no CLP or SVC before it)");
  EXPECT_EQ(ParseBody({"BPR*I*0*X*NON", "TRN*1*T1*1"}).status().message(),
            "segment 4 (BPR): BPR03 is neither C (credit) nor D (debit)");
  EXPECT_EQ(ParseBody({"BPR*I*-5*C*NON", "TRN*1*T1*1"}).status().message(),
            "segment 4 (BPR): BPR02 is negative (BPR03 carries the sign)");
  EXPECT_EQ(ParseBody({"BPR*I*0*C*NON", "TRN*1*T1*1", "CLP**1*1*1"}).status().message(),
            "segment 6 (CLP): CLP01 (claim id) is empty");
  EXPECT_EQ(ParseBody({"BPR*I*0*C*NON", "BPR*I*0*C*NON"}).status().message(),
            "segment 5 (BPR): a second BPR in one 835");
}

TEST(Parse835, UnknownSegmentsAreSkippedAndMissingPartiesWarned) {
  absl::StatusOr<RemittanceFile> file =
      ParseBody({"BPR*H*0*C*NON", "TRN*1*T1*1", "ZZZ*1", "MIA*0***1", "LX*1", "CLP*CL1*25*10*0",
                 "MOA***MA01", "LQ*HE*N14"});
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->remittances[0].claims.size(), 1u);
  EXPECT_EQ(file->remittances[0].PayerIdentifier(), "1");  // TRN03
  ASSERT_EQ(file->warnings.size(), 3u);
  EXPECT_EQ(file->warnings[0].message, "segment 4 (BPR): BPR16 (payment date) is empty");
  EXPECT_EQ(file->warnings[1].message, "segment 3 (ST): the 835 has no N1*PR (payer) loop");
}

TEST(Parse835, PayerIdentifierFallsBackToRef2U) {
  absl::StatusOr<RemittanceFile> file =
      ParseBody({"BPR*H*0*C*NON", "TRN*1*T1*1999", "N1*PR*PLAN", "REF*2U*PAYER77", "N1*PE*US"});
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->remittances[0].PayerIdentifier(), "PAYER77");
}

TEST(Parse835, DebitPaymentBalancesNegative) {
  absl::StatusOr<RemittanceFile> file =
      ParseBody({"BPR*I*25*D*ACH", "TRN*1*T1*1", "CLP*CL1*22*-25*-25*0", "CAS*CO*45*0"});
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->remittances[0].payment.SignedTotalCents(), -2500);
  EXPECT_TRUE(CheckRemittanceBalance(file->remittances[0]).ok());
}

TEST(Parse835, ClaimAndLineImbalanceMessages) {
  X12Builder b;
  b.body[11] = "CAS*PR*2*10";
  absl::StatusOr<RemittanceFile> file = Parse835(b.Str());
  ASSERT_TRUE(file.ok()) << file.status();
  const ClaimPayment& c = file->remittances[0].claims[0];
  EXPECT_EQ(CheckClaimBalance(c).message(),
            "segment 10 (CLP): the claim does not balance: CLP03 150.00 - adjustments (claim and "
            "line CAS) 40.00 = 110.00, but CLP04 says 100.00");
  EXPECT_EQ(CheckLineBalance(c.lines[0]).message(),
            "segment 12 (SVC): the service line does not balance: SVC02 150.00 - line CAS 40.00 = "
            "110.00, but SVC03 says 100.00");
}

TEST(Parse835, ServiceLineDetails) {
  X12Builder b;
  b.body[8] = "SVC*HC:99214:25:59:XS:GT:DESCRIPTION*150*100*0450*1.5*HC:99215:25*2";
  absl::StatusOr<RemittanceFile> file = Parse835(b.Str());
  ASSERT_TRUE(file.ok()) << file.status();
  const ServiceLine& l = file->remittances[0].claims[0].lines[0];
  EXPECT_EQ(l.procedure, (Procedure{"HC", "99214", {"25", "59", "XS", "GT"}}));
  EXPECT_EQ(l.revenue_code, "0450");
  EXPECT_EQ(l.units_milli, 1500);
  ASSERT_TRUE(l.original.has_value());
  EXPECT_EQ(*l.original, (Procedure{"HC", "99215", {"25"}}));
  EXPECT_EQ(l.original_units_milli, 2000);
}

TEST(Parse835, WrongComponentSeparatorIsAWarning) {
  X12Builder b;
  b.body[8] = "SVC*HC>99213>25*150*100**1";
  absl::StatusOr<RemittanceFile> file = Parse835(b.Str());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->remittances[0].claims[0].lines[0].procedure, (Procedure{"HC", "99213", {"25"}}));
  ASSERT_EQ(file->warnings.size(), 1u);
  EXPECT_EQ(file->warnings[0].segment, 12u);
  EXPECT_EQ(file->warnings[0].message,
            "segment 12 (SVC): SVC01 uses '>' as its component separator; ISA16 says ':'");
}

TEST(Parse835, Reads4010Files) {
  X12Builder b;
  b.isa12 = "00401";
  b.repetition = 'U';
  b.version = "004010X091A1";
  absl::StatusOr<RemittanceFile> file = Parse835(b.Str());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->remittances[0].version, "004010X091A1");
  EXPECT_EQ(file->remittances[0].claims[0].paid_cents, 10000);
}

TEST(Parse835, RefusesOtherVersionsAndTransactionSets) {
  X12Builder b;
  b.version = "005010X222A1";
  EXPECT_EQ(Parse835(b.Str()).status().message(),
            "segment 3 (ST): 835 version 005010X222A1 is not supported (005010X221A1 or "
            "004010X091A1)");
}

TEST(Parse835, OneRemittancePerTransaction) {
  X12Builder first;
  X12Builder second;
  second.isa13 = "000000102";
  second.st02 = "4444";
  second.body[1] = "TRN*1*EFT0002*1512345678";
  absl::StatusOr<RemittanceFile> file = Parse835(first.Str() + second.Str());
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->remittances.size(), 2u);
  EXPECT_EQ(file->remittances[1].interchange_control_number, "000000102");
  EXPECT_EQ(file->remittances[1].transaction_control_number, "4444");
  EXPECT_EQ(file->remittances[1].trace.trace_number, "EFT0002");
  EXPECT_EQ(file->remittances[1].claims[0].file_position, 30u);
  EXPECT_EQ(file->remittances[1].claims[0].segment_number, 8u);
}

TEST(Parse835, TenThousandClaims) {
  constexpr int kClaims = 10000;
  X12Builder b;
  b.body = {"BPR*I*1000000*C*ACH************20240105", "TRN*1*BIG1*1512345678",
            "N1*PR*ACME*XV*87726", "N1*PE*RCL*XX*1234567893", "LX*1"};
  for (int i = 0; i < kClaims; ++i) {
    const std::string id = std::to_string(i);
    b.body.push_back("CLP*CL" + id + "*1*150*100*20*12*P" + id);
    b.body.push_back("NM1*QC*1*DOE*JANE****MI*M" + id);
    b.body.push_back("SVC*HC:99213:25*150*100**1");
    b.body.push_back("DTM*472*20240102");
    b.body.push_back("CAS*CO*45*30*1*253*0");
    b.body.push_back("CAS*PR*2*20");
    b.body.push_back("REF*6R*L" + id);
    b.body.push_back("AMT*B6*120");
  }
  const std::string bytes = b.Str();
  absl::StatusOr<RemittanceFile> file = Parse835(bytes);
  ASSERT_TRUE(file.ok()) << file.status();
  const Remittance& r = file->remittances[0];
  ASSERT_EQ(r.claims.size(), static_cast<size_t>(kClaims));
  EXPECT_EQ(r.claims.back().patient_control_number, "CL9999");
  EXPECT_EQ(r.claims.back().lines[0].line_id, "L9999");
  EXPECT_EQ(r.claims.back().segment_number, 7u + 8u * (kClaims - 1));
  EXPECT_TRUE(CheckRemittanceBalance(r).ok());
}

}  // namespace
}  // namespace rcl::x12
