#include "http_api/open_throttle.h"

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class OpenThrottleTest : public ::testing::Test {
 protected:
  OpenThrottle Make(ThrottleOptions options) {
    return OpenThrottle(options, {.busy = [this] { return NextCpu(); },
                                  .snapshot = [this] { ++snapshots_; },
                                  .after = timers_.Scheduler(),
                                  .audit_rejected =
                                      [this](const std::string& actor, const Status& why) {
                                        rejected_.push_back(actor + ": " + why.message());
                                      }});
  }
  std::optional<double> NextCpu() {
    if (cpu_.empty()) return 0.0;
    std::optional<double> next = cpu_.front();
    cpu_.erase(cpu_.begin());
    return next;
  }
  // Admits one open; `opened` and `answer` tell what happened.
  void Admit(OpenThrottle& throttle) {
    throttle.Admit(
        "127.0.0.1", [this] { ++opened_; }, [this](HttpResponse r) { answer_ = std::move(r); });
  }
  // Lets `d` pass and fires what is due.
  void Pass(Duration d) {
    clock_.Advance(d);
    timers_.FireDue();
  }

  FakeClock clock_;
  ManualTimers timers_{clock_};
  std::vector<std::optional<double>> cpu_;
  int snapshots_ = 0;
  int opened_ = 0;
  std::optional<HttpResponse> answer_;
  std::vector<std::string> rejected_;
};

TEST_F(OpenThrottleTest, AQuietHostOpensAtOnce) {
  OpenThrottle throttle = Make({.cpu_pct = 70, .wait = true});
  cpu_ = {20.0};
  Admit(throttle);
  EXPECT_EQ(opened_, 1);
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_EQ(throttle.waiting(), 0);
}

TEST_F(OpenThrottleTest, ABusyHostIsRefusedWith503AndRetryAfterWhenRefusing) {
  OpenThrottle throttle = Make({.cpu_pct = 70, .wait = false});
  cpu_ = {95.0};
  Admit(throttle);
  EXPECT_EQ(opened_, 0);
  ASSERT_TRUE(answer_.has_value());
  EXPECT_EQ(answer_->status, 503);
  EXPECT_EQ(nlohmann::json::parse(answer_->body)["detail"],
            "throttled: host CPU 95% is above 70% (VX11_THROTTLE_CPU_PCT); retry later");
  ASSERT_EQ(answer_->headers.size(), 1u);
  EXPECT_EQ(answer_->headers[0], std::make_pair(std::string("Retry-After"), std::string("10")));
  EXPECT_EQ(rejected_.size(), 1u);
}

TEST_F(OpenThrottleTest, WaitingBacksOffOnTimersThenOpens) {
  OpenThrottle throttle = Make({.cpu_pct = 70, .wait = true});
  cpu_ = {90.0, 90.0, 20.0};
  Admit(throttle);
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(throttle.waiting(), 1);
  Pass(Seconds(1));
  EXPECT_EQ(opened_, 0);
  Pass(Seconds(2));
  EXPECT_EQ(opened_, 1);
  EXPECT_THAT(timers_.delays(), ElementsAre(Seconds(1), Seconds(2)));
  EXPECT_EQ(throttle.waiting(), 0);
  EXPECT_FALSE(answer_.has_value());
}

TEST_F(OpenThrottleTest, WaitingGivesUpAfterThreeBackOffs) {
  OpenThrottle throttle = Make({.cpu_pct = 70, .wait = true});
  cpu_ = {90.0, 90.0, 90.0, 90.0};
  Admit(throttle);
  Pass(Seconds(1));
  Pass(Seconds(2));
  Pass(Seconds(4));
  EXPECT_EQ(opened_, 0);
  ASSERT_TRUE(answer_.has_value());
  EXPECT_EQ(answer_->status, 503);
  EXPECT_THAT(timers_.delays(), ElementsAre(Seconds(1), Seconds(2), Seconds(4)));
}

TEST_F(OpenThrottleTest, WithNoReadingYetItLooksAgainASecondLaterWithoutBlocking) {
  OpenThrottle throttle = Make({.cpu_pct = 70, .wait = false});
  cpu_ = {std::nullopt, 30.0};
  Admit(throttle);
  EXPECT_EQ(opened_, 0);
  Pass(Seconds(1));
  EXPECT_EQ(opened_, 1);
}

TEST_F(OpenThrottleTest, OffMeansEveryOpenGoesThroughAndNoTimerRuns) {
  OpenThrottle throttle = Make({.cpu_pct = 0, .wait = true});
  cpu_ = {99.0};
  throttle.Start();
  Admit(throttle);
  EXPECT_EQ(opened_, 1);
  EXPECT_EQ(snapshots_, 0);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(OpenThrottleTest, StartFeedsTheCpuMeterOnItsOwnTimer) {
  OpenThrottle throttle = Make({.cpu_pct = 70, .wait = true});
  throttle.Start();
  EXPECT_EQ(snapshots_, 1);
  Pass(OpenThrottle::kMeterPeriod);
  Pass(OpenThrottle::kMeterPeriod);
  EXPECT_EQ(snapshots_, 3);
}

}  // namespace
}  // namespace madre
