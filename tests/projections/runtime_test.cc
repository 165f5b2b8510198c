// The projection runtime's mechanics with small projections over a real log:
// every event folded exactly once across batches and restarts; a projection
// that cannot fold an event stops there and says where and why; reads wait
// for min_position and say how far behind they are; a first build is never
// read half-built.
#include "projections/runtime.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::projections {
namespace {

using ::rcl::ledger::claims_testing::ClaimsLedger;
using ::rcl::ledger::claims_testing::RegisterPatient;
using ::testing::HasSubstr;

// Counts every event per position (a count of 2 anywhere would be a double fold).
class CountingProjection final : public Projection {
 public:
  explicit CountingProjection(uint64_t fail_at = 0) : fail_at_(fail_at) {}
  std::string_view name() const override { return "counting"; }
  uint32_t version() const override { return 1; }
  absl::Status Apply(const LogEvent& le, StateTxn& state) const override {
    const ledger::RecordView& e = le.record;
    if (e.position == fail_at_) return absl::DataLossError("this event cannot be folded");
    RCL_RETURN_IF_ERROR(state.AddInt64(absl::StrCat("p", e.position), 1));
    return state.AddInt64("total", 1);
  }

 private:
  uint64_t fail_at_;
};

std::unique_ptr<Runtime> Open(
    const ClaimsLedger& books, const std::string& path, uint64_t fail_at = 0,
    std::function<void(std::string_view, uint64_t)> before_batch = nullptr,
    std::function<void(Runtime::Options&)> adjust = nullptr) {
  Runtime::Options options;
  options.path = path;
  options.batch_events_max = 7;
  options.catch_up_batch_events_max = 7;
  options.min_position_wait_max = absl::Milliseconds(300);
  options.before_batch = std::move(before_batch);
  if (adjust) adjust(options);
  std::vector<std::unique_ptr<Projection>> list;
  list.push_back(std::make_unique<CountingProjection>(fail_at));
  auto runtime = Runtime::Open(options, &books.store(), std::move(list));
  EXPECT_TRUE(runtime.ok()) << runtime.status();
  if (!runtime.ok()) return nullptr;
  (*runtime)->NotifyHead(books.head());
  (*runtime)->Start();
  return std::move(*runtime);
}

void Write(ClaimsLedger& books, int from, int count) {
  for (int i = from; i < from + count; ++i)
    ASSERT_TRUE(books.Run(RegisterPatient(absl::StrCat("P", i))).ok());
}

void ExpectEachOnce(const StateReader& reader, uint64_t head) {
  EXPECT_EQ(reader.checkpoint(), head);
  for (uint64_t p = 1; p <= head; ++p) {
    auto v = reader.Get(absl::StrCat("p", p));
    ASSERT_TRUE(v.ok() && v->has_value()) << "position " << p << " never folded";
    EXPECT_EQ(*DecodeInt64(**v), 1) << "position " << p;
  }
  auto total = reader.Get("total");
  ASSERT_TRUE(total.ok() && total->has_value());
  EXPECT_EQ(*DecodeInt64(**total), static_cast<int64_t>(head));
}

TEST(RuntimeTest, EveryEventIsFoldedOnceAcrossBatchesCommitsAndRestarts) {
  ClaimsLedger books;
  Write(books, 0, 40);
  std::string path = books.dir() + "/projections";
  auto runtime = Open(books, path);
  auto reader = runtime->Read("counting", books.head());
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectEachOnce(**reader, books.head());
  reader->reset();
  // New commits are followed (the server wires the ledger's commit listener).
  int listener =
      books.ledger().AddCommitListener([&](uint64_t head) { runtime->NotifyHead(head); });
  Write(books, 40, 25);
  auto later = runtime->Read("counting", books.head());
  ASSERT_TRUE(later.ok()) << later.status();
  ExpectEachOnce(**later, books.head());
  later->reset();
  books.ledger().RemoveCommitListener(listener);
  runtime.reset();
  // More events while it is down; a restart resumes at the checkpoint.
  Write(books, 65, 10);
  runtime = Open(books, path);
  auto resumed = runtime->Read("counting", books.head());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ExpectEachOnce(**resumed, books.head());
}

TEST(RuntimeTest, AProjectionThatCannotFoldAnEventStopsThereAndSaysWhereAndWhy) {
  ClaimsLedger books;
  Write(books, 0, 20);
  auto runtime = Open(books, books.dir() + "/projections", /*fail_at=*/13);
  auto reader = runtime->Read("counting", books.head());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(reader.status().message(), HasSubstr("at position 13"));
  EXPECT_THAT(reader.status().message(), HasSubstr("this event cannot be folded"));
  auto status = runtime->Status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].state, "stopped");
  EXPECT_THAT(status[0].error, HasSubstr("at position 13"));
  EXPECT_EQ(status[0].checkpoint, 7u);  // the last whole batch before it (batches of 7)
  EXPECT_EQ(status[0].lag, books.head() - 7);
}

TEST(RuntimeTest, ReadsWaitForMinPositionThenSayHowFarBehindAndNeverSeeAHalfBuiltCopy) {
  ClaimsLedger books;
  Write(books, 0, 30);
  std::atomic<bool> hold{true};
  absl::Notification first_batch;
  auto runtime = Open(books, books.dir() + "/projections", 0, [&](std::string_view, uint64_t from) {
    if (from > 1) {
      if (!first_batch.HasBeenNotified()) first_batch.Notify();
      while (hold.load()) absl::SleepFor(absl::Milliseconds(5));
    }
  });
  first_batch.WaitForNotification();
  // A first build that has not reached its target is not readable, even for
  // a min_position it has passed.
  auto early = runtime->Read("counting", 1);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(early.status().message(), HasSubstr("is being built: at position 7 of 30"));
  EXPECT_EQ(runtime->Read("counting", books.head() + 1).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(runtime->Read("nothing", 0).status().code(), absl::StatusCode::kNotFound);
  // A rebuild can only start once the first build is done.
  EXPECT_EQ(runtime->Rebuild("counting").status().code(), absl::StatusCode::kFailedPrecondition);
  hold.store(false);
  auto ready = runtime->Read("counting", books.head());
  ASSERT_TRUE(ready.ok()) << ready.status();
  ExpectEachOnce(**ready, books.head());
  ready->reset();
  // Behind: a head it is told of but cannot reach (the events are not in
  // this log) makes reads for it wait, then say how far behind.
  runtime->NotifyHead(books.head() + 5);
  auto behind = runtime->Read("counting", books.head() + 5);
  ASSERT_FALSE(behind.ok());
  EXPECT_EQ(behind.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rcl::projections

namespace rcl::projections {
namespace {

TEST(RuntimeTest, ARebuildOfAnEmptyLogSwapsInAndTheNextEventsAreFoldedOnce) {
  ClaimsLedger books;
  auto runtime = Open(books, books.dir() + "/projections");
  auto started = runtime->Rebuild("counting");
  ASSERT_TRUE(started.ok()) << started.status();
  bool swapped = false;
  // (A second rebuild while one runs is FAILED_PRECONDITION, unless the
  // first already swapped in: an empty log rebuilds at once.)
  auto again = runtime->Rebuild("counting");
  EXPECT_TRUE(again.ok() || again.status().code() == absl::StatusCode::kFailedPrecondition)
      << again.status();
  for (int i = 0; i < 300 && !swapped; ++i) {
    auto status = runtime->Status();
    swapped = !status[0].rebuilding && status[0].generation >= started->generation;
    if (!swapped) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(swapped) << "the rebuild of an empty log never swapped in";
  int listener =
      books.ledger().AddCommitListener([&](uint64_t head) { runtime->NotifyHead(head); });
  Write(books, 0, 9);
  auto reader = runtime->Read("counting", books.head());
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectEachOnce(**reader, books.head());
  books.ledger().RemoveCommitListener(listener);
}

}  // namespace
}  // namespace rcl::projections

namespace rcl::projections {
namespace {

// Following small commits, a worker waits for more before it folds
// (Options::follow_gather_*): five commits of one event become one batch. A
// query waiting for a position ends the wait at once, and so does Stop().
TEST(RuntimeTest, AFollowingWorkerGathersSmallCommitsButNoQueryOrStopWaitsForIt) {
  ClaimsLedger books;
  absl::Mutex mu;
  std::vector<uint64_t> batches;  // each batch's first position
  auto runtime = Open(
      books, books.dir() + "/projections", 0,
      [&](std::string_view, uint64_t from) {
        absl::MutexLock lock(&mu);
        batches.push_back(from);
      },
      [](Runtime::Options& o) {
        o.follow_gather_events = 5;
        o.follow_gather_wait = absl::Seconds(60);  // longer than any bound below
      });
  int listener =
      books.ledger().AddCommitListener([&](uint64_t head) { runtime->NotifyHead(head); });
  Write(books, 0, 5);  // five commits
  auto checkpoint = [&] { return runtime->Status().at(0).checkpoint; };
  for (int i = 0; i < 1000 && checkpoint() < 5; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(checkpoint(), 5u);
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(batches, std::vector<uint64_t>{1}) << "the five commits were folded apart";
  }

  // One more event, fewer than five: the worker gathers, and a query for it
  // ends the gathering well within its 300 ms wait.
  Write(books, 5, 1);
  auto reader = runtime->Read("counting", books.head());
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectEachOnce(**reader, books.head());
  reader->reset();

  // Gathering again; stopping does not wait for it.
  Write(books, 6, 1);
  books.ledger().RemoveCommitListener(listener);
  const absl::Time stop_began = absl::Now();
  runtime.reset();
  EXPECT_LT(absl::Now() - stop_began, absl::Seconds(30)) << "Stop() waited for the gathering";
}

}  // namespace
}  // namespace rcl::projections
