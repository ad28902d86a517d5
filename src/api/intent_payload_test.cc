#include "api/intent_payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(IntentPayloadTest, AWindowPayloadIsReadStrictly) {
  Result<WindowIntent> open =
      ParseWindowPayload(R"({"services":["switch","hermes"],"ttl_sec":300,"reason":"queen"})");
  ASSERT_TRUE(open.ok()) << open.status().message();
  EXPECT_EQ(open->op, WindowIntent::Op::kOpen);
  EXPECT_EQ(open->services, (std::vector<std::string>{"switch", "hermes"}));
  EXPECT_EQ(open->ttl_sec, 300);
  EXPECT_EQ(open->reason, "queen");

  Result<WindowIntent> close = ParseWindowPayload(
      R"({"action":"close","window_id":"0b3f6a52-8c1e-4d2a-9f3b-1c2d3e4f5a6b"})");
  ASSERT_TRUE(close.ok()) << close.status().message();
  EXPECT_EQ(close->op, WindowIntent::Op::kClose);

  EXPECT_THAT(ParseWindowPayload(R"({"services":["a"],"ttl":5})").status().message(),
              HasSubstr("payload.ttl is not a field"));
  EXPECT_THAT(ParseWindowPayload(R"({"action":"restart"})").status().message(),
              HasSubstr("payload.action"));
  EXPECT_THAT(ParseWindowPayload(R"({"services":"switch"})").status().message(),
              HasSubstr("must be a list"));
  EXPECT_THAT(ParseWindowPayload(R"({"services":["a"],"ttl_sec":"60"})").status().message(),
              HasSubstr("ttl_sec must be an integer"));
  EXPECT_THAT(ParseWindowPayload(R"({"action":"close","window_id":"../x"})").status().message(),
              HasSubstr("not a window id"));
  EXPECT_THAT(ParseWindowPayload("[1]").status().message(), HasSubstr("JSON object"));
  Result<WindowIntent> limited = ParseWindowPayload(R"({"services":["a"],"cpu_limit":0.5})");
  ASSERT_TRUE(limited.ok()) << limited.status().message();
  EXPECT_EQ(limited->cpu_limit, 0.5);
  EXPECT_THAT(ParseWindowPayload(R"({"services":["a"],"cpu_limit":"1"})").status().message(),
              HasSubstr("payload.cpu_limit must be a number"));
}

TEST(IntentPayloadTest, SubmissionChecksOnlyTheTypesWithAnExecutor) {
  EXPECT_TRUE(CheckIntentPayload("window", R"({"services":["switch"],"ttl_sec":60})", 3600).ok());
  EXPECT_EQ(CheckIntentPayload("window", R"({"services":[]})", 3600).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckIntentPayload("window", R"({"services":["a"],"ttl_sec":99999})", 3600).code(),
            StatusCode::kInvalidArgument);
  // The operator's spawner view sends more than madre reads: kept, not refused.
  EXPECT_TRUE(CheckIntentPayload("spawn", R"({"task":"x","ttl_sec":120})", 3600).ok());
  EXPECT_FALSE(CheckIntentPayload("spawn", R"({"ttl_sec":true})", 3600).ok());
  EXPECT_TRUE(
      CheckIntentPayload(
          "build", R"({"target_service":"switch","dockerfile_path":"switch/Dockerfile"})", 3600)
          .ok());
  EXPECT_THAT(CheckIntentPayload("build", R"({"reason":"drift"})", 3600).message(),
              HasSubstr("target_service is required"));
  // No executor: recorded as sent, and rejected later with the reason.
  EXPECT_TRUE(CheckIntentPayload("fs_drift", R"({"anything":[1,2]})", 3600).ok());
  // stabilize_cpu: the queen's own fields are kept; timeout_sec is bounded.
  EXPECT_TRUE(CheckIntentPayload("stabilize_cpu", "{}", 3600).ok());
  EXPECT_TRUE(CheckIntentPayload("stabilize_cpu", R"({"cpu":93.5,"timeout_sec":120})", 3600).ok());
  EXPECT_THAT(CheckIntentPayload("stabilize_cpu", R"({"timeout_sec":0})", 3600).message(),
              HasSubstr("payload.timeout_sec must be 1..86400"));
  EXPECT_THAT(CheckIntentPayload("stabilize_cpu", R"({"timeout_sec":"10m"})", 3600).message(),
              HasSubstr("payload.timeout_sec must be an integer"));
  EXPECT_FALSE(CheckIntentPayload("stabilize_cpu", R"({"reason":3})", 3600).ok());
  Result<StabilizeCpuIntent> parsed =
      ParseStabilizeCpuPayload(R"({"timeout_sec":45,"reason":"load"})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->timeout_sec, 45);
  EXPECT_EQ(parsed->reason, "load");
}

}  // namespace
}  // namespace madre
