// Durability of acknowledged commands across crashes of a real rcl-server:
// writers issue commands with client-chosen command ids as fast as they can,
// the server is killed with SIGKILL (or stopped with SIGTERM) mid-traffic,
// and after a restart on the same data directory every acknowledged command
// must still be there (same positions, versions and event ids), re-sending
// it must return the identical response, the hash chain must verify and the
// log must be gapless.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl {
namespace {

using ::rcl::client::Client;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;
using namespace ::rcl::testing::workload;  // NOLINT: workload helpers
using ::rcl::v1::CommandResponse;
using ::rcl::v1::Event;

constexpr char kTenant[] = "acme";
constexpr int kWriters = 8;
constexpr int kChargesPerEncounter = 60;
constexpr int kResendThreads = 8;

// A command and the response that acknowledged it.
struct Acked {
  v1::Command command;
  CommandResponse response;
};

// kWriters threads, each issuing its own sequence of commands with ids
// "<tag>-<writer>-<seq>" back to back until the first error. Errors after
// ExpectErrors() are the expected consequence of stopping the server; the
// command that failed then has an unknown outcome.
class Traffic {
 public:
  Traffic(std::string address, std::string tag)
      : address_(std::move(address)), tag_(std::move(tag)) {}
  ~Traffic() { Join(); }

  void Start() {
    for (int w = 0; w < kWriters; ++w) threads_.emplace_back([this, w] { Run(w); });
  }
  void ExpectErrors() { errors_expected_.store(true); }
  void Join() {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  size_t acked_count() {
    absl::MutexLock lock(&mu_);
    return acked_.size();
  }

  // After Join().
  const std::map<std::string, Acked>& acked() const { return acked_; }
  const std::map<std::string, v1::Command>& unknown() const { return unknown_; }
  const std::vector<std::string>& unexpected_errors() const { return unexpected_errors_; }

 private:
  void Run(int writer) {
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(address_, ClientOptions(kTenant));
    if (!client.ok()) {
      absl::MutexLock lock(&mu_);
      unexpected_errors_.push_back(client.status().ToString());
      return;
    }
    const std::string patient = absl::StrCat("P-", tag_, "-", writer);
    int seq = 0;
    auto send = [&](const v1::Command& command) -> bool {
      std::string id = absl::StrCat(tag_, "-", writer, "-", seq++);
      absl::StatusOr<CommandResponse> r = (*client)->Execute(command, WithCommandId(id));
      absl::MutexLock lock(&mu_);
      if (r.ok()) {
        acked_.emplace(id, Acked{command, *std::move(r)});
        return true;
      }
      if (errors_expected_.load()) {
        unknown_.emplace(id, command);
      } else {
        unexpected_errors_.push_back(absl::StrCat(id, ": ", r.status().ToString()));
      }
      return false;
    };
    if (!send(RegisterPatientCommand(patient, "Roe", "Richard", "1975-06-30"))) return;
    for (int encounter = 0;; ++encounter) {
      std::string encounter_id = absl::StrCat("E-", tag_, "-", writer, "-", encounter);
      if (!send(WorkloadEncounterCommand(encounter_id, patient))) return;
      if (!send(RecordDiagnosesCommand(encounter_id, {"E11.9", "I10"}))) return;
      for (int line = 1; line <= kChargesPerEncounter; ++line) {
        if (!send(RecordChargeCommand(encounter_id, line, 10'000 + line, {1 + line % 2}))) return;
      }
    }
  }

  const std::string address_;
  const std::string tag_;
  std::atomic<bool> errors_expected_{false};
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::map<std::string, Acked> acked_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Command> unknown_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> unexpected_errors_ ABSL_GUARDED_BY(mu_);
};

std::string Describe(const CommandResponse& r) {
  std::string ids;
  for (const std::string& id : r.event_ids()) absl::StrAppend(&ids, ids.empty() ? "" : ",", id);
  return absl::StrCat("{position ", r.position(), ", stream ", r.stream(), ", version ",
                      r.stream_version(), ", events [", ids, "], command_id ", r.command_id(), "}");
}

bool SameResponse(const CommandResponse& a, const CommandResponse& b) {
  return a.position() == b.position() && a.stream() == b.stream() &&
         a.stream_version() == b.stream_version() &&
         std::equal(a.event_ids().begin(), a.event_ids().end(), b.event_ids().begin(),
                    b.event_ids().end()) &&
         a.command_id() == b.command_id();
}

// Connects, waiting (bounded) for the channel to the restarted server to be
// ready.
absl::StatusOr<std::unique_ptr<Client>> ConnectReady(const std::string& address) {
  return Client::Connect(address, ClientOptions(kTenant, 10'000));
}

// Sends every command of `commands` (id -> command) again with the same id
// from several threads; returns id -> response (or status).
std::map<std::string, absl::StatusOr<CommandResponse>> Resend(
    const std::string& address, const std::vector<std::pair<std::string, v1::Command>>& commands) {
  std::vector<absl::StatusOr<CommandResponse>> results(commands.size(),
                                                       absl::UnknownError("not sent"));
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kResendThreads; ++t) {
    threads.emplace_back([&] {
      absl::StatusOr<std::unique_ptr<Client>> client =
          Client::Connect(address, ClientOptions(kTenant));
      for (size_t i = next++; i < commands.size(); i = next++) {
        if (!client.ok()) {
          results[i] = client.status();
          continue;
        }
        results[i] = (*client)->Execute(commands[i].second, WithCommandId(commands[i].first));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::map<std::string, absl::StatusOr<CommandResponse>> out;
  for (size_t i = 0; i < commands.size(); ++i) {
    out.emplace(commands[i].first, std::move(results[i]));
  }
  return out;
}

// Checks, against the server at `address` (just restarted on the data
// directory), every acknowledged command and the log as a whole; then
// re-sends the commands whose outcome was unknown, counting in
// `unknown_committed` those that had been committed.
void VerifyAfterRestart(const std::string& address, const std::map<std::string, Acked>& acked,
                        const std::map<std::string, v1::Command>& unknown, int* unknown_committed) {
  *unknown_committed = 0;
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectReady(address);
  ASSERT_TRUE(client.ok()) << client.status();

  absl::StatusOr<v1::HeadResponse> head = (*client)->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  uint64_t max_acked = 0;
  for (const auto& [id, a] : acked) max_acked = std::max(max_acked, a.response.position());
  ASSERT_GE(head->position(), max_acked) << "acknowledged events are missing after the restart";

  // The hash chain over the whole log.
  absl::StatusOr<v1::VerifyResponse> verify = (*client)->Verify();
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_TRUE(verify->ok()) << "first bad position " << verify->first_bad_position() << ": "
                            << verify->error();
  EXPECT_EQ(verify->to_position(), head->position());
  EXPECT_EQ(verify->events_checked(), head->position());
  EXPECT_EQ(verify->hash_at_to(), head->hash());

  // Gapless: positions 1..head, nothing else.
  absl::StatusOr<std::vector<Event>> log = ReadLogUpTo(client->get());
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), head->position());
  for (size_t i = 0; i < log->size(); ++i) {
    ASSERT_EQ((*log)[i].position(), i + 1) << "gap or duplicate in the log";
    if (i > 0) {
      ASSERT_EQ((*log)[i].prev_hash(), (*log)[i - 1].hash()) << "at " << i + 1;
    }
  }
  std::map<std::string, const Event*> by_event_id;
  std::map<std::string, std::vector<const Event*>> by_command_id;
  for (const Event& e : *log) {
    EXPECT_TRUE(by_event_id.emplace(e.event_id(), &e).second)
        << "duplicate event id " << e.event_id();
    by_command_id[e.command_id()].push_back(&e);
  }

  // Each acknowledged command: its events in its stream at the acknowledged
  // versions and positions.
  std::map<std::string, std::vector<Event>> streams;
  int failures = 0;
  for (const auto& [id, a] : acked) {
    if (failures >= 10) break;
    const CommandResponse& r = a.response;
    if (!streams.contains(r.stream())) {
      absl::StatusOr<std::vector<Event>> events = (*client)->ReadWholeStream(r.stream());
      ASSERT_TRUE(events.ok()) << events.status();
      streams[r.stream()] = *std::move(events);
    }
    const std::vector<Event>& stream = streams[r.stream()];
    bool ok = r.command_id() == id && r.event_ids_size() == 1 && r.stream_version() < stream.size();
    if (ok) {
      const Event& e = stream[r.stream_version()];
      ok = e.version() == r.stream_version() && e.event_id() == r.event_ids(0) &&
           e.position() == r.position() && e.command_id() == id;
    }
    auto in_log = by_command_id.find(id);
    ok = ok && in_log != by_command_id.end() && in_log->second.size() == 1 &&
         in_log->second[0]->event_id() == r.event_ids(0);
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "acknowledged command " << id << " " << Describe(r) << " is not in stream "
                    << r.stream() << " as acknowledged (stream has " << stream.size() << " events)";
    }
  }
  ASSERT_EQ(failures, 0);

  // Idempotency survived: the same command with the same id gets the same
  // response, and nothing new is appended.
  std::vector<std::pair<std::string, v1::Command>> again;
  for (const auto& [id, a] : acked) again.emplace_back(id, a.command);
  std::map<std::string, absl::StatusOr<CommandResponse>> replies = Resend(address, again);
  for (const auto& [id, reply] : replies) {
    if (failures >= 10) break;
    const CommandResponse& original = acked.at(id).response;
    if (!reply.ok() || !SameResponse(*reply, original)) {
      ++failures;
      ADD_FAILURE() << "re-sent " << id << ": got "
                    << (reply.ok() ? Describe(*reply) : reply.status().ToString())
                    << ", acknowledged " << Describe(original);
    }
  }
  ASSERT_EQ(failures, 0);
  absl::StatusOr<v1::HeadResponse> head_after = (*client)->Head();
  ASSERT_TRUE(head_after.ok());
  EXPECT_EQ(head_after->position(), head->position())
      << "re-sending acknowledged commands appended events";

  // Commands in flight when the server died either made it entirely (then
  // re-sending returns what was recorded) or not at all (then re-sending
  // executes them now); either way they succeed.
  std::vector<std::pair<std::string, v1::Command>> pending(unknown.begin(), unknown.end());
  std::map<std::string, absl::StatusOr<CommandResponse>> outcomes = Resend(address, pending);
  for (const auto& [id, outcome] : outcomes) {
    ASSERT_TRUE(outcome.ok()) << "command " << id
                              << " in flight at the crash: " << outcome.status();
    auto in_log = by_command_id.find(id);
    if (in_log == by_command_id.end()) {
      EXPECT_GT(outcome->position(), head->position())
          << id << " was not in the log but got an old position";
      continue;
    }
    ++*unknown_committed;
    ASSERT_EQ(in_log->second.size(), 1u) << id;
    EXPECT_EQ(outcome->position(), in_log->second[0]->position()) << id;
    ASSERT_EQ(outcome->event_ids_size(), 1) << id;
    EXPECT_EQ(outcome->event_ids(0), in_log->second[0]->event_id()) << id;
  }
}

// Runs traffic for `traffic_time`, stops the server with `stop` while it
// runs, and returns the traffic (joined).
std::unique_ptr<Traffic> RunAndStop(ServerProcess* server, const std::string& tag,
                                    absl::Duration traffic_time,
                                    const std::function<void()>& stop) {
  auto traffic = std::make_unique<Traffic>(server->address(), tag);
  traffic->Start();
  absl::SleepFor(traffic_time);
  size_t before = traffic->acked_count();
  traffic->ExpectErrors();
  stop();
  traffic->Join();
  EXPECT_GT(before, 0u) << "no command was acknowledged before the stop";
  for (const std::string& e : traffic->unexpected_errors()) {
    ADD_FAILURE() << "error before the stop: " << e;
  }
  return traffic;
}

TEST(CrashTest, AcknowledgedCommandsSurviveKill9) {
  const absl::Time start = absl::Now();
  TempDir dir;
  std::map<std::string, Acked> all_acked;
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir.path());
  ASSERT_TRUE(server.ok()) << server.status();
  for (int cycle = 0; cycle < 3; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    ServerProcess* running = server->get();
    std::unique_ptr<Traffic> traffic =
        RunAndStop(running, absl::StrCat("k", cycle), absl::Milliseconds(1000 + 300 * cycle),
                   [running] { running->Kill9(); });
    ASSERT_FALSE(HasFailure());
    EXPECT_FALSE(running->running());
    for (const auto& [id, a] : traffic->acked()) all_acked.emplace(id, a);

    server = ServerProcess::Start(dir.path());
    ASSERT_TRUE(server.ok()) << server.status();
    int committed = 0;
    VerifyAfterRestart((*server)->address(), all_acked, traffic->unknown(), &committed);
    ASSERT_FALSE(HasFailure());
    std::cerr << "cycle " << cycle << ": " << traffic->acked().size() << " acknowledged, "
              << traffic->unknown().size() << " in flight at the kill (" << committed
              << " of them committed); " << all_acked.size() << " checked in total\n";
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
}

TEST(CrashTest, GracefulTerminateKeepsAcknowledgedCommands) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir.path());
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess* running = server->get();
  absl::Status terminated;
  std::unique_ptr<Traffic> traffic = RunAndStop(running, "t", absl::Milliseconds(1000),
                                                [&] { terminated = running->Terminate(); });
  EXPECT_TRUE(terminated.ok()) << "SIGTERM during traffic: " << terminated;
  ASSERT_FALSE(HasFailure());

  server = ServerProcess::Start(dir.path());
  ASSERT_TRUE(server.ok()) << server.status();
  int committed = 0;
  VerifyAfterRestart((*server)->address(), traffic->acked(), traffic->unknown(), &committed);
  // A clean stop leaves nothing in between: a command the server answered
  // with an error was not recorded.
  EXPECT_EQ(committed, 0)
      << "commands answered with an error during the graceful stop were recorded";
  std::cerr << "graceful: " << traffic->acked().size() << " acknowledged, "
            << traffic->unknown().size() << " refused at the stop\n";
}

}  // namespace
}  // namespace rcl
