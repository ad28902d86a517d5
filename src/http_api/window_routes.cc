#include "http_api/window_routes.h"

#include <algorithm>
#include <set>

#include "api/views.h"
#include "core/policy_view.h"
#include "http_api/http_common.h"

namespace madre {

using nlohmann::json;

WindowRoutes::WindowRoutes(WindowRoutesOptions options, Engine& engine, OpenThrottle& throttle)
    : options_(std::move(options)), engine_(engine), throttle_(throttle) {}

Reply<Window> WindowRoutes::WindowReply(Responder respond) {
  return [this, respond](Result<Window> window) {
    if (!window.ok()) return respond(ErrorResponse(window.status()));
    respond(JsonResponse(200, WindowView(*window, engine_.Now(), options_.stop_strategy)));
  };
}

json WindowRoutes::StartedOrRunning(const std::vector<std::string>& started,
                                    const std::vector<std::string>& requested) const {
  const EngineView view = engine_.Snapshot();
  std::set<std::string> out(started.begin(), started.end());
  for (const auto& name : requested) {
    const bool running = std::any_of(
        view.observed.begin(), view.observed.end(),
        [&name](const ContainerState& c) { return c.service == name && c.state == "running"; });
    if (running) out.insert(name);
  }
  return json(std::vector<std::string>(out.begin(), out.end()));
}

void WindowRoutes::Open(const HttpRequest& request, const Caller& caller, bool compatible,
                        Responder respond) {
  const std::string actor = caller.AuditActor();
  Result<OpenBody> body = ParseOpenBody(request.body);
  if (!body.ok()) {
    engine_.AuditRejected("window.open", actor, body.status());
    return respond(ErrorResponse(body.status()));
  }
  // The compatible endpoint answers with the result, like the original, but within the original
  // clients' budgets: after compat_open_wait at most, with the window as it is (200, `opening`).
  const bool wait = compatible || body->wait;
  const Duration timeout = body->wait_timeout_sec ? Seconds(*body->wait_timeout_sec)
                           : compatible           ? options_.compat_open_wait
                                                  : options_.open_wait_timeout;
  auto go = [this, open = ToOpenRequest(*body, actor), wait, timeout, compatible,
             respond]() mutable {
    engine_.Open(
        std::move(open), wait, timeout, [this, compatible, respond](Result<OpenOutcome> outcome) {
          if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
          json window = WindowView(outcome->window, engine_.Now(), options_.stop_strategy);
          if (compatible) {
            // The original clients health-check `services_started`: what madre started, and every
            // requested service that runs, whoever started it (shared, already running).
            window["services_started"] =
                StartedOrRunning(outcome->window.services_started, outcome->window.services);
          }
          if (outcome->window.state == WindowState::kFailed) {
            json body = window;
            body["detail"] = "every service failed to start; the window was rolled back";
            body["code"] = "exec_failed";
            return respond(JsonResponse(500, body));
          }
          const bool done = outcome->finished || outcome->window.state != WindowState::kOpening;
          respond(JsonResponse(done || compatible ? 200 : 202, window));
        });
  };
  throttle_.Admit(actor, std::move(go), std::move(respond));
}

void WindowRoutes::Close(const HttpRequest& request, const Caller& caller, Responder respond) {
  const std::string actor = caller.AuditActor();
  Result<std::optional<std::string>> id = ParseWindowIdBody(request.body);
  if (!id.ok()) {
    engine_.AuditRejected("window.close", actor, id.status());
    return respond(ErrorResponse(id.status()));
  }
  engine_.Close(*id, actor, WindowReply(std::move(respond)));
}

void WindowRoutes::Hold(const HttpRequest& request, const Caller& caller, Responder respond) {
  const std::string actor = caller.AuditActor();
  Result<HoldBody> body = ParseHoldBody(request.body);
  if (!body.ok()) {
    engine_.AuditRejected("window.hold", actor, body.status());
    return respond(ErrorResponse(body.status()));
  }
  engine_.Hold(body->window_id, body->hold, actor, WindowReply(std::move(respond)));
}

void WindowRoutes::Extend(const HttpRequest& request, const Caller& caller, Responder respond) {
  const std::string actor = caller.AuditActor();
  Result<ExtendBody> body = ParseExtendBody(request.body);
  if (!body.ok()) {
    engine_.AuditRejected("window.extend", actor, body.status());
    return respond(ErrorResponse(body.status()));
  }
  engine_.Extend(body->window_id, body->ttl_sec, actor, WindowReply(std::move(respond)));
}

void WindowRoutes::ServiceOp(const HttpRequest& request, const Caller& caller,
                             const std::optional<std::string>& path, const std::string& op,
                             Responder respond) {
  const std::string actor = caller.AuditActor();
  Result<ServiceOpBody> body = ParseServiceOpBody(request.body);
  if (!path && body.ok() && !body->service) {
    body = Status::InvalidArgument(
        "service is required: {\"service\": NAME}, or POST "
        "/madre/power/service/NAME/" +
        op);
  }
  const std::string name = path ? *path : body.ok() ? body->service.value_or("") : "";
  if (path || body.ok()) {
    if (!IsValidServiceName(name) || !engine_.Snapshot().model.Has(name)) {
      const Status why = Status::NotFound("no compose service named \"" + name + "\"");
      engine_.AuditRejected("service." + op, actor, why);
      return respond(ErrorResponse(why));
    }
  }
  if (!body.ok()) {
    engine_.AuditRejected("service." + op, actor, body.status());
    return respond(ErrorResponse(body.status()));
  }
  if (!body->apply) return respond(JsonResponse(200, ServicePlan(name, op)));
  auto done = [this, respond](Result<ServiceOpOutcome> outcome) {
    if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
    json body = {{"status", outcome->ok ? "ok" : "error"},
                 {"service", outcome->service},
                 {"action", outcome->action},
                 {"windows_closed", outcome->windows_closed},
                 {"error", outcome->error.empty() ? json(nullptr) : json(outcome->error)}};
    if (outcome->window) {
      body["window_id"] = outcome->window->id;
      body["window"] = WindowView(*outcome->window, engine_.Now(), options_.stop_strategy);
    }
    respond(JsonResponse(outcome->ok ? 200 : 500, body));
  };
  if (op == "start") {
    // A service hold answers within the original clients' budgets, as the compatible open.
    return engine_.ServiceStart(name, actor, options_.compat_open_wait, std::move(done));
  }
  if (op == "stop") return engine_.ServiceStop(name, actor, std::move(done));
  engine_.ServiceRestart(name, actor, std::move(done));
}

json WindowRoutes::ServicePlan(const std::string& name, const std::string& op) const {
  const EngineView view = engine_.Snapshot();
  const std::set<std::string> running = RunningServices(view.observed);
  // What the operation would do now: a start starts the service and its dependencies that do
  // not run; a stop stops the service if it runs; a restart restarts it.
  std::vector<std::string> would;
  if (op == "start") {
    for (const auto& service : DependencyClosure(view.model, {name})) {
      if (!running.count(service)) would.push_back(service);
    }
  } else if (op == "stop") {
    if (running.count(name)) would.push_back(name);
  } else {
    would.push_back(name);
  }
  return {{"status", "plan"},  {"service", name},
          {"action", op},      {"applied", false},
          {"services", would}, {"detail", "\"apply\": false: nothing was done"}};
}

void WindowRoutes::SoloMadreApply(const HttpRequest& request, const Caller& caller,
                                  Responder respond) {
  const std::string actor = caller.AuditActor();
  if (Status body = CheckServiceOpBody(request.body); !body.ok()) {
    engine_.AuditRejected("solo_madre.apply", actor, body);
    return respond(ErrorResponse(body));
  }
  engine_.ApplySoloMadre(actor, [respond](Result<SoloMadreOutcome> outcome) {
    if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
    const bool failed = outcome->exec_status == AuditOutcome::kFail;
    // `status` as the original's clients assert it (ok also when only some stops failed).
    respond(
        JsonResponse(failed ? 500 : 200, {{"status", failed ? "error" : "ok"},
                                          {"policy", "solo_madre"},
                                          {"services_stopped", outcome->services_stopped},
                                          {"windows_closed", outcome->windows_closed},
                                          {"state", "applied"},
                                          {"exec_status", AuditOutcomeName(outcome->exec_status)},
                                          {"exec_details", outcome->exec_details}}));
  });
}

}  // namespace madre
