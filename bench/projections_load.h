// The load of rcl-bench-projections (bench/projections_bench.cc): commands
// submitted to an in-process ledger without waiting for their answers (a
// bounded number in flight), from the demo workload and from a generator of
// claims that stay open. The ledger decides commands in submission order, so
// a command may depend on one still in flight.
#ifndef RCL_BENCH_PROJECTIONS_LOAD_H_
#define RCL_BENCH_PROJECTIONS_LOAD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "clients/demo.h"
#include "ledger/ledger.h"

namespace rcl::bench {

// Submits commands to the ledger with at most `in_flight_max` unanswered.
// Thread-safe; the answers arrive on the ledger's completer thread.
class Loader {
 public:
  Loader(ledger::Ledger* ledger, std::string tenant, int in_flight_max)
      : ledger_(ledger), tenant_(std::move(tenant)), in_flight_max_(in_flight_max) {}

  // Blocks while `in_flight_max` are unanswered; retries a full queue
  // (keeping the order).
  void Submit(const rcl::v1::Command& command, std::string command_id);
  // Waits for every answer; the first error, if any.
  absl::Status Drain();
  int64_t answered();

 private:
  void Done(const absl::Status& status);

  ledger::Ledger* ledger_;
  const std::string tenant_;
  const int in_flight_max_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t answered_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

// The demo's commands, into the Loader (answers are checked at Drain()).
class LedgerSink : public demo::DemoSink {
 public:
  explicit LedgerSink(Loader* loader) : loader_(loader) {}
  absl::StatusOr<rcl::v1::CommandResponse> Execute(
      const rcl::v1::Command& command, const rcl::client::CommandOptions& options) override;
  absl::StatusOr<rcl::v1::ClaimView> GetClaim(const std::string& claim_id) override;

 private:
  Loader* loader_;
};

// YYYY-MM-DD.
std::string Date(absl::CivilDay day);

// Claims that stay open: per claim an encounter (diagnosis, one office visit
// charge, coding complete) and a claim created, scrubbed and submitted, for
// patients with one primary coverage (four claims each); dates of service
// over the two years before `today`. `progress` gets a line every tenth.
void LoadOpenClaims(Loader& loader, int64_t claims, absl::CivilDay today,
                    const std::function<void(const std::string&)>& progress);

}  // namespace rcl::bench

#endif  // RCL_BENCH_PROJECTIONS_LOAD_H_
