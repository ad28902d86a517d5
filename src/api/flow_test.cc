#include "api/flow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(FlowTest, ABodyExpectationIsContainsOrAJsonPointerEqualToAValue) {
  Result<BodyExpect> contains = ParseBodyExpect("contains:\"mode\"");
  ASSERT_TRUE(contains.ok());
  std::string why;
  EXPECT_TRUE(MatchBody(*contains, R"({"mode":"auto"})", &why));
  EXPECT_FALSE(MatchBody(*contains, "{}", &why));
  EXPECT_EQ(why, "the body does not contain \"\"mode\"\"");

  Result<BodyExpect> text = ParseBodyExpect("json:/mode=auto");
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(MatchBody(*text, R"({"mode":"auto"})", &why));
  EXPECT_FALSE(MatchBody(*text, R"({"mode":"manual"})", &why));
  EXPECT_EQ(why, "/mode is \"manual\", not \"auto\"");
  EXPECT_FALSE(MatchBody(*text, "not json", &why));
  EXPECT_THAT(why, HasSubstr("not JSON"));
  EXPECT_FALSE(MatchBody(*text, R"({"other":1})", &why));
  EXPECT_EQ(why, "no /mode in the body");

  Result<BodyExpect> number = ParseBodyExpect("json:/n/0=3");
  ASSERT_TRUE(number.ok());
  EXPECT_TRUE(MatchBody(*number, R"({"n":[3]})", &why));
  EXPECT_FALSE(MatchBody(*number, R"({"n":["3"]})", &why)) << "3 is a number, \"3\" a string";
}

TEST(FlowTest, BadBodyExpectationsAreClearErrors) {
  EXPECT_THAT(ParseBodyExpect("regex:.*").status().message(),
              HasSubstr("contains:TEXT or json:/pointer=VALUE"));
  EXPECT_FALSE(ParseBodyExpect("contains:").ok());
  EXPECT_FALSE(ParseBodyExpect("json:/mode").ok());
  EXPECT_FALSE(ParseBodyExpect("json:mode=1").ok());
  EXPECT_FALSE(ParseBodyExpect("json:/a~2=1").ok()) << "~2 is no JSON pointer escape";
}

TEST(FlowTest, RequestsAreAMethodAndALoopbackUrl) {
  auto ok = ParseFlowRequest("GET http://127.0.0.1:8002/switch/state");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "GET");
  EXPECT_EQ(ok->second, "http://127.0.0.1:8002/switch/state");
  EXPECT_TRUE(ParseFlowRequest("POST http://localhost:9/x").ok());
  EXPECT_TRUE(ParseFlowRequest("GET http://[::1]:9/").ok());
  EXPECT_THAT(ParseFlowRequest("GET http://10.0.0.7:8002/").status().message(),
              HasSubstr("loopback only"));
  EXPECT_FALSE(ParseFlowRequest("GET http://127.0.0.1.evil.example/").ok());
  EXPECT_FALSE(ParseFlowRequest("GET https://127.0.0.1/").ok());
  EXPECT_THAT(ParseFlowRequest("PATCH http://127.0.0.1/").status().message(),
              HasSubstr("method PATCH"));
  EXPECT_FALSE(ParseFlowRequest("http://127.0.0.1/").ok());
}

TEST(FlowTest, StatusListsAreHttpCodes) {
  EXPECT_EQ(*ParseStatusList("200,404"), (std::vector<int>{200, 404}));
  EXPECT_EQ(*ParseStatusList(" 204 "), (std::vector<int>{204}));
  EXPECT_FALSE(ParseStatusList("200,").ok());
  EXPECT_FALSE(ParseStatusList("2xx").ok());
  EXPECT_FALSE(ParseStatusList("99").ok());
}

TEST(FlowTest, LabelsDeclareOneStepFlowsSortedByName) {
  Result<std::vector<Flow>> flows = FlowsFromLabels(
      "switch", {{"vx11.flow.state.request", "GET http://127.0.0.1:8002/switch/state"},
                 {"vx11.flow.state.expect_status", "200,404"},
                 {"vx11.flow.state.expect_body", "json:/service=switch"},
                 {"vx11.flow.state.timeout_ms", "2000"},
                 {"vx11.flow.health.request", "GET http://127.0.0.1:8002/health"},
                 {"vx11.health.url", "http://127.0.0.1:8002/health"},
                 {"vx11.role", "x"}});
  ASSERT_TRUE(flows.ok()) << flows.status().message();
  ASSERT_EQ(flows->size(), 2u);
  EXPECT_EQ((*flows)[0].Id(), "switch:health");
  EXPECT_EQ((*flows)[0].steps.at(0).expect_status, std::vector<int>{200});
  EXPECT_EQ((*flows)[0].steps.at(0).timeout_ms, 5000);
  const FlowStep& state = (*flows)[1].steps.at(0);
  EXPECT_EQ(state.url, "http://127.0.0.1:8002/switch/state");
  EXPECT_EQ(state.expect_status, (std::vector<int>{200, 404}));
  ASSERT_TRUE(state.expect_body.has_value());
  EXPECT_EQ(state.expect_body->pointer, "/service");
  EXPECT_EQ(state.timeout_ms, 2000);
}

TEST(FlowTest, ABadLabelIsAnErrorNamingIt) {
  auto error = [](std::map<std::string, std::string> labels) {
    Result<std::vector<Flow>> flows = FlowsFromLabels("switch", labels);
    return flows.ok() ? std::string("ok") : flows.status().message();
  };
  EXPECT_THAT(error({{"vx11.flow.state.expect_status", "200"}}),
              HasSubstr("label vx11.flow.state.request: missing"));
  EXPECT_THAT(error({{"vx11.flow.state.request", "GET http://192.168.1.2/"}}),
              HasSubstr("label vx11.flow.state.request: flows reach loopback only"));
  EXPECT_THAT(error({{"vx11.flow.state.request", "GET http://127.0.0.1/"},
                     {"vx11.flow.state.expect_status", "ok"}}),
              HasSubstr("vx11.flow.state.expect_status"));
  EXPECT_THAT(error({{"vx11.flow.state.request", "GET http://127.0.0.1/"},
                     {"vx11.flow.state.timeout_ms", "0"}}),
              HasSubstr("vx11.flow.state.timeout_ms: 1 to 600000"));
  EXPECT_THAT(
      error({{"vx11.flow.state.request", "GET http://127.0.0.1/"}, {"vx11.flow.state.body", "{}"}}),
      HasSubstr("POST or PUT only"));
  EXPECT_THAT(error({{"vx11.flow.State.request", "GET http://127.0.0.1/"}}),
              HasSubstr("label vx11.flow.State.request"));
  EXPECT_THAT(error({{"vx11.flow.state.reqest", "GET http://127.0.0.1/"}}),
              HasSubstr("label vx11.flow.state.reqest"));
}

TEST(FlowTest, CapturesAndSubstitutionCarryValuesToLaterSteps) {
  EXPECT_EQ(*CaptureValue("json:/task_id", R"({"task_id":"t-7"})"), "t-7");
  EXPECT_EQ(*CaptureValue("json:/n", R"({"n":42})"), "42");
  EXPECT_THAT(CaptureValue("json:/task_id", "{}").status().message(), HasSubstr("not in the body"));
  EXPECT_FALSE(CaptureValue("/task_id", "{}").ok());
  EXPECT_EQ(*Substitute("http://127.0.0.1:9/task/${task}?x=${n}", {{"task", "t-7"}, {"n", "2"}}),
            "http://127.0.0.1:9/task/t-7?x=2");
  EXPECT_EQ(*Substitute("no vars", {}), "no vars");
  EXPECT_THAT(Substitute("${missing}", {}).status().message(),
              HasSubstr("${missing} is not captured"));
  EXPECT_FALSE(Substitute("${open", {}).ok());
}

TEST(FlowTest, TheApiViewReadsBackAsTheSameFlow) {
  Flow flow;
  flow.service = "spawner";
  flow.name = "daughter";
  flow.origin = "flows.toml";
  FlowStep start;
  start.method = "POST";
  start.url = "http://127.0.0.1:8008/task";
  start.body = R"({"kind":"daughter"})";
  start.expect_status = {201};
  start.capture = {{"task", "json:/task_id"}};
  start.origin = "flows.toml";
  FlowStep poll;
  poll.url = "http://127.0.0.1:8008/task/${task}";
  poll.until = *ParseBodyExpect("json:/state=done");
  poll.max_polls = 20;
  poll.poll_ms = 250;
  poll.expect_body = *ParseBodyExpect("contains:done");
  poll.origin = "flows.toml";
  flow.steps = {start, poll};
  Result<Flow> back = FlowFromJson(FlowToJson(flow));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, flow);
  EXPECT_EQ(FlowToJson(flow)["id"], "spawner:daughter");
  EXPECT_FALSE(FlowFromJson(nlohmann::json::object()).ok());
}

TEST(FlowTest, TheFlowsViewListsEveryServicesFlowsItsErrorsAndHealthUrls) {
  ServiceModel model;
  model.services["switch"].labels = {{"vx11.flow.state.request", "GET http://127.0.0.1:8002/s"},
                                     {"vx11.health.url", "http://127.0.0.1:8002/health"}};
  model.services["hermes"].labels = {{"vx11.flow.bad.request", "GET http://10.0.0.1/"}};
  model.services["redis"];
  Result<nlohmann::json> all = FlowsView(model, "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ((*all)["flows"].size(), 1u);
  EXPECT_EQ((*all)["flows"][0]["id"], "switch:state");
  ASSERT_EQ((*all)["errors"].size(), 1u);
  EXPECT_THAT((*all)["errors"][0].get<std::string>(),
              HasSubstr("service hermes: label vx11.flow.bad.request"));
  EXPECT_EQ((*all)["health_urls"], nlohmann::json({{"switch", "http://127.0.0.1:8002/health"}}));
  Result<nlohmann::json> one = FlowsView(model, "redis");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE((*one)["flows"].empty());
  EXPECT_TRUE((*one)["errors"].empty());
  EXPECT_EQ(FlowsView(model, "nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace madre
