// rcl-torture: the crash campaign driver behind ops/torture (docs/RELIABILITY.md).
//
// Each cycle runs a mixed workload against a real rcl-server from several
// concurrent clients (the `rcl demo` practice workload: the full claim
// lifecycle; plus 835 remittance imports), records every acknowledged
// command, kills the server with SIGKILL at a random moment, restarts it on
// the same data directory and checks what a billing company relies on:
// every acknowledged command is in the log at its position with exactly its
// events, nothing unacknowledged is half-written, the chains verify, the
// projections after catch-up equal a rebuild, and the books balance.
//
// Threads: the driver thread owns the server process and runs the checks;
// the workload threads share one Journal (mutex inside).
#ifndef RCL_TESTS_TORTURE_TORTURE_H_
#define RCL_TESTS_TORTURE_TORTURE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "rcl/v1/api.pb.h"

namespace rcl::torture {

// Bounds on the campaign's inputs.
inline constexpr int kCyclesMax = 100'000;
inline constexpr int kClientsMax = 16;
inline constexpr int kKillDelayMsMax = 600'000;
// Problems kept in full for the report (the counters count them all).
inline constexpr size_t kProblemsKeptMax = 50;

struct Options {
  int cycles = 5;
  uint64_t seed = 1;
  int clients = 4;         // concurrent demo clients, each on its own tenants
  bool imports = true;     // one more client importing 835 files
  int demo_patients = 12;  // per demo: small, so that demos finish within a few cycles
  int demo_days = 8;
  int kill_min_ms = 300;  // the kill comes uniformly in [min, max] after the workload starts
  int kill_max_ms = 2500;
  int rebuild_every = 1;  // compare projections with a rebuild every N cycles (0: never)
  std::string server_binary;
  std::string data_dir;     // empty: a fresh temporary directory
  std::string x12_fixture;  // the 835 file the importer varies
  absl::CivilDay demo_end;  // last date of service of every demo
};

// Who-said-what of one command id.
using CommandKey = std::pair<std::string, std::string>;  // (tenant, command id)

struct Acked {
  uint64_t position = 0;
  std::vector<std::string> event_ids;
};

// Everything the clients were told, across cycles. Thread-safe.
class Journal {
 public:
  // A command was answered OK. Returns a problem ("" if none): an answer
  // that differs from an earlier acknowledgement of the same id, or from the
  // events a restart found durable for an id that was not acknowledged.
  // Returns (kind, what), both empty when there is no problem.
  std::pair<std::string, std::string> RecordAck(const CommandKey& key,
                                                const rcl::v1::CommandResponse& response)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A command was sent and got no answer (the server died under it).
  void RecordUnknown(const CommandKey& key) ABSL_LOCKS_EXCLUDED(mu_);
  // After a restart: the events the log holds for an id never acknowledged.
  void RecordDurableUnacked(const CommandKey& key, std::vector<std::string> event_ids)
      ABSL_LOCKS_EXCLUDED(mu_);
  void AddTenant(const std::string& tenant) ABSL_LOCKS_EXCLUDED(mu_);

  std::map<CommandKey, Acked> acked() const ABSL_LOCKS_EXCLUDED(mu_);
  std::set<CommandKey> unknown() const ABSL_LOCKS_EXCLUDED(mu_);
  std::set<std::string> tenants() const ABSL_LOCKS_EXCLUDED(mu_);
  // The tenants written since the last call (the reports compared after a
  // restart are theirs: comparing every tenant every cycle would grow with
  // the campaign).
  std::set<std::string> TakeTouched() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<CommandKey, Acked> acked_ ABSL_GUARDED_BY(mu_);
  std::set<CommandKey> unknown_ ABSL_GUARDED_BY(mu_);
  std::map<CommandKey, std::vector<std::string>> durable_unacked_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> tenants_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> touched_ ABSL_GUARDED_BY(mu_);
};

// What went wrong, counted by kind; the first kProblemsKeptMax kept in full.
class Problems {
 public:
  void Add(const std::string& kind, const std::string& what) ABSL_LOCKS_EXCLUDED(mu_);
  int64_t Count(const std::string& kind) const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t Total() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<std::string> Kept() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> kept_ ABSL_GUARDED_BY(mu_);
};

// Problem kinds.
inline constexpr char kLost[] = "lost";                 // an acked command missing or moved
inline constexpr char kHalfWritten[] = "half_written";  // a command's events not all-or-nothing
inline constexpr char kPhantom[] = "phantom";           // events of a command nobody sent
inline constexpr char kChain[] = "chain";               // Verify failed
inline constexpr char kProjection[] = "projection_mismatch";
inline constexpr char kUnbalanced[] = "unbalanced";        // trial balance total != 0
inline constexpr char kUnexpected[] = "unexpected_error";  // an error while the server was up
inline constexpr char kModel[] = "model";  // a demo's model disagreed with the server

// The workload of one cycle (torture_workload.cc): starts the client threads
// against `address`; Stop() tells them the server is going away (errors
// after it are expected) and joins them.
class Workload {
 public:
  Workload(const Options& options, int cycle, std::string address, Journal* journal,
           Problems* problems, std::vector<int>* demo_index);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  void Start();
  void ExpectErrors() { dying_.store(true); }
  void Join();
  int64_t demos_completed() const { return demos_completed_.load(); }
  int64_t imports_acked() const { return imports_acked_.load(); }

 private:
  void RunDemos(int client);
  void RunImports();

  const Options& options_;
  const int cycle_;
  const std::string address_;
  Journal* journal_;
  Problems* problems_;
  std::vector<int>* demo_index_;  // per client: its demo; last: the next import (one thread each)
  std::atomic<bool> dying_{false};
  std::atomic<int64_t> demos_completed_{0};
  std::atomic<int64_t> imports_acked_{0};
  std::vector<std::thread> threads_;
};

// The tenant and seed of client `client`'s demo number `index`.
std::string DemoTenant(uint64_t seed, int client, int index);
uint64_t DemoSeed(uint64_t seed, int client, int index);
inline constexpr char kImportTenant[] = "x12";
// The 835 file of import number `n`: the fixture with its own trace number.
std::string ImportFile(const std::string& fixture, uint64_t seed, int n);
std::string ImportCommandId(uint64_t seed, int n);

// The checks after a restart (torture_check.cc). Each adds what it finds to
// `problems`.
struct CheckCounts {
  int64_t events = 0;           // the log's head
  int64_t acked_checked = 0;    // acknowledged commands found at their position
  int64_t durable_unacked = 0;  // commands without an answer found whole in the log
  int64_t projection_compares = 0;
};
CheckCounts CheckAfterRestart(const Options& options, const std::string& address, bool rebuild,
                              Journal* journal, Problems* problems);

}  // namespace rcl::torture

#endif  // RCL_TESTS_TORTURE_TORTURE_H_
