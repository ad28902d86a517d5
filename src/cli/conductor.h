// `madre conductor`: the end-to-end check of a live madre (SPEC §8).
//
// Phases, in order, each ending ok|fail|timeout|partial|degraded|error with its
// elapsed time:
//   preflight          GET /health, solo_madre status (degraded if not SOLO_MADRE); first
//                      waits (up to `startup_wait`) while madre's start-up reconcile runs
//                      (/health "ready": false, or 503 "madre is starting"): fail if it
//                      still runs then
//   throttle_check     host CPU from /proc/stat; above the threshold wait and retry (3x)
//   window_open        POST /madre/power/windows/open
//   health             poll the window until every service is ready (or timeout)
//   availability       GET each service's health URL(s) on 127.0.0.1
//   flows              only when loading the flows fails (GET /madre/power/flows reports bad
//                      flow labels, or --flow names no declared flow)
//   flow:<svc>:<name>  one per flow of a window service (api/flow.h): declared in the
//                      service's labels (GET /madre/power/flows) or in --flows FILE
//   metrics            host CPU, memory, I/O wait, load; per-container figures if madre has
//                      them; each window service's health endpoint latency (p50/p95/max)
//   window_close       always, when a window was opened, whatever failed before
//   solo_madre_verify  policy_active true again (retried for up to 10 s)
// A phase that cannot run (no window) is `error` with "skipped: ..." in its detail.
// Everything outside (madre, the probes, the clock, sleeping, /proc, the output
// directory) is injected, so the logic runs in tests without a server or a real sleep.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/flow.h"
#include "base/clock.h"
#include "base/status.h"
#include "base/time.h"
#include "cli/api_client.h"

namespace madre::cli {

enum class PhaseStatus { kOk, kFail, kTimeout, kPartial, kDegraded, kError };
const char* PhaseStatusName(PhaseStatus status);

struct PhaseResult {
  std::string name;
  PhaseStatus status = PhaseStatus::kOk;
  std::int64_t elapsed_ms = 0;
  std::string detail;
  // The services the phase found failing, when it can tell (window_open and health: those not
  // ready; availability: those whose check failed; flow:<svc>:<name>: <svc>). In the report as
  // "services" when not empty; `madre autofix` opens its incidents for them.
  std::vector<std::string> services = {};
};

// One availability probe: GET `url` must answer one of `accepted` statuses.
struct AvailabilityCheck {
  std::string url;
  std::vector<int> accepted = {200};
};

// The built-in checks for the example VX11 stack (examples/vx11): 127.0.0.1:<port>/health,
// plus /switch/state (200 or 404) for switch.
std::map<std::string, std::vector<AvailabilityCheck>> DefaultAvailabilityChecks();

// Parses a --check value "svc=URL" (any 2xx accepted).
Result<std::pair<std::string, AvailabilityCheck>> ParseCheckFlag(const std::string& text);

struct ConductorOptions {
  std::string reason;  // required, non-empty
  std::vector<std::string> services = {"switch", "hermes"};
  std::int64_t ttl_sec = 60;
  std::filesystem::path out_dir = "out/conductor";
  Duration health_timeout = Seconds(60);
  // How long preflight waits for madre's start-up reconcile (GET /health "ready": false, or
  // 503 "madre is starting"); zero: not at all. A madre whose /health has no "ready" is ready.
  Duration startup_wait = Seconds(60);
  double cpu_threshold = 70;
  // Per-service checks from --check; a service named here uses only these.
  std::map<std::string, std::vector<AvailabilityCheck>> checks;
  // Flows from --flows FILE, besides those the services declare in their labels (a file's flow
  // replaces a label's of the same service:name). `only_flow` (--flow service:name): run only
  // that one.
  std::vector<Flow> flows;
  std::string only_flow;
  // Requests per service for the latency figures of the metrics phase (0: none).
  int latency_samples = 10;
  std::string force_fail;  // a phase name: that phase fails without running (testing)
  std::string madre_url;   // for the report only
  // The command line's settings, written in the report as `options` so that `madre autofix`
  // can run the same conductor again after its fixes (null: not written).
  nlohmann::json recorded_args = nullptr;

  // Pacing. Tests keep the defaults: the injected sleeper makes them free.
  Duration startup_poll = Millis(500);
  Duration startup_progress_every = Seconds(5);  // at most one "waiting" line per this time
  Duration cpu_sample_gap = Millis(500);
  Duration throttle_wait = Seconds(5);
  int throttle_retries = 3;
  Duration health_poll = Millis(1000);
  int availability_attempts = 3;
  Duration availability_retry = Seconds(1);
  Duration solo_verify_timeout = Seconds(10);
  Duration solo_verify_poll = Seconds(1);
};

struct ConductorDeps {
  Transport& madre;  // the madre API, with the token
  Transport& probe;  // absolute URLs for availability checks, without the token
  const Clock& clock;
  std::function<void(Duration)> sleep;
  std::filesystem::path proc_root = "/proc";
  std::function<void(const std::string& line)> progress;  // optional: one line per phase
};

struct ConductorReport {
  std::string reason;
  TimePoint started_at{};
  TimePoint finished_at{};
  std::string window_id;  // empty when no window was opened
  // The window's services (its effective services when madre said, else --services).
  std::vector<std::string> services;
  std::vector<PhaseResult> phases;
  std::string overall;               // "ok" | "degraded" | "fail"
  std::filesystem::path run_dir;     // <out>/<UTC timestamp>_E2E_CONDUCTOR; empty if not written
  int exit_code = 0;                 // 0 only when every phase is ok
  std::string write_error;           // non-empty when the output files could not be written
  nlohmann::json options = nullptr;  // ConductorOptions::recorded_args

  bool AllOk() const;
  nlohmann::json ToJson() const;  // test_results.json
};

// Writes report.ToJson() to <run_dir>/test_results.json again (after `--autofix` added its
// phase). An error when there is no run directory or the file cannot be written.
Status RewriteTestResults(const ConductorReport& report);

// The names of the phases in order.
const std::vector<std::string>& ConductorPhaseNames();

// Runs every phase and writes the run directory. Never throws. Exit code: 0 when every
// phase is ok; kExitNoConnect / kExitAuth when madre could not be reached or refused the
// token before any window work; else 1.
ConductorReport RunConductor(const ConductorOptions& options, const ConductorDeps& deps);

// "20261124T101500Z"
std::string CompactUtcTimestamp(TimePoint t);

// The summary table printed at the end (phases, statuses, times, overall, report path).
std::string RenderConductorSummary(const ConductorReport& report);

}  // namespace madre::cli
