// Event and command ids: version 4 UUIDs in their text form, never repeated,
// also across the refills of a thread's random pool and across threads.
#include "ledger/event_ids.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace rcl::ledger {
namespace {

bool IsVersion4Uuid(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = id[i];
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  const char variant = id[19];
  return id[14] == '4' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b');
}

TEST(EventIdsTest, AreVersion4UuidsThatNeverRepeatAcrossPoolRefillsAndThreads) {
  // Several pools' worth per thread (kUuidRandomChunk / 16 ids per refill).
  constexpr size_t kPerThread = 5 * kUuidRandomChunk / 16 + 7;
  constexpr int kThreads = 4;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (size_t i = 0; i < kPerThread; ++i) made[t].push_back(NewUuid());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::flat_hash_set<std::string> seen;
  for (const auto& ids : made) {
    for (const std::string& id : ids) {
      ASSERT_TRUE(IsVersion4Uuid(id)) << id;
      ASSERT_TRUE(seen.insert(id).second) << "repeated id " << id;
    }
  }
  EXPECT_EQ(seen.size(), kPerThread * kThreads);
}

TEST(EventIdsTest, TheCheckAboveRefusesWhatIsNotAVersion4Uuid) {
  EXPECT_TRUE(IsVersion4Uuid("1b4e28ba-2fa1-41d2-883f-0016d3cca427"));
  EXPECT_FALSE(IsVersion4Uuid("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));  // version 1
  EXPECT_FALSE(IsVersion4Uuid("1b4e28ba-2fa1-41d2-c83f-0016d3cca427"));  // variant
  EXPECT_FALSE(IsVersion4Uuid("1B4E28BA-2FA1-41D2-883F-0016D3CCA427"));  // upper case
  EXPECT_FALSE(IsVersion4Uuid("1b4e28ba2fa141d2883f0016d3cca427"));      // no dashes
}

}  // namespace
}  // namespace rcl::ledger
