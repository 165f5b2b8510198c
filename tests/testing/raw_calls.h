// Raw (generic) streaming calls for tests that send bytes the typed stubs
// would not: one request message, then the first answer and the status.
// Header-only; used by the integration tests of bad and hard input.
#ifndef RCL_TESTS_TESTING_RAW_CALLS_H_
#define RCL_TESTS_TESTING_RAW_CALLS_H_

#include <optional>
#include <string>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "rcl/v1/api.pb.h"

namespace rcl::testing {

// What a one-message streaming call came back with.
struct OneMessageResult {
  grpc::Status status;        // the call's own status
  bool answered = false;      // a first message came back
  grpc::ByteBuffer response;  // that message (empty when none)
};

// Starts a streaming call of `method` ("/rcl.v1.LogService/Subscribe"),
// writes `request` as its one and last message, reads the first answer, and
// finishes the call (cancelling it first when it answered and
// `cancel_after_answer`), one operation at a time on its own queue.
inline OneMessageResult OneMessageCall(grpc::GenericStub* stub, grpc::ClientContext* context,
                                       const std::string& method, const grpc::ByteBuffer& request,
                                       bool cancel_after_answer) {
  grpc::CompletionQueue cq;
  auto call = stub->PrepareCall(context, method, &cq);
  OneMessageResult r;
  void* tag;
  bool ok;
  auto wait = [&cq, &tag, &ok] { return cq.Next(&tag, &ok) && ok; };
  call->StartCall(reinterpret_cast<void*>(1));
  if (wait()) {
    call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    if (wait()) {
      call->Read(&r.response, reinterpret_cast<void*>(3));
      r.answered = wait();
      if (r.answered && cancel_after_answer) context->TryCancel();
    }
  }
  call->Finish(&r.status, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return r;
}

// The status the first answer of a CommandStream response stands for (its
// result's code and message); nullopt when `response` holds no answer.
inline std::optional<grpc::Status> CommandStreamAnswerStatus(const grpc::ByteBuffer& response) {
  grpc::Slice bytes;
  rcl::v1::CommandStreamResponse answer;
  if (response.Length() == 0 || !response.DumpToSingleSlice(&bytes).ok() ||
      !answer.ParseFromArray(bytes.begin(), static_cast<int>(bytes.size())) ||
      answer.answers_size() == 0) {
    return std::nullopt;
  }
  const rcl::v1::BatchResult& first = answer.answers(0).result();
  return grpc::Status(static_cast<grpc::StatusCode>(first.code()), first.message());
}

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_RAW_CALLS_H_
