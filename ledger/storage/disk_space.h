// The free-space reserve of a data directory's file system. Whoever writes
// to a RocksDB there (the ledger's writer, the projection workers) asks
// DiskReserve::Admit() before each write batch, so that RocksDB itself never
// meets a full disk (ENOSPC) in normal operation: writes stop while less than
// the reserve is free, and the reserve is left for what RocksDB writes on
// its own (memtable flushes, new WAL files, compactions; sized in
// docs/RELIABILITY.md, "Storage faults"). Debian's librocksdb is built with
// assertions, and a WAL write that fails with ENOSPC can abort the process
// later, so the ledger must stop before that happens, not after.
//
// Cost: a probe is one statvfs (about 0.8 µs measured here), made at most
// once per kDiskProbeIntervalMax while the bytes admitted since the last
// probe stay within half the headroom it found, so a busy writer pays one
// probe per few milliseconds, not one per command.
//
// Thread-safety: every method is safe from any thread (one mutex, held only
// for the arithmetic and the probe).
#ifndef RCL_LEDGER_STORAGE_DISK_SPACE_H_
#define RCL_LEDGER_STORAGE_DISK_SPACE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rcl::ledger {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;

// The default reserve (rcl-server --disk-reserve-mb): room for the memtable
// flushes, new WAL and MANIFEST files of the log and the projections with
// their default write buffers (about 240 MiB, docs/RELIABILITY.md), and for
// a compaction's output on top.
inline constexpr uint64_t kDiskReserveBytesDefault = 512 * kMiB;

// What RocksDB may still write on its own once the writers stop, for a log
// with `log_write_buffer_bytes` of memtables (six families, at most two
// memtables each) and projections with `projections_write_buffer_bytes`
// (four families of a quarter): every memtable flushed to a table file, a
// new WAL per database preallocated at 1.1 times a family's write buffer,
// and a new 4 MiB MANIFEST per database. About 239 MiB with the server's
// defaults (docs/RELIABILITY.md); a reserve below it is warned about at
// start.
uint64_t DiskReserveBytesMin(uint64_t log_write_buffer_bytes,
                             uint64_t projections_write_buffer_bytes);

// A probe's answer is trusted for at most this long: a file system filled by
// someone else is noticed within it.
inline constexpr absl::Duration kDiskProbeIntervalMax = absl::Milliseconds(5);

// Disk bytes one byte of a write batch costs before the writer can see it in
// a probe: its WAL record now and its table file when the memtable holding it
// is flushed (the WAL file is deleted only after that).
inline constexpr uint64_t kDiskBytesPerByteWritten = 2;

// The bytes of `path`'s file system an unprivileged writer may still use
// (statvfs: f_bavail × f_frsize). UNAVAILABLE, naming the error, when the
// system cannot tell.
absl::StatusOr<uint64_t> FreeBytes(const std::string& path);
// The size of `path`'s file system (statvfs: f_blocks × f_frsize); errors as
// FreeBytes.
absl::StatusOr<uint64_t> FileSystemBytes(const std::string& path);

// The free bytes of one file system: FreeBytes(path) in the server, a stub
// in tests.
using FreeSpaceProbe = std::function<absl::StatusOr<uint64_t>()>;

class DiskReserve {
 public:
  struct Options {
    std::string path;  // a directory on the file system watched
    uint64_t reserve_bytes = kDiskReserveBytesDefault;
    FreeSpaceProbe probe;             // default: FreeBytes(path)
    std::function<absl::Time()> now;  // default: absl::Now (tests inject a clock)
    // Who writes, for messages ("ledger", "projections").
    std::string writer = "writer";
  };

  explicit DiskReserve(Options options);

  // Whether a write batch of `bytes` may be written now and still leave the
  // reserve free (counting kDiskBytesPerByteWritten disk bytes per byte).
  // OK (the bytes are counted against the headroom the last probe found) or
  // RESOURCE_EXHAUSTED saying how much is free and how much is reserved.
  // Probes the file system first when the last probe is older than
  // kDiskProbeIntervalMax, when the bytes counted since it would pass half
  // its headroom, or when the last answer was a refusal. A probe that fails
  // admits the write (RocksDB reports a real full disk itself) and logs it
  // once.
  absl::Status Admit(uint64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  // Probes now: OK when more than the reserve is free (RESOURCE_EXHAUSTED
  // otherwise), for a writer waiting for space to come back.
  absl::Status CheckNow() ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t reserve_bytes() const { return options_.reserve_bytes; }
  // The free bytes the last probe found (0 before the first).
  uint64_t last_free_bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // Probes made so far.
  uint64_t probes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void ProbeLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Free bytes above the reserve at the last probe (0 when below it).
  uint64_t HeadroomLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RefusalLocked(uint64_t need) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::Time probed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t free_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool probe_failed_ ABSL_GUARDED_BY(mu_) = false;  // the last probe could not tell
  uint64_t spent_ ABSL_GUARDED_BY(mu_) = 0;         // disk bytes admitted since the probe
  bool refused_ ABSL_GUARDED_BY(mu_) = false;       // the last answer was a refusal
  uint64_t probes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STORAGE_DISK_SPACE_H_
