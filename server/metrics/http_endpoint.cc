#include "server/metrics/http_endpoint.h"

#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace rcl::server::metrics {

// The content type of the text exposition format.
constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";
// Stop() waits this long at most for the serving thread to have started
// (httplib's stop() before its loop runs would be lost).
constexpr auto kStartWaitMax = std::chrono::seconds(5);

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address,
                                                          const std::string& flag) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": want HOST:PORT (port 0 picks a free one), got '", address, "'"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const std::string& listen,
                                                                  const ServerMetrics* metrics) {
  auto host_port = SplitHostPort(listen, "--metrics-listen");
  if (!host_port.ok()) return host_port.status();
  auto [host, port] = *host_port;
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint());
  endpoint->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *endpoint->http_;
  http.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  http.set_read_timeout(kHttpReadTimeoutS, 0);
  http.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Render(), kContentType);
  });
  if (port == 0) {
    port = http.bind_to_any_port(host);
    if (port < 0) port = 0;
  } else if (!http.bind_to_port(host, port)) {
    port = 0;
  }
  if (port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", listen));
  }
  endpoint->address_ = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  endpoint->thread_ = std::thread([&http] { http.listen_after_bind(); });
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

void HttpEndpoint::Stop() {
  if (!thread_.joinable()) return;
  auto give_up = std::chrono::steady_clock::now() + kStartWaitMax;
  while (!http_->is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  http_->stop();
  thread_.join();
}

}  // namespace rcl::server::metrics
