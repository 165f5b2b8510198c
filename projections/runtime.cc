#include "projections/runtime.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ledger/status.h"
#include "ledger/storage/rocks_logger.h"
#include "rcl/store/projection_rows.pb.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"
#include "spdlog/spdlog.h"

namespace rcl::projections {

namespace {

constexpr char kLivePrefix[] = "live/";
constexpr char kBuildingPrefix[] = "building/";
constexpr char kNextGenerationKey[] = "next_generation";
// Events/s is measured over windows of at least this long.
constexpr absl::Duration kRateWindow = absl::Seconds(1);
// A copy more than this many normal batches behind the head is catching up.
constexpr uint64_t kCatchUpBatches = 4;
// Share of the block cache kept for index and filter blocks.
constexpr double kHighPriorityCacheRatio = 0.5;
// Linux thread names: 15 characters.
constexpr size_t kThreadNameMax = 15;

// How long a worker waits before folding a batch again after the disk was
// full.
constexpr absl::Duration kDiskFullRetryInterval = absl::Seconds(1);

// RESOURCE_EXHAUSTED when the disk is full (the worker waits and retries);
// UNAVAILABLE otherwise (the worker stops).
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("projection store: ", AbslView(what), ": ", s.ToString()));
  }
  return absl::UnavailableError(
      absl::StrCat("projection store: ", AbslView(what), ": ", s.ToString()));
}

std::string FamilyName(std::string_view name, uint64_t generation) {
  return absl::StrCat(AbslView(name), ".", generation);
}

}  // namespace

// One copy of a projection: its column family, its meta (fixed once made)
// and its worker thread (started under mu_, joined by whoever retires it).
// What changes while it runs is its Progress, in Runtime::progress_.
struct Runtime::Generation {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* family = nullptr;
  store::GenerationMeta meta;
  std::thread thread;

  ~Generation() {
    RCL_CHECK(!thread.joinable());
    if (family != nullptr) db->DestroyColumnFamilyHandle(family);
  }
};

struct Runtime::Slot {
  std::unique_ptr<Projection> projection;
};

Runtime::Progress& Runtime::ProgressOf(const Generation& gen) {
  auto it = progress_.find(&gen);
  RCL_CHECK(it != progress_.end()) << "a copy without progress";
  return it->second;
}

bool Runtime::Complete(const Generation& gen) {
  return ProgressOf(gen).checkpoint >= gen.meta.target();
}

void Runtime::AddCopy(Slot* slot, std::shared_ptr<Generation> gen, Progress progress) {
  Copies& copies = copies_[slot];
  (progress.live ? copies.live : copies.building) = gen;
  progress_[gen.get()] = std::move(progress);
}

Runtime::Options Runtime::ForMemory(size_t memory_bytes, size_t workers) {
  RCL_CHECK(workers > 0);
  Options options;
  options.block_cache_bytes = memory_bytes / 2;
  options.write_buffer_bytes = memory_bytes / 4;
  options.held_rows_bytes = memory_bytes / 2 / workers;
  return options;
}

Runtime::Runtime(Options options, const ledger::EventStore* log)
    : options_(std::move(options)),
      log_(log),
      feed_(log, options_.feed),
      disk_reserve_(std::make_unique<ledger::DiskReserve>(
          ledger::DiskReserve::Options{.path = options_.path,
                                       .reserve_bytes = options_.disk_reserve_bytes,
                                       .probe = options_.free_space_probe,
                                       .now = nullptr,
                                       .writer = "projections"})) {}

Runtime::~Runtime() {
  Stop();
  // Every column family handle goes before the database closes (readers
  // must be gone by now: they hold copies).
  {
    absl::MutexLock lock(&mu_);
    for (auto& [slot, copies] : copies_) {
      RCL_CHECK(copies.live == nullptr || copies.live.use_count() == 1)
          << "a projection reader outlived the runtime";
    }
    copies_.clear();
    progress_.clear();
  }
  slots_.clear();
  if (db_ != nullptr && meta_ != nullptr) db_->DestroyColumnFamilyHandle(meta_);
}

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Open(
    Options options, const ledger::EventStore* log,
    std::vector<std::unique_ptr<Projection>> projections) {
  RCL_CHECK(log != nullptr);
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(options), log));
  RCL_ASSIGN_OR_RETURN(ledger::LogHead head, log->ReadHead());
  {
    absl::MutexLock lock(&runtime->mu_);
    runtime->head_ = head.position;
  }
  RCL_RETURN_IF_ERROR(runtime->OpenStore(std::move(projections)));
  return runtime;
}

absl::Status Runtime::OpenStore(std::vector<std::unique_ptr<Projection>> projections) {
  std::error_code ec;
  std::filesystem::create_directories(options_.path, ec);
  if (ec)
    return absl::UnavailableError(
        absl::StrCat("cannot create projections directory: ", ec.message()));
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // RocksDB's LOG, written so that a full disk cannot abort the process.
  RCL_ASSIGN_OR_RETURN(db_options.info_log, ledger::RocksLogger::Open(options_.path));
  // The memtables' memory is charged to the block cache (one bound for
  // both); index and filter blocks keep a share of it (high priority).
  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes, /*num_shard_bits=*/-1,
                                    /*strict_capacity_limit=*/false, kHighPriorityCacheRatio);
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options_.write_buffer_bytes, cache);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks count in the cache, ahead of data blocks, and
  // every table's stay in it (pinned): a fold's read of a key not yet
  // written consults the filter of each level, and an evicted filter block
  // was re-read from the file and checksummed on such reads (a third of the
  // claims worker's time when the memtables had filled the cache). Their
  // size grows with the state: about 1.25 bytes a key plus the index.
  // (docs/PERFORMANCE.md, "Projections".)
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
  // Most of a fold's reads are of keys it is about to create: a bloom
  // filter answers those without reading a block.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = std::max<size_t>(options_.write_buffer_bytes / 4, 1 << 20);
  cf_options.max_write_buffer_number = 2;
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.02;
  *static_cast<rocksdb::ColumnFamilyOptions*>(&db_options) = cf_options;

  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, options_.path, &names);
  if (!listed.ok()) names = {rocksdb::kDefaultColumnFamilyName};
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, cf_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RCL_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &raw), "open"));
  db_.reset(raw);

  std::string next;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles[0], kNextGenerationKey, &next);
  absl::MutexLock lock(&mu_);
  if (s.ok()) {
    RCL_ASSIGN_OR_RETURN(int64_t n, DecodeInt64(next));
    next_generation_ = static_cast<uint64_t>(n);
  }
  // Adopt the handles: each stored copy a registered projection still uses
  // becomes a Generation; every other family is dropped.
  meta_ = handles[0];
  std::vector<std::shared_ptr<Generation>> adopted;
  for (size_t i = 1; i < handles.size(); ++i) {
    auto gen = std::make_shared<Generation>();
    gen->db = db_.get();
    gen->family = handles[i];
    adopted.push_back(gen);
  }
  for (auto& p : projections) {
    auto slot = std::make_unique<Slot>();
    slot->projection = std::move(p);
    for (const char* prefix : {kLivePrefix, kBuildingPrefix}) {
      std::string bytes;
      rocksdb::Status got =
          db_->Get(rocksdb::ReadOptions(), meta_,
                   absl::StrCat(prefix, AbslView(slot->projection->name())), &bytes);
      if (got.IsNotFound()) continue;
      RCL_RETURN_IF_ERROR(FromRocks(got, "read meta"));
      store::GenerationMeta meta;
      if (!meta.ParseFromString(bytes))
        return absl::DataLossError("projection store: undecodable meta");
      std::string family = FamilyName(slot->projection->name(), meta.generation());
      auto it = std::find_if(adopted.begin(), adopted.end(), [&](const auto& g) {
        return g->family != nullptr && g->family->GetName() == family;
      });
      if (it == adopted.end() || meta.version() != slot->projection->version()) continue;
      std::shared_ptr<Generation> gen = *it;
      adopted.erase(it);
      gen->meta = meta;
      Progress progress;
      progress.live = prefix == std::string_view(kLivePrefix);
      StateReader reader(db_.get(), gen->family, nullptr);
      progress.checkpoint = reader.checkpoint();
      if (progress.checkpoint > head_) {
        spdlog::warn("projection {}: copy {} is at position {}, past the log's head {}; rebuilding",
                     slot->projection->name(), meta.generation(), progress.checkpoint, head_);
        adopted.push_back(gen);
        continue;
      }
      AddCopy(slot.get(), gen, std::move(progress));
    }
    Copies& copies = copies_[slot.get()];
    if (copies.live == nullptr) {
      // No usable live copy: a first build, live from the start.
      if (copies.building != nullptr) {
        progress_.erase(copies.building.get());
        adopted.push_back(std::exchange(copies.building, nullptr));
      }
      RCL_ASSIGN_OR_RETURN(std::shared_ptr<Generation> first,
                           NewGeneration(*slot->projection, /*live=*/true));
      Progress progress;
      progress.live = true;
      AddCopy(slot.get(), std::move(first), std::move(progress));
    }
    slots_.push_back(std::move(slot));
  }
  for (auto& gen : adopted) {
    spdlog::info("projections: dropping unused column family {}", gen->family->GetName());
    RCL_RETURN_IF_ERROR(FromRocks(db_->DropColumnFamily(gen->family), "drop family"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Runtime::Generation>> Runtime::NewGeneration(
    const Projection& projection, bool live) {
  uint64_t number = next_generation_++;
  rocksdb::ColumnFamilyOptions cf_options(db_->GetOptions(meta_));
  rocksdb::ColumnFamilyHandle* family = nullptr;
  RCL_RETURN_IF_ERROR(
      FromRocks(db_->CreateColumnFamily(cf_options, FamilyName(projection.name(), number), &family),
                "create family"));
  auto gen = std::make_shared<Generation>();
  gen->db = db_.get();
  gen->family = family;
  gen->meta.set_generation(number);
  gen->meta.set_version(projection.version());
  gen->meta.set_target(head_);
  rocksdb::WriteBatch batch;
  batch.Put(meta_, absl::StrCat(live ? kLivePrefix : kBuildingPrefix, AbslView(projection.name())),
            gen->meta.SerializeAsString());
  batch.Put(meta_, kNextGenerationKey, EncodeInt64(static_cast<int64_t>(next_generation_)));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RCL_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "write meta"));
  return gen;
}

void Runtime::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  for (auto& slot : slots_) {
    const Copies& copies = copies_[slot.get()];
    StartWorker(slot.get(), copies.live);
    if (copies.building != nullptr) StartWorker(slot.get(), copies.building);
  }
}

void Runtime::StartWorker(Slot* slot, std::shared_ptr<Generation> gen) {
  Progress& progress = ProgressOf(*gen);
  progress.rate_since = absl::Now();
  progress.rate_from = progress.checkpoint;
  gen->thread = std::thread([this, slot, gen]() { RunWorker(slot, gen); });
}

void Runtime::Stop() {
  std::vector<std::shared_ptr<Generation>> gens;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [slot, copies] : copies_) {
      for (const auto& g : {copies.live, copies.building}) {
        if (g == nullptr) continue;
        ProgressOf(*g).stop = true;
        gens.push_back(g);
      }
    }
  }
  for (auto& g : gens) {
    if (g->thread.joinable()) g->thread.join();
  }
}

void Runtime::NotifyHead(uint64_t position) {
  absl::MutexLock lock(&mu_);
  head_ = std::max(head_, position);
}

uint64_t Runtime::head() const {
  absl::MutexLock lock(&mu_);
  return head_;
}

void Runtime::RunWorker(Slot* slot, std::shared_ptr<Generation> gen) {
  const Projection& projection = *slot->projection;
  pthread_setname_np(
      pthread_self(),
      absl::StrCat("p:", AbslView(projection.name())).substr(0, kThreadNameMax).c_str());
  StateTxn txn(db_.get(), gen->family, options_.held_rows_bytes);
  LogFeed::Cursor cursor(&feed_);
  bool live = false;
  {
    absl::MutexLock lock(&mu_);
    live = ProgressOf(*gen).live;
  }
  while (true) {
    // A rebuild may be complete before it folds anything (an empty log).
    if (!live) live = MaybeSwap(slot, gen);
    uint64_t from = 0;
    uint64_t to = 0;
    uint64_t head = 0;
    bool catching_up = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this, &gen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        const Progress& p = ProgressOf(*gen);
        return p.stop || (p.error.empty() && head_ > p.checkpoint);
      };
      if (!ready()) cursor.SetCatchingUp(false);  // idle: no one waits for it
      mu_.Await(absl::Condition(&ready));
      GatherLocked(*gen);
      const Progress& p = ProgressOf(*gen);
      if (p.stop) return;
      from = p.checkpoint + 1;
      head = head_;
      catching_up = head - p.checkpoint > kCatchUpBatches * options_.batch_events_max;
      const size_t batch =
          catching_up ? options_.catch_up_batch_events_max : options_.batch_events_max;
      to = std::min<uint64_t>(head, p.checkpoint + batch);
    }
    cursor.SetCatchingUp(catching_up);
    if (options_.before_batch) options_.before_batch(projection.name(), from);
    absl::Status folded = FoldBatch(projection, *gen, txn, cursor, from, to, head);
    if (!folded.ok()) txn.Discard();  // the held rows may be ahead of the store
    if (absl::IsResourceExhausted(folded)) {
      // The disk is full: the batch was not written. Wait, and fold the
      // same batch again.
      spdlog::warn("projection {}: disk full at position {}; retrying: {}", projection.name(), from,
                   std::string(folded.message()));
      WaitForSpace(*gen);
      continue;
    }
    absl::MutexLock lock(&mu_);
    Progress& p = ProgressOf(*gen);
    if (!folded.ok()) {
      cursor.SetCatchingUp(false);
      p.error = std::string(folded.message());
      spdlog::error("projection {} stopped: {}", projection.name(), p.error);
      continue;  // waits for Stop()
    }
    RCL_CHECK(to >= p.checkpoint);
    p.checkpoint = to;
    NoteRate(p, to);
  }
}

// A worker's thread, with new events to fold. When it follows the head
// with only a few, it waits a moment for more (Options::follow_gather_*):
// under small commits each batch would otherwise be a wake-up, a decode
// and a write for a handful of events. A query waiting for a position ends
// the wait, so read-your-writes costs nothing more.
void Runtime::GatherLocked(const Generation& gen) {
  const size_t want = options_.follow_gather_events;
  auto gathered = [this, &gen, want]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const Progress& p = ProgressOf(gen);
    return p.stop || !p.error.empty() || readers_waiting_ > 0 || head_ <= p.checkpoint ||
           head_ - p.checkpoint >= want;
  };
  if (want == 0 || gathered()) return;
  mu_.AwaitWithTimeout(absl::Condition(&gathered), options_.follow_gather_wait);
}

// A worker's thread, after its write found the disk full (below the
// reserve, or RocksDB's ENOSPC): waits a retry interval, and more while less
// than the reserve is free, so a full disk costs no folding (less when
// stopped). RocksDB leaves its own error state by itself once space is back
// (its SstFileManager polls); until then the write fails at once.
void Runtime::WaitForSpace(Generation& gen) {
  absl::MutexLock lock(&mu_);
  auto stop = [this, &gen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ProgressOf(gen).stop; };
  do {
    mu_.AwaitWithTimeout(absl::Condition(&stop), kDiskFullRetryInterval);
  } while (!stop() && !disk_reserve_->CheckNow().ok());
}

void Runtime::NoteRate(Progress& p, uint64_t to) {
  absl::Time now = absl::Now();
  p.last_batch = now;
  if (now - p.rate_since >= kRateWindow) {
    // Integer arithmetic: events × 10^6 ÷ elapsed microseconds.
    const int64_t elapsed_us = std::max<int64_t>(1, absl::ToInt64Microseconds(now - p.rate_since));
    p.events_per_s = (to - p.rate_from) * 1'000'000 / static_cast<uint64_t>(elapsed_us);
    p.rate_since = now;
    p.rate_from = to;
  }
}

absl::Status Runtime::FoldBatch(const Projection& projection, Generation& gen, StateTxn& txn,
                                LogFeed::Cursor& cursor, uint64_t from, uint64_t to,
                                uint64_t head) {
  RCL_CHECK(txn.pending_keys() == 0) << "a batch began with another's changes";
  uint64_t expected = from;
  absl::Status applied;
  RCL_RETURN_IF_ERROR(feed_.Read(cursor, from, to, head, [&](const LogEvent& e) {
    if (e.record.position != expected) {
      applied = absl::DataLossError(
          absl::StrCat("the log skips from position ", expected, " to ", e.record.position));
      return false;
    }
    applied = projection.Apply(e, txn);
    if (!applied.ok()) {
      applied = absl::Status(applied.code(),
                             absl::StrCat("at position ", e.record.position, " (",
                                          AbslView(e.record.type), "): ", applied.message()));
      return false;
    }
    ++expected;
    return true;
  }));
  RCL_RETURN_IF_ERROR(applied);
  if (expected != to + 1) {
    return absl::DataLossError(
        absl::StrCat("the log ends at position ", expected - 1, ", before ", to));
  }
  rocksdb::WriteBatch batch;
  txn.Flush(&batch);
  batch.Put(gen.family, kCheckpointKey, EncodeInt64(static_cast<int64_t>(to)));
  // Nothing reaches RocksDB while the disk is below its reserve (as for the
  // ledger): RESOURCE_EXHAUSTED, and the worker waits and folds it again.
  RCL_RETURN_IF_ERROR(disk_reserve_->Admit(batch.GetDataSize()));
  // No fsync: the state is rebuilt from the log, and RocksDB recovers a
  // prefix of these atomic writes, so state and checkpoint stay together.
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "write state");
}

bool Runtime::MaybeSwap(Slot* slot, const std::shared_ptr<Generation>& gen) {
  std::shared_ptr<Generation> old;
  {
    absl::MutexLock lock(&mu_);
    Copies& copies = copies_[slot];
    Progress& progress = ProgressOf(*gen);
    if (copies.building != gen || progress.stop || !Complete(*gen)) return false;
    if (copies.live != nullptr && progress.checkpoint < ProgressOf(*copies.live).checkpoint)
      return false;
    rocksdb::WriteBatch batch;
    batch.Put(meta_, absl::StrCat(kLivePrefix, AbslView(slot->projection->name())),
              gen->meta.SerializeAsString());
    batch.Delete(meta_, absl::StrCat(kBuildingPrefix, AbslView(slot->projection->name())));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    absl::Status written = FromRocks(db_->Write(wo, &batch), "write meta");
    if (!written.ok()) {
      progress.error = std::string(written.message());
      return false;
    }
    old = std::exchange(copies.live, gen);
    copies.building = nullptr;
    progress.live = true;
    if (old != nullptr) ProgressOf(*old).stop = true;
    spdlog::info("projection {}: copy {} swapped in at position {}", slot->projection->name(),
                 gen->meta.generation(), progress.checkpoint);
  }
  if (old == nullptr) return true;
  if (old->thread.joinable()) old->thread.join();
  {
    absl::MutexLock lock(&mu_);
    progress_.erase(old.get());
  }
  // Queries still holding the old copy read it until they finish (RocksDB
  // keeps a dropped family readable until its handle is destroyed).
  rocksdb::Status dropped = db_->DropColumnFamily(old->family);
  if (!dropped.ok()) {
    spdlog::warn("projection {}: cannot drop old copy: {}", slot->projection->name(),
                 dropped.ToString());
  }
  return true;
}

Runtime::Slot* Runtime::FindSlot(std::string_view name) {
  for (auto& slot : slots_) {
    if (slot->projection->name() == name) return slot.get();
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<StateReader>> Runtime::Read(std::string_view name,
                                                           uint64_t min_position) {
  Slot* slot = FindSlot(name);
  if (slot == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection named ", AbslView(name)));
  }
  std::shared_ptr<Generation> gen;
  {
    absl::MutexLock lock(&mu_);
    if (min_position > head_) {
      return absl::OutOfRangeError(
          absl::StrCat("min_position ", min_position, " is past the log's head ", head_));
    }
    auto reached = [this, slot, min_position]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      const Generation& g = *copies_[slot].live;
      const Progress& p = ProgressOf(g);
      return !p.error.empty() || stopping_ || (Complete(g) && p.checkpoint >= min_position);
    };
    ++readers_waiting_;  // ends any worker's gathering (GatherLocked)
    mu_.AwaitWithTimeout(absl::Condition(&reached), options_.min_position_wait_max);
    RCL_CHECK(readers_waiting_ > 0);
    --readers_waiting_;
    gen = copies_[slot].live;
    const Progress& p = ProgressOf(*gen);
    if (!p.error.empty()) {
      return absl::UnavailableError(
          absl::StrCat("projection ", AbslView(name), " stopped: ", p.error));
    }
    if (!Complete(*gen)) {
      return absl::UnavailableError(absl::StrCat("projection ", AbslView(name),
                                                 " is being built: at position ", p.checkpoint,
                                                 " of ", gen->meta.target()));
    }
    if (p.checkpoint < min_position) {
      return absl::UnavailableError(absl::StrCat("projection ", AbslView(name), " is at position ",
                                                 p.checkpoint, ", ", min_position - p.checkpoint,
                                                 " behind min_position ", min_position, "; retry"));
    }
  }
  // The snapshot may be newer than the checkpoint seen above, never older.
  auto reader = std::make_unique<StateReader>(db_.get(), gen->family, gen);
  RCL_CHECK(reader->checkpoint() >= min_position);
  return reader;
}

uint64_t Runtime::StateBytes(const Generation& gen) const {
  uint64_t live_data = 0;
  uint64_t memtables = 0;
  db_->GetIntProperty(gen.family, "rocksdb.estimate-live-data-size", &live_data);
  db_->GetIntProperty(gen.family, "rocksdb.cur-size-all-mem-tables", &memtables);
  return live_data + memtables;
}

std::vector<ProjectionStatus> Runtime::Status() {
  std::vector<ProjectionStatus> out;
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  for (auto& slot : slots_) {
    const Copies& copies = copies_[slot.get()];
    const Generation& g = *copies.live;
    const Progress& p = ProgressOf(g);
    ProjectionStatus s;
    s.name = std::string(slot->projection->name());
    s.checkpoint = p.checkpoint;
    s.lag = head_ - std::min(head_, p.checkpoint);
    s.events_per_s = now - p.last_batch <= 2 * kRateWindow ? p.events_per_s : 0;
    s.state_bytes = StateBytes(g);
    s.state = !p.error.empty() ? "stopped" : Complete(g) ? "live" : "building";
    s.error = p.error;
    s.generation = g.meta.generation();
    if (copies.building != nullptr) {
      const Progress& b = ProgressOf(*copies.building);
      s.rebuilding = true;
      s.rebuild_checkpoint = b.checkpoint;
      s.rebuild_target = std::max(copies.building->meta.target(), p.checkpoint);
      if (!b.error.empty()) s.error = "rebuild stopped: " + b.error;
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<RebuildStarted> Runtime::Rebuild(std::string_view name) {
  Slot* slot = FindSlot(name);
  if (slot == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection named ", AbslView(name)));
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("shutting down");
  Copies& copies = copies_[slot];
  if (copies.building != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("projection ", AbslView(name), " is already being rebuilt"));
  }
  if (!Complete(*copies.live)) {
    return absl::FailedPreconditionError(
        absl::StrCat("projection ", AbslView(name), " is still being built"));
  }
  RCL_ASSIGN_OR_RETURN(std::shared_ptr<Generation> gen,
                       NewGeneration(*slot->projection, /*live=*/false));
  AddCopy(slot, gen, Progress{});
  spdlog::info("projection {}: rebuilding as copy {} from position 0 (head {})", name,
               gen->meta.generation(), head_);
  if (started_) StartWorker(slot, gen);
  return RebuildStarted{gen->meta.generation(), gen->meta.target()};
}

}  // namespace rcl::projections
