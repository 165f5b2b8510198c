#include "server/server.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "ledger/storage/disk_space.h"
#include "projections/claims_projection.h"
#include "projections/history_projection.h"
#include "projections/runtime.h"
#include "projections/trial_balance.h"
#include "server/access_log.h"
#include "server/admin_service.h"
#include "server/audit_service.h"
#include "server/authorizer.h"
#include "server/metrics/http_endpoint.h"
#include "server/metrics/rpc_interceptor.h"
#include "server/report_service.h"
#include "server/services.h"
#include "spdlog/spdlog.h"

namespace rcl::server {

// Shutdown drains calls until none has reached a handler for this long (or
// kDrainMax passed): by then gRPC holds no call it has not handed over, so
// shutting it down cancels none.
constexpr auto kDrainQuietPeriod = std::chrono::milliseconds(100);
constexpr auto kDrainMax = std::chrono::seconds(3);

struct Server::Parts {
  // Declared first: destroyed after everything that calls them.
  std::unique_ptr<AccessLog> access_log;
  std::unique_ptr<Authorizer> authorizer;
  CallGate gate;
  std::unique_ptr<WorkPool> reads;
  std::unique_ptr<SubscriptionHub> hub;
  std::unique_ptr<LogServiceImpl> log_service;
  std::unique_ptr<LedgerServiceImpl> ledger_service;
  std::unique_ptr<projections::Runtime> projections;
  int commit_listener = 0;
  std::unique_ptr<ReportServiceImpl> report_service;
  std::unique_ptr<AuditServiceImpl> audit_service;
  std::unique_ptr<AdminServiceImpl> admin_service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<metrics::HttpEndpoint> metrics_http;  // null without --metrics-listen
};

namespace {

// The projections (projections/) in their own RocksDB beside the log, folding
// it from their checkpoints. Their memory bound is split in halves: one for
// RocksDB's block cache, to which the memtables (at most a quarter of the
// bound) are charged, the other for the rows the workers hold parsed across
// batches, shared equally among the workers.
absl::StatusOr<std::unique_ptr<projections::Runtime>> StartProjections(const ServerConfig& config,
                                                                       ledger::Ledger* ledger) {
  std::vector<std::unique_ptr<projections::Projection>> list;
  list.push_back(std::make_unique<projections::ClaimsProjection>());
  list.push_back(std::make_unique<projections::TrialBalanceProjection>());
  list.push_back(std::make_unique<projections::HistoryProjection>());
  projections::Runtime::Options options =
      projections::Runtime::ForMemory(config.projections_memory_bytes, list.size());
  options.path = (std::filesystem::path(config.data_dir) / "projections").string();
  options.disk_reserve_bytes = config.disk_reserve_bytes;
  auto runtime = projections::Runtime::Open(std::move(options), &ledger->store(), std::move(list));
  if (!runtime.ok()) return runtime.status();
  (*runtime)->Start();
  return runtime;
}

// The data directory's free space and reserve, once at start: INVALID_ARGUMENT
// when the reserve is not smaller than the whole file system (no write could
// ever be made), a warning when it is smaller than what RocksDB may write on
// its own with these write buffers (ledger/storage/disk_space.h).
absl::Status CheckReserve(const ServerConfig& config) {
  const uint64_t projections_buffers =
      projections::Runtime::ForMemory(config.projections_memory_bytes, 1).write_buffer_bytes;
  const uint64_t min = ledger::DiskReserveBytesMin(config.write_buffer_bytes, projections_buffers);
  absl::StatusOr<uint64_t> free = ledger::FreeBytes(config.data_dir);
  absl::StatusOr<uint64_t> size = ledger::FileSystemBytes(config.data_dir);
  spdlog::info(
      "data directory's file system: {} MiB free, {} MiB kept in reserve (--disk-reserve-mb)",
      free.ok() ? *free >> 20 : 0, config.disk_reserve_bytes >> 20);
  if (size.ok() && config.disk_reserve_bytes >= *size) {
    return absl::InvalidArgumentError(
        absl::StrCat("--disk-reserve-mb ", config.disk_reserve_bytes >> 20,
                     " is not less than the data directory's whole file system (", *size >> 20,
                     " MiB): no write could ever be made"));
  }
  if (config.disk_reserve_bytes < min) {
    spdlog::warn(
        "--disk-reserve-mb {} is less than the {} MiB RocksDB may write on its own with these "
        "write buffers: a full disk could reach RocksDB (docs/RELIABILITY.md)",
        config.disk_reserve_bytes >> 20, (min + (1 << 20) - 1) >> 20);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(AbslView(flag), ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The listening port's credentials: TLS (and mutual TLS) or plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenCredentials(
    const ServerConfig& config) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (config.tls_cert.empty()) {
    if (!config.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert = ReadPem(config.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(config.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  pair.cert_chain = *std::move(cert);
  pair.private_key = *std::move(key);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!config.tls_client_ca.empty()) {
    auto ca = ReadPem(config.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// Who may call: the tokens file, or open development mode on loopback only.
absl::StatusOr<std::unique_ptr<Authorizer>> StartAuthorizer(const ServerConfig& config,
                                                            AccessLog* access_log) {
  if (config.tokens_file.empty()) {
    spdlog::warn(
        "OPEN DEVELOPMENT MODE: no --tokens-file, every caller may read and write every "
        "tenant, and events record whatever actor the caller names. Loopback only; never "
        "with real patient data.");
  } else if (config.tls_cert.empty() && !IsLoopbackListen(config.listen)) {
    spdlog::warn("bearer tokens travel in plaintext on {}: add --tls-cert and --tls-key",
                 config.listen);
  }
  auto authorizer = Authorizer::Create(config.tokens_file, access_log);
  if (authorizer.ok() && !(*authorizer)->open_mode()) {
    spdlog::info("{} principals from {}", (*authorizer)->principals(), config.tokens_file);
  }
  return authorizer;
}

}  // namespace

bool IsLoopbackListen(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return true;
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  if (config.tokens_file.empty() && !IsLoopbackListen(config.listen)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to listen on ", config.listen,
                     " without --tokens-file: open development mode is for loopback addresses "
                     "only (docs/SECURITY.md)"));
  }
  if (absl::Status settings = CheckExport837Settings(config.export837); !settings.ok()) {
    return settings;
  }
  auto credentials = ListenCredentials(config);
  if (!credentials.ok()) return credentials.status();
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create data directory: ", ec.message()));

  // A backup interrupted by a crash leaves its staging checkpoints behind.
  std::filesystem::remove_all(std::filesystem::path(config.data_dir) / kBackupStagingDir, ec);
  std::unique_ptr<Server> server(new Server());
  server->shutdown_grace_ms_ = config.shutdown_grace_ms;
  server->metrics_ = std::make_unique<metrics::ServerMetrics>();
  metrics::ServerMetrics* m = server->metrics_.get();
  ledger::Ledger::Options options;
  options.after_write = [m](const ledger::WriteStats& stats) { m->OnWrite(stats); };
  options.data_dir = config.data_dir;
  options.queue_max = config.queue_max;
  options.batch_commands_max = config.batch_commands_max;
  options.state_cache_bytes_max = config.state_cache_bytes;
  options.block_cache_bytes = config.block_cache_bytes;
  options.write_buffer_bytes = config.write_buffer_bytes;
  options.merkle_tree = config.merkle_tree;
  options.disk_reserve_bytes = config.disk_reserve_bytes;
  auto ledger = ledger::Ledger::Open(options);
  if (!ledger.ok()) return ledger.status();
  server->ledger_ = std::move(*ledger);
  if (absl::Status reserve = CheckReserve(config); !reserve.ok()) return reserve;
  // The key that signs tree heads: created on first start, kept forever.
  auto key = audit::SigningKey::LoadOrCreateFile(
      (std::filesystem::path(config.data_dir) / kSigningKeyFile).string());
  if (!key.ok()) return key.status();

  auto parts = std::make_unique<Parts>();
  auto access_log =
      AccessLog::Open((std::filesystem::path(config.data_dir) / kAccessLogFile).string());
  if (!access_log.ok()) return access_log.status();
  parts->access_log = std::move(*access_log);
  auto authorizer = StartAuthorizer(config, parts->access_log.get());
  if (!authorizer.ok()) return authorizer.status();
  parts->authorizer = std::move(*authorizer);
  parts->gate.authorizer = parts->authorizer.get();
  parts->reads = std::make_unique<WorkPool>(config.read_threads, config.read_queue_max,
                                            config.read_memory_bytes);
  SubscriptionLimits limits;
  limits.subscribers_max = config.subscribers_max;
  limits.subscribers_per_tenant_max = config.subscribers_per_tenant_max;
  parts->hub = std::make_unique<SubscriptionHub>(server->ledger_.get(), limits);
  parts->log_service = std::make_unique<LogServiceImpl>(server->ledger_.get(), parts->reads.get(),
                                                        parts->hub.get(), &parts->gate);
  parts->ledger_service = std::make_unique<LedgerServiceImpl>(
      server->ledger_.get(), parts->reads.get(), &parts->gate, config.export837);
  auto runtime = StartProjections(config, server->ledger_.get());
  if (!runtime.ok()) return runtime.status();
  parts->projections = std::move(*runtime);
  projections::Runtime* rt = parts->projections.get();
  parts->commit_listener =
      server->ledger_->AddCommitListener([rt](uint64_t head) { rt->NotifyHead(head); });
  // A commit between opening the runtime and adding the listener is seen here.
  rt->NotifyHead(server->ledger_->head().position);
  parts->report_service = std::make_unique<ReportServiceImpl>(rt, &server->ledger_->store(),
                                                              parts->reads.get(), &parts->gate);
  parts->audit_service = std::make_unique<AuditServiceImpl>(server->ledger_.get(), *std::move(key),
                                                            parts->reads.get(), &parts->gate);
  BackupSources backup_sources;
  backup_sources.data_dir = config.data_dir;
  backup_sources.log = &server->ledger_->store();
  backup_sources.projections = rt->raw_db();
  parts->admin_service = std::make_unique<AdminServiceImpl>(backup_sources, m, &parts->gate);
  metrics::Sources sources;
  sources.ledger = server->ledger_.get();
  sources.projections = rt;
  sources.hub = parts->hub.get();
  m->SetSources(sources);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, *credentials, &port);
  builder.RegisterService(parts->log_service.get());
  builder.RegisterService(parts->ledger_service.get());
  builder.RegisterService(parts->report_service.get());
  builder.RegisterService(parts->audit_service.get());
  builder.RegisterService(parts->admin_service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics::NewRpcInterceptorFactory(m));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // Requests larger than this are refused by gRPC (RESOURCE_EXHAUSTED)
  // before they are parsed: the 835 import's bound. Every other method
  // refuses more than kRequestBytesMax before parsing (a parsed request can
  // take 30 times its wire size: a repeated field of empty strings).
  builder.SetMaxReceiveMessageSize(static_cast<int>(kImportRequestBytesMax));
  parts->grpc_server = builder.BuildAndStart();
  if (parts->grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  std::string host = config.listen.substr(0, config.listen.rfind(':'));
  server->address_ = absl::StrCat(host, ":", port);
  if (!config.metrics_listen.empty()) {
    auto http = metrics::HttpEndpoint::Start(config.metrics_listen, m);
    if (!http.ok()) {
      server->parts_ = std::move(parts);
      return http.status();
    }
    server->metrics_address_ = (*http)->address();
    parts->metrics_http = std::move(*http);
  }
  server->parts_ = std::move(parts);
  return server;
}

Server::~Server() { Shutdown(); }

absl::Status Server::ReloadTokens() {
  if (parts_ == nullptr) return absl::FailedPreconditionError("the server is stopped");
  absl::Status reloaded = parts_->authorizer->Reload();
  if (reloaded.ok()) {
    spdlog::info("tokens reloaded: {} principals", parts_->authorizer->principals());
  }
  return reloaded;
}

void Server::DrainCalls() {
  auto give_up = std::chrono::steady_clock::now() + kDrainMax;
  uint64_t seen = parts_->gate.calls_started.load();
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(kDrainQuietPeriod);
    uint64_t now = parts_->gate.calls_started.load();
    if (now == seen) return;
    seen = now;
  }
  spdlog::warn("calls kept arriving while shutting down; gRPC cancels those it has not started");
}

void Server::Shutdown() {
  if (shut_down_ || parts_ == nullptr) return;
  shut_down_ = true;
  spdlog::info("shutting down");
  if (parts_->metrics_http) parts_->metrics_http->Stop();
  parts_->hub->RequestStop();
  // From here every new call is answered UNAVAILABLE by its handler.
  parts_->gate.draining.store(true, std::memory_order_release);
  // Every queued command is decided, written, fsynced and answered before
  // Stop() returns.
  ledger_->Stop();
  DrainCalls();
  // What is left are reads and subscriptions: give them a short grace, then
  // gRPC cancels them.
  parts_->grpc_server->Shutdown(std::chrono::system_clock::now() +
                                std::chrono::milliseconds(shutdown_grace_ms_));
  parts_->hub->Stop();
  spdlog::info("writer: {} commands in {} batches, {} fsyncs", ledger_->committed_commands(),
               ledger_->commits(), ledger_->fsyncs());
  parts_->grpc_server->Wait();
  parts_->admin_service->Stop();
  ledger_->RemoveCommitListener(parts_->commit_listener);
  parts_->projections->Stop();
  parts_.reset();
  ledger_.reset();
  spdlog::info("stopped");
}

}  // namespace rcl::server
