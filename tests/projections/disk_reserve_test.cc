// The projection workers and the free-space reserve: while less than the
// reserve is free no state is written (the checkpoint stays where it was, the
// projection is not stopped), and once space is back the workers catch up by
// themselves, every event folded once.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/runtime.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::projections {
namespace {

using ::rcl::ledger::claims_testing::ClaimsLedger;
using ::rcl::ledger::claims_testing::RegisterPatient;

constexpr uint64_t kReserve = 64 * ledger::kMiB;

class CountingProjection final : public Projection {
 public:
  std::string_view name() const override { return "counting"; }
  uint32_t version() const override { return 1; }
  absl::Status Apply(const LogEvent& le, StateTxn& state) const override {
    RCL_RETURN_IF_ERROR(state.AddInt64(absl::StrCat("p", le.record.position), 1));
    return state.AddInt64("total", 1);
  }
};

ProjectionStatus StatusOf(Runtime& runtime) {
  std::vector<ProjectionStatus> all = runtime.Status();
  EXPECT_EQ(all.size(), 1u);
  return all.empty() ? ProjectionStatus{} : all[0];
}

TEST(ProjectionDiskReserveTest, WorkersWriteNothingBelowTheReserveAndCatchUpOnceSpaceIsBack) {
  ClaimsLedger books;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(books.Run(RegisterPatient(absl::StrCat("P", i))).ok());
  auto free = std::make_shared<std::atomic<uint64_t>>(kReserve * 4);
  Runtime::Options options;
  options.path = books.dir() + "/projections";
  options.batch_events_max = 4;
  options.catch_up_batch_events_max = 4;
  options.min_position_wait_max = absl::Milliseconds(300);
  options.disk_reserve_bytes = kReserve;
  options.free_space_probe = [free]() -> absl::StatusOr<uint64_t> { return free->load(); };
  std::vector<std::unique_ptr<Projection>> list;
  list.push_back(std::make_unique<CountingProjection>());
  absl::StatusOr<std::unique_ptr<Runtime>> runtime =
      Runtime::Open(options, &books.store(), std::move(list));
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  (*runtime)->NotifyHead(books.head());
  (*runtime)->Start();
  ASSERT_TRUE((*runtime)->Read("counting", books.head()).ok());
  const uint64_t folded = books.head();

  free->store(kReserve / 2);
  // A probe is trusted for kDiskProbeIntervalMax: the disk fills after it.
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(2 * ledger::kDiskProbeIntervalMax));
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(books.Run(RegisterPatient(absl::StrCat("P", i))).ok());
  (*runtime)->NotifyHead(books.head());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ProjectionStatus full = StatusOf(**runtime);
  EXPECT_EQ(full.checkpoint, folded) << "state written below the reserve";
  EXPECT_EQ(full.state, "live") << full.error;
  EXPECT_TRUE(full.error.empty()) << full.error;

  free->store(kReserve * 4);
  absl::StatusOr<std::unique_ptr<StateReader>> reader;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    reader = (*runtime)->Read("counting", books.head());
  } while (!reader.ok() && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(reader.ok()) << "the projection did not catch up: " << reader.status();
  for (uint64_t p = 1; p <= books.head(); ++p) {
    absl::StatusOr<std::optional<std::string>> v = (*reader)->Get(absl::StrCat("p", p));
    ASSERT_TRUE(v.ok() && v->has_value()) << "position " << p << " never folded";
    EXPECT_EQ(*DecodeInt64(**v), 1) << "position " << p << " folded twice";
  }
}

}  // namespace
}  // namespace rcl::projections
