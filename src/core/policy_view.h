// Read-side rules over the planner's state, for the views of the HTTP API: which window is
// "the" active one, whether the stack is windowed or at SOLO_MADRE, which windows hold a
// service, and whether SOLO_MADRE holds. Pure functions of their arguments.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/window.h"

namespace madre {

// The windows the planner keeps: live ones and ones still closing, by id.
using WindowsById = std::map<std::string, Window>;

// A closing window still holds services: the stack is back at SOLO_MADRE only when every
// window has closed. "windowed" or "solo_madre".
const char* PolicyName(const WindowsById& windows);

// The newest live client window (by created_at; on a tie the first by id), null when none is
// live. Service holds and adopted services are never "the" window (WindowKind).
const Window* ActiveWindow(const WindowsById& windows);

// The effective services of every live window, sorted.
std::set<std::string> ActiveServices(const WindowsById& windows);

// The services with a running (or restarting) container in `observed`; a swarm service
// (ContainerState::replicas) when it has running tasks.
std::set<std::string> RunningServices(const std::vector<ContainerState>& observed);

// The always-on services that run, as GET /madre/power/state lists them beside the windows'
// services (the original listed madre and redis): the always-on services with a running
// container in `observed`, plus every always-on name that is not a compose service (madre on
// the host: it is this daemon), as CheckSoloMadre counts them.
std::set<std::string> RunningAlwaysOn(const std::vector<ContainerState>& observed,
                                      const std::set<std::string>& always_on,
                                      const ServiceModel& model);

// The services outside `always_on` that two or more allowlisted services need (directly or
// through other services), with those dependents: the gateway case, where the window of any
// dependent starts the shared service and its close stops it under the others' feet. Sorted.
std::map<std::string, std::vector<std::string>> SharedDependencies(
    const ServiceModel& model, const std::set<std::string>& always_on,
    const std::set<std::string>& allowlist);

// Service -> ids of the live windows that hold it.
std::map<std::string, std::vector<std::string>> WindowsByService(const WindowsById& windows);

// What each compose service is, for monitoring (madre_service_state): kServiceRunning (its
// container runs, or a swarm service's tasks: RunningServices), kServiceDormant (it does not run
// and nothing wants it: stopped on purpose, or idled by VX11_STOP_STRATEGY=cpu_idle), or
// kServiceDown (it does not run although an always-on rule or a live window wants it).
inline constexpr const char* kServiceRunning = "running";
inline constexpr const char* kServiceDormant = "dormant";
inline constexpr const char* kServiceDown = "down";
std::map<std::string, const char*> ServiceRunStates(const std::vector<ContainerState>& observed,
                                                    const WindowsById& windows,
                                                    const std::set<std::string>& always_on,
                                                    const ServiceModel& model);

struct SoloMadreCheck {
  std::set<std::string> running;        // running services, plus always-on names madre itself is
  std::set<std::string> expected;       // the always-on set
  std::vector<std::string> unexpected;  // running, not expected
  std::vector<std::string> missing;     // expected, not running
  // Services whose container madre idled (VX11_STOP_STRATEGY=cpu_idle, core/cpu_limits.h): they
  // run at a minimal CPU quota but count as dormant, not running; solo_madre/apply stops them.
  std::vector<std::string> idled;
  bool policy_active = false;  // nothing unexpected and nothing missing
};

// SOLO_MADRE holds when exactly the always-on set runs. An always-on name that is not a
// compose service (madre on the host) counts as running: it is this daemon.
SoloMadreCheck CheckSoloMadre(const std::vector<ContainerState>& observed,
                              const std::set<std::string>& always_on, const ServiceModel& model);

}  // namespace madre
