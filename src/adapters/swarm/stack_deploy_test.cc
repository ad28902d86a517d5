#include "adapters/swarm/stack_deploy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace madre {
namespace {

using ::testing::ElementsAre;

SwarmService Deployed(const std::string& name, std::int64_t replicas,
                      std::map<std::string, std::string> labels = {},
                      SwarmMode mode = SwarmMode::kReplicated) {
  SwarmService service;
  service.id = "id-" + name;
  service.name = name;
  service.replicas = replicas;
  service.labels = std::move(labels);
  service.mode = mode;
  return service;
}

// A redeploy must not scale back up what madre scaled to 0, nor lose the count it restores.
TEST(StackDeployTest, DeployedServicesKeepTheirScaleAndMadresLabel) {
  const std::vector<SwarmService> deployed = {
      Deployed("vx11_hermes", 0, {{"vx11.madre.replicas", "2"}, {"other", "x"}}),
      Deployed("vx11_redis", 1),
      Deployed("vx11_agent", 0, {}, SwarmMode::kGlobal),
      Deployed("vx11_gone", 0),
      Deployed("vx11x_switch", 3),  // another stack whose name starts the same
  };
  StackDeployPlan plan =
      PlanStackDeploy("vx11", deployed, {"agent", "hermes", "redis", "switch", "yes"});
  EXPECT_EQ(plan.override_yaml,
            "# Written by `madre stack deploy`: the deployed services keep their current scale "
            "and\n"
            "# madre's labels (docs/providers.md).\n"
            "version: \"3.8\"\n"
            "services:\n"
            "  \"hermes\":\n"
            "    deploy:\n"
            "      replicas: 0\n"
            "      labels:\n"
            "        \"vx11.madre.replicas\": \"2\"\n"
            "  \"redis\":\n"
            "    deploy:\n"
            "      replicas: 1\n");
  EXPECT_THAT(
      plan.summary,
      ElementsAre("agent: global, left so",
                  "hermes: kept at 0 replica(s); restores 2 (label vx11.madre.replicas kept)",
                  "redis: kept at 1 replica(s)", "switch: new, deployed as the compose files say",
                  "yes: new, deployed as the compose files say",
                  "gone: deployed, not in the compose files: left as it is"));
}

TEST(StackDeployTest, AFirstDeployAddsNoFile) {
  StackDeployPlan plan = PlanStackDeploy("vx11", {}, {"redis"});
  EXPECT_EQ(plan.override_yaml, "");
  EXPECT_THAT(plan.summary, ElementsAre("redis: new, deployed as the compose files say"));
  EXPECT_THAT(StackDeployArgv({"a.yml", "b.yml"}, "", "vx11"),
              ElementsAre("docker", "stack", "deploy", "-c", "a.yml", "-c", "b.yml", "vx11"));
  EXPECT_THAT(StackDeployArgv({"a.yml"}, "/tmp/o.yml", "vx11"),
              ElementsAre("docker", "stack", "deploy", "-c", "a.yml", "-c", "/tmp/o.yml", "vx11"));
}

}  // namespace
}  // namespace madre
