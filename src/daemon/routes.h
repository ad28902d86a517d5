// The HTTP API (SPEC §3-§5): authenticates, decodes, calls the Engine and
// encodes the answer. Runs on the engine thread (the HTTP server's io
// thread); reads of the real containers run on the workers.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <functional>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/http/http_server.h"
#include "base/metrics.h"
#include "engine/engine.h"
#include "ports/container_observer.h"
#include "ports/executor.h"

namespace madre {

struct RouterOptions {
  std::string token;
  bool windows_enabled = true;
  std::string version;
  std::set<std::string> always_on;
  Duration open_wait_timeout = Seconds(300);  // the compatible open waits for the result
  Metrics* metrics = nullptr;                 // GET /metrics and request counts; null: none
  int throttle_cpu_pct = 70;                  // opens wait/refuse above this host CPU; 0 or 100: off
  bool throttle_wait = true;                  // wait with back-off (1, 2, 4 s) before refusing
  std::function<double()> cpu_sampler;        // host CPU busy % now (blocking, worker thread)
  std::function<void(Duration)> sleep;        // throttle back-off on a worker; empty: real sleep
  std::string stop_strategy = "stop";         // VX11_STOP_STRATEGY, shown in every window view
  std::filesystem::path proc_root = "/proc";  // host metrics
};

// The route of a path for metrics ("/madre/power/windows/{id}"), "other" when unknown.
std::string RouteLabel(const std::string& path);

class ApiRouter {
 public:
  ApiRouter(RouterOptions options, Engine& engine, ContainerObserver& observer, Executor& workers,
            Executor& loop);

  // HttpHandler. Call on the engine thread.
  void Handle(HttpRequest request, Responder respond);
  // Until Start() of the engine finished, /madre/power/* answers 503.
  void SetReady() { ready_ = true; }
  // Server-Sent Events to every subscriber of GET /madre/power/events (engine thread).
  void PublishWindow(const Window& window);
  void PublishDockerEvent(const DockerEvent& event);
  std::size_t subscribers() const { return subscribers_.size(); }

 private:
  void Route(const HttpRequest& request, Responder respond);
  void Open(const HttpRequest& request, bool compatible, Responder respond);
  void Throttled(const std::string& actor, int attempt, std::function<void()> go, Responder respond);
  void Close(const HttpRequest& request, Responder respond);
  void Hold(const HttpRequest& request, Responder respond);
  void Extend(const HttpRequest& request, Responder respond);
  void State(Responder respond);
  void WindowsStatus(const HttpRequest& request, Responder respond);
  void WindowGet(const std::string& id, Responder respond);
  void Audit(const HttpRequest& request, Responder respond);
  void Services(Responder respond);
  void Status(const HttpRequest& request, Responder respond);
  // Stats of the running containers, sampled in parallel, cached for a few seconds (worker thread).
  std::map<std::string, ContainerStats> SampleStats(const std::vector<ContainerState>& containers);
  void SoloMadreStatus(Responder respond);
  void SoloMadreApply(const HttpRequest& request, Responder respond);
  void MetricsText(Responder respond);
  nlohmann::json View(const Window& window, TimePoint now) const;
  void Events(Responder respond);
  void Broadcast(const std::string& event, const std::string& data);
  void ServiceOp(const HttpRequest& request, const std::string& name, const std::string& op,
                 Responder respond);
  // Lists the real containers on a worker, then calls `then` on the engine thread.
  void WithContainers(std::function<void(Result<std::vector<ContainerState>>)> then);

  RouterOptions options_;
  Engine& engine_;
  ContainerObserver& observer_;
  Executor& workers_;
  Executor& loop_;
  bool ready_ = false;
  std::vector<StreamWriter> subscribers_;  // GET /madre/power/events (engine thread)
  std::mutex stats_mu_;  // the stats cache is used on workers
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, ContainerStats>> stats_cache_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> last_cpu_;  // (total, idle) jiffies
  std::optional<std::uint64_t> last_iowait_;
};

// Constant-time comparison of the token (no early exit on the first difference).
bool TokenMatches(const std::string& expected, const std::string& given);

}  // namespace madre
