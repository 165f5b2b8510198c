// Header-only helpers shared by the integration tests that drive a real
// rcl-server through rcl::client::Client: client and command options, the
// commands of the encounter workloads (each appends exactly one event), and
// reading the log back with ReadAll pages.
//
// Header-only on purpose: it needs gRPC and the client library, which the
// ledger tests (every tests/testing/*.cc is compiled into them) do not link.
// Include it from tests/integration only.
#ifndef RCL_TESTS_TESTING_WORKLOAD_H_
#define RCL_TESTS_TESTING_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/client.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/ledger_fixture.h"

// In their own namespace, so that a test can take them all with one
// `using namespace ::rcl::testing::workload;`.
namespace rcl::testing::workload {

using ::rcl::ledger::testing::RecordChargeCommand;
using ::rcl::ledger::testing::RecordDiagnosesCommand;
using ::rcl::ledger::testing::RegisterPatientCommand;

inline client::Options ClientOptions(const std::string& tenant, int64_t connect_timeout_ms = 0) {
  client::Options options;
  options.tenant = tenant;
  options.connect_timeout_ms = connect_timeout_ms;
  return options;
}

inline client::CommandOptions WithCommandId(const std::string& id) {
  client::CommandOptions options;
  options.command_id = id;
  return options;
}

// The encounter the workloads open: rendered and billed by the same NPI, on
// 2026-11-02, in an office (place of service 11).
inline v1::Command WorkloadEncounterCommand(const std::string& encounter_id,
                                            const std::string& patient_id) {
  return ledger::testing::OpenEncounterCommand(encounter_id, patient_id, "2026-11-02",
                                               ledger::testing::kRenderingNpi);
}

// Every event of the client's tenant in position order, from position 1 up to
// `to_position` (default: the head), read with ReadAll pages.
inline absl::StatusOr<std::vector<v1::Event>> ReadLogUpTo(client::Client* client,
                                                          uint64_t to_position = UINT64_MAX) {
  std::vector<v1::Event> out;
  v1::ReadAllRequest request;
  request.set_from_position(1);
  request.set_limit(1000);
  while (true) {
    absl::StatusOr<v1::ReadAllResponse> page = client->ReadAll(request);
    if (!page.ok()) return page.status();
    for (v1::Event& e : *page->mutable_events()) {
      if (e.position() > to_position) return out;
      out.push_back(std::move(e));
    }
    if (page->end_of_log() || page->next_position() > to_position) return out;
    request.set_from_position(page->next_position());
  }
}

}  // namespace rcl::testing::workload

#endif  // RCL_TESTS_TESTING_WORKLOAD_H_
