// Sanitizer reports of the child processes a test starts (rcl-server through
// ServerProcess, rcl and the ops tools through RunCommand).
//
// In a sanitized build (-DRCL_SANITIZE=ON, ops/test --sanitize) every binary
// runs under AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer,
// the servers a test starts too. A child's report on its own stderr would not
// fail the test: a server that died of a heap overflow looks like a refused
// connection (which a crash test expects anyway), a leak report at exit like
// any non-zero exit. So the helpers start each child with
// "log_path=<prefix>" appended to ASAN_OPTIONS, UBSAN_OPTIONS and
// LSAN_OPTIONS (the runtime then writes its reports to <prefix>.<pid>, one
// file per process of the child's tree), and when they reap the child they
// look for those files: a file that holds a finding ("ERROR: ...Sanitizer",
// "runtime error:") is printed to the test's stderr and the test process
// aborts, so the test fails with the child's report in its output.
// Warnings without a finding are printed and do not fail.
//
// In a build without sanitizers nothing changes: the child inherits the
// environment as it is.
//
// Threads: a ChildEnvironment is built (it allocates) before fork() and only
// read in the child; CheckChildSanitizerReports runs on the thread that
// reaped the child. Only POSIX and Abseil are used (this file is compiled
// into every test executable and into rcl-torture, which has no gtest).
#ifndef RCL_TESTS_TESTING_CHILD_SANITIZER_H_
#define RCL_TESTS_TESTING_CHILD_SANITIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace rcl::testing {

// True when this binary was compiled with AddressSanitizer; the build then
// compiled every binary with it (CMakeLists.txt, RCL_SANITIZE).
bool SanitizedBuild();

// The environment for execve()/execvpe() of one child.
class ChildEnvironment {
 public:
  // Copies environ; in a sanitized build adds log_path=<a fresh prefix under
  // $TMPDIR or /tmp> to the sanitizer options.
  ChildEnvironment();
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;

  // Null-terminated, valid as long as this object.
  char** envp() { return pointers_.data(); }
  // Where the child's sanitizer reports go (<prefix>.<pid>); empty when the
  // build is not sanitized.
  const std::string& report_prefix() const { return report_prefix_; }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
  std::string report_prefix_;
};

// Reads and removes every <prefix>.* report file, at most kReportBytesMax
// bytes each; returns them concatenated (empty when there is none).
inline constexpr size_t kReportBytesMax = 256 << 10;
std::string TakeChildSanitizerReports(const std::string& prefix);

// True when `report` holds a finding, not only warnings.
bool HasSanitizerFinding(absl::string_view report);

// After the child `what` was reaped: prints its reports to stderr, and aborts
// this process when one holds a finding. No-op when prefix is empty.
void CheckChildSanitizerReports(const std::string& prefix, absl::string_view what);

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_CHILD_SANITIZER_H_
