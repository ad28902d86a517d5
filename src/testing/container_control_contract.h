// The behaviour the engine relies on from a ContainerObserver + ContainerControl pair: FakeDocker
// in the unit tier (fake_docker_test.cc) and DockerEngineClient against the real dockerd
// (tests/integration/docker_engine_client_itest.cc). What drifts between the two shows here.
//
// Use: give a test environment class with
//   static bool Available();                 // false: every test skips (no Docker here)
//   Env();                                   // a fresh project whose services "plain", "ok"
//                                            // and "crashy" have no container yet
//   ContainerObserver& observer();
//   ContainerControl& control();
//   void Create(const std::string& service, bool running);  // its container, running or exited
//   // Puts the service's container in a restart loop (restart: always, between two deaths)
//   // and returns it as the observer lists it while it is "restarting"; nullopt if never seen.
//   std::optional<ContainerState> MakeRestarting(const std::string& service);
// Then: INSTANTIATE_TYPED_TEST_SUITE_P(Fake, ContainerControlContractTest, ::testing::Types<Env>);
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ports/container_control.h"
#include "ports/container_observer.h"

namespace madre {

template <typename Env>
class ContainerControlContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Env::Available()) GTEST_SKIP() << "no Docker engine here";
    env_.emplace();
  }

  Env& env() { return *env_; }

  // The container of `service` as the observer lists it now; nullopt when it has none.
  std::optional<ContainerState> Listed(const std::string& service) {
    Result<std::vector<ContainerState>> list = env().observer().ListProject();
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return std::nullopt;
    for (const ContainerState& c : *list) {
      if (c.service == service) return c;
    }
    return std::nullopt;
  }

  std::optional<Env> env_;
};

TYPED_TEST_SUITE_P(ContainerControlContractTest);

TYPED_TEST_P(ContainerControlContractTest, ListsEachContainerWithItsServiceIdAndState) {
  this->env().Create("plain", true);
  this->env().Create("ok", false);
  Result<std::vector<ContainerState>> list = this->env().observer().ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  std::optional<ContainerState> plain = this->Listed("plain");
  std::optional<ContainerState> ok = this->Listed("ok");
  ASSERT_TRUE(plain && ok);
  EXPECT_EQ(plain->state, "running");
  EXPECT_TRUE(plain->Running());
  EXPECT_EQ(ok->state, "exited");
  EXPECT_FALSE(ok->Running());
  EXPECT_FALSE(plain->id.empty());
  EXPECT_NE(plain->id, ok->id);
  EXPECT_FALSE(plain->container.empty());
  EXPECT_FALSE(this->Listed("crashy")) << "a service without a container is not listed";
}

TYPED_TEST_P(ContainerControlContractTest, StopStopsARunningContainerAndStoppingAgainSucceeds) {
  this->env().Create("plain", true);
  const std::string id = this->Listed("plain")->id;
  ASSERT_TRUE(this->env().control().StopContainer(id, 1).ok());
  std::optional<ContainerState> after = this->Listed("plain");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, "exited");
  EXPECT_FALSE(after->Running());
  EXPECT_TRUE(this->env().control().StopContainer(id, 1).ok());
}

TYPED_TEST_P(ContainerControlContractTest, StartStartsAStoppedContainerAndStartingAgainSucceeds) {
  this->env().Create("plain", false);
  const std::string id = this->Listed("plain")->id;
  ASSERT_TRUE(this->env().control().StartContainer(id).ok());
  std::optional<ContainerState> after = this->Listed("plain");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, "running");
  EXPECT_EQ(after->id, id) << "a start keeps the container";
  EXPECT_TRUE(this->env().control().StartContainer(id).ok());
}

TYPED_TEST_P(ContainerControlContractTest, APausedContainerDoesNotCountAsRunningUntilUnpaused) {
  this->env().Create("plain", true);
  const std::string id = this->Listed("plain")->id;
  ASSERT_TRUE(this->env().control().PauseContainer(id).ok());
  std::optional<ContainerState> paused = this->Listed("plain");
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->state, "paused");
  EXPECT_FALSE(paused->Running());
  ASSERT_TRUE(this->env().control().UnpauseContainer(id).ok());
  EXPECT_EQ(this->Listed("plain")->state, "running");
}

TYPED_TEST_P(ContainerControlContractTest, ARestartingContainerCountsAsRunningAndAStopEndsItsLoop) {
  std::optional<ContainerState> looping = this->env().MakeRestarting("crashy");
  ASSERT_TRUE(looping) << "the container was never seen restarting";
  EXPECT_EQ(looping->state, "restarting");
  EXPECT_TRUE(looping->Running());
  ASSERT_TRUE(this->env().control().StopContainer(looping->id, 1).ok());
  std::optional<ContainerState> after = this->Listed("crashy");
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->Running()) << after->state;
  EXPECT_EQ(after->state, "exited");
}

TYPED_TEST_P(ContainerControlContractTest, AnUnknownContainerIsNotFound) {
  ContainerControl& control = this->env().control();
  const std::string id = "madre_no_such_container_x";
  EXPECT_EQ(control.StartContainer(id).code(), StatusCode::kNotFound);
  EXPECT_EQ(control.StopContainer(id, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(control.PauseContainer(id).code(), StatusCode::kNotFound);
  EXPECT_EQ(control.UnpauseContainer(id).code(), StatusCode::kNotFound);
  EXPECT_EQ(control.CpuLimit(id).code(), StatusCode::kNotFound);
  EXPECT_EQ(control.UpdateCpuLimit(id, 500'000'000).code(), StatusCode::kNotFound);
}

// cpu_limit (docs/design.md): a limit set on a running or stopped container reads back as set;
// a lift (0) leaves no limit below one whole CPU (the real adapter sets the whole host).
TYPED_TEST_P(ContainerControlContractTest, ACpuLimitReadsBackAsSetAndALiftRemovesIt) {
  this->env().Create("plain", true);
  this->env().Create("ok", false);
  ContainerControl& control = this->env().control();
  for (const char* service : {"plain", "ok"}) {
    const std::string id = this->Listed(service)->id;
    Result<std::int64_t> before = control.CpuLimit(id);
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    EXPECT_EQ(*before, 0) << service << ": no limit to begin with";
    ASSERT_TRUE(control.UpdateCpuLimit(id, 500'000'000).ok()) << service;
    EXPECT_EQ(*control.CpuLimit(id), 500'000'000) << service;
    ASSERT_TRUE(control.UpdateCpuLimit(id, 10'000'000).ok()) << service;
    EXPECT_EQ(*control.CpuLimit(id), 10'000'000) << service;
    ASSERT_TRUE(control.UpdateCpuLimit(id, 0).ok()) << service;
    Result<std::int64_t> lifted = control.CpuLimit(id);
    ASSERT_TRUE(lifted.ok());
    EXPECT_TRUE(*lifted == 0 || *lifted >= 1'000'000'000) << service << ": " << *lifted;
  }
  EXPECT_EQ(this->Listed("plain")->state, "running") << "an update does not stop a container";
}

REGISTER_TYPED_TEST_SUITE_P(ContainerControlContractTest,
                            ListsEachContainerWithItsServiceIdAndState,
                            StopStopsARunningContainerAndStoppingAgainSucceeds,
                            StartStartsAStoppedContainerAndStartingAgainSucceeds,
                            APausedContainerDoesNotCountAsRunningUntilUnpaused,
                            ARestartingContainerCountsAsRunningAndAStopEndsItsLoop,
                            AnUnknownContainerIsNotFound, ACpuLimitReadsBackAsSetAndALiftRemovesIt);

}  // namespace madre
