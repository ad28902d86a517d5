// Autofix's first step (issue 12): from the evidence madre holds when a service fails to a
// diagnosis: one cause of a closed list, the evidence lines that decided it, and the
// remediations of the catalogue that fit it. Pure: the evidence is gathered elsewhere (Docker's
// inspect, the last log lines, the states of the service's dependencies) and passed in.
//
// The rules are one ordered table (Diagnose's comment); the first rule that matches decides.
// Every cause names the evidence it saw, so an operator can check the verdict without madre.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace madre {

enum class FailureCause {
  kOomKilled,              // the kernel killed it for memory (State.OOMKilled)
  kCommandNotFound,        // exit 126/127, or the runtime could not exec the command
  kPortInUse,              // a published port is taken, or the process could not bind
  kDependencyUnavailable,  // a depends_on service is not running/healthy, or was unreachable
  kMissingConfig,          // an unset variable, a missing file or bind source
  kPermissionDenied,       // EACCES / EPERM in the error or the log
  kImageMissing,           // the image is not on the host (and cannot be pulled)
  kHealthcheckFailing,     // running, but its healthcheck fails
  kCrashExitCode,          // exited non-zero, nothing more specific
  kUnknown,
};
// Wire names: "oom_killed", "command_not_found", "port_in_use", "dependency_unavailable",
// "missing_config", "permission_denied", "image_missing", "healthcheck_failing",
// "crash_exit_code", "unknown".
const char* FailureCauseName(FailureCause cause);
std::optional<FailureCause> ParseFailureCause(std::string_view name);

// What failed, as madre saw it.
enum class FailureKind {
  kReadiness,       // a window service did not become ready
  kCrashLoop,       // it died `threshold` times within the window (SPEC §6)
  kUnhealthy,       // it turned unhealthy after its window opened
  kConductorPhase,  // a conductor phase failed on it
};
const char* FailureKindName(FailureKind kind);  // "readiness", "crash_loop", ...
std::optional<FailureKind> ParseFailureKind(std::string_view name);

// The remediation catalogue, each with a fixed risk.
enum class RemediationKind {
  kRestart,
  kRecreate,
  kStartDependency,
  kRebuild,
  kQuarantine,
  kManual
};
const char* RemediationKindName(RemediationKind kind);  // "restart", "recreate", ...
std::optional<RemediationKind> ParseRemediationKind(std::string_view name);
enum class Risk { kLow, kMedium, kHigh };
const char* RiskName(Risk risk);  // "low", "medium", "high"
Risk RemediationRisk(RemediationKind kind);

struct Remediation {
  RemediationKind kind = RemediationKind::kManual;
  std::string target;  // the service it acts on (a dependency for start_dependency)
  std::string text;    // what it does; for `manual`, what a human must do
  friend bool operator==(const Remediation&, const Remediation&) = default;
};

struct DependencyEvidence {
  std::string service;
  std::string state;   // Docker's State.Status ("" when it has no container)
  std::string health;  // "healthy", "unhealthy", "starting" or "" (no healthcheck)
  // madre stopped it itself (e.g. the rollback of the failed open that made the incident), and
  // it exited as a stop leaves it (0, 137, 143): not a cause of the failure.
  bool stopped_by_madre = false;
};

struct FailureEvidence {
  std::string service;
  FailureKind kind = FailureKind::kReadiness;
  std::string state;                    // Docker's State.Status: created, exited, running, ...
  std::optional<int> exit_code;         // State.ExitCode once it ran (or failed to start)
  bool oom_killed = false;              // State.OOMKilled
  std::string error;                    // State.Error, or compose's output when the start failed
  std::string health;                   // State.Health.Status ("" without a healthcheck)
  std::vector<std::string> health_log;  // the last checks' outputs, oldest first
  std::vector<std::string> log_lines;   // the container's last log lines, oldest first
  std::vector<DependencyEvidence> dependencies;  // its depends_on services
  std::string image;                             // the image it runs
  bool image_present = true;                     // false: no image of that name on the host
  bool has_build = false;           // the compose service has `build:` (rebuild is possible)
  bool always_on = false;           // never quarantined: `manual` instead
  std::vector<std::string> mounts;  // "source:destination" of its bind mounts
  // The values of its environment (Config.Env): never shown nor written, only masked before
  // anything is sent to the adviser.
  std::vector<std::string> env_values;
};

struct Diagnosis {
  std::string service;
  FailureCause cause = FailureCause::kUnknown;
  double confidence = 0.0;                // 0..1, the rule's
  std::vector<std::string> evidence;      // the lines that decided it, each saying where from
  std::vector<Remediation> remediations;  // best first; never empty (`manual` at worst)
};

// The rules, in order (the first that matches decides):
//  1. image_missing: image_present is false, or the error says the image is absent ("No such
//     image", "pull access denied", "manifest unknown", "repository does not exist").
//  2. oom_killed: State.OOMKilled.
//  3. port_in_use: the error or the log says a port is taken ("port is already allocated",
//     "address already in use", "EADDRINUSE").
//  4. command_not_found: exit 127, or "executable file not found" / "not found" from the
//     runtime or the shell; exit 126 with "permission denied" from the runtime's exec is a
//     command that cannot be run, the same cause.
//  5. missing_config: "is not set", "bind source path does not exist", "no such file or
//     directory" for a config path, "missing required".
//  6. permission_denied: "permission denied", "operation not permitted", EACCES, EPERM.
//  7. dependency_unavailable: a dependency that is not running (or unhealthy), or the log says
//     a peer was unreachable ("connection refused", "could not resolve", "unreachable").
//  8. healthcheck_failing: running with health "unhealthy" (the last check outputs as
//     evidence).
//  9. crash_exit_code: a non-zero exit code.
// 10. unknown.
Diagnosis Diagnose(const FailureEvidence& evidence);

}  // namespace madre
