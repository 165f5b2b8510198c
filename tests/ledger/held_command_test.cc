// HeldCommand (ledger/held_command.h): a ledger request's command, its own
// or one on an arena a batch's requests share. What the ledger relies on:
// a held command lives as long as any request holds it, and a copy never
// shares a message with what it was copied from.
#include "ledger/held_command.h"

#include <memory>
#include <utility>
#include <vector>

#include "google/protobuf/arena.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"

namespace rcl::ledger {
namespace {

// A batch's commands decoded onto one arena, as ExecuteBatch does; the
// pointer shares the arena's ownership.
std::shared_ptr<rcl::v1::Command> OnArena(const std::string& encounter_id) {
  auto arena = std::make_shared<google::protobuf::Arena>();
  auto* command = google::protobuf::Arena::CreateMessage<rcl::v1::Command>(arena.get());
  command->mutable_open_encounter()->set_encounter_id(encounter_id);
  return std::shared_ptr<rcl::v1::Command>(std::move(arena), command);
}

TEST(HeldCommandTest, AnArenaCommandLivesAsLongAsTheLastRequestHoldingIt) {
  std::vector<CommandRequest> requests(2);
  {
    std::shared_ptr<rcl::v1::Command> decoded = OnArena("E-0001-long-enough-for-the-heap");
    requests[0].command = HeldCommand(decoded, decoded.get(), sizeof(rcl::v1::Command));
    requests[1].command = HeldCommand(decoded, decoded.get(), sizeof(rcl::v1::Command));
  }  // the decoded request is gone; the arena is not
  EXPECT_TRUE(requests[0].command.held());
  EXPECT_EQ(requests[0].command->open_encounter().encounter_id(),
            "E-0001-long-enough-for-the-heap");
  requests.erase(requests.begin());
  EXPECT_EQ(requests[0].command->open_encounter().encounter_id(),
            "E-0001-long-enough-for-the-heap");
}

TEST(HeldCommandTest, MovingARequestKeepsItsCommandWhereItLives) {
  std::shared_ptr<rcl::v1::Command> decoded = OnArena("E-0002");
  CommandRequest a;
  a.command = HeldCommand(decoded, decoded.get(), sizeof(rcl::v1::Command));
  CommandRequest b = std::move(a);
  EXPECT_TRUE(b.command.held());
  EXPECT_EQ(&*b.command, decoded.get());  // not copied
  EXPECT_FALSE(a.command.held());         // NOLINT(bugprone-use-after-move): moved-from is empty
}

TEST(HeldCommandTest, ACopyHasItsOwnMessageSoChangingOneLeavesTheOther) {
  std::shared_ptr<rcl::v1::Command> decoded = OnArena("E-0003");
  CommandRequest held;
  held.command = HeldCommand(decoded, decoded.get(), sizeof(rcl::v1::Command));
  CommandRequest copy = held;
  EXPECT_FALSE(copy.command.held());
  copy.command->mutable_open_encounter()->set_encounter_id("E-9999");
  EXPECT_EQ(held.command->open_encounter().encounter_id(), "E-0003");
  EXPECT_EQ(decoded->open_encounter().encounter_id(), "E-0003");

  // Assigning a held command over an own one, and back.
  CommandRequest own;
  own.command = rcl::v1::Command();
  own.command->mutable_void_charge()->set_encounter_id("E-0004");
  own.command = held.command;
  EXPECT_FALSE(own.command.held());
  EXPECT_EQ(own.command->open_encounter().encounter_id(), "E-0003");
  held.command = own.command;
  EXPECT_FALSE(held.command.held());
  EXPECT_EQ(held.command->open_encounter().encounter_id(), "E-0003");
}

TEST(HeldCommandTest, TheQueueChargesAHeldCommandItsShareAndAnOwnOneItsSize) {
  std::shared_ptr<rcl::v1::Command> decoded = OnArena("E-0006");
  CommandRequest held;
  held.command = HeldCommand(decoded, decoded.get(), 4096);
  EXPECT_EQ(held.command.BytesHeld(), 4096u);
  CommandRequest moved = std::move(held);
  EXPECT_EQ(moved.command.BytesHeld(), 4096u);
  // A copy is a message of its own: charged what it holds, not the share.
  CommandRequest copy = moved;
  EXPECT_EQ(copy.command.BytesHeld(), static_cast<size_t>(copy.command->SpaceUsedLong()));
  EXPECT_LT(copy.command.BytesHeld(), 4096u);
}

TEST(HeldCommandTest, ACommandOfItsOwnMovesWithoutCopyingItsParts) {
  rcl::v1::Command c;
  c.mutable_open_encounter()->set_encounter_id("E-0005-long-enough-for-the-heap");
  const std::string* id = &c.open_encounter().encounter_id();
  CommandRequest a;
  a.command = std::move(c);
  CommandRequest b = std::move(a);
  EXPECT_FALSE(b.command.held());
  EXPECT_EQ(&b.command->open_encounter().encounter_id(), id);
}

}  // namespace
}  // namespace rcl::ledger
