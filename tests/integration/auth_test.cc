// Who may do what, through real rcl-server processes (docs/SECURITY.md):
// the actor is the principal, tokens reload on SIGHUP, open mode is for
// loopback only, patient reads land in the access log, TLS and mutual TLS
// with certificates made here by openssl, and no PHI in the server's log
// after a whole `rcl demo`.
#include <signal.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/auth_fixture.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const TestPrincipal kBiller{"ana", "biller-token-7f3a", {"biller"}, {"t1"}};
const TestPrincipal kAuditor{"aud", "auditor-token-19c2", {"auditor"}, {"t1", "t2"}};
const TestPrincipal kNewBiller{"ben", "biller-token-new-55e1", {"biller"}, {"t1"}};
const TestPrincipal kDemo{"demo-runner", "demo-token-0b7d", {"coder", "biller"}, {"demo"}};

std::string RegisterPatientBytes(const std::string& tenant, const std::string& id,
                                 const std::string& family, const std::string& given,
                                 const std::string& birth) {
  rcl::v1::RegisterPatientRequest r;
  r.mutable_context()->set_tenant(tenant);
  r.mutable_command()->set_patient_id(id);
  r.mutable_command()->set_family_name(family);
  r.mutable_command()->set_given_name(given);
  r.mutable_command()->set_birth_date(birth);
  return r.SerializeAsString();
}

constexpr char kRegisterPatient[] = "/rcl.v1.LedgerService/RegisterPatient";
constexpr char kReadStream[] = "/rcl.v1.LogService/ReadStream";

absl::StatusOr<rcl::v1::ReadStreamResponse> ReadStream(const std::shared_ptr<grpc::Channel>& ch,
                                                       const std::string& token,
                                                       const std::string& tenant,
                                                       const std::string& stream) {
  rcl::v1::ReadStreamRequest r;
  r.set_tenant(tenant);
  r.set_stream(stream);
  std::string bytes;
  grpc::Status s = CallRaw(ch, kReadStream, r.SerializeAsString(), As(token), &bytes);
  if (!s.ok())
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  rcl::v1::ReadStreamResponse out;
  if (!out.ParseFromString(bytes)) return absl::DataLossError("bad ReadStreamResponse");
  return out;
}

// A server whose stderr goes to `log` (a wrapper script execs it), with
// the principals in dir/tokens.json.
class AuthServerTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    log_ = dir_.path() + "/server.log";
    std::string wrapper = dir_.path() + "/rcl-server-logged";
    WriteFile(wrapper, absl::StrCat("#!/bin/sh\nexec '", RCL_BIN_DIR, "/rcl-server' \"$@\" 2>>'",
                                    log_, "'\n"));
    ASSERT_EQ(chmod(wrapper.c_str(), 0755), 0);
    auto server = ServerProcess::StartBinary(wrapper, dir_.path() + "/data", std::move(flags));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = PlainChannel(server_->address());
  }
  void StartWithTokens(const std::vector<TestPrincipal>& principals) {
    tokens_ = dir_.path() + "/tokens.json";
    WriteFile(tokens_, TokensJson(principals));
    StartServer({"--tokens-file", tokens_});
  }
  void TearDown() override {
    if (server_ != nullptr && server_->running()) {
      EXPECT_TRUE(server_->Terminate().ok());
    }
  }
  std::vector<std::string> RclArgs(std::vector<std::string> args) {
    std::vector<std::string> argv = {std::string(RCL_BIN_DIR) + "/rcl", "--server",
                                     server_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  TempDir dir_;
  std::string log_;
  std::string tokens_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AuthServerTest, EventsRecordThePrincipalNotTheActorTheClientNames) {
  StartWithTokens({kBiller, kAuditor});
  RawCall call = As(kBiller.token);
  call.metadata.push_back({"x-rcl-actor", "mallory"});
  grpc::Status s = CallRaw(channel_, kRegisterPatient,
                           RegisterPatientBytes("t1", "P1", "DOE", "JANE", "1980-02-03"), call);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto events = ReadStream(channel_, kAuditor.token, "t1", "patient-P1");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->events_size(), 1);
  EXPECT_EQ(events->events(0).actor(), "ana");
}

TEST_F(AuthServerTest, SighupReloadsTokensAndABadFileKeepsTheOldOnes) {
  StartWithTokens({kBiller, kAuditor});
  auto register_as = [&](const TestPrincipal& p, const std::string& id) {
    return CallRaw(channel_, kRegisterPatient,
                   RegisterPatientBytes("t1", id, "X", "Y", "1990-01-01"), As(p.token));
  };
  EXPECT_EQ(register_as(kNewBiller, "P1").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Ben added, Ana revoked.
  WriteFile(tokens_, TokensJson({kNewBiller, kAuditor}));
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  grpc::Status ben = register_as(kNewBiller, "P2");
  for (int i = 0; i < 50 && !ben.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ben = register_as(kNewBiller, "P2");
  }
  EXPECT_TRUE(ben.ok()) << ben.error_message();
  EXPECT_EQ(register_as(kBiller, "P3").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A broken file: the table in use stays, and the log says why.
  WriteFile(tokens_, "{\"principals\":[{\"name\":\"x\",\"roles\":[\"wizard\"]}]}");
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  std::string log;
  for (int i = 0; i < 50 && !absl::StrContains(log, "tokens not reloaded"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = ReadFile(log_);
  }
  EXPECT_THAT(log, HasSubstr("tokens not reloaded"));
  EXPECT_TRUE(register_as(kNewBiller, "P4").ok());
  EXPECT_EQ(register_as(kBiller, "P5").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(AuthStartTest, RefusesANonLoopbackAddressWithoutATokensFile) {
  TempDir dir;
  CommandResult r = RunCommand({std::string(RCL_BIN_DIR) + "/rcl-server", "--listen", "0.0.0.0:0",
                                "--data-dir", dir.path() + "/data"},
                               30);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("without --tokens-file"));
}

TEST_F(AuthServerTest, ListensOnAnyAddressWithATokensFile) {
  tokens_ = dir_.path() + "/tokens.json";
  WriteFile(tokens_, TokensJson({kBiller}));
  StartServer({"--listen", "0.0.0.0:0", "--tokens-file", tokens_});
  EXPECT_THAT(server_->address(), ::testing::StartsWith("0.0.0.0:"));
  grpc::Status s =
      CallRaw(channel_, kRegisterPatient,
              RegisterPatientBytes("t1", "P1", "DOE", "JANE", "1980-02-03"), RawCall());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(ReadFile(log_), Not(HasSubstr("OPEN DEVELOPMENT MODE")));
}

TEST_F(AuthServerTest, OpenModeOnLoopbackSaysSoLoudly) {
  StartServer();
  EXPECT_THAT(ReadFile(log_), HasSubstr("OPEN DEVELOPMENT MODE"));
}

TEST_F(AuthServerTest, PatientReadsAreInTheAccessLogAndRefusedOnesAreNot) {
  StartWithTokens({kBiller, kAuditor});
  ASSERT_TRUE(CallRaw(channel_, kRegisterPatient,
                      RegisterPatientBytes("t1", "P7", "DOE", "JANE", "1980-02-03"),
                      As(kBiller.token))
                  .ok());
  ASSERT_TRUE(ReadStream(channel_, kAuditor.token, "t1", "patient-P7").ok());
  // Refused before anything is read: not an access.
  EXPECT_EQ(ReadStream(channel_, kBiller.token, "t9", "patient-P8").status().code(),
            absl::StatusCode::kPermissionDenied);
  const std::string path = dir_.path() + "/data/access.log";
  std::string text;
  for (int i = 0; i < 50 && !absl::StrContains(text, "patient-P7"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    text = ReadFile(path);
  }
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << text;
  std::vector<std::string> fields = absl::StrSplit(lines[0], '\t');
  ASSERT_EQ(fields.size(), 5u) << lines[0];
  EXPECT_TRUE(std::regex_match(fields[0], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << fields[0];
  EXPECT_EQ(fields[1], "aud");
  EXPECT_EQ(fields[2], "rcl.v1.LogService/ReadStream");
  EXPECT_EQ(fields[3], "t1");
  EXPECT_EQ(fields[4], "patient-P7");
  EXPECT_THAT(text, Not(HasSubstr("patient-P8")));
}

class AuthTlsTest : public AuthServerTest {
 protected:
  void SetUp() override { MakeCertificates(dir_.path()); }
  std::string Pem(const std::string& name) { return dir_.path() + "/" + name; }
  CommandResult RegisterWith(std::vector<std::string> tls_flags, const std::string& id) {
    tls_flags.insert(tls_flags.end(), {"patient", "register", "--id", id, "--family", "DOE",
                                       "--given", "JANE", "--birth-date", "1980-02-03"});
    return RunCommand(RclArgs(tls_flags), 60);
  }
};

TEST_F(AuthTlsTest, TlsServesClientsThatTrustItsCaAndRefusesPlaintext) {
  StartServer({"--tls-cert", Pem("server.pem"), "--tls-key", Pem("server.key")});
  CommandResult ok = RegisterWith({"--ca-cert", Pem("ca.pem")}, "P1");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  CommandResult plain = RegisterWith({}, "P2");
  EXPECT_EQ(plain.exit_code, 1) << plain.err;
  CommandResult other_ca = RegisterWith({"--ca-cert", Pem("other-ca.pem")}, "P3");
  EXPECT_EQ(other_ca.exit_code, 1) << other_ca.err;
}

TEST_F(AuthTlsTest, MutualTlsRefusesClientsWithoutACertificateOfItsCa) {
  StartServer({"--tls-cert", Pem("server.pem"), "--tls-key", Pem("server.key"), "--tls-client-ca",
               Pem("ca.pem")});
  CommandResult ok = RegisterWith({"--ca-cert", Pem("ca.pem"), "--client-cert", Pem("client.pem"),
                                   "--client-key", Pem("client.key")},
                                  "P1");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  CommandResult no_cert = RegisterWith({"--ca-cert", Pem("ca.pem")}, "P2");
  EXPECT_EQ(no_cert.exit_code, 1) << no_cert.err;
  CommandResult wrong_ca =
      RegisterWith({"--ca-cert", Pem("ca.pem"), "--client-cert", Pem("other-client.pem"),
                    "--client-key", Pem("other-client.key")},
                   "P3");
  EXPECT_EQ(wrong_ca.exit_code, 1) << wrong_ca.err;
  // What was refused wrote nothing.
  CommandResult read = RunCommand(
      RclArgs({"--ca-cert", Pem("ca.pem"), "--client-cert", Pem("client.pem"), "--client-key",
               Pem("client.key"), "--json", "log", "read", "--from", "1"}));
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr("patient-P1"));
  EXPECT_THAT(read.out, Not(HasSubstr("patient-P2")));
  EXPECT_THAT(read.out, Not(HasSubstr("patient-P3")));
}

TEST_F(AuthTlsTest, TokensAndTlsTogetherThroughTheCommandLine) {
  tokens_ = dir_.path() + "/tokens.json";
  WriteFile(tokens_, TokensJson({kBiller}));
  StartServer(
      {"--tls-cert", Pem("server.pem"), "--tls-key", Pem("server.key"), "--tokens-file", tokens_});
  CommandResult no_token = RegisterWith({"--ca-cert", Pem("ca.pem"), "--tenant", "t1"}, "P1");
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_THAT(no_token.err, HasSubstr("unauthenticated"));
  CommandResult ok =
      RegisterWith({"--ca-cert", Pem("ca.pem"), "--tenant", "t1", "--token", kBiller.token}, "P1");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  CommandResult other_tenant =
      RegisterWith({"--ca-cert", Pem("ca.pem"), "--tenant", "t2", "--token", kBiller.token}, "P2");
  EXPECT_EQ(other_tenant.exit_code, 1);
  EXPECT_THAT(other_tenant.err, HasSubstr("permission denied"));
}

// Every whole word of `text`.
std::set<std::string> Words(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      word += c;
    } else if (!word.empty()) {
      words.insert(word);
      word.clear();
    }
  }
  return words;
}

TEST_F(AuthServerTest, TheServerLogHoldsNoPhiAfterAWholeDemo) {
  StartWithTokens({kDemo, kAuditor, {"aud-demo", "aud-demo-token-2d", {"auditor"}, {"demo"}}});
  CommandResult demo = RunCommand(RclArgs({"--token", kDemo.token, "--tenant", "demo", "demo",
                                           "--seed", "7", "--patients", "12", "--days", "10"}),
                                  240);
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  // Refusals that carry PHI in their requests: denied, unauthenticated,
  // invalid.
  CallRaw(channel_, kRegisterPatient,
          RegisterPatientBytes("t9", "PX", "ZYXWVUTS", "QWERTYUIOP", "1911-11-11"),
          As(kDemo.token));
  CallRaw(channel_, kRegisterPatient,
          RegisterPatientBytes("demo", "PX", "ZYXWVUTS", "QWERTYUIOP", "1911-11-11"), As("wrong"));
  CallRaw(channel_, kRegisterPatient,
          RegisterPatientBytes("demo", "PY", "ZYXWVUTS", "QWERTYUIOP", "1911-13-45"),
          As(kDemo.token));

  // The demo's patients, from the log itself.
  std::set<std::string> phi = {"ZYXWVUTS", "QWERTYUIOP", "1911-11-11", "1911-13-45"};
  rcl::v1::ReadAllRequest request;
  request.set_tenant("demo");
  request.add_event_types("PatientRegistered");
  request.add_event_types("CoverageAdded");
  request.set_limit(1000);
  std::string bytes;
  grpc::Status s = CallRaw(channel_, "/rcl.v1.LogService/ReadAll", request.SerializeAsString(),
                           As("aud-demo-token-2d"), &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  rcl::v1::ReadAllResponse all;
  ASSERT_TRUE(all.ParseFromString(bytes));
  int patients = 0;
  for (const rcl::v1::Event& e : all.events()) {
    if (e.type() == "PatientRegistered") {
      rcl::v1::PatientRegistered p;
      ASSERT_TRUE(p.ParseFromString(e.payload()));
      phi.insert({p.family_name(), p.given_name(), p.birth_date()});
      ++patients;
    } else {
      rcl::v1::CoverageAdded c;
      ASSERT_TRUE(c.ParseFromString(e.payload()));
      phi.insert(c.member_id());
    }
  }
  EXPECT_EQ(patients, 12);
  ASSERT_TRUE(server_->Terminate().ok());  // the log is complete
  std::string log = ReadFile(log_);
  EXPECT_THAT(log, HasSubstr("permission denied"));  // the refusals were logged
  EXPECT_THAT(log, HasSubstr("unauthenticated"));
  std::set<std::string> words = Words(log);
  for (const std::string& value : phi) {
    if (value.empty()) continue;
    EXPECT_EQ(words.count(value), 0u) << "PHI in the server log: " << value;
    EXPECT_THAT(log, Not(HasSubstr(value)));
  }
}

}  // namespace
}  // namespace rcl::testing
