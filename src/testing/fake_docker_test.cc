#include "testing/fake_docker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/container_control_contract.h"
#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string HashOf(FakeDocker& docker, const std::string& service) {
  Result<std::vector<ContainerState>> list = docker.ListProject();
  for (const auto& c : *list) {
    if (c.service == service) return c.config_hash;
  }
  return "(no container)";
}

TEST(FakeDockerTest, ContainersCarryTheConfigHashOfWhenTheyWereMade) {
  FakeDocker docker{ServiceModel{}};
  docker.SetConfigHash("db", "aaaa");
  docker.SetRunning("db", false);
  docker.SetConfigHash("db", "bbbb");
  EXPECT_EQ(HashOf(docker, "db"), "aaaa");  // an existing container keeps its label
  ASSERT_TRUE(docker.StartContainer("id-db").ok());
  EXPECT_EQ(HashOf(docker, "db"), "aaaa");  // starting does not recreate
  ASSERT_TRUE(docker.Up({"db"}).status.ok());
  EXPECT_EQ(HashOf(docker, "db"), "bbbb");  // `up` recreates from the current configuration
}

TEST(FakeDockerTest, ConfigHashesAnswersTheSetHashesAndHasAFailureSwitch) {
  FakeDocker docker{ServiceModel{}};
  Result<std::map<std::string, std::string>> none = docker.ConfigHashes();
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  docker.SetConfigHash("db", "aaaa");
  docker.SetConfigHash("web", "bbbb");
  docker.SetConfigHash("web", "");  // no longer printed
  docker.FailNext("config-hash", Status::Unavailable("boom"));
  EXPECT_EQ(docker.ConfigHashes().code(), StatusCode::kUnavailable);
  Result<std::map<std::string, std::string>> hashes = docker.ConfigHashes();
  ASSERT_TRUE(hashes.ok());
  EXPECT_THAT(*hashes, ElementsAre(Pair("db", "aaaa")));
  EXPECT_THAT(docker.calls(), ElementsAre("config-hash", "config-hash", "config-hash"));
}

// FakeDocker passes the contract the real Docker adapter passes (docker_engine_client_itest.cc).
class FakeDockerEnv {
 public:
  static bool Available() { return true; }
  FakeDockerEnv() : docker_(ModelOf({{"plain", {}}, {"ok", {}}, {"crashy", {}}})) {}
  ContainerObserver& observer() { return docker_; }
  ContainerControl& control() { return docker_; }
  void Create(const std::string& service, bool running) { docker_.SetRunning(service, running); }
  std::optional<ContainerState> MakeRestarting(const std::string& service) {
    docker_.SetRestarting(service);
    Result<std::vector<ContainerState>> list = docker_.ListProject();
    for (const auto& c : *list) {
      if (c.service == service) return c;
    }
    return std::nullopt;
  }

 private:
  FakeDocker docker_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Fake, ContainerControlContractTest, ::testing::Types<FakeDockerEnv>);

}  // namespace
}  // namespace madre
