// The crash campaign's checks after a restart (torture.h): the whole log and
// every tenant's chain verify; every acknowledged command is in the log at
// its position with exactly its events; the events of a command nobody heard
// back from are whole (and are matched against its answer when it is sent
// again); no command appears that nobody sent; the reports after catch-up
// equal the reports after a rebuild of every projection; the books balance.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "clients/client.h"
#include "tests/torture/torture.h"

namespace rcl::torture {
namespace {

// Longest wait for the projections to catch up or a rebuild to finish.
constexpr auto kProjectionWaitMax = std::chrono::seconds(300);
constexpr uint32_t kPageMax = 1000;

struct LoggedEvent {
  uint64_t position = 0;
  std::string event_id;
};

std::unique_ptr<client::Client> Connect(const std::string& address, const std::string& tenant) {
  client::Options o;
  o.tenant = tenant.empty() ? "default" : tenant;
  o.deadline_ms = 120'000;
  absl::StatusOr<std::unique_ptr<client::Client>> c = client::Client::Connect(address, o);
  return c.ok() ? std::move(*c) : nullptr;
}

// The whole log, page by page (each Verify call checks at most 1,000,000).
void VerifyWholeLog(client::Client& c, uint64_t head, Problems* problems) {
  for (uint64_t from = 1; from <= head;) {
    absl::StatusOr<rcl::v1::VerifyResponse> v = c.Verify(from, 0);
    if (!v.ok() || !v->ok()) {
      problems->Add(kChain, v.ok() ? absl::StrCat("whole log at position ", v->first_bad_position(),
                                                  ": ", v->error())
                                   : v.status().ToString());
      return;
    }
    from = v->to_position() + 1;
  }
}

// Every event of the tenant, by command id, in position order.
absl::StatusOr<std::map<std::string, std::vector<LoggedEvent>>> ReadTenantLog(client::Client& c) {
  std::map<std::string, std::vector<LoggedEvent>> by_command;
  uint64_t from = 1;
  while (true) {
    rcl::v1::ReadAllRequest request;
    request.set_from_position(from);
    request.set_limit(kPageMax);
    absl::StatusOr<rcl::v1::ReadAllResponse> page = c.ReadAll(request);
    if (!page.ok()) return page.status();
    for (const rcl::v1::Event& e : page->events())
      by_command[e.command_id()].push_back({e.position(), e.event_id()});
    if (page->end_of_log()) return by_command;
    from = page->next_position();
  }
}

bool Contiguous(const std::vector<LoggedEvent>& events) {
  for (size_t i = 1; i < events.size(); ++i)
    if (events[i].position != events[i - 1].position + 1) return false;
  return true;
}

std::vector<std::string> IdsOf(const std::vector<LoggedEvent>& events) {
  std::vector<std::string> ids;
  for (const LoggedEvent& e : events) ids.push_back(e.event_id);
  return ids;
}

// One tenant: its own chain and tree, then its commands against the journal.
void CheckTenant(const std::string& address, const std::string& tenant, Journal* journal,
                 Problems* problems, CheckCounts* counts) {
  std::unique_ptr<client::Client> c = Connect(address, tenant);
  if (c == nullptr) return problems->Add(kUnexpected, "cannot connect");
  absl::StatusOr<rcl::v1::HeadResponse> head = c->TenantHead();
  if (!head.ok()) return problems->Add(kUnexpected, head.status().ToString());
  if (head->tenant_seq() > 0) {
    absl::StatusOr<rcl::v1::VerifyResponse> v = c->TenantVerify();
    if (!v.ok() || !v->ok()) {
      problems->Add(kChain, absl::StrCat(tenant, ": ",
                                         v.ok() ? absl::StrCat("tenant sequence ",
                                                               v->first_bad_seq(), ": ", v->error())
                                                : v.status().ToString()));
    }
  }
  absl::StatusOr<std::map<std::string, std::vector<LoggedEvent>>> log = ReadTenantLog(*c);
  if (!log.ok()) return problems->Add(kUnexpected, log.status().ToString());
  const std::map<CommandKey, Acked> acked = journal->acked();
  const std::set<CommandKey> unknown = journal->unknown();
  for (auto it = acked.lower_bound({tenant, ""}); it != acked.end() && it->first.first == tenant;
       ++it) {
    auto found = log->find(it->first.second);
    if (found == log->end() || IdsOf(found->second) != it->second.event_ids ||
        found->second.back().position != it->second.position) {
      problems->Add(
          kLost, absl::StrCat(
                     tenant, "/", it->first.second, ": acknowledged at ", it->second.position, ", ",
                     found == log->end() ? "not in the log" : "different events in the log"));
    } else {
      ++counts->acked_checked;
    }
  }
  for (const auto& [command_id, events] : *log) {
    const CommandKey key{tenant, command_id};
    if (!Contiguous(events)) {
      problems->Add(kHalfWritten, absl::StrCat(tenant, "/", command_id, ": events not contiguous"));
    }
    if (acked.contains(key)) continue;
    if (unknown.contains(key)) {
      journal->RecordDurableUnacked(key, IdsOf(events));
      ++counts->durable_unacked;
    } else {
      problems->Add(kPhantom, absl::StrCat(tenant, "/", command_id, ": in the log, never sent"));
    }
  }
}

// Waits until every projection has folded the log up to `head` and none is
// rebuilding; false (and a problem) on timeout or a stopped projection.
bool WaitForProjections(client::Client& c, uint64_t head, Problems* problems) {
  const auto deadline = std::chrono::steady_clock::now() + kProjectionWaitMax;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<rcl::v1::ProjectionStatusResponse> s = c.ProjectionStatus();
    if (!s.ok()) {
      problems->Add(kUnexpected, s.status().ToString());
      return false;
    }
    bool ready = true;
    for (const rcl::v1::ProjectionInfo& p : s->projections()) {
      if (!p.error().empty()) {
        problems->Add(kProjection, absl::StrCat(p.name(), " stopped: ", p.error()));
        return false;
      }
      if (p.checkpoint() < head || p.rebuilding()) ready = false;
    }
    if (ready) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  problems->Add(kProjection, "projections did not catch up in time");
  return false;
}

// The reports a billing company reads, as text (positions left out).
std::string ReportsText(const std::string& address, const std::string& tenant,
                        const absl::CivilDay as_of, uint64_t head, Problems* problems) {
  std::unique_ptr<client::Client> c = Connect(address, tenant);
  if (c == nullptr) return "cannot connect";
  std::string text;
  rcl::v1::TrialBalanceRequest tb;
  tb.set_min_position(head);
  absl::StatusOr<rcl::v1::TrialBalanceResponse> trial = c->TrialBalance(tb);
  if (!trial.ok()) return trial.status().ToString();
  if (trial->total_cents() != 0)
    problems->Add(kUnbalanced, absl::StrCat(tenant, ": total ", trial->total_cents()));
  trial->clear_as_of_position();
  absl::StrAppend(&text, "trial balance ", trial->ShortDebugString(), "\n");
  rcl::v1::BalancesRequest br;
  br.set_min_position(head);
  absl::StatusOr<rcl::v1::BalancesResponse> balances = c->Balances(br);
  if (!balances.ok()) return balances.status().ToString();
  balances->clear_as_of_position();
  absl::StrAppend(&text, "balances ", balances->ShortDebugString(), "\n");
  for (auto side : {rcl::v1::AGING_SIDE_PAYER, rcl::v1::AGING_SIDE_PATIENT}) {
    rcl::v1::ArAgingRequest ar;
    ar.set_min_position(head);
    ar.set_as_of_date(absl::FormatCivilTime(as_of));
    ar.set_side(side);
    ar.set_limit(kPageMax);
    do {
      absl::StatusOr<rcl::v1::ArAgingResponse> aging = c->ArAging(ar);
      if (!aging.ok()) return aging.status().ToString();
      ar.set_page_token(aging->next_page_token());
      aging->clear_as_of_position();
      absl::StrAppend(&text, "aging ", aging->ShortDebugString(), "\n");
    } while (!ar.page_token().empty());
  }
  return text;
}

// The first line where two texts differ, for the report.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  size_t start = a.rfind('\n', i == 0 ? 0 : i - 1);
  start = start == std::string::npos ? 0 : start + 1;
  return absl::StrCat("before: ", a.substr(start, 200), " | after: ", b.substr(start, 200));
}

void CheckProjections(const Options& options, const std::string& address, client::Client& c,
                      uint64_t head, bool rebuild, const std::set<std::string>& tenants,
                      Problems* problems, CheckCounts* counts) {
  if (!WaitForProjections(c, head, problems)) return;
  const absl::CivilDay as_of = options.demo_end + 30;
  std::map<std::string, std::string> before;
  for (const std::string& t : tenants) before[t] = ReportsText(address, t, as_of, head, problems);
  if (!rebuild) return;
  absl::StatusOr<rcl::v1::ProjectionStatusResponse> s = c.ProjectionStatus();
  if (!s.ok()) return problems->Add(kUnexpected, s.status().ToString());
  for (const rcl::v1::ProjectionInfo& p : s->projections()) {
    absl::StatusOr<rcl::v1::RebuildProjectionResponse> r = c.RebuildProjection(p.name());
    if (!r.ok()) return problems->Add(kUnexpected, r.status().ToString());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!WaitForProjections(c, head, problems)) return;
  for (const std::string& t : tenants) {
    std::string after = ReportsText(address, t, as_of, head, problems);
    ++counts->projection_compares;
    if (after != before[t])
      problems->Add(kProjection, absl::StrCat(t, ": ", FirstDifference(before[t], after)));
  }
}

}  // namespace

CheckCounts CheckAfterRestart(const Options& options, const std::string& address, bool rebuild,
                              Journal* journal, Problems* problems) {
  CheckCounts counts;
  std::unique_ptr<client::Client> c = Connect(address, "");
  if (c == nullptr) {
    problems->Add(kUnexpected, "cannot connect after restart");
    return counts;
  }
  absl::StatusOr<rcl::v1::HeadResponse> head = c->Head();
  if (!head.ok()) {
    problems->Add(kUnexpected, head.status().ToString());
    return counts;
  }
  counts.events = static_cast<int64_t>(head->position());
  VerifyWholeLog(*c, head->position(), problems);
  const std::set<std::string> tenants = journal->tenants();
  for (const std::string& t : tenants) CheckTenant(address, t, journal, problems, &counts);
  CheckProjections(options, address, *c, head->position(), rebuild, journal->TakeTouched(),
                   problems, &counts);
  return counts;
}

}  // namespace rcl::torture
