// Memory bounds of a real rcl-server process, measured from /proc/<pid>/status
// (VmRSS, and VmHWM: the peak resident size):
//  - requests over the size limit are refused before they are parsed;
//  - many concurrent large reads whose answers the client is slow to take
//    stay within the read memory budget, and all still succeed;
//  - the writer's memory stops growing with the log once its caches are
//    full (the stream-state cache is bounded by bytes).
// Bounds leave room for a noisy machine: each is several times what the
// fixed server uses, and a fraction of what the unbounded server took.
#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/rules/input_rules.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl {
namespace {

using ::rcl::client::Client;
using ::rcl::client::CommandOptions;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;
using namespace ::rcl::testing::workload;  // NOLINT: workload helpers

constexpr char kTenant[] = "acme";
constexpr int64_t kMiB = int64_t{1} << 20;

// The server under test: RCL_BIN_DIR/rcl-server, or $RCL_MEMORY_TEST_SERVER
// (to run these tests against another build, e.g. to show they fail on it).
absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(const std::string& data_dir,
                                                           std::vector<std::string> flags = {}) {
  const char* other = std::getenv("RCL_MEMORY_TEST_SERVER");
  if (other != nullptr && *other != '\0')
    return ServerProcess::StartBinary(other, data_dir, std::move(flags));
  return ServerProcess::Start(data_dir, std::move(flags));
}

// A "Vm...:" field of /proc/<pid>/status in bytes; -1 if absent.
int64_t ProcStatusBytes(pid_t pid, const std::string& field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, field + ":")) {
      std::istringstream fields(line.substr(field.size() + 1));
      int64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return -1;
}
int64_t ResidentBytes(pid_t pid) { return ProcStatusBytes(pid, "VmRSS"); }
int64_t PeakResidentBytes(pid_t pid) { return ProcStatusBytes(pid, "VmHWM"); }

// Appends `events` events as the encounter workload does: a patient, then
// encounters each opened, given a diagnosis and charged `lines` lines.
absl::Status WriteEvents(const std::string& address, const std::string& prefix, int events,
                         int lines) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address, ClientOptions(kTenant));
  if (!client.ok()) return client.status();
  const std::string patient = absl::StrCat("P-", prefix);
  int written = 0;
  auto run = [&](const v1::Command& command) -> absl::Status {
    absl::StatusOr<v1::CommandResponse> r = (*client)->Execute(command, CommandOptions{});
    if (!r.ok()) return r.status();
    written += r->event_ids_size();
    return absl::OkStatus();
  };
  if (absl::Status s = run(RegisterPatientCommand(patient, "Doe", "Jane", "1980-04-01")); !s.ok())
    return s;
  for (int encounter = 0; written < events; ++encounter) {
    std::string encounter_id = absl::StrCat("E-", prefix, "-", encounter);
    if (absl::Status s = run(WorkloadEncounterCommand(encounter_id, patient)); !s.ok()) return s;
    if (absl::Status s =
            run(RecordDiagnosesCommand(encounter_id, {"E11.9", "I10", "J45.909", "Z00.00"}));
        !s.ok()) {
      return s;
    }
    for (int line = 1; line <= lines && written < events; ++line) {
      if (absl::Status s =
              run(RecordChargeCommand(encounter_id, line, 12'500 + line, {1, 2, 3, 4}));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WriteConcurrently(const std::string& address, const std::string& phase, int writers,
                               int total, int lines) {
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(writers);
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      results[w] = WriteEvents(address, absl::StrCat(phase, "-", w), total / writers, lines);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// --- Oversized requests ------------------------------------------------------

// A ReadAllRequest of about `bytes` on the wire that is almost all empty
// event types (two bytes each): the most memory a request can take once
// parsed (each becomes a std::string of its own).
std::string OversizedReadAll(size_t bytes) {
  std::string wire;
  wire.reserve(bytes + 16);
  wire += '\x0a';  // field 1 (tenant), length-delimited
  wire += static_cast<char>(sizeof(kTenant) - 1);
  wire += kTenant;
  while (wire.size() + 2 <= bytes)
    wire += std::string("\x2a\x00", 2);  // field 5 (event_types) = ""
  return wire;
}

TEST(MemoryTest, OversizedRequestsAreRefusedBeforeTheyAreParsed) {
  TempDir dir;
  auto server = StartServer(dir.path());
  ASSERT_TRUE(server.ok()) << server.status();
  pid_t pid = (*server)->pid();
  const int64_t before = ResidentBytes(pid);

  // 16 concurrent requests just under gRPC's default 4 MiB limit. Unbounded,
  // each took about 150 MB once parsed (2.5 GB together).
  constexpr int kRequests = 16;
  const std::string wire = OversizedReadAll((4 << 20) - 4096);
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  std::vector<std::thread> threads;
  std::vector<grpc::StatusCode> codes(kRequests, grpc::StatusCode::OK);
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      grpc::GenericStub stub(channel);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      grpc::Slice slice(wire);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&ctx, "/rcl.v1.LogService/ReadAll", grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status status) { done.set_value(std::move(status)); });
      codes[i] = done.get_future().get().error_code();
    });
  }
  for (std::thread& t : threads) t.join();
  const int64_t peak = PeakResidentBytes(pid);
  std::cerr << "oversized requests: RSS before " << before / kMiB << " MiB, peak " << peak / kMiB
            << " MiB\n";
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(codes[i], grpc::StatusCode::RESOURCE_EXHAUSTED) << "request " << i;
  }
  // Refused: at most the received bytes (16 x 4 MiB) were ever held.
  EXPECT_LT(peak - before, 200 * kMiB);

  // Under the limit, a filter with too many types is refused without running.
  {
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect((*server)->address(), ClientOptions(kTenant));
    ASSERT_TRUE(client.ok()) << client.status();
    v1::ReadAllRequest request;
    for (size_t i = 0; i <= ledger::kEventTypeFiltersMax; ++i)
      request.add_event_types("ChargeRecorded");
    absl::StatusOr<v1::ReadAllResponse> r = (*client)->ReadAll(request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    request.mutable_event_types()->DeleteSubrange(0, 1);
    r = (*client)->ReadAll(request);
    EXPECT_TRUE(r.ok()) << r.status();
  }
  EXPECT_TRUE((*server)->Terminate().ok());
}

// --- Concurrent large reads --------------------------------------------------

TEST(MemoryTest, ConcurrentLargeReadsStayWithinTheReadBudget) {
  TempDir dir;
  // A small budget, so that the bound shows clearly against what 300 pages
  // of 1000 events take without one (about 2-3 MB each).
  auto server = StartServer(dir.path(), {"--read-memory-mb=32"});
  ASSERT_TRUE(server.ok()) << server.status();
  pid_t pid = (*server)->pid();
  ASSERT_TRUE(WriteConcurrently((*server)->address(), "r", 4, 4000, 100).ok());
  const int64_t before = ResidentBytes(pid);

  // 300 pages of the first 1000 events, issued at once on one connection
  // whose client does not take the answers for a while (nothing polls its
  // completion queue): the server must hold back what it cannot send.
  constexpr int kReads = 300;
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::LogService::NewStub(channel);
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext ctx;
    v1::ReadAllResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ReadAllResponse>> reader;
  };
  std::vector<std::unique_ptr<Call>> calls;
  v1::ReadAllRequest request;
  request.set_tenant(kTenant);
  request.set_from_position(1);
  request.set_limit(1000);
  for (int i = 0; i < kReads; ++i) {
    auto call = std::make_unique<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    call->reader = stub->AsyncReadAll(&call->ctx, request, &cq);
    call->reader->Finish(&call->response, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  absl::SleepFor(absl::Seconds(4));
  const int64_t held = ResidentBytes(pid);
  int done = 0;
  while (done < kReads) {
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ++done;
  }
  const int64_t peak = PeakResidentBytes(pid);
  std::cerr << "large reads: RSS before " << before / kMiB << " MiB, while held " << held / kMiB
            << " MiB, peak " << peak / kMiB << " MiB\n";
  for (int i = 0; i < kReads; ++i) {
    // Reads beyond the budget wait; none fails.
    ASSERT_TRUE(calls[i]->status.ok()) << i << ": " << calls[i]->status.error_message();
    EXPECT_EQ(calls[i]->response.events_size(), 1000);
  }
  // 32 MiB of budget (estimated) plus room for allocator slack and noise.
  EXPECT_LT(peak - before, 120 * kMiB);
  cq.Shutdown();
  EXPECT_TRUE((*server)->Terminate().ok());
}

// --- Memory does not grow with the log ---------------------------------------

TEST(MemoryTest, WriterMemoryStopsGrowingWithTheLog) {
  TempDir dir;
  // Small caches (and projections' held rows), so that they fill within the
  // test: what grows after that is what is unbounded.
  auto server = StartServer(dir.path(), {"--state-cache-mb=4", "--block-cache-mb=4",
                                         "--write-buffer-mb=8", "--projections-memory-mb=8"});
  ASSERT_TRUE(server.ok()) << server.status();
  pid_t pid = (*server)->pid();
  constexpr int kWriters = 8;
  constexpr int kLines = 100;  // charge lines per encounter: states grow with events
  // Fill the caches and the memtables (six column families share 8 MiB),
  // then measure what more events add.
  constexpr int kFillEvents = 80'000;
  ASSERT_TRUE(WriteConcurrently((*server)->address(), "a", kWriters, kFillEvents, kLines).ok());
  const int64_t filled = ResidentBytes(pid);
  absl::Time start = absl::Now();
  constexpr int kMeasuredEvents = 80'000;
  ASSERT_TRUE(WriteConcurrently((*server)->address(), "b", kWriters, kMeasuredEvents, kLines).ok());
  const int64_t after = ResidentBytes(pid);
  double per_event = static_cast<double>(after - filled) / kMeasuredEvents;
  std::cerr << "log growth: RSS " << filled / kMiB << " MiB after " << kFillEvents << " events, "
            << after / kMiB << " MiB after " << kFillEvents + kMeasuredEvents << " (" << per_event
            << " bytes per event; " << absl::ToDoubleSeconds(absl::Now() - start) << " s)\n";
  // Unbounded, the cached states alone grew by about 350 bytes per event of
  // this workload.
  EXPECT_LT(per_event, 120.0);
  EXPECT_TRUE((*server)->Terminate().ok());
}

}  // namespace
}  // namespace rcl
