#include "server/subscriptions.h"

#include <algorithm>
#include <vector>

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
  // While kParked: the frontier when it parked + 1 (the frontier may have
  // moved on since; whoever unparks it on the pump sets the real one).
  uint64_t next_position_;
  uint64_t sent_checkpoint_ = 0;
  absl::Time last_sent_ = absl::InfinitePast();  // when the last message was written
  rcl::v1::SubscribeResponse response_;
};

SubscriptionHub::SubscriptionHub(ledger::Ledger* ledger, SubscriptionLimits limits)
    : ledger_(ledger), limits_(limits) {
  listener_id_ = ledger_->AddCommitListener([this](uint64_t head) { OnCommit(head); });
  {
    absl::MutexLock lock(&mu_);
    committed_head_ = std::max(committed_head_, ledger_->head().position);
    frontier_ = committed_head_;  // nobody is parked yet
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

bool SubscriptionHub::AnyoneParkedOrWaiting() const {
  return !parked_.empty() || !waiting_.empty();
}

void SubscriptionHub::ParkAtFrontier(Subscriber* s) {
  Slot& slot = SlotOf(s);
  slot.state = State::kParked;
  s->next_position_ = frontier_ + 1;
  parked_[s->filter_.tenant].insert(s);
  if (s->sent_checkpoint_ < frontier_) {
    slot.due = std::max(absl::Now(), s->last_sent_ + kCheckpointInterval);
    due_.emplace(slot.due, s);
  } else {
    slot.due = absl::InfiniteFuture();
    clean_.insert(s);
  }
}

void SubscriptionHub::Unpark(Subscriber* s) {
  Slot& slot = SlotOf(s);
  if (slot.state == State::kWaiting) {
    waiting_.erase({slot.wait_position, s});
  } else {
    RCL_CHECK(slot.state == State::kParked);
    auto bucket = parked_.find(s->filter_.tenant);
    RCL_CHECK(bucket != parked_.end());
    bucket->second.erase(s);
    if (bucket->second.empty()) parked_.erase(bucket);
    if (slot.due != absl::InfiniteFuture()) {
      due_.erase({slot.due, s});
      slot.due = absl::InfiniteFuture();
    } else {
      clean_.erase(s);
    }
  }
  MakeReady(s);
}

// Writer thread: cheap and non-blocking beyond mu_. The pump reads the new
// positions, once for everyone.
void SubscriptionHub::OnCommit(uint64_t head) {
  absl::MutexLock lock(&mu_);
  if (head <= committed_head_) return;
  committed_head_ = head;
  if (AnyoneParkedOrWaiting()) ready_cv_.Signal();
}

// gRPC thread: the one write in flight completed; the pump may serve again.
void SubscriptionHub::OnWriteDone(Subscriber* s, bool ok) {
  absl::MutexLock lock(&mu_);
  Slot& slot = SlotOf(s);
  RCL_CHECK(slot.state == State::kInFlight);
  if (!ok) slot.broken = true;
  MakeReady(s);
}

// gRPC thread. A parked or waiting subscriber is queued so that the pump
// finishes it; one with a write in flight is finished after
// OnWriteDone(false); one the hub has already forgotten (finished, or never
// admitted) needs nothing.
void SubscriptionHub::OnCancel(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(s);
  if (it == slots_.end()) return;
  Slot& slot = it->second;
  slot.cancelled = true;
  if (slot.state == State::kParked || slot.state == State::kWaiting) Unpark(s);
}

grpc::Status SubscriptionHub::Admit(const std::string& tenant) {
  if (stopping_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
  if (slots_.size() >= limits_.subscribers_max) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("too many subscriptions on this server (", limits_.subscribers_max, ")"));
  }
  auto it = live_per_tenant_.find(tenant);
  if (it != live_per_tenant_.end() && it->second >= limits_.subscribers_per_tenant_max) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too many subscriptions for this tenant (",
                                     limits_.subscribers_per_tenant_max, ")"));
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* SubscriptionHub::Start(
    const rcl::v1::SubscribeRequest& request) {
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
  std::vector<Subscriber*> idle;
  for (const auto& [tenant, bucket] : parked_)
    idle.insert(idle.end(), bucket.begin(), bucket.end());
  for (const auto& [position, s] : waiting_) idle.push_back(s);
  for (Subscriber* s : idle) Unpark(s);
  ready_cv_.SignalAll();
}

void SubscriptionHub::Stop() {
  RequestStop();
  if (pump_.joinable()) pump_.join();
}

void SubscriptionHub::PumpLoop() {
  bool swept = false;
  Subscriber* s = nullptr;
  Sweep sweep;
  // After a frontier step, a ready subscriber goes first: steps cannot
  // starve the subscribers, nor the subscribers the steps.
  while (TakeWork(swept, &s, &sweep)) {
    swept = s == nullptr;
    if (swept) {
      RunSweep(std::move(sweep));
      sweep = Sweep();
    } else {
      Turn(s);
    }
  }
}

bool SubscriptionHub::TakeWork(bool prefer_serving, Subscriber** s, Sweep* sweep) {
  absl::MutexLock lock(&mu_);
  while (true) {
    FireDue(absl::Now());
    const bool step = PlanSweep(sweep);
    if (step && (!prefer_serving || ready_.empty())) {
      *s = nullptr;
      return true;
    }
    if (!ready_.empty()) {
      *s = ready_.front();
      ready_.pop_front();
      SlotOf(*s).state = State::kServing;
      return true;
    }
    if (stopping_ && slots_.empty()) return false;
    // Sleep until a subscriber is ready, a commit passes the frontier while
    // someone is parked (OnCommit), or the first owed checkpoint is due; with
    // nothing owed there is no deadline at all.
    if (due_.empty()) {
      ready_cv_.Wait(&mu_);
    } else {
      ready_cv_.WaitWithDeadline(&mu_, due_.begin()->first);
    }
  }
}

void SubscriptionHub::FireDue(absl::Time now) {
  while (!due_.empty() && due_.begin()->first <= now) {
    Subscriber* s = due_.begin()->second;
    s->next_position_ = frontier_ + 1;
    Unpark(s);
  }
}

void SubscriptionHub::PassUnread(uint64_t to) {
  if (to <= frontier_) return;
  if (!sweeps_.empty() && sweeps_.back().all_tenants) {
    sweeps_.back().to = to;
  } else {
    Sweep unread;
    unread.from = frontier_ + 1;
    unread.to = to;
    unread.all_tenants = true;
    Remember(std::move(unread));
  }
  frontier_ = to;
}

void SubscriptionHub::Remember(Sweep sweep) {
  sweeps_.push_back(std::move(sweep));
  while (sweeps_.size() > kSweepsRemembered) sweeps_.pop_front();
}

bool SubscriptionHub::PlanSweep(Sweep* sweep) {
  if (stopping_ || committed_head_ <= frontier_) return false;
  // Read the new positions only when someone is parked (to wake just the
  // right ones) or ready (it will come back at the frontier soon and can then
  // skip what the step found). Subscribers that are all in flight, or behind,
  // read for themselves as before.
  if (parked_.empty() && ready_.empty()) {
    PassUnread(waiting_.empty() ? committed_head_
                                : std::min(committed_head_, waiting_.begin()->first - 1));
    if (committed_head_ <= frontier_) return false;
  }
  sweep->from = frontier_ + 1;
  sweep->to = std::min<uint64_t>(committed_head_, frontier_ + kSubscribeScanPerStepMax);
  sweep->all_tenants = false;
  sweep->tenants.clear();
  return true;
}

void SubscriptionHub::RunSweep(Sweep sweep) {
  absl::Status status = ledger_->store().ScanLogViews(
      sweep.from, sweep.to, kSubscribeScanPerStepMax, [&](const ledger::RecordView& e) {
        if (!sweep.tenants.contains(AbslView(e.tenant))) sweep.tenants.emplace(e.tenant);
        return true;
      });
  if (!status.ok()) {
    // Everyone it covers reads for itself (and meets the error there).
    spdlog::error("subscription frontier read failed: {}", status.ToString());
    sweep.all_tenants = true;
  }
  auto has_events = [&sweep](const std::string& tenant) {
    return sweep.all_tenants || sweep.tenants.contains(tenant);
  };
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;  // RequestStop queued everyone
    RCL_CHECK(sweep.from == frontier_ + 1 && sweep.to <= committed_head_);
    // Parked subscribers of tenants with events there read from sweep.from.
    std::vector<Subscriber*> woken;
    for (const auto& [tenant, bucket] : parked_) {
      if (has_events(tenant)) woken.insert(woken.end(), bucket.begin(), bucket.end());
    }
    for (Subscriber* s : woken) {
      s->next_position_ = sweep.from;
      Unpark(s);
    }
    // Waiting subscribers the step reached: read from where they wait, or
    // park at the new frontier.
    std::vector<Subscriber*> passed;
    while (!waiting_.empty() && waiting_.begin()->first <= sweep.to) {
      auto [position, s] = *waiting_.begin();
      waiting_.erase(waiting_.begin());
      if (has_events(s->filter_.tenant)) {
        s->next_position_ = position;
        MakeReady(s);
      } else {
        passed.push_back(s);
      }
    }
    // The others stay parked; their position moves with the frontier, and
    // those whose client had every checkpoint are now owed one.
    for (Subscriber* s : clean_) {
      Slot& slot = SlotOf(s);
      slot.due = std::max(absl::Now(), s->last_sent_ + kCheckpointInterval);
      due_.emplace(slot.due, s);
    }
    clean_.clear();
    frontier_ = sweep.to;
    for (Subscriber* s : passed) ParkAtFrontier(s);
  }
  Remember(std::move(sweep));
}

void SubscriptionHub::Turn(Subscriber* s) {
  grpc::Status end;
  uint64_t limit = 0;
  {
    absl::MutexLock lock(&mu_);
    limit = frontier_;
    const Slot& slot = SlotOf(s);
    if (stopping_) {
      end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
    } else if (slot.cancelled || slot.broken) {
      end = grpc::Status(grpc::StatusCode::CANCELLED, "subscription cancelled");
    }
  }
  if (!end.ok()) return End(s, end);
  absl::Status error;
  switch (Serve(s, limit, std::max(limit, ledger_->head().position), &error)) {
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
  // OnCancel does not queue a subscriber the pump holds: look again before
  // parking. Only the pump moves the frontier, so it is where Serve saw it.
  Slot& slot = SlotOf(s);
  if (stopping_ || slot.cancelled || slot.broken || s->next_position_ <= frontier_) {
    MakeReady(s);
    return;
  }
  if (s->next_position_ == frontier_ + 1) return ParkAtFrontier(s);
  // It asked to start past the frontier: the frontier steps reach it.
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

void SubscriptionHub::SkipQuietPositions(Subscriber* s, uint64_t limit) const {
  uint64_t p = s->next_position_;
  if (sweeps_.empty() || p < sweeps_.front().from || p > limit) return;
  auto it =
      std::lower_bound(sweeps_.begin(), sweeps_.end(), p,
                       [](const Sweep& sweep, uint64_t position) { return sweep.to < position; });
  for (; it != sweeps_.end() && it->from <= limit; ++it) {
    if (it->all_tenants || it->tenants.contains(s->filter_.tenant)) break;
    p = it->to + 1;
  }
  s->next_position_ = std::max(s->next_position_, p);
}

absl::Status SubscriptionHub::ReadPage(Subscriber* s, uint64_t limit, uint64_t* scanned_to) {
  size_t bytes = 0;
  uint64_t scan_to = limit;
  if (limit - s->next_position_ >= kSubscribeScanPerStepMax) {
    scan_to = s->next_position_ + kSubscribeScanPerStepMax - 1;
  }
  *scanned_to = s->next_position_ - 1;
  // The tenant's own index: catching up costs what the tenant holds.
  return ledger_->store().ScanTenant(
      s->filter_.tenant, s->next_position_, scan_to, kSubscribeScanPerStepMax,
      [&](const ledger::EventRecord& e) {
        if (s->filter_.Matches(e)) {
          ToApiEvent(e, s->response_.add_events());
          bytes += e.payload.size() + 256;
        }
        return s->response_.events_size() < static_cast<int>(kSubscribeEventsPerMessageMax) &&
               bytes < kSubscribeBytesPerMessageMax;
      },
      scanned_to);
}

SubscriptionHub::Step SubscriptionHub::Serve(Subscriber* s, uint64_t limit, uint64_t head,
                                             absl::Status* error) {
  s->response_.Clear();
  SkipQuietPositions(s, limit);
  // Past `limit` when it asked to start beyond the frontier.
  uint64_t scanned_to = s->next_position_ - 1;
  if (s->next_position_ <= limit) {
    *error = ReadPage(s, limit, &scanned_to);
    if (!error->ok()) return Step::kFailed;
    s->next_position_ = scanned_to + 1;
  }
  if (s->response_.events_size() == 0) {
    // While a filtered subscriber catches up over positions it does not
    // match, nothing is sent.
    if (scanned_to < limit) return Step::kMore;
    // Caught up. A checkpoint-only message when the checkpoint moved, at
    // most once per kCheckpointInterval; Park() owes it otherwise.
    if (scanned_to <= s->sent_checkpoint_) return Step::kCaughtUp;
    if (absl::Now() < s->last_sent_ + kCheckpointInterval) return Step::kCaughtUp;
  }
  s->response_.set_checkpoint_position(scanned_to);
  s->response_.set_head_position(std::max(head, scanned_to));
  s->sent_checkpoint_ = scanned_to;
  s->last_sent_ = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    SlotOf(s).state = State::kInFlight;
  }
  s->StartWrite(&s->response_);
  return Step::kWriting;
}

}  // namespace rcl::server
