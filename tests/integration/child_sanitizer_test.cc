// A sanitizer finding in a child process fails the test that started it
// (tests/testing/child_sanitizer.h): the children are this test binary
// itself, run with a filter on one of the DISABLED_ canaries below, which
// overflow the heap or overflow a signed int on purpose. In a build without
// sanitizers the death tests skip (there is no report to find) and only the
// environment and report-classification tests run.
#include "tests/testing/child_sanitizer.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

extern char** environ;

namespace rcl::testing {
namespace {

std::string SelfPath() {
  std::vector<char> buffer(4096, '\0');
  ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  return n > 0 ? std::string(buffer.data(), static_cast<size_t>(n)) : std::string();
}

// Runs this binary on exactly one canary.
std::vector<std::string> CanaryFlags(const std::string& canary) {
  return {"--gtest_filter=ChildSanitizerCanary.DISABLED_" + canary,
          "--gtest_also_run_disabled_tests"};
}

std::string EnvValue(ChildEnvironment& env, const std::string& name) {
  for (char** e = env.envp(); *e != nullptr; ++e) {
    if (absl::StartsWith(*e, name + "=")) return std::string(*e + name.size() + 1);
  }
  return "<unset>";
}

// --- The canaries: only ever run as a child of the tests below. --------------

TEST(ChildSanitizerCanary, DISABLED_OverflowsTheHeap) {
  std::cout << "canary: writing one byte past an 8-byte heap block" << std::endl;
  char* block = new char[8];
  volatile int index = 8;
  block[index] = 1;
  delete[] block;
}

TEST(ChildSanitizerCanary, DISABLED_OverflowsASignedInt) {
  volatile int big = INT_MAX;
  volatile int sum = big + 1;
  std::cout << "canary: " << sum << std::endl;
}

// --- The tests. --------------------------------------------------------------

TEST(ChildSanitizerTest, ReportsWithAFindingAreToldFromWarnings) {
  EXPECT_TRUE(HasSanitizerFinding("==12==ERROR: AddressSanitizer: heap-buffer-overflow on ..."));
  EXPECT_TRUE(HasSanitizerFinding("==12==ERROR: LeakSanitizer: detected memory leaks"));
  EXPECT_TRUE(HasSanitizerFinding("x.cc:3:7: runtime error: signed integer overflow"));
  EXPECT_FALSE(
      HasSanitizerFinding("==12==WARNING: ASan is ignoring requested "
                          "__asan_handle_no_return: stack type: default"));
  EXPECT_FALSE(HasSanitizerFinding(""));
}

TEST(ChildSanitizerTest, ChildrenOfASanitizedBuildLogToAFileOfTheirOwn) {
  ChildEnvironment first;
  ChildEnvironment second;
  if (!SanitizedBuild()) {
    EXPECT_TRUE(first.report_prefix().empty());
    EXPECT_EQ(EnvValue(first, "PATH"), std::getenv("PATH") ? std::getenv("PATH") : "<unset>");
    EXPECT_EQ(EnvValue(first, "ASAN_OPTIONS"),
              std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "<unset>");
    return;
  }
  ASSERT_FALSE(first.report_prefix().empty());
  EXPECT_NE(first.report_prefix(), second.report_prefix());
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    const std::string value = EnvValue(first, name);
    // The test's own options stay, and the log_path comes last, so it wins.
    EXPECT_TRUE(absl::EndsWith(value, "log_path=" + first.report_prefix())) << name << "=" << value;
    const char* own = std::getenv(name);
    if (own != nullptr) {
      EXPECT_TRUE(absl::StartsWith(value, own)) << name << "=" << value;
    }
  }
  EXPECT_EQ(EnvValue(first, "PATH"), std::getenv("PATH") ? std::getenv("PATH") : "<unset>");
}

class SanitizedChildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SanitizedBuild()) {
      GTEST_SKIP() << "not a sanitized build (ops/test --sanitize runs these)";
    }
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    self_ = SelfPath();
    ASSERT_FALSE(self_.empty());
  }
  std::string self_;
};

TEST_F(SanitizedChildTest, AHeapOverflowInACommandFailsTheTest) {
  std::vector<std::string> argv = {self_};
  for (std::string& flag : CanaryFlags("OverflowsTheHeap")) argv.push_back(flag);
  EXPECT_DEATH(RunCommand(argv, 120),
               "sanitizer report of the child process(.|\n)*heap-buffer-overflow(.|\n)*"
               "finding fails this test");
}

TEST_F(SanitizedChildTest, UndefinedBehaviourInACommandFailsTheTest) {
  std::vector<std::string> argv = {self_};
  for (std::string& flag : CanaryFlags("OverflowsASignedInt")) argv.push_back(flag);
  EXPECT_DEATH(RunCommand(argv, 120),
               "runtime error: signed integer overflow(.|\n)*finding fails this test");
}

TEST_F(SanitizedChildTest, AHeapOverflowInAServerProcessFailsTheTest) {
  TempDir dir;
  // The canary dies before it prints a ready line, so Start() reaps it.
  EXPECT_DEATH(
      {
        auto server =
            ServerProcess::StartBinary(self_, dir.path(), CanaryFlags("OverflowsTheHeap"));
        std::cerr << "Start() returned: " << server.status() << "\n";
      },
      "sanitizer report of the child process rcl-server(.|\n)*heap-buffer-overflow(.|\n)*"
      "finding fails this test");
}

TEST_F(SanitizedChildTest, ACleanChildDoesNotFailTheTest) {
  CommandResult result = RunCommand({self_, "--gtest_filter=ChildSanitizerTest.Reports*"}, 120);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(absl::StrContains(result.out, "[  PASSED  ] 1 test")) << result.out;
}

}  // namespace
}  // namespace rcl::testing
