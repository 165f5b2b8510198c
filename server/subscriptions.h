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
//   kParked    caught up at the frontier (its next position is frontier_ + 1),
//              in parked_ under its tenant and in exactly one of clean_ (its
//              client has every checkpoint) or due_ (a newer checkpoint is
//              owed, keyed by when it may be sent);
//   kWaiting   caught up past the frontier (it asked to start beyond it), in
//              waiting_ keyed by its next position.
//
// A subscriber the hub has finished (Finish() called) or never admitted has
// no slot: the hub has forgotten it.
//
// The frontier. Every position up to frontier_ has been classified: the pump
// knows which tenants have events there. When commits move the head past it
// and someone is parked or waiting, the pump reads the new positions once
// (one ScanLog of at most kSubscribeScanPerStepMax positions per step, not one
// per subscriber), wakes only the parked subscribers of tenants that have an
// event there, and leaves the others parked: their position moves with the
// frontier and nothing is read for them. Their checkpoint is then owed; it is
// sent at most once per kCheckpointInterval (the pump waits for the earliest
// deadline in due_, and waits without a deadline when due_ is empty). The
// pump keeps what the last steps found (sweeps_), so a subscriber that comes
// back from a write behind the frontier skips the positions where its tenant
// has no event without reading them. Nobody parked or waiting: the frontier
// simply follows the head, unread.
//
// A subscriber that does not read stays kInFlight (its write is stuck on
// HTTP/2 flow control) and costs nothing but its one message of memory. A
// caught-up subscriber costs a set entry, moves with the frontier for free
// while its tenant writes nothing, and gets at most one checkpoint-only
// message per kCheckpointInterval. There is no polling: the pump sleeps until
// ready_ is non-empty, a commit passes the frontier while someone is parked,
// or the earliest owed checkpoint is due.
//
// Threads:
//   - pump thread: reads from RocksDB (the frontier steps and each
//     subscriber's pages), builds messages, calls StartWrite and Finish. Owns
//     each Subscriber's filter, positions and response buffer, and sweeps_.
//   - writer thread (commit listener): only records the new head and, when
//     someone is parked or waiting, wakes the pump (no disk, no gRPC calls, no
//     walk over subscribers).
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
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
// A caught-up subscriber gets a message without events at most once per
// interval: a newer checkpoint is held back until the interval since its last
// message has passed, then the newest one is sent. Messages with events are
// never held back.
inline constexpr absl::Duration kCheckpointInterval = absl::Seconds(1);
// Frontier steps the pump remembers (which tenants had events where), so
// that a subscriber behind the frontier skips the positions of other tenants.
inline constexpr size_t kSweepsRemembered = 256;

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
  grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* Start(
      const rcl::v1::SubscribeRequest& request) ABSL_LOCKS_EXCLUDED(mu_);

  // Starts finishing every subscription (UNAVAILABLE) as soon as it has no
  // write in flight; returns at once.
  void RequestStop() ABSL_LOCKS_EXCLUDED(mu_);
  // RequestStop() and wait for the pump to finish every subscription.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  size_t subscriber_count() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class Subscriber;
  enum class State { kReady, kServing, kInFlight, kParked, kWaiting };
  // What one pump step did with a subscriber.
  enum class Step { kWriting, kMore, kCaughtUp, kFailed };
  // The hub's record of one admitted subscriber, until it is finished.
  struct Slot {
    State state = State::kReady;
    uint64_t wait_position = 0;               // the key in waiting_ while kWaiting
    absl::Time due = absl::InfiniteFuture();  // the key in due_ while kParked and owed a checkpoint
    bool cancelled = false;                   // OnCancel() was called
    bool broken = false;                      // a write failed (OnWriteDone(false))
  };
  // One frontier step: positions [from, to] and the tenants with an event
  // there (every tenant when the scan failed).
  struct Sweep {
    uint64_t from = 0;
    uint64_t to = 0;
    bool all_tenants = false;
    absl::flat_hash_set<std::string> tenants;
  };

  void PumpLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until there is work: a subscriber to serve (*s, now kServing) or
  // a frontier step to take (*sweep, *s == nullptr); with `prefer_serving`, a
  // ready subscriber goes first. Returns false once stopping and every
  // subscriber is finished.
  bool TakeWork(bool prefer_serving, Subscriber** s, Sweep* sweep) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether a frontier step is needed; if so, its range in *sweep. Moves the
  // frontier towards the head without reading when nobody is parked or ready
  // (the positions passed are remembered as unread).
  bool PlanSweep(Sweep* sweep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads sweep->from..to once and wakes or advances the parked and waiting
  // subscribers it covers. Pump thread only.
  void RunSweep(Sweep sweep) ABSL_LOCKS_EXCLUDED(mu_);
  // Queues the parked subscribers whose checkpoint is due at `now`.
  void FireDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One turn for `s` (kServing): finish it, or serve one message.
  void Turn(Subscriber* s) ABSL_LOCKS_EXCLUDED(mu_);
  // Reads and starts the next write for `s`, considering positions up to
  // `limit` (the frontier); `head` is reported. Pump thread only.
  Step Serve(Subscriber* s, uint64_t limit, uint64_t head, absl::Status* error)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Moves s->next_position_ past the remembered frontier steps (up to
  // `limit`) where its tenant has no event. Pump thread only.
  void SkipQuietPositions(Subscriber* s, uint64_t limit) const;
  // Scans from s->next_position_ (<= limit) into s->response_: at most
  // kSubscribeScanPerStepMax positions, up to the message limits. Pump thread
  // only; takes no lock (touches only what the pump owns).
  absl::Status ReadPage(Subscriber* s, uint64_t limit, uint64_t* scanned_to);
  // After a turn that wrote nothing: back of the ready queue, or parked.
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
  // Parks `s` (next position frontier_ + 1) in parked_ and clean_ or due_.
  // Pump thread only (reads what the pump owns of `s`).
  void ParkAtFrontier(Subscriber* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records that positions up to `to` passed unread (tenants unknown).
  void PassUnread(uint64_t to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remember(Sweep sweep);
  // Takes a kParked or kWaiting subscriber out of parked_, clean_, due_ and
  // waiting_ and queues it.
  void Unpark(Subscriber* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AnyoneParkedOrWaiting() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  grpc::Status Admit(const std::string& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ledger::Ledger* ledger_;
  const SubscriptionLimits limits_;
  int listener_id_ = 0;
  mutable absl::Mutex mu_;
  // Signalled when ready_ gains an entry, when a commit passes the frontier
  // while someone is parked or waiting, and at stop.
  absl::CondVar ready_cv_;
  // Every admitted subscriber not yet finished, with its scheduling state.
  absl::flat_hash_map<Subscriber*, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::deque<Subscriber*> ready_ ABSL_GUARDED_BY(mu_);
  // Caught up at the frontier (kParked), by tenant; each is also in exactly
  // one of clean_ and due_.
  absl::flat_hash_map<std::string, absl::flat_hash_set<Subscriber*>> parked_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Subscriber*> clean_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, Subscriber*>> due_ ABSL_GUARDED_BY(mu_);
  // Caught up past the frontier (kWaiting), by the position they wait for.
  std::set<std::pair<uint64_t, Subscriber*>> waiting_ ABSL_GUARDED_BY(mu_);
  // The head the last commit listener call reported.
  uint64_t committed_head_ ABSL_GUARDED_BY(mu_) = 0;
  // Every position up to it is classified (see above); <= committed_head_.
  // Only the pump moves it.
  uint64_t frontier_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, size_t> live_per_tenant_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The last frontier steps, contiguous and in order, ending at the frontier
  // (or empty); positions passed unread are one step with all_tenants. Pump
  // thread only.
  std::deque<Sweep> sweeps_;
  std::thread pump_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_SUBSCRIPTIONS_H_
