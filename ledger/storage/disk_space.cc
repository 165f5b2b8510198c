#include "ledger/storage/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/status.h"
#include "spdlog/spdlog.h"

namespace rcl::ledger {
namespace {

// `bytes` of a write batch in disk bytes, saturating.
uint64_t DiskBytes(uint64_t bytes) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return bytes > kMax / kDiskBytesPerByteWritten ? kMax : bytes * kDiskBytesPerByteWritten;
}

// "12.3 MiB" (rounded down: a reserve one byte short is not shown as met),
// or "12 KiB" under a MiB.
std::string Size(uint64_t bytes) {
  if (bytes < kMiB) return absl::StrCat((bytes + 1023) / 1024, " KiB");
  const uint64_t tenths = bytes / kMiB * 10 + bytes % kMiB * 10 / kMiB;
  return absl::StrCat(tenths / 10, ".", tenths % 10, " MiB");
}

}  // namespace

uint64_t DiskReserveBytesMin(uint64_t log_write_buffer_bytes,
                             uint64_t projections_write_buffer_bytes) {
  constexpr uint64_t kMemtablesPerFamily = 2;  // max_write_buffer_number
  constexpr uint64_t kLogFamilies = 6;
  constexpr uint64_t kProjectionShare = 4;  // a family's share of the projections' buffer
  constexpr uint64_t kManifestBytes = 4 * kMiB;
  constexpr uint64_t kDatabases = 2;
  // RocksDB preallocates a WAL at 1.1 × the write buffer of a family.
  const uint64_t wal =
      (log_write_buffer_bytes / kLogFamilies + projections_write_buffer_bytes / kProjectionShare) *
      11 / 10;
  return kMemtablesPerFamily * (log_write_buffer_bytes + projections_write_buffer_bytes) + wal +
         kDatabases * kManifestBytes;
}

namespace {

absl::StatusOr<struct statvfs> StatFileSystem(const std::string& path) {
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0) {
    const int error = errno;
    return absl::UnavailableError(
        absl::StrCat("cannot tell the free space of ", path, ": ", std::strerror(error)));
  }
  return fs;
}

}  // namespace

absl::StatusOr<uint64_t> FreeBytes(const std::string& path) {
  RCL_ASSIGN_OR_RETURN(struct statvfs fs, StatFileSystem(path));
  return static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
}

absl::StatusOr<uint64_t> FileSystemBytes(const std::string& path) {
  RCL_ASSIGN_OR_RETURN(struct statvfs fs, StatFileSystem(path));
  return static_cast<uint64_t>(fs.f_blocks) * static_cast<uint64_t>(fs.f_frsize);
}

DiskReserve::DiskReserve(Options options)
    : options_([&] {
        Options o = std::move(options);
        if (!o.probe) o.probe = [path = o.path] { return FreeBytes(path); };
        if (!o.now) o.now = [] { return absl::Now(); };
        return o;
      }()) {}

void DiskReserve::ProbeLocked(absl::Time now) {
  absl::StatusOr<uint64_t> free = options_.probe();
  ++probes_;
  probed_at_ = now;
  spent_ = 0;
  if (!free.ok()) {
    if (!probe_failed_) {
      spdlog::warn("{}: {}; writing without the free-space reserve until it can", options_.writer,
                   std::string(free.status().message()));
    }
    probe_failed_ = true;
    return;
  }
  if (probe_failed_) spdlog::info("{}: the free space can be read again", options_.writer);
  probe_failed_ = false;
  free_bytes_ = *free;
}

uint64_t DiskReserve::HeadroomLocked() const {
  return free_bytes_ > options_.reserve_bytes ? free_bytes_ - options_.reserve_bytes : 0;
}

absl::Status DiskReserve::RefusalLocked(uint64_t need) const {
  return absl::ResourceExhaustedError(
      absl::StrCat(options_.writer, ": the disk is full: ", Size(free_bytes_), " free, ",
                   Size(options_.reserve_bytes), " kept in reserve",
                   need > 0 ? absl::StrCat(", this write needs ", Size(need)) : ""));
}

absl::Status DiskReserve::Admit(uint64_t bytes) {
  const uint64_t need = DiskBytes(bytes);
  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.now();
  // Trust the last probe only while it is fresh and this write keeps the
  // bytes counted since within half the headroom it found.
  const bool stale = now - probed_at_ >= kDiskProbeIntervalMax;
  const uint64_t half = HeadroomLocked() / 2;
  const bool near = spent_ > half || need > half - spent_;
  if (stale || near || refused_) ProbeLocked(now);
  if (probe_failed_) return absl::OkStatus();
  // After a probe spent_ is 0; without one, spent_ + need <= half: either
  // way what is admitted stays within the headroom.
  const uint64_t headroom = HeadroomLocked();
  refused_ = headroom == 0 || spent_ > headroom || need > headroom - spent_;
  if (refused_) return RefusalLocked(need);
  spent_ += need;
  return absl::OkStatus();
}

absl::Status DiskReserve::CheckNow() {
  absl::MutexLock lock(&mu_);
  ProbeLocked(options_.now());
  if (probe_failed_) return absl::OkStatus();
  refused_ = free_bytes_ <= options_.reserve_bytes;
  if (refused_) return RefusalLocked(0);
  return absl::OkStatus();
}

uint64_t DiskReserve::last_free_bytes() const {
  absl::MutexLock lock(&mu_);
  return free_bytes_;
}

uint64_t DiskReserve::probes() const {
  absl::MutexLock lock(&mu_);
  return probes_;
}

}  // namespace rcl::ledger
