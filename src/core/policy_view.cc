#include "core/policy_view.h"

#include <algorithm>
#include <iterator>

#include "core/cpu_limits.h"

namespace madre {

const char* PolicyName(const WindowsById& windows) {
  return windows.empty() ? "solo_madre" : "windowed";
}

const Window* ActiveWindow(const WindowsById& windows) {
  const Window* active = nullptr;
  for (const auto& [id, window] : windows) {
    if (!window.Live() || window.kind != WindowKind::kClient) continue;
    if (!active || window.created_at > active->created_at) active = &window;
  }
  return active;
}

std::set<std::string> ActiveServices(const WindowsById& windows) {
  std::set<std::string> services;
  for (const auto& [id, window] : windows) {
    if (!window.Live()) continue;
    services.insert(window.effective_services.begin(), window.effective_services.end());
  }
  return services;
}

std::map<std::string, std::vector<std::string>> SharedDependencies(
    const ServiceModel& model, const std::set<std::string>& always_on,
    const std::set<std::string>& allowlist) {
  std::map<std::string, std::vector<std::string>> needed_by;
  for (const auto& dependent : allowlist) {  // sorted: each list comes out sorted
    if (!model.Has(dependent)) continue;
    for (const auto& dep : DependencyClosure(model, {dependent})) {
      if (dep == dependent || always_on.count(dep)) continue;
      needed_by[dep].push_back(dependent);
    }
  }
  std::erase_if(needed_by, [](const auto& entry) { return entry.second.size() < 2; });
  return needed_by;
}

std::map<std::string, std::vector<std::string>> WindowsByService(const WindowsById& windows) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, window] : windows) {
    if (!window.Live()) continue;
    for (const auto& name : window.effective_services) out[name].push_back(id);
  }
  return out;
}

std::set<std::string> RunningServices(const std::vector<ContainerState>& observed) {
  std::set<std::string> out;
  for (const auto& c : observed) {
    // A swarm service runs when it has running tasks (being scheduled is not running).
    if (c.replicas ? c.replicas->running > 0 : c.Running()) out.insert(c.service);
  }
  return out;
}

namespace {

// The running services, plus every always-on name that is not a compose service (madre on the
// host: it is this daemon).
std::set<std::string> RunningWithMadre(const std::vector<ContainerState>& observed,
                                       const std::set<std::string>& always_on,
                                       const ServiceModel& model) {
  std::set<std::string> out = RunningServices(observed);
  for (const auto& name : always_on) {
    if (!model.Has(name)) out.insert(name);
  }
  return out;
}

}  // namespace

std::set<std::string> RunningAlwaysOn(const std::vector<ContainerState>& observed,
                                      const std::set<std::string>& always_on,
                                      const ServiceModel& model) {
  std::set<std::string> out;
  for (const auto& name : RunningWithMadre(observed, always_on, model)) {
    if (always_on.count(name)) out.insert(name);
  }
  return out;
}

std::map<std::string, const char*> ServiceRunStates(const std::vector<ContainerState>& observed,
                                                    const WindowsById& windows,
                                                    const std::set<std::string>& always_on,
                                                    const ServiceModel& model) {
  const std::set<std::string> running = RunningServices(observed);
  std::map<std::string, const char*> out;
  for (const auto& [name, def] : model.services) {
    const bool wanted = always_on.count(name) > 0 || LiveWindowWanting(windows, name) != nullptr;
    if (running.count(name) > 0) {
      out[name] = kServiceRunning;
    } else {
      out[name] = wanted ? kServiceDown : kServiceDormant;
    }
  }
  return out;
}

SoloMadreCheck CheckSoloMadre(const std::vector<ContainerState>& observed,
                              const std::set<std::string>& always_on, const ServiceModel& model) {
  SoloMadreCheck check;
  check.expected = always_on;
  check.running = RunningWithMadre(observed, always_on, model);
  std::set_difference(check.running.begin(), check.running.end(), check.expected.begin(),
                      check.expected.end(), std::back_inserter(check.unexpected));
  std::set_difference(check.expected.begin(), check.expected.end(), check.running.begin(),
                      check.running.end(), std::back_inserter(check.missing));
  check.policy_active = check.unexpected.empty() && check.missing.empty();
  std::set<std::string> idled;
  for (const ContainerState& c : observed) {
    if (c.state == kIdledState) idled.insert(c.service);
  }
  check.idled.assign(idled.begin(), idled.end());
  return check;
}

}  // namespace madre
