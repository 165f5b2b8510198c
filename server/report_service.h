// ReportService (proto/rcl/v1/reports.proto): what reporting jobs read, from
// the projections (projections/runtime.h). Thin like the other services: it
// checks the request, then on the read pool waits (bounded) for the
// projection to reach min_position, takes one snapshot and runs the query
// (projections/claims_queries.h, projections/trial_balance.h).
#ifndef RCL_SERVER_REPORT_SERVICE_H_
#define RCL_SERVER_REPORT_SERVICE_H_

#include "ledger/storage/event_store.h"
#include "projections/runtime.h"
#include "rcl/v1/reports.grpc.pb.h"
#include "server/unary_handlers.h"
#include "server/work_pool.h"

namespace rcl::server {

// Days a work-queue request may look ahead or back.
inline constexpr uint32_t kQueueDaysMax = 3650;
// Longest page token a report accepts (hex of a key).
inline constexpr size_t kPageTokenLengthMax = 2048;
// Worst case a report holds while it is built and sent: a page of rows
// (kReportPageMax) or the aging rows of every key, and their copies.
inline constexpr size_t kReportReadBytes = size_t{8} << 20;

class ReportServiceImpl final : public rcl::v1::ReportService::Service {
 public:
  // `log` resolves as-of times to positions (History's as_of_time_us).
  ReportServiceImpl(projections::Runtime* runtime, const ledger::EventStore* log, WorkPool* reads,
                    CallGate* gate);

  grpc::ServerUnaryReactor* Balances(grpc::CallbackServerContext* ctx,
                                     RequestPtr<rcl::v1::BalancesRequest> req,
                                     rcl::v1::BalancesResponse* resp);
  grpc::ServerUnaryReactor* TrialBalance(grpc::CallbackServerContext* ctx,
                                         RequestPtr<rcl::v1::TrialBalanceRequest> req,
                                         rcl::v1::TrialBalanceResponse* resp);
  grpc::ServerUnaryReactor* ArAging(grpc::CallbackServerContext* ctx,
                                    RequestPtr<rcl::v1::ArAgingRequest> req,
                                    rcl::v1::ArAgingResponse* resp);
  grpc::ServerUnaryReactor* Denials(grpc::CallbackServerContext* ctx,
                                    RequestPtr<rcl::v1::DenialsRequest> req,
                                    rcl::v1::DenialsResponse* resp);
  grpc::ServerUnaryReactor* AppealsDue(grpc::CallbackServerContext* ctx,
                                       RequestPtr<rcl::v1::AppealsDueRequest> req,
                                       rcl::v1::AppealsDueResponse* resp);
  grpc::ServerUnaryReactor* NoResponse(grpc::CallbackServerContext* ctx,
                                       RequestPtr<rcl::v1::NoResponseRequest> req,
                                       rcl::v1::NoResponseResponse* resp);
  grpc::ServerUnaryReactor* StatementsDue(grpc::CallbackServerContext* ctx,
                                          RequestPtr<rcl::v1::StatementsDueRequest> req,
                                          rcl::v1::StatementsDueResponse* resp);
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* ctx,
                                    RequestPtr<rcl::v1::HistoryRequest> req,
                                    rcl::v1::HistoryResponse* resp);
  grpc::ServerUnaryReactor* ProjectionStatus(grpc::CallbackServerContext* ctx,
                                             RequestPtr<rcl::v1::ProjectionStatusRequest> req,
                                             rcl::v1::ProjectionStatusResponse* resp);
  grpc::ServerUnaryReactor* RebuildProjection(grpc::CallbackServerContext* ctx,
                                              RequestPtr<rcl::v1::RebuildProjectionRequest> req,
                                              rcl::v1::RebuildProjectionResponse* resp);

 private:
  void RegisterMethods();
  projections::Runtime* runtime_;
  const ledger::EventStore* log_;
  WorkPool* reads_;
  CallGate* gate_;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_REPORT_SERVICE_H_
