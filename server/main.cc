// rcl-server: the RCL revenue-cycle ledger server.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "ledger/storage/disk_space.h"
#include "server/backup.h"
#include "server/config_file.h"
#include "server/request_decoding.h"
#include "server/server.h"
#include "server/subscriptions.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "HOST:PORT to listen on; port 0 picks a free port");
ABSL_FLAG(std::string, data_dir, "./var/data", "data directory (created if missing)");
ABSL_FLAG(size_t, queue_max, 8192,
          "commands that may wait for the writer; beyond: RESOURCE_EXHAUSTED");
ABSL_FLAG(size_t, batch_max, 512, "commands decided and fsynced together (group commit)");
ABSL_FLAG(size_t, read_threads, 4, "threads serving reads and verification");
ABSL_FLAG(size_t, state_cache_mb, 256,
          "MiB (estimated) of stream states the sequencer keeps in memory; least recently used are "
          "evicted");
ABSL_FLAG(size_t, read_memory_mb, 128,
          "MiB (estimated worst case) that running reads and their unsent answers may hold; more "
          "reads wait");
ABSL_FLAG(size_t, block_cache_mb, 64, "MiB of RocksDB block cache (data, index and filter blocks)");
ABSL_FLAG(size_t, write_buffer_mb, 64, "MiB of RocksDB memtables, all column families together");
ABSL_FLAG(size_t, subscribers_max, rcl::server::kSubscribersMax,
          "concurrent Subscribe calls, all tenants together; beyond: RESOURCE_EXHAUSTED");
ABSL_FLAG(size_t, subscribers_per_tenant_max, rcl::server::kSubscribersPerTenantMax,
          "concurrent Subscribe calls of one tenant; beyond: RESOURCE_EXHAUSTED");
ABSL_FLAG(size_t, projections_memory_mb, 160,
          "MiB the projections may hold: half for their RocksDB block cache (memtables, at most a "
          "quarter, charged to it), half for the rows their workers keep parsed across batches");
ABSL_FLAG(size_t, disk_reserve_mb, rcl::ledger::kDiskReserveBytesDefault >> 20,
          "MiB of the data directory's file system kept free: below it writes are refused "
          "(UNAVAILABLE, the disk is full) and resume by themselves once space is freed; the "
          "room RocksDB needs for its own flushes and compactions (docs/RELIABILITY.md)");
ABSL_FLAG(bool, merkle_tree, true,
          "keep each tenant's Merkle tree (fixed when the data directory is created; off only "
          "for benchmarks measuring its cost)");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error");
ABSL_FLAG(std::string, tokens_file, "",
          "JSON file of principals (token SHA-256, roles, tenants; docs/SECURITY.md), reloaded on "
          "SIGHUP; without it: open development mode, loopback addresses only");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve TLS (with --tls-key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificate: mutual TLS, clients must present a certificate it signed");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT serving Prometheus metrics at /metrics (port 0 picks a free one); empty: off");
// What an 837P export says of the practice (server/claim_export.h); the
// defaults are placeholders a clearinghouse will refuse.
ABSL_FLAG(std::string, x12_billing_name, "RCL PRACTICE",
          "837P billing provider's organization name (2010AA NM103)");
ABSL_FLAG(std::string, x12_billing_npi, "",
          "837P billing provider's NPI (10 digits, 2010AA NM109) of every export; empty: each "
          "claim's billing NPI (one per file)");
ABSL_FLAG(std::string, x12_billing_tax_id, "000000000",
          "837P billing provider's tax id (EIN, 9 digits, REF*EI)");
ABSL_FLAG(std::string, x12_billing_taxonomy, "",
          "837P billing provider's taxonomy code (PRV*BI*PXC); empty: no PRV");
ABSL_FLAG(std::string, x12_billing_address1, "1 MAIN ST", "837P billing provider's street (N301)");
ABSL_FLAG(std::string, x12_billing_address2, "", "837P billing provider's second line (N302)");
ABSL_FLAG(std::string, x12_billing_city, "ANYTOWN", "837P billing provider's city (N401)");
ABSL_FLAG(std::string, x12_billing_state, "NY",
          "837P billing provider's state, two letters (N402)");
ABSL_FLAG(std::string, x12_billing_zip, "100010001",
          "837P billing provider's ZIP code, 5 or 9 digits (N403)");
ABSL_FLAG(std::string, x12_sender_id, "RCL",
          "837P interchange sender id (ISA06, GS02) and submitter id (1000A NM109)");
ABSL_FLAG(std::string, x12_submitter_name, "RCL PRACTICE", "837P submitter name (1000A NM103)");
ABSL_FLAG(std::string, x12_contact_name, "BILLING OFFICE", "837P submitter contact (PER02)");
ABSL_FLAG(std::string, x12_contact_phone, "5555550100",
          "837P submitter contact phone, 10 digits (PER04)");
ABSL_FLAG(std::string, x12_receiver_id, "CLEARINGHOUSE",
          "837P interchange receiver id (ISA08, GS03)");
ABSL_FLAG(std::string, x12_receiver_name, "CLEARINGHOUSE", "837P receiver name (1000B NM103)");
ABSL_FLAG(std::string, config, "",
          "config file: one `name = value` per line, the names of these flags; flags given on "
          "the command line override it");
ABSL_FLAG(std::string, restore_from, "",
          "restore the latest backup in this directory into --data-dir (missing or empty), "
          "verify it and exit: 0 when the restored log verifies and its head is the backup's");

namespace {

// Flags are documented with dashes (--data-dir); Abseil spells them with
// underscores. Accept both.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    size_t end = a.find('=');
    if (end == std::string::npos) end = a.size();
    std::replace(a.begin() + 2, a.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
  }
  return args;
}

constexpr const char* kServerFlags[] = {"listen",
                                        "data_dir",
                                        "queue_max",
                                        "batch_max",
                                        "read_threads",
                                        "state_cache_mb",
                                        "read_memory_mb",
                                        "block_cache_mb",
                                        "write_buffer_mb",
                                        "projections_memory_mb",
                                        "disk_reserve_mb",
                                        "subscribers_max",
                                        "subscribers_per_tenant_max",
                                        "merkle_tree",
                                        "log_level",
                                        "tokens_file",
                                        "tls_cert",
                                        "tls_key",
                                        "tls_client_ca",
                                        "metrics_listen",
                                        "x12_billing_name",
                                        "x12_billing_npi",
                                        "x12_billing_tax_id",
                                        "x12_billing_taxonomy",
                                        "x12_billing_address1",
                                        "x12_billing_address2",
                                        "x12_billing_city",
                                        "x12_billing_state",
                                        "x12_billing_zip",
                                        "x12_sender_id",
                                        "x12_submitter_name",
                                        "x12_contact_name",
                                        "x12_contact_phone",
                                        "x12_receiver_id",
                                        "x12_receiver_name"};
// Flags that are not settings: never in a config file.
constexpr const char* kCommandFlags[] = {"config", "restore_from"};

// --help: every server flag with its help text and default; exit 0.
void PrintHelp() {
  std::cout << "rcl-server --listen HOST:PORT --data-dir DIR [flags]\n"
               "The RCL revenue-cycle ledger server. Flags may be written with dashes or "
               "underscores.\n\n";
  std::vector<const char*> names(std::begin(kServerFlags), std::end(kServerFlags));
  names.insert(names.end(), std::begin(kCommandFlags), std::end(kCommandFlags));
  for (const char* name : names) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    std::string dashed(name);
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    std::cout << "  --" << dashed << "  " << flag->Help() << " (default: " << flag->DefaultValue()
              << ")\n";
  }
  std::cout << "  --help  this text\n";
}

// The --config file's value, if the (normalized) command line names one.
std::string ConfigPath(const std::vector<std::string>& args) {
  std::string path;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (a.rfind("--config=", 0) == 0) path = a.substr(std::strlen("--config="));
  }
  return path;
}

// The file's settings as flags, before the command line's (the last of a
// flag wins, so the command line overrides the file).
absl::StatusOr<std::vector<std::string>> WithConfigFile(std::vector<std::string> args) {
  std::string path = ConfigPath(args);
  if (path.empty()) return args;
  std::vector<std::string> known(std::begin(kServerFlags), std::end(kServerFlags));
  auto settings = rcl::server::ReadConfigFile(path, known);
  if (!settings.ok()) return settings.status();
  std::vector<std::string> merged = {args[0]};
  for (const auto& s : *settings) merged.push_back("--" + s.name + "=" + s.value);
  merged.insert(merged.end(), args.begin() + 1, args.end());
  return merged;
}

// --restore-from: restore into --data-dir, verify, report; the exit code.
int Restore(const std::string& from, const std::string& data_dir) {
  absl::StatusOr<rcl::server::RestoreResult> r = rcl::server::RestoreBackup(from, data_dir);
  if (!r.ok()) {
    std::cerr << "rcl-server: restore failed: " << r.status().ToString() << "\n";
    return 1;
  }
  std::cout << "restored backup " << r->backup_id << " into " << data_dir << ": position "
            << r->head.position << " hash " << rcl::ledger::HashHex(r->head.hash) << ", "
            << r->events_checked << " events verified" << std::endl;
  return 0;
}

// The --x12-* flags.
rcl::server::Export837Settings Export837Flags() {
  rcl::server::Export837Settings s;
  s.billing.organization_name = absl::GetFlag(FLAGS_x12_billing_name);
  s.billing_npi = absl::GetFlag(FLAGS_x12_billing_npi);
  s.billing.tax_id = absl::GetFlag(FLAGS_x12_billing_tax_id);
  s.billing.taxonomy = absl::GetFlag(FLAGS_x12_billing_taxonomy);
  s.billing.address.line1 = absl::GetFlag(FLAGS_x12_billing_address1);
  s.billing.address.line2 = absl::GetFlag(FLAGS_x12_billing_address2);
  s.billing.address.city = absl::GetFlag(FLAGS_x12_billing_city);
  s.billing.address.state = absl::GetFlag(FLAGS_x12_billing_state);
  s.billing.address.postal_code = absl::GetFlag(FLAGS_x12_billing_zip);
  s.sender_id = absl::GetFlag(FLAGS_x12_sender_id);
  s.submitter_name = absl::GetFlag(FLAGS_x12_submitter_name);
  s.contact_name = absl::GetFlag(FLAGS_x12_contact_name);
  s.contact_phone = absl::GetFlag(FLAGS_x12_contact_phone);
  s.receiver_id = absl::GetFlag(FLAGS_x12_receiver_id);
  s.receiver_name = absl::GetFlag(FLAGS_x12_receiver_name);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      PrintHelp();
      return 0;
    }
  }
  absl::SetProgramUsageMessage(
      "rcl-server --listen HOST:PORT --data-dir DIR [flags]\nThe RCL revenue-cycle ledger server. "
      "Flags may be written with dashes or underscores.");
  // Debian's Abseil is built with mutex deadlock detection on; it costs a
  // graph update on every lock in the hot path. Lock order here is simple and
  // few: turn the detector off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<std::vector<std::string>> with_config =
      WithConfigFile(NormalizeFlagNames(argc, argv));
  if (!with_config.ok()) {
    std::cerr << "rcl-server: " << with_config.status().message() << "\n";
    return 2;
  }
  std::vector<std::string> args = *std::move(with_config);
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  auto logger = spdlog::stderr_color_mt("rcl");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  rcl::server::RouteProtobufLog();
  if (!absl::GetFlag(FLAGS_restore_from).empty()) {
    return Restore(absl::GetFlag(FLAGS_restore_from), absl::GetFlag(FLAGS_data_dir));
  }

  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // reload the tokens file
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  rcl::server::ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  config.queue_max = absl::GetFlag(FLAGS_queue_max);
  config.batch_commands_max = absl::GetFlag(FLAGS_batch_max);
  config.read_threads = absl::GetFlag(FLAGS_read_threads);
  config.state_cache_bytes = absl::GetFlag(FLAGS_state_cache_mb) << 20;
  config.read_memory_bytes = absl::GetFlag(FLAGS_read_memory_mb) << 20;
  config.block_cache_bytes = absl::GetFlag(FLAGS_block_cache_mb) << 20;
  config.write_buffer_bytes = absl::GetFlag(FLAGS_write_buffer_mb) << 20;
  config.projections_memory_bytes = absl::GetFlag(FLAGS_projections_memory_mb) << 20;
  config.merkle_tree = absl::GetFlag(FLAGS_merkle_tree);
  config.disk_reserve_bytes = absl::GetFlag(FLAGS_disk_reserve_mb) << 20;
  if (config.read_memory_bytes == 0 || config.block_cache_bytes == 0 ||
      config.write_buffer_bytes == 0 || config.projections_memory_bytes == 0) {
    std::cerr << "--read-memory-mb, --block-cache-mb, --write-buffer-mb and "
                 "--projections-memory-mb must be positive\n";
    return 2;
  }
  config.subscribers_max = absl::GetFlag(FLAGS_subscribers_max);
  config.subscribers_per_tenant_max = absl::GetFlag(FLAGS_subscribers_per_tenant_max);
  config.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  config.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key = absl::GetFlag(FLAGS_tls_key);
  config.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.export837 = Export837Flags();
  if (absl::Status x12 = rcl::server::CheckExport837Settings(config.export837); !x12.ok()) {
    std::cerr << "rcl-server: " << x12.message() << "\n";
    return 2;
  }
  auto server = rcl::server::Server::Start(config);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  if (!(*server)->metrics_address().empty()) {
    std::cout << "rcl-server metrics on " << (*server)->metrics_address() << std::endl;
  }
  std::cout << "rcl-server listening on " << (*server)->address() << std::endl;
  spdlog::info("data directory {}", config.data_dir);

  int signal = 0;
  for (;;) {
    sigwait(&stop_signals, &signal);
    if (signal != SIGHUP) break;
    // A bad file keeps the principals in use; say why.
    absl::Status reloaded = (*server)->ReloadTokens();
    if (!reloaded.ok()) {
      spdlog::error("SIGHUP: tokens not reloaded, the previous principals stay: {}",
                    reloaded.ToString());
    }
  }
  spdlog::info("signal {} received", signal);
  (*server)->Shutdown();
  return 0;
}
