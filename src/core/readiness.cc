#include "core/readiness.h"

#include <cctype>

namespace madre {

namespace {

std::optional<int> ParseSeconds(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int n = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 3600) return std::nullopt;
  return n;
}

std::optional<int> ParseMillis(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int n = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 10 || n > 60'000) return std::nullopt;
  return n;
}

bool IsOff(const std::string& text) {
  return text == "false" || text == "False" || text == "FALSE" || text == "0" || text == "no" ||
         text == "off";
}

std::string Describe(const ContainerState& c) {
  std::string text = c.state;
  if (c.exit_code) text += " (exit code " + std::to_string(*c.exit_code) + ")";
  return text;
}

}  // namespace

const char* ReadinessKindName(ReadinessKind kind) {
  switch (kind) {
    case ReadinessKind::kDockerHealth:
      return "docker healthcheck";
    case ReadinessKind::kHttp:
      return "http probe";
    case ReadinessKind::kTcp:
      return "tcp probe";
    case ReadinessKind::kRunningFor:
      return "running without restart";
  }
  return "unknown";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPending:
      return "pending";
    case Verdict::kReady:
      return "ready";
    case Verdict::kFailed:
      return "failed";
  }
  return "unknown";
}

ReadinessSpec ReadinessFor(const ServiceDef& service, Duration default_timeout) {
  ReadinessSpec spec;
  spec.timeout = default_timeout;
  auto label = [&](const char* key) -> std::string {
    auto it = service.labels.find(key);
    return it == service.labels.end() ? "" : it->second;
  };
  if (auto seconds = ParseSeconds(label("vx11.health.timeout_sec")))
    spec.timeout = Seconds(*seconds);
  if (service.has_healthcheck) {
    spec.kind = ReadinessKind::kDockerHealth;
    spec.exec = !IsOff(label("vx11.health.exec"));
    if (auto ms = ParseMillis(label("vx11.health.exec_interval_ms")))
      spec.exec_interval = Millis(*ms);
  } else if (!label("vx11.health.url").empty()) {
    spec.kind = ReadinessKind::kHttp;
    spec.target = label("vx11.health.url");
  } else if (!label("vx11.health.tcp").empty()) {
    spec.kind = ReadinessKind::kTcp;
    spec.target = label("vx11.health.tcp");
  }
  return spec;
}

bool IsPauseMark(const ContainerState& c, bool passed_before) {
  if (c.health != "unhealthy" || c.health_failing_streak != 0) return false;
  return c.health_last_exit ? *c.health_last_exit == 0 : passed_before;
}

bool ReadyPerDocker(const ContainerState& c, const ReadinessState& state) {
  if (c.state != "running") return false;
  if (c.health == "healthy") return true;
  return state.unpaused_restart_count && c.restart_count == *state.unpaused_restart_count &&
         IsPauseMark(c, state.passed_before_pause);
}

ReadinessCheck EvaluateReadiness(const ReadinessSpec& spec,
                                 const std::optional<ContainerState>& container,
                                 const std::optional<Status>& probe, ReadinessState& state,
                                 TimePoint now) {
  const bool timed_out = now - state.started >= spec.timeout;
  const std::string after =
      "not ready after " + std::to_string(spec.timeout.count() / 1'000'000) + " s";
  if (!container) return {Verdict::kFailed, "no container for the service"};
  const ContainerState& c = *container;
  if (!state.first_restart_count) state.first_restart_count = c.restart_count;
  const int restarts = c.restart_count - *state.first_restart_count;
  if (restarts > spec.max_restarts) {
    return {Verdict::kFailed, "restarting in a loop: " + std::to_string(restarts) +
                                  " restarts during start-up, last " + Describe(c)};
  }
  if (c.state == "exited" || c.state == "dead" || c.state == "removing" || c.state == "created") {
    if (c.state == "created" && !timed_out) return {Verdict::kPending, "created, not started yet"};
    return {Verdict::kFailed, "container " + Describe(c)};
  }
  const bool running = c.state == "running";
  if (!running || c.restart_count != state.last_restart_count) state.running_since.reset();
  if (running && !state.running_since) state.running_since = now;
  state.last_restart_count = c.restart_count;

  // Swarm: a task no node can take. Swarm keeps trying (a node may join or come back), so the
  // start fails only after kUnplaceableGrace, not at its timeout.
  if (c.replicas && !c.replicas->unplaceable.empty()) {
    const std::string why = "Swarm cannot place a task: " + c.replicas->unplaceable;
    if (timed_out || now - state.started >= kUnplaceableGrace) return {Verdict::kFailed, why};
    return {Verdict::kPending, why};
  }
  ReadinessCheck pending{Verdict::kPending, ""};
  switch (spec.kind) {
    case ReadinessKind::kDockerHealth:
      if (running && c.health == "healthy") return {Verdict::kReady, "healthy"};
      if (ReadyPerDocker(c, state)) {
        return {Verdict::kReady,
                "unpaused, its last healthcheck passed (unhealthy: the pause's mark)"};
      }
      if (running && state.exec_passed)
        return {Verdict::kReady, "healthcheck passed (run by madre)"};
      pending.detail = "health: " + (c.health.empty() ? std::string("unknown") : c.health);
      break;
    case ReadinessKind::kHttp:
    case ReadinessKind::kTcp:
      if (running && probe && probe->ok()) return {Verdict::kReady, spec.target + " answers"};
      pending.detail =
          spec.target + ": " + (probe ? probe->message() : std::string("not probed yet"));
      break;
    case ReadinessKind::kRunningFor:
      if (state.running_since && now - *state.running_since >= spec.settle) {
        return {Verdict::kReady, "running without restart"};
      }
      pending.detail = running ? "running, settling" : Describe(c);
      break;
  }
  if (timed_out) return {Verdict::kFailed, after + " (" + pending.detail + ")"};
  return pending;
}

}  // namespace madre
