// Unit tests of the server-independent pieces of the rcl client and command
// line: flag parsing, number/amount/pointer parsing, JSON output, payload
// decoding and gRPC status conversion.
#include "clients/cli_args.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "clients/cli_claims.h"
#include "clients/cli_output.h"
#include "clients/client.h"
#include "clients/demo.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "ledger/status.h"
#include "tests/testing/server_process.h"

namespace rcl::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"id", FlagKind::kValue, "ID", "id", true},
      {"amount", FlagKind::kValue, "DOLLARS", "amount"},
      {"icd10", FlagKind::kRepeated, "CODE", "code"},
      {"json", FlagKind::kBool, "", "json"},
      {"help", FlagKind::kBool, "", "help"},
  };
  return specs;
}

absl::StatusOr<ParsedArgs> Parse(std::vector<std::string> args) {
  return ParseFlags(args, Specs());
}

TEST(ParseFlagsTest, ValuesBoolsRepeatsAndPositionals) {
  absl::StatusOr<ParsedArgs> p =
      Parse({"encounter-E1", "--id", "E1", "--icd10=E11.9", "--json", "--icd10", "I10", "x"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Value("id"), "E1");
  EXPECT_TRUE(p->Has("json"));
  EXPECT_FALSE(p->Has("help"));
  EXPECT_FALSE(p->Value("amount").has_value());
  EXPECT_EQ(p->ValueOr("amount", "0"), "0");
  EXPECT_THAT(p->Values("icd10"), ElementsAre("E11.9", "I10"));
  EXPECT_THAT(p->positional(), ElementsAre("encounter-E1", "x"));
}

TEST(ParseFlagsTest, EqualsFormKeepsEverythingAfterTheFirstEquals) {
  absl::StatusOr<ParsedArgs> p = Parse({"--id=a=b", "--amount="});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Value("id"), "a=b");
  EXPECT_EQ(p->Value("amount"), "");
}

TEST(ParseFlagsTest, ValueFlagTakesTheNextArgumentEvenIfItStartsWithADash) {
  absl::StatusOr<ParsedArgs> p = Parse({"--amount", "-3"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Value("amount"), "-3");
}

TEST(ParseFlagsTest, BoolFlagAcceptsTrueAndFalse) {
  absl::StatusOr<ParsedArgs> p = Parse({"--json=false"});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->Has("json"));
  p = Parse({"--json=false", "--json"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Has("json"));
  p = Parse({"--json=yes"});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("--json"));
}

TEST(ParseFlagsTest, DoubleDashEndsFlags) {
  absl::StatusOr<ParsedArgs> p = Parse({"--id", "E1", "--", "--json", "-x"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->Has("json"));
  EXPECT_THAT(p->positional(), ElementsAre("--json", "-x"));
}

TEST(ParseFlagsTest, ShortHelp) {
  absl::StatusOr<ParsedArgs> p = Parse({"-h"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Has("help"));
}

TEST(ParseFlagsTest, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {{"--nope"}, "unknown flag --nope"},
      {{"--nope=1"}, "unknown flag --nope"},
      {{"-x"}, "unknown option -x"},
      {{"--id"}, "--id: missing value"},
      {{"--id", "a", "--id", "b"}, "--id: given more than once"},
      {{"--id", std::string(kArgValueMax + 1, 'x')}, "--id: value is longer than 4096"},
      {{"--id=" + std::string(kArgValueMax + 1, 'x')}, "--id: value is longer than 4096"},
      {{std::string(kArgValueMax + 1, 'x')}, "argument 1 is longer than 4096"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParsedArgs> p = Parse(c.args);
    ASSERT_FALSE(p.ok()) << c.message_part;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr(c.message_part));
  }
  // Exactly at the limit is fine.
  EXPECT_TRUE(Parse({"--id", std::string(kArgValueMax, 'x')}).ok());
}

TEST(ParseFlagsTest, RepeatedFlagMayRepeat) {
  std::vector<std::string> args;
  for (int i = 0; i < 20; ++i) {
    args.push_back("--icd10");
    args.push_back("I10");
  }
  absl::StatusOr<ParsedArgs> p = Parse(args);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Values("icd10").size(), 20u);
}

TEST(CheckRequiredTest, NamesTheMissingFlag) {
  absl::StatusOr<ParsedArgs> p = Parse({"--json"});
  ASSERT_TRUE(p.ok());
  absl::Status s = CheckRequired(*p, Specs());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "--id is required");
  p = Parse({"--id", "E1"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(CheckRequired(*p, Specs()).ok());
}

TEST(ParseIntFlagTest, StrictDecimal) {
  EXPECT_EQ(*ParseIntFlag("--units", "1", 1, 9999), 1);
  EXPECT_EQ(*ParseIntFlag("--units", "9999", 1, 9999), 9999);
  EXPECT_EQ(*ParseIntFlag("--expected-version", "-1", -1, INT64_MAX), -1);
  EXPECT_EQ(*ParseIntFlag("--n", "9223372036854775807", INT64_MIN, INT64_MAX), INT64_MAX);
  EXPECT_EQ(*ParseIntFlag("--n", "-9223372036854775808", INT64_MIN, INT64_MAX), INT64_MIN);
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "0x10", "1e2", "1.0", "abc", "10000", "0",
                          "9223372036854775808", "99999999999999999999"}) {
    absl::StatusOr<int64_t> r = ParseIntFlag("--units", bad, 1, 9999);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--units: must be an integer from 1 to 9999"));
  }
}

TEST(ParseIntFlagTest, MessagesForWideRanges) {
  EXPECT_EQ(ParseIntFlag("--line", "x", INT32_MIN, INT32_MAX).status().message(),
            "--line: must be a 32-bit integer");
  EXPECT_EQ(ParseIntFlag("--n", "x", INT64_MIN, INT64_MAX).status().message(),
            "--n: must be an integer");
  EXPECT_EQ(ParseIntFlag("--expected-version", "-2", -1, INT64_MAX).status().message(),
            "--expected-version: must be an integer >= -1");
  EXPECT_EQ(ParseUintFlag("--from", "-1").status().message(),
            "--from: must be a non-negative integer");
}

TEST(ParseUintFlagTest, StrictDecimal) {
  EXPECT_EQ(*ParseUintFlag("--from", "0"), 0u);
  EXPECT_EQ(*ParseUintFlag("--from", "18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(*ParseUintFlag("--limit", "1000", 1000), 1000u);
  for (const char* bad : {"", "-1", "+1", "18446744073709551616", "1x", "1.5"}) {
    absl::StatusOr<uint64_t> r = ParseUintFlag("--from", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--from:"));
  }
  EXPECT_FALSE(ParseUintFlag("--limit", "1001", 1000).ok());
}

TEST(ParseAmountFlagTest, ExactCents) {
  EXPECT_EQ(*ParseAmountFlag("--amount", "150"), 15000);
  EXPECT_EQ(*ParseAmountFlag("--amount", "150.5"), 15050);
  EXPECT_EQ(*ParseAmountFlag("--amount", "150.50"), 15050);
  EXPECT_EQ(*ParseAmountFlag("--amount", "0.01"), 1);
  EXPECT_EQ(*ParseAmountFlag("--amount", "1000000000.00"), 100'000'000'000);
}

TEST(ParseAmountFlagTest, RejectsWithTheFlagName) {
  for (const char* bad :
       {"1e2", "-3", "15.001", "", ".", "1.", ".5", "+1", "1,000", " 1", "abc", "1000000000.01"}) {
    absl::StatusOr<int64_t> r = ParseAmountFlag("--amount", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("--amount: ")) << bad;
  }
}

TEST(ParsePointerListTest, CommaListsAndRepeats) {
  absl::StatusOr<std::vector<int32_t>> r = ParsePointerList("--dx", {"1,2", "3", " 4 "});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(ParsePointerList("--dx", {}).value().empty());
  for (const char* bad : {"1,,2", "a", "1;2", "", "1,", "99999999999"}) {
    absl::StatusOr<std::vector<int32_t>> e = ParsePointerList("--dx", {bad});
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_THAT(e.status().message(), HasSubstr("--dx:"));
  }
}

TEST(FormatFlagHelpTest, ListsEveryFlag) {
  std::string help = FormatFlagHelp(Specs());
  EXPECT_THAT(help, HasSubstr("--id ID"));
  EXPECT_THAT(help, HasSubstr("(required)"));
  EXPECT_THAT(help, HasSubstr("--icd10 CODE"));
  EXPECT_THAT(help, HasSubstr("(repeatable)"));
  EXPECT_THAT(help, HasSubstr("--json "));
}

TEST(OneLineTest, ReplacesControlCharacters) { EXPECT_EQ(OneLine("a\nb\tc\rd"), "a b c d"); }

// ---------------------------------------------------------------------------
// Output.

TEST(JsonWriterTest, NestedWithCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Int(-1);
  w.Key("b").BeginArray().String("x\"y").Uint(18446744073709551615u).Bool(true).Null().EndArray();
  w.Key("c").BeginObject().EndObject();
  w.Key("d").Raw("{\"k\":1}");
  w.EndObject();
  EXPECT_EQ(w.str(),
            "{\"a\":-1,\"b\":[\"x\\\"y\",18446744073709551615,true,null],\"c\":{},"
            "\"d\":{\"k\":1}}");
}

TEST(JsonQuoteTest, Escapes) {
  EXPECT_EQ(JsonQuote("a\\b\"c\n\x01"), "\"a\\\\b\\\"c\\n\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(UnquoteCentsFieldsTest, OnlyCentsKeysWithIntegerStrings) {
  EXPECT_EQ(UnquoteCentsFields(R"({"amount_cents":"15000","units":1,"id":"15000"})"),
            R"({"amount_cents":15000,"units":1,"id":"15000"})");
  EXPECT_EQ(UnquoteCentsFields(R"({"postings":[{"account":"ar:unbilled","amount_cents":"-150"}]})"),
            R"({"postings":[{"account":"ar:unbilled","amount_cents":-150}]})");
  EXPECT_EQ(UnquoteCentsFields(R"({"list_cents":["1","2"],"x":"3"})"),
            R"({"list_cents":[1,2],"x":"3"})");
  // Values that only look like keys inside strings are left alone.
  EXPECT_EQ(UnquoteCentsFields(R"({"reason":"\"a_cents\":\"5\"","b_cents":"x"})"),
            R"({"reason":"\"a_cents\":\"5\"","b_cents":"x"})");
  EXPECT_EQ(UnquoteCentsFields(R"({"a_cents": "7"})"), R"({"a_cents": 7})");
}

rcl::v1::Event ChargeEvent() {
  rcl::v1::ChargeRecorded charge;
  charge.set_encounter_id("E1");
  charge.set_line_number(1);
  charge.set_code_system(rcl::v1::PROCEDURE_CODE_SYSTEM_CPT);
  charge.set_procedure_code("99213");
  charge.add_modifiers("25");
  charge.set_units(1);
  charge.set_amount_cents(15000);
  charge.add_diagnosis_pointers(1);
  rcl::v1::Posting* p = charge.add_postings();
  p->set_account("ar:unbilled");
  p->set_amount_cents(15000);
  p = charge.add_postings();
  p->set_account("revenue:gross_charges");
  p->set_amount_cents(-15000);
  rcl::v1::Event event;
  event.set_position(12);
  event.set_tenant("t1");
  event.set_stream("encounter-E1");
  event.set_version(3);
  event.set_type("ChargeRecorded");
  event.set_payload(charge.SerializeAsString());
  event.set_effective_date("2026-11-02");
  event.set_hash("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  event.set_recorded_at_us(1700000000000000);
  return event;
}

TEST(PayloadToJsonTest, DecodesByTypeNameWithIntegerCents) {
  absl::StatusOr<std::string> json = PayloadToJson(ChargeEvent());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"amount_cents\":15000"));
  EXPECT_THAT(*json, HasSubstr("\"amount_cents\":-15000"));
  EXPECT_THAT(*json, HasSubstr("\"procedure_code\":\"99213\""));
  EXPECT_THAT(*json, HasSubstr("\"encounter_id\":\"E1\""));
  EXPECT_THAT(*json, HasSubstr("\"code_system\":\"PROCEDURE_CODE_SYSTEM_CPT\""));
  EXPECT_THAT(*json, HasSubstr("\"modifiers\":[\"25\"]"));
}

TEST(PayloadToJsonTest, UnknownTypeAndBadBytes) {
  rcl::v1::Event event = ChargeEvent();
  event.set_type("NoSuchEvent");
  EXPECT_EQ(PayloadToJson(event).status().code(), absl::StatusCode::kNotFound);
  event.set_type("rcl.v1.ChargeRecorded");
  EXPECT_EQ(PayloadToJson(event).status().code(), absl::StatusCode::kNotFound);
  event.set_type("ChargeRecorded");
  event.set_payload("\xff\xff\xff");
  EXPECT_EQ(PayloadToJson(event).status().code(), absl::StatusCode::kDataLoss);
}

TEST(WriteEventJsonTest, EnvelopeAndPayload) {
  JsonWriter w;
  WriteEventJson(ChargeEvent(), &w);
  const std::string& json = w.str();
  EXPECT_THAT(json, ::testing::StartsWith("{\"position\":12,\"tenant\":\"t1\","));
  EXPECT_THAT(json, HasSubstr("\"stream\":\"encounter-E1\",\"version\":3"));
  EXPECT_THAT(json, HasSubstr("\"type\":\"ChargeRecorded\""));
  EXPECT_THAT(json, HasSubstr("\"recorded_at_us\":1700000000000000"));
  EXPECT_THAT(json, HasSubstr("\"payload\":{"));
  EXPECT_THAT(json, HasSubstr("\"amount_cents\":15000"));

  rcl::v1::Event bad = ChargeEvent();
  bad.set_type("Mystery");
  JsonWriter w2;
  WriteEventJson(bad, &w2);
  EXPECT_THAT(w2.str(), HasSubstr("\"payload\":null,\"payload_error\":"));
}

TEST(EventLineTest, OneLine) {
  EXPECT_EQ(EventLine(ChargeEvent()),
            "#12 encounter-E1@3 ChargeRecorded effective=2026-11-02 hash=0123456789ab");
  rcl::v1::Event e = ChargeEvent();
  e.clear_effective_date();
  EXPECT_THAT(EventLine(e), HasSubstr("effective=-"));
}

TEST(CommandResponseTest, HumanAndJson) {
  rcl::v1::CommandResponse r;
  r.set_position(12);
  r.set_stream("encounter-E1");
  r.set_stream_version(3);
  r.add_event_ids("e1");
  r.add_event_ids("e2");
  r.set_command_id("c1");
  EXPECT_EQ(CommandResponseLine(r),
            "ok position=12 stream=encounter-E1 stream_version=3 event_ids=e1,e2 command_id=c1");
  JsonWriter w;
  WriteCommandResponseJson(r, &w);
  EXPECT_EQ(w.str(),
            "{\"position\":12,\"stream\":\"encounter-E1\",\"stream_version\":3,"
            "\"event_ids\":[\"e1\",\"e2\"],\"command_id\":\"c1\"}");
}

// ---------------------------------------------------------------------------
// gRPC status conversion.

grpc::Status BadRequestStatus(const std::string& message,
                              std::vector<std::pair<std::string, std::string>> violations) {
  google::rpc::BadRequest bad_request;
  for (const auto& [field, description] : violations) {
    auto* v = bad_request.add_field_violations();
    v->set_field(field);
    v->set_description(description);
  }
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  details.set_message(message);
  details.add_details()->PackFrom(bad_request);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message, details.SerializeAsString());
}

TEST(FromGrpcStatusTest, KeepsCodeAndMessage) {
  EXPECT_TRUE(client::FromGrpcStatus(grpc::Status::OK).ok());
  absl::Status s = client::FromGrpcStatus(grpc::Status(grpc::StatusCode::ABORTED, "mismatch"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "mismatch");
  EXPECT_TRUE(client::FieldViolationsOf(s).empty());
  s = client::FromGrpcStatus(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "rule"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(FromGrpcStatusTest, CarriesBadRequestViolations) {
  absl::Status s = client::FromGrpcStatus(BadRequestStatus(
      "cpt: must be 5 digits or 4 digits + F/T",
      {{"cpt", "must be 5 digits or 4 digits + F/T"}, {"icd10_codes[1]", "not a code"}}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // The violation already in the message is not repeated; the other is appended.
  EXPECT_EQ(s.message(),
            "cpt: must be 5 digits or 4 digits + F/T [violations: icd10_codes[1]: not a code]");
  EXPECT_THAT(client::FieldViolationsOf(s),
              ElementsAre(Pair("cpt", "must be 5 digits or 4 digits + F/T"),
                          Pair("icd10_codes[1]", "not a code")));
  std::vector<rcl::FieldViolation> v = rcl::GetFieldViolations(s);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].field, "icd10_codes[1]");
}

TEST(FromGrpcStatusTest, EmptyMessageGetsTheViolations) {
  absl::Status s = client::FromGrpcStatus(BadRequestStatus("", {{"units", "must be > 0"}}));
  EXPECT_EQ(s.message(), "units: must be > 0");
}

TEST(FromGrpcStatusTest, GarbageDetailsAreIgnored) {
  absl::Status s = client::FromGrpcStatus(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad", std::string("\xff\x01garbage")));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad");
}

TEST(ClientTest, ConnectValidatesArguments) {
  EXPECT_EQ(client::Client::Connect("").status().code(), absl::StatusCode::kInvalidArgument);
  client::Options options;
  options.tenant = "";
  EXPECT_EQ(client::Client::Connect("127.0.0.1:1", options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, UnreachableServerIsUnavailable) {
  client::Options options;
  options.deadline_ms = 2000;
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Connect("127.0.0.1:1", options);
  ASSERT_TRUE(c.ok());
  absl::StatusOr<rcl::v1::HeadResponse> head = (*c)->Head();
  ASSERT_FALSE(head.ok());
  EXPECT_TRUE(head.status().code() == absl::StatusCode::kUnavailable ||
              head.status().code() == absl::StatusCode::kDeadlineExceeded)
      << head.status();
  rcl::v1::Command empty;
  EXPECT_EQ((*c)->Execute(empty).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// tests/testing helpers and the rcl binary without a server.

TEST(TempDirTest, CreatesAndRemoves) {
  std::string path;
  {
    rcl::testing::TempDir dir;
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/f") << "x";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  rcl::testing::CommandResult r =
      rcl::testing::RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  r = rcl::testing::RunCommand({"/bin/sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.exit_code, 128 + 9);
  r = rcl::testing::RunCommand({"/no/such/binary"});
  EXPECT_EQ(r.exit_code, 127);
}

TEST(RunCommandTest, TimesOut) {
  rcl::testing::CommandResult r = rcl::testing::RunCommand({"/bin/sleep", "30"}, 1);
  EXPECT_EQ(r.exit_code, 128 + 9);
  EXPECT_THAT(r.err, HasSubstr("timed out"));
}

TEST(RunCommandTest, BoundsOutput) {
  rcl::testing::CommandResult r =
      rcl::testing::RunCommand({"/bin/sh", "-c", "head -c 6000000 /dev/zero"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), 4u << 20);
}

// A stand-in server: prints the ready line, then exits 0 on SIGTERM.
std::string WriteFakeServer(const std::string& dir, const std::string& body) {
  std::string path = dir + "/fake-server";
  std::ofstream(path) << "#!/bin/sh\n" << body;
  chmod(path.c_str(), 0755);
  return path;
}

TEST(ServerProcessTest, StartsWaitsForReadyLineAndTerminates) {
  rcl::testing::TempDir dir;
  std::string fake = WriteFakeServer(dir.path(),
                                     "trap 'exit 0' TERM\n"
                                     "echo 'some noise'\n"
                                     "echo 'rcl-server listening on 127.0.0.1:45678'\n"
                                     "while true; do echo chatter; sleep 0.01; done\n");
  auto server = rcl::testing::ServerProcess::StartBinary(fake, dir.path() + "/data");
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->address(), "127.0.0.1:45678");
  EXPECT_GT((*server)->pid(), 0);
  EXPECT_TRUE((*server)->running());
  usleep(200 * 1000);  // the drainer keeps the chatty child from blocking
  EXPECT_TRUE((*server)->Terminate().ok());
  EXPECT_FALSE((*server)->running());
}

TEST(ServerProcessTest, ReportsEarlyExitAndBadExitCodes) {
  rcl::testing::TempDir dir;
  std::string dies = WriteFakeServer(dir.path(), "echo 'cannot open data dir' >&2; exit 3\n");
  auto server = rcl::testing::ServerProcess::StartBinary(dies, dir.path());
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("exited with code 3"));

  std::string stubborn =
      WriteFakeServer(dir.path(),
                      "trap 'exit 4' TERM\necho 'rcl-server listening on 127.0.0.1:1'\n"
                      "while true; do sleep 0.01; done\n");
  server = rcl::testing::ServerProcess::StartBinary(stubborn, dir.path());
  ASSERT_TRUE(server.ok()) << server.status();
  absl::Status s = (*server)->Terminate();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("exited with code 4"));

  server = rcl::testing::ServerProcess::StartBinary(stubborn, dir.path());
  ASSERT_TRUE(server.ok());
  pid_t pid = (*server)->pid();
  (*server)->Kill9();
  EXPECT_NE(kill(pid, 0), 0);  // reaped
  EXPECT_EQ(
      rcl::testing::ServerProcess::StartBinary(dir.path() + "/missing", dir.path()).status().code(),
      absl::StatusCode::kNotFound);
}

std::string RclBinary() { return std::string(RCL_BIN_DIR) + "/rcl"; }

TEST(RclBinaryTest, UsageErrorsExitTwoWithOneStderrLine) {
  if (access(RclBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "rcl not built";
  struct Case {
    std::vector<std::string> args;
    std::string err_part;
  };
  std::vector<Case> cases = {
      {{}, "missing command"},
      {{"nope"}, "unknown command nope"},
      {{"encounter"}, "encounter: missing command"},
      {{"encounter", "frob"}, "unknown command encounter frob"},
      {{"encounter", "charge", "--id", "E1", "--line", "1", "--cpt", "99213", "--amount", "1e2"},
       "--amount"},
      {{"encounter", "charge", "--id", "E1", "--line", "1", "--cpt", "99213", "--amount", "-3"},
       "--amount"},
      {{"encounter", "charge", "--id", "E1", "--line", "1", "--cpt", "99213", "--amount", "15.001"},
       "--amount"},
      {{"encounter", "charge", "--id", "E1", "--line", "1", "--amount", "1"},
       "exactly one of --cpt or --hcpcs"},
      {{"encounter", "charge", "--id", "E1", "--line", "x", "--cpt", "99213", "--amount", "1"},
       "--line"},
      {{"encounter", "charge", "--id", "E1", "--line", "1", "--cpt", "99213", "--amount", "1",
        "--dx", "1;2"},
       "--dx"},
      {{"patient", "register", "--id", "P1"}, "--family is required"},
      {{"patient", "register", "--id", std::string(5000, 'x')}, "--id: value is longer than"},
      {{"stream", "read"}, "missing STREAM"},
      {{"stream", "read", "a", "b"}, "unexpected argument b"},
      {{"log", "read", "--from", "-1"}, "--from"},
      {{"--expected-version", "-2", "encounter", "complete", "--id", "E1"}, "--expected-version"},
      {{"--bogus", "status"}, "unknown global flag --bogus"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {RclBinary(), "--server", "127.0.0.1:1"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    rcl::testing::CommandResult r = rcl::testing::RunCommand(argv);
    EXPECT_EQ(r.exit_code, 2) << c.err_part << " / " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.err_part));
    EXPECT_THAT(r.err, ::testing::StartsWith("rcl: "));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(RclBinaryTest, HelpAndJsonErrors) {
  if (access(RclBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "rcl not built";
  rcl::testing::CommandResult r = rcl::testing::RunCommand({RclBinary(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("rcl encounter charge"));
  EXPECT_THAT(r.out, HasSubstr("--server HOST:PORT"));
  r = rcl::testing::RunCommand({RclBinary(), "encounter", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--amount DOLLARS"));
  EXPECT_THAT(r.out, HasSubstr("void-charge"));
  r = rcl::testing::RunCommand({RclBinary(), "log", "verify", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--to N"));
  EXPECT_THAT(r.out, HasSubstr("--whole-log"));
  // A server error: exit 1, one line naming the code; --json gives one object.
  r = rcl::testing::RunCommand({RclBinary(), "--server", "127.0.0.1:1", "--json", "log", "head"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::StartsWith("rcl: unavailable: "));
  EXPECT_THAT(r.out, ::testing::StartsWith("{\"error\":{\"code\":\"UNAVAILABLE\""));
}

TEST(RclBinaryTest, ServerFromEnvironment) {
  if (access(RclBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "rcl not built";
  setenv("RCL_SERVER", "127.0.0.1:1", 1);
  rcl::testing::CommandResult r = rcl::testing::RunCommand({RclBinary(), "--json", "status"});
  unsetenv("RCL_SERVER");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:1"));
}

// ---------------------------------------------------------------------------
// Claims to cash: the specs and words of the claim commands' flags.

TEST(ClaimSpecsTest, LineSpecWithPaidAllowedAndAdjustments) {
  absl::StatusOr<rcl::v1::LineAdjudication> line =
      ParseLineSpec("--line", "1:paid=450.00:allowed=750.00:adj=CO-45:50.00:adj=PR-1:300.00");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->line_number(), 1);
  EXPECT_EQ(line->paid_cents(), 45000);
  EXPECT_EQ(line->allowed_cents(), 75000);
  ASSERT_EQ(line->adjustments_size(), 2);
  EXPECT_EQ(line->adjustments(0).group(), rcl::v1::ADJUSTMENT_GROUP_CO);
  EXPECT_EQ(line->adjustments(0).reason_code(), "45");
  EXPECT_EQ(line->adjustments(0).remark_code(), "");
  EXPECT_EQ(line->adjustments(0).amount_cents(), 5000);
  EXPECT_EQ(line->adjustments(1).group(), rcl::v1::ADJUSTMENT_GROUP_PR);
  EXPECT_EQ(line->adjustments(1).reason_code(), "1");
  EXPECT_EQ(line->adjustments(1).amount_cents(), 30000);
  EXPECT_EQ(FormatAdjustmentSpec(line->adjustments(0)), "CO-45:50.00");
}

TEST(ClaimSpecsTest, LineSpecDefaultsRemarksNegativesAndOrder) {
  absl::StatusOr<rcl::v1::LineAdjudication> denied =
      ParseLineSpec("--line", "3:adj=co-16-ma130:150");
  ASSERT_TRUE(denied.ok()) << denied.status();
  EXPECT_EQ(denied->line_number(), 3);
  EXPECT_EQ(denied->paid_cents(), 0);
  EXPECT_EQ(denied->allowed_cents(), 0);
  ASSERT_EQ(denied->adjustments_size(), 1);
  EXPECT_EQ(denied->adjustments(0).group(), rcl::v1::ADJUSTMENT_GROUP_CO);
  EXPECT_EQ(denied->adjustments(0).reason_code(), "16");
  EXPECT_EQ(denied->adjustments(0).remark_code(), "MA130");
  EXPECT_EQ(denied->adjustments(0).amount_cents(), 15000);
  EXPECT_EQ(FormatAdjustmentSpec(denied->adjustments(0)), "CO-16-MA130:150.00");

  absl::StatusOr<rcl::v1::LineAdjudication> negative =
      ParseLineSpec("--line", "2:adj=OA-23:-12.5:allowed=10:paid=0.01");
  ASSERT_TRUE(negative.ok()) << negative.status();
  EXPECT_EQ(negative->adjustments(0).group(), rcl::v1::ADJUSTMENT_GROUP_OA);
  EXPECT_EQ(negative->adjustments(0).amount_cents(), -1250);
  EXPECT_EQ(negative->allowed_cents(), 1000);
  EXPECT_EQ(negative->paid_cents(), 1);

  absl::StatusOr<rcl::v1::LineAdjudication> bare = ParseLineSpec("--line", "7");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->line_number(), 7);
  EXPECT_EQ(bare->adjustments_size(), 0);
}

TEST(ClaimSpecsTest, BadLineSpecsNameTheFlagAndThePart) {
  struct Case {
    const char* spec;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"", {"line number"}},
      {"0:paid=1", {"line number", "\"0\""}},
      {"x:paid=1", {"line number", "\"x\""}},
      {"1:paid=abc", {"paid=abc", "plain decimal"}},
      {"1:paid=-1.00", {"paid=-1.00", "negative"}},
      {"1:paid=1.001", {"paid=1.001", "more than two decimals"}},
      {"1:paid=1e3", {"paid=1e3"}},
      {"1:paid=1:paid=2", {"paid= is given more than once"}},
      {"1:allowed=", {"allowed=", "empty"}},
      {"1:adj=CO-45", {"adj=CO-45", "needs an amount"}},
      {"1:adj=CO-45:", {"adj=CO-45", "empty"}},
      {"1:adj=CO-45:0", {"adj=CO-45", "must not be zero"}},
      {"1:adj=CO-45:1.5.0", {"adj=CO-45", "\"1.5.0\""}},
      {"1:adj=XX-45:1.00", {"adj=XX-45", "adjustment group"}},
      {"1:adj=CO45:1.00", {"adj=CO45", "GROUP-CARC"}},
      {"1:adj=CO-:1.00", {"adj=CO-", "CARC"}},
      {"1:adj=CO-123456:1.00", {"CARC", "123456"}},
      {"1:adj=CO-45-M 1:1.00", {"RARC"}},
      {"1:adj=CO-45-N1-X:1.00", {"GROUP-CARC"}},
      {"1:fee=3", {"unexpected part", "\"fee=3\""}},
      {"1:450.00", {"unexpected part", "\"450.00\""}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<rcl::v1::LineAdjudication> line = ParseLineSpec("--line", c.spec);
    ASSERT_FALSE(line.ok()) << c.spec;
    EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(line.status().message()), ::testing::StartsWith("--line: ")) << c.spec;
    for (const std::string& part : c.parts) {
      EXPECT_THAT(std::string(line.status().message()), HasSubstr(part)) << c.spec;
    }
    EXPECT_EQ(std::string(line.status().message()).find('\n'), std::string::npos);
  }
}

TEST(ClaimSpecsTest, ClaimAdjustmentSpecs) {
  absl::StatusOr<rcl::v1::Adjustment> a = ParseAdjustmentSpec("--claim-adj", "CO-45:10.00");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->group(), rcl::v1::ADJUSTMENT_GROUP_CO);
  EXPECT_EQ(a->reason_code(), "45");
  EXPECT_EQ(a->amount_cents(), 1000);
  a = ParseAdjustmentSpec("--claim-adj", "pi-253-n1:-0.05");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->group(), rcl::v1::ADJUSTMENT_GROUP_PI);
  EXPECT_EQ(a->remark_code(), "N1");
  EXPECT_EQ(a->amount_cents(), -5);
  for (const char* bad : {"CO-45", "CO-45:1:2", "45:1.00", "CO-45:0.00", "CO-45:x", "ZZ-1:1"}) {
    absl::StatusOr<rcl::v1::Adjustment> r = ParseAdjustmentSpec("--claim-adj", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("--claim-adj: ")) << bad;
  }
}

TEST(ClaimSpecsTest, StatusesGroupsReasonsSidesOutcomesMethods) {
  EXPECT_EQ(*ParseClaimPaymentStatus("--status", "primary"), rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY);
  EXPECT_EQ(*ParseClaimPaymentStatus("--status", "Secondary"),
            rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY);
  EXPECT_EQ(*ParseClaimPaymentStatus("--status", "tertiary"),
            rcl::v1::CLAIM_PAYMENT_STATUS_TERTIARY);
  EXPECT_EQ(*ParseClaimPaymentStatus("--status", "denied"), rcl::v1::CLAIM_PAYMENT_STATUS_DENIED);
  EXPECT_EQ(*ParseClaimPaymentStatus("--status", "predetermination"),
            rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION);
  EXPECT_EQ(*ParseClaimPaymentStatus("--status", "25"),
            rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION);
  for (const char* word : {"primary", "secondary", "tertiary", "denied", "predetermination"}) {
    EXPECT_EQ(ClaimPaymentStatusWord(*ParseClaimPaymentStatus("--status", word)), word);
  }
  absl::StatusOr<rcl::v1::ClaimPaymentStatus> bad = ParseClaimPaymentStatus("--status", "paid");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith("--status: \"paid\""));

  EXPECT_EQ(*ParseAdjustmentGroup("--group", "co"), rcl::v1::ADJUSTMENT_GROUP_CO);
  EXPECT_EQ(*ParseAdjustmentGroup("--group", "CR"), rcl::v1::ADJUSTMENT_GROUP_CR);
  EXPECT_FALSE(ParseAdjustmentGroup("--group", "C0").ok());

  const std::vector<std::pair<const char*, rcl::v1::WriteOffReason>> reasons = {
      {"contractual", rcl::v1::WRITE_OFF_REASON_CONTRACTUAL},
      {"small_balance", rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE},
      {"bad_debt", rcl::v1::WRITE_OFF_REASON_BAD_DEBT},
      {"charity", rcl::v1::WRITE_OFF_REASON_CHARITY},
      {"timely_filing", rcl::v1::WRITE_OFF_REASON_TIMELY_FILING},
      {"administrative", rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE},
  };
  for (const auto& [word, reason] : reasons) {
    EXPECT_EQ(*ParseWriteOffReason("--reason", word), reason);
    EXPECT_EQ(WriteOffReasonWord(reason), word);
  }
  EXPECT_EQ(*ParseWriteOffReason("--reason", "small-balance"),
            rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE);
  absl::StatusOr<rcl::v1::WriteOffReason> gift = ParseWriteOffReason("--reason", "gift");
  ASSERT_FALSE(gift.ok());
  EXPECT_THAT(std::string(gift.status().message()), HasSubstr("--reason: \"gift\""));

  EXPECT_EQ(*ParseBalanceSide("--side", "payer"), rcl::v1::BALANCE_SIDE_PAYER);
  EXPECT_EQ(*ParseBalanceSide("--side", "patient"), rcl::v1::BALANCE_SIDE_PATIENT);
  EXPECT_FALSE(ParseBalanceSide("--side", "both").ok());
  EXPECT_EQ(*ParseAppealOutcome("--outcome", "overturned"), rcl::v1::APPEAL_OUTCOME_OVERTURNED);
  EXPECT_EQ(*ParseAppealOutcome("--outcome", "upheld"), rcl::v1::APPEAL_OUTCOME_UPHELD);
  EXPECT_EQ(*ParseAppealOutcome("--outcome", "partial"), rcl::v1::APPEAL_OUTCOME_PARTIAL);
  EXPECT_FALSE(ParseAppealOutcome("--outcome", "won").ok());
  EXPECT_EQ(*ParsePaymentMethod("--method", "ach"), rcl::v1::PAYMENT_METHOD_ACH);
  EXPECT_EQ(*ParsePaymentMethod("--method", "CHK"), rcl::v1::PAYMENT_METHOD_CHK);
  EXPECT_EQ(*ParsePaymentMethod("--method", "NON"), rcl::v1::PAYMENT_METHOD_NON);
  EXPECT_THAT(std::string(ParsePaymentMethod("--method", "WIRE").status().message()),
              HasSubstr("--method: \"WIRE\""));

  EXPECT_EQ(*ParseSignedAmountFlag("--amount", "-12.34"), -1234);
  EXPECT_EQ(*ParseSignedAmountFlag("--amount", "10"), 1000);
  EXPECT_THAT(std::string(ParseSignedAmountFlag("--amount", "--1").status().message()),
              ::testing::StartsWith("--amount: "));
}

TEST(ClaimOutputTest, ClaimViewJsonHasIntegerCents) {
  rcl::v1::ClaimView c;
  c.set_claim_id("CL1");
  c.set_status("adjudicated");
  c.set_charge_cents(25000);
  c.set_payer_paid_cents(10400);
  c.set_patient_balance_cents(-4600);
  c.set_rank(1);
  c.set_frequency(7);
  auto* l = c.add_lines();
  l->set_line_number(1);
  l->set_procedure_code("99214");
  l->add_modifiers("25");
  l->set_units(1);
  l->set_charge_cents(20000);
  l->set_denied_cents(1);
  auto* a = c.add_appeals();
  a->set_appeal_id("A1");
  a->set_outcome("open");
  JsonWriter w;
  WriteClaimViewJson(c, &w);
  const std::string& json = w.str();
  EXPECT_THAT(json, ::testing::StartsWith("{\"claim_id\":\"CL1\",\"status\":\"adjudicated\""));
  EXPECT_THAT(json, HasSubstr("\"charge_cents\":25000"));
  EXPECT_THAT(json, HasSubstr("\"payer_paid_cents\":10400"));
  EXPECT_THAT(json, HasSubstr("\"patient_balance_cents\":-4600"));
  EXPECT_THAT(json, HasSubstr("\"frequency\":7"));
  EXPECT_THAT(json, HasSubstr("\"denied\":false"));
  EXPECT_THAT(json, HasSubstr("\"lines\":[{\"line_number\":1,\"procedure_code\":\"99214\","
                              "\"modifiers\":[\"25\"],\"units\":1"));
  EXPECT_THAT(json, HasSubstr("\"denied_cents\":1}]"));
  EXPECT_THAT(json, HasSubstr("\"appeals\":[{\"appeal_id\":\"A1\",\"outcome\":\"open\"}]"));
  for (const char* key :
       {"contractual_cents", "other_adjustment_cents", "patient_responsibility_cents",
        "patient_paid_cents", "written_off_cents", "payer_balance_cents", "transferred_cents",
        "denied_cents", "next_claim_id", "payer_id", "rank", "allowed_cents", "paid_cents"}) {
    EXPECT_THAT(json, HasSubstr(absl::StrCat("\"", key, "\":"))) << key;
  }
  std::string text = ClaimViewText(c);
  EXPECT_THAT(text, HasSubstr("claim CL1  status=adjudicated"));
  EXPECT_THAT(text, HasSubstr("250.00"));
  EXPECT_THAT(text, HasSubstr("-46.00"));
  EXPECT_THAT(text, HasSubstr("appeals: A1=open"));
}

TEST(ClaimOutputTest, ScrubAndStatementRendering) {
  rcl::v1::ClaimScrubbed scrub;
  scrub.set_passed(false);
  scrub.add_checks("POINTERS_VALID");
  auto* e = scrub.add_edits();
  e->set_code("POINTERS_VALID");
  e->set_message("pointer 3 does not point at a diagnosis");
  e->set_line_number(2);
  EXPECT_EQ(ScrubText(scrub),
            "scrub failed (1 checks, 1 edit)\n"
            "  edit POINTERS_VALID line 2: pointer 3 does not point at a diagnosis\n");
  JsonWriter w;
  w.BeginObject();
  AppendScrubJson(scrub, &w);
  w.EndObject();
  EXPECT_EQ(w.str(),
            "{\"passed\":false,\"edits\":[{\"code\":\"POINTERS_VALID\",\"message\":\"pointer 3 "
            "does not point at a diagnosis\",\"line_number\":2}],\"checks\":[\"POINTERS_VALID\"]}");

  rcl::v1::PatientStatementIssued s;
  s.set_patient_id("P1");
  s.set_statement_date("2026-11-21");
  auto* line = s.add_lines();
  line->set_claim_id("CL1");
  line->set_date_of_service("2026-11-02");
  line->set_patient_balance_cents(4600);
  s.set_credit_cents(1000);
  s.set_balance_cents(3600);
  std::string text = StatementText(s);
  EXPECT_THAT(text, HasSubstr("statement patient=P1 date=2026-11-21"));
  EXPECT_THAT(text, HasSubstr("CL1"));
  EXPECT_THAT(text, HasSubstr("46.00"));
  EXPECT_THAT(text, HasSubstr("-10.00"));
  EXPECT_THAT(text, HasSubstr("36.00"));
  JsonWriter sw;
  sw.BeginObject();
  AppendStatementJson(s, &sw);
  sw.EndObject();
  EXPECT_THAT(sw.str(), HasSubstr("\"lines\":[{\"claim_id\":\"CL1\",\"date_of_service\":"
                                  "\"2026-11-02\",\"patient_balance_cents\":4600}]"));
  EXPECT_THAT(sw.str(), HasSubstr("\"credit_cents\":1000,\"balance_cents\":3600"));
}

// ---------------------------------------------------------------------------
// The demo generator, without a server.

class RecordingSink : public demo::DemoSink {
 public:
  absl::StatusOr<rcl::v1::CommandResponse> Execute(const rcl::v1::Command& command,
                                                   const client::CommandOptions& options) override {
    std::string bytes;
    command.SerializeToString(&bytes);
    commands.push_back(absl::StrCat(options.command_id, " ", bytes));
    rcl::v1::CommandResponse r;
    r.set_position(commands.size());
    r.set_command_id(options.command_id);
    return r;
  }
  absl::StatusOr<rcl::v1::ClaimView> GetClaim(const std::string&) override {
    return absl::UnimplementedError("no server");
  }
  std::vector<std::string> commands;
};

demo::DemoOptions DemoOptionsFor(uint64_t seed) {
  demo::DemoOptions o;
  o.seed = seed;
  o.patients = 40;
  o.days = 45;
  o.end = absl::CivilDay(2026, 6, 30);
  return o;
}

TEST(DemoTest, SameSeedSameCommandsOtherSeedOtherCommands) {
  RecordingSink a;
  RecordingSink b;
  RecordingSink c;
  absl::StatusOr<demo::DemoSummary> sa = demo::RunDemo(DemoOptionsFor(7), a);
  absl::StatusOr<demo::DemoSummary> sb = demo::RunDemo(DemoOptionsFor(7), b);
  absl::StatusOr<demo::DemoSummary> sc = demo::RunDemo(DemoOptionsFor(8), c);
  ASSERT_TRUE(sa.ok()) << sa.status();
  ASSERT_TRUE(sb.ok()) << sb.status();
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(a.commands, b.commands);
  EXPECT_NE(a.commands, c.commands);
  EXPECT_EQ(demo::DemoSummaryJson(*sa), demo::DemoSummaryJson(*sb));
  ASSERT_GT(a.commands.size(), 300u);
  EXPECT_THAT(a.commands[0], ::testing::StartsWith("demo-7-1 "));
  EXPECT_THAT(a.commands[1], ::testing::StartsWith("demo-7-2 "));
  EXPECT_EQ(sa->commands, static_cast<int64_t>(a.commands.size()));
  EXPECT_EQ(sa->first_date, "2026-05-17");
  EXPECT_EQ(sa->last_date, "2026-06-30");
  EXPECT_EQ(sa->through_date, "2026-07-03");
  EXPECT_EQ(sa->commands_by_type.at("register_patient"), 40);
  EXPECT_GT(sa->encounters, 39);
  EXPECT_GT(sa->adjudications, 0);
  EXPECT_GT(sa->charges_cents, 0);
  EXPECT_EQ(sa->claims_verified, 0);  // the sink has no server to check against
  std::string text = demo::DemoSummaryText(*sa);
  EXPECT_THAT(text, HasSubstr("demo seed=7 patients=40 days=45"));
  EXPECT_THAT(text, HasSubstr("register_patient"));
}

TEST(DemoTest, BoundsAreChecked) {
  RecordingSink sink;
  demo::DemoOptions o = DemoOptionsFor(1);
  o.patients = demo::kPatientsMax + 1;
  EXPECT_THAT(std::string(demo::RunDemo(o, sink).status().message()), HasSubstr("--patients"));
  o.patients = 0;
  EXPECT_FALSE(demo::RunDemo(o, sink).ok());
  o = DemoOptionsFor(1);
  o.days = demo::kDaysMax + 1;
  EXPECT_THAT(std::string(demo::RunDemo(o, sink).status().message()), HasSubstr("--days"));
  EXPECT_TRUE(sink.commands.empty());
}

TEST(DemoTest, ErrorsAbortNamingTheCommand) {
  class FailingSink : public RecordingSink {
   public:
    absl::StatusOr<rcl::v1::CommandResponse> Execute(
        const rcl::v1::Command& command, const client::CommandOptions& options) override {
      if (commands.size() == 5) return absl::FailedPreconditionError("rule broken");
      return RecordingSink::Execute(command, options);
    }
  };
  FailingSink sink;
  absl::StatusOr<demo::DemoSummary> s = demo::RunDemo(DemoOptionsFor(3), sink);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("demo-3-6"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("rule broken"));
  EXPECT_EQ(sink.commands.size(), 5u);
}

TEST(DemoTest, RandomNpiAndDollars) {
  demo::DemoRandom r(42);
  demo::DemoRandom same(42);
  std::vector<int64_t> seen(6, 0);
  for (int i = 0; i < 6000; ++i) {
    int64_t v = r.Uniform(-2, 3);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 3);
    ++seen[static_cast<size_t>(v + 2)];
    EXPECT_EQ(v, same.Uniform(-2, 3));
  }
  for (int64_t n : seen) EXPECT_GT(n, 800);  // roughly uniform
  EXPECT_EQ(r.Uniform(5, 5), 5);
  // std::mt19937_64's sequence is fixed by the standard: the 10000th output
  // of the default seed is 9981545732273789042.
  std::mt19937_64 reference;
  reference.discard(9999);
  EXPECT_EQ(reference(), 9981545732273789042ull);

  EXPECT_EQ(demo::NpiWithCheckDigit("123456789"), "1234567893");
  EXPECT_EQ(demo::FormatDollars(0), "$0.00");
  EXPECT_EQ(demo::FormatDollars(5), "$0.05");
  EXPECT_EQ(demo::FormatDollars(123456789), "$1,234,567.89");
  EXPECT_EQ(demo::FormatDollars(-100000), "-$1,000.00");
}

}  // namespace
}  // namespace rcl::cli
