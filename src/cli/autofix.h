// `madre autofix`: from a conductor report's failed phases to one autofix incident per
// service, followed until each ends (docs/autofix.md, "From the CLI").
//
//   report (test_results.json)
//     -> FailedPhases: each phase with status fail|timeout|partial|error (not ok, not degraded,
//        not an error that only says "skipped: ...", not `conductor --autofix`'s own `autofix`
//        phase), with the services it concerns: the phase's
//        "services" when the conductor recorded them (window_open/health: those not ready;
//        availability: those whose check failed), <svc> for flow:<svc>:<name>, else the
//        report's window services ("services")
//     -> one POST /madre/autofix/incidents per service (its first failed phase, the phases'
//        details, the run directory)
//     -> GET /madre/autofix/incidents/{id} every `poll` until the incident is final, waits for
//        approval (the CLI never waits for a human), or `timeout` passes.
// Exit code: 0 only when every incident ended `fixed`. Madre, the clock and sleeping are
// injected: the logic runs in tests without a server or a real sleep.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "base/time.h"
#include "cli/api_client.h"

namespace madre::cli {

// A failed phase of a conductor report and the services it concerns.
struct FailedPhase {
  std::string name;
  std::string status;  // fail | timeout | partial | error
  std::string detail;
  std::vector<std::string> services;  // empty: the report cannot tell (no window services)
};

// The failed phases of a conductor report (test_results.json), in report order.
std::vector<FailedPhase> FailedPhases(const nlohmann::json& report);

// The report file named by `path`: a file as is, a run directory's test_results.json.
// `path` empty: the newest run directory's report under `out_dir` (run directories are named
// <UTC time>_E2E_CONDUCTOR[_N], so the newest sorts last). Errors name what is missing.
Result<std::filesystem::path> FindConductorReport(const std::filesystem::path& path,
                                                  const std::filesystem::path& out_dir);

// Reads and parses a report; an error when unreadable or not a report (no "phases" array).
Result<nlohmann::json> LoadConductorReport(const std::filesystem::path& file);

struct AutofixOptions {
  Duration timeout = Seconds(300);  // for all incidents together, from the first POST
  Duration poll = Seconds(1);
};

struct AutofixDeps {
  Transport& madre;
  const Clock& clock;
  std::function<void(Duration)> sleep;
  std::function<void(const std::string& line)> progress;  // optional: one line per change
};

// How one service's incident ended, for the CLI.
enum class AutofixEnd {
  kFixed,             // final, state fixed
  kNotFixed,          // final: not_fixed, quarantined or manual
  kAwaitingApproval,  // the latest cycle's remediate intent waits for `madre intent approve`
  kTimedOut,          // still going after the timeout
  kRefused,           // the incident could not be opened (unknown service, quarantined, ...)
};
const char* AutofixEndName(AutofixEnd end);  // fixed|not_fixed|awaiting_approval|timeout|refused

struct ServiceIncident {
  std::string service;
  std::vector<std::string> phases;  // the failed phases that name it
  AutofixEnd end = AutofixEnd::kRefused;
  nlohmann::json incident = nullptr;  // the last Incident object seen
  std::string error;                  // why it was refused (kRefused)
  std::string error_code;             // the server's "code" ("quarantined", ...)
};

struct AutofixResult {
  std::string report_file;
  std::vector<FailedPhase> failures;
  std::vector<ServiceIncident> incidents;
  // Failed phases that named no service (their failure cannot be an incident).
  std::vector<std::string> unattributed;
  // Set when madre could not be reached or refused the token: the run stopped there.
  std::string abort_error;
  // The conductor run again once every incident ended fixed (SetRerun): {"run_dir",
  // "overall", "exit_code", "failed_phases"}; null when it was not run again (`rerun_note`
  // says why, when it should have been).
  nlohmann::json rerun = nullptr;
  std::string rerun_note;
  int exit_code = 0;

  bool NothingToFix() const { return failures.empty(); }
  nlohmann::json ToJson() const;
};

// Opens and follows the incidents of `report`'s failures. `run_dir` goes to each incident.
// Exit code: 0 when nothing failed or every incident ended fixed; kExitNoConnect/kExitAuth
// (madre unreachable, token refused); else kExitNotFixed when an incident ended not fixed or
// could not be opened, or a failure named no service; else kExitAwaitingApproval; else
// kExitTimeout.
AutofixResult RunAutofix(const nlohmann::json& report, const std::string& run_dir,
                         const AutofixOptions& options, const AutofixDeps& deps);

// True when every failure of `result` was fixed: the conductor should run again to prove it.
bool WantsRerun(const AutofixResult& result);

// Before the conductor runs again: waits, polling every `poll` for at most `max`, until madre
// says SOLO_MADRE is active (what a remediation started for its re-test alone is stopped when
// the incident ends, a moment after `fixed`), so that the run again starts from rest as the
// failed run did. One progress line when it waits; false when it is still not at rest.
bool WaitForRest(const AutofixDeps& deps, Duration max, Duration poll = Seconds(1));

// Records the re-run's report (test_results.json) in `result`: a re-run that did not pass
// makes the exit code kExitNotFixed (the readiness re-tests passed, the conductor did not).
void SetRerun(AutofixResult& result, const nlohmann::json& rerun_report,
              const std::string& run_dir);

// The summary printed at the end: per service its outcome, cause, remediation, approval,
// re-test and forensic directory, and for one awaiting approval the command to approve it.
std::string RenderAutofixSummary(const AutofixResult& result);

// One line for the conductor's `autofix` phase detail: "web fixed; db not_fixed (...)".
std::string AutofixOneLine(const AutofixResult& result);

}  // namespace madre::cli
