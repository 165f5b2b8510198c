// Header-only fixture of the end-to-end 835 import tests
// (tests/integration/x12_import_test.cc, tests/integration/x12_cob_test.cc,
// tests/integration/x12_import_progress_test.cc): a real rcl-server
// (RclCliTest), claims made with the CLI the way a biller makes them, `rcl
// remit import`, and checks of claims, suspense and the books. Include it
// from tests/integration only.
#ifndef RCL_TESTS_TESTING_X12_IMPORT_FIXTURE_H_
#define RCL_TESTS_TESTING_X12_IMPORT_FIXTURE_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_fixture.h"

namespace rcl::testing {

inline std::string X12FixturePath(const std::string& name) {
  return absl::StrCat(RCL_SOURCE_DIR, "/tests/x12/fixtures/", name);
}

inline std::string ReadX12Fixture(const std::string& name) {
  std::ifstream in(X12FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "fixture " << name << " is missing";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class X12CliTest : public RclCliTest {
 protected:
  using Struct = google::protobuf::Struct;
  using Value = google::protobuf::Value;

  uint64_t Ok(std::vector<std::string> args) {
    Struct r = RclJson(std::move(args));
    EXPECT_GT(json::Num(r, "position"), 0);
    return static_cast<uint64_t>(json::Num(r, "position"));
  }

  uint64_t Head() {
    return static_cast<uint64_t>(json::Num(RclJson({"log", "head", "--whole-log"}), "position"));
  }

  Struct Show(const std::string& claim) { return RclJson({"claim", "show", "--id", claim}); }

  // A file under the test's directory holding `bytes`.
  std::string WriteFile(const std::string& name, const std::string& bytes) {
    const std::string path = absl::StrCat(dir_.path(), "/", name);
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return path;
  }

  // A patient with one primary coverage C1 of `payer`.
  void Patient(const std::string& id, const std::string& payer) {
    Ok({"patient", "register", "--id", id, "--family", "DOE", "--given", "JANE", "--birth-date",
        "1950-02-03"});
    Coverage(id, "C1", payer, 1);
  }

  void Coverage(const std::string& patient, const std::string& id, const std::string& payer,
                int rank) {
    Ok({"coverage", "add", "--patient", patient, "--id", id, "--payer", payer, "--payer-name",
        absl::StrCat("PLAN ", payer), "--member-id", absl::StrCat("M", patient, "R", rank),
        "--rank", absl::StrCat(rank), "--from", "2026-01-01"});
  }

  // An encounter of `patient` with one diagnosis and `lines` ({code, amount
  // [, units[, modifier]]}), then a claim `claim` on coverage `coverage`,
  // scrubbed, submitted and accepted.
  void Claim(const std::string& claim, const std::string& patient,
             const std::vector<std::vector<std::string>>& lines,
             const std::string& coverage = "C1") {
    const std::string enc = "E" + claim;
    Ok({"encounter", "open", "--id", enc, "--patient", patient, "--rendering-npi", "1234567893",
        "--billing-npi", "1234567893", "--date", "2026-11-02", "--pos", "11"});
    Ok({"encounter", "diagnose", "--id", enc, "--icd10", "E11.9", "--icd10", "I10"});
    int n = 0;
    for (const std::vector<std::string>& line : lines) {
      std::vector<std::string> args = {"encounter",
                                       "charge",
                                       "--id",
                                       enc,
                                       "--line",
                                       std::to_string(++n),
                                       line[0][0] == 'T' ? "--hcpcs" : "--cpt",
                                       line[0],
                                       "--amount",
                                       line[1],
                                       "--dx",
                                       "1"};
      if (line.size() > 2) {
        args.push_back("--units");
        args.push_back(line[2]);
      }
      if (line.size() > 3) {
        args.push_back("--modifier");
        args.push_back(line[3]);
      }
      Ok(args);
    }
    Ok({"encounter", "complete", "--id", enc});
    Ok({"claim", "create", "--id", claim, "--encounter", enc, "--coverage", coverage});
    Submit(claim);
  }

  // Scrubs (it must pass), submits and acknowledges `claim` (also a
  // next-payer claim the ledger created).
  void Submit(const std::string& claim) {
    Struct scrub = RclJson({"claim", "scrub", "--id", claim});
    EXPECT_TRUE(json::Bool(scrub, "passed")) << claim << " " << scrub.DebugString();
    Ok({"claim", "submit", "--id", claim, "--batch", "B1"});
    Ok({"claim", "ack", "--id", claim, "--accepted"});
  }

  // `rcl --json remit import PATH [extra...]`, which must succeed.
  Struct ImportPath(const std::string& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"remit", "import", path};
    args.insert(args.end(), extra.begin(), extra.end());
    return RclJson(args);
  }
  Struct Import(const std::string& fixture, std::vector<std::string> extra = {}) {
    return ImportPath(X12FixturePath(fixture), std::move(extra));
  }

  static const Struct& OnlyRemittance(const Struct& summary) {
    static const Struct kEmpty;
    std::vector<Value> remits = json::List(summary, "remittances");
    EXPECT_EQ(remits.size(), 1u);
    if (remits.size() != 1) return kEmpty;
    return json::Field(summary, "remittances").list_value().values(0).struct_value();
  }

  // The trial balance once the projections have folded the head: every
  // account's balance (zero ones left out) and the total.
  std::map<std::string, int64_t> TrialBalance(int64_t* total = nullptr) {
    CommandResult tb =
        Rcl({"--json", "books", "trial-balance", "--min-position", absl::StrCat(Head())});
    EXPECT_EQ(tb.exit_code, 0) << tb.err;
    Struct r = json::ParseJson(tb.out);
    if (total != nullptr) *total = static_cast<int64_t>(json::Num(r, "total_cents"));
    std::map<std::string, int64_t> accounts;
    for (const Value& a : json::List(r, "accounts")) {
      accounts[json::Str(a.struct_value(), "account")] =
          static_cast<int64_t>(json::Num(a.struct_value(), "balance_cents"));
    }
    return accounts;
  }

  // The books balance once the projections have folded the head.
  void ExpectTrialBalanceZero() {
    int64_t total = -1;
    TrialBalance(&total);
    EXPECT_EQ(total, 0);
  }

  void ExpectMoney(const Struct& c, int64_t paid, int64_t contractual, int64_t patient,
                   int64_t payer_balance) {
    SCOPED_TRACE(json::Str(c, "claim_id"));
    EXPECT_EQ(json::Num(c, "payer_paid_cents"), paid);
    EXPECT_EQ(json::Num(c, "contractual_cents"), contractual);
    EXPECT_EQ(json::Num(c, "patient_responsibility_cents"), patient);
    EXPECT_EQ(json::Num(c, "payer_balance_cents"), payer_balance);
    EXPECT_EQ(json::Num(c, "patient_balance_cents"), patient);
  }

  // Open suspense items (`rcl --json remit suspense list`).
  std::vector<Struct> SuspenseItems() {
    CommandResult list = Rcl({"--json", "remit", "suspense", "list"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    Value items;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(list.out, &items).ok()) << list.out;
    std::vector<Struct> out;
    for (const Value& v : items.list_value().values()) out.push_back(v.struct_value());
    return out;
  }
};

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_X12_IMPORT_FIXTURE_H_
