// LedgerService.ExecuteBatch and `rcl batch FILE`, through a real rcl-server:
// non-atomic batches (each command on its own), atomic ones (all or nothing,
// later commands acting on what earlier ones created), and the CLI with a
// good file, a file with a bad line, and a command refused mid-file.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "tests/testing/cli_fixture.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {
namespace {

using ::testing::HasSubstr;

static_assert(client::kBatchCommandsMax == ledger::kBatchCommandsMax,
              "the client chunks batches by the server's limit");

constexpr char kNpi1[] = "1234567893";
constexpr char kNpi2[] = "9876543213";

std::string Register(const std::string& patient) {
  return absl::StrCat(R"({"context":{"tenant":"default"},"command":{"registerPatient":)",
                      R"({"patientId":")", patient,
                      R"(","familyName":"Doe","givenName":"Jane","birthDate":"1980-02-29"}}})");
}
std::string Encounter(const std::string& encounter, const std::string& patient) {
  return absl::StrCat(R"({"context":{"tenant":"default"},"command":{"openEncounter":)",
                      R"({"encounterId":")", encounter, R"(","patientId":")", patient,
                      R"(","renderingNpi":")", kNpi1, R"(","billingNpi":")", kNpi2,
                      R"(","dateOfService":"2024-03-15","placeOfService":"11"}}})");
}
std::string Diagnoses(const std::string& encounter) {
  return absl::StrCat(R"({"context":{"tenant":"default"},"command":{"recordDiagnoses":)",
                      R"({"encounterId":")", encounter, R"(","icd10Codes":["J02.9"]}}})");
}
std::string Charge(const std::string& encounter, int line) {
  return absl::StrCat(
      R"({"context":{"tenant":"default"},"command":{"recordCharge":)", R"({"encounterId":")",
      encounter, R"(","lineNumber":)", line,
      R"(,"cpt":"99213","units":1,"amountCents":"12500","diagnosisPointers":[1]}}})");
}

rcl::v1::BatchCommand Parse(const std::string& json) {
  rcl::v1::BatchCommand c;
  auto status = google::protobuf::util::JsonStringToMessage(json, &c);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << json;
  return c;
}

rcl::v1::ExecuteBatchRequest Batch(const std::vector<std::string>& lines, bool atomic) {
  rcl::v1::ExecuteBatchRequest r;
  r.set_atomic(atomic);
  for (const std::string& line : lines) *r.add_commands() = Parse(line);
  return r;
}

class ExecuteBatchTest : public RclCliTest {
 protected:
  void SetUp() override {
    RclCliTest::SetUp();
    ASSERT_NE(server_, nullptr);
    auto c = client::Client::Connect(server_->address(), client::Options{});
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
  }
  uint64_t Head() {
    auto h = client_->Head();
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? h->position() : 0;
  }
  std::string WriteBatchFile(const std::vector<std::string>& lines) {
    std::string path = dir_.path() + "/batch.jsonl";
    std::string text;
    for (const std::string& l : lines) absl::StrAppend(&text, l, "\n");
    WriteTextFile(path, text);
    return path;
  }
  static void WriteTextFile(const std::string& path, const std::string& text) {
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
  }

  std::unique_ptr<client::Client> client_;
};

TEST_F(ExecuteBatchTest, NonAtomicBatchAnswersEachCommandOnItsOwnInOrder) {
  auto r = client_->ExecuteBatch(Batch(
      {Register("P1"), Diagnoses("E-nobody"), Encounter("E1", "P1"), Diagnoses("E1")}, false));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results_size(), 4);
  EXPECT_EQ(r->results(0).code(), 0) << r->results(0).message();
  EXPECT_EQ(r->results(1).code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(r->results(1).message(), HasSubstr("E-nobody"));
  EXPECT_EQ(r->results(2).code(), 0) << r->results(2).message();
  EXPECT_EQ(r->results(3).code(), 0) << r->results(3).message();
  EXPECT_EQ(r->succeeded(), 3u);
  EXPECT_EQ(r->failed(), 1u);
  EXPECT_EQ(r->refused_index(), -1);
  EXPECT_LT(r->results(0).result().position(), r->results(2).result().position());
  EXPECT_EQ(r->results(3).result().position(), Head());
}

TEST_F(ExecuteBatchTest, AtomicBatchWritesAllInOneCommitOrNothing) {
  // The charge acts on the encounter and diagnoses created earlier in the
  // same batch.
  auto ok = client_->ExecuteBatch(
      Batch({Register("P1"), Encounter("E1", "P1"), Diagnoses("E1"), Charge("E1", 1)}, true));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->succeeded(), 4u);
  EXPECT_EQ(ok->refused_index(), -1);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(ok->results(i).result().position(),
              ok->results(i - 1).result().position() + ok->results(i).result().event_ids_size());
  }
  const uint64_t head = Head();
  EXPECT_EQ(ok->results(3).result().position(), head);

  // A charge on an encounter nobody opened: nothing of the batch is written.
  auto refused = client_->ExecuteBatch(
      Batch({Register("P2"), Encounter("E2", "P2"), Charge("E-nobody", 1)}, true));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->succeeded(), 0u);
  EXPECT_EQ(refused->failed(), 3u);
  EXPECT_EQ(refused->refused_index(), 2);
  EXPECT_EQ(refused->results(2).code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(refused->results(0).code(), static_cast<int>(grpc::StatusCode::ABORTED));
  EXPECT_THAT(refused->results(0).message(), HasSubstr("command 2 of the atomic batch"));
  EXPECT_EQ(Head(), head);
}

// A batch is queued whole: on a server whose command queue is smaller than
// the batch it is refused as FAILED_PRECONDITION naming the bound (not as a
// full queue, which a client would retry forever), and nothing is written.
TEST_F(ExecuteBatchTest, ABatchLargerThanTheServersQueueIsRefusedNamingTheBound) {
  const std::string data = dir_.path() + "/small-queue";
  auto small = ServerProcess::Start(data, {"--queue-max=3"});
  ASSERT_TRUE(small.ok()) << small.status();
  auto c = client::Client::Connect((*small)->address(), client::Options{});
  ASSERT_TRUE(c.ok()) << c.status();
  for (bool atomic : {true, false}) {
    auto r = (*c)->ExecuteBatch(
        Batch({Register("P1"), Encounter("E1", "P1"), Diagnoses("E1"), Charge("E1", 1)}, atomic));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("command queue (3, --queue-max)"));
  }
  auto head = (*c)->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->position(), 0u);
  auto ok = (*c)->ExecuteBatch(Batch({Register("P1"), Encounter("E1", "P1")}, true));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->succeeded(), 2u);
}

TEST_F(ExecuteBatchTest, ReplayedAtomicBatchWithCommandIdsReturnsTheFirstResults) {
  auto request = Batch({Register("P1"), Encounter("E1", "P1")}, true);
  request.mutable_commands(0)->mutable_context()->set_command_id("reg-P1");
  request.mutable_commands(1)->mutable_context()->set_command_id("enc-E1");
  auto first = client_->ExecuteBatch(request);
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = client_->ExecuteBatch(request);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->succeeded(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(again->results(i).result().position(), first->results(i).result().position());
    EXPECT_EQ(again->results(i).result().event_ids(0), first->results(i).result().event_ids(0));
  }
  EXPECT_EQ(Head(), first->results(1).result().position());
}

TEST_F(ExecuteBatchTest, CliRunsAGoodFileAndReportsCounts) {
  std::vector<std::string> lines = {"# a first visit", Register("P1"), "", Encounter("E1", "P1"),
                                    Diagnoses("E1")};
  for (int line = 1; line <= 5; ++line) lines.push_back(Charge("E1", line));
  google::protobuf::Struct out = RclJson({"batch", WriteBatchFile(lines)});
  EXPECT_EQ(json::Num(out, "commands"), 8);
  EXPECT_EQ(json::Num(out, "succeeded"), 8);
  EXPECT_EQ(json::Num(out, "failed"), 0);
  EXPECT_EQ(Head(), 8u);

  CommandResult text = Rcl({"batch", WriteBatchFile({Register("P2")})});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("batch: 1 commands, 1 ok, 0 failed"));
}

TEST_F(ExecuteBatchTest, CliReportsABadLineByNumberAndSendsNothing) {
  std::string path = WriteBatchFile(
      {Register("P1"), R"({"context": {"tenant": "default"},)", Encounter("E1", "P1")});
  CommandResult r = Rcl({"batch", path});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("line 2:"));
  EXPECT_THAT(r.err, HasSubstr("nothing sent"));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(ExecuteBatchTest, CliNamesTheLineOfAnInvalidCommandAndNothingIsWritten) {
  // Valid JSON, but the charge has no CPT: the server refuses the call,
  // naming commands[2]'s field; rcl names the file's line.
  std::string charge = Charge("E1", 1);
  charge.replace(charge.find(R"("cpt":"99213",)"), std::string(R"("cpt":"99213",)").size(), "");
  std::string path =
      WriteBatchFile({Register("P1"), Encounter("E1", "P1"), "# note", Diagnoses("E1"), charge});
  CommandResult r = Rcl({"batch", path});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("invalid argument: line 5 "));
  EXPECT_THAT(r.err, HasSubstr("commands[3].command.record_charge"));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(ExecuteBatchTest, CliAtomicFileWithACommandRefusedMidFileWritesNothing) {
  std::string path = WriteBatchFile(
      {Register("P1"), Encounter("E1", "P1"), Charge("E-nobody", 1), Diagnoses("E1")});
  CommandResult r = Rcl({"batch", path, "--atomic"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("batch: 4 commands, 0 ok, 4 failed (atomic)"));
  EXPECT_THAT(r.out, HasSubstr("line 3: FAILED_PRECONDITION"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_EQ(Head(), 0u);

  // Without --atomic the same file writes what it can and names the failure.
  CommandResult loose = Rcl({"--json", "batch", path});
  EXPECT_EQ(loose.exit_code, 1) << loose.err;
  google::protobuf::Struct out = json::ParseJson(loose.out);
  EXPECT_EQ(json::Num(out, "succeeded"), 3);
  std::vector<google::protobuf::Value> failures = json::List(out, "failures");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(json::Num(failures[0].struct_value(), "line"), 3);
  EXPECT_EQ(json::Str(failures[0].struct_value(), "code"), "FAILED_PRECONDITION");
}

}  // namespace
}  // namespace rcl::testing
