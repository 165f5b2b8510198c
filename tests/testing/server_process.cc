#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/testing/child_sanitizer.h"

namespace rcl::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr absl::string_view kReadyPrefix = "rcl-server listening on ";
constexpr absl::string_view kMetricsPrefix = "rcl-server metrics on ";
constexpr int kStartTimeoutS = 30;
constexpr int kTerminateTimeoutS = 30;
constexpr size_t kCaptureMax = 4 << 20;

// argv as the char* array execv wants; built before fork() so the child only
// calls async-signal-safe functions.
struct Argv {
  explicit Argv(const std::vector<std::string>& args) : storage(args) {
    for (std::string& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
};

// In the child after fork(): exec with `envp` or die with 127.
[[noreturn]] void ExecChild(const Argv& argv, char** envp) {
  const char* path = argv.pointers[0];
  if (std::strchr(path, '/') != nullptr) {
    execve(path, argv.pointers.data(), envp);
  } else {
    execvpe(path, argv.pointers.data(), envp);
  }
  static const char kMessage[] = "exec failed\n";
  ssize_t ignored = write(2, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
  _exit(127);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t WaitBlocking(pid_t pid, int* status) {
  pid_t r;
  do {
    r = waitpid(pid, status, 0);
  } while (r < 0 && errno == EINTR);
  return r;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

// ---------------------------------------------------------------------------
// TempDir.

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat((base != nullptr && *base != '\0') ? base : "/tmp", "/rcl-test-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    std::fprintf(stderr, "TempDir: mkdtemp(%s) failed: %s\n", pattern.c_str(),
                 std::strerror(errno));
    std::abort();
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---------------------------------------------------------------------------
// ServerProcess.

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& data_dir, std::vector<std::string> extra_flags) {
#ifdef RCL_BIN_DIR
  return StartBinary(std::string(RCL_BIN_DIR) + "/rcl-server", data_dir, std::move(extra_flags));
#else
  return absl::FailedPreconditionError("RCL_BIN_DIR is not defined");
#endif
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::StartBinary(
    const std::string& binary, const std::string& data_dir, std::vector<std::string> extra_flags) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("server binary not found: ", binary));
  }
  std::vector<std::string> args = {binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir};
  for (std::string& f : extra_flags) args.push_back(std::move(f));
  Argv argv(args);
  ChildEnvironment env;

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  int dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    if (dev_null >= 0) close(dev_null);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(e)));
  }
  if (pid == 0) {
    // The server dies with the test process, even when the test crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dev_null >= 0) dup2(dev_null, 0);
    dup2(out[1], 1);
    ExecChild(argv, env.envp());
  }
  close(out[1]);
  if (dev_null >= 0) close(dev_null);

  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->pid_ = pid;
  server->stdout_fd_ = out[0];
  server->report_prefix_ = env.report_prefix();

  // Read stdout until the ready line.
  std::string buffer;
  auto deadline = Clock::now() + std::chrono::seconds(kStartTimeoutS);
  while (true) {
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      absl::string_view view = absl::StripAsciiWhitespace(line);
      if (absl::StartsWith(view, kMetricsPrefix)) {
        view.remove_prefix(kMetricsPrefix.size());
        server->metrics_address_ = std::string(absl::StripAsciiWhitespace(view));
        continue;
      }
      if (absl::StartsWith(view, kReadyPrefix)) {
        view.remove_prefix(kReadyPrefix.size());
        server->address_ = std::string(absl::StripAsciiWhitespace(view));
        break;
      }
    }
    if (!server->address_.empty()) break;
    int wait_ms = RemainingMs(deadline);
    if (wait_ms == 0) {
      server->Kill9();
      return absl::DeadlineExceededError(
          absl::StrCat("rcl-server did not print its ready line within ", kStartTimeoutS, " s"));
    }
    pollfd p{server->stdout_fd_, POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno != EINTR) {
      server->Kill9();
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (r <= 0) continue;
    char chunk[4096];
    ssize_t n = read(server->stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      // stdout closed before the ready line: the server has (nearly) exited.
      int status = 0;
      WaitBlocking(pid, &status);
      server->MarkReaped(status);
      return absl::UnavailableError(
          absl::StrCat("rcl-server exited before it was ready: ", DescribeWaitStatus(status)));
    }
    buffer.append(chunk, static_cast<size_t>(n));
    if (buffer.size() > kCaptureMax) {
      server->Kill9();
      return absl::InternalError("rcl-server printed too much before its ready line");
    }
  }

  // Keep draining stdout so the server never blocks writing to it.
  ServerProcess* raw = server.get();
  server->drainer_ = std::thread([raw] {
    char chunk[4096];
    while (!raw->stop_drain_.load()) {
      pollfd p{raw->stdout_fd_, POLLIN, 0};
      int r = poll(&p, 1, 100);
      if (r < 0 && errno != EINTR) return;
      if (r <= 0) continue;
      ssize_t n = read(raw->stdout_fd_, chunk, sizeof(chunk));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
    }
  });
  return server;
}

void ServerProcess::StopDrainer() {
  stop_drain_.store(true);
  if (drainer_.joinable()) drainer_.join();
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

void ServerProcess::Kill9() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    WaitBlocking(pid_, &status);
    MarkReaped(status);
  }
  StopDrainer();
}

void ServerProcess::MarkReaped(int wait_status) {
  reaped_ = true;
  CheckChildSanitizerReports(report_prefix_, absl::StrCat("rcl-server pid ", pid_), wait_status);
}

absl::Status ServerProcess::Terminate() {
  if (reaped_ || pid_ <= 0) return absl::FailedPreconditionError("rcl-server is not running");
  if (kill(pid_, SIGTERM) != 0) {
    return absl::InternalError(absl::StrCat("kill(SIGTERM): ", std::strerror(errno)));
  }
  auto deadline = Clock::now() + std::chrono::seconds(kTerminateTimeoutS);
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) {
      MarkReaped(0);
      StopDrainer();
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    if (Clock::now() >= deadline) {
      Kill9();
      return absl::DeadlineExceededError(
          absl::StrCat("rcl-server did not exit within ", kTerminateTimeoutS, " s of SIGTERM"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  MarkReaped(status);
  StopDrainer();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("rcl-server ", DescribeWaitStatus(status)));
}

ServerProcess::~ServerProcess() { Kill9(); }

// ---------------------------------------------------------------------------
// RunCommand.

CommandResult RunCommand(const std::vector<std::string>& argv_in, int timeout_s) {
  CommandResult result;
  if (argv_in.empty()) {
    result.err = "RunCommand: empty argv";
    return result;
  }
  Argv argv(argv_in);
  ChildEnvironment env;
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    result.err = absl::StrCat("pipe2: ", std::strerror(errno));
    return result;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    result.err = absl::StrCat("pipe2: ", std::strerror(errno));
    close(out[0]);
    close(out[1]);
    return result;
  }
  int dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    result.err = absl::StrCat("fork: ", std::strerror(errno));
    for (int fd : {out[0], out[1], err[0], err[1], dev_null}) {
      if (fd >= 0) close(fd);
    }
    return result;
  }
  if (pid == 0) {
    if (dev_null >= 0) dup2(dev_null, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    ExecChild(argv, env.envp());
  }
  close(out[1]);
  close(err[1]);
  if (dev_null >= 0) close(dev_null);

  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  bool timed_out = false;
  int fds[2] = {out[0], err[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  bool open_fds[2] = {true, true};
  while (open_fds[0] || open_fds[1]) {
    int wait_ms = RemainingMs(deadline);
    if (wait_ms == 0) {
      timed_out = true;
      break;
    }
    pollfd p[2];
    int count = 0;
    int index[2];
    for (int k = 0; k < 2; ++k) {
      if (!open_fds[k]) continue;
      p[count] = pollfd{fds[k], POLLIN, 0};
      index[count++] = k;
    }
    int r = poll(p, static_cast<nfds_t>(count), wait_ms);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    for (int j = 0; j < count; ++j) {
      if (p[j].revents == 0) continue;
      int k = index[j];
      char chunk[8192];
      ssize_t n = read(fds[k], chunk, sizeof(chunk));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        open_fds[k] = false;
        continue;
      }
      size_t room = kCaptureMax - std::min(kCaptureMax, sinks[k]->size());
      sinks[k]->append(chunk, std::min(room, static_cast<size_t>(n)));
    }
  }
  close(out[0]);
  close(err[0]);

  int status = 0;
  if (!timed_out) {
    // Output is closed; give the process the rest of the time to exit.
    while (true) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) break;
      if (RemainingMs(deadline) == 0) {
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (timed_out) {
    kill(pid, SIGKILL);
    WaitBlocking(pid, &status);
    absl::StrAppend(&result.err, "\nRunCommand: timed out after ", timeout_s, " s\n");
  }
  result.exit_code = ExitCodeOf(status);
  CheckChildSanitizerReports(env.report_prefix(), argv_in[0], status, result.err);
  return result;
}

}  // namespace rcl::testing
