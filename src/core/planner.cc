#include "core/planner.h"

#include <algorithm>

#include "core/cpu_limits.h"
#include "core/self_container.h"

namespace madre {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// Health and restarts as Docker reports them. A stopped container keeps its
// last health (often "unhealthy" after a stop): that is not news about this run.
void CopyObserved(const ServiceTrack& track, ServiceStatus& status) {
  if (!track.observed) return;
  status.health = track.observed->Running() ? track.observed->health : "";
  status.restart_count = track.observed->restart_count;
}

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// The window `request` asks for, not opened yet: its services sorted and once each, and the
// TTL rule of every kind (no TTL, or 0, is a hold). effective_services is the caller's.
Window RequestedWindow(const OpenRequest& request, const std::string& id, TimePoint now) {
  Window window;
  window.id = id;
  window.kind = request.kind;
  window.services = request.services;
  std::sort(window.services.begin(), window.services.end());
  window.services.erase(std::unique(window.services.begin(), window.services.end()),
                        window.services.end());
  const bool no_ttl = !request.ttl_sec || *request.ttl_sec == 0;
  window.hold = request.hold || no_ttl;
  window.mode = no_ttl ? "hold" : "ttl";
  if (!no_ttl) window.ttl_sec = request.ttl_sec;
  window.reason = request.reason;
  window.actor = request.actor;
  window.created_at = now;
  window.skip_health = request.skip_health;
  window.cpu_limit = request.cpu_limit;
  return window;
}

}  // namespace

const char* ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kStart:
      return "start";
    case ActionKind::kStop:
      return "stop";
    case ActionKind::kRestart:
      return "restart";
    case ActionKind::kObserve:
      return "observe";
  }
  return "unknown";
}

const char* ServicePhaseName(ServicePhase phase) {
  switch (phase) {
    case ServicePhase::kUnknown:
      return "unknown";
    case ServicePhase::kStopped:
      return "stopped";
    case ServicePhase::kStarting:
      return "starting";
    case ServicePhase::kRunning:
      return "running";
    case ServicePhase::kStopping:
      return "stopping";
    case ServicePhase::kFailed:
      return "failed";
  }
  return "unknown";
}

const char* ExternalStartName(ExternalStart mode) {
  switch (mode) {
    case ExternalStart::kStop:
      return "stop";
    case ExternalStart::kAdopt:
      return "adopt";
    case ExternalStart::kIgnore:
      return "ignore";
  }
  return "stop";
}

std::optional<ExternalStart> ParseExternalStart(const std::string& text) {
  for (ExternalStart m : {ExternalStart::kStop, ExternalStart::kAdopt, ExternalStart::kIgnore}) {
    if (text == ExternalStartName(m)) return m;
  }
  return std::nullopt;
}

ServiceState ServiceStateOf(const ServiceTrack& track) {
  if (track.crashloop) return ServiceState::kCrashloop;
  switch (track.phase) {
    case ServicePhase::kUnknown:
      return ServiceState::kUnknown;
    case ServicePhase::kStopped:
      return ServiceState::kStopped;
    case ServicePhase::kStarting:
      return ServiceState::kStarting;
    case ServicePhase::kRunning:
      return ServiceState::kRunning;
    case ServicePhase::kStopping:
      return ServiceState::kStopping;
    case ServicePhase::kFailed:
      return ServiceState::kFailed;
  }
  return ServiceState::kUnknown;
}

Planner::Planner(PlannerConfig config, ServiceModel model)
    : config_(std::move(config)), model_(std::move(model)) {
  for (const auto& [name, def] : model_.services) services_[name] = ServiceTrack{};
}

std::vector<std::string> Planner::ExpandServices(const std::vector<std::string>& services) const {
  std::vector<std::string> out;
  for (const auto& name : DependencyClosure(model_, services)) {
    if (!config_.always_on.count(name)) out.push_back(name);
  }
  return out;
}

Status Planner::CheckOpen(const OpenRequest& request) const {
  if (request.services.empty())
    return Status::InvalidArgument("services must name at least one service");
  std::set<std::string> refused;
  for (const auto& name : request.services) {
    if (!config_.allowlist.count(name) || !model_.Has(name)) refused.insert(name);
  }
  if (!refused.empty()) {
    std::string list = "[";
    for (const auto& name : refused) {
      if (list.size() > 1) list += ", ";
      list += "\"" + name + "\"";  // names reaching here may be anything: the codec escapes them
    }
    list += "]";
    return Status::NotAllowed("Services not in allowlist: " + list);
  }
  if (request.ttl_sec && (*request.ttl_sec < 0 || *request.ttl_sec > config_.max_ttl_sec)) {
    return Status::InvalidArgument("ttl_sec must be between 0 and " +
                                   std::to_string(config_.max_ttl_sec));
  }
  if (request.cpu_limit) {
    RETURN_IF_ERROR(CheckCpuLimit(*request.cpu_limit));
    if (!config_.cpu_limits) {
      return Status::InvalidArgument(
          "cpu_limit needs the Engine API: VX11_PROVIDER=compose with a unix:// DOCKER_HOST (this "
          "madre cannot change a container's CPU limit)");
    }
  }
  // Service holds and adopted services do not take window slots.
  int live = 0;
  for (const auto& [id, window] : windows_) {
    live += window.Live() && window.kind == WindowKind::kClient ? 1 : 0;
  }
  if (request.kind == WindowKind::kClient && live >= config_.max_concurrent) {
    return Status::FailedPrecondition("window limit reached: " + std::to_string(live) + " of " +
                                      std::to_string(config_.max_concurrent) +
                                      " windows open (VX11_POWER_WINDOWS_MAX_CONCURRENT)");
  }
  return Status::Ok();
}

Result<Window> Planner::PreviewOpen(const OpenRequest& request, const std::string& id,
                                    TimePoint now) const {
  RETURN_IF_ERROR(CheckOpen(request));
  Window window = RequestedWindow(request, id, now);
  window.effective_services = ExpandServices(window.services);
  for (const auto& name : window.effective_services) {
    auto track = services_.find(name);
    if (track != services_.end() && track->second.quarantined) {
      return Status::Quarantined("service " + name +
                                 " is quarantined by autofix; `madre autofix reset " + name +
                                 "` lifts it");
    }
  }
  for (const auto& name : window.effective_services) window.services_status[name] = ServiceStatus{};
  return window;
}

Result<Window> Planner::Open(const OpenRequest& request, const std::string& id, TimePoint now) {
  ASSIGN_OR_RETURN(Window window, PreviewOpen(request, id, now));
  MADRE_CHECK_MSG(!windows_.count(id), "duplicate window id " + id);
  for (const auto& name : window.effective_services) {
    ServiceTrack& track = services_[name];
    // A service that failed for an earlier window gets a fresh try.
    if (track.phase == ServicePhase::kFailed && !track.in_flight) {
      track.phase = ServicePhase::kStopped;
      track.not_before.reset();
      track.failures = 0;
      track.gave_up = false;
      track.remediating = false;
    }
    track.external = false;  // a window takes it: released when that window ends
    // Running but not healthy yet (started by hand a moment ago): wait for it to be ready.
    if (track.phase == ServicePhase::kRunning && track.observed &&
        (track.observed->health == "starting" || track.observed->health == "unhealthy")) {
      verify_ready_.insert(name);
    }
  }
  windows_[id] = std::move(window);
  MarkChanged(id);
  Settle(Actor::Client(request.actor), now);
  return windows_.at(id);
}

Result<std::string> Planner::SoleLiveWindow() const {
  std::vector<std::string> live;
  for (const auto& [id, window] : windows_) {
    if (window.Live() && window.kind == WindowKind::kClient) live.push_back(id);
  }
  if (live.empty()) return Status::NotFound("No active window");
  if (live.size() > 1) {
    return Status::FailedPrecondition("several windows are open (" + Join(live) +
                                      "): give window_id");
  }
  return live.front();
}

const Window* Planner::FindWindow(const std::string& id) const {
  auto it = windows_.find(id);
  return it == windows_.end() ? nullptr : &it->second;
}

Status Planner::Close(const std::string& id, CloseReason reason, TimePoint now,
                      std::optional<Actor> by) {
  auto it = windows_.find(id);
  if (it == windows_.end()) return Status::NotFound("no open window " + id);
  Window& window = it->second;
  if (!window.Live()) {
    return Status::FailedPrecondition("window " + id + " is " + WindowStateName(window.state));
  }
  window.state = WindowState::kClosing;
  window.close_reason = reason;
  MarkChanged(id);
  const Actor actor = by                                   ? *by
                      : reason == CloseReason::kTtlExpired ? Actor(ActorKind::kTtl)
                                                           : Actor::Client(window.actor);
  closed_by_[id] = actor;
  Settle(actor, now);
  return Status::Ok();
}

Actor Planner::ClosedBy(const std::string& id) const {
  if (auto it = closed_by_.find(id); it != closed_by_.end()) return it->second;
  // Restored in `closing`: the closer is not stored; the reason tells what it can.
  const Window* window = FindWindow(id);
  switch (window ? window->close_reason : CloseReason::kNone) {
    case CloseReason::kTtlExpired:
      return ActorKind::kTtl;
    case CloseReason::kSoloMadreApplied:
      return ActorKind::kSoloMadre;
    case CloseReason::kServiceStopped:
      return ActorKind::kService;
    case CloseReason::kExecFailed:
    case CloseReason::kManualClose:
    case CloseReason::kNone:
      return ActorKind::kMadre;
  }
  return ActorKind::kMadre;
}

Result<Window> Planner::SetHold(const std::string& id, bool hold, TimePoint now) {
  auto it = windows_.find(id);
  if (it == windows_.end()) return Status::NotFound("no open window " + id);
  Window& window = it->second;
  if (!window.Live()) {
    return Status::FailedPrecondition("window " + id + " is " + WindowStateName(window.state));
  }
  if (!hold && !window.ttl_sec) {
    return Status::FailedPrecondition("window " + id +
                                      " has no TTL: extend it with a TTL before leaving hold");
  }
  window.hold = hold;
  MarkChanged(id);
  if (!hold && window.state == WindowState::kOpen && window.deadline && *window.deadline <= now) {
    RETURN_IF_ERROR(Close(id, CloseReason::kTtlExpired, now));
  }
  return windows_.at(id);
}

Result<Window> Planner::Extend(const std::string& id, std::int64_t ttl_sec, TimePoint now) {
  auto it = windows_.find(id);
  if (it == windows_.end()) return Status::NotFound("no open window " + id);
  Window& window = it->second;
  if (!window.Live()) {
    return Status::FailedPrecondition("window " + id + " is " + WindowStateName(window.state));
  }
  if (ttl_sec <= 0 || ttl_sec > config_.max_ttl_sec) {
    return Status::InvalidArgument("ttl_sec must be between 1 and " +
                                   std::to_string(config_.max_ttl_sec));
  }
  if (window.state == WindowState::kOpening) {
    const std::int64_t total = window.ttl_sec.value_or(0) + ttl_sec;
    if (total > config_.max_ttl_sec)
      return Status::InvalidArgument("ttl_sec: total TTL over the limit");
    window.ttl_sec = total;
  } else {
    const TimePoint base = window.deadline && *window.deadline > now ? *window.deadline : now;
    const TimePoint deadline = base + Seconds(ttl_sec);
    if (deadline - now > Seconds(config_.max_ttl_sec)) {
      return Status::InvalidArgument("the new deadline would be more than " +
                                     std::to_string(config_.max_ttl_sec) + " s away");
    }
    window.deadline = deadline;
    window.ttl_sec = window.ttl_sec.value_or(0) + ttl_sec;
  }
  MarkChanged(id);
  return window;
}

Status Planner::StopService(const std::string& service, TimePoint now) {
  if (!model_.Has(service)) return Status::NotFound("no compose service " + service);
  if (config_.always_on.count(service)) {
    return Status::FailedPrecondition("service " + service +
                                      " is always-on (VX11_ALWAYS_ON): madre keeps it running");
  }
  std::vector<std::string> emptied;
  for (auto& [id, window] : windows_) {
    if (!window.Live()) continue;
    const bool requested = Contains(window.services, service);
    const bool effective = Contains(window.effective_services, service);
    if (!requested && !effective) continue;
    std::erase(window.services, service);
    std::erase(window.effective_services, service);
    window.services_status[service].state = ServiceState::kStopped;
    window.services_status[service].error = "stopped by request";
    MarkChanged(id);
    if (window.services.empty()) emptied.push_back(id);
  }
  for (const auto& id : emptied) {
    windows_.at(id).state = WindowState::kClosing;
    windows_.at(id).close_reason = CloseReason::kServiceStopped;
    closed_by_[id] = ActorKind::kService;
  }
  // A service nothing wants but that is not known to run may still run (by
  // hand): stop it explicitly rather than trusting the last observation.
  ServiceTrack& track = services_[service];
  if (!track.in_flight && track.phase != ServicePhase::kRunning)
    track.phase = ServicePhase::kRunning;
  track.not_before.reset();
  track.failures = 0;
  track.gave_up = false;
  track.external = false;
  Settle(ActorKind::kService, now);
  return Status::Ok();
}

Result<std::int64_t> Planner::RestartService(const std::string& service, TimePoint /*now*/) {
  if (!model_.Has(service)) return Status::NotFound("no compose service " + service);
  if (!config_.self_service.empty() && service == config_.self_service) {
    return SelfActionRefused(service, "restart");
  }
  ServiceTrack& track = services_[service];
  if (track.in_flight) return Status::FailedPrecondition("service " + service + " is busy");
  if (track.phase != ServicePhase::kRunning) {
    return Status::FailedPrecondition("service " + service + " is not running");
  }
  track.in_flight = true;
  return Emit(ActionKind::kRestart, {service}, WindowsWanting({service}), ActorKind::kService);
}

std::int64_t Planner::ApplySoloMadre(TimePoint now) {
  for (auto& [name, track] : services_) {  // a fresh start for services madre gave up on
    track.external = false;                // everything outside the always-on set stops
    if (!track.gave_up) continue;
    track.gave_up = false;
    track.failures = 0;
    track.not_before.reset();
  }
  for (auto& [id, window] : windows_) {
    if (!window.Live()) continue;
    window.state = WindowState::kClosing;
    window.close_reason = CloseReason::kSoloMadreApplied;
    closed_by_[id] = ActorKind::kSoloMadre;
    MarkChanged(id);
  }
  // Paused containers (VX11_STOP_STRATEGY=pause) are stopped too: now, as far as madre knows
  // them, and once more after the observation that the apply asks for.
  Settle(ActorKind::kSoloMadre, now, /*stop_paused=*/true);
  stop_paused_after_ = RequestObserve(ActorKind::kSoloMadre);
  return *stop_paused_after_;
}

void Planner::MarkCrashLoop(const std::string& service, const std::string& detail, TimePoint now) {
  auto it = services_.find(service);
  if (it == services_.end()) return;
  it->second.crashloop = true;
  it->second.error = detail;
  HoldForAutofix(service, it->second);
  for (const auto& id : WindowsWanting({service})) MarkChanged(id);
  UpdateWindows(now);
}

void Planner::HoldForAutofix(const std::string& service, ServiceTrack& track) {
  if (!config_.autofix_holds || track.quarantined || WindowsWanting({service}).empty()) return;
  track.remediating = true;
}

Status Planner::RetryService(const std::string& service, const Actor& actor, TimePoint now) {
  if (!model_.Has(service)) return Status::NotFound("no compose service " + service);
  ServiceTrack& track = services_[service];
  if (track.quarantined) return Status::Quarantined("service " + service + " is quarantined");
  if (track.in_flight) return Status::FailedPrecondition("service " + service + " is busy");
  if (WindowsWanting({service}).empty()) {
    return Status::FailedPrecondition("no live window wants service " + service);
  }
  if (track.phase == ServicePhase::kRunning && !track.crashloop) {
    return Status::FailedPrecondition("service " + service + " is running");
  }
  track.phase = ServicePhase::kStopped;
  track.not_before.reset();
  track.failures = 0;
  track.gave_up = false;
  track.crashloop = false;
  track.remediating = false;  // held again if this start fails too
  track.error.clear();
  for (const auto& id : WindowsWanting({service})) MarkChanged(id);
  Settle(actor, now);
  return Status::Ok();
}

void Planner::EndRemediation(const std::string& service, TimePoint now) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second.remediating) return;
  it->second.remediating = false;
  for (const auto& id : WindowsWanting({service})) MarkChanged(id);
  Settle(ActorKind::kMadre, now);
}

Status Planner::SetQuarantined(const std::string& service, bool quarantined, TimePoint now) {
  if (!model_.Has(service)) return Status::NotFound("no compose service " + service);
  if (quarantined && config_.always_on.count(service)) {
    return Status::FailedPrecondition("service " + service +
                                      " is always-on: it is never quarantined");
  }
  ServiceTrack& track = services_[service];
  if (track.quarantined == quarantined) return Status::Ok();
  track.quarantined = quarantined;
  if (quarantined) {
    track.remediating = false;
  } else if (track.phase == ServicePhase::kFailed && !track.in_flight) {
    track.phase = ServicePhase::kStopped;  // a fresh start when a window wants it
    track.not_before.reset();
    track.failures = 0;
    track.gave_up = false;
  }
  for (const auto& id : WindowsWanting({service})) MarkChanged(id);
  Settle(ActorKind::kMadre, now);
  return Status::Ok();
}

std::int64_t Planner::RequestObserve(Actor actor) {
  if (queued_observe_) return *queued_observe_;
  const std::int64_t id = Emit(ActionKind::kObserve, {}, {}, actor);
  queued_observe_ = id;
  return id;
}

std::int64_t Planner::Emit(ActionKind kind, std::vector<std::string> services,
                           std::vector<std::string> window_ids, Actor actor) {
  Action action{next_action_id_++, kind, std::move(services), std::move(window_ids),
                std::move(actor)};
  in_flight_[action.id] = action;
  pending_.push_back(action);
  return action.id;
}

bool Planner::IsWanted(const std::string& service) const {
  return config_.always_on.count(service) > 0 || LiveWindowWanting(windows_, service) != nullptr;
}

bool Planner::AtRest(const std::string& service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return true;
  return !it->second.in_flight && it->second.phase != ServicePhase::kUnknown;
}

std::vector<std::string> Planner::WindowsWanting(const std::vector<std::string>& services) const {
  std::vector<std::string> ids;
  for (const auto& [id, window] : windows_) {
    if (window.Terminal()) continue;  // ended, only waiting to be saved
    for (const auto& name : services) {
      if (Contains(window.effective_services, name)) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;  // std::map order: sorted
}

void Planner::Converge(const Actor& actor, TimePoint now, bool stop_paused) {
  if (!observed_once_) return;  // never act on guesses
  std::set<std::string> to_start, to_stop;
  for (auto& [name, track] : services_) {
    // Nothing wants it any more: autofix's hold on its failure ends.
    if (track.remediating && WindowsWanting({name}).empty()) track.remediating = false;
    if (track.in_flight || track.gave_up) continue;
    const bool wanted = IsWanted(name) && !track.quarantined;
    // Back-off after a failure, except for the cleanup of a failed start.
    const bool cleanup = track.phase == ServicePhase::kFailed && !wanted;
    if (track.not_before && *track.not_before > now && !cleanup) continue;
    switch (track.phase) {
      case ServicePhase::kUnknown:
      case ServicePhase::kStopped:
        if (wanted) {
          to_start.insert(name);
        } else if (stop_paused && track.observed &&
                   (track.observed->state == "paused" || track.observed->state == kIdledState)) {
          to_stop.insert(name);  // solo_madre/apply: at rest is stopped, not paused or idled
        }
        break;
      case ServicePhase::kRunning:
        if (!wanted) {
          if (!track.external) to_stop.insert(name);
        } else if (verify_ready_.count(name)) {
          to_start.insert(name);
        }
        break;
      case ServicePhase::kFailed:
        // A failure stays visible until nothing wants the service; then it is cleaned up.
        // An always-on service is tried again after the back-off: madre keeps it running.
        if (!wanted) {
          to_stop.insert(name);
        } else if (config_.always_on.count(name) &&
                   (!track.not_before || *track.not_before <= now)) {
          to_start.insert(name);
        }
        break;
      case ServicePhase::kStarting:
      case ServicePhase::kStopping:
        MADRE_CHECK_MSG(false, "service " + name + " is " + ServicePhaseName(track.phase) +
                                   " with no action in flight");
    }
  }
  if (!to_start.empty()) {
    std::vector<std::string> order = StartOrder(model_, to_start);
    for (const auto& name : order) {
      services_[name].phase = ServicePhase::kStarting;
      services_[name].in_flight = true;
    }
    std::vector<std::string> ids = WindowsWanting(order);
    for (const auto& name : order) {
      services_[name].crashloop = false;
      services_[name].error.clear();
      verify_ready_.erase(name);
    }
    const std::int64_t id = Emit(ActionKind::kStart, order, ids, actor);
    bool skip = !ids.empty();
    for (const auto& wid : ids) skip = skip && windows_.at(wid).skip_health;
    in_flight_.at(id).skip_health = skip;
    pending_.back().skip_health = skip;
  }
  if (!to_stop.empty()) {
    std::vector<std::string> order = StartOrder(model_, to_stop);
    std::reverse(order.begin(), order.end());
    for (const auto& name : order) {
      services_[name].phase = ServicePhase::kStopping;
      services_[name].in_flight = true;
    }
    std::vector<std::string> ids;
    for (const auto& [id, window] : windows_) {
      if (window.state != WindowState::kClosing) continue;
      for (const auto& name : order) {
        if (Contains(window.effective_services, name)) {
          ids.push_back(id);
          break;
        }
      }
    }
    Emit(ActionKind::kStop, order, ids,
         ids.empty() && actor.kind == ActorKind::kMadre ? Actor(ActorKind::kReconcile) : actor);
  }
}

void Planner::ApplyObservation(const std::vector<ContainerState>& observed,
                               std::int64_t listing_action, const std::vector<std::string>& own,
                               TimePoint now) {
  std::map<std::string, const ContainerState*> by_service;
  for (const auto& container : observed) {
    const ContainerState*& slot = by_service[container.service];
    // With several containers (scale), a running one represents the service.
    if (!slot || (!slot->Running() && container.Running())) slot = &container;
  }
  std::vector<std::string> started_outside;  // seen starting, not by madre
  for (auto& [name, track] : services_) {
    // Taken before this service's last action result was applied: it may show the service as
    // it was before that action, and would undo the action's outcome.
    if (listing_action < track.result_mark && !Contains(own, name)) continue;
    auto it = by_service.find(name);
    if (it == by_service.end()) {
      track.observed.reset();
    } else {
      track.observed = *it->second;
    }
    if (track.in_flight) continue;
    const bool running = track.observed && track.observed->Running();
    if (track.gave_up) {
      if (running != IsWanted(name)) continue;  // still not what is wanted: stays failed
      track.gave_up = false;                    // somebody fixed it by hand
      track.failures = 0;
      track.phase = ServicePhase::kStopped;  // set from `running` below
    }
    // A failed service stays failed (a running container may still be
    // unready) until it is stopped or a new window starts it again.
    if (track.phase == ServicePhase::kFailed && !(running && config_.always_on.count(name)))
      continue;
    if (running) {
      if (track.phase == ServicePhase::kStopped || track.phase == ServicePhase::kUnknown) {
        started_outside.push_back(name);
      }
      track.phase = ServicePhase::kRunning;
      if (!track.crashloop) track.error.clear();
    } else {
      track.phase = ServicePhase::kStopped;
      track.external = false;
    }
  }
  observed_once_ = true;
  OnExternalStarts(started_outside, now);
  // The project-wide cache keeps the newest listing: one that came with an action's result is
  // as new as that result; a plain observe's is as new as its dispatch.
  const std::int64_t mark = own.empty() ? listing_action : next_action_id_;
  if (mark >= observed_mark_) {
    observed_ = observed;
    observed_mark_ = mark;
  }
}

void Planner::OnActionDone(const ActionResult& result, TimePoint now) {
  auto it = in_flight_.find(result.action_id);
  MADRE_CHECK_MSG(it != in_flight_.end(),
                  "result for unknown action " + std::to_string(result.action_id));
  const Action action = it->second;
  in_flight_.erase(it);
  boot_actions_.erase(action.id);

  std::map<std::string, const ServiceOutcome*> outcomes;
  for (const auto& outcome : result.services) outcomes[outcome.service] = &outcome;

  for (const auto& name : action.services) {
    ServiceTrack& track = services_[name];
    track.in_flight = false;
    auto found = outcomes.find(name);
    const bool ok = found != outcomes.end() ? found->second->ok : result.status.ok();
    std::string error = found != outcomes.end() ? found->second->error : result.status.message();
    if (!ok && error.empty()) error = result.status.message();
    switch (action.kind) {
      case ActionKind::kStart:
        track.phase = ok ? ServicePhase::kRunning : ServicePhase::kFailed;
        break;
      case ActionKind::kStop:
        track.phase = ok ? ServicePhase::kStopped : ServicePhase::kRunning;
        if (ok) track.crashloop = false;
        break;
      case ActionKind::kRestart:
        track.phase = ok ? ServicePhase::kRunning : ServicePhase::kFailed;
        break;
      case ActionKind::kObserve:
        break;
    }
    track.error = ok ? "" : error;
    if (ok) {
      track.failures = 0;
      track.gave_up = false;
      track.remediating = false;
    } else {
      RecordFailure(track, now);
      if (action.kind != ActionKind::kStop) HoldForAutofix(name, track);
    }
    for (const auto& id : action.window_ids) {
      auto w = windows_.find(id);
      if (w == windows_.end()) continue;
      Window& window = w->second;
      if (!Contains(window.effective_services, name)) continue;
      if (action.kind == ActionKind::kStart && ok && window.state == WindowState::kOpening &&
          !Contains(window.services_started, name)) {
        window.services_started.push_back(name);
      }
      if (action.kind == ActionKind::kStop && ok && window.state == WindowState::kClosing &&
          !Contains(window.services_stopped, name)) {
        window.services_stopped.push_back(name);
      }
      MarkChanged(id);
    }
  }
  if (action.kind == ActionKind::kObserve) {
    if (queued_observe_ == action.id) queued_observe_.reset();
    // Docker could not be observed: try again after the back-off; else resync later.
    if (!result.status.ok()) {
      next_resync_ = now + config_.retry_backoff;
    } else if (config_.resync_interval > Duration::zero()) {
      next_resync_ = now + config_.resync_interval;
    }
  }
  const bool first_observation = result.has_observation && !observed_once_;
  if (result.has_observation) ApplyObservation(result.observed, action.id, action.services, now);
  for (const auto& name : action.services) services_[name].result_mark = next_action_id_;
  const bool after_solo = stop_paused_after_ == action.id;
  if (after_solo) stop_paused_after_.reset();
  const std::int64_t first_new_action = next_action_id_;
  Settle(action.kind == ActionKind::kObserve ? ActorKind::kReconcile : ActorKind::kMadre, now,
         after_solo);
  if (first_observation) {
    // The start-up reconcile: what the first convergence on Docker's real state emitted.
    for (auto a = in_flight_.lower_bound(first_new_action); a != in_flight_.end(); ++a) {
      if (a->second.kind == ActionKind::kStart || a->second.kind == ActionKind::kStop) {
        boot_actions_.insert(a->first);
      }
    }
  }
}

void Planner::OnExternalStarts(const std::vector<std::string>& services, TimePoint now) {
  for (const auto& name : services) {
    if (IsWanted(name)) continue;  // a window or the always-on set has it
    // A closing window is stopping it (or a window restored in `closing` will): SPEC §6.
    const bool closing = std::any_of(windows_.begin(), windows_.end(), [&name](const auto& w) {
      return w.second.state == WindowState::kClosing && Contains(w.second.effective_services, name);
    });
    if (closing) continue;
    switch (config_.external_start) {
      case ExternalStart::kStop:
        break;  // Converge stops it: nothing wants it
      case ExternalStart::kIgnore:
        services_[name].external = true;
        break;
      case ExternalStart::kAdopt:
        Adopt(name, now);
        break;
    }
  }
}

std::string Planner::NewWindowId() {
  for (;;) {
    std::string id = config_.new_window_id ? config_.new_window_id()
                                           : "adopted-" + std::to_string(next_adopted_++);
    if (!windows_.count(id)) return id;
  }
}

void Planner::Adopt(const std::string& service, TimePoint now) {
  OpenRequest request;
  request.kind = WindowKind::kAdopted;
  request.services = {service};
  request.reason = "external_start";
  request.actor = "external";
  if (config_.external_start_ttl_sec > 0) request.ttl_sec = config_.external_start_ttl_sec;
  Window window = RequestedWindow(request, NewWindowId(), now);
  window.effective_services = {service};  // the service alone: its dependencies are not taken
  window.state = WindowState::kOpen;      // it runs already
  window.opened_at = now;
  if (window.ttl_sec) window.deadline = now + Seconds(*window.ttl_sec);
  ServiceStatus& status = window.services_status[service];
  status.state = ServiceState::kRunning;
  CopyObserved(services_[service], status);
  const std::string id = window.id;
  windows_[id] = std::move(window);
  MarkChanged(id);
  adopted_.push_back(id);
}

std::vector<std::string> Planner::TakeAdopted() {
  std::vector<std::string> out;
  out.swap(adopted_);
  return out;
}

void Planner::RecordFailure(ServiceTrack& track, TimePoint now) {
  ++track.failures;
  if (track.failures >= config_.retry_limit) {
    track.gave_up = true;
    track.phase = ServicePhase::kFailed;
    track.not_before.reset();
    return;
  }
  Duration backoff = config_.retry_backoff;
  for (int i = 1; i < track.failures && backoff < config_.retry_backoff_max; ++i) backoff *= 2;
  track.not_before = now + std::min(backoff, config_.retry_backoff_max);
}

void Planner::Settle(const Actor& actor, TimePoint now, bool stop_paused) {
  // A window that fails or closes releases its services: converge again.
  for (int round = 0; round < 4; ++round) {
    Converge(actor, now, stop_paused);
    if (!UpdateWindows(now)) return;
  }
}

bool Planner::UpdateWindows(TimePoint now) {
  bool transitions = false;
  for (auto& [id, window] : windows_) {
    switch (window.state) {
      case WindowState::kOpening:
        transitions = UpdateOpening(window, now) || transitions;
        break;
      case WindowState::kClosing:
        transitions = UpdateClosing(window, now) || transitions;
        break;
      case WindowState::kOpen:
        UpdateOpen(window);
        break;
      case WindowState::kClosed:
      case WindowState::kFailed:
        break;
    }
  }
  return transitions;
}

bool Planner::UpdateOpening(Window& window, TimePoint now) {
  int pending = 0, failed = 0, total = 0;
  for (const auto& name : window.effective_services) {
    ++total;
    const ServiceTrack& track = services_[name];
    ServiceStatus& status = window.services_status[name];
    const ServiceStatus before = status;
    if (track.remediating || track.quarantined) {
      status.state = track.remediating ? ServiceState::kRemediating : ServiceState::kFailed;
      status.error = track.quarantined ? "quarantined by autofix" : track.error;
      ++(track.remediating ? pending : failed);
      CopyObserved(track, status);
      if (!(status == before)) MarkChanged(window.id);
      continue;
    }
    switch (track.phase) {
      case ServicePhase::kRunning:
        status.state = ServiceState::kRunning;
        status.error.clear();
        break;
      case ServicePhase::kFailed:
        status.state = ServiceState::kFailed;
        status.error = track.error;
        ++failed;
        break;
      case ServicePhase::kStarting:
        status.state = ServiceState::kStarting;
        ++pending;
        break;
      case ServicePhase::kUnknown:
      case ServicePhase::kStopped:
      case ServicePhase::kStopping:
        status.state = ServiceState::kPending;
        ++pending;
        break;
    }
    CopyObserved(track, status);
    if (!(status == before)) MarkChanged(window.id);
  }
  if (pending > 0) return false;
  MarkChanged(window.id);
  if (total > 0 && failed == total) {
    window.state = WindowState::kFailed;
    window.close_reason = CloseReason::kExecFailed;
    window.closed_at = now;
    window.error = "every service failed to start";
    return true;  // its services are released
  }
  window.state = WindowState::kOpen;
  window.opened_at = now;
  if (window.ttl_sec) window.deadline = now + Seconds(*window.ttl_sec);
  return false;
}

bool Planner::UpdateClosing(Window& window, TimePoint now) {
  bool done = true;
  for (const auto& name : window.effective_services) {
    if (IsWanted(name)) continue;  // shared: stays up for someone else
    const ServiceTrack& track = services_[name];
    if (track.in_flight || track.phase == ServicePhase::kUnknown) {
      done = false;
      continue;
    }
    ServiceStatus& status = window.services_status[name];
    const ServiceState state =
        track.phase == ServicePhase::kStopped ? ServiceState::kStopped : ServiceState::kFailed;
    if (status.state != state || status.error != track.error) {
      status.state = state;
      status.error = track.error;
      MarkChanged(window.id);
    }
  }
  if (!done) return false;
  window.state = WindowState::kClosed;
  window.closed_at = now;
  MarkChanged(window.id);
  return true;
}

void Planner::UpdateOpen(Window& window) {
  for (const auto& name : window.effective_services) {
    const ServiceTrack& track = services_[name];
    ServiceStatus& status = window.services_status[name];
    const ServiceStatus before = status;
    status.state = track.remediating ? ServiceState::kRemediating : ServiceStateOf(track);
    status.error = track.quarantined ? "quarantined by autofix" : track.error;
    if (track.quarantined) status.state = ServiceState::kFailed;
    CopyObserved(track, status);
    if (!(status == before)) MarkChanged(window.id);
  }
}

void Planner::Advance(TimePoint now) {
  std::vector<std::string> expired;
  for (const auto& [id, window] : windows_) {
    if (window.state == WindowState::kOpen && !window.hold && window.deadline &&
        *window.deadline <= now) {
      expired.push_back(id);
    }
  }
  for (const auto& id : expired) {
    Status status = Close(id, CloseReason::kTtlExpired, now);
    MADRE_CHECK_MSG(status.ok(), status.ToString());
  }
  if (!next_resync_ && observed_once_ && config_.resync_interval > Duration::zero()) {
    next_resync_ = now + config_.resync_interval;
  }
  if (next_resync_ && *next_resync_ <= now) {
    RequestObserve(ActorKind::kReconcile);
    next_resync_.reset();
    if (config_.resync_interval > Duration::zero()) next_resync_ = now + config_.resync_interval;
  }
  for (auto& [name, track] : services_) {
    if (track.not_before && *track.not_before <= now) track.not_before.reset();
  }
  Settle(ActorKind::kMadre, now);
}

void Planner::Restore(std::vector<Window> windows, TimePoint now) {
  for (Window& window : windows) {
    MADRE_CHECK(!window.Terminal());
    for (const auto& name : window.effective_services) {
      services_.try_emplace(name);
      // Whatever runs for a window that was still opening must prove it is ready.
      if (window.state == WindowState::kOpening) verify_ready_.insert(name);
    }
    const std::string id = window.id;
    windows_[id] = std::move(window);
    Window& restored = windows_[id];
    if (restored.state == WindowState::kOpen && !restored.hold && restored.deadline &&
        *restored.deadline <= now) {
      restored.state = WindowState::kClosing;
      restored.close_reason = CloseReason::kTtlExpired;
      restored.error = "expired while madre was down";
      closed_by_[id] = ActorKind::kTtl;
      MarkChanged(id);
    }
  }
}

std::vector<Action> Planner::TakeActions() {
  std::vector<Action> out;
  out.swap(pending_);
  return out;
}

std::vector<Window> Planner::TakeChangedWindows() {
  std::vector<Window> out;
  for (const auto& id : changed_) {
    auto it = windows_.find(id);
    if (it == windows_.end()) continue;
    out.push_back(it->second);
  }
  changed_.clear();
  return out;
}

void Planner::WindowSaved(const std::string& id) {
  auto it = windows_.find(id);
  if (it != windows_.end() && it->second.Terminal() && !changed_.count(id)) {
    windows_.erase(it);
    closed_by_.erase(id);
  }
}

std::optional<TimePoint> Planner::NextDeadline() const {
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [id, window] : windows_) {
    if (window.state == WindowState::kOpen && !window.hold && window.deadline) {
      consider(*window.deadline);
    }
  }
  for (const auto& [name, track] : services_) {
    if (track.not_before) consider(*track.not_before);
  }
  if (next_resync_) consider(*next_resync_);
  return next;
}

}  // namespace madre
