#include "server/work_pool.h"

namespace rcl::server {

WorkPool::WorkPool(size_t threads, size_t queue_max, size_t bytes_max)
    : queue_max_(queue_max), budget_(bytes_max) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkPool::~WorkPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
}

bool WorkPool::TrySchedule(size_t bytes, Task task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= queue_max_) return false;
  queue_.push_back(Queued{bytes, std::move(task)});
  return true;
}

void WorkPool::Run() {
  while (true) {
    std::unique_ptr<ByteLease> lease;
    Queued next;
    {
      // One worker at a time takes the head of the queue and waits for its
      // bytes; the others wait here, so bytes are granted in queue order.
      absl::MutexLock acquire(&acquire_mu_);
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !queue_.empty() || stopping_;
        };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      lease = std::make_unique<ByteLease>(&budget_, next.bytes);
    }
    next.task(std::move(lease));
  }
}

}  // namespace rcl::server
