#include "server/admin_service.h"

#include <chrono>
#include <utility>

#include "ledger/storage/codec.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace rcl::server {

constexpr char kAdminServiceName[] = "rcl.v1.AdminService";

AdminServiceImpl::AdminServiceImpl(BackupSources sources, metrics::ServerMetrics* metrics,
                                   CallGate* gate)
    : sources_(std::move(sources)), metrics_(metrics), gate_(gate) {
  RegisterMethods();
}

AdminServiceImpl::~AdminServiceImpl() { Stop(); }

void AdminServiceImpl::RegisterMethods() {
  RCL_REGISTER_UNARY(kAdminServiceName, Backup, rcl::v1::BackupRequest, rcl::v1::BackupResponse);
}

void AdminServiceImpl::Stop() {
  std::thread running;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    running = std::move(backup_thread_);
  }
  if (running.joinable()) running.join();
}

grpc::ServerUnaryReactor* AdminServiceImpl::Backup(grpc::CallbackServerContext* ctx,
                                                   RequestPtr<rcl::v1::BackupRequest> req,
                                                   rcl::v1::BackupResponse* resp) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return Refuse(ctx, absl::UnavailableError("server is shutting down"));
  if (backup_running_) {
    return Refuse(ctx, absl::FailedPreconditionError("a backup is already running; retry later"));
  }
  // The previous backup's thread has finished (backup_running_ is false).
  if (backup_thread_.joinable()) backup_thread_.join();
  backup_running_ = true;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  backup_thread_ = std::thread([this, req, resp, reactor] {
    auto started = std::chrono::steady_clock::now();
    spdlog::info("backup started");
    absl::StatusOr<BackupResult> r = CreateBackup(sources_, req->to());
    int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
    metrics_->OnBackup(r.ok(), r.ok() ? r->head.position : 0, us);
    if (r.ok()) {
      spdlog::info("backup {} done: position {} in {} ms, {} bytes new", r->backup_id,
                   r->head.position, us / 1000, r->bytes_copied);
      resp->set_to(req->to());
      resp->set_backup_id(r->backup_id);
      resp->set_head_position(r->head.position);
      resp->set_head_hash(ledger::HashHex(r->head.hash));
      resp->set_head_recorded_at_us(r->head.recorded_at_us);
      resp->set_log_bytes(r->log_bytes);
      resp->set_projections_bytes(r->projections_bytes);
      resp->set_bytes_copied(r->bytes_copied);
      resp->set_duration_us(us);
    } else {
      spdlog::warn("backup failed: {}", r.status().ToString());
    }
    {
      absl::MutexLock done(&mu_);
      backup_running_ = false;
    }
    reactor->Finish(ToGrpcStatus(r.status()));
  });
  return reactor;
}

}  // namespace rcl::server
