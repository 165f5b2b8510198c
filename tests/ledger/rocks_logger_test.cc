// RocksDB's LOG as RCL writes it (ledger/storage/rocks_logger.h): the
// lines RocksDB logs reach the directory's LOG, each open starts a new LOG
// and keeps the newest kRocksLogsKept old ones. That a full disk no longer
// aborts the process is shown for real by tests/integration/disk_full_test.cc.
#include "ledger/storage/rocks_logger.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::ScratchDir;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t OldLogs(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (absl::StartsWith(entry.path().filename().string(), "LOG.old.")) ++n;
  }
  return n;
}

TEST(RocksLoggerTest, WritesEachLineToTheDirectorysLog) {
  ScratchDir dir("rcl-rocks-logger-test");
  const std::filesystem::path sub = std::filesystem::path(dir.path()) / "new";
  absl::StatusOr<std::shared_ptr<rocksdb::Logger>> logger = RocksLogger::Open(sub.string());
  ASSERT_TRUE(logger.ok()) << logger.status();
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, *logger, "flushed %d bytes of %s", 42, "family");
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, *logger, "second line\n");
  const std::string text = ReadFile(sub / "LOG");
  EXPECT_TRUE(absl::StrContains(text, "flushed 42 bytes of family\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "second line\n")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\n\n")) << "a line ending in a newline got a second one";
}

TEST(RocksLoggerTest, EachOpenStartsANewLogAndKeepsTheNewestOldOnes) {
  ScratchDir dir("rcl-rocks-logger-test");
  for (int i = 0; i < 15; ++i) {
    absl::StatusOr<std::shared_ptr<rocksdb::Logger>> logger = RocksLogger::Open(dir.path());
    ASSERT_TRUE(logger.ok()) << logger.status();
    rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, *logger, "open %d", i);
  }
  const std::string text = ReadFile(std::filesystem::path(dir.path()) / "LOG");
  EXPECT_TRUE(absl::StrContains(text, "open 14")) << text;
  EXPECT_FALSE(absl::StrContains(text, "open 13")) << text;
  EXPECT_EQ(OldLogs(dir.path()), kRocksLogsKept);
}

TEST(RocksLoggerTest, TheEventStoreLogsThroughIt) {
  ScratchDir dir("rcl-rocks-logger-test");
  {
    std::unique_ptr<Ledger> ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
    ASSERT_NE(ledger, nullptr);
  }
  const std::string text = ReadFile(std::filesystem::path(dir.path()) / "LOG");
  EXPECT_TRUE(absl::StrContains(text, "RocksDB version")) << text.substr(0, 2000);
}

}  // namespace
}  // namespace rcl::ledger
