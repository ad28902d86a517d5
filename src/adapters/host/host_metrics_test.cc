#include "adapters/host/host_metrics.h"

#include <gtest/gtest.h>

namespace madre::host {
namespace {

TEST(HostMetricsTest, ParsesAggregateCpuLine) {
  const char* stat =
      "cpu  100 5 50 800 40 3 2 0 0 0\n"
      "cpu0 50 2 25 400 20 1 1 0 0 0\n"
      "intr 12345\n";
  std::optional<CpuTimes> t = ParseProcStat(stat);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, 1000u);
  EXPECT_EQ(t->idle, 800u);
  EXPECT_EQ(t->iowait, 40u);
  EXPECT_FALSE(ParseProcStat("intr 1\n"));
}

TEST(HostMetricsTest, CpuUsageIsBusyShareBetweenSamples) {
  CpuTimes a{1000, 800, 40};
  CpuTimes b{2000, 1500, 90};  // +1000 total, +700 idle, +50 iowait -> 250 busy
  CpuUsage u = CpuBetween(a, b);
  EXPECT_DOUBLE_EQ(u.cpu_percent, 25.0);
  EXPECT_DOUBLE_EQ(u.iowait_percent, 5.0);
  EXPECT_DOUBLE_EQ(CpuBetween(a, a).cpu_percent, 0.0);
}

TEST(HostMetricsTest, MeminfoUsesMemAvailable) {
  std::optional<MemInfo> m =
      ParseMeminfo("MemTotal:  2000 kB\nMemFree: 100 kB\nMemAvailable:  1500 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->total_bytes, 2000u * 1024);
  EXPECT_EQ(m->used_bytes(), 500u * 1024);
  EXPECT_FALSE(ParseMeminfo("nothing\n"));
}

TEST(HostMetricsTest, Loadavg) {
  auto l = ParseLoadavg("0.50 1.25 2.00 1/200 1234\n");
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ((*l)[1], 1.25);
}

TEST(HostMetricsTest, ReadsTheRealProc) {
  EXPECT_TRUE(ReadCpuTimes("/proc").ok());
  EXPECT_TRUE(ReadMeminfo("/proc").ok());
  EXPECT_EQ(ReadCpuTimes("/nonexistent").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace madre::host
