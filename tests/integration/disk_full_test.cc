// A real full disk: the test mounts a small tmpfs (it must run as root;
// otherwise it is skipped, saying why), starts rcl-server with its data
// directory there and a small free-space reserve, fills the file system,
// and requires the clean refusal: UNAVAILABLE "disk is full", the process
// alive, nothing written while it is full (below the reserve, and then to
// the last byte); once space is freed writes resume without a restart, the
// refused command is written exactly once, every acknowledged command is at
// its position, the chain verifies, the projections catch up, and a clean
// restart keeps everything. The same with injected faults (and the reserve
// alone): tests/ledger/storage_fault_test.cc, tests/ledger/disk_reserve_test.cc.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.pb.h"
#include "tests/testing/server_process.h"

namespace rcl {
namespace {

using ::rcl::testing::RunCommand;
using ::rcl::testing::ServerProcess;
using ::rcl::testing::TempDir;

constexpr char kTenant[] = "acme";
// The file system: room for the server's files (about 12 MiB of WAL and
// MANIFEST files, preallocated) and the reserve, and little more.
constexpr char kTmpfsSize[] = "size=64m";
constexpr uint64_t kMiB = uint64_t{1} << 20;
// The server keeps this much free (--disk-reserve-mb), with small write
// buffers so that it covers their flushes.
constexpr uint64_t kReserveMb = 16;
const std::vector<std::string> kServerFlags = {"--write-buffer-mb=1", "--projections-memory-mb=8",
                                               absl::StrCat("--disk-reserve-mb=", kReserveMb),
                                               "--metrics-listen=127.0.0.1:0"};
// Longer than the server trusts one free-space probe (kDiskProbeIntervalMax, 5 ms).
constexpr auto kProbeSettle = std::chrono::milliseconds(50);
// How long the disk stays full while the test keeps trying to write.
constexpr auto kFullFor = std::chrono::seconds(3);
constexpr auto kResumeWaitMax = std::chrono::seconds(60);

// A tmpfs mounted at <temp>/mnt for the test's lifetime.
class Tmpfs {
 public:
  Tmpfs() : path_(dir_.path() + "/mnt") {
    ::mkdir(path_.c_str(), 0700);
    auto r = RunCommand({"mount", "-t", "tmpfs", "-o", kTmpfsSize, "tmpfs", path_}, 30);
    mounted_ = r.exit_code == 0;
    error_ = r.err;
  }
  ~Tmpfs() {
    if (mounted_) RunCommand({"umount", "-l", path_}, 30);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  TempDir dir_;
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Free bytes of the file system holding `path`.
uint64_t FreeBytes(const std::string& path) {
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

// Writes `path` until at most `leave` bytes of its file system are free (0:
// until a write fails for want of space); the bytes written.
uint64_t FillUntil(const std::string& path, uint64_t leave) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return 0;
  std::vector<char> chunk(1 << 16, 'x');
  uint64_t written = 0;
  while (leave == 0 || FreeBytes(path) > leave) {
    ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    written += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return written;
}

// The process is alive: not gone, not a zombie waiting to be reaped.
bool Alive(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

absl::StatusOr<v1::CommandResponse> Register(client::Client& c, int i) {
  v1::RegisterPatient p;
  p.set_patient_id(absl::StrCat("P", i));
  p.set_family_name("Doe");
  p.set_given_name("Jane");
  p.set_birth_date("1980-01-01");
  client::CommandOptions options;
  options.command_id = absl::StrCat("reg-", i);
  return c.RegisterPatient(p, options);
}

// Every acknowledged command (i -> position) is in the log at its position
// and a replay writes nothing; the chain verifies.
void ExpectEveryAckedCommand(client::Client& c, const std::map<int, uint64_t>& acked) {
  absl::StatusOr<v1::HeadResponse> head = c.Head();
  ASSERT_TRUE(head.ok()) << head.status();
  for (const auto& [i, position] : acked) {
    absl::StatusOr<v1::CommandResponse> replay = Register(c, i);
    ASSERT_TRUE(replay.ok()) << i << ": " << replay.status();
    EXPECT_EQ(replay->position(), position) << i;
  }
  EXPECT_EQ(c.Head()->position(), head->position()) << "a replayed command was written again";
  absl::StatusOr<v1::VerifyResponse> verified = c.Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->error();
}

// An unlabelled sample of the server's /metrics; -1 when it is missing.
// A clean stop of `server` (exit 0), a restart on `data_dir`, and every
// acknowledged command still there.
void ExpectEveryAckedCommandAfterARestart(std::unique_ptr<ServerProcess> server,
                                          const std::string& data_dir,
                                          const client::Options& options,
                                          const std::map<int, uint64_t>& acked) {
  ASSERT_TRUE(server->Terminate().ok()) << "the server did not stop cleanly";
  absl::StatusOr<std::unique_ptr<ServerProcess>> restarted =
      ServerProcess::Start(data_dir, kServerFlags);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Connect((*restarted)->address(), options);
  ASSERT_TRUE(c.ok()) << c.status();
  ExpectEveryAckedCommand(**c, acked);
}

double Metric(const ServerProcess& server, const std::string& name) {
  testing::CommandResult r = RunCommand(
      {"python3", "-c",
       "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read()"
       ".decode())",
       absl::StrCat("http://", server.metrics_address(), "/metrics")},
      30);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    double value = 0;
    if (absl::ConsumePrefix(&line, name + " ") && absl::SimpleAtod(line, &value)) return value;
  }
  return -1;
}

// Refused as a full disk should be: UNAVAILABLE, saying so.
void ExpectDiskFullRefusal(const absl::Status& status) {
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "disk is full")) << status;
}

TEST(DiskFullTest, FullDiskIsRefusedCleanlyAndWritesResumeByThemselvesOnceSpaceIsFreed) {
  Tmpfs fs;
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << fs.error();
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(fs.path() + "/data", kServerFlags);
  ASSERT_TRUE(server.ok()) << server.status();
  const pid_t pid = (*server)->pid();
  client::Options options;
  options.tenant = kTenant;
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Connect((*server)->address(), options);
  ASSERT_TRUE(c.ok()) << c.status();
  std::map<int, uint64_t> acked;
  int next = 0;
  for (; next < 50; ++next) {
    absl::StatusOr<v1::CommandResponse> r = Register(**c, next);
    ASSERT_TRUE(r.ok()) << r.status();
    acked[next] = r->position();
  }
  std::cout << "free before filling: " << FreeBytes(fs.path()) / kMiB << " MiB\n";

  // Below the reserve (half of it left): refused before RocksDB sees a byte.
  const std::string filler = fs.path() + "/filler";
  ASSERT_GT(FillUntil(filler, kReserveMb * kMiB / 2), 0u);
  std::this_thread::sleep_for(kProbeSettle);
  absl::StatusOr<v1::HeadResponse> head = (*c)->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  const int refused_id = next++;
  absl::StatusOr<v1::CommandResponse> refused = Register(**c, refused_id);
  ASSERT_FALSE(refused.ok()) << "written with " << FreeBytes(fs.path()) / kMiB << " MiB free";
  ExpectDiskFullRefusal(refused.status());
  std::cout << "below the reserve: " << refused.status().message() << "\n";

  // Then to the last byte, as another process might: still refused, still
  // alive, nothing written.
  FillUntil(filler, 0);
  EXPECT_EQ(FreeBytes(fs.path()), 0u);
  const auto full_since = std::chrono::steady_clock::now();
  int tries = 0;
  while (std::chrono::steady_clock::now() - full_since < kFullFor) {
    absl::StatusOr<v1::CommandResponse> r = Register(**c, next + tries++);
    ASSERT_FALSE(r.ok()) << "written on a full disk";
    ExpectDiskFullRefusal(r.status());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(Alive(pid)) << "the server died on a full disk";
  EXPECT_EQ((*c)->Head()->position(), head->position()) << "written while the disk was full";
  EXPECT_EQ(Metric(**server, "rcl_disk_full"), 1);
  EXPECT_EQ(Metric(**server, "rcl_disk_free_bytes"), 0);
  EXPECT_EQ(Metric(**server, "rcl_disk_reserve_bytes"), static_cast<double>(kReserveMb * kMiB));

  // Space freed: writes resume by themselves, in the same process.
  ASSERT_EQ(::unlink(filler.c_str()), 0);
  const auto freed = std::chrono::steady_clock::now();
  absl::StatusOr<v1::CommandResponse> resumed;
  do {
    resumed = Register(**c, refused_id);
    if (!resumed.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (!resumed.ok() && std::chrono::steady_clock::now() - freed < kResumeWaitMax);
  ASSERT_TRUE(resumed.ok()) << "writes did not resume after space was freed: " << resumed.status();
  std::cout << "writes resumed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - freed)
                   .count()
            << " ms after space was freed\n";
  ASSERT_TRUE(Alive(pid));
  EXPECT_EQ((*server)->pid(), pid);
  EXPECT_EQ(Metric(**server, "rcl_disk_full"), 0);
  // Nothing partial: the refused command's events follow the head of the
  // full disk directly, and nothing of the commands tried meanwhile is there.
  EXPECT_EQ(resumed->position(),
            head->position() + static_cast<uint64_t>(resumed->event_ids_size()))
      << "the resumed log has a gap or a leftover";
  acked[refused_id] = resumed->position();
  ExpectEveryAckedCommand(**c, acked);
  // The projections write to the same disk: they waited and catch up.
  v1::TrialBalanceRequest tb;
  tb.set_min_position(resumed->position());
  absl::StatusOr<v1::TrialBalanceResponse> trial;
  const auto deadline = std::chrono::steady_clock::now() + kResumeWaitMax;
  do {
    trial = (*c)->TrialBalance(tb);
    if (!trial.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (!trial.ok() && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(trial.ok()) << trial.status();

  ExpectEveryAckedCommandAfterARestart(std::move(*server), fs.path() + "/data", options, acked);
}

// The disk filled to the last byte by another process while clients write,
// several times: writes are in flight when it fills, so one may reach
// RocksDB within the time a probe is trusted and meet ENOSPC there. Whatever
// the timing, every refusal must be the clean one, the server must never
// die, and after each freeing writes resume with every acknowledged command
// in place.
TEST(DiskFullTest, FilledToTheLastByteUnderLoadTheServerRefusesCleanlyAndNeverDies) {
  constexpr int kClients = 4;
  constexpr int kCycles = 4;
  // A refused client waits this long before its next command (as a client
  // backing off would), so the refusals do not flood the server's log.
  constexpr auto kBackOff = std::chrono::milliseconds(20);
  constexpr int kIdsPerClient = 1'000'000;
  Tmpfs fs;
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << fs.error();
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(fs.path() + "/data", kServerFlags);
  ASSERT_TRUE(server.ok()) << server.status();
  const pid_t pid = (*server)->pid();
  client::Options options;
  options.tenant = kTenant;
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  absl::Mutex mu;
  std::map<int, uint64_t> acked;    // guarded by mu
  std::vector<std::string> errors;  // anything but the clean refusal; guarded by mu
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      absl::StatusOr<std::unique_ptr<client::Client>> c =
          client::Client::Connect((*server)->address(), options);
      if (!c.ok()) {
        absl::MutexLock lock(&mu);
        errors.push_back(c.status().ToString());
        return;
      }
      for (int i = t * kIdsPerClient; !stop.load(); ++i) {
        absl::StatusOr<v1::CommandResponse> r = Register(**c, i);
        if (!r.ok()) std::this_thread::sleep_for(kBackOff);
        absl::MutexLock lock(&mu);
        if (r.ok()) {
          acked[i] = r->position();
        } else if (absl::IsUnavailable(r.status()) &&
                   absl::StrContains(r.status().message(), "disk is full")) {
          refused.fetch_add(1);
        } else {
          errors.push_back(r.status().ToString());
        }
      }
    });
  }
  const std::string filler = fs.path() + "/filler";
  auto acked_count = [&] {
    absl::MutexLock lock(&mu);
    return acked.size();
  };
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    FillUntil(filler, 0);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_TRUE(Alive(pid)) << "the server died on a full disk (cycle " << cycle << ")";
    ASSERT_EQ(::unlink(filler.c_str()), 0);
    const size_t before = acked_count();
    const auto freed = std::chrono::steady_clock::now();
    while (acked_count() == before && std::chrono::steady_clock::now() - freed < kResumeWaitMax) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(acked_count(), before) << "writes did not resume (cycle " << cycle << ")";
  }
  stop.store(true);
  for (std::thread& t : clients) t.join();
  ASSERT_TRUE(Alive(pid));
  std::cout << acked.size() << " commands acknowledged, " << refused.load()
            << " refused as a full disk over " << kCycles << " fillings\n";
  EXPECT_GT(refused.load(), 0);
  EXPECT_TRUE(errors.empty()) << errors.size() << " other errors, the first: " << errors.front();
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Connect((*server)->address(), options);
  ASSERT_TRUE(c.ok()) << c.status();
  ExpectEveryAckedCommand(**c, acked);
  ExpectEveryAckedCommandAfterARestart(std::move(*server), fs.path() + "/data", options, acked);
}

// A reserve the file system can never leave free is a mistake in the
// settings, not a full disk: the server refuses to start, naming the flag,
// rather than start and refuse every write.
TEST(DiskReserveSettingTest, AReserveNotSmallerThanTheFileSystemStopsTheServerNamingTheFlag) {
  TempDir dir;
  const std::string server = std::string(RCL_BIN_DIR) + "/rcl-server";
  ::rcl::testing::CommandResult r =
      ::rcl::testing::RunCommand({server, "--listen", "127.0.0.1:0", "--data-dir",
                                  dir.path() + "/data", "--disk-reserve-mb=1000000000"},
                                 30);
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out + r.err, "--disk-reserve-mb 1000000000 is not less than"))
      << r.out << r.err;
}

}  // namespace
}  // namespace rcl
