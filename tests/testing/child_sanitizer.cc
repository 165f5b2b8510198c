#include "tests/testing/child_sanitizer.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

extern char** environ;

namespace rcl::testing {
namespace {

// What a child's sanitizer options get appended, "%s" standing for the
// report prefix. ASan's options also reach LSan inside it; LSAN_OPTIONS is
// set for a standalone LSan. UBSan (GCC's libubsan) has no working
// log_path: it halts with kUbsanExitCode instead of aborting.
struct OptionVariable {
  const char* name;
  const char* append;
};
constexpr OptionVariable kOptionVariables[] = {
    {"ASAN_OPTIONS", "log_path=%s"},
    {"LSAN_OPTIONS", "log_path=%s"},
    {"UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=0:exitcode=87:log_path=%s"},
};
static_assert(kUbsanExitCode == 87, "kOptionVariables spells the exit code out");

std::string Appended(const OptionVariable& v, const std::string& prefix) {
  std::string text = v.append;
  const size_t at = text.find("%s");
  return text.replace(at, 2, prefix);
}

std::string FreshPrefix() {
  static std::atomic<int> next{0};
  const char* base = std::getenv("TMPDIR");
  return absl::StrCat((base != nullptr && *base != '\0') ? base : "/tmp", "/rcl-sanitizer-",
                      getpid(), "-", next.fetch_add(1));
}

}  // namespace

bool SanitizedBuild() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

ChildEnvironment::ChildEnvironment() {
  if (SanitizedBuild()) report_prefix_ = FreshPrefix();
  bool seen[std::size(kOptionVariables)] = {};
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    for (size_t k = 0; k < std::size(kOptionVariables) && !report_prefix_.empty(); ++k) {
      if (absl::StartsWith(entry, absl::StrCat(kOptionVariables[k].name, "="))) {
        // Later options win over the same option given earlier.
        absl::StrAppend(&entry, ":", Appended(kOptionVariables[k], report_prefix_));
        seen[k] = true;
      }
    }
    storage_.push_back(std::move(entry));
  }
  for (size_t k = 0; k < std::size(kOptionVariables) && !report_prefix_.empty(); ++k) {
    if (!seen[k]) {
      storage_.push_back(absl::StrCat(kOptionVariables[k].name, "=",
                                      Appended(kOptionVariables[k], report_prefix_)));
    }
  }
  for (std::string& s : storage_) pointers_.push_back(s.data());
  pointers_.push_back(nullptr);
}

std::string TakeChildSanitizerReports(const std::string& prefix) {
  if (prefix.empty()) return "";
  const size_t slash = prefix.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : prefix.substr(0, slash);
  const std::string stem =
      absl::StrCat(slash == std::string::npos ? prefix : prefix.substr(slash + 1), ".");
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* entry = readdir(d)) {
      if (absl::StartsWith(entry->d_name, stem)) files.push_back(dir + "/" + entry->d_name);
    }
    closedir(d);
  }
  std::string reports;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string text(kReportBytesMax, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    absl::StrAppend(&reports, "--- ", file, " ---\n", text, "\n");
    std::remove(file.c_str());
  }
  return reports;
}

bool HasSanitizerFinding(absl::string_view report) {
  return absl::StrContains(report, "ERROR: AddressSanitizer") ||
         absl::StrContains(report, "ERROR: LeakSanitizer") ||
         absl::StrContains(report, "ERROR: UndefinedBehaviorSanitizer") ||
         absl::StrContains(report, "runtime error:");
}

void CheckChildSanitizerReports(const std::string& prefix, absl::string_view what, int wait_status,
                                absl::string_view child_stderr) {
  if (prefix.empty()) return;
  const std::string reports = TakeChildSanitizerReports(prefix);
  const bool ubsan_exit = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == kUbsanExitCode;
  if (reports.empty() && !ubsan_exit) return;
  const bool finding = ubsan_exit || HasSanitizerFinding(reports);
  std::fprintf(stderr, "\n=== sanitizer report%s of the child process %.*s ===\n%s\n",
               finding ? "" : " (warnings only)", static_cast<int>(what.size()), what.data(),
               reports.c_str());
  if (ubsan_exit) {
    std::fprintf(stderr,
                 "=== it exited with UBSan's exit code %d: its runtime error is in its "
                 "stderr%s ===\n%.*s\n",
                 kUbsanExitCode, child_stderr.empty() ? " (above)" : "",
                 static_cast<int>(child_stderr.size()), child_stderr.data());
  }
  if (finding) {
    std::fprintf(stderr, "=== the child's sanitizer finding fails this test ===\n");
    std::fflush(stderr);
    std::abort();
  }
}

}  // namespace rcl::testing
