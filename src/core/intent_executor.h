// What madre does with an approved intent: the closed set of executors, the typed payloads they
// take, and admission (whether an approved intent may start executing now). Pure: payloads come
// parsed (api/intent_payload.h), facts (host CPU, what a source runs) are arguments.
//
// Executors: `window` (open or close a window), `spawn` (the operator's spawner view: a window of
// the service its policy names), `build` (the manifestator's: an image build of a compose
// service), `stabilize_cpu` (hormiguero's: refuse new opens until the host is under its CPU
// threshold; it never closes windows), `remediate` (autofix's remediations). Any other type is
// recorded and rejected with the reason NoExecutorReason gives; nothing runs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/diagnosis.h"
#include "core/intent_policy.h"
#include "core/model.h"
#include "core/planner.h"

namespace madre {

enum class IntentExecutor { kWindow, kSpawn, kBuild, kStabilizeCpu, kRemediate, kNone };
IntentExecutor ExecutorFor(std::string_view type);
// Why an intent of `type` (one without an executor) is rejected: "no executor for type X", with
// what the original system meant by it for hormiguero's types (fs_drift, diagnose, propose,
// apply).
std::string NoExecutorReason(std::string_view type);

// `window`: payload {"action": "open"|"close", "services": [...], "ttl_sec": N, "hold": bool,
// "window_id": "..." (close; absent: the client window), "reason": "..."}.
struct WindowIntent {
  enum class Op { kOpen, kClose };
  Op op = Op::kOpen;
  std::vector<std::string> services;
  std::optional<std::int64_t> ttl_sec;
  bool hold = false;
  std::string window_id;
  std::string reason;
  std::optional<double> cpu_limit;  // CPUs per container of the window (core/cpu_limits.h)
};
// kInvalidArgument naming the field: an open without services or with a name that is not a
// service name, a ttl_sec outside 1..max_ttl_sec, hold with a ttl_sec, a cpu_limit outside
// 0.01..1024, a close naming services or a cpu_limit.
Status CheckWindowIntent(const WindowIntent& intent, std::int64_t max_ttl_sec);
// The open an approved `window` intent makes; its actor names the intent.
OpenRequest WindowIntentOpen(const WindowIntent& intent, const std::string& intent_id);

// `spawn`: payload {"ttl_sec": N, "reason": "..."}: a window of `service` (the policy's spawn
// service, `spawner` by default) for ttl_sec (default `default_ttl_sec`).
struct SpawnIntent {
  std::optional<std::int64_t> ttl_sec;
  std::string reason;
};
Status CheckSpawnIntent(const SpawnIntent& intent, std::int64_t max_ttl_sec);
OpenRequest SpawnIntentOpen(const SpawnIntent& intent, const std::string& service,
                            std::int64_t default_ttl_sec, const std::string& intent_id);

// `build`: the manifestator's fields, in the payload or at the top of its body:
// {"target_service", "dockerfile_path", "build_context", "reason"}.
struct BuildIntent {
  std::string target_service;
  std::string dockerfile_path;  // as requested; checked against the compose model's build
  std::string build_context;
  std::string reason;
};
Status CheckBuildIntent(const BuildIntent& intent);

// `stabilize_cpu` (hormiguero's): payload {"timeout_sec": N, "reason": "..."}; the queen's other
// keys are kept. While it executes, new window opens (the API's and window/spawn intents') are
// refused as long as the host CPU is at or above the threshold; it never closes windows. It
// succeeds at the first reading under the threshold, and fails when timeout_sec (default
// kStabilizeDefaultTimeoutSec) passes first.
inline constexpr std::int64_t kStabilizeDefaultTimeoutSec = 600;
inline constexpr std::int64_t kStabilizeMaxTimeoutSec = 24 * 3600;
struct StabilizeCpuIntent {
  std::optional<std::int64_t> timeout_sec;
  std::string reason;
};
// kInvalidArgument: a timeout_sec outside 1..kStabilizeMaxTimeoutSec.
Status CheckStabilizeCpuIntent(const StabilizeCpuIntent& intent);
std::int64_t StabilizeTimeoutSec(const StabilizeCpuIntent& intent);

// One look at the host for an executing stabilize_cpu intent.
struct StabilizeStep {
  enum class Outcome { kHolding, kSucceeded, kFailed };
  Outcome outcome = Outcome::kHolding;
  std::string detail;  // the reading that ended it (succeeded, failed)
};
// Succeeded when the host is under `threshold_pct` (or there is no threshold: 0); failed when
// `now` reached `deadline` first; holding otherwise (no reading yet included).
StabilizeStep CheckStabilize(std::optional<double> host_cpu_pct, double threshold_pct,
                             TimePoint now, TimePoint deadline, std::int64_t timeout_sec);
// Why a new open is refused while the stabilize_cpu intent `intent_id` executes: the host at
// or above `threshold_pct`, or no reading yet. nullopt: the open may go.
std::optional<std::string> StabilizeRefusal(const std::string& intent_id,
                                            std::optional<double> host_cpu_pct,
                                            double threshold_pct);

// `remediate` (autofix's, docs/autofix.md; made by madre itself, never submitted by a client):
// payload {"service", "remediation" (a catalogue kind), "target", "incident", "cycle",
// "cause", "text"}.
struct RemediateIntent {
  std::string service;
  RemediationKind kind = RemediationKind::kManual;
  std::string target;  // the service it acts on (a dependency for start_dependency)
  std::string incident;
  int cycle = 1;
  std::string cause;
  std::string text;
};
// kInvalidArgument: a service or target that is not a service name, a cycle < 1.
Status CheckRemediateIntent(const RemediateIntent& intent);

// The actor of what an intent's execution does ("intent:<id>"), in the audit of the window it
// opens or closes.
std::string IntentActor(const std::string& intent_id);
// The intent an actor names ("intent:<id>" -> "<id>"); nullopt for any other actor.
std::optional<std::string> IntentOfActor(std::string_view actor);

// ---- admission --------------------------------------------------------------------------

struct AdmissionFacts {
  std::optional<double> host_cpu_pct;  // busy % of the host; nullopt: no reading yet
  double threshold_pct = 70.0;         // VX11_THROTTLE_CPU_PCT; 0: no host limit
  bool per_source = false;             // VX11_INEE_ENABLED: the source quotas apply
  SourceQuota quota;                   // the submitting source's
  int executing_of_source = 0;         // its intents executing now
  // CPU (% of the host) its windows' containers use now (SourceCpuPct); nullopt: no reading.
  std::optional<double> source_cpu_pct = 0.0;
  // The intent relieves the host (stabilize_cpu): neither the host CPU nor the source's
  // cpu_share_pct holds it back (max_concurrent does).
  bool relieves_load = false;
  bool opens_window = false;  // a window open or a spawn
  std::string stabilizing;    // an executing stabilize_cpu intent ("": none)
};

struct AdmissionVerdict {
  bool admit = false;
  std::string waiting_for;  // when not admitted: what it waits for, for the queue's view
};

// An approved intent is admitted when the host is under its threshold (with no reading yet it
// waits, unless there is no threshold) and, with per-source quotas on, its source is under its
// max_concurrent and its cpu_share_pct (with no reading of its containers yet it waits). An
// open waits, naming the intent, while a stabilize_cpu intent holds opens (StabilizeRefusal).
// A load reliever skips the host and cpu_share_pct checks.
AdmissionVerdict Admit(const AdmissionFacts& facts);

// A live window, as admission sees it: the source of the intent that opened it ("" when a
// client opened it) and the services it runs (effective_services).
struct SourceWindow {
  std::string source;
  std::vector<std::string> services;
};
// The CPU, in % of the host, that the running containers of the services `source`'s windows
// run use: their stats (100 = one core) summed, over `host_cpus`. A service two windows run
// counts once; one that another source's window runs too counts for both. 0 when the source
// runs nothing; nullopt when it does but there is no stats round yet (`stats` null). A running
// container missing from the round (started since) counts 0.
std::optional<double> SourceCpuPct(const std::string& source,
                                   const std::vector<SourceWindow>& windows,
                                   const std::vector<ContainerState>& observed,
                                   const std::map<std::string, ContainerStats>* stats,
                                   int host_cpus);

}  // namespace madre
