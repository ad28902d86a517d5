// Executes approved intents (docs/intents.md): admission, then the executor of the intent's type
// (core/intent_executor.h), each step persisted (compare-and-set) and audited before the next:
//   approved -> admitted -> executing -> succeeded | failed.
// Executors in this build: `window` (open or close a window through the engine, as a client
// would; the actor is "intent:<id>", the task_id the window's id), `spawn` (a window of the
// spawn service), `build` (an image build of a compose service with `build:`, on a lane of
// its own; the task_id "build:<id>" names its row in the build history) and `stabilize_cpu`
// (holds new opens while the host CPU is at or above the threshold: OpenHold; it succeeds at
// the first reading under it, fails after its timeout_sec; looked at on every Pump). Other
// types are rejected at submission (IntentRoutes), so none reaches this.
//
// Admission (core Admit), oldest approval first: an approved intent waits (its `detail` says
// for what, and its position in the queue) while the host CPU is at or above
// VX11_THROTTLE_CPU_PCT and, with per-source admission (VX11_INEE_ENABLED), while its source
// is at its max_concurrent executing intents or its windows' containers use its cpu_share_pct
// of the host (from the stats sampler's last round; none yet: it waits). A stabilize_cpu
// intent is not held back by the load it relieves; opens wait while one holds them. An intent
// held by its source's quota does not hold back other sources' intents. Each admission
// observes its wait (since approved) in madre_intent_admission_wait_seconds.
//
// Recovery: at start, an intent left `admitted` or `executing` by a madre that stopped is
// settled from what the engine holds: a live window whose actor names the intent makes it
// succeeded (with that window); otherwise it failed ("madre restarted while ..."). An
// executing stabilize_cpu intent is resumed (its timeout counted from when it began
// executing): it changed nothing that a restart could have lost.
//
// Threading: engine thread only (Pump, Recover and the engine's replies).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/metrics.h"
#include "core/build.h"
#include "core/intent.h"
#include "core/intent_executor.h"
#include "engine/engine.h"
#include "ports/audit_log.h"
#include "ports/build_store.h"
#include "ports/executor.h"
#include "ports/intent_store.h"

namespace madre {

// The types an IntentRunner executes (the others are rejected when submitted): window, spawn
// and stabilize_cpu, and build when madre has a build executor.
bool IsExecutableIntentType(std::string_view type, bool builds);

// One build of an admitted `build` intent, recorded in the build history (engine/build_runner.h
// RunRecordedBuild): the request checked against the compose model first. Blocking.
using RunBuildFn =
    std::function<Result<BuildRecord>(const BuildIntent& request, const std::string& intent_id)>;

struct IntentRunnerOptions {
  std::string spawn_service = "spawner";  // the window a `spawn` intent opens
  std::int64_t spawn_ttl_sec = 600;       // its TTL unless payload.ttl_sec says otherwise
  double cpu_threshold_pct = 70.0;        // VX11_THROTTLE_CPU_PCT; 0: admitted at once
  Duration open_wait = Seconds(300);      // how long an execution waits for its window to open
  bool per_source = false;                // VX11_INEE_ENABLED: the source quotas apply
  int host_cpus = 1;                      // the host's cores: a source's CPU share is of them
};

struct IntentRunnerDeps {
  IntentStore& store;
  Engine& engine;
  std::function<Status(AuditRecord)> audit;
  std::function<TimePoint()> now;
  // Host CPU busy %, never blocking; nullopt before a first reading. Empty: no reading ever.
  std::function<std::optional<double>()> cpu_busy;
  // Per-source admission: the quota of a source (the policy's [sources.NAME]), and the stats
  // sampler's last round by container id (null before the first; never blocking).
  std::function<SourceQuota(const std::string& source)> quota_of = {};
  std::function<const std::map<std::string, ContainerStats>*()> container_stats = {};
  Metrics* metrics = nullptr;  // madre_intent_admission_wait_seconds; null: not observed
  // The build executor: `run_build` runs on `build_lane` (one build at a time, never on the
  // engine thread) and its result comes back on `loop`. Empty / null: no build executor.
  RunBuildFn run_build = {};
  // The `remediate` executor (autofix, AutofixRoutes::Remediate): applies an approved
  // remediation and calls `done` (on the engine thread) with what was done. Empty: none.
  std::function<void(const Intent& intent, std::function<void(bool ok, std::string detail)> done)>
      remediate = {};
  BuildStore* builds = nullptr;  // where a restart finds what an interrupted build intent did
  Executor* build_lane = nullptr;
  Executor* loop = nullptr;
};

class IntentRunner {
 public:
  IntentRunner(IntentRunnerOptions options, IntentRunnerDeps deps);
  ~IntentRunner();
  IntentRunner(const IntentRunner&) = delete;
  IntentRunner& operator=(const IntentRunner&) = delete;

  // Admits and starts the approved intents admission allows, oldest first, and ends the
  // stabilize_cpu intents whose host reading or timeout came. Call after an approval, when an
  // execution ends, and on a timer (the host CPU changes by itself). True when it wants the
  // timer: approved intents are left waiting, or stabilize_cpu intents execute.
  bool Pump();
  // Why a new window open is refused now: an executing stabilize_cpu intent holds opens while
  // the host CPU is at or above the threshold (core StabilizeRefusal). nullopt: it may go.
  std::optional<std::string> OpenHold() const;
  // Settles the intents a previous run left admitted or executing (once, at start).
  void Recover();

 private:
  // Persists `after` (expected in `from`) and audits it; false (logged) when it lost a race or
  // the store failed.
  bool Step(const Intent& after, IntentState from);
  void Execute(const Intent& intent);
  void Finish(const Intent& intent, bool ok, std::string detail, std::string task_id);
  // Ends the stabilize_cpu intents whose reading or timeout came.
  void CheckStabilizing(std::optional<double> host_cpu);
  double Threshold() const;  // the host threshold admission uses (0: none, no meter)
  // The source of the intent `id` (a window's actor names it), read once and kept.
  std::string SourceOf(const std::string& id);

  IntentRunnerOptions options_;
  IntentRunnerDeps deps_;
  bool pumping_ = false;
  struct Stabilizing {
    Intent intent;  // as executing
    TimePoint deadline;
    std::int64_t timeout_sec = 0;
  };
  std::map<std::string, Stabilizing> stabilizing_;  // executing stabilize_cpu intents, by id
  std::map<std::string, std::string> source_of_;    // intent id -> source (SourceOf)
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // a build's reply checks it
};

}  // namespace madre
