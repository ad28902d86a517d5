// The read routes: state, windows status, one window, audit, services, status (with stats),
// SOLO_MADRE status. Each reads the engine's view (Engine::Snapshot), applies the rules of
// core/policy_view.h and answers with the views of api/views.h.
//
// GET /madre/power/state is served from a body cached between changes: OnEngineChange()
// drops it, and it is rebuilt when a kept window's ttl_remaining_sec would show a different
// second (it falls with no event while a TTL window is open).
//
// Threading: engine thread only; container listings and stats run on the workers.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "adapters/http/http_server.h"
#include "engine/engine.h"
#include "http_api/stats_sampler.h"
#include "ports/container_observer.h"
#include "ports/executor.h"

namespace madre {

struct ReadRoutesOptions {
  std::set<std::string> always_on;
  std::string stop_strategy = "stop";
};

class ReadRoutes {
 public:
  ReadRoutes(ReadRoutesOptions options, Engine& engine, ContainerObserver& observer,
             Executor& workers, Executor& loop, StatsSampler& sampler);

  void State(Responder respond);
  void WindowsStatus(const HttpRequest& request, Responder respond);
  void WindowGet(const std::string& id, Responder respond);
  void Audit(const HttpRequest& request, Responder respond);
  void Services(Responder respond);
  void Status(const HttpRequest& request, Responder respond);
  void SoloMadreStatus(Responder respond);

  // The engine's state changed: cached bodies are stale.
  void OnEngineChange() { state_body_.reset(); }
  // How many times the state body was built (for tests of the cache).
  int state_builds() const { return state_builds_; }

 private:
  // The engine's observation when it can be trusted, else a listing on a worker; `then` runs
  // on the engine thread.
  void WithContainers(std::function<void(Result<std::vector<ContainerState>>)> then);

  ReadRoutesOptions options_;
  Engine& engine_;
  ContainerObserver& observer_;
  Executor& workers_;
  Executor& loop_;
  StatsSampler& sampler_;
  std::optional<std::string> state_body_;
  std::optional<TimePoint> state_valid_until_;  // nullopt: until the next change
  int state_builds_ = 0;
};

}  // namespace madre
