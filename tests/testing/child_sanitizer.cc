#include "tests/testing/child_sanitizer.h"

#include <dirent.h>
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

// The runtimes whose options take a log_path (ASan's also covers LSan and
// UBSan when they run inside it; the others are set for standalone runs).
constexpr const char* kOptionVariables[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};

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
    for (size_t k = 0; k < std::size(kOptionVariables); ++k) {
      if (!report_prefix_.empty() &&
          absl::StartsWith(entry, absl::StrCat(kOptionVariables[k], "="))) {
        // Later options win: this log_path replaces any given before.
        absl::StrAppend(&entry, ":log_path=", report_prefix_);
        seen[k] = true;
      }
    }
    storage_.push_back(std::move(entry));
  }
  for (size_t k = 0; k < std::size(kOptionVariables); ++k) {
    if (!report_prefix_.empty() && !seen[k]) {
      storage_.push_back(absl::StrCat(kOptionVariables[k], "=log_path=", report_prefix_));
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

void CheckChildSanitizerReports(const std::string& prefix, absl::string_view what) {
  if (prefix.empty()) return;
  const std::string reports = TakeChildSanitizerReports(prefix);
  if (reports.empty()) return;
  const bool finding = HasSanitizerFinding(reports);
  std::fprintf(stderr, "\n=== sanitizer report%s of the child process %.*s ===\n%s\n",
               finding ? "" : " (warnings only)", static_cast<int>(what.size()), what.data(),
               reports.c_str());
  if (finding) {
    std::fprintf(stderr, "=== the child's sanitizer finding fails this test ===\n");
    std::fflush(stderr);
    std::abort();
  }
}

}  // namespace rcl::testing
