#include "server/backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/status.h"
#include "ledger/storage/rocks_status.h"
#include "rocksdb/utilities/backup_engine.h"
#include "rocksdb/utilities/checkpoint.h"
#include "server/audit_service.h"
#include "spdlog/spdlog.h"

namespace rcl::server {
namespace fs = std::filesystem;
using ledger::FromRocks;

namespace {

// Checkpoints copy the WAL rather than flush the live memtables first: no
// extra table files in the live store.
constexpr uint64_t kNeverFlushForCheckpoint = UINT64_MAX;
// Largest metadata and key file read back.
constexpr size_t kSmallFileBytesMax = 64 * 1024;

// What a log backup's app_metadata records, one `name=value` per line.
struct BackupRecord {
  uint64_t position = 0;
  std::string hash_hex;
  int64_t recorded_at_us = 0;
  bool merkle_tree = true;
  uint32_t projections_backup_id = 0;
};

std::string FormatRecord(const BackupRecord& r) {
  return absl::StrCat("position=", r.position, "\nhash=", r.hash_hex,
                      "\nrecorded_at_us=", r.recorded_at_us, "\nmerkle=", r.merkle_tree ? 1 : 0,
                      "\nprojections_backup_id=", r.projections_backup_id, "\n");
}

absl::StatusOr<BackupRecord> ParseRecord(const std::string& text) {
  BackupRecord r;
  int fields = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    bool ok = true;
    int merkle = 1;
    if (kv.first == "position")
      ok = absl::SimpleAtoi(kv.second, &r.position);
    else if (kv.first == "hash")
      r.hash_hex = kv.second;
    else if (kv.first == "recorded_at_us")
      ok = absl::SimpleAtoi(kv.second, &r.recorded_at_us);
    else if (kv.first == "merkle")
      ok = absl::SimpleAtoi(kv.second, &merkle);
    else if (kv.first == "projections_backup_id")
      ok = absl::SimpleAtoi(kv.second, &r.projections_backup_id);
    else
      continue;  // a later version's field
    if (!ok) return absl::DataLossError(absl::StrCat("backup metadata: bad ", kv.first));
    if (kv.first == "merkle") r.merkle_tree = merkle != 0;
    ++fields;
  }
  if (fields < 5 || r.hash_hex.size() != 64) {
    return absl::DataLossError("backup metadata is incomplete");
  }
  return r;
}

absl::StatusOr<std::string> ReadSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::string data(kSmallFileBytesMax + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kSmallFileBytesMax) {
    return absl::FailedPreconditionError(absl::StrCat(path.string(), " is too large"));
  }
  return data;
}

absl::Status WriteFile(const fs::path& path, const std::string& data, bool secret) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (secret) chmod(tmp.c_str(), 0600);
    out << data;
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot write ", path.string(), ": ", ec.message()));
  return absl::OkStatus();
}

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) bytes += it->file_size(size_ec);
  }
  return bytes;
}

bool EmptyOrMissing(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

// `to` is an empty directory (made a backup directory now) or already one,
// of this data directory (same signing key, copied in if missing).
absl::Status PrepareBackupDir(const fs::path& to, const fs::path& key_file) {
  std::error_code ec;
  bool fresh = EmptyOrMissing(to);
  fs::create_directories(to, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create ", to.string(), ": ", ec.message()));
  if (!fresh && !fs::exists(to / kBackupMarkerFile)) {
    return absl::FailedPreconditionError(absl::StrCat(
        to.string(), " is neither empty nor a backup directory (no ", kBackupMarkerFile, ")"));
  }
  RCL_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(key_file));
  if (fs::exists(to / kSigningKeyFile)) {
    RCL_ASSIGN_OR_RETURN(std::string kept, ReadSmallFile(to / kSigningKeyFile));
    if (kept != key) {
      return absl::FailedPreconditionError(absl::StrCat(
          to.string(), " holds backups of another data directory (another signing key)"));
    }
  } else {
    RCL_RETURN_IF_ERROR(WriteFile(to / kSigningKeyFile, key, /*secret=*/true));
  }
  if (fresh) RCL_RETURN_IF_ERROR(WriteFile(to / kBackupMarkerFile, kBackupMarkerText, false));
  return absl::OkStatus();
}

absl::Status Checkpoint(rocksdb::DB* db, const fs::path& dir, const char* what) {
  rocksdb::Checkpoint* raw = nullptr;
  RCL_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db, &raw), what));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir.string(), kNeverFlushForCheckpoint), what);
}

// A RocksDB directory opened with every column family it has (default
// options: enough to flush and copy it).
struct OpenDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~OpenDb() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db) db->Close();
  }
};

absl::StatusOr<std::unique_ptr<OpenDb>> OpenWithAllFamilies(const fs::path& dir) {
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  RCL_RETURN_IF_ERROR(FromRocks(rocksdb::DB::ListColumnFamilies(options, dir.string(), &names),
                                "list projections' families"));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  auto open = std::make_unique<OpenDb>();
  rocksdb::DB* raw = nullptr;
  RCL_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(options, dir.string(), families, &open->handles, &raw),
                "open projections checkpoint"));
  open->db.reset(raw);
  return open;
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenEngine(const fs::path& dir) {
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(dir.string());
  options.sync = true;
  RCL_RETURN_IF_ERROR(FromRocks(rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw),
                                absl::StrCat("open backup engine ", dir.string())));
  return std::unique_ptr<rocksdb::BackupEngine>(raw);
}

// Backs up the open `db` into `engine_dir`; sets its id and size.
absl::Status BackupDb(rocksdb::DB* db, const fs::path& engine_dir, const std::string& metadata,
                      uint32_t* id, uint64_t* bytes) {
  RCL_ASSIGN_OR_RETURN(auto engine, OpenEngine(engine_dir));
  rocksdb::BackupID backup_id = 0;
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  RCL_RETURN_IF_ERROR(
      FromRocks(engine->CreateNewBackupWithMetadata(options, db, metadata, &backup_id), "backup"));
  rocksdb::BackupInfo info;
  RCL_RETURN_IF_ERROR(FromRocks(engine->GetBackupInfo(backup_id, &info), "backup info"));
  *id = backup_id;
  *bytes = info.size;
  return absl::OkStatus();
}

// Both stores checkpointed into `staging` (projections first), then backed
// up from there into `to`.
absl::StatusOr<BackupResult> BackupFromStaging(const BackupSources& sources,
                                               const fs::path& staging, const fs::path& to) {
  BackupResult result;
  RCL_RETURN_IF_ERROR(
      Checkpoint(sources.projections, staging / "projections", "checkpoint projections"));
  RCL_RETURN_IF_ERROR(Checkpoint(sources.log->raw_db(), staging / "log", "checkpoint log"));
  BackupRecord record;
  {
    RCL_ASSIGN_OR_RETURN(auto projections, OpenWithAllFamilies(staging / "projections"));
    RCL_RETURN_IF_ERROR(BackupDb(projections->db.get(), to / "projections", "",
                                 &record.projections_backup_id, &result.projections_bytes));
  }
  ledger::EventStore::Options options;
  options.path = (staging / "log").string();
  options.merkle_tree = sources.log->merkle_tree();
  options.block_cache_bytes = 8 << 20;
  options.write_buffer_bytes = 8 << 20;
  RCL_ASSIGN_OR_RETURN(std::unique_ptr<ledger::EventStore> log, ledger::EventStore::Open(options));
  RCL_ASSIGN_OR_RETURN(result.head, log->ReadHead());
  record.position = result.head.position;
  record.hash_hex = ledger::HashHex(result.head.hash);
  record.recorded_at_us = result.head.recorded_at_us;
  record.merkle_tree = log->merkle_tree();
  RCL_RETURN_IF_ERROR(BackupDb(log->raw_db(), to / "log", FormatRecord(record), &result.backup_id,
                               &result.log_bytes));
  return result;
}

}  // namespace

absl::StatusOr<BackupResult> CreateBackup(const BackupSources& sources, const std::string& to) {
  RCL_CHECK(sources.log != nullptr && sources.projections != nullptr);
  fs::path dir(to);
  if (to.empty() || to.size() > kBackupPathMax || !dir.is_absolute()) {
    return absl::InvalidArgumentError("to: must be an absolute directory on the server's machine");
  }
  dir = dir.lexically_normal();
  fs::path data_dir = fs::absolute(sources.data_dir).lexically_normal();
  auto [end, _] = std::mismatch(data_dir.begin(), data_dir.end(), dir.begin(), dir.end());
  if (end == data_dir.end()) {
    return absl::InvalidArgumentError("to: must not be inside the data directory");
  }
  RCL_RETURN_IF_ERROR(PrepareBackupDir(dir, data_dir / kSigningKeyFile));
  uint64_t bytes_before = TreeBytes(dir);
  fs::path staging = data_dir / kBackupStagingDir;
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", staging.string()));
  absl::StatusOr<BackupResult> result = BackupFromStaging(sources, staging, dir);
  fs::remove_all(staging, ec);
  if (!result.ok()) return result.status();
  result->bytes_copied = TreeBytes(dir) - std::min(TreeBytes(dir), bytes_before);
  return result;
}

namespace {

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenEngineReadOnly(
    const fs::path& dir) {
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  RCL_RETURN_IF_ERROR(
      FromRocks(rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(dir.string()),
                                                    rocksdb::Env::Default(), &raw),
                absl::StrCat("open backup ", dir.string())));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

// Restores backup `id` of `engine_dir` into `target` after checking every
// file's checksum.
absl::Status RestoreDb(const fs::path& engine_dir, uint32_t id, const fs::path& target) {
  RCL_ASSIGN_OR_RETURN(auto engine, OpenEngineReadOnly(engine_dir));
  RCL_RETURN_IF_ERROR(FromRocks(engine->VerifyBackup(id, /*verify_with_checksum=*/true),
                                absl::StrCat("verify backup ", id, " of ", engine_dir.string())));
  return FromRocks(engine->RestoreDBFromBackup(id, target.string(), target.string()),
                   absl::StrCat("restore ", engine_dir.string()));
}

// The whole log verified in pages; the head equal to the backup's record.
absl::Status CheckRestoredLog(const fs::path& data_dir, const BackupRecord& record,
                              RestoreResult* result) {
  ledger::EventStore::Options options;
  options.path = data_dir.string();
  options.merkle_tree = record.merkle_tree;
  RCL_ASSIGN_OR_RETURN(std::unique_ptr<ledger::EventStore> log, ledger::EventStore::Open(options));
  RCL_ASSIGN_OR_RETURN(result->head, log->ReadHead());
  if (result->head.position != record.position ||
      ledger::HashHex(result->head.hash) != record.hash_hex) {
    return absl::DataLossError(absl::StrCat("restored head is position ", result->head.position,
                                            " hash ", ledger::HashHex(result->head.hash),
                                            "; the backup recorded position ", record.position,
                                            " hash ", record.hash_hex));
  }
  for (uint64_t from = 1; from <= record.position; from += ledger::kVerifyEventsMax) {
    uint64_t to = std::min(record.position, from + ledger::kVerifyEventsMax - 1);
    RCL_ASSIGN_OR_RETURN(ledger::VerifyResult v, log->Verify(from, to));
    if (!v.ok) {
      return absl::DataLossError(absl::StrCat("restored log fails verification at position ",
                                              v.first_bad_position, ": ", v.error));
    }
    result->events_checked += v.events_checked;
    if (v.to_position == record.position && ledger::HashHex(v.hash_at_to) != record.hash_hex) {
      return absl::DataLossError("verified chain ends on another hash than the backup's");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RestoreResult> RestoreBackup(const std::string& from, const std::string& data_dir) {
  fs::path source(from);
  fs::path target(data_dir);
  if (!EmptyOrMissing(target)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to restore into ", data_dir, ": it is not empty"));
  }
  if (!fs::exists(source / kBackupMarkerFile)) {
    return absl::FailedPreconditionError(
        absl::StrCat(from, " is not a backup directory (no ", kBackupMarkerFile, ")"));
  }
  RCL_ASSIGN_OR_RETURN(auto log_engine, OpenEngineReadOnly(source / "log"));
  std::vector<rocksdb::BackupInfo> infos;
  log_engine->GetBackupInfo(&infos);
  if (infos.empty()) return absl::FailedPreconditionError(absl::StrCat(from, " holds no backup"));
  const rocksdb::BackupInfo& latest =
      *std::max_element(infos.begin(), infos.end(),
                        [](const auto& a, const auto& b) { return a.backup_id < b.backup_id; });
  RCL_ASSIGN_OR_RETURN(BackupRecord record, ParseRecord(latest.app_metadata));
  RestoreResult result;
  result.backup_id = latest.backup_id;
  log_engine.reset();
  RCL_RETURN_IF_ERROR(RestoreDb(source / "log", result.backup_id, target));
  RCL_RETURN_IF_ERROR(
      RestoreDb(source / "projections", record.projections_backup_id, target / "projections"));
  RCL_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(source / kSigningKeyFile));
  RCL_RETURN_IF_ERROR(WriteFile(target / kSigningKeyFile, key, /*secret=*/true));
  RCL_RETURN_IF_ERROR(CheckRestoredLog(target, record, &result));
  return result;
}

}  // namespace rcl::server
