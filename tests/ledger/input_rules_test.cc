#include "ledger/rules/input_rules.h"

#include <string>

#include "gtest/gtest.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

TEST(InputRulesTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(InputRulesTest, EachCharset) {
  EXPECT_TRUE(FollowsRule("P-1.a_b", kIdRule));
  EXPECT_FALSE(FollowsRule("-P1", kIdRule));
  EXPECT_FALSE(FollowsRule(std::string(kIdLengthMax + 1, 'a'), kIdRule));
  EXPECT_TRUE(FollowsRule("ABC123", kPayerIdRule));
  EXPECT_FALSE(FollowsRule("ABC-123", kPayerIdRule));
  EXPECT_TRUE(FollowsRule("ABC-123", kMemberIdRule));
  EXPECT_TRUE(FollowsRule("claim-", kStreamNameRule));
  EXPECT_FALSE(FollowsRule("claim C", kStreamNameRule));
  EXPECT_TRUE(FollowsRule("trace:1/2@x", kTraceIdRule));
  EXPECT_FALSE(FollowsRule("has space", kTraceIdRule));
  EXPECT_TRUE(FollowsRule("ChargeRecorded", kEventTypeRule));
  EXPECT_FALSE(FollowsRule("Charge.Recorded", kEventTypeRule));
}

TEST(InputRulesTest, TextCountsCodePointsAndRefusesControls) {
  std::string five_hundred;
  for (int i = 0; i < kFreeTextLengthMax; ++i) five_hundred += "\xc3\xa9";
  EXPECT_TRUE(FollowsRule(five_hundred, kFreeTextRule));
  EXPECT_FALSE(FollowsRule(five_hundred + "x", kFreeTextRule));
  EXPECT_FALSE(FollowsRule("a\x01", kFreeTextRule));
  EXPECT_FALSE(FollowsRule("a\x7f", kFreeTextRule));
  EXPECT_FALSE(FollowsRule("a\xc2\x85", kFreeTextRule));  // C1 control U+0085
  EXPECT_FALSE(FollowsRule("   ", kFreeTextRule));
  EXPECT_FALSE(FollowsRule("a\xff", kFreeTextRule));
  EXPECT_TRUE(FollowsRule("O'Brien-Smith", kNameRule));
}

TEST(InputRulesTest, OptionalMayBeEmptyRequiredMayNot) {
  Violations v;
  CheckString("note", "", kFreeTextRule, Presence::kOptional, v);
  EXPECT_TRUE(v.empty());
  CheckString("reason", "", kFreeTextRule, Presence::kRequired, v);
  CheckString("command_id", "bad id", kIdRule, Presence::kOptional, v);
  ASSERT_EQ(v.list().size(), 2u);
  EXPECT_EQ(v.list()[0].field, "reason");
  EXPECT_EQ(v.list()[1].field, "command_id");
}

TEST(InputRulesTest, CountBoundsComeFirst) {
  Violations v;
  EXPECT_TRUE(CheckCount("modifiers", 4, 0, kModifiersPerLineMax, v));
  EXPECT_FALSE(CheckCount("modifiers", 5, 0, kModifiersPerLineMax, v));
  EXPECT_FALSE(CheckCount("icd10_codes", 0, 1, kDiagnosesPerCommandMax, v));
  EXPECT_EQ(v.list().size(), 2u);
}

TEST(InputRulesTest, ViolationsAreCappedWithACount) {
  Violations v;
  for (int i = 0; i < 1000; ++i) v.Add("lines", "bad");
  EXPECT_EQ(v.list().size(), kViolationsReportedMax);
  EXPECT_EQ(v.omitted(), 1000 - kViolationsReportedMax);
  std::vector<FieldViolation> reported = GetFieldViolations(v.ToStatus());
  ASSERT_EQ(reported.size(), kViolationsReportedMax + 1);
  EXPECT_EQ(reported.back().field, "request");
  EXPECT_EQ(reported.back().description, "and 980 more violations not reported");
}

}  // namespace
}  // namespace rcl::ledger
