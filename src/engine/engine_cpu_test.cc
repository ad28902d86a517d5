// CPU limits of windows and the cpu_idle stop strategy (engine/cpu_quotas.h, docs/design.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/cpu_limits.h"
#include "engine/cpu_quotas.h"
#include "engine/engine_test_fixture.h"
#include "testing/in_memory_cpu_quota_store.h"

namespace madre {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class EngineCpuTest : public EngineTest {
 protected:
  EngineCpuTest() {
    options_.control = &docker_;
    options_.cpu = &quotas_;
    model_ = Model();
  }

  // As EngineTest::Boot, with the idle-aware observer and `model_`.
  void BootCpu() {
    int counter = 0;
    EngineDeps deps{clock_,    docker_,
                    observer_, store_,
                    audit_,    workers_,
                    loop_,     [counter]() mutable { return "w" + std::to_string(++counter); },
                    probe_,    [this](Duration d) { clock_.Advance(d); }};
    deps.stop_lane = &stops_;
    engine_ = std::make_unique<Engine>(deps, config_, model_, options_);
    ASSERT_TRUE(engine_->Start().ok());
    RunUntilIdle();
  }

  std::string OpenLimited(std::vector<std::string> services, std::optional<double> cpu_limit) {
    OpenRequest request;
    request.services = std::move(services);
    request.ttl_sec = 600;
    request.actor = "127.0.0.1";
    request.cpu_limit = cpu_limit;
    std::optional<Result<OpenOutcome>> answer;
    engine_->Open(request, true, Seconds(300),
                  [&](Result<OpenOutcome> r) { answer = std::move(r); });
    RunUntilIdle();
    EXPECT_TRUE(answer && answer->ok()) << (answer ? answer->status().ToString() : "no answer");
    return answer && answer->ok() ? (*answer)->window.id : "";
  }

  void CloseWindow(const std::string& id) {
    std::optional<Result<Window>> closed;
    engine_->Close(id, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
    RunUntilIdle();
    ASSERT_TRUE(closed && closed->ok());
  }

  std::vector<std::string> CpuCalls() {
    std::vector<std::string> out;
    const std::vector<std::string> calls = docker_.calls();
    for (const auto& call : calls) {
      if (call.rfind("api-cpu ", 0) == 0) out.push_back(call);
    }
    return out;
  }

  InMemoryCpuQuotaStore quota_store_;
  CpuQuotas quotas_{docker_, quota_store_};
  IdleAwareObserver observer_{docker_, quotas_};
  ServiceModel model_;
};

TEST_F(EngineCpuTest, AWindowsLimitIsAppliedToItsContainersAndTheOriginalRestoredAfter) {
  BootCpu();
  docker_.SetRunning("db", false);
  docker_.SetCpuLimit("db", 1'500'000'000);  // compose `cpus: 1.5`
  const std::string id = OpenLimited({"api"}, 0.5);
  EXPECT_EQ(docker_.cpu_limit("api"), 500'000'000);
  EXPECT_EQ(docker_.cpu_limit("db"), 500'000'000) << "its dependencies are its containers too";
  // The originals were kept.
  const auto records = quota_store_.records();
  ASSERT_EQ(records.count("id-db"), 1u);
  EXPECT_EQ(records.at("id-db").original_nano_cpus, 1'500'000'000);
  EXPECT_EQ(records.at("id-api").original_nano_cpus, 0);
  CloseWindow(id);
  EXPECT_EQ(docker_.cpu_limit("db"), 1'500'000'000);
  EXPECT_EQ(docker_.cpu_limit("api"), 0);
  EXPECT_THAT(quota_store_.records(), IsEmpty());
  EXPECT_THAT(CpuCalls(), Contains("api-cpu db 1500000000"));
}

TEST_F(EngineCpuTest, TheLowestLimitWinsAndIsRecomputedWhenALimitingWindowCloses) {
  BootCpu();
  const std::string wide = OpenLimited({"api"}, 1.0);
  const std::string narrow = OpenLimited({"db"}, 0.25);
  EXPECT_EQ(docker_.cpu_limit("db"), 250'000'000);
  EXPECT_EQ(docker_.cpu_limit("api"), 1'000'000'000);
  CloseWindow(narrow);
  EXPECT_EQ(docker_.running().count("db"), 1u) << "the other window holds db";
  EXPECT_EQ(docker_.cpu_limit("db"), 1'000'000'000);
  CloseWindow(wide);
  EXPECT_EQ(docker_.cpu_limit("db"), 0);
  EXPECT_THAT(quota_store_.records(), IsEmpty());
}

TEST_F(EngineCpuTest, TheLabelLimitsWheneverAWindowStartsTheService) {
  model_.services["db"].labels[kCpuLimitLabel] = "0.3";
  BootCpu();
  const std::string id = OpenLimited({"api"}, std::nullopt);
  EXPECT_EQ(docker_.cpu_limit("db"), 300'000'000);
  EXPECT_EQ(docker_.cpu_limit("api"), 0);
  EXPECT_THAT(CpuCalls(), ElementsAre("api-cpu db 300000000"));
  CloseWindow(id);
  EXPECT_EQ(docker_.cpu_limit("db"), 0);
}

TEST_F(EngineCpuTest, NoUpdateBeforeTheOriginalIsKeptAndAFailureIsRetriedLater) {
  BootCpu();
  quota_store_.FailWith(Status::Internal("disk full"));
  OpenLimited({"db"}, 0.5);
  EXPECT_THAT(CpuCalls(), IsEmpty()) << "never an update whose original is not kept";
  quota_store_.FailWith(Status::Ok());
  AdvanceTo(Seconds(6));
  EXPECT_EQ(docker_.cpu_limit("db"), 500'000'000);
  EXPECT_EQ(quota_store_.records().count("id-db"), 1u);
}

TEST_F(EngineCpuTest, AtStartTheKeptOriginalsOfContainersNoWindowLimitsAreRestored) {
  // A madre killed while a window limited db: the record survived, the window is gone.
  docker_.SetRunning("db", true);
  docker_.SetCpuLimit("db", 500'000'000);
  ASSERT_TRUE(quota_store_.Put({"id-db", "db", 2'000'000'000, false}).ok());
  ASSERT_TRUE(quota_store_.Put({"id-gone", "web", 0, false}).ok());
  BootCpu();
  EXPECT_EQ(docker_.cpu_limit("db"), 2'000'000'000);
  EXPECT_THAT(quota_store_.records(), IsEmpty());
}

TEST_F(EngineCpuTest, CpuIdleLeavesTheContainerRunningAtTheMinimalQuotaAndAReopenWakesIt) {
  options_.cpu_idle_on_stop = true;
  BootCpu();
  const std::string first = OpenLimited({"db"}, std::nullopt);
  CloseWindow(first);
  EXPECT_EQ(docker_.running().count("db"), 1u) << "idled, not stopped";
  EXPECT_EQ(docker_.cpu_limit("db"), kCpuIdleNanoCpus);
  EXPECT_THAT(docker_.calls(), Not(Contains("api-stop db")));
  ASSERT_EQ(quota_store_.records().count("id-db"), 1u);
  EXPECT_TRUE(quota_store_.records().at("id-db").idled);
  // Dormant for madre: its service is not running.
  const auto& observed = engine_->Snapshot().observed;
  for (const auto& c : observed) {
    if (c.service == "db") {
      EXPECT_EQ(c.state, kIdledState);
    }
  }
  const std::string again = OpenLimited({"db"}, 0.5);
  EXPECT_THAT(docker_.calls(), Not(Contains("api-start db")));
  EXPECT_EQ(docker_.cpu_limit("db"), 500'000'000) << "the window's limit once woken";
  CloseWindow(again);
  EXPECT_EQ(docker_.cpu_limit("db"), kCpuIdleNanoCpus);
}

TEST_F(EngineCpuTest, SoloMadreApplyStopsIdledContainersAndRestoresTheirQuota) {
  options_.cpu_idle_on_stop = true;
  BootCpu();
  CloseWindow(OpenLimited({"db"}, std::nullopt));
  ASSERT_EQ(docker_.cpu_limit("db"), kCpuIdleNanoCpus);
  std::optional<Result<SoloMadreOutcome>> answer;
  engine_->ApplySoloMadre("127.0.0.1", [&](Result<SoloMadreOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_EQ(docker_.running().count("db"), 0u);
  EXPECT_THAT(docker_.calls(), Contains("api-stop db"));
  EXPECT_EQ(docker_.cpu_limit("db"), 0) << "stopped for real: its own quota back";
  EXPECT_THAT(quota_store_.records(), IsEmpty());
}

}  // namespace
}  // namespace madre
