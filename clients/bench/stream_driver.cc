#include "clients/bench/stream_driver.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"

namespace rcl::bench {
namespace {

constexpr char kMethod[] = "/rcl.v1.LedgerService/CommandStream";
// The server's kCommandStreamCommandsPerMessageMax (server/command_stream.h).
constexpr int kCommandsPerMessageMax = 64;

// Completion-queue tags of the call's operations.
enum Op : intptr_t { kStart = 1, kRead, kWrite, kWritesDone, kFinish };
void* TagOf(Op op) { return reinterpret_cast<void*>(op); }

class StreamCall {
 public:
  StreamCall(grpc::GenericStub* stub, const std::string& authorization,
             const std::vector<StreamSource*>& sources)
      : sources_(sources), waiting_(sources.size(), false) {
    if (!authorization.empty()) ctx_.AddMetadata("authorization", authorization);
    call_ = stub->PrepareCall(&ctx_, kMethod, &cq_);
    call_->StartCall(TagOf(kStart));
  }

  ~StreamCall() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // Queues source `i`'s next command: it goes out with the others queued
  // when the next write starts (Pump).
  void Send(size_t i) {
    if (writes_.empty() || writes_.back().commands_size() >= kCommandsPerMessageMax) {
      writes_.emplace_back();
    }
    rcl::v1::StreamCommand* c = writes_.back().add_commands();
    c->set_tag(i);
    sources_[i]->NextCommand(c->mutable_command());
    waiting_[i] = true;
    ++in_flight_;
  }

  // Handles completions until `in_flight_` is 0, sending each answered
  // source again while `again()` says so. False when the call broke.
  bool Pump(const std::function<bool()>& again) {
    PumpWrites();
    while (in_flight_ > 0) {
      void* tag = nullptr;
      bool ok = false;
      if (!cq_.Next(&tag, &ok)) return false;
      switch (static_cast<Op>(reinterpret_cast<intptr_t>(tag))) {
        case kStart:
          started_ = ok;
          if (ok) call_->Read(&read_, TagOf(kRead));
          PumpWrites();
          break;
        case kWrite:
          writing_ = false;
          PumpWrites();
          break;
        case kRead:
          if (!ok || !OnAnswers(again)) return Broken();
          call_->Read(&read_, TagOf(kRead));
          PumpWrites();  // the commands that follow those answers, in one message
          break;
        default: break;
      }
      if (!ok && !broken_) return Broken();
    }
    return true;
  }

  // Half-closes and waits for the end of the call.
  void Close() {
    if (broken_) return;
    call_->WritesDone(TagOf(kWritesDone));
    call_->Finish(&status_, TagOf(kFinish));
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      if (tag == TagOf(kFinish)) break;
    }
    if (!status_.ok()) {
      absl::FPrintF(stderr, "rcl-bench: the command stream ended with %d: %s\n",
                    static_cast<int>(status_.error_code()), status_.error_message());
    }
  }

 private:
  // Writes the commands queued so far (one message of up to
  // kCommandsPerMessageMax) unless a write is out.
  void PumpWrites() {
    if (writing_ || !started_ || writes_.empty()) return;
    writing_ = true;
    const std::string bytes = writes_.front().SerializeAsString();
    writes_.pop_front();
    grpc::Slice slice(bytes);
    out_ = grpc::ByteBuffer(&slice, 1);
    call_->Write(out_, TagOf(kWrite));
  }

  // One message of answers. False when one is not for a command of ours.
  bool OnAnswers(const std::function<bool()>& again) {
    rcl::v1::CommandStreamResponse response;
    grpc::Slice slice;
    if (!read_.DumpToSingleSlice(&slice).ok() ||
        !response.ParseFromArray(slice.begin(), static_cast<int>(slice.size())) ||
        response.answers_size() == 0) {
      absl::FPrintF(stderr, "rcl-bench: an answer that is not a CommandStreamResponse\n");
      return false;
    }
    for (const rcl::v1::StreamAnswer& a : response.answers()) {
      if (a.tag() >= sources_.size() || !waiting_[a.tag()]) {
        absl::FPrintF(stderr, "rcl-bench: an answer to a command not in flight (tag %d)\n",
                      a.tag());
        return false;
      }
      const size_t i = static_cast<size_t>(a.tag());
      waiting_[i] = false;
      --in_flight_;
      sources_[i]->Answered(a.result());
      if (sources_[i]->alive() && again()) Send(i);
    }
    return true;
  }

  // The call broke: every command in flight fails with its status.
  bool Broken() {
    broken_ = true;
    call_->Finish(&status_, TagOf(kFinish));
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      if (tag == TagOf(kFinish)) break;
    }
    absl::FPrintF(stderr, "rcl-bench: the command stream broke (%d: %s); %d commands in flight\n",
                  static_cast<int>(status_.error_code()), status_.error_message(), in_flight_);
    rcl::v1::BatchResult failed;
    failed.set_code(
        static_cast<int>(status_.ok() ? grpc::StatusCode::UNAVAILABLE : status_.error_code()));
    failed.set_message(status_.ok() ? "the command stream ended early" : status_.error_message());
    for (size_t i = 0; i < sources_.size(); ++i) {
      if (waiting_[i]) sources_[i]->Answered(failed);
      waiting_[i] = false;
    }
    in_flight_ = 0;
    return false;
  }

  const std::vector<StreamSource*>& sources_;
  grpc::ClientContext ctx_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::ByteBuffer read_;
  std::deque<rcl::v1::CommandStreamRequest> writes_;  // to send, in order
  grpc::ByteBuffer out_;                              // the write in progress
  bool started_ = false;
  bool writing_ = false;
  bool broken_ = false;
  std::vector<bool> waiting_;  // by source: a command of it is unanswered
  int in_flight_ = 0;
  grpc::Status status_;
};

}  // namespace

void DriveStream(grpc::GenericStub* stub, const std::string& authorization,
                 const std::vector<StreamSource*>& sources, std::latch* set_up, std::latch* go,
                 const std::function<bool()>& keep_going) {
  StreamCall call(stub, authorization, sources);
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i]->needs_setup()) call.Send(i);
  }
  bool ok = call.Pump([] { return false; });
  set_up->count_down();
  go->wait();
  if (ok) {
    for (size_t i = 0; i < sources.size(); ++i) {
      if (sources[i]->alive()) call.Send(i);
    }
    ok = call.Pump(keep_going);
  }
  if (ok) call.Close();
}

}  // namespace rcl::bench
