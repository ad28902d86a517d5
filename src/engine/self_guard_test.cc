#include "engine/self_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_docker.h"
#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// FakeDocker names the containers "id-<service>"; madre's is "id-madre", abbreviated as an
// observer would list it.
constexpr char kSelfId[] = "id-madre-and-the-rest-of-its-full-id";

class SelfGuardTest : public ::testing::Test {
 protected:
  FakeDocker docker_{ModelOf({{"madre", {}}, {"redis", {}}, {"web", {"redis"}}})};
  SelfContainerRef self_{kSelfId, "madre"};
  SelfGuardedCompose compose_{docker_, self_};
  SelfGuardedControl control_{docker_, self_};
};

TEST_F(SelfGuardTest, ComposeActionsNamingMadresServiceAreRefusedBeforeDocker) {
  docker_.SetRunning("madre", true);
  for (const auto& [verb, outcome] : std::vector<std::pair<std::string, ComposeOutcome>>{
           {"start", compose_.Up({"redis", "madre"})},
           {"stop", compose_.Stop({"madre"})},
           {"restart", compose_.Restart({"madre", "web"})},
           {"recreate", compose_.Recreate({"madre"})},
       }) {
    EXPECT_EQ(outcome.status.code(), StatusCode::kFailedPrecondition) << verb;
    EXPECT_THAT(outcome.status.message(), HasSubstr("does not " + verb + " its own container"));
    EXPECT_THAT(outcome.status.message(), HasSubstr("of service madre"));
    EXPECT_THAT(outcome.ops, IsEmpty());
  }
  // Nothing reached Docker: not even the other services of a refused call.
  EXPECT_THAT(docker_.calls(), IsEmpty());
  EXPECT_EQ(docker_.running(), std::set<std::string>{"madre"});
}

TEST_F(SelfGuardTest, OtherServicesAndReadsPassThrough) {
  EXPECT_TRUE(compose_.Up({"redis", "web"}).status.ok());
  EXPECT_TRUE(compose_.Restart({"web"}).status.ok());
  EXPECT_TRUE(compose_.Stop({"web"}).status.ok());
  EXPECT_TRUE(compose_.Recreate({"redis"}).status.ok());
  EXPECT_THAT(docker_.calls(),
              ElementsAre("up redis web", "restart web", "stop web", "recreate redis"));
  Result<std::vector<ContainerState>> listed = compose_.Ps();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  EXPECT_TRUE(compose_.Config().ok());
}

TEST_F(SelfGuardTest, ContainerActionsOnMadresContainerAreRefused) {
  docker_.SetRunning("madre", true);
  docker_.SetRunning("web", true);
  // Full or abbreviated, as the observer lists it.
  for (const std::string& id : {std::string(kSelfId), std::string("id-madre")}) {
    EXPECT_EQ(control_.StopContainer(id, 3).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(control_.StartContainer(id).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(control_.PauseContainer(id).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(control_.UnpauseContainer(id).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(control_.UpdateCpuLimit(id, 500000000).code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_THAT(docker_.calls(), IsEmpty());
  EXPECT_EQ(docker_.running(), (std::set<std::string>{"madre", "web"}));
  // Another container is acted on; an empty id is nobody's.
  EXPECT_TRUE(control_.StopContainer("id-web", 3).ok());
  EXPECT_THAT(docker_.calls(), ElementsAre("api-stop web"));
  EXPECT_NE(control_.StopContainer("", 3).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace madre
