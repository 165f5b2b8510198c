#include "server/command_stream.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/status.h"
#include "server/batch_commands.h"
#include "server/message_arena.h"
#include "server/request_decoding.h"
#include "server/status_mapping.h"

namespace rcl::server {
namespace {

using Request = rcl::v1::CommandStreamRequest;
using Response = rcl::v1::CommandStreamResponse;
using Reactor = grpc::ServerBidiReactor<grpc::ByteBuffer, Response>;

constexpr char kMethod[] = "rcl.v1.LedgerService/CommandStream";

// A stream refused before it starts (draining, not authorized): ends at once.
class RefusedStream final : public Reactor {
 public:
  explicit RefusedStream(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
  void OnDone() override { delete this; }
};

class CommandStream final : public Reactor {
 public:
  CommandStream(grpc::CallbackServerContext* ctx, CallGate* gate, ledger::Ledger* ledger)
      : ctx_(ctx), gate_(gate), ledger_(ledger) {}

  // The first read.
  void Start() {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      step = NextLocked();
    }
    Run(step);
  }

  void OnReadDone(bool ok) override {
    if (ok) Handle(std::move(in_));
    Step step;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) read_closed_ = true;  // the client half-closed (or the call broke)
      step = NextLocked();
    }
    Run(step);
  }

  void OnWriteDone(bool ok) override {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      const size_t written = static_cast<size_t>(out_.answers_size());
      RCL_CHECK(written > 0 && outstanding_ >= written)
          << written << " answers written for " << outstanding_ << " commands outstanding";
      outstanding_ -= written;
      if (!ok) broken_ = true;
      step = NextLocked();
    }
    Run(step);
  }

  void OnCancel() override {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      // Commands already queued still run (they cannot be taken back);
      // nothing more is sent.
      broken_ = true;
      step = NextLocked();
    }
    Run(step);
  }

  void OnDone() override { Unref(); }

 private:
  // What to do outside the lock.
  struct Step {
    bool read = false;
    const Response* write = nullptr;
    bool finish = false;
    grpc::Status status;
  };

  // The next read, write or the end of the call, as the state allows.
  Step NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Step step;
    if (finished_) return step;
    if (!writing_ && !broken_ && !queue_.empty()) {
      // Every answer waiting (a group commit's, or more that came while the
      // last write was out) goes in this one message.
      out_.Clear();
      const size_t n = std::min(queue_.size(), kCommandStreamAnswersPerMessageMax);
      out_.mutable_answers()->Reserve(static_cast<int>(n));
      for (size_t i = 0; i < n; ++i) {
        *out_.add_answers() = std::move(queue_.front());
        queue_.pop_front();
      }
      writing_ = true;
      step.write = &out_;
    }
    if (!reading_ && !read_closed_ && !broken_ && stream_error_.ok() &&
        outstanding_ < kCommandStreamInflightMax) {
      reading_ = true;
      step.read = true;
    }
    const bool ending = read_closed_ || !stream_error_.ok();
    if (!reading_ && !writing_ && (broken_ || (ending && outstanding_ == 0))) {
      finished_ = true;
      step.finish = true;
      step.status = broken_ ? grpc::Status::CANCELLED : ToGrpcStatus(stream_error_);
    }
    return step;
  }

  void Run(const Step& step) {
    if (step.write != nullptr) StartWrite(step.write);
    if (step.read) StartRead(&in_);
    if (step.finish) Finish(step.status);
  }

  // One message: its commands to check, authorize and submit, each on its
  // own, or (when it cannot be read as commands) the end of the stream.
  void Handle(grpc::ByteBuffer bytes) {
    const uint64_t index = ++messages_;
    if (bytes.Length() > kRequestBytesMax) {
      return EndWith(absl::ResourceExhaustedError(
          absl::StrCat("message ", index, " of the stream has ", bytes.Length(), " bytes; at most ",
                       kRequestBytesMax)));
    }
    // On an arena of its own, which the ledger's requests then share
    // (server/message_arena.h).
    std::shared_ptr<Request> req = NewOnArena<Request, kCommandArenaBytes>();
    absl::Status decoded = DecodeRequest(bytes, req.get());
    if (!decoded.ok()) {
      // The field violations travel on (as the status's payload).
      absl::Status ended(decoded.code(),
                         absl::StrCat("message ", index, " of the stream: ", decoded.message()));
      decoded.ForEachPayload([&ended](absl::string_view url, const absl::Cord& payload) {
        ended.SetPayload(url, payload);
      });
      return EndWith(std::move(ended));
    }
    const size_t n = static_cast<size_t>(req->commands_size());
    if (n == 0 || n > kCommandStreamCommandsPerMessageMax) {
      return EndWith(absl::InvalidArgumentError(
          absl::StrCat("message ", index, " of the stream holds ", n,
                       " commands; a message holds 1 to ", kCommandStreamCommandsPerMessageMax)));
    }
    const size_t share = ArenaShareBytes(*req, n);
    for (rcl::v1::StreamCommand& c : *req->mutable_commands()) {
      const uint64_t tag = c.tag();
      bool duplicate = false;
      {
        absl::MutexLock lock(&mu_);
        ++outstanding_;  // its answer, whatever it is
        duplicate = !tags_.insert(tag).second;
      }
      if (duplicate) {
        Answer(tag,
               absl::InvalidArgumentError(
                   absl::StrCat("tag ", tag,
                                " is already in flight on this stream; tags must be unique "
                                "among a stream's unanswered commands")),
               /*release_tag=*/false);
        continue;
      }
      Submit(tag, *c.mutable_command(), req, share);
    }
  }

  // Checks, authorizes and queues one command of the message; answers it
  // at once when it is refused before the ledger has it. `command` lives on
  // `req`'s arena; the ledger's request holds `share` of it.
  void Submit(uint64_t tag, rcl::v1::BatchCommand& command, const std::shared_ptr<Request>& req,
              size_t share) {
    Violations shape;
    absl::StatusOr<const BatchMethod*> method = CheckBatchCommand(command, CommandAt{}, shape);
    if (!method.ok()) return Answer(tag, shape.ToStatus());
    absl::StatusOr<Caller> caller =
        AuthorizeCall(gate_, *ctx_, (*method)->name, (*method)->permission, command);
    if (!caller.ok()) return Answer(tag, caller.status());
    refs_.fetch_add(1, std::memory_order_relaxed);  // the ledger's callback holds one
    // The command moves to the ledger; its kind stays, to name its fields.
    const google::protobuf::FieldDescriptor* kind = CommandKind(command.command());
    absl::Status queued = ledger_->Submit(
        ToLedgerRequest(std::move(command), *caller, req, share),
        [this, tag](absl::StatusOr<ledger::CommandResult> r) { Answered(tag, std::move(r)); });
    if (queued.ok()) return;
    Unref();  // the callback will never run
    if (!absl::IsInvalidArgument(queued)) return Answer(tag, queued);
    Violations invalid;
    AddKindViolations(queued, CommandAt{}, kind, invalid);
    Answer(tag, invalid.ToStatus());
  }

  // Queues the answer to command `tag` and writes it unless a write is out
  // (any thread; never blocks).
  void Answer(uint64_t tag, absl::StatusOr<ledger::CommandResult> r, bool release_tag = true) {
    rcl::v1::StreamAnswer message = ToAnswer(tag, std::move(r));
    Step step;
    {
      absl::MutexLock lock(&mu_);
      QueueLocked(std::move(message), release_tag);
      step = NextLocked();
    }
    Run(step);
  }

  static rcl::v1::StreamAnswer ToAnswer(uint64_t tag, absl::StatusOr<ledger::CommandResult> r) {
    rcl::v1::StreamAnswer message;
    message.set_tag(tag);
    ToBatchResult(std::move(r), message.mutable_result());
    return message;
  }

  // An answer for the wire, unless the call is over (then nobody is told).
  void QueueLocked(rcl::v1::StreamAnswer message, bool release_tag)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (release_tag) tags_.erase(message.tag());
    if (broken_ || finished_) {
      --outstanding_;
    } else {
      queue_.push_back(std::move(message));
    }
  }

  // The ledger's answer to command `tag` (completer thread, inside the
  // callbacks of a batch): queued, and written once the batch's callbacks
  // have all run, so that a group commit's answers to this stream leave in
  // one message. The command's reference passes to that flush (or is
  // dropped when this batch already flushes this stream).
  void Answered(uint64_t tag, absl::StatusOr<ledger::CommandResult> r) {
    rcl::v1::StreamAnswer message = ToAnswer(tag, std::move(r));
    bool first = false;
    {
      absl::MutexLock lock(&mu_);
      QueueLocked(std::move(message), /*release_tag=*/true);
      first = !flush_after_batch_;
      flush_after_batch_ = true;
    }
    if (!first) return Unref();
    ledger_->AfterThisBatch([this] {
      Step step;
      {
        absl::MutexLock lock(&mu_);
        flush_after_batch_ = false;
        step = NextLocked();
      }
      Run(step);
      Unref();
    });
  }

  // A message that is not a command: read no more, answer what is in
  // flight, then end the call with `status`.
  void EndWith(absl::Status status) {
    absl::MutexLock lock(&mu_);
    if (stream_error_.ok()) stream_error_ = std::move(status);
  }

  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  grpc::CallbackServerContext* const ctx_;
  CallGate* const gate_;
  ledger::Ledger* const ledger_;
  // gRPC's reference (until OnDone) and one per command in the ledger.
  std::atomic<int> refs_{1};
  // Only the read in progress touches these (one at a time).
  grpc::ByteBuffer in_;
  uint64_t messages_ = 0;

  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;      // a StartRead not yet done (or being handled)
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;  // the client half-closed
  bool writing_ ABSL_GUARDED_BY(mu_) = false;      // a StartWrite not yet done
  bool broken_ ABSL_GUARDED_BY(mu_) = false;       // cancelled or a write failed: send nothing
  bool finished_ ABSL_GUARDED_BY(mu_) = false;     // Finish called
  // The ledger's completer will write this stream's answers at the end of
  // the batch it is answering (Answered).
  bool flush_after_batch_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stream_error_ ABSL_GUARDED_BY(mu_);  // ends the stream once answers drain
  // Commands read and not yet answered on the wire (in the ledger, queued
  // or being written): at most kCommandStreamInflightMax.
  size_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<uint64_t> tags_ ABSL_GUARDED_BY(mu_);       // of commands not yet answered
  std::deque<rcl::v1::StreamAnswer> queue_ ABSL_GUARDED_BY(mu_);  // answers waiting for the wire
  // The answers being written (only while writing_; read by OnWriteDone).
  Response out_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::internal::MethodHandler* CommandStreamHandler(CallGate* gate, ledger::Ledger* ledger) {
  const Permission* permission = FindPermission(kMethod);
  return new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, Response>(
      [gate, ledger, permission](grpc::CallbackServerContext* ctx) -> Reactor* {
        absl::Status admitted = Admit(gate);
        if (!admitted.ok()) return new RefusedStream(admitted);
        absl::StatusOr<Caller> caller = AuthorizeCall(gate, *ctx, kMethod, permission, Request());
        if (!caller.ok()) return new RefusedStream(caller.status());
        auto* stream = new CommandStream(ctx, gate, ledger);
        stream->Start();
        return stream;
      });
}

}  // namespace rcl::server
