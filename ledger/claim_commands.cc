// Claims to cash: deciding claim, remittance, appeal and patient-account
// commands. Every financial event carries balanced postings (PRODUCT.md
// section 3); business rules are FAILED_PRECONDITION with nothing written.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/commands.h"
#include "ledger/money.h"
#include "ledger/postings.h"
#include "ledger/status.h"
#include "ledger/validation.h"

namespace rcl::ledger {
namespace {

using rcl::v1::Command;

constexpr char kArUnbilled[] = "ar:unbilled";
constexpr char kCashPayer[] = "cash:payer";
constexpr char kCashPatient[] = "cash:patient";
constexpr char kContractual[] = "contra:contractual";
constexpr char kOtherAdjustments[] = "contra:other_adjustments";
constexpr char kSuspense[] = "suspense:unapplied";
constexpr char kInterest[] = "income:interest";

std::string PayerAr(const std::string& payer_id) { return absl::StrCat("ar:payer:", payer_id); }
std::string PatientAr(const std::string& patient_id) { return absl::StrCat("ar:patient:", patient_id); }

absl::Status Rule(std::string message) { return absl::FailedPreconditionError(std::move(message)); }

std::string Cents(int64_t cents) { return FormatCents(cents); }

// Accumulates Dr/Cr moves and emits them merged by account.
class PostingBuilder {
 public:
  void Move(const std::string& debit, const std::string& credit, int64_t amount_cents) {
    if (amount_cents == 0) return;
    sums_[debit] += amount_cents;
    sums_[credit] -= amount_cents;
  }
  void AddNegationOf(const std::vector<std::pair<std::string, int64_t>>& postings) {
    for (const auto& [account, amount] : postings) sums_[account] -= amount;
  }
  void To(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* out) const {
    for (const auto& [account, amount] : sums_) {
      if (amount == 0) continue;
      auto* p = out->Add();
      p->set_account(account);
      p->set_amount_cents(amount);
    }
  }

 private:
  std::map<std::string, int64_t> sums_;
};

template <typename T>
absl::StatusOr<const T*> GetAs(StateView& view, const std::string& stream, const std::string& what) {
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  const T* t = std::get_if<T>(&s->aggregate);
  if (!s->exists() || t == nullptr) return Rule(absl::StrCat(what, " does not exist"));
  return t;
}

absl::StatusOr<const ClaimState*> GetClaim(StateView& view, const std::string& id) {
  return GetAs<ClaimState>(view, ClaimStream(id), absl::StrCat("claim ", id));
}
absl::StatusOr<const PatientState*> GetPatient(StateView& view, const std::string& id) {
  return GetAs<PatientState>(view, PatientStream(id), absl::StrCat("patient ", id));
}
absl::StatusOr<const RemittanceState*> GetRemit(StateView& view, const std::string& id) {
  return GetAs<RemittanceState>(view, RemitStream(id), absl::StrCat("remittance ", id));
}

absl::Status MustNotExist(StateView& view, const std::string& stream, const std::string& what) {
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  if (s->exists()) return Rule(absl::StrCat(what, " already exists"));
  return absl::OkStatus();
}

absl::Status MustBeOpen(const ClaimState& c) {
  if (c.Closed()) {
    return Rule(absl::StrCat("claim ", c.claim_id, " is ", AbslView(ClaimStatusName(c.status))));
  }
  return absl::OkStatus();
}

// A claim's lines as the payer sees them, copied from another claim.
void CopyLines(const ClaimState& from, rcl::v1::ClaimCreated* to) {
  for (const auto& [n, line] : from.lines) *to->add_lines() = line.line;
  for (const auto& d : from.diagnoses) to->add_diagnoses(d);
}

void FillFrom(const ClaimState& from, rcl::v1::ClaimCreated* e) {
  e->set_encounter_id(from.encounter_id);
  e->set_patient_id(from.patient_id);
  e->set_date_of_service(from.date_of_service);
  e->set_billing_npi(from.billing_npi);
  e->set_rendering_npi(from.rendering_npi);
  e->set_charge_cents(from.charge_cents);
  CopyLines(from, e);
}

absl::Status EmitClaimLinks(Decision* d, const rcl::v1::ClaimCreated& created) {
  rcl::v1::EncounterClaimed ec;
  ec.set_encounter_id(created.encounter_id());
  ec.set_claim_id(created.claim_id());
  ec.set_coverage_id(created.coverage_id());
  ec.set_frequency(created.frequency());
  RCL_RETURN_IF_ERROR(EmitEvent(d, EncounterStream(created.encounter_id()), ec, created.date_of_service()));
  rcl::v1::PatientClaimLinked pl;
  pl.set_patient_id(created.patient_id());
  pl.set_claim_id(created.claim_id());
  pl.set_date_of_service(created.date_of_service());
  return EmitEvent(d, PatientStream(created.patient_id()), pl, created.date_of_service());
}

// --- Claims -----------------------------------------------------------------

absl::StatusOr<Decision> DecideCreateClaim(const rcl::v1::CreateClaim& c, StateView& view) {
  RCL_RETURN_IF_ERROR(MustNotExist(view, ClaimStream(c.claim_id()), absl::StrCat("claim ", c.claim_id())));
  RCL_ASSIGN_OR_RETURN(const EncounterState* enc,
                       GetAs<EncounterState>(view, EncounterStream(c.encounter_id()),
                                             absl::StrCat("encounter ", c.encounter_id())));
  if (!enc->coding_complete) {
    return Rule(absl::StrCat("encounter ", c.encounter_id(), " has not completed coding; a claim needs coded charges"));
  }
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, enc->patient_id));
  auto cov = patient->coverages.find(c.coverage_id());
  if (cov == patient->coverages.end()) {
    return Rule(absl::StrCat("coverage ", c.coverage_id(), " is not a coverage of the encounter's patient"));
  }
  for (const auto& [claim_id, billing] : enc->claims) {
    if (billing.second == 8) continue;  // void claims bill nothing
    RCL_ASSIGN_OR_RETURN(const ClaimState* other, GetClaim(view, claim_id));
    if (!other->Closed()) {
      return Rule(absl::StrCat("encounter ", c.encounter_id(), " is already billed on claim ", claim_id));
    }
  }
  rcl::v1::ClaimCreated e;
  e.set_claim_id(c.claim_id());
  e.set_encounter_id(c.encounter_id());
  e.set_patient_id(enc->patient_id);
  e.set_coverage_id(c.coverage_id());
  e.set_payer_id(cov->second.payer_id);
  e.set_rank(cov->second.rank);
  e.set_frequency(1);
  e.set_date_of_service(enc->date_of_service);
  e.set_billing_npi(enc->billing_npi);
  e.set_rendering_npi(enc->rendering_npi);
  for (const auto& dx : enc->diagnoses) e.add_diagnoses(dx);
  int64_t charge = 0;
  for (const auto& [number, line] : enc->lines) {
    if (line.voided) continue;
    auto* l = e.add_lines();
    l->set_line_number(number);
    l->set_code_system(line.code_system);
    l->set_procedure_code(line.procedure_code);
    for (const auto& m : line.modifiers) l->add_modifiers(m);
    l->set_units(line.units);
    l->set_charge_cents(line.amount_cents);
    for (int p : line.diagnosis_pointers) l->add_diagnosis_pointers(p);
    charge += line.amount_cents;
  }
  e.set_charge_cents(charge);
  e.set_opening_balance_cents(charge);
  PostingBuilder pb;
  pb.Move(PayerAr(cov->second.payer_id), kArUnbilled, charge);
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, enc->date_of_service));
  RCL_RETURN_IF_ERROR(EmitClaimLinks(&d, e));
  return d;
}

absl::StatusOr<Decision> DecideScrubClaim(const rcl::v1::ScrubClaim& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(MustBeOpen(*claim));
  if (claim->status != ClaimStatus::kCreated && claim->status != ClaimStatus::kScrubFailed &&
      claim->status != ClaimStatus::kReady && claim->status != ClaimStatus::kRejected) {
    return Rule(absl::StrCat("claim ", c.claim_id(), " is ", AbslView(ClaimStatusName(claim->status)),
                             "; only unsubmitted or rejected claims are scrubbed"));
  }
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, claim->patient_id));
  rcl::v1::ClaimScrubbed e;
  e.set_claim_id(c.claim_id());
  auto edit = [&](std::string code, std::string message, int line) {
    auto* x = e.add_edits();
    x->set_code(std::move(code));
    x->set_message(std::move(message));
    x->set_line_number(line);
  };
  for (const char* check : {"DIAGNOSIS_PRESENT", "LINE_PRESENT", "POINTERS_VALID", "DUPLICATE_LINE", "CODE_FORMAT",
                            "MODIFIER_FORMAT", "UNITS_POSITIVE", "COVERAGE_ACTIVE", "NPI_VALID", "CHARGE_POSITIVE"}) {
    e.add_checks(check);
  }
  if (claim->diagnoses.empty()) edit("DIAGNOSIS_PRESENT", "the claim has no diagnosis", 0);
  if (claim->lines.empty()) edit("LINE_PRESENT", "the claim has no service line", 0);
  std::map<std::string, int> seen_lines;
  for (const auto& [number, view_line] : claim->lines) {
    const rcl::v1::ClaimLine& line = view_line.line;
    if (line.diagnosis_pointers().empty()) edit("POINTERS_VALID", "line has no diagnosis pointer", number);
    for (int p : line.diagnosis_pointers()) {
      if (p < 1 || static_cast<size_t>(p) > claim->diagnoses.size()) {
        edit("POINTERS_VALID", absl::StrCat("pointer ", p, " does not point at a diagnosis"), number);
      }
    }
    std::string key = line.procedure_code();
    for (const auto& m : line.modifiers()) absl::StrAppend(&key, ":", m);
    if (auto [it, inserted] = seen_lines.emplace(key, number); !inserted) {
      edit("DUPLICATE_LINE", absl::StrCat("same code and modifiers as line ", it->second), number);
    }
    bool code_ok = line.code_system() == rcl::v1::PROCEDURE_CODE_SYSTEM_CPT ? IsValidCpt(line.procedure_code())
                                                                            : IsValidHcpcs(line.procedure_code());
    if (!code_ok) edit("CODE_FORMAT", "procedure code is not a valid CPT or HCPCS code", number);
    if (line.modifiers_size() > kModifiersPerLineMax) edit("MODIFIER_FORMAT", "more than 4 modifiers", number);
    for (const auto& m : line.modifiers()) {
      if (!IsValidModifier(m)) edit("MODIFIER_FORMAT", "modifier is not 2 alphanumerics", number);
    }
    if (line.units() <= 0) edit("UNITS_POSITIVE", "units must be greater than zero", number);
    if (line.charge_cents() <= 0) edit("CHARGE_POSITIVE", "charge must be greater than zero", number);
  }
  auto cov = patient->coverages.find(claim->coverage_id);
  if (cov == patient->coverages.end() || cov->second.effective_from > claim->date_of_service ||
      (!cov->second.effective_to.empty() && cov->second.effective_to < claim->date_of_service)) {
    edit("COVERAGE_ACTIVE", "the coverage is not in force on the date of service", 0);
  }
  if (!IsValidNpi(claim->billing_npi)) edit("NPI_VALID", "billing NPI fails the check digit", 0);
  if (!IsValidNpi(claim->rendering_npi)) edit("NPI_VALID", "rendering NPI fails the check digit", 0);
  e.set_passed(e.edits_size() == 0);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, ""));
  return d;
}

absl::StatusOr<Decision> DecideSubmitClaim(const rcl::v1::SubmitClaim& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(MustBeOpen(*claim));
  switch (claim->status) {
    case ClaimStatus::kReady: break;
    case ClaimStatus::kCreated:
    case ClaimStatus::kScrubFailed:
      return Rule(absl::StrCat("claim ", c.claim_id(), " must pass scrubbing before submission"));
    case ClaimStatus::kRejected:
      return Rule(absl::StrCat("claim ", c.claim_id(), " was rejected; correct it and scrub it again before resubmitting"));
    default:
      return Rule(absl::StrCat("claim ", c.claim_id(), " was already submitted; it can be submitted again only after a rejection"));
  }
  rcl::v1::ClaimSubmitted e;
  e.set_claim_id(c.claim_id());
  e.set_batch_id(c.batch_id());
  e.set_submission_number(claim->submissions + 1);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, ""));
  return d;
}

absl::StatusOr<Decision> DecideAcknowledgeClaim(const rcl::v1::AcknowledgeClaim& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  if (claim->status != ClaimStatus::kSubmitted) {
    return Rule(absl::StrCat("claim ", c.claim_id(), " is ", AbslView(ClaimStatusName(claim->status)),
                             "; only a submitted claim is acknowledged"));
  }
  rcl::v1::ClaimAcknowledged e;
  e.set_claim_id(c.claim_id());
  e.set_accepted(c.accepted());
  e.set_reason(c.reason());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, ""));
  return d;
}

absl::StatusOr<Decision> DecideReplaceOrVoid(const std::string& claim_id, const std::string& original_id,
                                             const std::string& pcn, bool replace, StateView& view) {
  RCL_RETURN_IF_ERROR(MustNotExist(view, ClaimStream(claim_id), absl::StrCat("claim ", claim_id)));
  RCL_ASSIGN_OR_RETURN(const ClaimState* original, GetClaim(view, original_id));
  RCL_RETURN_IF_ERROR(MustBeOpen(*original));
  if (original->submissions == 0) {
    return Rule(absl::StrCat("claim ", original_id, " was never submitted; change it instead of replacing or voiding it"));
  }
  if (original->frequency == 8) return Rule(absl::StrCat("claim ", original_id, " is a void claim"));
  int64_t balance = original->PayerBalance();
  rcl::v1::ClaimCreated e;
  e.set_claim_id(claim_id);
  e.set_coverage_id(original->coverage_id);
  e.set_payer_id(original->payer_id);
  e.set_rank(original->rank);
  e.set_frequency(replace ? 7 : 8);
  e.set_original_claim_id(original_id);
  e.set_payer_claim_number(pcn);
  FillFrom(*original, &e);
  e.set_opening_balance_cents(replace ? balance : 0);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(claim_id), e, original->date_of_service));
  if (replace) {
    rcl::v1::ClaimReplaced r;
    r.set_claim_id(original_id);
    r.set_replacement_claim_id(claim_id);
    r.set_moved_cents(balance);
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(original_id), r, ""));
  } else {
    rcl::v1::ClaimVoided v;
    v.set_claim_id(original_id);
    v.set_void_claim_id(claim_id);
    v.set_returned_cents(balance);
    PostingBuilder pb;
    pb.Move(kArUnbilled, PayerAr(original->payer_id), balance);
    pb.To(v.mutable_postings());
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(original_id), v, ""));
  }
  RCL_RETURN_IF_ERROR(EmitClaimLinks(&d, e));
  return d;
}

// --- Remittances and adjudication --------------------------------------------

absl::StatusOr<Decision> DecideRecordRemittance(const rcl::v1::RecordRemittance& c, StateView& view) {
  RCL_RETURN_IF_ERROR(MustNotExist(view, RemitStream(c.remit_id()), absl::StrCat("remittance ", c.remit_id())));
  std::string guard = RemitTraceStream(c.payer_id(), c.trace_number());
  RCL_ASSIGN_OR_RETURN(const StreamState* g, view.Get(guard));
  if (g->exists()) {
    const auto* owner = std::get_if<GuardState>(&g->aggregate);
    return Rule(absl::StrCat("payer ", c.payer_id(), " trace ", c.trace_number(), " was already posted as remittance ",
                             owner == nullptr ? "" : owner->owner));
  }
  rcl::v1::RemittanceRecorded e;
  e.set_remit_id(c.remit_id());
  e.set_payer_id(c.payer_id());
  e.set_trace_number(c.trace_number());
  e.set_method(c.method());
  e.set_total_cents(c.total_cents());
  e.set_paid_date(c.paid_date());
  rcl::v1::RemittanceTraceClaimed t;
  t.set_payer_id(c.payer_id());
  t.set_trace_number(c.trace_number());
  t.set_remit_id(c.remit_id());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, RemitStream(c.remit_id()), e, c.paid_date()));
  RCL_RETURN_IF_ERROR(EmitEvent(&d, guard, t, c.paid_date()));
  return d;
}

// The reversal of the adjudication in force: negated postings, transfers
// taken back, the remittance's posted total corrected.
absl::Status EmitReversal(Decision* d, const ClaimState& claim, const std::string& remit_id, bool superseded,
                          const std::string& effective_date) {
  const AdjudicationState& a = *claim.adjudication;
  rcl::v1::ClaimAdjudicationReversed r;
  r.set_claim_id(claim.claim_id);
  r.set_remit_id(remit_id);
  r.set_reversed_remit_id(a.remit_id);
  r.set_superseded(superseded);
  r.set_paid_cents(a.paid_cents);
  r.set_contractual_cents(a.contractual_cents);
  r.set_other_adjustment_cents(a.other_adjustment_cents);
  r.set_patient_responsibility_cents(a.patient_responsibility_cents);
  r.set_transfer_claim_id(a.transfer_claim_id);
  PostingBuilder pb;
  pb.AddNegationOf(a.postings);
  pb.To(r.mutable_postings());
  RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(claim.claim_id), r, effective_date));
  if (!a.transfer_claim_id.empty() && a.patient_responsibility_cents != 0) {
    rcl::v1::ClaimBalanceTransferred t;
    t.set_claim_id(a.transfer_claim_id);
    t.set_from_claim_id(claim.claim_id);
    t.set_amount_cents(-a.patient_responsibility_cents);
    RCL_RETURN_IF_ERROR(EmitEvent(d, ClaimStream(a.transfer_claim_id), t, effective_date));
  }
  if (a.paid_cents != 0) {
    rcl::v1::RemittanceClaimPosted p;
    p.set_remit_id(remit_id);
    p.set_claim_id(claim.claim_id);
    p.set_paid_cents(-a.paid_cents);
    RCL_RETURN_IF_ERROR(EmitEvent(d, RemitStream(remit_id), p, effective_date));
  }
  return absl::OkStatus();
}

absl::Status CheckAdjudicatable(const ClaimState& claim) {
  RCL_RETURN_IF_ERROR(MustBeOpen(claim));
  switch (claim.status) {
    case ClaimStatus::kSubmitted:
    case ClaimStatus::kAccepted:
    case ClaimStatus::kAdjudicated:
    case ClaimStatus::kDenied:
      return absl::OkStatus();
    default:
      return Rule(absl::StrCat("claim ", claim.claim_id, " is ", AbslView(ClaimStatusName(claim.status)),
                               "; only a submitted claim is adjudicated"));
  }
}

absl::StatusOr<const RemittanceState*> GetPayersRemit(StateView& view, const std::string& remit_id,
                                                      const ClaimState& claim) {
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetRemit(view, remit_id));
  if (remit->payer_id != claim.payer_id) {
    return Rule(absl::StrCat("remittance ", remit_id, " is from payer ", remit->payer_id, " but claim ", claim.claim_id,
                             " is billed to payer ", claim.payer_id));
  }
  return remit;
}

// The claim that receives this claim's patient responsibility for the next
// coverage: the one created earlier for that same coverage, else a new id
// "<claim>-<rank>" (or "<claim>-<rank>.<n>" when that id is taken, e.g. by
// an unrelated claim or by a claim for a coverage no longer in force).
absl::StatusOr<std::string> NextPayerClaimId(StateView& view, const ClaimState& claim, const CoverageState& next) {
  if (!claim.next_claim_id.empty()) {
    RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(ClaimStream(claim.next_claim_id)));
    const auto* existing = std::get_if<ClaimState>(&s->aggregate);
    if (existing != nullptr && existing->original_claim_id == claim.claim_id &&
        existing->coverage_id == next.coverage_id && !existing->Closed()) {
      return claim.next_claim_id;
    }
  }
  constexpr int kCandidatesMax = 20;
  std::string base = absl::StrCat(claim.claim_id, "-", claim.rank + 1);
  for (int n = 1; n <= kCandidatesMax; ++n) {
    std::string id = n == 1 ? base : absl::StrCat(base, ".", n);
    if (!IsValidId(id)) break;
    RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(ClaimStream(id)));
    if (!s->exists()) return id;
  }
  return Rule(absl::StrCat("no free id to name the next-payer claim of claim ", claim.claim_id));
}

absl::StatusOr<Decision> DecideAdjudicate(const rcl::v1::AdjudicateClaim& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(CheckAdjudicatable(*claim));
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetPayersRemit(view, c.remit_id(), *claim));
  const std::string payer_ar = PayerAr(claim->payer_id);
  const bool predetermination = c.status() == rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION;

  rcl::v1::ClaimAdjudicated e;
  e.set_claim_id(c.claim_id());
  e.set_remit_id(c.remit_id());
  e.set_payer_id(claim->payer_id);
  e.set_payer_claim_number(c.payer_claim_number());
  e.set_status(c.status());
  e.set_paid_date(remit->paid_date);
  *e.mutable_lines() = c.lines();
  *e.mutable_claim_adjustments() = c.claim_adjustments();

  int64_t paid = 0, contractual = 0, other = 0, pr = 0, denied = 0;
  PostingBuilder pb;
  auto adjust = [&](const rcl::v1::Adjustment& adj, bool held) {
    int64_t amount = adj.amount_cents();
    if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_PR) {
      pr += amount;
    } else if (held) {
      denied += amount;  // a denial keeps the amount in payer AR
    } else if (adj.group() == rcl::v1::ADJUSTMENT_GROUP_CO) {
      contractual += amount;
      pb.Move(kContractual, payer_ar, amount);
    } else {
      other += amount;
      pb.Move(kOtherAdjustments, payer_ar, amount);
    }
  };
  for (const auto& line : c.lines()) {
    auto it = claim->lines.find(line.line_number());
    if (it == claim->lines.end()) {
      return Rule(absl::StrCat("line ", line.line_number(), " does not belong to claim ", c.claim_id()));
    }
    int64_t charge = it->second.line.charge_cents();
    int64_t adjustments = 0;
    for (const auto& adj : line.adjustments()) adjustments += adj.amount_cents();
    if (line.paid_cents() <= charge && line.paid_cents() + adjustments > charge) {
      return Rule(absl::StrCat("payments plus adjustments on line ", line.line_number(), " (",
                               Cents(line.paid_cents() + adjustments), ") exceed its charge (", Cents(charge), ")"));
    }
    if (line.paid_cents() > charge && adjustments > 0) {
      return Rule(absl::StrCat("line ", line.line_number(), " is overpaid and also adjusted down"));
    }
    bool held = LineDenied(line, c.status());
    paid += line.paid_cents();
    pb.Move(kCashPayer, payer_ar, line.paid_cents());
    for (const auto& adj : line.adjustments()) adjust(adj, held);
  }
  bool claim_denied_status = c.status() == rcl::v1::CLAIM_PAYMENT_STATUS_DENIED;
  for (const auto& adj : c.claim_adjustments()) adjust(adj, claim_denied_status);
  bool is_denial = claim_denied_status || (paid == 0 && denied > 0);

  Decision d;
  const std::string& date = remit->paid_date;
  if (predetermination) {
    // Nothing moves and nothing is superseded; only the decision is recorded.
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, date));
    return d;
  }
  if (claim->adjudication.has_value()) {
    // A later adjudication supersedes the one in force: reverse it first.
    RCL_RETURN_IF_ERROR(EmitReversal(&d, *claim, c.remit_id(), true, date));
  }

  // Patient responsibility moves to the next coverage in force, or to the patient.
  rcl::v1::ClaimCreated next_claim;
  bool create_next = false;
  if (pr != 0) {
    RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, claim->patient_id));
    const CoverageState* next = claim->rank < 3 ? patient->CoverageOn(claim->rank + 1, claim->date_of_service) : nullptr;
    if (next != nullptr) {
      RCL_ASSIGN_OR_RETURN(std::string next_id, NextPayerClaimId(view, *claim, *next));
      RCL_ASSIGN_OR_RETURN(const StreamState* existing, view.Get(ClaimStream(next_id)));
      if (!existing->exists()) {
        create_next = true;
        next_claim.set_claim_id(next_id);
        next_claim.set_coverage_id(next->coverage_id);
        next_claim.set_payer_id(next->payer_id);
        next_claim.set_rank(next->rank);
        next_claim.set_frequency(1);
        next_claim.set_original_claim_id(c.claim_id());
        FillFrom(*claim, &next_claim);
        next_claim.set_opening_balance_cents(0);
      }
      e.set_transfer_claim_id(next_id);
      e.set_transfer_payer_id(next->payer_id);
      pb.Move(PayerAr(next->payer_id), payer_ar, pr);
    } else {
      pb.Move(PatientAr(claim->patient_id), payer_ar, pr);
    }
  }
  e.set_paid_cents(paid);
  e.set_contractual_cents(contractual);
  e.set_other_adjustment_cents(other);
  e.set_patient_responsibility_cents(pr);
  e.set_denied_cents(denied);
  e.set_denied(is_denial);
  pb.To(e.mutable_postings());
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, date));
  if (!e.transfer_claim_id().empty()) {
    if (create_next) {
      RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(next_claim.claim_id()), next_claim, claim->date_of_service));
      RCL_RETURN_IF_ERROR(EmitClaimLinks(&d, next_claim));
    }
    rcl::v1::ClaimBalanceTransferred t;
    t.set_claim_id(e.transfer_claim_id());
    t.set_from_claim_id(c.claim_id());
    t.set_amount_cents(pr);
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(e.transfer_claim_id()), t, date));
  }
  if (paid != 0) {
    rcl::v1::RemittanceClaimPosted p;
    p.set_remit_id(c.remit_id());
    p.set_claim_id(c.claim_id());
    p.set_paid_cents(paid);
    RCL_RETURN_IF_ERROR(EmitEvent(&d, RemitStream(c.remit_id()), p, date));
  }
  return d;
}

absl::StatusOr<Decision> DecideReverse(const rcl::v1::ReverseAdjudication& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  if (!claim->adjudication.has_value()) {
    return Rule(absl::StrCat("claim ", c.claim_id(), " has no adjudication in force to reverse"));
  }
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetPayersRemit(view, c.remit_id(), *claim));
  Decision d;
  RCL_RETURN_IF_ERROR(EmitReversal(&d, *claim, c.remit_id(), false, remit->paid_date));
  return d;
}

absl::StatusOr<Decision> DecideProviderAdjustment(const rcl::v1::RecordProviderAdjustment& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const RemittanceState* remit, GetRemit(view, c.remit_id()));
  // Interest is income; everything else (recoupments, forward balances, ...)
  // waits in suspense until a biller applies it to the claims it concerns.
  std::string account = c.reason_code() == "L6" ? kInterest : kSuspense;
  rcl::v1::ProviderAdjustmentRecorded e;
  e.set_remit_id(c.remit_id());
  e.set_reason_code(c.reason_code());
  e.set_amount_cents(c.amount_cents());
  e.set_reference(c.reference());
  // A positive amount reduces the payment: the payer kept it.
  PostingBuilder pb;
  pb.Move(account, kCashPayer, c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, RemitStream(c.remit_id()), e, remit->paid_date));
  return d;
}

// --- After the payer ----------------------------------------------------------

absl::StatusOr<Decision> DecideAdjustClaim(const rcl::v1::AdjustClaim& c, StateView& view) {
  // Closed (replaced, voided) claims may still be adjusted: a payer reversal
  // can leave a balance on them that a biller must be able to clear.
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  if (c.amount_cents() > claim->PayerBalance()) {
    return Rule(absl::StrCat("adjustment of ", Cents(c.amount_cents()), " exceeds the payer balance of claim ",
                             c.claim_id(), " (", Cents(claim->PayerBalance()), ")"));
  }
  rcl::v1::ClaimAdjusted e;
  e.set_claim_id(c.claim_id());
  e.set_group(c.group());
  e.set_reason_code(c.reason_code());
  e.set_amount_cents(c.amount_cents());
  e.set_note(c.note());
  PostingBuilder pb;
  pb.Move(c.group() == rcl::v1::ADJUSTMENT_GROUP_CO ? kContractual : kOtherAdjustments, PayerAr(claim->payer_id),
          c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, ""));
  return d;
}

std::string WriteOffReasonName(rcl::v1::WriteOffReason r) {
  switch (r) {
    case rcl::v1::WRITE_OFF_REASON_CONTRACTUAL: return "contractual";
    case rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE: return "small_balance";
    case rcl::v1::WRITE_OFF_REASON_BAD_DEBT: return "bad_debt";
    case rcl::v1::WRITE_OFF_REASON_CHARITY: return "charity";
    case rcl::v1::WRITE_OFF_REASON_TIMELY_FILING: return "timely_filing";
    case rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE: return "administrative";
    default: return "other";
  }
}

absl::StatusOr<Decision> DecideWriteOff(const rcl::v1::WriteOffClaim& c, StateView& view) {
  // Allowed on closed claims too, so that what is left on them can be cleared.
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  rcl::v1::BalanceSide side = c.side();
  if (side == rcl::v1::BALANCE_SIDE_UNSPECIFIED) {
    bool payer_reason = c.reason() == rcl::v1::WRITE_OFF_REASON_CONTRACTUAL ||
                        c.reason() == rcl::v1::WRITE_OFF_REASON_TIMELY_FILING ||
                        c.reason() == rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE;
    side = payer_reason ? rcl::v1::BALANCE_SIDE_PAYER : rcl::v1::BALANCE_SIDE_PATIENT;
  }
  bool patient_side = side == rcl::v1::BALANCE_SIDE_PATIENT;
  int64_t balance = patient_side ? claim->PatientBalance() : claim->PayerBalance();
  if (c.amount_cents() > balance) {
    return Rule(absl::StrCat("write-off of ", Cents(c.amount_cents()), " exceeds the ",
                             patient_side ? "patient" : "payer", " balance of claim ", c.claim_id(), " (",
                             Cents(balance), ")"));
  }
  rcl::v1::ClaimWrittenOff e;
  e.set_claim_id(c.claim_id());
  e.set_reason(c.reason());
  e.set_side(side);
  e.set_amount_cents(c.amount_cents());
  e.set_note(c.note());
  PostingBuilder pb;
  pb.Move(absl::StrCat("writeoff:", WriteOffReasonName(c.reason())),
          patient_side ? PatientAr(claim->patient_id) : PayerAr(claim->payer_id), c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, ""));
  return d;
}

std::string DateOrToday(const std::string& date, const StateView& view) {
  return date.empty() ? FormatCivilDate(view.Today()) : date;
}

absl::StatusOr<Decision> DecideFileAppeal(const rcl::v1::FileAppeal& c, StateView& view) {
  const std::string filed = DateOrToday(c.filed_date(), view);
  RCL_RETURN_IF_ERROR(MustNotExist(view, AppealStream(c.appeal_id()), absl::StrCat("appeal ", c.appeal_id())));
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(MustBeOpen(*claim));
  bool denial_in_force = claim->adjudication.has_value() && (claim->adjudication->denied || claim->denied_cents > 0);
  if (!denial_in_force) return Rule(absl::StrCat("an appeal needs a denial; claim ", c.claim_id(), " has none in force"));
  for (const auto& [id, outcome] : claim->appeals) {
    if (outcome == rcl::v1::APPEAL_OUTCOME_UNSPECIFIED) {
      return Rule(absl::StrCat("claim ", c.claim_id(), " already has appeal ", id, " open"));
    }
  }
  rcl::v1::AppealFiled e;
  e.set_appeal_id(c.appeal_id());
  e.set_claim_id(c.claim_id());
  e.set_level(c.level());
  e.set_reason(c.reason());
  e.set_filed_date(filed);
  e.set_deadline(c.deadline());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, AppealStream(c.appeal_id()), e, filed));
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, filed));
  return d;
}

absl::StatusOr<Decision> DecideDecideAppeal(const rcl::v1::DecideAppeal& c, StateView& view) {
  const std::string decided = DateOrToday(c.decided_date(), view);
  RCL_ASSIGN_OR_RETURN(const AppealState* appeal,
                       GetAs<AppealState>(view, AppealStream(c.appeal_id()), absl::StrCat("appeal ", c.appeal_id())));
  if (appeal->outcome != rcl::v1::APPEAL_OUTCOME_UNSPECIFIED) {
    return Rule(absl::StrCat("appeal ", c.appeal_id(), " was already decided"));
  }
  rcl::v1::AppealDecided e;
  e.set_appeal_id(c.appeal_id());
  e.set_claim_id(appeal->claim_id);
  e.set_outcome(c.outcome());
  e.set_decided_date(decided);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, AppealStream(c.appeal_id()), e, decided));
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(appeal->claim_id), e, decided));
  return d;
}

// --- Patient account ------------------------------------------------------------

absl::StatusOr<Decision> DecidePatientPayment(const rcl::v1::ReceivePatientPayment& c, StateView& view) {
  const std::string received = DateOrToday(c.received_date(), view);
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, c.patient_id()));
  if (patient->payment_ids.contains(c.payment_id())) {
    return Rule(absl::StrCat("payment ", c.payment_id(), " was already received"));
  }
  std::vector<const ClaimState*> targets;
  if (c.claim_ids_size() > 0) {
    for (const std::string& id : c.claim_ids()) {
      RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, id));
      if (claim->patient_id != c.patient_id()) {
        return Rule(absl::StrCat("claim ", id, " is not a claim of patient ", c.patient_id()));
      }
      if (claim->status == ClaimStatus::kVoided) {
        return Rule(absl::StrCat("a payment cannot be applied to voided claim ", id));
      }
      targets.push_back(claim);
    }
  } else {
    // Oldest open balance first: by date of service, then claim id.
    std::vector<std::pair<std::string, std::string>> by_date;
    for (const auto& [id, dos] : patient->claims) by_date.emplace_back(dos, id);
    std::sort(by_date.begin(), by_date.end());
    for (const auto& [dos, id] : by_date) {
      RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, id));
      if (claim->status != ClaimStatus::kVoided && claim->PatientBalance() > 0) targets.push_back(claim);
    }
  }
  rcl::v1::PatientPaymentReceived e;
  e.set_patient_id(c.patient_id());
  e.set_payment_id(c.payment_id());
  e.set_amount_cents(c.amount_cents());
  e.set_method(c.method());
  e.set_received_date(received);
  int64_t remaining = c.amount_cents();
  for (const ClaimState* claim : targets) {
    int64_t apply = std::min(remaining, std::max<int64_t>(claim->PatientBalance(), 0));
    if (apply <= 0) continue;
    auto* a = e.add_allocations();
    a->set_claim_id(claim->claim_id);
    a->set_amount_cents(apply);
    remaining -= apply;
  }
  e.set_unapplied_cents(remaining);  // a credit balance on the account, refundable
  PostingBuilder pb;
  pb.Move(kCashPatient, PatientAr(c.patient_id()), c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), e, received));
  for (const auto& a : e.allocations()) {
    rcl::v1::PatientPaymentApplied applied;
    applied.set_claim_id(a.claim_id());
    applied.set_payment_id(c.payment_id());
    applied.set_amount_cents(a.amount_cents());
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(a.claim_id()), applied, received));
  }
  return d;
}

absl::StatusOr<Decision> DecideStatement(const rcl::v1::IssuePatientStatement& c, StateView& view) {
  const std::string statement_date = DateOrToday(c.statement_date(), view);
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, c.patient_id()));
  rcl::v1::PatientStatementIssued e;
  e.set_patient_id(c.patient_id());
  e.set_statement_date(statement_date);
  int64_t total = 0;
  for (const auto& [id, dos] : patient->claims) {
    RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, id));
    if (claim->PatientBalance() == 0) continue;
    auto* line = e.add_lines();
    line->set_claim_id(id);
    line->set_date_of_service(dos);
    line->set_patient_balance_cents(claim->PatientBalance());
    total += claim->PatientBalance();
  }
  e.set_credit_cents(patient->credit_cents);
  e.set_balance_cents(total - patient->credit_cents);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), e, statement_date));
  return d;
}

absl::StatusOr<Decision> DecideRefund(const rcl::v1::RefundPatient& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, c.patient_id()));
  if (!c.refund_id().empty() && patient->refund_ids.contains(c.refund_id())) {
    return Rule(absl::StrCat("refund ", c.refund_id(), " was already made"));
  }
  if (c.amount_cents() > patient->credit_cents) {
    return Rule(absl::StrCat("refund of ", Cents(c.amount_cents()), " exceeds the credit balance of patient ",
                             c.patient_id(), " (", Cents(patient->credit_cents), ")"));
  }
  rcl::v1::PatientRefunded e;
  e.set_patient_id(c.patient_id());
  e.set_refund_id(c.refund_id());
  e.set_amount_cents(c.amount_cents());
  PostingBuilder pb;
  pb.Move(PatientAr(c.patient_id()), kCashPatient, c.amount_cents());
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, PatientStream(c.patient_id()), e, ""));
  return d;
}

}  // namespace

std::string ClaimCommandStream(const Command& command) {
  switch (command.kind_case()) {
    case Command::kCreateClaim: return ClaimStream(command.create_claim().claim_id());
    case Command::kScrubClaim: return ClaimStream(command.scrub_claim().claim_id());
    case Command::kSubmitClaim: return ClaimStream(command.submit_claim().claim_id());
    case Command::kAcknowledgeClaim: return ClaimStream(command.acknowledge_claim().claim_id());
    case Command::kReplaceClaim: return ClaimStream(command.replace_claim().claim_id());
    case Command::kVoidClaim: return ClaimStream(command.void_claim().claim_id());
    case Command::kRecordRemittance: return RemitStream(command.record_remittance().remit_id());
    case Command::kAdjudicateClaim: return ClaimStream(command.adjudicate_claim().claim_id());
    case Command::kReverseAdjudication: return ClaimStream(command.reverse_adjudication().claim_id());
    case Command::kRecordProviderAdjustment: return RemitStream(command.record_provider_adjustment().remit_id());
    case Command::kAdjustClaim: return ClaimStream(command.adjust_claim().claim_id());
    case Command::kWriteOffClaim: return ClaimStream(command.write_off_claim().claim_id());
    case Command::kFileAppeal: return AppealStream(command.file_appeal().appeal_id());
    case Command::kDecideAppeal: return AppealStream(command.decide_appeal().appeal_id());
    case Command::kReceivePatientPayment: return PatientStream(command.receive_patient_payment().patient_id());
    case Command::kIssuePatientStatement: return PatientStream(command.issue_patient_statement().patient_id());
    case Command::kRefundPatient: return PatientStream(command.refund_patient().patient_id());
    default: return "";
  }
}

absl::StatusOr<Decision> DecideClaimCommand(const Command& command, StateView& view) {
  switch (command.kind_case()) {
    case Command::kCreateClaim: return DecideCreateClaim(command.create_claim(), view);
    case Command::kScrubClaim: return DecideScrubClaim(command.scrub_claim(), view);
    case Command::kSubmitClaim: return DecideSubmitClaim(command.submit_claim(), view);
    case Command::kAcknowledgeClaim: return DecideAcknowledgeClaim(command.acknowledge_claim(), view);
    case Command::kReplaceClaim: {
      const auto& c = command.replace_claim();
      return DecideReplaceOrVoid(c.claim_id(), c.original_claim_id(), c.payer_claim_number(), true, view);
    }
    case Command::kVoidClaim: {
      const auto& c = command.void_claim();
      return DecideReplaceOrVoid(c.claim_id(), c.original_claim_id(), c.payer_claim_number(), false, view);
    }
    case Command::kRecordRemittance: return DecideRecordRemittance(command.record_remittance(), view);
    case Command::kAdjudicateClaim: return DecideAdjudicate(command.adjudicate_claim(), view);
    case Command::kReverseAdjudication: return DecideReverse(command.reverse_adjudication(), view);
    case Command::kRecordProviderAdjustment: return DecideProviderAdjustment(command.record_provider_adjustment(), view);
    case Command::kAdjustClaim: return DecideAdjustClaim(command.adjust_claim(), view);
    case Command::kWriteOffClaim: return DecideWriteOff(command.write_off_claim(), view);
    case Command::kFileAppeal: return DecideFileAppeal(command.file_appeal(), view);
    case Command::kDecideAppeal: return DecideDecideAppeal(command.decide_appeal(), view);
    case Command::kReceivePatientPayment: return DecidePatientPayment(command.receive_patient_payment(), view);
    case Command::kIssuePatientStatement: return DecideStatement(command.issue_patient_statement(), view);
    case Command::kRefundPatient: return DecideRefund(command.refund_patient(), view);
    default: return absl::InvalidArgumentError("command: unknown command");
  }
}

}  // namespace rcl::ledger
