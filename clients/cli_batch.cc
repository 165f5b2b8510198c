// `rcl batch FILE`: runs a file of commands through LedgerService.ExecuteBatch.
// The file holds JSON lines, one rcl.v1.BatchCommand a line in the proto's
// JSON form ({"context": {...}, "command": {"recordCharge": {...}}}); blank
// lines and lines starting with '#' are skipped. Every line is parsed before
// anything is sent; commands go in chunks of up to client::kBatchCommandsMax
// (with --atomic the whole file is one atomic batch, so at most that many).
// Progress: a bar on a terminal, a percentage line a second otherwise.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/cli_command.h"
#include "google/protobuf/util/json_util.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;

// Limits of the input: lines (commands) and bytes of one file.
constexpr size_t kBatchFileCommandsMax = 1'000'000;
constexpr size_t kBatchFileBytesMax = size_t{1} << 30;
// Bad lines reported before giving up on a file.
constexpr size_t kBadLinesReportedMax = 20;

struct FileCommand {
  size_t line = 0;  // 1-based line number in the file
  rcl::v1::BatchCommand command;
};

// Parses every line; INVALID_ARGUMENT (a usage error) naming each bad line.
absl::StatusOr<std::vector<FileCommand>> ReadBatchFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError(absl::StrCat("FILE: cannot open ", path));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(in.tellg());
  if (size > kBatchFileBytesMax) {
    return UsageError(absl::StrCat("FILE: ", size, " bytes; at most ", kBatchFileBytesMax));
  }
  in.seekg(0);
  std::vector<FileCommand> out;
  std::vector<std::string> bad;
  size_t bad_lines = 0;
  std::string text;
  size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    absl::string_view line = absl::StripAsciiWhitespace(text);
    if (line.empty() || line.front() == '#') continue;
    if (out.size() == kBatchFileCommandsMax) {
      return UsageError(
          absl::StrCat("FILE: more than ", kBatchFileCommandsMax, " commands; split it"));
    }
    FileCommand c;
    c.line = number;
    auto parsed = google::protobuf::util::JsonStringToMessage(std::string(line), &c.command);
    if (!parsed.ok()) {
      if (++bad_lines <= kBadLinesReportedMax) {
        bad.push_back(absl::StrCat("line ", number, ": ", parsed.message().as_string()));
      }
      continue;
    }
    out.push_back(std::move(c));
  }
  if (bad_lines > 0) {
    std::string more = bad_lines > bad.size()
                           ? absl::StrCat("; and ", bad_lines - bad.size(), " more bad lines")
                           : "";
    return UsageError(absl::StrCat("FILE: ", bad_lines, " line(s) are not commands, nothing sent: ",
                                   absl::StrJoin(bad, "; "), more));
  }
  if (out.empty()) return UsageError("FILE: holds no commands");
  return out;
}

// Progress while chunks are sent: a bar on a terminal (redrawn), a plain
// line a second otherwise. With --json (stdout is one object) on stderr when
// that is a terminal, else nowhere.
class BatchProgress {
 public:
  explicit BatchProgress(bool json, size_t total) : total_(total) {
    if (!json) {
      stream_ = stdout;
      terminal_ = isatty(STDOUT_FILENO) == 1;
    } else if (isatty(STDERR_FILENO) == 1) {
      stream_ = stderr;
      terminal_ = true;
    }
  }
  void Update(size_t done, size_t failed) {
    if (stream_ == nullptr) return;
    const double pct = total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / total_;
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(pct / 100.0 * kWidth);
      std::string line = absl::StrFormat(
          "\rbatch [%s%s] %5.1f%%  %d/%d commands, %d failed\x1b[K", std::string(filled, '#'),
          std::string(kWidth - filled, '.'), pct, done, total_, failed);
      fputs(line.c_str(), stream_);
      fflush(stream_);
      drew_bar_ = true;
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_plain_ < std::chrono::seconds(1) && done < total_) return;
    last_plain_ = now;
    fputs(absl::StrFormat("batch: %.1f%% (%d/%d commands, %d failed)\n", pct, done, total_, failed)
              .c_str(),
          stream_);
    fflush(stream_);
  }
  void Finish() {
    if (stream_ != nullptr && drew_bar_) {
      fputc('\n', stream_);
      fflush(stream_);
    }
  }

 private:
  const size_t total_;
  FILE* stream_ = nullptr;
  bool terminal_ = false;
  bool drew_bar_ = false;
  std::chrono::steady_clock::time_point last_plain_ = std::chrono::steady_clock::now();
};

struct Failure {
  size_t line = 0;
  int code = 0;
  std::string message;
};

std::string Report(bool json, size_t total, size_t ok, const std::vector<Failure>& failures,
                   bool atomic) {
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("commands").Uint(total).Key("succeeded").Uint(ok);
    w.Key("failed").Uint(failures.size()).Key("atomic").Bool(atomic);
    w.Key("failures").BeginArray();
    for (const Failure& f : failures) {
      w.BeginObject().Key("line").Uint(f.line);
      w.Key("code").String(absl::StatusCodeToString(static_cast<absl::StatusCode>(f.code)));
      w.Key("message").String(f.message).EndObject();
    }
    w.EndArray().EndObject();
    return absl::StrCat(w.str(), "\n");
  }
  std::string out = absl::StrCat("batch: ", total, " commands, ", ok, " ok, ", failures.size(),
                                 " failed", atomic ? " (atomic)" : "", "\n");
  for (const Failure& f : failures) {
    absl::StrAppend(&out, "line ", f.line, ": ",
                    absl::StatusCodeToString(static_cast<absl::StatusCode>(f.code)), ": ",
                    f.message, "\n");
  }
  return out;
}

absl::Status RunBatch(Invocation& inv) {
  const bool atomic = inv.args().Has("atomic");
  absl::StatusOr<std::vector<FileCommand>> commands = ReadBatchFile(inv.args().positional()[0]);
  if (!commands.ok()) return commands.status();
  if (atomic && commands->size() > client::kBatchCommandsMax) {
    return UsageError(absl::StrCat("--atomic: the file holds ", commands->size(),
                                   " commands; an atomic batch holds at most ",
                                   client::kBatchCommandsMax));
  }
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  BatchProgress progress(inv.json(), commands->size());
  size_t ok = 0;
  std::vector<Failure> failures;
  for (size_t from = 0; from < commands->size(); from += client::kBatchCommandsMax) {
    const size_t to = std::min(commands->size(), from + client::kBatchCommandsMax);
    rcl::v1::ExecuteBatchRequest request;
    request.set_atomic(atomic);
    for (size_t i = from; i < to; ++i) *request.add_commands() = (*commands)[i].command;
    absl::StatusOr<rcl::v1::ExecuteBatchResponse> r = (*client)->ExecuteBatch(std::move(request));
    if (!r.ok()) {
      progress.Finish();
      // Name the file's lines of the commands the server named.
      std::vector<std::string> lines;
      for (size_t i = from; i < to; ++i) {
        if (absl::StrContains(r.status().message(), absl::StrCat("commands[", i - from, "]"))) {
          lines.push_back(absl::StrCat((*commands)[i].line));
        }
      }
      if (!lines.empty()) {
        return absl::Status(
            r.status().code(),
            absl::StrCat("line ", absl::StrJoin(lines, ", line "), " (", ok + failures.size(),
                         " commands done before): ", r.status().message()));
      }
      return absl::Status(
          r.status().code(),
          absl::StrCat("lines ", (*commands)[from].line, "-", (*commands)[to - 1].line, " (",
                       ok + failures.size(), " commands done before): ", r.status().message()));
    }
    for (int i = 0; i < r->results_size(); ++i) {
      const rcl::v1::BatchResult& result = r->results(i);
      if (result.code() == 0) {
        ++ok;
      } else {
        failures.push_back({(*commands)[from + i].line, result.code(), result.message()});
      }
    }
    progress.Update(to, failures.size());
  }
  progress.Finish();
  std::string report = Report(inv.json(), commands->size(), ok, failures, atomic);
  if (failures.empty()) {
    absl::StrAppend(&inv.out(), report);
    return absl::OkStatus();
  }
  // The report is the output even though the command fails (exit 1).
  if (inv.json()) {
    absl::StrAppend(&inv.out(), report);
  } else {
    fputs(report.c_str(), stdout);
    fflush(stdout);
  }
  return absl::AbortedError(absl::StrCat(failures.size(), " of ", commands->size(),
                                         " commands failed",
                                         atomic ? "; nothing was written" : ""));
}

}  // namespace

std::vector<CommandDef> BatchCommands() {
  return {
      {"",
       "batch",
       "FILE",
       "run a file of commands (JSON lines, one rcl.v1.BatchCommand a line) through ExecuteBatch",
       {{"atomic", kBool, "", "all or nothing in one commit (at most 1,000 commands)"}},
       RunBatch},
  };
}

}  // namespace rcl::cli
