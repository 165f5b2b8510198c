#include "server/services.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "ledger/replay.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"
#include "server/audit_service.h"
#include "server/batch_commands.h"
#include "server/command_stream.h"
#include "server/event_convert.h"
#include "server/import_stream.h"
#include "server/message_arena.h"
#include "server/request_decoding.h"
#include "server/status_mapping.h"
#include "server/unary_handlers.h"

namespace rcl::server {
namespace {

constexpr char kLogServiceName[] = "rcl.v1.LogService";
constexpr char kLedgerServiceName[] = "rcl.v1.LedgerService";
static_assert(kPrincipalNameLengthMax <= ledger::kEnvelopeStringSizeMax,
              "the ledger refuses longer actors");

uint32_t PageSize(uint32_t requested) {
  if (requested == 0) return kPageDefault;
  return std::min(requested, kPageMax);
}

void CheckTenant(const std::string& tenant, Violations& v) {
  ledger::CheckString("tenant", tenant, ledger::kIdRule, ledger::Presence::kRequired, v);
}

// ReadAll and Subscribe: the tenant and the optional filters.
absl::Status CheckFilteredRead(const std::string& tenant, const std::string& stream_prefix,
                               const google::protobuf::RepeatedPtrField<std::string>& event_types) {
  Violations v;
  CheckTenant(tenant, v);
  ledger::CheckString("stream_prefix", stream_prefix, ledger::kStreamNameRule,
                      ledger::Presence::kOptional, v);
  if (ledger::CheckCount("event_types", event_types.size(), 0, ledger::kEventTypeFiltersMax, v)) {
    for (int i = 0; i < event_types.size(); ++i) {
      ledger::CheckString(absl::StrCat("event_types[", i, "]"), event_types[i],
                          ledger::kEventTypeRule, ledger::Presence::kRequired, v);
    }
  }
  return v.ToStatus();
}

// A position argument past what exists. OUT_OF_RANGE rather than
// INVALID_ARGUMENT (Abseil's guidance): the same request may become valid
// once the log grows.
absl::Status PastTheHead(std::string_view field, uint64_t value, uint64_t head) {
  return absl::OutOfRangeError(
      absl::StrCat(AbslView(field), " ", value, " is past the head ", head));
}

// The first position a read from `from_position` considers must be at most
// head + 1 (where the next event will go); 0 means 1.
absl::Status CheckFromPosition(uint64_t from_position, uint64_t head) {
  if (from_position > head + 1) return PastTheHead("from_position", from_position, head);
  return absl::OkStatus();
}

using RejectedSubscription = RejectedWrite<rcl::v1::SubscribeResponse>;

}  // namespace

void ToCommandResponse(const ledger::CommandResult& r, rcl::v1::CommandResponse* out) {
  ToCommandResponse(ledger::CommandResult(r), out);
}

void ToCommandResponse(ledger::CommandResult&& r, rcl::v1::CommandResponse* out) {
  out->set_position(r.position);
  out->set_stream(std::move(r.stream));
  out->set_stream_version(r.stream_version);
  out->mutable_event_ids()->Reserve(static_cast<int>(r.event_ids.size()));
  for (auto& id : r.event_ids) out->add_event_ids(std::move(id));
  out->set_command_id(std::move(r.command_id));
}

LogServiceImpl::LogServiceImpl(ledger::Ledger* ledger, WorkPool* reads, SubscriptionHub* hub,
                               CallGate* gate)
    : ledger_(ledger), reads_(reads), hub_(hub), gate_(gate) {
  RegisterMethods();
}

void LogServiceImpl::RegisterMethods() {
  RCL_REGISTER_UNARY(kLogServiceName, ReadStream, rcl::v1::ReadStreamRequest,
                     rcl::v1::ReadStreamResponse);
  RCL_REGISTER_UNARY(kLogServiceName, ReadAll, rcl::v1::ReadAllRequest, rcl::v1::ReadAllResponse);
  RCL_REGISTER_UNARY(kLogServiceName, Head, rcl::v1::HeadRequest, rcl::v1::HeadResponse);
  RCL_REGISTER_UNARY(kLogServiceName, Verify, rcl::v1::VerifyRequest, rcl::v1::VerifyResponse);
  RCL_REGISTER_UNARY(kLogServiceName, Digest, rcl::v1::DigestRequest, rcl::v1::DigestResponse);
  MarkMethodCallback(
      MethodIndex(kLogServiceName, "Subscribe"),
      AuthorizingStreamHandler<rcl::v1::SubscribeRequest, rcl::v1::SubscribeResponse>(
          gate_, absl::StrCat(kLogServiceName, "/Subscribe"),
          [this](grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::SubscribeRequest> req,
                 const Caller& caller) { return Subscribe(ctx, std::move(req), caller); }));
}

grpc::ServerUnaryReactor* LogServiceImpl::OnReadPool(size_t bytes,
                                                     const google::protobuf::Message* resp,
                                                     std::function<absl::Status()> work) {
  return ScheduleRead(reads_, bytes, resp, std::move(work));
}

grpc::ServerUnaryReactor* LogServiceImpl::ReadStream(grpc::CallbackServerContext* ctx,
                                                     RequestPtr<rcl::v1::ReadStreamRequest> req,
                                                     rcl::v1::ReadStreamResponse* resp) {
  return OnReadPool(
      PageReadBytesMax(PageSize(req->limit())), resp, [this, req, resp]() -> absl::Status {
        Violations v;
        CheckTenant(req->tenant(), v);
        ledger::CheckString("stream", req->stream(), ledger::kStreamNameRule,
                            ledger::Presence::kRequired, v);
        RCL_RETURN_IF_ERROR(v.ToStatus());
        const ledger::EventStore& store = ledger_->store();
        RCL_ASSIGN_OR_RETURN(int64_t last, store.StreamLastVersion(req->tenant(), req->stream()));
        resp->set_stream_version(last);
        // Forward, a read may start right after the last version (nothing yet);
        // backward, at most at the last version.
        uint64_t from_max = req->backward() ? static_cast<uint64_t>(std::max<int64_t>(last, 0))
                                            : static_cast<uint64_t>(last + 1);
        if (req->has_from_version() && req->from_version() > from_max) {
          return absl::OutOfRangeError(absl::StrCat("from_version ", req->from_version(),
                                                    " is past the stream's last version ", last));
        }
        uint64_t from = req->has_from_version() ? req->from_version()
                        : req->backward()       ? from_max
                                                : 0;
        uint32_t limit = PageSize(req->limit());
        RCL_ASSIGN_OR_RETURN(auto events, store.ReadStream(req->tenant(), req->stream(), from,
                                                           req->backward(), limit, kPageBytesMax));
        for (const auto& e : events) ToApiEvent(e, resp->add_events());
        // A page is short at the end of the stream, or when it reached
        // kPageBytesMax; the versions say which.
        if (req->backward()) {
          bool more = !events.empty() && events.back().version > 0;
          resp->set_end_of_stream(!more);
          if (more) resp->set_next_version(events.back().version - 1);
        } else {
          bool more = !events.empty() && static_cast<int64_t>(events.back().version) < last;
          resp->set_end_of_stream(!more);
          if (more) resp->set_next_version(events.back().version + 1);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LogServiceImpl::ReadAll(grpc::CallbackServerContext* ctx,
                                                  RequestPtr<rcl::v1::ReadAllRequest> req,
                                                  rcl::v1::ReadAllResponse* resp) {
  // The request's shape is checked before the read is queued (a queued read
  // holds its request).
  absl::Status shape = CheckFilteredRead(req->tenant(), req->stream_prefix(), req->event_types());
  if (!shape.ok()) return Refuse(ctx, shape);
  return OnReadPool(
      PageReadBytesMax(PageSize(req->limit())), resp, [this, req, resp]() -> absl::Status {
        uint64_t head = ledger_->head().position;
        RCL_RETURN_IF_ERROR(CheckFromPosition(req->from_position(), head));
        EventFilter filter{
            req->tenant(), req->stream_prefix(),
            std::vector<std::string>(req->event_types().begin(), req->event_types().end())};
        uint64_t from = std::max<uint64_t>(req->from_position(), 1);
        uint32_t limit = PageSize(req->limit());
        uint64_t scanned_to = from - 1;
        size_t page_bytes = 0;
        // The tenant's own index: the read costs what the tenant holds.
        RCL_RETURN_IF_ERROR(ledger_->store().ScanTenant(
            req->tenant(), from, head, kReadAllScanMax,
            [&](const ledger::EventRecord& e) {
              if (filter.Matches(e)) {
                ToApiEvent(e, resp->add_events());
                page_bytes += resp->events(resp->events_size() - 1).ByteSizeLong();
              }
              return resp->events_size() < static_cast<int>(limit) && page_bytes < kPageBytesMax;
            },
            &scanned_to));
        resp->set_next_position(scanned_to + 1);
        resp->set_head_position(head);
        resp->set_end_of_log(scanned_to >= head);
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<rcl::v1::SubscribeResponse>* LogServiceImpl::Subscribe(
    grpc::CallbackServerContext* /*ctx*/, RequestPtr<rcl::v1::SubscribeRequest> req,
    const Caller& /*caller*/) {
  absl::Status checked = CheckFilteredRead(req->tenant(), req->stream_prefix(), req->event_types());
  if (checked.ok()) checked = CheckFromPosition(req->from_position(), ledger_->head().position);
  if (!checked.ok()) return new RejectedSubscription(checked);
  return hub_->Start(*req);
}

grpc::ServerUnaryReactor* LogServiceImpl::Head(grpc::CallbackServerContext* ctx,
                                               RequestPtr<rcl::v1::HeadRequest> req,
                                               rcl::v1::HeadResponse* resp) {
  if (!req->tenant().empty()) {
    Violations v;
    CheckTenant(req->tenant(), v);
    if (!v.empty()) return Refuse(ctx, v.ToStatus());
    return OnReadPool(kReadOverheadBytes, resp, [this, req, resp]() -> absl::Status {
      return TenantHead(ledger_->store(), req->tenant(), resp);
    });
  }
  ledger::LogHead head = ledger_->head();  // in memory: no disk
  resp->set_position(head.position);
  resp->set_hash(ledger::HashHex(head.hash));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* LogServiceImpl::Verify(grpc::CallbackServerContext* ctx,
                                                 RequestPtr<rcl::v1::VerifyRequest> req,
                                                 rcl::v1::VerifyResponse* resp) {
  if (!req->tenant().empty()) {
    Violations v;
    CheckTenant(req->tenant(), v);
    if (!v.empty()) return Refuse(ctx, v.ToStatus());
    return OnReadPool(kVerifyReadBytes, resp, [this, req, resp]() -> absl::Status {
      return TenantVerify(ledger_->store(), *req, resp);
    });
  }
  return OnReadPool(kVerifyReadBytes, resp, [this, req, resp]() -> absl::Status {
    uint64_t head = ledger_->head().position;
    uint64_t from = std::max<uint64_t>(req->from_position(), 1);
    if (req->to_position() != 0 && req->to_position() < from) {
      return InvalidField("to_position", "must not be before from_position");
    }
    if (req->to_position() > head) return PastTheHead("to_position", req->to_position(), head);
    if (from > head) return PastTheHead("from_position", from, head);
    uint64_t to = req->to_position() == 0 ? head : req->to_position();
    RCL_ASSIGN_OR_RETURN(ledger::VerifyResult r, ledger_->store().Verify(from, to));
    resp->set_ok(r.ok);
    resp->set_from_position(r.from_position);
    resp->set_to_position(r.to_position);
    resp->set_events_checked(r.events_checked);
    resp->set_first_bad_position(r.first_bad_position);
    resp->set_error(r.error);
    if (r.ok) resp->set_hash_at_to(ledger::HashHex(r.hash_at_to));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LogServiceImpl::Digest(grpc::CallbackServerContext* ctx,
                                                 RequestPtr<rcl::v1::DigestRequest> req,
                                                 rcl::v1::DigestResponse* resp) {
  if (!req->tenant().empty()) {
    Violations v;
    CheckTenant(req->tenant(), v);
    if (!v.empty()) return Refuse(ctx, v.ToStatus());
    return OnReadPool(kDigestReadBytes, resp, [this, req, resp]() -> absl::Status {
      return TenantDigest(ledger_->store(), *req, resp);
    });
  }
  return OnReadPool(kDigestReadBytes, resp, [this, req, resp]() -> absl::Status {
    ledger::LogHead head = ledger_->head();
    resp->set_head_position(head.position);
    resp->set_head_hash(ledger::HashHex(head.hash));
    resp->set_taken_at_us(absl::ToUnixMicros(absl::Now()));
    if (req->position() == 0 || req->position() == head.position) {
      resp->set_position(head.position);
      resp->set_hash(ledger::HashHex(head.hash));
      return absl::OkStatus();
    }
    if (req->position() > head.position)
      return PastTheHead("position", req->position(), head.position);
    RCL_ASSIGN_OR_RETURN(ledger::EventRecord e, ledger_->store().ReadEvent(req->position()));
    resp->set_position(e.position);
    resp->set_hash(ledger::HashHex(e.hash));
    return absl::OkStatus();
  });
}

LedgerServiceImpl::LedgerServiceImpl(ledger::Ledger* ledger, WorkPool* reads, CallGate* gate,
                                     Export837Settings export_settings)
    : ledger_(ledger), reads_(reads), gate_(gate), export_settings_(std::move(export_settings)) {
  RegisterMethods();
}

void LedgerServiceImpl::RegisterMethods() {
// A command's request is decoded on an arena its ledger request then holds
// (RCL_COMMAND_RPC_IMPL below).
#define RCL_REGISTER_COMMAND(Name)                                           \
  RCL_REGISTER_UNARY_WRITE(kLedgerServiceName, Name, rcl::v1::Name##Request, \
                           rcl::v1::CommandResponse, MessageArenas::kCommand)
  RCL_REGISTER_COMMAND(RegisterPatient);
  RCL_REGISTER_COMMAND(AddCoverage);
  RCL_REGISTER_COMMAND(EndCoverage);
  RCL_REGISTER_COMMAND(OpenEncounter);
  RCL_REGISTER_COMMAND(RecordDiagnoses);
  RCL_REGISTER_COMMAND(RecordCharge);
  RCL_REGISTER_COMMAND(VoidCharge);
  RCL_REGISTER_COMMAND(CompleteCoding);
  RCL_REGISTER_COMMAND(CreateClaim);
  RCL_REGISTER_COMMAND(ScrubClaim);
  RCL_REGISTER_COMMAND(SubmitClaim);
  RCL_REGISTER_COMMAND(AcknowledgeClaim);
  RCL_REGISTER_COMMAND(ReplaceClaim);
  RCL_REGISTER_COMMAND(VoidClaim);
  RCL_REGISTER_COMMAND(RecordRemittance);
  RCL_REGISTER_COMMAND(AdjudicateClaim);
  RCL_REGISTER_COMMAND(ReverseAdjudication);
  RCL_REGISTER_COMMAND(RecordProviderAdjustment);
  RCL_REGISTER_COMMAND(AdjustClaim);
  RCL_REGISTER_COMMAND(WriteOffClaim);
  RCL_REGISTER_COMMAND(FileAppeal);
  RCL_REGISTER_COMMAND(DecideAppeal);
  RCL_REGISTER_COMMAND(ReceivePatientPayment);
  RCL_REGISTER_COMMAND(IssuePatientStatement);
  RCL_REGISTER_COMMAND(RefundPatient);
  RCL_REGISTER_COMMAND(AliasPayer);
  RCL_REGISTER_COMMAND(ApplySuspendedPayment);
#undef RCL_REGISTER_COMMAND
  RCL_REGISTER_UNARY(kLedgerServiceName, GetClaim, rcl::v1::GetClaimRequest, rcl::v1::ClaimView);
  RCL_REGISTER_UNARY_WRITE(kLedgerServiceName, ImportRemittanceFile,
                           rcl::v1::ImportRemittanceFileRequest,
                           rcl::v1::ImportRemittanceFileResponse, MessageArenas::kNone);
  MarkMethodCallback(
      MethodIndex(kLedgerServiceName, "ImportRemittanceFileStream"),
      AuthorizingStreamHandler<rcl::v1::ImportRemittanceFileRequest,
                               rcl::v1::ImportRemittanceFileStreamResponse>(
          gate_, absl::StrCat(kLedgerServiceName, "/ImportRemittanceFileStream"),
          [this](grpc::CallbackServerContext*, RequestPtr<rcl::v1::ImportRemittanceFileRequest> req,
                 const Caller& caller) {
            return StartImportStream(ledger_, reads_, std::move(req), caller);
          }));
  RCL_REGISTER_UNARY_WRITE(kLedgerServiceName, ExportClaims837, rcl::v1::ExportClaims837Request,
                           rcl::v1::ExportClaims837Response, MessageArenas::kNone);
  // Its request (the commands) and its answer (a result per command) are
  // each on an arena (NewRequest, ArenaResponses; ledger/held_command.h).
  RCL_REGISTER_UNARY_WRITE(kLedgerServiceName, ExecuteBatch, rcl::v1::ExecuteBatchRequest,
                           rcl::v1::ExecuteBatchResponse, MessageArenas::kBatch);
  MarkMethodCallback(MethodIndex(kLedgerServiceName, "CommandStream"),
                     CommandStreamHandler(gate_, ledger_));
}

#undef RCL_REGISTER_UNARY
#undef RCL_REGISTER_UNARY_WRITE

grpc::ServerUnaryReactor* LedgerServiceImpl::Execute(grpc::CallbackServerContext* ctx,
                                                     const Caller& caller,
                                                     rcl::v1::CommandContext&& context,
                                                     ledger::HeldCommand command,
                                                     rcl::v1::CommandResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  ledger::CommandRequest request = FromContext(std::move(context), caller);
  request.command = std::move(command);
  absl::Status queued =
      ledger_->Submit(std::move(request), [reactor, resp](absl::StatusOr<ledger::CommandResult> r) {
        if (!r.ok()) {
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        ToCommandResponse(*std::move(r), resp);
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

// The request is this call's alone and read no more: its parts move. It
// lives on an arena (RCL_REGISTER_COMMAND): the ledger's command is made
// there too, the request's part swapped in without a copy, and the ledger's
// request holds the arena.
#define RCL_COMMAND_RPC_IMPL(Name, field)                                                      \
  grpc::ServerUnaryReactor* LedgerServiceImpl::Name(                                           \
      grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::Name##Request> req,                \
      rcl::v1::CommandResponse* resp, const Caller& caller) {                                  \
    RCL_CHECK(req->GetArena() != nullptr) << "a command's request is decoded on an arena";     \
    auto* command = google::protobuf::Arena::CreateMessage<rcl::v1::Command>(req->GetArena()); \
    command->mutable_##field()->Swap(req->mutable_command());                                  \
    const size_t share = ArenaShareBytes(*req, 1);                                             \
    return Execute(ctx, caller, std::move(*req->mutable_context()),                            \
                   ledger::HeldCommand(req, command, share), resp);                            \
  }
RCL_COMMAND_RPC_IMPL(RegisterPatient, register_patient)
RCL_COMMAND_RPC_IMPL(AddCoverage, add_coverage)
RCL_COMMAND_RPC_IMPL(EndCoverage, end_coverage)
RCL_COMMAND_RPC_IMPL(OpenEncounter, open_encounter)
RCL_COMMAND_RPC_IMPL(RecordDiagnoses, record_diagnoses)
RCL_COMMAND_RPC_IMPL(RecordCharge, record_charge)
RCL_COMMAND_RPC_IMPL(VoidCharge, void_charge)
RCL_COMMAND_RPC_IMPL(CompleteCoding, complete_coding)
RCL_COMMAND_RPC_IMPL(CreateClaim, create_claim)
RCL_COMMAND_RPC_IMPL(ScrubClaim, scrub_claim)
RCL_COMMAND_RPC_IMPL(SubmitClaim, submit_claim)
RCL_COMMAND_RPC_IMPL(AcknowledgeClaim, acknowledge_claim)
RCL_COMMAND_RPC_IMPL(ReplaceClaim, replace_claim)
RCL_COMMAND_RPC_IMPL(VoidClaim, void_claim)
RCL_COMMAND_RPC_IMPL(RecordRemittance, record_remittance)
RCL_COMMAND_RPC_IMPL(AdjudicateClaim, adjudicate_claim)
RCL_COMMAND_RPC_IMPL(ReverseAdjudication, reverse_adjudication)
RCL_COMMAND_RPC_IMPL(RecordProviderAdjustment, record_provider_adjustment)
RCL_COMMAND_RPC_IMPL(AdjustClaim, adjust_claim)
RCL_COMMAND_RPC_IMPL(WriteOffClaim, write_off_claim)
RCL_COMMAND_RPC_IMPL(FileAppeal, file_appeal)
RCL_COMMAND_RPC_IMPL(DecideAppeal, decide_appeal)
RCL_COMMAND_RPC_IMPL(ReceivePatientPayment, receive_patient_payment)
RCL_COMMAND_RPC_IMPL(IssuePatientStatement, issue_patient_statement)
RCL_COMMAND_RPC_IMPL(RefundPatient, refund_patient)
RCL_COMMAND_RPC_IMPL(AliasPayer, alias_payer)
RCL_COMMAND_RPC_IMPL(ApplySuspendedPayment, apply_suspended_payment)
#undef RCL_COMMAND_RPC_IMPL

namespace {

std::string AppealOutcomeName(rcl::v1::AppealOutcome o) {
  switch (o) {
    case rcl::v1::APPEAL_OUTCOME_OVERTURNED: return "overturned";
    case rcl::v1::APPEAL_OUTCOME_UPHELD: return "upheld";
    case rcl::v1::APPEAL_OUTCOME_PARTIAL: return "partial";
    default: return "open";
  }
}

void ToClaimView(const ledger::ClaimState& c, rcl::v1::ClaimView* v) {
  v->set_claim_id(c.claim_id);
  v->set_status(std::string(ledger::ClaimStatusName(c.status)));
  v->set_encounter_id(c.encounter_id);
  v->set_patient_id(c.patient_id);
  v->set_coverage_id(c.coverage_id);
  v->set_payer_id(c.payer_id);
  v->set_rank(c.rank);
  v->set_frequency(c.frequency);
  v->set_original_claim_id(c.original_claim_id);
  v->set_payer_claim_number(c.payer_claim_number);
  v->set_date_of_service(c.date_of_service);
  v->set_charge_cents(c.charge_cents);
  v->set_opening_balance_cents(c.opening_balance_cents);
  v->set_payer_paid_cents(c.payer_paid_cents);
  v->set_contractual_cents(c.contractual_cents);
  v->set_other_adjustment_cents(c.other_adjustment_cents);
  v->set_patient_responsibility_cents(c.patient_responsibility_cents);
  v->set_transferred_cents(c.transferred_out_cents);
  v->set_transferred_in_cents(c.transferred_in_cents);
  v->set_patient_paid_cents(c.patient_paid_cents);
  v->set_written_off_cents(c.WrittenOff());
  v->set_moved_out_cents(c.moved_out_cents);
  v->set_payer_balance_cents(c.PayerBalance());
  v->set_patient_balance_cents(c.PatientBalance());
  v->set_denied_cents(c.denied_cents);
  v->set_denied(c.adjudication.has_value() && c.adjudication->denied);
  v->set_next_claim_id(c.NextClaimId());
  v->set_submissions(c.submissions);
  for (const auto& [number, line] : c.lines) {
    auto* l = v->add_lines();
    l->set_line_number(number);
    l->set_procedure_code(line.line.procedure_code());
    *l->mutable_modifiers() = line.line.modifiers();
    l->set_units(line.line.units());
    l->set_charge_cents(line.line.charge_cents());
    *l->mutable_diagnosis_pointers() = line.line.diagnosis_pointers();
    l->set_allowed_cents(line.amounts.allowed_cents);
    l->set_paid_cents(line.amounts.paid_cents);
    l->set_contractual_cents(line.amounts.contractual_cents);
    l->set_other_adjustment_cents(line.amounts.other_adjustment_cents);
    l->set_patient_responsibility_cents(line.amounts.patient_responsibility_cents);
    l->set_denied_cents(line.amounts.denied_cents);
  }
  for (const auto& [id, outcome] : c.appeals) {
    auto* a = v->add_appeals();
    a->set_appeal_id(id);
    a->set_outcome(AppealOutcomeName(outcome));
  }
}

}  // namespace

grpc::ServerUnaryReactor* LedgerServiceImpl::GetClaim(grpc::CallbackServerContext* ctx,
                                                      RequestPtr<rcl::v1::GetClaimRequest> req,
                                                      rcl::v1::ClaimView* resp) {
  auto work = [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    ledger::CheckString("claim_id", req->claim_id(), ledger::kIdRule, ledger::Presence::kRequired,
                        v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    uint64_t head = ledger_->head().position;
    if (req->as_of_position() > head)
      return PastTheHead("as_of_position", req->as_of_position(), head);
    uint64_t as_of = req->as_of_position() ? req->as_of_position() : head;
    RCL_ASSIGN_OR_RETURN(ledger::StreamState state,
                         ledger::LoadStreamState(ledger_->store(), req->tenant(),
                                                 ledger::ClaimStream(req->claim_id()), as_of));
    const auto* claim = std::get_if<ledger::ClaimState>(&state.aggregate);
    if (!state.exists() || claim == nullptr) {
      return absl::NotFoundError(absl::StrCat("claim ", req->claim_id(), " does not exist",
                                              req->as_of_position() ? " at that position" : ""));
    }
    ToClaimView(*claim, resp);
    resp->set_stream_version(state.version);
    resp->set_as_of_position(as_of);
    return absl::OkStatus();
  };
  return ScheduleRead(reads_, kGetClaimReadBytes, resp, std::move(work));
}

grpc::ServerUnaryReactor* LedgerServiceImpl::ImportRemittanceFile(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::ImportRemittanceFileRequest> req,
    rcl::v1::ImportRemittanceFileResponse* resp, const Caller& caller) {
  if (absl::Status size = CheckImportSize(*req); !size.ok()) return Refuse(ctx, size);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  ledger::CommandRequest request = ImportCommand(*req, caller);
  const std::string tenant = request.tenant;
  absl::Status queued = ledger_->Submit(
      std::move(request), [this, reactor, resp, tenant](absl::StatusOr<ledger::CommandResult> r) {
        if (!r.ok()) {
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        if (!r->preview.empty() || r->event_ids.empty()) {
          FillDryRunAnswer(*r, /*with_preview=*/true, resp);
          reactor->Finish(grpc::Status::OK);
          return;
        }
        ToCommandResponse(*r, resp->mutable_result());
        // The completer thread must not block: the summary (durable now) is
        // read on the read pool.
        const std::string stream = r->stream;
        const uint64_t position = r->position;
        bool queued =
            reads_->TrySchedule(kImportSummaryReadBytes,
                                [this, reactor, resp, tenant, stream](std::unique_ptr<ByteLease>) {
                                  absl::Status read = ReadImportSummary(
                                      ledger_->store(), tenant, stream, resp->mutable_summary());
                                  reactor->Finish(ToGrpcStatus(read));
                                });
        if (!queued) {
          reactor->Finish(ToGrpcStatus(absl::UnavailableError(absl::StrCat(
              "the file was imported (position ", position,
              ") but too many reads are in progress to answer with its summary; the same "
              "command id answers again"))));
        }
      });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

grpc::ServerUnaryReactor* LedgerServiceImpl::ExportClaims837(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::ExportClaims837Request> req,
    rcl::v1::ExportClaims837Response* resp, const Caller& caller) {
  Violations v;
  // The envelope checks the ledger makes (Ledger::ValidateRequest), before
  // any claim is read.
  const rcl::v1::CommandContext& ctx_fields = req->context();
  CheckTenant(ctx_fields.tenant(), v);
  ledger::CheckString("command_id", ctx_fields.command_id(), ledger::kIdRule,
                      ledger::Presence::kOptional, v);
  ledger::CheckString("correlation_id", ctx_fields.correlation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, v);
  ledger::CheckString("causation_id", ctx_fields.causation_id(), ledger::kTraceIdRule,
                      ledger::Presence::kOptional, v);
  if (req->claim_ids_size() == 0 || req->claim_ids_size() > kExportClaimsPerRequestMax) {
    v.Add("claim_ids", absl::StrCat("must hold 1 to ", kExportClaimsPerRequestMax, " claims"));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < req->claim_ids_size(); ++i) {
    const std::string field = absl::StrCat("claim_ids[", i, "]");
    ledger::CheckString(field, req->claim_ids(i), ledger::kIdRule, ledger::Presence::kRequired, v);
    if (!seen.insert(req->claim_ids(i)).second) v.Add(field, "is listed twice");
  }
  if (absl::Status st = v.ToStatus(); !st.ok()) return Refuse(ctx, st);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const std::string actor = caller.actor;
  // Read the claims on the read pool, then record the export through the
  // sequencer; the call finishes when the record is durable.
  bool queued = reads_->TrySchedule(kExportReadBytes, [this, reactor, req, resp,
                                                       actor](std::unique_ptr<ByteLease>) {
    const rcl::v1::CommandContext& context = req->context();
    const std::vector<std::string> ids(req->claim_ids().begin(), req->claim_ids().end());
    const absl::Time now = absl::Now();
    // Control numbers: the log head at export time, so that successive
    // exports of a server carry increasing numbers.
    const auto icn = static_cast<uint32_t>(ledger_->head().position % x12::kControlNumberMax + 1);
    absl::StatusOr<Export837> built = BuildExport837(ledger_->store(), context.tenant(), ids,
                                                     export_settings_, now, icn, req->test());
    if (!built.ok()) {
      reactor->Finish(ToGrpcStatus(built.status()));
      return;
    }
    resp->set_export_id(built->export_id);
    resp->set_file_sha256(built->file_sha256);
    resp->set_interchange_control_number(built->interchange_control_number);
    resp->set_exported_at_us(absl::ToUnixSeconds(now) * 1'000'000);
    resp->set_x12(std::move(built->x12));
    ledger::CommandRequest request;
    request.tenant = context.tenant();
    request.command_id = context.command_id();
    if (context.has_expected_version()) request.expected_version = context.expected_version();
    request.correlation_id = context.correlation_id();
    request.causation_id = context.causation_id();
    request.actor = actor;
    auto* record = request.command->mutable_record_claim_export();
    record->set_export_id(built->export_id);
    record->set_file_sha256(built->file_sha256);
    for (const std::string& id : ids) record->add_claim_ids(id);
    record->set_claim_count(static_cast<int64_t>(ids.size()));
    absl::Status submitted = ledger_->Submit(
        std::move(request), [reactor, resp](absl::StatusOr<ledger::CommandResult> r) {
          if (!r.ok()) {
            reactor->Finish(ToGrpcStatus(r.status()));
            return;
          }
          ToCommandResponse(*r, resp->mutable_result());
          reactor->Finish(grpc::Status::OK);
        });
    if (!submitted.ok()) reactor->Finish(ToGrpcStatus(submitted));
  });
  if (!queued) {
    reactor->Finish(
        ToGrpcStatus(absl::ResourceExhaustedError("too many reads in progress; retry later")));
  }
  return reactor;
}

}  // namespace rcl::server
