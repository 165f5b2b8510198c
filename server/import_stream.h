// The 835 import's two RPCs: ImportRemittanceFile (unary, services.cc) and
// ImportRemittanceFileStream (server streaming, here), which runs the same
// command with an ImportProgress the ledger fills (ledger/rules/commands.h)
// and sends how far it is while it runs, then the answer (docs/API.md,
// "ImportRemittanceFileStream").
//
// Threads of a stream (one ImportStream reactor per call):
//   - the ledger's sequencer thread writes the progress counters (atomics);
//   - a gRPC timer (grpc::Alarm) ticks every kImportProgressInterval on a
//     gRPC executor thread: it reads the counters and writes one progress
//     message when something moved and no write is in flight;
//   - the ledger's completer thread hands over the result (never blocks: a
//     written import's summary is read on the read pool, whose thread then
//     queues the answer);
//   - gRPC callback threads: OnWriteDone, OnCancel, OnDone.
// Every member the reactor changes is guarded by its mutex; StartWrite,
// Finish and setting the alarm happen outside it. The call finishes only
// once the ledger answered and no alarm is pending, so nothing touches the
// reactor after OnDone deletes it.
#ifndef RCL_SERVER_IMPORT_STREAM_H_
#define RCL_SERVER_IMPORT_STREAM_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ledger/ledger.h"
#include "rcl/v1/api.pb.h"
#include "server/authorizer.h"
#include "server/unary_handlers.h"
#include "server/work_pool.h"

namespace rcl::server {

// How often a stream may send progress (at most one message per interval).
inline constexpr absl::Duration kImportProgressInterval = absl::Milliseconds(250);
// Largest preview chunk a dry run's stream sends in one message (events'
// payloads; one event alone may pass it by at most ledger::kPayloadSizeMax).
inline constexpr size_t kImportStreamChunkBytesMax = size_t{1} << 20;
// Reading an import's summary holds one event of at most 64 KiB.
inline constexpr size_t kImportSummaryReadBytes = 2 * ledger::kPayloadSizeMax + kReadOverheadBytes;

// RESOURCE_EXHAUSTED when the file is larger than an import takes.
absl::Status CheckImportSize(const rcl::v1::ImportRemittanceFileRequest& req);

// The ledger command of an import request, written as `caller`.
ledger::CommandRequest ImportCommand(const rcl::v1::ImportRemittanceFileRequest& req,
                                     const Caller& caller);

// The summary an import wrote (on its file's stream, version 0).
absl::Status ReadImportSummary(const ledger::EventStore& store, const std::string& tenant,
                               const std::string& stream, rcl::v1::RemittanceFileImported* out);

// A dry run's answer: the summary (the last preview event) and, when
// `with_preview`, every previewed event.
void FillDryRunAnswer(const ledger::CommandResult& r, bool with_preview,
                      rcl::v1::ImportRemittanceFileResponse* resp);

// Starts the import of `req` as a stream; the reactor deletes itself.
grpc::ServerWriteReactor<rcl::v1::ImportRemittanceFileStreamResponse>* StartImportStream(
    ledger::Ledger* ledger, WorkPool* reads, RequestPtr<rcl::v1::ImportRemittanceFileRequest> req,
    const Caller& caller);

}  // namespace rcl::server

#endif  // RCL_SERVER_IMPORT_STREAM_H_
