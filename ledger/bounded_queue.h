// A blocking FIFO with a capacity, for handing work between the ledger's
// pipeline stages. Push blocks while full; Pop blocks while empty and
// returns nullopt once the queue is closed and drained.
#ifndef RCL_LEDGER_BOUNDED_QUEUE_H_
#define RCL_LEDGER_BOUNDED_QUEUE_H_

#include <deque>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/status.h"

namespace rcl::ledger {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) { RCL_CHECK(capacity > 0); }

  void Push(T item) {
    absl::MutexLock lock(&mu_);
    auto has_room = [this]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return items_.size() < capacity_; };
    mu_.Await(absl::Condition(&has_room));
    RCL_CHECK(!closed_) << "push after Close()";
    items_.push_back(std::move(item));
  }

  std::optional<T> Pop() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !items_.empty() || closed_; };
    mu_.Await(absl::Condition(&ready));
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Everything queued (at least one item, waiting for it), or an empty vector
  // once the queue is closed and drained.
  std::vector<T> PopAll() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !items_.empty() || closed_; };
    mu_.Await(absl::Condition(&ready));
    std::vector<T> out;
    out.reserve(items_.size());
    for (T& item : items_) out.push_back(std::move(item));
    items_.clear();
    return out;
  }

  // No more pushes; Pop drains what is left, then returns nullopt.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_BOUNDED_QUEUE_H_
