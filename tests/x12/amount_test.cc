// X12 decimals to exact integers: ledger/x12/amount.h.
#include "ledger/x12/amount.h"

#include <gtest/gtest.h>

namespace rcl::x12 {
namespace {

TEST(ParseCents, ReadsX12DecimalsExactly) {
  EXPECT_EQ(*ParseCents("100"), 10000);
  EXPECT_EQ(*ParseCents("100.5"), 10050);
  EXPECT_EQ(*ParseCents("100.50"), 10050);
  EXPECT_EQ(*ParseCents("-12.34"), -1234);
  EXPECT_EQ(*ParseCents(".5"), 50);
  EXPECT_EQ(*ParseCents("-.05"), -5);
  EXPECT_EQ(*ParseCents("7."), 700);
  EXPECT_EQ(*ParseCents("0"), 0);
  EXPECT_EQ(*ParseCents("007.10"), 710);
  EXPECT_EQ(*ParseCents("211366.97"), 21136697);
  EXPECT_EQ(*ParseCents("1000000000"), kAmountCentsMax);
  EXPECT_EQ(*ParseCents("-1000000000.00"), -kAmountCentsMax);
}

TEST(ParseCents, RefusesThreeDecimalsAndGarbage) {
  for (const char* bad :
       {"1.234", "1.000", "", ".", "-", "-.", "+5", "1e3", " 5", "5 ", "1,000", "12.3.4", "--1",
        "0x10", "1000000000.01", "99999999999999999", "1234567890123456789", "١٢"}) {
    absl::StatusOr<int64_t> cents = ParseCents(bad);
    EXPECT_FALSE(cents.ok()) << "'" << bad << "' gave " << (cents.ok() ? *cents : 0);
    if (!cents.ok()) {
      EXPECT_EQ(cents.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_NE(ParseCents("1.234").status().message().find("more than 2 decimals"), std::string::npos);
}

TEST(ParseMilli, ReadsUpToThreeDecimals) {
  EXPECT_EQ(*ParseMilli("1"), 1000);
  EXPECT_EQ(*ParseMilli("1.00"), 1000);
  EXPECT_EQ(*ParseMilli("1.5"), 1500);
  EXPECT_EQ(*ParseMilli(".125"), 125);
  EXPECT_EQ(*ParseMilli("68"), 68000);
  EXPECT_FALSE(ParseMilli("1.2345").ok());
  EXPECT_FALSE(ParseMilli("one").ok());
}

TEST(FormatCents, WritesTheShortestDecimal) {
  EXPECT_EQ(FormatCents(10000), "100");
  EXPECT_EQ(FormatCents(10050), "100.5");
  EXPECT_EQ(FormatCents(7904), "79.04");
  EXPECT_EQ(FormatCents(-1234), "-12.34");
  EXPECT_EQ(FormatCents(-5), "-0.05");
  EXPECT_EQ(FormatCents(0), "0");
  EXPECT_EQ(FormatMilli(1000), "1");
  EXPECT_EQ(FormatMilli(1500), "1.5");
  EXPECT_EQ(FormatMilli(125), "0.125");
  EXPECT_EQ(DollarsAndCents(94500), "945.00");
  EXPECT_EQ(DollarsAndCents(-127), "-1.27");
  EXPECT_EQ(DollarsAndCents(INT64_MIN), "-92233720368547758.08");
}

TEST(FormatCents, RoundTripsThroughParse) {
  for (int64_t cents : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{99}, int64_t{100},
                        int64_t{123456789}, -kAmountCentsMax, kAmountCentsMax}) {
    EXPECT_EQ(*ParseCents(FormatCents(cents)), cents);
  }
}

}  // namespace
}  // namespace rcl::x12
