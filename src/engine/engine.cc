#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "base/exceptions.h"
#include "core/cpu_limits.h"
#include "engine/action_runner.h"
#include "engine/audit_records.h"
#include "engine/engine_metrics.h"

namespace madre {

Engine::Engine(EngineDeps deps, PlannerConfig config, ServiceModel model, EngineOptions options)
    : deps_(std::move(deps)),
      planner_(WithWindowIds(std::move(config), deps_.new_window_id), std::move(model)),
      options_(options),
      action_context_{
          deps_.compose,     deps_.observer,  deps_.probe,
          deps_.clock,       deps_.sleep,     planner_.model(),
          options.readiness, options.control, options.pause_on_stop && options.control != nullptr,
          deps_.stop},
      crash_loops_(options.crashloop_deaths, options.crashloop_window),
      client_ops_(
          planner_, deps_.clock, options.metrics,
          [this](AuditRecord record) { return AppendAudit(std::move(record)); },
          [this](const std::string& id) { return Unrecorded(id); }) {
  action_context_.exec = options.exec;
  action_context_.images = options.images;
  action_context_.passed_checks = &passed_checks_;
  action_context_.cpu = options.cpu;
  action_context_.cpu_idle_on_stop =
      options.cpu_idle_on_stop && options.control != nullptr && options.cpu != nullptr;
}

Engine::~Engine() { *alive_ = false; }

PlannerConfig Engine::WithWindowIds(PlannerConfig config, std::function<std::string()> ids) {
  if (!config.new_window_id) config.new_window_id = std::move(ids);  // adopted windows
  return config;
}

std::string Engine::NewWindowId() {
  for (int i = 0; i < 100; ++i) {
    std::string id = deps_.new_window_id();
    if (!planner_.FindWindow(id)) return id;
  }
  MADRE_CHECK_MSG(false, "could not generate a fresh window id");
}

Status Engine::AppendAudit(AuditRecord record) {
  record.time = deps_.clock.Now();
  Result<AuditRecord> written = deps_.audit.Append(std::move(record));
  if (!written.ok()) {
    spdlog::error("audit append failed: {}", written.status().ToString());
    return Status::Internal("could not write the audit record: " + written.status().message());
  }
  return Status::Ok();
}

void Engine::AuditRejected(const std::string& action, const std::string& actor, const Status& why) {
  Status ignored = AppendAudit(audit_records::Rejected(action, actor, why));
  (void)ignored;  // the request is refused either way
}

Status Engine::Start() {
  Result<std::vector<Window>> open = deps_.store.LoadOpen();
  if (!open.ok()) return Status::Internal("cannot load windows: " + open.status().message());
  // The originals of containers whose CPU limit madre changed: settled after the first
  // observation (restored where no live window limits them any more).
  if (options_.cpu) RETURN_IF_ERROR(options_.cpu->Load());
  const TimePoint now = deps_.clock.Now();
  std::vector<std::string> ids;
  for (const auto& window : *open) ids.push_back(window.id);
  for (const auto& window : *open) {
    if (window.state != WindowState::kOpening) continue;
    auto op = std::make_unique<WindowOp>();  // finishes opening after the restart
    op->window_id = window.id;
    op->actor = "reconcile";
    client_ops_.AddOpen(std::move(op));
  }
  planner_.Restore(std::move(*open), now);
  RETURN_IF_ERROR(AppendAudit(audit_records::MadreStarted(ids)));
  planner_.RequestObserve(ActorKind::kReconcile);
  AfterChange();
  return Status::Ok();
}

void Engine::Open(OpenRequest request, bool wait, Duration wait_timeout, Reply<OpenOutcome> reply) {
  const TimePoint now = deps_.clock.Now();
  const std::string id = NewWindowId();
  Result<Window> preview = planner_.PreviewOpen(request, id, now);
  if (!preview.ok()) {
    AuditRejected("window.open", request.actor, preview.status());
    reply(preview.status());
    return;
  }
  // Durable before anything happens: the window, then the request's audit record.
  if (Status saved = deps_.store.Save(*preview); !saved.ok()) {
    AuditRejected("window.open", request.actor, saved);
    reply(Status::Internal("cannot record the window: " + saved.message()));
    return;
  }
  if (Status audited = AppendAudit(audit_records::OpenAccepted(*preview, request.actor));
      !audited.ok()) {
    Window undone = *preview;
    undone.state = WindowState::kFailed;
    undone.close_reason = CloseReason::kExecFailed;
    undone.closed_at = now;
    undone.error = audited.message();
    Status ignored = deps_.store.Save(undone);
    (void)ignored;
    reply(audited);
    return;
  }
  Result<Window> opened = planner_.Open(request, id, now);
  MADRE_CHECK_MSG(opened.ok(),
                  "Open failed after PreviewOpen succeeded: " + opened.status().ToString());
  auto op = std::make_unique<WindowOp>();
  op->window_id = id;
  op->actor = request.actor;
  if (wait) {  // answered by ClientOps when the window leaves `opening` (or the wait ends)
    op->open_reply = std::move(reply);
    op->wait_deadline = now + wait_timeout;
    client_ops_.AddOpen(std::move(op));
    AfterChange();
    return;
  }
  client_ops_.AddOpen(std::move(op));
  AfterChange();  // persist first
  if (Status unrecorded = Unrecorded(id); !unrecorded.ok()) return reply(unrecorded);
  // `opened` is the window as the planner settled it: usually `opening`, `open` when
  // everything already ran. The outcome is audited when it is known.
  reply(OpenOutcome{*opened, false});
}

void Engine::Close(std::optional<std::string> window_id, std::string actor, Reply<Window> reply) {
  std::string id;
  if (window_id) {
    id = *window_id;
    const Window* window = planner_.FindWindow(id);
    if (!window || !window->Live()) {
      Status why = window ? Status::FailedPrecondition("window " + id + " is already " +
                                                       WindowStateName(window->state))
                          : NotLive(id, Status::NotFound("No active window " + id));
      AuditRejected("window.close", actor, why);
      reply(why);
      return;
    }
  } else {
    Result<std::string> sole = planner_.SoleLiveWindow();
    if (!sole.ok()) {
      AuditRejected("window.close", actor, sole.status());
      reply(sole.status());
      return;
    }
    id = *sole;
  }
  if (Status audited = AppendAudit(audit_records::CloseAccepted(id, actor)); !audited.ok()) {
    reply(audited);
    return;
  }
  Status closed =
      planner_.Close(id, CloseReason::kManualClose, deps_.clock.Now(), Actor::Client(actor));
  MADRE_CHECK_MSG(closed.ok(), closed.ToString());
  auto op = std::make_unique<WindowOp>();
  op->window_id = id;
  op->actor = actor;
  op->close_reply = std::move(reply);
  client_ops_.AddClose(std::move(op));
  AfterChange();
}

Status Engine::NotLive(const std::string& id, Status fallback) {
  if (fallback.code() != StatusCode::kNotFound) return fallback;
  // A window that is no longer in the planner ended: that is a conflict, not "unknown".
  if (auto stored = deps_.store.Get(id); stored.ok() && stored->has_value()) {
    return Status::FailedPrecondition("window " + id + " is already " +
                                      WindowStateName((*stored)->state));
  }
  return fallback;
}

void Engine::Hold(std::string window_id, bool hold, std::string actor, Reply<Window> reply) {
  Result<Window> window = planner_.SetHold(window_id, hold, deps_.clock.Now());
  if (!window.ok()) window = NotLive(window_id, window.status());
  if (window.ok()) AfterChange();  // persist before it is audited as done
  const Status unrecorded = window.ok() ? Unrecorded(window_id) : Status::Ok();
  Status audited =
      AppendAudit(audit_records::HoldChanged(window_id, hold, actor, window.status(), unrecorded));
  if (!window.ok()) return reply(window.status());
  if (!unrecorded.ok()) return reply(unrecorded);
  if (!audited.ok()) return reply(audited);
  const Window* current = planner_.FindWindow(window_id);
  reply(current ? *current : *window);
}

void Engine::Extend(std::string window_id, std::int64_t ttl_sec, std::string actor,
                    Reply<Window> reply) {
  Result<Window> window = planner_.Extend(window_id, ttl_sec, deps_.clock.Now());
  if (!window.ok()) window = NotLive(window_id, window.status());
  if (window.ok()) AfterChange();  // persist before it is audited as done
  const Status unrecorded = window.ok() ? Unrecorded(window_id) : Status::Ok();
  Status audited =
      AppendAudit(audit_records::Extended(window_id, ttl_sec, actor, window.status(), unrecorded));
  if (!window.ok()) return reply(window.status());
  if (!unrecorded.ok()) return reply(unrecorded);
  if (!audited.ok()) return reply(audited);
  reply(*window);
}

void Engine::ServiceStart(std::string service, std::string actor, Duration wait,
                          Reply<ServiceOpOutcome> reply) {
  auto answer = [service, reply = std::move(reply)](Result<OpenOutcome> outcome) {
    if (!outcome.ok()) return reply(outcome.status());
    ServiceOpOutcome out;
    out.service = service;
    out.action = "start";
    const Window& window = outcome->window;
    auto it = window.services_status.find(service);
    // Ok once it runs, and while it is still starting after `wait` (the original answered
    // right after `up -d`); a failure is an error.
    const bool failed =
        window.state == WindowState::kFailed ||
        (it != window.services_status.end() && (it->second.state == ServiceState::kFailed ||
                                                it->second.state == ServiceState::kCrashloop));
    out.ok = !failed && window.Live();
    if (it != window.services_status.end()) out.error = it->second.error;
    if (!out.ok && out.error.empty()) out.error = window.error;
    out.window = window;
    reply(std::move(out));
  };
  // One hold per service: a second start of a held service answers that hold.
  for (const auto& [id, window] : planner_.windows()) {
    if (window.Live() && window.kind == WindowKind::kServiceHold && window.services.size() == 1 &&
        window.services.front() == service) {
      Status audited =
          AppendAudit(audit_records::ServiceRequested(service, "start", actor, Status::Ok()));
      if (!audited.ok()) return answer(audited);
      return answer(OpenOutcome{window, window.state != WindowState::kOpening});
    }
  }
  OpenRequest request;
  request.services = {service};
  request.kind = WindowKind::kServiceHold;
  request.ttl_sec = options_.service_hold_ttl_sec;
  request.hold = !options_.service_hold_ttl_sec;
  request.reason = "service_start";
  request.actor = actor;
  Open(std::move(request), true, wait, std::move(answer));
}

void Engine::ServiceStop(std::string service, std::string actor, Reply<ServiceOpOutcome> reply) {
  std::set<std::string> live_before;
  for (const auto& [id, window] : planner_.windows()) {
    if (window.Live()) live_before.insert(id);
  }
  Status status = planner_.StopService(service, deps_.clock.Now());
  Status audited = AppendAudit(audit_records::ServiceRequested(service, "stop", actor, status));
  if (!status.ok()) return reply(status);
  auto op = std::make_unique<ServiceOp>();
  op->service = service;
  op->action = "stop";
  op->actor = actor;
  for (const auto& id : live_before) {
    const Window* window = planner_.FindWindow(id);
    if (window && !window->Live()) op->windows_closed.push_back(id);
  }
  op->reply = std::move(reply);
  if (!audited.ok()) {
    op->reply(audited);
    op->reply = nullptr;
  }
  client_ops_.AddService(std::move(op));
  AfterChange();
}

void Engine::ServiceRestart(std::string service, std::string actor, Reply<ServiceOpOutcome> reply) {
  Result<std::int64_t> action = planner_.RestartService(service, deps_.clock.Now());
  Status audited =
      AppendAudit(audit_records::ServiceRequested(service, "restart", actor, action.status()));
  if (!action.ok()) return reply(action.status());
  auto op = std::make_unique<ServiceOp>();
  op->service = service;
  op->action = "restart";
  op->actor = actor;
  op->action_id = *action;
  op->reply = std::move(reply);
  if (!audited.ok()) {
    op->reply(audited);
    op->reply = nullptr;
  }
  client_ops_.AddService(std::move(op));
  AfterChange();
}

Status Engine::RetryService(const std::string& service, const std::string& actor) {
  Status status = planner_.RetryService(service, Actor::Client(actor), deps_.clock.Now());
  Status audited = AppendAudit(audit_records::ServiceRequested(service, "retry", actor, status));
  AfterChange();
  return status.ok() ? audited : status;
}

void Engine::EndRemediation(const std::string& service) {
  planner_.EndRemediation(service, deps_.clock.Now());
  AfterChange();
}

Status Engine::SetQuarantined(const std::string& service, bool quarantined) {
  Status status = planner_.SetQuarantined(service, quarantined, deps_.clock.Now());
  AfterChange();
  return status;
}

void Engine::ApplySoloMadre(std::string actor, Reply<SoloMadreOutcome> reply) {
  if (Status audited = AppendAudit(audit_records::SoloMadreAccepted(actor)); !audited.ok()) {
    return reply(audited);
  }
  auto op = std::make_unique<SoloOp>();
  op->actor = actor;
  for (const auto& [id, window] : planner_.windows()) {
    if (window.Live()) op->windows.push_back(id);
  }
  op->observe_id = planner_.ApplySoloMadre(deps_.clock.Now());
  op->reply = std::move(reply);
  client_ops_.AddSolo(std::move(op));
  AfterChange();
}

void Engine::OnDockerEvent(const DockerEvent& event) {
  if (event.service.empty()) return;
  if (on_event_) on_event_(event);
  const auto& tracks = planner_.services();
  auto track = tracks.find(event.service);
  if (track != tracks.end() && track->second.in_flight) {
    // madre's own start or stop of the service made this event, most likely: its result brings
    // a listing taken after it, and a listing now would compete with the action in dockerd.
    // The observation waits for that result, at most kEventObserveDeferral.
    if (!deferred_observe_at_) deferred_observe_at_ = deps_.clock.Now() + kEventObserveDeferral;
  } else {
    planner_.RequestObserve(ActorKind::kEvents);
  }
  if (event.action == "die") {
    // A death that madre caused (stop in flight) or that nothing minds is not a crash.
    const bool expected =
        track == tracks.end() || track->second.in_flight || !planner_.IsWanted(event.service);
    if (!expected && crash_loops_.OnDie(event.service, event.exit_code, event.time)) {
      ReportCrashLoop(event.service, event.container_id);
    }
  } else if (event.action == "destroy") {
    crash_loops_.Reset(event.service);
  }
  AfterChange();
}

void Engine::OnEventsConnected(bool connected) {
  events_connected_ = connected;
  if (connected) {
    planner_.RequestObserve(ActorKind::kEvents);  // whatever happened during the gap
  } else {
    spdlog::warn("docker events stream lost; reconnecting");
  }
  AfterChange();  // either way the observation is trusted or not from now (EngineView::Current)
}

void Engine::ReportCrashLoop(const std::string& service, const std::string& container_id) {
  std::string codes;
  for (int code : crash_loops_.RecentExitCodes(service)) {
    if (!codes.empty()) codes += ", ";
    codes += std::to_string(code);
  }
  const std::string detail =
      "crash loop: died " + std::to_string(crash_loops_.RecentExitCodes(service).size()) +
      " times in " + std::to_string(options_.crashloop_window.count() / 1'000'000) +
      " s (exit codes " + codes + ")";
  spdlog::warn("service {}: {}", service, detail);
  if (options_.metrics) options_.metrics->Add(kMetricCrashLoops, {{"service", service}});
  planner_.MarkCrashLoop(service, detail, deps_.clock.Now());
  // The last log lines come from Docker on a worker; the report is completed there.
  std::weak_ptr<bool> alive = alive_;
  Executor& lane = deps_.stop_lane ? *deps_.stop_lane : deps_.workers;
  lane.Submit([this, alive, service, container_id, detail] {
    Result<std::string> logs = deps_.observer.Logs(container_id, options_.readiness.log_lines);
    std::string full = detail;
    if (logs.ok() && !logs->empty()) full += "; last log lines:\n" + *logs;
    deps_.loop.Submit([this, alive, service, full] {
      auto still = alive.lock();
      if (!still || !*still) return;
      planner_.MarkCrashLoop(service, full, deps_.clock.Now());
      std::string window_id;
      for (const auto& [id, window] : planner_.windows()) {
        for (const auto& name : window.effective_services) {
          if (name == service && window_id.empty() && !window.Terminal()) window_id = id;
        }
      }
      Status ignored = AppendAudit(audit_records::CrashLoop(
          service, window_id, options_.crashloop_action == CrashLoopAction::kStop, full));
      (void)ignored;
      if (options_.crashloop_action == CrashLoopAction::kStop) {
        Status stopped = planner_.StopService(service, deps_.clock.Now());
        if (!stopped.ok())
          spdlog::warn("crash loop of {}: not stopped: {}", service, stopped.message());
      }
      AfterChange();
    });
  });
}

void Engine::FlushDeferredObserve() {
  if (!deferred_observe_at_) return;
  deferred_observe_at_.reset();
  planner_.RequestObserve(ActorKind::kEvents);
}

void Engine::Tick() {
  const TimePoint now = deps_.clock.Now();
  if (deferred_observe_at_ && *deferred_observe_at_ <= now) FlushDeferredObserve();
  RetryUnsaved(now);
  planner_.Advance(now);
  client_ops_.ExpireWaits(now);
  AfterChange();
}

std::optional<TimePoint> Engine::NextDeadline() const {
  std::optional<TimePoint> next = planner_.NextDeadline();
  if (save_retry_at_ && (!next || *save_retry_at_ < *next)) next = save_retry_at_;
  if (auto wait = client_ops_.NextWaitDeadline(); wait && (!next || *wait < *next)) next = wait;
  if (deferred_observe_at_ && (!next || *deferred_observe_at_ < *next)) next = deferred_observe_at_;
  if (cpu_retry_at_ && (!next || *cpu_retry_at_ < *next)) next = cpu_retry_at_;
  return next;
}

void Engine::AfterChange() {
  std::vector<Window> changed = planner_.TakeChangedWindows();
  std::vector<std::string> saved;
  for (const Window& window : changed) {
    if (Persist(window)) saved.push_back(window.id);
  }
  for (const auto& id : planner_.TakeAdopted()) {  // audited once recorded (or failing to be)
    if (const Window* window = planner_.FindWindow(id)) {
      spdlog::info("adopted {} (started outside madre) as window {}",
                   fmt::format("{}", fmt::join(window->services, " ")), id);
      Status ignored = AppendAudit(audit_records::WindowAdopted(*window, Unrecorded(id)));
      (void)ignored;  // logged by AppendAudit; nobody waits for this record
    }
  }
  for (const Action& action : planner_.TakeActions()) Dispatch(action);
  ApplyCpuLimits(deps_.clock.Now());
  client_ops_.FinishWindows(changed);  // reads the planner (ClosedBy) before windows leave it
  client_ops_.FinishServices();
  client_ops_.FinishSolo();
  for (const auto& id : saved) planner_.WindowSaved(id);  // a terminal window leaves now
  if (on_window_) {
    for (const Window& window : changed) on_window_(window);
  }
  if (on_change_) on_change_();
}

bool Engine::Persist(const Window& window) {
  if (Status saved = deps_.store.Save(window); !saved.ok()) {
    spdlog::error("cannot persist window {} ({}): {}; retrying", window.id,
                  WindowStateName(window.state), saved.ToString());
    unsaved_[window.id] = saved;
    if (!save_retry_at_) save_retry_at_ = deps_.clock.Now() + save_backoff_;
    return false;
  }
  unsaved_.erase(window.id);
  return true;
}

void Engine::RetryUnsaved(TimePoint now) {
  if (!save_retry_at_ || *save_retry_at_ > now) return;
  save_retry_at_.reset();
  std::vector<std::string> ids;
  for (const auto& [id, why] : unsaved_) ids.push_back(id);
  bool all_saved = true;
  for (const auto& id : ids) {
    const Window* window = planner_.FindWindow(id);
    if (!window) {
      unsaved_.erase(id);
      continue;
    }
    if (Persist(*window)) {
      spdlog::info("window {} recorded after a failed save", id);
      planner_.WindowSaved(id);
    } else {
      all_saved = false;
    }
  }
  if (all_saved) {
    save_backoff_ = Seconds(1);
  } else {
    save_backoff_ = std::min<Duration>(save_backoff_ * 2, Seconds(60));
    save_retry_at_ = now + save_backoff_;
  }
}

Status Engine::Unrecorded(const std::string& id) const {
  auto it = unsaved_.find(id);
  if (it == unsaved_.end()) return Status::Ok();
  return Status::Internal("window " + id +
                          " changed but could not be recorded (retrying): " + it->second.message());
}

void Engine::Dispatch(const Action& action) {
  // A start or stop by madre begins a new life for the service: its deaths count afresh.
  if (action.kind == ActionKind::kStart || action.kind == ActionKind::kStop) {
    for (const auto& name : action.services) crash_loops_.Reset(name);
  }
  spdlog::info("{} {} (actor {}{}{})", ActionKindName(action.kind),
               action.services.empty() ? std::string("project")
                                       : fmt::format("{}", fmt::join(action.services, " ")),
               action.actor.ToString(), action.window_ids.empty() ? "" : ", windows ",
               fmt::format("{}", fmt::join(action.window_ids, " ")));
  // Lanes: a stop or an observation never waits behind a start's readiness wait.
  const bool stop_lane = action.kind == ActionKind::kStop || action.kind == ActionKind::kObserve;
  Executor& lane = stop_lane && deps_.stop_lane ? *deps_.stop_lane : deps_.workers;
  std::vector<TimePoint> ttl_deadlines = TtlDeadlinesStoppedBy(action);
  // solo_madre/apply stops for real, also with VX11_STOP_STRATEGY=pause or cpu_idle (SPEC §5).
  const bool really_stop =
      action.kind == ActionKind::kStop &&
      (action_context_.pause_on_stop || action_context_.cpu_idle_on_stop) &&
      (action.actor.kind == ActorKind::kSoloMadre || client_ops_.solo_pending());
  std::vector<ContainerState> known = KnownToStart(action);
  const bool follow_events = events_connected_;
  std::weak_ptr<bool> alive = alive_;
  lane.Submit(
      [this, action, alive, ttl_deadlines, really_stop, follow_events, known = std::move(known)] {
        // The TTL stop lag ends here, when the stop is issued to Docker (not when the window
        // entered `closing`): it shows the time the stop waited for a worker too.
        if (options_.metrics) {
          for (const TimePoint deadline : ttl_deadlines) {
            const double lag = (deps_.clock.Now() - deadline).count() / 1e6;
            options_.metrics->Observe(kMetricTtlStopLag, {}, lag < 0 ? 0 : lag);
          }
        }
        ActionContext context = action_context_;
        if (really_stop) {
          context.pause_on_stop = false;
          context.cpu_idle_on_stop = false;
        }
        context.known = known;
        if (follow_events) {
          context.event_generation = deps_.event_generation;
          context.wait_event = deps_.wait_event;
        }
        ExecutedAction executed = ExecuteAction(action, context);
        deps_.loop.Submit([this, action, alive, executed = std::move(executed)]() mutable {
          auto still = alive.lock();
          if (!still || !*still) return;
          if (std::optional<std::string> what = ThrownBy([&] {
                OnActionResult(action, std::move(executed.result), std::move(executed.ops));
              })) {
            OnActionResultThrew(action, *what);
          }
        });
      });
}

void Engine::ApplyCpuLimits(TimePoint now, bool after_batch) {
  if (!options_.cpu || !options_.control || !planner_.observed_once()) return;
  if (cpu_in_flight_) return;  // planned again when the batch is done
  if (cpu_retry_at_) {
    if (now < *cpu_retry_at_) return;
    cpu_retry_at_.reset();
  }
  std::vector<CpuChange> batch =
      PlanCpuChanges(WantedCpuLimits(planner_.windows(), planner_.model()), planner_.observed(),
                     options_.cpu->Records());
  if (batch.empty() || (after_batch && batch == cpu_last_batch_)) return;
  cpu_last_batch_ = batch;
  cpu_in_flight_ = true;
  Executor& lane = deps_.stop_lane ? *deps_.stop_lane : deps_.workers;
  std::weak_ptr<bool> alive = alive_;
  CpuQuotas* cpu = options_.cpu;
  lane.Submit([this, alive, cpu, batch] {
    std::vector<std::string> failures;
    for (const CpuChange& change : batch) {
      Status status = cpu->Apply(change);
      if (status.ok()) {
        spdlog::info("service {}: container {} {}", change.service, change.container_id,
                     change.kind == CpuChangeKind::kLimit
                         ? fmt::format("limited to {} CPUs", change.nano_cpus / 1e9)
                     : change.kind == CpuChangeKind::kRestore ? "CPU limit restored"
                                                              : "CPU record forgotten (gone)");
      } else {
        failures.push_back(change.service + ": " + status.message());
      }
    }
    deps_.loop.Submit([this, alive, failures] {
      auto still = alive.lock();
      if (!still || !*still) return;
      cpu_in_flight_ = false;
      if (!failures.empty()) {
        spdlog::warn("CPU limits: {}; trying again in {} s", fmt::join(failures, "; "),
                     std::chrono::duration_cast<std::chrono::seconds>(options_.cpu_retry).count());
        cpu_retry_at_ = deps_.clock.Now() + options_.cpu_retry;
        if (on_change_) on_change_();  // the daemon re-arms its timer
        return;
      }
      ApplyCpuLimits(deps_.clock.Now(), /*after_batch=*/true);
    });
  });
}

std::vector<ContainerState> Engine::KnownToStart(const Action& action) const {
  if (action.kind != ActionKind::kStart || !options_.control || !planner_.observed_once() ||
      !events_connected_) {
    return {};
  }
  std::vector<ContainerState> known;
  for (const auto& name : action.services) {
    const ContainerState* found = nullptr;
    for (const auto& c : planner_.observed()) {
      if (c.service != name) continue;
      if (found || c.id.empty() || c.Running()) return {};  // several, unknown or running: list
      found = &c;
    }
    if (!found) return {};  // compose creates it: list
    known.push_back(*found);
  }
  return known;
}

std::vector<TimePoint> Engine::TtlDeadlinesStoppedBy(const Action& action) {
  std::vector<TimePoint> deadlines;
  if (action.kind != ActionKind::kStop || !options_.metrics) return deadlines;
  std::erase_if(ttl_lag_taken_, [this](const std::string& id) {
    const Window* window = planner_.FindWindow(id);
    return !window || window->state != WindowState::kClosing;
  });
  for (const auto& id : action.window_ids) {
    const Window* window = planner_.FindWindow(id);
    if (window && window->state == WindowState::kClosing &&
        window->close_reason == CloseReason::kTtlExpired && window->deadline &&
        window->error.empty() && ttl_lag_taken_.insert(id).second) {
      deadlines.push_back(*window->deadline);
    }
  }
  return deadlines;
}

void Engine::OnActionResult(const Action& action, ActionResult result, std::vector<DockerOp> ops) {
  if (!result.status.ok()) {
    spdlog::warn("{} {} failed: {}", ActionKindName(action.kind),
                 fmt::format("{}", fmt::join(action.services, " ")), result.status.ToString());
  }
  if (options_.metrics) {
    for (const auto& op : ops) {
      const MetricLabels labels = {{"verb", ActionKindName(action.kind)},
                                   {"result", op.exit_code == 0 ? "ok" : "error"}};
      options_.metrics->Add(kMetricDockerOps, labels);
      options_.metrics->Observe(kMetricDockerOpSeconds, {{"verb", ActionKindName(action.kind)}},
                                op.elapsed_ms / 1e3);
    }
  }
  client_ops_.OnActionResult(action, result, ops);
  // Work that served no window and no client is audited on its own (reconcile).
  const bool mutating = action.kind == ActionKind::kStart || action.kind == ActionKind::kStop;
  const bool reconcile = mutating && action.window_ids.empty() && action.actor.Housekeeping();
  planner_.OnActionDone(result, deps_.clock.Now());
  // Events that came while the action ran may tell of more than the action's own listing saw.
  if (action.kind != ActionKind::kObserve) FlushDeferredObserve();
  if (reconcile) AuditReconcile(action, result, std::move(ops));
  AfterChange();
}

void Engine::OnActionResultThrew(const Action& action, const std::string& what) {
  // The exception barrier of a result: the services must not stay "in flight" for ever (no
  // later action would be planned for them), so an unfinished result is finished as a failure.
  spdlog::error("the result of {} {} could not be handled: {}", ActionKindName(action.kind),
                fmt::format("{}", fmt::join(action.services, " ")), what);
  if (planner_.ActionInFlight(action.id)) {
    planner_.OnActionDone(
        FailedActionResult(action, Status::Internal("its result could not be handled: " + what)),
        deps_.clock.Now());
  }
  if (std::optional<std::string> again = ThrownBy([this] { AfterChange(); })) {
    spdlog::error("after a result that could not be handled: {}", *again);
  }
}

void Engine::AuditReconcile(const Action& action, const ActionResult& result,
                            std::vector<DockerOp> ops) {
  std::map<std::string, const ServiceOutcome*> outcomes;
  for (const auto& outcome : result.services) outcomes[outcome.service] = &outcome;
  // A retried failure is audited the first time and when madre gives up, not at every attempt.
  bool failed = false, first = false, gave_up = false;
  std::string error = result.status.message();
  for (const auto& name : action.services) {
    auto outcome = outcomes.find(name);
    const bool ok = outcome != outcomes.end() ? outcome->second->ok : result.status.ok();
    if (ok) continue;
    failed = true;
    if (error.empty() && outcome != outcomes.end()) error = outcome->second->error;
    auto track = planner_.services().find(name);
    if (track == planner_.services().end()) continue;
    first = first || track->second.failures == 1;
    gave_up = gave_up || track->second.gave_up;
  }
  if (failed && !first && !gave_up) {
    spdlog::warn("{} {} failed again (not audited): {}", ActionKindName(action.kind),
                 fmt::format("{}", fmt::join(action.services, " ")), error);
    return;
  }
  const std::string detail = !gave_up ? error
                                      : "gave up after " +
                                            std::to_string(planner_.config().retry_limit) +
                                            " failed attempts: " + error;
  Status ignored =
      AppendAudit(audit_records::Reconcile(action.kind == ActionKind::kStart, action.services,
                                           !failed   ? AuditOutcome::kOk
                                           : gave_up ? AuditOutcome::kGaveUp
                                                     : AuditOutcome::kFail,
                                           detail, std::move(ops)));
  (void)ignored;  // logged by AppendAudit; nobody waits for this record
}

Result<std::optional<Window>> Engine::FindWindow(const std::string& id) {
  if (const Window* window = planner_.FindWindow(id)) return std::optional<Window>(*window);
  return deps_.store.Get(id);
}

Result<std::vector<Window>> Engine::History(int limit) { return deps_.store.History(limit); }

Result<std::vector<AuditRecord>> Engine::Audit(int limit, std::optional<std::int64_t> after) {
  return deps_.audit.Query(limit, after);
}

// --- Read view (http_api) ---

EngineView Engine::Snapshot() const {
  return EngineView{.windows = planner_.windows(),
                    .observed = planner_.observed(),
                    .observed_once = planner_.observed_once(),
                    .reconciled = planner_.reconciled(),
                    .events_connected = events_connected_,
                    .model = planner_.model(),
                    .config = planner_.config(),
                    .services = planner_.services()};
}

}  // namespace madre
