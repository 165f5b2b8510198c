// RCL_CHECK: an invariant that holds in every build. A violated one stops the
// process with the file, line, condition and message on stderr; a satisfied
// one costs nothing beyond evaluating its condition once.
#include <string>

#include "gtest/gtest.h"
#include "ledger/status.h"

namespace rcl {
namespace {

class CheckDeathTest : public ::testing::Test {
 protected:
  // The ledger's tests run threads; fork+exec is the safe death-test style.
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(CheckDeathTest, AFailedCheckAbortsWithFileLineConditionAndMessage) {
  const int debits_cents = 500;
  const int credits_cents = -499;
  EXPECT_DEATH(RCL_CHECK(debits_cents + credits_cents == 0)
                   << "postings off by " << debits_cents + credits_cents << " cents at position "
                   << 17,
               "check_test\\.cc:[0-9]+: RCL_CHECK\\(debits_cents \\+ credits_cents == 0\\) failed: "
               "postings off by 1 cents at position 17");
}

TEST_F(CheckDeathTest, AFailedCheckWithoutAMessageStillAborts) {
  const bool invariant = false;
  EXPECT_DEATH(RCL_CHECK(invariant), "check_test\\.cc:[0-9]+: RCL_CHECK\\(invariant\\) failed");
}

TEST(CheckTest, ASatisfiedCheckEvaluatesItsConditionOnceAndNotItsMessage) {
  int evaluated = 0;
  int messages = 0;
  auto message = [&] {
    ++messages;
    return std::string("never built");
  };
  RCL_CHECK(++evaluated == 1) << message();
  EXPECT_EQ(evaluated, 1);
  EXPECT_EQ(messages, 0);
}

TEST(CheckTest, NestsUnderAnIfWithoutCapturingItsElse) {
  bool took_else = false;
  // Without the macro's switch wrapper the else would bind to the macro's if.
  if (false)
    RCL_CHECK(false) << "not reached";
  else
    took_else = true;
  EXPECT_TRUE(took_else);
}

}  // namespace
}  // namespace rcl
