// The fixture of the http_api tests: a real Engine over the fakes (FakeClock, FakeDocker, two
// ManualExecutors), a router, and a queue of timers the test fires by advancing the clock.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "engine/engine.h"
#include "engine/engine_metrics.h"
#include "http_api/router.h"
#include "testing/fake_clock.h"
#include "testing/fake_docker.h"
#include "testing/fake_probe.h"
#include "testing/in_memory_build_store.h"
#include "testing/in_memory_intent_store.h"
#include "testing/in_memory_window_store.h"
#include "testing/manual_executor.h"
#include "testing/model_builder.h"
#include "testing/recording_audit_log.h"

namespace madre {

// ScheduleAfter for tests: jobs run when FireDue() finds them due on the FakeClock.
class ManualTimers {
 public:
  explicit ManualTimers(FakeClock& clock) : clock_(clock) {}
  ScheduleAfter Scheduler() {
    return [this](Duration delay, std::function<void()> job) {
      timers_.push_back({clock_.Now() + delay, std::move(job)});
      delays_.push_back(delay);
    };
  }
  // Runs every timer due now (and ones they add that are due too). Returns how many ran.
  int FireDue() {
    int ran = 0;
    for (bool again = true; again;) {
      again = false;
      for (std::size_t i = 0; i < timers_.size(); ++i) {
        if (timers_[i].due > clock_.Now()) continue;
        auto job = std::move(timers_[i].job);
        timers_.erase(timers_.begin() + static_cast<std::ptrdiff_t>(i));
        job();
        ++ran;
        again = true;
        break;
      }
    }
    return ran;
  }
  std::size_t pending() const { return timers_.size(); }
  const std::vector<Duration>& delays() const { return delays_; }
  // Forgets every timer (those of a router a test destroyed, as a restart would).
  void Clear() { timers_.clear(); }

 private:
  struct Timer {
    TimePoint due;
    std::function<void()> job;
  };
  FakeClock& clock_;
  std::vector<Timer> timers_;
  std::vector<Duration> delays_;
};

inline ServiceModel HttpApiTestModel() {
  return ModelOf({{"redis", {}}, {"db", {}}, {"web", {"db"}}});
}

class HttpApiTest : public ::testing::Test {
 protected:
  HttpApiTest() : docker_(HttpApiTestModel()), timers_(clock_) {
    docker_.SetRunning("redis", true);
    DeclareMadreMetrics(metrics_);
    options_.token = "secret";
    options_.metrics = &metrics_;
  }

  void Build() {
    PlannerConfig config;
    config.always_on = {"madre", "redis"};
    config.allowlist = {"db", "web"};
    config.resync_interval = Duration::zero();
    config.autofix_holds = autofix_holds_;
    EngineDeps deps{clock_,  docker_,
                    docker_, store_,
                    audit_,  workers_,
                    loop_,   [this] { return "w" + std::to_string(++ids_); },
                    probe_,  [this](Duration d) { clock_.Advance(d); }};
    engine_ = std::make_unique<Engine>(deps, config, HttpApiTestModel());
    engine_->SetOnChange([this] { router_->OnEngineChange(); });
    engine_->SetOnWindowChanged([this](const Window& w) { router_->PublishWindow(w); });
    options_.always_on = config.always_on;
    RouterDeps router_deps{.engine = *engine_,
                           .observer = docker_,
                           .workers = workers_,
                           .loop = loop_,
                           .after = timers_.Scheduler(),
                           .cpu_busy = cpu_busy_,
                           .cpu_snapshot = [this] { ++snapshots_; },
                           .host = host_,
                           .intents = &intents_,
                           .builds = build_store_ != nullptr ? build_store_
                                     : builds_or_null_       ? &builds_
                                                             : nullptr,
                           .check_build = check_build_,
                           .run_build = run_build_,
                           .build_lane = &build_lane_,
                           .new_id = [this] { return std::to_string(++intent_ids_); },
                           .legacy_transport = legacy_transport_,
                           .images = image_inspector_,
                           .adviser = adviser_,
                           .compose = &docker_,
                           .secrets = {"secret"}};
    router_ = std::make_unique<ApiRouter>(options_, router_deps);
    ASSERT_TRUE(engine_->Start().ok());
    if (drain_at_start_) Drain();
    router_->SetReady();
  }

  void Drain() {
    while (workers_.size() + loop_.size() > 0) {
      workers_.RunAll();
      loop_.RunAll();
    }
  }

  HttpRequest Request(std::string method, std::string path, std::string body = "",
                      std::optional<std::string> token = "secret") {
    HttpRequest request;
    request.method = std::move(method);
    request.path = path;
    request.target = path;
    request.body = std::move(body);
    request.remote_address = "127.0.0.1:5000";
    request.headers["host"] = "127.0.0.1:8001";
    if (token) request.headers["x-vx11-token"] = *token;
    return request;
  }

  // Sends the request; answers pending after the queues drained come back empty.
  std::optional<HttpResponse> Send(HttpRequest request) {
    std::optional<HttpResponse> answer;
    router_->Handle(std::move(request), [&answer](HttpResponse r) { answer = std::move(r); });
    Drain();
    return answer;
  }

  HttpResponse Call(std::string method, std::string path, std::string body = "",
                    std::optional<std::string> token = "secret") {
    std::optional<HttpResponse> answer =
        Send(Request(std::move(method), path, std::move(body), token));
    EXPECT_TRUE(answer.has_value()) << path;
    return answer.value_or(HttpResponse{});
  }

  static nlohmann::json Json(const HttpResponse& r) { return nlohmann::json::parse(r.body); }

  FakeClock clock_;
  FakeDocker docker_;
  InMemoryWindowStore store_;
  InMemoryIntentStore intents_;
  InMemoryBuildStore builds_;
  bool builds_or_null_ = true;  // false: RouterDeps::builds is null (no build history)
  int intent_ids_ = 0;
  RecordingAuditLog audit_;
  ManualExecutor workers_;
  ManualExecutor loop_;
  FakeProbe probe_;
  ManualTimers timers_;
  Metrics metrics_;
  RouterOptions options_;
  std::function<std::optional<double>()> cpu_busy_;
  std::function<HostFigures()> host_;
  LegacyTransport legacy_transport_;
  ImageInspector* image_inspector_ = nullptr;  // RouterDeps::images
  Adviser* adviser_ = nullptr;                 // RouterDeps::adviser
  // The build executor: set run_build_ (and options_.intents.build_executor) to have one;
  // build_store_, when set, replaces builds_ as the history.
  BuildStore* build_store_ = nullptr;
  std::function<Status(const BuildIntent&)> check_build_;
  RunBuildFn run_build_;
  ManualExecutor build_lane_;  // the forwards to the original madre (on workers_)
  int snapshots_ = 0;
  int ids_ = 0;
  // false: Build() leaves the start-up observation (and what follows it) queued, as the daemon
  // is when it starts serving (SetReady follows Engine::Start at once).
  bool drain_at_start_ = true;
  bool autofix_holds_ = false;  // PlannerConfig::autofix_holds (VX11_AUTOFIX_AUTO_ACTIONS set)
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiRouter> router_;
};

}  // namespace madre
