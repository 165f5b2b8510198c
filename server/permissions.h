// Who may call what: the ONE permission table of rcl-server. Every RPC the
// server answers is looked up here by its full method name
// ("rcl.v1.LedgerService/RegisterPatient"); an RPC missing from the table is
// refused (PERMISSION_DENIED), whoever calls it.
//
// How it cannot be forgotten: every rcl.v1 method is registered through the
// handler wrappers of server/unary_handlers.h (RCL_REGISTER_UNARY and
// AuthorizingStreamHandler), which look the method up here when the service
// is built and call Authorizer::Authorize (server/authorizer.h) with the
// decoded request before the handler runs. tests/integration/auth_matrix_test.cc
// enumerates every method of every rcl service in the protobuf descriptor
// pool and every service the server registers (gRPC reflection) and fails on
// a method without an entry, or one whose answer does not match its entry.
//
// Pure data: no threads, no state.
#ifndef RCL_SERVER_PERMISSIONS_H_
#define RCL_SERVER_PERMISSIONS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rcl::server {

enum class Role : uint8_t { kCoder = 0, kBiller, kAuditor, kReporter, kAdmin };
inline constexpr int kRoleCount = 5;

// A set of roles, one bit each.
using RoleSet = uint8_t;
constexpr RoleSet Bit(Role r) { return static_cast<RoleSet>(1u << static_cast<uint8_t>(r)); }
inline constexpr RoleSet kCoder = Bit(Role::kCoder);
inline constexpr RoleSet kBiller = Bit(Role::kBiller);
inline constexpr RoleSet kAuditor = Bit(Role::kAuditor);
inline constexpr RoleSet kReporter = Bit(Role::kReporter);
inline constexpr RoleSet kAdmin = Bit(Role::kAdmin);
inline constexpr RoleSet kAnyRole = kCoder | kBiller | kAuditor | kReporter | kAdmin;

// "coder", "biller", "auditor", "reporter", "admin".
std::string_view RoleName(Role role);
std::optional<Role> RoleFromName(std::string_view name);
// "biller, auditor" (in Role order; "" for none).
std::string RoleSetNames(RoleSet roles);

struct Permission {
  // "package.Service/Method", or "package.Service/*" for every method of a
  // service (looked up after the exact names).
  std::string_view method;
  // No token needed at all (gRPC health checking and reflection only).
  bool is_public = false;
  // The roles that may call it (any one of them suffices).
  RoleSet roles = 0;
  // Where the request names its tenant ("tenant", "context.tenant"); empty:
  // the RPC is not tenant-scoped. A tenant-scoped RPC is allowed only for a
  // tenant of the principal.
  std::string_view tenant_field = {};
  // Tenant-scoped RPCs that also have a log-wide form when the tenant field
  // is empty (LogService Head, Verify, Digest): the roles of that form. 0:
  // an empty tenant is refused like any tenant the principal lacks.
  RoleSet whole_log_roles = 0;
  // Reads of patient data (their answers may carry names, birth dates or
  // member ids): each call is recorded in the access log
  // (server/access_log.h) with this request field as "which id"; empty:
  // not recorded.
  std::string_view access_log_field = {};
};

// The whole table, in the order docs/API.md renders it.
std::span<const Permission> PermissionTable();

// The entry deciding `method` ("package.Service/Method", with or without
// the leading '/' gRPC puts on the wire); nullptr: not in the table, denied.
const Permission* FindPermission(std::string_view method);

}  // namespace rcl::server

#endif  // RCL_SERVER_PERMISSIONS_H_
