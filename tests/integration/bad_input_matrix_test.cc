// The bad-input matrix: every RPC of every rcl.v1 service, called through a
// real rcl-server with requests that are empty, oversize, of the wrong
// format, negative, naming unknown ids or in the wrong state. Each row checks
// the status code, a substring of the message (field violations included)
// and that the log's head did not move. The RPCs come from the descriptor
// pool: a new RPC without a row (or a stated exemption) fails
// EveryRpcHasABadInputRow.
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "clients/client.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rcl/v1/admin.grpc.pb.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/audit.grpc.pb.h"
#include "rcl/v1/reports.grpc.pb.h"
#include "tests/integration/bad_input_rows.h"
#include "tests/testing/raw_calls.h"
#include "tests/testing/server_process.h"

namespace rcl {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::Message;
using ::google::protobuf::MethodDescriptor;
using ::rcl::bad_input::Row;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;

constexpr auto kCallTimeout = std::chrono::seconds(20);
// The oversize placeholder's length: past every string and id limit.
constexpr size_t kOversizeBytes = 70'000;

// The proto files whose services are enumerated (every file of proto/rcl/v1
// that declares a service; a new file with a service must be added here and
// to the test's link, which EveryServiceFileIsListed checks).
const std::vector<std::string>& ServiceFiles() {
  // Naming a message of each file links it (and registers its descriptors).
  for (const auto* d :
       {rcl::v1::BackupRequest::descriptor(), rcl::v1::ReadAllRequest::descriptor(),
        rcl::v1::SignedTreeHeadRequest::descriptor(), rcl::v1::BalancesRequest::descriptor()}) {
    if (d == nullptr) std::abort();
  }
  static const std::vector<std::string> files = {"rcl/v1/admin.proto", "rcl/v1/api.proto",
                                                 "rcl/v1/audit.proto", "rcl/v1/reports.proto"};
  return files;
}

std::vector<const MethodDescriptor*> AllMethods() {
  std::vector<const MethodDescriptor*> out;
  for (const std::string& name : ServiceFiles()) {
    const auto* file = DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m)
        out.push_back(file->service(s)->method(m));
    }
  }
  return out;
}

std::unique_ptr<Message> ParseRequest(const MethodDescriptor* method, const std::string& text) {
  std::unique_ptr<Message> msg(google::protobuf::MessageFactory::generated_factory()
                                   ->GetPrototype(method->input_type())
                                   ->New());
  std::string expanded = absl::StrReplaceAll(text, {{"$BIG", std::string(kOversizeBytes, 'A')}});
  if (!google::protobuf::TextFormat::ParseFromString(expanded, msg.get())) return nullptr;
  return msg;
}

// One call by method name (unary, or the first answer of a stream). A
// CommandStream answers a refused command in its first message (the call
// goes on): that answer's code and message stand for the call's.
grpc::Status Call(grpc::GenericStub* stub, const MethodDescriptor* method, const Message& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer bytes(&slice, 1);
  if (!method->server_streaming()) {
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub->UnaryCall(&context, path, grpc::StubOptions(), &bytes, &response,
                    [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }
  // A call that answered was a good request, not what a row expects: it is
  // cancelled rather than left open.
  testing::OneMessageResult r =
      testing::OneMessageCall(stub, &context, path, bytes, /*cancel_after_answer=*/true);
  std::optional<grpc::Status> answer = method->name() == "CommandStream"
                                           ? testing::CommandStreamAnswerStatus(r.response)
                                           : std::nullopt;
  return answer.value_or(r.status);
}

class BadInputMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir_.path());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    generic_ = std::make_unique<grpc::GenericStub>(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    client::Options options;
    options.tenant = bad_input::kTenant;
    absl::StatusOr<std::unique_ptr<client::Client>> c =
        client::Client::Connect(server_->address(), options);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
    ASSERT_TRUE(bad_input::SetUpState(*client_).ok());
  }

  uint64_t HeadPosition() {
    absl::StatusOr<v1::HeadResponse> head = client_->Head();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->position() : 0;
  }

  // Runs every row of `service` ("LedgerService", ...).
  void RunRows(const std::string& service) {
    int rows = 0;
    for (const Row& row : bad_input::Rows()) {
      if (!absl::StartsWith(row.rpc, service + ".")) continue;
      ++rows;
      SCOPED_TRACE(absl::StrCat(row.rpc, " / ", row.what));
      const MethodDescriptor* method =
          DescriptorPool::generated_pool()->FindMethodByName(absl::StrCat("rcl.v1.", row.rpc));
      ASSERT_NE(method, nullptr) << "no such RPC";
      std::unique_ptr<Message> request = ParseRequest(method, row.request);
      ASSERT_NE(request, nullptr) << "the row's request does not parse: " << row.request;
      const uint64_t before = HeadPosition();
      grpc::Status status = Call(generic_.get(), method, *request);
      const std::string text(client::FromGrpcStatus(status).message());
      EXPECT_EQ(status.error_code(), row.code) << text;
      EXPECT_TRUE(absl::StrContains(text, row.message))
          << "wanted '" << row.message << "' in: " << text.substr(0, 600);
      EXPECT_LT(text.size(), 8192u) << "the error echoes the input";
      EXPECT_EQ(HeadPosition(), before) << "bad input moved the log";
    }
    EXPECT_GT(rows, 0);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<grpc::GenericStub> generic_;
  std::unique_ptr<client::Client> client_;
};

TEST(BadInputMatrixCoverageTest, EveryRpcHasABadInputRow) {
  std::map<std::string, int> rows;
  for (const Row& row : bad_input::Rows()) ++rows[row.rpc];
  std::set<std::string> methods;
  for (const MethodDescriptor* m : AllMethods()) {
    const std::string name = absl::StrCat(m->service()->name(), ".", m->name());
    methods.insert(name);
    if (bad_input::Exempt().contains(name)) continue;
    EXPECT_GT(rows[name], 0) << name
                             << " has no bad-input row in tests/integration/bad_input_rows.h";
    EXPECT_TRUE(bad_input::HasKind(name, "empty")) << name << " has no row for an empty request";
  }
  EXPECT_GE(methods.size(), 50u) << "the services were not found in the descriptor pool";
  for (const auto& [name, n] : rows) EXPECT_TRUE(methods.contains(name)) << "row for " << name;
}

TEST(BadInputMatrixCoverageTest, EveryServiceFileIsListed) {
  // Every rcl.v1 file linked into this test that declares a service is enumerated.
  ServiceFiles();
  for (const char* name :
       {"rcl/v1/admin.proto", "rcl/v1/api.proto", "rcl/v1/audit.proto", "rcl/v1/reports.proto",
        "rcl/v1/events.proto", "rcl/v1/x12_events.proto"}) {
    const auto* file = DescriptorPool::generated_pool()->FindFileByName(name);
    ASSERT_NE(file, nullptr) << name;
    if (file->service_count() > 0) {
      EXPECT_NE(std::find(ServiceFiles().begin(), ServiceFiles().end(), name), ServiceFiles().end())
          << name;
    }
  }
}

TEST_F(BadInputMatrixTest, LedgerCommandsRefuseBadInputAndWriteNothing) {
  RunRows("LedgerService");
}
TEST_F(BadInputMatrixTest, LogReadsRefuseBadInput) { RunRows("LogService"); }
TEST_F(BadInputMatrixTest, ReportsRefuseBadInput) { RunRows("ReportService"); }
TEST_F(BadInputMatrixTest, AuditRefusesBadInput) { RunRows("AuditService"); }
TEST_F(BadInputMatrixTest, AdminRefusesBadInput) { RunRows("AdminService"); }

}  // namespace
}  // namespace rcl
