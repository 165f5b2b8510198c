// A budget of bytes shared by concurrent work (a counting semaphore whose
// units are bytes), and the lease that holds part of it. The read pool takes
// a read's worst-case bytes before running it and holds what its response
// really needs until gRPC has sent it, so the memory of running reads and of
// answers not yet sent stays under the budget.
#ifndef RCL_SERVER_BYTE_BUDGET_H_
#define RCL_SERVER_BYTE_BUDGET_H_

#include <algorithm>
#include <cstddef>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace rcl::server {

class ByteBudget {
 public:
  explicit ByteBudget(size_t bytes_max) : bytes_max_(std::max<size_t>(bytes_max, 1)) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Blocks until `bytes` can be taken and takes them. A request larger than
  // the whole budget is clamped to it (it then runs alone). Returns what was
  // taken.
  size_t Acquire(size_t bytes) {
    bytes = std::min(bytes, bytes_max_);
    absl::MutexLock lock(&mu_);
    auto fits = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_use_ + bytes <= bytes_max_; };
    mu_.Await(absl::Condition(&fits));
    in_use_ += bytes;
    return bytes;
  }

  void Release(size_t bytes) {
    absl::MutexLock lock(&mu_);
    in_use_ -= std::min(bytes, in_use_);
  }

  size_t bytes_max() const { return bytes_max_; }
  size_t in_use() const {
    absl::MutexLock lock(&mu_);
    return in_use_;
  }

 private:
  const size_t bytes_max_;
  mutable absl::Mutex mu_;
  size_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

// Bytes held from a budget; given back on destruction.
class ByteLease {
 public:
  ByteLease(ByteBudget* budget, size_t bytes) : budget_(budget), bytes_(budget->Acquire(bytes)) {}
  ~ByteLease() { budget_->Release(bytes_); }
  ByteLease(const ByteLease&) = delete;
  ByteLease& operator=(const ByteLease&) = delete;

  // Gives back what is held beyond `bytes` (never takes more).
  void ShrinkTo(size_t bytes) {
    if (bytes >= bytes_) return;
    budget_->Release(bytes_ - bytes);
    bytes_ = bytes;
  }
  size_t bytes() const { return bytes_; }

 private:
  ByteBudget* budget_;
  size_t bytes_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_BYTE_BUDGET_H_
