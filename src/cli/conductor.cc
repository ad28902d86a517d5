#include "cli/conductor.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <system_error>

#include "adapters/host/host_metrics.h"
#include "cli/exit_codes.h"
#include "cli/flow_runner.h"
#include "cli/render.h"
#include "cli/window_json.h"

namespace madre::cli {

using host::CpuBetween;
using host::CpuTimes;
using host::CpuUsage;
using host::MemInfo;
using host::ReadCpuTimes;
using host::ReadLoadavg;
using host::ReadMeminfo;
using nlohmann::json;

namespace {

constexpr char kPreflight[] = "preflight";
constexpr char kThrottle[] = "throttle_check";
constexpr char kOpen[] = "window_open";
constexpr char kHealth[] = "health";
constexpr char kAvailability[] = "availability";
constexpr char kMetrics[] = "metrics";
constexpr char kClose[] = "window_close";
constexpr char kSoloVerify[] = "solo_madre_verify";
constexpr char kFlows[] = "flows";

std::string Percent(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", value);
  return buf;
}

double Round1(double value) {
  return static_cast<double>(static_cast<long long>(value * 10 + 0.5)) / 10;
}

Status WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Internal("cannot write " + path.string());
  out << content;
  out.close();
  if (!out) return Status::Internal("cannot write " + path.string());
  return Status::Ok();
}

// The services of `window` (a window object) that are not ready, in its order.
std::vector<std::string> NotReadyServices(const json& window) {
  std::vector<std::string> out;
  const json& w = WindowOf(window);
  if (!w.is_object() || !w.contains("services_status") || !w["services_status"].is_object()) {
    return out;
  }
  const json& statuses = w["services_status"];
  std::vector<std::string> services = WindowServices(w);
  for (const std::string& service : services) {
    if (!statuses.contains(service) ||
        ClassifyService(statuses[service]) != ServiceCondition::kReady) {
      out.push_back(service);
    }
  }
  return out;
}

PhaseResult WithServices(PhaseResult result, std::vector<std::string> services) {
  result.services = std::move(services);
  return result;
}

std::string HttpFailure(const ApiResponse& r) {
  if (r.http_status == 0) return r.detail;
  return "HTTP " + std::to_string(r.http_status) + ": " + r.detail;
}

// Runs the phases in order and keeps what the report files need.
class ConductorRun {
 public:
  ConductorRun(const ConductorOptions& options, const ConductorDeps& deps)
      : options_(options), deps_(deps) {}

  ConductorReport Run();

 private:
  using PhaseBody = PhaseResult (ConductorRun::*)();

  void RunPhase(const char* name, PhaseBody body);
  void RunPhase(const std::string& name, const std::function<PhaseResult()>& body);
  void SkipPhase(const char* name, const std::string& why);
  TimePoint Now() const { return deps_.clock.Now(); }
  ApiResponse Get(const std::string& path) { return CallApi(deps_.madre, "GET", path); }

  PhaseResult Preflight();
  PhaseResult ThrottleCheck();
  PhaseResult WindowOpen();
  PhaseResult Health();
  PhaseResult Availability();
  PhaseResult Metrics();
  PhaseResult WindowClose();
  PhaseResult SoloMadreVerify();
  // The flows of the window's services (GET /madre/power/flows and options_.flows); a load
  // failure is a failing `flows` phase.
  void RunFlows();
  PhaseResult RunOneFlow(const Flow& flow);
  std::vector<std::string> WindowServices() const;
  json Latency();

  Result<CpuUsage> SampleCpu();
  PhaseResult Outcome(PhaseStatus status, std::string detail) {
    return PhaseResult{"", status, 0, std::move(detail)};
  }
  void CollectLogs();
  void WriteRunDirectory();
  std::string RunLogMarkdown() const;
  std::string ServicesHealthText() const;

  const ConductorOptions& options_;
  const ConductorDeps& deps_;
  ConductorReport report_;
  int abort_exit_code_ = 0;  // set when preflight could not reach or authenticate
  std::optional<std::int64_t> audit_after_seq_;
  json window_ = nullptr;  // the last window object seen
  json close_answer_ = nullptr;
  json status_answer_ = nullptr;  // GET /madre/power/status (metrics phase)
  std::string status_error_;
  json metrics_ = json::object();
  json throttle_samples_ = json::array();
  std::vector<std::string> availability_lines_;
  std::vector<std::string> flow_lines_;
  json health_urls_ = json::object();  // from GET /madre/power/flows
  std::vector<Flow> flows_run_;        // the flows of the window's services, in id order
  bool window_opened_ = false;         // window_open ok: its services are up
  json audit_records_ = json::array();
  std::string audit_note_;
};

void ConductorRun::RunPhase(const char* name, PhaseBody body) {
  RunPhase(std::string(name), [this, body] { return (this->*body)(); });
}

void ConductorRun::RunPhase(const std::string& name, const std::function<PhaseResult()>& body) {
  const TimePoint start = Now();
  PhaseResult result;
  if (options_.force_fail == name) {
    result.status = PhaseStatus::kFail;
    result.detail = "forced failure (--force-fail " + name + ")";
  } else {
    result = body();
  }
  result.name = name;
  result.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Now() - start).count();
  if (deps_.progress) {
    deps_.progress("[" + name + "] " + PhaseStatusName(result.status) + " (" +
                   FormatSeconds(Now() - start) + ")" +
                   (result.detail.empty() ? "" : ": " + result.detail));
  }
  report_.phases.push_back(std::move(result));
}

void ConductorRun::SkipPhase(const char* name, const std::string& why) {
  PhaseResult result{name, PhaseStatus::kError, 0, "skipped: " + why};
  if (deps_.progress) deps_.progress(std::string("[") + name + "] error: " + result.detail);
  report_.phases.push_back(std::move(result));
}

ConductorReport ConductorRun::Run() {
  report_.reason = options_.reason;
  report_.options = options_.recorded_args;
  report_.started_at = Now();

  RunPhase(kPreflight, &ConductorRun::Preflight);
  const bool preflight_failed = report_.phases.back().status == PhaseStatus::kFail ||
                                report_.phases.back().status == PhaseStatus::kError;
  if (preflight_failed) {
    for (const char* name :
         {kThrottle, kOpen, kHealth, kAvailability, kMetrics, kClose, kSoloVerify}) {
      SkipPhase(name, "preflight failed");
    }
  } else {
    RunPhase(kThrottle, &ConductorRun::ThrottleCheck);
    RunPhase(kOpen, &ConductorRun::WindowOpen);
    const bool have_window = !report_.window_id.empty();
    const bool window_opened = have_window && report_.phases.back().status == PhaseStatus::kOk;
    window_opened_ = window_opened;
    if (window_opened) {
      RunPhase(kHealth, &ConductorRun::Health);
      RunPhase(kAvailability, &ConductorRun::Availability);
      RunFlows();
    } else {
      SkipPhase(kHealth, "window_open failed");
      SkipPhase(kAvailability, "window_open failed");
    }
    RunPhase(kMetrics, &ConductorRun::Metrics);
    // Always close what was opened, whatever failed before.
    if (have_window) {
      RunPhase(kClose, &ConductorRun::WindowClose);
    } else {
      SkipPhase(kClose, "no window was opened, nothing to close");
    }
    RunPhase(kSoloVerify, &ConductorRun::SoloMadreVerify);
    CollectLogs();
  }

  report_.finished_at = Now();
  report_.services = WindowServices();
  bool any_failed = false;
  for (const PhaseResult& phase : report_.phases) {
    if (phase.status == PhaseStatus::kFail || phase.status == PhaseStatus::kTimeout ||
        phase.status == PhaseStatus::kError) {
      any_failed = true;
    }
  }
  report_.overall = report_.AllOk() ? "ok" : any_failed ? "fail" : "degraded";
  report_.exit_code = abort_exit_code_ != 0 ? abort_exit_code_
                      : report_.AllOk()     ? kExitOk
                                            : kExitError;
  WriteRunDirectory();
  if (!report_.write_error.empty() && report_.exit_code == kExitOk) report_.exit_code = kExitError;
  return report_;
}

PhaseResult ConductorRun::Preflight() {
  // While madre's start-up reconcile runs (the always-on services starting, leftovers being
  // stopped), SOLO_MADRE is not reached yet: wait for it, bounded, instead of reporting that.
  const TimePoint start = Now();
  const TimePoint deadline = start + options_.startup_wait;
  std::optional<TimePoint> next_note;
  ApiResponse health, solo;
  for (;;) {
    health = Get("/health");
    // Not listening yet (the conductor started right after `madre serve`): wait for it too.
    const bool no_connect = !health.ok() && health.exit_code == kExitNoConnect;
    if (!health.ok() && (!no_connect || Now() >= deadline)) {
      abort_exit_code_ = health.exit_code == kExitNoConnect || health.exit_code == kExitTimeout
                             ? health.exit_code
                             : kExitError;
      const std::string waited =
          no_connect && options_.startup_wait > Duration::zero()
              ? " (waited " + FormatHumanDuration(options_.startup_wait) + ", --startup-wait)"
              : "";
      return Outcome(PhaseStatus::kError, "madre /health: " + HttpFailure(health) + waited);
    }
    // An older madre has no "ready": it counts as ready.
    std::string starting;
    if (no_connect) {
      starting = "not answering yet: " + HttpFailure(health);
    } else if (health.body.is_object() && health.body.contains("ready") &&
               health.body["ready"].is_boolean() && !health.body["ready"].get<bool>()) {
      starting = "GET /health says \"ready\": false";
    } else {
      solo = Get("/madre/power/policy/solo_madre/status");
      if (solo.http_status == 503 && solo.detail.find("madre is starting") != std::string::npos) {
        starting = "solo_madre status: " + HttpFailure(solo);
      }
    }
    if (starting.empty()) break;
    const TimePoint now = Now();
    if (now >= deadline) {
      return Outcome(PhaseStatus::kFail,
                     "madre's start-up reconcile still running after " +
                         FormatHumanDuration(options_.startup_wait) + " (" + starting +
                         "); see its log and GET /madre/power/status, or wait longer with "
                         "--startup-wait");
    }
    if (deps_.progress && (!next_note || now >= *next_note)) {
      deps_.progress(std::string("[") + kPreflight + "] waiting for madre" +
                     (no_connect ? " to answer" : "'s start-up reconcile") + " (" +
                     FormatSeconds(now - start) + " of " +
                     FormatHumanDuration(options_.startup_wait) + ")...");
      next_note = now + options_.startup_progress_every;
    }
    deps_.sleep(std::min<Duration>(options_.startup_poll, deadline - now));
  }
  const Duration waited = Now() - start;
  std::vector<std::string> notes;
  if (Str(health.body, "status") != "ok") {
    notes.push_back("madre /health status is '" + Str(health.body, "status") + "'");
  }
  if (!solo.ok()) {
    if (solo.exit_code == kExitAuth || solo.exit_code == kExitNoConnect) {
      abort_exit_code_ = solo.exit_code;
      return Outcome(PhaseStatus::kError, "solo_madre status: " + HttpFailure(solo));
    }
    notes.push_back("solo_madre status unavailable: " + HttpFailure(solo));
  } else if (!Bool(solo.body, "policy_active")) {
    notes.push_back("not SOLO_MADRE at start (running: " +
                    JoinOrDash(StrList(solo.body, "running_services")) + ")");
  }
  // Remember where the audit stands, to fetch exactly this run's records at the end.
  ApiResponse audit = Get("/madre/power/audit?limit=1");
  if (audit.ok()) {
    json records = AuditRecords(audit.body);
    audit_after_seq_ = records.empty() ? 0 : Int(records[0], "seq").value_or(0);
  }
  const std::string after = waited > Duration::zero()
                                ? " (after " + FormatSeconds(waited) + " of start-up reconcile)"
                                : "";
  if (!notes.empty()) {
    std::string detail;
    for (const std::string& note : notes) detail += (detail.empty() ? "" : "; ") + note;
    return Outcome(PhaseStatus::kDegraded, detail + after);
  }
  return Outcome(PhaseStatus::kOk,
                 "madre " + Str(health.body, "version") + " healthy; SOLO_MADRE active" + after);
}

Result<CpuUsage> ConductorRun::SampleCpu() {
  ASSIGN_OR_RETURN(CpuTimes before, ReadCpuTimes(deps_.proc_root));
  deps_.sleep(options_.cpu_sample_gap);
  ASSIGN_OR_RETURN(CpuTimes after, ReadCpuTimes(deps_.proc_root));
  return CpuBetween(before, after);
}

PhaseResult ConductorRun::ThrottleCheck() {
  const std::string threshold = Percent(options_.cpu_threshold);
  for (int attempt = 0;; ++attempt) {
    Result<CpuUsage> usage = SampleCpu();
    if (!usage.ok()) {
      return Outcome(PhaseStatus::kDegraded,
                     "cannot measure host CPU: " + usage.status().message());
    }
    throttle_samples_.push_back({{"attempt", attempt},
                                 {"at", FormatRfc3339(Now())},
                                 {"cpu_percent", Round1(usage->cpu_percent)}});
    if (usage->cpu_percent <= options_.cpu_threshold) {
      std::string detail = "host CPU " + Percent(usage->cpu_percent) + " <= " + threshold;
      if (attempt > 0) detail += " after " + std::to_string(attempt) + " retries";
      return Outcome(PhaseStatus::kOk, detail);
    }
    if (attempt >= options_.throttle_retries) {
      return Outcome(PhaseStatus::kDegraded, "host CPU " + Percent(usage->cpu_percent) +
                                                 " still above " + threshold + " after " +
                                                 std::to_string(attempt) + " retries; continuing");
    }
    deps_.sleep(options_.throttle_wait);
  }
}

PhaseResult ConductorRun::WindowOpen() {
  json body = {{"services", options_.services},
               {"ttl_sec", options_.ttl_sec},
               {"hold", false},
               {"wait", false},
               {"reason", options_.reason}};
  ApiResponse r = CallApi(deps_.madre, "POST", "/madre/power/windows/open", body);
  if (!r.ok()) {
    // A window that failed at open (500) is still named in the answer: keep its id so the
    // report names it and the close phase checks that nothing is left open.
    if (r.body.is_object() && !Str(r.body, "window_id").empty()) {
      window_ = r.body;
      report_.window_id = Str(r.body, "window_id");
    }
    return WithServices(Outcome(PhaseStatus::kFail, "open refused: " + HttpFailure(r)),
                        NotReadyServices(window_));
  }
  window_ = WindowOf(r.body);
  report_.window_id = Str(window_, "window_id");
  if (report_.window_id.empty()) {
    return Outcome(PhaseStatus::kError, "open answered without a window_id: " + DumpJson(r.body));
  }
  if (Str(window_, "state") == "failed") {
    return WithServices(
        Outcome(PhaseStatus::kFail,
                "window " + report_.window_id + " failed at open: " + Str(window_, "error")),
        NotReadyServices(window_));
  }
  return Outcome(PhaseStatus::kOk, "window " + report_.window_id + " " + Str(window_, "state") +
                                       " for " + JoinOrDash(options_.services) + ", ttl " +
                                       std::to_string(options_.ttl_sec) + "s");
}

PhaseResult ConductorRun::Health() {
  const TimePoint deadline = Now() + options_.health_timeout;
  const std::string path = "/madre/power/windows/" + EscapePathSegment(report_.window_id);
  std::string last_error;
  for (;;) {
    ApiResponse r = Get(path);
    std::vector<std::string> ready, failed, pending, failed_names;
    if (r.ok()) {
      window_ = WindowOf(r.body);
      const json empty = json::object();
      const json& statuses =
          window_.contains("services_status") ? window_["services_status"] : empty;
      for (const std::string& service : options_.services) {
        const json& st = statuses.contains(service) ? statuses[service] : empty;
        switch (ClassifyService(st)) {
          case ServiceCondition::kReady:
            ready.push_back(service);
            break;
          case ServiceCondition::kFailed:
            failed.push_back(service + " (" + Str(st, "state") +
                             (Str(st, "error").empty() ? "" : ": " + Str(st, "error")) + ")");
            failed_names.push_back(service);
            break;
          case ServiceCondition::kPending:
            pending.push_back(service);
            break;
        }
      }
      const std::string state = Str(window_, "state");
      std::vector<std::string> not_ready = failed_names;
      not_ready.insert(not_ready.end(), pending.begin(), pending.end());
      if (WindowEnded(window_)) {
        return WithServices(Outcome(PhaseStatus::kFail,
                                    "window " + state + " (" + Str(window_, "close_reason") +
                                        Str(window_, "error") + "); failed: " + JoinOrDash(failed)),
                            not_ready);
      }
      if (failed.empty() && (pending.empty() || state == "open")) {
        return Outcome(PhaseStatus::kOk, "all " + std::to_string(options_.services.size()) +
                                             " services ready: " + JoinOrDash(options_.services));
      }
      if (pending.empty()) {  // settled: some failed
        return WithServices(
            Outcome(ready.empty() ? PhaseStatus::kFail : PhaseStatus::kPartial,
                    "ready: " + JoinOrDash(ready) + "; failed: " + JoinOrDash(failed)),
            failed_names);
      }
    } else if (r.exit_code == kExitNotFound) {
      return Outcome(PhaseStatus::kFail, "window disappeared: " + HttpFailure(r));
    } else {
      last_error = HttpFailure(r);
    }
    if (Now() >= deadline) {
      std::string detail = "not ready after " + FormatHumanDuration(options_.health_timeout) +
                           "; ready: " + JoinOrDash(ready) + "; pending: " + JoinOrDash(pending);
      if (!failed.empty()) detail += "; failed: " + JoinOrDash(failed);
      if (!last_error.empty()) detail += "; last error: " + last_error;
      std::vector<std::string> not_ready = failed_names;
      not_ready.insert(not_ready.end(), pending.begin(), pending.end());
      return WithServices(
          Outcome(ready.empty() ? PhaseStatus::kTimeout : PhaseStatus::kPartial, detail),
          not_ready);
    }
    deps_.sleep(options_.health_poll);
  }
}

PhaseResult ConductorRun::Availability() {
  const auto defaults = DefaultAvailabilityChecks();
  int services_ok = 0, services_checked = 0;
  std::vector<std::string> unchecked, failures, failed_services;
  for (const std::string& service : options_.services) {
    std::vector<AvailabilityCheck> checks;
    if (auto it = options_.checks.find(service); it != options_.checks.end()) {
      checks = it->second;
    } else if (auto d = defaults.find(service); d != defaults.end()) {
      checks = d->second;
    }
    if (checks.empty()) {
      unchecked.push_back(service);
      availability_lines_.push_back(service + ": no check configured (use --check " + service +
                                    "=URL)");
      continue;
    }
    ++services_checked;
    bool service_ok = true;
    for (const AvailabilityCheck& check : checks) {
      std::string outcome;
      bool passed = false;
      for (int attempt = 1; attempt <= std::max(1, options_.availability_attempts); ++attempt) {
        Result<HttpReply> reply = deps_.probe.Send("GET", check.url, "");
        if (reply.ok()) {
          passed = std::find(check.accepted.begin(), check.accepted.end(), reply->status) !=
                   check.accepted.end();
          outcome = "HTTP " + std::to_string(reply->status);
        } else {
          outcome = reply.status().message();
        }
        if (passed) break;
        if (attempt < options_.availability_attempts) deps_.sleep(options_.availability_retry);
      }
      availability_lines_.push_back(service + ": GET " + check.url + " -> " + outcome +
                                    (passed ? " ok" : " FAIL"));
      if (!passed) {
        service_ok = false;
        failures.push_back(service + " " + check.url + " (" + outcome + ")");
      }
    }
    if (service_ok) {
      ++services_ok;
    } else {
      failed_services.push_back(service);
    }
  }
  std::string detail =
      std::to_string(services_ok) + "/" + std::to_string(services_checked) + " services available";
  if (!failures.empty()) detail += "; failed: " + JoinOrDash(failures);
  if (!unchecked.empty()) detail += "; no check for: " + JoinOrDash(unchecked);
  if (services_checked == 0) return Outcome(PhaseStatus::kDegraded, detail);
  if (services_ok == services_checked) return Outcome(PhaseStatus::kOk, detail);
  return WithServices(
      Outcome(services_ok == 0 ? PhaseStatus::kFail : PhaseStatus::kPartial, detail),
      failed_services);
}

std::vector<std::string> ConductorRun::WindowServices() const {
  std::vector<std::string> services = StrList(WindowOf(window_), "effective_services");
  return services.empty() ? options_.services : services;
}

void ConductorRun::RunFlows() {
  std::map<std::string, Flow> by_id;  // sorted: the phases run in id order
  std::vector<std::string> errors;
  ApiResponse declared = Get("/madre/power/flows");
  if (declared.ok() && declared.body.is_object()) {
    if (declared.body.contains("health_urls") && declared.body["health_urls"].is_object())
      health_urls_ = declared.body["health_urls"];
    for (const json& e : declared.body.value("errors", json::array())) {
      if (e.is_string()) errors.push_back(e.get<std::string>());
    }
    for (const json& j : declared.body.value("flows", json::array())) {
      Result<Flow> flow = FlowFromJson(j);
      if (flow.ok()) {
        by_id[flow->Id()] = *flow;
      } else {
        errors.push_back(flow.status().message());
      }
    }
  } else if (declared.http_status != 404) {  // 404: a madre without flows
    errors.push_back("GET /madre/power/flows: " + HttpFailure(declared));
  }
  for (const Flow& flow : options_.flows) by_id[flow.Id()] = flow;
  const std::vector<std::string> services = WindowServices();
  std::vector<const Flow*> to_run;
  for (const auto& [id, flow] : by_id) {
    const bool in_window =
        std::find(services.begin(), services.end(), flow.service) != services.end();
    if (options_.only_flow.empty() ? in_window : id == options_.only_flow) to_run.push_back(&flow);
  }
  if (!options_.only_flow.empty() && to_run.empty()) {
    std::vector<std::string> ids;
    for (const auto& [id, flow] : by_id) ids.push_back(id);
    errors.push_back("no flow " + options_.only_flow + " (declared: " + JoinOrDash(ids) + ")");
  }
  if (!errors.empty()) {
    RunPhase(kFlows, [&] { return Outcome(PhaseStatus::kFail, JoinOrDash(errors, "; ")); });
  }
  for (const Flow* flow : to_run) {
    flows_run_.push_back(*flow);
    RunPhase("flow:" + flow->Id(), [this, flow] { return RunOneFlow(*flow); });
  }
}

PhaseResult ConductorRun::RunOneFlow(const Flow& flow) {
  FlowReport report = RunFlow(flow, deps_.probe, deps_.clock, deps_.sleep);
  flow_lines_.push_back(flow.Id() + ": " + (report.ok ? "ok" : "FAIL") + " in " +
                        std::to_string(report.elapsed_ms) + " ms");
  for (const FlowStepReport& step : report.steps) {
    flow_lines_.push_back(
        "  " + step.request + " -> " +
        (step.status ? "HTTP " + std::to_string(step.status) : "no answer") +
        (step.polls > 1 ? " after " + std::to_string(step.polls) + " polls" : "") +
        (step.ok ? " ok" : " FAIL: " + step.why) + "; answer: " + step.excerpt);
  }
  if (report.ok) {
    return Outcome(PhaseStatus::kOk, std::to_string(report.steps.size()) + " step" +
                                         (report.steps.size() == 1 ? "" : "s") + " in " +
                                         std::to_string(report.elapsed_ms) + " ms");
  }
  const std::string excerpt = report.steps.empty() ? "" : report.steps.back().excerpt;
  return WithServices(
      Outcome(PhaseStatus::kFail,
              report.failure + (excerpt.empty() ? "" : "; answer: " + AnswerExcerpt(excerpt, 200))),
      {flow.service});
}

json ConductorRun::Latency() {
  json out = json::object();
  if (!window_opened_ || options_.latency_samples <= 0) return out;
  for (const std::string& service : WindowServices()) {
    // Its HTTP probe (vx11.health.url), else the first request of its first flow when that is a
    // GET needing no capture; else none.
    std::string url;
    if (health_urls_.contains(service) && health_urls_[service].is_string()) {
      url = health_urls_[service].get<std::string>();
    } else {
      for (const Flow& flow : flows_run_) {
        if (flow.service != service || flow.steps.empty()) continue;
        const FlowStep& first = flow.steps.front();
        if (first.method == "GET" && first.url.find("${") == std::string::npos) url = first.url;
        break;
      }
    }
    if (url.empty()) {
      out[service] = "n/a";
      continue;
    }
    std::vector<double> ms;
    int errors = 0;
    for (int i = 0; i < options_.latency_samples; ++i) {
      const TimePoint sent = Now();
      Result<HttpReply> reply = deps_.probe.Send("GET", url, "");
      if (!reply.ok() || reply->status / 100 != 2) {
        ++errors;
        continue;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Now() - sent).count());
    }
    json entry = {{"url", url}, {"n", ms.size()}, {"errors", errors}};
    if (!ms.empty()) {
      std::sort(ms.begin(), ms.end());
      auto rank = [&ms](double q) {  // nearest rank
        const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size())));
        return Round1(ms[std::min(ms.size() - 1, k == 0 ? 0 : k - 1)]);
      };
      entry["p50_ms"] = rank(0.50);
      entry["p95_ms"] = rank(0.95);
      entry["max_ms"] = Round1(ms.back());
    }
    out[service] = entry;
  }
  return out;
}

PhaseResult ConductorRun::Metrics() {
  std::vector<std::string> missing;
  json host = json::object();
  if (Result<CpuUsage> cpu = SampleCpu(); cpu.ok()) {
    host["cpu_percent"] = Round1(cpu->cpu_percent);
    host["iowait_percent"] = Round1(cpu->iowait_percent);
  } else {
    missing.push_back(cpu.status().message());
  }
  if (Result<MemInfo> mem = ReadMeminfo(deps_.proc_root); mem.ok()) {
    host["mem_total_bytes"] = mem->total_bytes;
    host["mem_used_bytes"] = mem->used_bytes();
    host["mem_used_percent"] = mem->total_bytes
                                   ? Round1(100.0 * static_cast<double>(mem->used_bytes()) /
                                            static_cast<double>(mem->total_bytes))
                                   : 0.0;
  } else {
    missing.push_back(mem.status().message());
  }
  if (Result<std::array<double, 3>> load = ReadLoadavg(deps_.proc_root); load.ok()) {
    host["load_avg"] = {(*load)[0], (*load)[1], (*load)[2]};
  } else {
    missing.push_back(load.status().message());
  }

  json containers = json::array();
  ApiResponse status = Get("/madre/power/status?stats=1");  // CPU/memory per container (~1 s)
  if (status.ok()) {
    status_answer_ = status.body;
    if (status.body.is_object() && status.body.contains("services") &&
        status.body["services"].is_array()) {
      for (const json& s : status.body["services"]) {
        if (!s.is_object()) continue;
        json entry = {{"service", Str(s, "service")}, {"container", Str(s, "container")}};
        bool has_figures = false;
        for (const char* key :
             {"cpu_percent", "memory_bytes", "memory_limit_bytes", "memory_percent"}) {
          if (s.contains(key)) {
            entry[key] = s[key];
            has_figures = true;
          }
        }
        if (has_figures) containers.push_back(entry);
      }
    }
  } else {
    status_error_ = HttpFailure(status);
  }
  metrics_ = {{"collected_at", FormatRfc3339(Now())},
              {"host", host},
              {"throttle_samples", throttle_samples_},
              {"containers", containers},
              {"latency", Latency()}};
  if (containers.empty()) {
    metrics_["containers_note"] =
        status.ok() ? "madre's /madre/power/status does not report per-container CPU/memory"
                    : "GET /madre/power/status failed: " + status_error_;
  }

  std::string detail;
  if (host.contains("cpu_percent")) {
    detail += "cpu " + Percent(host["cpu_percent"].get<double>()) + ", iowait " +
              Percent(host["iowait_percent"].get<double>());
  }
  if (host.contains("mem_used_bytes")) {
    detail += std::string(detail.empty() ? "" : ", ") + "mem " +
              std::to_string(host["mem_used_bytes"].get<std::uint64_t>() >> 20) + "/" +
              std::to_string(host["mem_total_bytes"].get<std::uint64_t>() >> 20) + " MiB";
  }
  detail += std::string(detail.empty() ? "" : ", ") + std::to_string(containers.size()) +
            " containers with figures";
  if (missing.size() == 3)
    return Outcome(PhaseStatus::kError, "no host metrics: " + JoinOrDash(missing, "; "));
  if (!missing.empty())
    return Outcome(PhaseStatus::kPartial, detail + "; missing: " + JoinOrDash(missing, "; "));
  return Outcome(PhaseStatus::kOk, detail);
}

PhaseResult ConductorRun::WindowClose() {
  ApiResponse r = CallApi(deps_.madre, "POST", "/madre/power/windows/close",
                          json{{"window_id", report_.window_id}});
  if (r.ok()) {
    close_answer_ = r.body;
    const json& w = WindowOf(r.body);
    return Outcome(PhaseStatus::kOk,
                   "window " + report_.window_id + " " + Str(w, "state") +
                       "; stopped: " + JoinOrDash(StrList(w, "services_stopped")));
  }
  // The window may have ended on its own (TTL, failure): then there is nothing left to close.
  ApiResponse g = Get("/madre/power/windows/" + EscapePathSegment(report_.window_id));
  if (g.ok()) {
    window_ = WindowOf(g.body);
    const std::string state = Str(window_, "state");
    if (state == "closed" || state == "failed") {
      return Outcome(PhaseStatus::kOk,
                     "window already " + state + " (" + Str(window_, "close_reason") + ")");
    }
  }
  return Outcome(PhaseStatus::kFail, "close failed: " + HttpFailure(r));
}

PhaseResult ConductorRun::SoloMadreVerify() {
  const TimePoint deadline = Now() + options_.solo_verify_timeout;
  for (;;) {
    ApiResponse r = Get("/madre/power/policy/solo_madre/status");
    std::string why;
    if (r.ok() && Bool(r.body, "policy_active")) {
      return Outcome(PhaseStatus::kOk, "SOLO_MADRE active (running: " +
                                           JoinOrDash(StrList(r.body, "running_services")) + ")");
    }
    why = r.ok()
              ? "policy_active false (running: " + JoinOrDash(StrList(r.body, "running_services")) +
                    "; expected: " + JoinOrDash(StrList(r.body, "expected_services")) + ")"
              : HttpFailure(r);
    if (Now() >= deadline) {
      return Outcome(
          PhaseStatus::kDegraded,
          "not SOLO_MADRE after " + FormatHumanDuration(options_.solo_verify_timeout) + ": " + why);
    }
    deps_.sleep(options_.solo_verify_poll);
  }
}

void ConductorRun::CollectLogs() {
  std::string path = "/madre/power/audit?limit=1000";
  if (audit_after_seq_) path += "&after=" + std::to_string(*audit_after_seq_);
  ApiResponse r = Get(path);
  if (!r.ok()) {
    audit_note_ = "could not fetch the madre audit: " + HttpFailure(r);
    return;
  }
  const std::string started = FormatRfc3339(report_.started_at);
  json records = AuditRecords(r.body);
  for (auto it = records.rbegin(); it != records.rend(); ++it) {  // oldest first
    const bool ours = audit_after_seq_.has_value() ||
                      (!report_.window_id.empty() && Str(*it, "window_id") == report_.window_id) ||
                      Str(*it, "time") >= started;
    if (ours) audit_records_.push_back(*it);
  }
}

std::string ConductorRun::ServicesHealthText() const {
  std::string out = "# Window " + (report_.window_id.empty() ? "-" : report_.window_id) +
                    ": per-service status (last poll)\n";
  if (window_.is_object()) {
    out += RenderWindow(window_);
  } else {
    out += "(no window)\n";
  }
  out += "\n# Availability checks\n";
  if (availability_lines_.empty()) out += "(none run)\n";
  for (const std::string& line : availability_lines_) out += line + "\n";
  out += "\n# Flows\n";
  if (flow_lines_.empty()) out += "(none run)\n";
  for (const std::string& line : flow_lines_) out += line + "\n";
  out += "\n# Health endpoint latency (metrics phase)\n";
  if (!metrics_.contains("latency") || metrics_["latency"].empty()) out += "(not measured)\n";
  const json latency = metrics_.value("latency", json::object());
  for (const auto& [service, l] : latency.items()) {
    out += service + ": " +
           (l.is_object() && l.contains("p50_ms")
                ? "p50 " + DumpJson(l["p50_ms"]) + " ms, p95 " + DumpJson(l["p95_ms"]) +
                      " ms, max " + DumpJson(l["max_ms"]) + " ms over " + DumpJson(l["n"]) +
                      " requests to " + l["url"].get<std::string>()
                : DumpJson(l)) +
           "\n";
  }
  out += "\n# GET /madre/power/status (metrics phase)\n";
  if (!status_answer_.is_null()) {
    out += RenderServiceStatus(status_answer_) + "\n" + DumpJson(status_answer_, 2) + "\n";
  } else {
    out += status_error_.empty() ? "(not fetched)\n" : "failed: " + status_error_ + "\n";
  }
  return out;
}

std::string ConductorRun::RunLogMarkdown() const {
  std::string md = "# madre E2E conductor run\n\n";
  md += "- **Reason:** " + report_.reason + "\n";
  md += "- **madre:** " + (options_.madre_url.empty() ? "-" : options_.madre_url) + "\n";
  md += "- **Services:** " + JoinOrDash(options_.services) + " (ttl " +
        std::to_string(options_.ttl_sec) + "s)\n";
  md += "- **Window:** " + (report_.window_id.empty() ? "none opened" : report_.window_id) + "\n";
  md += "- **Started:** " + FormatRfc3339(report_.started_at) + "\n";
  md += "- **Finished:** " + FormatRfc3339(report_.finished_at) + "\n";
  md += "- **Overall:** " + report_.overall + " (exit code " + std::to_string(report_.exit_code) +
        ")\n\n";
  md += "## Phases\n\n| # | phase | status | elapsed | detail |\n| --- | --- | --- | --- | --- |\n";
  int i = 1;
  std::vector<std::string> not_ok;
  for (const PhaseResult& p : report_.phases) {
    std::string detail = p.detail;
    std::replace(detail.begin(), detail.end(), '|', '/');
    std::replace(detail.begin(), detail.end(), '\n', ' ');
    md += "| " + std::to_string(i++) + " | " + p.name + " | " + PhaseStatusName(p.status) + " | " +
          FormatSeconds(std::chrono::milliseconds(p.elapsed_ms)) + " | " + detail + " |\n";
    if (p.status != PhaseStatus::kOk) {
      not_ok.push_back(p.name + " (" + PhaseStatusName(p.status) + "): " + p.detail);
    }
  }
  if (metrics_.contains("latency") && !metrics_["latency"].empty()) {
    md +=
        "\n## Health endpoint latency\n\n| service | p50 ms | p95 ms | max ms | n | URL |\n"
        "| --- | ---: | ---: | ---: | ---: | --- |\n";
    const json latency = metrics_["latency"];
    for (const auto& [service, l] : latency.items()) {
      if (!l.is_object() || !l.contains("p50_ms")) {
        md += "| " + service + " | n/a | | | | |\n";
        continue;
      }
      md += "| " + service + " | " + DumpJson(l["p50_ms"]) + " | " + DumpJson(l["p95_ms"]) + " | " +
            DumpJson(l["max_ms"]) + " | " + DumpJson(l["n"]) + " | " + l.value("url", "") + " |\n";
    }
  }
  md += "\n## Verdict\n\n";
  if (not_ok.empty()) {
    md += "Every phase is ok.\n";
  } else {
    md += "Not every phase is ok. Phases that did not pass:\n\n";
    for (const std::string& line : not_ok) md += "- " + line + "\n";
  }
  md += "\n## Files\n\n";
  md +=
      "- `test_results.json`: reason, times, window id, every phase with status and elapsed "
      "time, overall, and `options` (the command line's settings, for `madre autofix`'s re-run).\n";
  md +=
      "- `metrics.json`: host CPU, I/O wait, memory, load average, throttle samples; "
      "`containers` (per-container CPU/memory when madre reports them); `latency` (per window "
      "service: p50/p95/max ms of GETs to its health endpoint, or \"n/a\").\n";
  md +=
      "- `logs/docker_events.txt`: not raw Docker events but the **madre audit records** of "
      "this run (GET /madre/power/audit), one JSON object per line, oldest first; each "
      "record lists the docker/compose operations madre ran.";
  if (!audit_note_.empty()) md += " Note: " + audit_note_ + ".";
  md +=
      "\n- `logs/services_health.txt`: the window's per-service status at the last poll, the "
      "availability checks, the flows (each request, status and answer excerpt), the latency "
      "figures, and the output of GET /madre/power/status.\n";
  md += "\nRun directory: `" + report_.run_dir.string() + "`\n";
  return md;
}

void ConductorRun::WriteRunDirectory() {
  const std::string base = CompactUtcTimestamp(report_.started_at) + "_E2E_CONDUCTOR";
  std::filesystem::path dir = options_.out_dir / base;
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(dir, ec); ++n) {
    dir = options_.out_dir / (base + "_" + std::to_string(n));
  }
  std::filesystem::create_directories(dir / "logs", ec);
  if (ec) {
    report_.write_error = "cannot create " + (dir / "logs").string() + ": " + ec.message();
    return;
  }
  report_.run_dir = dir;
  std::string audit_lines;
  for (const json& record : audit_records_) audit_lines += DumpJson(record) + "\n";
  const std::pair<std::filesystem::path, std::string> files[] = {
      {dir / "test_results.json", DumpJson(report_.ToJson(), 2) + "\n"},
      {dir / "metrics.json", DumpJson(metrics_, 2) + "\n"},
      {dir / "logs" / "docker_events.txt", audit_lines},
      {dir / "logs" / "services_health.txt", ServicesHealthText()},
      {dir / "CONDUCTOR_RUN_LOG.md", RunLogMarkdown()},
  };
  for (const auto& [path, content] : files) {
    if (Status s = WriteFile(path, content); !s.ok()) {
      report_.write_error = s.message();
      return;
    }
  }
}

}  // namespace

const char* PhaseStatusName(PhaseStatus status) {
  switch (status) {
    case PhaseStatus::kOk:
      return "ok";
    case PhaseStatus::kFail:
      return "fail";
    case PhaseStatus::kTimeout:
      return "timeout";
    case PhaseStatus::kPartial:
      return "partial";
    case PhaseStatus::kDegraded:
      return "degraded";
    case PhaseStatus::kError:
      return "error";
  }
  return "error";
}

const std::vector<std::string>& ConductorPhaseNames() {
  static const std::vector<std::string> kNames = {kPreflight,    kThrottle, kOpen,  kHealth,
                                                  kAvailability, kMetrics,  kClose, kSoloVerify};
  return kNames;
}

std::map<std::string, std::vector<AvailabilityCheck>> DefaultAvailabilityChecks() {
  auto health = [](int port) {
    return AvailabilityCheck{"http://127.0.0.1:" + std::to_string(port) + "/health", {200}};
  };
  return {
      {"tentaculo_link", {health(8000)}},
      {"switch", {health(8002), {"http://127.0.0.1:8002/switch/state", {200, 404}}}},
      {"hermes", {health(8003)}},
      {"hormiguero", {health(8004)}},
      {"mcp", {health(8006)}},
      {"spawner", {health(8008)}},
      {"operator-backend", {health(8011)}},
  };
}

Result<std::pair<std::string, AvailabilityCheck>> ParseCheckFlag(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return Status::InvalidArgument("--check wants SERVICE=URL, got '" + text + "'");
  }
  std::string url = text.substr(eq + 1);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("--check URL must start with http:// or https://: " + url);
  }
  AvailabilityCheck check{url, {}};
  for (int code = 200; code < 300; ++code) check.accepted.push_back(code);
  return std::make_pair(text.substr(0, eq), check);
}

bool ConductorReport::AllOk() const {
  if (phases.empty()) return false;
  return std::all_of(phases.begin(), phases.end(),
                     [](const PhaseResult& p) { return p.status == PhaseStatus::kOk; });
}

json ConductorReport::ToJson() const {
  json phase_list = json::array();
  for (const PhaseResult& p : phases) {
    json phase = {{"name", p.name},
                  {"status", PhaseStatusName(p.status)},
                  {"elapsed_ms", p.elapsed_ms},
                  {"detail", p.detail}};
    if (!p.services.empty()) phase["services"] = p.services;
    phase_list.push_back(std::move(phase));
  }
  json out = {{"reason", reason},
              {"started_at", FormatRfc3339(started_at)},
              {"finished_at", FormatRfc3339(finished_at)},
              {"window_id", window_id.empty() ? json(nullptr) : json(window_id)},
              {"services", services},
              {"phases", phase_list},
              {"overall", overall},
              {"exit_code", exit_code}};
  if (!options.is_null()) out["options"] = options;
  return out;
}

Status RewriteTestResults(const ConductorReport& report) {
  if (report.run_dir.empty()) return Status::FailedPrecondition("no run directory was written");
  return WriteFile(report.run_dir / "test_results.json", DumpJson(report.ToJson(), 2) + "\n");
}

std::string CompactUtcTimestamp(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string RenderConductorSummary(const ConductorReport& report) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> not_ok;
  for (const PhaseResult& p : report.phases) {
    std::string detail = p.detail;
    if (detail.size() > 70) detail = detail.substr(0, 67) + "...";
    rows.push_back({p.name, PhaseStatusName(p.status),
                    FormatSeconds(std::chrono::milliseconds(p.elapsed_ms)), detail});
    if (p.status != PhaseStatus::kOk) not_ok.push_back(p.name + "=" + PhaseStatusName(p.status));
  }
  std::string out = "Conductor run, reason: " + report.reason + "\n";
  out += RenderTable({"PHASE", "STATUS", "ELAPSED", "DETAIL"}, rows);
  if (report.AllOk()) {
    out += "RESULT: OK, all " + std::to_string(report.phases.size()) + " phases ok\n";
  } else {
    std::string upper = report.overall;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    out += "RESULT: " + upper + ", not ok: " + JoinOrDash(not_ok) + "\n";
  }
  if (!report.run_dir.empty()) {
    out += "Report: " + (report.run_dir / "CONDUCTOR_RUN_LOG.md").string() + "\n";
  }
  if (!report.write_error.empty())
    out += "Could not write the report: " + report.write_error + "\n";
  return out;
}

ConductorReport RunConductor(const ConductorOptions& options, const ConductorDeps& deps) {
  ConductorRun run(options, deps);
  return run.Run();
}

}  // namespace madre::cli
