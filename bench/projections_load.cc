#include "bench/projections_load.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace rcl::bench {

void Loader::Submit(const rcl::v1::Command& command, std::string command_id) {
  {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ < in_flight_max_; };
    mu_.Await(absl::Condition(&room));
    ++in_flight_;
  }
  ledger::CommandRequest request;
  request.tenant = tenant_;
  request.command_id = std::move(command_id);
  request.command = command;
  while (true) {
    absl::Status submitted = ledger_->Submit(
        request, [this](absl::StatusOr<ledger::CommandResult> result) { Done(result.status()); });
    if (submitted.code() == absl::StatusCode::kResourceExhausted) {
      absl::SleepFor(
          absl::Milliseconds(1));  // the queue is full: retry the same command, keeping the order
      continue;
    }
    if (!submitted.ok()) Done(submitted);
    return;
  }
}

absl::Status Loader::Drain() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  mu_.Await(absl::Condition(&idle));
  if (errors_ > 0)
    return absl::Status(
        first_error_.code(),
        absl::StrCat(errors_, " commands failed; the first: ", first_error_.message()));
  return absl::OkStatus();
}

int64_t Loader::answered() {
  absl::MutexLock lock(&mu_);
  return answered_;
}

void Loader::Done(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (!status.ok() && errors_++ == 0) first_error_ = status;
  --in_flight_;
  ++answered_;
}

absl::StatusOr<rcl::v1::CommandResponse> LedgerSink::Execute(
    const rcl::v1::Command& command, const rcl::client::CommandOptions& options) {
  loader_->Submit(command, options.command_id);
  return rcl::v1::CommandResponse();  // the demo reads only the status
}

absl::StatusOr<rcl::v1::ClaimView> LedgerSink::GetClaim(const std::string& claim_id) {
  return absl::UnimplementedError("the benchmark skips the demo's final check");
}

std::string Date(absl::CivilDay day) { return absl::FormatCivilTime(day); }

void LoadOpenClaims(Loader& loader, int64_t claims, absl::CivilDay today,
                    const std::function<void(const std::string&)>& progress) {
  static constexpr std::pair<const char*, const char*> kPayers[] = {{"87726", "UNITEDHEALTHCARE"},
                                                                    {"60054", "AETNA"},
                                                                    {"62308", "CIGNA"},
                                                                    {"00901", "MEDICARE PART B"}};
  constexpr int64_t kSpreadDays = 730;
  const int64_t patients = (claims + 3) / 4;
  const absl::CivilDay newest = today - 1;
  const std::string coverage_from = Date(newest - kSpreadDays - 30);
  const std::string billing_npi = demo::NpiWithCheckDigit("158204718");
  const std::string rendering_npi = demo::NpiWithCheckDigit("104382957");
  int64_t sent = 0;
  auto next_id = [&sent]() { return absl::StrCat("oc-", ++sent); };
  for (int64_t p = 0; p < patients; ++p) {
    const std::string patient_id = absl::StrFormat("oc-P%07d", p + 1);
    rcl::v1::Command reg;
    auto* r = reg.mutable_register_patient();
    r->set_patient_id(patient_id);
    r->set_family_name("OPENCLAIM");
    r->set_given_name(absl::StrCat("PATIENT", p % 1000));
    r->set_birth_date(Date(absl::CivilDay(1950 + p % 50, 1 + p % 12, 1 + p % 28)));
    loader.Submit(reg, next_id());
    rcl::v1::Command add;
    auto* a = add.mutable_add_coverage();
    a->set_patient_id(patient_id);
    a->set_coverage_id("C1");
    a->set_payer_id(kPayers[p % 4].first);
    a->set_payer_name(kPayers[p % 4].second);
    a->set_member_id(absl::StrFormat("M%09d", p + 1));
    a->set_rank(1);
    a->set_effective_from(coverage_from);
    loader.Submit(add, next_id());
  }
  for (int64_t c = 0; c < claims; ++c) {
    if (claims >= 10 && c % (claims / 10) == 0) {
      progress(absl::StrFormat("open claims: %d of %d sent", c, claims));
    }
    const std::string patient_id = absl::StrFormat("oc-P%07d", c % patients + 1);
    const std::string encounter_id = absl::StrFormat("oc-E%07d", c + 1);
    const std::string claim_id = absl::StrFormat("oc-CL%07d", c + 1);
    // 7919 is prime to 730: the claims cycle through every day of the spread.
    const absl::CivilDay dos = newest - (c * 7919) % kSpreadDays;

    rcl::v1::Command open;
    auto* o = open.mutable_open_encounter();
    o->set_encounter_id(encounter_id);
    o->set_patient_id(patient_id);
    o->set_rendering_npi(rendering_npi);
    o->set_billing_npi(billing_npi);
    o->set_date_of_service(Date(dos));
    o->set_place_of_service("11");
    loader.Submit(open, next_id());

    rcl::v1::Command diagnose;
    diagnose.mutable_record_diagnoses()->set_encounter_id(encounter_id);
    diagnose.mutable_record_diagnoses()->add_icd10_codes(c % 2 == 0 ? "I10" : "E11.9");
    loader.Submit(diagnose, next_id());

    rcl::v1::Command charge;
    auto* ch = charge.mutable_record_charge();
    ch->set_encounter_id(encounter_id);
    ch->set_line_number(1);
    ch->set_cpt(c % 3 == 0 ? "99214" : "99213");
    ch->set_units(1);
    ch->set_amount_cents(9000 + (c % 40) * 250);
    ch->add_diagnosis_pointers(1);
    loader.Submit(charge, next_id());

    rcl::v1::Command complete;
    complete.mutable_complete_coding()->set_encounter_id(encounter_id);
    loader.Submit(complete, next_id());

    rcl::v1::Command create;
    auto* cc = create.mutable_create_claim();
    cc->set_claim_id(claim_id);
    cc->set_encounter_id(encounter_id);
    cc->set_coverage_id("C1");
    loader.Submit(create, next_id());

    rcl::v1::Command scrub;
    scrub.mutable_scrub_claim()->set_claim_id(claim_id);
    loader.Submit(scrub, next_id());

    rcl::v1::Command submit;
    submit.mutable_submit_claim()->set_claim_id(claim_id);
    loader.Submit(submit, next_id());
  }
}

}  // namespace rcl::bench
