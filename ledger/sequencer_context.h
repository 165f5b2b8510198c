// The sequencer's private state (ledger.cc, ledger_groups.cc): what it keeps
// between batches (SequencerState), the view one batch decides against
// (BatchView) and what one batch's decisions share (BatchContext). Sequencer
// thread only; nothing outside the ledger's .cc files includes this.
#ifndef RCL_LEDGER_SEQUENCER_CONTEXT_H_
#define RCL_LEDGER_SEQUENCER_CONTEXT_H_

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ledger/audit/merkle.h"
#include "ledger/ledger.h"
#include "ledger/replay.h"
#include "ledger/state_cache.h"
#include "ledger/status.h"
#include "rocksdb/write_batch.h"

namespace rcl::ledger {

// A stream's key in the sequencer's maps (tenant, NUL, stream), built into
// *key and returned: its capacity kept, so a buffer reused for every lookup
// allocates once.
inline const std::string& StateKey(std::string* key, std::string_view tenant,
                                   std::string_view stream) {
  key->assign(tenant);
  key->push_back('\0');
  key->append(stream);
  return *key;
}

struct Ledger::SequencerState {
  SequencerState(size_t cache_max, size_t cache_bytes_max, size_t pinned_streams_max)
      : cache(cache_max, cache_bytes_max), pinned_max(pinned_streams_max) {}
  // Stream states by StateKey, evictable. Holds durable states, and may also
  // hold the states of batches not yet durable (but see `pinned`).
  StateCache cache;
  // The state of every stream that a decided batch not yet durable has
  // changed, as of the last such batch: key -> (seq of that batch, state).
  // The store cannot answer for these streams until that batch is written, so
  // they must not depend on the cache keeping them: lookups check here first,
  // then the cache, then the store. Released once durable_seq_ reaches the
  // batch; bounded by `pinned_max` (see PinnedStreamsMax()).
  struct Pinned {
    uint64_t seq;
    std::shared_ptr<const StreamState> state;
  };
  absl::flat_hash_map<std::string, Pinned> pinned;
  std::deque<std::pair<uint64_t, std::string>> pinned_order;  // (seq, key), seq ascending
  const size_t pinned_max;
  uint64_t next_position = 1;
  Hash last_hash{};
  int64_t last_recorded_at_us = 0;
  uint64_t next_seq = 1;
  // Commands with an id decided in batches that may not be durable yet (the
  // store cannot answer for them): command key -> (batch seq, fingerprint,
  // result). Pruned once their batch is durable.
  struct InFlight {
    uint64_t seq;
    std::string fingerprint;
    CommandResult result;
  };
  absl::flat_hash_map<std::string, InFlight> in_flight;
  std::deque<std::pair<uint64_t, std::string>> in_flight_order;
  // Each tenant's tip as the next batch extends it: its last tenant sequence,
  // tenant hash and Merkle right edge, and the last batch that moved it.
  // Loaded from the store on a tenant's first command; tips of durable
  // batches are dropped when there are more than kTenantTipsMax (the store
  // answers for them again).
  struct TenantTip {
    uint64_t seq = 0;
    Hash hash{};
    audit::CompactRange range;
    uint64_t batch_seq = 0;
  };
  absl::flat_hash_map<std::string, TenantTip> tips;
};

// The state of a tenant's streams as the batch being decided sees it: the
// batch's own effects (overlay) over the states of batches not yet durable
// (pinned) over the cache over the store.
class Ledger::BatchView : public StateView {
 public:
  BatchView(Ledger* ledger, absl::flat_hash_map<std::string, StreamState>* overlay)
      : ledger_(ledger), overlay_(overlay) {}

  void set_tenant(const std::string& tenant) { tenant_ = tenant; }
  void set_today(absl::CivilDay today) { today_ = today; }
  absl::CivilDay Today() const override { return today_; }

  absl::StatusOr<const StreamState*> Get(const std::string& stream) override {
    const std::string& key = StateKey(&key_, tenant_, stream);
    if (auto it = overlay_->find(key); it != overlay_->end()) return &it->second;
    RCL_ASSIGN_OR_RETURN(auto state, Load(key, stream));
    held_.push_back(state);
    return state.get();
  }

  // The stream's state in the overlay, for applying this batch's new events:
  // moved out of the cache when nothing else holds it (the common case: the
  // stream's last batch is durable), else a copy.
  absl::StatusOr<StreamState*> Mutable(const std::string& stream) {
    const std::string& key = StateKey(&key_, tenant_, stream);
    if (auto it = overlay_->find(key); it != overlay_->end()) return &it->second;
    RCL_ASSIGN_OR_RETURN(std::shared_ptr<const StreamState> state, Load(key, stream));
    base_versions_.try_emplace(key, state->version);
    if (std::shared_ptr<StreamState> sole =
            ledger_->sequencer_state_->cache.TakeIfSole(key, &state)) {
      return &overlay_->emplace(key, std::move(*sole)).first->second;
    }
    return &overlay_->emplace(key, *state).first->second;
  }

  // The version a stream had before this batch, for every stream Mutable()
  // was called for.
  int64_t BaseVersion(const std::string& key) const {
    auto it = base_versions_.find(key);
    RCL_CHECK(it != base_versions_.end()) << "stream changed without a base version";
    return it->second;
  }

  void ReleasePins() { held_.clear(); }

  // Room for `streams` streams changed by the batch.
  void Reserve(size_t streams) { base_versions_.reserve(streams); }

 private:
  absl::StatusOr<std::shared_ptr<const StreamState>> Load(const std::string& key,
                                                          const std::string& stream) {
    SequencerState& w = *ledger_->sequencer_state_;
    if (auto it = w.pinned.find(key); it != w.pinned.end()) return it->second.state;
    if (auto cached = w.cache.Find(key)) return cached;
    RCL_ASSIGN_OR_RETURN(StreamState loaded, LoadStreamState(*ledger_->store_, tenant_, stream));
    auto state = std::make_shared<StreamState>(std::move(loaded));
    w.cache.Put(key, state);
    return std::shared_ptr<const StreamState>(state);
  }

  Ledger* ledger_;
  absl::flat_hash_map<std::string, StreamState>* overlay_;
  std::string tenant_;
  // The key of the stream being looked up (Get, Mutable, and Load under
  // them): one buffer, so that a lookup allocates only what it keeps.
  std::string key_;
  absl::CivilDay today_;
  // States handed out by Get() while one command is decided (the cache may
  // evict them meanwhile).
  std::vector<std::shared_ptr<const StreamState>> held_;
  absl::flat_hash_map<std::string, int64_t> base_versions_;
};

// What one batch's decisions share. Sequencer thread only.
struct Ledger::BatchContext {
  explicit BatchContext(Ledger* ledger) : view(ledger, &overlay) {}
  DecidedBatch out;
  absl::flat_hash_map<std::string, StreamState> overlay;  // this batch's effects, by StateKey
  BatchView view;
  std::unique_ptr<rocksdb::WriteBatch> write_batch = std::make_unique<rocksdb::WriteBatch>();
  uint64_t first_position = 0;
  uint64_t next_position = 0;
  Hash chain{};
  int64_t recorded_at_us = 0;
  // Last version written by this batch, per stream (StateKey).
  absl::flat_hash_map<std::string, int64_t> versions;
  size_t written_commands = 0;
  // Set when a command was refused after folding some of its events into
  // the overlay, which then no longer holds only its batchmates' effects:
  // the batch must be rolled back (ledger_groups.cc).
  bool overlay_broken = false;
  // Buffers reused by every event of the batch (their bytes are copied
  // where they are kept): the record being sealed and the index entry
  // being put (SealAndPut), and the stream key ExtendChain checks.
  std::string record;
  std::string index_key;
  std::string index_value;
  std::string state_key;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_SEQUENCER_CONTEXT_H_
