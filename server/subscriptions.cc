#include "server/subscriptions.h"

#include "absl/time/time.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace rcl::server {

class SubscriptionHub::Subscriber : public grpc::ServerWriteReactor<rcl::v1::SubscribeResponse> {
 public:
  Subscriber(SubscriptionHub* hub, EventFilter filter, uint64_t next_position)
      : hub_(hub), filter_(std::move(filter)), next_position_(next_position) {}

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&hub_->mu_);
    in_flight_ = false;
    if (!ok) broken_ = true;
    ++hub_->wakeups_;
  }
  void OnCancel() override {
    absl::MutexLock lock(&hub_->mu_);
    cancelled_ = true;
    ++hub_->wakeups_;
  }
  // Only after Finish(), which the pump calls once it has forgotten this
  // subscriber.
  void OnDone() override { delete this; }

 private:
  friend class SubscriptionHub;
  SubscriptionHub* hub_;
  // Guarded by hub_->mu_.
  bool in_flight_ = false;
  bool cancelled_ = false;
  bool broken_ = false;
  // Pump thread only.
  EventFilter filter_;
  uint64_t next_position_;
  uint64_t sent_checkpoint_ = 0;
  rcl::v1::SubscribeResponse response_;
};

SubscriptionHub::SubscriptionHub(ledger::Ledger* ledger) : ledger_(ledger) {
  listener_id_ = ledger_->AddCommitListener([this](uint64_t) { Wake(); });
  pump_ = std::thread([this] { PumpLoop(); });
}

SubscriptionHub::~SubscriptionHub() {
  Stop();
  ledger_->RemoveCommitListener(listener_id_);
}

void SubscriptionHub::Wake() {
  absl::MutexLock lock(&mu_);
  ++wakeups_;
}

size_t SubscriptionHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* SubscriptionHub::Start(
    const rcl::v1::SubscribeRequest& request) {
  EventFilter filter;
  filter.tenant = request.tenant();
  filter.stream_prefix = request.stream_prefix();
  filter.event_types.assign(request.event_types().begin(), request.event_types().end());
  auto* s = new Subscriber(this, std::move(filter), std::max<uint64_t>(request.from_position(), 1));
  absl::MutexLock lock(&mu_);
  if (stopping_ || subscribers_.size() >= kSubscribersMax) {
    s->Finish(stopping_ ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down")
                        : grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many subscriptions"));
    return s;
  }
  subscribers_.push_back(s);
  ++wakeups_;
  return s;
}

void SubscriptionHub::RequestStop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  ++wakeups_;
}

void SubscriptionHub::Stop() {
  RequestStop();
  if (pump_.joinable()) pump_.join();
}

void SubscriptionHub::PumpLoop() {
  uint64_t seen = 0;
  while (true) {
    std::vector<Subscriber*> idle;
    std::vector<std::pair<Subscriber*, grpc::Status>> to_finish;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wakeups_ != seen; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), absl::Seconds(1));
      seen = wakeups_;
      stopping = stopping_;
      for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        Subscriber* s = *it;
        if (s->in_flight_) {
          ++it;
          continue;
        }
        if (stopping || s->cancelled_ || s->broken_) {
          to_finish.emplace_back(s, stopping ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down")
                                             : grpc::Status(grpc::StatusCode::CANCELLED, "subscription cancelled"));
          it = subscribers_.erase(it);
          continue;
        }
        idle.push_back(s);
        ++it;
      }
      if (stopping && subscribers_.empty() && to_finish.empty()) return;
    }
    for (auto& [s, status] : to_finish) s->Finish(status);
    if (stopping) continue;
    uint64_t head = ledger_->head().position;
    for (Subscriber* s : idle) Serve(s, head);
  }
}

void SubscriptionHub::Serve(Subscriber* s, uint64_t head) {
  if (s->next_position_ > head && s->sent_checkpoint_ >= head) return;  // caught up; wait for a commit
  s->response_.Clear();
  size_t bytes = 0;
  uint64_t scan_to = head;
  if (s->next_position_ <= head && head - s->next_position_ >= kSubscribeScanPerStepMax) {
    scan_to = s->next_position_ + kSubscribeScanPerStepMax - 1;
  }
  uint64_t scanned_to = s->next_position_ - 1;
  absl::Status read = ledger_->store().ScanLog(
      s->next_position_, scan_to, kSubscribeScanPerStepMax, [&](const ledger::EventRecord& e) {
        if (s->filter_.Matches(e)) {
          ToApiEvent(e, s->response_.add_events());
          bytes += e.payload.size() + 256;
        }
        scanned_to = e.position;
        return s->response_.events_size() < static_cast<int>(kSubscribeEventsPerMessageMax) &&
               bytes < kSubscribeBytesPerMessageMax;
      });
  if (!read.ok()) {
    spdlog::error("subscription read failed: {}", read.ToString());
    {
      absl::MutexLock lock(&mu_);
      std::erase(subscribers_, s);
    }
    s->Finish(ToGrpcStatus(read));
    return;
  }
  s->next_position_ = scanned_to + 1;
  bool more_to_scan = scanned_to < head;
  // Send when there are events, or to tell a filtered subscriber how far it
  // has been considered once it reaches the head.
  if (s->response_.events_size() == 0 && (more_to_scan || scanned_to <= s->sent_checkpoint_)) {
    if (more_to_scan) Wake();
    return;
  }
  s->response_.set_checkpoint_position(scanned_to);
  s->response_.set_head_position(head);
  s->sent_checkpoint_ = scanned_to;
  {
    absl::MutexLock lock(&mu_);
    s->in_flight_ = true;
  }
  s->StartWrite(&s->response_);
}

}  // namespace rcl::server
