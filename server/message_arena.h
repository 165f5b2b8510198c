// Messages decoded or built on a protobuf arena, for the write path: a
// command's request is parsed on a gRPC thread, decided on the sequencer
// and freed on the completer, and a heap message frees its parts one by
// one there, each cold in that thread's cache (docs/PERFORMANCE.md,
// "Allocations"). On an arena the parts cost a pointer bump each, and the
// whole is freed at once with the last owner.
//
// NewOnArena<M, kBytes>() makes one allocation for the arena and its first
// block of kBytes together, so a message that fits costs one allocation in
// all. Later blocks (a message that outgrows the first) double up to
// kMessageArenaBlockBytesMax.
//
// Thread-safety: a protobuf arena may be allocated from on any thread; the
// message on it is used as any message is.
#ifndef RCL_SERVER_MESSAGE_ARENA_H_
#define RCL_SERVER_MESSAGE_ARENA_H_

#include <algorithm>
#include <cstddef>
#include <memory>

#include "google/protobuf/arena.h"
#include "google/protobuf/message_lite.h"
#include "rcl/v1/events.pb.h"

namespace rcl::server {

// The first block of a lone command's request (a unary command, one
// CommandStream message: a few hundred bytes on the wire, under 2 KiB
// parsed) and of an ExecuteBatch (100 commands: about 60 KiB parsed).
inline constexpr size_t kCommandArenaBytes = 2 * 1024;
inline constexpr size_t kBatchArenaBytes = 32 * 1024;
// The largest block an arena takes after its first.
inline constexpr size_t kMessageArenaBlockBytesMax = 1024 * 1024;

// An arena whose first block is allocated with it.
template <size_t kFirstBlockBytes>
struct BlockArena {
  BlockArena() : arena(Options(block)) {}
  BlockArena(const BlockArena&) = delete;
  BlockArena& operator=(const BlockArena&) = delete;

  static google::protobuf::ArenaOptions Options(char* first) {
    google::protobuf::ArenaOptions o;
    o.initial_block = first;
    o.initial_block_size = kFirstBlockBytes;
    o.start_block_size = kFirstBlockBytes;
    o.max_block_size = kMessageArenaBlockBytesMax;
    return o;
  }

  alignas(std::max_align_t) char block[kFirstBlockBytes];  // before `arena`: it uses the block
  google::protobuf::Arena arena;
};

// A new, empty M on an arena of its own; the pointer owns the arena (what
// is handed on from the message may share that ownership:
// ledger/held_command.h).
template <class M, size_t kFirstBlockBytes>
std::shared_ptr<M> NewOnArena() {
  auto owner = std::make_shared<BlockArena<kFirstBlockBytes>>();
  M* message = google::protobuf::Arena::CreateMessage<M>(&owner->arena);
  return std::shared_ptr<M>(std::move(owner), message);
}

// What each of `holders` requests sharing `message`'s arena is charged
// against the command queue's byte bound (Ledger::Options::queue_bytes_max):
// an equal part of the arena's memory, which is freed with the last of them.
// At least a command's own size, which HeldCommand checks.
inline size_t ArenaShareBytes(const google::protobuf::MessageLite& message, size_t holders) {
  return std::max(message.GetArena()->SpaceAllocated() / std::max<size_t>(holders, 1),
                  sizeof(rcl::v1::Command));
}

}  // namespace rcl::server

#endif  // RCL_SERVER_MESSAGE_ARENA_H_
