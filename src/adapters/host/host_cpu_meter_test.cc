#include "adapters/host/host_cpu_meter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A host whose CPU the test drives: `Run(busy_pct, d)` lets time pass with that busy share.
class FakeHost {
 public:
  HostCpuMeter::Deps Deps() {
    return {.read = [this]() -> Result<host::CpuTimes> {
              if (broken) return Status::Unavailable("no /proc/stat");
              return times_;
            },
            .now = [this] { return now_; },
            .sleep =
                [this](Duration d) {
                  sleeps.push_back(d);
                  Run(busy_during_sleep, d);
                }};
  }
  // One jiffy per millisecond.
  void Run(double busy_pct, Duration d) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    auto busy = static_cast<std::uint64_t>(static_cast<double>(ms) * busy_pct / 100.0);
    times_.total += static_cast<std::uint64_t>(ms);
    times_.idle += static_cast<std::uint64_t>(ms) - busy;
    now_ += d;
  }

  std::vector<Duration> sleeps;
  double busy_during_sleep = 0;
  bool broken = false;

 private:
  host::CpuTimes times_;
  HostCpuMeter::Instant now_{};
};

TEST(HostCpuMeterTest, JudgesOnTheTimeSinceTheLastSnapshotWithoutWaiting) {
  FakeHost host;
  HostCpuMeter meter(host.Deps());
  meter.Snapshot();
  host.Run(90, Seconds(10));
  EXPECT_DOUBLE_EQ(meter.BusyPercent(), 90);
  EXPECT_THAT(host.sleeps, IsEmpty());
}

TEST(HostCpuMeterTest, ASnapshotTooRecentFallsBackToAnOlderOne) {
  FakeHost host;
  HostCpuMeter meter(host.Deps());
  meter.Snapshot();
  host.Run(80, Seconds(29));
  host.Run(0, Millis(500));
  meter.Snapshot();  // the timer woke half a second ago: too short a window
  host.Run(0, Millis(500));
  double busy = meter.BusyPercent();  // over the last 30 s: 29 s at 80 %, 1 s idle
  EXPECT_NEAR(busy, 80.0 * 29 / 30, 0.01);
  EXPECT_THAT(host.sleeps, IsEmpty());
}

TEST(HostCpuMeterTest, WithNoUsableReadingItSamplesOnce) {
  FakeHost host;
  host.busy_during_sleep = 75;
  HostCpuMeter meter(host.Deps());
  EXPECT_DOUBLE_EQ(meter.BusyPercent(), 75);  // just after start: nothing to compare with
  EXPECT_THAT(host.sleeps, ElementsAre(HostCpuMeter::kFallbackSample));

  host.Run(10, Seconds(300));  // the timer slept long: every reading is too old
  host.busy_during_sleep = 20;
  EXPECT_DOUBLE_EQ(meter.BusyPercent(), 20);
  EXPECT_EQ(host.sleeps.size(), 2u);

  host.Run(50, Seconds(2));  // the readings of that sample are recent enough now
  EXPECT_DOUBLE_EQ(meter.BusyPercent(), 50);
  EXPECT_EQ(host.sleeps.size(), 2u);
}

TEST(HostCpuMeterTest, OpensInQuickSuccessionReuseTheWindowBehindThem) {
  FakeHost host;
  HostCpuMeter meter(host.Deps());
  meter.Snapshot();
  host.Run(60, Seconds(5));
  EXPECT_DOUBLE_EQ(meter.BusyPercent(), 60);
  host.Run(100, Millis(100));
  // 0.1 s after the last measurement: judged over the 5.1 s since the snapshot instead.
  EXPECT_NEAR(meter.BusyPercent(), (60.0 * 5 + 100 * 0.1) / 5.1, 0.01);
  EXPECT_THAT(host.sleeps, IsEmpty());
}

TEST(HostCpuMeterTest, AnUnreadableProcStatNeverThrottles) {
  FakeHost host;
  HostCpuMeter meter(host.Deps());
  meter.Snapshot();
  host.Run(100, Seconds(5));
  host.broken = true;
  EXPECT_DOUBLE_EQ(meter.BusyPercent(), 0);
}

TEST(HostCpuMeterTest, RecentNeverSleepsAndKeepsTheReadingForTheNextCall) {
  FakeHost host;
  HostCpuMeter meter(host.Deps());
  EXPECT_FALSE(meter.Recent().has_value());  // nothing to compare with yet
  host.Run(40, Seconds(3));
  std::optional<host::CpuUsage> usage = meter.Recent();
  ASSERT_TRUE(usage.has_value());
  EXPECT_DOUBLE_EQ(usage->cpu_percent, 40);
  host.Run(80, Millis(500));  // too short a window behind the last reading: the one before
  ASSERT_TRUE(meter.Recent().has_value());
  host.Run(10, Seconds(120));  // every reading too old
  EXPECT_FALSE(meter.Recent().has_value());
  EXPECT_THAT(host.sleeps, IsEmpty());
}

}  // namespace
}  // namespace madre
