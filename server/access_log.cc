#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace rcl::server {
namespace {

// Records written (and fsynced) together at most.
constexpr size_t kAccessLogBatchMax = 1024;

std::string Field(const std::string& s) {
  std::string cut = s.size() > kAccessLogFieldMax ? s.substr(0, kAccessLogFieldMax) : s;
  return absl::CEscape(cut);
}

std::string Line(const AccessRecord& r) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", r.at, absl::UTCTimeZone()), "\t",
                      Field(r.principal), "\t", Field(r.rpc), "\t", Field(r.tenant), "\t",
                      Field(r.id), "\n");
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the access log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd));
}

AccessLog::AccessLog(int fd) : fd_(fd) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  writer_.join();
  ::close(fd_);
  spdlog::info("access log: {} records written, {} reads refused (queue full), {} not written",
               written(), refused(), write_errors());
}

bool AccessLog::Record(AccessRecord record) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= kAccessLogQueueMax) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  queue_.push_back(std::move(record));
  return true;
}

void AccessLog::WriterLoop() {
  std::vector<AccessRecord> batch;
  for (;;) {
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      while (!queue_.empty() && batch.size() < kAccessLogBatchMax) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stopping = stop_ && queue_.empty();
    }
    if (!batch.empty()) {
      std::string bytes;
      for (const AccessRecord& r : batch) bytes += Line(r);
      if (WriteAll(fd_, bytes) && ::fdatasync(fd_) == 0) {
        written_.fetch_add(batch.size(), std::memory_order_relaxed);
      } else {
        write_errors_.fetch_add(batch.size(), std::memory_order_relaxed);
        spdlog::error("access log: {} records not written: {}", batch.size(), std::strerror(errno));
      }
      batch.clear();
    }
    if (stopping) return;
  }
}

}  // namespace rcl::server
