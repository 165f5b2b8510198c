// Header-only helpers for the end-to-end tests of the `rcl` command line:
// reading its --json output (through google.protobuf.Struct) and a fixture
// that starts a real rcl-server in a temporary directory and runs `rcl`
// against it.
//
// Header-only on purpose: tests/testing/*.cc is compiled into every test
// executable. Include it from tests/integration only.
#ifndef RCL_TESTS_TESTING_CLI_FIXTURE_H_
#define RCL_TESTS_TESTING_CLI_FIXTURE_H_

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {

// --- JSON helpers -------------------------------------------------------------
// In their own namespace, so that a test can take them all with one
// `using namespace ::rcl::testing::json;`.
namespace json {

inline google::protobuf::Struct ParseJson(const std::string& text) {
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(text, &s);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in: " << text;
  return s;
}

inline const google::protobuf::Value& Field(const google::protobuf::Struct& s,
                                            const std::string& key) {
  static const google::protobuf::Value kMissing;
  auto it = s.fields().find(key);
  EXPECT_TRUE(it != s.fields().end()) << "missing key " << key;
  return it == s.fields().end() ? kMissing : it->second;
}

inline bool HasKey(const google::protobuf::Struct& s, const std::string& key) {
  return s.fields().contains(key);
}

inline double Num(const google::protobuf::Struct& s, const std::string& key) {
  const google::protobuf::Value& v = Field(s, key);
  EXPECT_EQ(v.kind_case(), google::protobuf::Value::kNumberValue) << key << " is not a JSON number";
  return v.number_value();
}

inline std::string Str(const google::protobuf::Struct& s, const std::string& key) {
  const google::protobuf::Value& v = Field(s, key);
  EXPECT_EQ(v.kind_case(), google::protobuf::Value::kStringValue) << key << " is not a JSON string";
  return v.string_value();
}

inline bool Bool(const google::protobuf::Struct& s, const std::string& key) {
  const google::protobuf::Value& v = Field(s, key);
  EXPECT_EQ(v.kind_case(), google::protobuf::Value::kBoolValue) << key << " is not a JSON bool";
  return v.bool_value();
}

inline const google::protobuf::Struct& Obj(const google::protobuf::Struct& s,
                                           const std::string& key) {
  return Field(s, key).struct_value();
}

inline std::vector<google::protobuf::Value> List(const google::protobuf::Struct& s,
                                                 const std::string& key) {
  const google::protobuf::Value& v = Field(s, key);
  EXPECT_EQ(v.kind_case(), google::protobuf::Value::kListValue) << key << " is not a JSON array";
  return {v.list_value().values().begin(), v.list_value().values().end()};
}

inline int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace json

// --- Fixture ------------------------------------------------------------------

// A real rcl-server on <temporary directory>/data for each test, and `rcl`
// run against it.
class RclCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(dir_.path() + "/data");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void TearDown() override {
    if (server_ != nullptr && server_->running()) {
      EXPECT_TRUE(server_->Terminate().ok());
    }
  }

  CommandResult Rcl(std::vector<std::string> args) {
    std::vector<std::string> argv = {std::string(RCL_BIN_DIR) + "/rcl", "--server",
                                     server_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  // Runs a command that must succeed and print exactly one JSON object.
  google::protobuf::Struct RclJson(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    CommandResult r = Rcl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(json::Lines(r.out), 1) << r.out;
    return json::ParseJson(r.out);
  }

  // Expects failure with `exit_code` and exactly one stderr line containing
  // every part.
  void ExpectFailure(std::vector<std::string> args, int exit_code,
                     const std::vector<std::string>& parts) {
    CommandResult r = Rcl(args);
    EXPECT_EQ(r.exit_code, exit_code) << r.err << r.out;
    EXPECT_EQ(json::Lines(r.err), 1) << r.err;
    EXPECT_THAT(r.err, ::testing::StartsWith("rcl: "));
    for (const std::string& part : parts) EXPECT_THAT(r.err, ::testing::HasSubstr(part));
    EXPECT_EQ(r.out, "");
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_CLI_FIXTURE_H_
