#include "server/claim_export.h"

#include <optional>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "ledger/replay.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"

namespace rcl::server {
namespace {

constexpr size_t kPatientPage = 256;
constexpr size_t kPatientPageBytes = 1 << 20;

// What the patient stream says of the subscriber: the registration and the
// claim's coverage. PHI: never logged, never put in an error.
struct PatientFacts {
  std::optional<rcl::v1::PatientRegistered> registered;
  std::optional<rcl::v1::CoverageAdded> coverage;
};

absl::StatusOr<PatientFacts> ReadPatientFacts(const ledger::EventStore& store,
                                              const std::string& tenant,
                                              const std::string& patient_id,
                                              const std::string& coverage_id) {
  PatientFacts facts;
  const std::string stream = ledger::PatientStream(patient_id);
  for (uint64_t from = 0;;) {
    RCL_ASSIGN_OR_RETURN(
        std::vector<ledger::EventRecord> page,
        store.ReadStream(tenant, stream, from, false, kPatientPage, kPatientPageBytes));
    for (const ledger::EventRecord& e : page) {
      if (e.type == "PatientRegistered") {
        rcl::v1::PatientRegistered r;
        if (!r.ParseFromString(e.payload))
          return absl::DataLossError("undecodable PatientRegistered");
        facts.registered = std::move(r);
      } else if (e.type == "CoverageAdded") {
        rcl::v1::CoverageAdded c;
        if (!c.ParseFromString(e.payload)) return absl::DataLossError("undecodable CoverageAdded");
        if (c.coverage_id() == coverage_id) facts.coverage = std::move(c);
      }
    }
    if ((facts.registered && facts.coverage) || page.empty()) break;
    from = page.back().version + 1;
  }
  return facts;
}

absl::StatusOr<absl::CivilDay> Day(const std::string& text, const std::string& what) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return absl::DataLossError(absl::StrCat(what, " is not a YYYY-MM-DD date"));
  }
  return day;
}

absl::StatusOr<x12::Claim837> LoadClaim837(const ledger::EventStore& store,
                                           const std::string& tenant, const std::string& claim_id,
                                           const Export837Settings& settings,
                                           std::string* billing_npi) {
  RCL_ASSIGN_OR_RETURN(ledger::StreamState state,
                       ledger::LoadStreamState(store, tenant, ledger::ClaimStream(claim_id)));
  const auto* claim = std::get_if<ledger::ClaimState>(&state.aggregate);
  if (!state.exists() || claim == nullptr) {
    return absl::NotFoundError(absl::StrCat("claim ", claim_id, " does not exist"));
  }
  if (claim->Closed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "claim ", claim_id, " is ", std::string(ledger::ClaimStatusName(claim->status)),
        "; export its ", claim->status == ledger::ClaimStatus::kReplaced ? "replacement" : "void",
        " claim ",
        claim->status == ledger::ClaimStatus::kReplaced ? claim->replacement_claim_id
                                                        : claim->void_claim_id));
  }
  if (claim->lines.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("claim ", claim_id, " has no service line"));
  }
  RCL_ASSIGN_OR_RETURN(
      ledger::StreamState enc_state,
      ledger::LoadStreamState(store, tenant, ledger::EncounterStream(claim->encounter_id)));
  const auto* encounter = std::get_if<ledger::EncounterState>(&enc_state.aggregate);
  RCL_ASSIGN_OR_RETURN(PatientFacts facts,
                       ReadPatientFacts(store, tenant, claim->patient_id, claim->coverage_id));
  if (!facts.registered || !facts.coverage) {
    return absl::DataLossError(
        absl::StrCat("claim ", claim_id, ": its patient's registration or coverage is missing"));
  }
  RCL_ASSIGN_OR_RETURN(
      absl::CivilDay service_day,
      Day(claim->date_of_service, absl::StrCat("claim ", claim_id, " date of service")));
  RCL_ASSIGN_OR_RETURN(absl::CivilDay birth_day,
                       Day(facts.registered->birth_date(),
                           absl::StrCat("claim ", claim_id, ": the patient's birth date")));

  *billing_npi = claim->billing_npi;
  x12::Claim837 c;
  c.claim_id = claim->claim_id;
  c.total_charge_cents = 0;
  c.place_of_service = encounter != nullptr && !encounter->place_of_service.empty()
                           ? encounter->place_of_service
                           : "11";
  c.frequency = static_cast<char>('0' + claim->frequency);
  if (claim->frequency == 7 || claim->frequency == 8) {
    c.original_claim_number = claim->payer_claim_number;
  }
  c.diagnoses = claim->diagnoses;
  x12::Subscriber& s = c.subscriber;
  s.person.last_name = facts.registered->family_name();
  s.person.first_name = facts.registered->given_name();
  s.person.birth_date = birth_day;
  s.person.gender = 'U';
  s.person.address = settings.billing.address;
  s.member_id = facts.coverage->member_id();
  s.payer_responsibility = claim->rank == 2 ? 'S' : claim->rank == 3 ? 'T' : 'P';
  c.patient_is_subscriber = true;
  c.payer.name =
      facts.coverage->payer_name().empty() ? claim->payer_id : facts.coverage->payer_name();
  c.payer.payer_id = claim->payer_id;
  for (const auto& [number, view] : claim->lines) {
    const rcl::v1::ClaimLine& l = view.line;
    x12::ServiceLine837 line;
    line.procedure_code = l.procedure_code();
    line.modifiers.assign(l.modifiers().begin(), l.modifiers().end());
    line.charge_cents = l.charge_cents();
    line.units_milli = int64_t{l.units() > 0 ? l.units() : 1} * 1000;
    line.diagnosis_pointers.assign(l.diagnosis_pointers().begin(), l.diagnosis_pointers().end());
    if (line.diagnosis_pointers.empty()) line.diagnosis_pointers = {1};
    line.service_date = service_day;
    line.line_id = absl::StrCat(number);
    c.total_charge_cents += line.charge_cents;
    c.lines.push_back(std::move(line));
  }
  return c;
}

x12::Envelope837 EnvelopeOf(const Export837Settings& settings, absl::Time now,
                            uint32_t interchange_control_number, bool test) {
  x12::Envelope837 env;
  env.sender_id = settings.sender_id;
  env.receiver_id = settings.receiver_id;
  env.interchange_control_number = interchange_control_number;
  env.group_control_number = interchange_control_number;
  env.transaction_control_number = "0001";
  env.created = absl::ToCivilSecond(now, absl::UTCTimeZone());
  env.production = !test;
  env.batch_reference = absl::StrCat(interchange_control_number);
  env.submitter_name = settings.submitter_name;
  env.submitter_id = settings.sender_id;
  env.contact_name = settings.contact_name;
  env.contact_phone = settings.contact_phone;
  env.receiver_name = settings.receiver_name;
  return env;
}

// The server flag that sets an envelope or billing provider field (the
// writer's field names, claim837p.cc).
constexpr std::pair<const char*, const char*> kSettingFlags[] = {
    {"sender_id", "--x12-sender-id"},
    {"receiver_id", "--x12-receiver-id"},
    {"submitter_name", "--x12-submitter-name"},
    {"submitter_id", "--x12-sender-id"},
    {"contact_name", "--x12-contact-name"},
    {"contact_phone", "--x12-contact-phone"},
    {"receiver_name", "--x12-receiver-name"},
    {"organization_name", "--x12-billing-name"},
    {"npi", "--x12-billing-npi"},
    {"tax_id", "--x12-billing-tax-id"},
    {"taxonomy", "--x12-billing-taxonomy"},
    {"address.line1", "--x12-billing-address1"},
    {"address.line2", "--x12-billing-address2"},
    {"address.city", "--x12-billing-city"},
    {"address.state", "--x12-billing-state"},
    {"address.postal_code", "--x12-billing-zip"},
};

}  // namespace

absl::Status CheckExport837Settings(const Export837Settings& settings) {
  x12::BillingProvider billing = settings.billing;
  // Without --x12-billing-npi each claim's own (checked when it was opened).
  billing.npi = settings.billing_npi.empty() ? "1234567893" : settings.billing_npi;
  absl::Status checked =
      x12::CheckEnvelope837(EnvelopeOf(settings, absl::UnixEpoch(), 1, false), billing);
  if (checked.ok()) return checked;
  // "envelope: FIELD MESSAGE" or "billing provider: FIELD MESSAGE".
  const std::string message(checked.message());
  const size_t colon = message.find(": ");
  const std::string rest = colon == std::string::npos ? message : message.substr(colon + 2);
  for (const auto& [field, flag] : kSettingFlags) {
    const std::string name = absl::StrCat(field, " ");
    if (rest.rfind(name, 0) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", rest.substr(name.size())));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("the --x12-* settings: ", message));
}

absl::StatusOr<Export837> BuildExport837(const ledger::EventStore& store, const std::string& tenant,
                                         const std::vector<std::string>& claim_ids,
                                         const Export837Settings& settings, absl::Time now,
                                         uint32_t interchange_control_number, bool test) {
  std::vector<x12::Claim837> claims;
  claims.reserve(claim_ids.size());
  // One 2000A billing provider per file: every claim must share its NPI.
  std::string billing_npi = settings.billing_npi;
  for (const std::string& id : claim_ids) {
    std::string npi;
    RCL_ASSIGN_OR_RETURN(x12::Claim837 c, LoadClaim837(store, tenant, id, settings, &npi));
    claims.push_back(std::move(c));
    if (billing_npi.empty()) billing_npi = npi;
    if (npi == billing_npi) continue;
    if (!settings.billing_npi.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "claim ", id, " is billed under NPI ", npi, ", not the server's billing NPI ",
          settings.billing_npi, " (--x12-billing-npi)"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("claim ", id, " has another billing NPI than claim ", claim_ids[0],
                     "; an 837P file has one billing provider: export them separately"));
  }
  x12::BillingProvider billing = settings.billing;
  billing.npi = billing_npi;
  const x12::Envelope837 env = EnvelopeOf(settings, now, interchange_control_number, test);
  RCL_ASSIGN_OR_RETURN(std::string x12, x12::WriteClaims837P(env, billing, claims));
  Export837 out;
  out.file_sha256 = ledger::FileSha256Hex(x12);
  out.export_id = absl::StrCat("x837-", out.file_sha256.substr(0, 16));
  out.x12 = std::move(x12);
  out.interchange_control_number = interchange_control_number;
  return out;
}

}  // namespace rcl::server
