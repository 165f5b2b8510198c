// What subscriptions cost the server, measured on a real rcl-server process:
// subscribers that never read must cost next to nothing (server CPU on an
// idle server, writer throughput while they are connected; server CPU idle
// and per command while every one of them is stuck behind a full window),
// and one tenant filling its share of subscriptions must not lock the others
// out.
//
// CPU is utime + stime of the server process from /proc/<pid>/stat; memory is
// VmRSS from /proc/<pid>/status. Bounds are generous: two other builds may be
// running on this machine.
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/status.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl {
namespace {

using ::rcl::client::Client;
using ::rcl::client::CommandOptions;
using ::rcl::client::Subscription;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;
using namespace ::rcl::testing::workload;  // NOLINT: workload helpers
using ::rcl::v1::SubscribeRequest;
using ::rcl::v1::SubscribeResponse;

// The subscribers that never read, spread over tenants and connections.
constexpr int kIdleSubscribers = 1024;
constexpr int kIdleTenants = 4;  // 256 each: within any per-tenant share
constexpr int kIdleConnections = 8;
// Events in the log before they subscribe, so that catch-up fills their
// HTTP/2 windows and their writes stay in flight.
constexpr int kBacklogEvents = 2000;
constexpr int kWriters = 8;
// After opening the subscribers, wait at most this long for their catch-up
// to end (server CPU below the idle bound over one sample) before measuring.
// A server that keeps spinning never settles and fails after the wait.
constexpr absl::Duration kSettleMax = absl::Seconds(15);
constexpr absl::Duration kSettleSample = absl::Milliseconds(500);
constexpr absl::Duration kIdleWindow = absl::Seconds(5);
constexpr absl::Duration kWriteWindow = absl::Seconds(3);
// Server CPU while idle with the subscribers connected, in cores. Measured
// after settling: 0.000-0.002 with the ready-queue hub. NOTE: the polling hub
// it replaced also measured 0.000 once settled on this test's workload, so
// this test guards the bound but does not reproduce the reported 55-65%.
constexpr double kIdleCpuCoresMax = 0.025;
// Writer throughput with the subscribers must stay above this share of the
// throughput without them. NOTE: on a loaded 2-core machine the ratio is
// noisy (0.3-3.7 seen) for the old and the new hub alike; the bound only
// catches a gross regression.
constexpr double kThroughputShareMin = 0.5;
constexpr int kWithWindows = 2;
constexpr int64_t kRssLimitBytes = int64_t{1} << 30;
// The per-tenant share as documented in docs/API.md (Subscribe).
constexpr int kPerTenantShare = 256;

// utime + stime of `pid`, in seconds; < 0 if unreadable.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  // Fields after the command name start at field 3 (state); utime is 14.
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  uint64_t utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      std::istringstream fields(line.substr(6));
      int64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return -1;
}

// Server CPU, in cores, over `window` of wall time.
double CpuCoresOver(pid_t pid, absl::Duration window) {
  double before = CpuSeconds(pid);
  absl::Time start = absl::Now();
  absl::SleepFor(window);
  double after = CpuSeconds(pid);
  return (after - before) / absl::ToDoubleSeconds(absl::Now() - start);
}

// Waits until the server's CPU over one sample is below the idle bound, at
// most `settle_max`.
void Settle(pid_t pid, absl::Duration settle_max = kSettleMax) {
  const absl::Time deadline = absl::Now() + settle_max;
  while (absl::Now() < deadline && CpuCoresOver(pid, kSettleSample) >= kIdleCpuCoresMax) {
  }
}

// A connection of its own (no subchannel sharing) with small HTTP/2 windows,
// so that a subscriber that does not read stops the server quickly.
std::unique_ptr<Client> SmallWindowClient(const std::string& address, const std::string& tenant) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return Client::FromChannel(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args),
      ClientOptions(tenant));
}

// Subscriptions opened and never read. Destruction cancels them.
struct IdleSubscribers {
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<Subscription>> subscriptions;
};

absl::StatusOr<IdleSubscribers> OpenIdleSubscribers(const std::string& address) {
  IdleSubscribers idle;
  for (int c = 0; c < kIdleConnections; ++c) {
    idle.clients.push_back(SmallWindowClient(address, "acme"));
  }
  for (int i = 0; i < kIdleSubscribers; ++i) {
    SubscribeRequest request;
    request.set_tenant(absl::StrCat("tenant", i % kIdleTenants));
    if (i % kIdleTenants == 0) request.set_tenant("acme");  // the tenant with the events
    absl::StatusOr<std::unique_ptr<Subscription>> s =
        idle.clients[i % kIdleConnections]->Subscribe(request);
    if (!s.ok()) return s.status();
    idle.subscriptions.push_back(std::move(*s));
  }
  return idle;
}

// kWriters clients each registering patients (one event per command) for
// `window`; returns commands per second.
absl::StatusOr<double> WriteThroughput(const std::string& address, const std::string& phase,
                                       absl::Duration window) {
  std::atomic<int64_t> done{0};
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  const absl::Time end = start + window;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      absl::StatusOr<std::unique_ptr<Client>> client =
          Client::Connect(address, ClientOptions("acme"));
      if (!client.ok()) {
        results[w] = client.status();
        return;
      }
      for (int k = 0; absl::Now() < end; ++k) {
        absl::StatusOr<v1::CommandResponse> r = (*client)->Execute(
            RegisterPatientCommand(absl::StrCat("P-", phase, "-", w, "-", k)), CommandOptions{});
        if (!r.ok()) {
          results[w] = r.status();
          return;
        }
        done.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return static_cast<double>(done.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

absl::Status WriteBacklog(const std::string& address, int events) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address, ClientOptions("acme"));
  if (!client.ok()) return client.status();
  for (int k = 0; k < events; ++k) {
    absl::StatusOr<v1::CommandResponse> r =
        (*client)->Execute(RegisterPatientCommand(absl::StrCat("P-backlog-", k)), CommandOptions{});
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

class SubscribeResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir_.path());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// 1,024 subscribers that never read (some stuck behind full windows, some
// caught up on tenants with no events): an idle server must not spend CPU on
// them.
TEST_F(SubscribeResourcesTest, SubscribersThatNeverReadCostNoCpuWhenIdle) {
  ASSERT_TRUE(WriteBacklog(server_->address(), kBacklogEvents).ok());
  absl::StatusOr<IdleSubscribers> idle = OpenIdleSubscribers(server_->address());
  ASSERT_TRUE(idle.ok()) << idle.status();
  Settle(server_->pid());

  const double cores = CpuCoresOver(server_->pid(), kIdleWindow);
  const int64_t rss = ResidentBytes(server_->pid());
  std::cerr << "idle with " << kIdleSubscribers << " subscribers that never read: server CPU "
            << cores * 100 << "% of a core, VmRSS " << rss / (1 << 20) << " MiB\n";
  EXPECT_LT(cores, kIdleCpuCoresMax) << "server CPU while idle, in cores";
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, kRssLimitBytes);
}

// The same subscribers must not slow writers down much.
TEST_F(SubscribeResourcesTest, SubscribersThatNeverReadDoNotSlowWriters) {
  ASSERT_TRUE(WriteBacklog(server_->address(), kBacklogEvents).ok());
  absl::StatusOr<double> without = WriteThroughput(server_->address(), "a", kWriteWindow);
  ASSERT_TRUE(without.ok()) << without.status();

  absl::StatusOr<IdleSubscribers> idle = OpenIdleSubscribers(server_->address());
  ASSERT_TRUE(idle.ok()) << idle.status();
  Settle(server_->pid());
  // The better of two windows: a busy machine can spoil one.
  double with = 0;
  for (int window = 0; window < kWithWindows; ++window) {
    const double cpu_before = CpuSeconds(server_->pid());
    absl::StatusOr<double> rate =
        WriteThroughput(server_->address(), absl::StrCat("b", window), kWriteWindow);
    const double cpu_used = CpuSeconds(server_->pid()) - cpu_before;
    ASSERT_TRUE(rate.ok()) << rate.status();
    std::cerr << "writer throughput: " << *without << " commands/s without subscribers, " << *rate
              << " with " << kIdleSubscribers << " that never read (server CPU " << cpu_used
              << " s over the " << kWriteWindow << " window)\n";
    with = std::max(with, *rate);
  }
  EXPECT_GT(with, *without * kThroughputShareMin)
      << "subscribers that never read slowed the writers down";
}

// Reads the first message or the end of the call within `timeout`; the call's
// status if it ended, OK if a message arrived.
absl::Status FirstOutcome(Subscription* s, absl::Duration timeout) {
  std::atomic<bool> done{false};
  std::thread guard([&] {
    absl::Time deadline = absl::Now() + timeout;
    while (!done.load() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    if (!done.load()) s->Cancel();
  });
  SubscribeResponse r;
  bool got = s->Next(&r);
  done.store(true);
  guard.join();
  if (got) return absl::OkStatus();
  return s->Finish();
}

// Tenant A fills its share; A gets RESOURCE_EXHAUSTED, B can still subscribe.
// Then one of A's subscriptions ends and A can subscribe again.
TEST_F(SubscribeResourcesTest, OneTenantCannotTakeEveryonesSubscriptions) {
  ASSERT_TRUE(
      WriteBacklog(server_->address(), 1).ok());  // so every subscriber gets a first message
  absl::StatusOr<std::unique_ptr<Client>> a =
      Client::Connect(server_->address(), ClientOptions("tenant-a"));
  absl::StatusOr<std::unique_ptr<Client>> b =
      Client::Connect(server_->address(), ClientOptions("tenant-b"));
  ASSERT_TRUE(a.ok() && b.ok());

  // Tenant A takes as many as the server gives it (at most the old
  // server-wide limit, 1024).
  std::vector<std::unique_ptr<Subscription>> held;
  absl::Status refused;
  for (int i = 0; i < 1024 && refused.ok(); ++i) {
    absl::StatusOr<std::unique_ptr<Subscription>> s = (*a)->Subscribe(SubscribeRequest());
    ASSERT_TRUE(s.ok()) << s.status();
    refused = FirstOutcome(s->get(), absl::Seconds(20));
    if (refused.ok()) held.push_back(std::move(*s));
  }
  std::cerr << "tenant A got " << held.size() << " subscriptions, then: " << refused << "\n";
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_EQ(held.size(), static_cast<size_t>(kPerTenantShare));

  // Tenant B still can.
  absl::StatusOr<std::unique_ptr<Subscription>> other = (*b)->Subscribe(SubscribeRequest());
  ASSERT_TRUE(other.ok()) << other.status();
  absl::Status b_outcome = FirstOutcome(other->get(), absl::Seconds(20));
  EXPECT_TRUE(b_outcome.ok()) << "tenant B was refused: " << b_outcome;

  // A's share frees up when one of its subscriptions ends.
  held.back()->Cancel();
  held.pop_back();
  absl::Status again = absl::ResourceExhaustedError("not tried");
  for (int attempt = 0; attempt < 50 && !again.ok(); ++attempt) {
    absl::StatusOr<std::unique_ptr<Subscription>> s = (*a)->Subscribe(SubscribeRequest());
    ASSERT_TRUE(s.ok()) << s.status();
    again = FirstOutcome(s->get(), absl::Seconds(20));
    if (again.ok())
      held.push_back(std::move(*s));
    else
      absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(again.ok()) << "tenant A could not subscribe again after cancelling one: " << again;
}

// Subscribers whose first message is stuck behind a full HTTP/2 window must
// cost nothing: not while the server is idle, and not per commit while
// others write. This is the resource test for the hub that polls or wakes
// every subscriber: a subscriber with a write in flight may not be visited
// until gRPC reports the write done (OnWriteDone), so neither a timer nor a
// commit may make the hub touch it.
//
// Unlike the tests above, every subscriber here is stuck (none is caught up:
// a caught-up subscriber rightly gets a checkpoint message now and then, at
// most once per second, until its own window fills), so any per-subscriber
// work the hub does on a timer or a commit shows up in the server's CPU.
constexpr int kStuckSubscribers = 1024;
constexpr int kStuckTenants = 2;  // 512 each: the server runs with a share of 512
constexpr int kStuckConnections = 8;
// Events of each tenant in the log before it subscribes: more than one
// message (kSubscribeEventsPerMessageMax, 256) of ~300 bytes each, far more
// than SmallWindowClient's 16 KiB window, so every subscriber's first write
// stays in flight.
constexpr int kStuckBacklogEvents = 600;
constexpr int kBacklogWriters = 8;
constexpr absl::Duration kStuckSettleMax = absl::Seconds(5);
constexpr absl::Duration kStuckIdleWindow = absl::Seconds(3);
// Server CPU while idle with the stuck subscribers, in cores.
constexpr double kStuckIdleCpuCoresMax = 0.10;
// Commands written one at a time (one commit each, so any per-commit work of
// the hub is charged to one command), in rounds without and then with the
// subscribers; each side's best round counts (a busy machine can spoil one).
constexpr int kMeasuredCommands = 600;
constexpr int kMeasuredRounds = 2;
// Server CPU per command with the subscribers may be at most this many times
// that without them, plus two clock ticks over a round (CPU is counted in
// ticks of 1/sysconf(_SC_CLK_TCK) s). Measured with the ready-queue hub:
// 0% of a core idle, 0.8-1.2x per command. With hubs broken on purpose (not
// committed): one that checks every stuck subscriber for more to read (one
// log seek each) on every commit measured 5.3x; one that does so every
// millisecond, 57-59% of a core idle and 2.4x. One that only walks the
// subscribers' states every millisecond (no seek) measured 2.7% idle and
// 1.4x: below these bounds, so this test does not catch it.
constexpr double kPerCommandCpuFactorMax = 2.0;
constexpr double kSlackTicks = 2;

// `count` RegisterPatient commands for `tenant` from `writers` concurrent
// clients.
absl::Status WriteEvents(const std::string& address, const std::string& tenant,
                         const std::string& prefix, int count, int writers) {
  std::vector<absl::Status> results(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      absl::StatusOr<std::unique_ptr<Client>> client =
          Client::Connect(address, ClientOptions(tenant));
      if (!client.ok()) {
        results[w] = client.status();
        return;
      }
      for (int k = w; k < count && results[w].ok(); k += writers) {
        absl::StatusOr<v1::CommandResponse> r = (*client)->Execute(
            RegisterPatientCommand(absl::StrCat("P-", prefix, "-", k)), CommandOptions{});
        if (!r.ok()) results[w] = r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& status : results) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Server CPU seconds per command of the best of kMeasuredRounds rounds, each
// kMeasuredCommands written one at a time by one client. `rounds` gets every
// round's figure.
absl::StatusOr<double> CpuPerCommand(const ServerProcess& server, const std::string& tenant,
                                     const std::string& prefix, std::vector<double>* rounds) {
  for (int round = 0; round < kMeasuredRounds; ++round) {
    const double before = CpuSeconds(server.pid());
    RCL_RETURN_IF_ERROR(WriteEvents(server.address(), tenant, absl::StrCat(prefix, "-", round),
                                    kMeasuredCommands, 1));
    rounds->push_back((CpuSeconds(server.pid()) - before) / kMeasuredCommands);
  }
  return *std::min_element(rounds->begin(), rounds->end());
}

std::string Micros(const std::vector<double>& seconds) {
  std::string out;
  for (double s : seconds)
    absl::StrAppend(&out, out.empty() ? "" : ", ", static_cast<int>(s * 1e6), " us");
  return out;
}

absl::StatusOr<IdleSubscribers> OpenStuckSubscribers(const std::string& address) {
  IdleSubscribers stuck;
  for (int c = 0; c < kStuckConnections; ++c) {
    stuck.clients.push_back(SmallWindowClient(address, absl::StrCat("tenant", c % kStuckTenants)));
  }
  for (int i = 0; i < kStuckSubscribers; ++i) {
    SubscribeRequest request;
    request.set_tenant(
        absl::StrCat("tenant", i % kStuckTenants));  // connection i % 8 carries this tenant
    absl::StatusOr<std::unique_ptr<Subscription>> s =
        stuck.clients[i % kStuckConnections]->Subscribe(request);
    if (!s.ok()) return s.status();
    stuck.subscriptions.push_back(std::move(*s));
  }
  return stuck;
}

TEST(StuckSubscribersTest, CostNoServerCpuWhenIdleNorPerCommit) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      dir.path(),
      {absl::StrCat("--subscribers_per_tenant_max=", kStuckSubscribers / kStuckTenants)});
  ASSERT_TRUE(started.ok()) << started.status();
  const ServerProcess& server = **started;
  for (int t = 0; t < kStuckTenants; ++t) {
    ASSERT_TRUE(WriteEvents(server.address(), absl::StrCat("tenant", t), "backlog",
                            kStuckBacklogEvents, kBacklogWriters)
                    .ok());
  }
  std::vector<double> without_rounds;
  absl::StatusOr<double> without = CpuPerCommand(server, "tenant0", "without", &without_rounds);
  ASSERT_TRUE(without.ok()) << without.status();

  absl::StatusOr<IdleSubscribers> stuck = OpenStuckSubscribers(server.address());
  ASSERT_TRUE(stuck.ok()) << stuck.status();
  Settle(server.pid(), kStuckSettleMax);  // their first (stuck) messages are built
  const double idle_cores = CpuCoresOver(server.pid(), kStuckIdleWindow);
  std::cerr << "idle with " << kStuckSubscribers << " stuck subscribers: server CPU "
            << idle_cores * 100 << "% of a core over " << kStuckIdleWindow << "\n";
  EXPECT_LT(idle_cores, kStuckIdleCpuCoresMax) << "server CPU while idle, in cores";

  std::vector<double> with_rounds;
  absl::StatusOr<double> with = CpuPerCommand(server, "tenant0", "with", &with_rounds);
  ASSERT_TRUE(with.ok()) << with.status();
  std::cerr << "server CPU per command (rounds of " << kMeasuredCommands
            << " commands one at a time): " << Micros(without_rounds) << " without subscribers; "
            << Micros(with_rounds) << " with " << kStuckSubscribers << " stuck; best "
            << *with / *without << "x\n";
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_LE(*with, kPerCommandCpuFactorMax * *without + kSlackTicks * tick / kMeasuredCommands)
      << "stuck subscribers made every command cost the server more CPU";
  EXPECT_EQ(stuck->subscriptions.size(), static_cast<size_t>(kStuckSubscribers));
}

// Caught-up subscribers of a tenant that writes nothing must cost (next to)
// nothing per commit of another tenant: the hub reads each new position once
// for everyone, leaves them asleep, and sends each at most one checkpoint-only
// message per checkpoint interval (docs/API.md, Subscribe). Meanwhile the
// writing tenant's subscribers get every event exactly once, and a filtered
// subscriber of it that matches none of them still learns within about the
// interval that the log was considered up to the head.
//
// Before the one-read-per-commit hub, each quiet subscriber was woken, read
// the new positions itself and got a checkpoint-only message on (nearly)
// every commit: hundreds of messages each here.
constexpr int kQuietSubscribers = 1024;
constexpr int kQuietConnections = 8;
constexpr int kBusySubscribers = 4;
// Commands of the writing tenant, one at a time (one commit each).
constexpr int kBusyCommands = 300;
// As documented in docs/API.md (Subscribe): a caught-up subscriber gets a
// message without events at most once per this interval.
constexpr absl::Duration kCheckpointInterval = absl::Seconds(1);
// Allowed on top of the interval for a checkpoint to arrive (a loaded machine).
constexpr absl::Duration kCheckpointSlack = absl::Seconds(2);
// Messages one quiet subscriber may get while the other tenant writes for T:
// one per interval started, plus one.
int QuietMessagesMax(absl::Duration writing) {
  return static_cast<int>(std::ceil(absl::FDivDuration(writing, kCheckpointInterval))) + 2;
}

// Reads a Subscribe call on gRPC's callback threads, recording every message.
class CountingReader : public grpc::ClientReadReactor<SubscribeResponse> {
 public:
  struct Seen {
    int messages = 0;
    int empty_messages = 0;
    uint64_t checkpoint = 0;
    std::vector<v1::Event> events;
    absl::Time checkpoint_at = absl::InfinitePast();  // when `checkpoint` arrived
    int violations = 0;                               // order, duplicates, checkpoint going back
    bool done = false;
    grpc::Status status;
  };

  void Start(v1::LogService::Stub* stub, SubscribeRequest request) {
    request_ = std::move(request);
    stub->async()->Subscribe(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    {
      absl::MutexLock lock(&mu_);
      ++seen_.messages;
      if (response_.events_size() == 0) ++seen_.empty_messages;
      for (v1::Event& e : *response_.mutable_events()) {
        uint64_t last = seen_.events.empty() ? 0 : seen_.events.back().position();
        if (e.position() <= last || e.position() <= seen_.checkpoint ||
            e.position() > response_.checkpoint_position()) {
          ++seen_.violations;
        }
        seen_.events.push_back(std::move(e));
      }
      if (response_.checkpoint_position() < seen_.checkpoint) ++seen_.violations;
      if (response_.checkpoint_position() > seen_.checkpoint) seen_.checkpoint_at = absl::Now();
      seen_.checkpoint = std::max(seen_.checkpoint, response_.checkpoint_position());
    }
    response_.Clear();
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    seen_.done = true;
    seen_.status = status;
  }

  Seen seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  int messages() {
    absl::MutexLock lock(&mu_);
    return seen_.messages;
  }
  // Waits until the checkpoint reaches `position` (or the call ends); true if it did.
  bool AwaitCheckpoint(uint64_t position, absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, position]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return seen_.checkpoint >= position || seen_.done;
    };
    mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
    return seen_.checkpoint >= position;
  }
  // Cancels the call and waits for its end (the reactor may then go).
  void CancelAndWait() {
    context_.TryCancel();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&seen_.done));
  }

 private:
  grpc::ClientContext context_;
  SubscribeRequest request_;
  SubscribeResponse response_;
  absl::Mutex mu_;
  Seen seen_ ABSL_GUARDED_BY(mu_);
};

TEST(QuietSubscribersTest, GetACheckpointAtMostOncePerIntervalWhileAnotherTenantWrites) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      dir.path(), {absl::StrCat("--subscribers_per_tenant_max=", kQuietSubscribers),
                   absl::StrCat("--subscribers_max=", 2 * kQuietSubscribers)});
  ASSERT_TRUE(started.ok()) << started.status();
  const ServerProcess& server = **started;
  // One event of the quiet tenant, so that each of its subscribers gets a
  // first message (and is then caught up).
  ASSERT_TRUE(WriteEvents(server.address(), "quiet", "first", 1, 1).ok());
  const absl::Time setup_deadline = absl::Now() + absl::Seconds(60);

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::LogService::Stub>> stubs;
  for (int c = 0; c < kQuietConnections; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each
    channels.push_back(
        grpc::CreateCustomChannel(server.address(), grpc::InsecureChannelCredentials(), args));
    stubs.push_back(v1::LogService::NewStub(channels.back()));
  }
  std::vector<std::unique_ptr<CountingReader>> quiet;
  for (int i = 0; i < kQuietSubscribers; ++i) {
    SubscribeRequest request;
    request.set_tenant("quiet");
    quiet.push_back(std::make_unique<CountingReader>());
    quiet.back()->Start(stubs[i % kQuietConnections].get(), request);
  }
  std::vector<std::unique_ptr<CountingReader>> busy;
  for (int i = 0; i < kBusySubscribers; ++i) {
    SubscribeRequest request;
    request.set_tenant("busy");
    busy.push_back(std::make_unique<CountingReader>());
    busy.back()->Start(stubs[i % kQuietConnections].get(), request);
  }
  // A subscriber of the writing tenant that none of its events match.
  SubscribeRequest unmatched;
  unmatched.set_tenant("busy");
  unmatched.add_event_types("ChargeRecorded");
  auto filtered = std::make_unique<CountingReader>();
  filtered->Start(stubs[0].get(), unmatched);
  struct CancelAll {
    std::vector<CountingReader*> readers;
    ~CancelAll() {
      for (CountingReader* r : readers) r->CancelAndWait();
    }
  } cancel_all;
  for (auto& r : quiet) cancel_all.readers.push_back(r.get());
  for (auto& r : busy) cancel_all.readers.push_back(r.get());
  cancel_all.readers.push_back(filtered.get());
  // Every one of them has been served up to the head (position 1).
  for (CountingReader* r : cancel_all.readers) {
    ASSERT_TRUE(r->AwaitCheckpoint(1, setup_deadline))
        << "a subscriber never got its first message";
  }
  // Let any checkpoint owed from the setup go out, then count from here.
  absl::SleepFor(kCheckpointInterval + absl::Milliseconds(200));
  std::vector<int> quiet_before;
  for (auto& r : quiet) quiet_before.push_back(r->messages());

  const absl::Time write_start = absl::Now();
  ASSERT_TRUE(WriteEvents(server.address(), "busy", "busy", kBusyCommands, 1).ok());
  const absl::Time write_end = absl::Now();
  const absl::Duration writing = write_end - write_start;
  const uint64_t head = 1 + kBusyCommands;

  // The writing tenant's subscribers: every event exactly once, in order.
  absl::Duration busy_latency;
  for (auto& r : busy) {
    ASSERT_TRUE(r->AwaitCheckpoint(head, absl::Now() + absl::Seconds(20)));
    CountingReader::Seen seen = r->seen();
    busy_latency = std::max(busy_latency, seen.checkpoint_at - write_end);
    EXPECT_EQ(seen.violations, 0);
    ASSERT_EQ(seen.events.size(), static_cast<size_t>(kBusyCommands));
    for (int k = 0; k < kBusyCommands; ++k) {
      EXPECT_EQ(seen.events[k].position(), static_cast<uint64_t>(2 + k));
      EXPECT_EQ(seen.events[k].tenant(), "busy");
    }
  }
  // The filtered one learns that everything up to the head was considered,
  // within about the interval after the last commit.
  ASSERT_TRUE(filtered->AwaitCheckpoint(head, write_end + kCheckpointInterval + kCheckpointSlack))
      << "no checkpoint at the head within " << kCheckpointInterval + kCheckpointSlack
      << " of the last commit";
  CountingReader::Seen unmatched_seen = filtered->seen();
  EXPECT_TRUE(unmatched_seen.events.empty());
  EXPECT_EQ(unmatched_seen.violations, 0);
  const absl::Duration filtered_latency = unmatched_seen.checkpoint_at - write_end;

  // The quiet tenant's subscribers: their checkpoint reaches the head too,
  // but with a handful of messages each, not one per commit.
  int quiet_max = 0;
  int64_t quiet_total = 0;
  int quiet_at_head = 0;
  const absl::Time quiet_deadline = write_end + kCheckpointInterval + kCheckpointSlack;
  for (size_t i = 0; i < quiet.size(); ++i) {
    if (quiet[i]->AwaitCheckpoint(head, quiet_deadline)) ++quiet_at_head;
    CountingReader::Seen seen = quiet[i]->seen();
    EXPECT_TRUE(seen.events.size() == 1 && seen.violations == 0 && !seen.done)
        << "quiet subscriber " << i;
    const int during = seen.messages - quiet_before[i];
    quiet_max = std::max(quiet_max, during);
    quiet_total += during;
  }
  std::cerr << kBusyCommands << " commits in " << writing << "; " << kQuietSubscribers
            << " quiet subscribers got at most " << quiet_max << " messages each (mean "
            << static_cast<double>(quiet_total) / kQuietSubscribers << ", bound "
            << QuietMessagesMax(writing) << "); " << quiet_at_head
            << " had the head as checkpoint within " << kCheckpointInterval + kCheckpointSlack
            << " of the last commit; busy subscribers had the last event " << busy_latency
            << " after the last commit; the filtered one its checkpoint " << filtered_latency
            << " after\n";
  EXPECT_LE(quiet_max, QuietMessagesMax(writing))
      << "caught-up subscribers of a tenant with no new events "
         "got a message per commit";
  EXPECT_EQ(quiet_at_head, kQuietSubscribers) << "quiet subscribers were not told the head";
}

}  // namespace
}  // namespace rcl
