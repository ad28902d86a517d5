#include "http_api/stats_sampler.h"

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class CountingObserver final : public ContainerObserver {
 public:
  Result<std::vector<ContainerState>> ListProject() override { return containers; }
  Result<ContainerStats> Stats(const std::string& id) override {
    std::lock_guard lock(mu);
    sampled.push_back(id);
    ContainerStats stats;
    stats.cpu_percent = 5;
    stats.memory_bytes = 100;
    stats.memory_limit_bytes = 1000;
    return stats;
  }
  std::vector<ContainerState> containers;
  std::mutex mu;
  std::vector<std::string> sampled;
};

class StatsSamplerTest : public ::testing::Test {
 protected:
  StatsSamplerTest()
      : sampler_(StatsSampler::Deps{.observer = observer_,
                                    .workers = workers_,
                                    .loop = loop_,
                                    .after = timers_.Scheduler(),
                                    .now = [this] { return clock_.Now(); },
                                    .containers = [this] { return observer_.containers; },
                                    .busy = [this] { return busy_; }},
                 Seconds(10)) {
    observer_.containers = {Running("db", "id-db"), Running("web", "id-web")};
  }
  static ContainerState Running(std::string service, std::string id) {
    ContainerState c;
    c.service = std::move(service);
    c.id = std::move(id);
    c.state = "running";
    return c;
  }
  void Drain() {
    while (workers_.size() + loop_.size() > 0) {
      workers_.RunAll();
      loop_.RunAll();
    }
  }
  void Pass(Duration d) {
    clock_.Advance(d);
    timers_.FireDue();
    Drain();
  }

  FakeClock clock_;
  ManualTimers timers_{clock_};
  CountingObserver observer_;
  ManualExecutor workers_;
  ManualExecutor loop_;
  bool busy_ = false;
  StatsSampler sampler_;
};

TEST_F(StatsSamplerTest, AnIdleMadreSamplesNothingAndRunsNoTimer) {
  sampler_.Poke();
  Pass(Seconds(60));
  EXPECT_THAT(observer_.sampled, IsEmpty());
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_FALSE(sampler_.ticking());
}

TEST_F(StatsSamplerTest, ItSamplesOnATimerWhileAWindowIsKeptAndStopsAfter) {
  busy_ = true;
  sampler_.Poke();
  Drain();
  EXPECT_EQ(sampler_.stats().size(), 2u);
  Pass(Seconds(10));
  EXPECT_EQ(observer_.sampled.size(), 4u);
  busy_ = false;
  Pass(Seconds(10));
  EXPECT_FALSE(sampler_.ticking());
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_EQ(observer_.sampled.size(), 4u);
}

TEST_F(StatsSamplerTest, AScrapeKeepsItSamplingForTwoScrapeIntervals) {
  sampler_.OnScrape();
  Drain();
  EXPECT_EQ(observer_.sampled.size(), 2u);
  Pass(Seconds(10));
  Pass(Seconds(10));  // 20 s after the scrape: still within two intervals
  EXPECT_EQ(observer_.sampled.size(), 6u);
  Pass(Seconds(10));  // 30 s: no scrape came, it stops
  EXPECT_EQ(observer_.sampled.size(), 6u);
  EXPECT_FALSE(sampler_.ticking());
}

TEST_F(StatsSamplerTest, ContainersThatAreGoneDropOutOfTheCache) {
  busy_ = true;
  sampler_.Poke();
  Drain();
  ASSERT_EQ(sampler_.stats().count("id-web"), 1u);
  observer_.containers = {Running("db", "id-db")};
  Pass(Seconds(10));
  EXPECT_EQ(sampler_.stats().count("id-web"), 0u);
  EXPECT_EQ(sampler_.stats().count("id-db"), 1u);
}

TEST_F(StatsSamplerTest, FreshSamplesOnlyWhenTheLastRoundIsOld) {
  int answered = 0;
  sampler_.Fresh(observer_.containers, [&] { ++answered; });
  Drain();
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(observer_.sampled.size(), 2u);
  clock_.Advance(Seconds(5));
  sampler_.Fresh(observer_.containers, [&] { ++answered; });
  EXPECT_EQ(answered, 2);  // at once, from the cache
  EXPECT_EQ(observer_.sampled.size(), 2u);
}

}  // namespace
}  // namespace madre
