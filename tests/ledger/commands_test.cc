// Business rules of the billing ledger, through the public Ledger API: every
// rule a command can break is refused with FAILED_PRECONDITION, a message
// naming the rule and the entity, and nothing written; malformed requests are
// refused at Submit() with INVALID_ARGUMENT; and the happy path records the
// expected events, versions, normalized codes and balanced postings.
#include "ledger/rules/commands.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/postings.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"
#include "ledger/storage/codec.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::AddCoverageCommand;
using ::rcl::ledger::testing::CompleteCodingCommand;
using ::rcl::ledger::testing::EndCoverageCommand;
using ::rcl::ledger::testing::kTenant;
using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenEncounterCommand;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::PayloadAs;
using ::rcl::ledger::testing::ReadLog;
using ::rcl::ledger::testing::ReadWholeStream;
using ::rcl::ledger::testing::RecordChargeCommand;
using ::rcl::ledger::testing::RecordDiagnosesCommand;
using ::rcl::ledger::testing::RegisterPatientCommand;
using ::rcl::ledger::testing::Request;
using ::rcl::ledger::testing::ScratchDir;
using ::rcl::ledger::testing::VoidChargeCommand;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Commands = std::vector<rcl::v1::Command>;

Commands Concat(std::initializer_list<Commands> parts) {
  Commands out;
  for (const Commands& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Common starting points.
const Commands& Patient() {
  static const Commands c = {RegisterPatientCommand("P1")};
  return c;
}
const Commands& Encounter() {
  static const Commands c = Concat({Patient(), {OpenEncounterCommand("E1", "P1")}});
  return c;
}
const Commands& Diagnosed() {
  static const Commands c = Concat({Encounter(), {RecordDiagnosesCommand("E1", {"E11.9", "I10"})}});
  return c;
}
const Commands& Charged() {
  static const Commands c = Concat({Diagnosed(), {RecordChargeCommand("E1", 1, 12500)}});
  return c;
}
const Commands& Coded() {
  static const Commands c = Concat({Charged(), {CompleteCodingCommand("E1")}});
  return c;
}

std::vector<std::string> TwelveCodes() {
  return {"E11.9", "I10",   "J44.9", "Z00.00", "K21.9", "M54.5",
          "N39.0", "R05.1", "F32.9", "G47.00", "E78.5", "J06.9"};
}

struct RuleCase {
  std::string name;
  Commands setup;
  rcl::v1::Command command;
  std::vector<std::string> message_parts;  // the rule and the entity it names
};

std::vector<RuleCase> RuleCases() {
  return {
      // Patients.
      {"register the same patient twice",
       Patient(),
       RegisterPatientCommand("P1", "Other"),
       {"patient P1", "already registered"}},
      // Coverage.
      {"coverage for an unknown patient",
       {},
       AddCoverageCommand("P9", "C1", 1, "2024-01-01"),
       {"patient P9", "not registered"}},
      {"duplicate coverage id",
       Concat({Patient(), {AddCoverageCommand("P1", "C1", 1, "2024-01-01", "2024-12-31")}}),
       AddCoverageCommand("P1", "C1", 2, "2025-01-01"),
       {"coverage C1", "already exists", "patient P1"}},
      {"overlapping coverage of the same rank",
       Concat({Patient(), {AddCoverageCommand("P1", "C1", 1, "2024-01-01")}}),
       AddCoverageCommand("P1", "C2", 1, "2025-06-01"),
       {"rank 1", "overlaps coverage C1"}},
      {"same-rank coverage sharing its first day with the other's last",
       Concat({Patient(), {AddCoverageCommand("P1", "C1", 2, "2024-01-01", "2024-06-30")}}),
       AddCoverageCommand("P1", "C2", 2, "2024-06-30", "2024-12-31"),
       {"rank 2", "overlaps coverage C1"}},
      {"open-ended same-rank coverage starting before an existing one",
       Concat({Patient(), {AddCoverageCommand("P1", "C1", 1, "2024-01-01", "2024-12-31")}}),
       AddCoverageCommand("P1", "C2", 1, "2023-01-01"),
       {"rank 1", "overlaps coverage C1"}},
      {"end coverage of an unknown patient",
       {},
       EndCoverageCommand("P9", "C1", "2024-12-31"),
       {"patient P9", "not registered"}},
      {"end an unknown coverage",
       Patient(),
       EndCoverageCommand("P1", "C9", "2024-12-31"),
       {"coverage C9", "does not exist", "patient P1"}},
      {"end coverage before its effective_from",
       Concat({Patient(), {AddCoverageCommand("P1", "C1", 1, "2024-01-01")}}),
       EndCoverageCommand("P1", "C1", "2023-12-31"),
       {"effective_to is before", "effective_from"}},
      {"end coverage later than it already ends",
       Concat({Patient(), {AddCoverageCommand("P1", "C1", 1, "2024-01-01", "2024-06-30")}}),
       EndCoverageCommand("P1", "C1", "2024-12-31"),
       {"only shorten"}},
      // Encounters.
      {"encounter for an unregistered patient",
       {},
       OpenEncounterCommand("E1", "P9"),
       {"patient P9", "not registered"}},
      {"open the same encounter twice",
       Encounter(),
       OpenEncounterCommand("E1", "P1"),
       {"encounter E1", "already exists"}},
      {"reuse an encounter id for another patient",
       Concat({Encounter(), {RegisterPatientCommand("P2")}}),
       OpenEncounterCommand("E1", "P2"),
       {"encounter E1", "already exists"}},
      // Diagnoses.
      {"diagnoses on an unknown encounter",
       Patient(),
       RecordDiagnosesCommand("E9", {"E11.9"}),
       {"encounter E9", "not open"}},
      {"duplicate diagnosis",
       Diagnosed(),
       RecordDiagnosesCommand("E1", {"J44.9", "E11.9"}),
       {"diagnosis E119", "already recorded", "encounter E1"}},
      {"duplicate diagnosis spelled differently",
       Diagnosed(),
       RecordDiagnosesCommand("E1", {"i10"}),
       {"diagnosis I10", "already recorded", "encounter E1"}},
      {"more than 12 diagnoses on an encounter",
       Concat({Encounter(),
               {RecordDiagnosesCommand("E1", {"E11.9", "I10", "J44.9", "Z00.00", "K21.9", "M54.5",
                                              "N39.0", "R05.1", "F32.9", "G47.00"})}}),
       RecordDiagnosesCommand("E1", {"E78.5", "J06.9", "R07.89"}),
       {"at most 12 diagnoses"}},
      {"a 13th diagnosis",
       Concat({Encounter(), {RecordDiagnosesCommand("E1", TwelveCodes())}}),
       RecordDiagnosesCommand("E1", {"R07.89"}),
       {"at most 12 diagnoses"}},
      {"diagnoses after coding is complete",
       Coded(),
       RecordDiagnosesCommand("E1", {"J44.9"}),
       {"encounter E1", "completed coding"}},
      // Charges.
      {"charge on an unknown encounter",
       Patient(),
       RecordChargeCommand("E9", 1, 100),
       {"encounter E9", "not open"}},
      {"charge after coding is complete",
       Coded(),
       RecordChargeCommand("E1", 2, 100),
       {"encounter E1", "completed coding"}},
      {"duplicate line number",
       Charged(),
       RecordChargeCommand("E1", 1, 999),
       {"line 1", "already exists", "encounter E1"}},
      {"reuse the line number of a voided line",
       Concat({Charged(), {VoidChargeCommand("E1", 1)}}),
       RecordChargeCommand("E1", 1, 12500),
       {"line 1", "already exists", "encounter E1"}},
      {"pointer to an unrecorded diagnosis",
       Diagnosed(),
       RecordChargeCommand("E1", 1, 100, {1, 3}),
       {"diagnosis pointer 3", "encounter has 2"}},
      {"pointer on an encounter without diagnoses",
       Encounter(),
       RecordChargeCommand("E1", 1, 100, {1}),
       {"diagnosis pointer 1", "encounter has 0"}},
      // Voids.
      {"void on an unknown encounter",
       Patient(),
       VoidChargeCommand("E9", 1),
       {"encounter E9", "not open"}},
      {"void an unknown line",
       Charged(),
       VoidChargeCommand("E1", 2),
       {"line 2", "does not exist", "encounter E1"}},
      {"void a line twice",
       Concat({Charged(), {VoidChargeCommand("E1", 1)}}),
       VoidChargeCommand("E1", 1),
       {"line 1", "already voided"}},
      // Completing coding.
      {"complete coding of an unknown encounter",
       Patient(),
       CompleteCodingCommand("E9"),
       {"encounter E9", "not open"}},
      {"complete coding without diagnoses",
       Concat({Encounter()}),
       CompleteCodingCommand("E1"),
       {"without at least one diagnosis"}},
      {"complete coding without charge lines",
       Diagnosed(),
       CompleteCodingCommand("E1"),
       {"without at least one charge line"}},
      {"complete coding with every line voided",
       Concat({Charged(), {VoidChargeCommand("E1", 1)}}),
       CompleteCodingCommand("E1"),
       {"without at least one charge line"}},
      {"complete coding twice",
       Coded(),
       CompleteCodingCommand("E1"),
       {"encounter E1", "completed coding"}},
  };
}

// One row: a fresh ledger, the setup, then the refused command.
void CheckRuleCase(const RuleCase& c) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  for (size_t i = 0; i < c.setup.size(); ++i) {
    absl::StatusOr<CommandResult> r = ledger->Execute(Request(c.setup[i]));
    ASSERT_TRUE(r.ok()) << "setup command " << i << ": " << r.status();
  }
  const LogHead before = ledger->head();
  ASSERT_EQ(before.position, c.setup.size());
  const std::string stream = CommandStream(c.command);
  absl::StatusOr<int64_t> version_before = ledger->store().StreamLastVersion(kTenant, stream);
  ASSERT_TRUE(version_before.ok());

  absl::StatusOr<CommandResult> r = ledger->Execute(Request(c.command, "refused-command"));
  ASSERT_FALSE(r.ok()) << "the command was accepted at position " << r->position;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  for (const std::string& part : c.message_parts) {
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(part));
  }
  // Nothing written: no event, no stream change, no idempotency record.
  EXPECT_EQ(ledger->head().position, before.position);
  EXPECT_EQ(ledger->head().hash, before.hash);
  EXPECT_EQ(ReadLog(ledger->store()).size(), before.position);
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, stream), *version_before);
  absl::StatusOr<std::optional<std::string>> stored =
      ledger->store().GetCommand(kTenant, "refused-command");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
  ledger->Stop();
}

TEST(BusinessRulesTest, EveryBrokenRuleIsRefusedAndWritesNothing) {
  for (const RuleCase& c : RuleCases()) {
    SCOPED_TRACE(c.name);
    CheckRuleCase(c);
  }
}

// Boundaries on the allowed side of the rules above.
TEST(BusinessRulesTest, AllowedNeighboursOfTheRules) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  const Commands allowed = {
      RegisterPatientCommand("P1"),
      AddCoverageCommand("P1", "C1", 1, "2024-01-01", "2024-06-30"),
      AddCoverageCommand("P1", "C2", 1, "2024-07-01"),  // adjacent, same rank
      AddCoverageCommand("P1", "C3", 2, "2024-01-01"),  // overlapping, other rank
      EndCoverageCommand("P1", "C2", "2024-07-01"),     // a one-day coverage
      AddCoverageCommand("P1", "C4", 1, "2024-07-02"),  // after C2 ended
      EndCoverageCommand("P1", "C1", "2024-06-30"),     // ending on its current end
      OpenEncounterCommand("E1", "P1"),
      RecordDiagnosesCommand("E1", {"E11.9", "I10", "J44.9", "Z00.00", "K21.9", "M54.5"}),
      RecordDiagnosesCommand(
          "E1", {"N39.0", "R05.1", "F32.9", "G47.00", "E78.5", "J06.9"}),  // exactly 12
      RecordChargeCommand("E1", 1, 100, {12, 1, 6, 7}),                    // the last diagnosis
      RecordChargeCommand("E1", 999, 100, {2}),
      VoidChargeCommand("E1", 1),
      CompleteCodingCommand("E1"),  // one active line remains
  };
  for (size_t i = 0; i < allowed.size(); ++i) {
    absl::StatusOr<CommandResult> r = ledger->Execute(Request(allowed[i]));
    ASSERT_TRUE(r.ok()) << "command " << i << ": " << r.status();
    EXPECT_EQ(r->position, i + 1);
  }
  ledger->Stop();
}

TEST(BusinessRulesTest, TenantsDoNotShareState) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Execute(Request(RegisterPatientCommand("P1"), "", "clinic-a")).ok());
  ASSERT_TRUE(ledger->Execute(Request(OpenEncounterCommand("E1", "P1"), "", "clinic-a")).ok());
  // clinic-b has never seen P1 or E1.
  absl::StatusOr<CommandResult> r =
      ledger->Execute(Request(OpenEncounterCommand("E2", "P1"), "", "clinic-b"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  r = ledger->Execute(Request(RecordDiagnosesCommand("E1", {"I10"}), "", "clinic-b"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  // ... and may use the same ids for its own patient and encounter.
  r = ledger->Execute(Request(RegisterPatientCommand("P1"), "", "clinic-b"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream_version, 0u);
  r = ledger->Execute(Request(OpenEncounterCommand("E1", "P1"), "", "clinic-b"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream_version, 0u);
  ledger->Stop();
}

// --- INVALID_ARGUMENT at Submit ---------------------------------------------------

struct InvalidCase {
  std::string name;
  CommandRequest request;
  std::string field;  // expected field violation ("" = don't check)
};

std::vector<InvalidCase> InvalidCases() {
  auto with = [](std::function<void(CommandRequest&)> edit) {
    CommandRequest r = Request(RegisterPatientCommand("P1"));
    edit(r);
    return r;
  };
  rcl::v1::Command bad_npi = OpenEncounterCommand("E1", "P1");
  bad_npi.mutable_open_encounter()->set_rendering_npi("1234567890");
  rcl::v1::Command future_service = OpenEncounterCommand("E1", "P1", "2199-01-01");
  rcl::v1::Command bad_icd = RecordDiagnosesCommand("E1", {"11.9E"});
  rcl::v1::Command zero_amount = RecordChargeCommand("E1", 1, 0);
  return {
      {"empty tenant", with([](CommandRequest& r) { r.tenant = ""; }), "tenant"},
      {"tenant with a space", with([](CommandRequest& r) { r.tenant = "clinic 1"; }), "tenant"},
      {"tenant with a slash", with([](CommandRequest& r) { r.tenant = "clinic/1"; }), "tenant"},
      {"tenant with a NUL", with([](CommandRequest& r) { r.tenant = std::string("clinic\0x", 8); }),
       "tenant"},
      {"tenant starting with a dash", with([](CommandRequest& r) { r.tenant = "-clinic"; }),
       "tenant"},
      {"tenant of 65 characters", with([](CommandRequest& r) { r.tenant = std::string(65, 't'); }),
       "tenant"},
      {"command id with a space", with([](CommandRequest& r) { r.command_id = "cmd 1"; }),
       "command_id"},
      {"command id with a NUL",
       with([](CommandRequest& r) { r.command_id = std::string("cmd\0", 4); }), "command_id"},
      {"command id starting with a dot", with([](CommandRequest& r) { r.command_id = ".cmd"; }),
       "command_id"},
      {"command id of 65 characters",
       with([](CommandRequest& r) { r.command_id = std::string(65, 'c'); }), "command_id"},
      {"correlation id over 256 bytes", with([](CommandRequest& r) {
         r.correlation_id = std::string(kEnvelopeStringSizeMax + 1, 'c');
       }),
       ""},
      {"actor over 256 bytes",
       with([](CommandRequest& r) { r.actor = std::string(kEnvelopeStringSizeMax + 1, 'a'); }), ""},
      {"expected version below -1", with([](CommandRequest& r) { r.expected_version = -2; }),
       "expected_version"},
      {"no command", with([](CommandRequest& r) { r.command->Clear(); }), "command"},
      {"invalid NPI", Request(bad_npi), "rendering_npi"},
      {"date of service in the future", Request(future_service), "date_of_service"},
      {"malformed ICD-10-CM code", Request(bad_icd), "icd10_codes[0]"},
      {"zero charge amount", Request(zero_amount), "amount_cents"},
  };
}

TEST(SubmitValidationTest, MalformedRequestsAreInvalidArgumentAndWriteNothing) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Execute(Request(RegisterPatientCommand("P0"))).ok());
  const LogHead before = ledger->head();
  int callbacks = 0;
  for (InvalidCase& c : InvalidCases()) {
    SCOPED_TRACE(c.name);
    const std::string tenant = c.request.tenant;
    absl::Status s = ledger->Submit(c.request, [&](absl::StatusOr<CommandResult>) { ++callbacks; });
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    if (!c.field.empty()) {
      std::vector<std::string> fields;
      for (const FieldViolation& v : GetFieldViolations(s)) fields.push_back(v.field);
      EXPECT_THAT(fields, ::testing::Contains(c.field)) << s;
    }
    // Execute reports the same without waiting for the writer.
    EXPECT_EQ(ledger->Execute(c.request).status().code(), absl::StatusCode::kInvalidArgument);
  }
  // The next valid command lands right after the head: nothing was queued.
  absl::StatusOr<CommandResult> r = ledger->Execute(Request(RegisterPatientCommand("P1")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->position, before.position + 1);
  EXPECT_EQ(ReadLog(ledger->store()).size(), before.position + 1);
  ledger->Stop();
  EXPECT_EQ(callbacks, 0);
}

// --- Happy path ----------------------------------------------------------------------

// Parses any stored payload by its type name.
std::unique_ptr<google::protobuf::Message> ParsePayload(const EventRecord& e) {
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName("rcl.v1." + e.type);
  if (d == nullptr) {
    ADD_FAILURE() << "unknown event type " << e.type;
    return nullptr;
  }
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
  EXPECT_TRUE(m->ParseFromString(e.payload)) << "undecodable " << e.type;
  return m;
}

std::map<std::string, int64_t> ByAccount(
    const google::protobuf::RepeatedPtrField<rcl::v1::Posting>& postings) {
  std::map<std::string, int64_t> out;
  for (const rcl::v1::Posting& p : postings) out[p.account()] += p.amount_cents();
  return out;
}

TEST(HappyPathTest, ChargeLifecycleRecordsEventsVersionsPostingsAndNormalizedCodes) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);

  struct Step {
    rcl::v1::Command command;
    std::string type;
    std::string stream;
    uint64_t version;
    std::string effective_date;
  };
  rcl::v1::Command hcpcs_charge = RecordChargeCommand("E1", 2, 4550, {4}, "");
  hcpcs_charge.mutable_record_charge()->set_hcpcs("j3301");
  hcpcs_charge.mutable_record_charge()->add_modifiers("rt");
  hcpcs_charge.mutable_record_charge()->set_units(2);
  rcl::v1::Command cpt_charge = RecordChargeCommand("E1", 1, 12500, {1, 2});
  cpt_charge.mutable_record_charge()->add_modifiers("25");
  const std::string p1 = PatientStream("P1");
  const std::string e1 = EncounterStream("E1");
  const std::vector<Step> steps = {
      {RegisterPatientCommand("P1"), "PatientRegistered", p1, 0, ""},
      {AddCoverageCommand("P1", "C1", 1, "2024-01-01"), "CoverageAdded", p1, 1, "2024-01-01"},
      {AddCoverageCommand("P1", "C2", 2, "2024-01-01"), "CoverageAdded", p1, 2, "2024-01-01"},
      {EndCoverageCommand("P1", "C2", "2024-12-31"), "CoverageEnded", p1, 3, "2024-12-31"},
      {OpenEncounterCommand("E1", "P1", "2024-03-15"), "EncounterOpened", e1, 0, "2024-03-15"},
      {RecordDiagnosesCommand("E1", {"e11.9", "I10", "Z00.00"}), "DiagnosesRecorded", e1, 1,
       "2024-03-15"},
      {RecordDiagnosesCommand("E1", {"J449"}), "DiagnosesRecorded", e1, 2, "2024-03-15"},
      {cpt_charge, "ChargeRecorded", e1, 3, "2024-03-15"},
      {hcpcs_charge, "ChargeRecorded", e1, 4, "2024-03-15"},
      {VoidChargeCommand("E1", 2, "wrong drug"), "ChargeVoided", e1, 5, "2024-03-15"},
      {CompleteCodingCommand("E1"), "CodingCompleted", e1, 6, "2024-03-15"},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("step ", i, " ", steps[i].type));
    CommandRequest req = Request(steps[i].command, absl::StrCat("step-", i));
    absl::StatusOr<CommandResult> r = ledger->Execute(req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->position, i + 1);
    EXPECT_EQ(r->stream, steps[i].stream);
    EXPECT_EQ(r->stream_version, steps[i].version);
    EXPECT_EQ(r->command_id, absl::StrCat("step-", i));
    ASSERT_EQ(r->event_ids.size(), 1u);

    absl::StatusOr<EventRecord> e = ledger->store().ReadEvent(r->position);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->type, steps[i].type);
    EXPECT_EQ(e->tenant, kTenant);
    EXPECT_EQ(e->stream, steps[i].stream);
    EXPECT_EQ(e->version, steps[i].version);
    EXPECT_EQ(e->event_id, r->event_ids[0]);
    EXPECT_EQ(e->command_id, req.command_id);
    EXPECT_EQ(e->correlation_id, req.correlation_id);
    EXPECT_EQ(e->causation_id, req.causation_id);
    EXPECT_EQ(e->actor, req.actor);
    EXPECT_EQ(e->effective_date, steps[i].effective_date);
  }
  std::vector<EventRecord> log = ReadLog(ledger->store());
  ASSERT_EQ(log.size(), steps.size());

  // Payloads.
  EXPECT_EQ(PayloadAs<rcl::v1::PatientRegistered>(log[0]).family_name(), "Doe");
  EXPECT_EQ(PayloadAs<rcl::v1::CoverageEnded>(log[3]).effective_to(), "2024-12-31");
  auto dx1 = PayloadAs<rcl::v1::DiagnosesRecorded>(log[5]);
  EXPECT_THAT(dx1.icd10_codes(), ElementsAre("E119", "I10", "Z0000"));  // stored without the dot
  EXPECT_EQ(dx1.first_pointer(), 1);
  auto dx2 = PayloadAs<rcl::v1::DiagnosesRecorded>(log[6]);
  EXPECT_THAT(dx2.icd10_codes(), ElementsAre("J449"));
  EXPECT_EQ(dx2.first_pointer(), 4);

  auto line1 = PayloadAs<rcl::v1::ChargeRecorded>(log[7]);
  EXPECT_EQ(line1.line_number(), 1);
  EXPECT_EQ(line1.code_system(), rcl::v1::PROCEDURE_CODE_SYSTEM_CPT);
  EXPECT_EQ(line1.procedure_code(), "99213");
  EXPECT_THAT(line1.modifiers(), ElementsAre("25"));
  EXPECT_THAT(line1.diagnosis_pointers(), ElementsAre(1, 2));
  EXPECT_EQ(line1.patient_id(), "P1");
  EXPECT_EQ(line1.date_of_service(), "2024-03-15");
  EXPECT_EQ(line1.amount_cents(), 12500);
  ASSERT_EQ(line1.postings_size(), 2);
  EXPECT_EQ(line1.postings(0).account(), "ar:unbilled");  // Dr
  EXPECT_EQ(line1.postings(0).amount_cents(), 12500);
  EXPECT_EQ(line1.postings(1).account(), "revenue:gross_charges");  // Cr
  EXPECT_EQ(line1.postings(1).amount_cents(), -12500);

  auto line2 = PayloadAs<rcl::v1::ChargeRecorded>(log[8]);
  EXPECT_EQ(line2.code_system(), rcl::v1::PROCEDURE_CODE_SYSTEM_HCPCS);
  EXPECT_EQ(line2.procedure_code(), "J3301");  // upper-cased
  EXPECT_THAT(line2.modifiers(), ElementsAre("RT"));
  EXPECT_EQ(line2.units(), 2);
  EXPECT_EQ(line2.amount_cents(), 4550);
  EXPECT_EQ(
      ByAccount(line2.postings()),
      (std::map<std::string, int64_t>{{"ar:unbilled", 4550}, {"revenue:gross_charges", -4550}}));

  auto voided = PayloadAs<rcl::v1::ChargeVoided>(log[9]);
  EXPECT_EQ(voided.line_number(), 2);
  EXPECT_EQ(voided.amount_cents(), 4550);
  EXPECT_EQ(voided.reason(), "wrong drug");
  // The exact negation of line 2's postings, account by account.
  std::map<std::string, int64_t> negated;
  for (const auto& [account, cents] : ByAccount(line2.postings())) negated[account] = -cents;
  EXPECT_EQ(ByAccount(voided.postings()), negated);
  ASSERT_EQ(voided.postings_size(), line2.postings_size());

  auto coded = PayloadAs<rcl::v1::CodingCompleted>(log[10]);
  EXPECT_EQ(coded.active_line_count(), 1);
  EXPECT_EQ(coded.diagnosis_count(), 4);

  // Every event balances; the ledger as a whole holds only line 1.
  std::map<std::string, int64_t> totals;
  for (const EventRecord& e : log) {
    SCOPED_TRACE(absl::StrCat("position ", e.position, " ", e.type));
    std::unique_ptr<google::protobuf::Message> payload = ParsePayload(e);
    ASSERT_NE(payload, nullptr);
    std::vector<rcl::v1::Posting> postings = ExtractPostings(*payload);
    EXPECT_TRUE(CheckBalanced(postings).ok()) << CheckBalanced(postings);
    bool financial = e.type == "ChargeRecorded" || e.type == "ChargeVoided";
    EXPECT_EQ(postings.empty(), !financial);
    for (const rcl::v1::Posting& p : postings) totals[p.account()] += p.amount_cents();
  }
  EXPECT_EQ(totals, (std::map<std::string, int64_t>{{"ar:unbilled", 12500},
                                                    {"revenue:gross_charges", -12500}}));

  // The streams read back in version order.
  EXPECT_EQ(ReadWholeStream(ledger->store(), kTenant, p1).size(), 4u);
  EXPECT_EQ(ReadWholeStream(ledger->store(), kTenant, e1).size(), 7u);
  ledger->Stop();
}

TEST(HappyPathTest, CommandsWithoutAnIdGetAFreshOneEachTime) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  absl::StatusOr<CommandResult> a = ledger->Execute(Request(RegisterPatientCommand("P1")));
  absl::StatusOr<CommandResult> b = ledger->Execute(Request(RegisterPatientCommand("P2")));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->command_id.empty());
  EXPECT_NE(a->command_id, b->command_id);
  EXPECT_NE(a->event_ids, b->event_ids);
  // Without an id there is no idempotency: the same command again is decided
  // again (and here refused by the rules).
  absl::StatusOr<CommandResult> again = ledger->Execute(Request(RegisterPatientCommand("P1")));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  ledger->Stop();
}

}  // namespace
}  // namespace rcl::ledger
