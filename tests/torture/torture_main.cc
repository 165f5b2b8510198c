// rcl-torture: the crash campaign (torture.h; ops/torture runs it).
//
//   rcl-torture --server build/bin/rcl-server --x12 FILE.835 [--cycles N] [--seed S]
//               [--clients N] [--kill-min-ms MS] [--kill-max-ms MS] [--rebuild-every N]
//               [--demo-patients N] [--demo-days N] [--no-imports] [--data-dir DIR] [--keep]
//
// Prints one line per cycle and a summary (cycles, acked_commands, lost,
// chain_ok, projection_mismatches, ...); exit 0 when nothing went wrong, 1
// on any loss or other problem, 2 on bad arguments.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/demo.h"
#include "tests/testing/server_process.h"
#include "tests/torture/torture.h"

namespace rcl::torture {
namespace {

using ::rcl::testing::ServerProcess;

struct Args {
  Options options;
  bool keep = false;
};

bool ParseInt(const std::string& text, int lo, int hi, int* out) {
  return absl::SimpleAtoi(text, out) && *out >= lo && *out <= hi;
}

// False (with a message) on a bad argument.
bool ParseArgs(int argc, char** argv, Args* args) {
  Options& o = args->options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    bool ok = true;
    if (a == "--cycles")
      ok = ParseInt(value(), 1, kCyclesMax, &o.cycles);
    else if (a == "--seed")
      ok = absl::SimpleAtoi(value(), &o.seed);
    else if (a == "--clients")
      ok = ParseInt(value(), 1, kClientsMax, &o.clients);
    else if (a == "--kill-min-ms")
      ok = ParseInt(value(), 1, kKillDelayMsMax, &o.kill_min_ms);
    else if (a == "--kill-max-ms")
      ok = ParseInt(value(), 1, kKillDelayMsMax, &o.kill_max_ms);
    else if (a == "--rebuild-every")
      ok = ParseInt(value(), 0, kCyclesMax, &o.rebuild_every);
    else if (a == "--demo-patients")
      ok = ParseInt(value(), 1, demo::kPatientsMax, &o.demo_patients);
    else if (a == "--demo-days")
      ok = ParseInt(value(), 1, demo::kDaysMax, &o.demo_days);
    else if (a == "--no-imports")
      o.imports = false;
    else if (a == "--server")
      o.server_binary = value();
    else if (a == "--x12")
      o.x12_fixture = value();
    else if (a == "--data-dir")
      o.data_dir = value();
    else if (a == "--keep")
      args->keep = true;
    else
      ok = false;
    if (!ok) {
      std::cerr << "rcl-torture: bad argument " << a << " (see the comment at the top of "
                << "tests/torture/torture_main.cc)\n";
      return false;
    }
  }
  if (o.kill_min_ms > o.kill_max_ms || o.server_binary.empty() ||
      (o.imports && o.x12_fixture.empty())) {
    std::cerr << "rcl-torture: needs --server, --x12 (or --no-imports) and "
                 "--kill-min-ms <= --kill-max-ms\n";
    return false;
  }
  if (o.imports) {
    std::ifstream in(o.x12_fixture, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::cerr << "rcl-torture: cannot read " << o.x12_fixture << "\n";
      return false;
    }
    o.x12_fixture = text.str();  // from here on: the file's contents
  }
  return true;
}

std::string MakeDataDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/rcl-torture-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(const Options& o) {
  return ServerProcess::StartBinary(o.server_binary, o.data_dir, {"--log-level=warn"});
}

struct Totals {
  int64_t demos_completed = 0;
  int64_t imports_acked = 0;
  int64_t durable_unacked = 0;
  int64_t projection_compares = 0;
  int64_t events = 0;
};

void PrintSummary(const Options& o, int cycles_done, const Totals& t, const Journal& journal,
                  const Problems& problems, double seconds) {
  std::cout << "summary:\n"
            << "  cycles: " << cycles_done << "\n"
            << "  seed: " << o.seed << "\n"
            << "  acked_commands: " << journal.acked().size() << "\n"
            << "  lost: " << problems.Count(kLost) << "\n"
            << "  half_written: " << problems.Count(kHalfWritten) << "\n"
            << "  phantom: " << problems.Count(kPhantom) << "\n"
            << "  chain_ok: " << (problems.Count(kChain) == 0 ? "true" : "false") << "\n"
            << "  projection_mismatches: " << problems.Count(kProjection) << "\n"
            << "  projection_compares: " << t.projection_compares << "\n"
            << "  unbalanced_tenants: " << problems.Count(kUnbalanced) << "\n"
            << "  model_mismatches: " << problems.Count(kModel) << "\n"
            << "  unexpected_errors: " << problems.Count(kUnexpected) << "\n"
            << "  durable_unacked: " << t.durable_unacked << "\n"
            << "  demos_completed: " << t.demos_completed << "\n"
            << "  imports_acked: " << t.imports_acked << "\n"
            << "  events: " << t.events << "\n"
            << "  tenants: " << journal.tenants().size() << "\n"
            << "  elapsed_s: " << static_cast<int64_t>(seconds) << "\n";
  for (const std::string& p : problems.Kept()) std::cout << "problem: " << p << "\n";
}

// One cycle: workload, kill -9 at a random moment, restart, checks.
bool RunCycle(const Options& o, int cycle, int kill_ms, std::unique_ptr<ServerProcess>& server,
              std::vector<int>* demo_index, Journal* journal, Problems* problems, Totals* t) {
  Workload workload(o, cycle, server->address(), journal, problems, demo_index);
  workload.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(kill_ms));
  workload.ExpectErrors();
  server->Kill9();
  workload.Join();
  t->demos_completed += workload.demos_completed();
  t->imports_acked += workload.imports_acked();
  server.reset();
  absl::StatusOr<std::unique_ptr<ServerProcess>> restarted = StartServer(o);
  if (!restarted.ok()) {
    problems->Add(kLost,
                  absl::StrCat("the server does not restart: ", restarted.status().ToString()));
    return false;
  }
  server = std::move(*restarted);
  const bool rebuild = o.rebuild_every > 0 && cycle % o.rebuild_every == 0;
  CheckCounts counts = CheckAfterRestart(o, server->address(), rebuild, journal, problems);
  t->durable_unacked += counts.durable_unacked;
  t->projection_compares += counts.projection_compares;
  t->events = counts.events;
  std::cout << "cycle " << cycle << "/" << o.cycles << ": killed after " << kill_ms << " ms; log "
            << counts.events << " events; acked " << journal->acked().size() << " ("
            << counts.acked_checked << " checked in the log); demos done " << t->demos_completed
            << "; problems " << problems->Total() << std::endl;
  return true;
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  Options& o = args.options;
  o.demo_end = demo::DefaultDemoEnd();
  const bool fresh = o.data_dir.empty();
  if (fresh) o.data_dir = MakeDataDir();
  if (o.data_dir.empty()) {
    std::cerr << "rcl-torture: cannot make a temporary directory\n";
    return 1;
  }
  std::cout << "rcl-torture: " << o.cycles << " cycles, seed " << o.seed << ", " << o.clients
            << " demo clients" << (o.imports ? " + 835 imports" : "") << ", data in " << o.data_dir
            << std::endl;
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<ServerProcess>> first = StartServer(o);
  if (!first.ok()) {
    std::cerr << "rcl-torture: " << first.status() << "\n";
    return 1;
  }
  std::unique_ptr<ServerProcess> server = std::move(*first);
  Journal journal;
  Problems problems;
  Totals totals;
  std::vector<int> demo_index(o.clients + 1, 0);  // the last: the next import
  demo::DemoRandom random(o.seed);
  int done = 0;
  for (int cycle = 1; cycle <= o.cycles; ++cycle) {
    const int kill_ms = static_cast<int>(random.Uniform(o.kill_min_ms, o.kill_max_ms));
    if (!RunCycle(o, cycle, kill_ms, server, &demo_index, &journal, &problems, &totals)) break;
    done = cycle;
  }
  if (server != nullptr && !server->Terminate().ok())
    problems.Add(kUnexpected, "the server did not stop cleanly on SIGTERM");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  PrintSummary(o, done, totals, journal, problems, seconds);
  const bool ok = problems.Total() == 0 && done == o.cycles;
  if (fresh && ok && !args.keep) {
    std::error_code ec;
    std::filesystem::remove_all(o.data_dir, ec);
  } else {
    std::cout << "data directory kept: " << o.data_dir << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace rcl::torture

int main(int argc, char** argv) { return rcl::torture::Main(argc, argv); }
