#include "cli/flow_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_test_support.h"

namespace madre::cli {
namespace {

using testing::FakeClock;
using testing::FakeTransport;
using ::testing::HasSubstr;
using testing::kTestStart;

class FlowRunnerTest : public ::testing::Test {
 protected:
  FlowReport Run(const Flow& flow) {
    return RunFlow(flow, probe_, clock_, [this](Duration d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    });
  }

  static FlowStep Step(std::string method, std::string url) {
    FlowStep step;
    step.method = std::move(method);
    step.url = std::move(url);
    return step;
  }

  static Flow FlowOf(std::vector<FlowStep> steps) {
    Flow flow;
    flow.service = "spawner";
    flow.name = "daughter";
    flow.steps = std::move(steps);
    return flow;
  }

  FakeTransport probe_;
  FakeClock clock_{kTestStart};
  std::vector<Duration> sleeps_;
};

TEST_F(FlowRunnerTest, AStepPassesOnAnExpectedStatusAndBody) {
  FlowStep step = Step("GET", "http://127.0.0.1:8002/switch/state");
  step.expect_status = {200, 404};
  step.expect_body = *ParseBodyExpect("json:/mode=auto");
  probe_.On("GET", "http://127.0.0.1:8002/switch/state",
            HttpReply{200, R"({"service":"switch","mode":"auto"})"});
  FlowReport report = Run(FlowOf({step}));
  EXPECT_TRUE(report.ok) << report.failure;
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].request, "GET http://127.0.0.1:8002/switch/state");
  EXPECT_EQ(report.steps[0].status, 200);
  EXPECT_THAT(report.steps[0].excerpt, HasSubstr("\"mode\":\"auto\""));
}

TEST_F(FlowRunnerTest, AnUnexpectedStatusOrBodyFailsWithTheRequestAndTheAnswer) {
  probe_.On("GET", "http://127.0.0.1:8002/x", HttpReply{500, "boom"});
  FlowReport status = Run(FlowOf({Step("GET", "http://127.0.0.1:8002/x")}));
  EXPECT_FALSE(status.ok);
  EXPECT_EQ(status.failure, "step 1 (GET http://127.0.0.1:8002/x): HTTP 500, expected 200");
  EXPECT_EQ(status.steps.at(0).excerpt, "boom");

  FlowStep body = Step("GET", "http://127.0.0.1:8002/y");
  body.expect_body = *ParseBodyExpect("contains:ready");
  probe_.On("GET", "http://127.0.0.1:8002/y", HttpReply{200, "starting"});
  FlowReport wrong = Run(FlowOf({body}));
  EXPECT_FALSE(wrong.ok);
  EXPECT_THAT(wrong.failure, HasSubstr("expect_body contains:ready: the body does not contain"));

  FlowReport none = Run(FlowOf({Step("GET", "http://127.0.0.1:9/")}));
  EXPECT_FALSE(none.ok);
  EXPECT_THAT(none.failure, HasSubstr("HTTP 404"));  // the fake's unscripted answer
}

TEST_F(FlowRunnerTest, ACapturedValueFeedsTheNextStepWhichPollsUntilDone) {
  FlowStep start = Step("POST", "http://127.0.0.1:8008/task");
  start.body = R"({"kind":"daughter"})";
  start.expect_status = {201};
  start.capture = {{"task", "json:/task_id"}};
  FlowStep poll = Step("GET", "http://127.0.0.1:8008/task/${task}");
  poll.until = *ParseBodyExpect("json:/state=done");
  poll.max_polls = 5;
  poll.poll_ms = 250;
  probe_.On("POST", "http://127.0.0.1:8008/task", HttpReply{201, R"({"task_id":"t-7"})"});
  probe_.On("GET", "http://127.0.0.1:8008/task/t-7", HttpReply{200, R"({"state":"running"})"});
  probe_.On("GET", "http://127.0.0.1:8008/task/t-7", HttpReply{200, R"({"state":"running"})"});
  probe_.On("GET", "http://127.0.0.1:8008/task/t-7", HttpReply{200, R"({"state":"done"})"});
  FlowReport report = Run(FlowOf({start, poll}));
  EXPECT_TRUE(report.ok) << report.failure;
  ASSERT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(report.steps[1].request, "GET http://127.0.0.1:8008/task/t-7");
  EXPECT_EQ(report.steps[1].polls, 3);
  EXPECT_EQ(sleeps_, (std::vector<Duration>{Millis(250), Millis(250)}));
  EXPECT_EQ(probe_.calls.at(0).body, R"({"kind":"daughter"})");
}

TEST_F(FlowRunnerTest, UntilNeverMetFailsAfterMaxPolls) {
  FlowStep poll = Step("GET", "http://127.0.0.1:8008/task/1");
  poll.until = *ParseBodyExpect("json:/state=done");
  poll.max_polls = 3;
  probe_.On("GET", "http://127.0.0.1:8008/task/1", HttpReply{200, R"({"state":"running"})"});
  FlowReport report = Run(FlowOf({poll}));
  EXPECT_FALSE(report.ok);
  EXPECT_THAT(report.failure,
              HasSubstr("until json:/state=done not met after 3 polls: /state is \"running\""));
  EXPECT_EQ(probe_.calls.size(), 3u);
}

TEST_F(FlowRunnerTest, AnAnswerLaterThanItsTimeoutFails) {
  FlowStep step = Step("GET", "http://127.0.0.1:8002/slow");
  step.timeout_ms = 100;
  probe_.handler = [this](const testing::RecordedCall&) -> Result<HttpReply> {
    clock_.Advance(Millis(150));
    return HttpReply{200, "{}"};
  };
  FlowReport report = Run(FlowOf({step}));
  EXPECT_FALSE(report.ok);
  EXPECT_THAT(report.failure, HasSubstr("answered in 150 ms, more than its timeout_ms 100"));
}

TEST_F(FlowRunnerTest, AnswerExcerptsAreOneBoundedLine) {
  EXPECT_EQ(AnswerExcerpt("a\nb\tc"), "a b c");
  EXPECT_EQ(AnswerExcerpt(std::string(400, 'x')).size(), 303u);
}

}  // namespace
}  // namespace madre::cli
