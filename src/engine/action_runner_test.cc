#include "engine/action_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/fake_docker.h"
#include "testing/fake_probe.h"
#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

ServiceModel Model() { return ModelOf({{"db", {}}, {"api", {"db"}}}); }

// The fast path's configuration check: a stopped container made from an older
// compose configuration (its config-hash label differs from `config --hash`)
// is recreated by compose instead of being started as it is.
class FastStartConfigTest : public ::testing::Test {
 protected:
  FastStartConfigTest()
      : model_(Model()),
        docker_(model_),
        context_{docker_,
                 docker_,
                 probe_,
                 clock_,
                 [this](Duration d) { clock_.Advance(d); },
                 model_,
                 ReadinessOptions{},
                 &docker_} {}

  ExecutedAction Start(std::vector<std::string> services) {
    Action action;
    action.id = 1;
    action.kind = ActionKind::kStart;
    action.services = std::move(services);
    action.actor = Actor::Client("127.0.0.1");
    return ExecuteAction(action, context_);
  }

  // A container compose made earlier from configuration `hash`, now stopped.
  void StoppedContainer(const std::string& service, const std::string& hash) {
    docker_.SetConfigHash(service, hash);
    docker_.SetRunning(service, false);
  }

  std::string HashOf(const std::string& service) {
    Result<std::vector<ContainerState>> list = docker_.ListProject();
    for (const auto& c : *list) {
      if (c.service == service) return c.config_hash;
    }
    return "(no container)";
  }

  static void ExpectAllOk(const ExecutedAction& executed) {
    EXPECT_TRUE(executed.result.status.ok()) << executed.result.status.ToString();
    for (const auto& s : executed.result.services)
      EXPECT_TRUE(s.ok) << s.service << ": " << s.error;
  }

  ServiceModel model_;
  FakeDocker docker_;
  FakeProbe probe_;
  FakeClock clock_;
  ActionContext context_;
};

TEST_F(FastStartConfigTest, UnchangedConfigurationStartsTheContainerThroughTheEngineApi) {
  StoppedContainer("db", "aaaa");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
  EXPECT_EQ(HashOf("db"), "aaaa");
}

TEST_F(FastStartConfigTest, ChangedConfigurationGoesThroughComposeUpForThatServiceOnly) {
  StoppedContainer("db", "aaaa");
  StoppedContainer("api", "bbbb");
  docker_.SetConfigHash("db", "cccc");  // the operator edited db in the compose file
  ExecutedAction executed = Start({"db", "api"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "up db", "api-start api"));
  EXPECT_EQ(HashOf("db"), "cccc");  // recreated from the new configuration
  EXPECT_EQ(HashOf("api"), "bbbb");
  EXPECT_THAT(executed.ops, Contains(Field(&DockerOp::command, HasSubstr("up -d --no-deps db"))));
}

TEST_F(FastStartConfigTest, UnknownHashKeepsTheFastPathWithoutAskingCompose) {
  docker_.SetRunning("db", false);  // no config-hash label (e.g. not made by compose)
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-start db"));
}

TEST_F(FastStartConfigTest, AServiceComposeGivesNoHashForKeepsTheFastPath) {
  StoppedContainer("db", "aaaa");
  StoppedContainer("api", "bbbb");
  docker_.SetConfigHash("db", "");  // `config --hash` now prints no line for db
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
}

TEST_F(FastStartConfigTest, AHashFailureKeepsTheFastPathAndIsNotedInTheOps) {
  StoppedContainer("db", "aaaa");
  docker_.SetConfigHash("db", "cccc");
  docker_.FailNext("config-hash", Status::Unavailable("compose exploded"));
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
  EXPECT_THAT(executed.ops,
              Contains(AllOf(Field(&DockerOp::command, HasSubstr("config --hash")),
                             Field(&DockerOp::exit_code, -1),
                             Field(&DockerOp::output, HasSubstr("compose exploded")))));
}

TEST_F(FastStartConfigTest, ARunningContainerIsNeverRecreatedByAStart) {
  docker_.SetConfigHash("db", "aaaa");
  docker_.SetRunning("db", true);  // serves another window
  docker_.SetConfigHash("db", "cccc");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), Not(Contains("up db")));
  EXPECT_THAT(docker_.calls(), Not(Contains("config-hash")));
  EXPECT_EQ(HashOf("db"), "aaaa");
}

TEST_F(FastStartConfigTest, APausedContainerWithAChangedConfigurationIsRecreated) {
  docker_.SetConfigHash("db", "aaaa");
  docker_.SetRunning("db", true);
  ASSERT_TRUE(docker_.PauseContainer("id-db").ok());
  docker_.SetConfigHash("db", "cccc");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-pause db", "config-hash", "up db"));
  EXPECT_EQ(HashOf("db"), "cccc");
}

TEST_F(FastStartConfigTest, WithoutTheFastPathComposeUpDoesItAllAndNoHashIsAsked) {
  StoppedContainer("db", "aaaa");
  docker_.SetConfigHash("db", "cccc");
  context_.control = nullptr;
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("up db"));
}

}  // namespace
}  // namespace madre
