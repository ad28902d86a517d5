#include "cli/autofix.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "cli/exit_codes.h"
#include "cli/render.h"
#include "cli/window_json.h"

namespace madre::cli {

using nlohmann::json;

namespace {

constexpr char kIncidentsPath[] = "/madre/autofix/incidents";

// Phases about madre, the host or the flow declarations rather than a window service: an
// incident of a service cannot fix them.
bool IsServicePhase(const std::string& name) {
  static const std::set<std::string> kNotServices = {"preflight",    "throttle_check",    "metrics",
                                                     "window_close", "solo_madre_verify", "flows"};
  return kNotServices.count(name) == 0;
}

bool IsFailedStatus(const std::string& status) {
  return status == "fail" || status == "timeout" || status == "partial" || status == "error";
}

// "20261124T101500Z_E2E_CONDUCTOR_3" -> {"20261124T101500Z", 3}; no suffix: 1.
std::pair<std::string, long> RunDirKey(const std::string& name) {
  const std::string prefix = name.substr(0, name.find('_'));
  static const std::string kMarker = "_E2E_CONDUCTOR_";
  long n = 1;
  if (const std::size_t at = name.find(kMarker); at != std::string::npos) {
    const std::string digits = name.substr(at + kMarker.size());
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), ::isdigit) &&
        digits.size() < 9) {
      n = std::stol(digits);
    }
  }
  return {prefix, n};
}

std::string HttpFailure(const ApiResponse& r) {
  if (r.http_status == 0) return r.detail;
  return "HTTP " + std::to_string(r.http_status) + ": " + r.detail;
}

const json& LatestCycle(const json& incident) {
  static const json kNone = json::object();
  if (!incident.is_object() || !incident.contains("cycles") || !incident["cycles"].is_array() ||
      incident["cycles"].empty()) {
    return kNone;
  }
  return incident["cycles"].back();
}

std::size_t CycleCount(const json& incident) {
  if (!incident.is_object() || !incident.contains("cycles") || !incident["cycles"].is_array()) {
    return 0;
  }
  return incident["cycles"].size();
}

const json& Remediation(const json& cycle) {
  static const json kNone = json::object();
  if (cycle.is_object() && cycle.contains("remediation") && cycle["remediation"].is_object()) {
    return cycle["remediation"];
  }
  return kNone;
}

// "restart [risk low]", or "-".
std::string RemediationText(const json& cycle) {
  const json& r = Remediation(cycle);
  const std::string kind = Str(r, "kind");
  if (kind.empty()) return "-";
  const std::string target = Str(r, "target");
  const std::string risk = Str(r, "risk");
  return kind + (target.empty() ? "" : " " + target) + (risk.empty() ? "" : " [risk " + risk + "]");
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string ApproveCommand(const json& incident) {
  const std::string id = Str(LatestCycle(incident), "intent_id");
  return id.empty() ? "" : "madre intent approve " + id;
}

// One line saying where an incident stands.
std::string StateLine(const ServiceIncident& s) {
  const json& cycle = LatestCycle(s.incident);
  const std::string state = Str(s.incident, "state");
  std::string line = s.service + ": " + OrDash(state);
  const std::size_t cycles = CycleCount(s.incident);
  if (cycles > 0) {
    line += " (cycle " + std::to_string(cycles);
    if (auto max = Int(s.incident, "max_cycles")) line += "/" + std::to_string(*max);
    line += ": " + OrDash(Str(cycle, "cause")) + ", " + RemediationText(cycle);
    if (!Str(cycle, "approval").empty()) line += ", approval " + Str(cycle, "approval");
    if (!Str(cycle, "retest").empty()) line += ", retest " + Str(cycle, "retest");
    line += ")";
  }
  if (state == "awaiting_approval") {
    const std::string approve = ApproveCommand(s.incident);
    line += approve.empty() ? "; its intent waits for approval (madre intents --state pending)"
                            : "; approve it with: " + approve;
  }
  return line;
}

// Classifies an Incident object; nullopt while it is still going.
std::optional<AutofixEnd> EndOf(const json& incident) {
  const std::string state = Str(incident, "state");
  if (state == "awaiting_approval") return AutofixEnd::kAwaitingApproval;
  if (Bool(incident, "final") || state == "fixed" || state == "not_fixed" ||
      state == "quarantined" || state == "manual") {
    return state == "fixed" ? AutofixEnd::kFixed : AutofixEnd::kNotFixed;
  }
  return std::nullopt;
}

class AutofixRun {
 public:
  AutofixRun(const json& report, const std::string& run_dir, const AutofixOptions& options,
             const AutofixDeps& deps)
      : report_(report), run_dir_(run_dir), options_(options), deps_(deps) {}

  AutofixResult Run();

 private:
  void Progress(const std::string& line) {
    if (deps_.progress) deps_.progress("autofix: " + line);
  }
  // Records a new look at an incident; true when it ended.
  bool Update(ServiceIncident& s, const json& incident);
  void Abort(const ApiResponse& r, const std::string& what) {
    result_.abort_error = what + ": " + HttpFailure(r);
    result_.exit_code = r.exit_code;
    Progress(result_.abort_error);
  }
  static bool IsAbort(const ApiResponse& r) {
    return r.exit_code == kExitNoConnect || r.exit_code == kExitAuth;
  }

  const json& report_;
  const std::string& run_dir_;
  const AutofixOptions& options_;
  const AutofixDeps& deps_;
  AutofixResult result_;
  std::map<std::string, std::string> last_line_;  // per service: the last progress line
};

bool AutofixRun::Update(ServiceIncident& s, const json& incident) {
  s.incident = incident;
  const std::string line = StateLine(s);
  if (last_line_[s.service] != line) {
    Progress(line);
    last_line_[s.service] = line;
  }
  std::optional<AutofixEnd> end = EndOf(incident);
  if (end) s.end = *end;
  return end.has_value();
}

AutofixResult AutofixRun::Run() {
  result_.failures = FailedPhases(report_);
  if (result_.failures.empty()) return result_;

  // One incident per service, in the order the failures name them.
  std::map<std::string, std::vector<const FailedPhase*>> by_service;
  std::vector<std::string> order;
  for (const FailedPhase& f : result_.failures) {
    if (f.services.empty()) {
      result_.unattributed.push_back(f.name);
      Progress(f.name + " (" + f.status + ") is not a service's failure: no incident for it");
      continue;
    }
    for (const std::string& service : f.services) {
      if (by_service[service].empty()) order.push_back(service);
      by_service[service].push_back(&f);
    }
  }

  const TimePoint deadline = deps_.clock.Now() + options_.timeout;
  std::vector<std::size_t> going;  // indexes into result_.incidents still to follow
  for (const std::string& service : order) {
    ServiceIncident s;
    s.service = service;
    const std::vector<const FailedPhase*>& phases = by_service[service];
    std::string detail;
    for (const FailedPhase* p : phases) {
      s.phases.push_back(p->name);
      if (phases.size() == 1) {
        detail = p->detail;
      } else {
        detail += (detail.empty() ? "" : "; ") + p->name + ": " + p->detail;
      }
    }
    const json body = {{"service", service},
                       {"phase", phases.front()->name},
                       {"detail", detail},
                       {"run_dir", run_dir_}};
    ApiResponse r = CallApi(deps_.madre, "POST", kIncidentsPath, body);
    if (IsAbort(r)) {
      Abort(r, "opening the incident of " + service);
      return result_;
    }
    if (!r.ok()) {
      s.end = AutofixEnd::kRefused;
      s.error = HttpFailure(r);
      s.error_code = Str(r.body, "code");
      if (s.error_code == "quarantined") {
        s.error += " (lift it with: madre autofix reset " + service + ")";
      }
      Progress(service + ": no incident: " + s.error);
      result_.incidents.push_back(std::move(s));
      continue;
    }
    Progress(service + ": incident " + OrDash(Str(r.body, "incident")) +
             (r.http_status == 200 ? " (already open)" : " opened") + " for " +
             phases.front()->name);
    const bool ended = Update(s, r.body);
    result_.incidents.push_back(std::move(s));
    if (!ended) going.push_back(result_.incidents.size() - 1);
  }

  while (!going.empty()) {
    const TimePoint now = deps_.clock.Now();
    if (now >= deadline) {
      for (std::size_t i : going) {
        ServiceIncident& s = result_.incidents[i];
        s.end = AutofixEnd::kTimedOut;
        Progress(s.service + ": still " + OrDash(Str(s.incident, "state")) + " after " +
                 FormatHumanDuration(options_.timeout) + " (--timeout); madre goes on with it");
      }
      break;
    }
    deps_.sleep(std::min<Duration>(options_.poll, deadline - now));
    std::vector<std::size_t> still;
    for (std::size_t i : going) {
      ServiceIncident& s = result_.incidents[i];
      const std::string id = Str(s.incident, "incident");
      ApiResponse r =
          CallApi(deps_.madre, "GET", std::string(kIncidentsPath) + "/" + EscapePathSegment(id));
      if (IsAbort(r)) {
        Abort(r, "following the incident of " + s.service);
        return result_;
      }
      if (r.http_status == 404) {
        s.end = AutofixEnd::kRefused;
        s.error = "incident " + id + " is gone: " + HttpFailure(r);
        Progress(s.service + ": " + s.error);
        continue;
      }
      if (!r.ok()) {  // a passing error: look again at the next poll
        still.push_back(i);
        continue;
      }
      if (!Update(s, r.body)) still.push_back(i);
    }
    going = std::move(still);
  }

  bool not_fixed = !result_.unattributed.empty(), awaiting = false, timed_out = false;
  for (const ServiceIncident& s : result_.incidents) {
    not_fixed |= s.end == AutofixEnd::kNotFixed || s.end == AutofixEnd::kRefused;
    awaiting |= s.end == AutofixEnd::kAwaitingApproval;
    timed_out |= s.end == AutofixEnd::kTimedOut;
  }
  result_.exit_code = not_fixed   ? kExitNotFixed
                      : awaiting  ? kExitAwaitingApproval
                      : timed_out ? kExitTimeout
                                  : kExitOk;
  return result_;
}

}  // namespace

const char* AutofixEndName(AutofixEnd end) {
  switch (end) {
    case AutofixEnd::kFixed:
      return "fixed";
    case AutofixEnd::kNotFixed:
      return "not_fixed";
    case AutofixEnd::kAwaitingApproval:
      return "awaiting_approval";
    case AutofixEnd::kTimedOut:
      return "timeout";
    case AutofixEnd::kRefused:
      return "refused";
  }
  return "refused";
}

std::vector<FailedPhase> FailedPhases(const json& report) {
  std::vector<FailedPhase> out;
  if (!report.is_object() || !report.contains("phases") || !report["phases"].is_array()) {
    return out;
  }
  const std::vector<std::string> window_services = StrList(report, "services");
  for (const json& phase : report["phases"]) {
    FailedPhase f{Str(phase, "name"), Str(phase, "status"), Str(phase, "detail"), {}};
    // `conductor --autofix`'s own phase is autofix's outcome, not a failure to fix.
    if (!IsFailedStatus(f.status) || f.name == "autofix") continue;
    // A phase that could not run because an earlier one failed is not a failure of its own.
    if (f.status == "error" && f.detail.rfind("skipped:", 0) == 0) continue;
    f.services = StrList(phase, "services");
    if (f.services.empty() && f.name.rfind("flow:", 0) == 0) {
      const std::string rest = f.name.substr(5);
      const std::string service = rest.substr(0, rest.find(':'));
      if (!service.empty()) f.services.push_back(service);
    }
    if (f.services.empty() && IsServicePhase(f.name)) f.services = window_services;
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::filesystem::path> FindConductorReport(const std::filesystem::path& path,
                                                  const std::filesystem::path& out_dir) {
  std::error_code ec;
  if (!path.empty()) {
    if (std::filesystem::is_directory(path, ec)) {
      const std::filesystem::path file = path / "test_results.json";
      if (!std::filesystem::is_regular_file(file, ec)) {
        return Status::NotFound(path.string() + " has no test_results.json");
      }
      return file;
    }
    if (!std::filesystem::exists(path, ec)) {
      return Status::NotFound("no such report: " + path.string());
    }
    return path;
  }
  if (!std::filesystem::is_directory(out_dir, ec)) {
    return Status::NotFound("no conductor report: " + out_dir.string() +
                            " does not exist (run `madre conductor --reason R` first, or name "
                            "one with --test-result FILE)");
  }
  std::optional<std::pair<std::pair<std::string, long>, std::filesystem::path>> newest;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir, ec)) {
    std::error_code entry_ec;
    if (!entry.is_directory(entry_ec)) continue;
    const std::filesystem::path file = entry.path() / "test_results.json";
    if (!std::filesystem::is_regular_file(file, entry_ec)) continue;
    auto key = RunDirKey(entry.path().filename().string());
    if (!newest || key > newest->first) newest = {key, file};
  }
  if (ec) return Status::Internal("cannot list " + out_dir.string() + ": " + ec.message());
  if (!newest) {
    return Status::NotFound("no conductor report under " + out_dir.string() +
                            " (no <run>/test_results.json)");
  }
  return newest->second;
}

Result<json> LoadConductorReport(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the report " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  json report = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) {
    return Status::InvalidArgument(file.string() + " is not JSON");
  }
  if (!report.is_object() || !report.contains("phases") || !report["phases"].is_array()) {
    return Status::InvalidArgument(file.string() +
                                   " is not a conductor report (no \"phases\" list)");
  }
  return report;
}

AutofixResult RunAutofix(const json& report, const std::string& run_dir,
                         const AutofixOptions& options, const AutofixDeps& deps) {
  AutofixRun run(report, run_dir, options, deps);
  return run.Run();
}

json AutofixResult::ToJson() const {
  json failure_list = json::array();
  for (const FailedPhase& f : failures) {
    failure_list.push_back(
        {{"phase", f.name}, {"status", f.status}, {"detail", f.detail}, {"services", f.services}});
  }
  json incident_list = json::array();
  for (const ServiceIncident& s : incidents) {
    json entry = {{"service", s.service},
                  {"phases", s.phases},
                  {"outcome", AutofixEndName(s.end)},
                  {"incident", s.incident}};
    if (!s.error.empty()) entry["error"] = s.error;
    if (!s.error_code.empty()) entry["code"] = s.error_code;
    if (s.end == AutofixEnd::kAwaitingApproval) {
      const std::string approve = ApproveCommand(s.incident);
      entry["approve"] = approve.empty() ? json(nullptr) : json(approve);
    }
    incident_list.push_back(std::move(entry));
  }
  json out = {{"report", report_file},        {"nothing_to_fix", NothingToFix()},
              {"failures", failure_list},     {"incidents", incident_list},
              {"unattributed", unattributed}, {"exit_code", exit_code}};
  if (!abort_error.empty()) out["error"] = abort_error;
  out["rerun"] = rerun;
  if (!rerun_note.empty()) out["rerun_note"] = rerun_note;
  return out;
}

bool WantsRerun(const AutofixResult& result) {
  return result.exit_code == kExitOk && !result.NothingToFix();
}

bool WaitForRest(const AutofixDeps& deps, Duration max, Duration poll) {
  const TimePoint deadline = deps.clock.Now() + max;
  bool said = false;
  for (;;) {
    ApiResponse r = CallApi(deps.madre, "GET", "/madre/power/policy/solo_madre/status", "");
    if (r.ok() && Bool(r.body, "policy_active")) return true;
    if (deps.clock.Now() >= deadline) return false;
    if (!said && deps.progress) {
      deps.progress("autofix: waiting for madre to stop what the fixes started (SOLO_MADRE; " +
                    (r.ok() ? "running: " + JoinOrDash(StrList(r.body, "running_services"))
                            : HttpFailure(r)) +
                    ")");
      said = true;
    }
    deps.sleep(poll);
  }
}

void SetRerun(AutofixResult& result, const json& rerun_report, const std::string& run_dir) {
  std::vector<std::string> failed;
  for (const FailedPhase& f : FailedPhases(rerun_report)) failed.push_back(f.name + "=" + f.status);
  const int code = rerun_report.value("exit_code", kExitError);
  result.rerun = {{"run_dir", run_dir},
                  {"overall", rerun_report.value("overall", "")},
                  {"exit_code", code},
                  {"failed_phases", failed}};
  if (code != kExitOk && result.exit_code == kExitOk) result.exit_code = kExitNotFixed;
}

std::string RenderAutofixSummary(const AutofixResult& result) {
  if (result.NothingToFix()) {
    return "nothing to fix: no failed phase in " + OrDash(result.report_file) + "\n";
  }
  std::string out;
  std::vector<std::string> phases;
  for (const FailedPhase& f : result.failures) phases.push_back(f.name + "=" + f.status);
  out +=
      "Autofix of " + OrDash(result.report_file) + "\nFailed phases: " + JoinOrDash(phases) + "\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
  for (const ServiceIncident& s : result.incidents) {
    const json& cycle = LatestCycle(s.incident);
    std::string cycles = std::to_string(CycleCount(s.incident));
    if (auto max = Int(s.incident, "max_cycles")) cycles += "/" + std::to_string(*max);
    rows.push_back({s.service, AutofixEndName(s.end), OrDash(Str(s.incident, "state")),
                    OrDash(Str(cycle, "cause")), RemediationText(cycle),
                    OrDash(Str(cycle, "approval")), OrDash(Str(cycle, "retest")), cycles});
    if (!Str(s.incident, "forensic_dir").empty()) {
      notes.push_back("  " + s.service + ": forensic record " + Str(s.incident, "forensic_dir"));
    }
    if (!Str(cycle, "result").empty()) {
      notes.push_back("  " + s.service + ": done: " + Str(cycle, "result"));
    }
    for (const std::string& evidence : StrList(cycle, "retest_evidence")) {
      notes.push_back("  " + s.service + ": retest evidence: " + evidence);
    }
    if (s.end == AutofixEnd::kAwaitingApproval) {
      const std::string approve = ApproveCommand(s.incident);
      const std::string text = Str(Remediation(cycle), "text");
      notes.push_back("  " + s.service + ": waits for approval: " +
                      (approve.empty() ? "see madre intents --state pending" : approve) +
                      (text.empty() ? "" : " (" + text + ")"));
    }
    if (s.end == AutofixEnd::kTimedOut) {
      notes.push_back("  " + s.service + ": still " + OrDash(Str(s.incident, "state")) +
                      " at the timeout; follow it with madre autofix again or madre audit");
    }
    if (!s.error.empty()) notes.push_back("  " + s.service + ": " + s.error);
  }
  if (!rows.empty()) {
    out += RenderTable(
        {"SERVICE", "OUTCOME", "STATE", "CAUSE", "REMEDIATION", "APPROVAL", "RETEST", "CYCLES"},
        rows);
  }
  for (const std::string& name : result.unattributed) {
    notes.push_back("  " + name + ": not a service's failure; autofix cannot fix it");
  }
  if (!notes.empty()) out += "Notes:\n";
  for (const std::string& note : notes) out += note + "\n";
  if (!result.abort_error.empty()) out += "Stopped: " + result.abort_error + "\n";
  const bool rerun_failed = result.rerun.is_object() && result.rerun.value("exit_code", 1) != 0;
  if (result.rerun.is_object()) {
    std::vector<std::string> failed;
    for (const json& f : result.rerun.value("failed_phases", json::array())) {
      failed.push_back(f.get<std::string>());
    }
    out += "Conductor run again: " + OrDash(Str(result.rerun, "run_dir")) + ": " +
           OrDash(Str(result.rerun, "overall")) +
           (failed.empty() ? "" : " (failed: " + JoinOrDash(failed) + ")") + "\n";
  } else if (!result.rerun_note.empty()) {
    out += "Conductor not run again: " + result.rerun_note + "\n";
  }
  out += result.exit_code == kExitOk ? "RESULT: every failure fixed\n"
         : rerun_failed
             ? "RESULT: every incident re-tested fixed, but the conductor run again failed (exit " +
                   std::to_string(result.exit_code) + ")\n"
             : "RESULT: not every failure fixed (exit " + std::to_string(result.exit_code) + ")\n";
  return out;
}

std::string AutofixOneLine(const AutofixResult& result) {
  if (result.NothingToFix()) return "nothing to fix";
  std::vector<std::string> parts;
  for (const ServiceIncident& s : result.incidents) {
    std::string part = s.service + " " + AutofixEndName(s.end);
    const std::string cause = Str(LatestCycle(s.incident), "cause");
    if (!cause.empty()) part += " (" + cause + ")";
    if (s.end == AutofixEnd::kAwaitingApproval) {
      const std::string approve = ApproveCommand(s.incident);
      if (!approve.empty()) part += ": " + approve;
    }
    if (s.end == AutofixEnd::kRefused) part += ": " + s.error;
    parts.push_back(part);
  }
  for (const std::string& name : result.unattributed) parts.push_back(name + " not a service's");
  std::string line = JoinOrDash(parts, "; ");
  if (!result.abort_error.empty()) line += "; stopped: " + result.abort_error;
  if (result.rerun.is_object()) {
    line += "; run again " + OrDash(Str(result.rerun, "run_dir")) + ": " +
            OrDash(Str(result.rerun, "overall"));
  }
  return line;
}

}  // namespace madre::cli
