// The metrics endpoint: GET /metrics on its own HOST:PORT (--metrics-listen),
// served by cpp-httplib (Debian's libcpp-httplib) with a small thread pool
// of its own, apart from the gRPC port. Any other path is 404.
//
// Thread-safety: Start() and Stop() from one thread (the server's); the
// handler runs on the endpoint's threads and calls ServerMetrics::Render().
#ifndef RCL_SERVER_METRICS_HTTP_ENDPOINT_H_
#define RCL_SERVER_METRICS_HTTP_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/metrics/server_metrics.h"

namespace httplib {
class Server;
}

namespace rcl::server::metrics {

// Threads answering scrapes (a scraper or two, and `rcl admin top`).
inline constexpr size_t kHttpThreads = 2;
// A scrape that has not sent its request in this long is dropped.
inline constexpr int kHttpReadTimeoutS = 5;

class HttpEndpoint {
 public:
  // Binds `listen` (HOST:PORT; port 0 picks a free one) and starts serving.
  // `metrics` outlives the endpoint.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(const std::string& listen,
                                                             const ServerMetrics* metrics);
  ~HttpEndpoint();  // Stop()s
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // HOST:PORT with the bound port.
  const std::string& address() const { return address_; }
  // Stops serving and joins the threads. Idempotent.
  void Stop();

 private:
  HttpEndpoint() = default;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string address_;
};

// Splits HOST:PORT ("[::1]:9100" too); INVALID_ARGUMENT naming `flag`.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address,
                                                          const std::string& flag);

}  // namespace rcl::server::metrics

#endif  // RCL_SERVER_METRICS_HTTP_ENDPOINT_H_
