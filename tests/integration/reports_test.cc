// Reports against a real rcl-server after a seeded `rcl demo` of at least
// 50,000 events: the trial balance is zero and equals the log's postings;
// every claim's projected balances equal GetClaim; aging totals equal the
// balances; aging as of a past date equals a replay of the events read back
// over gRPC; a write is visible at once with min_position; a kill -9 during
// the projections' catch-up and a restart give the same reports; a rebuild
// (through `rcl projections rebuild`) gives the same reports; a second
// tenant's demo changes nothing of the first's.
#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "clients/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/postings.h"
#include "ledger/rules/state.h"
#include "projections/claims_queries.h"
#include "projections/keys.h"
#include "tests/testing/cli_fixture.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {
namespace {

using ::rcl::client::Client;
using ::testing::HasSubstr;

constexpr char kTenant[] = "north";
constexpr int kDemoEventsMin = 50'000;
constexpr absl::Duration kCatchUpMax = absl::Minutes(2);

// Every event of the tenant, read back over gRPC.
std::vector<rcl::v1::Event> ReadEverything(Client& client) {
  std::vector<rcl::v1::Event> out;
  rcl::v1::ReadAllRequest request;
  request.set_from_position(1);
  request.set_limit(1000);
  while (true) {
    auto page = client.ReadAll(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    for (const auto& e : page->events()) out.push_back(e);
    if (page->end_of_log()) return out;
    request.set_from_position(page->next_position());
  }
}

struct ClaimHistory {
  ledger::ClaimState state;
  std::string first_submitted;
  std::vector<std::tuple<std::string, int64_t, int64_t>> deltas;  // date, payer, patient
};

std::string DateOf(const rcl::v1::Event& e) {
  return e.effective_date().empty() ? projections::UtcDate(e.recorded_at_us()) : e.effective_date();
}

std::map<std::string, ClaimHistory> ReplayClaims(const std::vector<rcl::v1::Event>& events) {
  std::map<std::string, ClaimHistory> claims;
  std::map<std::string, ledger::StreamState> states;
  for (const auto& e : events) {
    if (!e.stream().starts_with("claim-")) continue;
    ledger::StreamState& s = states[e.stream()];
    ledger::ClaimState before;
    if (auto* c = std::get_if<ledger::ClaimState>(&s.aggregate)) before = *c;
    EXPECT_TRUE(ledger::ApplyEvent(&s, e.version(), e.type(), e.payload()).ok()) << e.position();
    const auto& after = std::get<ledger::ClaimState>(s.aggregate);
    ClaimHistory& h = claims[after.claim_id];
    h.state = after;
    if (e.type() == "ClaimSubmitted" && h.first_submitted.empty()) h.first_submitted = DateOf(e);
    h.deltas.emplace_back(DateOf(e), after.PayerBalance() - before.PayerBalance(),
                          after.PatientBalance() - before.PatientBalance());
  }
  return claims;
}

// Bucket totals and the credit total of a replay as of `as_of` (DOS basis).
std::pair<std::array<int64_t, 5>, int64_t> ReplayAging(
    const std::map<std::string, ClaimHistory>& claims, const std::string& as_of, bool payer) {
  std::array<int64_t, 5> buckets{};
  int64_t credit = 0;
  absl::CivilDay day;
  EXPECT_TRUE(projections::ParseDay(as_of, &day));
  for (const auto& [id, h] : claims) {
    int64_t balance = 0;
    for (const auto& [date, p, q] : h.deltas) {
      if (date <= as_of) balance += payer ? p : q;
    }
    if (balance < 0) credit += balance;
    if (balance <= 0) continue;
    absl::CivilDay dos;
    EXPECT_TRUE(projections::ParseDay(h.state.date_of_service, &dos));
    buckets[projections::AgingBucket(day - dos)] += balance;
  }
  return {buckets, credit};
}

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override {
    if (server_ != nullptr && server_->running()) {
      EXPECT_TRUE(server_->Terminate().ok());
    }
  }

  void StartServer() {
    auto server = ServerProcess::Start(dir_.path() + "/data");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = Connect(kTenant);
  }

  std::unique_ptr<Client> Connect(const std::string& tenant) {
    client::Options options;
    options.tenant = tenant;
    auto client = Client::Connect(server_->address(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  CommandResult Rcl(std::vector<std::string> args, int timeout_s = 120) {
    std::vector<std::string> argv = {std::string(RCL_BIN_DIR) + "/rcl", "--server",
                                     server_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, timeout_s);
  }

  uint64_t Head() {
    auto head = client_->Head();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->position() : 0;
  }

  // A report whose projection is still catching up (after a restart or a
  // rebuild) answers UNAVAILABLE when the server's own wait for min_position
  // runs out; UNAVAILABLE means "retry the same call", so the test does, for
  // up to kCatchUpMax. Under the sanitizers the catch-up of the demo's log
  // after a kill -9 takes longer than the server's wait.
  template <typename Call>
  auto RetryUnavailable(Call call) {
    const absl::Time deadline = absl::Now() + kCatchUpMax;
    auto result = call();
    while (!result.ok() && absl::IsUnavailable(result.status()) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(200));
      result = call();
    }
    return result;
  }

  // What the reports say, as text, at least as of `min_position`.
  std::string Fingerprint(uint64_t min_position) {
    std::string out;
    rcl::v1::TrialBalanceRequest tb;
    tb.set_min_position(min_position);
    auto trial = RetryUnavailable([&] { return client_->TrialBalance(tb); });
    EXPECT_TRUE(trial.ok()) << trial.status();
    if (trial.ok()) {
      trial->clear_as_of_position();
      absl::StrAppend(&out, trial->ShortDebugString(), "\n");
    }
    for (auto side : {rcl::v1::AGING_SIDE_PAYER, rcl::v1::AGING_SIDE_PATIENT}) {
      rcl::v1::ArAgingRequest a;
      a.set_min_position(min_position);
      a.set_side(side);
      a.set_as_of_date("2030-01-01");
      a.set_limit(1000);
      auto aging = RetryUnavailable([&] { return client_->ArAging(a); });
      EXPECT_TRUE(aging.ok()) << aging.status();
      if (aging.ok()) {
        aging->clear_as_of_position();
        absl::StrAppend(&out, aging->ShortDebugString(), "\n");
      }
    }
    rcl::v1::BalancesRequest b;
    b.set_min_position(min_position);
    auto balances = RetryUnavailable([&] { return client_->Balances(b); });
    EXPECT_TRUE(balances.ok()) << balances.status();
    if (balances.ok()) absl::StrAppend(&out, balances->amounts().ShortDebugString(), "\n");
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ReportsTest, ReportsAfterADemoEqualTheCommandSideAndAReplayAndSurviveKill9AndRebuild) {
  CommandResult demo =
      Rcl({"--tenant", kTenant, "demo", "--seed", "11", "--patients", "1250", "--days", "120"},
          /*timeout_s=*/600);
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const uint64_t head = Head();
  ASSERT_GE(head, static_cast<uint64_t>(kDemoEventsMin));

  // The trial balance is zero and is the log's postings by account.
  std::vector<rcl::v1::Event> events = ReadEverything(*client_);
  ASSERT_EQ(events.size(), head);
  std::map<std::string, int64_t> postings;
  for (const auto& e : events) {
    auto p = ledger::PayloadPostings(e.type(), e.payload());
    ASSERT_TRUE(p.ok());
    for (const auto& posting : *p) postings[posting.account()] += posting.amount_cents();
  }
  std::erase_if(postings, [](const auto& kv) { return kv.second == 0; });
  rcl::v1::TrialBalanceRequest tb;
  tb.set_min_position(head);
  auto trial = client_->TrialBalance(tb);
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(trial->total_cents(), 0);
  EXPECT_GE(trial->as_of_position(), head);
  std::map<std::string, int64_t> projected;
  for (const auto& a : trial->accounts()) projected[a.account()] = a.balance_cents();
  EXPECT_EQ(projected, postings);

  // Every claim's balances equal GetClaim's, and they sum to the tenant's.
  std::map<std::string, ClaimHistory> claims = ReplayClaims(events);
  ASSERT_GT(claims.size(), 1000u);
  int64_t payer_total = 0, patient_total = 0;
  for (const auto& [id, h] : claims) {
    auto view = client_->GetClaim(id);
    ASSERT_TRUE(view.ok()) << view.status();
    rcl::v1::BalancesRequest r;
    r.set_claim_id(id);
    auto b = client_->Balances(r);
    ASSERT_TRUE(b.ok()) << b.status();
    const auto& a = b->amounts();
    EXPECT_EQ(a.charge_cents(), view->charge_cents()) << id;
    EXPECT_EQ(a.payer_paid_cents(), view->payer_paid_cents()) << id;
    EXPECT_EQ(a.contractual_cents(), view->contractual_cents()) << id;
    EXPECT_EQ(a.other_adjustment_cents(), view->other_adjustment_cents()) << id;
    EXPECT_EQ(a.patient_responsibility_cents(), view->patient_responsibility_cents()) << id;
    EXPECT_EQ(a.patient_paid_cents(), view->patient_paid_cents()) << id;
    EXPECT_EQ(a.written_off_cents(), view->written_off_cents()) << id;
    EXPECT_EQ(a.payer_balance_cents(), view->payer_balance_cents()) << id;
    EXPECT_EQ(a.patient_balance_cents(), view->patient_balance_cents()) << id;
    EXPECT_EQ(a.denied_cents(), view->denied_cents()) << id;
    payer_total += view->payer_balance_cents();
    patient_total += view->patient_balance_cents();
  }
  rcl::v1::BalancesRequest whole;
  auto tenant = client_->Balances(whole);
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->scope(), "tenant");
  EXPECT_EQ(tenant->amounts().payer_balance_cents(), payer_total);
  EXPECT_EQ(tenant->amounts().patient_balance_cents(), patient_total);
  EXPECT_EQ(tenant->amounts().claims(), static_cast<int64_t>(claims.size()));

  // Aging: the buckets and credits add up to the balances, today and as of
  // past dates equal to a replay of the events.
  std::vector<std::string> dates;
  for (const auto& [id, h] : claims) dates.push_back(h.state.date_of_service);
  std::sort(dates.begin(), dates.end());
  for (const std::string& as_of :
       {std::string(""), dates[dates.size() / 3], dates[dates.size() * 2 / 3]}) {
    for (bool payer : {true, false}) {
      rcl::v1::ArAgingRequest a;
      a.set_as_of_date(as_of);
      a.set_side(payer ? rcl::v1::AGING_SIDE_PAYER : rcl::v1::AGING_SIDE_PATIENT);
      a.set_limit(1000);
      auto aging = RetryUnavailable([&] { return client_->ArAging(a); });
      ASSERT_TRUE(aging.ok()) << aging.status();
      auto [buckets, credit] =
          ReplayAging(claims, as_of.empty() ? projections::TodayUtc() : as_of, payer);
      std::string what = absl::StrCat(payer ? "payer" : "patient", " aging as of '", as_of, "'");
      ASSERT_EQ(aging->buckets_size(), 5) << what;
      for (int i = 0; i < 5; ++i)
        EXPECT_EQ(aging->buckets(i).amount_cents(), buckets[i]) << what << " bucket " << i;
      EXPECT_EQ(aging->credit_total_cents(), credit) << what;
      if (as_of.empty()) {
        EXPECT_EQ(aging->total_cents() + aging->credit_total_cents(),
                  payer ? tenant->amounts().payer_balance_cents()
                        : tenant->amounts().patient_balance_cents())
            << what;
      }
    }
  }

  // Read-your-writes: a patient payment shows in the claim's balances at once.
  std::string owing_claim, owing_patient;
  for (const auto& [id, h] : claims) {
    if (h.state.PatientBalance() > 500) {
      owing_claim = id;
      owing_patient = h.state.patient_id;
      break;
    }
  }
  ASSERT_FALSE(owing_claim.empty());
  for (int i = 0; i < 5; ++i) {
    rcl::v1::ReceivePatientPayment pay;
    pay.set_patient_id(owing_patient);
    pay.set_payment_id(absl::StrCat("RYW", i));
    pay.set_amount_cents(100);
    pay.set_method("card");
    pay.add_claim_ids(owing_claim);
    auto written = client_->ReceivePatientPayment(pay);
    ASSERT_TRUE(written.ok()) << written.status();
    rcl::v1::BalancesRequest r;
    r.set_claim_id(owing_claim);
    r.set_min_position(written->position());
    auto b = client_->Balances(r);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_GE(b->as_of_position(), written->position());
    EXPECT_EQ(b->amounts().patient_balance_cents(),
              claims[owing_claim].state.PatientBalance() - 100 * (i + 1));
  }
  rcl::v1::BalancesRequest future;
  future.set_min_position(Head() + 1000);
  EXPECT_EQ(client_->Balances(future).status().code(), absl::StatusCode::kOutOfRange);

  // A second tenant's demo changes nothing of this tenant's reports.
  const uint64_t head2 = Head();
  const std::string before = Fingerprint(head2);
  CommandResult other =
      Rcl({"--tenant", "south", "demo", "--seed", "5", "--patients", "50", "--days", "20"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(Fingerprint(Head()), before) << "after another tenant's demo";
  CommandResult south = Rcl({"--tenant", "south", "--json", "books", "trial-balance",
                             "--min-position", absl::StrCat(Head())});
  ASSERT_EQ(south.exit_code, 0) << south.err;
  EXPECT_EQ(json::Num(json::ParseJson(south.out), "total_cents"), 0);
  const uint64_t head3 = Head();
  const std::string all_before = Fingerprint(head3);

  // kill -9 while the projections catch up from nothing, then a restart.
  ASSERT_TRUE(server_->Terminate().ok());
  std::filesystem::remove_all(dir_.path() + "/data/projections");
  StartServer();
  bool killed_while_building = false;
  for (int i = 0; i < 2000 && !killed_while_building; ++i) {
    auto status = client_->ProjectionStatus();
    if (status.ok()) {
      for (const auto& p : status->projections()) {
        if (p.state() == "building" && p.checkpoint() > 0) killed_while_building = true;
      }
    }
    if (!killed_while_building) absl::SleepFor(absl::Milliseconds(1));
  }
  server_->Kill9();
  std::cerr << "killed " << (killed_while_building ? "during" : "after")
            << " the projections' catch-up\n";
  StartServer();
  EXPECT_EQ(Fingerprint(head3), all_before) << "after kill -9 during catch-up and a restart";

  // A rebuild through the CLI (not a terminal: a percentage line per second).
  CommandResult rebuilt = Rcl({"projections", "rebuild", "claims"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.out << rebuilt.err;
  EXPECT_THAT(rebuilt.out + rebuilt.err, HasSubstr("claims"));
  EXPECT_EQ(Fingerprint(head3), all_before) << "after a rebuild";
  // The CLI's report commands answer with the contract's keys.
  const std::string pos = absl::StrCat(head3);
  CommandResult aging = Rcl({"--tenant", kTenant, "--json", "ar", "aging", "--min-position", pos});
  ASSERT_EQ(aging.exit_code, 0) << aging.err;
  auto aging_json = json::ParseJson(aging.out);
  EXPECT_EQ(json::List(aging_json, "buckets").size(), 5u);
  EXPECT_EQ(json::Num(aging_json, "total_cents") + json::Num(aging_json, "credit_total_cents"),
            static_cast<double>(payer_total));
  CommandResult balances =
      Rcl({"--tenant", kTenant, "--json", "books", "balances", "--claim", owing_claim});
  ASSERT_EQ(balances.exit_code, 0) << balances.err;
  auto balances_json = json::ParseJson(balances.out);
  for (const char* key :
       {"charge_cents", "payer_paid_cents", "contractual_cents", "other_adjustment_cents",
        "patient_responsibility_cents", "patient_paid_cents", "written_off_cents",
        "payer_balance_cents", "patient_balance_cents", "as_of_position"}) {
    EXPECT_TRUE(json::HasKey(balances_json, key)) << key;
  }
  for (std::vector<std::string> work :
       std::vector<std::vector<std::string>>{{"work", "denials"},
                                             {"work", "appeals-due", "--within", "365"},
                                             {"work", "no-response", "--days", "5"},
                                             {"work", "statements-due", "--days", "1"}}) {
    std::vector<std::string> args = {"--tenant", kTenant, "--json"};
    args.insert(args.end(), work.begin(), work.end());
    CommandResult r = Rcl(args);
    EXPECT_EQ(r.exit_code, 0) << work[1] << ": " << r.err;
    EXPECT_TRUE(json::HasKey(json::ParseJson(r.out), "as_of_position")) << work[1];
  }
  // The claim's audit trail ends with the five payments read back above.
  CommandResult history =
      Rcl({"--tenant", kTenant, "--json", "claim", "history", "--id", owing_claim});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto entries = json::List(json::ParseJson(history.out), "entries");
  ASSERT_GE(entries.size(), 6u);
  const auto& last = entries.back().struct_value();
  EXPECT_EQ(json::Str(last, "type"), "PatientPaymentApplied");
  EXPECT_EQ(json::Num(last, "patient_balance_cents"),
            static_cast<double>(claims[owing_claim].state.PatientBalance() - 500));
  std::string svg = dir_.path() + "/aging.svg";
  CommandResult chart = Rcl({"--tenant", kTenant, "ar", "aging", "--svg", svg});
  ASSERT_EQ(chart.exit_code, 0) << chart.err;
  EXPECT_TRUE(std::filesystem::file_size(svg) > 500);

  CommandResult status = Rcl({"--json", "projections", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto projections = json::List(json::ParseJson(status.out), "projections");
  ASSERT_EQ(projections.size(), 3u);
  for (const auto& p : projections) {
    EXPECT_EQ(json::Num(p.struct_value(), "lag"), 0);
    EXPECT_EQ(json::Num(p.struct_value(), "checkpoint"), static_cast<double>(head3));
  }
}

}  // namespace
}  // namespace rcl::testing
