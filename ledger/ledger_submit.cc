// The ledger's front door (ledger/ledger.h): validating commands and queueing
// them for the sequencer, one at a time (Submit) or as a batch (SubmitBatch).
// Any thread. The sequencer's side is in ledger.cc, the writer's and
// completer's in ledger_writer.cc.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/ledger.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

// SHA-256 of the command's deterministic encoding: a command id used again
// must carry the same command.
std::string Fingerprint(const rcl::v1::Command& command) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    command.SerializeToCodedStream(&coded);
  }
  Hash h = Sha256(bytes);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

absl::StatusOr<Ledger::Pending> Ledger::Prepare(CommandRequest request,
                                                CommandCallback callback) const {
  RCL_RETURN_IF_ERROR(ValidateRequest(request));
  Pending pending;
  // What the queued command holds: the parsed command and its strings.
  pending.bytes = sizeof(Pending) + request.command.BytesHeld() + request.tenant.capacity() +
                  request.command_id.capacity() + request.correlation_id.capacity() +
                  request.causation_id.capacity() + request.actor.capacity();
  if (!request.command_id.empty()) pending.fingerprint = Fingerprint(*request.command);
  pending.request = std::move(request);
  pending.callback = std::move(callback);
  return pending;
}

absl::Status Ledger::AdmitLocked(size_t commands, size_t bytes) {
  if (stopping_) return absl::UnavailableError("server is shutting down");
  if (failed_) {
    return absl::UnavailableError(
        "ledger stopped accepting writes after a storage failure; restart the server");
  }
  if (disk_full_) {
    return absl::UnavailableError(
        "the data directory's disk is full (less free space than the server keeps in reserve): "
        "nothing is written until space is freed; writes resume by themselves, retry later");
  }
  if (queue_.size() + commands > options_.queue_max)
    return absl::ResourceExhaustedError("command queue is full; retry later");
  size_t held = commands_bytes_.load(std::memory_order_relaxed);
  if (held + bytes > options_.queue_bytes_max) {
    return absl::ResourceExhaustedError(
        "commands waiting for the writer hold too much memory; retry later");
  }
  commands_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status Ledger::Submit(CommandRequest request, CommandCallback callback) {
  RCL_ASSIGN_OR_RETURN(Pending pending, Prepare(std::move(request), std::move(callback)));
  absl::MutexLock lock(&mu_);
  RCL_RETURN_IF_ERROR(AdmitLocked(1, pending.bytes));
  queue_.push_back(std::move(pending));
  return absl::OkStatus();
}

std::vector<absl::Status> Ledger::SubmitBatch(std::vector<CommandRequest> requests,
                                              std::vector<CommandCallback> callbacks, bool atomic) {
  const size_t n = requests.size();
  RCL_CHECK(callbacks.size() == n) << n << " commands with " << callbacks.size() << " callbacks";
  if (n == 0 || n > kBatchCommandsMax) {
    return {absl::InvalidArgumentError(
        absl::StrCat("a batch holds 1 to ", kBatchCommandsMax, " commands, not ", n))};
  }
  // A batch is queued whole: one larger than the queue would be refused as
  // "full" forever, so say what cannot work instead.
  if (n > options_.queue_max) {
    return std::vector<absl::Status>(
        n, absl::FailedPreconditionError(absl::StrCat(
               "a batch of ", n, " commands is larger than this server's command queue (",
               options_.queue_max, ", --queue-max); send at most that many at once")));
  }
  std::vector<absl::Status> out(n, absl::OkStatus());
  std::vector<Pending> ready;
  std::vector<size_t> ready_index;
  ready.reserve(n);
  size_t first_invalid = n;
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<Pending> p;
    if (requests[i].dry_run) {
      p = InvalidField("dry_run", "a batch cannot hold dry runs");
    } else if (atomic && DecidedAlone(*requests[i].command)) {
      p = InvalidField("command", "an import cannot be part of an atomic batch");
    } else {
      p = Prepare(std::move(requests[i]), std::move(callbacks[i]));
    }
    if (!p.ok()) {
      out[i] = p.status();
      first_invalid = std::min(first_invalid, i);
      continue;
    }
    ready.push_back(*std::move(p));
    ready_index.push_back(i);
  }
  if (first_invalid < n) {
    for (size_t i : ready_index) {
      out[i] = absl::AbortedError(absl::StrCat(kNotWrittenPrefix, first_invalid, " of the ",
                                               atomic ? "atomic " : "", "batch is invalid"));
    }
    return out;
  }
  if (ready.empty()) return out;
  if (atomic) ready.front().atomic_group = ready.size();
  size_t bytes = 0;
  for (const Pending& p : ready) bytes += p.bytes;
  absl::MutexLock lock(&mu_);
  absl::Status admitted = AdmitLocked(ready.size(), bytes);
  if (!admitted.ok()) {
    for (size_t i : ready_index) out[i] = admitted;
    return out;
  }
  for (Pending& p : ready) queue_.push_back(std::move(p));
  return out;
}

std::vector<absl::StatusOr<CommandResult>> Ledger::ExecuteBatch(
    std::vector<CommandRequest> requests, bool atomic) {
  const size_t n = requests.size();
  absl::Mutex done_mu;
  size_t waiting = 0;
  std::vector<absl::StatusOr<CommandResult>> results(n, absl::UnknownError("not answered"));
  std::vector<CommandCallback> callbacks;
  for (size_t i = 0; i < n; ++i) {
    callbacks.push_back([&, i](absl::StatusOr<CommandResult> r) {
      absl::MutexLock lock(&done_mu);
      results[i] = std::move(r);
      --waiting;
    });
  }
  {
    absl::MutexLock lock(&done_mu);
    waiting = n;
  }
  std::vector<absl::Status> queued = SubmitBatch(std::move(requests), std::move(callbacks), atomic);
  if (queued.size() != n) return {queued.begin(), queued.end()};
  absl::MutexLock lock(&done_mu);
  for (size_t i = 0; i < n; ++i) {
    if (queued[i].ok()) continue;
    results[i] = queued[i];
    --waiting;
  }
  done_mu.Await(absl::Condition(
      +[](size_t* w) { return *w == 0; }, &waiting));
  return results;
}

absl::Status Ledger::ValidateRequest(CommandRequest& request) const {
  static_assert(kTraceIdLengthMax <= kEnvelopeStringSizeMax,
                "the store refuses longer envelope strings");
  Violations v;
  CheckString("tenant", request.tenant, kIdRule, Presence::kRequired, v);
  CheckString("command_id", request.command_id, kIdRule, Presence::kOptional, v);
  CheckString("correlation_id", request.correlation_id, kTraceIdRule, Presence::kOptional, v);
  CheckString("causation_id", request.causation_id, kTraceIdRule, Presence::kOptional, v);
  if (request.actor.size() > kEnvelopeStringSizeMax) v.Add("actor", "must be at most 256 bytes");
  if (request.expected_version.has_value() && *request.expected_version < -1) {
    v.Add("expected_version", "must be -1 (no stream) or a version >= 0");
  }
  absl::CivilDay today = absl::ToCivilDay(absl::FromUnixMicros(NowUs()), absl::UTCTimeZone());
  ValidateCommand(&*request.command, today, v);
  return v.ToStatus();
}

absl::StatusOr<CommandResult> Ledger::Execute(CommandRequest request) {
  absl::Mutex done_mu;
  bool done = false;
  absl::StatusOr<CommandResult> result;
  RCL_RETURN_IF_ERROR(Submit(std::move(request), [&](absl::StatusOr<CommandResult> r) {
    absl::MutexLock lock(&done_mu);
    result = std::move(r);
    done = true;
  }));
  absl::MutexLock lock(&done_mu);
  done_mu.Await(absl::Condition(&done));
  return result;
}

}  // namespace rcl::ledger
