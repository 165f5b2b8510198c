#include "server/import_stream.h"

#include <deque>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"
#include "ledger/status.h"
#include "server/services.h"
#include "server/status_mapping.h"

namespace rcl::server {

using Response = rcl::v1::ImportRemittanceFileStreamResponse;
using Progress = rcl::v1::ImportRemittanceProgress;

absl::Status CheckImportSize(const rcl::v1::ImportRemittanceFileRequest& req) {
  if (req.x12().size() <= ledger::kImportBytesMax) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat("the file has ", req.x12().size(),
                                                   " bytes; at most ", ledger::kImportBytesMax,
                                                   " (64 MiB) are imported"));
}

ledger::CommandRequest ImportCommand(const rcl::v1::ImportRemittanceFileRequest& req,
                                     const Caller& caller) {
  const rcl::v1::CommandContext& context = req.context();
  ledger::CommandRequest request;
  request.tenant = context.tenant();
  request.dry_run = req.dry_run();
  if (!request.dry_run) request.command_id = context.command_id();
  if (context.has_expected_version()) request.expected_version = context.expected_version();
  request.correlation_id = context.correlation_id();
  request.causation_id = context.causation_id();
  request.actor = caller.actor;
  auto* import = request.command->mutable_import_remittance_file();
  import->set_x12(req.x12());
  import->set_accept_imbalance(req.accept_imbalance());
  return request;
}

absl::Status ReadImportSummary(const ledger::EventStore& store, const std::string& tenant,
                               const std::string& stream, rcl::v1::RemittanceFileImported* out) {
  RCL_ASSIGN_OR_RETURN(auto events, store.ReadStream(tenant, stream, 0, false, 1, kPageBytesMax));
  if (events.empty() || !out->ParseFromString(events[0].payload)) {
    return absl::DataLossError(absl::StrCat("no import summary on ", stream));
  }
  return absl::OkStatus();
}

void FillDryRunAnswer(const ledger::CommandResult& r, bool with_preview,
                      rcl::v1::ImportRemittanceFileResponse* resp) {
  for (const ledger::NewEvent& e : r.preview) {
    if (e.type == rcl::v1::RemittanceFileImported::descriptor()->name()) {
      resp->mutable_summary()->ParseFromString(e.payload);
    }
    if (!with_preview) continue;
    auto* p = resp->add_preview();
    p->set_stream(e.stream);
    p->set_type(e.type);
    p->set_payload(e.payload);
  }
}

namespace {

Progress::Phase PhaseOf(int phase) {
  switch (phase) {
    case ledger::ImportProgress::kParsing: return Progress::IMPORT_PHASE_PARSING;
    case ledger::ImportProgress::kMatching: return Progress::IMPORT_PHASE_MATCHING;
    case ledger::ImportProgress::kPosting: return Progress::IMPORT_PHASE_POSTING;
    default: return Progress::IMPORT_PHASE_QUEUED;
  }
}

// A dry run's events as preview chunks of at most kImportStreamChunkBytesMax.
void AddPreviewChunks(const ledger::CommandResult& r, std::deque<Response>* out) {
  size_t bytes = kImportStreamChunkBytesMax;  // start a chunk at the first event
  for (const ledger::NewEvent& e : r.preview) {
    const size_t size = e.stream.size() + e.type.size() + e.payload.size();
    if (bytes + size > kImportStreamChunkBytesMax && bytes > 0) {
      out->emplace_back();
      out->back().mutable_preview();
      bytes = 0;
    }
    auto* p = out->back().mutable_preview()->add_events();
    p->set_stream(e.stream);
    p->set_type(e.type);
    p->set_payload(e.payload);
    bytes += size;
  }
}

class ImportStream final : public grpc::ServerWriteReactor<Response> {
 public:
  ImportStream(ledger::Ledger* ledger, WorkPool* reads) : ledger_(ledger), reads_(reads) {}

  void Start(ledger::CommandRequest request) {
    request.progress = progress_;
    tenant_ = request.tenant;
    {
      absl::MutexLock lock(&mu_);
      ticking_ = true;
    }
    absl::Status queued = ledger_->Submit(
        std::move(request), [this](absl::StatusOr<ledger::CommandResult> r) { OnResult(r); });
    // Refused at once (invalid, queue full): no answer will come from the
    // ledger; the first tick finishes the call.
    if (!queued.ok()) Answer(queued, {});
    Arm();
  }

  void OnWriteDone(bool ok) override {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) broken_ = true;
      step = NextLocked();
    }
    Run(step);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    broken_ = true;  // the import goes on (it cannot be taken back); nothing more is sent
  }

  void OnDone() override { delete this; }

 private:
  // What to do outside the lock.
  struct Step {
    const Response* write = nullptr;
    bool finish = false;
    bool arm = false;
    absl::Status status;
  };

  // Sets the next tick. The alarm that just fired (if any) is released
  // here; gRPC keeps it alive until its callback (the caller) returns.
  void Arm() {
    std::unique_ptr<grpc::Alarm> fired = std::exchange(alarm_, std::make_unique<grpc::Alarm>());
    alarm_->Set(absl::ToChronoTime(absl::Now() + kImportProgressInterval),
                [this](bool) { OnTick(); });
  }

  void OnTick() {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      ticking_ = false;
      if (!answered_ && !broken_) {
        if (!writing_) step.write = ProgressLocked();
        ticking_ = true;
        step.arm = true;
      } else {
        step = NextLocked();
      }
    }
    Run(step);
  }

  // The progress message when something moved since the last one.
  const Response* ProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Progress p;
    p.set_phase(PhaseOf(progress_->phase.load(std::memory_order_relaxed)));
    p.set_done(progress_->done.load(std::memory_order_relaxed));
    p.set_total(progress_->total.load(std::memory_order_relaxed));
    if (sent_any_ && p.phase() == last_.phase() && p.done() == last_.done() &&
        p.total() == last_.total()) {
      return nullptr;
    }
    sent_any_ = true;
    last_ = p;
    out_.Clear();
    *out_.mutable_progress() = std::move(p);
    writing_ = true;
    return &out_;
  }

  // Once answered: the next queued message, else the end of the call.
  Step NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Step step;
    if (!answered_ || writing_ || finished_) return step;
    if (!broken_ && !queue_.empty()) {
      out_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      step.write = &out_;
      return step;
    }
    if (ticking_) return step;  // the pending tick finishes the call
    finished_ = true;
    step.finish = true;
    step.status = status_;
    return step;
  }

  void Run(const Step& step) {
    if (step.write != nullptr) StartWrite(step.write);
    if (step.finish) Finish(ToGrpcStatus(step.status));
    if (step.arm) Arm();
  }

  // The end of the import: `messages` to send, then `status`.
  void Answer(absl::Status status, std::deque<Response> messages) {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      RCL_CHECK(!answered_) << "an import answered twice";
      answered_ = true;
      status_ = std::move(status);
      queue_ = std::move(messages);
      step = NextLocked();
    }
    Run(step);
  }

  // The ledger's completer thread: must not block.
  void OnResult(const absl::StatusOr<ledger::CommandResult>& r) {
    if (!r.ok()) return Answer(r.status(), {});
    std::deque<Response> messages;
    if (!r->preview.empty() || r->event_ids.empty()) {  // a dry run
      AddPreviewChunks(*r, &messages);
      messages.emplace_back();
      FillDryRunAnswer(*r, /*with_preview=*/false, messages.back().mutable_done());
      return Answer(absl::OkStatus(), std::move(messages));
    }
    messages.emplace_back();
    Progress* durable = messages.back().mutable_progress();
    durable->set_phase(Progress::IMPORT_PHASE_DURABLE);
    durable->set_done(r->event_ids.size());
    durable->set_total(r->event_ids.size());
    messages.emplace_back();
    rcl::v1::ImportRemittanceFileResponse* done = messages.back().mutable_done();
    ToCommandResponse(*r, done->mutable_result());
    const std::string stream = r->stream;
    const uint64_t position = r->position;
    auto holder = std::make_shared<std::deque<Response>>(std::move(messages));
    bool queued = reads_->TrySchedule(
        kImportSummaryReadBytes, [this, holder, stream](std::unique_ptr<ByteLease>) {
          absl::Status read = ReadImportSummary(ledger_->store(), tenant_, stream,
                                                holder->back().mutable_done()->mutable_summary());
          Answer(read, read.ok() ? std::move(*holder) : std::deque<Response>());
        });
    if (!queued) {
      Answer(absl::UnavailableError(absl::StrCat(
                 "the file was imported (position ", position,
                 ") but too many reads are in progress to answer with its summary; the same "
                 "command id answers again")),
             {});
    }
  }

  ledger::Ledger* const ledger_;
  WorkPool* const reads_;
  const std::shared_ptr<ledger::ImportProgress> progress_ =
      std::make_shared<ledger::ImportProgress>();
  std::string tenant_;
  // Set in Start and by the tick that fired (never two at once).
  std::unique_ptr<grpc::Alarm> alarm_;

  absl::Mutex mu_;
  bool ticking_ ABSL_GUARDED_BY(mu_) = false;   // an alarm is set and has not fired
  bool writing_ ABSL_GUARDED_BY(mu_) = false;   // a StartWrite not yet done
  bool broken_ ABSL_GUARDED_BY(mu_) = false;    // cancelled or a write failed: send nothing
  bool answered_ ABSL_GUARDED_BY(mu_) = false;  // the ledger (or a refusal) answered
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_any_ ABSL_GUARDED_BY(mu_) = false;
  Progress last_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::deque<Response> queue_ ABSL_GUARDED_BY(mu_);
  Response out_;  // the message being written (only while writing_)
};

}  // namespace

grpc::ServerWriteReactor<Response>* StartImportStream(
    ledger::Ledger* ledger, WorkPool* reads, RequestPtr<rcl::v1::ImportRemittanceFileRequest> req,
    const Caller& caller) {
  absl::Status size = CheckImportSize(*req);
  if (!size.ok()) return new RejectedWrite<Response>(size);
  auto* stream = new ImportStream(ledger, reads);
  stream->Start(ImportCommand(*req, caller));
  return stream;
}

}  // namespace rcl::server
