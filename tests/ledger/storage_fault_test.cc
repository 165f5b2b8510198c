// The ledger under storage faults, injected by a RocksDB FileSystem
// (tests/testing/fault_fs.h): a failed fsync is never acknowledged and leaves
// the ledger read-only until it is reopened, which then holds every
// acknowledged command and, when the unsynced bytes are lost, nothing else; a
// torn WAL write leaves nothing partial; a full disk answers UNAVAILABLE,
// writes nothing, and writes resume by themselves once space is freed.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "rocksdb/env.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::ReadLog;
using ::rcl::ledger::testing::RegisterPatientCommand;
using ::rcl::ledger::testing::Request;
using ::rcl::ledger::testing::ScratchDir;
using ::rcl::testing::FaultFs;

// A data directory whose file system injects faults on command.
struct FaultyDisk {
  ScratchDir dir{"rcl-fault-test"};
  std::shared_ptr<FaultFs> fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);

  std::unique_ptr<Ledger> Open() {
    Ledger::Options options = LedgerOptions(dir.path());
    options.env = env.get();
    return OpenLedgerOrDie(std::move(options));
  }
};

absl::StatusOr<CommandResult> Register(Ledger& ledger, const std::string& patient) {
  return ledger.Execute(Request(RegisterPatientCommand(patient), "reg-" + patient));
}

// Command id -> the positions of its events, over the whole log.
std::map<std::string, std::vector<uint64_t>> PositionsByCommand(const EventStore& store) {
  std::map<std::string, std::vector<uint64_t>> out;
  for (const EventRecord& e : ReadLog(store)) out[e.command_id].push_back(e.position);
  return out;
}

void ExpectChainVerifies(const EventStore& store) {
  absl::StatusOr<LogHead> head = store.ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  if (head->position == 0) return;
  absl::StatusOr<VerifyResult> v = store.Verify(1, head->position);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->error;
}

// Acknowledged commands reg-P1..reg-P<n>, checked.
std::map<std::string, uint64_t> RegisterAcked(Ledger& ledger, int n) {
  std::map<std::string, uint64_t> acked;
  for (int i = 1; i <= n; ++i) {
    absl::StatusOr<CommandResult> r = Register(ledger, absl::StrCat("P", i));
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) acked[absl::StrCat("reg-P", i)] = r->position;
  }
  return acked;
}

struct FsyncCase {
  const char* name;
  bool power_lost;  // the bytes of the failed fsync are gone after the restart
};

// What ctest shows beside the case's name: the case, not the struct's bytes.
void PrintTo(const FsyncCase& c, std::ostream* os) { *os << c.name; }

class FailedFsyncTest : public ::testing::TestWithParam<FsyncCase> {};

TEST_P(FailedFsyncTest, IsNeverAcknowledgedAndTheLedgerStaysReadOnlyUntilReopened) {
  FaultyDisk disk;
  std::map<std::string, uint64_t> acked;
  {
    std::unique_ptr<Ledger> ledger = disk.Open();
    ASSERT_NE(ledger, nullptr);
    acked = RegisterAcked(*ledger, 5);
    const uint64_t head = ledger->head().position;
    disk.fs->FailSyncs(1);
    absl::StatusOr<CommandResult> failed = Register(*ledger, "P6");
    ASSERT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
    EXPECT_TRUE(absl::StrContains(failed.status().message(), "may not have been recorded"))
        << failed.status();
    EXPECT_EQ(disk.fs->failed_syncs(), 1);
    // Read-only from now on, even though the next fsync would work.
    absl::StatusOr<CommandResult> refused = Register(*ledger, "P7");
    ASSERT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "restart")) << refused.status();
    EXPECT_EQ(ledger->head().position, head) << "the head moved past a failed fsync";
    EXPECT_TRUE(ledger->store().ReadEvent(head).ok()) << "reads stop working";
  }
  if (GetParam().power_lost) {
    EXPECT_GT(disk.fs->DropUnsyncedData(), 0u);
  }
  std::unique_ptr<Ledger> reopened = disk.Open();
  ASSERT_NE(reopened, nullptr);
  std::map<std::string, std::vector<uint64_t>> logged = PositionsByCommand(reopened->store());
  for (const auto& [id, position] : acked) {
    ASSERT_TRUE(logged.contains(id)) << id << " was acknowledged and is lost";
    EXPECT_EQ(logged[id].back(), position) << id;
  }
  EXPECT_FALSE(logged.contains("reg-P7")) << "a refused command was written";
  if (GetParam().power_lost) {
    EXPECT_FALSE(logged.contains("reg-P6")) << "an unacknowledged command survived";
    EXPECT_EQ(logged.size(), acked.size());
  }
  ExpectChainVerifies(reopened->store());
  // The same command id again: written once (now, or found whole from before).
  absl::StatusOr<CommandResult> retried = Register(*reopened, "P6");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(PositionsByCommand(reopened->store())["reg-P6"].size(), retried->event_ids.size());
}

INSTANTIATE_TEST_SUITE_P(Storage, FailedFsyncTest,
                         ::testing::Values(FsyncCase{"PowerLostTheUnsyncedBytes", true},
                                           FsyncCase{"UnsyncedBytesReachedTheDisk", false}),
                         [](const ::testing::TestParamInfo<FsyncCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(TornWalWriteTest, FailsTheWholeBatchAndLeavesNothingPartialAfterReopen) {
  FaultyDisk disk;
  std::map<std::string, uint64_t> acked;
  {
    std::unique_ptr<Ledger> ledger = disk.Open();
    ASSERT_NE(ledger, nullptr);
    acked = RegisterAcked(*ledger, 3);
    disk.fs->TearNextWalAppend();
    // Several commands, answered together: one batch, one torn WAL record.
    absl::Mutex mu;
    std::vector<absl::Status> answers;
    for (int i = 0; i < 8; ++i) {
      absl::Status queued = ledger->Submit(
          Request(RegisterPatientCommand(absl::StrCat("T", i)), absl::StrCat("reg-T", i)),
          [&](absl::StatusOr<CommandResult> r) {
            absl::MutexLock lock(&mu);
            answers.push_back(r.status());
          });
      if (!queued.ok()) {
        absl::MutexLock lock(&mu);
        answers.push_back(queued);
      }
    }
    absl::MutexLock lock(&mu);
    auto all = [&] { return answers.size() == 8; };
    mu.Await(absl::Condition(&all));
    for (const absl::Status& s : answers) EXPECT_TRUE(absl::IsUnavailable(s)) << s;
    EXPECT_EQ(disk.fs->torn_appends(), 1);
  }
  std::unique_ptr<Ledger> reopened = disk.Open();
  ASSERT_NE(reopened, nullptr);
  std::map<std::string, std::vector<uint64_t>> logged = PositionsByCommand(reopened->store());
  EXPECT_EQ(logged.size(), acked.size()) << "a command of the torn batch is in the log";
  for (const auto& [id, position] : acked) EXPECT_EQ(logged[id].back(), position) << id;
  ExpectChainVerifies(reopened->store());
  absl::StatusOr<CommandResult> after = Register(*reopened, "T0");
  EXPECT_TRUE(after.ok()) << after.status();
}

// Retries `patient`'s registration until it is written or `limit` passes.
absl::StatusOr<CommandResult> RegisterWhenPossible(Ledger& ledger, const std::string& patient,
                                                   std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    absl::StatusOr<CommandResult> r = Register(ledger, patient);
    if (r.ok() || !absl::IsUnavailable(r.status()) || std::chrono::steady_clock::now() > deadline)
      return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST(FullDiskTest, AnswersUnavailableWritesNothingAndResumesByItselfOnceSpaceIsFreed) {
  FaultyDisk disk;
  std::unique_ptr<Ledger> ledger = disk.Open();
  ASSERT_NE(ledger, nullptr);
  std::map<std::string, uint64_t> acked = RegisterAcked(*ledger, 3);
  const uint64_t head = ledger->head().position;
  disk.fs->SetFull(true);
  absl::StatusOr<CommandResult> failed = Register(*ledger, "F1");
  ASSERT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "disk is full")) << failed.status();
  // Still full a few retry intervals later: still refused, still nothing written.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  absl::StatusOr<CommandResult> refused = Register(*ledger, "F2");
  ASSERT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "disk is full")) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "resume by themselves"))
      << refused.status();
  EXPECT_EQ(ledger->head().position, head);
  EXPECT_GT(disk.fs->failed_appends(), 0);

  disk.fs->SetFull(false);
  const auto freed = std::chrono::steady_clock::now();
  absl::StatusOr<CommandResult> resumed =
      RegisterWhenPossible(*ledger, "F2", std::chrono::seconds(60));
  ASSERT_TRUE(resumed.ok()) << "writes did not resume: " << resumed.status();
  std::cout << "writes resumed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - freed)
                   .count()
            << " ms after space was freed\n";
  EXPECT_EQ(resumed->position, head + 1) << "the resumed log has a gap or a leftover";
  // The refused command, sent again with its id, is written exactly once.
  absl::StatusOr<CommandResult> retried = Register(*ledger, "F1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  absl::StatusOr<CommandResult> again = Register(*ledger, "F1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position, retried->position);
  ExpectChainVerifies(ledger->store());
  ledger.reset();

  std::unique_ptr<Ledger> reopened = disk.Open();
  ASSERT_NE(reopened, nullptr);
  std::map<std::string, std::vector<uint64_t>> logged = PositionsByCommand(reopened->store());
  acked["reg-F1"] = retried->position;
  acked["reg-F2"] = resumed->position;
  EXPECT_EQ(logged.size(), acked.size());
  for (const auto& [id, position] : acked) {
    ASSERT_TRUE(logged.contains(id)) << id << " was acknowledged and is lost";
    EXPECT_EQ(logged[id].size(), 1u) << id;
    EXPECT_EQ(logged[id].back(), position) << id;
  }
  ExpectChainVerifies(reopened->store());
}

}  // namespace
}  // namespace rcl::ledger
