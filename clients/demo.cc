#include "clients/demo.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_output.h"
#include "ledger/money.h"
#include "ledger/status.h"

namespace rcl::demo {

// ---------------------------------------------------------------------------
// Small public helpers.

int64_t DemoRandom::Uniform(int64_t lo, int64_t hi) {
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  if (range == 0) return static_cast<int64_t>(Next());  // the whole int64 range
  // Reject the first (2^64 mod range) values so every residue is equally likely.
  const uint64_t threshold = (0 - range) % range;
  while (true) {
    uint64_t x = Next();
    if (x >= threshold) return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % range);
  }
}

std::string NpiWithCheckDigit(absl::string_view nine_digits) {
  std::string payload = absl::StrCat("80840", nine_digits);
  int sum = 0;
  bool double_it = true;  // the rightmost payload digit is doubled
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return absl::StrCat(nine_digits, (10 - sum % 10) % 10);
}

std::string FormatDollars(int64_t cents) {
  bool negative = cents < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  std::string whole = absl::StrCat(magnitude / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  return absl::StrFormat("%s$%s.%02d", negative ? "-" : "", grouped, magnitude % 100);
}

absl::CivilDay DefaultDemoEnd() {
  return absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) - kSettleDays;
}

absl::StatusOr<rcl::v1::CommandResponse> ClientSink::Execute(
    const rcl::v1::Command& command, const rcl::client::CommandOptions& options) {
  return client_->Execute(command, options);
}

absl::StatusOr<rcl::v1::ClaimView> ClientSink::GetClaim(const std::string& claim_id) {
  return client_->GetClaim(claim_id);
}

namespace {

using rcl::v1::Command;

std::string Date(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string Pad(int64_t n, int width) { return absl::StrFormat("%0*d", width, n); }

// --- Reference data ----------------------------------------------------------

struct PayerInfo {
  const char* id;
  const char* name;
  int allowed_low_pct;  // allowed amount as a share of the charge
  int allowed_high_pct;
  absl::Weekday remit_day;
  rcl::v1::PaymentMethod method;
};

constexpr int kPayerCount = 4;
constexpr int kMedicare = 3;
const PayerInfo kPayers[kPayerCount] = {
    {"87726", "UNITEDHEALTHCARE", 62, 80, absl::Weekday::tuesday, rcl::v1::PAYMENT_METHOD_ACH},
    {"60054", "AETNA", 60, 78, absl::Weekday::wednesday, rcl::v1::PAYMENT_METHOD_ACH},
    {"62308", "CIGNA", 58, 76, absl::Weekday::thursday, rcl::v1::PAYMENT_METHOD_CHK},
    {"00901", "MEDICARE PART B", 55, 65, absl::Weekday::friday, rcl::v1::PAYMENT_METHOD_ACH},
};

enum Proc {
  k99212, k99213, k99214, k99215,
  k36415, k85025, k80053, k93000, k71046, k20610, kJ3301, k90471, k90686,
  kProcCount
};

struct ProcedureInfo {
  const char* code;
  bool hcpcs;
  int64_t amount_cents;  // the practice's fee for the line
  int units;
  bool evaluation;  // an office visit (E/M)
  bool procedure;   // a separately identifiable procedure: the visit takes modifier 25
};

const ProcedureInfo kProcedures[kProcCount] = {
    {"99212", false, 9500, 1, true, false},   {"99213", false, 15000, 1, true, false},
    {"99214", false, 22000, 1, true, false},  {"99215", false, 31000, 1, true, false},
    {"36415", false, 1200, 1, false, false},  {"85025", false, 2800, 1, false, false},
    {"80053", false, 4500, 1, false, false},  {"93000", false, 6500, 1, false, true},
    {"71046", false, 9500, 1, false, false},  {"20610", false, 18000, 1, false, true},
    {"J3301", true, 3200, 4, false, false},   {"90471", false, 2500, 1, false, true},
    {"90686", false, 3500, 1, false, false},
};

const char* const kFamilyNames[] = {
    "SMITH",    "JOHNSON",  "WILLIAMS", "BROWN",   "JONES",     "GARCIA",  "MILLER",  "DAVIS",
    "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ",  "WILSON",  "ANDERSON", "THOMAS",
    "TAYLOR",   "MOORE",    "JACKSON",  "MARTIN",  "LEE",       "PEREZ",   "THOMPSON", "WHITE",
    "HARRIS",   "SANCHEZ",  "CLARK",    "RAMIREZ", "LEWIS",     "ROBINSON", "WALKER",  "YOUNG"};
const char* const kGivenNames[] = {
    "JAMES", "MARY",    "ROBERT", "PATRICIA", "JOHN",    "JENNIFER", "MICHAEL", "LINDA",
    "DAVID", "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN",  "JOSEPH",  "JESSICA",
    "THOMAS", "SARAH",  "CARLOS", "KAREN",    "DANIEL",  "NANCY",    "MATTHEW", "LISA",
    "ANTHONY", "BETTY", "MARK",   "MARGARET", "DONALD",  "SANDRA",   "STEVEN",  "ASHLEY"};

const char* const kRejectionReasons[] = {
    "A7:562 subscriber member id not found",
    "A3:21 invalid or missing subscriber date of birth",
    "A7:97 billing provider NPI not on file for this payer",
    "A6:254 principal diagnosis code invalid for date of service",
};

template <typename T, size_t N>
constexpr size_t Count(const T (&)[N]) {
  return N;
}

// --- The model -----------------------------------------------------------------

struct ChargeLine {
  int number = 0;
  Proc proc = k99213;
  std::vector<std::string> modifiers;
  std::vector<int> pointers;
};

struct Encounter {
  std::string id;
  int patient = 0;
  absl::CivilDay dos;
  std::string rendering_npi;
  std::vector<std::string> diagnoses;  // as a coder types them ("E11.9")
  std::vector<ChargeLine> lines;
  int64_t charge = 0;
  int64_t unbilled = 0;  // the ledger's unbilled charges of the encounter
};

struct CoverageModel {
  std::string id;
  int payer = 0;
  int rank = 1;
};

struct Patient {
  std::string id;
  int age = 40;
  CoverageModel primary;
  std::optional<CoverageModel> secondary;
  bool secondary_pays_all = false;  // Medigap-like: pays the whole primary patient share
  bool copay_plan = false;
  int64_t copay_cents = 0;
  int64_t deductible_cents = 0;
  int coinsurance_pct = 20;
  std::map<int, int64_t> deductible_left;  // by calendar year
  std::vector<int> claims;                 // every claim of the patient (model indexes)
  int64_t credit_cents = 0;                // unapplied payments
  absl::Weekday statement_day = absl::Weekday::monday;
  bool statement_pending = false;
};

enum class Status {
  kCreated, kScrubFailed, kReady, kSubmitted, kAccepted, kRejected,
  kAdjudicated, kDenied, kReplaced, kVoided
};

const char* StatusName(Status s) {
  switch (s) {
    case Status::kCreated: return "created";
    case Status::kScrubFailed: return "scrub_failed";
    case Status::kReady: return "ready";
    case Status::kSubmitted: return "submitted";
    case Status::kAccepted: return "accepted";
    case Status::kRejected: return "rejected";
    case Status::kAdjudicated: return "adjudicated";
    case Status::kDenied: return "denied";
    case Status::kReplaced: return "replaced";
    case Status::kVoided: return "voided";
  }
  return "unknown";
}

// An adjudication in force, folded the way the ledger folds it.
struct Adjudication {
  std::string remit_id;
  rcl::v1::ClaimPaymentStatus status = rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY;
  std::vector<rcl::v1::LineAdjudication> lines;
  int64_t paid = 0;
  int64_t contractual = 0;
  int64_t other = 0;
  int64_t pr = 0;
  int64_t denied = 0;
  bool denial = false;
  int transfer_claim = -1;  // the next payer's claim the patient share moved to
  int64_t returned_to_patient = 0;  // of pr: given back to the patient by a void of that claim
};

struct Claim {
  std::string id;
  int patient = 0;
  int encounter = 0;
  int payer = 0;
  int rank = 1;
  int frequency = 1;
  std::string coverage_id;
  std::vector<ChargeLine> lines;
  int64_t charge = 0;
  Status status = Status::kCreated;
  int submissions = 0;

  int64_t opening = 0;
  int64_t transferred_in = 0;
  int64_t paid = 0;
  int64_t contractual = 0;
  int64_t other = 0;
  int64_t patient_responsibility = 0;
  int64_t transferred_out = 0;
  int64_t denied = 0;
  int64_t patient_paid = 0;
  // Write-offs in force by (side, reason), ordered as the ledger takes them back.
  std::map<std::pair<int, int>, int64_t> write_offs;
  int64_t moved_out = 0;
  std::optional<Adjudication> adjudication;
  // Links, as model indexes: the claim this one replaces or voids, or whose
  // adjudication created it (a next payer's claim); the claim that replaced
  // it; the last claim that moved balance in (ledger transfer_from_claim_id).
  int original = -1;
  int replacement = -1;
  int transfer_from = -1;

  // Workflow.
  std::string payer_claim_number;
  bool corrected = false;  // a replacement or rebill: the payer pays it
  bool may_void = false;
  int next_claim = -1;  // the next payer's claim, once created

  int64_t WrittenOff(rcl::v1::BalanceSide side) const {
    int64_t total = 0;
    for (const auto& [key, cents] : write_offs) {
      if (key.first == side) total += cents;
    }
    return total;
  }
  int64_t WrittenOff(rcl::v1::BalanceSide side, rcl::v1::WriteOffReason reason) const {
    auto it = write_offs.find({side, reason});
    return it == write_offs.end() ? 0 : it->second;
  }
  int64_t PayerBalance() const {
    return opening + transferred_in - paid - contractual - other - patient_responsibility -
           transferred_out - WrittenOff(rcl::v1::BALANCE_SIDE_PAYER) - moved_out;
  }
  int64_t PatientBalance() const {
    return patient_responsibility - patient_paid - WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT);
  }
  bool Closed() const { return status == Status::kReplaced || status == Status::kVoided; }
};

// What the ledger counts as a denied line (ledger LineDenied): nothing paid,
// adjusted for a reason that is neither patient responsibility nor a prior
// payer's share (CARC 23), and nothing of it left to the patient.
bool LineDenied(const rcl::v1::LineAdjudication& line, rcl::v1::ClaimPaymentStatus status) {
  if (line.paid_cents() != 0) return false;
  if (status == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED) return true;
  int64_t patient_responsibility = 0;
  bool adjusted = false;
  for (const auto& adj : line.adjustments()) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
      patient_responsibility += adj.amount_cents();
    } else if (adj.amount_cents() > 0 && adj.reason_code() != "23") {
      adjusted = true;
    }
  }
  return adjusted && patient_responsibility <= 0;
}

void AddAdjustment(rcl::v1::LineAdjudication* line, rcl::v1::AdjustmentGroup group,
                   const char* reason, int64_t cents, const char* remark = "") {
  if (cents == 0) return;
  auto* a = line->add_adjustments();
  a->set_group(group);
  a->set_reason_code(reason);
  a->set_remark_code(remark);
  a->set_amount_cents(cents);
}

int64_t PatientShare(const rcl::v1::LineAdjudication& line) {
  int64_t pr = 0;
  for (const auto& adj : line.adjustments()) {
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) pr += adj.amount_cents();
  }
  return pr;
}

// --- Tasks ------------------------------------------------------------------------

enum class TaskKind {
  kAck, kResubmit, kBillSecondary, kFileAppeal, kDecideAppeal, kWriteOffDenied,
  kReplace, kVoidAndRebill, kStatement, kPay, kRefund
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
  // Sends one command; annotates failures with the command id and kind.
  absl::StatusOr<rcl::v1::CommandResponse> Send(const Command& command, absl::string_view about);

  void Setup();
  absl::Status RegisterPatients();
  absl::Status RunDay(absl::CivilDay day);
  absl::Status RunTask(absl::CivilDay day, const Task& task);
  absl::Status RunEncounter(absl::CivilDay day, int encounter);
  absl::Status RunRemittance(absl::CivilDay day, int payer);
  absl::Status Verify();
  void Summarize();

  // Claim commands with their model updates.
  absl::Status ScrubAndSubmit(absl::CivilDay day, int claim);
  absl::Status CreateClaim(absl::CivilDay day, int encounter, const std::string& id, bool rebill);
  int NewClaimFrom(const Claim& from, std::string id, int frequency);
  absl::Status Acknowledge(absl::CivilDay day, int claim);
  rcl::v1::AdjudicateClaim PaidAdjudication(int claim);
  rcl::v1::AdjudicateClaim DeniedAdjudication(int claim, const char* carc);
  rcl::v1::AdjudicateClaim CorrectedAdjudication(int claim);
  void ApplyAdjudication(int claim, const rcl::v1::AdjudicateClaim& cmd);
  void ApplyReversal(int claim);

  // The ledger's claim rules (ledger/claim_rules.cc, adjudication.cc) as the
  // model folds them. Claims to settle are named by id: the ledger settles
  // them in id order.
  using ClaimSet = std::set<std::string>;
  int InForce(int claim) const;
  int ChainRoot(int claim) const;
  void TransferIn(int to, int from, int64_t cents);
  int64_t Reverse(int claim, ClaimSet* settle);
  void MoveOffClosed(int claim, int64_t cents);
  int64_t ReverseWriteOffs(int claim, rcl::v1::BalanceSide side, int64_t cents,
                           std::optional<rcl::v1::WriteOffReason> only);
  void Settle(int claim);
  void SettleAll(const ClaimSet& settle) {
    for (const std::string& id : settle) Settle(claim_index_.at(id));
  }
  void WriteOff(int claim, rcl::v1::BalanceSide side, rcl::v1::WriteOffReason reason,
                int64_t cents) {
    claims_[static_cast<size_t>(claim)].write_offs[{side, reason}] += cents;
  }
  absl::Status PatientStatement(absl::CivilDay day, int patient);
  absl::Status PatientPayment(absl::CivilDay day, int patient, PayBehavior behavior);

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
  void ScheduleStatement(absl::CivilDay after, int patient);
  absl::CivilDay NextWeekday(absl::CivilDay after, absl::Weekday weekday) const {
    absl::CivilDay d = after + 1;
    while (absl::GetWeekday(d) != weekday) ++d;
    return d;
  }
  int64_t Allowed(int payer, Proc proc) const { return allowed_[payer][proc]; }
  std::vector<int> OpenPatientClaims(int patient) const;

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

absl::StatusOr<rcl::v1::CommandResponse> Generator::Send(const Command& command,
                                                          absl::string_view about) {
  ++sequence_;
  rcl::client::CommandOptions options;
  options.command_id = absl::StrCat("demo-", options_.seed, "-", sequence_);
  const google::protobuf::FieldDescriptor* field =
      Command::descriptor()->FindFieldByNumber(command.kind_case());
  std::string kind = field == nullptr ? "unknown" : field->name();
  absl::StatusOr<rcl::v1::CommandResponse> r = sink_.Execute(command, options);
  if (!r.ok()) {
    std::string hint;
    if (r.status().code() == absl::StatusCode::kAlreadyExists) {
      hint = absl::StrCat(
          " (this tenant already holds a demo with seed ", options_.seed,
          " but other --patients, --days or --end: use another --tenant or --seed)");
    }
    return absl::Status(r.status().code(),
                        absl::StrCat("demo: command ", options.command_id, " (", kind, " ", about,
                                     "): ", r.status().message(), hint));
  }
  ++summary_.commands;
  ++summary_.commands_by_type[kind];
  uint64_t position = r->position();
  if (summary_.first_position == 0 || position < summary_.first_position) {
    summary_.first_position = position;
  }
  summary_.last_position = std::max(summary_.last_position, position);
  for (int i = 0; i < 8; ++i) {
    digest_ ^= (position >> (8 * i)) & 0xff;
    digest_ *= 1099511628211ull;
  }
  return r;
}

// --- Setup: providers, fee schedules, patients, visits ------------------------------

void Generator::Setup() {
  billing_npi_ = NpiWithCheckDigit("158204718");
  for (const char* base : {"104382957", "112947365", "136028491"}) {
    rendering_npis_.push_back(NpiWithCheckDigit(base));
  }
  // Each payer's contracted rates: a share of the practice's fee per code.
  for (int p = 0; p < kPayerCount; ++p) {
    for (int c = 0; c < kProcCount; ++c) {
      int64_t pct = random_.Uniform(kPayers[p].allowed_low_pct, kPayers[p].allowed_high_pct);
      allowed_[p][c] = kProcedures[c].amount_cents * pct / 100;
    }
  }

  patients_.resize(static_cast<size_t>(options_.patients));
  for (int i = 0; i < options_.patients; ++i) {
    Patient& p = patients_[static_cast<size_t>(i)];
    p.id = absl::StrCat(prefix_, "-P", Pad(i + 1, 5));
    p.age = random_.Percent(35) ? static_cast<int>(random_.Uniform(65, 92))
                                : static_cast<int>(random_.Uniform(18, 64));
    bool medicare = p.age >= 65 && random_.Percent(85);
    p.primary.id = "C1";
    p.primary.rank = 1;
    p.primary.payer = medicare ? kMedicare : static_cast<int>(random_.Uniform(0, 2));
    if (medicare) {
      p.deductible_cents = 28300;
      p.coinsurance_pct = 20;
    } else if (random_.Percent(40)) {
      p.copay_plan = true;
      const int64_t copays[] = {2000, 2500, 3000, 4000};
      p.copay_cents = copays[random_.Uniform(0, 3)];
    } else {
      const int64_t deductibles[] = {50000, 100000, 150000, 250000};
      p.deductible_cents = deductibles[random_.Uniform(0, 3)];
      const int coinsurance[] = {10, 20, 20, 30};
      p.coinsurance_pct = coinsurance[random_.Uniform(0, 3)];
    }
    // Part of this year's deductible is already met.
    p.deductible_left[first_day_.year()] =
        p.deductible_cents * (100 - random_.Uniform(0, 100)) / 100;
    if (random_.Percent(medicare ? 50 : 22)) {
      CoverageModel s;
      s.id = "C2";
      s.rank = 2;
      int other = static_cast<int>(random_.Uniform(0, 2));
      if (!medicare && other == p.primary.payer) other = (other + 1) % 3;
      s.payer = other;
      p.secondary = s;
      p.secondary_pays_all = medicare || random_.Percent(30);
    }
    p.statement_day = static_cast<absl::Weekday>(i % 5);  // monday .. friday

    // Visits: at least one in the window, more over longer windows.
    int visits = 1 + options_.days / 90 + (random_.Percent(25) ? 1 : 0);
    std::set<absl::CivilDay> taken;
    for (int v = 0; v < visits; ++v) {
      absl::CivilDay day = first_day_;
      for (int attempt = 0; attempt < 12; ++attempt) {
        day = first_day_ + random_.Uniform(0, options_.days - 1);
        absl::Weekday w = absl::GetWeekday(day);
        bool weekend = w == absl::Weekday::saturday || w == absl::Weekday::sunday;
        if (!weekend && !taken.contains(day)) break;
      }
      if (!taken.insert(day).second) continue;
      Encounter e;
      e.patient = i;
      e.dos = day;
      e.rendering_npi = rendering_npis_[static_cast<size_t>(i) % rendering_npis_.size()];
      encounters_.push_back(std::move(e));
    }
  }
  // Encounter ids in date order, then by patient.
  std::stable_sort(encounters_.begin(), encounters_.end(),
                   [](const Encounter& a, const Encounter& b) { return a.dos < b.dos; });
  for (size_t i = 0; i < encounters_.size(); ++i) {
    encounters_[i].id = absl::StrCat(prefix_, "-E", Pad(static_cast<int64_t>(i) + 1, 6));
    visits_[encounters_[i].dos].push_back(static_cast<int>(i));
  }
}

absl::Status Generator::RegisterPatients() {
  const std::string coverage_from = Date(absl::CivilDay(first_day_.year(), 1, 1));
  const int total_days = static_cast<int>(last_day_ - first_day_) + 1;
  int registered = 0;
  for (Patient& p : patients_) {
    if (progress_ && ++registered % 100 == 0) progress_(0, total_days, summary_.commands);
    Command reg;
    auto* r = reg.mutable_register_patient();
    r->set_patient_id(p.id);
    r->set_family_name(kFamilyNames[random_.Uniform(0, Count(kFamilyNames) - 1)]);
    r->set_given_name(kGivenNames[random_.Uniform(0, Count(kGivenNames) - 1)]);
    absl::CivilDay birth(first_day_.year() - p.age, random_.Uniform(1, 12), random_.Uniform(1, 28));
    r->set_birth_date(Date(birth));
    RCL_RETURN_IF_ERROR(Send(reg, p.id).status());

    for (const CoverageModel* c : {&p.primary, p.secondary ? &*p.secondary : nullptr}) {
      if (c == nullptr) continue;
      Command add;
      auto* a = add.mutable_add_coverage();
      a->set_patient_id(p.id);
      a->set_coverage_id(c->id);
      a->set_payer_id(kPayers[c->payer].id);
      a->set_payer_name(kPayers[c->payer].name);
      if (c->payer == kMedicare) {
        // The shape of a Medicare Beneficiary Identifier.
        const char* letters = "ACDEFGHJKMNPQRTUVWXY";
        auto letter = [&] { return letters[random_.Uniform(0, 19)]; };
        auto digit = [&] { return static_cast<char>('0' + random_.Uniform(0, 9)); };
        std::string mbi;
        mbi += static_cast<char>('1' + random_.Uniform(0, 8));
        mbi += letter();
        mbi += digit();
        mbi += digit();
        mbi += letter();
        mbi += digit();
        mbi += digit();
        mbi += letter();
        mbi += letter();
        mbi += digit();
        mbi += digit();
        a->set_member_id(mbi);
      } else {
        a->set_member_id(absl::StrCat(c->payer == 2 ? "U" : "W", Pad(random_.Uniform(0, 999999999), 9)));
      }
      a->set_rank(c->rank);
      a->set_effective_from(coverage_from);
      RCL_RETURN_IF_ERROR(Send(add, absl::StrCat(p.id, " ", c->id)).status());
      ++summary_.coverages;
      if (c->rank == 2) ++summary_.secondary_coverages;
    }
  }
  return absl::OkStatus();
}

// --- One visit: coding, claim, scrub, submit ---------------------------------------

absl::Status Generator::RunEncounter(absl::CivilDay day, int index) {
  Encounter& e = encounters_[static_cast<size_t>(index)];
  const Patient& patient = patients_[static_cast<size_t>(e.patient)];
  // What the visit was about.
  std::vector<std::string>& dx = e.diagnoses;
  std::vector<std::pair<Proc, int>> extras;  // procedure, diagnosis pointer
  Proc visit = k99213;
  auto pick = [&](std::initializer_list<Proc> options) {
    std::vector<Proc> v(options);
    return v[static_cast<size_t>(random_.Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  };
  int64_t kind = random_.Uniform(0, 99);
  if (kind < 20) {  // diabetes follow-up
    dx.push_back("E11.9");
    if (random_.Percent(60)) dx.push_back("I10");
    if (random_.Percent(40)) dx.push_back("E78.5");
    visit = dx.size() == 3 && random_.Percent(30) ? k99215 : pick({k99213, k99214, k99214});
    if (random_.Percent(70)) {
      extras.push_back({k36415, 1});
      extras.push_back({k80053, 1});
      if (random_.Percent(35)) extras.push_back({k85025, 1});
    }
  } else if (kind < 36) {  // hypertension
    dx.push_back("I10");
    if (random_.Percent(40)) dx.push_back("E78.5");
    visit = pick({k99213, k99214});
    if (random_.Percent(30)) extras.push_back({k93000, 1});
  } else if (kind < 52) {  // upper respiratory infection, cough
    dx.push_back("J06.9");
    if (random_.Percent(60)) dx.push_back("R05.9");
    visit = pick({k99212, k99213, k99213});
    if (dx.size() == 2 && random_.Percent(30)) extras.push_back({k71046, 2});
  } else if (kind < 63) {  // knee osteoarthritis: injection
    dx.push_back("M17.11");
    visit = pick({k99213, k99214});
    if (random_.Percent(60)) {
      extras.push_back({k20610, 1});
      extras.push_back({kJ3301, 1});
    }
  } else if (kind < 74) {  // annual exam with labs
    dx.push_back("Z00.00");
    if (random_.Percent(40)) dx.push_back("E78.5");
    visit = pick({k99213, k99214});
    extras.push_back({k36415, 1});
    extras.push_back({k80053, 1});
    extras.push_back({k85025, 1});
  } else if (kind < 87) {  // reflux
    dx.push_back("K21.9");
    visit = pick({k99212, k99213});
  } else {  // anxiety
    dx.push_back("F41.1");
    visit = pick({k99213, k99214, k99215});
  }
  // Flu season: a vaccine with the visit.
  int month = day.month();
  if ((month >= 9 || month <= 3) && random_.Percent(25) && dx.size() < 4) {
    dx.push_back("Z23");
    int pointer = static_cast<int>(dx.size());
    extras.push_back({k90471, pointer});
    extras.push_back({k90686, pointer});
  }
  bool procedure = false;
  for (const auto& [proc, pointer] : extras) procedure |= kProcedures[proc].procedure;
  ChargeLine first;
  first.number = 1;
  first.proc = visit;
  if (procedure) first.modifiers.push_back("25");
  for (size_t i = 0; i < dx.size() && i < 4; ++i) first.pointers.push_back(static_cast<int>(i) + 1);
  e.lines.push_back(first);
  for (const auto& [proc, pointer] : extras) {
    ChargeLine line;
    line.number = static_cast<int>(e.lines.size()) + 1;
    line.proc = proc;
    line.pointers.push_back(pointer);
    e.lines.push_back(line);
  }

  Command open;
  auto* o = open.mutable_open_encounter();
  o->set_encounter_id(e.id);
  o->set_patient_id(patient.id);
  o->set_rendering_npi(e.rendering_npi);
  o->set_billing_npi(billing_npi_);
  o->set_date_of_service(Date(day));
  o->set_place_of_service("11");
  RCL_RETURN_IF_ERROR(Send(open, e.id).status());
  ++summary_.encounters;

  Command diagnose;
  diagnose.mutable_record_diagnoses()->set_encounter_id(e.id);
  for (const std::string& code : dx) diagnose.mutable_record_diagnoses()->add_icd10_codes(code);
  RCL_RETURN_IF_ERROR(Send(diagnose, e.id).status());

  for (const ChargeLine& line : e.lines) {
    const ProcedureInfo& info = kProcedures[line.proc];
    Command charge;
    auto* c = charge.mutable_record_charge();
    c->set_encounter_id(e.id);
    c->set_line_number(line.number);
    if (info.hcpcs) {
      c->set_hcpcs(info.code);
    } else {
      c->set_cpt(info.code);
    }
    for (const std::string& m : line.modifiers) c->add_modifiers(m);
    c->set_units(info.units);
    c->set_amount_cents(info.amount_cents);
    for (int p : line.pointers) c->add_diagnosis_pointers(p);
    RCL_RETURN_IF_ERROR(Send(charge, absl::StrCat(e.id, " line ", line.number)).status());
    ++summary_.charge_lines;
    summary_.charges_cents += info.amount_cents;
    e.charge += info.amount_cents;
  }
  e.unbilled = e.charge;

  Command complete;
  complete.mutable_complete_coding()->set_encounter_id(e.id);
  RCL_RETURN_IF_ERROR(Send(complete, e.id).status());

  std::string claim_id = absl::StrCat(prefix_, "-CL", e.id.substr(prefix_.size() + 2));
  return CreateClaim(day, index, claim_id, /*rebill=*/false);
}

absl::Status Generator::CreateClaim(absl::CivilDay day, int encounter, const std::string& id,
                                    bool rebill) {
  const Encounter& e = encounters_[static_cast<size_t>(encounter)];
  const Patient& patient = patients_[static_cast<size_t>(e.patient)];
  Command create;
  auto* c = create.mutable_create_claim();
  c->set_claim_id(id);
  c->set_encounter_id(e.id);
  c->set_coverage_id(patient.primary.id);
  RCL_RETURN_IF_ERROR(Send(create, id).status());

  Claim claim;
  claim.id = id;
  claim.patient = e.patient;
  claim.encounter = encounter;
  claim.payer = patient.primary.payer;
  claim.rank = 1;
  claim.frequency = 1;
  claim.coverage_id = patient.primary.id;
  claim.lines = e.lines;
  for (const ChargeLine& line : e.lines) claim.charge += kProcedures[line.proc].amount_cents;
  claim.opening = claim.charge;
  encounters_[static_cast<size_t>(encounter)].unbilled -= claim.charge;
  claim.corrected = rebill;
  claim.may_void = !rebill;
  int index = static_cast<int>(claims_.size());
  claim_index_[id] = index;
  claims_.push_back(std::move(claim));
  patients_[static_cast<size_t>(e.patient)].claims.push_back(index);
  ++summary_.claims;
  return ScrubAndSubmit(day, index);
}

int Generator::NewClaimFrom(const Claim& from, std::string id, int frequency) {
  Claim claim;
  claim.id = std::move(id);
  claim.patient = from.patient;
  claim.encounter = from.encounter;
  claim.payer = from.payer;
  claim.rank = from.rank;
  claim.frequency = frequency;
  claim.coverage_id = from.coverage_id;
  claim.lines = from.lines;
  claim.charge = from.charge;
  claim.original = claim_index_.at(from.id);
  int index = static_cast<int>(claims_.size());
  claim_index_[claim.id] = index;
  patients_[static_cast<size_t>(from.patient)].claims.push_back(index);
  claims_.push_back(std::move(claim));
  ++summary_.claims;
  return index;
}

absl::Status Generator::ScrubAndSubmit(absl::CivilDay day, int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  Command scrub;
  scrub.mutable_scrub_claim()->set_claim_id(claim.id);
  RCL_RETURN_IF_ERROR(Send(scrub, claim.id).status());
  claim.status = Status::kReady;  // every claim of the demo is clean
  Command submit;
  submit.mutable_submit_claim()->set_claim_id(claim.id);
  submit.mutable_submit_claim()->set_batch_id(
      absl::StrCat(prefix_, "-B", absl::FormatCivilTime(day).substr(0, 4),
                   absl::FormatCivilTime(day).substr(5, 2), absl::FormatCivilTime(day).substr(8, 2)));
  RCL_RETURN_IF_ERROR(Send(submit, claim.id).status());
  claim.status = Status::kSubmitted;
  ++claim.submissions;
  Schedule(day + 1, TaskKind::kAck, index);
  return absl::OkStatus();
}

absl::Status Generator::Acknowledge(absl::CivilDay day, int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  bool reject = claim.frequency != 8 && claim.submissions == 1 && random_.Percent(4);
  Command ack;
  auto* a = ack.mutable_acknowledge_claim();
  a->set_claim_id(claim.id);
  a->set_accepted(!reject);
  if (reject) {
    a->set_reason(kRejectionReasons[random_.Uniform(0, Count(kRejectionReasons) - 1)]);
  }
  RCL_RETURN_IF_ERROR(Send(ack, claim.id).status());
  if (reject) {
    claim.status = Status::kRejected;
    ++summary_.rejections;
    // Corrected in the practice management system, scrubbed and resubmitted.
    Schedule(day + random_.Uniform(1, 2), TaskKind::kResubmit, index);
    return absl::OkStatus();
  }
  claim.status = Status::kAccepted;
  if (claim.payer_claim_number.empty()) {
    claim.payer_claim_number =
        absl::StrCat(kPayers[claim.payer].id, Pad(random_.Uniform(0, 99999999999LL), 11));
  }
  if (claim.frequency == 8) return absl::OkStatus();  // nothing to adjudicate
  if (claim.may_void && random_.Percent(2)) {
    // Billed in error (wrong rendering provider on the 837): void it and rebill.
    Schedule(day + 1, TaskKind::kVoidAndRebill, index);
    return absl::OkStatus();
  }
  Queue(index, PayerAction::kFirst, day + 2);
  return absl::OkStatus();
}

// --- Adjudications ------------------------------------------------------------------

rcl::v1::AdjudicateClaim Generator::PaidAdjudication(int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  Patient& patient = patients_[static_cast<size_t>(claim.patient)];
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(claim.id);
  cmd.set_payer_claim_number(claim.payer_claim_number);
  if (claim.rank == 2) {
    // The secondary payer pays (part of) what the primary left to the patient.
    cmd.set_status(rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY);
    const Claim& primary = claims_[static_cast<size_t>(claim_index_.at(
        claim.id.substr(0, claim.id.size() - 2)))];
    // Every line balances against its full charge: CO-23 is the primary's share.
    std::map<int, int64_t> shares;
    for (const rcl::v1::LineAdjudication& p : primary.adjudication->lines) {
      shares[p.line_number()] = PatientShare(p);
    }
    for (const ChargeLine& l : claim.lines) {
      int64_t charge = kProcedures[l.proc].amount_cents;
      int64_t share = std::clamp<int64_t>(shares[l.number], 0, charge);
      auto* line = cmd.add_lines();
      line->set_line_number(l.number);
      int64_t paid = patient.secondary_pays_all ? share : share * 80 / 100;
      if (paid == 0) paid = share;
      line->set_allowed_cents(share);
      line->set_paid_cents(paid);
      AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_CO, "23", charge - share);
      AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "2", share - paid);
    }
    return cmd;
  }
  cmd.set_status(rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY);
  const Encounter& e = encounters_[static_cast<size_t>(claim.encounter)];
  int year = e.dos.year();
  if (!patient.deductible_left.contains(year)) patient.deductible_left[year] = patient.deductible_cents;
  int64_t& deductible_left = patient.deductible_left[year];
  for (const ChargeLine& l : claim.lines) {
    const ProcedureInfo& info = kProcedures[l.proc];
    int64_t charge = info.amount_cents;
    int64_t allowed = Allowed(claim.payer, l.proc);
    int64_t copay = 0;
    int64_t deductible = 0;
    int64_t coinsurance = 0;
    if (patient.copay_plan) {
      if (info.evaluation) copay = std::min(patient.copay_cents, allowed * 9 / 10);
    } else {
      // The ledger counts a line with nothing paid and a positive CO
      // adjustment as denied, so the payer always pays part of a line here.
      deductible = std::min(deductible_left, allowed * 3 / 4);
      deductible_left -= deductible;
      coinsurance = (allowed - deductible) * patient.coinsurance_pct / 100;
    }
    auto* line = cmd.add_lines();
    line->set_line_number(l.number);
    line->set_allowed_cents(allowed);
    line->set_paid_cents(allowed - copay - deductible - coinsurance);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_CO, "45", charge - allowed);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "1", deductible);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "2", coinsurance);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_PR, "3", copay);
  }
  return cmd;
}

rcl::v1::AdjudicateClaim Generator::DeniedAdjudication(int index, const char* carc) {
  const Claim& claim = claims_[static_cast<size_t>(index)];
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(claim.id);
  cmd.set_payer_claim_number(claim.payer_claim_number);
  cmd.set_status(rcl::v1::CLAIM_PAYMENT_STATUS_DENIED);
  const char* remark = std::string(carc) == "16" ? "MA130" : "";
  for (const ChargeLine& l : claim.lines) {
    auto* line = cmd.add_lines();
    line->set_line_number(l.number);
    AddAdjustment(line, rcl::v1::ADJUSTMENT_GROUP_CO, carc, kProcedures[l.proc].amount_cents,
                  remark);
  }
  return cmd;
}

// The payer's correction after a reversal: it had under-applied its fee
// schedule; the patient's share does not change.
rcl::v1::AdjudicateClaim Generator::CorrectedAdjudication(int index) {
  const Claim& claim = claims_[static_cast<size_t>(index)];
  rcl::v1::AdjudicateClaim cmd;
  cmd.set_claim_id(claim.id);
  cmd.set_payer_claim_number(claim.payer_claim_number);
  cmd.set_status(claim.adjudication->status);
  for (const rcl::v1::LineAdjudication& old : claim.adjudication->lines) {
    rcl::v1::LineAdjudication* line = cmd.add_lines();
    *line = old;
    int64_t contractual = 0;
    for (const auto& adj : old.adjustments()) {
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) contractual += adj.amount_cents();
    }
    int64_t raise = std::min(contractual, old.allowed_cents() * random_.Uniform(3, 10) / 100);
    if (raise <= 0) continue;
    line->set_allowed_cents(old.allowed_cents() + raise);
    line->set_paid_cents(old.paid_cents() + raise);
    line->clear_adjustments();
    for (const auto& adj : old.adjustments()) {
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) {
        AddAdjustment(line, adj.group(), adj.reason_code().c_str(), adj.amount_cents() - raise);
      } else {
        *line->add_adjustments() = adj;
      }
    }
  }
  return cmd;
}

// Mirrors DecideAdjudicate: the adjudication in force is superseded
// (reversed), and so is any still in force on the claims a replacement
// replaced (the payer adjudicates one claim, not two): the balance that
// restores moves to this claim. On a next payer's claim the prior payers'
// share (CO-23) is not posted. The patient share moves to the next payer's
// claim when the patient has one, else to the patient. Then every claim
// whose balances moved is settled.
void Generator::ApplyAdjudication(int index, const rcl::v1::AdjudicateClaim& cmd) {
  ClaimSet settle = {claims_[static_cast<size_t>(index)].id};
  if (claims_[static_cast<size_t>(index)].adjudication.has_value()) Reverse(index, &settle);
  for (int c = index; claims_[static_cast<size_t>(c)].frequency == 7;) {
    const int original = claims_[static_cast<size_t>(c)].original;
    if (claims_[static_cast<size_t>(original)].adjudication.has_value()) {
      MoveOffClosed(original, Reverse(original, &settle));
    }
    c = original;
  }
  Adjudication a;
  a.remit_id = cmd.remit_id();
  a.status = cmd.status();
  a.lines.assign(cmd.lines().begin(), cmd.lines().end());
  for (const auto& line : cmd.lines()) {
    bool held = LineDenied(line, cmd.status());
    a.paid += line.paid_cents();
    for (const auto& adj : line.adjustments()) {
      if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
        a.pr += adj.amount_cents();
      } else if (held) {
        a.denied += adj.amount_cents();
      } else if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) {
        a.contractual += adj.amount_cents();
      } else {
        a.other += adj.amount_cents();
      }
    }
  }
  {
    // The part of the charge never billed to this payer (a prior payer's
    // share) comes out of contractual, then other, then denied amounts.
    const Claim& claim = claims_[static_cast<size_t>(index)];
    int64_t left = claim.rank > 1
                       ? std::max<int64_t>(0, claim.charge - claim.opening - claim.transferred_in)
                       : 0;
    for (int64_t* bucket : {&a.contractual, &a.other, &a.denied}) {
      int64_t take = std::clamp<int64_t>(*bucket, 0, left);
      *bucket -= take;
      left -= take;
    }
  }
  a.denial = cmd.status() == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED || (a.paid == 0 && a.denied > 0);
  const Patient& patient = patients_[static_cast<size_t>(claims_[static_cast<size_t>(index)].patient)];
  if (a.pr != 0 && claims_[static_cast<size_t>(index)].rank == 1 && patient.secondary.has_value()) {
    // The next payer's claim in force, also through the claims this one replaced.
    int next = -1;
    for (int c = index; c >= 0;) {
      const Claim& from = claims_[static_cast<size_t>(c)];
      if (from.next_claim >= 0) {
        int in_force = InForce(from.next_claim);
        if (!claims_[static_cast<size_t>(in_force)].Closed()) {
          next = in_force;
          break;
        }
      }
      c = from.frequency == 7 ? from.original : -1;
    }
    if (next < 0) {
      const Claim& from = claims_[static_cast<size_t>(index)];
      next = NewClaimFrom(from, absl::StrCat(from.id, "-2"), 1);
      Claim& created = claims_[static_cast<size_t>(next)];
      created.payer = patient.secondary->payer;
      created.rank = 2;
      created.coverage_id = patient.secondary->id;
      created.may_void = false;
      ++summary_.secondary_claims;
    } else {
      settle.insert(claims_[static_cast<size_t>(next)].id);
    }
    claims_[static_cast<size_t>(index)].next_claim = next;
    a.transfer_claim = next;
    TransferIn(next, index, a.pr);
  }
  Claim& claim = claims_[static_cast<size_t>(index)];
  claim.paid += a.paid;
  claim.contractual += a.contractual;
  claim.other += a.other;
  (a.transfer_claim < 0 ? claim.patient_responsibility : claim.transferred_out) += a.pr;
  claim.denied += a.denied;
  claim.status = a.denial ? Status::kDenied : Status::kAdjudicated;
  claim.adjudication = std::move(a);
  SettleAll(settle);
}

// Mirrors DecideReverse: the reversal, what it restores moved off a closed
// claim, then the claims whose balances moved settled.
void Generator::ApplyReversal(int index) {
  ClaimSet settle;
  const int64_t restored = Reverse(index, &settle);
  if (claims_[static_cast<size_t>(index)].Closed()) MoveOffClosed(index, restored);
  SettleAll(settle);
}

int Generator::InForce(int index) const {
  while (claims_[static_cast<size_t>(index)].status == Status::kReplaced) {
    index = claims_[static_cast<size_t>(index)].replacement;
  }
  return index;
}

int Generator::ChainRoot(int index) const {
  while (claims_[static_cast<size_t>(index)].frequency != 1) {
    index = claims_[static_cast<size_t>(index)].original;
  }
  return index;
}

void Generator::TransferIn(int to, int from, int64_t cents) {
  Claim& claim = claims_[static_cast<size_t>(to)];
  claim.transferred_in += cents;
  if (cents > 0) claim.transfer_from = from;
}

// The reversal of the adjudication in force (ledger EmitReversal and its
// fold): the transfer is taken back from the next payer's claim in force.
// Returns the payer balance it restores.
int64_t Generator::Reverse(int index, ClaimSet* settle) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  const int64_t before = claim.PayerBalance();
  const Adjudication& a = *claim.adjudication;
  claim.paid -= a.paid;
  claim.contractual -= a.contractual;
  claim.other -= a.other;
  if (a.transfer_claim < 0) {
    claim.patient_responsibility -= a.pr;
  } else {
    claim.transferred_out -= a.pr - a.returned_to_patient;
    claim.patient_responsibility -= a.returned_to_patient;
  }
  claim.denied -= a.denied;
  settle->insert(claim.id);
  if (a.transfer_claim >= 0 && a.pr != a.returned_to_patient) {
    const int target = InForce(a.transfer_claim);
    TransferIn(target, index, -(a.pr - a.returned_to_patient));
    settle->insert(claims_[static_cast<size_t>(target)].id);
  }
  claim.adjudication.reset();
  if (!claim.Closed()) claim.status = Status::kAccepted;
  return claim.PayerBalance() - before;
}

// Payer balance that came back onto a replaced or voided claim leaves it
// (ledger MoveOffClosedClaim): a replaced claim's for the claim in force; a
// voided next payer's claim's back to the claim that transferred it, as the
// patient's; any other voided claim's to the encounter's unbilled charges.
void Generator::MoveOffClosed(int index, int64_t cents) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  if (cents == 0 || !claim.Closed()) return;
  claim.moved_out += cents;
  if (claim.status == Status::kReplaced) {
    const int in_force = InForce(claim.replacement);
    TransferIn(in_force, index, cents);
    MoveOffClosed(in_force, cents);  // the end of the chain may be voided
    return;
  }
  const Claim& root = claims_[static_cast<size_t>(ChainRoot(index))];
  if (root.original < 0) {
    encounters_[static_cast<size_t>(claim.encounter)].unbilled += cents;
    return;
  }
  const int from = claim.transfer_from >= 0 ? claim.transfer_from
                   : root.transfer_from >= 0 ? root.transfer_from
                                             : root.original;
  Claim& f = claims_[static_cast<size_t>(from)];
  f.transferred_out -= cents;
  f.patient_responsibility += cents;
  if (f.adjudication.has_value()) f.adjudication->returned_to_patient += cents;
}

// Takes back up to `cents` of the claim's write-offs on `side` (of reason
// `only`, when set), in the ledger's order; returns what was taken back.
int64_t Generator::ReverseWriteOffs(int index, rcl::v1::BalanceSide side, int64_t cents,
                                    std::optional<rcl::v1::WriteOffReason> only) {
  auto& write_offs = claims_[static_cast<size_t>(index)].write_offs;
  int64_t left = cents;
  for (auto it = write_offs.begin(); it != write_offs.end() && left > 0;) {
    if (it->first.first != side || it->second <= 0 ||
        (only.has_value() && it->first.second != *only)) {
      ++it;
      continue;
    }
    const int64_t take = std::min(left, it->second);
    left -= take;
    it->second -= take;
    it = it->second == 0 ? write_offs.erase(it) : std::next(it);
  }
  return cents - left;
}

// Relief that outlived its reason (ledger SettleClaim): a negative payer
// balance takes back payer write-offs (the ledger then takes back manual
// adjustments, which the demo never makes); a negative patient balance takes
// back patient write-offs, then returns the patient's payments on the claim
// to the account as credit; a positive patient balance takes the account's
// credit.
void Generator::Settle(int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  Patient& patient = patients_[static_cast<size_t>(claim.patient)];
  if (claim.PayerBalance() < 0) {
    ReverseWriteOffs(index, rcl::v1::BALANCE_SIDE_PAYER, -claim.PayerBalance(), std::nullopt);
  }
  const int64_t excess = -claim.PatientBalance();
  if (excess < 0) {
    if (claim.status == Status::kVoided) return;
    const int64_t apply = std::min(-excess, patient.credit_cents);
    if (apply <= 0) return;
    claim.patient_paid += apply;
    patient.credit_cents -= apply;
    return;
  }
  if (excess == 0) return;
  const int64_t taken_back =
      ReverseWriteOffs(index, rcl::v1::BALANCE_SIDE_PATIENT, excess, std::nullopt);
  const int64_t unapply = std::min(excess - taken_back, claim.patient_paid);
  if (unapply <= 0) return;
  claim.patient_paid -= unapply;
  patient.credit_cents += unapply;
}

// One payer's weekly remittance: every claim it has had for two days or
// more, reversals with their corrections, and re-adjudications after appeals.
absl::Status Generator::RunRemittance(absl::CivilDay day, int payer) {
  std::vector<QueueEntry> due;
  std::vector<QueueEntry> later;
  for (const QueueEntry& e : queues_[payer]) (e.ready <= day ? due : later).push_back(e);
  if (due.empty()) return absl::OkStatus();
  queues_[payer] = std::move(later);

  struct Planned {
    QueueEntry entry;
    rcl::v1::AdjudicateClaim adjudication;
    const char* denial = nullptr;  // the CARC of a denial
  };
  std::vector<Planned> plan;
  int64_t total = 0;
  for (const QueueEntry& e : due) {
    const Claim& claim = claims_[static_cast<size_t>(e.claim)];
    Planned p;
    p.entry = e;
    if (e.action == PayerAction::kReverse) {
      total -= claim.adjudication->paid;
      p.adjudication = CorrectedAdjudication(e.claim);
    } else if (e.action == PayerAction::kFirst && claim.rank == 1 && !claim.corrected &&
               random_.Percent(8)) {
      const char* carcs[] = {"16", "50", "50", "197"};
      p.denial = carcs[random_.Uniform(0, 3)];
      p.adjudication = DeniedAdjudication(e.claim, p.denial);
    } else {
      p.adjudication = PaidAdjudication(e.claim);
    }
    for (const auto& line : p.adjudication.lines()) total += line.paid_cents();
    plan.push_back(std::move(p));
  }
  // Now and then the payer adds interest on late claims (PLB L6).
  int64_t interest = 0;
  if (total > 0 && random_.Percent(12)) interest = random_.Uniform(25, 1500);
  total += interest;

  ++remit_sequence_;
  std::string remit_id = absl::StrCat(prefix_, "-R", Pad(remit_sequence_, 5));
  Command record;
  auto* r = record.mutable_record_remittance();
  r->set_remit_id(remit_id);
  r->set_payer_id(kPayers[payer].id);
  r->set_trace_number(absl::StrCat("TRN", options_.seed, "-", Pad(remit_sequence_, 6)));
  r->set_method(total == 0 ? rcl::v1::PAYMENT_METHOD_NON : kPayers[payer].method);
  r->set_total_cents(total);
  r->set_paid_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(record, remit_id).status());
  ++summary_.remittances;
  summary_.remitted_cents += total;

  for (Planned& p : plan) {
    const int index = p.entry.claim;
    p.adjudication.set_remit_id(remit_id);
    if (p.entry.action == PayerAction::kReverse) {
      Command reverse;
      reverse.mutable_reverse_adjudication()->set_claim_id(claims_[static_cast<size_t>(index)].id);
      reverse.mutable_reverse_adjudication()->set_remit_id(remit_id);
      RCL_RETURN_IF_ERROR(Send(reverse, claims_[static_cast<size_t>(index)].id).status());
      ApplyReversal(index);
      ++summary_.reversals;
    }
    Command adjudicate;
    *adjudicate.mutable_adjudicate_claim() = p.adjudication;
    RCL_RETURN_IF_ERROR(Send(adjudicate, claims_[static_cast<size_t>(index)].id).status());
    ApplyAdjudication(index, p.adjudication);
    ++summary_.adjudications;
    const Claim& claim = claims_[static_cast<size_t>(index)];
    if (p.denial != nullptr) {
      ++summary_.denials;
      summary_.denied_cents += claim.denied;
      if (std::string(p.denial) == "16") {
        // Missing information: corrected and sent as a replacement claim.
        Schedule(day + random_.Uniform(2, 4), TaskKind::kReplace, index);
      } else {
        Appeal appeal;
        appeal.id = absl::StrCat(prefix_, "-A", Pad(static_cast<int64_t>(appeals_.size()) + 1, 5));
        appeal.claim = index;
        appeal.carc = p.denial;
        appeals_.push_back(appeal);
        Schedule(day + random_.Uniform(2, 5), TaskKind::kFileAppeal,
                 static_cast<int>(appeals_.size()) - 1);
      }
      continue;
    }
    if (claim.adjudication->transfer_claim >= 0 && p.entry.action != PayerAction::kReverse) {
      Schedule(day + 1, TaskKind::kBillSecondary, claim.adjudication->transfer_claim);
    }
    if (claim.PatientBalance() > 0) ScheduleStatement(day, claim.patient);
    // A few payments are taken back and corrected on the next remittance.
    if (p.entry.action != PayerAction::kReverse && claim.rank == 1 &&
        claim.adjudication->transfer_claim < 0 && random_.Percent(4)) {
      Queue(index, PayerAction::kReverse, day + 1);
    }
  }
  if (interest != 0) {
    Command plb;
    auto* a = plb.mutable_record_provider_adjustment();
    a->set_remit_id(remit_id);
    a->set_reason_code("L6");
    a->set_amount_cents(-interest);  // negative: added to the payment
    a->set_reference(absl::StrCat("INT", Pad(remit_sequence_, 6)));
    RCL_RETURN_IF_ERROR(Send(plb, remit_id).status());
    summary_.provider_adjustment_cents -= interest;
  }
  return absl::OkStatus();
}

// --- The patient account -------------------------------------------------------------

void Generator::ScheduleStatement(absl::CivilDay after, int patient) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  if (p.statement_pending) return;
  absl::CivilDay day = NextWeekday(after, p.statement_day);
  if (day > last_day_) return;
  p.statement_pending = true;
  Schedule(day, TaskKind::kStatement, patient);
}

// The patient's claims with a balance (or bad debt a payment recovers),
// oldest date of service first (then by claim id), as the ledger applies a
// payment without named claims.
std::vector<int> Generator::OpenPatientClaims(int patient) const {
  std::vector<std::pair<std::string, std::string>> order;
  for (int c : patients_[static_cast<size_t>(patient)].claims) {
    const Claim& claim = claims_[static_cast<size_t>(c)];
    if (claim.status == Status::kVoided) continue;
    if (claim.PatientBalance() <= 0 &&
        claim.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_BAD_DEBT) <= 0) {
      continue;
    }
    order.emplace_back(Date(encounters_[static_cast<size_t>(claim.encounter)].dos), claim.id);
  }
  std::sort(order.begin(), order.end());
  std::vector<int> out;
  for (const auto& [dos, id] : order) out.push_back(claim_index_.at(id));
  return out;
}

absl::Status Generator::PatientStatement(absl::CivilDay day, int patient) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  p.statement_pending = false;
  // Small balances left after a payment are written off instead of billed.
  for (int c : OpenPatientClaims(patient)) {
    Claim& claim = claims_[static_cast<size_t>(c)];
    int64_t balance = claim.PatientBalance();
    if (claim.patient_paid == 0 || balance <= 0 || balance > 500) continue;
    Command w;
    auto* o = w.mutable_write_off_claim();
    o->set_claim_id(claim.id);
    o->set_reason(rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE);
    o->set_amount_cents(balance);
    o->set_note("balance under $5.00 after patient payment");
    RCL_RETURN_IF_ERROR(Send(w, claim.id).status());
    WriteOff(c, rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE, balance);
    ++summary_.write_offs;
  }
  std::vector<int> open = OpenPatientClaims(patient);
  if (open.empty()) return absl::OkStatus();
  Command s;
  s.mutable_issue_patient_statement()->set_patient_id(p.id);
  s.mutable_issue_patient_statement()->set_statement_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(s, p.id).status());
  ++summary_.statements;
  int64_t behavior = random_.Uniform(0, 99);
  if (behavior < 55) {
    Schedule(day + random_.Uniform(3, 12), TaskKind::kPay, patient,
             static_cast<int>(PayBehavior::kFull));
  } else if (behavior < 72) {
    Schedule(day + random_.Uniform(3, 12), TaskKind::kPay, patient,
             static_cast<int>(PayBehavior::kWholeDollars));
  } else if (behavior < 80) {
    Schedule(day + random_.Uniform(3, 12), TaskKind::kPay, patient,
             static_cast<int>(PayBehavior::kOverpay));
  }  // else: not paid yet
  return absl::OkStatus();
}

absl::Status Generator::PatientPayment(absl::CivilDay day, int patient, PayBehavior behavior) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  std::vector<int> open = OpenPatientClaims(patient);
  int64_t balance = 0;
  for (int c : open) balance += claims_[static_cast<size_t>(c)].PatientBalance();
  if (balance <= 0) return absl::OkStatus();
  int64_t amount = balance;
  if (behavior == PayBehavior::kWholeDollars && balance >= 100 && balance % 100 != 0) {
    amount = balance - balance % 100;
  } else if (behavior == PayBehavior::kOverpay) {
    amount = balance + random_.Uniform(5, 40) * 100;
  }
  ++payment_sequence_;
  Command pay;
  auto* c = pay.mutable_receive_patient_payment();
  c->set_patient_id(p.id);
  c->set_payment_id(absl::StrCat(prefix_, "-PP", Pad(payment_sequence_, 6)));
  c->set_amount_cents(amount);
  const char* methods[] = {"card", "card", "check", "cash"};
  c->set_method(methods[random_.Uniform(0, 3)]);
  bool named = random_.Percent(50) && open.size() <= 100;
  if (named) {
    for (int i : open) c->add_claim_ids(claims_[static_cast<size_t>(i)].id);
  }
  c->set_received_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(pay, p.id).status());
  ++summary_.patient_payments;
  summary_.patient_payments_cents += amount;
  // The same allocation the ledger makes (named claims in order, or oldest
  // first): the open balance, then a recovery of bad debt written off.
  int64_t remaining = amount;
  for (int i : open) {
    Claim& claim = claims_[static_cast<size_t>(i)];
    int64_t apply = std::min(remaining, std::max<int64_t>(claim.PatientBalance(), 0));
    int64_t recover = std::min(
        remaining - apply,
        claim.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_BAD_DEBT));
    if (apply + recover <= 0) continue;
    ReverseWriteOffs(i, rcl::v1::BALANCE_SIDE_PATIENT, recover, rcl::v1::WRITE_OFF_REASON_BAD_DEBT);
    claim.patient_paid += apply + recover;
    remaining -= apply + recover;
  }
  p.credit_cents += remaining;
  if (remaining > 0) Schedule(day + random_.Uniform(4, 9), TaskKind::kRefund, patient);
  if (amount < balance) ScheduleStatement(day, patient);
  return absl::OkStatus();
}

// --- The day loop -------------------------------------------------------------------

absl::Status Generator::RunTask(absl::CivilDay day, const Task& task) {
  switch (task.kind) {
    case TaskKind::kAck:
      return Acknowledge(day, task.target);
    case TaskKind::kResubmit:
      return ScrubAndSubmit(day, task.target);
    case TaskKind::kBillSecondary:
      return ScrubAndSubmit(day, task.target);
    case TaskKind::kFileAppeal: {
      const Appeal& appeal = appeals_[static_cast<size_t>(task.target)];
      const Claim& claim = claims_[static_cast<size_t>(appeal.claim)];
      Command file;
      auto* f = file.mutable_file_appeal();
      f->set_appeal_id(appeal.id);
      f->set_claim_id(claim.id);
      f->set_level(1);
      f->set_reason(appeal.carc == "50"
                        ? "medical necessity documented in the attached office notes"
                        : "authorization was obtained before the visit; reference attached");
      f->set_filed_date(Date(day));
      f->set_deadline(Date(day + 180));
      RCL_RETURN_IF_ERROR(Send(file, appeal.id).status());
      ++summary_.appeals_filed;
      Schedule(day + random_.Uniform(4, 10), TaskKind::kDecideAppeal, task.target);
      return absl::OkStatus();
    }
    case TaskKind::kDecideAppeal: {
      const Appeal& appeal = appeals_[static_cast<size_t>(task.target)];
      bool overturned = random_.Percent(appeal.carc == "50" ? 60 : 50);
      Command decide;
      auto* d = decide.mutable_decide_appeal();
      d->set_appeal_id(appeal.id);
      d->set_outcome(overturned ? rcl::v1::APPEAL_OUTCOME_OVERTURNED
                                : rcl::v1::APPEAL_OUTCOME_UPHELD);
      d->set_decided_date(Date(day));
      RCL_RETURN_IF_ERROR(Send(decide, appeal.id).status());
      if (overturned) {
        ++summary_.appeals_overturned;
        Queue(appeal.claim, PayerAction::kOverturned, day + 1);
      } else {
        ++summary_.appeals_upheld;
        Schedule(day + random_.Uniform(1, 3), TaskKind::kWriteOffDenied, appeal.claim);
      }
      return absl::OkStatus();
    }
    case TaskKind::kWriteOffDenied: {
      Claim& claim = claims_[static_cast<size_t>(task.target)];
      int64_t balance = claim.PayerBalance();
      if (balance <= 0) return absl::OkStatus();
      Command w;
      auto* o = w.mutable_write_off_claim();
      o->set_claim_id(claim.id);
      o->set_reason(rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE);
      o->set_amount_cents(balance);
      o->set_note("denial upheld on appeal");
      RCL_RETURN_IF_ERROR(Send(w, claim.id).status());
      WriteOff(task.target, rcl::v1::BALANCE_SIDE_PAYER, rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE,
               balance);
      ++summary_.write_offs;
      return absl::OkStatus();
    }
    case TaskKind::kReplace: {
      const int original = task.target;
      std::string id = absl::StrCat(claims_[static_cast<size_t>(original)].id, "-R");
      Command replace;
      auto* r = replace.mutable_replace_claim();
      r->set_claim_id(id);
      r->set_original_claim_id(claims_[static_cast<size_t>(original)].id);
      r->set_payer_claim_number(claims_[static_cast<size_t>(original)].payer_claim_number);
      RCL_RETURN_IF_ERROR(Send(replace, id).status());
      int64_t balance = claims_[static_cast<size_t>(original)].PayerBalance();
      int index = NewClaimFrom(claims_[static_cast<size_t>(original)], id, 7);
      Claim& replacement = claims_[static_cast<size_t>(index)];
      replacement.opening = balance;
      replacement.corrected = true;
      replacement.payer_claim_number = claims_[static_cast<size_t>(original)].payer_claim_number;
      Claim& o = claims_[static_cast<size_t>(original)];
      o.moved_out += balance;
      o.replacement = index;
      o.status = Status::kReplaced;
      ++summary_.replacement_claims;
      return ScrubAndSubmit(day, index);
    }
    case TaskKind::kVoidAndRebill: {
      const int original = task.target;
      std::string id = absl::StrCat(claims_[static_cast<size_t>(original)].id, "-V");
      Command v;
      auto* o = v.mutable_void_claim();
      o->set_claim_id(id);
      o->set_original_claim_id(claims_[static_cast<size_t>(original)].id);
      o->set_payer_claim_number(claims_[static_cast<size_t>(original)].payer_claim_number);
      RCL_RETURN_IF_ERROR(Send(v, id).status());
      int64_t balance = claims_[static_cast<size_t>(original)].PayerBalance();
      int index = NewClaimFrom(claims_[static_cast<size_t>(original)], id, 8);
      claims_[static_cast<size_t>(index)].payer_claim_number =
          claims_[static_cast<size_t>(original)].payer_claim_number;
      // The balance goes back where it came from (the encounter's unbilled).
      claims_[static_cast<size_t>(original)].status = Status::kVoided;
      MoveOffClosed(original, balance);
      ++summary_.void_claims;
      RCL_RETURN_IF_ERROR(ScrubAndSubmit(day, index));
      // A new claim bills the encounter once all of its charge is unbilled
      // again (what the payer paid on the voided claim, it recoups first).
      const Encounter& e =
          encounters_[static_cast<size_t>(claims_[static_cast<size_t>(original)].encounter)];
      if (e.unbilled != e.charge) return absl::OkStatus();
      return CreateClaim(day, claims_[static_cast<size_t>(original)].encounter,
                         absl::StrCat(claims_[static_cast<size_t>(original)].id, "-B"),
                         /*rebill=*/true);
    }
    case TaskKind::kStatement:
      return PatientStatement(day, task.target);
    case TaskKind::kPay:
      return PatientPayment(day, task.target, static_cast<PayBehavior>(task.arg));
    case TaskKind::kRefund: {
      Patient& p = patients_[static_cast<size_t>(task.target)];
      if (p.credit_cents <= 0) return absl::OkStatus();
      ++refund_sequence_;
      Command refund;
      auto* r = refund.mutable_refund_patient();
      r->set_patient_id(p.id);
      r->set_amount_cents(p.credit_cents);
      r->set_refund_id(absl::StrCat(prefix_, "-RF", Pad(refund_sequence_, 6)));
      RCL_RETURN_IF_ERROR(Send(refund, p.id).status());
      ++summary_.refunds;
      summary_.refunds_cents += p.credit_cents;
      p.credit_cents = 0;
      return absl::OkStatus();
    }
  }
  return absl::InternalError("demo: unknown task");
}

absl::Status Generator::RunDay(absl::CivilDay day) {
  // Morning: the day's visits are coded and billed.
  if (auto it = visits_.find(day); it != visits_.end()) {
    for (int e : it->second) RCL_RETURN_IF_ERROR(RunEncounter(day, e));
  }
  // The billing office's work queue (tasks may add tasks for later days).
  if (auto it = tasks_.find(day); it != tasks_.end()) {
    for (size_t i = 0; i < tasks_[day].size(); ++i) {
      Task task = tasks_[day][i];
      RCL_RETURN_IF_ERROR(RunTask(day, task));
    }
    tasks_.erase(day);
  }
  // Payers remit once a week each.
  for (int p = 0; p < kPayerCount; ++p) {
    if (absl::GetWeekday(day) == kPayers[p].remit_day) RCL_RETURN_IF_ERROR(RunRemittance(day, p));
  }
  return absl::OkStatus();
}

// Every claim of the model against the server's view of it.
absl::Status Generator::Verify() {
  for (const Claim& claim : claims_) {
    absl::StatusOr<rcl::v1::ClaimView> view = sink_.GetClaim(claim.id);
    if (view.status().code() == absl::StatusCode::kUnimplemented) return absl::OkStatus();
    if (!view.ok()) {
      return absl::Status(view.status().code(),
                          absl::StrCat("demo: reading claim ", claim.id, ": ",
                                       view.status().message()));
    }
    const std::vector<std::pair<const char*, std::pair<int64_t, int64_t>>> checks = {
        {"payer_balance_cents", {claim.PayerBalance(), view->payer_balance_cents()}},
        {"patient_balance_cents", {claim.PatientBalance(), view->patient_balance_cents()}},
        {"payer_paid_cents", {claim.paid, view->payer_paid_cents()}},
        {"contractual_cents", {claim.contractual, view->contractual_cents()}},
        {"other_adjustment_cents", {claim.other, view->other_adjustment_cents()}},
        {"patient_responsibility_cents",
         {claim.patient_responsibility, view->patient_responsibility_cents()}},
        {"transferred_cents", {claim.transferred_out, view->transferred_cents()}},
        {"patient_paid_cents", {claim.patient_paid, view->patient_paid_cents()}},
        {"written_off_cents",
         {claim.WrittenOff(rcl::v1::BALANCE_SIDE_PAYER) +
              claim.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT),
          view->written_off_cents()}},
        {"denied_cents", {claim.denied, view->denied_cents()}},
        {"charge_cents", {claim.charge, view->charge_cents()}},
        {"frequency", {claim.frequency, view->frequency()}},
        {"rank", {claim.rank, view->rank()}},
    };
    for (const auto& [field, values] : checks) {
      if (values.first != values.second) {
        return absl::InternalError(absl::StrCat("demo: claim ", claim.id, " ", field, " is ",
                                                values.second, " on the server, ", values.first,
                                                " in the demo's model"));
      }
    }
    if (view->status() != StatusName(claim.status)) {
      return absl::InternalError(absl::StrCat("demo: claim ", claim.id, " status is ",
                                              view->status(), " on the server, ",
                                              StatusName(claim.status), " in the demo's model"));
    }
    ++summary_.claims_verified;
  }
  return absl::OkStatus();
}

void Generator::Summarize() {
  for (const Claim& c : claims_) {
    summary_.payer_paid_cents += c.paid;
    summary_.contractual_cents += c.contractual;
    summary_.other_adjustment_cents += c.other;
    summary_.patient_responsibility_cents += c.patient_responsibility;
    summary_.written_off_cents +=
        c.WrittenOff(rcl::v1::BALANCE_SIDE_PAYER) + c.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT);
    summary_.payer_balance_cents += c.PayerBalance();
    summary_.patient_balance_cents += c.PatientBalance();
  }
  for (const Patient& p : patients_) summary_.patient_credit_cents += p.credit_cents;
  summary_.positions_digest = absl::StrFormat("%016x", digest_);
}

absl::StatusOr<DemoSummary> Generator::Run() {
  summary_.seed = options_.seed;
  summary_.patients = options_.patients;
  summary_.days = options_.days;
  summary_.first_date = Date(first_day_);
  summary_.last_date = Date(options_.end);
  summary_.through_date = Date(last_day_);
  const int total_days = static_cast<int>(last_day_ - first_day_) + 1;
  Setup();
  RCL_RETURN_IF_ERROR(RegisterPatients());
  if (progress_) progress_(0, total_days, summary_.commands);
  int n = 0;
  for (absl::CivilDay day = first_day_; day <= last_day_; ++day) {
    RCL_RETURN_IF_ERROR(RunDay(day));
    if (progress_) progress_(++n, total_days, summary_.commands);
  }
  RCL_RETURN_IF_ERROR(Verify());
  Summarize();
  return summary_;
}

}  // namespace

absl::StatusOr<DemoSummary> RunDemo(const DemoOptions& options, DemoSink& sink,
                                    const DemoProgress& progress) {
  if (options.patients < 1 || options.patients > kPatientsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--patients: must be an integer from 1 to ", kPatientsMax));
  }
  if (options.days < 1 || options.days > kDaysMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--days: must be an integer from 1 to ", kDaysMax));
  }
  if (options.end.year() < 1901 || options.end.year() > 2190) {
    return absl::InvalidArgumentError("--end: out of range");
  }
  Generator generator(options, sink, progress);
  return generator.Run();
}

// ---------------------------------------------------------------------------
// The summary.

std::string DemoSummaryText(const DemoSummary& s) {
  std::string out = absl::StrCat(
      "demo seed=", s.seed, " patients=", s.patients, " days=", s.days, " dates of service ",
      s.first_date, "..", s.last_date, " (workflow through ", s.through_date, ")\n");
  absl::StrAppend(&out, "commands ", s.commands, "  positions ", s.first_position, "..",
                  s.last_position, "  digest ", s.positions_digest, "\n\n");
  absl::StrAppend(&out, "commands by type:\n");
  for (const auto& [kind, count] : s.commands_by_type) {
    absl::StrAppend(&out, absl::StrFormat("  %-28s %8d\n", kind, count));
  }
  const std::vector<std::pair<const char*, int64_t>> counts = {
      {"coverages", s.coverages},
      {"secondary coverages", s.secondary_coverages},
      {"encounters", s.encounters},
      {"charge lines", s.charge_lines},
      {"claims", s.claims},
      {"secondary claims", s.secondary_claims},
      {"replacement claims", s.replacement_claims},
      {"void claims", s.void_claims},
      {"rejections", s.rejections},
      {"remittances", s.remittances},
      {"adjudications", s.adjudications},
      {"denials", s.denials},
      {"appeals filed", s.appeals_filed},
      {"appeals overturned", s.appeals_overturned},
      {"appeals upheld", s.appeals_upheld},
      {"reversals", s.reversals},
      {"statements", s.statements},
      {"patient payments", s.patient_payments},
      {"refunds", s.refunds},
      {"write-offs", s.write_offs},
      {"claims verified", s.claims_verified},
  };
  absl::StrAppend(&out, "\ncounts:\n");
  for (const auto& [label, n] : counts) absl::StrAppend(&out, absl::StrFormat("  %-28s %8d\n", label, n));
  const std::vector<std::pair<const char*, int64_t>> money = {
      {"charges", s.charges_cents},
      {"remitted by payers", s.remitted_cents},
      {"payer payments", s.payer_paid_cents},
      {"contractual adjustments", s.contractual_cents},
      {"other adjustments", s.other_adjustment_cents},
      {"provider adjustments", s.provider_adjustment_cents},
      {"patient responsibility", s.patient_responsibility_cents},
      {"denied", s.denied_cents},
      {"patient payments", s.patient_payments_cents},
      {"refunds", s.refunds_cents},
      {"written off", s.written_off_cents},
      {"open payer AR", s.payer_balance_cents},
      {"open patient AR", s.patient_balance_cents},
      {"patient credit", s.patient_credit_cents},
  };
  absl::StrAppend(&out, "\nmoney:\n");
  for (const auto& [label, cents] : money) {
    absl::StrAppend(&out, absl::StrFormat("  %-28s %16s\n", label, FormatDollars(cents)));
  }
  return out;
}

std::string DemoSummaryJson(const DemoSummary& s) {
  rcl::cli::JsonWriter w;
  w.BeginObject();
  w.Key("seed").Uint(s.seed);
  w.Key("patients").Int(s.patients);
  w.Key("days").Int(s.days);
  w.Key("first_date").String(s.first_date);
  w.Key("last_date").String(s.last_date);
  w.Key("through_date").String(s.through_date);
  w.Key("commands").Int(s.commands);
  w.Key("commands_by_type").BeginObject();
  for (const auto& [kind, count] : s.commands_by_type) w.Key(kind).Int(count);
  w.EndObject();
  w.Key("first_position").Uint(s.first_position);
  w.Key("last_position").Uint(s.last_position);
  w.Key("positions_digest").String(s.positions_digest);
  const std::vector<std::pair<const char*, int64_t>> fields = {
      {"coverages", s.coverages},
      {"secondary_coverages", s.secondary_coverages},
      {"encounters", s.encounters},
      {"charge_lines", s.charge_lines},
      {"claims", s.claims},
      {"secondary_claims", s.secondary_claims},
      {"replacement_claims", s.replacement_claims},
      {"void_claims", s.void_claims},
      {"rejections", s.rejections},
      {"remittances", s.remittances},
      {"adjudications", s.adjudications},
      {"denials", s.denials},
      {"appeals_filed", s.appeals_filed},
      {"appeals_overturned", s.appeals_overturned},
      {"appeals_upheld", s.appeals_upheld},
      {"reversals", s.reversals},
      {"statements", s.statements},
      {"patient_payments", s.patient_payments},
      {"refunds", s.refunds},
      {"write_offs", s.write_offs},
      {"claims_verified", s.claims_verified},
      {"charges_cents", s.charges_cents},
      {"remitted_cents", s.remitted_cents},
      {"payer_paid_cents", s.payer_paid_cents},
      {"contractual_cents", s.contractual_cents},
      {"other_adjustment_cents", s.other_adjustment_cents},
      {"provider_adjustment_cents", s.provider_adjustment_cents},
      {"patient_responsibility_cents", s.patient_responsibility_cents},
      {"denied_cents", s.denied_cents},
      {"patient_payments_cents", s.patient_payments_cents},
      {"refunds_cents", s.refunds_cents},
      {"written_off_cents", s.written_off_cents},
      {"payer_balance_cents", s.payer_balance_cents},
      {"patient_balance_cents", s.patient_balance_cents},
      {"patient_credit_cents", s.patient_credit_cents},
  };
  for (const auto& [key, value] : fields) w.Key(key).Int(value);
  w.EndObject();
  return w.str();
}

}  // namespace rcl::demo
