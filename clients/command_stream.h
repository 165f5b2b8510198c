// rcl::client::CommandStream: one LedgerService.CommandStream call (docs/API.md,
// "CommandStream") shared by any number of threads. Each command goes out as
// one message with a fresh tag; its answer comes back once the command is
// durable (or refused), matched by tag (answers ready together share a
// message).
//
//   RCL_ASSIGN_OR_RETURN(std::unique_ptr<CommandStream> stream, client->OpenCommandStream());
//   absl::StatusOr<rcl::v1::CommandResponse> r = stream->Execute(command);  // blocks
//   stream->Submit(command, [](absl::StatusOr<rcl::v1::CommandResponse> r) { ... });
//   absl::Status ended = stream->Close();  // waits for every answer
//
// Threads: Execute and Submit from any thread (writes are serialized under
// write_mu_; Submit blocks only while gRPC flow control holds the write,
// e.g. when the server has kCommandStreamInflightMax commands of this
// stream in flight). One reader thread, owned by the session, reads answers
// and runs Submit's callbacks (they must not call Close). When the call
// ends, every command still unanswered gets the call's final status (or
// UNAVAILABLE when it ended OK).
#ifndef RCL_CLIENTS_COMMAND_STREAM_H_
#define RCL_CLIENTS_COMMAND_STREAM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "rcl/v1/api.grpc.pb.h"

namespace rcl::client {

class CommandStream {
 public:
  using Callback = std::function<void(absl::StatusOr<rcl::v1::CommandResponse>)>;

  // Starts the call on `stub` with `context` (its metadata already set);
  // `tenant` fills a command whose context has none. Use
  // Client::OpenCommandStream().
  CommandStream(rcl::v1::LedgerService::Stub* stub, std::unique_ptr<grpc::ClientContext> context,
                std::string tenant);
  ~CommandStream();  // Close()
  CommandStream(const CommandStream&) = delete;
  CommandStream& operator=(const CommandStream&) = delete;

  // Sends `command` and blocks until its answer.
  absl::StatusOr<rcl::v1::CommandResponse> Execute(rcl::v1::BatchCommand command);
  // Sends `command`; `done` runs once with its answer, on the reader thread
  // (or on this thread when the stream is already closed).
  void Submit(rcl::v1::BatchCommand command, Callback done);
  // Half-closes, waits for every answer and returns how the call ended
  // (OK, or the server's error, e.g. for a message it could not read).
  absl::Status Close();
  // Cancels the call: unanswered commands get CANCELLED (the server may
  // still write them).
  void Cancel();

 private:
  void ReadAnswers();

  rcl::v1::LedgerService::Stub* stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  const std::string tenant_;
  std::unique_ptr<
      grpc::ClientReaderWriter<rcl::v1::CommandStreamRequest, rcl::v1::CommandStreamResponse>>
      stream_;

  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  bool writes_closed_ ABSL_GUARDED_BY(write_mu_) = false;

  absl::Mutex mu_;
  uint64_t next_tag_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Callback> pending_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // the reader saw the end of the call
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);

  std::thread reader_;  // joined by Close()
};

}  // namespace rcl::client

#endif  // RCL_CLIENTS_COMMAND_STREAM_H_
