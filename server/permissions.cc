#include "server/permissions.h"

#include <array>

namespace rcl::server {
namespace {

// Role groups of the table.
constexpr RoleSet kLogReaders = kCoder | kBiller | kAuditor;  // events: patients, encounters
constexpr RoleSet kReaders = kBiller | kAuditor;              // claims, proofs, verification
constexpr RoleSet kReports = kBiller | kAuditor | kReporter;  // ReportService's tenant reports

constexpr Permission Coder(std::string_view method) {
  return {.method = method, .roles = kCoder, .tenant_field = "context.tenant"};
}
constexpr Permission Biller(std::string_view method) {
  return {.method = method, .roles = kBiller, .tenant_field = "context.tenant"};
}
constexpr Permission Report(std::string_view method) {
  return {.method = method, .roles = kReports, .tenant_field = "tenant"};
}

// clang-format off
constexpr std::array kTable = {
    // LogService: reads of events. Their answers carry every event's
    // payload, patients' included: recorded in the access log.
    Permission{.method = "rcl.v1.LogService/ReadStream", .roles = kLogReaders,
               .tenant_field = "tenant", .access_log_field = "stream"},
    Permission{.method = "rcl.v1.LogService/ReadAll", .roles = kLogReaders,
               .tenant_field = "tenant", .access_log_field = "stream_prefix"},
    Permission{.method = "rcl.v1.LogService/Subscribe", .roles = kLogReaders,
               .tenant_field = "tenant", .access_log_field = "stream_prefix"},
    // With a tenant: that tenant's chain; without: the whole log (admin).
    Permission{.method = "rcl.v1.LogService/Head", .roles = kLogReaders,
               .tenant_field = "tenant", .whole_log_roles = kAdmin},
    Permission{.method = "rcl.v1.LogService/Verify", .roles = kReaders,
               .tenant_field = "tenant", .whole_log_roles = kAdmin},
    Permission{.method = "rcl.v1.LogService/Digest", .roles = kReaders,
               .tenant_field = "tenant", .whole_log_roles = kAdmin},
    // LedgerService: patients and coverage (biller), coding (coder).
    Biller("rcl.v1.LedgerService/RegisterPatient"),
    Biller("rcl.v1.LedgerService/AddCoverage"),
    Biller("rcl.v1.LedgerService/EndCoverage"),
    Coder("rcl.v1.LedgerService/OpenEncounter"),
    Coder("rcl.v1.LedgerService/RecordDiagnoses"),
    Coder("rcl.v1.LedgerService/RecordCharge"),
    Coder("rcl.v1.LedgerService/VoidCharge"),
    Coder("rcl.v1.LedgerService/CompleteCoding"),
    // Claims, remittances, adjudication, adjustments, appeals (biller).
    Biller("rcl.v1.LedgerService/CreateClaim"),
    Biller("rcl.v1.LedgerService/ScrubClaim"),
    Biller("rcl.v1.LedgerService/SubmitClaim"),
    Biller("rcl.v1.LedgerService/AcknowledgeClaim"),
    Biller("rcl.v1.LedgerService/ReplaceClaim"),
    Biller("rcl.v1.LedgerService/VoidClaim"),
    Biller("rcl.v1.LedgerService/RecordRemittance"),
    Biller("rcl.v1.LedgerService/AdjudicateClaim"),
    Biller("rcl.v1.LedgerService/ReverseAdjudication"),
    Biller("rcl.v1.LedgerService/RecordProviderAdjustment"),
    Biller("rcl.v1.LedgerService/AdjustClaim"),
    Biller("rcl.v1.LedgerService/WriteOffClaim"),
    Biller("rcl.v1.LedgerService/FileAppeal"),
    Biller("rcl.v1.LedgerService/DecideAppeal"),
    // Patient money (biller).
    Biller("rcl.v1.LedgerService/ReceivePatientPayment"),
    Biller("rcl.v1.LedgerService/IssuePatientStatement"),
    Biller("rcl.v1.LedgerService/RefundPatient"),
    // X12 (biller). An 837P file carries names, birth dates and member ids.
    Biller("rcl.v1.LedgerService/AliasPayer"),
    Biller("rcl.v1.LedgerService/ApplySuspendedPayment"),
    Biller("rcl.v1.LedgerService/ImportRemittanceFile"),
    Biller("rcl.v1.LedgerService/ImportRemittanceFileStream"),
    Permission{.method = "rcl.v1.LedgerService/ExportClaims837", .roles = kBiller,
               .tenant_field = "context.tenant", .access_log_field = "claim_ids"},
    // Any commands at once: the call needs a role that writes, and each
    // command inside needs the role and tenant of its own RPC above
    // (server/execute_batch.cc); one that lacks them refuses the call.
    Permission{.method = "rcl.v1.LedgerService/ExecuteBatch", .roles = kCoder | kBiller},
    // The same, one command per message over one call (server/command_stream.h):
    // a command that lacks its own RPC's role or tenant is refused alone.
    Permission{.method = "rcl.v1.LedgerService/CommandStream", .roles = kCoder | kBiller},
    // A claim's view: ids and money, no PHI (patient_id is an id).
    Permission{.method = "rcl.v1.LedgerService/GetClaim", .roles = kReaders,
               .tenant_field = "tenant"},
    // ReportService: the tenant's reports carry ids and money, no PHI
    // (auth_matrix_test checks their fields); operations are admin's.
    Report("rcl.v1.ReportService/Balances"),
    Report("rcl.v1.ReportService/TrialBalance"),
    Report("rcl.v1.ReportService/ArAging"),
    Report("rcl.v1.ReportService/Denials"),
    Report("rcl.v1.ReportService/AppealsDue"),
    Report("rcl.v1.ReportService/NoResponse"),
    Report("rcl.v1.ReportService/StatementsDue"),
    Report("rcl.v1.ReportService/History"),
    Permission{.method = "rcl.v1.ReportService/ProjectionStatus", .roles = kAdmin},
    Permission{.method = "rcl.v1.ReportService/RebuildProjection", .roles = kAdmin},
    // AuditService: proofs over one tenant's log; the public key is public
    // to every principal.
    Permission{.method = "rcl.v1.AuditService/GetSignedTreeHead", .roles = kReaders,
               .tenant_field = "tenant"},
    Permission{.method = "rcl.v1.AuditService/GetInclusionProof", .roles = kReaders,
               .tenant_field = "tenant"},
    Permission{.method = "rcl.v1.AuditService/GetConsistencyProof", .roles = kReaders,
               .tenant_field = "tenant"},
    Permission{.method = "rcl.v1.AuditService/GetPublicKey", .roles = kAnyRole},
    // Operations: backups, metrics and the like.
    Permission{.method = "rcl.v1.AdminService/*", .roles = kAdmin},
    // gRPC's own: health checking (load balancers, probes) and reflection
    // (the schema, which docs/API.md publishes anyway).
    Permission{.method = "grpc.health.v1.Health/*", .is_public = true},
    Permission{.method = "grpc.reflection.v1alpha.ServerReflection/*", .is_public = true},
};
// clang-format on

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kCoder: return "coder";
    case Role::kBiller: return "biller";
    case Role::kAuditor: return "auditor";
    case Role::kReporter: return "reporter";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

std::optional<Role> RoleFromName(std::string_view name) {
  for (int i = 0; i < kRoleCount; ++i) {
    auto role = static_cast<Role>(i);
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string RoleSetNames(RoleSet roles) {
  std::string out;
  for (int i = 0; i < kRoleCount; ++i) {
    auto role = static_cast<Role>(i);
    if ((roles & Bit(role)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += RoleName(role);
  }
  return out;
}

std::span<const Permission> PermissionTable() { return kTable; }

const Permission* FindPermission(std::string_view method) {
  if (!method.empty() && method.front() == '/') method.remove_prefix(1);
  for (const Permission& p : kTable) {
    if (p.method == method) return &p;
  }
  size_t slash = method.find('/');
  if (slash == std::string_view::npos) return nullptr;
  std::string_view service = method.substr(0, slash + 1);
  for (const Permission& p : kTable) {
    if (p.method.size() == service.size() + 1 && p.method.back() == '*' &&
        p.method.substr(0, service.size()) == service) {
      return &p;
    }
  }
  return nullptr;
}

}  // namespace rcl::server
