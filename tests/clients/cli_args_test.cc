// Unit tests of the server-independent pieces of the rcl client and command
// line: flag parsing, number/amount/pointer parsing, JSON output, payload
// decoding and gRPC status conversion.
#include "clients/cli_args.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clients/cli_output.h"
#include "clients/client.h"
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
  EXPECT_THAT(r.out, HasSubstr("--to POS"));
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

}  // namespace
}  // namespace rcl::cli
