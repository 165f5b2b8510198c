// The shared command layer of `rcl` (see cli_command.h): the global flags,
// usage errors, the invocation's client, the flag helpers and the printing
// of a write's result.
#include "clients/cli_command.h"

#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "clients/cli_claims.h"

namespace rcl::cli {
namespace {

constexpr absl::string_view kUsagePayload = "rcl.dev/cli-usage";

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> flags = {
      {"server", kValue, "HOST:PORT", "server address (default 127.0.0.1:50051, env RCL_SERVER)"},
      {"tenant", kValue, "ID", "tenant (default \"default\", env RCL_TENANT)"},
      {"command-id", kValue, "ID", "idempotency key of a write"},
      {"expected-version", kValue, "N",
       "expected last version of the command's stream (-1: must not exist)"},
      {"correlation-id", kValue, "ID", "correlation id of a write"},
      {"causation-id", kValue, "ID", "causation id of a write"},
      {"token", kValue, "TOKEN",
       "bearer token naming the principal (env RCL_TOKEN; docs/SECURITY.md)"},
      {"ca-cert", kValue, "FILE", "PEM CA of the server's certificate: connect with TLS"},
      {"client-cert", kValue, "FILE", "PEM client certificate for mutual TLS (with --client-key)"},
      {"client-key", kValue, "FILE", "PEM private key of --client-cert"},
      {"json", kBool, "", "print exactly one JSON object on stdout"},
      {"help", kBool, "", "show help"},
  };
  return flags;
}

// --- Errors.

absl::Status Usage(absl::Status status) {
  if (status.ok()) return status;
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

absl::Status UsageError(absl::string_view message) {
  return Usage(absl::InvalidArgumentError(message));
}

bool IsUsage(const absl::Status& status) { return status.GetPayload(kUsagePayload).has_value(); }

// --- The invocation.

absl::StatusOr<client::Client*> Invocation::client() {
  if (client_ == nullptr) {
    client::Options options;
    options.tenant = tenant_;
    const char* env_token = std::getenv("RCL_TOKEN");
    options.bearer_token = args_.ValueOr("token", env_token == nullptr ? "" : env_token);
    const std::string ca = args_.ValueOr("ca-cert", "");
    const std::string cert = args_.ValueOr("client-cert", "");
    const std::string key = args_.ValueOr("client-key", "");
    if (!ca.empty() || !cert.empty() || !key.empty()) {
      absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
          client::TlsCredentials(ca, cert, key);
      if (!tls.ok()) return Usage(tls.status());
      options.credentials = *std::move(tls);
    }
    absl::StatusOr<std::unique_ptr<client::Client>> c = client::Client::Connect(server_, options);
    if (!c.ok()) return c.status();
    client_ = std::move(*c);
  }
  return client_.get();
}

// --- Flag helpers.

std::string Str(const Invocation& inv, absl::string_view name) {
  return inv.args().ValueOr(name, "");
}

absl::StatusOr<int32_t> Int32Flag(const Invocation& inv, absl::string_view name, int32_t fallback) {
  std::optional<std::string> v = inv.args().Value(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<int64_t> n = ParseIntFlag(absl::StrCat("--", name), *v, INT32_MIN, INT32_MAX);
  if (!n.ok()) return Usage(n.status());
  return static_cast<int32_t>(*n);
}

absl::StatusOr<uint64_t> UintFlag(const Invocation& inv, absl::string_view name, uint64_t fallback,
                                  uint64_t max) {
  std::optional<std::string> v = inv.args().Value(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<uint64_t> n = ParseUintFlag(absl::StrCat("--", name), *v, max);
  if (!n.ok()) return Usage(n.status());
  return *n;
}

absl::StatusOr<int64_t> AmountFlag(const Invocation& inv, absl::string_view name,
                                   bool allow_negative) {
  absl::StatusOr<int64_t> cents =
      allow_negative ? ParseSignedAmountFlag(absl::StrCat("--", name), Str(inv, name))
                     : ParseAmountFlag(absl::StrCat("--", name), Str(inv, name));
  if (!cents.ok()) return Usage(cents.status());
  return cents;
}

// --- Writes.

absl::StatusOr<client::CommandOptions> WriteOptions(const Invocation& inv) {
  client::CommandOptions options;
  options.command_id = Str(inv, "command-id");
  options.correlation_id = Str(inv, "correlation-id");
  options.causation_id = Str(inv, "causation-id");
  if (std::optional<std::string> v = inv.args().Value("expected-version"); v.has_value()) {
    absl::StatusOr<int64_t> n = ParseIntFlag("--expected-version", *v, -1, INT64_MAX);
    if (!n.ok()) return Usage(n.status());
    options.expected_version = *n;
  }
  return options;
}

absl::Status PrintWrite(Invocation& inv, const absl::StatusOr<rcl::v1::CommandResponse>& r) {
  if (!r.ok()) return r.status();
  if (inv.json()) {
    JsonWriter w;
    WriteCommandResponseJson(*r, &w);
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), CommandResponseLine(*r), "\n");
  }
  return absl::OkStatus();
}

}  // namespace rcl::cli
