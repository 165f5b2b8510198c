#include "server/metrics/rpc_interceptor.h"

#include <atomic>
#include <chrono>
#include <random>
#include <string>

#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "spdlog/spdlog.h"

namespace rcl::server::metrics {
namespace {

using Hook = grpc::experimental::InterceptionHookPoints;

// Request ids: 8 hex digits chosen at random when the process starts, then
// a counter, so ids are unique across restarts in practice and ordered
// within one process.
class RequestIds {
 public:
  RequestIds() : prefix_(static_cast<uint32_t>(std::random_device{}())) {}
  std::string Next() {
    return absl::StrFormat("%08x%08x", prefix_,
                           static_cast<uint32_t>(next_.fetch_add(1, std::memory_order_relaxed)));
  }

 private:
  const uint32_t prefix_;
  std::atomic<uint64_t> next_{1};
};

// Codes that say the server, not the request, is in trouble.
bool ServerSideCode(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS || code == grpc::StatusCode::UNAVAILABLE;
}

class RpcInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(grpc::experimental::ServerRpcInfo* info, ServerMetrics* metrics,
                 std::string request_id)
      : info_(info),
        metrics_(metrics),
        slot_(metrics->MethodSlot(info->method())),
        request_id_(std::move(request_id)),
        started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      methods->GetSendTrailingMetadata()->emplace(kRequestIdKey, request_id_);
      Finished(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finished(grpc::StatusCode code) {
    int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::steady_clock::now() - started_)
                     .count();
    metrics_->OnRpcDone(slot_, static_cast<int>(code), us);
    spdlog::level::level_enum level = code == grpc::StatusCode::OK ? spdlog::level::debug
                                      : ServerSideCode(code)       ? spdlog::level::warn
                                                                   : spdlog::level::info;
    if (!spdlog::should_log(level)) return;
    std::string peer = info_->server_context() ? info_->server_context()->peer() : "";
    spdlog::log(level, "rpc request_id={} method={} code={} duration_us={} peer={}", request_id_,
                info_->method(), static_cast<int>(code), us, peer);
  }

  grpc::experimental::ServerRpcInfo* info_;
  ServerMetrics* metrics_;
  size_t slot_;
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(ServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(info, metrics_, ids_.Next());
  }

 private:
  ServerMetrics* metrics_;
  RequestIds ids_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewRpcInterceptorFactory(
    ServerMetrics* metrics) {
  return std::make_unique<Factory>(metrics);
}

}  // namespace rcl::server::metrics
