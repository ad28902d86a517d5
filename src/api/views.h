// The JSON views the HTTP API answers with, and the translation of request bodies into core
// requests: the wire format's one home beside json_codec.h. Pure functions over core values;
// the routes (src/http_api/) fetch the values from the engine and call these.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "core/model.h"
#include "core/planner.h"
#include "core/policy_view.h"
#include "ports/docker_event_source.h"

namespace madre {

// POST /madre/power/window(s)/open: the body as the planner's request. `actor` is the client.
OpenRequest ToOpenRequest(const OpenBody& body, std::string actor);

// One window (SPEC §5) with the daemon's `stop_strategy`.
nlohmann::json WindowView(const Window& window, TimePoint now, const std::string& stop_strategy);

// GET /madre/power/state: the policy, the active window's headline fields, every kept window.
// `active_services`: the live windows' services and `always_on_running` (RunningAlwaysOn),
// sorted, each once.
nlohmann::json StateView(const WindowsById& windows, TimePoint now,
                         const std::string& stop_strategy,
                         const std::set<std::string>& always_on_running = {});

// GET /madre/power/windows/status: the active window, the kept ones and the history.
nlohmann::json WindowsStatusView(const WindowsById& windows, const std::vector<Window>& history,
                                 TimePoint now, const std::string& stop_strategy);

// GET /madre/power/services.
// `depends_on`: each service's direct dependencies (the console draws the graph).
nlohmann::json ServicesView(const PlannerConfig& config, const ServiceModel& model);

// GET /madre/power/status: every container, then every compose service without one
// ("absent"); CPU and memory for the containers in `stats` (by container id). `gave_up` (service
// -> last error): services madre stopped retrying; each entry says `failed` and, then, `error`.
// `ready`: the services madre counts ready (their start passed its readiness check, or it found
// them running); a running container's entry says `ready` beside Docker's `health`, which may
// still be `starting` (madre ran the healthcheck itself).
nlohmann::json StatusView(const std::vector<ContainerState>& containers,
                          const std::map<std::string, ContainerStats>& stats,
                          const WindowsById& windows, const ServiceModel& model,
                          const std::set<std::string>& always_on,
                          const std::map<std::string, std::string>& gave_up = {},
                          const std::set<std::string>& ready = {});

// GET /madre/power/policy/solo_madre/status.
nlohmann::json SoloMadreStatusView(const SoloMadreCheck& check);

// One container event of GET /madre/power/events.
nlohmann::json DockerEventView(const DockerEvent& event);

}  // namespace madre
