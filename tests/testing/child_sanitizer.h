// Sanitizer reports of the child processes a test starts (rcl-server through
// ServerProcess, rcl and the ops tools through RunCommand).
//
// In a sanitized build (-DRCL_SANITIZE=ON, ops/test --sanitize) every binary
// runs under AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer,
// the servers a test starts too. A child's report on its own stderr would not
// fail the test: a server that died of a heap overflow looks like a refused
// connection (which a crash test expects anyway), a leak report at exit like
// any non-zero exit. So the helpers start each child with its own report
// destinations, and check them when they reap it:
//  - ASan and LSan: "log_path=<prefix>" appended to ASAN_OPTIONS and
//    LSAN_OPTIONS; the runtime writes <prefix>.<pid>, one file per process
//    of the child's tree. A file that holds a finding ("ERROR: ...Sanitizer")
//    is printed to the test's stderr; warnings alone do not fail.
//  - UBSan: GCC's libubsan ignores log_path (its reports go to the child's
//    stderr whatever the options say), so UBSAN_OPTIONS gets
//    "abort_on_error=0:exitcode=87" appended: a child that halts on a UBSan
//    finding exits with kUbsanExitCode, which nothing else in RCL uses, and
//    its report is in its stderr (RunCommand's captured err, or the test's
//    own output for a server).
// On a finding the test process prints why and aborts, so the test fails
// with the child's report in its output.
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

// The exit status of a child that halted on a UBSan finding.
inline constexpr int kUbsanExitCode = 87;

// Reads and removes every <prefix>.* report file, at most kReportBytesMax
// bytes each; returns them concatenated (empty when there is none).
inline constexpr size_t kReportBytesMax = 256 << 10;
std::string TakeChildSanitizerReports(const std::string& prefix);

// True when `report` holds a finding, not only warnings.
bool HasSanitizerFinding(absl::string_view report);

// After the child `what` was reaped with `wait_status` (from waitpid): prints
// its reports to stderr, and aborts this process when one holds a finding or
// the child exited with kUbsanExitCode (then `child_stderr`, when the caller
// captured it, is printed too). No-op when prefix is empty.
void CheckChildSanitizerReports(const std::string& prefix, absl::string_view what, int wait_status,
                                absl::string_view child_stderr = "");

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_CHILD_SANITIZER_H_
