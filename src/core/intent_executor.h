// What madre does with an approved intent: the closed set of executors, the typed payloads they
// take, and admission (whether an approved intent may start executing now). Pure: payloads come
// parsed (api/intent_payload.h), facts (host CPU, what a source runs) are arguments.
//
// Executors: `window` (open or close a window), `spawn` (the operator's spawner view: a window of
// the service its policy names), `build` (the manifestator's: an image build of a compose
// service), `stabilize_cpu` (hormiguero's: refuse new opens until the host is under its CPU
// threshold; it never closes windows). Any other type is recorded and rejected with the reason
// NoExecutorReason gives; nothing runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/planner.h"

namespace madre {

enum class IntentExecutor { kWindow, kSpawn, kBuild, kStabilizeCpu, kNone };
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

// The actor of what an intent's execution does ("intent:<id>"), in the audit of the window it
// opens or closes.
std::string IntentActor(const std::string& intent_id);

// ---- admission --------------------------------------------------------------------------

// A source's share of the host (the intent policy's `[sources.NAME]`); 0: no limit.
struct SourceQuota {
  int max_concurrent = 0;      // intents of the source executing at once
  double cpu_share_pct = 0.0;  // % of the host's CPU the source's windows' containers may use
};

struct AdmissionFacts {
  std::optional<double> host_cpu_pct;  // busy % of the host; nullopt: no reading yet
  double threshold_pct = 70.0;         // VX11_THROTTLE_CPU_PCT; 0: no host limit
  bool per_source = false;             // VX11_INEE_ENABLED: the source quotas apply
  SourceQuota quota;                   // the submitting source's
  int executing_of_source = 0;         // its intents executing now
  double source_cpu_pct = 0.0;         // CPU its windows' containers use now
};

struct AdmissionVerdict {
  bool admit = false;
  std::string waiting_for;  // when not admitted: what it waits for, for the queue's view
};

// An approved intent is admitted when the host is under its threshold (with no reading yet it
// waits, unless there is no threshold) and, with per-source quotas on, its source is under its
// max_concurrent and its cpu_share_pct.
AdmissionVerdict Admit(const AdmissionFacts& facts);

}  // namespace madre
