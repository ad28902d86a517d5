// When is a started service ready (SPEC §6)? Pure rules, evaluated again and
// again by the caller with fresh observations until the verdict is final.
//   1. It has a Docker healthcheck: ready when Docker says healthy, or as soon as madre's own
//      run of that check passes once (core/health_exec.h; labels `vx11.health.exec=false`,
//      `vx11.health.exec_interval_ms`). A container madre has just unpaused is also ready at
//      once when Docker's `unhealthy` is only the pause's mark (ReadyPerDocker).
//   2. Else a probe from labels: `vx11.health.url` (HTTP 2xx) or
//      `vx11.health.tcp` (connect), while the container runs.
//   3. Else: running for `settle` (1 s) without a restart.
// A container that exits, disappears or restarts in a loop fails at once, a swarm service
// whose task no node can take after kUnplaceableGrace; one
// that is not ready after its timeout (`vx11.health.timeout_sec`, else the
// default) fails with what was last seen.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "base/time.h"
#include "core/model.h"

namespace madre {

enum class ReadinessKind { kDockerHealth, kHttp, kTcp, kRunningFor };
const char* ReadinessKindName(ReadinessKind kind);

struct ReadinessSpec {
  ReadinessKind kind = ReadinessKind::kRunningFor;
  std::string target;  // URL or host:port for kHttp / kTcp
  Duration timeout = Seconds(60);
  Duration settle = Seconds(1);
  int max_restarts = 1;  // more restarts than this during start-up is a loop
  // kDockerHealth: madre also runs the healthcheck itself until its first pass (label
  // `vx11.health.exec`, default true; "false", "0", "no" or "off" turn it off), every
  // `exec_interval` (label `vx11.health.exec_interval_ms`, 10 to 60000; default 250 ms).
  bool exec = true;
  Duration exec_interval = Millis(250);
};

// From the service's healthcheck and labels. Bad label values are ignored
// (with the default), never fatal: the compose file is the operator's.
ReadinessSpec ReadinessFor(const ServiceDef& service, Duration default_timeout);

enum class Verdict { kPending, kReady, kFailed };
const char* VerdictName(Verdict verdict);

struct ReadinessCheck {
  Verdict verdict = Verdict::kPending;
  std::string detail;  // why it failed, or what it waits for
};

// What the caller remembers between evaluations of one service.
struct ReadinessState {
  TimePoint started{};
  std::optional<int> first_restart_count;
  std::optional<TimePoint> running_since;
  int last_restart_count = 0;
  // kDockerHealth: a check madre ran in the container passed (ready, as if Docker said healthy).
  bool exec_passed = false;
  // Madre unpaused the container in this action: its restart count then (a container that
  // restarted since is not the one that was paused). Unset: started, created or left running.
  std::optional<int> unpaused_restart_count;
  // ... and madre had seen this very run of it (same id, StartedAt and restart count) pass a
  // check before the pause (engine/passed_checks.h): when Docker logged no check of its own
  // (paused before its first interval), that pass is the last check of the container.
  bool passed_before_pause = false;
};

// True for the `unhealthy` Docker gives a container when it pauses it, with no failing check:
// FailingStreak 0 and the last logged check exited 0 (a container whose checks fail is not).
// With no check logged yet, only when `passed_before` (madre saw one pass before the pause).
bool IsPauseMark(const ContainerState& c, bool passed_before = false);

// kDockerHealth: Docker's status alone makes the running container `c` ready, no check by madre
// needed: `healthy`; or, for a container madre just unpaused (state.unpaused_restart_count) that
// has not restarted since, the pause's mark (IsPauseMark, with state.passed_before_pause): its
// processes were frozen, not restarted, and its own checks last passed. Never for a container that
// is not running.
bool ReadyPerDocker(const ContainerState& c, const ReadinessState& state);

// How long a swarm service's task may stay without a node (ServiceReplicas::unplaceable)
// before its start fails.
inline constexpr Duration kUnplaceableGrace = Seconds(10);

// One evaluation at `now`. `container` is nullopt when Docker has none for the
// service; `probe` is the result of this round's probe (kHttp/kTcp), if run.
ReadinessCheck EvaluateReadiness(const ReadinessSpec& spec,
                                 const std::optional<ContainerState>& container,
                                 const std::optional<Status>& probe, ReadinessState& state,
                                 TimePoint now);

}  // namespace madre
