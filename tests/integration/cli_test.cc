// End-to-end: the real rcl-server (ServerProcess) driven through the `rcl`
// command line and through the rcl::client::Client library.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_fixture.h"
#include "tests/testing/server_process.h"

namespace rcl {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using namespace ::rcl::testing::json;  // NOLINT: JSON helpers
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string DaysFromToday(int days) {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * days), absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------

class CliTest : public testing::RclCliTest {
 protected:
  uint64_t HeadPosition() {
    Struct head = RclJson({"log", "head"});
    return static_cast<uint64_t>(Num(head, "position"));
  }

  void RegisterPatientAndOpenEncounter() {
    ASSERT_EQ(Rcl({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE",
                   "--birth-date", "1980-02-03"})
                  .exit_code,
              0);
    ASSERT_EQ(
        Rcl({"encounter", "open", "--id", "E1", "--patient", "P1", "--rendering-npi", "1234567893",
             "--billing-npi", "1234567893", "--date", "2026-11-02", "--pos", "11"})
            .exit_code,
        0);
  }
};

TEST_F(CliTest, EncounterWorkflowThroughTheCommandLine) {
  testing::CommandResult r = Rcl({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("head_position=0"));
  Struct status = RclJson({"status"});
  EXPECT_EQ(Num(status, "head_position"), 0);
  EXPECT_EQ(Str(status, "head_hash"), std::string(64, '0'));

  r = Rcl({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE",
           "--birth-date", "1980-02-03"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ok position=1 stream=patient-P1 stream_version=0 event_ids="));
  EXPECT_EQ(Lines(r.out), 1);

  Struct coverage = RclJson({"coverage", "add", "--patient", "P1", "--id", "C1", "--payer", "87726",
                             "--payer-name", "ACME HEALTH", "--member-id", "XYZ123", "--rank", "1",
                             "--from", "2026-01-01"});
  EXPECT_EQ(Num(coverage, "position"), 2);
  EXPECT_EQ(Str(coverage, "stream"), "patient-P1");
  EXPECT_EQ(Num(coverage, "stream_version"), 1);

  Struct open =
      RclJson({"encounter", "open", "--id", "E1", "--patient", "P1", "--rendering-npi",
               "1234567893", "--billing-npi", "1234567893", "--date", "2026-11-02", "--pos", "11"});
  EXPECT_EQ(Num(open, "position"), 3);
  EXPECT_EQ(Str(open, "stream"), "encounter-E1");
  EXPECT_EQ(Num(open, "stream_version"), 0);
  EXPECT_EQ(List(open, "event_ids").size(), 1u);
  EXPECT_FALSE(Str(open, "command_id").empty());

  // Global flags work after the subcommand, and --flag=value works.
  r = Rcl({"encounter", "diagnose", "--id=E1", "--icd10", "E11.9", "--icd10", "I10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("position=4 stream=encounter-E1 stream_version=1 "));

  Struct charge1 =
      RclJson({"encounter", "charge", "--id", "E1", "--line", "1", "--cpt", "99213", "--modifier",
               "25", "--units", "1", "--amount", "150.00", "--dx", "1,2"});
  EXPECT_EQ(Num(charge1, "stream_version"), 2);
  Struct charge2 = RclJson({"encounter", "charge", "--id", "E1", "--line", "2", "--hcpcs", "J3301",
                            "--units", "2", "--amount", "20.5", "--dx", "2"});
  EXPECT_EQ(Num(charge2, "stream_version"), 3);
  Struct voided = RclJson(
      {"encounter", "void-charge", "--id", "E1", "--line", "2", "--reason", "entered in error"});
  EXPECT_EQ(Num(voided, "stream_version"), 4);
  Struct complete = RclJson({"encounter", "complete", "--id", "E1"});
  EXPECT_EQ(Num(complete, "stream_version"), 5);
  EXPECT_EQ(Num(complete, "position"), 8);

  // Read the stream back, decoded.
  Struct stream = RclJson({"stream", "read", "encounter-E1"});
  std::vector<Value> events = List(stream, "events");
  ASSERT_EQ(events.size(), 6u);
  std::vector<std::string> types;
  for (const Value& e : events) types.push_back(Str(e.struct_value(), "type"));
  EXPECT_THAT(types,
              ::testing::ElementsAre("EncounterOpened", "DiagnosesRecorded", "ChargeRecorded",
                                     "ChargeRecorded", "ChargeVoided", "CodingCompleted"));
  EXPECT_EQ(Num(stream, "stream_version"), 5);
  EXPECT_TRUE(Field(stream, "end_of_stream").bool_value());
  for (int v = 0; v < 6; ++v) {
    const Struct& e = events[v].struct_value();
    EXPECT_EQ(Num(e, "version"), v);
    EXPECT_EQ(Num(e, "position"), v + 3);
    EXPECT_EQ(Str(e, "stream"), "encounter-E1");
    EXPECT_EQ(Str(e, "hash").size(), 64u);
    EXPECT_TRUE(HasKey(e, "event_id") && HasKey(e, "recorded_at_us") && HasKey(e, "prev_hash"));
  }
  const Struct& dx = Obj(events[1].struct_value(), "payload");
  std::vector<Value> codes = List(dx, "icd10_codes");
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0].string_value(), "E119");
  EXPECT_EQ(codes[1].string_value(), "I10");
  const Struct& c1 = Obj(events[2].struct_value(), "payload");
  EXPECT_EQ(Num(c1, "amount_cents"), 15000);  // an integer, not a string
  EXPECT_EQ(Str(c1, "procedure_code"), "99213");
  EXPECT_EQ(List(c1, "modifiers").size(), 1u);
  EXPECT_EQ(List(c1, "diagnosis_pointers").size(), 2u);
  EXPECT_EQ(Str(events[2].struct_value(), "effective_date"), "2026-11-02");
  const Struct& c2 = Obj(events[3].struct_value(), "payload");
  EXPECT_EQ(Num(c2, "amount_cents"), 2050);
  EXPECT_EQ(Num(c2, "units"), 2);
  const Struct& v2 = Obj(events[4].struct_value(), "payload");
  EXPECT_EQ(Num(v2, "line_number"), 2);
  EXPECT_EQ(Num(v2, "amount_cents"), 2050);
  for (const Value& posting : List(v2, "postings")) {
    EXPECT_EQ(std::abs(Num(posting.struct_value(), "amount_cents")), 2050);
  }
  testing::CommandResult raw = Rcl({"--json", "stream", "read", "encounter-E1"});
  EXPECT_THAT(raw.out, HasSubstr("\"amount_cents\":15000"));
  EXPECT_THAT(raw.out, ::testing::Not(HasSubstr("\"amount_cents\":\"")));

  // Human form: one line per event.
  r = Rcl({"stream", "read", "encounter-E1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), 6) << r.out;
  EXPECT_THAT(r.out, HasSubstr("#6 encounter-E1@3 ChargeRecorded effective=2026-11-02 hash="));

  // Backward with a limit; paging from a version.
  Struct back = RclJson({"stream", "read", "encounter-E1", "--backward", "--limit", "2"});
  std::vector<Value> back_events = List(back, "events");
  ASSERT_EQ(back_events.size(), 2u);
  EXPECT_EQ(Num(back_events[0].struct_value(), "version"), 5);
  EXPECT_EQ(Num(back_events[1].struct_value(), "version"), 4);
  Struct from = RclJson({"stream", "read", "encounter-E1", "--from", "4"});
  EXPECT_EQ(List(from, "events").size(), 2u);
  Struct none = RclJson({"stream", "read", "encounter-E9"});
  EXPECT_EQ(List(none, "events").size(), 0u);
  EXPECT_EQ(Num(none, "stream_version"), -1);

  // The log: reads with filters, head, verify, digest, tail.
  Struct log = RclJson({"log", "read"});
  EXPECT_EQ(List(log, "events").size(), 8u);
  EXPECT_TRUE(Field(log, "end_of_log").bool_value());
  EXPECT_EQ(Num(log, "head_position"), 8);
  Struct charges = RclJson({"log", "read", "--type", "ChargeRecorded", "--type", "ChargeVoided"});
  EXPECT_EQ(List(charges, "events").size(), 3u);
  Struct patients = RclJson({"log", "read", "--stream-prefix", "patient-"});
  EXPECT_EQ(List(patients, "events").size(), 2u);
  Struct page = RclJson({"log", "read", "--from", "2", "--limit", "3"});
  std::vector<Value> page_events = List(page, "events");
  ASSERT_EQ(page_events.size(), 3u);
  EXPECT_EQ(Num(page_events[0].struct_value(), "position"), 2);
  EXPECT_EQ(Num(page, "next_position"), 5);
  EXPECT_FALSE(Field(page, "end_of_log").bool_value());

  // The tenant's own log (the default): its sequence, chain and tree.
  Struct head = RclJson({"log", "head"});
  EXPECT_EQ(Num(head, "position"), 8);
  EXPECT_EQ(Num(head, "tenant_seq"), 8);
  EXPECT_EQ(Str(head, "tenant_hash"), Str(events[5].struct_value(), "tenant_hash"));
  EXPECT_EQ(Str(head, "root_hash").size(), 64u);
  Struct whole = RclJson({"log", "head", "--whole-log"});
  EXPECT_EQ(Num(whole, "position"), 8);
  EXPECT_EQ(Str(whole, "hash"), Str(events[5].struct_value(), "hash"));

  r = Rcl({"log", "verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ok "));
  Struct verify = RclJson({"log", "verify"});
  EXPECT_TRUE(Field(verify, "ok").bool_value());
  EXPECT_EQ(Num(verify, "events_checked"), 8);
  EXPECT_EQ(Num(verify, "to_seq"), 8);
  EXPECT_EQ(Str(verify, "root_hash_at_to"), Str(head, "root_hash"));
  Struct part = RclJson({"log", "verify", "--from", "3", "--to", "5"});
  EXPECT_TRUE(Field(part, "ok").bool_value());
  EXPECT_EQ(Num(part, "events_checked"), 3);
  Struct whole_verify = RclJson({"log", "verify", "--whole-log"});
  EXPECT_TRUE(Field(whole_verify, "ok").bool_value());
  EXPECT_EQ(Num(whole_verify, "to_position"), 8);

  Struct digest = RclJson({"log", "digest", "--position", "3"});
  EXPECT_EQ(Num(digest, "tenant_seq"), 3);
  EXPECT_EQ(Str(digest, "tenant_hash"), Str(events[0].struct_value(), "tenant_hash"));
  EXPECT_EQ(Num(digest, "head_tenant_seq"), 8);
  EXPECT_TRUE(HasKey(digest, "taken_at_us"));
  Struct whole_digest = RclJson({"log", "digest", "--whole-log", "--position", "3"});
  EXPECT_EQ(Num(whole_digest, "position"), 3);
  EXPECT_EQ(Str(whole_digest, "hash"), Str(events[0].struct_value(), "hash"));
  EXPECT_EQ(Num(whole_digest, "head_position"), 8);

  Struct tail = RclJson({"log", "tail", "--from", "0", "--count", "3"});
  std::vector<Value> tail_events = List(tail, "events");
  ASSERT_EQ(tail_events.size(), 3u);
  EXPECT_EQ(Num(tail_events[0].struct_value(), "position"), 1);
  EXPECT_EQ(Num(tail_events[2].struct_value(), "position"), 3);
  r = Rcl({"log", "tail", "--from", "6", "--count", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), 2);
  EXPECT_THAT(r.out, StartsWith("#6 encounter-E1@3 ChargeRecorded"));
}

TEST_F(CliTest, BadInputsExitNonZeroNamingTheField) {
  RegisterPatientAndOpenEncounter();
  ASSERT_EQ(Rcl({"encounter", "diagnose", "--id", "E1", "--icd10", "E11.9"}).exit_code, 0);
  uint64_t head = HeadPosition();
  std::vector<std::string> charge = {"encounter", "charge", "--id", "E1", "--line", "1"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = charge;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  // Client-side usage errors: exit 2.
  ExpectFailure(with({"--cpt", "99213", "--amount", "1e2"}), 2, {"--amount"});
  ExpectFailure(with({"--cpt", "99213", "--amount", "-3"}), 2, {"--amount"});
  ExpectFailure(with({"--cpt", "99213", "--amount", "15.001"}), 2, {"--amount"});
  ExpectFailure(with({"--cpt", "99213", "--hcpcs", "J3301", "--amount", "1"}), 2,
                {"--cpt", "--hcpcs"});

  // Server-side validation: exit 1, INVALID_ARGUMENT naming the proto field.
  ExpectFailure(with({"--cpt", "9921", "--amount", "150", "--dx", "1"}), 1,
                {"invalid argument", "cpt"});
  ExpectFailure(with({"--cpt", "99213", "--modifier", "2", "--amount", "150", "--dx", "1"}), 1,
                {"invalid argument", "modifiers[0]"});
  ExpectFailure(
      {"encounter", "open", "--id", "E2", "--patient", "P1", "--rendering-npi", "1234567890",
       "--billing-npi", "1234567893", "--date", "2026-11-02", "--pos", "11"},
      1, {"invalid argument", "rendering_npi"});
  ExpectFailure(
      {"encounter", "open", "--id", "E2", "--patient", "P1", "--rendering-npi", "1234567893",
       "--billing-npi", "1234567893", "--date", DaysFromToday(3), "--pos", "11"},
      1, {"invalid argument", "date_of_service"});
  ExpectFailure({"encounter", "diagnose", "--id", "E1", "--icd10", "E11.9", "--icd10", "11"}, 1,
                {"invalid argument", "icd10_codes[1]"});

  // A business rule: FAILED_PRECONDITION.
  ExpectFailure(with({"--cpt", "99213", "--amount", "150", "--dx", "2"}), 1,
                {"failed precondition", "pointer"});

  // --json on failure: one error object carrying the field violations.
  testing::CommandResult r = Rcl({"--json", "encounter", "charge", "--id", "E1", "--line", "1",
                                  "--cpt", "9921", "--amount", "150", "--dx", "1"});
  EXPECT_EQ(r.exit_code, 1);
  Struct error = Obj(ParseJson(r.out), "error");
  EXPECT_EQ(Str(error, "code"), "INVALID_ARGUMENT");
  std::vector<Value> violations = List(error, "field_violations");
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(Str(violations[0].struct_value(), "field"), "cpt");

  // Nothing was written by any of them.
  EXPECT_EQ(HeadPosition(), head);
}

TEST_F(CliTest, IdempotencyAndOptimisticConcurrency) {
  std::vector<std::string> reg = {"--command-id", "reg-P1", "patient",      "register",
                                  "--id",         "P1",     "--family",     "DOE",
                                  "--given",      "JANE",   "--birth-date", "1980-02-03"};
  Struct first = RclJson(reg);
  Struct again = RclJson(reg);
  EXPECT_EQ(Num(first, "position"), Num(again, "position"));
  EXPECT_EQ(Num(first, "stream_version"), Num(again, "stream_version"));
  EXPECT_EQ(Str(first, "command_id"), "reg-P1");
  EXPECT_EQ(Str(again, "command_id"), "reg-P1");
  EXPECT_EQ(HeadPosition(), 1u);

  std::vector<std::string> changed = reg;
  changed[7] = "ROE";  // --family
  ExpectFailure(changed, 1, {"already exists"});
  EXPECT_EQ(HeadPosition(), 1u);

  // --expected-version: -1 = the stream must not exist yet.
  ExpectFailure({"--expected-version", "-1", "patient", "register", "--id", "P1", "--family", "DOE",
                 "--given", "JANE", "--birth-date", "1980-02-03"},
                1, {"aborted"});
  Struct p2 = RclJson({"--expected-version", "-1", "patient", "register", "--id", "P2", "--family",
                       "ROE", "--given", "RICHARD", "--birth-date", "1970-01-01"});
  EXPECT_EQ(Num(p2, "stream_version"), 0);
  Struct cov = RclJson({"coverage", "add", "--patient", "P2", "--id", "C1", "--payer", "87726",
                        "--payer-name", "ACME", "--member-id", "M1", "--rank", "1", "--from",
                        "2026-01-01", "--expected-version", "0"});
  EXPECT_EQ(Num(cov, "stream_version"), 1);
  ExpectFailure({"coverage", "end", "--patient", "P2", "--id", "C1", "--to", "2026-12-31",
                 "--expected-version", "0"},
                1, {"aborted"});
  Struct end = RclJson({"coverage", "end", "--patient", "P2", "--id", "C1", "--to", "2026-12-31",
                        "--expected-version", "1"});
  EXPECT_EQ(Num(end, "stream_version"), 2);
}

TEST_F(CliTest, TailFollowsLiveAppends) {
  RegisterPatientAndOpenEncounter();
  uint64_t head = HeadPosition();
  testing::CommandResult tail;
  std::thread follower([&] {
    tail = Rcl({"--json", "log", "tail", "--from", absl::StrCat(head + 1), "--count", "2"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Rcl({"encounter", "diagnose", "--id", "E1", "--icd10", "I10"}).exit_code, 0);
  EXPECT_EQ(Rcl({"encounter", "diagnose", "--id", "E1", "--icd10", "E11.9"}).exit_code, 0);
  follower.join();
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  std::vector<Value> events = List(ParseJson(tail.out), "events");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Num(events[0].struct_value(), "position"), static_cast<double>(head + 1));
  EXPECT_EQ(Str(events[1].struct_value(), "type"), "DiagnosesRecorded");
}

// ---------------------------------------------------------------------------
// The client library against the same server.

TEST_F(CliTest, ClientLibrary) {
  client::Options options;
  options.tenant = "acme";
  absl::StatusOr<std::unique_ptr<client::Client>> connected =
      client::Client::Connect(server_->address(), options);
  ASSERT_TRUE(connected.ok()) << connected.status();
  client::Client& c = **connected;

  v1::RegisterPatient patient;
  patient.set_patient_id("P1");
  patient.set_family_name("DOE");
  patient.set_given_name("JANE");
  patient.set_birth_date("1980-02-03");
  client::CommandOptions with_id;
  with_id.command_id = "c-1";
  absl::StatusOr<v1::CommandResponse> r = c.RegisterPatient(patient, with_id);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream(), "patient-P1");
  EXPECT_EQ(r->stream_version(), 0u);
  EXPECT_EQ(r->command_id(), "c-1");
  EXPECT_EQ(r->event_ids_size(), 1);

  v1::OpenEncounter open;
  open.set_encounter_id("E1");
  open.set_patient_id("P1");
  open.set_rendering_npi("1234567893");
  open.set_billing_npi("1234567893");
  open.set_date_of_service("2026-11-02");
  open.set_place_of_service("11");
  v1::Command command;
  *command.mutable_open_encounter() = open;
  client::CommandOptions must_not_exist;
  must_not_exist.expected_version = -1;
  r = c.Execute(command, must_not_exist);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream(), "encounter-E1");

  v1::RecordDiagnoses dx;
  dx.set_encounter_id("E1");
  dx.add_icd10_codes("e11.9");
  client::CommandOptions at_zero;
  at_zero.expected_version = 0;
  at_zero.correlation_id = "corr-1";
  r = c.RecordDiagnoses(dx, at_zero);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream_version(), 1u);

  v1::RecordCharge charge;
  charge.set_encounter_id("E1");
  charge.set_line_number(1);
  charge.set_cpt("9921");
  charge.set_units(1);
  charge.set_amount_cents(15000);
  charge.add_diagnosis_pointers(1);
  r = c.RecordCharge(charge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  auto violations = client::FieldViolationsOf(r.status());
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(violations[0].first, "cpt");

  charge.set_cpt("99213");
  client::CommandOptions stale;
  stale.expected_version = 5;
  r = c.RecordCharge(charge, stale);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  r = c.RecordCharge(charge);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream_version(), 2u);

  absl::StatusOr<std::vector<v1::Event>> events = c.ReadWholeStream("encounter-E1");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[1].correlation_id(), "corr-1");
  EXPECT_EQ((*events)[1].tenant(), "acme");
  v1::DiagnosesRecorded recorded;
  ASSERT_TRUE(recorded.ParseFromString((*events)[1].payload()));
  EXPECT_EQ(recorded.icd10_codes(0), "E119");
  v1::ChargeRecorded charged;
  ASSERT_TRUE(charged.ParseFromString((*events)[2].payload()));
  EXPECT_EQ(charged.amount_cents(), 15000);

  // Tenants are isolated.
  client::Options other_options;
  other_options.tenant = "other";
  auto other = client::Client::Connect(server_->address(), other_options);
  ASSERT_TRUE(other.ok());
  auto other_events = (*other)->ReadWholeStream("encounter-E1");
  ASSERT_TRUE(other_events.ok()) << other_events.status();
  EXPECT_TRUE(other_events->empty());

  absl::StatusOr<v1::HeadResponse> head = c.Head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->position(), 4u);
  absl::StatusOr<v1::VerifyResponse> verify = c.Verify();
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok());
  EXPECT_EQ(verify->events_checked(), 4u);
  absl::StatusOr<v1::DigestResponse> digest = c.Digest();
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->hash(), head->hash());

  // Subscribe: catch up, then cancel from another thread while blocked.
  v1::SubscribeRequest sub_request;
  sub_request.set_from_position(1);
  absl::StatusOr<std::unique_ptr<client::Subscription>> sub = c.Subscribe(sub_request);
  ASSERT_TRUE(sub.ok());
  uint64_t seen = 0;
  v1::SubscribeResponse batch;
  while (seen < 4 && (*sub)->Next(&batch)) {
    for (const v1::Event& e : batch.events()) EXPECT_EQ(e.position(), ++seen);
  }
  EXPECT_EQ(seen, 4u);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    (*sub)->Cancel();
  });
  while ((*sub)->Next(&batch)) {
  }
  canceller.join();
  EXPECT_EQ((*sub)->Finish().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE((*sub)->cancelled());

  // Concurrent calls on one client.
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        v1::RegisterPatient p = patient;
        p.set_patient_id(absl::StrCat("T", t, "-", i));
        if (!c.RegisterPatient(p).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  head = c.Head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->position(), 4u + kThreads * kPerThread);
  v1::ReadAllRequest all;
  all.set_stream_prefix("patient-T");
  all.set_limit(1000);
  absl::StatusOr<v1::ReadAllResponse> read = c.ReadAll(all);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->events_size(), kThreads * kPerThread);
}

TEST_F(CliTest, ClaimThroughTheClientLibrary) {
  RegisterPatientAndOpenEncounter();
  ASSERT_EQ(
      Rcl({"coverage", "add", "--patient", "P1", "--id", "C1", "--payer", "87726", "--payer-name",
           "ACME", "--member-id", "M1", "--rank", "1", "--from", "2026-01-01"})
          .exit_code,
      0);
  ASSERT_EQ(Rcl({"encounter", "diagnose", "--id", "E1", "--icd10", "E11.9"}).exit_code, 0);
  ASSERT_EQ(Rcl({"encounter", "charge", "--id", "E1", "--line", "1", "--cpt", "99213", "--amount",
                 "150", "--dx", "1"})
                .exit_code,
            0);
  ASSERT_EQ(Rcl({"encounter", "complete", "--id", "E1"}).exit_code, 0);

  client::Options options;
  options.tenant = "default";
  auto connected = client::Client::Connect(server_->address(), options);
  ASSERT_TRUE(connected.ok());
  client::Client& c = **connected;
  v1::Command create;
  create.mutable_create_claim()->set_claim_id("CL1");
  create.mutable_create_claim()->set_encounter_id("E1");
  create.mutable_create_claim()->set_coverage_id("C1");
  absl::StatusOr<v1::CommandResponse> created = c.Execute(create);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->stream(), "claim-CL1");

  absl::StatusOr<v1::ClaimView> claim = c.GetClaim("CL1");
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->claim_id(), "CL1");
  EXPECT_EQ(claim->encounter_id(), "E1");
  EXPECT_EQ(claim->charge_cents(), 15000);
  EXPECT_EQ(claim->lines_size(), 1);
  EXPECT_EQ(c.GetClaim("NOPE").status().code(), absl::StatusCode::kNotFound);

  // The claim's stream reads back through the CLI with integer cents.
  Struct stream = RclJson({"stream", "read", "claim-CL1"});
  ASSERT_FALSE(List(stream, "events").empty());
}

TEST_F(CliTest, ServerRestartKeepsTheLog) {
  RegisterPatientAndOpenEncounter();
  ASSERT_TRUE(server_->Terminate().ok());
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> restarted =
      testing::ServerProcess::Start(dir_.path() + "/data");
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  server_ = std::move(*restarted);
  EXPECT_EQ(HeadPosition(), 2u);
  testing::CommandResult r = Rcl({"log", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace rcl
