// rcl-bench: a closed-loop load generator for the rcl-server write path.
//
// Each client is one thread issuing synchronous LedgerService commands back to
// back, all over one shared channel (one channel each with --noshared_channel).
// Setup (not measured): register a patient, open an encounter, record two
// diagnoses. Then, for --warmup seconds (not measured) and --duration seconds
// (measured), record charges, rotating to a new encounter (open + diagnoses,
// both measured) every kLinesPerEncounter lines.
//
// A command counts when it succeeds and completes inside the measured window;
// its latency is the steady_clock time around the blocking RPC. Any failed
// command (in any phase) is counted as an error; the first one is printed to
// stderr and the exit status is 1 when there were errors.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "rcl-server address, HOST:PORT");
ABSL_FLAG(int32_t, clients, 1, "concurrent clients, one thread each");
ABSL_FLAG(double, duration, 10.0, "measured seconds");
ABSL_FLAG(double, warmup, 1.0, "seconds of load before measuring (not measured)");
ABSL_FLAG(std::string, tenant, "bench", "tenant every command is issued for");
ABSL_FLAG(bool, json, false, "print one JSON object instead of the table");
// Default from measurement (docs/PERFORMANCE.md): with 64 clients on 2 cores,
// one shared channel gave the server 6-15% more commands/s than one channel
// per client, at lower p99 and less client CPU per command.
ABSL_FLAG(bool, shared_channel, true,
          "all clients share one channel (one HTTP/2 connection); "
          "--noshared_channel gives each client its own channel and connection");

namespace rcl::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kRpcDeadline = std::chrono::seconds(10);
constexpr auto kConnectDeadline = std::chrono::seconds(10);
constexpr int kLinesPerEncounter = 20;
constexpr int kMaxClients = 4096;
// A Luhn-valid NPI (with the 80840 prefix), used as rendering and billing NPI.
constexpr char kNpi[] = "1234567893";
constexpr char kPlaceOfService[] = "11";  // office

// A small office-visit chargemaster.
struct Procedure {
  const char* cpt;
  int64_t amount_cents;
  bool evaluation_and_management;  // may carry modifier 25
};
constexpr std::array<Procedure, 6> kProcedures = {{
    {"99213", 15000, true},  // office visit, established, low complexity
    {"36415", 2500, false},  // venipuncture
    {"85025", 4500, false},  // CBC with differential
    {"99214", 22500, true},  // office visit, established, moderate complexity
    {"80053", 6500, false},  // comprehensive metabolic panel
    {"93000", 8500, false},  // ECG with interpretation
}};

constexpr std::array<std::array<const char*, 2>, 4> kDiagnosisPairs = {{
    {"E11.9", "I10"},
    {"E78.5", "I10"},
    {"J06.9", "R50.9"},
    {"M54.50", "E66.9"},
}};

enum CommandKind { kOpenEncounter = 0, kRecordDiagnoses, kRecordCharge, kNumKinds };
constexpr std::array<const char*, kNumKinds> kKindNames = {"OpenEncounter", "RecordDiagnoses",
                                                           "RecordCharge"};

struct Config {
  std::string tenant;
  std::string run_id;           // makes patient/encounter ids unique per run
  std::string date_of_service;  // a past date
};

// What one client measured.
struct ClientResult {
  std::vector<int64_t> latencies_ns;  // successful commands in the window
  uint64_t events = 0;                // event ids returned by those commands
  uint64_t errors = 0;                // failed commands, any phase
  std::array<uint64_t, kNumKinds> by_kind = {};
};

std::atomic<bool> g_first_error_printed{false};

class Client {
 public:
  Client(int index, std::shared_ptr<grpc::Channel> channel, const Config* config)
      : index_(index),
        stub_(rcl::v1::LedgerService::NewStub(channel)),
        config_(config),
        patient_id_(absl::StrCat("P-", config->run_id, "-", index)) {
    result_.latencies_ns.reserve(1 << 14);
  }

  // Registers the patient and opens the first encounter. Not measured.
  bool Setup() {
    rcl::v1::RegisterPatientRequest request;
    request.mutable_context()->set_tenant(config_->tenant);
    rcl::v1::RegisterPatient* cmd = request.mutable_command();
    cmd->set_patient_id(patient_id_);
    cmd->set_family_name("Bench");
    cmd->set_given_name(absl::StrCat("Client", index_));
    cmd->set_birth_date("1968-03-14");
    const bool ok = Call(kNumKinds, "RegisterPatient",
                         [&](grpc::ClientContext* ctx, rcl::v1::CommandResponse* resp) {
                           return stub_->RegisterPatient(ctx, request, resp);
                         });
    return ok && OpenNextEncounter();
  }

  // Runs the charge loop until `end`; records commands completing in
  // [measure_start, end).
  void Run(Clock::time_point measure_start, Clock::time_point end) {
    measure_start_ = measure_start;
    measure_end_ = end;
    while (Clock::now() < end) {
      if (!RecordNextCharge()) {
        // Do not spin against a failing server; errors are counted anyway.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }

  ClientResult& result() { return result_; }

 private:
  // Issues one command through `rpc`. Returns whether it succeeded.
  template <typename Rpc>
  bool Call(int kind, std::string_view name, Rpc rpc) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
    rcl::v1::CommandResponse response;
    const Clock::time_point start = Clock::now();
    const grpc::Status status = rpc(&ctx, &response);
    const Clock::time_point done = Clock::now();
    if (!status.ok()) {
      ++result_.errors;
      if (!g_first_error_printed.exchange(true)) {
        absl::FPrintF(stderr, "rcl-bench: first error: client %d %s: %s: %s\n", index_, name,
                      StatusCodeName(status.error_code()), status.error_message());
      }
      return false;
    }
    if (done >= measure_start_ && done < measure_end_) {
      result_.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - start).count());
      result_.events += static_cast<uint64_t>(response.event_ids_size());
      if (kind < kNumKinds) ++result_.by_kind[kind];
    }
    return true;
  }

  // Opens a new encounter for the patient and records two diagnoses on it.
  bool OpenNextEncounter() {
    encounter_ready_ = false;
    ++encounter_seq_;
    encounter_id_ = absl::StrCat("E-", config_->run_id, "-", index_, "-", encounter_seq_);

    rcl::v1::OpenEncounterRequest open;
    open.mutable_context()->set_tenant(config_->tenant);
    rcl::v1::OpenEncounter* oc = open.mutable_command();
    oc->set_encounter_id(encounter_id_);
    oc->set_patient_id(patient_id_);
    oc->set_rendering_npi(kNpi);
    oc->set_billing_npi(kNpi);
    oc->set_date_of_service(config_->date_of_service);
    oc->set_place_of_service(kPlaceOfService);
    if (!Call(kOpenEncounter, "OpenEncounter",
              [&](grpc::ClientContext* ctx, rcl::v1::CommandResponse* resp) {
                return stub_->OpenEncounter(ctx, open, resp);
              })) {
      return false;
    }

    rcl::v1::RecordDiagnosesRequest diagnoses;
    diagnoses.mutable_context()->set_tenant(config_->tenant);
    rcl::v1::RecordDiagnoses* dc = diagnoses.mutable_command();
    dc->set_encounter_id(encounter_id_);
    for (const char* code : kDiagnosisPairs[(index_ + encounter_seq_) % kDiagnosisPairs.size()]) {
      dc->add_icd10_codes(code);
    }
    if (!Call(kRecordDiagnoses, "RecordDiagnoses",
              [&](grpc::ClientContext* ctx, rcl::v1::CommandResponse* resp) {
                return stub_->RecordDiagnoses(ctx, diagnoses, resp);
              })) {
      return false;
    }
    encounter_ready_ = true;
    line_ = 0;
    return true;
  }

  // Records the next charge line, rotating encounters every
  // kLinesPerEncounter lines (or after a failed rotation).
  bool RecordNextCharge() {
    if (!encounter_ready_ || line_ >= kLinesPerEncounter) {
      if (!OpenNextEncounter()) return false;
    }
    ++line_;
    const Procedure& procedure = kProcedures[charge_seq_ % kProcedures.size()];

    charge_.Clear();
    charge_.mutable_context()->set_tenant(config_->tenant);
    rcl::v1::RecordCharge* cc = charge_.mutable_command();
    cc->set_encounter_id(encounter_id_);
    cc->set_line_number(line_);
    cc->set_cpt(procedure.cpt);
    // Modifier 25 on every other E/M visit (a separately identifiable E/M).
    if (procedure.evaluation_and_management && (charge_seq_ / kProcedures.size()) % 2 == 0) {
      cc->add_modifiers("25");
    }
    cc->set_units(1);
    cc->set_amount_cents(procedure.amount_cents);
    cc->add_diagnosis_pointers(1);
    if (charge_seq_ % 3 == 0) cc->add_diagnosis_pointers(2);
    ++charge_seq_;

    return Call(kRecordCharge, "RecordCharge",
                [&](grpc::ClientContext* ctx, rcl::v1::CommandResponse* resp) {
                  return stub_->RecordCharge(ctx, charge_, resp);
                });
  }

  static const char* StatusCodeName(grpc::StatusCode code) {
    // clang-format off
    static constexpr std::array<const char*, 17> kNames = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED"};
    // clang-format on
    const int i = static_cast<int>(code);
    return i >= 0 && i < static_cast<int>(kNames.size()) ? kNames[i] : "UNRECOGNIZED";
  }

  const int index_;
  std::unique_ptr<rcl::v1::LedgerService::Stub> stub_;
  const Config* config_;
  const std::string patient_id_;

  std::string encounter_id_;
  int encounter_seq_ = 0;
  bool encounter_ready_ = false;
  int line_ = 0;
  uint64_t charge_seq_ = 0;
  rcl::v1::RecordChargeRequest charge_;

  // Nothing is recorded until Run() sets the window.
  Clock::time_point measure_start_ = Clock::time_point::max();
  Clock::time_point measure_end_ = Clock::time_point::max();

  ClientResult result_;
};

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  // Without this, channels with equal arguments share one subchannel (and so
  // one TCP connection) through the global pool.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("rcl.bench.client", index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::string MakeRunId() {
  std::random_device rd;
  return absl::StrFormat("%08x", static_cast<uint32_t>(rd()));
}

// Nearest-rank percentile of sorted `v`, in milliseconds.
double PercentileMs(const std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0.0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return static_cast<double>(v[rank - 1]) / 1e6;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Closed-loop load generator for rcl-server's command path.\n"
      "Usage: rcl-bench [--server HOST:PORT] [--clients N] [--duration S] "
      "[--warmup S] [--tenant T] [--json] [--noshared_channel]");
  absl::FlagsUsageConfig usage_config;
  // --help lists this file's flags (the binary's name differs from the file's).
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "rcl_bench.cc");
  };
  absl::SetFlagsUsageConfig(usage_config);
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    absl::FPrintF(stderr, "rcl-bench: unexpected argument '%s' (see --help)\n", rest[1]);
    return 2;
  }
  const std::string server = absl::GetFlag(FLAGS_server);
  const int clients = absl::GetFlag(FLAGS_clients);
  const double duration_s = absl::GetFlag(FLAGS_duration);
  const double warmup_s = absl::GetFlag(FLAGS_warmup);
  const bool json = absl::GetFlag(FLAGS_json);
  const bool shared_channel = absl::GetFlag(FLAGS_shared_channel);
  if (clients < 1 || clients > kMaxClients) {
    absl::FPrintF(stderr, "rcl-bench: --clients must be in 1..%d\n", kMaxClients);
    return 2;
  }
  if (!(duration_s > 0.0) || duration_s > 86400.0 || !(warmup_s >= 0.0) || warmup_s > 3600.0) {
    absl::FPrintF(stderr, "rcl-bench: need 0 < --duration <= 86400 and 0 <= --warmup <= 3600\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_tenant).empty()) {
    absl::FPrintF(stderr, "rcl-bench: --tenant must not be empty\n");
    return 2;
  }

  Config config;
  config.tenant = absl::GetFlag(FLAGS_tenant);
  config.run_id = MakeRunId();
  // A week ago (UTC): safely in the past whatever the server's time zone.
  config.date_of_service =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 7), absl::UTCTimeZone());

  // Channels, connected before anything is timed.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < (shared_channel ? 1 : clients); ++i) {
    channels.push_back(MakeChannel(server, i));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() + kConnectDeadline)) {
      absl::FPrintF(stderr, "rcl-bench: cannot connect to %s within %d s\n", server,
                    static_cast<int>(kConnectDeadline.count()));
      return 1;
    }
  }
  std::vector<std::unique_ptr<Client>> workers;
  workers.reserve(clients);
  for (int i = 0; i < clients; ++i) {
    workers.push_back(std::make_unique<Client>(i, channels[shared_channel ? 0 : i], &config));
  }

  // Setup runs concurrently; the load phase starts for everyone at once.
  std::latch set_up(clients);
  std::latch go(1);
  Clock::time_point measure_start;
  Clock::time_point end;
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      Client& client = *workers[i];
      const bool ready = client.Setup();
      set_up.count_down();
      go.wait();
      if (ready) client.Run(measure_start, end);
    });
  }
  set_up.wait();
  const Clock::time_point load_start = Clock::now();
  measure_start = load_start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(warmup_s));
  end = measure_start +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
  go.count_down();
  for (std::thread& t : threads) t.join();

  // Aggregate.
  std::vector<int64_t> latencies;
  uint64_t events = 0;
  uint64_t errors = 0;
  std::array<uint64_t, kNumKinds> by_kind = {};
  for (const auto& w : workers) {
    ClientResult& r = w->result();
    latencies.insert(latencies.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    events += r.events;
    errors += r.errors;
    for (int k = 0; k < kNumKinds; ++k) by_kind[k] += r.by_kind[k];
  }
  std::sort(latencies.begin(), latencies.end());
  const uint64_t commands = latencies.size();
  const double commands_per_s = static_cast<double>(commands) / duration_s;
  const double events_per_s = static_cast<double>(events) / duration_s;
  const double p50 = PercentileMs(latencies, 0.50);
  const double p99 = PercentileMs(latencies, 0.99);
  const double max = latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1e6;

  if (json) {
    absl::PrintF(
        "{\"clients\":%d,\"duration_s\":%.3f,\"commands\":%d,\"errors\":%d,"
        "\"commands_per_s\":%.1f,\"events_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
        "\"max_ms\":%.3f}\n",
        clients, duration_s, commands, errors, commands_per_s, events_per_s, p50, p99, max);
  } else {
    absl::PrintF(
        "rcl-bench: server %s, tenant %s, %d client%s (%s), warmup %.1f s, measured %.1f s\n",
        server, config.tenant, clients, clients == 1 ? "" : "s",
        shared_channel ? "one shared channel" : "one channel each", warmup_s, duration_s);
    absl::PrintF("%10s %8s %12s %12s %9s %9s %9s\n", "commands", "errors", "commands/s", "events/s",
                 "p50 ms", "p99 ms", "max ms");
    absl::PrintF("%10d %8d %12.1f %12.1f %9.3f %9.3f %9.3f\n", commands, errors, commands_per_s,
                 events_per_s, p50, p99, max);
    absl::PrintF("mix: %d %s, %d %s, %d %s\n", by_kind[kRecordCharge], kKindNames[kRecordCharge],
                 by_kind[kOpenEncounter], kKindNames[kOpenEncounter], by_kind[kRecordDiagnoses],
                 kKindNames[kRecordDiagnoses]);
  }
  std::fflush(stdout);
  if (errors > 0) {
    absl::FPrintF(stderr, "rcl-bench: %d command%s failed\n", errors, errors == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace rcl::bench

int main(int argc, char** argv) { return rcl::bench::Main(argc, argv); }
