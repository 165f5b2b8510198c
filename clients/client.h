// rcl::client::Client: a small, thread-safe C++ client for the RCL gRPC API
// (rcl.v1.LedgerService, rcl.v1.LogService and rcl.v1.ReportService).
//
// Every call returns absl::Status / absl::StatusOr. gRPC errors keep their
// code and message; the field violations of a google.rpc.BadRequest detail
// are appended to the message ("...; violations: cpt: must be ...") and
// carried in the status payload used by rcl::Violations, so
// rcl::GetFieldViolations() (ledger/status.h) and FieldViolationsOf() work on
// client-side statuses.
//
//   rcl::client::Options options;
//   options.tenant = "acme";
//   RCL_ASSIGN_OR_RETURN(auto client, rcl::client::Client::Connect("127.0.0.1:50051", options));
//   rcl::v1::RegisterPatient cmd;
//   cmd.set_patient_id("P1");
//   ...
//   rcl::client::CommandOptions command_options;
//   command_options.command_id = "reg-P1";
//   absl::StatusOr<rcl::v1::CommandResponse> r = client->RegisterPatient(cmd, command_options);
//
// (GCC 12 with -Wextra warns about C++20 designated initializers that leave
// fields out, so set the fields of Options / CommandOptions one by one.)
#ifndef RCL_CLIENTS_CLIENT_H_
#define RCL_CLIENTS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "rcl/v1/admin.grpc.pb.h"
#include "rcl/v1/api.grpc.pb.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/audit.grpc.pb.h"
#include "rcl/v1/events.pb.h"
#include "rcl/v1/reports.grpc.pb.h"
#include "rcl/v1/reports.pb.h"

namespace rcl::client {

struct Options {
  // Tenant of every request (CommandContext.tenant, ReadAll/Subscribe tenant).
  std::string tenant = "default";
  // Deadline of each unary call; <= 0 means none. Subscribe has no deadline.
  int64_t deadline_ms = 30'000;
  // When > 0, Connect() waits this long for the channel to become ready and
  // fails with UNAVAILABLE otherwise. 0: connect lazily on the first call.
  int64_t connect_timeout_ms = 0;
  // gRPC wait-for-ready: calls queue while the server is unreachable (until
  // their deadline) instead of failing fast with UNAVAILABLE.
  bool wait_for_ready = false;
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string bearer_token;
  // Channel credentials; null means insecure (plaintext).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Largest response accepted (bytes).
  int max_receive_message_bytes = 64 << 20;
};

// Most commands of one ExecuteBatch call (the server's
// ledger::kBatchCommandsMax; tests/integration/batch_test.cc checks they agree).
inline constexpr size_t kBatchCommandsMax = 1000;

// Per-command envelope fields (rcl.v1.CommandContext minus the tenant).
struct CommandOptions {
  std::string command_id;                   // idempotency key; empty: server assigns
  std::optional<int64_t> expected_version;  // -1: the stream must not exist
  std::string correlation_id;
  std::string causation_id;
};

// TLS channel credentials from PEM files: `ca_cert` (the CA that signed
// the server's certificate; empty: the system's roots) and, for mutual TLS,
// `client_cert` with `client_key` (both or neither).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(
    const std::string& ca_cert, const std::string& client_cert, const std::string& client_key);

// Converts a gRPC status into an absl::Status with the same code and
// message, appending (and carrying as payload) the field violations of a
// google.rpc.BadRequest found in the binary error details.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The (field, description) pairs carried by a status returned by this
// library (or built by rcl::Violations); empty when there are none.
std::vector<std::pair<std::string, std::string>> FieldViolationsOf(const absl::Status& status);

// A live Subscribe call. Next() blocks until the server sends a batch, the
// call ends, or Cancel() is called (from any thread). After Next() returns
// false, Finish() gives the final status (CANCELLED after Cancel()).
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  bool Next(rcl::v1::SubscribeResponse* response);
  void Cancel();
  absl::Status Finish();
  bool cancelled() const;

 private:
  friend class Client;
  Subscription();

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<rcl::v1::SubscribeResponse>> reader_;
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ = false;
  absl::Status final_status_;
};

class CommandStream;  // clients/command_stream.h

class Client {
 public:
  // Creates a channel to `address` ("host:port", or any gRPC target).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(std::string address, Options options = {});
  // Uses an existing channel (e.g. an in-process one in tests).
  static std::unique_ptr<Client> FromChannel(std::shared_ptr<grpc::Channel> channel,
                                             Options options = {});

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  const std::string& tenant() const { return options_.tenant; }
  const Options& options() const { return options_; }

  // --- LedgerService: one method per RPC.
  absl::StatusOr<rcl::v1::CommandResponse> RegisterPatient(const rcl::v1::RegisterPatient& command,
                                                           const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> AddCoverage(const rcl::v1::AddCoverage& command,
                                                       const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> EndCoverage(const rcl::v1::EndCoverage& command,
                                                       const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> OpenEncounter(const rcl::v1::OpenEncounter& command,
                                                         const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> RecordDiagnoses(const rcl::v1::RecordDiagnoses& command,
                                                           const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> RecordCharge(const rcl::v1::RecordCharge& command,
                                                        const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> VoidCharge(const rcl::v1::VoidCharge& command,
                                                      const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> CompleteCoding(const rcl::v1::CompleteCoding& command,
                                                          const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> CreateClaim(const rcl::v1::CreateClaim& command,
                                                       const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> ScrubClaim(const rcl::v1::ScrubClaim& command,
                                                      const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> SubmitClaim(const rcl::v1::SubmitClaim& command,
                                                       const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> AcknowledgeClaim(
      const rcl::v1::AcknowledgeClaim& command, const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> ReplaceClaim(const rcl::v1::ReplaceClaim& command,
                                                        const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> VoidClaim(const rcl::v1::VoidClaim& command,
                                                     const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> RecordRemittance(
      const rcl::v1::RecordRemittance& command, const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> AdjudicateClaim(const rcl::v1::AdjudicateClaim& command,
                                                           const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> ReverseAdjudication(
      const rcl::v1::ReverseAdjudication& command, const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> RecordProviderAdjustment(
      const rcl::v1::RecordProviderAdjustment& command, const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> AdjustClaim(const rcl::v1::AdjustClaim& command,
                                                       const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> WriteOffClaim(const rcl::v1::WriteOffClaim& command,
                                                         const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> FileAppeal(const rcl::v1::FileAppeal& command,
                                                      const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> DecideAppeal(const rcl::v1::DecideAppeal& command,
                                                        const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> ReceivePatientPayment(
      const rcl::v1::ReceivePatientPayment& command, const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> IssuePatientStatement(
      const rcl::v1::IssuePatientStatement& command, const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> RefundPatient(const rcl::v1::RefundPatient& command,
                                                         const CommandOptions& options = {});
  // X12 (client_x12.cc): an 835 file posted whole (or decided only, with
  // dry_run), payer identifier aliases, suspense applied to a claim.
  absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> ImportRemittanceFile(
      const std::string& x12, bool dry_run, bool accept_imbalance,
      const CommandOptions& options = {});
  // The same through ImportRemittanceFileStream: `on_progress` (may be
  // empty) is called on this thread with each progress message the server
  // sends while the import runs; the answer is the unary call's (a dry run's
  // preview reassembled from its chunks).
  using ImportProgressCallback = std::function<void(const rcl::v1::ImportRemittanceProgress&)>;
  absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> ImportRemittanceFileStream(
      const std::string& x12, bool dry_run, bool accept_imbalance, const CommandOptions& options,
      const ImportProgressCallback& on_progress);
  absl::StatusOr<rcl::v1::CommandResponse> AliasPayer(const rcl::v1::AliasPayer& command,
                                                      const CommandOptions& options = {});
  absl::StatusOr<rcl::v1::CommandResponse> ApplySuspendedPayment(
      const rcl::v1::ApplySuspendedPayment& command, const CommandOptions& options = {});
  // An 837P interchange of `claim_ids`, the export recorded on each claim.
  absl::StatusOr<rcl::v1::ExportClaims837Response> ExportClaims837(
      const std::vector<std::string>& claim_ids, bool test, const CommandOptions& options = {});
  // Up to 1,000 commands in one call (docs/API.md, "ExecuteBatch"); a
  // command whose context has no tenant gets tenant(). One result per
  // command in the response; the call fails only when the batch as a whole
  // is refused (its shape, a permission, a full queue).
  absl::StatusOr<rcl::v1::ExecuteBatchResponse> ExecuteBatch(rcl::v1::ExecuteBatchRequest request);
  // A CommandStream call (clients/command_stream.h): many commands, one
  // message each, over one call shared by any number of threads. Errors
  // (an unreachable server included) come back per command.
  std::unique_ptr<CommandStream> OpenCommandStream();
  // Dispatches on the oneof; INVALID_ARGUMENT when no kind is set.
  absl::StatusOr<rcl::v1::CommandResponse> Execute(const rcl::v1::Command& command,
                                                   const CommandOptions& options = {});

  // A claim folded from its events (as of a log position when not 0).
  absl::StatusOr<rcl::v1::ClaimView> GetClaim(const std::string& claim_id,
                                              uint64_t as_of_position = 0);

  // --- LogService. An empty tenant in a request is filled with tenant().
  absl::StatusOr<rcl::v1::ReadStreamResponse> ReadStream(rcl::v1::ReadStreamRequest request);
  absl::StatusOr<rcl::v1::ReadAllResponse> ReadAll(rcl::v1::ReadAllRequest request);
  absl::StatusOr<rcl::v1::HeadResponse> Head();
  absl::StatusOr<rcl::v1::VerifyResponse> Verify(uint64_t from_position = 0,
                                                 uint64_t to_position = 0);
  absl::StatusOr<rcl::v1::DigestResponse> Digest(uint64_t position = 0);
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(rcl::v1::SubscribeRequest request);
  // The tenant's own log (tenant()): its head, a verification of tenant
  // sequences [from_seq, to_seq] (0 = 1 and its last), a digest at a tenant
  // sequence (0 = its last). In client_audit.cc.
  absl::StatusOr<rcl::v1::HeadResponse> TenantHead();
  absl::StatusOr<rcl::v1::VerifyResponse> TenantVerify(uint64_t from_seq = 0, uint64_t to_seq = 0);
  absl::StatusOr<rcl::v1::DigestResponse> TenantDigest(uint64_t tenant_seq = 0);

  // --- AuditService, for tenant() (client_audit.cc; audit_verify.h checks
  // what these return).
  absl::StatusOr<rcl::v1::SignedTreeHead> GetSignedTreeHead();
  // Proofs of `tenant_seqs` (at most 1,000) in the tree of `tree_size` (0 =
  // the current size).
  absl::StatusOr<rcl::v1::InclusionProofResponse> GetInclusionProof(
      const std::vector<uint64_t>& tenant_seqs, uint64_t tree_size = 0);
  absl::StatusOr<rcl::v1::ConsistencyProofResponse> GetConsistencyProof(uint64_t from_size,
                                                                        uint64_t to_size = 0);
  absl::StatusOr<rcl::v1::PublicKeyResponse> GetPublicKey();

  // Convenience: every event of `stream` (forward, paging until the end).
  absl::StatusOr<std::vector<rcl::v1::Event>> ReadWholeStream(const std::string& stream);

  // --- ReportService: one method per RPC. An empty tenant in a request is
  // filled with tenant(); requests carry min_position (read-your-writes) and
  // paging (limit, page_token) as reports.proto says.
  absl::StatusOr<rcl::v1::BalancesResponse> Balances(rcl::v1::BalancesRequest request);
  absl::StatusOr<rcl::v1::TrialBalanceResponse> TrialBalance(rcl::v1::TrialBalanceRequest request);
  absl::StatusOr<rcl::v1::ArAgingResponse> ArAging(rcl::v1::ArAgingRequest request);
  absl::StatusOr<rcl::v1::DenialsResponse> Denials(rcl::v1::DenialsRequest request);
  absl::StatusOr<rcl::v1::AppealsDueResponse> AppealsDue(rcl::v1::AppealsDueRequest request);
  absl::StatusOr<rcl::v1::NoResponseResponse> NoResponse(rcl::v1::NoResponseRequest request);
  absl::StatusOr<rcl::v1::StatementsDueResponse> StatementsDue(
      rcl::v1::StatementsDueRequest request);
  // Not per tenant: every projection of the server.
  absl::StatusOr<rcl::v1::HistoryResponse> History(rcl::v1::HistoryRequest request);
  absl::StatusOr<rcl::v1::ProjectionStatusResponse> ProjectionStatus();
  // Starts a rebuild beside the live copy and answers at once (NOT_FOUND: no
  // such projection; FAILED_PRECONDITION: a rebuild is already running).
  absl::StatusOr<rcl::v1::RebuildProjectionResponse> RebuildProjection(const std::string& name);

  // --- AdminService (client_admin.cc). A backup into `to` (a directory on
  // the server's machine); waits up to `deadline_ms` (0: none).
  absl::StatusOr<rcl::v1::BackupResponse> Backup(const std::string& to, int64_t deadline_ms);

 private:
  Client(std::shared_ptr<grpc::Channel> channel, Options options);

  std::unique_ptr<grpc::ClientContext> NewContext(bool with_deadline) const;
  rcl::v1::CommandContext MakeContext(const CommandOptions& options) const;

  template <typename Request, typename Command, typename Method>
  absl::StatusOr<rcl::v1::CommandResponse> Send(const Command& command,
                                                const CommandOptions& options, Method method);
  // One ReportService call whose request carries a tenant.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Report(Request request, Method method);

  Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rcl::v1::LedgerService::Stub> ledger_;
  std::unique_ptr<rcl::v1::LogService::Stub> log_;
  std::unique_ptr<rcl::v1::ReportService::Stub> reports_;
  std::unique_ptr<rcl::v1::AuditService::Stub> audit_;
};

}  // namespace rcl::client

#endif  // RCL_CLIENTS_CLIENT_H_
