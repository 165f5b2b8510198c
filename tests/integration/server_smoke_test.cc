// Smoke tests of the rcl-server binary: health checking and reflection
// (spoken on the wire with a generic stub, since the grpc.health.v1 and
// reflection protos are not installed), google.rpc.BadRequest details on
// INVALID_ARGUMENT, --help, and listening on port 0.
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl {
namespace {

using ::google::protobuf::UnknownField;
using ::google::protobuf::UnknownFieldSet;
using ::rcl::testing::RunCommand;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;
using ::rcl::testing::workload::ClientOptions;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr auto kCallTimeout = std::chrono::seconds(10);

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + kCallTimeout;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Protobuf wire encoding of a length-delimited field.
std::string LengthDelimited(int field, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>((field << 3) | 2));
  size_t n = value.size();
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    out.push_back(static_cast<char>(n ? (b | 0x80) : b));
  } while (n);
  out += value;
  return out;
}

// A unary call by method name with raw message bytes.
absl::StatusOr<std::string> RawUnaryCall(const std::string& address, const std::string& method,
                                         const std::string& request_bytes) {
  grpc::GenericStub stub(Channel(address));
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  grpc::ByteBuffer request = ToByteBuffer(request_bytes);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return client::FromGrpcStatus(status);
  return FromByteBuffer(response);
}

// grpc.health.v1.Health/Check for `service`; the status enum (1 = SERVING).
absl::StatusOr<uint64_t> HealthCheck(const std::string& address, const std::string& service) {
  // HealthCheckRequest { string service = 1; }
  std::string request = service.empty() ? std::string() : LengthDelimited(1, service);
  absl::StatusOr<std::string> response =
      RawUnaryCall(address, "/grpc.health.v1.Health/Check", request);
  if (!response.ok()) return response.status();
  // HealthCheckResponse { ServingStatus status = 1; } (0 = UNKNOWN is omitted).
  UnknownFieldSet fields;
  if (!fields.ParseFromString(*response))
    return absl::DataLossError("undecodable HealthCheckResponse");
  uint64_t status = 0;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.number() == 1 && f.type() == UnknownField::TYPE_VARINT) status = f.varint();
  }
  return status;
}

// The service names grpc.reflection.v1alpha.ServerReflection lists.
absl::StatusOr<std::vector<std::string>> ReflectionListServices(const std::string& address) {
  grpc::GenericStub stub(Channel(address));
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  if (call == nullptr) return absl::InternalError("PrepareCall failed");
  // One operation at a time; waits for its tag.
  auto wait = [&cq](intptr_t want) -> bool {
    void* tag = nullptr;
    bool ok = false;
    grpc::CompletionQueue::NextStatus s = cq.AsyncNext(&tag, &ok, CallDeadline());
    return s == grpc::CompletionQueue::GOT_EVENT && reinterpret_cast<intptr_t>(tag) == want && ok;
  };
  // ServerReflectionRequest { oneof message_request { string list_services = 7; } }
  grpc::ByteBuffer request = ToByteBuffer(LengthDelimited(7, ""));
  grpc::ByteBuffer response;
  grpc::Status status;
  bool ok = true;
  call->StartCall(reinterpret_cast<void*>(1));
  ok = ok && wait(1);
  if (ok) call->Write(request, reinterpret_cast<void*>(2));
  ok = ok && wait(2);
  if (ok) call->WritesDone(reinterpret_cast<void*>(3));
  ok = ok && wait(3);
  bool read = false;
  if (ok) {
    call->Read(&response, reinterpret_cast<void*>(4));
    read = wait(4);
  }
  if (!ok || !read) context.TryCancel();
  call->Finish(&status, reinterpret_cast<void*>(5));
  void* tag;
  bool event_ok;
  // Drain everything (the Finish tag included) before the queue goes away.
  cq.Shutdown();
  while (cq.Next(&tag, &event_ok)) {
  }
  if (!status.ok()) return client::FromGrpcStatus(status);
  if (!ok || !read) return absl::UnavailableError("reflection call did not complete");

  // ServerReflectionResponse { ListServiceResponse list_services_response = 6; }
  // ListServiceResponse { repeated ServiceResponse service = 1; }
  // ServiceResponse { string name = 1; }
  std::vector<std::string> names;
  UnknownFieldSet top;
  if (!top.ParseFromString(FromByteBuffer(response)))
    return absl::DataLossError("undecodable reflection response");
  for (int i = 0; i < top.field_count(); ++i) {
    if (top.field(i).number() != 6 || top.field(i).type() != UnknownField::TYPE_LENGTH_DELIMITED)
      continue;
    UnknownFieldSet list;
    if (!list.ParseFromString(top.field(i).length_delimited()))
      return absl::DataLossError("bad list");
    for (int j = 0; j < list.field_count(); ++j) {
      if (list.field(j).number() != 1 ||
          list.field(j).type() != UnknownField::TYPE_LENGTH_DELIMITED)
        continue;
      UnknownFieldSet service;
      if (!service.ParseFromString(list.field(j).length_delimited()))
        return absl::DataLossError("bad service");
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1 &&
            service.field(k).type() == UnknownField::TYPE_LENGTH_DELIMITED) {
          names.push_back(service.field(k).length_delimited());
        }
      }
    }
  }
  return names;
}

// The field names of the google.rpc.BadRequest carried in `status`'s binary
// details; fails the test when the details are missing or inconsistent.
std::vector<std::string> BadRequestFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_FALSE(status.error_details().empty())
      << "INVALID_ARGUMENT without google.rpc.Status details";
  google::rpc::Status rpc_status;
  EXPECT_TRUE(rpc_status.ParseFromString(status.error_details()));
  EXPECT_EQ(rpc_status.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(rpc_status.message(), status.error_message());
  int bad_requests = 0;
  for (const google::protobuf::Any& any : rpc_status.details()) {
    google::rpc::BadRequest bad_request;
    if (!any.Is<google::rpc::BadRequest>()) continue;
    EXPECT_TRUE(any.UnpackTo(&bad_request));
    ++bad_requests;
    for (const auto& v : bad_request.field_violations()) {
      EXPECT_FALSE(v.description().empty()) << v.field();
      fields.push_back(v.field());
    }
  }
  EXPECT_EQ(bad_requests, 1);
  return fields;
}

class ServerSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir_.path());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerSmokeTest, HealthCheckIsServing) {
  absl::StatusOr<uint64_t> status = HealthCheck(server_->address(), "");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 1u) << "expected SERVING";

  absl::StatusOr<uint64_t> unknown = HealthCheck(server_->address(), "no.such.Service");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
}

TEST_F(ServerSmokeTest, ReflectionListsTheServices) {
  absl::StatusOr<std::vector<std::string>> services = ReflectionListServices(server_->address());
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("rcl.v1.LedgerService"));
  EXPECT_THAT(*services, Contains("rcl.v1.LogService"));
}

TEST_F(ServerSmokeTest, InvalidArgumentCarriesBadRequestNamingTheField) {
  auto ledger = v1::LedgerService::NewStub(Channel(server_->address()));
  auto log = v1::LogService::NewStub(Channel(server_->address()));

  {
    // A charge with a bad CPT code and zero units.
    v1::RecordChargeRequest request;
    request.mutable_context()->set_tenant("acme");
    v1::RecordCharge* c = request.mutable_command();
    c->set_encounter_id("E1");
    c->set_line_number(1);
    c->set_cpt("ABC");
    c->set_units(0);
    c->set_amount_cents(100);
    c->add_diagnosis_pointers(1);
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    v1::CommandResponse response;
    grpc::Status status = ledger->RecordCharge(&context, request, &response);
    std::vector<std::string> fields = BadRequestFields(status);
    EXPECT_THAT(fields, Contains("cpt"));
    EXPECT_THAT(fields, Contains("units"));
  }
  {
    // A bad tenant on a command.
    v1::RegisterPatientRequest request;
    request.mutable_context()->set_tenant("no spaces");
    request.mutable_command()->set_patient_id("P1");
    request.mutable_command()->set_family_name("Doe");
    request.mutable_command()->set_given_name("Jane");
    request.mutable_command()->set_birth_date("1980-01-01");
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    v1::CommandResponse response;
    EXPECT_THAT(BadRequestFields(ledger->RegisterPatient(&context, request, &response)),
                Contains("tenant"));
  }
  {
    // A command id that is not an id.
    v1::RegisterPatientRequest request;
    request.mutable_context()->set_tenant("acme");
    request.mutable_context()->set_command_id("not/an id");
    request.mutable_command()->set_patient_id("P1");
    request.mutable_command()->set_family_name("Doe");
    request.mutable_command()->set_given_name("Jane");
    request.mutable_command()->set_birth_date("1980-01-01");
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    v1::CommandResponse response;
    EXPECT_THAT(BadRequestFields(ledger->RegisterPatient(&context, request, &response)),
                Contains("command_id"));
  }
  {
    // A read without a tenant.
    v1::ReadAllRequest request;
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    v1::ReadAllResponse response;
    EXPECT_THAT(BadRequestFields(log->ReadAll(&context, request, &response)), Contains("tenant"));
  }
  {
    // A stream read without a stream.
    v1::ReadStreamRequest request;
    request.set_tenant("acme");
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    v1::ReadStreamResponse response;
    EXPECT_THAT(BadRequestFields(log->ReadStream(&context, request, &response)),
                Contains("stream"));
  }
  {
    // A subscription with a bad tenant ends at once with the details.
    v1::SubscribeRequest request;
    request.set_tenant("bad tenant");
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    auto reader = log->Subscribe(&context, request);
    v1::SubscribeResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_THAT(BadRequestFields(reader->Finish()), Contains("tenant"));
  }
  {
    // Through the client library the violations survive as well.
    absl::StatusOr<std::unique_ptr<client::Client>> c =
        client::Client::Connect(server_->address(), ClientOptions("acme"));
    ASSERT_TRUE(c.ok());
    v1::OpenEncounter open;
    open.set_encounter_id("E1");
    open.set_patient_id("P1");
    open.set_rendering_npi("1234567890");  // bad check digit
    open.set_billing_npi("1234567893");
    open.set_date_of_service("2026-11-02");
    open.set_place_of_service("11");
    absl::StatusOr<v1::CommandResponse> r = (*c)->OpenEncounter(open);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    bool named = false;
    for (const auto& [field, description] : client::FieldViolationsOf(r.status())) {
      named |= field == "rendering_npi";
    }
    EXPECT_TRUE(named) << r.status();
  }
}

// DISABLED: server bug. `rcl-server --help` exits with 1 and prints "No
// flags matched." instead of the flags: Abseil's --help only lists flags
// defined in a file named after the program (the flags live in
// server/main.cc, the program is rcl-server), and Abseil exits with 1 after
// printing any usage. Enable once server/main.cc handles --help itself (or
// sets absl::FlagsUsageConfig.contains_help_flags) and exits 0.
TEST(ServerBinaryTest, HelpExitsZeroAndListsTheFlags) {
  testing::CommandResult r = RunCommand({std::string(RCL_BIN_DIR) + "/rcl-server", "--help"}, 30);
  std::string text = r.out + r.err;
  EXPECT_EQ(r.exit_code, 0) << text;
  EXPECT_THAT(text, HasSubstr("listen"));
  EXPECT_TRUE(absl::StrContains(text, "data-dir") || absl::StrContains(text, "data_dir")) << text;
}

// Until --help works, --helpfull at least documents every server flag
// (its exit code is Abseil's 1, not checked here).
TEST(ServerBinaryTest, HelpfullListsTheFlags) {
  testing::CommandResult r =
      RunCommand({std::string(RCL_BIN_DIR) + "/rcl-server", "--helpfull"}, 30);
  std::string text = r.out + r.err;
  for (const char* flag :
       {"--listen", "--data_dir", "--queue_max", "--batch_max", "--read_threads", "--log_level"}) {
    EXPECT_THAT(text, HasSubstr(flag));
  }
  EXPECT_THAT(text, HasSubstr("port 0 picks a free port"));
}

int PortOf(const std::string& address) {
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) return -1;
  return port;
}

TEST(ServerBinaryTest, PortZeroPicksAFreePort) {
  TempDir dir_a;
  TempDir dir_b;
  absl::StatusOr<std::unique_ptr<ServerProcess>> a = ServerProcess::Start(dir_a.path());
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::unique_ptr<ServerProcess>> b = ServerProcess::Start(dir_b.path());
  ASSERT_TRUE(b.ok()) << b.status();
  int port_a = PortOf((*a)->address());
  int port_b = PortOf((*b)->address());
  EXPECT_GT(port_a, 0) << (*a)->address();
  EXPECT_GT(port_b, 0) << (*b)->address();
  EXPECT_NE(port_a, port_b);
  // Both really listen there, each on its own data.
  for (const auto* server : {a->get(), b->get()}) {
    absl::StatusOr<std::unique_ptr<client::Client>> c =
        client::Client::Connect(server->address(), ClientOptions("acme", 10'000));
    ASSERT_TRUE(c.ok()) << c.status();
    v1::RegisterPatient cmd;
    cmd.set_patient_id("P1");
    cmd.set_family_name("Doe");
    cmd.set_given_name("Jane");
    cmd.set_birth_date("1980-01-01");
    absl::StatusOr<v1::CommandResponse> r = (*c)->RegisterPatient(cmd);
    ASSERT_TRUE(r.ok()) << server->address() << ": " << r.status();
    EXPECT_EQ(r->position(), 1u) << "each server has its own log";
  }
}

TEST(ServerBinaryTest, SecondServerOnTheSameDataDirectoryIsRefused) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<ServerProcess>> first = ServerProcess::Start(dir.path());
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<ServerProcess>> second = ServerProcess::Start(dir.path());
  EXPECT_FALSE(second.ok()) << "a second server opened the data directory in use at "
                            << (*second)->address();
  // The first one is unaffected.
  absl::StatusOr<uint64_t> health = HealthCheck((*first)->address(), "");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, 1u);
}

}  // namespace
}  // namespace rcl
