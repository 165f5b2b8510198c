// Every RPC of every rcl service x {no token, bad token, wrong role, wrong
// tenant, right principal}, through a real rcl-server with a tokens file.
//
// The RPCs come from the protobuf descriptor pool (every file under rcl/
// linked into this test), not from the permission table: an RPC added to a
// proto without a table entry is a failing case here, and so is one whose
// handler does not go through the authorizing wrappers (its answers would
// not match its entry). The services the server registers are read back
// through gRPC reflection: one the table does not decide fails too.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "ledger/status.h"
#include "rcl/v1/admin.pb.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/audit.pb.h"
#include "rcl/v1/reports.pb.h"
#include "server/permissions.h"
#include "tests/testing/auth_fixture.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {
namespace {

using server::FindPermission;
using server::Permission;
using server::Role;
using server::RoleSet;

constexpr char kTenant[] = "t1";
constexpr char kOtherTenant[] = "t2";

// One principal per role, for tenant t1 only.
std::vector<TestPrincipal> RolePrincipals() {
  std::vector<TestPrincipal> out;
  for (int i = 0; i < server::kRoleCount; ++i) {
    std::string role(server::RoleName(static_cast<Role>(i)));
    out.push_back({role + "1", "token-of-" + role + "-0123456789abcdef", {role}, {kTenant}});
  }
  return out;
}

const TestPrincipal& PrincipalOf(Role role) {
  static const std::vector<TestPrincipal> principals = RolePrincipals();
  return principals[static_cast<size_t>(role)];
}

// Every method of every service declared in the rcl/ proto files linked
// into this test. A generated file is linked only when something refers to
// it: one message of each file with services is named here, and
// EveryServiceTheServerRegistersIsDecidedByTheTable fails for a service the
// server registers that is missing from this test's pool.
std::vector<const google::protobuf::MethodDescriptor*> RclMethods() {
  for (const google::protobuf::Descriptor* d :
       {rcl::v1::ReadAllRequest::descriptor(), rcl::v1::BalancesRequest::descriptor(),
        rcl::v1::SignedTreeHeadRequest::descriptor(), rcl::v1::BackupRequest::descriptor()}) {
    EXPECT_NE(d, nullptr);
  }
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::sort(files.begin(), files.end());
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const std::string& name : files) {
    if (!absl::StartsWith(name, "rcl/")) continue;
    const google::protobuf::FileDescriptor* file =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        methods.push_back(file->service(s)->method(m));
      }
    }
  }
  return methods;
}

enum class Caller {
  kNoToken,
  kBadToken,
  kWrongRole,
  kWrongTenant,
  kRight,
  kWholeLog,
  kWholeLogWrongRole
};

struct MatrixCase {
  std::string method;  // "rcl.v1.LogService/ReadAll"
  const google::protobuf::MethodDescriptor* descriptor;
  Caller caller;
  std::string name;
};

std::optional<Role> FirstRole(RoleSet set, bool in) {
  for (int i = 0; i < server::kRoleCount; ++i) {
    auto role = static_cast<Role>(i);
    if (((set & server::Bit(role)) != 0) == in) return role;
  }
  return std::nullopt;
}

std::vector<MatrixCase> AllCases() {
  std::vector<MatrixCase> cases;
  for (const google::protobuf::MethodDescriptor* m : RclMethods()) {
    std::string method = absl::StrCat(m->service()->full_name(), "/", m->name());
    std::string base = absl::StrCat(m->service()->name(), "_", m->name());
    auto add = [&](Caller c, const char* suffix) {
      cases.push_back({method, m, c, absl::StrCat(base, "_", suffix)});
    };
    const Permission* p = FindPermission(method);
    add(Caller::kNoToken, "no_token");
    add(Caller::kBadToken, "bad_token");
    add(Caller::kRight, "right_principal");
    if (p == nullptr) continue;  // the right principal's case fails: no entry
    if (!p->is_public && FirstRole(p->roles, false).has_value()) {
      add(Caller::kWrongRole, "wrong_role");
    }
    if (!p->tenant_field.empty()) add(Caller::kWrongTenant, "wrong_tenant");
    if (p->whole_log_roles != 0) {
      add(Caller::kWholeLog, "whole_log_admin");
      if (FirstRole(p->whole_log_roles, false).has_value()) {
        add(Caller::kWholeLogWrongRole, "whole_log_wrong_role");
      }
    }
  }
  return cases;
}

bool Denied(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAUTHENTICATED || code == grpc::StatusCode::PERMISSION_DENIED;
}

// One case against the running server.
void RunCase(const std::shared_ptr<grpc::Channel>& channel, const MatrixCase& c) {
  SCOPED_TRACE(c.name);
  const Permission* p = FindPermission(c.method);
  ASSERT_NE(p, nullptr) << c.method
                        << " has no entry in the permission table (server/permissions.cc)";

  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.descriptor->input_type())
          ->New());
  RawCall call;
  call.deadline = std::chrono::milliseconds(c.descriptor->server_streaming() ? 1500 : 10000);
  call.cancel_after_first = c.descriptor->server_streaming();
  std::optional<Role> role = FirstRole(p->roles, true);
  std::string tenant = kTenant;
  grpc::StatusCode want = grpc::StatusCode::OK;  // OK here: "anything but denied"
  switch (c.caller) {
    case Caller::kNoToken:
      if (!p->is_public) want = grpc::StatusCode::UNAUTHENTICATED;
      break;
    case Caller::kBadToken:
      call.token = "not-a-token-of-anyone";
      if (!p->is_public) want = grpc::StatusCode::UNAUTHENTICATED;
      break;
    case Caller::kWrongRole:
      call.token = PrincipalOf(*FirstRole(p->roles, false)).token;
      want = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case Caller::kWrongTenant:
      call.token = PrincipalOf(*role).token;
      tenant = kOtherTenant;
      want = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case Caller::kRight:
      if (role.has_value()) call.token = PrincipalOf(*role).token;
      break;
    case Caller::kWholeLog:
      call.token = PrincipalOf(*FirstRole(p->whole_log_roles, true)).token;
      tenant = "";
      break;
    case Caller::kWholeLogWrongRole:
      call.token = PrincipalOf(*FirstRole(p->whole_log_roles, false)).token;
      tenant = "";
      want = grpc::StatusCode::PERMISSION_DENIED;
      break;
  }
  if (!p->tenant_field.empty()) {
    SetStringAtPath(request.get(), std::string(p->tenant_field), tenant);
  }
  grpc::Status status = CallRaw(channel, "/" + c.method, request->SerializeAsString(), call);
  if (want == grpc::StatusCode::OK) {
    EXPECT_FALSE(Denied(status.error_code()))
        << status.error_code() << " " << status.error_message();
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
  } else {
    EXPECT_EQ(status.error_code(), want) << status.error_message();
  }
}

// A server whose tokens file holds one principal per role (RolePrincipals).
absl::StatusOr<std::unique_ptr<ServerProcess>> StartWithRoleTokens(const TempDir& dir) {
  WriteFile(dir.path() + "/tokens.json", TokensJson(RolePrincipals()));
  return ServerProcess::Start(dir.path() + "/data", {"--tokens-file", dir.path() + "/tokens.json"});
}

// One server for every case (a server per case would take minutes): each
// failure names its case ("LedgerService_RegisterPatient_wrong_tenant").
TEST(AuthMatrixTest, EveryRpcAnswersEveryKindOfCallerAsTheTableSays) {
  TempDir dir;
  auto server = StartWithRoleTokens(dir);
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<grpc::Channel> channel = PlainChannel((*server)->address());
  std::vector<MatrixCase> cases = AllCases();
  // Every rcl service: at least the four of today, each with its five
  // kinds of caller where they apply.
  EXPECT_GE(cases.size(), 200u);
  for (const MatrixCase& c : cases) RunCase(channel, c);
  EXPECT_TRUE((*server)->Terminate().ok());
}

// ExecuteBatch itself lets any writing role in (coder, biller: the matrix
// above); each command inside then needs the role and tenant its own RPC
// needs, so a coder cannot slip a biller command or another tenant's command
// into a batch. A refused command refuses the whole call, nothing written.
TEST(AuthMatrixTest, EachCommandOfABatchNeedsTheRoleAndTenantOfItsOwnRpc) {
  TempDir dir;
  auto server = StartWithRoleTokens(dir);
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<grpc::Channel> channel = PlainChannel((*server)->address());
  auto batch = [](const std::vector<std::string>& commands) {
    rcl::v1::ExecuteBatchRequest r;
    for (const std::string& c : commands) {
      EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(c, r.add_commands())) << c;
    }
    return r.SerializeAsString();
  };
  const std::string encounter_t1 =
      R"(context { tenant: "t1" } command { open_encounter { encounter_id: "E1" patient_id: "P1"
         rendering_npi: "1234567893" billing_npi: "9876543213" date_of_service: "2024-03-15"
         place_of_service: "11" } })";
  const std::string encounter_t2 =
      R"(context { tenant: "t2" } command { open_encounter { encounter_id: "E1" patient_id: "P1"
         rendering_npi: "1234567893" billing_npi: "9876543213" date_of_service: "2024-03-15"
         place_of_service: "11" } })";
  const std::string patient_t1 =
      R"(context { tenant: "t1" } command { register_patient { patient_id: "P1"
         family_name: "Doe" given_name: "Jo" birth_date: "1980-01-01" } })";
  const std::string method = "/rcl.v1.LedgerService/ExecuteBatch";
  const std::string coder = PrincipalOf(Role::kCoder).token;
  const std::string biller = PrincipalOf(Role::kBiller).token;

  grpc::Status slipped = CallRaw(channel, method, batch({encounter_t1, patient_t1}), As(coder));
  EXPECT_EQ(slipped.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(slipped.error_message(), ::testing::HasSubstr("commands[1]"));
  EXPECT_THAT(slipped.error_message(), ::testing::HasSubstr("RegisterPatient"));

  grpc::Status other_tenant = CallRaw(channel, method, batch({encounter_t2}), As(coder));
  EXPECT_EQ(other_tenant.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other_tenant.error_message(), ::testing::HasSubstr("commands[0]"));
  EXPECT_THAT(other_tenant.error_message(), ::testing::HasSubstr("not a tenant"));

  // A kind and tenant allowed once in the call are not taken as allowed for
  // another tenant of the same kind.
  grpc::Status then_other =
      CallRaw(channel, method, batch({encounter_t1, encounter_t1, encounter_t2}), As(coder));
  EXPECT_EQ(then_other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(then_other.error_message(), ::testing::HasSubstr("commands[2]"));
  EXPECT_THAT(then_other.error_message(), ::testing::HasSubstr("not a tenant"));

  grpc::Status biller_codes = CallRaw(channel, method, batch({encounter_t1}), As(biller));
  EXPECT_EQ(biller_codes.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Each role's own commands go through: the biller registers P1, then the
  // coder opens its encounter.
  std::string response;
  EXPECT_TRUE(CallRaw(channel, method, batch({patient_t1}), As(biller), &response).ok());
  rcl::v1::ExecuteBatchResponse registered;
  ASSERT_TRUE(registered.ParseFromString(response));
  EXPECT_EQ(registered.succeeded(), 1u);
  EXPECT_TRUE(CallRaw(channel, method, batch({encounter_t1}), As(coder), &response).ok());
  rcl::v1::ExecuteBatchResponse coded;
  ASSERT_TRUE(coded.ParseFromString(response));
  EXPECT_EQ(coded.succeeded(), 1u) << coded.DebugString();
  EXPECT_TRUE((*server)->Terminate().ok());
}

// CommandStream lets any writing role open the stream (the matrix above);
// each command on it then needs the role and tenant of its own RPC. A
// refused command is answered PERMISSION_DENIED alone: the stream goes on.
TEST(AuthMatrixTest, EachCommandOfAStreamNeedsTheRoleAndTenantOfItsOwnRpc) {
  TempDir dir;
  auto server = StartWithRoleTokens(dir);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = rcl::v1::LedgerService::NewStub(PlainChannel((*server)->address()));
  auto command = [](uint64_t tag, const std::string& text) {
    rcl::v1::CommandStreamRequest r;
    rcl::v1::StreamCommand* c = r.add_commands();
    c->set_tag(tag);
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, c->mutable_command())) << text;
    return r;
  };
  const std::string patient_t1 =
      R"(context { tenant: "t1" } command { register_patient { patient_id: "P1"
         family_name: "Doe" given_name: "Jo" birth_date: "1980-01-01" } })";
  const std::string encounter =
      R"(command { open_encounter { encounter_id: "E1" patient_id: "P1"
         rendering_npi: "1234567893" billing_npi: "9876543213" date_of_service: "2024-03-15"
         place_of_service: "11" } })";
  // One stream of `token`'s: its answers by tag.
  auto run = [&](const std::string& token, const std::vector<rcl::v1::CommandStreamRequest>& in) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    auto stream = stub->CommandStream(&ctx);
    for (const auto& r : in) EXPECT_TRUE(stream->Write(r));
    stream->WritesDone();
    std::map<uint64_t, rcl::v1::BatchResult> out;
    rcl::v1::CommandStreamResponse response;
    while (stream->Read(&response)) {
      for (const rcl::v1::StreamAnswer& a : response.answers()) out[a.tag()] = a.result();
    }
    grpc::Status status = stream->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  };
  // The biller registers P1 over a stream of its own.
  auto registered = run(PrincipalOf(Role::kBiller).token, {command(1, patient_t1)});
  EXPECT_EQ(registered[1].code(), 0) << registered[1].message();

  const int denied = static_cast<int>(grpc::StatusCode::PERMISSION_DENIED);
  auto coded = run(
      PrincipalOf(Role::kCoder).token,
      {command(1, patient_t1), command(2, absl::StrCat(R"(context { tenant: "t2" } )", encounter)),
       command(3, absl::StrCat(R"(context { tenant: "t1" } )", encounter))});
  ASSERT_EQ(coded.size(), 3u);
  EXPECT_EQ(coded[1].code(), denied);
  EXPECT_THAT(coded[1].message(), ::testing::HasSubstr("RegisterPatient"));
  EXPECT_EQ(coded[2].code(), denied);
  EXPECT_THAT(coded[2].message(), ::testing::HasSubstr("not a tenant"));
  EXPECT_EQ(coded[3].code(), 0) << coded[3].message();
  EXPECT_TRUE((*server)->Terminate().ok());
}

// The services the server registers, read back through gRPC reflection
// (ServerReflectionRequest.list_services, decoded field by field).
std::vector<std::string> RegisteredServices(const std::shared_ptr<grpc::Channel>& channel) {
  std::string request = std::string("\x3a\x01*", 3);  // field 7 (list_services) = "*"
  std::string response;
  grpc::Status status =
      CallRaw(channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", request,
              RawCall{}, &response);
  EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::CANCELLED)
      << status.error_message();
  std::vector<std::string> names;
  google::protobuf::UnknownFieldSet top;
  EXPECT_TRUE(top.ParseFromString(response));
  for (int i = 0; i < top.field_count(); ++i) {
    if (top.field(i).number() != 6) continue;  // list_services_response
    google::protobuf::UnknownFieldSet list;
    EXPECT_TRUE(list.ParseFromString(top.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      EXPECT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.push_back(service.field(k).length_delimited());
      }
    }
  }
  return names;
}

TEST(AuthTableTest, EveryServiceTheServerRegistersIsDecidedByTheTable) {
  TempDir dir;
  auto server = ServerProcess::Start(dir.path() + "/data");
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::string> services = RegisteredServices(PlainChannel((*server)->address()));
  EXPECT_GE(services.size(), 4u);
  for (const std::string& name : services) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (absl::StartsWith(name, "rcl.")) {
      ASSERT_NE(descriptor, nullptr)
          << name << " is registered by the server but not linked into this test: name one of "
          << "its file's messages in RclMethods()";
      for (int m = 0; m < descriptor->method_count(); ++m) {
        EXPECT_NE(FindPermission(absl::StrCat(name, "/", descriptor->method(m)->name())), nullptr)
            << name << "/" << descriptor->method(m)->name();
      }
    } else {
      // gRPC's own services: decided for the whole service.
      EXPECT_NE(FindPermission(name + "/AnyMethod"), nullptr) << name;
    }
  }
  EXPECT_TRUE((*server)->Terminate().ok());
}

TEST(AuthTableTest, TenantAndAccessLogFieldsNameStringFieldsOfTheRequest) {
  for (const google::protobuf::MethodDescriptor* m : RclMethods()) {
    const Permission* p = FindPermission(absl::StrCat(m->service()->full_name(), "/", m->name()));
    if (p == nullptr) continue;  // the matrix fails it
    for (std::string_view path : {p->tenant_field, p->access_log_field}) {
      if (path.empty()) continue;
      std::unique_ptr<google::protobuf::Message> request(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(m->input_type())
              ->New());
      SetStringAtPath(request.get(), std::string(path), "x");
    }
  }
}

TEST(AuthTableTest, ReportsTheReporterGetsCarryNoPatientIdentifiers) {
  // Reporters see ReportService answers; none may have a field for a
  // patient's name, birth date or member id.
  const std::vector<std::string> kPhiWords = {"family",     "given",     "birth",        "member",
                                              "first_name", "last_name", "patient_name", "address",
                                              "phone",      "ssn"};
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("rcl.v1.ReportService");
  ASSERT_NE(service, nullptr);
  std::vector<const google::protobuf::Descriptor*> todo;
  std::vector<const google::protobuf::Descriptor*> seen;
  for (int m = 0; m < service->method_count(); ++m) {
    const Permission* p =
        FindPermission(absl::StrCat(service->full_name(), "/", service->method(m)->name()));
    if (p == nullptr || (p->roles & server::kReporter) == 0) continue;
    todo.push_back(service->method(m)->output_type());
  }
  EXPECT_GE(todo.size(), 5u);
  while (!todo.empty()) {
    const google::protobuf::Descriptor* d = todo.back();
    todo.pop_back();
    if (std::find(seen.begin(), seen.end(), d) != seen.end()) continue;
    seen.push_back(d);
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      for (const std::string& word : kPhiWords) {
        EXPECT_FALSE(absl::StrContains(f->name(), word)) << f->full_name();
      }
      if (f->message_type() != nullptr) todo.push_back(f->message_type());
    }
  }
}

// docs/API.md renders the table; it must be the code's, row for row.
TEST(AuthTableTest, ApiDocRendersTheTableOfTheCode) {
  std::string doc = ReadFile(std::string(RCL_SOURCE_DIR) + "/docs/API.md");
  size_t begin = doc.find("<!-- permission-table:begin -->");
  size_t end = doc.find("<!-- permission-table:end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::vector<std::string> rows;
  for (absl::string_view line : absl::StrSplit(doc.substr(begin, end - begin), '\n')) {
    if (absl::StartsWith(line, "| `")) rows.emplace_back(line);
  }
  auto code = [](std::string_view s) {
    return s.empty() ? std::string("—") : absl::StrCat("`", ::rcl::AbslView(s), "`");
  };
  std::vector<std::string> want;
  for (const Permission& p : server::PermissionTable()) {
    std::string roles = p.is_public ? "anyone, no token" : server::RoleSetNames(p.roles);
    std::string whole = p.whole_log_roles == 0 ? "—" : server::RoleSetNames(p.whole_log_roles);
    want.push_back(absl::StrCat("| ", code(p.method), " | ", roles, " | ", code(p.tenant_field),
                                " | ", whole, " | ", code(p.access_log_field), " |"));
  }
  EXPECT_EQ(rows, want);
}

}  // namespace
}  // namespace rcl::testing
