// Server-streaming subscriptions: catch-up from the log, then live, in
// position order with no gap and no duplicate.
//
// One pump thread serves every subscriber, but only the ones that can take
// more: it takes them one at a time from a ready queue and never scans the
// whole set. Each admitted subscriber has a Slot (in slots_) whose state is
// exactly one of:
//
//   kReady     in ready_, waiting for the pump;
//   kServing   taken by the pump (reading a page, building a message);
//   kInFlight  one response written, not yet acknowledged by gRPC: not
//              visited until OnWriteDone puts it back in ready_;
//   kWaiting   caught up, in waiting_ keyed by its next position: not visited
//              until a commit reaches that position (the commit listener
//              moves it to ready_).
//
// A subscriber the hub has finished (Finish() called) or never admitted has
// no slot: the hub has forgotten it.
//
// A subscriber that does not read stays kInFlight (its write is stuck on
// HTTP/2 flow control) and costs nothing but its one message of memory. A
// caught-up subscriber costs one ordered-set entry until a commit passes it.
// There is no polling: the pump sleeps until ready_ is non-empty.
//
// Threads:
//   - pump thread: reads from RocksDB, builds messages, calls StartWrite and
//     Finish. Owns each Subscriber's filter, positions and response buffer.
//   - writer thread (commit listener): only moves waiting subscribers that a
//     commit passed to ready_ (no disk, no gRPC calls).
//   - gRPC callback threads (Start, OnWriteDone, OnCancel): only update state
//     under mu_ and queue the subscriber; never disk I/O, never blocking.
//
// Locking: one mutex, mu_. Everything it guards is a member of the hub and
// says so (ABSL_GUARDED_BY), including each subscriber's scheduling state
// (its Slot in slots_), so clang's -Wthread-safety (ops/check-thread-safety)
// checks that every use of them holds mu_. The analysis does not follow a
// Slot& once taken: SlotOf() requires mu_, and its reference is used only
// under the lock that found it. A Subscriber itself holds only what the pump
// thread alone touches.
#ifndef RCL_SERVER_SUBSCRIPTIONS_H_
#define RCL_SERVER_SUBSCRIPTIONS_H_

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "ledger/ledger.h"
#include "rcl/v1/api.pb.h"
#include "server/event_convert.h"

namespace rcl::server {

// Concurrent subscriptions, server-wide. Each can hold one message (up to
// kSubscribeBytesPerMessageMax, 1 MiB) while its client does not read, so this
// bounds that memory to about 1 GiB.
inline constexpr size_t kSubscribersMax = 1024;
// Concurrent subscriptions of one tenant. No tenant can take more, so one
// tenant cannot lock the others out: with the defaults, at least
// kSubscribersMax / kSubscribersPerTenantMax = 4 tenants fit at full share.
inline constexpr size_t kSubscribersPerTenantMax = 256;
inline constexpr size_t kSubscribeEventsPerMessageMax = 256;
inline constexpr size_t kSubscribeBytesPerMessageMax = 1 << 20;
inline constexpr size_t kSubscribeScanPerStepMax = 4096;

struct SubscriptionLimits {
  size_t subscribers_max = kSubscribersMax;
  size_t subscribers_per_tenant_max = kSubscribersPerTenantMax;
};

class SubscriptionHub {
 public:
  explicit SubscriptionHub(ledger::Ledger* ledger, SubscriptionLimits limits = {});
  ~SubscriptionHub();  // Stop()s

  // Starts serving a Subscribe call. Returns the reactor gRPC will drive.
  // Called on a gRPC thread; never blocks.
  grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* Start(const rcl::v1::SubscribeRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Starts finishing every subscription (UNAVAILABLE) as soon as it has no
  // write in flight; returns at once.
  void RequestStop() ABSL_LOCKS_EXCLUDED(mu_);
  // RequestStop() and wait for the pump to finish every subscription.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  size_t subscriber_count() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class Subscriber;
  enum class State { kReady, kServing, kInFlight, kWaiting };
  // What one pump step did with a subscriber.
  enum class Step { kWriting, kMore, kCaughtUp, kFailed };
  // The hub's record of one admitted subscriber, until it is finished.
  struct Slot {
    State state = State::kReady;
    uint64_t wait_position = 0;  // the key in waiting_ while kWaiting
    bool cancelled = false;      // OnCancel() was called
    bool broken = false;         // a write failed (OnWriteDone(false))
  };

  void PumpLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until a subscriber is ready (returned as kServing) or, once
  // stopping, every subscriber is finished (nullptr).
  Subscriber* TakeReady() ABSL_LOCKS_EXCLUDED(mu_);
  // One turn for `s` (kServing): finish it, or serve one message.
  void Turn(Subscriber* s) ABSL_LOCKS_EXCLUDED(mu_);
  // Reads and starts the next write for `s`. Pump thread only.
  Step Serve(Subscriber* s, uint64_t head, absl::Status* error) ABSL_LOCKS_EXCLUDED(mu_);
  // Scans from s->next_position_ (<= head) into s->response_: at most
  // kSubscribeScanPerStepMax positions, up to the message limits. Pump thread
  // only; takes no lock (touches only what the pump owns).
  absl::Status ReadPage(Subscriber* s, uint64_t head, uint64_t* scanned_to);
  // After a turn that wrote nothing: back of the ready queue, or waiting.
  void Requeue(Subscriber* s) ABSL_LOCKS_EXCLUDED(mu_);
  void Park(Subscriber* s) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets `s` and finishes the call. Pump thread only, s has no write in flight.
  void End(Subscriber* s, const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // Called on the writer thread after every commit.
  void OnCommit(uint64_t head) ABSL_LOCKS_EXCLUDED(mu_);
  // The reactor's callbacks, on gRPC threads.
  void OnWriteDone(Subscriber* s, bool ok) ABSL_LOCKS_EXCLUDED(mu_);
  void OnCancel(Subscriber* s) ABSL_LOCKS_EXCLUDED(mu_);

  // The slot of an admitted, unfinished subscriber (checked). The reference
  // is valid until slots_ next gains an entry; use it under the same lock.
  Slot& SlotOf(Subscriber* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MakeReady(Subscriber* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  grpc::Status Admit(const std::string& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ledger::Ledger* ledger_;
  const SubscriptionLimits limits_;
  int listener_id_ = 0;
  mutable absl::Mutex mu_;
  absl::CondVar ready_cv_;  // signalled when ready_ gains an entry, or at stop
  // Every admitted subscriber not yet finished, with its scheduling state.
  absl::flat_hash_map<Subscriber*, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::deque<Subscriber*> ready_ ABSL_GUARDED_BY(mu_);
  // Caught-up subscribers by the position they wait for.
  std::set<std::pair<uint64_t, Subscriber*>> waiting_ ABSL_GUARDED_BY(mu_);
  // The head the last commit listener call reported.
  uint64_t committed_head_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, size_t> live_per_tenant_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread pump_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_SUBSCRIPTIONS_H_
