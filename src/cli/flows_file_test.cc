#include "cli/flows_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kDaughter[] = R"(# the spawner's daughter lifecycle
[[flow]]
service = "spawner"
name = "daughter"
  [[flow.step]]
  request = "POST http://127.0.0.1:8008/task"
  body = '{"kind": "daughter"}'
  expect_status = [201, 202]
  capture = { task = "json:/task_id" }
  [[flow.step]]
  request = "GET http://127.0.0.1:8008/task/${task}"
  until = "json:/state=done"
  max_polls = 20
  poll_ms = 250
  expect_body = "contains:done"
  timeout_ms = 2000

[[flow]]
service = "switch"
name = "state"
  [[flow.step]]
  request = "GET http://127.0.0.1:8002/switch/state"
  expect_status = "200,404"
)";

TEST(FlowsFileTest, FlowsOfSeveralStepsWithCapturesAndPolls) {
  Result<std::vector<Flow>> flows = ParseFlowsToml(kDaughter, "flows.toml");
  ASSERT_TRUE(flows.ok()) << flows.status().message();
  ASSERT_EQ(flows->size(), 2u);
  const Flow& daughter = (*flows)[0];
  EXPECT_EQ(daughter.Id(), "spawner:daughter");
  ASSERT_EQ(daughter.steps.size(), 2u);
  EXPECT_EQ(daughter.steps[0].method, "POST");
  EXPECT_EQ(daughter.steps[0].body, R"({"kind": "daughter"})");
  EXPECT_EQ(daughter.steps[0].expect_status, (std::vector<int>{201, 202}));
  EXPECT_EQ(daughter.steps[0].capture.at("task"), "json:/task_id");
  EXPECT_EQ(daughter.steps[0].origin, "flows.toml:5");  // its [[flow.step]] line
  EXPECT_EQ(daughter.steps[1].url, "http://127.0.0.1:8008/task/${task}");
  ASSERT_TRUE(daughter.steps[1].until.has_value());
  EXPECT_EQ(daughter.steps[1].max_polls, 20);
  EXPECT_EQ(daughter.steps[1].poll_ms, 250);
  EXPECT_EQ(daughter.steps[1].timeout_ms, 2000);
  EXPECT_EQ((*flows)[1].steps.at(0).expect_status, (std::vector<int>{200, 404}));
}

std::string ErrorOf(const std::string& text) {
  Result<std::vector<Flow>> flows = ParseFlowsToml(text, "f.toml");
  return flows.ok() ? "ok" : flows.status().message();
}

TEST(FlowsFileTest, EveryErrorNamesTheFileAndLine) {
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"n\"\n[[flow.step]]\n"
                      "request = \"GET http://10.1.2.3/\"\n"),
              HasSubstr("f.toml:4: request: flows reach loopback only"));
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"n\"\n[[flow.step]]\n"
                      "request = \"GET http://127.0.0.1/${task}\"\n"),
              HasSubstr("f.toml:4: ${task} is not captured by an earlier step"));
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"n\"\n"),
              HasSubstr("f.toml:1: flow s:n has no [[flow.step]]"));
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"n\"\n[[flow.step]]\n"
                      "request = \"GET http://127.0.0.1/\"\nexpect = \"200\"\n"),
              HasSubstr("f.toml:4: unknown key expect in [[flow.step]]"));
  EXPECT_THAT(ErrorOf("[[flow]]\nname = \"n\"\n"), HasSubstr("f.toml:1: missing service"));
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"N!\"\n"), HasSubstr("name:"));
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"n\"\n[[flow.step]]\n"
                      "request = \"GET http://127.0.0.1/\"\nmax_polls = 3\n"),
              HasSubstr("max_polls goes with until"));
  EXPECT_THAT(ErrorOf("[[flow]]\nservice = \"s\"\nname = \"n\"\n[[flow.step]]\n"
                      "request = \"GET http://127.0.0.1/\"\nexpect_status = [99]\n"),
              HasSubstr("expect_status: HTTP codes"));
  EXPECT_THAT(ErrorOf("flows = 1\n"), HasSubstr("f.toml:1: unknown key flows"));
  EXPECT_THAT(ErrorOf("[[flow]\n"), HasSubstr("f.toml:1:"));
  const std::string twice =
      "[[flow]]\nservice = \"s\"\nname = \"n\"\n[[flow.step]]\nrequest = \"GET "
      "http://127.0.0.1/\"\n";
  EXPECT_THAT(ErrorOf(twice + twice), HasSubstr("flow s:n twice"));
  EXPECT_EQ(ErrorOf(""), "ok");
}

TEST(FlowsFileTest, AMissingFileIsAClearError) {
  EXPECT_THAT(LoadFlowsFile("/nonexistent/flows.toml").status().message(),
              HasSubstr("cannot read flows file /nonexistent/flows.toml"));
}

}  // namespace
}  // namespace madre::cli
