// Bad input through the real rcl-server: bounded error details, invalid
// UTF-8, the content rule of every string field of every RPC, range
// arguments past the head, and commands in flight at SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "clients/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "tests/testing/raw_calls.h"
#include "tests/testing/server_process.h"

namespace rcl {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;
using ::testing::Contains;

constexpr auto kCallTimeout = std::chrono::seconds(10);
constexpr char kTenant[] = "acme";

std::chrono::system_clock::time_point CallDeadline(std::chrono::seconds timeout = kCallTimeout) {
  return std::chrono::system_clock::now() + timeout;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// Protobuf wire encoding of a length-delimited field.
std::string LengthDelimited(int field, const std::string& value) {
  std::string out;
  // The tag, a varint (fields 16 and up take two bytes).
  uint32_t tag = (static_cast<uint32_t>(field) << 3) | 2;
  do {
    uint8_t b = tag & 0x7f;
    tag >>= 7;
    out.push_back(static_cast<char>(tag ? (b | 0x80) : b));
  } while (tag);
  size_t n = value.size();
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    out.push_back(static_cast<char>(n ? (b | 0x80) : b));
  } while (n);
  out += value;
  return out;
}

struct RawResult {
  grpc::Status status;
  std::string response;
};

// A unary call by method name with raw request bytes (which may hold invalid
// UTF-8, which the typed stubs would refuse to send cleanly).
RawResult RawUnaryCall(grpc::GenericStub* stub, const std::string& method,
                       const std::string& bytes) {
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub->UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                  [&done](grpc::Status status) { done.set_value(std::move(status)); });
  RawResult r;
  r.status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (response.Valid() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      r.response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return r;
}

// A server-streaming call (`method`: Subscribe unless named) with raw request
// bytes: its status when it ends within the deadline, or DEADLINE_EXCEEDED.
grpc::Status RawSubscribe(grpc::GenericStub* stub, const std::string& bytes,
                          const std::string& method = "/rcl.v1.LogService/Subscribe") {
  grpc::ClientContext context;
  context.set_deadline(CallDeadline(std::chrono::seconds(3)));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  return testing::OneMessageCall(stub, &context, method, request, /*cancel_after_answer=*/false)
      .status;
}

// The first answer of a CommandStream call that sends `bytes` as its one
// message: a refused command's code and message (the call goes on), or the
// call's status when it ended without an answer.
grpc::Status FirstCommandStreamAnswer(grpc::GenericStub* stub, const std::string& bytes) {
  grpc::ClientContext context;
  context.set_deadline(CallDeadline(std::chrono::seconds(3)));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  testing::OneMessageResult r =
      testing::OneMessageCall(stub, &context, "/rcl.v1.LedgerService/CommandStream", request,
                              /*cancel_after_answer=*/false);
  std::optional<grpc::Status> answer =
      r.answered ? testing::CommandStreamAnswerStatus(r.response) : std::nullopt;
  return answer.value_or(r.status);
}

std::vector<google::rpc::BadRequest::FieldViolation> Violations(const grpc::Status& status) {
  std::vector<google::rpc::BadRequest::FieldViolation> out;
  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(status.error_details())) return out;
  for (const auto& any : rpc_status.details()) {
    google::rpc::BadRequest bad_request;
    if (!any.UnpackTo(&bad_request)) continue;
    for (const auto& v : bad_request.field_violations()) out.push_back(v);
  }
  return out;
}

std::vector<std::string> ViolationFields(const grpc::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : Violations(status)) out.push_back(v.field());
  return out;
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", status.error_code(), " message '", status.error_message(),
                      "' fields [", absl::StrJoin(ViolationFields(status), ", "), "]");
}

class HardInputTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(dir_.path());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = Channel(server_->address());
    ledger_ = v1::LedgerService::NewStub(channel_);
    log_ = v1::LogService::NewStub(channel_);
    generic_ = std::make_unique<grpc::GenericStub>(channel_);
  }

  uint64_t RegisterPatient(const std::string& id) {
    v1::RegisterPatientRequest request;
    request.mutable_context()->set_tenant(kTenant);
    request.mutable_command()->set_patient_id(id);
    request.mutable_command()->set_family_name("Doe");
    request.mutable_command()->set_given_name("Jane");
    request.mutable_command()->set_birth_date("1980-01-01");
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    v1::CommandResponse response;
    grpc::Status status = ledger_->RegisterPatient(&context, request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response.position();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::LogService::Stub> log_;
  std::unique_ptr<grpc::GenericStub> generic_;
};

// --- Bounded error details --------------------------------------------------

constexpr int kViolationsShownMax = 20;

TEST_F(HardInputTest, ManyBadEntriesGiveABoundedErrorAndTheConnectionStaysUsable) {
  // 999 lines (the most an adjudication may carry), each with a bad line
  // number and a negative paid amount: about 2,000 problems.
  v1::AdjudicateClaimRequest request;
  request.mutable_context()->set_tenant(kTenant);
  v1::AdjudicateClaim* c = request.mutable_command();
  c->set_claim_id("C1");
  c->set_remit_id("R1");
  c->set_payer_claim_number("PCN1");
  c->set_status(v1::CLAIM_PAYMENT_STATUS_PRIMARY);
  for (int i = 0; i < 999; ++i) {
    v1::LineAdjudication* line = c->add_lines();
    line->set_line_number(5000 + i);
    line->set_paid_cents(-1);
  }
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  v1::CommandResponse response;
  grpc::Status status = ledger_->AdjudicateClaim(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  auto violations = Violations(status);
  ASSERT_EQ(violations.size(), static_cast<size_t>(kViolationsShownMax + 1)) << Describe(status);
  EXPECT_EQ(violations[0].field(), "lines[0].line_number");
  EXPECT_EQ(violations.back().field(), "request");
  EXPECT_THAT(violations.back().description(), ::testing::HasSubstr("more"));
  EXPECT_LT(status.error_message().size(), 4096u);
  // The client library carries the same entries, the count included.
  auto carried = client::FieldViolationsOf(client::FromGrpcStatus(status));
  ASSERT_EQ(carried.size(), violations.size());
  EXPECT_EQ(carried.back().second, violations.back().description());

  // The same connection still answers.
  grpc::ClientContext head_context;
  head_context.set_deadline(CallDeadline(std::chrono::seconds(5)));
  v1::HeadResponse head;
  grpc::Status head_status = log_->Head(&head_context, v1::HeadRequest(), &head);
  EXPECT_TRUE(head_status.ok()) << Describe(head_status);
}

TEST_F(HardInputTest, TooManyRepeatedEntriesAreOneViolation) {
  struct Case {
    std::string method;
    std::string field;
    std::function<void(grpc::ClientContext*, grpc::Status*)> call;
  };
  auto command_call = [this](auto request, auto method) {
    return [this, request, method](grpc::ClientContext* context, grpc::Status* status) {
      v1::CommandResponse response;
      *status = (ledger_.get()->*method)(context, request, &response);
    };
  };
  v1::RecordDiagnosesRequest diagnoses;
  diagnoses.mutable_context()->set_tenant(kTenant);
  diagnoses.mutable_command()->set_encounter_id("E1");
  v1::RecordChargeRequest charge;
  charge.mutable_context()->set_tenant(kTenant);
  charge.mutable_command()->set_encounter_id("E1");
  v1::ReceivePatientPaymentRequest payment;
  payment.mutable_context()->set_tenant(kTenant);
  v1::AdjudicateClaimRequest adjudicate;
  adjudicate.mutable_context()->set_tenant(kTenant);
  v1::LineAdjudication* line = adjudicate.mutable_command()->add_lines();
  const std::string bad_entry = "!";
  for (int i = 0; i < 1000; ++i) {
    diagnoses.mutable_command()->add_icd10_codes(bad_entry);
    charge.mutable_command()->add_modifiers(bad_entry);
    charge.mutable_command()->add_diagnosis_pointers(-1);
    payment.mutable_command()->add_claim_ids(bad_entry);
    line->add_adjustments();
    adjudicate.mutable_command()->add_claim_adjustments();
  }
  for (int i = 0; i < 1000; ++i) adjudicate.mutable_command()->add_lines();
  std::vector<Case> cases = {
      {"RecordDiagnoses", "icd10_codes",
       command_call(diagnoses, &v1::LedgerService::Stub::RecordDiagnoses)},
      {"RecordCharge", "modifiers", command_call(charge, &v1::LedgerService::Stub::RecordCharge)},
      {"RecordCharge", "diagnosis_pointers",
       command_call(charge, &v1::LedgerService::Stub::RecordCharge)},
      {"ReceivePatientPayment", "claim_ids",
       command_call(payment, &v1::LedgerService::Stub::ReceivePatientPayment)},
      {"AdjudicateClaim", "lines",
       command_call(adjudicate, &v1::LedgerService::Stub::AdjudicateClaim)},
      {"AdjudicateClaim", "claim_adjustments",
       command_call(adjudicate, &v1::LedgerService::Stub::AdjudicateClaim)},
  };
  for (const Case& c : cases) {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    grpc::Status status;
    c.call(&context, &status);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.method << ": " << Describe(status);
    std::vector<std::string> fields = ViolationFields(status);
    EXPECT_THAT(fields, Contains(c.field)) << c.method;
    for (const std::string& f : fields) {
      EXPECT_FALSE(absl::StartsWith(f, c.field + "["))
          << c.method << ": entries validated one by one: " << f;
    }
  }
  // Reads: event type filters are bounded too.
  v1::ReadAllRequest read_all;
  read_all.set_tenant(kTenant);
  const std::string event_type = "ChargeRecorded";
  for (int i = 0; i < 1000; ++i) read_all.add_event_types(event_type);
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  v1::ReadAllResponse response;
  grpc::Status status = log_->ReadAll(&context, read_all, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_THAT(ViolationFields(status), Contains("event_types"));
}

// --- Every string field of every RPC ----------------------------------------

struct StringField {
  std::string method;         // "/rcl.v1.LedgerService/RegisterPatient"
  std::string request_bytes;  // placeholder for the value
  std::vector<int> numbers;   // field numbers from the request down to the string
  std::string expected_name;  // the field name the server must report
};

// Every string field reachable in `d`, as paths of field numbers, with the
// name the API reports (no context./command. prefix, [0] for repeated).
void CollectStringFields(const Descriptor* d, std::vector<int> numbers, std::string name, int depth,
                         std::vector<std::pair<std::vector<int>, std::string>>* out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    std::vector<int> path = numbers;
    path.push_back(f->number());
    std::string part = f->name() + (f->is_repeated() ? "[0]" : "");
    bool skip_prefix = depth == 0 && (f->name() == "context" || f->name() == "command");
    std::string full = skip_prefix ? name : (name.empty() ? part : absl::StrCat(name, ".", part));
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      out->push_back({path, full});
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      CollectStringFields(f->message_type(), path, full, depth + 1, out);
    }
  }
}

std::string EncodeAt(const std::vector<int>& numbers, size_t i, const std::string& value) {
  if (i + 1 == numbers.size()) return LengthDelimited(numbers[i], value);
  return LengthDelimited(numbers[i], EncodeAt(numbers, i + 1, value));
}

struct RpcField {
  std::string method;
  std::string name;
  std::vector<int> numbers;
  bool streaming;
};

std::vector<RpcField> EveryStringFieldOfEveryRpc() {
  std::vector<RpcField> out;
  for (const char* service_name :
       {"rcl.v1.LogService", "rcl.v1.LedgerService", "rcl.v1.ReportService"}) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    EXPECT_NE(service, nullptr) << service_name;
    if (service == nullptr) continue;
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      std::vector<std::pair<std::vector<int>, std::string>> fields;
      CollectStringFields(method->input_type(), {}, "", 0, &fields);
      for (auto& [numbers, name] : fields) {
        out.push_back({absl::StrCat("/", service_name, "/", method->name()), name, numbers,
                       method->server_streaming()});
      }
    }
  }
  return out;
}

class LogCapture {
 public:
  // Redirects this process's stderr to a file while alive; a server started
  // meanwhile keeps writing its log there.
  explicit LogCapture(const std::string& path) : path_(path) {
    saved_ = dup(2);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fd, 2);
    close(fd);
  }
  ~LogCapture() { Restore(); }
  void Restore() {
    if (saved_ < 0) return;
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
  int saved_ = -1;
};

TEST(HardInputUtf8Test, InvalidUtf8InAnyStringFieldIsInvalidArgumentNamingItAndTheLogStaysQuiet) {
  TempDir dir;
  std::string log_path = dir.path() + "/server.log";
  LogCapture capture(log_path);
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(dir.path() + "/data");
  capture.Restore();
  ASSERT_TRUE(server.ok()) << server.status();
  grpc::GenericStub stub(Channel((*server)->address()));
  std::vector<RpcField> fields = EveryStringFieldOfEveryRpc();
  ASSERT_GT(fields.size(), 60u);
  const std::string bad_utf8("ok\xff\xfe", 4);
  for (const RpcField& f : fields) {
    std::string bytes = EncodeAt(f.numbers, 0, bad_utf8);
    grpc::Status status = f.streaming ? RawSubscribe(&stub, bytes, f.method)
                                      : RawUnaryCall(&stub, f.method, bytes).status;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << f.method << " " << f.name << ": " << Describe(status);
    EXPECT_THAT(ViolationFields(status), Contains(f.name)) << f.method;
  }
  ASSERT_TRUE((*server)->Terminate().ok());
  std::string log = capture.Read();
  EXPECT_FALSE(absl::StrContains(log, "UTF-8")) << log.substr(0, 2000);
  EXPECT_FALSE(absl::StrContains(log, "libprotobuf")) << log.substr(0, 2000);
}

TEST_F(HardInputTest, EveryStringFieldOfEveryRpcHasAContentRule) {
  // Valid UTF-8 that no string field accepts: a control character.
  const std::string bad(
      "a\x01"
      "b");
  for (const RpcField& f : EveryStringFieldOfEveryRpc()) {
    std::string bytes = EncodeAt(f.numbers, 0, bad);
    if (absl::EndsWith(f.method, "/CommandStream")) {
      // A command is refused in its own answer; the answer names the field
      // within the command, in its message ("command.record_charge.cpt: ...").
      absl::string_view name = f.name;
      ASSERT_TRUE(absl::ConsumePrefix(&name, "commands[0].command.")) << f.name;
      grpc::Status answer = FirstCommandStreamAnswer(generic_.get(), bytes);
      EXPECT_EQ(answer.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << f.name << ": " << answer.error_message();
      const bool unbatchable = absl::StartsWith(name, "command.record_claim_export.") ||
                               absl::StartsWith(name, "command.import_remittance_file.");
      EXPECT_THAT(answer.error_message(),
                  ::testing::HasSubstr(unbatchable ? "command: " : absl::StrCat(name, ": ")))
          << f.name;
      continue;
    }
    grpc::Status status = f.streaming ? RawSubscribe(generic_.get(), bytes, f.method)
                                      : RawUnaryCall(generic_.get(), f.method, bytes).status;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << f.method << " " << f.name << ": " << Describe(status);
    // A command ExecuteBatch cannot carry (it has its own RPC) is refused
    // as such, whatever its fields hold.
    const bool unbatchable =
        absl::StartsWith(f.name, "commands[0].command.record_claim_export.") ||
        absl::StartsWith(f.name, "commands[0].command.import_remittance_file.");
    EXPECT_THAT(ViolationFields(status), Contains(unbatchable ? "commands[0].command" : f.name))
        << f.method << ": " << Describe(status);
  }
}

TEST_F(HardInputTest, FreeTextHasOneRuleOnPatientAndClaimSides) {
  // 500 two-byte characters: within 500 characters everywhere.
  std::string long_text;
  for (int i = 0; i < 500; ++i) long_text += "\xc3\xa9";
  // A C1 control character (U+0085) is refused everywhere.
  const std::string c1(
      "a\xc2\x85"
      "b");
  auto check = [&](const std::string& text, bool accepted) {
    v1::VoidChargeRequest void_charge;
    void_charge.mutable_context()->set_tenant(kTenant);
    void_charge.mutable_command()->set_reason(text);
    v1::FileAppealRequest appeal;
    appeal.mutable_context()->set_tenant(kTenant);
    appeal.mutable_command()->set_reason(text);
    v1::AdjustClaimRequest adjust;
    adjust.mutable_context()->set_tenant(kTenant);
    adjust.mutable_command()->set_note(text);
    v1::CommandResponse response;
    grpc::ClientContext c1_context, c2_context, c3_context;
    std::vector<std::pair<std::string, std::string>> got = {
        {"VoidCharge",
         absl::StrJoin(ViolationFields(ledger_->VoidCharge(&c1_context, void_charge, &response)),
                       ",")},
        {"FileAppeal",
         absl::StrJoin(ViolationFields(ledger_->FileAppeal(&c2_context, appeal, &response)), ",")},
        {"AdjustClaim",
         absl::StrJoin(ViolationFields(ledger_->AdjustClaim(&c3_context, adjust, &response)), ",")},
    };
    for (const auto& [method, fields] : got) {
      std::string field = method == "AdjustClaim" ? "note" : "reason";
      bool refused =
          absl::StrContains(absl::StrCat(",", fields, ","), absl::StrCat(",", field, ","));
      EXPECT_EQ(refused, !accepted)
          << method << " text of " << text.size() << " bytes: [" << fields << "]";
    }
  };
  check(long_text, true);
  check(long_text + "\xc3\xa9", false);
  check(c1, false);
}

// --- Ranges -----------------------------------------------------------------

TEST_F(HardInputTest, PositionsPastTheHeadAreRefused) {
  RegisterPatient("P1");
  uint64_t head = RegisterPatient("P2");
  ASSERT_EQ(head, 2u);
  const uint64_t past = head + 2;
  {
    v1::ReadAllRequest request;
    request.set_tenant(kTenant);
    request.set_from_position(past);
    grpc::ClientContext context;
    v1::ReadAllResponse response;
    grpc::Status status = log_->ReadAll(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << "ReadAll " << Describe(status);
    request.set_from_position(head + 1);  // the next page after the head is fine
    grpc::ClientContext next_context;
    EXPECT_TRUE(log_->ReadAll(&next_context, request, &response).ok());
  }
  for (auto [from, to] :
       std::vector<std::pair<uint64_t, uint64_t>>{{past, 0}, {1, past}, {past, past + 1}}) {
    v1::VerifyRequest request;
    request.set_from_position(from);
    request.set_to_position(to);
    grpc::ClientContext context;
    v1::VerifyResponse response;
    grpc::Status status = log_->Verify(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << "Verify " << from << ".." << to << ": " << Describe(status) << " hash_at_to '"
        << response.hash_at_to() << "'";
  }
  {
    v1::DigestRequest request;
    request.set_position(past);
    grpc::ClientContext context;
    v1::DigestResponse response;
    EXPECT_EQ(log_->Digest(&context, request, &response).error_code(),
              grpc::StatusCode::OUT_OF_RANGE);
  }
  {
    v1::GetClaimRequest request;
    request.set_tenant(kTenant);
    request.set_claim_id("C1");
    request.set_as_of_position(past);
    grpc::ClientContext context;
    v1::ClaimView response;
    grpc::Status status = ledger_->GetClaim(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << "GetClaim " << Describe(status);
  }
  {
    v1::ReadStreamRequest request;
    request.set_tenant(kTenant);
    request.set_stream("patient-P1");
    request.set_from_version(5);
    grpc::ClientContext context;
    v1::ReadStreamResponse response;
    grpc::Status status = log_->ReadStream(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << "ReadStream " << Describe(status);
  }
  {
    v1::SubscribeRequest request;
    request.set_tenant(kTenant);
    request.set_from_position(past);
    grpc::Status status = RawSubscribe(generic_.get(), request.SerializeAsString());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << "Subscribe " << Describe(status);
  }
}

// --- SIGTERM ------------------------------------------------------------------

TEST_F(HardInputTest, CommandsInFlightAtSigtermAreAnsweredOkOrUnavailable) {
  constexpr int kClients = 8;
  constexpr int kCallsInFlightPerClient = 64;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<int, int> codes;
  std::atomic<int> ok_count{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      auto channel =
          grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(), [t] {
            grpc::ChannelArguments args;
            args.SetInt("rcl.test.channel", t);  // one connection each
            return args;
          }());
      auto stub = v1::LedgerService::NewStub(channel);
      int seq = 0;
      while (!stop.load()) {
        grpc::CompletionQueue cq;
        struct Call {
          grpc::ClientContext context;
          v1::CommandResponse response;
          grpc::Status status;
          std::unique_ptr<grpc::ClientAsyncResponseReader<v1::CommandResponse>> reader;
        };
        std::vector<std::unique_ptr<Call>> calls;
        for (int i = 0; i < kCallsInFlightPerClient; ++i) {
          auto call = std::make_unique<Call>();
          call->context.set_deadline(CallDeadline(std::chrono::seconds(20)));
          v1::RegisterPatientRequest request;
          request.mutable_context()->set_tenant(kTenant);
          v1::RegisterPatient* c = request.mutable_command();
          c->set_patient_id(absl::StrCat("P", t, "-", seq++));
          c->set_family_name("Doe");
          c->set_given_name("Jane");
          c->set_birth_date("1980-01-01");
          call->reader = stub->AsyncRegisterPatient(&call->context, request, &cq);
          call->reader->Finish(&call->response, &call->status, call.get());
          calls.push_back(std::move(call));
        }
        void* tag;
        bool ok;
        for (size_t i = 0; i < calls.size() && cq.Next(&tag, &ok); ++i) {
          auto* call = static_cast<Call*>(tag);
          std::lock_guard<std::mutex> lock(mu);
          ++codes[call->status.error_code()];
          if (call->status.ok()) ok_count++;
          if (call->status.error_code() == grpc::StatusCode::CANCELLED) {
            ADD_FAILURE() << "CANCELLED: " << call->status.error_message();
          }
        }
        cq.Shutdown();
        while (cq.Next(&tag, &ok)) {
        }
        if (!server_->running()) break;
      }
    });
  }
  auto wait_start = std::chrono::steady_clock::now();
  while (ok_count.load() < 2000 &&
         std::chrono::steady_clock::now() - wait_start < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // No call starts after the signal: every call counted below was sent
  // before SIGTERM and is in flight (queued, deciding, or on its way) then.
  stop = true;
  ASSERT_EQ(kill(server_->pid(), SIGTERM), 0);
  for (auto& t : clients) t.join();
  absl::Status terminated = server_->Terminate();
  EXPECT_TRUE(terminated.ok()) << terminated;
  std::string summary;
  for (auto [code, n] : codes) absl::StrAppend(&summary, " code ", code, ": ", n);
  for (auto [code, n] : codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE) << summary;
  }
  EXPECT_GT(codes[grpc::StatusCode::OK], 0) << summary;
}

}  // namespace
}  // namespace rcl
