#include "engine/action_runner.h"

#include <map>

#include "core/readiness.h"

namespace madre {

namespace {

std::map<std::string, ContainerState> ByService(const std::vector<ContainerState>& list) {
  std::map<std::string, ContainerState> out;
  for (const auto& c : list) {
    auto it = out.find(c.service);
    if (it == out.end() || (!it->second.Running() && c.Running())) out[c.service] = c;
  }
  return out;
}

std::string ExitDetail(const ContainerState* c) {
  if (!c) return "no container was created";
  std::string text = "container " + c->container + " is " + c->state;
  if (c->exit_code) text += " (exit code " + std::to_string(*c->exit_code) + ")";
  return text;
}

std::string WithLogs(ActionContext& context, const std::optional<ContainerState>& c, std::string detail) {
  if (!c || c->id.empty() || context.readiness.log_lines <= 0) return detail;
  Result<std::string> logs = context.observer.Logs(c->id, context.readiness.log_lines);
  if (!logs.ok() || logs->empty()) return detail;
  std::string tail = *logs;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return detail + "; last log lines:\n" + tail;
}

// Waits until every service in `outcomes` that is marked ok is ready or failed.
void WaitUntilReady(ActionContext& context, std::vector<ServiceOutcome>& outcomes,
                    ActionResult& result) {
  struct Waiting {
    ServiceOutcome* outcome;
    ReadinessSpec spec;
    ReadinessState state;
  };
  std::vector<Waiting> waiting;
  const TimePoint start = context.clock.Now();
  for (auto& outcome : outcomes) {
    if (!outcome.ok) continue;
    auto def = context.model.services.find(outcome.service);
    ServiceDef fallback;
    fallback.name = outcome.service;
    const ServiceDef& service = def == context.model.services.end() ? fallback : def->second;
    Waiting w{&outcome, ReadinessFor(service, context.readiness.default_timeout), {}};
    w.state.started = start;
    waiting.push_back(w);
  }
  bool first = true;
  while (!waiting.empty()) {
    if (!first) context.sleep(context.readiness.poll);
    first = false;
    Result<std::vector<ContainerState>> list = context.observer.ListProject();
    const TimePoint now = context.clock.Now();
    if (!list.ok()) {
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (now - it->state.started >= it->spec.timeout) {
          it->outcome->ok = false;
          it->outcome->error = "not ready: " + list.status().message();
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
      continue;
    }
    result.observed = *list;
    result.has_observation = true;
    const auto by_service = ByService(*list);
    for (auto it = waiting.begin(); it != waiting.end();) {
      auto found = by_service.find(it->outcome->service);
      std::optional<ContainerState> container;
      if (found != by_service.end()) container = found->second;
      std::optional<Status> probe;
      if (container && container->state == "running") {
        if (it->spec.kind == ReadinessKind::kHttp) {
          probe = context.probe.HttpGet(it->spec.target, context.readiness.probe_timeout);
        } else if (it->spec.kind == ReadinessKind::kTcp) {
          probe = context.probe.TcpConnect(it->spec.target, context.readiness.probe_timeout);
        }
      }
      ReadinessCheck check = EvaluateReadiness(it->spec, container, probe, it->state, now);
      if (check.verdict == Verdict::kPending) {
        ++it;
        continue;
      }
      if (check.verdict == Verdict::kFailed) {
        it->outcome->ok = false;
        it->outcome->error = WithLogs(context, container, "not ready: " + check.detail);
      }
      it = waiting.erase(it);
    }
  }
}

}  // namespace

ExecutedAction ExecuteAction(const Action& action, ActionContext& context) {
  ExecutedAction out;
  out.result.action_id = action.id;
  if (action.kind == ActionKind::kObserve) {
    Result<std::vector<ContainerState>> list = context.observer.ListProject();
    if (list.ok()) {
      out.result.observed = std::move(*list);
      out.result.has_observation = true;
    } else {
      out.result.status = list.status();
    }
    return out;
  }
  ComposeOutcome outcome;
  switch (action.kind) {
    case ActionKind::kStart: outcome = context.compose.Up(action.services); break;
    case ActionKind::kStop: outcome = context.compose.Stop(action.services); break;
    case ActionKind::kRestart: outcome = context.compose.Restart(action.services); break;
    case ActionKind::kObserve: break;
  }
  out.ops = std::move(outcome.ops);
  out.result.status = outcome.status;
  Result<std::vector<ContainerState>> list = context.observer.ListProject();
  if (list.ok()) {
    out.result.observed = std::move(*list);
    out.result.has_observation = true;
  }
  const auto by_service = ByService(out.result.observed);
  for (const auto& name : action.services) {
    ServiceOutcome service{name, outcome.status.ok(), ""};
    if (out.result.has_observation) {
      auto it = by_service.find(name);
      const ContainerState* c = it == by_service.end() ? nullptr : &it->second;
      const bool running = c && c->Running();
      service.ok = action.kind == ActionKind::kStop ? !running : running;
      if (!service.ok) {
        service.error = action.kind == ActionKind::kStop ? "still running after stop" : ExitDetail(c);
        if (!outcome.status.ok()) service.error = outcome.status.message() + "; " + service.error;
        if (action.kind != ActionKind::kStop && c) {
          service.error = WithLogs(context, *c, service.error);
        }
      }
    } else if (!service.ok) {
      service.error = outcome.status.message();
    }
    out.result.services.push_back(std::move(service));
  }
  const bool wait = action.kind != ActionKind::kStop && !action.skip_health;
  if (wait) WaitUntilReady(context, out.result.services, out.result);
  return out;
}

}  // namespace madre
