// AdminService (proto/rcl/v1/admin.proto): operations on the running server.
// Backup runs on a thread of its own (never on a gRPC thread, never on the
// read pool, whose threads serve queries), one at a time; its answer is sent
// from that thread.
//
// Thread-safety: the handlers run on gRPC threads; mu_ guards the running
// backup's thread. Stop() (the server's shutdown) waits for a running backup
// before the stores it reads close.
#ifndef RCL_SERVER_ADMIN_SERVICE_H_
#define RCL_SERVER_ADMIN_SERVICE_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rcl/v1/admin.grpc.pb.h"
#include "server/backup.h"
#include "server/metrics/server_metrics.h"
#include "server/unary_handlers.h"

namespace rcl::server {

class AdminServiceImpl final : public rcl::v1::AdminService::Service {
 public:
  // Every pointer outlives the service.
  AdminServiceImpl(BackupSources sources, metrics::ServerMetrics* metrics, CallGate* gate);
  ~AdminServiceImpl() override;  // Stop()s

  grpc::ServerUnaryReactor* Backup(grpc::CallbackServerContext* ctx,
                                   RequestPtr<rcl::v1::BackupRequest> req,
                                   rcl::v1::BackupResponse* resp);

  // Waits for a running backup to finish; later backups are refused.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void RegisterMethods();

  const BackupSources sources_;
  metrics::ServerMetrics* metrics_;
  CallGate* gate_;
  absl::Mutex mu_;
  std::thread backup_thread_ ABSL_GUARDED_BY(mu_);
  bool backup_running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_ADMIN_SERVICE_H_
