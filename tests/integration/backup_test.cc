// Online backup (rcl admin backup) while commands keep arriving, and
// restore (rcl-server --restore-from): every command acknowledged before the
// backup started is in the restored log, the restored head is the backup's
// digest, the restored chain verifies, and a server started on the restored
// directory serves the same reports. Also what a restore refuses.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_fixture.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl::testing {
namespace {

using namespace ::rcl::testing::workload;  // NOLINT: workload helpers
using namespace ::rcl::testing::json;      // NOLINT: JSON helpers
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr int kWriters = 2;

const std::string& RclBin() {
  static const std::string path = std::string(RCL_BIN_DIR) + "/rcl";
  return path;
}

CommandResult Rcl(const std::string& server, std::vector<std::string> args) {
  std::vector<std::string> argv = {RclBin(), "--server", server};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, 120);
}

CommandResult Restore(const std::string& from, const std::string& to) {
  return RunCommand(
      {std::string(RCL_BIN_DIR) + "/rcl-server", "--restore-from", from, "--data-dir", to}, 120);
}

// Commands sent without pause by kWriters clients; each acknowledgement is
// recorded with the time it arrived.
class Load {
 public:
  struct Ack {
    Clock::time_point at;
    uint64_t position;
    std::string stream;
  };
  explicit Load(const std::string& address) {
    for (int w = 0; w < kWriters; ++w) {
      threads_.emplace_back([this, address, w] {
        auto client = client::Client::Connect(address, ClientOptions("load"));
        ASSERT_TRUE(client.ok()) << client.status();
        for (int i = 0; !stop_.load(); ++i) {
          auto r = (*client)->Execute(RegisterPatientCommand(absl::StrCat("W", w, "-", i)));
          ASSERT_TRUE(r.ok()) << r.status();
          std::lock_guard<std::mutex> lock(mu_);
          acks_.push_back({Clock::now(), r->position(), r->stream()});
        }
      });
    }
  }
  void Stop() {
    stop_.store(true);
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  ~Load() { Stop(); }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_.size();
  }
  const std::vector<Ack>& acks() const { return acks_; }  // after Stop()

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Ack> acks_;
  std::vector<std::thread> threads_;
};

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start(dir_.path() + "/data");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Terminate().ok());
    }
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// The reports of tenant `books` as JSON, once they have folded `position`,
// without the position each report was read at (which differs between a
// server that went on writing and one restored at `position`).
std::vector<std::string> Reports(const std::string& server, uint64_t position) {
  std::vector<std::string> out;
  std::string min = absl::StrCat(position);
  for (std::vector<std::string> report : {std::vector<std::string>{"books", "trial-balance"},
                                          {"books", "balances"},
                                          {"ar", "aging", "--as-of", "2026-12-01"},
                                          {"work", "denials"}}) {
    std::vector<std::string> args = {"--tenant", "books", "--json"};
    args.insert(args.end(), report.begin(), report.end());
    args.insert(args.end(), {"--min-position", min});
    CommandResult r = Rcl(server, args);
    EXPECT_EQ(r.exit_code, 0) << report[0] << " " << report[1] << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("\"as_of_position\":")) << r.out;
    out.push_back(std::regex_replace(r.out, std::regex("\"as_of_position\":[0-9]+"), ""));
  }
  return out;
}

TEST_F(BackupTest, BackupDuringLoadRestoresEveryAcknowledgedCommand) {
  CommandResult demo =
      Rcl(server_->address(), {"--tenant", "books", "demo", "--seed", "3", "--patients", "8",
                               "--days", "5", "--end", "2026-11-20"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;

  Load load(server_->address());
  while (load.count() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Clock::time_point backup_started = Clock::now();
  CommandResult backup =
      Rcl(server_->address(), {"--json", "admin", "backup", "--to", Path("backup")});
  size_t acked_when_backup_returned = load.count();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  load.Stop();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  google::protobuf::Struct b = ParseJson(backup.out);
  const uint64_t position = static_cast<uint64_t>(Num(b, "head_position"));
  const std::string hash = Str(b, "head_hash");
  EXPECT_EQ(Num(b, "backup_id"), 1);
  // Writes went on while the backup ran, and after it.
  EXPECT_GT(load.acks().size(), acked_when_backup_returned);
  uint64_t last_position = 0;
  for (const auto& a : load.acks()) last_position = std::max(last_position, a.position);
  EXPECT_GT(last_position, position);

  CommandResult restored = Restore(Path("backup"), Path("restored"));
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_THAT(restored.out, HasSubstr(absl::StrCat("position ", position, " hash ", hash)));

  auto copy = ServerProcess::Start(Path("restored"));
  ASSERT_TRUE(copy.ok()) << copy.status();
  auto client = client::Client::Connect((*copy)->address(), ClientOptions("load"));
  ASSERT_TRUE(client.ok());
  absl::StatusOr<v1::HeadResponse> head = (*client)->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->position(), position);
  EXPECT_EQ(head->hash(), hash);
  absl::StatusOr<std::vector<v1::Event>> events = ReadLogUpTo(client->get());
  ASSERT_TRUE(events.ok()) << events.status();
  std::map<uint64_t, std::string> restored_streams;
  for (const v1::Event& e : *events) restored_streams[e.position()] = e.stream();
  size_t before = 0;
  for (const auto& a : load.acks()) {
    if (a.at >= backup_started) continue;
    ++before;
    EXPECT_EQ(restored_streams[a.position], a.stream) << "acknowledged at " << a.position;
  }
  EXPECT_GE(before, 200u);
  CommandResult verify = Rcl((*copy)->address(), {"--json", "log", "verify", "--whole-log"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(Bool(ParseJson(verify.out), "ok"));
  // The projections came back: the same reports as the original's.
  EXPECT_EQ(Reports((*copy)->address(), position), Reports(server_->address(), position));
  EXPECT_TRUE((*copy)->Terminate().ok());
}

TEST_F(BackupTest, RestoreTakesTheLatestBackupAndRefusesANonEmptyDirectory) {
  auto client = client::Client::Connect(server_->address(), ClientOptions("t"));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Execute(RegisterPatientCommand("P1")).ok());
  CommandResult first = Rcl(server_->address(), {"--json", "admin", "backup", "--to", Path("b")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_TRUE((*client)->Execute(RegisterPatientCommand("P2")).ok());
  CommandResult second = Rcl(server_->address(), {"--json", "admin", "backup", "--to", Path("b")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  google::protobuf::Struct s = ParseJson(second.out);
  EXPECT_EQ(Num(s, "backup_id"), 2);
  EXPECT_EQ(Num(s, "head_position"), Num(ParseJson(first.out), "head_position") + 1);

  std::filesystem::create_directories(Path("busy"));
  std::ofstream(Path("busy/file")) << "x";
  CommandResult refused = Restore(Path("b"), Path("busy"));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("not empty"));

  CommandResult restored = Restore(Path("b"), Path("new"));
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_THAT(restored.out,
              HasSubstr(absl::StrCat("restored backup 2 into ", Path("new"), ": position ",
                                     Num(s, "head_position"), " hash ", Str(s, "head_hash"))));
  // The signing key came along: tree heads are signed by the same key.
  EXPECT_TRUE(std::filesystem::exists(Path("new/sth-ed25519-key.pem")));
  struct stat st {};
  ASSERT_EQ(stat(Path("new/sth-ed25519-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(BackupTest, ACorruptedBackupIsNotRestored) {
  auto client = client::Client::Connect(server_->address(), ClientOptions("t"));
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*client)->Execute(RegisterPatientCommand(absl::StrCat("P", i))).ok());
  }
  ASSERT_EQ(Rcl(server_->address(), {"admin", "backup", "--to", Path("b")}).exit_code, 0);
  // Flip a byte in the middle of every table file of the log's backup.
  int damaged = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(Path("b/log"))) {
    if (f.path().extension() != ".sst") continue;
    std::fstream io(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(f.file_size() / 2));
    char c = 0;
    io.get(c);
    io.seekp(static_cast<std::streamoff>(f.file_size() / 2));
    io.put(static_cast<char>(c ^ 0x5a));
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  CommandResult r = Restore(Path("b"), Path("new"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("restore failed"));
}

TEST_F(BackupTest, BackupRefusesADirectoryItDoesNotOwn) {
  std::filesystem::create_directories(Path("other"));
  std::ofstream(Path("other/notes.txt")) << "not a backup";
  CommandResult r = Rcl(server_->address(), {"admin", "backup", "--to", Path("other")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("neither empty nor a backup directory"));
  CommandResult relative = Rcl(server_->address(), {"admin", "backup", "--to", "relative/dir"});
  EXPECT_EQ(relative.exit_code, 1);
  EXPECT_THAT(relative.err, HasSubstr("absolute"));
  CommandResult inside = Rcl(server_->address(), {"admin", "backup", "--to", Path("data/inside")});
  EXPECT_EQ(inside.exit_code, 1);
  EXPECT_THAT(inside.err, HasSubstr("inside the data directory"));
}

}  // namespace
}  // namespace rcl::testing
