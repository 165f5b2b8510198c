// rcl-server --config FILE: a setting from the file applies, the same flag on
// the command line overrides it, and a file the server cannot take stops it
// before it starts, naming the line. Also that the example config in ops/
// is one the server accepts.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/workload.h"

namespace rcl::testing {
namespace {

using ::testing::HasSubstr;

class ConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = dir_.path() + "/rcl-server.conf";
    std::ofstream(path) << text;
    return path;
  }
  CommandResult RunServer(std::vector<std::string> args) {
    args.insert(args.begin(), std::string(RCL_BIN_DIR) + "/rcl-server");
    return RunCommand(args, 30);
  }
  TempDir dir_;
};

TEST_F(ConfigFileTest, FileSettingsApplyAndFlagsOverrideThem) {
  const std::string from_file = dir_.path() + "/from-file";
  const std::string from_flag = dir_.path() + "/from-flag";
  std::string config = Write(
      absl::StrCat("# the test's server\n", "metrics-listen = 127.0.0.1:0\n\n",
                   "data_dir = ", from_file, "\n", "   batch-max = 64  \n", "log-level = warn\n"));
  // ServerProcess passes --listen and --data-dir on the command line.
  auto server = ServerProcess::Start(from_flag, {"--config", config});
  ASSERT_TRUE(server.ok()) << server.status();
  // From the file: the metrics endpoint is on.
  EXPECT_FALSE((*server)->metrics_address().empty());
  auto client = client::Client::Connect((*server)->address(), workload::ClientOptions("t"));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Execute(workload::RegisterPatientCommand("P1")).ok());
  EXPECT_TRUE((*server)->Terminate().ok());
  // The command line's --data-dir won over the file's.
  EXPECT_TRUE(std::filesystem::exists(from_flag + "/CURRENT"));
  EXPECT_FALSE(std::filesystem::exists(from_file));
}

TEST_F(ConfigFileTest, AnUnknownSettingStopsTheServerNamingIt) {
  std::string config = Write("listen = 127.0.0.1:0\nqueue-maximum = 10\n");
  CommandResult r = RunServer({"--config", config, "--data-dir", dir_.path() + "/data"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(config + " line 2: unknown setting 'queue-maximum'"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/data"));
}

TEST_F(ConfigFileTest, ALineWithoutAValueOrATwiceSetSettingIsRefused) {
  CommandResult no_value = RunServer({"--config", Write("queue-max\n")});
  EXPECT_EQ(no_value.exit_code, 2);
  EXPECT_THAT(no_value.err, HasSubstr("line 1: want `name = value`"));
  CommandResult twice = RunServer({"--config", Write("queue-max = 5\nqueue_max = 6\n")});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_THAT(twice.err, HasSubstr("line 2: 'queue_max' is set twice"));
  CommandResult missing = RunServer({"--config", dir_.path() + "/nowhere.conf"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot read config file"));
}

TEST_F(ConfigFileTest, TheExampleConfigStartsAServer) {
  // The example names /var/lib/rcl; the command line moves data and ports
  // somewhere the test owns.
  auto server = ServerProcess::Start(
      dir_.path() + "/data",
      {"--config", std::string(RCL_SOURCE_DIR) + "/ops/rcl-server.conf.example", "--metrics-listen",
       "127.0.0.1:0"});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE((*server)->metrics_address().empty());
  EXPECT_TRUE((*server)->Terminate().ok());
}

}  // namespace
}  // namespace rcl::testing
