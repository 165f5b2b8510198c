// The tokens file (server/principals.h): what it accepts, what it refuses
// and why, and how a presented token finds its principal.
#include "server/principals.h"

#include <ostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/permissions.h"
#include "tests/testing/auth_fixture.h"

namespace rcl::testing {
namespace {

using server::PrincipalTable;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Entry(const std::string& name, const std::string& hash, const std::string& roles,
                  const std::string& tenants) {
  return absl::StrCat("{\"name\":\"", name, "\",\"token_sha256\":\"", hash, "\",\"roles\":", roles,
                      ",\"tenants\":", tenants, "}");
}

std::string File(const std::string& entries) {
  return absl::StrCat("{\"principals\":[", entries, "]}");
}

TEST(PrincipalsTest, ATokenFindsItsPrincipalWithItsRolesAndTenants) {
  auto table = PrincipalTable::Parse(TokensJson(
      {{"ana", "tok-ana", {"biller", "coder"}, {"t2", "t1"}}, {"ops", "tok-ops", {"admin"}, {}}}));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  const server::Principal* ana = table->Find("tok-ana");
  ASSERT_NE(ana, nullptr);
  EXPECT_EQ(ana->name, "ana");
  EXPECT_EQ(ana->roles, server::kBiller | server::kCoder);
  EXPECT_TRUE(ana->HasTenant("t1"));
  EXPECT_TRUE(ana->HasTenant("t2"));
  EXPECT_FALSE(ana->HasTenant("t3"));
  ASSERT_NE(table->Find("tok-ops"), nullptr);
  EXPECT_EQ(table->Find("tok-ops")->name, "ops");
  EXPECT_EQ(table->Find("tok-an"), nullptr);
  EXPECT_EQ(table->Find("tok-ana "), nullptr);
  EXPECT_EQ(table->Find(""), nullptr);
  // The hash may be written in capitals.
  auto upper = PrincipalTable::Parse(
      File(Entry("bo", absl::AsciiStrToUpper(Sha256Hex("x")), "[\"auditor\"]", "[]")));
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_NE(upper->Find("x"), nullptr);
}

struct BadFile {
  std::string name;
  std::string json;
  std::string says;
};
// ctest names the case, not its bytes.
void PrintTo(const BadFile& f, std::ostream* os) { *os << f.name; }

class PrincipalsRefuseTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(PrincipalsRefuseTest, NamesWhatIsWrongWithoutEchoingAHash) {
  auto table = PrincipalTable::Parse(GetParam().json);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(table.status().message()), HasSubstr(GetParam().says));
  EXPECT_THAT(std::string(table.status().message()), Not(HasSubstr(Sha256Hex("a"))));
}

const std::string kHashA = Sha256Hex("a");
const std::string kHashB = Sha256Hex("b");

INSTANTIATE_TEST_SUITE_P(
    TokensFile, PrincipalsRefuseTest,
    ::testing::Values(
        BadFile{"not_json", "{principals:", "not a tokens file"},
        BadFile{"unknown_key", "{\"principals\":[],\"admins\":[]}", "not a tokens file"},
        BadFile{"unknown_role", File(Entry("ana", kHashA, "[\"wizard\"]", "[]")), "unknown role"},
        BadFile{"no_roles", File(Entry("ana", kHashA, "[]", "[]")), "no roles"},
        BadFile{"short_hash", File(Entry("ana", "abc", "[\"biller\"]", "[]")), "64 hex digits"},
        BadFile{"name_with_space", File(Entry("an a", kHashA, "[\"biller\"]", "[]")),
                "principals[0].name"},
        BadFile{"bad_tenant", File(Entry("ana", kHashA, "[\"biller\"]", "[\"t 1\"]")),
                "tenant is not a valid id"},
        BadFile{"same_name_twice",
                File(Entry("ana", kHashA, "[\"biller\"]", "[]") + "," +
                     Entry("ana", kHashB, "[\"biller\"]", "[]")),
                "listed twice"},
        BadFile{"same_token_twice",
                File(Entry("ana", kHashA, "[\"biller\"]", "[]") + "," +
                     Entry("bob", kHashA, "[\"coder\"]", "[]")),
                "token of an earlier principal"}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return info.param.name; });

}  // namespace
}  // namespace rcl::testing
