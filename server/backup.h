// Online backup and restore of a data directory (docs/OPERATIONS.md,
// "Back up and restore").
//
// A backup directory holds:
//   RCL-BACKUP              marker (refuses to write into a directory without
//                           it unless the directory is empty)
//   log/                    RocksDB BackupEngine of the event log: every
//                           column family (log, stream index, commands,
//                           tenants, Merkle nodes, format); incremental
//   projections/            BackupEngine of the projections' store
//   sth-ed25519-key.pem     the key that signs tree heads (mode 0600)
// Each log backup's metadata records the head it holds (position, hash,
// time), the Merkle setting and the id of the projections backup taken with
// it.
//
// A backup is taken while writes continue: the projections' store is
// checkpointed first, then the log (RocksDB checkpoints: hard links and a
// WAL copy, consistent at one point), so every projection checkpoint in the
// backup is at or before the log's head in it. The log checkpoint is opened
// to read its exact head, then both checkpoints go into the BackupEngines
// (which copy only table files the directory lacks) and the staging copies
// are removed.
//
// Thread-safety: CreateBackup() may run beside the live server (any thread
// but the sequencer's); one at a time per data directory (the caller
// serializes). RestoreBackup() runs with no server on the target directory.
#ifndef RCL_SERVER_BACKUP_H_
#define RCL_SERVER_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/storage/event_store.h"
#include "rocksdb/db.h"

namespace rcl::server {

inline constexpr char kBackupMarkerFile[] = "RCL-BACKUP";
inline constexpr char kBackupMarkerText[] = "rcl-backup-1\n";
// Staging checkpoints, inside the data directory (same filesystem: hard
// links); removed after each backup and at the start of the next.
inline constexpr char kBackupStagingDir[] = "backup-staging";
// Longest backup directory path accepted.
inline constexpr size_t kBackupPathMax = 4096;

struct BackupSources {
  std::string data_dir;
  const ledger::EventStore* log = nullptr;
  rocksdb::DB* projections = nullptr;
};

struct BackupResult {
  uint32_t backup_id = 0;
  ledger::LogHead head;
  uint64_t log_bytes = 0;
  uint64_t projections_bytes = 0;
  uint64_t bytes_copied = 0;
};

// INVALID_ARGUMENT: `to` is not an absolute path; FAILED_PRECONDITION: `to`
// is a non-empty directory that is not a backup directory, or holds backups
// of another data directory (another signing key).
absl::StatusOr<BackupResult> CreateBackup(const BackupSources& sources, const std::string& to);

struct RestoreResult {
  uint32_t backup_id = 0;
  ledger::LogHead head;         // the restored log's head, equal to the backup's record
  uint64_t events_checked = 0;  // by the whole-log verification
};

// Restores the latest backup in `from` into `data_dir`, which must be
// missing or empty (FAILED_PRECONDITION otherwise), then checks it: the
// BackupEngine's file checksums, the whole log's verification (hash chain,
// stream index, balanced postings) and the restored head equal to the one
// the backup recorded (DATA_LOSS otherwise).
absl::StatusOr<RestoreResult> RestoreBackup(const std::string& from, const std::string& data_dir);

}  // namespace rcl::server

#endif  // RCL_SERVER_BACKUP_H_
