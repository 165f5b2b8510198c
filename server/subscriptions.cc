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

  void OnWriteDone(bool ok) override { hub_->OnWriteDone(this, ok); }
  void OnCancel() override { hub_->OnCancel(this); }
  // Only after Finish(), which the pump calls once it has forgotten this
  // subscriber.
  void OnDone() override { delete this; }

 private:
  friend class SubscriptionHub;
  SubscriptionHub* const hub_;
  // Pump thread only (the filter's tenant is immutable). What the hub's mutex
  // guards for this subscriber is in its Slot.
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
  return slots_.size();
}

SubscriptionHub::Slot& SubscriptionHub::SlotOf(Subscriber* s) {
  auto it = slots_.find(s);
  RCL_CHECK(it != slots_.end()) << "subscriber not admitted or already finished";
  return it->second;
}

void SubscriptionHub::MakeReady(Subscriber* s) {
  SlotOf(s).state = State::kReady;
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

// gRPC thread: the one write in flight completed; the pump may serve again.
void SubscriptionHub::OnWriteDone(Subscriber* s, bool ok) {
  absl::MutexLock lock(&mu_);
  Slot& slot = SlotOf(s);
  RCL_CHECK(slot.state == State::kInFlight);
  if (!ok) slot.broken = true;
  MakeReady(s);
}

// gRPC thread. A waiting subscriber is queued so that the pump finishes it;
// one with a write in flight is finished after OnWriteDone(false); one the
// hub has already forgotten (finished, or never admitted) needs nothing.
void SubscriptionHub::OnCancel(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(s);
  if (it == slots_.end()) return;
  Slot& slot = it->second;
  slot.cancelled = true;
  if (slot.state == State::kWaiting) {
    waiting_.erase({slot.wait_position, s});
    MakeReady(s);
  }
}

grpc::Status SubscriptionHub::Admit(const std::string& tenant) {
  if (stopping_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
  if (slots_.size() >= limits_.subscribers_max) {
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
      slots_.try_emplace(s);
      ++live_per_tenant_[request.tenant()];
      MakeReady(s);
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
  while (ready_.empty() && !(stopping_ && slots_.empty())) ready_cv_.Wait(&mu_);
  if (ready_.empty()) return nullptr;
  Subscriber* s = ready_.front();
  ready_.pop_front();
  SlotOf(s).state = State::kServing;
  return s;
}

void SubscriptionHub::Turn(Subscriber* s) {
  grpc::Status end;
  {
    absl::MutexLock lock(&mu_);
    const Slot& slot = SlotOf(s);
    if (stopping_) {
      end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
    } else if (slot.cancelled || slot.broken) {
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
  Slot& slot = SlotOf(s);
  if (stopping_ || slot.cancelled || slot.broken || s->next_position_ <= committed_head_) {
    MakeReady(s);
    return;
  }
  slot.state = State::kWaiting;
  slot.wait_position = s->next_position_;
  waiting_.emplace(slot.wait_position, s);
}

void SubscriptionHub::End(Subscriber* s, const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    size_t erased = slots_.erase(s);
    RCL_CHECK(erased == 1) << "subscriber finished twice";
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
    SlotOf(s).state = State::kInFlight;
  }
  s->StartWrite(&s->response_);
  return Step::kWriting;
}

}  // namespace rcl::server
