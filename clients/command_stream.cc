#include "clients/command_stream.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "clients/client.h"

namespace rcl::client {
namespace {

absl::StatusOr<rcl::v1::CommandResponse> FromBatchResult(rcl::v1::BatchResult* r) {
  if (r->code() == 0) return std::move(*r->mutable_result());
  return absl::Status(static_cast<absl::StatusCode>(r->code()), r->message());
}

}  // namespace

CommandStream::CommandStream(rcl::v1::LedgerService::Stub* stub,
                             std::unique_ptr<grpc::ClientContext> context, std::string tenant)
    : stub_(stub), context_(std::move(context)), tenant_(std::move(tenant)) {
  stream_ = stub_->CommandStream(context_.get());
  reader_ = std::thread([this] { ReadAnswers(); });
}

CommandStream::~CommandStream() { Close().IgnoreError(); }

void CommandStream::Submit(rcl::v1::BatchCommand command, Callback done) {
  rcl::v1::CommandStreamRequest request;
  rcl::v1::StreamCommand* c = request.add_commands();
  *c->mutable_command() = std::move(command);
  if (c->command().context().tenant().empty()) {
    c->mutable_command()->mutable_context()->set_tenant(tenant_);
  }
  absl::Status refused;
  {
    absl::MutexLock write_lock(&write_mu_);
    {
      absl::MutexLock lock(&mu_);
      if (ended_ || writes_closed_) {
        refused = ended_ && !final_status_.ok()
                      ? final_status_
                      : absl::FailedPreconditionError("the command stream is closed");
      } else {
        const uint64_t tag = next_tag_++;
        c->set_tag(tag);
        pending_.emplace(tag, std::move(done));
      }
    }
    if (refused.ok()) {
      // A failed write means the call ended: the reader answers every
      // pending command with its final status.
      stream_->Write(request);
      return;
    }
  }
  done(refused);  // outside the locks: `done` may submit again
}

absl::StatusOr<rcl::v1::CommandResponse> CommandStream::Execute(rcl::v1::BatchCommand command) {
  absl::Notification answered;
  absl::StatusOr<rcl::v1::CommandResponse> result;
  Submit(std::move(command), [&](absl::StatusOr<rcl::v1::CommandResponse> r) {
    result = std::move(r);
    answered.Notify();
  });
  answered.WaitForNotification();
  return result;
}

void CommandStream::ReadAnswers() {
  rcl::v1::CommandStreamResponse response;
  while (stream_->Read(&response)) {
    for (rcl::v1::StreamAnswer& answer : *response.mutable_answers()) {
      Callback done;
      {
        absl::MutexLock lock(&mu_);
        auto it = pending_.find(answer.tag());
        if (it == pending_.end()) continue;  // not ours (a duplicate tag's answer)
        done = std::move(it->second);
        pending_.erase(it);
      }
      done(FromBatchResult(answer.mutable_result()));
    }
  }
  absl::Status status;
  {
    // No write is in progress past this point, and none starts.
    absl::MutexLock write_lock(&write_mu_);
    writes_closed_ = true;
    status = FromGrpcStatus(stream_->Finish());
  }
  absl::flat_hash_map<uint64_t, Callback> unanswered;
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    final_status_ = status;
    unanswered.swap(pending_);
  }
  const absl::Status left =
      status.ok() ? absl::UnavailableError("the command stream ended before answering") : status;
  for (auto& [tag, done] : unanswered) done(left);
}

absl::Status CommandStream::Close() {
  {
    absl::MutexLock write_lock(&write_mu_);
    if (!writes_closed_) {
      writes_closed_ = true;
      stream_->WritesDone();
    }
  }
  if (reader_.joinable()) reader_.join();
  absl::MutexLock lock(&mu_);
  return final_status_;
}

void CommandStream::Cancel() { context_->TryCancel(); }

}  // namespace rcl::client
