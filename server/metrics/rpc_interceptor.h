// A gRPC server interceptor that gives every call a request id, counts it
// in the metrics (by method and status code, with its latency) and logs one
// structured line when it finishes. The id goes back to the client in the
// trailing metadata (kRequestIdKey), so an operator can find the server's
// line for a failed call. The line names the method, code, duration and
// peer, never the request or the error message (no PHI).
//
// Thread-safety: the factory is shared by every gRPC thread (immutable); an
// interceptor belongs to one call and gRPC never runs its hooks
// concurrently.
#ifndef RCL_SERVER_METRICS_RPC_INTERCEPTOR_H_
#define RCL_SERVER_METRICS_RPC_INTERCEPTOR_H_

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "server/metrics/server_metrics.h"

namespace rcl::server::metrics {

inline constexpr char kRequestIdKey[] = "x-rcl-request-id";

// `metrics` outlives the gRPC server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewRpcInterceptorFactory(
    ServerMetrics* metrics);

}  // namespace rcl::server::metrics

#endif  // RCL_SERVER_METRICS_RPC_INTERCEPTOR_H_
