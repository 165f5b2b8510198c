#include "ledger/storage/rocks_logger.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rcl::ledger {
namespace {

constexpr char kLogName[] = "LOG";
constexpr char kOldLogPrefix[] = "LOG.old.";
// A line's timestamp and thread: "2026/12/01-09:52:58.664848 7f3a2b1c ".
constexpr size_t kLinePrefixMax = 64;

// Moves `dir`/LOG aside and deletes the oldest old ones beyond the kept
// number. Best effort: a log that cannot be moved is appended to.
void RotateLogs(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir / kLogName, ec)) {
    std::filesystem::rename(dir / kLogName,
                            dir / absl::StrCat(kOldLogPrefix, absl::ToUnixMicros(absl::Now())), ec);
  }
  std::vector<std::string> old;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, kOldLogPrefix)) old.push_back(name);
  }
  if (old.size() <= kRocksLogsKept) return;
  // Same-length microsecond stamps sort as numbers; a shorter name is older.
  std::sort(old.begin(), old.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (size_t i = 0; i + kRocksLogsKept < old.size(); ++i) {
    std::filesystem::remove(dir / old[i], ec);
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<rocksdb::Logger>> RocksLogger::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  RotateLogs(dir);
  const std::string path = (std::filesystem::path(dir) / kLogName).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(error)));
  }
  return std::shared_ptr<rocksdb::Logger>(new RocksLogger(fd));
}

RocksLogger::~RocksLogger() { ::close(fd_); }

void RocksLogger::Logv(const char* format, va_list ap) {
  struct timeval now;
  ::gettimeofday(&now, nullptr);
  struct tm t;
  ::localtime_r(&now.tv_sec, &t);
  char prefix[kLinePrefixMax];
  const int prefix_size =
      std::snprintf(prefix, sizeof(prefix), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %lx ",
                    t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                    static_cast<long>(now.tv_usec), static_cast<unsigned long>(pthread_self()));
  va_list sizing;
  va_copy(sizing, ap);
  const int message_size = std::vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  if (prefix_size < 0 || message_size < 0) return;
  std::string line(prefix, static_cast<size_t>(prefix_size));
  const size_t start = line.size();
  line.resize(start + static_cast<size_t>(message_size) + 1);
  std::vsnprintf(line.data() + start, static_cast<size_t>(message_size) + 1, format, ap);
  line.resize(start + static_cast<size_t>(message_size));
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  // One write per line; a failure (a full disk) loses the line, nothing more.
  ssize_t written = ::write(fd_, line.data(), line.size());
  (void)written;
}

}  // namespace rcl::ledger
