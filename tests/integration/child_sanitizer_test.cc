// A sanitizer finding in a child process fails the test that started it
// (tests/testing/child_sanitizer.h): the children are this test binary
// itself, run with a filter on one of the DISABLED_ canaries below, which
// use freed memory (ASan) or overflow a signed int (UBSan) on purpose. In a build without
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

TEST(ChildSanitizerCanary, DISABLED_UsesFreedMemory) {
  std::cout << "canary: reading a heap block after its delete" << std::endl;
  // Through a volatile pointer: the compiler cannot see the use after free.
  int* volatile block = new int[8]();
  delete[] block;
  volatile int index = 3;
  volatile int value = block[index];
  std::cout << "canary: " << value << std::endl;
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
    if (std::string(name) == "UBSAN_OPTIONS") {
      EXPECT_TRUE(absl::StrContains(value, absl::StrCat("exitcode=", kUbsanExitCode))) << value;
    }
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

std::vector<std::string> CanaryCommand(const std::string& self, const std::string& canary) {
  std::vector<std::string> argv = {self};
  for (std::string& flag : CanaryFlags(canary)) argv.push_back(flag);
  return argv;
}

TEST_F(SanitizedChildTest, AUseAfterFreeInACommandFailsTheTest) {
  EXPECT_DEATH(RunCommand(CanaryCommand(self_, "UsesFreedMemory"), 120),
               "sanitizer report of the child process(.|\n)*heap-use-after-free(.|\n)*"
               "finding fails this test");
}

TEST_F(SanitizedChildTest, UndefinedBehaviourInACommandFailsTheTest) {
  EXPECT_DEATH(RunCommand(CanaryCommand(self_, "OverflowsASignedInt"), 120),
               "exit code 87(.|\n)*runtime error: signed integer overflow(.|\n)*"
               "finding fails this test");
}

// The canaries die before they print a ready line, so Start() reaps them.
TEST_F(SanitizedChildTest, AUseAfterFreeInAServerProcessFailsTheTest) {
  TempDir dir;
  EXPECT_DEATH(
      {
        auto server = ServerProcess::StartBinary(self_, dir.path(), CanaryFlags("UsesFreedMemory"));
        std::cerr << "Start() returned: " << server.status() << "\n";
      },
      "child process rcl-server(.|\n)*heap-use-after-free(.|\n)*finding fails this test");
}

TEST_F(SanitizedChildTest, UndefinedBehaviourInAServerProcessFailsTheTest) {
  TempDir dir;
  EXPECT_DEATH(
      {
        auto server =
            ServerProcess::StartBinary(self_, dir.path(), CanaryFlags("OverflowsASignedInt"));
        std::cerr << "Start() returned: " << server.status() << "\n";
      },
      "runtime error: signed integer overflow(.|\n)*child process rcl-server(.|\n)*"
      "exit code 87(.|\n)*finding fails this test");
}

TEST_F(SanitizedChildTest, ACleanChildDoesNotFailTheTest) {
  CommandResult result = RunCommand({self_, "--gtest_filter=ChildSanitizerTest.Reports*"}, 120);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(absl::StrContains(result.out, "[  PASSED  ] 1 test")) << result.out;
}

}  // namespace
}  // namespace rcl::testing
