// How the sequencer decides the commands of one batch together (ledger.h,
// DecideBatch): each on its own (DecideEach), or an atomic group, all or
// nothing (DecideAtomic); and how a batch's decisions are rolled back to its
// start (RollBack). Sequencer thread only. The steps of one command are in
// ledger.cc.
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/ledger.h"
#include "ledger/sequencer_context.h"
#include "ledger/status.h"

namespace rcl::ledger {

struct Ledger::BatchUndo {
  explicit BatchUndo(const SequencerState& w) : in_flight_order(w.in_flight_order.size()) {}
  size_t in_flight_order;  // entries of in_flight_order at the batch's start
  // Each tenant's tip at the batch's start; nullopt: none was loaded.
  absl::flat_hash_map<std::string, std::optional<SequencerState::TenantTip>> tips;

  // Keeps the tenant's tip as it is now, unless kept already.
  void NoteTip(const SequencerState& w, const std::string& tenant) {
    if (tips.contains(tenant)) return;
    auto tip = w.tips.find(tenant);
    tips.emplace(tenant, tip == w.tips.end()
                             ? std::nullopt
                             : std::optional<SequencerState::TenantTip>(tip->second));
  }
};

// Sequencer thread. The batch's commands in order, each against the state
// the earlier ones produced (the batch's overlay), each with its own result.
// A command refused after some of its events were folded into the overlay
// (a decider and its fold disagree, or a stream could not be loaded) leaves
// the overlay half-changed. Rather than copy every state a command touches
// before folding into it (a tenth of the sequencer's time, for a case that
// should not happen), the batch is then rolled back and decided again from
// its first command, that one answered with its error without being decided
// again. Deciding is deterministic, so the others decide the same; each
// restart answers one more command, so there are fewer restarts than
// commands.
void Ledger::DecideEach(BatchContext& ctx, const std::vector<Pending>& batch) {
  BatchUndo undo(*sequencer_state_);
  // Commands that broke the overlay: their errors, by index.
  absl::flat_hash_map<size_t, absl::Status> broke;
  size_t i = 0;
  while (i < batch.size()) {
    if (auto b = broke.find(i); b != broke.end()) {
      ctx.out.results[i++] = b->second;
      continue;
    }
    undo.NoteTip(*sequencer_state_, batch[i].request.tenant);
    ctx.overlay_broken = false;
    ctx.out.results[i] = DecideOne(ctx, batch[i]);
    if (!ctx.overlay_broken) {
      ++i;
      continue;
    }
    RCL_CHECK(!ctx.out.results[i].ok()) << "command " << i << " broke the overlay and succeeded";
    RCL_CHECK(broke.emplace(i, ctx.out.results[i].status()).second)
        << "command " << i << " broke the overlay twice";
    RollBack(ctx, undo);
    ctx.overlay_broken = false;
    i = 0;
  }
  RCL_CHECK(!ctx.overlay_broken);
}

// Sequencer thread. An atomic group, alone in its batch: each command decided
// in order against the state the earlier ones produced (the batch's overlay),
// all into the batch's one WriteBatch. If one is refused, nothing of the
// group is written: it keeps its error, the others get ABORTED.
void Ledger::DecideAtomic(BatchContext& ctx, const std::vector<Pending>& group) {
  RCL_CHECK(group.front().atomic_group == group.size())
      << "atomic group of " << group.front().atomic_group << " in a batch of " << group.size();
  BatchUndo undo(*sequencer_state_);
  size_t refused = group.size();
  for (size_t i = 0; i < group.size() && refused == group.size(); ++i) {
    undo.NoteTip(*sequencer_state_, group[i].request.tenant);
    const uint64_t before = ctx.next_position;
    absl::StatusOr<CommandResult>& r = ctx.out.results[i];
    r = DecideOne(ctx, group[i]);
    if (!r.ok()) {
      refused = i;
    } else if (ctx.next_position != before) {
      // Written now: its events directly follow the previous command's.
      RCL_CHECK(r->position == ctx.next_position - 1 &&
                r->event_ids.size() == ctx.next_position - before)
          << "atomic command " << i << " at position " << r->position << " with "
          << r->event_ids.size() << " events after position " << before - 1;
    }
  }
  if (refused == group.size()) {
    RCL_CHECK(ctx.next_position - ctx.first_position >= ctx.written_commands);
    return;
  }
  // The overlay is dropped whole, so a refusal that broke it needs nothing
  // more.
  RollBack(ctx, undo);
  ctx.overlay_broken = false;
  for (size_t i = 0; i < group.size(); ++i) {
    if (i == refused) continue;
    ctx.out.results[i] = absl::AbortedError(
        absl::StrCat(kNotWrittenPrefix, refused, " of the atomic batch was refused"));
  }
}

// Sequencer thread. Forgets every effect of the batch's decisions so far:
// its overlay, write, positions and chain (as if nothing were decided), the
// tenant tips they moved and the command ids they recorded. States moved out
// of the cache into the overlay were durable (BatchView::Mutable), so the
// store answers for them again.
void Ledger::RollBack(BatchContext& ctx, const BatchUndo& undo) {
  SequencerState& w = *sequencer_state_;
  for (const auto& [tenant, tip] : undo.tips) {
    if (tip.has_value()) {
      w.tips[tenant] = *tip;
    } else {
      w.tips.erase(tenant);
    }
  }
  RCL_CHECK(w.in_flight_order.size() >= undo.in_flight_order);
  while (w.in_flight_order.size() > undo.in_flight_order) {
    w.in_flight.erase(w.in_flight_order.back().second);
    w.in_flight_order.pop_back();
  }
  ctx.overlay.clear();
  ctx.versions.clear();
  ctx.write_batch->Clear();  // its room kept
  ctx.next_position = ctx.first_position;
  ctx.chain = ctx.out.head_before.hash;
  ctx.written_commands = 0;
}

}  // namespace rcl::ledger
