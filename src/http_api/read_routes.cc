#include "http_api/read_routes.h"

#include "api/flow.h"
#include "api/views.h"
#include "core/policy_view.h"
#include "http_api/http_common.h"

namespace madre {

using nlohmann::json;

namespace {

// When the ttl_remaining_sec of some kept window next shows another value (it is the whole
// seconds to the deadline, rounded up); nullopt when none counts down.
std::optional<TimePoint> NextTtlChange(const WindowsById& windows, TimePoint now) {
  std::optional<TimePoint> next;
  for (const auto& [id, window] : windows) {
    if (!window.Live() || window.hold || !window.deadline) continue;
    const std::int64_t remaining = SecondsUntil(*window.deadline, now);
    if (remaining <= 0) continue;
    const TimePoint change = *window.deadline - Seconds(remaining - 1);
    if (!next || change < *next) next = change;
  }
  return next;
}

// A 200 answer with a cached body.
HttpResponse BodyResponse(const std::string& body) {
  HttpResponse response;
  response.body = body;
  return response;
}

// A body that holds until the next engine change.
CachedBody::Built UntilChange(const json& view) { return {Dump(view), std::nullopt}; }

}  // namespace

ReadRoutes::ReadRoutes(ReadRoutesOptions options, Engine& engine, ContainerObserver& observer,
                       Executor& workers, Executor& loop, StatsSampler& sampler)
    : options_(std::move(options)),
      engine_(engine),
      observer_(observer),
      workers_(workers),
      loop_(loop),
      sampler_(sampler) {}

void ReadRoutes::OnEngineChange() {
  caches_.state.Invalidate();
  caches_.status.Invalidate();
  caches_.solo_madre.Invalidate();
  caches_.services.Invalidate();
}

void ReadRoutes::State(Responder respond) {
  const TimePoint now = engine_.Now();
  respond(BodyResponse(caches_.state.Get(now, [this, now] {
    const EngineView view = engine_.Snapshot();
    // The last observation, trusted or not: an observation is an engine change, so this body
    // is rebuilt when it changes.
    const std::set<std::string> always_on =
        RunningAlwaysOn(view.observed, options_.always_on, view.model);
    return CachedBody::Built{Dump(StateView(view.windows, now, options_.stop_strategy, always_on)),
                             NextTtlChange(view.windows, now)};
  })));
}

void ReadRoutes::WindowsStatus(const HttpRequest& request, Responder respond) {
  Result<int> limit = QueryInt(request, "limit", 20, 0, 1000);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  Result<std::vector<Window>> history = engine_.History(*limit);
  if (!history.ok()) return respond(ErrorResponse(history.status()));
  respond(JsonResponse(200, WindowsStatusView(engine_.Snapshot().windows, *history, engine_.Now(),
                                              options_.stop_strategy)));
}

void ReadRoutes::WindowGet(const std::string& id, Responder respond) {
  Result<std::optional<Window>> window = engine_.FindWindow(id);
  if (!window.ok()) return respond(ErrorResponse(window.status()));
  if (!window->has_value()) return respond(ErrorResponse(Status::NotFound("No window " + id)));
  respond(JsonResponse(200, WindowView(**window, engine_.Now(), options_.stop_strategy)));
}

void ReadRoutes::Audit(const HttpRequest& request, Responder respond) {
  Result<int> limit = QueryInt(request, "limit", 100, 1, 10000);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  std::optional<std::int64_t> after;
  if (request.query.count("after")) {
    Result<int> parsed = QueryInt(request, "after", 0, 0, 2'000'000'000);
    if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
    after = *parsed;
  }
  Result<std::vector<AuditRecord>> records = engine_.Audit(*limit, after);
  if (!records.ok()) return respond(ErrorResponse(records.status()));
  json list = json::array();
  for (const auto& record : *records) list.push_back(AuditRecordToJson(record));
  respond(JsonResponse(200, {{"status", "ok"}, {"records", list}}));
}

void ReadRoutes::Services(Responder respond) {
  respond(BodyResponse(caches_.services.Get(engine_.Now(), [this] {
    const EngineView view = engine_.Snapshot();
    return UntilChange(ServicesView(view.config, view.model));
  })));
}

void ReadRoutes::Flows(const HttpRequest& request, Responder respond) {
  const auto service = request.query.find("service");
  Result<json> view =
      FlowsView(engine_.Snapshot().model, service == request.query.end() ? "" : service->second);
  respond(view.ok() ? JsonResponse(200, *view) : ErrorResponse(view.status()));
}

void ReadRoutes::WithContainers(Responder respond,
                                std::function<void(std::vector<ContainerState>)> then) {
  // The engine's last observation is kept current by Docker events and the resync: use it.
  // Before the first one (right after start-up), or while events are lost, ask Docker.
  if (const std::vector<ContainerState>* current = engine_.Snapshot().Current()) {
    return then(*current);
  }
  workers_.Submit([this, respond = std::move(respond), then = std::move(then)]() mutable {
    Result<std::vector<ContainerState>> list = observer_.ListProject();
    loop_.Submit(
        [respond = std::move(respond), then = std::move(then), list = std::move(list)]() mutable {
          if (!list.ok()) {
            return respond(ErrorResponse(
                Status::Unavailable("cannot read containers: " + list.status().message())));
          }
          then(std::move(*list));
        });
  });
}

bool ReadRoutes::AnswerFromObservation(
    CachedBody& cache, const std::function<json(const std::vector<ContainerState>&)>& view,
    const Responder& respond) {
  const std::vector<ContainerState>* current = engine_.Snapshot().Current();
  if (!current) return false;
  respond(BodyResponse(
      cache.Get(engine_.Now(), [&view, current] { return UntilChange(view(*current)); })));
  return true;
}

json ReadRoutes::StatusJson(const std::vector<ContainerState>& containers, bool stats) const {
  static const std::map<std::string, ContainerStats> kNone;
  const EngineView view = engine_.Snapshot();
  std::map<std::string, std::string> gave_up;
  std::set<std::string> ready;
  for (const auto& [name, track] : view.services) {
    if (track.gave_up) gave_up[name] = track.error;
    if (track.phase == ServicePhase::kRunning && !track.crashloop) ready.insert(name);
  }
  return StatusView(containers, stats ? sampler_.stats() : kNone, view.windows, view.model,
                    options_.always_on, gave_up, ready);
}

json ReadRoutes::SoloMadreJson(const std::vector<ContainerState>& containers) const {
  return SoloMadreStatusView(
      CheckSoloMadre(containers, options_.always_on, engine_.Snapshot().model));
}

void ReadRoutes::Status(const HttpRequest& request, Responder respond) {
  const bool with_stats = request.query.count("stats") && request.query.at("stats") == "1";
  // Nothing in the view without stats counts down: it holds until the next change.
  if (!with_stats &&
      AnswerFromObservation(
          caches_.status, [this](const auto& c) { return StatusJson(c, false); }, respond)) {
    return;
  }
  WithContainers(respond, [this, with_stats, respond](std::vector<ContainerState> list) {
    auto answer = [this, respond, list](bool stats) {
      respond(JsonResponse(200, StatusJson(list, stats)));
    };
    if (!with_stats) return answer(false);
    sampler_.Fresh(std::move(list), [answer] { answer(true); });
  });
}

void ReadRoutes::SoloMadreStatus(Responder respond) {
  if (AnswerFromObservation(
          caches_.solo_madre, [this](const auto& c) { return SoloMadreJson(c); }, respond)) {
    return;
  }
  WithContainers(respond, [this, respond](std::vector<ContainerState> list) {
    respond(JsonResponse(200, SoloMadreJson(list)));
  });
}

}  // namespace madre
