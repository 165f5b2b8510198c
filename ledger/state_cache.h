// A bounded LRU cache of stream states, owned by the sequencer thread (not
// thread-safe). Entries are shared_ptr so a state handed out stays valid while
// a command is being decided even if it is evicted meanwhile.
#ifndef RCL_LEDGER_STATE_CACHE_H_
#define RCL_LEDGER_STATE_CACHE_H_

#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "ledger/state.h"

namespace rcl::ledger {

class StateCache {
 public:
  explicit StateCache(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  std::shared_ptr<const StreamState> Find(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.position);
    return it->second.state;
  }

  void Put(const std::string& key, std::shared_ptr<const StreamState> state) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second.state = std::move(state);
      order_.splice(order_.begin(), order_, it->second.position);
      return;
    }
    order_.push_front(key);
    map_.emplace(key, Entry{std::move(state), order_.begin()});
    while (map_.size() > capacity_) {
      map_.erase(order_.back());
      order_.pop_back();
    }
  }

  size_t size() const { return map_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const StreamState> state;
    std::list<std::string>::iterator position;
  };
  size_t capacity_;
  std::list<std::string> order_;  // most recently used first
  absl::flat_hash_map<std::string, Entry> map_;
};

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STATE_CACHE_H_
