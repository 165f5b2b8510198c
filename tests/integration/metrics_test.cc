// The metrics endpoint of a real rcl-server (--metrics-listen): after a
// known workload its counters say what was done, read back by an independent
// parser (prometheus_client, tests/integration/metrics_tools.py) and, when
// Debian's prometheus is installed, by a real Prometheus scraping it; each
// call's request id comes back in its trailers; `rcl admin top --once` shows
// the rates.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_fixture.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl::testing {
namespace {

using namespace ::rcl::testing::workload;  // NOLINT: workload helpers
using ::testing::HasSubstr;

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kPrometheus[] = "/usr/bin/prometheus";
const std::string kTools = std::string(RCL_SOURCE_DIR) + "/tests/integration/metrics_tools.py";

// One scrape as prometheus_client read it: `name{labels}` -> value, and each
// sample's family type.
struct Scrape {
  std::map<std::string, double> values;
  std::map<std::string, std::string> types;
  double Get(const std::string& key) const {
    auto it = values.find(key);
    EXPECT_TRUE(it != values.end()) << "no sample " << key;
    return it == values.end() ? -1 : it->second;
  }
};

Scrape ScrapeMetrics(const std::string& metrics_address) {
  CommandResult r =
      RunCommand({kPython, kTools, "scrape", absl::StrCat("http://", metrics_address, "/metrics")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Scrape s;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    double value = 0;
    if (parts.size() != 3 || !absl::SimpleAtod(parts[1], &value)) {
      ADD_FAILURE() << "unreadable line: " << line;
      continue;
    }
    s.values[parts[0]] = value;
    s.types[parts[0].substr(0, parts[0].find('{'))] = parts[2];
  }
  return s;
}

std::string OutcomeOf(const absl::Status& status) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start(dir_.path() + "/data", {"--metrics-listen", "127.0.0.1:0"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_FALSE(server_->metrics_address().empty()) << "no 'rcl-server metrics on' line";
    auto client = client::Client::Connect(server_->address(), ClientOptions("metrics"));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Terminate().ok());
    }
  }

  // Scrapes until every projection has folded the head (at most 10 s).
  Scrape ScrapeCaughtUp(uint64_t head) {
    Scrape s;
    for (int i = 0; i < 100; ++i) {
      s = ScrapeMetrics(server_->metrics_address());
      bool caught_up = true;
      int projections = 0;
      for (const auto& [key, value] : s.values) {
        if (key.rfind("rcl_projection_checkpoint_position{", 0) != 0) continue;
        ++projections;
        if (value != static_cast<double>(head)) caught_up = false;
      }
      if (caught_up && projections > 0) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "projections did not reach position " << head;
    return s;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(MetricsTest, CountersMatchTheWorkloadDone) {
  constexpr int kPatients = 20, kDuplicates = 5, kEncounters = 3, kHeads = 2;
  for (int i = 0; i < kPatients; ++i) {
    ASSERT_TRUE(client_->Execute(RegisterPatientCommand(absl::StrCat("P", i))).ok());
  }
  std::string duplicate_outcome;
  for (int i = 0; i < kDuplicates; ++i) {
    absl::StatusOr<v1::CommandResponse> r = client_->Execute(RegisterPatientCommand("P0"));
    ASSERT_FALSE(r.ok());
    duplicate_outcome = OutcomeOf(r.status());
  }
  for (int i = 0; i < kEncounters; ++i) {
    ASSERT_TRUE(
        client_->Execute(WorkloadEncounterCommand(absl::StrCat("E", i), absl::StrCat("P", i)))
            .ok());
  }
  uint64_t head = 0;
  for (int i = 0; i < kHeads; ++i) {
    absl::StatusOr<v1::HeadResponse> h = client_->Head();
    ASSERT_TRUE(h.ok()) << h.status();
    head = h->position();
  }
  ASSERT_EQ(head, static_cast<uint64_t>(kPatients + kEncounters));  // one event per command

  Scrape s = ScrapeCaughtUp(head);
  EXPECT_EQ(s.Get(R"(rcl_commands_total{command="RegisterPatient",outcome="ok"})"), kPatients);
  EXPECT_EQ(s.Get(absl::StrCat(R"(rcl_commands_total{command="RegisterPatient",outcome=")",
                               duplicate_outcome, "\"}")),
            kDuplicates);
  EXPECT_EQ(s.Get(R"(rcl_commands_total{command="OpenEncounter",outcome="ok"})"), kEncounters);
  EXPECT_EQ(s.Get(R"(rcl_requests_total{code="ok",method="LogService/Head"})"), kHeads);
  // Every command is timed, rejected ones too.
  EXPECT_EQ(s.Get("rcl_command_duration_seconds_count{}"), kPatients + kDuplicates + kEncounters);
  EXPECT_EQ(s.Get("rcl_events_appended_total{}"), head);
  EXPECT_EQ(s.Get("rcl_log_head_position{}"), head);
  EXPECT_EQ(s.Get("rcl_committed_commands_total{}"), kPatients + kEncounters);
  EXPECT_EQ(s.Get("rcl_group_commit_commands_sum{}"), kPatients + kEncounters);
  // One histogram observation per fsync; commands sent one at a time share none.
  EXPECT_EQ(s.Get("rcl_group_commit_commands_count{}"), s.Get("rcl_fsyncs_total{}"));
  EXPECT_EQ(s.Get("rcl_fsyncs_total{}"), kPatients + kEncounters);
  EXPECT_EQ(s.Get("rcl_fsync_duration_seconds_count{}"), kPatients + kEncounters);
  EXPECT_EQ(s.Get("rcl_command_queue_depth{}"), 0);
  EXPECT_EQ(s.Get("rcl_subscribers{}"), 0);
  for (const char* p : {"claims", "trial_balance", "history"}) {
    EXPECT_EQ(s.Get(absl::StrCat(R"(rcl_projection_lag_events{projection=")", p, "\"}")), 0) << p;
    EXPECT_EQ(s.Get(absl::StrCat(R"(rcl_projection_up{projection=")", p, "\"}")), 1) << p;
  }
  EXPECT_GT(s.Get(R"(rcl_rocksdb_memtable_bytes{db="log"})"), 0);
  EXPECT_EQ(s.types["rcl_commands_total"], "counter");
  EXPECT_EQ(s.types["rcl_command_duration_seconds_bucket"], "histogram");
  EXPECT_EQ(s.types["rcl_log_head_position"], "gauge");
}

TEST_F(MetricsTest, EveryCallGetsARequestIdInItsTrailers) {
  auto stub = v1::LogService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    v1::HeadRequest request;
    v1::HeadResponse response;
    ASSERT_TRUE(stub->Head(&ctx, request, &response).ok());
    auto it = ctx.GetServerTrailingMetadata().find("x-rcl-request-id");
    ASSERT_NE(it, ctx.GetServerTrailingMetadata().end());
    ids.emplace_back(it->second.data(), it->second.size());
    EXPECT_THAT(ids.back(), ::testing::MatchesRegex("[0-9a-f]{16}"));
  }
  EXPECT_NE(ids[0], ids[1]);
  // A refused call has one too.
  grpc::ClientContext ctx;
  v1::VerifyRequest request;
  request.set_to_position(1'000'000);
  v1::VerifyResponse response;
  EXPECT_EQ(stub->Verify(&ctx, request, &response).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_NE(ctx.GetServerTrailingMetadata().find("x-rcl-request-id"),
            ctx.GetServerTrailingMetadata().end());
}

TEST_F(MetricsTest, AdminTopOnceShowsRatesWhileCommandsRun) {
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (int i = 0; !stop.load(); ++i) {
      (void)client_->Execute(RegisterPatientCommand(absl::StrCat("L", i)));
    }
  });
  const std::string rcl = std::string(RCL_BIN_DIR) + "/rcl";
  CommandResult json = RunCommand(
      {rcl, "--json", "admin", "top", "--metrics", server_->metrics_address(), "--once"});
  CommandResult text =
      RunCommand({rcl, "admin", "top", "--metrics", server_->metrics_address(), "--once"});
  stop.store(true);
  load.join();
  ASSERT_EQ(json.exit_code, 0) << json.err;
  google::protobuf::Struct frame = json::ParseJson(json.out);
  EXPECT_GT(json::Num(frame, "commands_per_s"), 0);
  EXPECT_GT(json::Num(frame, "fsyncs_per_s"), 0);
  EXPECT_GE(json::Num(frame, "batch_avg"), 1);
  EXPECT_GT(json::Num(frame, "p99_ms"), 0);
  EXPECT_GT(json::Num(frame, "head_position"), 0);
  EXPECT_EQ(json::List(frame, "projections").size(), 3u);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const char* field : {"commands/s", "fsyncs/s", "batch avg", "p99", "projection", "lag",
                            "claims", "trial_balance", "history"}) {
    EXPECT_THAT(text.out, HasSubstr(field));
  }
}

TEST_F(MetricsTest, AdminTopNamesAnEndpointThatIsNotThere) {
  CommandResult r = RunCommand(
      {std::string(RCL_BIN_DIR) + "/rcl", "admin", "top", "--metrics", "127.0.0.1:1", "--once"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot scrape http://127.0.0.1:1/metrics"));
}

// A free TCP port on 127.0.0.1 (bound, read, released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(MetricsTest, ARealPrometheusScrapesIt) {
  if (access(kPrometheus, X_OK) != 0) {
    GTEST_SKIP() << kPrometheus << " is missing (ops/install-deps --ops installs Debian's "
                 << "prometheus); the independent parser test above still ran";
  }
  ASSERT_TRUE(client_->Execute(RegisterPatientCommand("P1")).ok());
  const std::string config = dir_.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n"
                        << "scrape_configs:\n  - job_name: rcl\n    static_configs:\n"
                        << "      - targets: ['" << server_->metrics_address() << "']\n";
  const std::string web = absl::StrCat("127.0.0.1:", FreePort());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execl(kPrometheus, kPrometheus, ("--config.file=" + config).c_str(),
          ("--storage.tsdb.path=" + dir_.path() + "/tsdb").c_str(),
          ("--web.listen-address=" + web).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // `up` is 1 only when the scrape was fetched and parsed.
  CommandResult up =
      RunCommand({kPython, kTools, "query", "http://" + web, R"(up{job="rcl"} == 1)", "20"}, 30);
  CommandResult head = RunCommand(
      {kPython, kTools, "query", "http://" + web, R"(rcl_log_head_position{job="rcl"})", "5"}, 15);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(head.exit_code, 0) << head.err;
  EXPECT_EQ(std::string(absl::StripAsciiWhitespace(head.out)), "1");
}

}  // namespace
}  // namespace rcl::testing
