// rcl demo: a realistic, deterministic practice workload generated through
// the public API (the rcl::client library).
//
// A small primary-care practice: patients with a primary coverage (payers
// 87726, 60054, 62308, 00901) and about 30% with a secondary one; office
// visits (99212-99215, modifier 25 when a procedure is also done), labs and
// procedures (36415, 85025, 80053, 93000, 71046, 20610 + J3301, 90471/90686)
// with plausible ICD-10-CM diagnoses and pointers; coding, claims (create,
// scrub, submit), acknowledgements (a few rejections, corrected and
// resubmitted), weekly remittances per payer with contractual CO-45,
// deductible PR-1, coinsurance PR-2 and copay PR-3, denials (CO-16 corrected
// by a replacement claim; CO-50 and CO-197 appealed: overturned and paid, or
// upheld and written off), a few payer reversals with corrected
// adjudications, a few voids with a rebilled claim, secondary claims billed
// and paid by the secondary payer, provider-level interest, patient
// statements, payments (some over-payments, refunded), and small-balance
// write-offs.
//
// Deterministic: the same options give the same commands in the same order,
// with command ids "demo-<seed>-<n>", so running the same demo again against
// the same tenant writes nothing and returns the original positions. The
// generator keeps its own model of every claim and patient account so that it
// never sends a command the ledger's rules reject, and at the end it checks
// its model against GetClaim for every claim it made.
#ifndef RCL_CLIENTS_DEMO_H_
#define RCL_CLIENTS_DEMO_H_

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "clients/client.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"

namespace rcl::demo {

inline constexpr int kPatientsMax = 10000;
inline constexpr int kDaysMax = 365;
// The workflow (acknowledgements, remittances, appeals, statements) goes on
// this many days after the last date of service.
inline constexpr int kSettleDays = 3;

struct DemoOptions {
  uint64_t seed = 1;
  int patients = 100;  // 1..kPatientsMax
  int days = 30;       // 1..kDaysMax: dates of service end - days + 1 .. end
  // The last date of service. Every business date of the demo is at most
  // end + kSettleDays, which must not be after the server's today.
  absl::CivilDay end;
};

// Today (UTC) minus kSettleDays: the default DemoOptions::end.
absl::CivilDay DefaultDemoEnd();

// Where the generated commands go.
class DemoSink {
 public:
  virtual ~DemoSink() = default;
  virtual absl::StatusOr<rcl::v1::CommandResponse> Execute(
      const rcl::v1::Command& command, const rcl::client::CommandOptions& options) = 0;
  // Several commands in order, each on its own (a later one sees what the
  // earlier ones wrote): one result each. Default: Execute one by one.
  virtual std::vector<absl::StatusOr<rcl::v1::CommandResponse>> ExecuteAll(
      const std::vector<rcl::v1::Command>& commands,
      const std::vector<rcl::client::CommandOptions>& options);
  // The server's view of a claim, for the final cross-check of the model.
  // UNIMPLEMENTED skips the check.
  virtual absl::StatusOr<rcl::v1::ClaimView> GetClaim(const std::string& claim_id) = 0;
};

// Sends everything to a server through the client library.
class ClientSink : public DemoSink {
 public:
  explicit ClientSink(rcl::client::Client* client) : client_(client) {}
  absl::StatusOr<rcl::v1::CommandResponse> Execute(
      const rcl::v1::Command& command, const rcl::client::CommandOptions& options) override;
  // One non-atomic ExecuteBatch call (at most client::kBatchCommandsMax).
  std::vector<absl::StatusOr<rcl::v1::CommandResponse>> ExecuteAll(
      const std::vector<rcl::v1::Command>& commands,
      const std::vector<rcl::client::CommandOptions>& options) override;
  absl::StatusOr<rcl::v1::ClaimView> GetClaim(const std::string& claim_id) override;

 private:
  rcl::client::Client* client_;
};

struct DemoSummary {
  uint64_t seed = 0;
  int patients = 0;
  int days = 0;
  std::string first_date;    // first date of service
  std::string last_date;     // last date of service
  std::string through_date;  // last business date of the workflow

  int64_t commands = 0;
  std::map<std::string, int64_t> commands_by_type;  // Command oneof field name -> count
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  std::string positions_digest;  // FNV-1a over every returned position, hex

  int64_t coverages = 0;
  int64_t secondary_coverages = 0;
  int64_t encounters = 0;
  int64_t charge_lines = 0;
  int64_t claims = 0;  // every claim, of any frequency and rank
  int64_t secondary_claims = 0;
  int64_t replacement_claims = 0;
  int64_t void_claims = 0;
  int64_t rejections = 0;
  int64_t remittances = 0;
  int64_t adjudications = 0;
  int64_t denials = 0;
  int64_t appeals_filed = 0;
  int64_t appeals_overturned = 0;
  int64_t appeals_upheld = 0;
  int64_t reversals = 0;
  int64_t statements = 0;
  int64_t patient_payments = 0;
  int64_t refunds = 0;
  int64_t write_offs = 0;
  int64_t claims_verified = 0;  // claims checked against GetClaim

  int64_t charges_cents = 0;
  int64_t remitted_cents = 0;  // remittance totals
  int64_t payer_paid_cents = 0;
  int64_t contractual_cents = 0;
  int64_t other_adjustment_cents = 0;
  int64_t provider_adjustment_cents = 0;  // PLB (negative: interest paid)
  int64_t patient_responsibility_cents = 0;
  int64_t denied_cents = 0;  // every denial's amount, when denied
  int64_t patient_payments_cents = 0;
  int64_t refunds_cents = 0;
  int64_t written_off_cents = 0;
  int64_t payer_balance_cents = 0;    // open payer AR at the end
  int64_t patient_balance_cents = 0;  // open patient AR at the end
  int64_t patient_credit_cents = 0;   // unapplied patient credit at the end
};

// Called after each simulated day (and once after registration, day 0).
using DemoProgress = std::function<void(int day, int total_days, int64_t commands)>;

// Generates and sends the workload. INVALID_ARGUMENT for options out of
// bounds; any error from the sink aborts, annotated with the command id and
// kind; a disagreement between the model and the server is INTERNAL.
absl::StatusOr<DemoSummary> RunDemo(const DemoOptions& options, DemoSink& sink,
                                    const DemoProgress& progress = nullptr);

// The summary for people (dollars) and as one JSON object (integer cents).
std::string DemoSummaryText(const DemoSummary& summary);
std::string DemoSummaryJson(const DemoSummary& summary);

// "$12,345.67" / "-$0.50".
std::string FormatDollars(int64_t cents);

// A tiny deterministic uniform integer generator over std::mt19937_64 (whose
// output sequence the standard fixes), unlike std::uniform_int_distribution
// whose results differ between standard libraries.
class DemoRandom {
 public:
  explicit DemoRandom(uint64_t seed) : engine_(seed) {}
  uint64_t Next() { return engine_(); }
  // Uniform in [lo, hi] (lo <= hi), without modulo bias.
  int64_t Uniform(int64_t lo, int64_t hi);
  // True with probability percent / 100.
  bool Percent(int percent) { return Uniform(0, 99) < percent; }

 private:
  std::mt19937_64 engine_;
};

// The 10-digit NPI whose first nine digits are `nine_digits`, with the Luhn
// check digit over the prefix 80840.
std::string NpiWithCheckDigit(absl::string_view nine_digits);

}  // namespace rcl::demo

#endif  // RCL_CLIENTS_DEMO_H_
