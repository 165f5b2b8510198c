// Header-only helpers for the ledger tests: a scratch data directory, builders
// of valid commands, opening a Ledger, reading the whole log back, and a
// decider that can hold the sequencer thread inside Decide() so that tests can
// control what ends up in one batch.
#ifndef RCL_TESTS_TESTING_LEDGER_FIXTURE_H_
#define RCL_TESTS_TESTING_LEDGER_FIXTURE_H_

#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/rules/commands.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger::testing {

inline constexpr char kTenant[] = "clinic-1";

// Valid NPIs (Luhn check digit over "80840" + the first nine digits).
inline constexpr char kRenderingNpi[] = "1234567893";
inline constexpr char kBillingNpi[] = "9876543213";

// A fresh directory "<prefix>-XXXXXX" under $TMPDIR (or /tmp), removed
// recursively on destruction. Named differently from
// tests/testing/server_process.h's TempDir on purpose: both are linked into
// the same executables.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "rcl-ledger-test") {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
      return;
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --- Command builders (all valid as built) ------------------------------------

inline rcl::v1::Command RegisterPatientCommand(const std::string& patient_id,
                                               const std::string& family_name = "Doe",
                                               const std::string& given_name = "Jane",
                                               const std::string& birth_date = "1980-02-29") {
  rcl::v1::Command c;
  auto* r = c.mutable_register_patient();
  r->set_patient_id(patient_id);
  r->set_family_name(family_name);
  r->set_given_name(given_name);
  r->set_birth_date(birth_date);
  return c;
}

inline rcl::v1::Command AddCoverageCommand(const std::string& patient_id,
                                           const std::string& coverage_id, int rank,
                                           const std::string& effective_from,
                                           const std::string& effective_to = "") {
  rcl::v1::Command c;
  auto* a = c.mutable_add_coverage();
  a->set_patient_id(patient_id);
  a->set_coverage_id(coverage_id);
  a->set_payer_id("60054");
  a->set_payer_name("Aetna");
  a->set_member_id("W123456789");
  a->set_rank(rank);
  a->set_effective_from(effective_from);
  a->set_effective_to(effective_to);
  return c;
}

inline rcl::v1::Command EndCoverageCommand(const std::string& patient_id,
                                           const std::string& coverage_id,
                                           const std::string& effective_to) {
  rcl::v1::Command c;
  auto* e = c.mutable_end_coverage();
  e->set_patient_id(patient_id);
  e->set_coverage_id(coverage_id);
  e->set_effective_to(effective_to);
  return c;
}

inline rcl::v1::Command OpenEncounterCommand(const std::string& encounter_id,
                                             const std::string& patient_id,
                                             const std::string& date_of_service = "2024-03-15",
                                             const std::string& billing_npi = kBillingNpi) {
  rcl::v1::Command c;
  auto* o = c.mutable_open_encounter();
  o->set_encounter_id(encounter_id);
  o->set_patient_id(patient_id);
  o->set_rendering_npi(kRenderingNpi);
  o->set_billing_npi(billing_npi);
  o->set_date_of_service(date_of_service);
  o->set_place_of_service("11");
  return c;
}

inline rcl::v1::Command RecordDiagnosesCommand(const std::string& encounter_id,
                                               const std::vector<std::string>& icd10_codes) {
  rcl::v1::Command c;
  auto* d = c.mutable_record_diagnoses();
  d->set_encounter_id(encounter_id);
  for (const std::string& code : icd10_codes) d->add_icd10_codes(code);
  return c;
}

inline rcl::v1::Command RecordChargeCommand(const std::string& encounter_id, int line_number,
                                            int64_t amount_cents,
                                            const std::vector<int>& diagnosis_pointers = {1},
                                            const std::string& cpt = "99213") {
  rcl::v1::Command c;
  auto* r = c.mutable_record_charge();
  r->set_encounter_id(encounter_id);
  r->set_line_number(line_number);
  r->set_cpt(cpt);
  r->set_units(1);
  r->set_amount_cents(amount_cents);
  for (int p : diagnosis_pointers) r->add_diagnosis_pointers(p);
  return c;
}

inline rcl::v1::Command VoidChargeCommand(const std::string& encounter_id, int line_number,
                                          const std::string& reason = "entered in error") {
  rcl::v1::Command c;
  auto* v = c.mutable_void_charge();
  v->set_encounter_id(encounter_id);
  v->set_line_number(line_number);
  v->set_reason(reason);
  return c;
}

inline rcl::v1::Command CompleteCodingCommand(const std::string& encounter_id) {
  rcl::v1::Command c;
  c.mutable_complete_coding()->set_encounter_id(encounter_id);
  return c;
}

inline CommandRequest Request(rcl::v1::Command command, std::string command_id = "",
                              std::string tenant = kTenant) {
  CommandRequest r;
  r.tenant = std::move(tenant);
  r.command_id = std::move(command_id);
  r.correlation_id = "corr-1";
  r.causation_id = "cause-1";
  r.actor = "coder@example.test";
  r.command = std::move(command);
  return r;
}

// --- Ledger helpers -------------------------------------------------------------

inline Ledger::Options LedgerOptions(const std::string& dir, bool sync_writes = true) {
  Ledger::Options o;
  o.data_dir = dir;
  o.sync_writes = sync_writes;
  return o;
}

// Opens a ledger or fails the test (check with ASSERT_NE(ledger, nullptr)).
inline std::unique_ptr<Ledger> OpenLedgerOrDie(Ledger::Options options) {
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(std::move(options));
  if (!ledger.ok()) {
    ADD_FAILURE() << "Ledger::Open: " << ledger.status();
    return nullptr;
  }
  return *std::move(ledger);
}

// Every event of the log, in position order.
inline std::vector<EventRecord> ReadLog(const EventStore& store) {
  std::vector<EventRecord> out;
  absl::Status s = store.ScanLog(1, UINT64_MAX, SIZE_MAX, [&](const EventRecord& e) {
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// Every event of one stream, in version order.
inline std::vector<EventRecord> ReadWholeStream(const EventStore& store, const std::string& tenant,
                                                const std::string& stream) {
  std::vector<EventRecord> out;
  uint64_t from = 0;
  while (true) {
    auto page = store.ReadStream(tenant, stream, from, /*backward=*/false, kReadPageMax);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->empty()) break;
    out.insert(out.end(), page->begin(), page->end());
    from = page->back().version + 1;
  }
  return out;
}

// Decodes an event payload of type T or fails the test.
template <typename T>
T PayloadAs(const EventRecord& e) {
  T message;
  EXPECT_EQ(e.type, T::descriptor()->name());
  EXPECT_TRUE(message.ParseFromString(e.payload)) << "undecodable " << e.type;
  return message;
}

using Decider = std::function<absl::StatusOr<Decision>(const rcl::v1::Command&, StateView&)>;

// Holds the sequencer thread inside Decide() for the first command whose
// RegisterPatient patient_id is `gate_patient_id`, until Release(). While it
// is held, commands submitted queue up and are then decided together in the
// next batch. Every other command goes to `inner` (default: the real rules).
class Gate {
 public:
  explicit Gate(std::string gate_patient_id = "gate")
      : gate_patient_id_(std::move(gate_patient_id)) {}

  // The decider to put into Ledger::Options::decide.
  static Decider Wrap(std::shared_ptr<Gate> gate, Decider inner = nullptr) {
    return [gate, inner](const rcl::v1::Command& command,
                         StateView& view) -> absl::StatusOr<Decision> {
      if (command.has_register_patient() &&
          command.register_patient().patient_id() == gate->gate_patient_id_ &&
          !gate->entered_.HasBeenNotified()) {
        gate->entered_.Notify();
        // Bounded, so that a test failing before Release() fails instead of
        // hanging in the ledger's destructor.
        gate->released_.WaitForNotificationWithTimeout(absl::Seconds(30));
      }
      return inner ? inner(command, view) : Decide(command, view);
    };
  }

  // Waits until the sequencer is held inside Decide().
  bool WaitEntered(absl::Duration timeout = absl::Seconds(10)) {
    return entered_.WaitForNotificationWithTimeout(timeout);
  }
  void Release() {
    if (!released_.HasBeenNotified()) released_.Notify();
  }

 private:
  std::string gate_patient_id_;
  absl::Notification entered_;
  absl::Notification released_;
};

// Holds the ledger's writer thread before its first write to the store, until
// Release(): batches the sequencer decides meanwhile are not durable and pile
// up (as many as Options::batches_in_flight_max allows). Put Hook() into
// Ledger::Options::before_write.
class WriterGate {
 public:
  static std::function<void()> Hook(std::shared_ptr<WriterGate> gate) {
    return [gate] {
      if (gate->entered_.HasBeenNotified()) return;
      gate->entered_.Notify();
      // Bounded, so that a failing test fails instead of hanging in Stop().
      gate->released_.WaitForNotificationWithTimeout(absl::Seconds(30));
    };
  }
  // Waits until the writer is held before its first write.
  bool WaitEntered(absl::Duration timeout = absl::Seconds(10)) {
    return entered_.WaitForNotificationWithTimeout(timeout);
  }
  void Release() {
    if (!released_.HasBeenNotified()) released_.Notify();
  }

 private:
  absl::Notification entered_;
  absl::Notification released_;
};

// Collects the results of Submit() callbacks.
class Results {
 public:
  CommandCallback Callback(size_t index) {
    absl::MutexLock lock(&mu_);
    if (results_.size() <= index) results_.resize(index + 1, absl::UnknownError("not completed"));
    return [this, index](absl::StatusOr<CommandResult> r) {
      absl::MutexLock lock(&mu_);
      results_[index] = std::move(r);
      ++completed_;
    };
  }

  // Waits for `n` callbacks; false on timeout.
  bool WaitFor(size_t n, absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return completed_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  size_t completed() {
    absl::MutexLock lock(&mu_);
    return completed_;
  }

  absl::StatusOr<CommandResult> Get(size_t index) {
    absl::MutexLock lock(&mu_);
    return results_.at(index);
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::StatusOr<CommandResult>> results_ ABSL_GUARDED_BY(mu_);
  size_t completed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rcl::ledger::testing

#endif  // RCL_TESTS_TESTING_LEDGER_FIXTURE_H_
