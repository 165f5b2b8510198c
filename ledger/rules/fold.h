// Internal to ledger/: the dispatch table from an event type name to the one
// small Apply function that folds that event into its stream's aggregate
// (the decider shape: one Decide* per command, one Apply* per event). The
// table is built once, on first use, from the registrations in
// ledger/rules/state.cc (patients, encounters) and ledger/rules/claim_state.cc (claims,
// remittances, appeals, the patient account); it is read-only afterwards,
// so any thread may fold.
#ifndef RCL_LEDGER_FOLD_H_
#define RCL_LEDGER_FOLD_H_

#include <cstdint>
#include <string_view>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/postings.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"

namespace rcl::ledger::fold {

// An event's payload: its stored bytes, or the message already parsed from
// them (a reader that parsed every payload once, as the projections' feed
// does, folds without parsing again).
struct Payload {
  std::string_view bytes;
  const google::protobuf::Message* parsed = nullptr;  // when set, `bytes` is unused
};

// Folds one event payload into `state`; DATA_LOSS when it cannot.
using FoldFn = absl::Status (*)(StreamState* state, const Payload& payload);
// Keys are the payload message names (the descriptor pool owns the bytes).
using FoldTable = absl::flat_hash_map<std::string_view, FoldFn>;

// The payload as an Event: the parsed message when it is one, else parsed
// from the bytes into `scratch`. Postings read back from the log must
// balance as they did when written.
template <typename Event>
absl::StatusOr<const Event*> Parse(const Payload& payload, Event* scratch) {
  const Event* e = scratch;
  if (payload.parsed != nullptr) {
    if (payload.parsed->GetDescriptor() != Event::descriptor()) {
      return absl::DataLossError(absl::StrCat("a ", payload.parsed->GetDescriptor()->name(),
                                              " payload folded as ", Event::descriptor()->name()));
    }
    e = static_cast<const Event*>(payload.parsed);
  } else if (!scratch->ParseFromArray(payload.bytes.data(),
                                      static_cast<int>(payload.bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("undecodable ", Event::descriptor()->name(), " payload"));
  }
  if constexpr (requires { e->postings(); }) {
    absl::Status balanced = CheckBalancedField(e->postings());
    if (!balanced.ok())
      return absl::DataLossError(absl::StrCat("stored postings: ", balanced.message()));
  }
  return e;
}

// Sums of stored amounts. Apply functions add and subtract cents only
// through these: the log is outside input once it is read back, and a
// corrupt payload whose amounts overflow int64 must make its fold DATA_LOSS
// (Fold and FoldEither check after Apply), not undefined behaviour. The flag
// is per thread (any thread may fold) and reset by every fold.
inline thread_local bool cents_overflowed = false;
inline void AddCents(int64_t& into, int64_t amount) {
  if (__builtin_add_overflow(into, amount, &into)) cents_overflowed = true;
}
inline void SubCents(int64_t& into, int64_t amount) {
  if (__builtin_sub_overflow(into, amount, &into)) cents_overflowed = true;
}

template <typename Event>
absl::Status Overflowed() {
  return absl::DataLossError(
      absl::StrCat("stored amounts of a ", Event::descriptor()->name(), " overflow int64 cents"));
}

// The aggregate of kind T (a new stream becomes one); null for another kind.
template <typename T>
T* As(StreamState* state) {
  if (std::holds_alternative<std::monostate>(state->aggregate)) state->aggregate = T{};
  return std::get_if<T>(&state->aggregate);
}

template <typename Event>
absl::Status Mismatch() {
  return absl::DataLossError(
      absl::StrCat(Event::descriptor()->name(), " event on a stream of another kind"));
}

// An event of one aggregate kind.
template <typename Event, typename T, void (*Apply)(T&, const Event&)>
absl::Status Fold(StreamState* state, const Payload& payload) {
  Event scratch;
  RCL_ASSIGN_OR_RETURN(const Event* e, Parse(payload, &scratch));
  T* aggregate = As<T>(state);
  if (aggregate == nullptr) return Mismatch<Event>();
  cents_overflowed = false;
  Apply(*aggregate, *e);
  return cents_overflowed ? Overflowed<Event>() : absl::OkStatus();
}

// An event written to two kinds of stream (e.g. an appeal's stream and its
// claim's): `ApplyA` when the stream is already an A, else `ApplyB`.
template <typename Event, typename A, void (*ApplyA)(A&, const Event&), typename B,
          void (*ApplyB)(B&, const Event&)>
absl::Status FoldEither(StreamState* state, const Payload& payload) {
  Event scratch;
  RCL_ASSIGN_OR_RETURN(const Event* e, Parse(payload, &scratch));
  cents_overflowed = false;
  if (A* a = std::get_if<A>(&state->aggregate)) {
    ApplyA(*a, *e);
    return cents_overflowed ? Overflowed<Event>() : absl::OkStatus();
  }
  B* b = As<B>(state);
  if (b == nullptr) return Mismatch<Event>();
  ApplyB(*b, *e);
  return cents_overflowed ? Overflowed<Event>() : absl::OkStatus();
}

template <typename Event>
void Register(FoldTable* table, FoldFn fn) {
  table->emplace(Event::descriptor()->name(), fn);
}

void AddPatientAndEncounterFolds(FoldTable* table);  // ledger/rules/state.cc
void AddClaimSideFolds(FoldTable* table);            // ledger/rules/claim_state.cc

}  // namespace rcl::ledger::fold

#endif  // RCL_LEDGER_FOLD_H_
