// The free-space reserve (ledger/storage/disk_space.h) and the ledger
// refusing writes below it: a write that would leave less than the reserve
// free is refused before RocksDB sees it, the probe is cheap (at most one per
// interval while the headroom is large), a batch can never take the disk
// below the reserve, and the ledger resumes by itself once space is back.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/storage/disk_space.h"
#include "rocksdb/env.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::RegisterPatientCommand;
using ::rcl::ledger::testing::Request;
using ::rcl::ledger::testing::ScratchDir;
using ::rcl::testing::FaultFs;

constexpr uint64_t kReserve = 64 * kMiB;

// A file system whose free space the test sets, and a clock it moves.
struct FakeDisk {
  std::atomic<uint64_t> free{kReserve * 4};
  std::atomic<bool> broken{false};
  absl::Time now = absl::FromUnixSeconds(1'000'000);

  DiskReserve::Options Options() {
    return {.path = "/unused",
            .reserve_bytes = kReserve,
            .probe = [this]() -> absl::StatusOr<uint64_t> {
              if (broken.load()) return absl::UnavailableError("cannot tell");
              return free.load();
            },
            .now = [this] { return now; },
            .writer = "test"};
  }
};

TEST(DiskReserveTest, AdmitsAWriteThatLeavesTheReserveAndRefusesOneThatWouldNot) {
  FakeDisk disk;
  disk.free = kReserve + 10 * kMiB;
  DiskReserve reserve(disk.Options());
  EXPECT_TRUE(reserve.Admit(kMiB).ok());
  disk.free -= kMiB * kDiskBytesPerByteWritten;  // its WAL record and table file
  // 4 MiB more would cost 8 MiB of disk, more than the 8 MiB left above the
  // reserve.
  absl::Status refused = reserve.Admit(4 * kMiB + 1);
  ASSERT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "disk is full")) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "72.0 MiB free, 64.0 MiB kept in reserve"))
      << refused;
  EXPECT_TRUE(reserve.Admit(kMiB).ok()) << "a smaller write still fits";
}

TEST(DiskReserveTest, RefusesEveryWriteWhileLessThanTheReserveIsFree) {
  FakeDisk disk;
  disk.free = kReserve - 1;
  DiskReserve reserve(disk.Options());
  EXPECT_TRUE(absl::IsResourceExhausted(reserve.Admit(1)));
  EXPECT_TRUE(absl::IsResourceExhausted(reserve.Admit(0)));
  EXPECT_TRUE(absl::IsResourceExhausted(reserve.CheckNow()));
  disk.free = kReserve;  // exactly the reserve: still nothing to spare
  EXPECT_TRUE(absl::IsResourceExhausted(reserve.CheckNow()));
}

TEST(DiskReserveTest, ProbesOncePerIntervalWhileTheHeadroomIsLarge) {
  FakeDisk disk;
  disk.free = 100 * 1024 * kMiB;
  DiskReserve reserve(disk.Options());
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(reserve.Admit(4096).ok());
  EXPECT_EQ(reserve.probes(), 1u) << "10,000 small writes within one interval: one probe";
  disk.now += kDiskProbeIntervalMax;
  ASSERT_TRUE(reserve.Admit(4096).ok());
  EXPECT_EQ(reserve.probes(), 2u);
}

TEST(DiskReserveTest, NoticesWithinAnIntervalADiskFilledBySomeoneElse) {
  FakeDisk disk;
  DiskReserve reserve(disk.Options());
  ASSERT_TRUE(reserve.Admit(4096).ok());
  disk.free = kReserve / 2;  // another process filled it
  disk.now += kDiskProbeIntervalMax;
  EXPECT_TRUE(absl::IsResourceExhausted(reserve.Admit(4096)));
}

// The property the writers count on: with the clock stopped (no time-based
// probe), whatever sizes the batches have, the bytes admitted never take the
// disk below the reserve, and a batch that fits is admitted.
TEST(DiskReserveTest, NoSequenceOfBatchesTakesTheDiskBelowTheReserve) {
  FakeDisk disk;
  disk.free = kReserve + 50 * kMiB;
  DiskReserve reserve(disk.Options());
  std::mt19937_64 random(42);
  int admitted = 0;
  for (int i = 0; i < 20'000; ++i) {
    // Mostly small batches, now and then a large one (an 835 import).
    const uint64_t bytes = random() % 16 == 0 ? random() % (8 * kMiB) : random() % (64 * 1024);
    const uint64_t before = disk.free.load();
    absl::Status s = reserve.Admit(bytes);
    if (s.ok()) {
      ++admitted;
      disk.free -= bytes * kDiskBytesPerByteWritten;  // what the write costs the disk
    } else {
      EXPECT_LT(before, kReserve + bytes * kDiskBytesPerByteWritten)
          << "refused a batch of " << bytes << " bytes with " << before << " free";
    }
    ASSERT_GE(disk.free.load(), kReserve) << "batch " << i << " went below the reserve";
  }
  EXPECT_GT(admitted, 100);
}

TEST(DiskReserveTest, AWriteRefusedIsAdmittedAsSoonAsSpaceIsBack) {
  FakeDisk disk;
  disk.free = kReserve / 2;
  DiskReserve reserve(disk.Options());
  ASSERT_TRUE(absl::IsResourceExhausted(reserve.Admit(4096)));
  disk.free = kReserve * 2;  // freed, within the same interval
  EXPECT_TRUE(reserve.CheckNow().ok());
  EXPECT_TRUE(reserve.Admit(4096).ok());
}

TEST(DiskReserveTest, AProbeThatCannotTellAdmitsTheWrite) {
  FakeDisk disk;
  disk.broken = true;
  DiskReserve reserve(disk.Options());
  EXPECT_TRUE(reserve.Admit(4096).ok());
  EXPECT_TRUE(reserve.CheckNow().ok());
}

// The default reserve leaves room for a compaction on top of what the
// server's default write buffers (64 MiB for the log, 40 MiB for the
// projections) may flush on their own.
TEST(DiskReserveTest, TheDefaultCoversTheDefaultWriteBuffersWithRoomToSpare) {
  const uint64_t min = DiskReserveBytesMin(64 * kMiB, 40 * kMiB);
  EXPECT_GT(min, 230 * kMiB);
  EXPECT_LT(min, 245 * kMiB);
  EXPECT_GE(kDiskReserveBytesDefault, 2 * min);
  EXPECT_GT(DiskReserveBytesMin(1024 * kMiB, 40 * kMiB), kDiskReserveBytesDefault)
      << "a 1 GiB write buffer needs more than the default";
}

TEST(FreeBytesTest, ReadsTheFileSystemOfAPathAndNamesAPathItCannotRead) {
  ScratchDir dir("rcl-disk-space-test");
  absl::StatusOr<uint64_t> free = FreeBytes(dir.path());
  ASSERT_TRUE(free.ok()) << free.status();
  EXPECT_GT(*free, 0u);
  absl::StatusOr<uint64_t> missing = FreeBytes(dir.path() + "/missing/dir");
  ASSERT_TRUE(absl::IsUnavailable(missing.status())) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "missing/dir")) << missing.status();
}

// What a probe costs, for docs/RELIABILITY.md: printed, and bounded loosely
// so that a slow machine does not fail it.
TEST(FreeBytesTest, AProbeCostsAboutAMicrosecond) {
  ScratchDir dir("rcl-disk-space-test");
  constexpr int kProbes = 20'000;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kProbes; ++i) ASSERT_TRUE(FreeBytes(dir.path()).ok());
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started).count() /
      kProbes;
  std::cout << "one statvfs: " << ns << " ns\n";
  EXPECT_LT(ns, 100'000);
}

// --- The ledger below its reserve ---------------------------------------------

absl::StatusOr<CommandResult> Register(Ledger& ledger, const std::string& patient) {
  return ledger.Execute(Request(RegisterPatientCommand(patient), "reg-" + patient));
}

// The data directory's file system reports the disk full to RocksDB too
// (FaultFs::SetFull: every append fails), so a write that reached RocksDB
// would show as a failed append.
TEST(LedgerDiskReserveTest, RefusesBelowTheReserveWithoutAskingRocksDbAndResumesByItself) {
  ScratchDir dir("rcl-disk-reserve-test");
  auto fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  auto free = std::make_shared<std::atomic<uint64_t>>(kReserve * 4);
  Ledger::Options options = LedgerOptions(dir.path());
  options.env = env.get();
  options.disk_reserve_bytes = kReserve;
  options.free_space_probe = [free]() -> absl::StatusOr<uint64_t> { return free->load(); };
  std::unique_ptr<Ledger> ledger = OpenLedgerOrDie(std::move(options));
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(Register(*ledger, "P1").ok());
  const uint64_t head = ledger->head().position;

  free->store(kReserve - 1);
  fs->SetFull(true);
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(2 * kDiskProbeIntervalMax));
  absl::StatusOr<CommandResult> refused = Register(*ledger, "P2");
  ASSERT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "disk is full")) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "was not written")) << refused.status();
  EXPECT_TRUE(ledger->disk_full());
  absl::StatusOr<CommandResult> later = Register(*ledger, "P3");
  ASSERT_TRUE(absl::IsUnavailable(later.status())) << later.status();
  EXPECT_TRUE(absl::StrContains(later.status().message(), "disk is full")) << later.status();
  // A few retry intervals: the sequencer checks the reserve, never RocksDB.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(fs->failed_appends(), 0) << "a write reached RocksDB below the reserve";
  EXPECT_EQ(ledger->head().position, head);

  fs->SetFull(false);
  free->store(kReserve * 4);
  const auto freed = std::chrono::steady_clock::now();
  absl::StatusOr<CommandResult> resumed;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    resumed = Register(*ledger, "P2");
  } while (!resumed.ok() && std::chrono::steady_clock::now() - freed < std::chrono::seconds(30));
  ASSERT_TRUE(resumed.ok()) << "writes did not resume: " << resumed.status();
  EXPECT_LT(std::chrono::steady_clock::now() - freed, std::chrono::seconds(3));
  EXPECT_FALSE(ledger->disk_full());
  EXPECT_EQ(resumed->position, head + 1) << "the resumed log has a gap or a leftover";
  absl::StatusOr<CommandResult> again = Register(*ledger, "P2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position, resumed->position) << "the refused command was written twice";
}

}  // namespace
}  // namespace rcl::ledger
