// The gRPC services: LogService (reads, subscriptions, verification) and
// LedgerService (commands). Thin: they check the request's shape, hand the
// work to the ledger (commands) or to the read pool (reads) and answer from
// there; no gRPC callback thread waits on disk.
//
// Every method is registered as a callback method that receives the raw
// request bytes and decodes them itself (server/request_decoding.h), so that
// a string field with invalid UTF-8 is INVALID_ARGUMENT naming the field
// rather than gRPC's UNIMPLEMENTED. The handlers below then get the decoded
// request, owned by a shared_ptr that lives as long as any work using it.
#ifndef RCL_SERVER_SERVICES_H_
#define RCL_SERVER_SERVICES_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>

#include "ledger/ledger.h"
#include "rcl/v1/api.grpc.pb.h"
#include "server/claim_export.h"
#include "server/subscriptions.h"
#include "server/unary_handlers.h"
#include "server/work_pool.h"

namespace rcl::server {

inline constexpr uint32_t kPageDefault = 100;
inline constexpr uint32_t kPageMax = 1000;
// ReadStream answers one page with one store read and says the stream ended
// when the page is short: a page larger than the store's would end it early.
static_assert(kPageMax <= ledger::kReadPageMax, "a server page must fit in one store read");
inline constexpr uint64_t kReadAllScanMax = 10'000;

// Memory limits of requests and reads (docs/API.md, "Memory limits").
// Largest request (kRequestBytesMax, unary_handlers.h): four times the
// largest event payload, room for any valid command.
static_assert(kRequestBytesMax >= 4 * ledger::kPayloadSizeMax,
              "a valid command must fit in a request");
// A ReadStream or ReadAll page ends after the event that brings its events'
// bytes to this (so a page can be short of `limit`).
inline constexpr size_t kPageBytesMax = 4 << 20;
// Worst case of one event in a response: the payload, ten envelope strings,
// two hex hashes and protobuf framing.
inline constexpr size_t kEventBytesMax =
    ledger::kPayloadSizeMax + 10 * ledger::kEnvelopeStringSizeMax + 256;
// A page's events are held up to three times while it is built and sent
// (store records, the response message, its serialized bytes).
inline constexpr size_t kPageCopies = 3;
// The worst-case bytes a page read of `limit` events holds.
constexpr size_t PageReadBytesMax(uint32_t limit) {
  size_t events = std::min<size_t>(size_t{limit} * kEventBytesMax, kPageBytesMax + kEventBytesMax);
  return kReadOverheadBytes + kPageCopies * events;
}
// Verify keeps a few words per event of its range (at most
// ledger::kVerifyEventsMax) besides one record at a time.
inline constexpr size_t kVerifyReadBytes = ledger::kVerifyEventsMax * 24 + kReadOverheadBytes;
// GetClaim folds one claim stream (a page of its events at a time) into a
// claim's state and view.
inline constexpr size_t kGetClaimReadBytes =
    PageReadBytesMax(static_cast<uint32_t>(ledger::kReadPageMax));
inline constexpr size_t kDigestReadBytes = kReadOverheadBytes;
// ExportClaims837 folds one claim, its encounter and a page of its patient's
// events at a time, and holds the file (about 2 KiB a claim).
inline constexpr size_t kExportReadBytes =
    3 * kGetClaimReadBytes + kExportClaimsPerRequestMax * 4096;

// The 835 import takes the whole file: its own bound, and gRPC's.
inline constexpr size_t kImportRequestBytesMax = ledger::kImportBytesMax + 64 * 1024;
template <>
struct RequestBytesMax<rcl::v1::ImportRemittanceFileRequest> {
  static constexpr size_t value = kImportRequestBytesMax;
};

// ExecuteBatch: at most ledger::kBatchCommandsMax commands, and this many
// request bytes in all (more: RESOURCE_EXHAUSTED, like any oversized request).
inline constexpr size_t kBatchRequestBytesMax = 4 << 20;
static_assert(kBatchRequestBytesMax <= kImportRequestBytesMax, "gRPC's receive bound is lower");
template <>
struct RequestBytesMax<rcl::v1::ExecuteBatchRequest> {
  static constexpr size_t value = kBatchRequestBytesMax;
};

// A written command's answer: where its events went. The second form moves
// the result's strings into the answer; the first copies them.
void ToCommandResponse(const ledger::CommandResult& r, rcl::v1::CommandResponse* out);
void ToCommandResponse(ledger::CommandResult&& r, rcl::v1::CommandResponse* out);

class LogServiceImpl final : public rcl::v1::LogService::Service {
 public:
  LogServiceImpl(ledger::Ledger* ledger, WorkPool* reads, SubscriptionHub* hub, CallGate* gate);

  grpc::ServerUnaryReactor* ReadStream(grpc::CallbackServerContext* ctx,
                                       RequestPtr<rcl::v1::ReadStreamRequest> req,
                                       rcl::v1::ReadStreamResponse* resp);
  grpc::ServerUnaryReactor* ReadAll(grpc::CallbackServerContext* ctx,
                                    RequestPtr<rcl::v1::ReadAllRequest> req,
                                    rcl::v1::ReadAllResponse* resp);
  grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::SubscribeRequest> req,
      const Caller& caller);
  grpc::ServerUnaryReactor* Head(grpc::CallbackServerContext* ctx,
                                 RequestPtr<rcl::v1::HeadRequest> req, rcl::v1::HeadResponse* resp);
  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* ctx,
                                   RequestPtr<rcl::v1::VerifyRequest> req,
                                   rcl::v1::VerifyResponse* resp);
  grpc::ServerUnaryReactor* Digest(grpc::CallbackServerContext* ctx,
                                   RequestPtr<rcl::v1::DigestRequest> req,
                                   rcl::v1::DigestResponse* resp);

 private:
  // Runs `work` on the read pool once `bytes` of the read budget are free,
  // and finishes the call with its status; the call holds what `resp` takes
  // from the budget until it is sent.
  grpc::ServerUnaryReactor* OnReadPool(size_t bytes, const google::protobuf::Message* resp,
                                       std::function<absl::Status()> work);
  // Registers every method as a raw-bytes callback method (see above).
  void RegisterMethods();

  ledger::Ledger* ledger_;
  WorkPool* reads_;
  SubscriptionHub* hub_;
  CallGate* gate_;
};

class LedgerServiceImpl final : public rcl::v1::LedgerService::Service {
 public:
  LedgerServiceImpl(ledger::Ledger* ledger, WorkPool* reads, CallGate* gate,
                    Export837Settings export_settings = {});

#define RCL_COMMAND_RPC(Name)                                            \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx,       \
                                 RequestPtr<rcl::v1::Name##Request> req, \
                                 rcl::v1::CommandResponse* resp, const Caller& caller);
  RCL_COMMAND_RPC(RegisterPatient)
  RCL_COMMAND_RPC(AddCoverage)
  RCL_COMMAND_RPC(EndCoverage)
  RCL_COMMAND_RPC(OpenEncounter)
  RCL_COMMAND_RPC(RecordDiagnoses)
  RCL_COMMAND_RPC(RecordCharge)
  RCL_COMMAND_RPC(VoidCharge)
  RCL_COMMAND_RPC(CompleteCoding)
  RCL_COMMAND_RPC(CreateClaim)
  RCL_COMMAND_RPC(ScrubClaim)
  RCL_COMMAND_RPC(SubmitClaim)
  RCL_COMMAND_RPC(AcknowledgeClaim)
  RCL_COMMAND_RPC(ReplaceClaim)
  RCL_COMMAND_RPC(VoidClaim)
  RCL_COMMAND_RPC(RecordRemittance)
  RCL_COMMAND_RPC(AdjudicateClaim)
  RCL_COMMAND_RPC(ReverseAdjudication)
  RCL_COMMAND_RPC(RecordProviderAdjustment)
  RCL_COMMAND_RPC(AdjustClaim)
  RCL_COMMAND_RPC(WriteOffClaim)
  RCL_COMMAND_RPC(FileAppeal)
  RCL_COMMAND_RPC(DecideAppeal)
  RCL_COMMAND_RPC(ReceivePatientPayment)
  RCL_COMMAND_RPC(IssuePatientStatement)
  RCL_COMMAND_RPC(RefundPatient)

  RCL_COMMAND_RPC(AliasPayer)
  RCL_COMMAND_RPC(ApplySuspendedPayment)
  // The 835 import; its streaming twin, ImportRemittanceFileStream, is
  // server/import_stream.h (registered in RegisterMethods).
  grpc::ServerUnaryReactor* ImportRemittanceFile(
      grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::ImportRemittanceFileRequest> req,
      rcl::v1::ImportRemittanceFileResponse* resp, const Caller& caller);
  grpc::ServerUnaryReactor* ExportClaims837(grpc::CallbackServerContext* ctx,
                                            RequestPtr<rcl::v1::ExportClaims837Request> req,
                                            rcl::v1::ExportClaims837Response* resp,
                                            const Caller& caller);
#undef RCL_COMMAND_RPC
  // server/execute_batch.cc. Authorizes every command as its own RPC would.
  grpc::ServerUnaryReactor* ExecuteBatch(grpc::CallbackServerContext* ctx,
                                         RequestPtr<rcl::v1::ExecuteBatchRequest> req,
                                         rcl::v1::ExecuteBatchResponse* resp, const Caller& caller);

  grpc::ServerUnaryReactor* GetClaim(grpc::CallbackServerContext* ctx,
                                     RequestPtr<rcl::v1::GetClaimRequest> req,
                                     rcl::v1::ClaimView* resp);

 private:
  void RegisterMethods();
  // Writes as `caller` (the actor of the events); the context's strings
  // move into the ledger's request.
  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* ctx, const Caller& caller,
                                    rcl::v1::CommandContext&& context, ledger::HeldCommand command,
                                    rcl::v1::CommandResponse* resp);
  ledger::Ledger* ledger_;
  WorkPool* reads_;
  CallGate* gate_;
  const Export837Settings export_settings_;  // the --x12-* flags (docs/API.md)
};

}  // namespace rcl::server

#endif  // RCL_SERVER_SERVICES_H_
