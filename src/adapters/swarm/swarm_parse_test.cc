#include "adapters/swarm/swarm_parse.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/swarm/swarm_samples.h"

namespace madre {
namespace {

using nlohmann::json;
namespace samples = swarm_samples;

TEST(SwarmParseTest, StackServicesFromARealList) {
  Result<std::vector<SwarmService>> services =
      ParseStackServices(samples::kServiceListSample, "smp");
  ASSERT_TRUE(services.ok()) << services.status().message();
  ASSERT_EQ(services->size(), 4u);
  // Sorted by name.
  EXPECT_EQ((*services)[0].name, "smp_crashy");
  EXPECT_EQ((*services)[1].name, "smp_db");
  EXPECT_EQ((*services)[2].name, "smp_glob");
  EXPECT_EQ((*services)[3].name, "smp_web");

  const SwarmService& crashy = (*services)[0];
  EXPECT_EQ(crashy.id, "idi3ezpgrnf5cr7a0thrw59xg");
  EXPECT_EQ(crashy.version, 18u);
  EXPECT_EQ(crashy.mode, SwarmMode::kReplicated);
  EXPECT_EQ(crashy.replicas, 1);
  EXPECT_EQ(crashy.running_tasks, 0);
  EXPECT_EQ(crashy.desired_tasks, 1);
  EXPECT_FALSE(crashy.has_healthcheck);
  EXPECT_EQ(crashy.image, "madre-busybox:latest");
  EXPECT_EQ(crashy.labels.at("com.docker.stack.namespace"), "smp");

  const SwarmService& glob = (*services)[2];
  EXPECT_EQ(glob.mode, SwarmMode::kGlobal);
  EXPECT_EQ(glob.replicas, 0);
  EXPECT_EQ(glob.running_tasks, 1);

  const SwarmService& web = (*services)[3];
  EXPECT_EQ(web.version, 185u);
  EXPECT_EQ(web.replicas, 2);
  EXPECT_TRUE(web.has_healthcheck);
  EXPECT_EQ(web.running_tasks, 2);
  EXPECT_EQ(web.desired_tasks, 2);
  EXPECT_EQ(web.labels.at(std::string(kReplicasLabel)), "2");
  ASSERT_TRUE(web.updated_at.has_value());
  EXPECT_EQ(FormatRfc3339(*web.updated_at), "2026-12-03T16:08:29.754852Z");
}

TEST(SwarmParseTest, OtherStacksAndNamesThatOnlyContainTheStackAreLeftOut) {
  json list = json::parse(samples::kServiceListSample);
  list[0]["Spec"]["Name"] = "smpx_glob";                              // not "smp_"
  list[1]["Spec"]["Labels"]["com.docker.stack.namespace"] = "other";  // another stack
  list[2]["Spec"]["Labels"].erase("com.docker.stack.namespace");      // no stack
  Result<std::vector<SwarmService>> services = ParseStackServices(list.dump(), "smp");
  ASSERT_TRUE(services.ok()) << services.status().message();
  ASSERT_EQ(services->size(), 1u);
  EXPECT_EQ((*services)[0].name, "smp_web");
  // The stack "sm" names none of them although the API's name filter would match.
  Result<std::vector<SwarmService>> none = ParseStackServices(samples::kServiceListSample, "sm");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SwarmParseTest, CountsWhileScalingDownAndUp) {
  Result<std::vector<SwarmService>> down =
      ParseStackServices(samples::kServiceListWebScaledDownSample, "smp");
  ASSERT_TRUE(down.ok()) << down.status().message();
  ASSERT_EQ(down->size(), 1u);
  EXPECT_EQ((*down)[0].replicas, 0);
  EXPECT_EQ((*down)[0].running_tasks, 2);
  EXPECT_EQ((*down)[0].desired_tasks, 0);
  Result<std::vector<SwarmService>> up =
      ParseStackServices(samples::kServiceListWebStartingSample, "smp");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ((*up)[0].running_tasks, 0);
  EXPECT_EQ((*up)[0].desired_tasks, 2);
}

TEST(SwarmParseTest, AListWithoutServiceStatusNeedsANewerApi) {
  json list = json::parse(samples::kServiceListSample);
  for (json& item : list) item.erase("ServiceStatus");
  Result<std::vector<SwarmService>> services = ParseStackServices(list.dump(), "smp");
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.code(), StatusCode::kInternal);
  EXPECT_NE(services.status().message().find("API >= 1.41"), std::string::npos);
}

TEST(SwarmParseTest, MalformedAnswersAreClearErrors) {
  for (std::string_view bad :
       {"", "{", "not json", "{\"a\":1}", "[{\"ID\":\"x\"}]", "[{\"ID\":\"x\",\"Spec\":{}}]",
        "[{\"ID\":\"x\",\"Spec\":{\"Name\":\"smp_a\"}}]"}) {
    Result<std::vector<SwarmService>> services = ParseStackServices(bad, "smp");
    ASSERT_FALSE(services.ok()) << bad;
    EXPECT_EQ(services.code(), StatusCode::kInternal) << bad;
    EXPECT_FALSE(services.status().message().empty());
  }
  Result<std::vector<SwarmTask>> tasks = ParseTasks("[{\"ID\":\"t\"}]");
  ASSERT_FALSE(tasks.ok());
  EXPECT_NE(tasks.status().message().find("task"), std::string::npos);
  EXPECT_FALSE(ParseTasks("{}").ok());
  EXPECT_FALSE(ParseTasks("[").ok());
  EXPECT_FALSE(ParseSwarmService("[]").ok());
  EXPECT_FALSE(ParseSwarmService(samples::kServiceNotFoundSample).ok());
}

TEST(SwarmParseTest, InspectAnswers) {
  Result<SwarmService> web = ParseSwarmService(samples::kServiceInspectWebSample);
  ASSERT_TRUE(web.ok()) << web.status().message();
  EXPECT_EQ(web->name, "smp_web");
  EXPECT_EQ(web->replicas, 2);  // Spec, not PreviousSpec (0)
  EXPECT_FALSE(web->running_tasks.has_value());
  EXPECT_EQ(web->force_update, 0);
  Result<SwarmService> glob = ParseSwarmService(samples::kServiceInspectGlobalSample);
  ASSERT_TRUE(glob.ok());
  EXPECT_EQ(glob->mode, SwarmMode::kGlobal);
}

TEST(SwarmParseTest, TasksOfACrashLoop) {
  Result<std::vector<SwarmTask>> tasks = ParseTasks(samples::kCrashyTasksSample);
  ASSERT_TRUE(tasks.ok()) << tasks.status().message();
  ASSERT_EQ(tasks->size(), 3u);
  const SwarmTask& starting = (*tasks)[0];
  EXPECT_EQ(starting.id, "8xcmn2xxxx40vz7vk14nqyr4a");
  EXPECT_EQ(starting.service_id, "idi3ezpgrnf5cr7a0thrw59xg");
  EXPECT_EQ(starting.state, "starting");
  EXPECT_EQ(starting.desired_state, "running");
  EXPECT_FALSE(starting.Failed());
  EXPECT_EQ(starting.slot, 1);
  EXPECT_EQ(starting.node_id, "j212syqjjg9ttm27f7bkrfkns");
  const SwarmTask& failed = (*tasks)[1];
  EXPECT_TRUE(failed.Failed());
  EXPECT_EQ(failed.desired_state, "shutdown");
  EXPECT_EQ(failed.err, "task: non-zero exit (1)");
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_FALSE(failed.container_id.empty());
  ASSERT_TRUE(failed.created_at.has_value());
  ASSERT_TRUE(failed.status_at.has_value());
  EXPECT_GT(*failed.status_at, *failed.created_at);
}

TEST(SwarmParseTest, RunningTasks) {
  Result<std::vector<SwarmTask>> tasks = ParseTasks(samples::kWebTasksSample);
  ASSERT_TRUE(tasks.ok()) << tasks.status().message();
  ASSERT_EQ(tasks->size(), 2u);
  for (const SwarmTask& task : *tasks) {
    EXPECT_EQ(task.state, "running");
    EXPECT_TRUE(task.err.empty());
  }
}

TEST(SwarmParseTest, Nodes) {
  Result<std::vector<SwarmNode>> nodes = ParseNodes(samples::kNodesSample);
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].id, "j212syqjjg9ttm27f7bkrfkns");
  EXPECT_EQ((*nodes)[0].hostname, "madre-host");
  EXPECT_EQ((*nodes)[0].state, "ready");
  EXPECT_EQ((*nodes)[0].availability, "active");
  EXPECT_EQ((*nodes)[1].hostname, "far-node");
  EXPECT_EQ((*nodes)[1].state, "down");
  EXPECT_EQ((*nodes)[1].availability, "drain");
  EXPECT_FALSE(ParseNodes("{}").ok());
  EXPECT_FALSE(ParseNodes(R"([{"Description":{"Hostname":"x"}}])").ok());
  EXPECT_FALSE(ParseNodes("[").ok());
}

TEST(SwarmParseTest, ComposeServiceNames) {
  EXPECT_EQ(ComposeServiceName("vx11", "vx11_switch"), "switch");
  EXPECT_EQ(ComposeServiceName("vx11", "vx11_a_b"), "a_b");
  EXPECT_FALSE(ComposeServiceName("vx11", "vx11_").has_value());
  EXPECT_FALSE(ComposeServiceName("vx11", "vx11-switch").has_value());
  EXPECT_FALSE(ComposeServiceName("vx11", "vx1_switch").has_value());
  EXPECT_FALSE(ComposeServiceName("", "_switch").has_value());
}

TEST(SwarmParseTest, ScaleBodyKeepsTheWholeSpec) {
  Result<std::string> body = ScaleSpecBody(samples::kServiceInspectWebSample, 0, 2);
  ASSERT_TRUE(body.ok()) << body.status().message();
  json spec = json::parse(*body);
  json original = json::parse(samples::kServiceInspectWebSample)["Spec"];
  EXPECT_EQ(spec["Mode"]["Replicated"]["Replicas"], 0);
  EXPECT_EQ(spec["Labels"][std::string(kReplicasLabel)], "2");
  // Everything else as the inspect said.
  spec["Mode"] = original["Mode"];
  spec["Labels"] = original["Labels"];
  EXPECT_EQ(spec, original);

  Result<std::string> no_label = ScaleSpecBody(samples::kServiceInspectWebSample, 3, std::nullopt);
  ASSERT_TRUE(no_label.ok());
  EXPECT_EQ(json::parse(*no_label)["Mode"]["Replicated"]["Replicas"], 3);
  EXPECT_EQ(json::parse(*no_label)["Labels"], original["Labels"]);
}

TEST(SwarmParseTest, GlobalServicesAreNotScaled) {
  Result<std::string> body = ScaleSpecBody(samples::kServiceInspectGlobalSample, 0, std::nullopt);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(body.status().message().find("smp_glob"), std::string::npos);
  EXPECT_NE(body.status().message().find("replicated"), std::string::npos);
  EXPECT_EQ(ScaleSpecBody("{}", 1, std::nullopt).code(), StatusCode::kInternal);
  EXPECT_EQ(ScaleSpecBody(samples::kServiceInspectWebSample, -1, std::nullopt).code(),
            StatusCode::kInvalidArgument);
}

TEST(SwarmParseTest, ForceUpdateIncrementsOnlyForceUpdate) {
  Result<std::string> body = ForceUpdateSpecBody(samples::kServiceInspectWebSample);
  ASSERT_TRUE(body.ok()) << body.status().message();
  json spec = json::parse(*body);
  json original = json::parse(samples::kServiceInspectWebSample)["Spec"];
  EXPECT_EQ(spec["TaskTemplate"]["ForceUpdate"], 1);
  spec["TaskTemplate"]["ForceUpdate"] = 0;
  EXPECT_EQ(spec, original);
  EXPECT_FALSE(ForceUpdateSpecBody("nope").ok());
}

TEST(SwarmParseTest, Filters) {
  EXPECT_EQ(TaskServiceFilter({"a", "b"}), R"({"service":["a","b"]})");
  EXPECT_EQ(StackLabelFilter("vx11"), R"({"label":["com.docker.stack.namespace=vx11"]})");
}

TEST(SwarmParseTest, RestoreReplicas) {
  SwarmService s;
  s.replicas = 0;
  EXPECT_EQ(RestoreReplicas(s), 1);
  s.replicas = 3;
  EXPECT_EQ(RestoreReplicas(s), 3);
  s.labels[std::string(kReplicasLabel)] = "2";
  EXPECT_EQ(RestoreReplicas(s), 2);
  s.replicas = 0;
  EXPECT_EQ(RestoreReplicas(s), 2);
  for (const char* bad : {"", "0", "-1", "2x", "x", "99999"}) {
    s.labels[std::string(kReplicasLabel)] = bad;
    EXPECT_EQ(RestoreReplicas(s), 1) << bad;
  }
}

TEST(SwarmParseTest, OutOfSequence) {
  EXPECT_TRUE(IsOutOfSequence(500, samples::kUpdateOutOfSequenceSample));
  EXPECT_TRUE(IsOutOfSequence(409, samples::kUpdateOutOfSequenceSample));
  EXPECT_FALSE(IsOutOfSequence(200, samples::kUpdateOutOfSequenceSample));
  EXPECT_FALSE(IsOutOfSequence(500, R"({"message":"rpc error: something else"})"));
  EXPECT_FALSE(IsOutOfSequence(404, samples::kServiceNotFoundSample));
}

}  // namespace
}  // namespace madre
