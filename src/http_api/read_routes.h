// The read routes: state, windows status, one window, audit, services, status (with stats),
// SOLO_MADRE status. Each reads the engine's view (Engine::Snapshot), applies the rules of
// core/policy_view.h and answers with the views of api/views.h.
//
// The views built only from the engine's state are served from bodies cached between changes
// (CachedBody): GET /madre/power/state, /services, and /status (without ?stats=1) and
// /policy/solo_madre/status while the engine's observation is current (else they ask Docker,
// uncached). OnEngineChange() drops them all; the state body is also rebuilt when a kept
// window's ttl_remaining_sec would show a different second (it falls with no event while a TTL
// window is open). /windows/status is not cached: it reads the history from the store.
//
// Threading: engine thread only; container listings and stats run on the workers.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/http/http_server.h"
#include "engine/engine.h"
#include "http_api/cached_body.h"
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
  // GET /madre/power/flows[?service=S]: the flows the services declare in their labels
  // (api/flow.h FlowsView).
  void Flows(const HttpRequest& request, Responder respond);
  void Status(const HttpRequest& request, Responder respond);
  void SoloMadreStatus(Responder respond);

  // The cached bodies of the views above.
  struct Caches {
    CachedBody state;
    CachedBody status;      // without ?stats=1, from the engine's observation
    CachedBody solo_madre;  // from the engine's observation
    CachedBody services;
  };

  // The engine's state changed (windows, observation, events stream, services): every cached
  // body is stale.
  void OnEngineChange();
  const Caches& caches() const { return caches_; }

 private:
  // The status and SOLO_MADRE views of `containers`; `stats` adds the sampler's figures.
  nlohmann::json StatusJson(const std::vector<ContainerState>& containers, bool stats) const;
  nlohmann::json SoloMadreJson(const std::vector<ContainerState>& containers) const;
  // When the engine's observation is current (EngineView::Current), answers with `cache`, built
  // from `view` of it, and returns true; else false: the caller asks Docker, uncached.
  bool AnswerFromObservation(
      CachedBody& cache,
      const std::function<nlohmann::json(const std::vector<ContainerState>&)>& view,
      const Responder& respond);
  // The engine's observation when it can be trusted, else a listing on a worker; `then` runs
  // on the engine thread. A listing that fails is answered 503 through `respond`.
  void WithContainers(Responder respond, std::function<void(std::vector<ContainerState>)> then);

  ReadRoutesOptions options_;
  Engine& engine_;
  ContainerObserver& observer_;
  Executor& workers_;
  Executor& loop_;
  StatsSampler& sampler_;
  Caches caches_;
};

}  // namespace madre
