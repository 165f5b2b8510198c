// rcl-bench: a closed-loop load generator for the rcl-server write path.
//
// Six modes, all on grpc::CompletionQueues the driver threads poll (every
// call but the stream's is a generic unary call):
//   --mode sync   (default) --clients N threads, each with one command in
//                 flight at a time: the latency run.
//   --mode async  --inflight N commands kept in flight by --threads T (1 or 2)
//                 threads, so that the generator leaves the CPU to the server.
//   --mode stream like async, but the commands travel over one
//                 LedgerService.CommandStream call per --threads thread
//                 (clients/bench/stream_driver.h): no RPC per command; the
//                 commands that follow a message of answers share a message.
//   --mode ping   like sync, but each call is the empty gRPC health check
//                 (grpc.health.v1.Health/Check): the RPC round trip alone.
//   --mode async-ping  like async, but each call is that health check: what
//                 gRPC alone costs and allows at --inflight calls in flight.
//   --mode batch  like sync, but each call is one ExecuteBatch of
//                 --batch_size commands (the same mix: an encounter, its
//                 diagnoses and charges, kLinesPerEncounter commands per
//                 encounter); latency is per call, commands and events count
//                 every command of the successful batches.
// Each command stream (a "slot": one per client in sync mode, --inflight in
// async mode) registers a patient (setup, not measured), then for --warmup
// seconds (not measured) and --duration seconds (measured) records charges,
// opening a new encounter and recording its diagnoses (both measured) every
// kLinesPerEncounter lines.
//
// A command counts when it succeeds and completes inside the measured window;
// its latency is the steady_clock time from starting the call to its
// completion. Any failed command (in any phase) is counted as an error; the
// first one is printed to stderr and the exit status is 1 when there were
// errors. With --server_pid, the server's CPU time (utime + stime from
// /proc/PID/stat) over the measured window is reported per command, beside
// rcl-bench's own.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/bench/bench_stats.h"
#include "clients/bench/stream_driver.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "rcl-server address, HOST:PORT");
ABSL_FLAG(std::string, mode, "sync",
          "sync: --clients threads, one command in flight each; async: --inflight "
          "commands in flight from --threads threads; ping: like sync with empty health checks; "
          "async-ping: like async with empty health checks");
ABSL_FLAG(int32_t, clients, 1, "sync/ping mode: concurrent clients, one thread each");
ABSL_FLAG(int32_t, batch_size, 100, "batch mode: commands per ExecuteBatch call (1..1000)");
ABSL_FLAG(bool, atomic, false, "batch mode: atomic batches (all or nothing, one commit each)");
ABSL_FLAG(int32_t, inflight, 64, "async/stream mode: commands kept in flight");
ABSL_FLAG(int32_t, threads, 1,
          "async/stream mode: threads driving the calls (1..kMaxAsyncThreads); in stream mode "
          "each thread has its own CommandStream call");
ABSL_FLAG(bool, retries, false,
          "keep gRPC's client retry filter (transparent retries) on the channel; off by "
          "default: it costs about 10% of the client's CPU per call (docs/PERFORMANCE.md)");
ABSL_FLAG(int32_t, server_pid, 0,
          "pid of the rcl-server (same machine): report its CPU per command over the window");
ABSL_FLAG(double, duration, 10.0, "measured seconds");
ABSL_FLAG(double, warmup, 1.0, "seconds of load before measuring (not measured)");
ABSL_FLAG(std::string, tenant, "bench", "tenant every command is issued for");
ABSL_FLAG(std::string, token, "",
          "bearer token of a principal with the biller and coder roles for --tenant (env "
          "RCL_TOKEN)");
ABSL_FLAG(std::string, ca_cert, "", "PEM CA of the server's certificate: connect with TLS");
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
constexpr int kMaxInflight = 4096;
constexpr int kMaxAsyncThreads = 2;
constexpr int kMaxBatchSize = 1000;  // the server's ExecuteBatch bound
// After a failed command a slot waits this long before its next one, so that
// it does not spin against a failing server (errors are counted anyway).
constexpr auto kRetryPause = std::chrono::milliseconds(1);
constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

// "Bearer <token>" from --token or RCL_TOKEN; empty without one. Read once.
const std::string& Authorization() {
  static const std::string value = [] {
    std::string token = absl::GetFlag(FLAGS_token);
    const char* env = std::getenv("RCL_TOKEN");
    if (token.empty() && env != nullptr) token = env;
    return token.empty() ? std::string() : "Bearer " + token;
  }();
  return value;
}

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

enum CommandKind {
  kOpenEncounter = 0,
  kRecordDiagnoses,
  kRecordCharge,
  kNumKinds,
  kRegisterPatient = kNumKinds,  // setup: never measured
  kPing,
  kBatch,
};
constexpr std::array<const char*, kNumKinds> kKindNames = {"OpenEncounter", "RecordDiagnoses",
                                                           "RecordCharge"};

struct Config {
  std::string tenant;
  std::string run_id;           // makes patient/encounter ids unique per run
  std::string date_of_service;  // a past date
  int batch_size = 0;           // batch mode: commands per call; 0 otherwise
  bool atomic = false;          // batch mode: atomic batches
};

// What one slot measured.
struct SlotResult {
  std::vector<int64_t> latencies_ns;  // successful commands in the window
  uint64_t events = 0;                // event ids returned by those commands
  uint64_t batched = 0;               // batch mode: commands of those calls
  uint64_t errors = 0;                // failed commands, any phase
  std::array<uint64_t, kNumKinds> by_kind = {};
};

// The measured window, set before the load phase starts.
struct Window {
  Clock::time_point start = Clock::time_point::max();
  Clock::time_point end = Clock::time_point::max();
};

std::atomic<bool> g_first_error_printed{false};

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// One command stream with at most one call in flight: register the patient,
// then charges on a rotating encounter (or, with `ping`, health checks).
// Start() issues the next call on a completion queue with `this` as its tag;
// the driver hands the completion to Finish().
class Slot final : public StreamSource {
 public:
  Slot(int index, grpc::GenericStub* stub, const Config* config, bool ping,
       const Window* window = nullptr)
      : window_(window),
        index_(index),
        stub_(stub),
        config_(config),
        patient_id_(absl::StrCat("P-", config->run_id, "-", index)),
        next_(ping ? kPing : kRegisterPatient) {
    result_.latencies_ns.reserve(1 << 14);
  }

  // True while the slot still has setup to do.
  bool needs_setup() const override { return next_ == kRegisterPatient; }
  // False once its setup failed: the slot issues nothing more.
  bool alive() const override { return alive_; }

  // --mode stream (StreamSource): the same commands, as BatchCommands.
  void NextCommand(rcl::v1::BatchCommand* out) override {
    kind_ = next_;
    out->mutable_context()->set_tenant(config_->tenant);
    rcl::v1::Command* c = out->mutable_command();
    switch (kind_) {
      case kRegisterPatient: FillPatient(c->mutable_register_patient()); break;
      case kOpenEncounter: FillOpen(c->mutable_open_encounter()); break;
      case kRecordDiagnoses: FillDiagnoses(c->mutable_record_diagnoses()); break;
      default: FillCharge(c->mutable_record_charge()); break;
    }
    start_ = Clock::now();
  }
  void Answered(const rcl::v1::BatchResult& result) override {
    const Clock::time_point done = Clock::now();
    status_ = result.code() == 0
                  ? grpc::Status::OK
                  : grpc::Status(static_cast<grpc::StatusCode>(result.code()), result.message());
    Account(status_.ok(), static_cast<uint64_t>(result.result().event_ids_size()), 0, done,
            *window_);
  }

  void Start(grpc::CompletionQueue* cq) {
    if (failed_last_) std::this_thread::sleep_for(kRetryPause);
    kind_ = next_;
    const grpc::ByteBuffer request = BuildRequest(kind_);
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
    if (!Authorization().empty()) ctx_->AddMetadata("authorization", Authorization());
    response_.Clear();
    start_ = Clock::now();
    call_ = stub_->PrepareUnaryCall(ctx_.get(), MethodFor(kind_), request, cq);
    call_->StartCall();
    call_->Finish(&response_, &status_, this);
  }

  // The completion of the call Start() issued.
  void Finish(bool cq_ok, const Window& window) {
    const Clock::time_point done = Clock::now();
    call_.reset();
    uint64_t events = 0;
    bool ok = cq_ok && status_.ok();
    uint64_t batched = 0;
    if (ok && kind_ == kBatch) {
      ok = ParseBatch(&events, &batched);
    } else if (ok && kind_ != kPing) {
      rcl::v1::CommandResponse response;
      grpc::Slice slice;
      ok = response_.DumpToSingleSlice(&slice).ok() &&
           response.ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
      if (!ok) status_ = grpc::Status(grpc::StatusCode::INTERNAL, "unparsable CommandResponse");
      events = static_cast<uint64_t>(response.event_ids_size());
    }
    Account(ok, events, batched, done, window);
  }

  SlotResult& result() { return result_; }

 private:
  // Counts the outcome of the command just answered and chooses the next.
  void Account(bool ok, uint64_t events, uint64_t batched, Clock::time_point done,
               const Window& window) {
    failed_last_ = !ok;
    if (!ok) {
      ++result_.errors;
      if (!g_first_error_printed.exchange(true)) {
        absl::FPrintF(stderr, "rcl-bench: first error: slot %d %s: %s: %s\n", index_,
                      MethodFor(kind_), StatusCodeName(status_.error_code()),
                      status_.error_message());
      }
    } else if (kind_ != kRegisterPatient && done >= window.start && done < window.end) {
      result_.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - start_).count());
      result_.events += events;
      result_.batched += batched;
      if (kind_ < kNumKinds) ++result_.by_kind[kind_];
    }
    Advance(ok);
  }

  // Chooses the next command from the outcome of the last one.
  void Advance(bool ok) {
    switch (kind_) {
      case kPing:
      case kBatch: return;
      case kRegisterPatient:
        if (ok) {
          next_ = config_->batch_size > 0 ? kBatch : kOpenEncounter;
        } else {
          alive_ = false;
        }
        return;
      case kOpenEncounter:
        // A failed open is retried with a new encounter id.
        if (ok) next_ = kRecordDiagnoses;
        return;
      case kRecordDiagnoses:
        next_ = ok ? kRecordCharge : kOpenEncounter;
        line_ = 0;
        return;
      case kRecordCharge:
        if (line_ >= kLinesPerEncounter) next_ = kOpenEncounter;
        return;
      default: return;
    }
  }

  static const char* MethodFor(int kind) {
    switch (kind) {
      case kRegisterPatient: return "/rcl.v1.LedgerService/RegisterPatient";
      case kOpenEncounter: return "/rcl.v1.LedgerService/OpenEncounter";
      case kRecordDiagnoses: return "/rcl.v1.LedgerService/RecordDiagnoses";
      case kRecordCharge: return "/rcl.v1.LedgerService/RecordCharge";
      case kBatch: return "/rcl.v1.LedgerService/ExecuteBatch";
      default: return kHealthCheckMethod;
    }
  }

  grpc::ByteBuffer BuildRequest(int kind) {
    switch (kind) {
      case kRegisterPatient: {
        rcl::v1::RegisterPatientRequest request;
        request.mutable_context()->set_tenant(config_->tenant);
        FillPatient(request.mutable_command());
        return Serialize(request);
      }
      case kOpenEncounter: {
        rcl::v1::OpenEncounterRequest open;
        open.mutable_context()->set_tenant(config_->tenant);
        FillOpen(open.mutable_command());
        return Serialize(open);
      }
      case kRecordDiagnoses: {
        rcl::v1::RecordDiagnosesRequest diagnoses;
        diagnoses.mutable_context()->set_tenant(config_->tenant);
        FillDiagnoses(diagnoses.mutable_command());
        return Serialize(diagnoses);
      }
      case kRecordCharge: {
        charge_.Clear();
        charge_.mutable_context()->set_tenant(config_->tenant);
        FillCharge(charge_.mutable_command());
        return Serialize(charge_);
      }
      case kBatch: return BuildBatch();
      default: {
        // An empty HealthCheckRequest: zero bytes (a default ByteBuffer is
        // no message at all).
        grpc::Slice empty;
        return grpc::ByteBuffer(&empty, 1);
      }
    }
  }

  void FillPatient(rcl::v1::RegisterPatient* cmd) {
    cmd->set_patient_id(patient_id_);
    cmd->set_family_name("Bench");
    cmd->set_given_name(absl::StrCat("Client", index_));
    cmd->set_birth_date("1968-03-14");
  }

  // A new encounter of the slot's patient.
  void FillOpen(rcl::v1::OpenEncounter* oc) {
    ++encounter_seq_;
    encounter_id_ = absl::StrCat("E-", config_->run_id, "-", index_, "-", encounter_seq_);
    oc->set_encounter_id(encounter_id_);
    oc->set_patient_id(patient_id_);
    oc->set_rendering_npi(kNpi);
    oc->set_billing_npi(kNpi);
    oc->set_date_of_service(config_->date_of_service);
    oc->set_place_of_service(kPlaceOfService);
  }

  void FillDiagnoses(rcl::v1::RecordDiagnoses* dc) {
    dc->set_encounter_id(encounter_id_);
    dc->clear_icd10_codes();
    for (const char* code : kDiagnosisPairs[(index_ + encounter_seq_) % kDiagnosisPairs.size()]) {
      dc->add_icd10_codes(code);
    }
  }

  // batch_size commands: each run of kLinesPerEncounter opens an encounter,
  // records its diagnoses and then charges, as the single-command mix does.
  // The request is rebuilt in place: command i is always of the same kind,
  // so its messages and strings are reused rather than allocated again (the
  // generator shares the server's cores).
  grpc::ByteBuffer BuildBatch() {
    batch_.set_atomic(config_->atomic);
    for (int i = 0; i < config_->batch_size; ++i) {
      rcl::v1::BatchCommand* c =
          i < batch_.commands_size() ? batch_.mutable_commands(i) : batch_.add_commands();
      c->mutable_context()->set_tenant(config_->tenant);
      const int step = i % kLinesPerEncounter;
      if (step == 0) {
        FillOpen(c->mutable_command()->mutable_open_encounter());
      } else if (step == 1) {
        FillDiagnoses(c->mutable_command()->mutable_record_diagnoses());
        line_ = 0;
      } else {
        FillCharge(c->mutable_command()->mutable_record_charge());
      }
    }
    return Serialize(batch_);
  }

  // An ExecuteBatchResponse: its events and commands; false (with status_
  // set to the first failure) when any command failed.
  bool ParseBatch(uint64_t* events, uint64_t* commands) {
    rcl::v1::ExecuteBatchResponse& response = batch_response_;  // reused, as batch_
    grpc::Slice slice;
    if (!response_.DumpToSingleSlice(&slice).ok() ||
        !response.ParseFromArray(slice.begin(), static_cast<int>(slice.size()))) {
      status_ = grpc::Status(grpc::StatusCode::INTERNAL, "unparsable ExecuteBatchResponse");
      return false;
    }
    for (const rcl::v1::BatchResult& r : response.results()) {
      if (r.code() != 0) {
        status_ = grpc::Status(static_cast<grpc::StatusCode>(r.code()), r.message());
        return false;
      }
      *events += static_cast<uint64_t>(r.result().event_ids_size());
    }
    *commands = static_cast<uint64_t>(response.results_size());
    return true;
  }

  void FillCharge(rcl::v1::RecordCharge* cc) {
    ++line_;
    const Procedure& procedure = kProcedures[charge_seq_ % kProcedures.size()];
    cc->set_encounter_id(encounter_id_);
    cc->clear_modifiers();
    cc->clear_diagnosis_pointers();
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

  const Window* const window_;  // --mode stream: the measured window
  const int index_;
  grpc::GenericStub* stub_;
  const Config* config_;
  const std::string patient_id_;

  int next_;  // the kind of the next call
  bool alive_ = true;
  bool failed_last_ = false;
  std::string encounter_id_;
  int encounter_seq_ = 0;
  int line_ = 0;
  uint64_t charge_seq_ = 0;
  rcl::v1::RecordChargeRequest charge_;
  rcl::v1::ExecuteBatchRequest batch_;
  rcl::v1::ExecuteBatchResponse batch_response_;

  // The call in flight.
  int kind_ = kPing;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
  Clock::time_point start_;

  SlotResult result_;
};

// Runs `slots` to completion on one completion queue: first the setup of
// every slot that needs it, then (after `set_up` counts down and `go` opens)
// the load, restarting each slot until `window->end`.
void Drive(const std::vector<Slot*>& slots, std::latch* set_up, std::latch* go,
           const Window* window) {
  grpc::CompletionQueue cq;
  // Waits for `outstanding` calls, restarting each finished slot while
  // `restart` says so.
  auto pump = [&](size_t outstanding, auto restart) {
    void* tag = nullptr;
    bool ok = false;
    while (outstanding > 0 && cq.Next(&tag, &ok)) {
      Slot* slot = static_cast<Slot*>(tag);
      slot->Finish(ok, *window);
      if (slot->alive() && restart()) {
        slot->Start(&cq);
      } else {
        --outstanding;
      }
    }
  };
  size_t setting_up = 0;
  for (Slot* slot : slots) {
    if (slot->needs_setup()) {
      slot->Start(&cq);
      ++setting_up;
    }
  }
  pump(setting_up, [] { return false; });
  set_up->count_down();
  go->wait();
  size_t running = 0;
  for (Slot* slot : slots) {
    if (!slot->alive()) continue;
    slot->Start(&cq);
    ++running;
  }
  pump(running, [window] { return Clock::now() < window->end; });
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() {
  const std::string ca_path = absl::GetFlag(FLAGS_ca_cert);
  if (ca_path.empty()) return grpc::InsecureChannelCredentials();
  std::ifstream in(ca_path, std::ios::binary);
  std::ostringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem.str();
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  // Without this, channels with equal arguments share one subchannel (and so
  // one TCP connection) through the global pool.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("rcl.bench.client", index);
  if (!absl::GetFlag(FLAGS_retries)) args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return grpc::CreateCustomChannel(target, ChannelCredentials(), args);
}

std::string MakeRunId() {
  std::random_device rd;
  return absl::StrFormat("%08x", static_cast<uint32_t>(rd()));
}

struct Run {
  std::string mode;
  int slots = 0;    // commands in flight at most
  int threads = 0;  // driver threads
};

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Closed-loop load generator for rcl-server's command path.\n"
      "Usage: rcl-bench [--server HOST:PORT] [--mode sync|async|stream|ping|async-ping|batch] "
      "[--clients N] "
      "[--batch_size N] [--atomic] "
      "[--inflight N --threads T] [--duration S] [--warmup S] [--tenant T] [--server_pid PID] "
      "[--json] [--noshared_channel]");
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
  const double duration_s = absl::GetFlag(FLAGS_duration);
  const double warmup_s = absl::GetFlag(FLAGS_warmup);
  const bool json = absl::GetFlag(FLAGS_json);
  const bool shared_channel = absl::GetFlag(FLAGS_shared_channel);
  const int server_pid = absl::GetFlag(FLAGS_server_pid);
  Run run;
  run.mode = absl::GetFlag(FLAGS_mode);
  if (run.mode == "sync" || run.mode == "ping" || run.mode == "batch") {
    run.slots = absl::GetFlag(FLAGS_clients);
    run.threads = run.slots;
    if (run.slots < 1 || run.slots > kMaxClients) {
      absl::FPrintF(stderr, "rcl-bench: --clients must be in 1..%d\n", kMaxClients);
      return 2;
    }
  } else if (run.mode == "async" || run.mode == "stream" || run.mode == "async-ping") {
    run.slots = absl::GetFlag(FLAGS_inflight);
    run.threads = absl::GetFlag(FLAGS_threads);
    if (run.slots < 1 || run.slots > kMaxInflight || run.threads < 1 ||
        run.threads > kMaxAsyncThreads || run.threads > run.slots) {
      absl::FPrintF(stderr, "rcl-bench: need 1 <= --inflight <= %d and 1 <= --threads <= %d\n",
                    kMaxInflight, kMaxAsyncThreads);
      return 2;
    }
  } else {
    absl::FPrintF(stderr,
                  "rcl-bench: --mode must be sync, async, stream, ping, async-ping or batch\n");
    return 2;
  }
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  if (run.mode == "batch" && (batch_size < 1 || batch_size > kMaxBatchSize)) {
    absl::FPrintF(stderr, "rcl-bench: --batch_size must be in 1..%d\n", kMaxBatchSize);
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
  const std::string server_proc = absl::StrCat(server_pid);
  if (server_pid < 0 || (server_pid > 0 && !ProcessCpuSeconds(server_proc).has_value())) {
    absl::FPrintF(stderr, "rcl-bench: cannot read /proc/%d/stat (--server_pid)\n", server_pid);
    return 2;
  }

  Config config;
  config.tenant = absl::GetFlag(FLAGS_tenant);
  config.run_id = MakeRunId();
  config.batch_size = run.mode == "batch" ? batch_size : 0;
  config.atomic = absl::GetFlag(FLAGS_atomic);
  // A week ago (UTC): safely in the past whatever the server's time zone.
  config.date_of_service =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 7), absl::UTCTimeZone());

  // Channels (one per driver thread at most), connected before anything is
  // timed.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int i = 0; i < (shared_channel ? 1 : run.threads); ++i) {
    channels.push_back(MakeChannel(server, i));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() + kConnectDeadline)) {
      absl::FPrintF(stderr, "rcl-bench: cannot connect to %s within %d s\n", server,
                    static_cast<int>(kConnectDeadline.count()));
      return 1;
    }
    stubs.push_back(std::make_unique<grpc::GenericStub>(channels.back()));
  }
  const bool ping = run.mode == "ping" || run.mode == "async-ping";
  Window window;
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<std::vector<Slot*>> per_thread(run.threads);
  std::vector<std::vector<StreamSource*>> per_stream(run.threads);
  slots.reserve(run.slots);
  for (int i = 0; i < run.slots; ++i) {
    const int thread = i % run.threads;
    slots.push_back(std::make_unique<Slot>(i, stubs[shared_channel ? 0 : thread].get(), &config,
                                           ping, &window));
    per_thread[thread].push_back(slots.back().get());
    per_stream[thread].push_back(slots.back().get());
  }

  // Setup runs concurrently; the load phase starts for everyone at once.
  std::latch set_up(run.threads);
  std::latch go(1);
  std::vector<std::thread> threads;
  threads.reserve(run.threads);
  for (int t = 0; t < run.threads; ++t) {
    if (run.mode == "stream") {
      // One CommandStream call per thread, on that thread's channel.
      threads.emplace_back([&, t] {
        DriveStream(stubs[shared_channel ? 0 : t].get(), Authorization(), per_stream[t], &set_up,
                    &go, [&window] { return Clock::now() < window.end; });
      });
      continue;
    }
    threads.emplace_back([&, t] { Drive(per_thread[t], &set_up, &go, &window); });
  }
  set_up.wait();
  const Clock::time_point load_start = Clock::now();
  window.start = load_start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(warmup_s));
  window.end = window.start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(duration_s));
  go.count_down();
  // CPU over the measured window: the server's and our own.
  std::this_thread::sleep_until(window.start);
  const std::optional<double> server_cpu0 =
      server_pid > 0 ? ProcessCpuSeconds(server_proc) : std::nullopt;
  const std::optional<double> self_cpu0 = ProcessCpuSeconds("self");
  std::this_thread::sleep_until(window.end);
  const std::optional<double> server_cpu1 =
      server_pid > 0 ? ProcessCpuSeconds(server_proc) : std::nullopt;
  const std::optional<double> self_cpu1 = ProcessCpuSeconds("self");
  for (std::thread& t : threads) t.join();

  // Aggregate.
  std::vector<int64_t> latencies;
  uint64_t events = 0;
  uint64_t batched = 0;
  uint64_t errors = 0;
  std::array<uint64_t, kNumKinds> by_kind = {};
  for (const auto& slot : slots) {
    SlotResult& r = slot->result();
    latencies.insert(latencies.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    events += r.events;
    batched += r.batched;
    errors += r.errors;
    for (int k = 0; k < kNumKinds; ++k) by_kind[k] += r.by_kind[k];
  }
  std::sort(latencies.begin(), latencies.end());
  const uint64_t commands = config.batch_size > 0 ? batched : latencies.size();
  const double commands_per_s = static_cast<double>(commands) / duration_s;
  const double events_per_s = static_cast<double>(events) / duration_s;
  const double p50 = PercentileMs(latencies, 0.50);
  const double p99 = PercentileMs(latencies, 0.99);
  const double max = latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1e6;
  // CPU over the window, and µs of it per command (kUnknown when unknown or
  // no commands).
  auto elapsed = [](std::optional<double> a, std::optional<double> b) {
    return a.has_value() && b.has_value() ? std::max(0.0, *b - *a) : kUnknown;
  };
  auto per_command_us = [&](double cpu_s) {
    return cpu_s >= 0.0 && commands > 0 ? cpu_s * 1e6 / static_cast<double>(commands) : kUnknown;
  };
  const double server_cpu_s = elapsed(server_cpu0, server_cpu1);
  const double server_us = per_command_us(server_cpu_s);
  const double client_us = per_command_us(elapsed(self_cpu0, self_cpu1));

  if (json) {
    absl::PrintF(
        "{\"mode\":\"%s\",\"clients\":%d,\"threads\":%d,\"duration_s\":%.3f,\"commands\":%d,"
        "\"errors\":%d,\"commands_per_s\":%.1f,\"events_per_s\":%.1f,\"p50_ms\":%.3f,"
        "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"server_cpu_s\":%s,\"server_cpu_us_per_command\":%s,"
        "\"client_cpu_us_per_command\":%s,\"batch_size\":%d,\"calls\":%d}\n",
        run.mode, run.slots, run.threads, duration_s, commands, errors, commands_per_s,
        events_per_s, p50, p99, max, JsonNumber(server_cpu_s, 2), JsonNumber(server_us),
        JsonNumber(client_us), config.batch_size, latencies.size());
  } else {
    absl::PrintF(
        "rcl-bench: server %s, tenant %s, mode %s, %d in flight from %d thread%s (%s), warmup "
        "%.1f s, measured %.1f s\n",
        server, config.tenant, run.mode, run.slots, run.threads, run.threads == 1 ? "" : "s",
        shared_channel ? "one shared channel" : "one channel per thread", warmup_s, duration_s);
    absl::PrintF("%10s %8s %12s %12s %9s %9s %9s %11s %11s\n", "commands", "errors", "commands/s",
                 "events/s", "p50 ms", "p99 ms", "max ms", "srv µs/cmd", "cli µs/cmd");
    absl::PrintF("%10d %8d %12.1f %12.1f %9.3f %9.3f %9.3f %11s %11s\n", commands, errors,
                 commands_per_s, events_per_s, p50, p99, max, JsonNumber(server_us),
                 JsonNumber(client_us));
    if (config.batch_size > 0) {
      absl::PrintF("batches: %d calls of %d commands%s (latency per call)\n", latencies.size(),
                   config.batch_size, config.atomic ? ", atomic" : "");
    } else if (!ping) {
      absl::PrintF("mix: %d %s, %d %s, %d %s\n", by_kind[kRecordCharge], kKindNames[kRecordCharge],
                   by_kind[kOpenEncounter], kKindNames[kOpenEncounter], by_kind[kRecordDiagnoses],
                   kKindNames[kRecordDiagnoses]);
    }
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
