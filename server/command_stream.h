// LedgerService.CommandStream (docs/API.md, "CommandStream"): many commands
// over one long-lived bidirectional call, 1 to
// kCommandStreamCommandsPerMessageMax commands a message, each answered on
// its own once durable (possibly out of request order; the client's tag
// says which). The answers queued when a write can start leave together in
// one message, so a group commit's answers cost one write, not one each.
// Each command is checked and authorized exactly as ExecuteBatch checks one
// of its commands (role and tenant of the command's own RPC,
// server/batch_commands.h) and submitted to the ledger on the same
// non-blocking path as the unary RPCs. A command's error is its own answer
// and does not end the stream; only a message that cannot be read as
// commands (too large, not decodable, none or too many) ends it, once every
// command before it is answered.
//
// Threads of a stream (one CommandStream reactor per call):
//   - gRPC callback threads: OnReadDone (decode, check, authorize, submit),
//     OnWriteDone, OnCancel, OnDone;
//   - the ledger's completer thread: a command's result, queued and written
//     once the callbacks of its ledger batch have all run
//     (Ledger::AfterThisBatch), so that a group commit's answers leave in
//     one message; never blocks.
// Every member the reactor changes is guarded by its mutex; StartRead,
// StartWrite and Finish are called outside it, decided under it (one read
// and one write outstanding at most, that write carrying the answers queued
// when it started, at most kCommandStreamAnswersPerMessageMax). The reactor
// is reference-counted: gRPC holds one reference until OnDone, every command
// in the ledger holds one until its callback ran (and the batch's flush of
// its answer, when it is the stream's first answer of that batch), so a
// result arriving after the call ended finds the reactor alive (and drops
// the result).
#ifndef RCL_SERVER_COMMAND_STREAM_H_
#define RCL_SERVER_COMMAND_STREAM_H_

#include <cstddef>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "ledger/ledger.h"
#include "rcl/v1/api.pb.h"
#include "server/unary_handlers.h"

namespace rcl::server {

// Commands one stream may have read but not yet answered (in the ledger or
// waiting to be written). At the limit the stream reads no more messages
// until answers drain (gRPC flow control then holds the client back).
// A message's commands are read together, so one stream holds at most
// kCommandStreamInflightMax + kCommandStreamCommandsPerMessageMax - 1.
inline constexpr size_t kCommandStreamInflightMax = 512;
// Commands in one CommandStreamRequest: 1 to this many (a message with none
// or more ends the stream with INVALID_ARGUMENT).
inline constexpr size_t kCommandStreamCommandsPerMessageMax = 64;
// Answers in one CommandStreamResponse: at most this many (the rest go in
// the next message). An answer is under 1 KiB (a refusal's message is
// bounded by its violations), so a message stays far below gRPC's 4 MiB.
inline constexpr size_t kCommandStreamAnswersPerMessageMax = 128;

// The method handler of CommandStream: admits the call through `gate`
// (UNAVAILABLE once draining), authorizes the stream itself (any role that
// writes, server/permissions.cc) and then each command as its own RPC.
grpc::internal::MethodHandler* CommandStreamHandler(CallGate* gate, ledger::Ledger* ledger);

}  // namespace rcl::server

#endif  // RCL_SERVER_COMMAND_STREAM_H_
