// Claims to cash: the claim lifecycle (create, scrub, submit, acknowledge,
// replace, void). Payer money is decided in adjudication.cc, the rest in
// patient_account.cc; commands.cc dispatches every command kind.
// Every financial event carries balanced postings (docs/API.md, "Chart of
// accounts");
// business rules are FAILED_PRECONDITION with nothing written.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/money.h"
#include "ledger/postings.h"
#include "ledger/rules/claim_rules.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"

namespace rcl::ledger::claim_rules {
namespace {

// A claim's lines as the payer sees them, copied from another claim.
void FillFrom(const ClaimState& from, rcl::v1::ClaimCreated* e) {
  e->set_encounter_id(from.encounter_id);
  e->set_patient_id(from.patient_id);
  e->set_date_of_service(from.date_of_service);
  e->set_billing_npi(from.billing_npi);
  e->set_rendering_npi(from.rendering_npi);
  e->set_charge_cents(from.charge_cents);
  for (const auto& [n, line] : from.lines) *e->add_lines() = line.line;
  for (const auto& d : from.diagnoses) e->add_diagnoses(d);
}

}  // namespace

// --- Claims -----------------------------------------------------------------

absl::StatusOr<Decision> DecideCreateClaim(const rcl::v1::CreateClaim& c, StateView& view) {
  RCL_RETURN_IF_ERROR(
      MustNotExist(view, ClaimStream(c.claim_id()), absl::StrCat("claim ", c.claim_id())));
  RCL_ASSIGN_OR_RETURN(const EncounterState* enc,
                       GetAs<EncounterState>(view, EncounterStream(c.encounter_id()),
                                             absl::StrCat("encounter ", c.encounter_id())));
  if (!enc->coding_complete) {
    return Rule(absl::StrCat("encounter ", c.encounter_id(),
                             " has not completed coding; a claim needs coded charges"));
  }
  RCL_ASSIGN_OR_RETURN(const PatientState* patient, GetPatient(view, enc->patient_id));
  auto cov = patient->coverages.find(c.coverage_id());
  if (cov == patient->coverages.end()) {
    return Rule(absl::StrCat("coverage ", c.coverage_id(),
                             " is not a coverage of the encounter's patient"));
  }
  for (const auto& [claim_id, billing] : enc->claims) {
    if (billing.second == 8) continue;  // void claims bill nothing
    RCL_ASSIGN_OR_RETURN(const ClaimState* other, GetClaim(view, claim_id));
    if (!other->Closed()) {
      return Rule(
          absl::StrCat("encounter ", c.encounter_id(), " is already billed on claim ", claim_id));
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
  // What a new original claim bills must be unbilled: after a void, only
  // once the payer has recouped what it paid on the voided claim.
  if (enc->unbilled_cents != charge) {
    return Rule(
        absl::StrCat("encounter ", c.encounter_id(), " has ", Cents(enc->unbilled_cents),
                     " of its ", Cents(charge),
                     " in charges unbilled: the rest is billed on another claim, or was "
                     "paid on a voided claim and not yet recouped (reversed) by the payer"));
  }
  e.set_charge_cents(charge);
  e.set_opening_balance_cents(charge);
  PostingBuilder pb;
  pb.Move(PayerAr(cov->second.payer_id), kArUnbilled, charge);
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), e, enc->date_of_service));
  RCL_RETURN_IF_ERROR(EmitClaimLinks(&d, e, charge));
  return d;
}

absl::StatusOr<Decision> DecideScrubClaim(const rcl::v1::ScrubClaim& c, StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  RCL_RETURN_IF_ERROR(MustBeOpen(*claim));
  if (claim->status != ClaimStatus::kCreated && claim->status != ClaimStatus::kScrubFailed &&
      claim->status != ClaimStatus::kReady && claim->status != ClaimStatus::kRejected) {
    return Rule(absl::StrCat("claim ", c.claim_id(), " is ",
                             AbslView(ClaimStatusName(claim->status)),
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
  for (const char* check :
       {"DIAGNOSIS_PRESENT", "LINE_PRESENT", "POINTERS_VALID", "DUPLICATE_LINE", "CODE_FORMAT",
        "MODIFIER_FORMAT", "UNITS_POSITIVE", "COVERAGE_ACTIVE", "NPI_VALID", "CHARGE_POSITIVE"}) {
    e.add_checks(check);
  }
  if (claim->diagnoses.empty()) edit("DIAGNOSIS_PRESENT", "the claim has no diagnosis", 0);
  if (claim->lines.empty()) edit("LINE_PRESENT", "the claim has no service line", 0);
  std::map<std::string, int> seen_lines;
  for (const auto& [number, view_line] : claim->lines) {
    const rcl::v1::ClaimLine& line = view_line.line;
    if (line.diagnosis_pointers().empty())
      edit("POINTERS_VALID", "line has no diagnosis pointer", number);
    for (int p : line.diagnosis_pointers()) {
      if (p < 1 || static_cast<size_t>(p) > claim->diagnoses.size()) {
        edit("POINTERS_VALID", absl::StrCat("pointer ", p, " does not point at a diagnosis"),
             number);
      }
    }
    std::string key = line.procedure_code();
    for (const auto& m : line.modifiers()) absl::StrAppend(&key, ":", m);
    if (auto [it, inserted] = seen_lines.emplace(key, number); !inserted) {
      edit("DUPLICATE_LINE", absl::StrCat("same code and modifiers as line ", it->second), number);
    }
    bool code_ok = line.code_system() == rcl::v1::PROCEDURE_CODE_SYSTEM_CPT
                       ? IsValidCpt(line.procedure_code())
                       : IsValidHcpcs(line.procedure_code());
    if (!code_ok) edit("CODE_FORMAT", "procedure code is not a valid CPT or HCPCS code", number);
    if (line.modifiers_size() > kModifiersPerLineMax)
      edit("MODIFIER_FORMAT", "more than 4 modifiers", number);
    for (const auto& m : line.modifiers()) {
      if (!IsValidModifier(m)) edit("MODIFIER_FORMAT", "modifier is not 2 alphanumerics", number);
    }
    if (line.units() <= 0) edit("UNITS_POSITIVE", "units must be greater than zero", number);
    if (line.charge_cents() <= 0)
      edit("CHARGE_POSITIVE", "charge must be greater than zero", number);
  }
  auto cov = patient->coverages.find(claim->coverage_id);
  if (cov == patient->coverages.end() || cov->second.effective_from > claim->date_of_service ||
      (!cov->second.effective_to.empty() && cov->second.effective_to < claim->date_of_service)) {
    edit("COVERAGE_ACTIVE", "the coverage is not in force on the date of service", 0);
  }
  if (!IsValidNpi(claim->billing_npi)) edit("NPI_VALID", "billing NPI fails the check digit", 0);
  if (!IsValidNpi(claim->rendering_npi))
    edit("NPI_VALID", "rendering NPI fails the check digit", 0);
  e.set_passed(e.edits_size() == 0);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), std::move(e), ""));
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
      return Rule(absl::StrCat("claim ", c.claim_id(),
                               " was rejected; correct it and scrub it again before resubmitting"));
    default:
      return Rule(
          absl::StrCat("claim ", c.claim_id(),
                       " was already submitted; it can be submitted again only after a rejection"));
  }
  rcl::v1::ClaimSubmitted e;
  e.set_claim_id(c.claim_id());
  e.set_batch_id(c.batch_id());
  e.set_submission_number(claim->submissions + 1);
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), std::move(e), ""));
  return d;
}

absl::StatusOr<Decision> DecideAcknowledgeClaim(const rcl::v1::AcknowledgeClaim& c,
                                                StateView& view) {
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, GetClaim(view, c.claim_id()));
  if (claim->status != ClaimStatus::kSubmitted) {
    return Rule(absl::StrCat("claim ", c.claim_id(), " is ",
                             AbslView(ClaimStatusName(claim->status)),
                             "; only a submitted claim is acknowledged"));
  }
  rcl::v1::ClaimAcknowledged e;
  e.set_claim_id(c.claim_id());
  e.set_accepted(c.accepted());
  e.set_reason(c.reason());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(c.claim_id()), std::move(e), ""));
  return d;
}

namespace {

// A replacement (7) takes over the original's payer balance; a void (8)
// returns it where it came from (ClaimRules: MoveOffClosedClaim). An
// adjudication still in force on the original stays there until the payer
// reverses it (the recoupment a void expects) or the replacement's own
// adjudication supersedes it.
absl::StatusOr<Decision> DecideReplaceOrVoid(const std::string& claim_id,
                                             const std::string& original_id, const std::string& pcn,
                                             bool replace, StateView& view) {
  RCL_RETURN_IF_ERROR(MustNotExist(view, ClaimStream(claim_id), absl::StrCat("claim ", claim_id)));
  RCL_ASSIGN_OR_RETURN(const ClaimState* original, GetClaim(view, original_id));
  RCL_RETURN_IF_ERROR(MustBeOpen(*original));
  if (original->submissions == 0) {
    return Rule(absl::StrCat("claim ", original_id,
                             " was never submitted; change it instead of replacing or voiding it"));
  }
  if (original->frequency == 8)
    return Rule(absl::StrCat("claim ", original_id, " is a void claim"));
  const int64_t balance = original->PayerBalance();
  if (!replace && balance < 0) {
    return Rule(absl::StrCat("claim ", original_id, " has a payer credit balance of ",
                             Cents(-balance),
                             "; the payer recoups an overpayment before the claim is voided"));
  }
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
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(original_id), std::move(r), ""));
  } else if (balance == 0) {
    rcl::v1::ClaimVoided v;
    v.set_claim_id(original_id);
    v.set_void_claim_id(claim_id);
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(original_id), std::move(v), ""));
  } else {
    ClaimState voided = *original;
    voided.status = ClaimStatus::kVoided;
    voided.void_claim_id = claim_id;
    RCL_RETURN_IF_ERROR(MoveOffClosedClaim(&d, view, voided, balance, ""));
  }
  RCL_RETURN_IF_ERROR(EmitClaimLinks(&d, e, 0));
  return d;
}

}  // namespace

absl::StatusOr<Decision> DecideReplaceClaim(const rcl::v1::ReplaceClaim& c, StateView& view) {
  return DecideReplaceOrVoid(c.claim_id(), c.original_claim_id(), c.payer_claim_number(), true,
                             view);
}

absl::StatusOr<Decision> DecideVoidClaim(const rcl::v1::VoidClaim& c, StateView& view) {
  return DecideReplaceOrVoid(c.claim_id(), c.original_claim_id(), c.payer_claim_number(), false,
                             view);
}

}  // namespace rcl::ledger::claim_rules
