// A bounded LRU cache of stream states, owned by the sequencer thread (not
// thread-safe). Bounded both by entries and by bytes: a stream's state grows
// with its events (an encounter's lines, a patient's claims and payments), so
// an entry count alone does not bound memory. Each entry is charged
// EstimateStateBytes() of its state plus the cache's own bookkeeping; the
// least recently used entries are evicted while either bound is exceeded
// (an entry larger than the whole byte bound is not kept at all).
//
// Entries are shared_ptr so a state handed out stays valid while a command is
// being decided even if it is evicted meanwhile; states of batches not yet
// durable are pinned by the ledger outside this cache.
#ifndef RCL_LEDGER_STATE_CACHE_H_
#define RCL_LEDGER_STATE_CACHE_H_

#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "ledger/rules/state.h"
#include "ledger/state_size.h"
#include "ledger/status.h"

namespace rcl::ledger {

class StateCache {
 public:
  // Bookkeeping per entry besides the state: the key twice (map and LRU
  // list), a list node, a hash-map slot and the shared_ptr control block.
  static constexpr size_t kEntryOverheadBytes = 160;

  StateCache(size_t entries_max, size_t bytes_max)
      : entries_max_(entries_max < 1 ? 1 : entries_max), bytes_max_(bytes_max) {}

  std::shared_ptr<const StreamState> Find(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end() || it->second.state == nullptr) return nullptr;
    order_.splice(order_.begin(), order_, it->second.position);
    return it->second.state;
  }

  // The entry's state, removed from the cache for the caller to change in
  // place, when the only other holder is *also_held (which is reset): no
  // batch not yet durable pins it and no command being decided holds it, so
  // the state is what the store holds and dropping it costs only a reload.
  // nullptr (and *also_held kept) otherwise; the caller then copies.
  // The entry stays, empty (Find does not see it), so that putting the
  // changed state back (Put, once the batch is decided) reuses its key.
  std::shared_ptr<StreamState> TakeIfSole(const std::string& key,
                                          std::shared_ptr<const StreamState>* also_held) {
    auto it = map_.find(key);
    if (it == map_.end() || it->second.state == nullptr ||
        it->second.state.get() != also_held->get() || it->second.state.use_count() != 2) {
      return nullptr;
    }
    std::shared_ptr<StreamState> taken = std::move(it->second.state);
    also_held->reset();
    const size_t empty_bytes = KeyBytes(key);
    bytes_ = bytes_ - it->second.bytes + empty_bytes;
    it->second.bytes = empty_bytes;
    RCL_CHECK(taken.use_count() == 1 && it->second.state == nullptr)
        << "a taken stream state is still shared";
    return taken;
  }

  void Put(const std::string& key, std::shared_ptr<StreamState> state) {
    size_t bytes = EntryBytes(key, *state);
    auto it = map_.find(key);
    if (it != map_.end()) {
      bytes_ -= it->second.bytes;
      it->second.state = std::move(state);
      it->second.bytes = bytes;
      order_.splice(order_.begin(), order_, it->second.position);
    } else {
      order_.push_front(key);
      map_.emplace(key, Entry{std::move(state), order_.begin(), bytes});
    }
    bytes_ += bytes;
    while (!order_.empty() && (map_.size() > entries_max_ || bytes_ > bytes_max_)) {
      auto last = map_.find(order_.back());
      bytes_ -= last->second.bytes;
      map_.erase(last);
      order_.pop_back();
    }
  }

  size_t size() const { return map_.size(); }
  // Estimated bytes of every entry held (never above the byte bound).
  size_t bytes() const { return bytes_; }

  static size_t EntryBytes(const std::string& key, const StreamState& state) {
    return KeyBytes(key) + EstimateStateBytes(state);
  }
  // An entry's bookkeeping alone (an entry whose state was taken).
  static size_t KeyBytes(const std::string& key) {
    size_t key_bytes = key.capacity() > 15 ? key.capacity() + 1 : 0;
    return kEntryOverheadBytes + 2 * key_bytes;
  }

 private:
  struct Entry {
    // Mutable only through TakeIfSole; every reader gets a const view. Null
    // while taken (TakeIfSole) and not yet put back.
    std::shared_ptr<StreamState> state;
    std::list<std::string>::iterator position;
    size_t bytes = 0;
  };
  size_t entries_max_;
  size_t bytes_max_;
  size_t bytes_ = 0;
  std::list<std::string> order_;  // most recently used first
  absl::flat_hash_map<std::string, Entry> map_;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STATE_CACHE_H_
