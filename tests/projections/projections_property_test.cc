// Property test of the projections: the seeded claims driver
// (tests/testing/claims_driver.h) writes random claims-to-cash command
// sequences; then the projection runtime folds the log and every report must
// equal a replay of the events computed here independently:
//   - each claim's projected balances equal the command side's ClaimState;
//   - the patient, payer and tenant sums equal the sums over claims;
//   - the trial balance equals the postings summed by account, total 0;
//   - AR aging, today and as of past dates, by payer and by patient, on
//     both bases, equals bucketing each claim's balance replayed up to that
//     date; bucket totals plus credits equal the balances;
//   - the denial queue lists exactly the claims with a denial in force;
//   - a rebuild and a restart give identical reports.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "ledger/rules/state.h"
#include "projections/claims_projection.h"
#include "projections/claims_queries.h"
#include "projections/history_projection.h"
#include "projections/keys.h"
#include "projections/runtime.h"
#include "projections/trial_balance.h"
#include "tests/testing/claims_driver.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::projections {
namespace {

using ::rcl::ledger::ClaimState;
using ::rcl::ledger::EventRecord;
using ::rcl::ledger::claims_testing::ClaimsLedger;
using ::rcl::ledger::claims_testing::Driver;

constexpr int kCommands = 800;
constexpr uint64_t kSeeds[] = {11u, 20240315u, 99u};

std::unique_ptr<Runtime> OpenRuntime(const ClaimsLedger& books, const std::string& path) {
  Runtime::Options options;
  options.path = path;
  options.batch_events_max = 97;                      // many batches, so checkpoints move often
  options.min_position_wait_max = absl::Seconds(30);  // a loaded CI machine is slow, not wrong
  std::vector<std::unique_ptr<Projection>> list;
  list.push_back(std::make_unique<ClaimsProjection>());
  list.push_back(std::make_unique<TrialBalanceProjection>());
  list.push_back(std::make_unique<HistoryProjection>());
  auto runtime = Runtime::Open(options, &books.store(), std::move(list));
  EXPECT_TRUE(runtime.ok()) << runtime.status();
  if (!runtime.ok()) return nullptr;
  (*runtime)->NotifyHead(books.head());
  (*runtime)->Start();
  return std::move(*runtime);
}

// One claim as the replay sees it: its state and every balance change with
// the date it counts on.
struct ReplayedClaim {
  ClaimState state;
  std::string first_submitted;
  std::vector<std::tuple<std::string, int64_t, int64_t>> deltas;  // date, payer, patient
};

std::map<std::string, ReplayedClaim> Replay(const ClaimsLedger& books) {
  std::map<std::string, ReplayedClaim> claims;
  std::map<std::string, ledger::StreamState> states;
  for (const EventRecord& e : books.EventsAfter(0)) {
    if (!e.stream.starts_with("claim-")) continue;
    ledger::StreamState& s = states[e.stream];
    ClaimState before;
    if (auto* c = std::get_if<ClaimState>(&s.aggregate)) before = *c;
    EXPECT_TRUE(ledger::ApplyEvent(&s, e.version, e.type, e.payload).ok());
    const ClaimState& after = std::get<ClaimState>(s.aggregate);
    ReplayedClaim& r = claims[after.claim_id];
    r.state = after;
    std::string date = EventDate(e);
    if (e.type == "ClaimSubmitted" && r.first_submitted.empty()) r.first_submitted = date;
    r.deltas.emplace_back(date, after.PayerBalance() - before.PayerBalance(),
                          after.PatientBalance() - before.PatientBalance());
  }
  return claims;
}

struct AgingExpectation {
  std::map<std::string, std::array<int64_t, kAgingBuckets>> rows;
  std::map<std::string, int64_t> credits;
  int64_t total = 0;
  int64_t credit = 0;
};

AgingExpectation ExpectedAging(const std::map<std::string, ReplayedClaim>& claims,
                               const std::string& as_of, bool payer, bool submission) {
  AgingExpectation x;
  absl::CivilDay day;
  EXPECT_TRUE(ParseDay(as_of, &day));
  for (const auto& [id, c] : claims) {
    int64_t balance = 0;
    for (const auto& [date, p, q] : c.deltas) {
      if (date <= as_of) balance += payer ? p : q;
    }
    if (balance == 0) continue;
    std::string key = payer ? c.state.payer_id : c.state.patient_id;
    if (balance < 0) {
      x.credits[key] += balance;
      x.credit += balance;
      continue;
    }
    std::string basis = c.state.date_of_service;
    if (submission && !c.first_submitted.empty() && c.first_submitted <= as_of)
      basis = c.first_submitted;
    absl::CivilDay b;
    EXPECT_TRUE(ParseDay(basis, &b));
    x.rows[key][AgingBucket(day - b)] += balance;
    x.total += balance;
  }
  return x;
}

void ExpectAging(const StateReader& reader, const std::map<std::string, ReplayedClaim>& claims,
                 const std::string& as_of, bool payer, bool submission) {
  rcl::v1::ArAgingRequest request;
  request.set_tenant(ledger::claims_testing::kTenant);
  request.set_side(payer ? rcl::v1::AGING_SIDE_PAYER : rcl::v1::AGING_SIDE_PATIENT);
  request.set_basis(submission ? rcl::v1::AGING_BASIS_SUBMISSION
                               : rcl::v1::AGING_BASIS_DATE_OF_SERVICE);
  request.set_limit(kReportPageMax);
  auto aging = QueryAging(reader, request, as_of);
  ASSERT_TRUE(aging.ok()) << aging.status();
  AgingExpectation x = ExpectedAging(claims, as_of, payer, submission);
  std::string what = absl::StrCat(payer ? "payer" : "patient", " aging as of ", as_of,
                                  submission ? " (submission)" : "");
  EXPECT_EQ(aging->total_cents(), x.total) << what;
  EXPECT_EQ(aging->credit_total_cents(), x.credit) << what;
  EXPECT_TRUE(aging->next_page_token().empty()) << what;
  std::set<std::string> seen;
  for (const auto& row : aging->rows()) {
    seen.insert(row.key());
    ASSERT_EQ(row.buckets_size(), kAgingBuckets);
    for (int i = 0; i < kAgingBuckets; ++i) {
      EXPECT_EQ(row.buckets(i).amount_cents(), x.rows[row.key()][i])
          << what << " " << row.key() << " bucket " << i;
    }
    EXPECT_EQ(row.credit_cents(), x.credits[row.key()]) << what << " " << row.key();
  }
  for (const auto& [key, buckets] : x.rows) {
    int64_t sum = 0;
    for (int64_t b : buckets) sum += b;
    if (sum != 0) {
      EXPECT_TRUE(seen.contains(key)) << what << ": no row for " << key;
    }
  }
}

// Everything a report says, as text, to compare two copies.
std::string Fingerprint(const StateReader& claims_reader, const StateReader& books_reader,
                        const std::vector<std::string>& claim_ids, const std::string& as_of) {
  std::string out;
  for (const std::string& id : claim_ids) {
    rcl::v1::BalancesRequest r;
    r.set_tenant(ledger::claims_testing::kTenant);
    r.set_claim_id(id);
    auto b = QueryBalances(claims_reader, r);
    absl::StrAppend(&out, id, ":", b.ok() ? b->amounts().ShortDebugString() : b.status().ToString(),
                    "\n");
  }
  rcl::v1::ArAgingRequest a;
  a.set_tenant(ledger::claims_testing::kTenant);
  a.set_limit(kReportPageMax);
  auto aging = QueryAging(claims_reader, a, as_of);
  if (aging.ok()) aging->clear_as_of_position();
  absl::StrAppend(&out, aging.ok() ? aging->ShortDebugString() : aging.status().ToString(), "\n");
  auto tb = QueryTrialBalance(books_reader, ledger::claims_testing::kTenant, "");
  if (tb.ok()) tb->clear_as_of_position();
  absl::StrAppend(&out, tb.ok() ? tb->ShortDebugString() : tb.status().ToString(), "\n");
  return out;
}

TEST(AgingBucketTest, EdgesAreZeroToThirtyThenEveryThirtyDaysThenOneHundredTwentyOneAndMore) {
  EXPECT_EQ(AgingBucket(-3), 0);  // a basis date after the as-of date
  EXPECT_EQ(AgingBucket(0), 0);
  EXPECT_EQ(AgingBucket(30), 0);
  EXPECT_EQ(AgingBucket(31), 1);
  EXPECT_EQ(AgingBucket(60), 1);
  EXPECT_EQ(AgingBucket(61), 2);
  EXPECT_EQ(AgingBucket(90), 2);
  EXPECT_EQ(AgingBucket(91), 3);
  EXPECT_EQ(AgingBucket(120), 3);
  EXPECT_EQ(AgingBucket(121), 4);
  EXPECT_EQ(AgingBucket(5000), 4);
}

class ProjectionsPropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ProjectionsPropertyTest, EveryReportEqualsAReplayOfTheEvents) {
  ClaimsLedger books(/*sync_writes=*/false);
  Driver driver(GetParam(), &books);
  driver.Run(kCommands);
  ASSERT_FALSE(driver.broken()) << driver.Stats();
  const uint64_t head = books.head();
  const std::string tenant = ledger::claims_testing::kTenant;
  std::string path = books.dir() + "/projections";
  auto runtime = OpenRuntime(books, path);
  ASSERT_NE(runtime, nullptr);
  auto claims_reader = runtime->Read(kClaimsProjection, head);
  ASSERT_TRUE(claims_reader.ok()) << claims_reader.status();
  auto books_reader = runtime->Read(kTrialBalanceProjection, head);
  ASSERT_TRUE(books_reader.ok()) << books_reader.status();
  EXPECT_GE((*claims_reader)->checkpoint(), head);

  // Each claim, and the sums.
  std::map<std::string, ReplayedClaim> claims = Replay(books);
  ASSERT_GT(claims.size(), 20u);
  std::map<std::string, int64_t> payer_balance, patient_balance;
  int64_t tenant_payer = 0, tenant_patient = 0, tenant_charge = 0;
  std::set<std::string> denied;
  for (const auto& [id, c] : claims) {
    const ClaimState& s = c.state;
    rcl::v1::BalancesRequest r;
    r.set_tenant(tenant);
    r.set_claim_id(id);
    auto b = QueryBalances(**claims_reader, r);
    ASSERT_TRUE(b.ok()) << id << ": " << b.status();
    const rcl::v1::BalanceAmounts& a = b->amounts();
    EXPECT_EQ(a.charge_cents(), s.charge_cents) << id;
    EXPECT_EQ(a.payer_paid_cents(), s.payer_paid_cents) << id;
    EXPECT_EQ(a.contractual_cents(), s.contractual_cents) << id;
    EXPECT_EQ(a.other_adjustment_cents(), s.other_adjustment_cents) << id;
    EXPECT_EQ(a.patient_responsibility_cents(), s.patient_responsibility_cents) << id;
    EXPECT_EQ(a.patient_paid_cents(), s.patient_paid_cents) << id;
    EXPECT_EQ(a.written_off_cents(), s.WrittenOff()) << id;
    EXPECT_EQ(a.payer_balance_cents(), s.PayerBalance()) << id;
    EXPECT_EQ(a.patient_balance_cents(), s.PatientBalance()) << id;
    EXPECT_EQ(a.denied_cents(), s.denied_cents) << id;
    EXPECT_EQ(a.transferred_cents(), s.transferred_out_cents) << id;
    payer_balance[s.payer_id] += s.PayerBalance();
    patient_balance[s.patient_id] += s.PatientBalance();
    tenant_payer += s.PayerBalance();
    tenant_patient += s.PatientBalance();
    tenant_charge += s.charge_cents;
    if ((s.adjudication.has_value() && s.adjudication->denied) || s.denied_cents > 0)
      denied.insert(id);
  }
  for (const auto& [payer, balance] : payer_balance) {
    rcl::v1::BalancesRequest r;
    r.set_tenant(tenant);
    r.set_payer_id(payer);
    auto b = QueryBalances(**claims_reader, r);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->amounts().payer_balance_cents(), balance) << payer;
  }
  for (const auto& [patient, balance] : patient_balance) {
    rcl::v1::BalancesRequest r;
    r.set_tenant(tenant);
    r.set_patient_id(patient);
    auto b = QueryBalances(**claims_reader, r);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->amounts().patient_balance_cents(), balance) << patient;
  }
  rcl::v1::BalancesRequest whole;
  whole.set_tenant(tenant);
  auto t = QueryBalances(**claims_reader, whole);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->amounts().payer_balance_cents(), tenant_payer);
  EXPECT_EQ(t->amounts().patient_balance_cents(), tenant_patient);
  EXPECT_EQ(t->amounts().charge_cents(), tenant_charge);
  EXPECT_EQ(t->amounts().claims(), static_cast<int64_t>(claims.size()));

  // The trial balance is the postings by account.
  ledger::claims_testing::Postings accounts;
  EXPECT_TRUE(books.CheckBooks(&accounts).empty());
  auto tb = QueryTrialBalance(**books_reader, tenant, "");
  ASSERT_TRUE(tb.ok()) << tb.status();
  EXPECT_EQ(tb->total_cents(), 0);
  std::map<std::string, int64_t> projected;
  for (const auto& a : tb->accounts()) projected[a.account()] = a.balance_cents();
  std::map<std::string, int64_t> expected;
  for (const auto& [account, sum] : accounts) {
    if (sum != 0) expected[account] = sum;
  }
  EXPECT_EQ(projected, expected);

  // Aging: today, and as of dates across the history.
  std::set<std::string> dates;
  for (const auto& [id, c] : claims) {
    for (const auto& d : c.deltas) dates.insert(std::get<0>(d));
  }
  std::vector<std::string> as_of = {TodayUtc(), *dates.begin(), *dates.rbegin()};
  std::vector<std::string> all(dates.begin(), dates.end());
  for (size_t k = 1; k < 6; ++k) as_of.push_back(all[all.size() * k / 6]);
  for (const std::string& date : as_of) {
    for (bool payer : {true, false}) {
      for (bool submission : {false, true})
        ExpectAging(**claims_reader, claims, date, payer, submission);
    }
  }

  // The denial queue.
  rcl::v1::DenialsRequest dq;
  dq.set_tenant(tenant);
  dq.set_limit(kReportPageMax);
  auto denials = QueryDenials(**claims_reader, dq);
  ASSERT_TRUE(denials.ok()) << denials.status();
  std::set<std::string> listed;
  for (const auto& d : denials->denials()) listed.insert(d.claim_id());
  EXPECT_EQ(listed, denied);

  // The dated queues, paged three rows at a time, list what one page does;
  // far in the future every patient who owes is due a statement.
  {
    std::set<std::string> owing;
    for (const auto& [patient, balance] : patient_balance) {
      if (balance > 0) owing.insert(patient);
    }
    std::vector<std::string> paged, whole;
    for (uint32_t limit : {3u, kReportPageMax}) {
      rcl::v1::StatementsDueRequest sr;
      sr.set_tenant(tenant);
      sr.set_days(1);
      sr.set_limit(limit);
      std::vector<std::string>& into = limit == 3 ? paged : whole;
      while (true) {
        auto page = QueryStatementsDue(**claims_reader, sr, "2099-01-01");
        ASSERT_TRUE(page.ok()) << page.status();
        for (const auto& p : page->patients()) into.push_back(p.patient_id());
        if (page->next_page_token().empty()) break;
        sr.set_page_token(page->next_page_token());
      }
    }
    EXPECT_EQ(paged, whole);
    EXPECT_EQ(std::set<std::string>(whole.begin(), whole.end()), owing);
    EXPECT_EQ(whole.size(), owing.size()) << "a patient listed twice";
    std::vector<std::string> awaiting_paged, awaiting_whole;
    for (uint32_t limit : {3u, kReportPageMax}) {
      rcl::v1::NoResponseRequest nr;
      nr.set_tenant(tenant);
      nr.set_days(1);
      nr.set_limit(limit);
      std::vector<std::string>& into = limit == 3 ? awaiting_paged : awaiting_whole;
      while (true) {
        auto page = QueryNoResponse(**claims_reader, nr, "2099-01-01");
        ASSERT_TRUE(page.ok()) << page.status();
        for (const auto& c : page->claims()) into.push_back(c.claim_id());
        if (page->next_page_token().empty()) break;
        nr.set_page_token(page->next_page_token());
      }
    }
    EXPECT_EQ(awaiting_paged, awaiting_whole);
    for (const std::string& id : awaiting_whole) {
      EXPECT_NE(claims[id].state.status, ledger::ClaimStatus::kAdjudicated)
          << id << " has its response";
    }
  }

  // Each claim's history: its stream's events in order, the balances after
  // each as a replay has them, and as of a middle position only the events
  // up to it.
  auto history_reader = runtime->Read(kHistoryProjection, head);
  ASSERT_TRUE(history_reader.ok()) << history_reader.status();
  std::map<std::string, std::vector<EventRecord>> claim_events;
  for (const EventRecord& e : books.EventsAfter(0)) {
    if (e.stream.starts_with("claim-")) claim_events[e.stream.substr(6)].push_back(e);
  }
  int histories = 0;
  for (const auto& [id, events] : claim_events) {
    if (++histories > 40) break;
    for (uint64_t as_of : {uint64_t{0}, events[events.size() / 2].position}) {
      rcl::v1::HistoryRequest hr;
      hr.set_tenant(tenant);
      hr.set_kind(rcl::v1::HISTORY_KIND_CLAIM);
      hr.set_id(id);
      hr.set_as_of_position(as_of);
      hr.set_limit(2);  // several pages
      std::vector<rcl::v1::HistoryEntry> entries;
      while (true) {
        auto page = QueryHistory(**history_reader, books.store(), hr);
        ASSERT_TRUE(page.ok()) << id << ": " << page.status();
        for (const auto& entry : page->entries()) entries.push_back(entry);
        if (page->next_page_token().empty()) break;
        hr.set_page_token(page->next_page_token());
      }
      ledger::StreamState state;
      size_t n = 0;
      for (const EventRecord& e : events) {
        if (as_of != 0 && e.position > as_of) break;
        ASSERT_LT(n, entries.size()) << id << " is missing the event at " << e.position;
        EXPECT_EQ(entries[n].position(), e.position) << id;
        EXPECT_EQ(entries[n].type(), e.type) << id;
        EXPECT_FALSE(entries[n].summary().empty());
        ASSERT_TRUE(ledger::ApplyEvent(&state, e.version, e.type, e.payload).ok());
        const auto& claim = std::get<ClaimState>(state.aggregate);
        EXPECT_EQ(entries[n].payer_balance_cents(), claim.PayerBalance())
            << id << " after " << e.position;
        EXPECT_EQ(entries[n].patient_balance_cents(), claim.PatientBalance())
            << id << " after " << e.position;
        ++n;
      }
      EXPECT_EQ(n, entries.size()) << id << " as of " << as_of;
    }
  }
  history_reader->reset();

  // A rebuild beside the live copy, swapped in: identical reports.
  std::vector<std::string> ids;
  for (const auto& [id, c] : claims) ids.push_back(id);
  std::string before = Fingerprint(**claims_reader, **books_reader, ids, TodayUtc());
  claims_reader->reset();
  books_reader->reset();
  for (const char* name : {kClaimsProjection, kTrialBalanceProjection, kHistoryProjection}) {
    auto started = runtime->Rebuild(name);
    ASSERT_TRUE(started.ok()) << started.status();
    for (int i = 0; i < 3000; ++i) {
      bool done = false;
      for (const auto& s : runtime->Status())
        done |= s.name == name && s.generation == started->generation;
      if (done) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  for (const auto& s : runtime->Status()) {
    EXPECT_FALSE(s.rebuilding) << s.name;
    EXPECT_EQ(s.state, "live") << s.name;
    EXPECT_EQ(s.checkpoint, head) << s.name;
  }
  auto c2 = runtime->Read(kClaimsProjection, head);
  auto b2 = runtime->Read(kTrialBalanceProjection, head);
  ASSERT_TRUE(c2.ok() && b2.ok());
  EXPECT_EQ(Fingerprint(**c2, **b2, ids, TodayUtc()), before) << "after a rebuild";
  c2->reset();
  b2->reset();

  // A restart resumes from the stored checkpoints: the same reports.
  runtime.reset();
  runtime = OpenRuntime(books, path);
  ASSERT_NE(runtime, nullptr);
  auto c3 = runtime->Read(kClaimsProjection, head);
  auto b3 = runtime->Read(kTrialBalanceProjection, head);
  ASSERT_TRUE(c3.ok() && b3.ok());
  EXPECT_EQ(Fingerprint(**c3, **b3, ids, TodayUtc()), before) << "after a restart";
}

// Cases read "Seeds/ProjectionsPropertyTest.EveryReportEqualsAReplayOfTheEvents/Seed99".
INSTANTIATE_TEST_SUITE_P(Seeds, ProjectionsPropertyTest, ::testing::ValuesIn(kSeeds),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return "Seed" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace rcl::projections
