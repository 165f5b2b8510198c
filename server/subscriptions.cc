#include "server/subscriptions.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/status.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace rcl::server {

class SubscriptionHub::Subscriber : public grpc::ServerWriteReactor<rcl::v1::SubscribeResponse> {
 public:
  Subscriber(SubscriptionHub* hub, EventFilter filter, uint64_t next_position)
      : hub_(hub), filter_(std::move(filter)), next_position_(next_position) {}

  // gRPC thread: the one write in flight completed; the pump may serve again.
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&hub_->mu_);
    RCL_CHECK(state_ == State::kInFlight);
    if (!ok) broken_ = true;
    hub_->MakeReady(this);
  }
  // gRPC thread. A waiting subscriber is queued so that the pump finishes it;
  // one with a write in flight is finished after OnWriteDone(false).
  void OnCancel() override {
    absl::MutexLock lock(&hub_->mu_);
    cancelled_ = true;
    if (state_ == State::kWaiting) {
      hub_->waiting_.erase({wait_position_, this});
      hub_->MakeReady(this);
    }
  }
  // Only after Finish(), which the pump calls once it has forgotten this
  // subscriber.
  void OnDone() override { delete this; }

 private:
  friend class SubscriptionHub;
  SubscriptionHub* hub_;
  // Guarded by hub_->mu_.
  State state_ = State::kReady;
  uint64_t wait_position_ = 0;  // the key in waiting_ while kWaiting
  bool cancelled_ = false;
  bool broken_ = false;
  // Pump thread only (the filter's tenant is immutable).
  EventFilter filter_;
  uint64_t next_position_;
  uint64_t sent_checkpoint_ = 0;
  rcl::v1::SubscribeResponse response_;
};

SubscriptionHub::SubscriptionHub(ledger::Ledger* ledger, SubscriptionLimits limits) : ledger_(ledger), limits_(limits) {
  listener_id_ = ledger_->AddCommitListener([this](uint64_t head) { OnCommit(head); });
  {
    absl::MutexLock lock(&mu_);
    committed_head_ = std::max(committed_head_, ledger_->head().position);
  }
  pump_ = std::thread([this] { PumpLoop(); });
}

SubscriptionHub::~SubscriptionHub() {
  Stop();
  ledger_->RemoveCommitListener(listener_id_);
}

size_t SubscriptionHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return live_;
}

void SubscriptionHub::MakeReady(Subscriber* s) {
  s->state_ = State::kReady;
  ready_.push_back(s);
  ready_cv_.Signal();
}

void SubscriptionHub::OnCommit(uint64_t head) {
  absl::MutexLock lock(&mu_);
  committed_head_ = std::max(committed_head_, head);
  while (!waiting_.empty() && waiting_.begin()->first <= head) {
    Subscriber* s = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    MakeReady(s);
  }
}

grpc::Status SubscriptionHub::Admit(const std::string& tenant) {
  if (stopping_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
  if (live_ >= limits_.subscribers_max) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too many subscriptions on this server (", limits_.subscribers_max, ")"));
  }
  auto it = live_per_tenant_.find(tenant);
  if (it != live_per_tenant_.end() && it->second >= limits_.subscribers_per_tenant_max) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, absl::StrCat("too many subscriptions for this tenant (",
                                                                           limits_.subscribers_per_tenant_max, ")"));
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* SubscriptionHub::Start(const rcl::v1::SubscribeRequest& request) {
  EventFilter filter;
  filter.tenant = request.tenant();
  filter.stream_prefix = request.stream_prefix();
  filter.event_types.assign(request.event_types().begin(), request.event_types().end());
  auto* s = new Subscriber(this, std::move(filter), std::max<uint64_t>(request.from_position(), 1));
  grpc::Status admitted;
  {
    absl::MutexLock lock(&mu_);
    admitted = Admit(request.tenant());
    if (admitted.ok()) {
      ++live_;
      ++live_per_tenant_[request.tenant()];
      MakeReady(s);
    } else {
      s->state_ = State::kFinished;
    }
  }
  if (!admitted.ok()) s->Finish(admitted);
  return s;
}

void SubscriptionHub::RequestStop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (const auto& [position, s] : waiting_) MakeReady(s);
  waiting_.clear();
  ready_cv_.SignalAll();
}

void SubscriptionHub::Stop() {
  RequestStop();
  if (pump_.joinable()) pump_.join();
}

void SubscriptionHub::PumpLoop() {
  while (Subscriber* s = TakeReady()) Turn(s);
}

SubscriptionHub::Subscriber* SubscriptionHub::TakeReady() {
  absl::MutexLock lock(&mu_);
  while (ready_.empty() && !(stopping_ && live_ == 0)) ready_cv_.Wait(&mu_);
  if (ready_.empty()) return nullptr;
  Subscriber* s = ready_.front();
  ready_.pop_front();
  s->state_ = State::kServing;
  return s;
}

void SubscriptionHub::Turn(Subscriber* s) {
  grpc::Status end;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
    } else if (s->cancelled_ || s->broken_) {
      end = grpc::Status(grpc::StatusCode::CANCELLED, "subscription cancelled");
    }
  }
  if (!end.ok()) return End(s, end);
  absl::Status error;
  switch (Serve(s, ledger_->head().position, &error)) {
    case Step::kWriting: return;
    case Step::kMore: return Requeue(s);
    case Step::kCaughtUp: return Park(s);
    case Step::kFailed:
      spdlog::error("subscription read failed: {}", error.ToString());
      return End(s, ToGrpcStatus(error));
  }
}

void SubscriptionHub::Requeue(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  MakeReady(s);
}

void SubscriptionHub::Park(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  // A commit may have passed since the pump read the head, and OnCancel does
  // not queue a subscriber the pump holds: look again before sleeping.
  if (stopping_ || s->cancelled_ || s->broken_ || s->next_position_ <= committed_head_) {
    MakeReady(s);
    return;
  }
  s->state_ = State::kWaiting;
  s->wait_position_ = s->next_position_;
  waiting_.emplace(s->wait_position_, s);
}

void SubscriptionHub::End(Subscriber* s, const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    s->state_ = State::kFinished;
    --live_;
    auto it = live_per_tenant_.find(s->filter_.tenant);
    RCL_CHECK(it != live_per_tenant_.end() && it->second > 0);
    if (--it->second == 0) live_per_tenant_.erase(it);
  }
  s->Finish(status);
}

absl::Status SubscriptionHub::ReadPage(Subscriber* s, uint64_t head, uint64_t* scanned_to) {
  s->response_.Clear();
  size_t bytes = 0;
  uint64_t scan_to = head;
  if (head - s->next_position_ >= kSubscribeScanPerStepMax) {
    scan_to = s->next_position_ + kSubscribeScanPerStepMax - 1;
  }
  *scanned_to = s->next_position_ - 1;
  return ledger_->store().ScanLog(
      s->next_position_, scan_to, kSubscribeScanPerStepMax, [&](const ledger::EventRecord& e) {
        if (s->filter_.Matches(e)) {
          ToApiEvent(e, s->response_.add_events());
          bytes += e.payload.size() + 256;
        }
        *scanned_to = e.position;
        return s->response_.events_size() < static_cast<int>(kSubscribeEventsPerMessageMax) &&
               bytes < kSubscribeBytesPerMessageMax;
      });
}

SubscriptionHub::Step SubscriptionHub::Serve(Subscriber* s, uint64_t head, absl::Status* error) {
  if (s->next_position_ > head && s->sent_checkpoint_ >= head) return Step::kCaughtUp;
  uint64_t scanned_to = s->next_position_ - 1;
  if (s->next_position_ <= head) {
    *error = ReadPage(s, head, &scanned_to);
    if (!error->ok()) return Step::kFailed;
  } else {
    s->response_.Clear();  // from_position past the head: checkpoint only
  }
  s->next_position_ = scanned_to + 1;
  bool more_to_scan = scanned_to < head;
  // Send when there are events, or to tell a filtered subscriber how far it
  // has been considered once it reaches the head.
  if (s->response_.events_size() == 0 && (more_to_scan || scanned_to <= s->sent_checkpoint_)) {
    return more_to_scan ? Step::kMore : Step::kCaughtUp;
  }
  s->response_.set_checkpoint_position(scanned_to);
  s->response_.set_head_position(head);
  s->sent_checkpoint_ = scanned_to;
  {
    absl::MutexLock lock(&mu_);
    s->state_ = State::kInFlight;
  }
  s->StartWrite(&s->response_);
  return Step::kWriting;
}

}  // namespace rcl::server
