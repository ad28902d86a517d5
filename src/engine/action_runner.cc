#include "engine/action_runner.h"

#include <map>

namespace madre {

namespace {

std::map<std::string, const ContainerState*> ByService(const std::vector<ContainerState>& list) {
  std::map<std::string, const ContainerState*> out;
  for (const auto& c : list) {
    const ContainerState*& slot = out[c.service];
    if (!slot || (!slot->Running() && c.Running())) slot = &c;
  }
  return out;
}

std::string ExitDetail(const ContainerState* c) {
  if (!c) return "no container was created";
  std::string text = "container " + c->container + " is " + c->state;
  if (c->exit_code) text += " (exit code " + std::to_string(*c->exit_code) + ")";
  return text;
}

}  // namespace

ExecutedAction ExecuteAction(const Action& action, ComposeRunner& compose,
                             ContainerObserver& observer) {
  ExecutedAction out;
  out.result.action_id = action.id;
  if (action.kind == ActionKind::kObserve) {
    Result<std::vector<ContainerState>> list = observer.ListProject();
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
    case ActionKind::kStart: outcome = compose.Up(action.services); break;
    case ActionKind::kStop: outcome = compose.Stop(action.services); break;
    case ActionKind::kRestart: outcome = compose.Restart(action.services); break;
    case ActionKind::kObserve: break;
  }
  out.ops = std::move(outcome.ops);
  out.result.status = outcome.status;
  Result<std::vector<ContainerState>> list = observer.ListProject();
  if (list.ok()) {
    out.result.observed = std::move(*list);
    out.result.has_observation = true;
  }
  const auto by_service = ByService(out.result.observed);
  for (const auto& name : action.services) {
    ServiceOutcome service{name, outcome.status.ok(), ""};
    if (out.result.has_observation) {
      auto it = by_service.find(name);
      const ContainerState* c = it == by_service.end() ? nullptr : it->second;
      const bool running = c && c->Running();
      service.ok = action.kind == ActionKind::kStop ? !running : running;
      if (!service.ok) {
        service.error = action.kind == ActionKind::kStop ? "still running after stop" : ExitDetail(c);
        if (!outcome.status.ok()) service.error = outcome.status.message() + "; " + service.error;
      }
    } else if (!service.ok) {
      service.error = outcome.status.message();
    }
    out.result.services.push_back(std::move(service));
  }
  return out;
}

}  // namespace madre
