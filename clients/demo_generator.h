// The demo's generator (internal to rcl::demo; RunDemo in demo.cc makes one
// per run and runs it on the calling thread): its work queue (tasks by day,
// payer queues), its model (demo_model.h) and the commands it sends. Its
// methods are defined by concern:
//   demo_practice.cc  the practice: providers, fee schedules, patients and
//                     their coverages, and each visit's coding and claim;
//   demo_workflow.cc  the run, the day loop, the billing office's tasks,
//                     claim submission and acknowledgement, and the patient
//                     account (statements, payments, refunds);
//   demo_payers.cc    the payers: adjudications and weekly remittances;
//   demo_rules.cc     the ledger's claim rules as the model folds them;
//   demo_check.cc     the final check of the model against GetClaim and the
//                     summary's totals.
#ifndef RCL_CLIENTS_DEMO_GENERATOR_H_
#define RCL_CLIENTS_DEMO_GENERATOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "clients/demo.h"
#include "clients/demo_model.h"
#include "rcl/v1/api.pb.h"

namespace rcl::demo::internal {

// --- Tasks ------------------------------------------------------------------------

enum class TaskKind {
  kAck,
  kResubmit,
  kBillSecondary,
  kFileAppeal,
  kDecideAppeal,
  kWriteOffDenied,
  kReplace,
  kVoidAndRebill,
  kStatement,
  kPay,
  kRefund
};

enum class PayBehavior { kFull, kWholeDollars, kOverpay };

struct Task {
  TaskKind kind = TaskKind::kAck;
  int target = 0;  // claim or patient index
  int arg = 0;
};

enum class PayerAction { kFirst, kOverturned, kReverse };

struct QueueEntry {
  int claim = 0;
  PayerAction action = PayerAction::kFirst;
  absl::CivilDay ready;
};

struct Appeal {
  std::string id;
  int claim = 0;
  std::string carc;
};

// One claim of a remittance being built: what the payer does and the
// adjudication it sends.
struct PlannedAdjudication {
  QueueEntry entry;
  rcl::v1::AdjudicateClaim adjudication;
  const char* denial = nullptr;  // the CARC of a denial
};

// --- The generator -------------------------------------------------------------

class Generator {
 public:
  Generator(const DemoOptions& options, DemoSink& sink, const DemoProgress& progress)
      : options_(options),
        sink_(sink),
        progress_(progress),
        random_(options.seed),
        prefix_(absl::StrCat("d", options.seed)),
        first_day_(options.end - (options.days - 1)),
        last_day_(options.end + kSettleDays) {}

  absl::StatusOr<DemoSummary> Run();

 private:
  // demo_workflow.cc: sends one command; annotates failures with the command
  // id and kind.
  absl::StatusOr<rcl::v1::CommandResponse> Send(const Command& command, absl::string_view about);
  // Sends `commands` in one call (DemoSink::ExecuteAll), in order, each on
  // its own; the first failure (in order) is returned, annotated as Send's.
  absl::Status SendAll(const std::vector<Command>& commands, const std::vector<std::string>& about);
  // The options of the next command (its command id).
  rcl::client::CommandOptions NextOptions();
  // Counts a command's outcome into the summary; annotates a failure.
  absl::StatusOr<rcl::v1::CommandResponse> Record(const Command& command,
                                                  const rcl::client::CommandOptions& options,
                                                  absl::string_view about,
                                                  absl::StatusOr<rcl::v1::CommandResponse> r);

  // demo_practice.cc: the practice, its patients and their visits.
  void Setup();
  void AddPatient(int patient);
  absl::Status RegisterPatients();
  absl::Status RunEncounter(absl::CivilDay day, int encounter);
  void CodeVisit(absl::CivilDay day, Encounter& encounter);

  // demo_workflow.cc: the day loop, claim commands with their model updates,
  // the billing office's tasks (RunTask) and the patient account.
  absl::Status RunDay(absl::CivilDay day);
  absl::Status RunTask(absl::CivilDay day, const Task& task);
  absl::Status ScrubAndSubmit(absl::CivilDay day, int claim);
  absl::Status CreateClaim(absl::CivilDay day, int encounter, const std::string& id, bool rebill);
  int NewClaimFrom(const Claim& from, std::string id, int frequency);
  absl::Status Acknowledge(absl::CivilDay day, int claim);
  absl::Status FileAppeal(absl::CivilDay day, int appeal);
  absl::Status DecideAppeal(absl::CivilDay day, int appeal);
  absl::Status WriteOffDenied(int claim);
  absl::Status ReplaceClaim(absl::CivilDay day, int original);
  absl::Status VoidAndRebill(absl::CivilDay day, int original);
  absl::Status RefundCredit(int patient);
  void ScheduleStatement(absl::CivilDay after, int patient);
  std::vector<int> OpenPatientClaims(int patient) const;
  absl::Status PatientStatement(absl::CivilDay day, int patient);
  absl::Status PatientPayment(absl::CivilDay day, int patient, PayBehavior behavior);

  // demo_payers.cc: adjudications and remittances.
  rcl::v1::AdjudicateClaim PaidAdjudication(int claim);
  rcl::v1::AdjudicateClaim DeniedAdjudication(int claim, const char* carc);
  rcl::v1::AdjudicateClaim CorrectedAdjudication(int claim);
  absl::Status RunRemittance(absl::CivilDay day, int payer);
  absl::Status PostAdjudication(absl::CivilDay day, const std::string& remit_id,
                                PlannedAdjudication& planned);

  // demo_rules.cc: the ledger's claim rules (ledger/rules/claim_rules.cc,
  // adjudication.cc) as the model folds them. Claims to settle are named by
  // id: the ledger settles them in id order.
  using ClaimSet = std::set<std::string>;
  Adjudication FoldAdjudication(int claim, const rcl::v1::AdjudicateClaim& cmd) const;
  void ApplyAdjudication(int claim, const rcl::v1::AdjudicateClaim& cmd);
  void ApplyReversal(int claim);
  int InForce(int claim) const;
  int ChainRoot(int claim) const;
  void TransferIn(int to, int from, int64_t cents);
  int64_t Reverse(int claim, ClaimSet* settle);
  void MoveOffClosed(int claim, int64_t cents);
  int64_t ReverseWriteOffs(int claim, rcl::v1::BalanceSide side, int64_t cents,
                           std::optional<rcl::v1::WriteOffReason> only);
  void Settle(int claim);

  // demo_check.cc: the end of the run.
  absl::Status Verify();
  void Summarize();

  // Small helpers.
  void SettleAll(const ClaimSet& settle) {
    for (const std::string& id : settle) Settle(claim_index_.at(id));
  }
  void WriteOff(int claim, rcl::v1::BalanceSide side, rcl::v1::WriteOffReason reason,
                int64_t cents) {
    claims_[static_cast<size_t>(claim)].write_offs[{side, reason}] += cents;
  }
  void Schedule(absl::CivilDay day, TaskKind kind, int target, int arg = 0) {
    if (day > last_day_) return;  // beyond the demo: it happens later, or never
    Task t;
    t.kind = kind;
    t.target = target;
    t.arg = arg;
    tasks_[day].push_back(t);
  }
  void Queue(int claim, PayerAction action, absl::CivilDay ready) {
    QueueEntry e;
    e.claim = claim;
    e.action = action;
    e.ready = ready;
    queues_[claims_[claim].payer].push_back(e);
  }
  absl::CivilDay NextWeekday(absl::CivilDay after, absl::Weekday weekday) const {
    absl::CivilDay d = after + 1;
    while (absl::GetWeekday(d) != weekday) ++d;
    return d;
  }
  int64_t Allowed(int payer, Proc proc) const { return allowed_[payer][proc]; }

  const DemoOptions options_;
  DemoSink& sink_;
  const DemoProgress& progress_;
  DemoRandom random_;
  const std::string prefix_;
  const absl::CivilDay first_day_;
  const absl::CivilDay last_day_;

  std::string billing_npi_;
  std::vector<std::string> rendering_npis_;
  int64_t allowed_[kPayerCount][kProcCount] = {};
  std::vector<Patient> patients_;
  std::vector<Encounter> encounters_;
  std::map<absl::CivilDay, std::vector<int>> visits_;  // day -> encounters
  std::vector<Claim> claims_;
  std::map<std::string, int> claim_index_;
  std::vector<Appeal> appeals_;
  std::map<absl::CivilDay, std::vector<Task>> tasks_;
  std::vector<QueueEntry> queues_[kPayerCount];

  int64_t sequence_ = 0;  // command number
  int64_t remit_sequence_ = 0;
  int64_t payment_sequence_ = 0;
  int64_t refund_sequence_ = 0;
  uint64_t digest_ = 14695981039346656037ull;  // FNV-1a offset basis
  DemoSummary summary_;
};

}  // namespace rcl::demo::internal

#endif  // RCL_CLIENTS_DEMO_GENERATOR_H_
