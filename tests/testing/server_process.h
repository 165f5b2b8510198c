// Test helpers for integration tests: a temporary directory, a running
// rcl-server child process, and running a command with captured output.
//
// Only POSIX and Abseil status/strings/time are used here: this file is
// compiled into every test executable (including ones that link only the
// ledger).
#ifndef RCL_TESTS_TESTING_SERVER_PROCESS_H_
#define RCL_TESTS_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rcl::testing {

// A fresh directory under $TMPDIR (or /tmp), removed recursively on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A running rcl-server. The server's stderr is inherited (it shows up in the
// test's output); its stdout is read until the ready line, then drained by a
// background thread so the server never blocks on a full pipe. In a
// sanitized build a sanitizer finding of the server aborts the test when the
// server is reaped (tests/testing/child_sanitizer.h).
class ServerProcess {
 public:
  // Starts RCL_BIN_DIR "/rcl-server" --listen 127.0.0.1:0 --data-dir data_dir
  // [extra_flags] and waits (<= 30 s) for "rcl-server listening on HOST:PORT".
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& data_dir, std::vector<std::string> extra_flags = {});
  // Same with an explicit binary.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> StartBinary(
      const std::string& binary, const std::string& data_dir,
      std::vector<std::string> extra_flags = {});

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  // The metrics endpoint ("rcl-server metrics on HOST:PORT", printed before
  // the ready line); empty when the server serves none.
  const std::string& metrics_address() const { return metrics_address_; }
  pid_t pid() const { return pid_; }
  bool running() const { return !reaped_; }

  // SIGKILL and reap.
  void Kill9();
  // SIGTERM, wait <= 30 s (then SIGKILL); OK iff the server exited with 0.
  absl::Status Terminate();

 private:
  ServerProcess() = default;
  void StopDrainer();
  // reaped_ = true, then fails the test on a sanitizer report the server
  // left or its UBSan exit status (tests/testing/child_sanitizer.h).
  void MarkReaped(int wait_status);

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string address_;
  std::string metrics_address_;
  std::string report_prefix_;  // the server's sanitizer log_path; empty unless sanitized
  int stdout_fd_ = -1;
  std::atomic<bool> stop_drain_{false};
  std::thread drainer_;
};

struct CommandResult {
  int exit_code = -1;  // exit status; 128 + signal when killed; -1 if it never ran
  std::string out;
  std::string err;
};

// Runs argv (argv[0] is a path, or a name looked up in PATH) with stdin from
// /dev/null, capturing stdout and stderr (each at most 4 MiB; the rest is
// discarded). After timeout_s the command is killed (exit_code 128 + 9 and
// "timed out" appended to err). In a sanitized build a sanitizer finding of
// the command aborts the test (tests/testing/child_sanitizer.h).
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s = 60);

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_SERVER_PROCESS_H_
