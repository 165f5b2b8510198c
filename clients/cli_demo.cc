// `rcl demo`: the flags of the demo workload and its progress bar (on a
// terminal, on stderr); the workload itself is rcl::demo (demo.h).
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "clients/cli_command.h"
#include "clients/demo.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;

absl::Status RunDemoCommand(Invocation& inv) {
  demo::DemoOptions options;
  absl::StatusOr<uint64_t> seed = UintFlag(inv, "seed", 1);
  if (!seed.ok()) return seed.status();
  options.seed = *seed;
  absl::StatusOr<uint64_t> patients = UintFlag(inv, "patients", 100, demo::kPatientsMax);
  if (!patients.ok()) return patients.status();
  absl::StatusOr<uint64_t> days = UintFlag(inv, "days", 30, demo::kDaysMax);
  if (!days.ok()) return days.status();
  if (*patients == 0) return UsageError("--patients: must be at least 1");
  if (*days == 0) return UsageError("--days: must be at least 1");
  options.patients = static_cast<int>(*patients);
  options.days = static_cast<int>(*days);
  options.end = demo::DefaultDemoEnd();
  if (std::optional<std::string> end = inv.args().Value("end"); end.has_value()) {
    absl::CivilDay day;
    if (end->size() != 10 || !absl::ParseCivilTime(*end, &day)) {
      return UsageError("--end: must be a civil date YYYY-MM-DD");
    }
    if (day > demo::DefaultDemoEnd()) {
      return UsageError(absl::StrCat("--end: must be at least ", demo::kSettleDays,
                                     " days before today (UTC): the demo's workflow runs ",
                                     demo::kSettleDays, " days past the last date of service"));
    }
    options.end = day;
  }
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  const bool tty = isatty(STDERR_FILENO) == 1;
  demo::DemoProgress progress = [tty](int day, int total, int64_t commands) {
    if (!tty) return;
    constexpr int kWidth = 30;
    int filled = total == 0 ? kWidth : day * kWidth / total;
    std::string bar = absl::StrCat("\rdemo [", std::string(static_cast<size_t>(filled), '#'),
                                   std::string(static_cast<size_t>(kWidth - filled), '.'), "] day ",
                                   day, "/", total, "  commands ", commands, "  ");
    fwrite(bar.data(), 1, bar.size(), stderr);
    fflush(stderr);
  };
  demo::ClientSink sink(*client);
  absl::StatusOr<demo::DemoSummary> summary = demo::RunDemo(options, sink, progress);
  if (tty) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  if (!summary.ok()) {
    if (summary.status().code() == absl::StatusCode::kInvalidArgument &&
        absl::StartsWith(summary.status().message(), "--")) {
      return Usage(summary.status());
    }
    return summary.status();
  }
  if (inv.json()) {
    absl::StrAppend(&inv.out(), demo::DemoSummaryJson(*summary), "\n");
  } else {
    absl::StrAppend(&inv.out(), demo::DemoSummaryText(*summary));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandDef> DemoCommands() {
  return {
      {"",
       "demo",
       "",
       "generate a realistic, deterministic practice workload through the API",
       {{"seed", kValue, "N", "random seed (default 1); the same seed gives the same commands"},
        {"patients", kValue, "N", "patients, 1..10000 (default 100)"},
        {"days", kValue, "N", "days of visits, 1..365 (default 30)"},
        {"end", kValue, "YYYY-MM-DD", "last date of service (default: 3 days before today)"}},
       RunDemoCommand},
  };
}

}  // namespace rcl::cli
