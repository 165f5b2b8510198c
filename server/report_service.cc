#include "server/report_service.h"

#include "absl/strings/str_cat.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"
#include "projections/claims_projection.h"
#include "projections/claims_queries.h"
#include "projections/history_projection.h"
#include "projections/keys.h"
#include "projections/trial_balance.h"

namespace rcl::server {
namespace {

constexpr char kReportServiceName[] = "rcl.v1.ReportService";
constexpr ledger::StringRule kPageTokenRule{"page token", ledger::Charset::kAlnum,
                                            static_cast<int>(kPageTokenLengthMax)};
static_assert(projections::kReportPageMax <= 1000, "a report page stays within kReportReadBytes");

void CheckTenant(const std::string& tenant, Violations& v) {
  ledger::CheckString("tenant", tenant, ledger::kIdRule, ledger::Presence::kRequired, v);
}

void CheckDate(std::string_view field, const std::string& date, Violations& v) {
  if (date.empty()) return;
  if (!ledger::ParseCivilDate(date).ok())
    v.Add(std::string(field), "must be a calendar date YYYY-MM-DD");
}

void CheckDays(std::string_view field, uint32_t days, Violations& v) {
  if (days > kQueueDaysMax)
    v.Add(std::string(field), absl::StrCat("must be at most ", kQueueDaysMax, " days"));
}

void CheckPageToken(const std::string& token, Violations& v) {
  ledger::CheckString("page_token", token, kPageTokenRule, ledger::Presence::kOptional, v);
}

// The date a report is as of: the request's, or today (UTC).
std::string AsOf(const std::string& requested) {
  return requested.empty() ? projections::TodayUtc() : requested;
}

}  // namespace

ReportServiceImpl::ReportServiceImpl(projections::Runtime* runtime, const ledger::EventStore* log,
                                     WorkPool* reads, CallGate* gate)
    : runtime_(runtime), log_(log), reads_(reads), gate_(gate) {
  RegisterMethods();
}

void ReportServiceImpl::RegisterMethods() {
  RCL_REGISTER_UNARY(kReportServiceName, Balances, rcl::v1::BalancesRequest,
                     rcl::v1::BalancesResponse);
  RCL_REGISTER_UNARY(kReportServiceName, TrialBalance, rcl::v1::TrialBalanceRequest,
                     rcl::v1::TrialBalanceResponse);
  RCL_REGISTER_UNARY(kReportServiceName, ArAging, rcl::v1::ArAgingRequest,
                     rcl::v1::ArAgingResponse);
  RCL_REGISTER_UNARY(kReportServiceName, Denials, rcl::v1::DenialsRequest,
                     rcl::v1::DenialsResponse);
  RCL_REGISTER_UNARY(kReportServiceName, AppealsDue, rcl::v1::AppealsDueRequest,
                     rcl::v1::AppealsDueResponse);
  RCL_REGISTER_UNARY(kReportServiceName, NoResponse, rcl::v1::NoResponseRequest,
                     rcl::v1::NoResponseResponse);
  RCL_REGISTER_UNARY(kReportServiceName, StatementsDue, rcl::v1::StatementsDueRequest,
                     rcl::v1::StatementsDueResponse);
  RCL_REGISTER_UNARY(kReportServiceName, History, rcl::v1::HistoryRequest,
                     rcl::v1::HistoryResponse);
  RCL_REGISTER_UNARY(kReportServiceName, ProjectionStatus, rcl::v1::ProjectionStatusRequest,
                     rcl::v1::ProjectionStatusResponse);
  RCL_REGISTER_UNARY(kReportServiceName, RebuildProjection, rcl::v1::RebuildProjectionRequest,
                     rcl::v1::RebuildProjectionResponse);
}

grpc::ServerUnaryReactor* ReportServiceImpl::Balances(grpc::CallbackServerContext* ctx,
                                                      RequestPtr<rcl::v1::BalancesRequest> req,
                                                      rcl::v1::BalancesResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    ledger::CheckString("claim_id", req->claim_id(), ledger::kIdRule, ledger::Presence::kOptional,
                        v);
    ledger::CheckString("patient_id", req->patient_id(), ledger::kIdRule,
                        ledger::Presence::kOptional, v);
    ledger::CheckString("payer_id", req->payer_id(), ledger::kPayerIdRule,
                        ledger::Presence::kOptional, v);
    int scopes = !req->claim_id().empty() + !req->patient_id().empty() + !req->payer_id().empty();
    if (scopes > 1) v.Add("request", "name at most one of claim_id, patient_id and payer_id");
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kClaimsProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp, projections::QueryBalances(*reader, *req));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::TrialBalance(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::TrialBalanceRequest> req,
    rcl::v1::TrialBalanceResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    CheckDate("as_of_date", req->as_of_date(), v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kTrialBalanceProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp,
                         projections::QueryTrialBalance(*reader, req->tenant(), req->as_of_date()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::ArAging(grpc::CallbackServerContext* ctx,
                                                     RequestPtr<rcl::v1::ArAgingRequest> req,
                                                     rcl::v1::ArAgingResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    CheckDate("as_of_date", req->as_of_date(), v);
    CheckPageToken(req->page_token(), v);
    if (!rcl::v1::AgingBasis_IsValid(req->basis())) v.Add("basis", "unknown aging basis");
    if (!rcl::v1::AgingSide_IsValid(req->side())) v.Add("side", "unknown aging side");
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kClaimsProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp, projections::QueryAging(*reader, *req, AsOf(req->as_of_date())));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::Denials(grpc::CallbackServerContext* ctx,
                                                     RequestPtr<rcl::v1::DenialsRequest> req,
                                                     rcl::v1::DenialsResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    ledger::CheckString("payer_id", req->payer_id(), ledger::kPayerIdRule,
                        ledger::Presence::kOptional, v);
    ledger::CheckString("reason_code", req->reason_code(), ledger::kCarcRule,
                        ledger::Presence::kOptional, v);
    CheckPageToken(req->page_token(), v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kClaimsProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp, projections::QueryDenials(*reader, *req));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::AppealsDue(grpc::CallbackServerContext* ctx,
                                                        RequestPtr<rcl::v1::AppealsDueRequest> req,
                                                        rcl::v1::AppealsDueResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    CheckDays("within_days", req->within_days(), v);
    CheckDate("as_of_date", req->as_of_date(), v);
    CheckPageToken(req->page_token(), v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kClaimsProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp,
                         projections::QueryAppealsDue(*reader, *req, AsOf(req->as_of_date())));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::NoResponse(grpc::CallbackServerContext* ctx,
                                                        RequestPtr<rcl::v1::NoResponseRequest> req,
                                                        rcl::v1::NoResponseResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    CheckDays("days", req->days(), v);
    CheckDate("as_of_date", req->as_of_date(), v);
    CheckPageToken(req->page_token(), v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kClaimsProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp,
                         projections::QueryNoResponse(*reader, *req, AsOf(req->as_of_date())));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::StatementsDue(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::StatementsDueRequest> req,
    rcl::v1::StatementsDueResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    CheckDays("days", req->days(), v);
    CheckDate("as_of_date", req->as_of_date(), v);
    CheckPageToken(req->page_token(), v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kClaimsProjection, req->min_position()));
    RCL_ASSIGN_OR_RETURN(*resp,
                         projections::QueryStatementsDue(*reader, *req, AsOf(req->as_of_date())));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::History(grpc::CallbackServerContext* ctx,
                                                     RequestPtr<rcl::v1::HistoryRequest> req,
                                                     rcl::v1::HistoryResponse* resp) {
  return ScheduleRead(reads_, kReportReadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    CheckTenant(req->tenant(), v);
    if (req->kind() == rcl::v1::HISTORY_KIND_UNSPECIFIED ||
        !rcl::v1::HistoryKind_IsValid(req->kind())) {
      v.Add("kind", "must be claim, patient or remittance");
    }
    ledger::CheckString("id", req->id(), ledger::kIdRule, ledger::Presence::kRequired, v);
    CheckPageToken(req->page_token(), v);
    if (req->as_of_time_us() < 0) v.Add("as_of_time_us", "must not be before 1970");
    if (req->as_of_time_us() != 0 && req->as_of_position() != 0) {
      v.Add("as_of_time_us", "give as_of_position or as_of_time_us, not both");
    }
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(auto reader,
                         runtime_->Read(projections::kHistoryProjection, req->min_position()));
    if (req->as_of_time_us() != 0) {
      // The moment as a log position: the last event recorded by then.
      RCL_ASSIGN_OR_RETURN(uint64_t position, log_->LastPositionAtOrBefore(req->as_of_time_us(),
                                                                           reader->checkpoint()));
      if (position == 0) return absl::OkStatus();  // before the first event: nothing yet
      rcl::v1::HistoryRequest at = *req;
      at.set_as_of_time_us(0);
      at.set_as_of_position(position);
      RCL_ASSIGN_OR_RETURN(*resp, projections::QueryHistory(*reader, *log_, at));
      return absl::OkStatus();
    }
    if (req->as_of_position() > reader->checkpoint()) {
      return absl::OutOfRangeError(absl::StrCat(
          "as_of_position ", req->as_of_position(), " is past what the history has folded (",
          reader->checkpoint(), "); pass min_position to wait for it"));
    }
    RCL_ASSIGN_OR_RETURN(*resp, projections::QueryHistory(*reader, *log_, *req));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::ProjectionStatus(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::ProjectionStatusRequest> req,
    rcl::v1::ProjectionStatusResponse* resp) {
  return ScheduleRead(reads_, kReadOverheadBytes, resp, [this, resp]() -> absl::Status {
    resp->set_head(runtime_->head());
    for (const projections::ProjectionStatus& s : runtime_->Status()) {
      rcl::v1::ProjectionInfo* p = resp->add_projections();
      p->set_name(s.name);
      p->set_checkpoint(s.checkpoint);
      p->set_lag(s.lag);
      p->set_events_per_s(s.events_per_s);
      p->set_state_bytes(s.state_bytes);
      p->set_state(s.state);
      p->set_error(s.error);
      p->set_generation(s.generation);
      p->set_rebuilding(s.rebuilding);
      p->set_rebuild_checkpoint(s.rebuild_checkpoint);
      p->set_rebuild_target(s.rebuild_target);
    }
    return absl::OkStatus();
  });
}

// Creating the new copy's column family writes to disk: on the read pool.
grpc::ServerUnaryReactor* ReportServiceImpl::RebuildProjection(
    grpc::CallbackServerContext* ctx, RequestPtr<rcl::v1::RebuildProjectionRequest> req,
    rcl::v1::RebuildProjectionResponse* resp) {
  return ScheduleRead(reads_, kReadOverheadBytes, resp, [this, req, resp]() -> absl::Status {
    Violations v;
    ledger::CheckString("name", req->name(), ledger::kIdRule, ledger::Presence::kRequired, v);
    RCL_RETURN_IF_ERROR(v.ToStatus());
    RCL_ASSIGN_OR_RETURN(projections::RebuildStarted started, runtime_->Rebuild(req->name()));
    resp->set_generation(started.generation);
    resp->set_target(started.target);
    return absl::OkStatus();
  });
}

}  // namespace rcl::server
