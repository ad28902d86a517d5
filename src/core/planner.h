// The planner decides which compose services must run, and until when, for
// the open windows. It is pure and single-threaded: every input, the time
// included, is an argument; every decision is an Action that the caller runs
// and reports back through OnActionDone.
//
// Desired vs actual (ARCHITECTURE P2): a service is *wanted* while it is
// always-on or in the effective set of a live (opening/open) window; its
// *phase* is what Docker is doing. Converge() closes the gap, never with two
// actions in flight for one service, and never before Docker has been
// observed once (so a restart does not act on guesses).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/actor.h"
#include "core/model.h"
#include "core/window.h"

namespace madre {

// What madre does with a service started outside madre (VX11_EXTERNAL_START): a container of a
// service that nothing wants (no live window, not always-on) seen to start, or found running at
// madre's start, that madre did not start itself and that no closing window is stopping.
enum class ExternalStart {
  kStop,    // stop it (nothing wants it)
  kAdopt,   // give it a window of its own (WindowKind::kAdopted) with external_start_ttl_sec
  kIgnore,  // leave it running until it stops or a window takes it
};
const char* ExternalStartName(ExternalStart mode);
std::optional<ExternalStart> ParseExternalStart(const std::string& text);

struct PlannerConfig {
  std::set<std::string> always_on;  // may hold names that are not compose services ("madre")
  std::set<std::string> allowlist;  // services a window may name
  int max_concurrent = 1;           // live windows at once
  std::int64_t max_ttl_sec = 7 * 24 * 3600;
  Duration resync_interval = Seconds(30);  // periodic observe; zero = never
  // A failed start or stop of a service is tried again after `retry_backoff`, doubling with
  // each failure in a row up to `retry_backoff_max`; after `retry_limit` failures in a row madre
  // gives up on the service (ServiceTrack::gave_up) until a command or an observation clears it.
  Duration retry_backoff = Seconds(5);
  Duration retry_backoff_max = Seconds(300);
  int retry_limit = 8;
  ExternalStart external_start = ExternalStart::kStop;
  std::int64_t external_start_ttl_sec = 300;  // an adopted service's TTL; 0: held until closed
  // Ids for the windows the planner creates itself (adopted services); empty: "adopted-<n>".
  std::function<std::string()> new_window_id;
  // Autofix may remediate by itself (VX11_AUTOFIX_AUTO_ACTIONS not empty): a start that fails
  // for a live window, or a crash loop in one, marks the service `remediating` instead of
  // failing its window at once; autofix then retries it (RetryService) or ends the remediation
  // (EndRemediation), after which the window fails as without autofix.
  bool autofix_holds = false;
  // Whether a window's cpu_limit can be applied (the Engine API's container control: the compose
  // provider with a unix:// DOCKER_HOST); when not, an open that asks for one is refused (400)
  // rather than accepted without effect.
  bool cpu_limits = true;
  // madre's own service when it runs as one (core/self_container.h; "" otherwise): also in
  // `always_on`; a restart of it is refused (a stop already is, as always-on).
  std::string self_service;
};

struct OpenRequest {
  std::vector<std::string> services;
  std::optional<std::int64_t> ttl_sec;  // nullopt or 0: hold
  bool hold = false;
  std::string reason = "manual";
  std::string actor;
  bool skip_health = false;
  std::optional<double> cpu_limit;        // CPUs per container (core/cpu_limits.h)
  WindowKind kind = WindowKind::kClient;  // only client windows count against max_concurrent
};

enum class ActionKind { kStart, kStop, kRestart, kObserve };
const char* ActionKindName(ActionKind kind);

struct Action {
  std::int64_t id = 0;
  ActionKind kind = ActionKind::kObserve;
  std::vector<std::string> services;    // start order for kStart, reverse for kStop
  std::vector<std::string> window_ids;  // windows this action serves (sorted)
  Actor actor;                          // who caused it: a client, ttl, reconcile, madre, ...
  bool skip_health = false;             // kStart: every window it serves asked to skip readiness
  friend bool operator==(const Action&, const Action&) = default;
};

struct ServiceOutcome {
  std::string service;
  bool ok = false;
  std::string error;
};

struct ActionResult {
  std::int64_t action_id = 0;
  Status status;                         // of the whole action
  std::vector<ServiceOutcome> services;  // kStart/kStop/kRestart: one per service
  std::vector<ContainerState> observed;  // kObserve (and any action that observed afterwards)
  bool has_observation = false;
};

enum class ServicePhase { kUnknown, kStopped, kStarting, kRunning, kStopping, kFailed };
const char* ServicePhaseName(ServicePhase phase);

// What the planner knows of one compose service.
struct ServiceTrack {
  ServicePhase phase = ServicePhase::kUnknown;
  bool in_flight = false;
  std::optional<TimePoint> not_before;  // back-off after a failed action
  std::string error;                    // last failure
  std::optional<ContainerState> observed;
  bool crashloop = false;  // dying repeatedly; cleared by the next start or stop
  // Order of observations: the value of the action counter when the last action result for
  // this service was applied. A listing taken by an action with a lower id (emitted, so
  // dispatched, before that result) may predate the result and is ignored for this service.
  std::int64_t result_mark = 0;
  int failures = 0;  // failed actions in a row; a success resets it
  // Started outside madre and left running (ExternalStart::kIgnore): not stopped although
  // nothing wants it, until it is seen stopped, a window takes it or solo_madre/apply runs.
  bool external = false;
  // `failures` reached PlannerConfig::retry_limit: phase `failed`, no automatic action any
  // more. Cleared by a success, by an observation showing what is wanted (stopped by hand),
  // by a command that names the service (open, service stop) and by ApplySoloMadre.
  bool gave_up = false;
  // Autofix is remediating it (PlannerConfig::autofix_holds): a window opening with it waits,
  // it shows `remediating`. Cleared by RetryService's success, EndRemediation, or when nothing
  // wants it any more.
  bool remediating = false;
  // Autofix gave up on it (or an operator quarantined it): madre never starts it, stops it if
  // it runs, and refuses windows that need it (kQuarantined) until `madre autofix reset`.
  bool quarantined = false;
};

// The state a service shows in an open window's services_status: kCrashloop, else its phase
// (kUnknown, kStopped, kStarting, kRunning, kStopping, kFailed); a service madre gave up on is
// kFailed (ServiceTrack::gave_up says why it is not retried; `error` has the last failure).
ServiceState ServiceStateOf(const ServiceTrack& track);

class Planner {
 public:
  Planner(PlannerConfig config, ServiceModel model);

  // --- Client commands. Each is checked before anything changes. ---
  // The window that Open would create, without changing anything (so that
  // the caller can persist it first). Same errors as Open.
  Result<Window> PreviewOpen(const OpenRequest& request, const std::string& id,
                             TimePoint now) const;
  // Creates a window in `opening` (or `open` at once when everything runs).
  Result<Window> Open(const OpenRequest& request, const std::string& id, TimePoint now);
  // Moves a live window to `closing`; it becomes `closed` when its stops are done. `by` is
  // who closed it (ClosedBy); by default the client that opened it, or ttl for kTtlExpired.
  Status Close(const std::string& id, CloseReason reason, TimePoint now,
               std::optional<Actor> by = std::nullopt);
  // Who moved window `id` to closing (the audit actor of its `window.closed`). For a window
  // restored in `closing` (the closer is not stored): ttl, solo_madre or service by its close
  // reason, else madre.
  Actor ClosedBy(const std::string& id) const;
  // The one live client window, for a close without an id: kNotFound when none,
  // kFailedPrecondition when several. Service holds and adopted windows are never chosen.
  Result<std::string> SoleLiveWindow() const;
  Result<Window> SetHold(const std::string& id, bool hold, TimePoint now);
  Result<Window> Extend(const std::string& id, std::int64_t ttl_sec, TimePoint now);
  // Stops one service by hand: removes it from every live window (a window
  // left without requested services closes with `service_stopped`).
  Status StopService(const std::string& service, TimePoint now);
  Result<std::int64_t> RestartService(const std::string& service, TimePoint now);
  // Closes every live window and observes Docker; Converge then stops every
  // project service that nothing wants, including ones started by hand.
  // Returns the id of the observe action.
  std::int64_t ApplySoloMadre(TimePoint now);
  // A service dies repeatedly: windows show it as `crashloop` with `detail`.
  void MarkCrashLoop(const std::string& service, const std::string& detail, TimePoint now);

  // --- Autofix (docs/autofix.md). ---
  // Another try for a failed or crash-looping service that a live window wants (a `restart`
  // remediation): its failures, back-off and crash loop are forgotten and it is started again
  // by `actor`. kNotFound for a name the model lacks; kQuarantined; kFailedPrecondition when
  // no live window wants it, an action is in flight on it, or it runs fine.
  Status RetryService(const std::string& service, const Actor& actor, TimePoint now);
  // Autofix stopped remediating `service` (what it proposes waits for a human, or it gave up):
  // it shows as it is again, and a window opening with it fails as without autofix.
  void EndRemediation(const std::string& service, TimePoint now);
  // Quarantines a service (never started, stopped if it runs, windows needing it refused) or
  // lifts the quarantine. Always-on services are never quarantined: kFailedPrecondition.
  Status SetQuarantined(const std::string& service, bool quarantined, TimePoint now);
  // Queues an observe action (startup, resync). Returns its id, or the id of
  // one already queued or in flight.
  std::int64_t RequestObserve(Actor actor);

  // --- Facts from the world. ---
  void OnActionDone(const ActionResult& result, TimePoint now);
  // Fires due deadlines: TTL expiry, back-off ends, resync.
  void Advance(TimePoint now);
  // After a restart: windows loaded from the store. Windows whose deadline
  // passed while madre was down close with `ttl_expired`.
  void Restore(std::vector<Window> windows, TimePoint now);

  // --- Output, drained by the caller in a stable order. ---
  std::vector<Action> TakeActions();
  // Windows the planner created for services started outside madre (ExternalStart::kAdopt)
  // since the last call, by id (to audit once they are persisted).
  std::vector<std::string> TakeAdopted();
  // Windows changed since the last call (to persist before acknowledging). A terminal window
  // stays in the planner until the caller reports it saved (WindowSaved).
  std::vector<Window> TakeChangedWindows();
  // The caller recorded window `id` as it is now: a terminal window leaves the planner. A
  // terminal window whose save failed stays (and is shown) until a later save succeeds.
  void WindowSaved(const std::string& id);
  std::optional<TimePoint> NextDeadline() const;

  // --- Queries. ---
  // Live and closing windows, and terminal ones not saved yet (see WindowSaved).
  const std::map<std::string, Window>& windows() const { return windows_; }
  const Window* FindWindow(const std::string& id) const;
  const std::map<std::string, ServiceTrack>& services() const { return services_; }
  const ServiceModel& model() const { return model_; }
  const PlannerConfig& config() const { return config_; }
  bool IsWanted(const std::string& service) const;
  bool AtRest(const std::string& service) const;  // known, and no action in flight
  bool observed_once() const { return observed_once_; }
  // The start-up reconcile is done: Docker was observed once and every start or stop that the
  // convergence after that first observation emitted (the always-on starts, the stops of
  // services nothing wants, the starts of windows restored in `opening`, the stops of windows
  // restored in `closing`) has had its result. A failed one counts as done: its retries after
  // the back-off are later actions, so a service that keeps failing does not hold it back.
  bool reconciled() const { return observed_once_ && boot_actions_.empty(); }
  // Every container of the project as last observed (after each action, event and resync):
  // the event-driven cache behind /status and the SOLO_MADRE status.
  const std::vector<ContainerState>& observed() const { return observed_; }
  bool ActionInFlight(std::int64_t action_id) const { return in_flight_.count(action_id) > 0; }
  std::vector<std::string> ExpandServices(const std::vector<std::string>& services) const;

 private:
  Status CheckOpen(const OpenRequest& request) const;
  // `stop_paused`: paused containers of services nothing wants are stopped too (at rest is
  // stopped, not paused), as solo_madre/apply wants.
  void Converge(const Actor& actor, TimePoint now, bool stop_paused);
  // Converge, then update windows, until no window changes state.
  void Settle(const Actor& actor, TimePoint now, bool stop_paused = false);
  // Returns true when a window failed or closed (its services were released).
  bool UpdateWindows(TimePoint now);
  // One window's services_status from the service tracks; `opening` → `open`/`failed` when no
  // service is pending, `closing` → `closed` when its stops are done. True when services were
  // released (the window failed or closed).
  bool UpdateOpening(Window& window, TimePoint now);
  bool UpdateClosing(Window& window, TimePoint now);
  void UpdateOpen(Window& window);
  void MarkChanged(const std::string& id) { changed_.insert(id); }
  std::vector<std::string> WindowsWanting(const std::vector<std::string>& services) const;
  std::int64_t Emit(ActionKind kind, std::vector<std::string> services,
                    std::vector<std::string> window_ids, Actor actor);
  // `listing_action`: the action that took the listing (its id orders it); `own`: that action's
  // services, whose results it carries and for which the listing is always current.
  void ApplyObservation(const std::vector<ContainerState>& observed, std::int64_t listing_action,
                        const std::vector<std::string>& own, TimePoint now);
  // Services that the observation showed starting while nothing wants them and madre did not
  // start them: adopted, ignored or left to Converge to stop (PlannerConfig::external_start).
  void OnExternalStarts(const std::vector<std::string>& services, TimePoint now);
  void Adopt(const std::string& service, TimePoint now);
  std::string NewWindowId();
  // Books a failed action on `track`: back-off, or give up after retry_limit failures.
  void RecordFailure(ServiceTrack& track, TimePoint now);
  // A failure of `service` that autofix may remediate (PlannerConfig::autofix_holds, a live
  // window wants it, not quarantined): the service is marked remediating.
  void HoldForAutofix(const std::string& service, ServiceTrack& track);

  PlannerConfig config_;
  ServiceModel model_;
  std::map<std::string, Window> windows_;
  std::map<std::string, ServiceTrack> services_;
  std::map<std::int64_t, Action> in_flight_;
  std::vector<Action> pending_;
  std::set<std::string> changed_;
  std::int64_t next_action_id_ = 1;
  std::optional<std::int64_t> queued_observe_;
  // The observation solo_madre/apply asked for: when it returns, paused containers are stopped
  // once more (Settle's stop_paused), as Docker shows them then.
  std::optional<std::int64_t> stop_paused_after_;
  bool observed_once_ = false;
  // The starts and stops of the start-up reconcile without a result yet (see reconciled()).
  std::set<std::int64_t> boot_actions_;
  std::vector<ContainerState> observed_;
  std::int64_t observed_mark_ = 0;  // how new observed_ is (see ApplyObservation)
  // Services found running that must still prove ready before a window counts them (a window
  // restored in `opening`, or a container whose health is still starting): Converge gives them
  // a start action, which is a no-op on Docker followed by the readiness wait.
  std::set<std::string> verify_ready_;
  std::optional<TimePoint> next_resync_;
  std::map<std::string, Actor> closed_by_;  // window id -> who closed it (see ClosedBy)
  std::vector<std::string> adopted_;        // see TakeAdopted
  std::int64_t next_adopted_ = 1;           // "adopted-<n>" ids without new_window_id
};

}  // namespace madre
