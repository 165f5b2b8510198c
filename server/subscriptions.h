// Server-streaming subscriptions: catch-up from the log, then live, in
// position order with no gap and no duplicate.
//
// One pump thread serves every subscriber. Each subscriber has at most one
// response in flight; the pump reads the next page from RocksDB only when
// the previous write completed, so a slow subscriber costs one page of
// memory and simply falls behind (it is served from disk later).
#ifndef RCL_SERVER_SUBSCRIPTIONS_H_
#define RCL_SERVER_SUBSCRIPTIONS_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "ledger/ledger.h"
#include "rcl/v1/api.pb.h"
#include "server/event_convert.h"

namespace rcl::server {

inline constexpr size_t kSubscribersMax = 1024;
inline constexpr size_t kSubscribeEventsPerMessageMax = 256;
inline constexpr size_t kSubscribeBytesPerMessageMax = 1 << 20;
inline constexpr size_t kSubscribeScanPerStepMax = 4096;

class SubscriptionHub {
 public:
  explicit SubscriptionHub(ledger::Ledger* ledger);
  ~SubscriptionHub();  // Stop()s

  // Starts serving a Subscribe call. Returns the reactor gRPC will drive.
  grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* Start(const rcl::v1::SubscribeRequest& request);

  // Starts finishing every subscription (UNAVAILABLE) as soon as it has no
  // write in flight; returns at once.
  void RequestStop();
  // RequestStop() and wait for the pump to finish every subscription.
  void Stop();

  size_t subscriber_count() const;

 private:
  class Subscriber;
  void PumpLoop();
  // Reads and starts the next write for `s`, or finishes it. Pump thread only.
  void Serve(Subscriber* s, uint64_t head);
  void Wake();

  ledger::Ledger* ledger_;
  int listener_id_ = 0;
  mutable absl::Mutex mu_;
  std::vector<Subscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread pump_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_SUBSCRIPTIONS_H_
