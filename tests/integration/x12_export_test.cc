// End-to-end: `rcl claim export-837` against a real rcl-server. Claims made
// with the CLI (an original, a replacement, a void) leave as one 837P file
// that is read back with ReadX12: envelopes and counts, CLM01/CLM02/CLM05,
// REF*F8, HI codes and SV1 lines; the export shows in each claim's history.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "ledger/x12/amount.h"
#include "ledger/x12/reader.h"
#include "tests/testing/cli_fixture.h"

namespace rcl {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using namespace ::rcl::testing::json;  // NOLINT: JSON helpers
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// One claim's loop as read back: CLM, REF*F8, HI and its SV1s.
struct ReadClaim {
  std::vector<std::string> clm;
  std::string f8;
  std::vector<std::string> hi;
  std::vector<std::vector<std::string>> sv1;  // procedure composite, charge, UN, units, pointers
  std::string payer_id;                       // NM1*PR NM109
};

std::vector<std::string> Elements(const x12::Segment& s) {
  std::vector<std::string> out;
  for (size_t i = 1; i <= s.ElementCount(); ++i) out.emplace_back(s.Element(i));
  return out;
}

int64_t Cents(const std::string& text) {
  absl::StatusOr<int64_t> c = x12::ParseCents(text);
  EXPECT_TRUE(c.ok()) << text;
  return c.ok() ? *c : -1;
}

class X12ExportTest : public testing::RclCliTest {
 protected:
  uint64_t Ok(std::vector<std::string> args) {
    Struct r = RclJson(std::move(args));
    EXPECT_GT(Num(r, "position"), 0);
    return static_cast<uint64_t>(Num(r, "position"));
  }

  uint64_t Head() {
    return static_cast<uint64_t>(Num(RclJson({"log", "head", "--whole-log"}), "position"));
  }

  // An encounter with `lines` ({cpt, amount, dx pointers[, modifier]}) and a
  // claim on coverage C1, scrubbed and submitted.
  void Claim(const std::string& claim, const std::vector<std::vector<std::string>>& lines) {
    const std::string enc = "E" + claim;
    Ok({"encounter", "open", "--id", enc, "--patient", "P1", "--rendering-npi", "1234567893",
        "--billing-npi", "1234567893", "--date", "2026-11-02", "--pos", "11"});
    Ok({"encounter", "diagnose", "--id", enc, "--icd10", "E11.9", "--icd10", "I10"});
    int n = 0;
    for (const std::vector<std::string>& line : lines) {
      std::vector<std::string> args = {
          "encounter", "charge", "--id",     enc,     "--line", std::to_string(++n),
          "--cpt",     line[0],  "--amount", line[1], "--dx",   line[2]};
      if (line.size() > 3) {
        args.push_back("--modifier");
        args.push_back(line[3]);
      }
      Ok(args);
    }
    Ok({"encounter", "complete", "--id", enc});
    Ok({"claim", "create", "--id", claim, "--encounter", enc, "--coverage", "C1"});
    Ok({"claim", "scrub", "--id", claim});
    Ok({"claim", "submit", "--id", claim, "--batch", "B1"});
  }

  std::string ReadBack(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

TEST_F(X12ExportTest, ClaimsRoundTripThroughAn837PFileAndTheExportIsRecorded) {
  Ok({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE", "--birth-date",
      "1950-02-03"});
  Ok({"coverage", "add", "--patient", "P1", "--id", "C1", "--payer", "87726", "--payer-name",
      "PRIMARY PLAN", "--member-id", "MP1", "--rank", "1", "--from", "2026-01-01"});
  Claim("CL1", {{"99214", "200.00", "1,2", "25"}, {"80053", "50.00", "1"}});
  Claim("CL2", {{"99213", "100.00", "2"}});
  // CL2 replaced (frequency 7, REF*F8 PCN9); the replacement then voided.
  Ok({"claim", "replace", "--id", "CL2R", "--original", "CL2", "--payer-claim-number", "PCN9"});
  Ok({"claim", "scrub", "--id", "CL2R"});
  Ok({"claim", "submit", "--id", "CL2R"});
  Ok({"claim", "void", "--id", "CL2V", "--original", "CL2R", "--payer-claim-number", "PCN9"});
  Claim("CL3", {{"99213", "100.00", "2"}});
  Ok({"claim", "replace", "--id", "CL3R", "--original", "CL3", "--payer-claim-number", "PCN3"});

  const std::string out = absl::StrCat(dir_.path(), "/claims.837");
  Struct r = RclJson({"claim", "export-837", "--claim", "CL1", "--claim", "CL2V", "--out", out});
  EXPECT_THAT(Str(r, "export_id"), StartsWith("x837-"));
  EXPECT_EQ(Str(r, "file_sha256").size(), 64u);
  EXPECT_EQ(Num(r, "claims"), 2);
  EXPECT_EQ(Str(r, "out"), out);
  EXPECT_GT(Num(r, "position"), 0);
  const std::string bytes = ReadBack(out);
  EXPECT_EQ(Num(r, "bytes"), static_cast<double>(bytes.size()));

  absl::StatusOr<x12::Document> doc = x12::ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->interchanges.size(), 1u);
  const x12::Interchange& ic = doc->interchanges[0];
  EXPECT_EQ(ic.usage, "P");
  EXPECT_EQ(std::stoul(std::string(ic.control_number)),
            static_cast<unsigned long>(Num(r, "interchange_control_number")));
  ASSERT_EQ(ic.groups.size(), 1u);
  EXPECT_EQ(ic.groups[0].functional_id, "HC");
  ASSERT_EQ(ic.groups[0].transactions.size(), 1u);
  const x12::TransactionSet& tx = ic.groups[0].transactions[0];
  EXPECT_EQ(tx.id, "837");
  EXPECT_EQ(tx.implementation, "005010X222A1");

  std::vector<ReadClaim> claims;
  std::string billing_npi;
  for (const x12::Segment& s : tx.segments) {
    const std::string id(s.id());
    std::vector<std::string> e = Elements(s);
    if (e.empty()) continue;
    if (id == "NM1" && e[0] == "85") billing_npi = e.back();
    if (id == "CLM") {
      claims.emplace_back();
      claims.back().clm = e;
    }
    if (claims.empty()) continue;
    if (id == "REF" && e[0] == "F8" && e.size() > 1) claims.back().f8 = e[1];
    if (id == "HI") claims.back().hi = e;
    if (id == "SV1") claims.back().sv1.push_back(e);
  }
  for (size_t i = 0; i < tx.segments.size(); ++i) {
    // The payer (NM1*PR) precedes its claim's CLM.
    const x12::Segment& s = tx.segments[i];
    if (s.id() != "NM1" || s.Element(1) != "PR") continue;
    for (size_t j = i + 1; j < tx.segments.size(); ++j) {
      if (tx.segments[j].id() != "CLM") continue;
      for (ReadClaim& c : claims) {
        if (c.clm[0] == tx.segments[j].Element(1)) c.payer_id = std::string(s.Element(9));
      }
      break;
    }
  }
  EXPECT_EQ(billing_npi, "1234567893");
  ASSERT_EQ(claims.size(), 2u);

  const ReadClaim& c1 = claims[0];
  EXPECT_EQ(c1.clm[0], "CL1");
  EXPECT_EQ(Cents(c1.clm[1]), 25000);
  EXPECT_EQ(c1.clm[4], "11:B:1");
  EXPECT_EQ(c1.f8, "");
  EXPECT_EQ(c1.payer_id, "87726");
  EXPECT_THAT(c1.hi, ElementsAre("ABK:E119", "ABF:I10"));
  ASSERT_EQ(c1.sv1.size(), 2u);
  EXPECT_EQ(c1.sv1[0][0], "HC:99214:25");
  EXPECT_EQ(Cents(c1.sv1[0][1]), 20000);
  EXPECT_EQ(c1.sv1[0][2], "UN");
  EXPECT_EQ(c1.sv1[0][3], "1");
  EXPECT_EQ(c1.sv1[0][6], "1:2");
  EXPECT_EQ(c1.sv1[1][0], "HC:80053");
  EXPECT_EQ(Cents(c1.sv1[1][1]), 5000);
  EXPECT_EQ(c1.sv1[1][6], "1");

  const ReadClaim& v = claims[1];
  EXPECT_EQ(v.clm[0], "CL2V");
  EXPECT_EQ(Cents(v.clm[1]), 10000);
  EXPECT_EQ(v.clm[4], "11:B:8");
  EXPECT_EQ(v.f8, "PCN9");
  ASSERT_EQ(v.sv1.size(), 1u);
  EXPECT_EQ(v.sv1[0][0], "HC:99213");
  EXPECT_EQ(v.sv1[0][6], "2");

  // Each claim's history shows the export; the books still balance.
  for (const std::string claim : {"CL1", "CL2V"}) {
    Struct h = RclJson({"claim", "history", "--id", claim, "--min-position",
                        absl::StrCat(static_cast<uint64_t>(Num(r, "position")))});
    std::vector<Value> entries = List(h, "entries");
    ASSERT_FALSE(entries.empty()) << claim;
    EXPECT_EQ(Str(entries.back().struct_value(), "type"), "ClaimExported") << claim;
  }

  // The file on standard output; the replacement (frequency 7) with REF*F8.
  testing::CommandResult stdout_export = Rcl({"claim", "export-837", "--claim", "CL3R", "--test"});
  ASSERT_EQ(stdout_export.exit_code, 0) << stdout_export.err;
  EXPECT_THAT(stdout_export.out, StartsWith("ISA*"));
  EXPECT_THAT(stdout_export.out, HasSubstr("CLM*CL3R*100***11:B:7*"));
  EXPECT_THAT(stdout_export.out, HasSubstr("REF*F8*PCN3~"));
  absl::StatusOr<x12::Document> second = x12::ReadX12(stdout_export.out);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->interchanges[0].usage, "T");
}

TEST_F(X12ExportTest, BadRequestsAreRefusedAndRecordNothing) {
  Ok({"patient", "register", "--id", "P1", "--family", "DOE", "--given", "JANE", "--birth-date",
      "1950-02-03"});
  Ok({"coverage", "add", "--patient", "P1", "--id", "C1", "--payer", "87726", "--payer-name",
      "PRIMARY PLAN", "--member-id", "MP1", "--rank", "1", "--from", "2026-01-01"});
  Claim("CL1", {{"99214", "200.00", "1"}});
  Ok({"claim", "replace", "--id", "CL1R", "--original", "CL1", "--payer-claim-number", "PCN1"});
  const uint64_t head = Head();
  ExpectFailure({"claim", "export-837", "--claim", "NOPE"}, 1, {"not found", "claim NOPE"});
  ExpectFailure({"claim", "export-837", "--claim", "CL1R", "--claim", "NOPE"}, 1,
                {"not found", "claim NOPE"});
  ExpectFailure({"claim", "export-837", "--claim", "CL1R", "--claim", "CL1R"}, 1,
                {"invalid argument", "claim_ids[1]", "listed twice"});
  ExpectFailure(
      {"claim", "export-837", "--claim", "CL1"}, 1,
      {"failed precondition", "claim CL1 is replaced; export its replacement claim CL1R"});
  ExpectFailure({"claim", "export-837"}, 2, {"--claim"});
  EXPECT_EQ(Head(), head);
}

}  // namespace
}  // namespace rcl
