// The demo's practice (Generator methods; see demo_generator.h): its
// providers, each payer's fee schedule, the patients with their coverages
// and visit days (Setup, no commands), their registration, and one visit's
// encounter: what it was about, its coding and charges, and its claim.
#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/demo_generator.h"
#include "ledger/status.h"

namespace rcl::demo::internal {

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
  for (int i = 0; i < options_.patients; ++i) AddPatient(i);
  // Encounter ids in date order, then by patient.
  std::stable_sort(encounters_.begin(), encounters_.end(),
                   [](const Encounter& a, const Encounter& b) { return a.dos < b.dos; });
  for (size_t i = 0; i < encounters_.size(); ++i) {
    encounters_[i].id = absl::StrCat(prefix_, "-E", Pad(static_cast<int64_t>(i) + 1, 6));
    visits_[encounters_[i].dos].push_back(static_cast<int>(i));
  }
}

// Patient i: age, plan (Medicare, copay or deductible and coinsurance), a
// secondary coverage for some, statement day, and visit days (encounters
// without ids yet).
void Generator::AddPatient(int i) {
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
  p.deductible_left[first_day_.year()] = p.deductible_cents * (100 - random_.Uniform(0, 100)) / 100;
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
        a->set_member_id(
            absl::StrCat(c->payer == 2 ? "U" : "W", Pad(random_.Uniform(0, 999999999), 9)));
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

// What the visit was about (its diagnoses, the office visit and any labs,
// procedures or vaccines) and its charge lines, into e.
void Generator::CodeVisit(absl::CivilDay day, Encounter& e) {
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
}

absl::Status Generator::RunEncounter(absl::CivilDay day, int index) {
  Encounter& e = encounters_[static_cast<size_t>(index)];
  const Patient& patient = patients_[static_cast<size_t>(e.patient)];
  CodeVisit(day, e);

  Command open;
  auto* o = open.mutable_open_encounter();
  o->set_encounter_id(e.id);
  o->set_patient_id(patient.id);
  o->set_rendering_npi(e.rendering_npi);
  o->set_billing_npi(billing_npi_);
  o->set_date_of_service(Date(day));
  o->set_place_of_service("11");
  // The visit's coding goes in one ExecuteBatch call (each command on its
  // own, in order): the encounter, its diagnoses, its charges, complete.
  std::vector<Command> visit;
  std::vector<std::string> about;
  visit.push_back(open);
  about.push_back(e.id);
  ++summary_.encounters;

  Command diagnose;
  diagnose.mutable_record_diagnoses()->set_encounter_id(e.id);
  for (const std::string& code : e.diagnoses) {
    diagnose.mutable_record_diagnoses()->add_icd10_codes(code);
  }
  visit.push_back(diagnose);
  about.push_back(e.id);

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
    visit.push_back(charge);
    about.push_back(absl::StrCat(e.id, " line ", line.number));
    ++summary_.charge_lines;
    summary_.charges_cents += info.amount_cents;
    e.charge += info.amount_cents;
  }
  e.unbilled = e.charge;

  Command complete;
  complete.mutable_complete_coding()->set_encounter_id(e.id);
  visit.push_back(complete);
  about.push_back(e.id);
  RCL_RETURN_IF_ERROR(SendAll(visit, about));

  std::string claim_id = absl::StrCat(prefix_, "-CL", e.id.substr(prefix_.size() + 2));
  return CreateClaim(day, index, claim_id, /*rebill=*/false);
}

}  // namespace rcl::demo::internal
