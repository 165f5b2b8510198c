// End-to-end tests of LogService.Subscribe against a real rcl-server process:
// catch-up from the log followed by live delivery while concurrent writers
// append, exactly once and in gapless position order, equal to ReadAll;
// filtered subscriptions; tenant isolation; a slow subscriber; and tenant
// validation.
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
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
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"
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
using ::rcl::v1::Event;
using ::rcl::v1::SubscribeRequest;
using ::rcl::v1::SubscribeResponse;

constexpr char kTenant[] = "acme";
constexpr char kOtherTenant[] = "globex";
constexpr int kWriters = 16;
constexpr int kCatchUpEvents = 5000;
constexpr int kLiveEvents = 5120;
constexpr int kChargesPerEncounter = 150;
// Longest wait for one subscription message.
constexpr absl::Duration kReadTimeout = absl::Seconds(20);
// The whole test body.
constexpr absl::Duration kTestBudget = absl::Seconds(90);
// The slow subscriber sleeps this long after each of its first messages.
constexpr absl::Duration kSlowDelay = absl::Milliseconds(40);
constexpr int kSlowMessages = 75;
constexpr int64_t kRssLimitBytes = int64_t{1} << 30;

// Appends exactly `events` events for writer `writer` of phase `phase`: a
// patient, then encounters "E-<writer>-<phase><k>" each opened, given a
// diagnosis and charged kChargesPerEncounter lines.
absl::Status WriteEvents(const std::string& address, const std::string& tenant,
                         const std::string& phase, int writer, int events) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address, ClientOptions(tenant));
  if (!client.ok()) return client.status();
  const std::string patient = absl::StrCat("P-", phase, "-", writer);
  int written = 0;
  int encounter = -1;
  int line = kChargesPerEncounter;  // forces a new encounter first
  std::string encounter_id;
  auto run = [&](const v1::Command& command) -> absl::Status {
    absl::StatusOr<v1::CommandResponse> r = (*client)->Execute(command, CommandOptions{});
    if (!r.ok()) return r.status();
    if (r->event_ids_size() != 1) return absl::InternalError("expected one event per command");
    ++written;
    return absl::OkStatus();
  };
  if (events <= 0) return absl::OkStatus();
  if (absl::Status s = run(RegisterPatientCommand(patient, "Doe", "Jane", "1980-04-01")); !s.ok())
    return s;
  while (written < events) {
    if (line >= kChargesPerEncounter) {
      ++encounter;
      line = 0;
      encounter_id = absl::StrCat("E-", writer, "-", phase, encounter);
      if (absl::Status s = run(WorkloadEncounterCommand(encounter_id, patient)); !s.ok()) return s;
      if (written < events) {
        if (absl::Status s = run(RecordDiagnosesCommand(encounter_id, {"E11.9"})); !s.ok())
          return s;
      }
      continue;
    }
    ++line;
    if (absl::Status s = run(RecordChargeCommand(encounter_id, line, 12'500 + line, {1})); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

// Runs kWriters concurrent writers appending `total` events altogether.
absl::Status WriteConcurrently(const std::string& address, const std::string& phase, int total) {
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    int share = total / kWriters + (w < total % kWriters ? 1 : 0);
    threads.emplace_back(
        [&, w, share] { results[w] = WriteEvents(address, kTenant, phase, w, share); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
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

// --- Reading a subscription with per-read deadlines -------------------------

// Drains a Subscription on a background thread into a queue so the test can
// wait for each message with a deadline. With `delay` > 0 the thread sleeps
// after each of its first `delayed_messages` messages before reading the next
// one (a slow consumer: once gRPC's flow-control windows are full the server
// has to hold back), then reads at full speed.
class SubscriptionReader {
 public:
  SubscriptionReader(std::unique_ptr<Subscription> subscription, absl::Duration delay,
                     int delayed_messages)
      : subscription_(std::move(subscription)), delay_(delay), delayed_messages_(delayed_messages) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SubscriptionReader() { Stop().IgnoreError(); }

  // The next message, waiting until `deadline`; nullopt when the deadline
  // passed or the call ended with nothing left to read.
  std::optional<SubscribeResponse> Next(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || ended_; };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    if (queue_.empty()) return std::nullopt;
    SubscribeResponse r = std::move(queue_.front());
    queue_.pop_front();
    return r;
  }

  bool ended() {
    absl::MutexLock lock(&mu_);
    return ended_ && queue_.empty();
  }

  // Cancels the call (if still running) and returns its final status.
  absl::Status Stop() {
    if (!thread_.joinable()) return final_;
    subscription_->Cancel();
    thread_.join();
    final_ = subscription_->Finish();
    return final_;
  }

 private:
  void Run() {
    SubscribeResponse r;
    while (subscription_->Next(&r)) {
      {
        absl::MutexLock lock(&mu_);
        queue_.push_back(std::move(r));
      }
      r.Clear();
      if (delayed_messages_ > 0 && !subscription_->cancelled()) {
        --delayed_messages_;
        absl::SleepFor(delay_);
      }
    }
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }

  std::unique_ptr<Subscription> subscription_;
  const absl::Duration delay_;
  int delayed_messages_;  // reader thread only
  absl::Mutex mu_;
  std::deque<SubscribeResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_;
  std::thread thread_;
};

// What one subscriber has received so far.
struct Received {
  explicit Received(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<Event> events;
  uint64_t checkpoint = 0;
  uint64_t last_position = 0;
  int messages = 0;
  int violations = 0;  // order/duplicate problems (reported individually up to a few)
};

void Complain(Received* got, const std::string& what) {
  if (++got->violations <= 5) ADD_FAILURE() << got->name << ": " << what;
}

// Consumes messages until the subscriber's checkpoint reaches `target`,
// checking order on the way. Returns false on timeout or end of the call.
bool ReadUntil(SubscriptionReader* reader, uint64_t target, absl::Time test_deadline,
               Received* got) {
  while (got->checkpoint < target) {
    absl::Time deadline = std::min(absl::Now() + kReadTimeout, test_deadline);
    std::optional<SubscribeResponse> m = reader->Next(deadline);
    if (!m.has_value()) {
      ADD_FAILURE() << got->name << ": no message before the deadline; checkpoint "
                    << got->checkpoint << ", waiting for " << target
                    << ", call ended: " << reader->ended();
      return false;
    }
    ++got->messages;
    if (m->checkpoint_position() < got->checkpoint) {
      Complain(got, absl::StrCat("checkpoint went back from ", got->checkpoint, " to ",
                                 m->checkpoint_position()));
    }
    if (m->checkpoint_position() > m->head_position()) {
      Complain(got, absl::StrCat("checkpoint ", m->checkpoint_position(), " is past the head ",
                                 m->head_position()));
    }
    for (Event& e : *m->mutable_events()) {
      if (e.position() <= got->last_position) {
        Complain(got, absl::StrCat("position ", e.position(), " after ", got->last_position,
                                   " (duplicate or out of order)"));
      }
      if (e.position() <= got->checkpoint) {
        Complain(got, absl::StrCat("position ", e.position(),
                                   " at or before the earlier checkpoint ", got->checkpoint));
      }
      if (e.position() > m->checkpoint_position()) {
        Complain(got, absl::StrCat("position ", e.position(), " past its message's checkpoint ",
                                   m->checkpoint_position()));
      }
      got->last_position = std::max(got->last_position, e.position());
      got->events.push_back(std::move(e));
    }
    got->checkpoint = std::max(got->checkpoint, m->checkpoint_position());
  }
  return true;
}

void ExpectSameEvent(const Event& got, const Event& want, const std::string& who) {
  EXPECT_EQ(got.position(), want.position()) << who;
  EXPECT_EQ(got.event_id(), want.event_id()) << who << " at " << want.position();
  EXPECT_EQ(got.hash(), want.hash()) << who << " at " << want.position();
  EXPECT_EQ(got.prev_hash(), want.prev_hash()) << who << " at " << want.position();
  EXPECT_EQ(got.tenant(), want.tenant()) << who << " at " << want.position();
  EXPECT_EQ(got.stream(), want.stream()) << who << " at " << want.position();
  EXPECT_EQ(got.version(), want.version()) << who << " at " << want.position();
  EXPECT_EQ(got.type(), want.type()) << who << " at " << want.position();
  EXPECT_EQ(got.payload(), want.payload()) << who << " at " << want.position();
  EXPECT_EQ(got.command_id(), want.command_id()) << who << " at " << want.position();
}

// Compares a filtered subscriber's events with the matching events of `all`.
void ExpectFiltered(const Received& got, const std::vector<Event>& all,
                    const std::function<bool(const Event&)>& matches) {
  std::vector<const Event*> want;
  for (const Event& e : all) {
    if (matches(e)) want.push_back(&e);
  }
  ASSERT_FALSE(want.empty()) << got.name << ": the workload should produce matching events";
  ASSERT_EQ(got.events.size(), want.size()) << got.name;
  int mismatches = 0;
  for (size_t i = 0; i < want.size() && mismatches < 5; ++i) {
    if (got.events[i].position() != want[i]->position() ||
        got.events[i].event_id() != want[i]->event_id() ||
        got.events[i].hash() != want[i]->hash()) {
      ++mismatches;
      ADD_FAILURE() << got.name << ": event #" << i << " is at position "
                    << got.events[i].position() << ", expected " << want[i]->position();
    }
  }
}

class SubscribeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    deadline_ = absl::Now() + kTestBudget;
    absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir_.path());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(server_->address(), ClientOptions(kTenant));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  std::unique_ptr<SubscriptionReader> Open(Client* client, SubscribeRequest request,
                                           absl::Duration delay = absl::ZeroDuration(),
                                           int delayed_messages = 0) {
    absl::StatusOr<std::unique_ptr<Subscription>> s = client->Subscribe(std::move(request));
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    return std::make_unique<SubscriptionReader>(std::move(*s), delay, delayed_messages);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
  absl::Time deadline_;
};

TEST_F(SubscribeTest, CatchUpThenLiveExactlyOnceInOrderAndFiltered) {
  // Memory of the server, sampled for the whole test.
  std::atomic<bool> stop_sampling{false};
  std::atomic<int64_t> max_rss{0};
  std::thread sampler([&] {
    while (!stop_sampling.load()) {
      max_rss.store(std::max(max_rss.load(), ResidentBytes(server_->pid())));
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  struct StopSampler {
    std::atomic<bool>* stop;
    std::thread* thread;
    ~StopSampler() {
      stop->store(true);
      thread->join();
    }
  } stop_sampler{&stop_sampling, &sampler};

  // 1. The catch-up part: written before anyone subscribes.
  const absl::Time start = absl::Now();
  ASSERT_TRUE(WriteConcurrently(server_->address(), "a", kCatchUpEvents).ok());
  const absl::Duration catch_up_time = absl::Now() - start;
  absl::StatusOr<v1::HeadResponse> head = client_->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(head->position(), static_cast<uint64_t>(kCatchUpEvents));

  // 2. Subscriptions from the start.
  absl::StatusOr<std::unique_ptr<Client>> other_client =
      Client::Connect(server_->address(), ClientOptions(kOtherTenant));
  ASSERT_TRUE(other_client.ok());
  SubscribeRequest all;
  std::unique_ptr<SubscriptionReader> main = Open(client_.get(), all);
  SubscribeRequest by_prefix;
  by_prefix.set_stream_prefix("encounter-E-1-");
  std::unique_ptr<SubscriptionReader> prefix = Open(client_.get(), by_prefix);
  SubscribeRequest by_type;
  by_type.add_event_types("ChargeRecorded");
  std::unique_ptr<SubscriptionReader> charges = Open(client_.get(), by_type);
  std::unique_ptr<SubscriptionReader> other = Open(other_client->get(), SubscribeRequest());
  // The slow subscriber has its own connection with small HTTP/2 windows, so
  // that the server really has to hold back instead of gRPC buffering it all.
  grpc::ChannelArguments small_windows;
  small_windows.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  small_windows.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
  std::unique_ptr<Client> slow_client = Client::FromChannel(
      grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(),
                                small_windows),
      ClientOptions(kTenant));
  std::unique_ptr<SubscriptionReader> slow =
      Open(slow_client.get(), all, kSlowDelay, kSlowMessages);
  ASSERT_TRUE(main && prefix && charges && other && slow);

  // The main subscription is running (it delivered its first message) before
  // the live writers start.
  Received got_main("all events");
  ASSERT_TRUE(ReadUntil(main.get(), 1, deadline_, &got_main));

  // 3. The live part, written while the subscriptions run.
  const absl::Time live_start = absl::Now();
  ASSERT_TRUE(WriteConcurrently(server_->address(), "b", kLiveEvents).ok());
  const absl::Duration live_time = absl::Now() - live_start;
  head = client_->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  const uint64_t n = head->position();
  ASSERT_EQ(n, static_cast<uint64_t>(kCatchUpEvents + kLiveEvents));

  Received got_prefix("prefix encounter-E-1-");
  Received got_charges("type ChargeRecorded");
  Received got_other("other tenant");
  Received got_slow("slow subscriber");
  ASSERT_TRUE(ReadUntil(main.get(), n, deadline_, &got_main));
  ASSERT_TRUE(ReadUntil(prefix.get(), n, deadline_, &got_prefix));
  ASSERT_TRUE(ReadUntil(charges.get(), n, deadline_, &got_charges));
  ASSERT_TRUE(ReadUntil(other.get(), n, deadline_, &got_other));
  ASSERT_TRUE(ReadUntil(slow.get(), n, deadline_, &got_slow));

  absl::StatusOr<std::vector<Event>> everything = ReadLogUpTo(client_.get(), n);
  ASSERT_TRUE(everything.ok()) << everything.status();
  ASSERT_EQ(everything->size(), n);

  // Every event exactly once, positions 1..n, equal to ReadAll.
  for (const Received* got : {&got_main, &got_slow}) {
    EXPECT_EQ(got->violations, 0) << got->name;
    ASSERT_EQ(got->events.size(), n) << got->name;
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_EQ(got->events[i].position(), i + 1) << got->name;
      ExpectSameEvent(got->events[i], (*everything)[i], got->name);
      if (i > 0) {
        ASSERT_EQ(got->events[i].prev_hash(), got->events[i - 1].hash()) << got->name;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(got_slow.messages, 1);
  std::cerr << "catch-up writes " << catch_up_time << ", live writes " << live_time
            << "; messages: all " << got_main.messages << ", slow " << got_slow.messages
            << ", prefix " << got_prefix.messages << ", type " << got_charges.messages << "\n";

  // Filtered subscribers: exactly the matching events, in order.
  EXPECT_EQ(got_prefix.violations, 0);
  ExpectFiltered(got_prefix, *everything,
                 [](const Event& e) { return absl::StartsWith(e.stream(), "encounter-E-1-"); });
  for (const Event& e : got_prefix.events) {
    ASSERT_TRUE(absl::StartsWith(e.stream(), "encounter-E-1-")) << e.stream();
  }
  EXPECT_EQ(got_charges.violations, 0);
  ExpectFiltered(got_charges, *everything,
                 [](const Event& e) { return e.type() == "ChargeRecorded"; });

  // Another tenant sees none of them, but is told how far the log was considered.
  EXPECT_EQ(got_other.violations, 0);
  EXPECT_TRUE(got_other.events.empty())
      << "first foreign event at " << got_other.events.front().position();

  // 4. The other tenant writes: only its own subscriber gets those events;
  // the first tenant's subscriber only sees its checkpoint move.
  ASSERT_TRUE(WriteEvents(server_->address(), kOtherTenant, "x", 0, 3).ok());
  ASSERT_TRUE(ReadUntil(other.get(), n + 3, deadline_, &got_other));
  ASSERT_EQ(got_other.events.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got_other.events[i].position(), n + 1 + i);
    EXPECT_EQ(got_other.events[i].tenant(), kOtherTenant);
  }
  ASSERT_TRUE(ReadUntil(main.get(), n + 3, deadline_, &got_main));
  EXPECT_EQ(got_main.events.size(), n)
      << "the first tenant's subscription got another tenant's event";
  EXPECT_EQ(got_main.checkpoint, n + 3);

  // The server's memory stayed bounded with a slow subscriber around.
  stop_sampling.store(true);
  EXPECT_GT(max_rss.load(), 0);
  EXPECT_LT(max_rss.load(), kRssLimitBytes)
      << "server VmRSS peaked at " << max_rss.load() << " bytes";

  // Cancelling ends each call with CANCELLED.
  for (SubscriptionReader* r : {main.get(), prefix.get(), charges.get(), other.get(), slow.get()}) {
    absl::Status s = r->Stop();
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  }
  EXPECT_LT(absl::Now(), deadline_) << "the test took longer than its budget";
}

TEST_F(SubscribeTest, FromAPositionStartsThere) {
  ASSERT_TRUE(WriteEvents(server_->address(), kTenant, "a", 0, 40).ok());
  SubscribeRequest request;
  request.set_from_position(25);
  std::unique_ptr<SubscriptionReader> reader = Open(client_.get(), request);
  ASSERT_NE(reader, nullptr);
  Received got("from 25");
  ASSERT_TRUE(ReadUntil(reader.get(), 40, deadline_, &got));
  ASSERT_EQ(got.events.size(), 16u);
  for (size_t i = 0; i < got.events.size(); ++i) EXPECT_EQ(got.events[i].position(), 25 + i);
  EXPECT_EQ(got.violations, 0);
}

TEST_F(SubscribeTest, TerminateEndsSubscriptionsAndExitsCleanly) {
  ASSERT_TRUE(WriteConcurrently(server_->address(), "a", 1000).ok());
  std::unique_ptr<SubscriptionReader> reader = Open(client_.get(), SubscribeRequest());
  ASSERT_NE(reader, nullptr);
  Received got("live");
  ASSERT_TRUE(ReadUntil(reader.get(), 1000, deadline_, &got));
  // A subscriber that never reads: its stream is stuck on flow control.
  grpc::ChannelArguments small_windows;
  small_windows.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  small_windows.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
  std::unique_ptr<Client> stuck_client = Client::FromChannel(
      grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(),
                                small_windows),
      ClientOptions(kTenant));
  absl::StatusOr<std::unique_ptr<Subscription>> stuck = stuck_client->Subscribe(SubscribeRequest());
  ASSERT_TRUE(stuck.ok()) << stuck.status();
  absl::SleepFor(absl::Milliseconds(300));

  absl::Time stop_start = absl::Now();
  absl::Status terminated = server_->Terminate();
  EXPECT_TRUE(terminated.ok()) << terminated;
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(15))
      << "SIGTERM took too long with a stuck subscriber";

  // The reading subscriber is told the server is going away.
  while (reader->Next(absl::Now() + kReadTimeout).has_value()) {
  }
  EXPECT_TRUE(reader->ended());
  absl::Status end = reader->Stop();
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  stuck->reset();

  // Nothing was lost or damaged.
  absl::StatusOr<std::unique_ptr<ServerProcess>> restarted = ServerProcess::Start(dir_.path());
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect((*restarted)->address(), ClientOptions(kTenant));
  ASSERT_TRUE(client.ok());
  absl::StatusOr<v1::VerifyResponse> verify = (*client)->Verify();
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_TRUE(verify->ok()) << verify->error();
  EXPECT_EQ(verify->to_position(), 1000u);
}

// DISABLED: server bug. Once a client has cancelled a Subscribe call, a
// SIGTERM while that client's connection is still open makes rcl-server wait
// the whole shutdown grace period (5 s) before it exits, although the
// subscription is long finished (its reactor got OnCancel, Finish, OnDone).
// Without the cancelled call (or once the client disconnects) it stops in a
// few milliseconds.
TEST_F(SubscribeTest, TerminateIsPromptAfterACancelledSubscription) {
  ASSERT_TRUE(WriteEvents(server_->address(), kTenant, "a", 0, 10).ok());
  std::unique_ptr<SubscriptionReader> reader = Open(client_.get(), SubscribeRequest());
  ASSERT_NE(reader, nullptr);
  Received got("cancelled");
  ASSERT_TRUE(ReadUntil(reader.get(), 10, deadline_, &got));
  EXPECT_EQ(reader->Stop().code(), absl::StatusCode::kCancelled);
  absl::SleepFor(absl::Milliseconds(200));

  absl::Time stop_start = absl::Now();
  absl::Status terminated = server_->Terminate();
  EXPECT_TRUE(terminated.ok()) << terminated;
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(3)) << "client_ is still connected";
}

TEST_F(SubscribeTest, InvalidTenantIsInvalidArgument) {
  for (const std::string& tenant :
       {std::string("not a tenant!"), std::string(65, 'a'), std::string("a/b")}) {
    SubscribeRequest request;
    request.set_tenant(tenant);
    std::unique_ptr<SubscriptionReader> reader = Open(client_.get(), request);
    ASSERT_NE(reader, nullptr);
    std::optional<SubscribeResponse> m = reader->Next(absl::Now() + kReadTimeout);
    EXPECT_FALSE(m.has_value()) << "tenant '" << tenant << "' got a message";
    EXPECT_TRUE(reader->ended()) << "tenant '" << tenant << "': the call did not end";
    absl::Status s = reader->Stop();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << tenant << ": " << s;
    bool names_tenant = false;
    for (const auto& [field, description] : client::FieldViolationsOf(s)) {
      names_tenant |= field == "tenant";
    }
    EXPECT_TRUE(names_tenant) << s;
  }
}

}  // namespace
}  // namespace rcl
