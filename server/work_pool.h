// A fixed set of threads running queued tasks, with a queue bounded by count
// and a budget of bytes for what the tasks hold. Read RPCs run here so that no
// gRPC callback thread waits on disk.
//
// Memory: a queued task holds only its (validated, small) request; before a
// task runs, a worker takes the task's worst-case bytes from the budget,
// waiting while the budget is spent (FIFO at the head of the queue), and hands
// the task a lease on them. The task may shrink the lease to what it really
// holds and keep it until its answer is sent. So running reads plus answers
// not yet sent hold at most `bytes_max` (estimated), and queued ones at most
// `queue_max` small requests.
#ifndef RCL_SERVER_WORK_POOL_H_
#define RCL_SERVER_WORK_POOL_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/byte_budget.h"

namespace rcl::server {

class WorkPool {
 public:
  using Task = std::function<void(std::unique_ptr<ByteLease>)>;

  WorkPool(size_t threads, size_t queue_max, size_t bytes_max);
  ~WorkPool();  // runs what is queued, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `task`, to run once `bytes` of the budget are free. False (task not
  // queued) when the queue is full or the pool is stopping.
  bool TrySchedule(size_t bytes, Task task) ABSL_LOCKS_EXCLUDED(mu_);

  ByteBudget& budget() { return budget_; }

 private:
  struct Queued {
    size_t bytes;
    Task task;
  };
  void Run() ABSL_LOCKS_EXCLUDED(mu_, acquire_mu_);

  const size_t queue_max_;
  ByteBudget budget_;
  absl::Mutex mu_;
  // Held by the worker that takes the next task's bytes, so tasks acquire
  // their bytes in queue order (a big read is not starved by small ones).
  absl::Mutex acquire_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_WORK_POOL_H_
