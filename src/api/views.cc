#include "api/views.h"

namespace madre {

using nlohmann::json;

OpenRequest ToOpenRequest(const OpenBody& body, std::string actor) {
  OpenRequest open;
  open.services = body.services;
  open.ttl_sec = body.ttl_sec;
  open.hold = body.hold || body.mode == "hold";
  open.reason = body.reason;
  open.actor = std::move(actor);
  open.skip_health = body.skip_health;
  open.cpu_limit = body.cpu_limit;
  return open;
}

json WindowView(const Window& window, TimePoint now, const std::string& stop_strategy) {
  json view = WindowToJson(window, now);
  view["stop_strategy"] = stop_strategy;  // how this window's services are stopped
  return view;
}

json StateView(const WindowsById& windows, TimePoint now, const std::string& stop_strategy,
               const std::set<std::string>& always_on_running) {
  json list = json::array();
  for (const auto& [id, window] : windows) list.push_back(WindowView(window, now, stop_strategy));
  std::set<std::string> active_services = ActiveServices(windows);
  active_services.insert(always_on_running.begin(), always_on_running.end());
  json body = {
      {"policy", PolicyName(windows)},
      {"window_id", nullptr},
      {"created_at", nullptr},
      {"deadline", nullptr},
      {"ttl_remaining_sec", nullptr},
      {"active_services", std::vector<std::string>(active_services.begin(), active_services.end())},
      {"windows", list}};
  if (const Window* active = ActiveWindow(windows)) {
    json view = WindowView(*active, now, stop_strategy);
    for (const char* key :
         {"window_id", "created_at", "deadline", "ttl_remaining_sec", "state", "hold"}) {
      body[key] = view[key];
    }
  }
  return body;
}

json WindowsStatusView(const WindowsById& windows, const std::vector<Window>& history,
                       TimePoint now, const std::string& stop_strategy) {
  json list = json::array();
  for (const auto& [id, window] : windows) list.push_back(WindowView(window, now, stop_strategy));
  const Window* active = ActiveWindow(windows);
  json past = json::array();
  for (const auto& window : history) past.push_back(WindowView(window, now, stop_strategy));
  return json{{"active_window", active ? WindowView(*active, now, stop_strategy) : json(nullptr)},
              {"windows", list},
              {"history", past},
              {"policy", PolicyName(windows)}};
}

json ServicesView(const PlannerConfig& config, const ServiceModel& model) {
  std::vector<std::string> all;
  json depends_on = json::object();
  for (const auto& [name, def] : model.services) {
    all.push_back(name);
    depends_on[name] = def.depends_on;
  }
  return json{
      {"status", "ok"},
      {"allowlist", std::vector<std::string>(config.allowlist.begin(), config.allowlist.end())},
      {"always_on", std::vector<std::string>(config.always_on.begin(), config.always_on.end())},
      {"services", all},
      {"depends_on", depends_on},
      {"source", "compose"}};
}

namespace {

// A container that runs, or a swarm service all of whose desired tasks run (one whose tasks
// went with their node is being rescheduled: not ready, whatever madre saw before).
bool ServesNow(const ContainerState& c) {
  if (c.replicas) return c.replicas->desired > 0 && c.replicas->running >= c.replicas->desired;
  return c.Running();
}

}  // namespace

json StatusView(const std::vector<ContainerState>& containers,
                const std::map<std::string, ContainerStats>& stats, const WindowsById& windows,
                const ServiceModel& model, const std::set<std::string>& always_on,
                const std::map<std::string, std::string>& gave_up,
                const std::set<std::string>& ready) {
  auto mark_failed = [&gave_up](json& entry, const std::string& service) {
    auto failed = gave_up.find(service);
    entry["failed"] = failed != gave_up.end();
    if (failed != gave_up.end()) entry["error"] = failed->second;
  };
  std::map<std::string, std::vector<std::string>> windows_of = WindowsByService(windows);
  json services = json::array();
  std::set<std::string> seen;
  for (const auto& c : containers) {
    seen.insert(c.service);
    json entry = {{"service", c.service},
                  {"state", c.state},
                  {"health", c.health.empty() ? json(nullptr) : json(c.health)},
                  {"ready", ServesNow(c) && ready.count(c.service) > 0},
                  {"container", c.container},
                  {"restart_count", c.restart_count},
                  {"exit_code", c.exit_code ? json(*c.exit_code) : json(nullptr)},
                  {"always_on", always_on.count(c.service) > 0},
                  {"window_ids", windows_of[c.service]}};
    if (c.replicas) {
      entry["desired"] = c.replicas->desired;
      entry["running"] = c.replicas->running;
      entry["nodes"] = c.replicas->nodes;
      if (!c.replicas->unplaceable.empty()) entry["unplaceable"] = c.replicas->unplaceable;
    }
    if (auto s = stats.find(c.id); s != stats.end()) {
      entry["cpu_percent"] = s->second.cpu_percent;
      entry["memory_bytes"] = s->second.memory_bytes;
      entry["memory_limit_bytes"] = s->second.memory_limit_bytes;
    }
    mark_failed(entry, c.service);
    services.push_back(std::move(entry));
  }
  for (const auto& [name, def] : model.services) {
    if (seen.count(name)) continue;
    json entry = {{"service", name},
                  {"state", "absent"},
                  {"health", nullptr},
                  {"ready", false},
                  {"container", nullptr},
                  {"restart_count", 0},
                  {"exit_code", nullptr},
                  {"always_on", always_on.count(name) > 0},
                  {"window_ids", windows_of[name]}};
    mark_failed(entry, name);
    services.push_back(std::move(entry));
  }
  return json{{"status", "ok"}, {"services", services}};
}

json SoloMadreStatusView(const SoloMadreCheck& check) {
  return json{
      {"status", "ok"},
      {"policy_active", check.policy_active},
      {"running_services", std::vector<std::string>(check.running.begin(), check.running.end())},
      {"expected_services", std::vector<std::string>(check.expected.begin(), check.expected.end())},
      {"unexpected_services", check.unexpected},
      {"missing_services", check.missing},
      {"idled_services", check.idled}};
}

json DockerEventView(const DockerEvent& event) {
  return json{{"action", event.action},
              {"service", event.service},
              {"container", event.container_name},
              {"exit_code", event.exit_code ? json(*event.exit_code) : json(nullptr)},
              {"health", event.health.empty() ? json(nullptr) : json(event.health)},
              {"time", FormatRfc3339(event.time)}};
}

}  // namespace madre
