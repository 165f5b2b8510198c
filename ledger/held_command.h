// HeldCommand: the command of a ledger request (CommandRequest::command).
// Either the request's own message, or one in memory that something else
// owns and the request keeps alive: ExecuteBatch parses a whole call's
// commands onto one protobuf arena (server/execute_batch.cc), and each of
// its requests then holds a share of that arena instead of a copy of its
// command. The arena is freed whole, with the last request, instead of
// message by message on the completer thread (docs/PERFORMANCE.md).
//
// Read and write it as a pointer: `req.command->kind_case()`,
// `Decide(*req.command, view)`. Copying gives the copy a message of its own
// (never two requests changing one message); moving keeps where it lives.
//
// Thread-safety: as a message; whoever holds the request uses it.
#ifndef RCL_LEDGER_HELD_COMMAND_H_
#define RCL_LEDGER_HELD_COMMAND_H_

#include <cstddef>
#include <memory>
#include <utility>

#include "ledger/status.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {

class HeldCommand {
 public:
  HeldCommand() = default;
  // Its own message (implicit: `request.command = std::move(command)`).
  HeldCommand(rcl::v1::Command command)  // NOLINT(google-explicit-constructor)
      : own_(std::move(command)) {}
  // `command`, in memory that `owner` keeps alive: an arena, of which this
  // request's share is `share_bytes` (what the queue charges it).
  HeldCommand(std::shared_ptr<const void> owner, rcl::v1::Command* command, size_t share_bytes)
      : owner_(std::move(owner)), held_(command), share_bytes_(share_bytes) {
    RCL_CHECK(owner_ != nullptr && held_ != nullptr) << "a held command needs its owner";
    RCL_CHECK(share_bytes_ >= sizeof(rcl::v1::Command)) << "a held command's share holds it";
  }

  HeldCommand(const HeldCommand& other) : own_(*other) {}
  HeldCommand& operator=(const HeldCommand& other) {
    if (this != &other) {
      rcl::v1::Command copy = *other;  // `other` may live in what this holds
      owner_.reset();
      held_ = nullptr;
      share_bytes_ = 0;
      own_ = std::move(copy);
    }
    return *this;
  }
  HeldCommand(HeldCommand&& other) noexcept
      : own_(std::move(other.own_)),
        owner_(std::move(other.owner_)),
        held_(std::exchange(other.held_, nullptr)),
        share_bytes_(std::exchange(other.share_bytes_, 0)) {}
  HeldCommand& operator=(HeldCommand&& other) noexcept {
    if (this != &other) {
      own_ = std::move(other.own_);
      owner_ = std::move(other.owner_);
      held_ = std::exchange(other.held_, nullptr);
      share_bytes_ = std::exchange(other.share_bytes_, 0);
    }
    return *this;
  }

  const rcl::v1::Command& operator*() const { return held_ != nullptr ? *held_ : own_; }
  rcl::v1::Command& operator*() { return held_ != nullptr ? *held_ : own_; }
  const rcl::v1::Command* operator->() const { return &**this; }
  rcl::v1::Command* operator->() { return &**this; }

  // Whether the message lives in memory another owner shares (tests).
  bool held() const { return held_ != nullptr; }

  // The memory this command keeps: its share of the arena it lives on, or
  // its own message's size (protobuf reflection: the slow way, for a
  // command built in memory rather than decoded from a call).
  size_t BytesHeld() const { return held_ != nullptr ? share_bytes_ : own_.SpaceUsedLong(); }

 private:
  rcl::v1::Command own_;               // used when held_ is null
  std::shared_ptr<const void> owner_;  // keeps *held_ alive
  rcl::v1::Command* held_ = nullptr;
  size_t share_bytes_ = 0;  // when held_ is set
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_HELD_COMMAND_H_
