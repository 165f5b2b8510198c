// An auditor's session through a real rcl-server and the rcl binary: save a
// signed tree head, let the office keep working, then prove a claim's events
// are in the log that extends what was saved; a second tenant sees none of
// it; an event edited on disk under a stopped server is named.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rocksdb/db.h"
#include "tests/testing/cli_fixture.h"

namespace rcl {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::json::Field;
using testing::json::List;
using testing::json::Num;
using testing::json::Str;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class AuditCliTest : public testing::RclCliTest {
 protected:
  // A small practice's month for `tenant`: claims with many events each.
  void Demo(const std::string& tenant, const std::string& seed) {
    testing::CommandResult r =
        Rcl({"--tenant", tenant, "demo", "--seed", seed, "--patients", "8", "--days", "20"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // The claim of `tenant` with the most events, and how many it has.
  std::pair<std::string, size_t> BusiestClaim(const std::string& tenant) {
    Struct page = RclJson(
        {"--tenant", tenant, "log", "read", "--stream-prefix", "claim-", "--limit", "100000"});
    std::map<std::string, size_t> counts;
    for (const Value& e : List(page, "events")) ++counts[Str(e.struct_value(), "stream")];
    std::pair<std::string, size_t> best;
    for (const auto& [stream, n] : counts) {
      if (n > best.second) best = {stream.substr(std::string("claim-").size()), n};
    }
    return best;
  }

  uint64_t TenantSeq(const std::string& tenant) {
    return static_cast<uint64_t>(Num(RclJson({"--tenant", tenant, "log", "head"}), "tenant_seq"));
  }
};

TEST_F(AuditCliTest, AClaimVerifiesAgainstASavedTreeHeadAndTamperingIsNamed) {
  Demo("north", "7");
  Demo("south", "8");
  const std::string sth_file = dir_.path() + "/north.sth";
  testing::CommandResult saved = Rcl({"--tenant", "north", "audit", "sth", "--out", sth_file});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  Struct sth = testing::json::ParseJson(ReadFile(sth_file));
  EXPECT_EQ(Str(sth, "tenant"), "north");
  const uint64_t saved_size = static_cast<uint64_t>(Num(sth, "tree_size"));
  EXPECT_EQ(saved_size, TenantSeq("north"));
  EXPECT_EQ(Str(sth, "root_hash").size(), 64u);
  EXPECT_EQ(Str(sth, "signature").size(), 128u);
  EXPECT_TRUE(testing::json::HasKey(sth, "timestamp_us"));
  Struct key = RclJson({"audit", "public-key"});
  EXPECT_THAT(Str(key, "pem"), StartsWith("-----BEGIN PUBLIC KEY-----"));
  EXPECT_EQ(Str(key, "sha256"), Str(sth, "public_key_sha256"));

  // The office keeps working after the auditor saved the head.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Rcl({"--tenant", "north", "patient", "register", "--id", absl::StrCat("LATE", i),
                   "--family", "ROE", "--given", "ANN", "--birth-date", "1970-01-01"})
                  .exit_code,
              0);
  }
  EXPECT_EQ(TenantSeq("north"), saved_size + 5);

  auto [claim, events] = BusiestClaim("north");
  ASSERT_FALSE(claim.empty());
  ASSERT_GE(events, 3u);
  testing::CommandResult ok =
      Rcl({"--tenant", "north", "audit", "verify-claim", "--id", claim, "--sth", sth_file});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, StartsWith(absl::StrCat("ok claim ", claim, ": ", events, " events")));

  // Proofs as programs read them.
  Struct inclusion = RclJson({"--tenant", "north", "audit", "inclusion", "--seq", "3"});
  EXPECT_EQ(Num(inclusion, "tenant_seq"), 3);
  EXPECT_EQ(Num(inclusion, "tree_size"), static_cast<double>(saved_size + 5));
  EXPECT_EQ(Str(inclusion, "leaf_hash").size(), 64u);
  EXPECT_FALSE(List(inclusion, "path").empty());
  Struct consistency =
      RclJson({"--tenant", "north", "audit", "consistency", "--from", absl::StrCat(saved_size)});
  EXPECT_EQ(Num(consistency, "from_size"), static_cast<double>(saved_size));
  EXPECT_EQ(Str(consistency, "from_root"), Str(sth, "root_hash"));
  EXPECT_FALSE(List(consistency, "path").empty());

  // The other tenant: its own sequence, and none of north's claim or head.
  Struct south = RclJson({"--tenant", "south", "log", "read", "--limit", "100000"});
  EXPECT_EQ(TenantSeq("south"), List(south, "events").size());
  for (const Value& e : List(south, "events")) EXPECT_EQ(Str(e.struct_value(), "tenant"), "south");
  testing::CommandResult other =
      Rcl({"--tenant", "south", "audit", "verify-claim", "--id", claim, "--sth", sth_file});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("another tenant"));

  // An event of the claim edited on disk, hashes recomputed to look sound.
  const std::string data = dir_.path() + "/data";
  ASSERT_TRUE(server_->Terminate().ok());
  {
    ledger::EventStore::Options options;
    options.path = data;
    auto store = ledger::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto stream = (*store)->ReadStream("north", absl::StrCat("claim-", claim), 1, false, 1);
    ASSERT_TRUE(stream.ok() && stream->size() == 1u);
    ledger::EventRecord e = stream->front();
    e.actor = "someone-else";
    const std::string canonical = ledger::CanonicalBytes(e);
    e.hash = ledger::ChainHash(e.prev_hash, canonical);
    e.tenant_hash = ledger::ChainHash(e.tenant_prev_hash, canonical);
    ASSERT_TRUE((*store)
                    ->raw_db()
                    ->Put(rocksdb::WriteOptions(), (*store)->log_family(),
                          ledger::PositionKey(e.position), ledger::EncodeRecord(e))
                    .ok());
  }
  auto restarted = testing::ServerProcess::Start(data);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  server_ = std::move(*restarted);
  testing::CommandResult bad =
      Rcl({"--tenant", "north", "audit", "verify-claim", "--id", claim, "--sth", sth_file});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr(absl::StrCat("claim-", claim, " version 1")));
  EXPECT_THAT(bad.err, HasSubstr("is not in the signed tree"));
  // The tenant's own verification names it too; the other tenant is sound.
  testing::CommandResult verify = Rcl({"--tenant", "north", "log", "verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.err, HasSubstr("Merkle node"));
  EXPECT_EQ(Rcl({"--tenant", "south", "log", "verify"}).exit_code, 0);
}

TEST_F(AuditCliTest, AClaimHistoryAsOfAMomentHoldsWhatWasRecordedByThen) {
  Demo("north", "7");
  auto [claim, events] = BusiestClaim("north");
  Struct now = RclJson({"--tenant", "north", "claim", "history", "--id", claim});
  std::vector<Value> entries = List(now, "entries");
  ASSERT_GE(entries.size(), 3u);
  // Each entry names its leaf in the tenant's tree, in order.
  for (size_t k = 1; k < entries.size(); ++k) {
    EXPECT_GT(Num(entries[k].struct_value(), "tenant_seq"),
              Num(entries[k - 1].struct_value(), "tenant_seq"));
  }
  EXPECT_GT(Num(entries[0].struct_value(), "tenant_seq"), 0);
  for (size_t k : {size_t{0}, entries.size() / 2, entries.size() - 1}) {
    const int64_t t = static_cast<int64_t>(Num(entries[k].struct_value(), "recorded_at_us"));
    const std::string when =
        absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(t), absl::UTCTimeZone());
    Struct then =
        RclJson({"--tenant", "north", "claim", "history", "--id", claim, "--as-of-time", when});
    size_t expected = 0;
    for (const Value& e : entries) {
      if (static_cast<int64_t>(Num(e.struct_value(), "recorded_at_us")) <= t) ++expected;
    }
    EXPECT_EQ(List(then, "entries").size(), expected) << when;
    // The same as asking at the position of the last event recorded by then.
    EXPECT_GE(Num(then, "as_of_position"), Num(entries[k].struct_value(), "position"));
  }
  Struct before = RclJson({"--tenant", "north", "claim", "history", "--id", claim, "--as-of-time",
                           "2001-01-01T00:00:00Z"});
  EXPECT_TRUE(List(before, "entries").empty());
  ExpectFailure(
      {"--tenant", "north", "claim", "history", "--id", claim, "--as-of-time", "yesterday"}, 2,
      {"--as-of-time"});
  ExpectFailure({"--tenant", "north", "claim", "history", "--id", claim, "--as-of-time",
                 "2026-01-01T00:00:00Z", "--as-of-position", "3"},
                2, {"not both"});
}

TEST_F(AuditCliTest, BadQuestionsGetClearAnswers) {
  Demo("north", "7");
  const uint64_t size = TenantSeq("north");
  ExpectFailure({"--tenant", "north", "audit", "inclusion", "--seq", absl::StrCat(size + 1)}, 1,
                {"out of range", "not in a tree of size"});
  ExpectFailure({"--tenant", "north", "audit", "inclusion", "--seq", "0"}, 2, {"--seq"});
  ExpectFailure({"--tenant", "north", "audit", "consistency", "--from", "5", "--to", "4"}, 2,
                {"--to"});
  ExpectFailure({"--tenant", "north", "audit", "consistency", "--from", absl::StrCat(size + 1)}, 1,
                {"out of range"});
  ExpectFailure({"--tenant", "empty", "audit", "consistency", "--from", "1"}, 1, {"out of range"});
  const std::string garbage = dir_.path() + "/garbage.sth";
  std::ofstream(garbage) << "{\"tenant\": 5";
  ExpectFailure({"--tenant", "north", "audit", "verify-claim", "--id", "C1", "--sth", garbage}, 2,
                {"tree head"});
  // A forged head: right shape, wrong signature.
  const std::string forged = dir_.path() + "/forged.sth";
  ASSERT_EQ(Rcl({"--tenant", "north", "audit", "sth", "--out", forged}).exit_code, 0);
  std::string text = ReadFile(forged);
  const size_t at = text.find("\"tree_size\":") + 12;
  text.insert(at, "1");  // a bigger tree than was signed
  std::ofstream(forged, std::ios::trunc) << text;
  testing::CommandResult r =
      Rcl({"--tenant", "north", "audit", "verify-claim", "--id", "C1", "--sth", forged});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("saved tree head"));
}

}  // namespace
}  // namespace rcl
