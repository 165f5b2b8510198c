// Assembles and runs the RCL gRPC server: ledger, services, health checking,
// reflection; graceful shutdown.
#ifndef RCL_SERVER_SERVER_H_
#define RCL_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "server/claim_export.h"
#include "server/metrics/server_metrics.h"
#include "server/subscriptions.h"

namespace rcl::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "./var/data";
  size_t queue_max = 8192;
  size_t batch_commands_max = 512;
  size_t read_threads = 4;
  size_t read_queue_max = 1024;
  // Memory bounds (see docs/API.md "Limits" and docs/PERFORMANCE.md).
  size_t read_memory_bytes = size_t{128} << 20;  // running reads + answers not yet sent
  size_t state_cache_bytes = size_t{256} << 20;  // the sequencer's stream states
  size_t block_cache_bytes = size_t{64} << 20;   // RocksDB blocks, index and filters
  size_t write_buffer_bytes = size_t{64} << 20;  // RocksDB memtables, all families
  // Keep each tenant's Merkle tree; off only for ops/bench/append's
  // comparison, on a data directory made for it (see EventStore::Options).
  bool merkle_tree = true;
  size_t subscribers_max = kSubscribersMax;                      // all tenants together
  size_t subscribers_per_tenant_max = kSubscribersPerTenantMax;  // one tenant's share
  // The projections' memory: half RocksDB block cache (memtables charged to
  // it), half rows held by their workers (server.cc, StartProjections).
  size_t projections_memory_bytes = size_t{160} << 20;
  // Free bytes of the data directory's file system kept for RocksDB's own
  // flushes and compactions: below it the ledger refuses writes and the
  // projections wait (ledger/storage/disk_space.h).
  uint64_t disk_reserve_bytes = ledger::kDiskReserveBytesDefault;
  int shutdown_grace_ms = 1000;  // for reads and subscriptions, after commands drained
  // Who may call (docs/SECURITY.md). Without a tokens file the server runs
  // in open development mode, which Start() allows only on a loopback
  // address.
  std::string tokens_file;
  std::string tls_cert;       // PEM certificate chain of the server; with tls_key: TLS
  std::string tls_key;        // PEM private key
  std::string tls_client_ca;  // PEM CA: clients must present a certificate it signed (mTLS)
  // HOST:PORT of the Prometheus endpoint (GET /metrics); empty: none.
  std::string metrics_listen;
  // What an 837P export says of the practice (the --x12-* flags); checked
  // at Start (CheckExport837Settings).
  Export837Settings export837;
};

// True when `listen` (HOST:PORT, or unix:PATH) only accepts connections
// from this machine: 127.0.0.0/8, ::1, localhost, a Unix socket.
bool IsLoopbackListen(const std::string& listen);

class Server {
 public:
  // Opens the ledger and starts listening. The bound address (with the real
  // port when the configured one is 0) is in address().
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server();  // Shutdown()s

  const std::string& address() const { return address_; }
  // The metrics endpoint's bound HOST:PORT; empty when there is none.
  const std::string& metrics_address() const { return metrics_address_; }
  ledger::Ledger* ledger() const { return ledger_.get(); }

  // Reads the tokens file again (SIGHUP). On error the principals in use
  // stay, and the error says why.
  absl::Status ReloadTokens();

  // Stops accepting calls, lets every in-flight command finish (every
  // acknowledged command is already durable), ends subscriptions, stops the
  // writer and closes the store. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  Server() = default;
  // Waits until no new call has reached a handler for a short while.
  void DrainCalls();
  std::string address_;
  std::string metrics_address_;
  // Before ledger_: the ledger's writer thread records into it until the
  // ledger is gone.
  std::unique_ptr<metrics::ServerMetrics> metrics_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Parts> parts_;
  int shutdown_grace_ms_ = 1000;
  bool shut_down_ = false;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_SERVER_H_
