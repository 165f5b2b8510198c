// A fixed set of threads running queued tasks, with a bounded queue. Read
// RPCs run here so that no gRPC callback thread waits on disk.
#ifndef RCL_SERVER_WORK_POOL_H_
#define RCL_SERVER_WORK_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace rcl::server {

class WorkPool {
 public:
  WorkPool(size_t threads, size_t queue_max);
  ~WorkPool();  // runs what is queued, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // False (task not queued) when the queue is full or the pool is stopping.
  bool TrySchedule(std::function<void()> task);

 private:
  void Run();

  const size_t queue_max_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_WORK_POOL_H_
