#include "server/authorizer.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "ledger/status.h"
#include "spdlog/spdlog.h"

namespace rcl::server {
namespace {

using ::rcl::AbslView;

// Logged request values (tenants) are cut to this and C-escaped.
constexpr size_t kLoggedValueMax = 64;
constexpr std::string_view kBearer = "bearer ";

std::string Loggable(std::string_view s) {
  return absl::CEscape(AbslView(s.substr(0, kLoggedValueMax)));
}

std::string_view Metadata(const grpc::ServerContextBase& ctx, std::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return {it->second.data(), it->second.size()};
}

// The actor of open development mode: what the caller names.
std::string OpenModeActor(const grpc::ServerContextBase& ctx) {
  std::string_view actor = Metadata(ctx, "x-rcl-actor");
  if (actor.empty()) return "anonymous";
  return std::string(actor.substr(0, kPrincipalNameLengthMax));
}

absl::Status Unauthenticated(const grpc::ServerContextBase& ctx, std::string_view method,
                             std::string_view tenant, std::string_view why) {
  spdlog::warn("unauthenticated: rpc={} tenant={} peer={}: {}", method, Loggable(tenant),
               ctx.peer(), why);
  return absl::UnauthenticatedError(
      absl::StrCat(AbslView(why), "; send \"authorization: Bearer <token>\""));
}

absl::Status Denied(const grpc::ServerContextBase& ctx, std::string_view principal,
                    std::string_view method, std::string_view tenant, std::string_view why) {
  spdlog::warn("permission denied: principal={} rpc={} tenant={} peer={}: {}", principal, method,
               Loggable(tenant), ctx.peer(), why);
  return absl::PermissionDeniedError(
      absl::StrCat(AbslView(principal), " may not call ", AbslView(method), ": ", AbslView(why)));
}

// The bearer token of the call; empty when there is none.
std::string_view BearerToken(const grpc::ServerContextBase& ctx) {
  std::string_view value = Metadata(ctx, "authorization");
  if (value.size() <= kBearer.size()) return {};
  if (!absl::EqualsIgnoreCase(AbslView(value.substr(0, kBearer.size())), AbslView(kBearer))) {
    return {};
  }
  return value.substr(kBearer.size());
}

}  // namespace

absl::StatusOr<std::string> StringAtPath(const google::protobuf::Message& message,
                                         std::string_view path) {
  const google::protobuf::Message* m = &message;
  std::vector<std::string> parts = absl::StrSplit(AbslView(path), '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const google::protobuf::FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    const bool last = i + 1 == parts.size();
    if (f == nullptr) break;
    const google::protobuf::Reflection* r = m->GetReflection();
    if (!last) {
      if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated())
        break;
      m = &r->GetMessage(*m, f);
      continue;
    }
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) break;
    if (!f->is_repeated()) return r->GetString(*m, f);
    std::vector<std::string> values;
    for (int j = 0; j < r->FieldSize(*m, f); ++j) values.push_back(r->GetRepeatedString(*m, f, j));
    return absl::StrJoin(values, ",");
  }
  return absl::NotFoundError(
      absl::StrCat(message.GetDescriptor()->full_name(), " has no string field ", AbslView(path)));
}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Create(const std::string& tokens_file,
                                                               AccessLog* access_log) {
  std::unique_ptr<Authorizer> a(new Authorizer(tokens_file, access_log));
  if (!tokens_file.empty()) {
    absl::StatusOr<PrincipalTable> table = PrincipalTable::Load(tokens_file);
    if (!table.ok()) return table.status();
    absl::MutexLock lock(&a->mu_);
    a->table_ = std::make_shared<const PrincipalTable>(*std::move(table));
  }
  return a;
}

absl::Status Authorizer::Reload() {
  if (open_mode()) return absl::FailedPreconditionError("no --tokens-file to reload");
  absl::StatusOr<PrincipalTable> table = PrincipalTable::Load(tokens_file_);
  if (!table.ok()) return table.status();
  absl::MutexLock lock(&mu_);
  table_ = std::make_shared<const PrincipalTable>(*std::move(table));
  return absl::OkStatus();
}

std::shared_ptr<const PrincipalTable> Authorizer::table() const {
  absl::MutexLock lock(&mu_);
  return table_;
}

size_t Authorizer::principals() const {
  std::shared_ptr<const PrincipalTable> t = table();
  return t == nullptr ? 0 : t->size();
}

absl::StatusOr<Caller> Authorizer::Authorize(const grpc::ServerContextBase& ctx,
                                             std::string_view method, const Permission* permission,
                                             const google::protobuf::Message& request) const {
  if (permission == nullptr) {
    return Denied(ctx, "-", method, "", "the RPC is not in the permission table");
  }
  if (permission->is_public) return Caller{"anonymous"};
  std::string tenant;
  if (!permission->tenant_field.empty()) {
    absl::StatusOr<std::string> t = StringAtPath(request, permission->tenant_field);
    if (!t.ok()) {
      spdlog::error("permission table: {}: {}", method, t.status().ToString());
      return absl::InternalError("the permission table names no tenant field of this request");
    }
    tenant = *std::move(t);
  }

  Caller caller;
  if (open_mode()) {
    caller.actor = OpenModeActor(ctx);
  } else {
    std::string_view token = BearerToken(ctx);
    if (token.empty()) return Unauthenticated(ctx, method, tenant, "no bearer token");
    std::shared_ptr<const PrincipalTable> principals = table();
    const Principal* p = principals == nullptr ? nullptr : principals->Find(token);
    if (p == nullptr) return Unauthenticated(ctx, method, tenant, "unknown bearer token");
    const bool whole_log =
        !permission->tenant_field.empty() && tenant.empty() && permission->whole_log_roles != 0;
    const RoleSet allowed = whole_log ? permission->whole_log_roles : permission->roles;
    if ((p->roles & allowed) == 0) {
      return Denied(ctx, p->name, method, tenant,
                    absl::StrCat(whole_log ? "the whole log needs" : "needs",
                                 " a role of: ", RoleSetNames(allowed)));
    }
    if (!permission->tenant_field.empty() && !whole_log && !p->HasTenant(tenant)) {
      return Denied(ctx, p->name, method, tenant, "not a tenant of the principal");
    }
    caller.actor = p->name;
  }

  if (!permission->access_log_field.empty()) {
    absl::StatusOr<std::string> id = StringAtPath(request, permission->access_log_field);
    AccessRecord record{absl::Now(), caller.actor, std::string(method), tenant,
                        id.ok() ? *std::move(id) : std::string()};
    if (access_log_ == nullptr || !access_log_->Record(std::move(record))) {
      return absl::ResourceExhaustedError(
          "the access log is behind: a read of patient data waits for its record; retry later");
    }
  }
  return caller;
}

}  // namespace rcl::server
