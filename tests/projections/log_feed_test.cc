// The shared log reader (projections/log_feed.h) and the runtime reading
// through it: every reader sees exactly the events it asks for, in order,
// whether it keeps up with the others, falls behind them (its chunks evicted
// and decoded again) or follows the head; chunks are decoded once when they
// stay cached; followers of the head share the tail's segments (the new
// events decoded once for all of them, a bounded number kept, an evicted
// stretch decoded again); a rebuild started while live workers follow new
// commits, and workers of very different speeds, still fold every event
// exactly once.
#include "projections/log_feed.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "projections/runtime.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::projections {
namespace {

using ::rcl::ledger::claims_testing::ClaimsLedger;
using ::rcl::ledger::claims_testing::RegisterPatient;

void Write(ClaimsLedger& books, int from, int count) {
  for (int i = from; i < from + count; ++i)
    ASSERT_TRUE(books.Run(RegisterPatient(absl::StrCat("P", i))).ok());
}

// Readers that start together: each waits until all have arrived.
class StartLine {
 public:
  explicit StartLine(int readers) : missing_(readers) {}
  void ArriveAndWait() {
    absl::MutexLock lock(&mu_);
    --missing_;
    auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return missing_ == 0; };
    mu_.Await(absl::Condition(&all));
  }

 private:
  absl::Mutex mu_;
  int missing_ ABSL_GUARDED_BY(mu_);
};

// Reads 1..head in batches of `batch` events through `feed`, checking that
// each batch gets exactly its positions in order, each event with its
// payload parsed; sleeps `pause` per event (a slow reader). With `start`,
// begins once every reader counted there has its cursor.
void ReadAll(LogFeed& feed, uint64_t head, uint64_t batch, bool catching_up, absl::Duration pause,
             std::vector<uint64_t>* seen, StartLine* start = nullptr) {
  LogFeed::Cursor cursor(&feed);
  cursor.SetCatchingUp(catching_up);
  if (start != nullptr) start->ArriveAndWait();
  for (uint64_t from = 1; from <= head; from += batch) {
    const uint64_t to = std::min(head, from + batch - 1);
    uint64_t expected = from;
    absl::Status s = feed.Read(cursor, from, to, head, [&](const LogEvent& e) {
      EXPECT_EQ(e.record.position, expected);
      EXPECT_NE(e.As<rcl::v1::PatientRegistered>(), nullptr) << e.record.type;
      EXPECT_FALSE(e.undecodable);
      seen->push_back(e.record.position);
      ++expected;
      if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
      return true;
    });
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(expected, to + 1);
  }
}

void ExpectOneToN(const std::vector<uint64_t>& seen, uint64_t n) {
  ASSERT_EQ(seen.size(), n);
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], i + 1);
}

TEST(LogFeedTest, ReadersCatchingUpTogetherDecodeEachCachedChunkOnce) {
  ClaimsLedger books;
  Write(books, 0, 64);
  LogFeed::Options options;
  options.chunk_events = 8;
  options.chunks_max = 64;  // everything stays cached
  options.lead_chunks_max = 2;
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head() / 8 * 8;  // whole chunks only
  std::vector<uint64_t> a, b, c;
  std::thread ta([&] { ReadAll(feed, head, 5, true, absl::ZeroDuration(), &a); });
  std::thread tb([&] { ReadAll(feed, head, 13, true, absl::Microseconds(200), &b); });
  std::thread tc([&] { ReadAll(feed, head, 8, false, absl::ZeroDuration(), &c); });
  ta.join();
  tb.join();
  tc.join();
  ExpectOneToN(a, head);
  ExpectOneToN(b, head);
  ExpectOneToN(c, head);
  EXPECT_EQ(feed.chunks_decoded(), head / 8);
}

// A reader far slower than the others (80 ms a chunk here, as a claims
// worker writing a large batch on a loaded machine) holds the fast one back
// rather than have its chunks evicted and decoded again.
TEST(LogFeedTest, AFastReaderWaitsForASlowOneSoEachChunkIsDecodedOnce) {
  ClaimsLedger books;
  Write(books, 0, 48);
  LogFeed::Options options;
  options.chunk_events = 8;
  options.chunks_max = 3;  // the slow reader's chunk and the fast one's lead
  options.lead_chunks_max = 1;
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head() / 8 * 8;
  std::vector<uint64_t> fast, slow;
  StartLine start(2);
  std::thread tf([&] { ReadAll(feed, head, 16, true, absl::ZeroDuration(), &fast, &start); });
  std::thread ts([&] { ReadAll(feed, head, 16, true, absl::Milliseconds(10), &slow, &start); });
  tf.join();
  ts.join();
  ExpectOneToN(fast, head);
  ExpectOneToN(slow, head);
  EXPECT_EQ(feed.chunks_decoded(), head / 8);
}

TEST(LogFeedTest, AReaderThatFallsBehindTheCacheStillGetsEveryEventOnceInOrder) {
  ClaimsLedger books;
  Write(books, 0, 60);
  LogFeed::Options options;
  options.chunk_events = 4;
  options.chunks_max = 2;  // a slow reader finds its chunks evicted
  options.lead_chunks_max = 2;
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head();  // not a whole number of chunks: the tail is unshared
  std::vector<uint64_t> fast, slow, follower;
  std::thread t1([&] { ReadAll(feed, head, 7, true, absl::ZeroDuration(), &fast); });
  std::thread t2([&] { ReadAll(feed, head, 3, true, absl::Milliseconds(1), &slow); });
  std::thread t3([&] { ReadAll(feed, head, 1, false, absl::ZeroDuration(), &follower); });
  t1.join();
  t2.join();
  t3.join();
  ExpectOneToN(fast, head);
  ExpectOneToN(slow, head);
  ExpectOneToN(follower, head);
}

TEST(LogFeedTest, ChunksOverTheirMemoryBoundAreStreamedByEachReaderAndNotKept) {
  ClaimsLedger books;
  Write(books, 0, 24);
  LogFeed::Options options;
  options.chunk_events = 4;
  options.chunk_bytes_max = 1;  // every chunk is too large to keep
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head();
  std::vector<uint64_t> a, b;
  std::thread ta([&] { ReadAll(feed, head, 5, true, absl::ZeroDuration(), &a); });
  std::thread tb([&] { ReadAll(feed, head, 3, true, absl::Microseconds(100), &b); });
  ta.join();
  tb.join();
  ExpectOneToN(a, head);
  ExpectOneToN(b, head);
}

TEST(LogFeedTest, PayloadsAreParsedOnceAsTheirMessagesAndPostingsAreFound) {
  ClaimsLedger books;
  Write(books, 0, 3);
  DecodedEvents events;
  absl::StatusOr<bool> whole = DecodeEvents(books.store(), 1, books.head(), SIZE_MAX, &events);
  ASSERT_TRUE(whole.ok() && *whole) << whole.status();
  ASSERT_EQ(events.events.size(), books.head());
  for (const LogEvent& e : events.events) {
    ASSERT_NE(e.payload, nullptr) << e.record.type;
    EXPECT_EQ(e.payload->GetDescriptor()->name(), e.record.type);
    EXPECT_EQ(e.As<rcl::v1::ChargeRecorded>(), nullptr);
    EXPECT_TRUE(PostingsOf(e).empty());  // registering a patient posts nothing
  }
  // Past the log's end: DATA_LOSS, not a short read.
  DecodedEvents past_end;
  EXPECT_EQ(DecodeEvents(books.store(), 1, books.head() + 1, SIZE_MAX, &past_end).status().code(),
            absl::StatusCode::kDataLoss);
  // Over its memory bound: a part only, and said so.
  DecodedEvents bounded;
  whole = DecodeEvents(books.store(), 1, books.head(), 1, &bounded);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_FALSE(*whole);
  EXPECT_EQ(bounded.events.size(), 1u);
  // Streamed: the same events, one at a time.
  uint64_t streamed = 0;
  ASSERT_TRUE(StreamEvents(books.store(), 1, books.head(), [&](const LogEvent& e) {
                EXPECT_EQ(e.record.position, ++streamed);
                EXPECT_NE(e.As<rcl::v1::PatientRegistered>(), nullptr);
                return true;
              }).ok());
  EXPECT_EQ(streamed, books.head());
}

// One read of from..to by a follower (not catching up), returning the
// positions it saw; every event must have its payload parsed.
std::vector<uint64_t> Follow(LogFeed& feed, LogFeed::Cursor& cursor, uint64_t from, uint64_t to,
                             uint64_t head) {
  std::vector<uint64_t> seen;
  absl::Status s = feed.Read(cursor, from, to, head, [&](const LogEvent& e) {
    EXPECT_NE(e.As<rcl::v1::PatientRegistered>(), nullptr) << e.record.type;
    EXPECT_FALSE(e.undecodable);
    seen.push_back(e.record.position);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return seen;
}

std::vector<uint64_t> Positions(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t p = from; p <= to; ++p) v.push_back(p);
  return v;
}

// The three projection workers following the head read the same new
// events: the log is read and decoded once for all of them.
TEST(LogFeedTailTest, FollowersReadingTheSameNewEventsTogetherDecodeThemOnce) {
  ClaimsLedger books;
  Write(books, 0, 40);
  LogFeed feed(&books.store(), LogFeed::Options{});
  const uint64_t head = books.head();
  std::vector<uint64_t> seen[3];
  StartLine start(3);
  std::vector<std::thread> followers;
  for (int i = 0; i < 3; ++i) {
    followers.emplace_back([&, i] {
      LogFeed::Cursor cursor(&feed);
      start.ArriveAndWait();
      seen[i] = Follow(feed, cursor, 1, head, head);
    });
  }
  for (std::thread& t : followers) t.join();
  for (const auto& s : seen) EXPECT_EQ(s, Positions(1, head));
  EXPECT_EQ(feed.events_decoded(), head);
  EXPECT_EQ(feed.chunks_decoded(), 0u);  // no reader caught up
}

TEST(LogFeedTailTest, FollowersAtDifferentPlacesEachSeeExactlyTheirPositionsInOrder) {
  ClaimsLedger books;
  Write(books, 0, 60);
  LogFeed::Options options;
  options.tail_segment_events_max = 16;
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head();
  ASSERT_GE(head, 60u);
  LogFeed::Cursor a(&feed), b(&feed), c(&feed);
  EXPECT_EQ(Follow(feed, a, 1, 40, 40), Positions(1, 40));      // at the head then
  EXPECT_EQ(Follow(feed, b, 20, 60, 60), Positions(20, 60));    // overlapping it
  EXPECT_EQ(Follow(feed, c, 50, 55, head), Positions(50, 55));  // inside a segment
  EXPECT_EQ(Follow(feed, c, 56, head, head), Positions(56, head));
  EXPECT_EQ(Follow(feed, a, 3, 9, head), Positions(3, 9));  // far behind
  EXPECT_EQ(Follow(feed, b, head, head, head), Positions(head, head));
  // Every position was decoded once, in segments of at most 16 events.
  EXPECT_EQ(feed.events_decoded(), head);
}

TEST(LogFeedTailTest, OldSegmentsAreEvictedAndAReaderWantingThemDecodesThemAgain) {
  ClaimsLedger books;
  Write(books, 0, 48);
  LogFeed::Options options;
  options.tail_segment_events_max = 4;
  options.tail_segments_max = 3;
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head();
  LogFeed::Cursor follower(&feed), laggard(&feed);
  for (uint64_t from = 1; from <= head; from += 4) {
    const uint64_t to = std::min(head, from + 3);
    EXPECT_EQ(Follow(feed, follower, from, to, to), Positions(from, to));
  }
  EXPECT_EQ(feed.events_decoded(), head);
  // The last 3 segments (12 events) are kept: reading them decodes nothing.
  EXPECT_EQ(Follow(feed, laggard, head - 11, head, head), Positions(head - 11, head));
  EXPECT_EQ(feed.events_decoded(), head);
  // The first ones are gone: decoded again, the same events.
  EXPECT_EQ(Follow(feed, laggard, 1, 10, head), Positions(1, 10));
  EXPECT_EQ(feed.events_decoded(), head + 10);
}

TEST(LogFeedTailTest, TheTailKeepsNoMoreThanItsBytesAndFollowersStillSeeEveryEvent) {
  ClaimsLedger books;
  Write(books, 0, 20);
  LogFeed::Options options;
  options.tail_bytes_max = 1;  // every segment evicted as soon as published
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head();
  LogFeed::Cursor a(&feed), b(&feed);
  EXPECT_EQ(Follow(feed, a, 1, head, head), Positions(1, head));
  EXPECT_EQ(Follow(feed, b, 1, head, head), Positions(1, head));
  EXPECT_EQ(feed.events_decoded(), 2 * head);
}

TEST(LogFeedTailTest, StretchesOverTheMemoryBoundAreStreamedByEachFollower) {
  ClaimsLedger books;
  Write(books, 0, 12);
  LogFeed::Options options;
  options.chunk_bytes_max = 1;  // every stretch too large to keep
  LogFeed feed(&books.store(), options);
  const uint64_t head = books.head();
  LogFeed::Cursor a(&feed), b(&feed);
  EXPECT_EQ(Follow(feed, a, 1, head, head), Positions(1, head));
  EXPECT_EQ(Follow(feed, b, 2, head, head), Positions(2, head));
  EXPECT_EQ(Follow(feed, a, 5, 7, head), Positions(5, 7));
}

TEST(LogFeedTailTest, AReaderStoppingEarlyAndAGapAreAsBefore) {
  ClaimsLedger books;
  Write(books, 0, 10);
  LogFeed feed(&books.store(), LogFeed::Options{});
  const uint64_t head = books.head();
  LogFeed::Cursor cursor(&feed);
  uint64_t visited = 0;
  ASSERT_TRUE(
      feed.Read(cursor, 1, head, head, [&](const LogEvent&) { return ++visited < 3; }).ok());
  EXPECT_EQ(visited, 3u);
  // Positions past the log's end: DATA_LOSS for every reader, none kept.
  for (int i = 0; i < 2; ++i) {
    absl::Status s =
        feed.Read(cursor, head - 1, head + 2, head + 2, [](const LogEvent&) { return true; });
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  }
  EXPECT_EQ(Follow(feed, cursor, 1, head, head), Positions(1, head));
}

// Followers as the runtime's workers: each reads from its checkpoint to the
// head it last saw while a writer appends; each sees every event once in
// order, and the new events are decoded about once (not once a follower).
TEST(LogFeedTailTest, FollowersOfALogBeingWrittenSeeEveryEventOnceInOrder) {
  ClaimsLedger books;
  Write(books, 0, 5);
  LogFeed::Options options;
  options.tail_segment_events_max = 8;
  options.tail_segments_max = 1000;  // nothing evicted
  options.tail_bytes_max = SIZE_MAX;
  LogFeed feed(&books.store(), options);
  constexpr int kWrites = 150;
  const uint64_t first_head = books.head();
  std::atomic<bool> writing{true};
  std::vector<uint64_t> seen[3];
  std::vector<std::thread> followers;
  for (int i = 0; i < 3; ++i) {
    followers.emplace_back([&, i] {
      LogFeed::Cursor cursor(&feed);
      uint64_t checkpoint = 0;
      while (true) {
        const bool last_round = !writing.load();
        const uint64_t head = books.head();
        if (head > checkpoint) {
          const uint64_t to = std::min(head, checkpoint + 7 + i);  // batches of other sizes
          for (uint64_t p : Follow(feed, cursor, checkpoint + 1, to, head)) seen[i].push_back(p);
          checkpoint = to;
        } else if (last_round) {
          break;
        } else {
          absl::SleepFor(absl::Microseconds(200));
        }
      }
    });
  }
  for (int i = 0; i < kWrites; ++i)
    ASSERT_TRUE(books.Run(RegisterPatient(absl::StrCat("W", i))).ok());
  writing.store(false);
  for (std::thread& t : followers) t.join();
  const uint64_t head = books.head();
  ASSERT_GT(head, first_head);
  for (const auto& s : seen) EXPECT_EQ(s, Positions(1, head));
  // Nothing evicted: each position decoded once.
  EXPECT_EQ(feed.events_decoded(), head);
}

// Counts every event per position; optionally slow.
class CountingProjection final : public Projection {
 public:
  CountingProjection(std::string name, absl::Duration pause)
      : name_(std::move(name)), pause_(pause) {}
  std::string_view name() const override { return name_; }
  uint32_t version() const override { return 1; }
  absl::Status Apply(const LogEvent& e, StateTxn& state) const override {
    if (pause_ > absl::ZeroDuration()) absl::SleepFor(pause_);
    RCL_RETURN_IF_ERROR(state.AddInt64(absl::StrCat("p", e.record.position), 1));
    return state.AddInt64("total", 1);
  }

 private:
  std::string name_;
  absl::Duration pause_;
};

void ExpectEachOnce(Runtime& runtime, const std::string& name, uint64_t head) {
  auto reader = runtime.Read(name, head);
  ASSERT_TRUE(reader.ok()) << name << ": " << reader.status();
  EXPECT_EQ((*reader)->checkpoint(), head) << name;
  for (uint64_t p = 1; p <= head; ++p) {
    auto v = (*reader)->Get(absl::StrCat("p", p));
    ASSERT_TRUE(v.ok() && v->has_value()) << name << ": position " << p << " never folded";
    EXPECT_EQ(*DecodeInt64(**v), 1) << name << ": position " << p;
  }
  auto total = (*reader)->Get("total");
  ASSERT_TRUE(total.ok() && total->has_value());
  EXPECT_EQ(*DecodeInt64(**total), static_cast<int64_t>(head)) << name;
}

TEST(SharedReaderTest, WorkersOfDifferentSpeedsAndARebuildBesideLiveWorkersFoldEachEventOnce) {
  ClaimsLedger books;
  Write(books, 0, 120);
  Runtime::Options options;
  options.path = books.dir() + "/projections";
  options.batch_events_max = 5;  // catching up: more than 20 behind
  options.catch_up_batch_events_max = 11;
  options.feed.chunk_events = 4;
  options.feed.chunks_max = 3;
  options.feed.lead_chunks_max = 1;
  options.min_position_wait_max = absl::Seconds(30);
  std::vector<std::unique_ptr<Projection>> list;
  list.push_back(std::make_unique<CountingProjection>("fast", absl::ZeroDuration()));
  list.push_back(std::make_unique<CountingProjection>("slow", absl::Microseconds(300)));
  list.push_back(std::make_unique<CountingProjection>("steady", absl::Microseconds(50)));
  auto opened = Runtime::Open(options, &books.store(), std::move(list));
  ASSERT_TRUE(opened.ok()) << opened.status();
  Runtime& runtime = **opened;
  runtime.NotifyHead(books.head());
  int listener = books.ledger().AddCommitListener([&](uint64_t h) { runtime.NotifyHead(h); });
  runtime.Start();
  Write(books, 120, 30);  // while the first build runs
  for (const char* name : {"fast", "slow", "steady"}) ExpectEachOnce(runtime, name, books.head());
  // A rebuild of one while every live worker follows new commits.
  auto started = runtime.Rebuild("steady");
  ASSERT_TRUE(started.ok()) << started.status();
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 150; i < 190; ++i) {
      ASSERT_TRUE(books.Run(RegisterPatient(absl::StrCat("P", i))).ok());
      absl::SleepFor(absl::Milliseconds(1));
    }
    writing.store(false);
  });
  writer.join();
  bool swapped = false;
  for (int i = 0; i < 1000 && !swapped; ++i) {
    for (const ProjectionStatus& s : runtime.Status()) {
      if (s.name == "steady") swapped = !s.rebuilding && s.generation >= started->generation;
    }
    if (!swapped) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(swapped) << "the rebuild never swapped in";
  for (const char* name : {"fast", "slow", "steady"}) ExpectEachOnce(runtime, name, books.head());
  books.ledger().RemoveCommitListener(listener);
}

}  // namespace
}  // namespace rcl::projections
