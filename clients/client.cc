#include "clients/client.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/command_stream.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ledger/status.h"

namespace rcl::client {
namespace {

using rcl::v1::CommandResponse;

constexpr uint32_t kStreamPageMax = 1000;

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and Abseil share the canonical code numbering (0..16).
  int raw = static_cast<int>(status.error_code());
  absl::StatusCode code =
      (raw >= 0 && raw <= 16) ? static_cast<absl::StatusCode>(raw) : absl::StatusCode::kUnknown;
  std::string message = status.error_message();

  // What the server reported: its first kViolationsReportedMax and its count
  // of the rest.
  rcl::Violations violations(rcl::kViolationsReportedMax + 1);
  if (!status.error_details().empty()) {
    google::rpc::Status details;
    if (details.ParseFromString(status.error_details())) {
      for (const google::protobuf::Any& any : details.details()) {
        google::rpc::BadRequest bad_request;
        if (!any.Is<google::rpc::BadRequest>() || !any.UnpackTo(&bad_request)) continue;
        for (const auto& v : bad_request.field_violations()) {
          violations.Add(v.field(), v.description());
        }
      }
    }
  }
  if (violations.empty()) return absl::Status(code, message);

  // Append the violations the message does not already spell out.
  std::string missing;
  for (const rcl::FieldViolation& v : violations.list()) {
    std::string text = absl::StrCat(v.field, ": ", v.description);
    if (absl::StrContains(message, text)) continue;
    absl::StrAppend(&missing, missing.empty() ? "" : "; ", text);
  }
  if (!missing.empty()) {
    message = message.empty() ? missing : absl::StrCat(message, " [violations: ", missing, "]");
  }
  absl::Status out(code, message);
  // Carry the violations in the same payload rcl::Violations uses.
  absl::Status carrier = violations.ToStatus();
  carrier.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& payload) {
    out.SetPayload(type_url, payload);
  });
  return out;
}

std::vector<std::pair<std::string, std::string>> FieldViolationsOf(const absl::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  for (rcl::FieldViolation& v : rcl::GetFieldViolations(status)) {
    out.emplace_back(std::move(v.field), std::move(v.description));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Subscription.

Subscription::Subscription() = default;

Subscription::~Subscription() {
  if (reader_ != nullptr && !finished_) {
    Cancel();
    rcl::v1::SubscribeResponse ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish().ok();
  }
}

bool Subscription::Next(rcl::v1::SubscribeResponse* response) {
  if (finished_ || reader_ == nullptr) return false;
  if (reader_->Read(response)) return true;
  final_status_ = FromGrpcStatus(reader_->Finish());
  finished_ = true;
  return false;
}

void Subscription::Cancel() {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return;
  cancelled_ = true;
  context_->TryCancel();
}

bool Subscription::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

absl::Status Subscription::Finish() {
  if (!finished_) {
    Cancel();
    rcl::v1::SubscribeResponse ignored;
    while (Next(&ignored)) {
    }
  }
  return final_status_;
}

// ---------------------------------------------------------------------------
// Client.

Client::Client(std::shared_ptr<grpc::Channel> channel, Options options)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      ledger_(rcl::v1::LedgerService::NewStub(channel_)),
      log_(rcl::v1::LogService::NewStub(channel_)),
      reports_(rcl::v1::ReportService::NewStub(channel_)),
      audit_(rcl::v1::AuditService::NewStub(channel_)) {}

Client::~Client() = default;

namespace {

absl::StatusOr<std::string> ReadFileText(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(
    const std::string& ca_cert, const std::string& client_cert, const std::string& client_key) {
  if (client_cert.empty() != client_key.empty()) {
    return absl::InvalidArgumentError("--client-cert and --client-key go together");
  }
  grpc::SslCredentialsOptions options;
  if (!ca_cert.empty()) {
    RCL_ASSIGN_OR_RETURN(options.pem_root_certs, ReadFileText(ca_cert, "--ca-cert"));
  }
  if (!client_cert.empty()) {
    RCL_ASSIGN_OR_RETURN(options.pem_cert_chain, ReadFileText(client_cert, "--client-cert"));
    RCL_ASSIGN_OR_RETURN(options.pem_private_key, ReadFileText(client_key, "--client-key"));
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string address, Options options) {
  if (address.empty()) return absl::InvalidArgumentError("server address is empty");
  if (options.tenant.empty()) return absl::InvalidArgumentError("tenant is empty");
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(address, credentials, args);
  if (channel == nullptr) return absl::InternalError("could not create a gRPC channel");
  if (options.connect_timeout_ms > 0) {
    auto deadline =
        std::chrono::system_clock::now() + std::chrono::milliseconds(options.connect_timeout_ms);
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat("could not connect to ", address, " within ",
                                                 options.connect_timeout_ms, " ms"));
    }
  }
  return std::unique_ptr<Client>(new Client(std::move(channel), std::move(options)));
}

std::unique_ptr<Client> Client::FromChannel(std::shared_ptr<grpc::Channel> channel,
                                            Options options) {
  return std::unique_ptr<Client>(new Client(std::move(channel), std::move(options)));
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(bool with_deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (with_deadline && options_.deadline_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(options_.deadline_ms));
  }
  if (options_.wait_for_ready) context->set_wait_for_ready(true);
  if (!options_.bearer_token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", options_.bearer_token));
  }
  return context;
}

rcl::v1::CommandContext Client::MakeContext(const CommandOptions& options) const {
  rcl::v1::CommandContext context;
  context.set_tenant(options_.tenant);
  context.set_command_id(options.command_id);
  if (options.expected_version.has_value()) {
    context.set_expected_version(*options.expected_version);
  }
  context.set_correlation_id(options.correlation_id);
  context.set_causation_id(options.causation_id);
  return context;
}

template <typename Request, typename Command, typename Method>
absl::StatusOr<CommandResponse> Client::Send(const Command& command, const CommandOptions& options,
                                             Method method) {
  Request request;
  *request.mutable_context() = MakeContext(options);
  *request.mutable_command() = command;
  CommandResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(/*with_deadline=*/true);
  grpc::Status status = (ledger_.get()->*method)(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<CommandResponse> Client::RegisterPatient(const rcl::v1::RegisterPatient& command,
                                                        const CommandOptions& options) {
  return Send<rcl::v1::RegisterPatientRequest>(command, options,
                                               &rcl::v1::LedgerService::Stub::RegisterPatient);
}

absl::StatusOr<CommandResponse> Client::AddCoverage(const rcl::v1::AddCoverage& command,
                                                    const CommandOptions& options) {
  return Send<rcl::v1::AddCoverageRequest>(command, options,
                                           &rcl::v1::LedgerService::Stub::AddCoverage);
}

absl::StatusOr<CommandResponse> Client::EndCoverage(const rcl::v1::EndCoverage& command,
                                                    const CommandOptions& options) {
  return Send<rcl::v1::EndCoverageRequest>(command, options,
                                           &rcl::v1::LedgerService::Stub::EndCoverage);
}

absl::StatusOr<CommandResponse> Client::OpenEncounter(const rcl::v1::OpenEncounter& command,
                                                      const CommandOptions& options) {
  return Send<rcl::v1::OpenEncounterRequest>(command, options,
                                             &rcl::v1::LedgerService::Stub::OpenEncounter);
}

absl::StatusOr<CommandResponse> Client::RecordDiagnoses(const rcl::v1::RecordDiagnoses& command,
                                                        const CommandOptions& options) {
  return Send<rcl::v1::RecordDiagnosesRequest>(command, options,
                                               &rcl::v1::LedgerService::Stub::RecordDiagnoses);
}

absl::StatusOr<CommandResponse> Client::RecordCharge(const rcl::v1::RecordCharge& command,
                                                     const CommandOptions& options) {
  return Send<rcl::v1::RecordChargeRequest>(command, options,
                                            &rcl::v1::LedgerService::Stub::RecordCharge);
}

absl::StatusOr<CommandResponse> Client::VoidCharge(const rcl::v1::VoidCharge& command,
                                                   const CommandOptions& options) {
  return Send<rcl::v1::VoidChargeRequest>(command, options,
                                          &rcl::v1::LedgerService::Stub::VoidCharge);
}

absl::StatusOr<CommandResponse> Client::CompleteCoding(const rcl::v1::CompleteCoding& command,
                                                       const CommandOptions& options) {
  return Send<rcl::v1::CompleteCodingRequest>(command, options,
                                              &rcl::v1::LedgerService::Stub::CompleteCoding);
}

absl::StatusOr<CommandResponse> Client::CreateClaim(const rcl::v1::CreateClaim& command,
                                                    const CommandOptions& options) {
  return Send<rcl::v1::CreateClaimRequest>(command, options,
                                           &rcl::v1::LedgerService::Stub::CreateClaim);
}

absl::StatusOr<CommandResponse> Client::ScrubClaim(const rcl::v1::ScrubClaim& command,
                                                   const CommandOptions& options) {
  return Send<rcl::v1::ScrubClaimRequest>(command, options,
                                          &rcl::v1::LedgerService::Stub::ScrubClaim);
}

absl::StatusOr<CommandResponse> Client::SubmitClaim(const rcl::v1::SubmitClaim& command,
                                                    const CommandOptions& options) {
  return Send<rcl::v1::SubmitClaimRequest>(command, options,
                                           &rcl::v1::LedgerService::Stub::SubmitClaim);
}

absl::StatusOr<CommandResponse> Client::AcknowledgeClaim(const rcl::v1::AcknowledgeClaim& command,
                                                         const CommandOptions& options) {
  return Send<rcl::v1::AcknowledgeClaimRequest>(command, options,
                                                &rcl::v1::LedgerService::Stub::AcknowledgeClaim);
}

absl::StatusOr<CommandResponse> Client::ReplaceClaim(const rcl::v1::ReplaceClaim& command,
                                                     const CommandOptions& options) {
  return Send<rcl::v1::ReplaceClaimRequest>(command, options,
                                            &rcl::v1::LedgerService::Stub::ReplaceClaim);
}

absl::StatusOr<CommandResponse> Client::VoidClaim(const rcl::v1::VoidClaim& command,
                                                  const CommandOptions& options) {
  return Send<rcl::v1::VoidClaimRequest>(command, options,
                                         &rcl::v1::LedgerService::Stub::VoidClaim);
}

absl::StatusOr<CommandResponse> Client::RecordRemittance(const rcl::v1::RecordRemittance& command,
                                                         const CommandOptions& options) {
  return Send<rcl::v1::RecordRemittanceRequest>(command, options,
                                                &rcl::v1::LedgerService::Stub::RecordRemittance);
}

absl::StatusOr<CommandResponse> Client::AdjudicateClaim(const rcl::v1::AdjudicateClaim& command,
                                                        const CommandOptions& options) {
  return Send<rcl::v1::AdjudicateClaimRequest>(command, options,
                                               &rcl::v1::LedgerService::Stub::AdjudicateClaim);
}

absl::StatusOr<CommandResponse> Client::ReverseAdjudication(
    const rcl::v1::ReverseAdjudication& command, const CommandOptions& options) {
  return Send<rcl::v1::ReverseAdjudicationRequest>(
      command, options, &rcl::v1::LedgerService::Stub::ReverseAdjudication);
}

absl::StatusOr<CommandResponse> Client::RecordProviderAdjustment(
    const rcl::v1::RecordProviderAdjustment& command, const CommandOptions& options) {
  return Send<rcl::v1::RecordProviderAdjustmentRequest>(
      command, options, &rcl::v1::LedgerService::Stub::RecordProviderAdjustment);
}

absl::StatusOr<CommandResponse> Client::AdjustClaim(const rcl::v1::AdjustClaim& command,
                                                    const CommandOptions& options) {
  return Send<rcl::v1::AdjustClaimRequest>(command, options,
                                           &rcl::v1::LedgerService::Stub::AdjustClaim);
}

absl::StatusOr<CommandResponse> Client::WriteOffClaim(const rcl::v1::WriteOffClaim& command,
                                                      const CommandOptions& options) {
  return Send<rcl::v1::WriteOffClaimRequest>(command, options,
                                             &rcl::v1::LedgerService::Stub::WriteOffClaim);
}

absl::StatusOr<CommandResponse> Client::FileAppeal(const rcl::v1::FileAppeal& command,
                                                   const CommandOptions& options) {
  return Send<rcl::v1::FileAppealRequest>(command, options,
                                          &rcl::v1::LedgerService::Stub::FileAppeal);
}

absl::StatusOr<CommandResponse> Client::DecideAppeal(const rcl::v1::DecideAppeal& command,
                                                     const CommandOptions& options) {
  return Send<rcl::v1::DecideAppealRequest>(command, options,
                                            &rcl::v1::LedgerService::Stub::DecideAppeal);
}

absl::StatusOr<CommandResponse> Client::ReceivePatientPayment(
    const rcl::v1::ReceivePatientPayment& command, const CommandOptions& options) {
  return Send<rcl::v1::ReceivePatientPaymentRequest>(
      command, options, &rcl::v1::LedgerService::Stub::ReceivePatientPayment);
}

absl::StatusOr<CommandResponse> Client::IssuePatientStatement(
    const rcl::v1::IssuePatientStatement& command, const CommandOptions& options) {
  return Send<rcl::v1::IssuePatientStatementRequest>(
      command, options, &rcl::v1::LedgerService::Stub::IssuePatientStatement);
}

absl::StatusOr<CommandResponse> Client::RefundPatient(const rcl::v1::RefundPatient& command,
                                                      const CommandOptions& options) {
  return Send<rcl::v1::RefundPatientRequest>(command, options,
                                             &rcl::v1::LedgerService::Stub::RefundPatient);
}

absl::StatusOr<rcl::v1::CommandResponse> Client::AliasPayer(const rcl::v1::AliasPayer& command,
                                                            const CommandOptions& options) {
  return Send<rcl::v1::AliasPayerRequest>(command, options,
                                          &rcl::v1::LedgerService::Stub::AliasPayer);
}

absl::StatusOr<rcl::v1::CommandResponse> Client::ApplySuspendedPayment(
    const rcl::v1::ApplySuspendedPayment& command, const CommandOptions& options) {
  return Send<rcl::v1::ApplySuspendedPaymentRequest>(
      command, options, &rcl::v1::LedgerService::Stub::ApplySuspendedPayment);
}

absl::StatusOr<CommandResponse> Client::Execute(const rcl::v1::Command& command,
                                                const CommandOptions& options) {
  switch (command.kind_case()) {
    case rcl::v1::Command::kRegisterPatient:
      return RegisterPatient(command.register_patient(), options);
    case rcl::v1::Command::kAddCoverage: return AddCoverage(command.add_coverage(), options);
    case rcl::v1::Command::kEndCoverage: return EndCoverage(command.end_coverage(), options);
    case rcl::v1::Command::kOpenEncounter: return OpenEncounter(command.open_encounter(), options);
    case rcl::v1::Command::kRecordDiagnoses:
      return RecordDiagnoses(command.record_diagnoses(), options);
    case rcl::v1::Command::kRecordCharge: return RecordCharge(command.record_charge(), options);
    case rcl::v1::Command::kVoidCharge: return VoidCharge(command.void_charge(), options);
    case rcl::v1::Command::kCompleteCoding:
      return CompleteCoding(command.complete_coding(), options);
    case rcl::v1::Command::kCreateClaim: return CreateClaim(command.create_claim(), options);
    case rcl::v1::Command::kScrubClaim: return ScrubClaim(command.scrub_claim(), options);
    case rcl::v1::Command::kSubmitClaim: return SubmitClaim(command.submit_claim(), options);
    case rcl::v1::Command::kAcknowledgeClaim:
      return AcknowledgeClaim(command.acknowledge_claim(), options);
    case rcl::v1::Command::kReplaceClaim: return ReplaceClaim(command.replace_claim(), options);
    case rcl::v1::Command::kVoidClaim: return VoidClaim(command.void_claim(), options);
    case rcl::v1::Command::kRecordRemittance:
      return RecordRemittance(command.record_remittance(), options);
    case rcl::v1::Command::kAdjudicateClaim:
      return AdjudicateClaim(command.adjudicate_claim(), options);
    case rcl::v1::Command::kReverseAdjudication:
      return ReverseAdjudication(command.reverse_adjudication(), options);
    case rcl::v1::Command::kRecordProviderAdjustment:
      return RecordProviderAdjustment(command.record_provider_adjustment(), options);
    case rcl::v1::Command::kAdjustClaim: return AdjustClaim(command.adjust_claim(), options);
    case rcl::v1::Command::kWriteOffClaim: return WriteOffClaim(command.write_off_claim(), options);
    case rcl::v1::Command::kFileAppeal: return FileAppeal(command.file_appeal(), options);
    case rcl::v1::Command::kDecideAppeal: return DecideAppeal(command.decide_appeal(), options);
    case rcl::v1::Command::kReceivePatientPayment:
      return ReceivePatientPayment(command.receive_patient_payment(), options);
    case rcl::v1::Command::kIssuePatientStatement:
      return IssuePatientStatement(command.issue_patient_statement(), options);
    case rcl::v1::Command::kRefundPatient: return RefundPatient(command.refund_patient(), options);
    case rcl::v1::Command::kAliasPayer: return AliasPayer(command.alias_payer(), options);
    case rcl::v1::Command::kApplySuspendedPayment:
      return ApplySuspendedPayment(command.apply_suspended_payment(), options);
    case rcl::v1::Command::kImportRemittanceFile:
    case rcl::v1::Command::kRecordClaimExport:
      return absl::UnimplementedError("this command has its own client method");
    case rcl::v1::Command::KIND_NOT_SET:
      return rcl::InvalidField("command", "no command kind is set");
      // No default: a command kind this switch forgets fails to compile.
  }
  return absl::UnimplementedError(
      absl::StrCat("this client has no RPC for command kind ", command.kind_case()));
}

absl::StatusOr<rcl::v1::ClaimView> Client::GetClaim(const std::string& claim_id,
                                                    uint64_t as_of_position) {
  rcl::v1::GetClaimRequest request;
  request.set_tenant(options_.tenant);
  request.set_claim_id(claim_id);
  request.set_as_of_position(as_of_position);
  rcl::v1::ClaimView response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = ledger_->GetClaim(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

std::unique_ptr<CommandStream> Client::OpenCommandStream() {
  return std::make_unique<CommandStream>(ledger_.get(), NewContext(/*with_deadline=*/false),
                                         options_.tenant);
}

absl::StatusOr<rcl::v1::ReadStreamResponse> Client::ReadStream(rcl::v1::ReadStreamRequest request) {
  if (request.tenant().empty()) request.set_tenant(options_.tenant);
  rcl::v1::ReadStreamResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = log_->ReadStream(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::ReadAllResponse> Client::ReadAll(rcl::v1::ReadAllRequest request) {
  if (request.tenant().empty()) request.set_tenant(options_.tenant);
  rcl::v1::ReadAllResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = log_->ReadAll(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::HeadResponse> Client::Head() {
  rcl::v1::HeadRequest request;
  rcl::v1::HeadResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = log_->Head(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::VerifyResponse> Client::Verify(uint64_t from_position,
                                                       uint64_t to_position) {
  rcl::v1::VerifyRequest request;
  request.set_from_position(from_position);
  request.set_to_position(to_position);
  rcl::v1::VerifyResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = log_->Verify(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::DigestResponse> Client::Digest(uint64_t position) {
  rcl::v1::DigestRequest request;
  request.set_position(position);
  rcl::v1::DigestResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = log_->Digest(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<std::unique_ptr<Subscription>> Client::Subscribe(rcl::v1::SubscribeRequest request) {
  if (request.tenant().empty()) request.set_tenant(options_.tenant);
  std::unique_ptr<Subscription> subscription(new Subscription());
  subscription->context_ = NewContext(/*with_deadline=*/false);
  subscription->reader_ = log_->Subscribe(subscription->context_.get(), request);
  if (subscription->reader_ == nullptr) return absl::InternalError("could not start Subscribe");
  return subscription;
}

absl::StatusOr<std::vector<rcl::v1::Event>> Client::ReadWholeStream(const std::string& stream) {
  std::vector<rcl::v1::Event> events;
  rcl::v1::ReadStreamRequest request;
  request.set_stream(stream);
  request.set_limit(kStreamPageMax);
  while (true) {
    absl::StatusOr<rcl::v1::ReadStreamResponse> page = ReadStream(request);
    if (!page.ok()) return page.status();
    for (rcl::v1::Event& e : *page->mutable_events()) events.push_back(std::move(e));
    if (page->end_of_stream() || page->events().empty()) break;
    request.set_from_version(page->next_version());
  }
  return events;
}

// ---------------------------------------------------------------------------
// ReportService.

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> Client::Report(Request request, Method method) {
  if (request.tenant().empty()) request.set_tenant(options_.tenant);
  Response response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = (reports_.get()->*method)(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::BalancesResponse> Client::Balances(rcl::v1::BalancesRequest request) {
  return Report<rcl::v1::BalancesRequest, rcl::v1::BalancesResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::Balances);
}

absl::StatusOr<rcl::v1::TrialBalanceResponse> Client::TrialBalance(
    rcl::v1::TrialBalanceRequest request) {
  return Report<rcl::v1::TrialBalanceRequest, rcl::v1::TrialBalanceResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::TrialBalance);
}

absl::StatusOr<rcl::v1::ArAgingResponse> Client::ArAging(rcl::v1::ArAgingRequest request) {
  return Report<rcl::v1::ArAgingRequest, rcl::v1::ArAgingResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::ArAging);
}

absl::StatusOr<rcl::v1::DenialsResponse> Client::Denials(rcl::v1::DenialsRequest request) {
  return Report<rcl::v1::DenialsRequest, rcl::v1::DenialsResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::Denials);
}

absl::StatusOr<rcl::v1::AppealsDueResponse> Client::AppealsDue(rcl::v1::AppealsDueRequest request) {
  return Report<rcl::v1::AppealsDueRequest, rcl::v1::AppealsDueResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::AppealsDue);
}

absl::StatusOr<rcl::v1::NoResponseResponse> Client::NoResponse(rcl::v1::NoResponseRequest request) {
  return Report<rcl::v1::NoResponseRequest, rcl::v1::NoResponseResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::NoResponse);
}

absl::StatusOr<rcl::v1::StatementsDueResponse> Client::StatementsDue(
    rcl::v1::StatementsDueRequest request) {
  return Report<rcl::v1::StatementsDueRequest, rcl::v1::StatementsDueResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::StatementsDue);
}

absl::StatusOr<rcl::v1::HistoryResponse> Client::History(rcl::v1::HistoryRequest request) {
  return Report<rcl::v1::HistoryRequest, rcl::v1::HistoryResponse>(
      std::move(request), &rcl::v1::ReportService::Stub::History);
}

absl::StatusOr<rcl::v1::ProjectionStatusResponse> Client::ProjectionStatus() {
  rcl::v1::ProjectionStatusRequest request;
  rcl::v1::ProjectionStatusResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = reports_->ProjectionStatus(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<rcl::v1::RebuildProjectionResponse> Client::RebuildProjection(
    const std::string& name) {
  rcl::v1::RebuildProjectionRequest request;
  request.set_name(name);
  rcl::v1::RebuildProjectionResponse response;
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  grpc::Status status = reports_->RebuildProjection(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace rcl::client
