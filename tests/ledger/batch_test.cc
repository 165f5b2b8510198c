// Batches of commands through Ledger::SubmitBatch / ExecuteBatch: atomic
// batches are decided in order against the state the earlier commands
// produced and written in ONE WriteBatch, or not at all; non-atomic batches
// behave as if their commands were sent one by one, in order, and share the
// group commit.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/arena.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::kTenant;
using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenEncounterCommand;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::ReadLog;
using ::rcl::ledger::testing::RecordChargeCommand;
using ::rcl::ledger::testing::RecordDiagnosesCommand;
using ::rcl::ledger::testing::RegisterPatientCommand;
using ::rcl::ledger::testing::Request;
using ::rcl::ledger::testing::ScratchDir;
using ::testing::HasSubstr;

using Results = std::vector<absl::StatusOr<CommandResult>>;

// Each durable write's stats, in order (Options::after_write).
struct WriteLog {
  absl::Mutex mu;
  std::vector<WriteStats> writes ABSL_GUARDED_BY(mu);
  std::vector<WriteStats> Get() {
    absl::MutexLock lock(&mu);
    return writes;
  }
};

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    Ledger::Options options = LedgerOptions(dir_.path());
    options.after_write = [this](const WriteStats& s) {
      absl::MutexLock lock(&writes_.mu);
      writes_.writes.push_back(s);
    };
    ledger_ = OpenLedgerOrDie(std::move(options));
    ASSERT_NE(ledger_, nullptr);
  }
  // A patient's first visit: registration, encounter, diagnoses, one charge.
  static std::vector<CommandRequest> FirstVisit(const std::string& patient, bool with_ids) {
    std::vector<rcl::v1::Command> commands = {RegisterPatientCommand(patient),
                                              OpenEncounterCommand("E-" + patient, patient),
                                              RecordDiagnosesCommand("E-" + patient, {"J02.9"}),
                                              RecordChargeCommand("E-" + patient, 1, 12500)};
    std::vector<CommandRequest> out;
    for (size_t i = 0; i < commands.size(); ++i) {
      out.push_back(Request(commands[i], with_ids ? absl::StrCat(patient, "-cmd-", i) : ""));
    }
    return out;
  }
  uint64_t Head() { return ledger_->head().position; }

  ScratchDir dir_;
  WriteLog writes_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(BatchTest, AtomicBatchDecidesEachCommandOnTheStateTheEarlierOnesMade) {
  // The encounter needs the patient, the charge needs the encounter and its
  // diagnoses: all four arrive together and all are written.
  Results results = ledger_->ExecuteBatch(FirstVisit("P1", false), /*atomic=*/true);
  ASSERT_EQ(results.size(), 4u);
  uint64_t next = 1;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->position, next + r->event_ids.size() - 1) << "positions must be contiguous";
    next = r->position + 1;
  }
  EXPECT_EQ(ReadLog(ledger_->store()).size(), next - 1);
  EXPECT_EQ(Head(), next - 1);
}

TEST_F(BatchTest, AtomicBatchIsOneWriteBatchSoACrashKeepsAllOrNothing) {
  // Every event of the batch goes to the store in one write (one RocksDB
  // WriteBatch with one fsync): a kill -9 leaves either all of it or none.
  std::vector<CommandRequest> batch;
  for (int i = 0; i < 100; ++i)
    batch.push_back(Request(RegisterPatientCommand(absl::StrCat("P", i))));
  Results results = ledger_->ExecuteBatch(std::move(batch), /*atomic=*/true);
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status();
  std::vector<WriteStats> writes = writes_.Get();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].batches, 1u);
  EXPECT_EQ(writes[0].commands, 100u);
  EXPECT_EQ(writes[0].events, Head());
}

TEST_F(BatchTest, RefusedCommandInAnAtomicBatchWritesNothing) {
  std::vector<CommandRequest> batch = FirstVisit("P1", true);
  // The third command names an encounter nobody opened.
  batch[2] = Request(RecordDiagnosesCommand("E-nobody", {"J02.9"}), "P1-cmd-2");
  Results results = ledger_->ExecuteBatch(batch, /*atomic=*/true);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kFailedPrecondition)
      << results[2].status();
  for (size_t i : {0u, 1u, 3u}) {
    EXPECT_EQ(results[i].status().code(), absl::StatusCode::kAborted) << i;
    EXPECT_THAT(results[i].status().message(), HasSubstr("command 2 of the atomic batch"));
  }
  EXPECT_EQ(Head(), 0u);
  EXPECT_TRUE(ReadLog(ledger_->store()).empty());
  EXPECT_TRUE(writes_.Get().empty()) << "nothing may reach the store";

  // Nothing of it lingers: the same command ids are free, and the chain and
  // tenant tip continue from the last durable event.
  Results again = ledger_->ExecuteBatch(FirstVisit("P1", true), /*atomic=*/true);
  for (const auto& r : again) ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(again[0]->position, 1u);
  auto verified = ledger_->store().Verify(1, Head());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->error;
  auto tenant = ledger_->store().VerifyTenant(kTenant, 1, Head());
  ASSERT_TRUE(tenant.ok()) << tenant.status();
  EXPECT_TRUE(tenant->ok) << tenant->error;
  EXPECT_EQ(tenant->to_seq, Head());
}

TEST_F(BatchTest, ExpectedVersionInsideAnAtomicBatchSeesTheBatchsOwnEvents) {
  std::vector<CommandRequest> batch = {Request(RegisterPatientCommand("P1")),
                                       Request(OpenEncounterCommand("E1", "P1"))};
  batch[1].expected_version = -1;
  // Registering the same patient again "as new" must fail: the first command
  // of the batch created the stream.
  batch.push_back(Request(RegisterPatientCommand("P1")));
  batch[2].expected_version = -1;
  Results results = ledger_->ExecuteBatch(batch, /*atomic=*/true);
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(results[2].status().message(), HasSubstr("expected version -1"));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(BatchTest, ReplayingAnAtomicBatchReturnsTheSameResultsAndWritesNothingMore) {
  Results first = ledger_->ExecuteBatch(FirstVisit("P1", true), /*atomic=*/true);
  for (const auto& r : first) ASSERT_TRUE(r.ok()) << r.status();
  const uint64_t head = Head();
  Results replay = ledger_->ExecuteBatch(FirstVisit("P1", true), /*atomic=*/true);
  ASSERT_EQ(replay.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_TRUE(replay[i].ok()) << replay[i].status();
    EXPECT_EQ(replay[i]->position, first[i]->position);
    EXPECT_EQ(replay[i]->event_ids, first[i]->event_ids);
    EXPECT_EQ(replay[i]->command_id, first[i]->command_id);
  }
  EXPECT_EQ(Head(), head);
  // And after a restart, from the stored command records.
  ledger_.reset();
  Open();
  Results stored = ledger_->ExecuteBatch(FirstVisit("P1", true), /*atomic=*/true);
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_TRUE(stored[i].ok()) << stored[i].status();
    EXPECT_EQ(stored[i]->event_ids, first[i]->event_ids);
  }
  EXPECT_EQ(Head(), head);
}

TEST_F(BatchTest, InvalidCommandInAnAtomicBatchQueuesNone) {
  std::vector<CommandRequest> batch = FirstVisit("P1", false);
  batch[1].command->mutable_open_encounter()->set_patient_id("");
  Results results = ledger_->ExecuteBatch(batch, /*atomic=*/true);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(results[0].status().message(), HasSubstr("command 1 of the atomic batch is invalid"));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(BatchTest, NonAtomicCommandsSucceedOrFailOnTheirOwnInOneGroupCommit) {
  std::vector<CommandRequest> batch = {
      Request(RegisterPatientCommand("P1")),
      Request(RecordDiagnosesCommand("E-nobody", {"J02.9"})),  // refused: no encounter
      Request(OpenEncounterCommand("E1", "P1")),               // sees P1 from command 0
      Request(RegisterPatientCommand("P1")),                   // refused: expected version
  };
  batch[3].expected_version = -1;
  Results results = ledger_->ExecuteBatch(batch, /*atomic=*/false);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ(results[3].status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Head(), results[2]->position);
  std::vector<WriteStats> writes = writes_.Get();
  ASSERT_EQ(writes.size(), 1u) << "the batch's commands share one fsync";
  EXPECT_EQ(writes[0].commands, 2u);
}

TEST_F(BatchTest, InvalidCommandInANonAtomicBatchQueuesNone) {
  // Invalid input is the request's fault, not the state's: the batch is
  // refused whole, as the server refuses the call.
  std::vector<CommandRequest> batch = {Request(RegisterPatientCommand("P1")),
                                       Request(RegisterPatientCommand(""))};
  Results results = ledger_->ExecuteBatch(batch, /*atomic=*/false);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(results[0].status().message(), HasSubstr("command 1 of the batch is invalid"));
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Head(), 0u);
}

TEST_F(BatchTest, EmptyAndOversizedBatchesAreRefusedNamingTheLimit) {
  for (size_t n : {size_t{0}, kBatchCommandsMax + 1}) {
    std::vector<CommandRequest> batch(n, Request(RegisterPatientCommand("P1")));
    Results results = ledger_->ExecuteBatch(batch, /*atomic=*/true);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(results[0].status().message(), HasSubstr("1 to 1000 commands"));
  }
  EXPECT_EQ(Head(), 0u);
}

// A batch is queued whole, so one larger than the server's queue could never
// be admitted: it is refused as such, not as a full queue to retry.
TEST_F(BatchTest, ABatchLargerThanTheQueueIsRefusedNamingTheQueueBound) {
  ledger_.reset();
  Ledger::Options options = LedgerOptions(dir_.path());
  options.queue_max = 3;
  ledger_ = OpenLedgerOrDie(std::move(options));
  ASSERT_NE(ledger_, nullptr);
  for (bool atomic : {true, false}) {
    Results results = ledger_->ExecuteBatch(FirstVisit("P1", /*with_ids=*/false), atomic);
    ASSERT_EQ(results.size(), 4u);
    for (const auto& r : results) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(r.status().message(), HasSubstr("command queue (3, --queue-max)"));
    }
  }
  EXPECT_EQ(Head(), 0u);
  // Within the bound the same server takes a batch.
  std::vector<CommandRequest> three = FirstVisit("P2", /*with_ids=*/false);
  three.pop_back();
  for (const auto& r : ledger_->ExecuteBatch(three, /*atomic=*/true))
    EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Head(), 3u);
}

// Commands decoded onto one arena (as ExecuteBatch decodes a call) are
// charged the arena's memory against the queue's byte bound, each its
// share: a call whose arena is too large for the bound is refused whole.
TEST_F(BatchTest, CommandsOnAnArenaAreChargedTheirShareOfItAgainstTheQueueBytes) {
  ledger_.reset();
  Ledger::Options options = LedgerOptions(dir_.path());
  options.queue_bytes_max = 64 << 10;
  ledger_ = OpenLedgerOrDie(std::move(options));
  ASSERT_NE(ledger_, nullptr);
  auto held = [](std::vector<CommandRequest> requests, size_t share) {
    auto arena = std::make_shared<google::protobuf::Arena>();
    for (CommandRequest& r : requests) {
      auto* command = google::protobuf::Arena::CreateMessage<rcl::v1::Command>(arena.get());
      *command = *r.command;
      r.command = HeldCommand(arena, command, share);
    }
    return requests;
  };
  // Four shares of 32 KiB: 128 KiB, over the bound.
  for (const auto& r : ledger_->ExecuteBatch(held(FirstVisit("P1", false), 32 << 10), false)) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("hold too much memory"));
  }
  EXPECT_EQ(Head(), 0u);
  // The same commands with 4 KiB shares are taken, and their charge is
  // given back once they are answered: the next call is taken too.
  for (const char* patient : {"P1", "P2"}) {
    for (const auto& r : ledger_->ExecuteBatch(held(FirstVisit(patient, false), 4 << 10), false))
      EXPECT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(Head(), 8u);
}

// AfterThisBatch: what a callback defers runs once every callback of its
// batch has run, in the order deferred, on the completer thread (how
// CommandStream sends a group commit's answers in one message).
TEST_F(BatchTest, WhatACallbackDefersRunsAfterEveryCallbackOfItsBatch) {
  absl::Mutex mu;
  std::vector<std::string> order;
  absl::Notification done;
  auto note = [&](std::string what) {
    absl::MutexLock lock(&mu);
    order.push_back(std::move(what));
  };
  std::vector<CommandRequest> batch = FirstVisit("P1", false);
  std::vector<CommandCallback> callbacks;
  for (size_t i = 0; i < batch.size(); ++i) {
    callbacks.push_back([&, i](absl::StatusOr<CommandResult> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      note(absl::StrCat("answer ", i));
      if (i % 2 == 0) {
        ledger_->AfterThisBatch([&, i] {
          note(absl::StrCat("after ", i));
          if (i == 2) done.Notify();
        });
      }
    });
  }
  // Atomic: the four commands are one batch of the ledger's.
  for (const absl::Status& s : ledger_->SubmitBatch(std::move(batch), std::move(callbacks), true)) {
    ASSERT_TRUE(s.ok()) << s;
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ::testing::ElementsAre("answer 0", "answer 1", "answer 2", "answer 3",
                                            "after 0", "after 2"));
}

TEST(BatchDeathTest, AfterThisBatchOutsideACallbackAborts) {
  ScratchDir dir;
  std::unique_ptr<Ledger> ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  EXPECT_DEATH(ledger->AfterThisBatch([] {}), "outside this ledger's completion callbacks");
}

}  // namespace
}  // namespace rcl::ledger
