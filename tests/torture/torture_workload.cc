// The crash campaign's workload (torture.h): demo clients running the full
// claim lifecycle, each on its own tenants, and an 835 importer; and the
// Journal and Problems they report to.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "clients/client.h"
#include "clients/demo.h"
#include "tests/torture/torture.h"

namespace rcl::torture {
namespace {

std::string KeyText(const CommandKey& key) { return absl::StrCat(key.first, "/", key.second); }

std::vector<std::string> EventIds(const rcl::v1::CommandResponse& response) {
  return {response.event_ids().begin(), response.event_ids().end()};
}

// Sends the demo's commands and records what each answer (or its absence)
// says. Only errors while the server is up are problems.
class RecordingSink : public demo::DemoSink {
 public:
  RecordingSink(client::Client* client, Journal* journal, Problems* problems,
                const std::atomic<bool>* dying)
      : client_(client), journal_(journal), problems_(problems), dying_(dying) {}

  absl::StatusOr<rcl::v1::CommandResponse> Execute(const rcl::v1::Command& command,
                                                   const client::CommandOptions& options) override {
    const CommandKey key{client_->tenant(), options.command_id};
    absl::StatusOr<rcl::v1::CommandResponse> r = client_->Execute(command, options);
    if (r.ok()) {
      auto [kind, what] = journal_->RecordAck(key, *r);
      if (!kind.empty()) problems_->Add(kind, what);
      return r;
    }
    if (dying_->load()) {
      journal_->RecordUnknown(key);
    } else {
      problems_->Add(kUnexpected, absl::StrCat(KeyText(key), ": ", r.status().ToString()));
      reported_ = true;
    }
    return r;
  }

  absl::StatusOr<rcl::v1::ClaimView> GetClaim(const std::string& claim_id) override {
    return client_->GetClaim(claim_id);
  }

  bool reported() const { return reported_; }

 private:
  client::Client* client_;
  Journal* journal_;
  Problems* problems_;
  const std::atomic<bool>* dying_;
  bool reported_ = false;
};

client::Options ClientOptions(const std::string& tenant) {
  client::Options o;
  o.tenant = tenant;
  o.deadline_ms = 60'000;
  return o;
}

}  // namespace

std::string DemoTenant(uint64_t seed, int client, int index) {
  return absl::StrCat("s", seed, "-c", client, "-d", index);
}

uint64_t DemoSeed(uint64_t seed, int client, int index) {
  return seed * 1'000'003 + static_cast<uint64_t>(client) * 10'007 + static_cast<uint64_t>(index);
}

std::string ImportFile(const std::string& fixture, uint64_t seed, int n) {
  // TRN02 (the check or EFT trace number) makes each file a new remittance.
  std::string trace = absl::StrCat(seed % 100'000, "9", n);
  return absl::StrReplaceAll(fixture, {{"TRN*1*7170066655*", absl::StrCat("TRN*1*", trace, "*")}});
}

std::string ImportCommandId(uint64_t seed, int n) { return absl::StrCat("x12-", seed, "-", n); }

// --- Journal.

std::pair<std::string, std::string> Journal::RecordAck(const CommandKey& key,
                                                       const rcl::v1::CommandResponse& response) {
  absl::MutexLock lock(&mu_);
  Acked now{response.position(), EventIds(response)};
  std::pair<std::string, std::string> problem;
  if (auto it = acked_.find(key); it != acked_.end()) {
    if (it->second.position != now.position || it->second.event_ids != now.event_ids) {
      problem = {kLost,
                 absl::StrCat(KeyText(key), ": acknowledged at position ", it->second.position,
                              ", answered again with position ", now.position)};
    }
  } else if (auto d = durable_unacked_.find(key); d != durable_unacked_.end()) {
    if (d->second != now.event_ids) {
      problem = {
          kHalfWritten,
          absl::StrCat(KeyText(key), ": the log held events [", absl::StrJoin(d->second, ","),
                       "] but the command has [", absl::StrJoin(now.event_ids, ","), "]")};
    }
    durable_unacked_.erase(d);
  }
  unknown_.erase(key);
  acked_.emplace(key, std::move(now));
  return problem;
}

void Journal::RecordUnknown(const CommandKey& key) {
  absl::MutexLock lock(&mu_);
  if (!acked_.contains(key)) unknown_.insert(key);
}

void Journal::RecordDurableUnacked(const CommandKey& key, std::vector<std::string> event_ids) {
  absl::MutexLock lock(&mu_);
  durable_unacked_[key] = std::move(event_ids);
}

void Journal::AddTenant(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  tenants_.insert(tenant);
  touched_.insert(tenant);
}

std::set<std::string> Journal::TakeTouched() {
  absl::MutexLock lock(&mu_);
  return std::exchange(touched_, {});
}

std::map<CommandKey, Acked> Journal::acked() const {
  absl::MutexLock lock(&mu_);
  return acked_;
}

std::set<CommandKey> Journal::unknown() const {
  absl::MutexLock lock(&mu_);
  return unknown_;
}

std::set<std::string> Journal::tenants() const {
  absl::MutexLock lock(&mu_);
  return tenants_;
}

// --- Problems.

void Problems::Add(const std::string& kind, const std::string& what) {
  absl::MutexLock lock(&mu_);
  ++counts_[kind];
  if (kept_.size() < kProblemsKeptMax) kept_.push_back(absl::StrCat(kind, ": ", what));
}

int64_t Problems::Count(const std::string& kind) const {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(kind);
  return it == counts_.end() ? 0 : it->second;
}

int64_t Problems::Total() const {
  absl::MutexLock lock(&mu_);
  int64_t total = 0;
  for (const auto& [kind, n] : counts_) total += n;
  return total;
}

std::vector<std::string> Problems::Kept() const {
  absl::MutexLock lock(&mu_);
  return kept_;
}

// --- Workload.

Workload::Workload(const Options& options, int cycle, std::string address, Journal* journal,
                   Problems* problems, std::vector<int>* demo_index)
    : options_(options),
      cycle_(cycle),
      address_(std::move(address)),
      journal_(journal),
      problems_(problems),
      demo_index_(demo_index) {}

Workload::~Workload() { Join(); }

void Workload::Start() {
  for (int c = 0; c < options_.clients; ++c) threads_.emplace_back([this, c] { RunDemos(c); });
  if (options_.imports) threads_.emplace_back([this] { RunImports(); });
}

void Workload::Join() {
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

// One client: its current demo from the start (every command already
// acknowledged is answered again from the store, which checks it), then the
// next ones, until the server goes away.
void Workload::RunDemos(int client) {
  while (!dying_.load()) {
    int& index = (*demo_index_)[client];
    const std::string tenant = DemoTenant(options_.seed, client, index);
    journal_->AddTenant(tenant);
    absl::StatusOr<std::unique_ptr<client::Client>> c =
        client::Client::Connect(address_, ClientOptions(tenant));
    if (!c.ok()) {
      if (!dying_.load()) problems_->Add(kUnexpected, c.status().ToString());
      return;
    }
    RecordingSink sink(c->get(), journal_, problems_, &dying_);
    demo::DemoOptions demo;
    demo.seed = DemoSeed(options_.seed, client, index);
    demo.patients = options_.demo_patients;
    demo.days = options_.demo_days;
    demo.end = options_.demo_end;
    absl::StatusOr<demo::DemoSummary> summary = demo::RunDemo(demo, sink);
    if (summary.ok()) {
      ++index;
      demos_completed_.fetch_add(1);
      continue;
    }
    if (dying_.load() || sink.reported()) return;
    // The demo's own check of its model against the server failed.
    problems_->Add(absl::IsInternal(summary.status()) ? kModel : kUnexpected,
                   absl::StrCat(tenant, ": ", summary.status().ToString()));
    ++index;  // do not repeat the same failure every cycle
    return;
  }
}

// 835 files posted whole, one after another; a file left without an answer
// by the kill is sent again (same command id) before the next one.
void Workload::RunImports() {
  journal_->AddTenant(kImportTenant);
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Connect(address_, ClientOptions(kImportTenant));
  if (!c.ok()) return;
  int& next = demo_index_->back();
  while (!dying_.load()) {
    client::CommandOptions command;
    command.command_id = ImportCommandId(options_.seed, next);
    const CommandKey key{kImportTenant, command.command_id};
    absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> r = (*c)->ImportRemittanceFile(
        ImportFile(options_.x12_fixture, options_.seed, next), false, false, command);
    if (!r.ok()) {
      if (dying_.load()) {
        journal_->RecordUnknown(key);
      } else {
        problems_->Add(kUnexpected,
                       absl::StrCat("import ", command.command_id, ": ", r.status().ToString()));
      }
      return;
    }
    auto [kind, what] = journal_->RecordAck(key, r->result());
    if (!kind.empty()) problems_->Add(kind, what);
    imports_acked_.fetch_add(1);
    ++next;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + cycle_ % 7 * 10));
  }
}

}  // namespace rcl::torture
