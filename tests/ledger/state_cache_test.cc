// StateCache: bounded by estimated bytes as well as by entries; a state's
// estimate grows with what it holds.
#include "ledger/state_cache.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/state_size.h"

namespace rcl::ledger {
namespace {

std::shared_ptr<StreamState> Encounter(int lines) {
  auto state = std::make_shared<StreamState>();
  EncounterState e;
  e.encounter_id = "E-0123456789-abcdef";
  for (int i = 1; i <= lines; ++i) {
    ChargeLineState line;
    line.line_number = i;
    line.procedure_code = "99213";
    line.modifiers = {"25", "59"};
    line.diagnosis_pointers = {1, 2};
    e.lines.emplace(i, line);
  }
  state->version = lines;
  state->aggregate = std::move(e);
  return state;
}

TEST(StateCacheTest, EstimateGrowsWithTheState) {
  size_t small = EstimateStateBytes(*Encounter(1));
  size_t large = EstimateStateBytes(*Encounter(1001));
  EXPECT_GT(large, small + 1000 * 200) << small << " " << large;
}

TEST(StateCacheTest, EvictsLeastRecentlyUsedByBytes) {
  const size_t entry = StateCache::EntryBytes("t-s-0", *Encounter(100));
  StateCache cache(1'000'000, 10 * entry + entry / 2);
  for (int i = 0; i < 100; ++i) {
    cache.Put(absl::StrCat("t-s-", i), Encounter(100));
    EXPECT_LE(cache.bytes(), 10 * entry + entry / 2);
  }
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_EQ(cache.Find("t-s-89"), nullptr);
  EXPECT_NE(cache.Find("t-s-90"), nullptr);
  // Growing an entry in place evicts others to make room.
  cache.Put("t-s-99", Encounter(500));
  EXPECT_LE(cache.bytes(), 10 * entry + entry / 2);
  EXPECT_NE(cache.Find("t-s-99"), nullptr);
  EXPECT_LT(cache.size(), 10u);
  // An entry larger than the whole bound is not kept.
  cache.Put("t-huge", Encounter(100'000));
  EXPECT_EQ(cache.Find("t-huge"), nullptr);
  EXPECT_LE(cache.bytes(), 10 * entry + entry / 2);
}

// The sequencer moves a state out of the cache instead of copying it only
// when nothing else holds it: a state pinned for a batch not yet durable,
// or held by a command being decided, must stay as it is.
TEST(StateCacheTest, TakesAStateOnlyWhenNothingElseHoldsIt) {
  StateCache cache(100, SIZE_MAX);
  cache.Put("t-a", Encounter(3));
  cache.Put("t-b", Encounter(4));
  const size_t bytes_before = cache.bytes();

  std::shared_ptr<const StreamState> mine = cache.Find("t-a");
  std::shared_ptr<const StreamState> pin = cache.Find("t-a");  // another holder
  EXPECT_EQ(cache.TakeIfSole("t-a", &mine), nullptr);
  EXPECT_NE(mine, nullptr) << "the caller keeps its reference when nothing was taken";
  EXPECT_EQ(cache.size(), 2u);

  pin.reset();
  std::shared_ptr<StreamState> taken = cache.TakeIfSole("t-a", &mine);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(mine, nullptr);
  EXPECT_EQ(taken.use_count(), 1);
  EXPECT_EQ(taken->version, 3);
  EXPECT_EQ(cache.Find("t-a"), nullptr);
  // The entry stays without its state (its key is reused when the changed
  // state is put back), charged its bookkeeping alone.
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_LT(cache.bytes(), bytes_before);
  EXPECT_EQ(cache.bytes(),
            StateCache::EntryBytes("t-b", *Encounter(4)) + StateCache::KeyBytes("t-a"));
  std::shared_ptr<const StreamState> none;
  EXPECT_EQ(cache.TakeIfSole("t-a", &none), nullptr) << "nothing left to take";

  // The changed state goes back under the same entry.
  taken->version = 4;
  cache.Put("t-a", std::move(taken));
  ASSERT_NE(cache.Find("t-a"), nullptr);
  EXPECT_EQ(cache.Find("t-a")->version, 4);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes(), bytes_before);

  // Not the cached state (or not cached at all): nothing to take.
  std::shared_ptr<const StreamState> other = Encounter(4);
  EXPECT_EQ(cache.TakeIfSole("t-b", &other), nullptr);
  EXPECT_EQ(cache.TakeIfSole("t-missing", &other), nullptr);
  EXPECT_NE(cache.Find("t-b"), nullptr);
}

TEST(StateCacheTest, StillBoundedByEntries) {
  StateCache cache(3, SIZE_MAX);
  for (int i = 0; i < 10; ++i) cache.Put(absl::StrCat("k", i), Encounter(1));
  EXPECT_EQ(cache.size(), 3u);
}

}  // namespace
}  // namespace rcl::ledger
