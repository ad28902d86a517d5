// The imperative shell around the Planner: it owns the planner, persists and
// audits every change, runs the planner's actions on worker threads and
// answers clients when their operation is complete.
//
// Threading: every public method runs on the engine thread (the thread that
// `loop` executes jobs on). Slow docker work runs on `workers`; its results
// come back through `loop`. Nothing here blocks on Docker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "core/crash_loop.h"
#include "core/planner.h"
#include "engine/action_runner.h"
#include "engine/client_ops.h"
#include "ports/audit_log.h"
#include "ports/compose_runner.h"
#include "ports/container_observer.h"
#include "ports/docker_event_source.h"
#include "ports/executor.h"
#include "ports/readiness_probe.h"
#include "ports/window_store.h"

namespace madre {

struct EngineDeps {
  Clock& clock;
  ComposeRunner& compose;
  ContainerObserver& observer;
  WindowStore& store;
  AuditLog& audit;
  Executor& workers;  // slow docker work: starts and restarts, with their readiness waits
  Executor& loop;     // runs jobs on the engine thread
  std::function<std::string()> new_window_id;
  ReadinessProbe& probe;
  std::function<void(Duration)> sleep;  // used by workers between readiness looks
  // Requested at shutdown: running readiness waits give up (ActionContext::stop), so that the
  // daemon can join the workers before it destroys the engine. Default: never.
  std::stop_token stop = {};
  // The stop lane: stops, observations and crash-loop log reads, so that a TTL stop never
  // queues behind readiness waits. Null: they share `workers` (tests that do not care).
  Executor* stop_lane = nullptr;
  // Docker's container events as the workers' readiness waits see them (ActionContext's
  // event_generation and wait_event; the daemon's EventWakeup, which it notifies per event).
  // Given to an action only while the events stream is connected. Empty: waits poll.
  std::function<std::uint64_t()> event_generation = {};
  std::function<void(std::uint64_t seen, Duration max)> wait_event = {};
};

enum class CrashLoopAction { kReport, kStop };

// How long an event of a service with a start or stop in flight may put off the observation it
// asks for (Engine::OnDockerEvent).
inline constexpr Duration kEventObserveDeferral = Seconds(1);

struct EngineOptions {
  ReadinessOptions readiness;
  int crashloop_deaths = 3;                 // deaths ...
  Duration crashloop_window = Seconds(60);  // ... within this time make a crash loop
  CrashLoopAction crashloop_action = CrashLoopAction::kReport;
  Metrics* metrics = nullptr;           // borrowed; families from DeclareMadreMetrics; null: none
  ContainerControl* control = nullptr;  // borrowed; the Engine API fast path; null: compose only
  ContainerExec* exec = nullptr;        // borrowed; madre's own runs of healthchecks; null: none
  // Borrowed; the current image id of a service with `build:`, so that a stopped container of
  // a rebuilt image is recreated (action_runner's Outdated); null: not checked.
  ImageInspector* images = nullptr;
  bool pause_on_stop = false;  // VX11_STOP_STRATEGY=pause (needs `control`)
  // Borrowed; the CPU limits of windows and labels, and cpu_idle's quota (engine/cpu_quotas.h):
  // applied after every change, restored when nothing limits a container any more. Null: none
  // (a window's cpu_limit is kept and shown, not applied).
  CpuQuotas* cpu = nullptr;
  bool cpu_idle_on_stop = false;  // VX11_STOP_STRATEGY=cpu_idle (needs `control` and `cpu`)
  // After a CPU change failed, the next plan waits this long (unless something changes first).
  Duration cpu_retry = Seconds(5);
  // A service hold's TTL (VX11_SERVICE_HOLD_TTL_SEC); nullopt: held until stopped or closed.
  std::optional<std::int64_t> service_hold_ttl_sec;
};

// What the HTTP layer reads (engine thread): the planner's state as it is now. The references
// stay valid until the next job on the engine thread runs; copy what must outlive it.
struct EngineView {
  const std::map<std::string, Window>& windows;  // live and closing
  const std::vector<ContainerState>& observed;   // the last observation (empty before one)
  bool observed_once = false;
  // The start-up reconcile is done (Planner::reconciled): Docker was observed once and every
  // start or stop the first convergence emitted has had its result. GET /health's `ready`.
  bool reconciled = false;
  bool events_connected = true;  // false: the observation may be stale
  const ServiceModel& model;
  const PlannerConfig& config;
  // What madre did per service; `gave_up` marks a service whose start or stop failed
  // PlannerConfig::retry_limit times in a row (`error` says why).
  const std::map<std::string, ServiceTrack>& services;
  // The observation when it can be trusted (observed once and events connected), else null:
  // then ask Docker.
  const std::vector<ContainerState>* Current() const {
    return observed_once && events_connected ? &observed : nullptr;
  }
};

class Engine {
 public:
  Engine(EngineDeps deps, PlannerConfig config, ServiceModel model, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Recovery: loads open windows, restores them (closing the ones that
  // expired while madre was down), audits it, and observes Docker so that
  // reconcile can converge. kInternal when the store cannot be read.
  Status Start();

  // Client commands. `actor` is the client address. Each reply is called once,
  // on the engine thread, after the state and the audit record are durable.
  // `wait`: answer when every service is running or failed (else at once,
  // in `opening`); `wait_timeout` bounds the wait.
  void Open(OpenRequest request, bool wait, Duration wait_timeout, Reply<OpenOutcome> reply);
  void Close(std::optional<std::string> window_id, std::string actor, Reply<Window> reply);
  void Hold(std::string window_id, bool hold, std::string actor, Reply<Window> reply);
  void Extend(std::string window_id, std::int64_t ttl_sec, std::string actor, Reply<Window> reply);
  // A service hold (WindowKind::kServiceHold, no window slot taken): a window of its own for
  // `service`, or the live hold it already has. Answers when the service is ready, failed, or
  // after `wait` (then ok while it is still starting).
  void ServiceStart(std::string service, std::string actor, Duration wait,
                    Reply<ServiceOpOutcome> reply);
  void ServiceStop(std::string service, std::string actor, Reply<ServiceOpOutcome> reply);
  void ServiceRestart(std::string service, std::string actor, Reply<ServiceOpOutcome> reply);
  void ApplySoloMadre(std::string actor, Reply<SoloMadreOutcome> reply);
  // Autofix (docs/autofix.md; core Planner's RetryService, EndRemediation, SetQuarantined):
  // another start of a failed service a live window wants (audited as `service.retry` by
  // `actor`), the end of autofix's hold on a failure, and the quarantine.
  Status RetryService(const std::string& service, const std::string& actor);
  void EndRemediation(const std::string& service);
  Status SetQuarantined(const std::string& service, bool quarantined);
  // Appends a record the HTTP API built about work outside the engine's own operations (an
  // intent, `legacy.forward`): its time is set; kInternal when it could not be written (logged).
  Status RecordAudit(AuditRecord record) { return AppendAudit(std::move(record)); }
  // Records a request refused before reaching the engine (bad input).
  void AuditRejected(const std::string& action, const std::string& actor, const Status& why);

  // A container event of the project (from the events stream, on the engine
  // thread): refreshes the observed state and counts deaths for crash loops.
  void OnDockerEvent(const DockerEvent& event);
  // The events stream (re)connected or was lost; after a gap, observe again.
  void OnEventsConnected(bool connected);
  // False while the events stream is lost: the last observation may be stale then.
  bool events_connected() const { return events_connected_; }

  // Fires whatever is due (TTL expiry, back-off, resync, wait timeouts).
  void Tick();
  std::optional<TimePoint> NextDeadline() const;
  // Called after every change (the daemon re-arms its timer there).
  void SetOnChange(std::function<void()> on_change) { on_change_ = std::move(on_change); }
  // Called (engine thread) with every window that changed, after it was persisted,
  // and with every container event. Feeds GET /madre/power/events.
  void SetOnWindowChanged(std::function<void(const Window&)> fn) { on_window_ = std::move(fn); }
  void SetOnDockerEvent(std::function<void(const DockerEvent&)> fn) { on_event_ = std::move(fn); }

  // Queries (engine thread).
  const Planner& planner() const { return planner_; }
  // The read view of the HTTP layer (defined with the other read methods at the end of engine.cc).
  EngineView Snapshot() const;
  Result<std::optional<Window>> FindWindow(const std::string& id);
  Result<std::vector<Window>> History(int limit);
  Result<std::vector<AuditRecord>> Audit(int limit, std::optional<std::int64_t> after);
  TimePoint Now() const { return deps_.clock.Now(); }

 private:
  static PlannerConfig WithWindowIds(PlannerConfig config, std::function<std::string()> ids);
  void AfterChange();
  // Saves a changed window. On failure the window stays in `unsaved_` (and, terminal, in the
  // planner: the caller calls Planner::WindowSaved only on success) and is saved again with
  // back-off (RetryUnsaved, from Tick). Returns whether it is recorded.
  bool Persist(const Window& window);
  void RetryUnsaved(TimePoint now);
  // kInternal when window `id` changed in memory but its last save failed; else Ok.
  Status Unrecorded(const std::string& id) const;
  void Dispatch(const Action& action);
  // The containers of a start's services as last observed, when that view is trusted and shows
  // each service with one container, created and not running (ActionContext::known); else empty.
  std::vector<ContainerState> KnownToStart(const Action& action) const;
  // The deadlines of the TTL-expired windows whose stop `action` issues first (for the lag).
  std::vector<TimePoint> TtlDeadlinesStoppedBy(const Action& action);
  void OnActionResult(const Action& action, ActionResult result, std::vector<DockerOp> ops);
  // OnActionResult threw: logs, finishes the action as failed if the planner still has it in
  // flight, and lets the engine go on.
  void OnActionResultThrew(const Action& action, const std::string& what);
  // The record of a start or stop that served no window: every success, and of a failure
  // retried with back-off only the first one and the give-up.
  void AuditReconcile(const Action& action, const ActionResult& result, std::vector<DockerOp> ops);
  Status AppendAudit(AuditRecord record);
  std::string NewWindowId();
  // kNotFound for a window that ended becomes kFailedPrecondition ("already closed").
  Status NotLive(const std::string& id, Status fallback);
  void ReportCrashLoop(const std::string& service, const std::string& container_id);
  // Requests the observation that events of services with an action in flight put off.
  void FlushDeferredObserve();
  // Plans the CPU limit changes (core/cpu_limits.h) of the live windows and the last
  // observation, and runs them on the stop lane, one batch at a time; after a batch
  // (`after_batch`), plans again, but does not run a plan equal to that batch (its changes were
  // no-ops: CpuQuotas leaves an idled container alone) until the next change of the engine.
  void ApplyCpuLimits(TimePoint now, bool after_batch = false);

  EngineDeps deps_;
  Planner planner_;
  EngineOptions options_;
  ActionContext action_context_;
  PassedChecks passed_checks_;  // action_context_.passed_checks: shared by the workers
  CrashLoopDetector crash_loops_;
  std::function<void()> on_change_;
  std::function<void(const Window&)> on_window_;
  std::function<void(const DockerEvent&)> on_event_;
  std::set<std::string> ttl_lag_taken_;    // windows whose TTL stop lag was measured (Dispatch)
  ClientOps client_ops_;                   // after planner_ and crash_loops_: it reads the planner
  std::map<std::string, Status> unsaved_;  // window id -> why its last save failed
  Duration save_backoff_ = Seconds(1);     // doubles per failed retry, up to 60 s
  std::optional<TimePoint> save_retry_at_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool events_connected_ = true;  // until the stream says otherwise
  // An observation put off by events of a service whose start or stop is in flight (see
  // OnDockerEvent): requested when a start or stop result arrives, or at this time.
  std::optional<TimePoint> deferred_observe_at_;
  // ApplyCpuLimits: a batch is running; the last batch run; when a failed one is tried again.
  bool cpu_in_flight_ = false;
  std::vector<CpuChange> cpu_last_batch_;
  std::optional<TimePoint> cpu_retry_at_;
};

}  // namespace madre
