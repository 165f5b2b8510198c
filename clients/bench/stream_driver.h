// rcl-bench's --mode stream: the slots' commands over one
// LedgerService.CommandStream call per driver thread (docs/API.md,
// "CommandStream"), on a grpc::CompletionQueue polled by that thread: one
// read always outstanding, one write at a time, each command tagged with its
// slot's index. The commands that follow one message of answers go out
// together, in one message (up to 64), as an application with many clerks
// on one stream would send what it has ready.
//
// Threads: everything here runs on the one driver thread that calls
// DriveStream; the sources are that thread's alone.
#ifndef RCL_CLIENTS_BENCH_STREAM_DRIVER_H_
#define RCL_CLIENTS_BENCH_STREAM_DRIVER_H_

#include <functional>
#include <latch>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "rcl/v1/api.pb.h"

namespace rcl::bench {

// What a slot gives the stream driver: one command at a time.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  virtual bool needs_setup() const = 0;  // its setup command is still to do
  virtual bool alive() const = 0;        // false once its setup failed
  // Its next command (the clock of its latency starts here).
  virtual void NextCommand(rcl::v1::BatchCommand* out) = 0;
  // The answer to the command NextCommand gave.
  virtual void Answered(const rcl::v1::BatchResult& result) = 0;
};

// Runs the setup commands of `sources`, counts down `set_up`, waits for
// `go`, then keeps each live source's command in flight while `keep_going`
// says so; half-closes and returns once every answer is in. A broken call
// answers every command in flight with its status (the errors count).
void DriveStream(grpc::GenericStub* stub, const std::string& authorization,
                 const std::vector<StreamSource*>& sources, std::latch* set_up, std::latch* go,
                 const std::function<bool()>& keep_going);

}  // namespace rcl::bench

#endif  // RCL_CLIENTS_BENCH_STREAM_DRIVER_H_
