// FaultFs: a RocksDB FileSystem that fails writes on command, for the
// storage fault tests (tests/ledger/storage_fault_test.cc). Header-only: it
// needs RocksDB, which not every test executable links (server_process.cc is
// compiled into all of them).
//
// Faults, each armed by the test and checked on the RocksDB threads:
//  - FailSyncs(n): the next n syncs of a WAL file (*.log) fail with an I/O
//    error (the fsync that PostgreSQL learned cannot be retried);
//  - SetFull(true): every append fails with NoSpace ("No space left on
//    device") and GetFreeSpace reports 0 bytes, until SetFull(false);
//  - TearNextWalAppend(): the next append to a WAL file writes the first
//    half of its bytes and then fails with an I/O error (a torn write).
// It also remembers, per file written through it, how many bytes were last
// synced: DropUnsyncedData() cuts every such file back to that size, as a
// power loss would (call it with the database closed).
//
// Thread-safety: every method may be called from any thread.
#ifndef RCL_TESTS_TESTING_FAULT_FS_H_
#define RCL_TESTS_TESTING_FAULT_FS_H_

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace rcl::testing {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  FaultFs() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "RclFaultFs"; }

  void FailSyncs(int n) { syncs_to_fail_.store(n); }
  void SetFull(bool full) { full_.store(full); }
  void TearNextWalAppend() { tear_next_wal_append_.store(true); }
  int64_t failed_syncs() const { return failed_syncs_.load(); }
  int64_t failed_appends() const { return failed_appends_.load(); }
  int64_t torn_appends() const { return torn_appends_.load(); }

  // Cuts every file written through this FileSystem back to its last synced
  // size. Returns how many bytes were dropped.
  uint64_t DropUnsyncedData() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    uint64_t dropped = 0;
    for (auto& [path, f] : files_) {
      if (f.size <= f.synced) continue;
      if (::truncate(path.c_str(), static_cast<off_t>(f.synced)) == 0) {
        dropped += f.size - f.synced;
        f.size = f.synced;
      }
    }
    return dropped;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(fname, options, &file, dbg);
    if (!s.ok()) return s;
    Track(fname, 0);
    *result = std::make_unique<File>(std::move(file), fname, this);
    return s;
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->ReopenWritableFile(fname, options, &file, dbg);
    if (!s.ok()) return s;
    uint64_t size = 0;
    if (!target()->GetFileSize(fname, rocksdb::IOOptions(), &size, dbg).ok()) size = 0;
    Track(fname, size);
    *result = std::make_unique<File>(std::move(file), fname, this);
    return s;
  }

  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->DeleteFile(fname, options, dbg);
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      files_.erase(fname);
    }
    return s;
  }

  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->RenameFile(from, to, options, dbg);
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      auto it = files_.find(from);
      if (it != files_.end()) {
        files_[to] = it->second;
        files_.erase(from);
      }
    }
    return s;
  }

  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* free_bytes, rocksdb::IODebugContext* dbg) override {
    if (full_.load()) {
      *free_bytes = 0;
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, options, free_bytes, dbg);
  }

 private:
  struct Sizes {
    uint64_t size = 0;
    uint64_t synced = 0;
  };

  static bool IsWal(const std::string& fname) { return absl::EndsWith(fname, ".log"); }

  void Track(const std::string& fname, uint64_t size) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    files_[fname] = Sizes{size, size};
  }

  void Appended(const std::string& fname, uint64_t bytes) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    files_[fname].size += bytes;
  }

  void Synced(const std::string& fname) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = files_.find(fname);
    if (it != files_.end()) it->second.synced = it->second.size;
  }

  // The fault for an append of `data` to `fname`, if any; a torn append
  // writes its first half through `file` first.
  rocksdb::IOStatus AppendFault(const std::string& fname, const rocksdb::Slice& data,
                                rocksdb::FSWritableFile* file, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) {
    if (full_.load()) {
      failed_appends_.fetch_add(1);
      return rocksdb::IOStatus::NoSpace("No space left on device (injected)");
    }
    if (IsWal(fname) && tear_next_wal_append_.exchange(false)) {
      torn_appends_.fetch_add(1);
      rocksdb::Slice half(data.data(), data.size() / 2);
      if (file->Append(half, options, dbg).ok()) Appended(fname, half.size());
      return rocksdb::IOStatus::IOError("torn write (injected)");
    }
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus SyncFault(const std::string& fname) {
    if (!IsWal(fname)) return rocksdb::IOStatus::OK();
    int left = syncs_to_fail_.load();
    while (left > 0 && !syncs_to_fail_.compare_exchange_weak(left, left - 1)) {
    }
    if (left <= 0) return rocksdb::IOStatus::OK();
    failed_syncs_.fetch_add(1);
    return rocksdb::IOStatus::IOError("fsync failed (injected)");
  }

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, std::string fname, FaultFs* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fname_(std::move(fname)), fs_(fs) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      rocksdb::IOStatus fault = fs_->AppendFault(fname_, data, target(), options, dbg);
      if (!fault.ok()) return fault;
      rocksdb::IOStatus s = target()->Append(data, options, dbg);
      if (s.ok()) fs_->Appended(fname_, data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& /*info*/,
                             rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->full_.load()) return rocksdb::IOStatus::NoSpace("No space left on device");
      return target()->PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo& /*info*/,
                                       rocksdb::IODebugContext* dbg) override {
      return PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      rocksdb::IOStatus fault = fs_->SyncFault(fname_);
      if (!fault.ok()) return fault;
      rocksdb::IOStatus s = target()->Sync(options, dbg);
      if (s.ok()) fs_->Synced(fname_);
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      rocksdb::IOStatus fault = fs_->SyncFault(fname_);
      if (!fault.ok()) return fault;
      rocksdb::IOStatus s = target()->Fsync(options, dbg);
      if (s.ok()) fs_->Synced(fname_);
      return s;
    }
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      return target()->RangeSync(offset, nbytes, options, dbg);  // not a durability point
    }

   private:
    const std::string fname_;
    FaultFs* fs_;
  };

  std::atomic<int> syncs_to_fail_{0};
  std::atomic<bool> full_{false};
  std::atomic<bool> tear_next_wal_append_{false};
  std::atomic<int64_t> failed_syncs_{0};
  std::atomic<int64_t> failed_appends_{0};
  std::atomic<int64_t> torn_appends_{0};
  absl::Mutex mu_;
  std::map<std::string, Sizes> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_FAULT_FS_H_
