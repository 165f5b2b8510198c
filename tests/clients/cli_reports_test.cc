// The report commands of `rcl` (clients/cli_reports.cc) end to end against
// an in-process fake ReportService with canned answers (the real one is
// tested in tests/integration): the requests the CLI sends (tenant, dates,
// basis, min_position, paging), fetching every page of a report, usage
// errors, and `projections rebuild` following a rebuild to its swap.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/reports.grpc.pb.h"
#include "tests/testing/server_process.h"

namespace rcl::cli {
namespace {

using google::protobuf::Struct;
using rcl::testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kAgingRows = 2500;

class FakeReports final : public rcl::v1::ReportService::Service {
 public:
  grpc::Status TrialBalance(grpc::ServerContext*, const rcl::v1::TrialBalanceRequest* request,
                            rcl::v1::TrialBalanceResponse* response) override {
    absl::MutexLock lock(&mu);
    trial_balance = *request;
    auto* a = response->add_accounts();
    a->set_account("ar_payer");
    a->set_balance_cents(15000);
    auto* b = response->add_accounts();
    b->set_account("revenue, \"net\"");
    b->set_balance_cents(-15000);
    response->set_as_of_position(40);
    response->set_as_of_date(request->as_of_date());
    return grpc::Status::OK;
  }

  grpc::Status Balances(grpc::ServerContext*, const rcl::v1::BalancesRequest* request,
                        rcl::v1::BalancesResponse* response) override {
    response->set_scope(request->payer_id().empty() ? "tenant" : "payer");
    response->set_key(request->payer_id());
    response->mutable_amounts()->set_charge_cents(20000);
    response->mutable_amounts()->set_payer_balance_cents(5000);
    response->set_as_of_position(41);
    return grpc::Status::OK;
  }

  // kAgingRows rows P00000..., one bucket each, paged by offset tokens.
  grpc::Status ArAging(grpc::ServerContext*, const rcl::v1::ArAgingRequest* request,
                       rcl::v1::ArAgingResponse* response) override {
    absl::MutexLock lock(&mu);
    aging.push_back(*request);
    int offset = 0;
    if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &offset)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page token");
    }
    int limit =
        request->limit() == 0 ? 100 : static_cast<int>(std::min<uint32_t>(request->limit(), 1000));
    const char* labels[] = {"0-30", "31-60", "61-90", "91-120", "121+"};
    for (int k = 0; k < 5; ++k) {
      auto* b = response->add_buckets();
      b->set_label(labels[k]);
      b->set_amount_cents(k == 0 ? 100LL * kAgingRows : 0);
    }
    for (int i = offset; i < std::min(kAgingRows, offset + limit); ++i) {
      auto* row = response->add_rows();
      row->set_key(absl::StrCat(i == 0 ? "A&B <x>" : "P", i));
      for (int k = 0; k < 5; ++k) {
        auto* b = row->add_buckets();
        b->set_label(labels[k]);
        b->set_amount_cents(k == 0 ? 100 : 0);
      }
      row->set_total_cents(100);
    }
    response->set_total_cents(100LL * kAgingRows);
    response->set_as_of_position(50 + aging.size());
    response->set_as_of_date(request->as_of_date().empty() ? "2026-11-30" : request->as_of_date());
    if (offset + limit < kAgingRows) response->set_next_page_token(absl::StrCat(offset + limit));
    return grpc::Status::OK;
  }

  grpc::Status Denials(grpc::ServerContext*, const rcl::v1::DenialsRequest* request,
                       rcl::v1::DenialsResponse* response) override {
    absl::MutexLock lock(&mu);
    denials = *request;
    auto* row = response->add_denials();
    row->set_claim_id("CL2");
    row->set_payer_id("87726");
    row->set_status("denied");
    row->set_denied(true);
    row->set_denied_cents(15000);
    row->set_payer_balance_cents(15000);
    row->add_reason_codes("50");
    response->set_count(1);
    response->set_as_of_position(77);
    return grpc::Status::OK;
  }

  grpc::Status ProjectionStatus(grpc::ServerContext*, const rcl::v1::ProjectionStatusRequest*,
                                rcl::v1::ProjectionStatusResponse* response) override {
    absl::MutexLock lock(&mu);
    // Each poll advances a running rebuild by a quarter; at the target it is
    // swapped in.
    if (rebuilding) {
      rebuild_checkpoint = std::min<uint64_t>(rebuild_checkpoint + 250, 1000);
      if (rebuild_checkpoint == 1000 && ++polls_at_target > 1) {
        rebuilding = false;
        generation = 2;
      }
    }
    auto* p = response->add_projections();
    p->set_name("aging");
    p->set_checkpoint(1000);
    p->set_state("live");
    p->set_events_per_s(12.5);
    p->set_generation(generation);
    p->set_rebuilding(rebuilding);
    p->set_rebuild_checkpoint(rebuild_checkpoint);
    p->set_rebuild_target(rebuilding ? 1000 : 0);
    response->set_head(1000);
    return grpc::Status::OK;
  }

  grpc::Status RebuildProjection(grpc::ServerContext*,
                                 const rcl::v1::RebuildProjectionRequest* request,
                                 rcl::v1::RebuildProjectionResponse* response) override {
    absl::MutexLock lock(&mu);
    if (request->name() != "aging") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no projection named ", request->name()));
    }
    if (rebuilding)
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "a rebuild of aging is running");
    rebuilding = true;
    rebuild_checkpoint = 0;
    polls_at_target = 0;
    response->set_generation(2);
    response->set_target(1000);
    return grpc::Status::OK;
  }

  absl::Mutex mu;
  rcl::v1::TrialBalanceRequest trial_balance;
  std::vector<rcl::v1::ArAgingRequest> aging;
  rcl::v1::DenialsRequest denials;
  bool rebuilding = false;
  uint64_t rebuild_checkpoint = 0;
  int polls_at_target = 0;
  uint64_t generation = 1;
};

// `claim denials` asks for the head first.
class FakeLog final : public rcl::v1::LogService::Service {
 public:
  grpc::Status Head(grpc::ServerContext*, const rcl::v1::HeadRequest*,
                    rcl::v1::HeadResponse* response) override {
    response->set_position(77);
    return grpc::Status::OK;
  }
};

class CliReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&reports_);
    builder.RegisterService(&log_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  CommandResult Rcl(std::vector<std::string> args) {
    std::vector<std::string> argv = {std::string(RCL_BIN_DIR) + "/rcl", "--server", address_,
                                     "--tenant", "t1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return rcl::testing::RunCommand(argv, 30);
  }

  Struct RclJson(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    CommandResult r = Rcl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Struct s;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &s).ok()) << r.out;
    return s;
  }

  void ExpectUsage(std::vector<std::string> args, const std::string& part) {
    CommandResult r = Rcl(args);
    EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
    EXPECT_THAT(r.err, HasSubstr(part));
    // With --json the error is also the one object on stdout.
    if (std::find(args.begin(), args.end(), "--json") == args.end()) {
      EXPECT_EQ(r.out, "");
    } else {
      EXPECT_THAT(r.out, HasSubstr("\"USAGE\""));
    }
  }

  FakeReports reports_;
  FakeLog log_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(CliReportsTest, TrialBalanceSendsTheFlagsAndPrintsEveryFormat) {
  Struct s = RclJson({"books", "trial-balance", "--as-of", "2026-11-30", "--min-position", "5"});
  EXPECT_EQ(s.fields().at("total_cents").number_value(), 0);
  EXPECT_EQ(s.fields().at("as_of_position").number_value(), 40);
  EXPECT_EQ(s.fields().at("accounts").list_value().values_size(), 2);
  {
    absl::MutexLock lock(&reports_.mu);
    EXPECT_EQ(reports_.trial_balance.tenant(), "t1");
    EXPECT_EQ(reports_.trial_balance.as_of_date(), "2026-11-30");
    EXPECT_EQ(reports_.trial_balance.min_position(), 5u);
  }
  CommandResult csv = Rcl({"books", "trial-balance", "--csv"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out,
            "account,balance_cents\r\nar_payer,15000\r\n\"revenue, \"\"net\"\"\",-15000\r\n");
  CommandResult table = Rcl({"books", "trial-balance"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("150.00"));
}

TEST_F(CliReportsTest, AgingFetchesEveryPageAndWritesTheChart) {
  std::string svg_path = ::testing::TempDir() + "/aging.svg";
  Struct s =
      RclJson({"ar", "aging", "--basis", "submission", "--by", "patient", "--svg", svg_path});
  EXPECT_EQ(s.fields().at("rows").list_value().values_size(), kAgingRows);
  EXPECT_FALSE(s.fields().at("truncated").bool_value());
  {
    absl::MutexLock lock(&reports_.mu);
    ASSERT_EQ(reports_.aging.size(), 3u);  // 1000 + 1000 + 500
    EXPECT_EQ(reports_.aging[0].basis(), rcl::v1::AGING_BASIS_SUBMISSION);
    EXPECT_EQ(reports_.aging[0].side(), rcl::v1::AGING_SIDE_PATIENT);
    EXPECT_EQ(reports_.aging[1].page_token(), "1000");
    // Later pages are no older than the first.
    EXPECT_EQ(reports_.aging[1].min_position(), 51u);
    reports_.aging.clear();
  }
  std::ifstream file(svg_path);
  std::stringstream svg;
  svg << file.rdbuf();
  EXPECT_THAT(svg.str(), HasSubstr("<svg"));
  EXPECT_THAT(svg.str(), HasSubstr("A&amp;B &lt;x&gt;"));
  std::remove(svg_path.c_str());

  Struct cut = RclJson({"ar", "aging", "--limit", "1500"});
  EXPECT_EQ(cut.fields().at("rows").list_value().values_size(), 1500);
  EXPECT_TRUE(cut.fields().at("truncated").bool_value());
  CommandResult table = Rcl({"ar", "aging", "--limit", "10"});
  EXPECT_THAT(table.out, HasSubstr("truncated"));
  EXPECT_THAT(table.out, HasSubstr("2500.00"));  // the totals cover every row
}

TEST_F(CliReportsTest, UsageErrorsNameTheFlag) {
  ExpectUsage({"ar", "aging", "--as-of", "2026-02-30"}, "--as-of");
  ExpectUsage({"books", "trial-balance", "--as-of", "30/11/2026"}, "--as-of");
  ExpectUsage({"ar", "aging", "--basis", "paid"}, "--basis");
  ExpectUsage({"ar", "aging", "--by", "clinic"}, "--by");
  ExpectUsage({"books", "balances", "--claim", "C1", "--payer", "87726"}, "at most one");
  ExpectUsage({"work", "appeals-due", "--within", "-3"}, "--within");
  ExpectUsage({"work", "denials", "--min-position", "x"}, "--min-position");
  ExpectUsage({"books", "trial-balance", "--csv", "--json"}, "--csv");
}

TEST_F(CliReportsTest, ClaimDenialsReadsTheDenialsQueueAtTheHead) {
  Struct s = RclJson({"claim", "denials"});
  EXPECT_EQ(s.fields().at("count").number_value(), 1);
  const Struct& row = s.fields().at("denials").list_value().values(0).struct_value();
  EXPECT_EQ(row.fields().at("claim_id").string_value(), "CL2");
  EXPECT_EQ(row.fields().at("denied_cents").number_value(), 15000);
  absl::MutexLock lock(&reports_.mu);
  EXPECT_EQ(reports_.denials.min_position(), 77u);
  EXPECT_EQ(reports_.denials.limit(), 100u);
}

TEST_F(CliReportsTest, BalancesByPayer) {
  Struct s = RclJson({"books", "balances", "--payer", "87726"});
  EXPECT_EQ(s.fields().at("scope").string_value(), "payer");
  EXPECT_EQ(s.fields().at("charge_cents").number_value(), 20000);
  EXPECT_EQ(s.fields().at("payer_balance_cents").number_value(), 5000);
  EXPECT_EQ(s.fields().at("as_of_position").number_value(), 41);
}

TEST_F(CliReportsTest, RebuildFollowsTheRebuildUntilItIsSwappedIn) {
  CommandResult r = Rcl({"projections", "rebuild", "aging"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Not a terminal: plain percentage lines, then the final line.
  EXPECT_THAT(r.out, HasSubstr("rebuild aging: "));
  EXPECT_THAT(r.out, HasSubstr("100.0% (1000/1000 events"));
  EXPECT_THAT(r.out, HasSubstr("rebuilt aging: 1000 events in "));
  EXPECT_EQ(r.out.find('\r'), std::string::npos);

  // On a terminal: one line redrawn with \r, ended by a newline, then the
  // final line.
  {
    absl::MutexLock lock(&reports_.mu);
    reports_.generation = 1;
  }
  std::string command =
      absl::StrCat(RCL_BIN_DIR, "/rcl --server ", address_, " projections rebuild aging");
  CommandResult tty = rcl::testing::RunCommand({"script", "-qfec", command, "/dev/null"}, 30);
  EXPECT_EQ(tty.exit_code, 0) << tty.err << tty.out;
  EXPECT_THAT(tty.out, HasSubstr("\raging ["));
  EXPECT_THAT(tty.out, HasSubstr("100.0%"));
  EXPECT_THAT(tty.out, HasSubstr("ETA"));
  EXPECT_THAT(tty.out, HasSubstr("rebuilt aging: 1000 events in "));
  EXPECT_THAT(tty.out, Not(HasSubstr("rebuild aging: ")));  // no plain lines

  Struct status = RclJson({"projections", "status"});
  const Struct& p = status.fields().at("projections").list_value().values(0).struct_value();
  EXPECT_EQ(p.fields().at("generation").number_value(), 2);
  EXPECT_FALSE(p.fields().at("rebuilding").bool_value());

  CommandResult unknown = Rcl({"projections", "rebuild", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("not found"));
  EXPECT_THAT(unknown.err, HasSubstr("nope"));

  CommandResult started = Rcl({"projections", "rebuild", "aging", "--no-wait"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_THAT(started.out, HasSubstr("started"));
  CommandResult again = Rcl({"projections", "rebuild", "aging"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("failed precondition"));
}

}  // namespace
}  // namespace rcl::cli
