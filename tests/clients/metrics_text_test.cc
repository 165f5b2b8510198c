// `rcl admin top`'s reading of the exposition text and its frame: samples
// and labels as the format writes them, rates between two scrapes, and
// latency quantiles interpolated in histogram buckets.
#include "clients/metrics_text.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rcl::cli {
namespace {

constexpr char kScrape[] = R"(# HELP rcl_commands_total Commands answered.
# TYPE rcl_commands_total counter
rcl_commands_total{command="RegisterPatient",outcome="ok"} 10
rcl_commands_total{command="RegisterPatient",outcome="failed_precondition"} 2
rcl_fsyncs_total 4
rcl_events_appended_total 10
rcl_group_commit_commands_sum 10
rcl_group_commit_commands_count 4
rcl_command_duration_seconds_bucket{le="0.001"} 6
rcl_command_duration_seconds_bucket{le="0.01"} 12
rcl_command_duration_seconds_bucket{le="+Inf"} 12
rcl_log_head_position 10
rcl_projection_checkpoint_position{projection="claims"} 8
rcl_projection_lag_events{projection="claims"} 2
odd_label{path="a\"b\\c\nd"} 1.5e3 1700000000000
)";

TEST(MetricsTextTest, ParsesSamplesLabelsEscapesAndTimestamps) {
  auto samples = ParseExposition(kScrape);
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 13u);
  EXPECT_EQ((*samples)[0].labels.at("outcome"), "ok");
  EXPECT_EQ((*samples)[8].labels.at("le"), "+Inf");
  EXPECT_EQ(samples->back().labels.at("path"), "a\"b\\c\nd");
  EXPECT_EQ(samples->back().value, 1500);
}

TEST(MetricsTextTest, RefusesALineWithoutAValue) {
  auto samples = ParseExposition("ok 1\nbroken{a=\"b\"}\n");
  ASSERT_FALSE(samples.ok());
  EXPECT_THAT(samples.status().message(), ::testing::HasSubstr("metrics line 2"));
}

TEST(MetricsTextTest, FrameIsTheRatesBetweenTwoScrapes) {
  TopSample before;  // a server that had done nothing yet
  before.latency = {{0.001, 0}, {0.01, 0}, {INFINITY, 0}};
  TopSample after = Summarize(*ParseExposition(kScrape));
  TopFrame f = ComputeFrame(before, after, 2.0);
  EXPECT_DOUBLE_EQ(f.commands_per_s, 6);  // 12 commands in 2 s
  EXPECT_DOUBLE_EQ(f.rejected_per_s, 1);
  EXPECT_DOUBLE_EQ(f.fsyncs_per_s, 2);
  EXPECT_DOUBLE_EQ(f.events_per_s, 5);
  EXPECT_DOUBLE_EQ(f.batch_avg, 2.5);
  EXPECT_DOUBLE_EQ(f.head, 10);
  EXPECT_EQ(f.projections.at("claims"), std::make_pair(8.0, 2.0));
  // 6 of 12 at most 1 ms: the median is the bucket's edge; p99 lies in the
  // (1 ms, 10 ms] bucket, 5.88 of its 6 observations in.
  EXPECT_DOUBLE_EQ(f.p50_s, 0.001);
  EXPECT_NEAR(f.p99_s, 0.001 + 0.009 * (11.88 - 6) / 6, 1e-12);
  std::string text = FrameText(f, "127.0.0.1:9464");
  for (const char* field : {"commands/s", "fsyncs/s", "batch avg", "p99", "claims"}) {
    EXPECT_THAT(text, ::testing::HasSubstr(field));
  }
}

TEST(MetricsTextTest, NoCommandsInTheIntervalGiveZeroLatency) {
  TopSample s = Summarize(*ParseExposition(kScrape));
  TopFrame f = ComputeFrame(s, s, 1.0);
  EXPECT_EQ(f.commands_per_s, 0);
  EXPECT_EQ(f.p99_s, 0);
  EXPECT_EQ(f.batch_avg, 0);
}

}  // namespace
}  // namespace rcl::cli
