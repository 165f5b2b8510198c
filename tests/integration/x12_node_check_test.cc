// The 837P export read by an independent parser: a real rcl-server started
// with the --x12-* settings exports an original, a replacement and a void
// claim, and node-x12 (npm, installed by ops/x12-node-check into the build
// directory) reads the file without a problem: envelopes, SE01/GE01/IEA01,
// the claim ids, frequency codes and REF*F8 it finds are ours. Skipped with
// the reason when node or npm is missing or cannot install node-x12. Also:
// the settings land in the file, and a bad setting stops the server.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "ledger/x12/reader.h"
#include "tests/testing/cli_fixture.h"

namespace rcl {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using namespace ::rcl::testing::json;  // NOLINT: JSON helpers
using ::testing::HasSubstr;

// The practice as the server's flags describe it.
const std::vector<std::string> kPracticeFlags = {
    "--x12-billing-name",   "VALLEY CLINIC", "--x12-billing-npi",      "1234567893",
    "--x12-billing-tax-id", "123456789",     "--x12-billing-address1", "10 ELM ST",
    "--x12-billing-city",   "SPRINGFIELD",   "--x12-billing-state",    "IL",
    "--x12-billing-zip",    "62701",         "--x12-sender-id",        "VALLEY01",
    "--x12-submitter-name", "VALLEY CLINIC", "--x12-contact-phone",    "2175550199",
    "--x12-receiver-id",    "CH99",          "--x12-receiver-name",    "CLEARING CO"};

class X12NodeCheckTest : public testing::RclCliTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
        testing::ServerProcess::Start(dir_.path() + "/data", kPracticeFlags);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void Ok(std::vector<std::string> args) {
    Struct r = RclJson(std::move(args));
    EXPECT_GT(Num(r, "position"), 0);
  }

  // A submitted claim of encounter E<claim> billed under `npi`.
  void Claim(const std::string& claim, const std::string& npi = "1234567893") {
    const std::string enc = "E" + claim;
    Ok({"encounter", "open", "--id", enc, "--patient", "P1", "--rendering-npi", npi,
        "--billing-npi", npi, "--date", "2026-11-02", "--pos", "11"});
    Ok({"encounter", "diagnose", "--id", enc, "--icd10", "E11.9", "--icd10", "I10"});
    Ok({"encounter", "charge", "--id", enc, "--line", "1", "--cpt", "99213", "--amount", "100.00",
        "--dx", "1,2"});
    Ok({"encounter", "charge", "--id", enc, "--line", "2", "--cpt", "36415", "--amount", "25.00",
        "--dx", "1"});
    Ok({"encounter", "complete", "--id", enc});
    Ok({"claim", "create", "--id", claim, "--encounter", enc, "--coverage", "C1"});
    Ok({"claim", "scrub", "--id", claim});
    Ok({"claim", "submit", "--id", claim, "--batch", "B1"});
  }

  void Patient() {
    Ok({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE", "--birth-date",
        "1950-02-03"});
    Ok({"coverage", "add", "--patient", "P1", "--id", "C1", "--payer", "87726", "--payer-name",
        "PRIMARY PLAN", "--member-id", "MP1", "--rank", "1", "--from", "2026-01-01"});
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
};

TEST_F(X12NodeCheckTest, NodeX12ReadsTheExportedOriginalReplacementAndVoidWithoutAProblem) {
  Patient();
  Claim("CL1");
  Claim("CL2");
  Ok({"claim", "replace", "--id", "CL2R", "--original", "CL2", "--payer-claim-number", "PCN2"});
  Claim("CL3");
  Ok({"claim", "void", "--id", "CL3V", "--original", "CL3", "--payer-claim-number", "PCN3"});
  const std::string out = absl::StrCat(dir_.path(), "/claims.837");
  Struct exported = RclJson({"claim", "export-837", "--claim", "CL1", "--claim", "CL2R", "--claim",
                             "CL3V", "--out", out});
  EXPECT_EQ(Num(exported, "claims"), 3);

  // The settings are in the file.
  const std::string bytes = ReadFile(out);
  EXPECT_THAT(bytes, HasSubstr("*ZZ*VALLEY01       *ZZ*CH99           *"));
  EXPECT_THAT(bytes, HasSubstr("NM1*85*2*VALLEY CLINIC*****XX*1234567893~"));
  EXPECT_THAT(bytes, HasSubstr("N3*10 ELM ST~"));
  EXPECT_THAT(bytes, HasSubstr("N4*SPRINGFIELD*IL*62701~"));
  EXPECT_THAT(bytes, HasSubstr("REF*EI*123456789~"));
  EXPECT_THAT(bytes, HasSubstr("NM1*40*2*CLEARING CO*****46*CH99~"));

  // Our own reader's segment count, to compare with node-x12's.
  absl::StatusOr<x12::Document> doc = x12::ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const size_t our_segments = doc->interchanges[0].groups[0].transactions[0].segments.size();

  const std::string cache = std::string(RCL_BIN_DIR) + "/../node-x12";
  testing::CommandResult node = testing::RunCommand(
      {std::string(RCL_SOURCE_DIR) + "/ops/x12-node-check", "--cache", cache, out}, 300);
  if (node.exit_code == 77) GTEST_SKIP() << node.err;
  ASSERT_EQ(node.exit_code, 0) << node.out << node.err;
  ASSERT_EQ(Lines(node.out), 1) << node.out;
  Struct r = ParseJson(node.out);
  EXPECT_TRUE(List(r, "errors").empty()) << node.out;
  EXPECT_EQ(Num(r, "interchanges"), 1);
  EXPECT_EQ(Num(r, "groups"), 1);
  std::vector<Value> txs = List(r, "transactions");
  ASSERT_EQ(txs.size(), 1u);
  const Struct& tx = txs[0].struct_value();
  EXPECT_EQ(Str(tx, "st01"), "837");
  EXPECT_EQ(Str(tx, "st03"), "005010X222A1");
  EXPECT_EQ(Num(tx, "se01"), Num(tx, "segments"));
  // Ours counts the segments between ST and SE (node-x12's count has both).
  EXPECT_EQ(Num(tx, "segments"), static_cast<double>(our_segments));
  std::vector<Value> claims = List(r, "claims");
  ASSERT_EQ(claims.size(), 3u) << node.out;
  const std::vector<std::vector<std::string>> want = {
      {"CL1", "1", ""}, {"CL2R", "7", "PCN2"}, {"CL3V", "8", "PCN3"}};
  for (size_t i = 0; i < want.size(); ++i) {
    const Struct& c = claims[i].struct_value();
    EXPECT_EQ(Str(c, "id"), want[i][0]);
    EXPECT_EQ(Str(c, "frequency"), want[i][1]) << want[i][0];
    EXPECT_EQ(Str(c, "f8"), want[i][2]) << want[i][0];
    EXPECT_EQ(Str(c, "charge"), "125") << want[i][0];
    EXPECT_EQ(Num(c, "lines"), 2) << want[i][0];
  }
}

TEST_F(X12NodeCheckTest, AClaimBilledUnderAnotherNpiThanTheServersIsRefused) {
  Patient();
  Claim("CLX", "1245319599");
  ExpectFailure(
      {"claim", "export-837", "--claim", "CLX"}, 1,
      {"failed precondition", "claim CLX is billed under NPI 1245319599", "--x12-billing-npi"});
}

TEST(X12SettingsTest, ABadX12SettingStopsTheServerNamingTheFlag) {
  testing::TempDir dir;
  const std::string server = std::string(RCL_BIN_DIR) + "/rcl-server";
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--x12-billing-tax-id", "12-3456789"}, "--x12-billing-tax-id is not 9 to 9 digits"},
      {{"--x12-billing-npi", "123"}, "--x12-billing-npi is not 10 to 10 digits"},
      {{"--x12-billing-state", "ILL"}, "--x12-billing-state is not 2 to 2 letters or digits"},
      {{"--x12-sender-id", "A*B"}, "--x12-sender-id contains an X12 delimiter"},
      {{"--x12-receiver-name="}, "--x12-receiver-name is empty"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {server, "--listen", "127.0.0.1:0", "--data-dir",
                                     dir.path() + "/data"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    testing::CommandResult r = testing::RunCommand(argv, 30);
    EXPECT_EQ(r.exit_code, 2) << c.flags[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.flags[0];
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data"));
}

}  // namespace
}  // namespace rcl
