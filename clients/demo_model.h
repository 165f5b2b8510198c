// The demo's model (internal to rcl::demo; demo.h is the interface): the
// reference data of the practice (payers, procedures and their fees, names,
// rejection reasons) and the generator's model of what it has sent: patients
// with their coverages, encounters with their charge lines, and claims with
// the balances the ledger keeps for them, folded the way the ledger folds
// them (see demo_rules.cc). Plus the few ledger rules the model needs as
// plain functions: what a denied line is, a line's patient share.
//
// One Generator (demo_generator.h) owns one model per run, on the calling
// thread.
#ifndef RCL_CLIENTS_DEMO_MODEL_H_
#define RCL_CLIENTS_DEMO_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"

namespace rcl::demo::internal {

using rcl::v1::Command;

// "2024-03-01".
std::string Date(absl::CivilDay day);
// n zero-padded to `width` digits.
std::string Pad(int64_t n, int width);

// --- Reference data ----------------------------------------------------------

struct PayerInfo {
  const char* id;
  const char* name;
  int allowed_low_pct;  // allowed amount as a share of the charge
  int allowed_high_pct;
  absl::Weekday remit_day;
  rcl::v1::PaymentMethod method;
};

inline constexpr int kPayerCount = 4;
inline constexpr int kMedicare = 3;
inline constexpr PayerInfo kPayers[kPayerCount] = {
    {"87726", "UNITEDHEALTHCARE", 62, 80, absl::Weekday::tuesday, rcl::v1::PAYMENT_METHOD_ACH},
    {"60054", "AETNA", 60, 78, absl::Weekday::wednesday, rcl::v1::PAYMENT_METHOD_ACH},
    {"62308", "CIGNA", 58, 76, absl::Weekday::thursday, rcl::v1::PAYMENT_METHOD_CHK},
    {"00901", "MEDICARE PART B", 55, 65, absl::Weekday::friday, rcl::v1::PAYMENT_METHOD_ACH},
};

enum Proc {
  k99212,
  k99213,
  k99214,
  k99215,
  k36415,
  k85025,
  k80053,
  k93000,
  k71046,
  k20610,
  kJ3301,
  k90471,
  k90686,
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

inline constexpr ProcedureInfo kProcedures[kProcCount] = {
    {"99212", false, 9500, 1, true, false},  {"99213", false, 15000, 1, true, false},
    {"99214", false, 22000, 1, true, false}, {"99215", false, 31000, 1, true, false},
    {"36415", false, 1200, 1, false, false}, {"85025", false, 2800, 1, false, false},
    {"80053", false, 4500, 1, false, false}, {"93000", false, 6500, 1, false, true},
    {"71046", false, 9500, 1, false, false}, {"20610", false, 18000, 1, false, true},
    {"J3301", true, 3200, 4, false, false},  {"90471", false, 2500, 1, false, true},
    {"90686", false, 3500, 1, false, false},
};

inline constexpr const char* kFamilyNames[] = {
    "SMITH",     "JOHNSON",  "WILLIAMS",  "BROWN",   "JONES",    "GARCIA",   "MILLER",   "DAVIS",
    "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ",   "GONZALEZ", "WILSON",   "ANDERSON", "THOMAS",
    "TAYLOR",    "MOORE",    "JACKSON",   "MARTIN",  "LEE",      "PEREZ",    "THOMPSON", "WHITE",
    "HARRIS",    "SANCHEZ",  "CLARK",     "RAMIREZ", "LEWIS",    "ROBINSON", "WALKER",   "YOUNG"};
inline constexpr const char* kGivenNames[] = {
    "JAMES",   "MARY",      "ROBERT",  "PATRICIA", "JOHN",    "JENNIFER", "MICHAEL", "LINDA",
    "DAVID",   "ELIZABETH", "WILLIAM", "BARBARA",  "RICHARD", "SUSAN",    "JOSEPH",  "JESSICA",
    "THOMAS",  "SARAH",     "CARLOS",  "KAREN",    "DANIEL",  "NANCY",    "MATTHEW", "LISA",
    "ANTHONY", "BETTY",     "MARK",    "MARGARET", "DONALD",  "SANDRA",   "STEVEN",  "ASHLEY"};

inline constexpr const char* kRejectionReasons[] = {
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
  kCreated,
  kScrubFailed,
  kReady,
  kSubmitted,
  kAccepted,
  kRejected,
  kAdjudicated,
  kDenied,
  kReplaced,
  kVoided
};

const char* StatusName(Status s);

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
  int transfer_claim = -1;          // the next payer's claim the patient share moved to
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
bool LineDenied(const rcl::v1::LineAdjudication& line, rcl::v1::ClaimPaymentStatus status);

// Adds an adjustment to `line` (none when `cents` is 0).
void AddAdjustment(rcl::v1::LineAdjudication* line, rcl::v1::AdjustmentGroup group,
                   const char* reason, int64_t cents, const char* remark = "");

// The patient's share of a line: its PR adjustments.
int64_t PatientShare(const rcl::v1::LineAdjudication& line);

}  // namespace rcl::demo::internal

#endif  // RCL_CLIENTS_DEMO_MODEL_H_
