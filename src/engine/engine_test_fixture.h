// The engine tests' fixture: FakeClock, FakeDocker (compose and observer), an in-memory store,
// a recording audit log, and two ManualExecutors (workers and the engine loop) that the test
// runs with RunUntilIdle. Shared by the engine_*_test.cc files.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "testing/fake_clock.h"
#include "testing/fake_docker.h"
#include "testing/fake_probe.h"
#include "testing/in_memory_window_store.h"
#include "testing/manual_executor.h"
#include "testing/model_builder.h"
#include "testing/recording_audit_log.h"

namespace madre {

inline ServiceModel Model() {
  ServiceModel model = ModelOf({{"redis", {}},
                                {"db", {}},
                                {"web", {"db", "redis"}},
                                {"api", {"db"}},
                                {"cache", {}},
                                {"probed", {}}});
  model.services["cache"].has_healthcheck = true;
  model.services["probed"].labels["vx11.health.url"] = "http://127.0.0.1:9999/health";
  model.services["probed"].labels["vx11.health.timeout_sec"] = "5";
  return model;
}

inline PlannerConfig Config() {
  PlannerConfig config;
  config.always_on = {"madre", "redis"};
  config.allowlist = {"db", "web", "api", "cache", "probed"};
  config.max_concurrent = 4;
  config.resync_interval = Duration::zero();
  return config;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : docker_(Model()) { docker_.SetRunning("redis", true); }

  std::unique_ptr<Engine> MakeEngine() {
    int counter = 0;
    EngineDeps deps{clock_,
                    docker_,
                    docker_,
                    store_,
                    audit_,
                    workers_,
                    loop_,
                    [counter]() mutable { return "w" + std::to_string(++counter); },
                    probe_,
                    [this](Duration d) {
                      clock_.Advance(d);
                      if (on_sleep_) on_sleep_();
                    }};
    deps.stop_lane = &stops_;
    return std::make_unique<Engine>(deps, config_, Model(), options_);
  }

  void Boot() {
    engine_ = MakeEngine();
    ASSERT_TRUE(engine_->Start().ok());
    RunUntilIdle();
  }

  // Finishes all queued docker work and delivers its results.
  void RunUntilIdle() {
    while (workers_.size() + stops_.size() + loop_.size() > 0) {
      workers_.RunAll();
      stops_.RunAll();
      loop_.RunAll();
    }
  }

  // Advances the fake clock and fires what is due, like the daemon's timer.
  void AdvanceTo(Duration d) {
    clock_.Advance(d);
    engine_->Tick();
    RunUntilIdle();
  }

  Result<OpenOutcome> OpenAndWait(std::vector<std::string> services,
                                  std::optional<std::int64_t> ttl) {
    OpenRequest request;
    request.services = std::move(services);
    request.ttl_sec = ttl;
    request.actor = "127.0.0.1";
    std::optional<Result<OpenOutcome>> answer;
    engine_->Open(request, true, Seconds(300),
                  [&](Result<OpenOutcome> r) { answer = std::move(r); });
    RunUntilIdle();
    if (!answer) return Status::Internal("no answer");
    return *answer;
  }

  FakeClock clock_;
  FakeDocker docker_;
  InMemoryWindowStore store_;
  RecordingAuditLog audit_;
  ManualExecutor workers_;  // the start lane
  ManualExecutor stops_;    // the stop lane
  ManualExecutor loop_;
  FakeProbe probe_;
  EngineOptions options_;
  PlannerConfig config_ = Config();
  std::function<void()> on_sleep_;  // runs at each readiness poll of a worker
  std::unique_ptr<Engine> engine_;
};

}  // namespace madre
