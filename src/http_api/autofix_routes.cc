#include "http_api/autofix_routes.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>

#include "api/diagnosis_view.h"
#include "api/intent_payload.h"
#include "engine/audit_records.h"
#include "http_api/http_common.h"

namespace madre {
namespace {

const ContainerState* ObservedOf(const EngineView& view, const std::string& service) {
  const ContainerState* found = nullptr;
  for (const ContainerState& c : view.observed) {
    if (c.service != service) continue;
    // With several containers (scaled, or a leftover), the running one tells the most.
    if (found == nullptr || (!found->Running() && c.Running())) found = &c;
  }
  return found;
}

}  // namespace

FailureEvidence EvidenceFromView(const EngineView& view, const std::string& service,
                                 std::string* container_id) {
  FailureEvidence e;
  e.service = service;
  auto def = view.model.services.find(service);
  if (def != view.model.services.end()) {
    e.image = def->second.image;
    e.has_build = def->second.build.has_value();
    for (const std::string& dep : def->second.depends_on) {
      const ContainerState* c = ObservedOf(view, dep);
      auto track = view.services.find(dep);
      const bool stopping = track != view.services.end() && !track->second.crashloop &&
                            (track->second.phase == ServicePhase::kStopped ||
                             track->second.phase == ServicePhase::kStopping);
      const bool as_a_stop_leaves_it =
          c != nullptr && c->state == "exited" && c->exit_code &&
          (*c->exit_code == 0 || *c->exit_code == 137 || *c->exit_code == 143);
      e.dependencies.push_back({dep, c != nullptr ? c->state : "", c != nullptr ? c->health : "",
                                stopping && as_a_stop_leaves_it});
    }
  }
  e.always_on = view.config.always_on.count(service) > 0;
  const ContainerState* c = ObservedOf(view, service);
  if (c != nullptr) {
    e.state = c->state;
    e.health = c->health;
    e.exit_code = c->exit_code;
    if (container_id != nullptr) *container_id = c->id.empty() ? c->container : c->id;
  } else if (container_id != nullptr) {
    container_id->clear();
  }
  auto track = view.services.find(service);
  if (track != view.services.end()) {
    if (!track->second.error.empty()) e.error = track->second.error;
    if (track->second.crashloop) e.kind = FailureKind::kCrashLoop;
  }
  if (e.kind != FailureKind::kCrashLoop && e.state == "running" && e.health == "unhealthy") {
    e.kind = FailureKind::kUnhealthy;
  }
  return e;
}

void AddDockerEvidence(FailureEvidence& evidence, FailureEvidence docker) {
  evidence.state = std::move(docker.state);
  evidence.exit_code = docker.exit_code;
  evidence.oom_killed = docker.oom_killed;
  if (!docker.error.empty()) evidence.error = std::move(docker.error);
  evidence.health = std::move(docker.health);
  evidence.health_log = std::move(docker.health_log);
  evidence.log_lines = std::move(docker.log_lines);
  evidence.mounts = std::move(docker.mounts);
  evidence.env_values = std::move(docker.env_values);
  if (!docker.image.empty()) evidence.image = std::move(docker.image);
  if (evidence.kind != FailureKind::kCrashLoop && evidence.state == "running" &&
      evidence.health == "unhealthy") {
    evidence.kind = FailureKind::kUnhealthy;
  }
}

std::string IncidentDirName(TimePoint at, const std::string& service) {
  // FormatRfc3339: "2026-12-03T11:22:33.456Z" -> "20261203T112233Z".
  std::string stamp;
  for (char c : FormatRfc3339(at).substr(0, 19)) {
    if (c != '-' && c != ':') stamp.push_back(c);
  }
  return stamp + "Z_" + service;
}

Status WriteFileDurably(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  bool ok = true;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Internal("cannot write " + path.string());
  }
  return Status::Ok();
}

AutofixRoutes::AutofixRoutes(AutofixOptions options, AutofixDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {}

void AutofixRoutes::Gather(const std::string& service, std::optional<FailureKind> kind,
                           std::function<void(Gathered)> done) {
  const EngineView view = deps_.engine.Snapshot();
  std::string container;
  FailureEvidence evidence = EvidenceFromView(view, service, &container);
  if (kind) evidence.kind = *kind;
  deps_.workers.Submit(
      [this, evidence = std::move(evidence), container, kind, done = std::move(done)]() mutable {
        Gathered out;
        if (!container.empty()) {
          Result<FailureEvidence> docker = deps_.observer.Evidence(container, kLogLines);
          if (docker.ok()) {
            AddDockerEvidence(evidence, std::move(*docker));
            if (kind) evidence.kind = *kind;
          } else if (docker.status().code() != StatusCode::kNotFound) {
            out.failed = docker.status();
          }
        }
        if (out.failed.ok() && deps_.images != nullptr && !evidence.image.empty()) {
          Result<std::string> id = deps_.images->ImageId(evidence.image);
          if (id.ok()) {
            evidence.image_present = !id->empty();
          } else {
            out.failed = id.status();
          }
        }
        out.evidence = std::move(evidence);
        done(std::move(out));
      });
}

void AutofixRoutes::Diagnose(const std::string& service, Responder respond) {
  if (!deps_.engine.Snapshot().model.Has(service)) {
    return respond(ErrorResponse(Status::NotFound("No service " + service)));
  }
  Gather(service, std::nullopt, [this, respond = std::move(respond)](Gathered got) mutable {
    const FailureKind kind = got.evidence.kind;
    const Diagnosis diagnosis = got.failed.ok() ? madre::Diagnose(got.evidence) : Diagnosis{};
    deps_.loop.Submit(
        [failed = std::move(got.failed), diagnosis, kind, respond = std::move(respond)]() mutable {
          if (!failed.ok()) {
            return respond(
                ErrorResponse(Status::Unavailable("Docker did not answer: " + failed.message())));
          }
          respond(JsonResponse(200, DiagnosisView(diagnosis, kind)));
        });
  });
}

AutofixRoutes::Incident* AutofixRoutes::Find(const std::string& id) {
  auto it = incidents_.find(id);
  return it == incidents_.end() ? nullptr : &it->second;
}

void AutofixRoutes::WriteFile(const Incident& incident, const std::string& name,
                              const std::string& text) {
  if (incident.dir.empty()) return;
  const std::filesystem::path path = incident.dir / name;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  Status written = ec ? Status::Internal("cannot create " + path.parent_path().string())
                      : WriteFileDurably(path, text);
  if (!written.ok()) spdlog::warn("autofix: forensic record: {}", written.message());
}

nlohmann::json AutofixRoutes::IncidentView(const Incident& incident) const {
  nlohmann::json cycles = nlohmann::json::array();
  for (const Cycle& c : incident.cycles) {
    const Remediation& r = c.proposal.remediation;
    cycles.push_back({{"cycle", c.n},
                      {"failure", FailureKindName(c.kind)},
                      {"cause", FailureCauseName(c.diagnosis.cause)},
                      {"evidence", c.diagnosis.evidence},
                      {"remediation",
                       {{"kind", RemediationKindName(r.kind)},
                        {"target", r.target},
                        {"risk", RiskName(RemediationRisk(r.kind))},
                        {"text", r.text}}},
                      {"from_adviser", c.proposal.from_adviser},
                      {"intent_id", c.intent_id},
                      {"approval", c.approval},
                      {"applied", c.applied},
                      {"result", c.applied || !c.result.empty() ? nlohmann::json(c.result)
                                                                : nlohmann::json(nullptr)},
                      {"retest", c.fixed ? nlohmann::json(*c.fixed ? "fixed" : "not_fixed")
                                         : nlohmann::json(nullptr)},
                      {"retest_evidence", c.retest_evidence},
                      {"adviser", c.adviser}});
  }
  return {{"incident", incident.id},
          {"service", incident.service},
          {"kind", FailureKindName(incident.kind)},
          {"window_id", incident.window_id},
          {"phase", incident.phase},
          {"detail", incident.detail},
          {"state", IncidentStateName(incident.state)},
          {"final", IsFinal(incident.state)},
          {"started_at", FormatRfc3339(incident.started)},
          {"cycles", std::move(cycles)},
          {"max_cycles", options_.policy.max_cycles},
          {"auto_actions", AutoActionsText(options_.policy.auto_actions)},
          {"forensic_dir", incident.dir.string()}};
}

void AutofixRoutes::WriteSummary(const Incident& incident) {
  nlohmann::json summary = IncidentView(incident);
  summary["detail"] = incident.detail;
  summary["run_dir"] = incident.run_dir;
  summary["hold_window"] = incident.hold_window;
  WriteFile(incident, "autofix_summary.json", summary.dump(2) + "\n");
}

void AutofixRoutes::Finish(Incident& incident, IncidentState state) {
  incident.state = state;
  auto it = open_.find(incident.service);
  if (it != open_.end() && it->second == incident.id) open_.erase(it);
  WriteSummary(incident);
  spdlog::info("autofix: incident {} {}", incident.id, IncidentStateName(state));
  if (!incident.hold_window.empty()) {
    // Nothing asked for the service but the re-test: it goes back to rest (a window that
    // wants it meanwhile keeps it up).
    // Later on the loop: Finish can run inside an engine reply, which must not re-enter it.
    const std::string hold = std::exchange(incident.hold_window, "");
    const std::string service = incident.service;
    std::weak_ptr<bool> alive = alive_;
    deps_.loop.Submit([this, alive, hold, service] {
      auto still = alive.lock();
      if (!still || !*still) return;
      deps_.engine.Close(hold, "autofix", [hold, service](Result<Window> closed) {
        if (!closed.ok()) {
          spdlog::warn("autofix: cannot close the service hold {} of {}: {}", hold, service,
                       closed.status().message());
        }
      });
    });
  }
}

std::string AutofixRoutes::StartIncident(const std::string& service, FailureKind kind,
                                         const std::string& window_id) {
  if (options_.forensic_dir.empty()) return "";
  if (auto it = open_.find(service); it != open_.end()) {
    Incident* open = Find(it->second);
    if (open != nullptr) RefreshApproval(*open);
    if (open_.count(service)) return open_.at(service);
  }
  std::string name = IncidentDirName(deps_.engine.Now(), service);
  std::string& last = last_names_[service];
  for (int n = 2; incidents_.count(name) || name == last; ++n) {
    name = IncidentDirName(deps_.engine.Now(), service) + "-" + std::to_string(n);
  }
  last = name;
  Incident incident;
  incident.id = name;
  incident.service = service;
  incident.kind = kind;
  incident.window_id = window_id;
  incident.dir = options_.forensic_dir / name;
  incident.started = deps_.engine.Now();
  incidents_[name] = std::move(incident);
  open_[service] = name;
  RunCycle(name);
  return name;
}

void AutofixRoutes::RunCycle(const std::string& id) {
  Incident* incident = Find(id);
  if (incident == nullptr) return;
  incident->state = IncidentState::kDiagnosing;
  const int n = static_cast<int>(incident->cycles.size()) + 1;
  const FailureKind kind = n == 1 ? incident->kind : FailureKind::kReadiness;
  std::weak_ptr<bool> alive = alive_;
  const std::filesystem::path dir = incident->dir;
  const std::string window_id = incident->window_id;
  Gather(
      incident->service, n == 1 ? std::optional<FailureKind>(kind) : std::nullopt,
      [this, alive, id, n, dir, window_id](Gathered got) {
        Cycle cycle;
        cycle.n = n;
        cycle.kind = got.evidence.kind;
        cycle.diagnosis = madre::Diagnose(got.evidence);
        if (!got.failed.ok()) {
          cycle.diagnosis.evidence.push_back("Docker did not answer: " + got.failed.message());
        }
        std::optional<Advice> advice;
        if (deps_.adviser != nullptr) {
          std::vector<std::string> secrets = deps_.secrets;
          secrets.insert(secrets.end(), got.evidence.env_values.begin(),
                         got.evidence.env_values.end());
          AdviceRequest request{cycle.diagnosis, got.evidence, std::move(secrets)};
          Result<Advice> answer = deps_.adviser->Advise(request);
          if (answer.ok()) {
            advice = std::move(*answer);
            cycle.adviser = {
                {"model", advice->model},
                {"masked_prompt", advice->masked_prompt},
                {"answer", advice->answer},
                {"reasoning_content", advice->reasoning_content},
                {"explanation", advice->explanation},
                {"rejected", advice->rejected},
                {"cached", advice->cached},
                {"calls", advice->calls},
                {"remediation", advice->remediation
                                    ? nlohmann::json(RemediationKindName(advice->remediation->kind))
                                    : nlohmann::json(nullptr)}};
          } else {
            cycle.adviser = {{"error", answer.status().message()}};
          }
        }
        if (advice && advice->remediation) {
          // Kept for Propose on the engine thread.
          cycle.proposal.remediation = *advice->remediation;
          cycle.proposal.from_adviser = true;
        }
        nlohmann::json analysis = {{"cycle", n},
                                   {"incident", id},
                                   {"window_id", window_id},
                                   {"rule_diagnosis", DiagnosisView(cycle.diagnosis, cycle.kind)},
                                   {"adviser", cycle.adviser}};
        std::error_code ec;
        const std::filesystem::path cycle_dir = dir / ("cycle-" + std::to_string(n));
        std::filesystem::create_directories(cycle_dir, ec);
        Status written =
            ec ? Status::Internal("cannot create " + cycle_dir.string() + ": " + ec.message())
               : Status::Ok();
        if (written.ok() && n == 1) {
          written = WriteFileDurably(dir / "failure_context.json",
                                     EvidenceView(got.evidence).dump(2) + "\n");
        }
        if (written.ok()) {
          written = WriteFileDurably(cycle_dir / "analysis.json", analysis.dump(2) + "\n");
        }
        deps_.loop.Submit([this, alive, id, cycle = std::move(cycle), written]() mutable {
          auto still = alive.lock();
          if (!still || !*still) return;
          OnDiagnosed(id, std::move(cycle), written);
        });
      });
}

void AutofixRoutes::OnDiagnosed(const std::string& id, Cycle cycle, const Status& written) {
  Incident* incident = Find(id);
  if (incident == nullptr) return;
  if (!written.ok()) spdlog::warn("autofix: forensic record: {}", written.message());
  const std::string& service = incident->service;
  if (cycle.n == 1) {
    Status audited =
        deps_.audit
            ? deps_.audit(audit_records::Diagnosed(cycle.diagnosis, cycle.kind, incident->window_id,
                                                   written.ok() ? incident->dir.string() : ""))
            : Status::Ok();
    if (!audited.ok()) spdlog::warn("autofix: audit: {}", audited.message());
  }
  spdlog::info("autofix: {} failure of {}: {} (cycle {})", FailureKindName(cycle.kind), service,
               FailureCauseName(cycle.diagnosis.cause), cycle.n);
  const EngineView view = deps_.engine.Snapshot();
  const bool always_on = view.config.always_on.count(service) > 0;
  std::optional<Remediation> pick;
  if (cycle.proposal.from_adviser) pick = cycle.proposal.remediation;
  std::set<RemediationKind> tried;  // applied in earlier cycles, and the service still failed
  for (const Cycle& earlier : incident->cycles) {
    if (earlier.applied && earlier.fixed.has_value() && !*earlier.fixed)
      tried.insert(earlier.proposal.remediation.kind);
  }
  cycle.proposal = Propose(cycle.diagnosis, pick, options_.policy, cycle.n, always_on, tried);
  const Remediation& r = cycle.proposal.remediation;
  const bool manual = r.kind == RemediationKind::kManual;
  const bool can_record = deps_.intents != nullptr && deps_.new_id;
  std::string approval = manual        ? "none: a human must act"
                         : !can_record ? "none: no intent store (nothing is applied)"
                         : cycle.proposal.auto_approved
                             ? "auto-approved (VX11_AUTOFIX_AUTO_ACTIONS)"
                             : "waits for approval";
  if (cycle.proposal.gives_up) approval = manual ? approval : "automatic: autofix gives up";
  if (!manual && can_record) {
    RemediateIntent what{.service = service,
                         .kind = r.kind,
                         .target = r.target,
                         .incident = id,
                         .cycle = cycle.n,
                         .cause = FailureCauseName(cycle.diagnosis.cause),
                         .text = r.text};
    Intent intent =
        NewPendingIntent(deps_.new_id(), deps_.engine.Now(), options_.intent_pending_ttl);
    intent.identity = "madre";
    intent.source = "autofix";
    intent.correlation_id = id + "/cycle-" + std::to_string(cycle.n);
    intent.type = "remediate";
    intent.payload = RemediatePayload(what);
    intent.peer = "madre";
    intent.requires_approval = !cycle.proposal.auto_approved;
    if (cycle.proposal.auto_approved) {
      DecideAtSubmission(
          intent, IntentState::kApproved,
          cycle.proposal.gives_up ? "madre" : "policy:autofix-auto-actions",
          cycle.proposal.gives_up
              ? "autofix gives up after " + std::to_string(options_.policy.max_cycles) + " cycles"
              : std::string(RemediationKindName(r.kind)) + " is in VX11_AUTOFIX_AUTO_ACTIONS");
    }
    Result<IntentStore::Submitted> submitted = deps_.intents->Submit(intent);
    if (!submitted.ok()) {
      spdlog::warn("autofix: cannot record the remediate intent: {}", submitted.status().message());
      approval = "none: the intent could not be recorded (" + submitted.status().message() + ")";
    } else {
      cycle.intent_id = submitted->intent.id;
      if (deps_.audit) {
        (void)deps_.audit(audit_records::IntentSubmitted(intent));
        if (cycle.proposal.auto_approved) {
          (void)deps_.audit(audit_records::IntentDecided(intent, DecisionKind::kApprove));
        }
      }
    }
  }
  std::string md = "# Autofix proposal: " + service + ", cycle " + std::to_string(cycle.n) +
                   "\n\n" + "- Incident: " + id +
                   "\n- Cause: " + FailureCauseName(cycle.diagnosis.cause) +
                   "\n- Remediation: " + RemediationKindName(r.kind) + " of " + r.target +
                   "\n- Risk: " + RiskName(RemediationRisk(r.kind)) +
                   "\n- Why: " + cycle.proposal.why + "\n- Approval: " + approval +
                   "\n- Intent: " + (cycle.intent_id.empty() ? "none" : cycle.intent_id) +
                   "\n\n## What\n\n" + r.text + "\n\n## Evidence\n\n";
  for (const std::string& line : cycle.diagnosis.evidence) md += "- " + line + "\n";
  if (!cycle.intent_id.empty() && !cycle.proposal.auto_approved) {
    md += "\nApprove with `madre intent approve " + cycle.intent_id +
          "` (or reject it); nothing is done until then.\n";
  }
  const std::string cycle_dir = "cycle-" + std::to_string(cycle.n) + "/";
  WriteFile(*incident, cycle_dir + "PATCH_INTENT.md", md);
  if (deps_.audit) {
    (void)deps_.audit(audit_records::AutofixStep(
        cycle.proposal.gives_up ? "gave_up" : "proposed", service,
        cycle.proposal.gives_up ? AuditOutcome::kFail : AuditOutcome::kReported,
        RemediationKindName(r.kind),
        "cycle " + std::to_string(cycle.n) + " of incident " + id + ": " + r.text + " (" +
            approval + (cycle.intent_id.empty() ? "" : ", " + cycle.intent_id) + ")",
        incident->window_id));
  }
  cycle.approval = cycle.intent_id.empty()        ? "none"
                   : cycle.proposal.auto_approved ? "auto"
                                                  : "pending";
  const bool auto_run = !manual && !cycle.intent_id.empty() && cycle.proposal.auto_approved;
  const bool waits = !manual && !cycle.intent_id.empty() && !cycle.proposal.auto_approved;
  incident->cycles.push_back(std::move(cycle));
  if (auto_run) {
    incident->state = IncidentState::kRemediating;
    WriteSummary(*incident);
    if (deps_.pump) deps_.pump();
    return;
  }
  // Nothing runs by itself: the window fails as it would without autofix (after the incident's
  // state is set: the engine's change comes back here at once).
  if (waits) {
    incident->state = IncidentState::kAwaitingApproval;
    WriteSummary(*incident);
  } else {
    Finish(*incident, manual ? IncidentState::kManual : IncidentState::kNotFixed);
  }
  deps_.engine.EndRemediation(service);
}

void AutofixRoutes::RefreshApproval(Incident& incident) {
  if (incident.state != IncidentState::kAwaitingApproval || incident.cycles.empty() ||
      deps_.intents == nullptr) {
    return;
  }
  Result<std::optional<Intent>> intent = deps_.intents->Get(incident.cycles.back().intent_id);
  if (!intent.ok() || !*intent) return;
  const IntentState state = (*intent)->state;
  if (state == IntentState::kRejected || state == IntentState::kExpired ||
      state == IntentState::kCancelled) {
    incident.cycles.back().approval = IntentStateName(state);
    incident.cycles.back().result = std::string("not applied: the remediation was ") +
                                    IntentStateName(state) +
                                    ((*intent)->reason.empty() ? "" : ": " + (*intent)->reason);
    Finish(incident, IncidentState::kNotFixed);
  }
}

void AutofixRoutes::Remediate(const Intent& intent,
                              std::function<void(bool ok, std::string detail)> done) {
  Result<RemediateIntent> what = ParseRemediatePayload(intent.payload);
  if (!what.ok()) return done(false, what.status().message());
  Incident* incident = Find(what->incident);
  if (incident == nullptr) {
    // Approved after a restart of madre: the incident's cycle is applied and re-tested anew.
    Incident fresh;
    fresh.id = what->incident;
    fresh.service = what->service;
    fresh.dir = options_.forensic_dir.empty() ? std::filesystem::path()
                                              : options_.forensic_dir / what->incident;
    fresh.started = deps_.engine.Now();
    Cycle cycle;
    cycle.n = what->cycle;
    cycle.diagnosis.service = what->service;
    if (auto cause = ParseFailureCause(what->cause)) cycle.diagnosis.cause = *cause;
    cycle.proposal.remediation = {what->kind, what->target, what->text};
    cycle.intent_id = intent.id;
    cycle.approval = "approved";
    fresh.cycles.push_back(std::move(cycle));
    incidents_[fresh.id] = std::move(fresh);
    incident = Find(what->incident);
  }
  if (incident->cycles.empty() || incident->cycles.back().intent_id != intent.id) {
    return done(false, "incident " + what->incident + " has moved on: this proposal is stale");
  }
  open_[incident->service] = incident->id;
  if (incident->cycles.back().approval == "pending") incident->cycles.back().approval = "approved";
  incident->state = IncidentState::kRemediating;
  WriteSummary(*incident);
  std::weak_ptr<bool> alive = alive_;
  const std::string id = incident->id;
  Apply(id, *what, IntentActor(intent.id),
        [this, alive, id, done = std::move(done)](bool ok, std::string detail) {
          auto still = alive.lock();
          if (!still || !*still) return;
          Applied(id, ok, detail);
          done(ok, std::move(detail));
        });
}

void AutofixRoutes::Apply(const std::string& id, const RemediateIntent& what,
                          const std::string& actor, std::function<void(bool, std::string)> done) {
  const std::string service = what.service;
  // Starts `service` again: another try for the window that wants it, a restart of a running
  // unhealthy one, or a service hold when no window wants it any more.
  auto start_again = [this, id, service, actor](std::function<void(bool, std::string)> done) {
    const EngineView view = deps_.engine.Snapshot();
    const bool wanted = LiveWindowWanting(view.windows, service, false) != nullptr;
    auto track = view.services.find(service);
    const bool running = track != view.services.end() &&
                         track->second.phase == ServicePhase::kRunning && !track->second.crashloop;
    if (running) {
      return deps_.engine.ServiceRestart(
          service, actor, [service, done](Result<ServiceOpOutcome> out) {
            if (!out.ok())
              return done(false, "restart of " + service + ": " + out.status().message());
            done(out->ok, out->ok ? "restarted " + service + " (service.restart)"
                                  : "restart of " + service + " failed: " + out->error);
          });
    }
    if (wanted) {
      Status retried = deps_.engine.RetryService(service, actor);
      return done(retried.ok(), retried.ok()
                                    ? "started " + service + " again (service.retry)"
                                    : "cannot start " + service + ": " + retried.message());
    }
    std::weak_ptr<bool> alive = alive_;
    deps_.engine.ServiceStart(
        service, actor, Duration::zero(),
        [this, alive, id, service, done](Result<ServiceOpOutcome> out) {
          if (!out.ok()) {
            return done(false, "start of " + service + ": " + out.status().message());
          }
          auto still = alive.lock();
          Incident* incident = still && *still ? Find(id) : nullptr;
          if (incident != nullptr && out->window) incident->hold_window = out->window->id;
          done(true, "started " + service + " in a service hold" +
                         (out->window ? " (" + out->window->id + ", closed when the incident ends)"
                                      : ""));
        });
  };
  switch (what.kind) {
    case RemediationKind::kRestart: {
      Incident* incident = Find(id);
      const Duration delay = RestartDelay(incident ? static_cast<int>(incident->cycles.size()) : 1);
      if (!deps_.after) return start_again(std::move(done));
      spdlog::info("autofix: restart of {} in {} s (back-off)", service,
                   std::chrono::duration_cast<std::chrono::seconds>(delay).count());
      std::weak_ptr<bool> alive = alive_;
      return deps_.after(delay, [alive, start_again, done = std::move(done)]() mutable {
        auto still = alive.lock();
        if (!still || !*still) return;
        start_again(std::move(done));
      });
    }
    case RemediationKind::kStartDependency: {
      const std::string dep = what.target;
      return deps_.engine.ServiceStart(
          dep, actor, Seconds(60),
          [dep, start_again, done = std::move(done)](Result<ServiceOpOutcome> out) mutable {
            if (!out.ok() || !out->ok) {
              return done(false, "start of the dependency " + dep + " failed: " +
                                     (out.ok() ? out->error : out.status().message()));
            }
            start_again([dep, done = std::move(done)](bool ok, std::string detail) {
              done(ok, "started the dependency " + dep + " (a service hold); " + detail);
            });
          });
    }
    case RemediationKind::kRebuild: {
      if (!deps_.run_build || deps_.build_lane == nullptr) {
        return done(false,
                    "not applied: madre has no build executor (image builds need "
                    "VX11_PROVIDER=compose and the Engine API: a unix:// DOCKER_HOST)");
      }
      std::weak_ptr<bool> alive = alive_;
      BuildIntent request{.target_service = what.target,
                          .dockerfile_path = "",
                          .build_context = "",
                          .reason = "autofix incident " + what.incident};
      return deps_.build_lane->Submit([this, alive, request, actor, start_again,
                                       done = std::move(done)]() mutable {
        Result<BuildRecord> built = deps_.run_build(request, actor);
        deps_.loop.Submit([alive, built = std::move(built), start_again,
                           done = std::move(done)]() mutable {
          auto still = alive.lock();
          if (!still || !*still) return;
          if (!built.ok()) return done(false, "rebuild: " + built.status().message());
          if (built->outcome != BuildOutcomeKind::kSucceeded) {
            return done(false, "build " + std::to_string(built->id) + " failed: " + built->error);
          }
          const std::string what_built = "rebuilt (build " + std::to_string(built->id) + ")";
          start_again([what_built, done = std::move(done)](bool ok, std::string detail) {
            done(ok, what_built + "; " + detail);
          });
        });
      });
    }
    case RemediationKind::kQuarantine: {
      Status quarantined = deps_.engine.SetQuarantined(service, true);
      if (!quarantined.ok()) return done(false, quarantined.message());
      quarantined_[service] = id;
      Status saved = SaveQuarantine();
      return done(true, "quarantined " + service + " (stopped; never started by madre until " +
                            "`madre autofix reset " + service + "`)" +
                            (saved.ok() ? "" : "; not persisted: " + saved.message()));
    }
    case RemediationKind::kRecreate: {
      if (deps_.compose == nullptr) {
        return done(false, "not applied: madre has no compose runner to recreate with");
      }
      if (LiveWindowWanting(deps_.engine.Snapshot().windows, service, false) == nullptr) {
        // No window holds it any more: a service hold starts it (compose recreates the
        // container only when its configuration changed), and the result says so.
        return start_again([service, done = std::move(done)](bool ok, std::string detail) {
          done(ok, "no window wants " + service + ", so it was not recreated: " + detail);
        });
      }
      std::weak_ptr<bool> alive = alive_;
      return deps_.workers.Submit([this, alive, service, actor, done = std::move(done)]() mutable {
        ComposeOutcome outcome = deps_.compose->Recreate({service});
        deps_.loop.Submit([this, alive, service, actor, outcome = std::move(outcome),
                           done = std::move(done)]() mutable {
          auto still = alive.lock();
          if (!still || !*still) return;
          std::string ran;
          for (const DockerOp& op : outcome.ops) {
            ran += (ran.empty() ? "" : "; ") + op.command + " (exit " +
                   std::to_string(op.exit_code) + ")";
          }
          if (!outcome.status.ok()) {
            return done(false, "recreate of " + service + " failed: " + outcome.status.message() +
                                   " [" + ran + "]");
          }
          // The new container runs; the window's start checks its readiness.
          Status retried = deps_.engine.RetryService(service, actor);
          done(retried.ok(),
               "recreated " + service + " [" + ran + "]" +
                   (retried.ok() ? "; started again (service.retry)" : "; " + retried.message()));
        });
      });
    }
    case RemediationKind::kManual:
      return done(false, "not applied: a human must act: " + what.text);
  }
}

void AutofixRoutes::Applied(const std::string& id, bool ok, const std::string& detail) {
  Incident* incident = Find(id);
  if (incident == nullptr || incident->cycles.empty()) return;
  Cycle& cycle = incident->cycles.back();
  cycle.applied = ok;
  cycle.result = detail;
  nlohmann::json result = {{"cycle", cycle.n},
                           {"remediation", RemediationKindName(cycle.proposal.remediation.kind)},
                           {"target", cycle.proposal.remediation.target},
                           {"intent_id", cycle.intent_id},
                           {"applied", ok},
                           {"detail", detail},
                           {"at", FormatRfc3339(deps_.engine.Now())}};
  WriteFile(*incident, "cycle-" + std::to_string(cycle.n) + "/patch_result.json",
            result.dump(2) + "\n");
  if (cycle.proposal.remediation.kind == RemediationKind::kQuarantine) {
    return Finish(*incident, ok ? IncidentState::kQuarantined : IncidentState::kNotFixed);
  }
  if (!ok) {
    // Nothing was applied: no re-test; the incident ends not fixed (the comment is the truth).
    cycle.fixed = false;
    cycle.retest_evidence = {"not re-tested: the remediation was not applied"};
    WriteFile(
        *incident, "cycle-" + std::to_string(cycle.n) + "/retest_result.json",
        nlohmann::json({{"cycle", cycle.n}, {"fixed", false}, {"evidence", cycle.retest_evidence}})
                .dump(2) +
            "\n");
    const std::string service = incident->service;
    Finish(*incident, IncidentState::kNotFixed);
    return deps_.engine.EndRemediation(service);
  }
  ArmRetest(*incident);
}

void AutofixRoutes::ArmRetest(Incident& incident) {
  incident.state = IncidentState::kRetesting;
  const std::uint64_t round = ++incident.retest_round;
  const std::string id = incident.id;
  WriteSummary(incident);
  if (deps_.after) {
    std::weak_ptr<bool> alive = alive_;
    deps_.after(options_.retest_timeout, [this, alive, id, round] {
      auto still = alive.lock();
      if (!still || !*still) return;
      Incident* late = Find(id);
      if (late == nullptr || late->state != IncidentState::kRetesting ||
          late->retest_round != round) {
        return;
      }
      Retested(
          *late, false,
          {"not ready " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::seconds>(options_.retest_timeout).count()) +
           " s after the remediation"});
    });
  }
  CheckRetests();
}

void AutofixRoutes::CheckRetests() {
  const EngineView view = deps_.engine.Snapshot();
  std::vector<std::pair<std::string, std::pair<bool, std::vector<std::string>>>> done;
  for (auto& [id, incident] : incidents_) {
    if (incident.state != IncidentState::kRetesting) continue;
    auto track = view.services.find(incident.service);
    if (track == view.services.end()) continue;
    const ServiceTrack& t = track->second;
    const ContainerState* c = ObservedOf(view, incident.service);
    std::vector<std::string> evidence;
    evidence.push_back(std::string("phase: ") + ServicePhaseName(t.phase));
    if (c != nullptr) {
      evidence.push_back("State.Status: " + c->state +
                         (c->health.empty() ? "" : ", health " + c->health));
    }
    if (!t.error.empty()) evidence.push_back("error: " + t.error);
    // At rest and no live window wants it any more: the window (or the service hold) that the
    // remediation started it for failed, and madre stopped it again.
    const bool dropped = LiveWindowWanting(view.windows, incident.service) == nullptr &&
                         (t.phase == ServicePhase::kStopped || t.phase == ServicePhase::kUnknown);
    if (dropped) evidence.push_back("no live window wants it any more (its start failed)");
    const bool failed =
        !t.in_flight && (t.phase == ServicePhase::kFailed || t.crashloop || t.remediating ||
                         dropped || (c != nullptr && c->health == "unhealthy"));
    const bool fine = !t.in_flight && t.phase == ServicePhase::kRunning && !failed &&
                      c != nullptr && c->state == "running" && c->health != "starting";
    if (failed || fine) done.push_back({id, {fine, std::move(evidence)}});
  }
  for (auto& [id, verdict] : done) {
    Incident* incident = Find(id);
    if (incident != nullptr) Retested(*incident, verdict.first, std::move(verdict.second));
  }
}

void AutofixRoutes::Retested(Incident& incident, bool fixed, std::vector<std::string> evidence) {
  Cycle& cycle = incident.cycles.back();
  cycle.fixed = fixed;
  cycle.retest_evidence = std::move(evidence);
  WriteFile(incident, "cycle-" + std::to_string(cycle.n) + "/retest_result.json",
            nlohmann::json({{"cycle", cycle.n},
                            {"fixed", fixed},
                            {"evidence", cycle.retest_evidence},
                            {"at", FormatRfc3339(deps_.engine.Now())}})
                    .dump(2) +
                "\n");
  if (deps_.audit) {
    std::string detail;
    for (const std::string& line : cycle.retest_evidence)
      detail += (detail.empty() ? "" : "; ") + line;
    (void)deps_.audit(audit_records::AutofixStep(
        "retested", incident.service, fixed ? AuditOutcome::kOk : AuditOutcome::kFail,
        fixed ? "fixed" : "not_fixed",
        "cycle " + std::to_string(cycle.n) + " of incident " + incident.id + ": " + detail,
        incident.window_id));
  }
  if (fixed) return Finish(incident, IncidentState::kFixed);
  RunCycle(incident.id);  // the next cycle, or giving up
}

Status AutofixRoutes::SaveQuarantine() {
  if (options_.quarantine_file.empty()) return Status::Ok();
  nlohmann::json services = nlohmann::json::object();
  for (const auto& [service, incident] : quarantined_) services[service] = {{"incident", incident}};
  std::error_code ec;
  std::filesystem::create_directories(options_.quarantine_file.parent_path(), ec);
  return WriteFileDurably(options_.quarantine_file,
                          nlohmann::json({{"quarantined", services}}).dump(2) + "\n");
}

void AutofixRoutes::Start() {
  LoadIncidents();
  if (options_.quarantine_file.empty()) return;
  std::ifstream in(options_.quarantine_file);
  if (!in) return;
  nlohmann::json file = nlohmann::json::parse(in, nullptr, false);
  if (file.is_discarded() || !file.contains("quarantined") || !file["quarantined"].is_object()) {
    spdlog::warn("autofix: {} is not a quarantine file; ignored",
                 options_.quarantine_file.string());
    return;
  }
  for (const auto& [service, entry] : file["quarantined"].items()) {
    Status quarantined = deps_.engine.SetQuarantined(service, true);
    if (!quarantined.ok()) {
      spdlog::warn("autofix: cannot quarantine {}: {}", service, quarantined.message());
      continue;
    }
    quarantined_[service] = entry.is_object() ? entry.value("incident", "") : "";
    spdlog::info("autofix: {} stays quarantined (madre autofix reset {})", service, service);
  }
}

std::optional<AutofixRoutes::Incident> AutofixRoutes::IncidentFromSummary(
    const nlohmann::json& summary, const std::filesystem::path& dir) const {
  if (!summary.is_object()) return std::nullopt;
  auto text = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  Incident incident;
  incident.id = text(summary, "incident");
  incident.service = text(summary, "service");
  const std::optional<IncidentState> state = ParseIncidentState(text(summary, "state"));
  if (incident.id.empty() || incident.service.empty() || !state ||
      incident.id != dir.filename().string()) {
    return std::nullopt;
  }
  incident.state = *state;
  incident.kind = ParseFailureKind(text(summary, "kind")).value_or(FailureKind::kReadiness);
  incident.window_id = text(summary, "window_id");
  incident.phase = text(summary, "phase");
  incident.detail = text(summary, "detail");
  incident.run_dir = text(summary, "run_dir");
  incident.hold_window = text(summary, "hold_window");
  incident.dir = dir;
  incident.started = ParseRfc3339(text(summary, "started_at")).value_or(TimePoint{});
  for (const nlohmann::json& c : summary.value("cycles", nlohmann::json::array())) {
    if (!c.is_object()) return std::nullopt;
    Cycle cycle;
    cycle.n = c.value("cycle", 1);
    cycle.kind = ParseFailureKind(text(c, "failure")).value_or(incident.kind);
    cycle.diagnosis.service = incident.service;
    cycle.diagnosis.cause = ParseFailureCause(text(c, "cause")).value_or(FailureCause::kUnknown);
    for (const nlohmann::json& line : c.value("evidence", nlohmann::json::array())) {
      if (line.is_string()) cycle.diagnosis.evidence.push_back(line.get<std::string>());
    }
    const nlohmann::json r = c.value("remediation", nlohmann::json::object());
    const std::optional<RemediationKind> kind = ParseRemediationKind(text(r, "kind"));
    if (!kind) return std::nullopt;
    cycle.proposal.remediation = {*kind, text(r, "target"), text(r, "text")};
    cycle.proposal.from_adviser = c.value("from_adviser", false);
    cycle.adviser = c.value("adviser", nlohmann::json());
    cycle.intent_id = text(c, "intent_id");
    cycle.approval = c.contains("approval") ? text(c, "approval") : "none";
    cycle.result = text(c, "result");
    cycle.applied = c.value("applied", false);
    if (text(c, "retest") == "fixed") cycle.fixed = true;
    if (text(c, "retest") == "not_fixed") cycle.fixed = false;
    for (const nlohmann::json& line : c.value("retest_evidence", nlohmann::json::array())) {
      if (line.is_string()) cycle.retest_evidence.push_back(line.get<std::string>());
    }
    incident.cycles.push_back(std::move(cycle));
  }
  return incident;
}

void AutofixRoutes::LoadIncidents() {
  if (options_.forensic_dir.empty()) return;
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.forensic_dir, ec)) {
    if (entry.is_directory(ec)) dirs.push_back(entry.path());
  }
  // Named <UTC time>_<service>[-N]: the newest sort last.
  std::sort(dirs.begin(), dirs.end());
  if (dirs.size() > kMaxLoadedIncidents) {
    dirs.erase(dirs.begin(), dirs.end() - static_cast<std::ptrdiff_t>(kMaxLoadedIncidents));
  }
  std::vector<std::string> going_on;
  for (const std::filesystem::path& dir : dirs) {
    std::ifstream in(dir / "autofix_summary.json");
    if (!in) continue;
    std::optional<Incident> incident =
        IncidentFromSummary(nlohmann::json::parse(in, nullptr, false), dir);
    if (!incident) {
      spdlog::warn("autofix: {} is not an incident's summary; ignored",
                   (dir / "autofix_summary.json").string());
      continue;
    }
    last_names_[incident->service] = incident->id;
    const bool open = !IsFinal(incident->state);
    if (open) {
      open_[incident->service] = incident->id;  // the newest open one wins
      going_on.push_back(incident->id);
    }
    incidents_[incident->id] = std::move(*incident);
  }
  for (const std::string& id : going_on) {
    Incident& incident = incidents_.at(id);
    if (open_.count(incident.service) == 0 || open_.at(incident.service) != id) {
      // An older open incident of a service with a newer one: ended by the newer one.
      incident.detail += (incident.detail.empty() ? "" : "; ") +
                         std::string("superseded by a newer incident of ") + incident.service;
      Finish(incident, IncidentState::kNotFixed);
      continue;
    }
    std::optional<IntentState> intent_state;
    if (deps_.intents != nullptr && !incident.cycles.empty() &&
        !incident.cycles.back().intent_id.empty()) {
      Result<std::optional<Intent>> intent = deps_.intents->Get(incident.cycles.back().intent_id);
      if (intent.ok() && *intent) intent_state = (*intent)->state;
    }
    switch (incident.state) {
      case IncidentState::kAwaitingApproval:
        RefreshApproval(incident);  // rejected or expired meanwhile: not fixed
        break;
      case IncidentState::kRetesting:
        ArmRetest(incident);
        break;
      case IncidentState::kRemediating:
        if (intent_state == IntentState::kApproved) break;  // the runner applies it
        [[fallthrough]];
      default: {
        const std::string when = IncidentStateName(incident.state);
        if (!incident.cycles.empty() && incident.state == IncidentState::kRemediating) {
          Cycle& cycle = incident.cycles.back();
          cycle.result =
              "interrupted: madre stopped while it was applied; what was done is not "
              "known";
          cycle.fixed = false;
          cycle.retest_evidence = {"not re-tested: madre restarted"};
        }
        incident.detail += (incident.detail.empty() ? "" : "; ") +
                           ("madre restarted while it was " + when +
                            ": the incident ends here; a new failure opens a new one");
        Finish(incident, IncidentState::kNotFixed);
        break;
      }
    }
  }
  if (!incidents_.empty()) {
    spdlog::info("autofix: {} incidents read from {} ({} going on)", incidents_.size(),
                 options_.forensic_dir.string(), open_.size());
  }
}

void AutofixRoutes::Reset(const std::string& service, const std::string& actor, Responder respond) {
  if (!deps_.engine.Snapshot().model.Has(service)) {
    return respond(ErrorResponse(Status::NotFound("No service " + service)));
  }
  const bool was = quarantined_.erase(service) > 0;
  Status lifted = deps_.engine.SetQuarantined(service, false);
  if (!lifted.ok()) return respond(ErrorResponse(lifted));
  Status saved = SaveQuarantine();
  if (!saved.ok()) {
    quarantined_[service] = "";
    (void)deps_.engine.SetQuarantined(service, true);
    return respond(ErrorResponse(Status::Internal("cannot record the reset: " + saved.message())));
  }
  if (deps_.audit) {
    Status audited = deps_.audit(audit_records::AutofixStep(
        "reset", service, AuditOutcome::kOk, was ? "quarantine lifted" : "not quarantined",
        "by " + actor, ""));
    if (!audited.ok()) return respond(ErrorResponse(audited));
  }
  respond(JsonResponse(200, {{"service", service}, {"was_quarantined", was}}));
}

void AutofixRoutes::Report(const HttpRequest& request, Responder respond) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return respond(ErrorResponse(Status::InvalidArgument("the body must be a JSON object")));
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "service" && key != "phase" && key != "detail" && key != "run_dir") {
      return respond(ErrorResponse(Status::InvalidArgument("unknown field " + key)));
    }
    if (!value.is_string()) {
      return respond(ErrorResponse(Status::InvalidArgument(key + " must be a string")));
    }
  }
  const std::string service = body.value("service", "");
  if (service.empty()) {
    return respond(ErrorResponse(Status::InvalidArgument("service is required")));
  }
  if (!deps_.engine.Snapshot().model.Has(service)) {
    return respond(ErrorResponse(Status::NotFound("No service " + service)));
  }
  if (quarantined_.count(service)) {
    return respond(ErrorResponse(Status::Quarantined(
        "service " + service + " is quarantined by autofix; `madre autofix reset " + service +
        "` lifts it")));
  }
  if (options_.forensic_dir.empty()) {
    return respond(ErrorResponse(Status::Unavailable("autofix has no forensic directory")));
  }
  const bool existed = open_.count(service) > 0;
  const std::string id = StartIncident(service, FailureKind::kConductorPhase, "");
  Incident* incident = Find(id);
  if (incident == nullptr) {
    return respond(ErrorResponse(Status::Internal("the incident could not be opened")));
  }
  const bool fresh = !existed || incident->phase.empty();
  if (fresh && incident->cycles.empty()) {
    incident->phase = body.value("phase", "");
    incident->detail = body.value("detail", "");
    incident->run_dir = body.value("run_dir", "");
  }
  respond(JsonResponse(open_.count(service) && existed ? 200 : 202, IncidentView(*incident)));
}

void AutofixRoutes::Get(const std::string& id, Responder respond) {
  Incident* incident = Find(id);
  if (incident == nullptr) {
    return respond(ErrorResponse(Status::NotFound("No incident " + id + " in this run of madre")));
  }
  RefreshApproval(*incident);
  respond(JsonResponse(200, IncidentView(*incident)));
}

void AutofixRoutes::OnWindow(const Window& window) {
  if (options_.forensic_dir.empty()) return;
  for (const auto& [service, status] : window.services_status) {
    if (status.state == ServiceState::kCrashloop) {
      StartIncident(service, FailureKind::kCrashLoop, window.id);
    } else if (status.state == ServiceState::kFailed && status.error != "quarantined by autofix") {
      StartIncident(service, FailureKind::kReadiness, window.id);
    } else if (status.state == ServiceState::kRemediating) {
      StartIncident(service, FailureKind::kReadiness, window.id);
    }
  }
}

void AutofixRoutes::OnEngineChange() {
  if (options_.forensic_dir.empty()) return;
  CheckRetests();
  const EngineView view = deps_.engine.Snapshot();
  std::map<std::string, std::string> wanted;  // service -> a live window that wants it
  std::set<std::string> open_windows;         // services of windows already open
  for (const auto& [id, window] : view.windows) {
    if (!window.Live()) continue;
    for (const std::string& service : window.effective_services) {
      wanted.emplace(service, id);
      if (window.state == WindowState::kOpen) open_windows.insert(service);
    }
  }
  // A diagnosed incident whose service nobody wants any more, or that runs fine again, is over
  // (unless it is being remediated, re-tested, or waits for a decision).
  for (auto it = open_.begin(); it != open_.end();) {
    Incident* incident = Find(it->second);
    const bool busy = incident != nullptr && incident->state != IncidentState::kDiagnosing;
    const ContainerState* c = ObservedOf(view, it->first);
    auto track = view.services.find(it->first);
    const bool crashloop = track != view.services.end() && track->second.crashloop;
    const bool failed = track != view.services.end() &&
                        (track->second.phase == ServicePhase::kFailed || track->second.remediating);
    const bool fine = c != nullptr && c->state == "running" && !crashloop && !failed &&
                      c->health != "unhealthy" && c->health != "starting";
    const bool over =
        incident == nullptr || (!busy && incident->kind != FailureKind::kConductorPhase &&
                                !incident->cycles.empty() && (!wanted.count(it->first) || fine));
    it = over ? open_.erase(it) : std::next(it);
  }
  for (const auto& [service, window_id] : wanted) {
    auto track = view.services.find(service);
    if (track != view.services.end() && track->second.crashloop) {
      StartIncident(service, FailureKind::kCrashLoop, window_id);
      continue;
    }
    if (track != view.services.end() && track->second.remediating) {
      StartIncident(service, FailureKind::kReadiness, window_id);
      continue;
    }
    const ContainerState* c = ObservedOf(view, service);
    if (c != nullptr && open_windows.count(service) && c->state == "running" &&
        c->health == "unhealthy") {
      StartIncident(service, FailureKind::kUnhealthy, window_id);
    }
  }
}

void AutofixRoutes::List(const HttpRequest& request, Responder respond) {
  for (const auto& [key, value] : request.query) {
    if (key != "limit") {
      return respond(ErrorResponse(Status::InvalidArgument("unknown query parameter " + key)));
    }
  }
  Result<int> limit = QueryInt(request, "limit", kDefaultLimit, 1, kMaxLimit);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  deps_.workers.Submit([this, limit = *limit, respond = std::move(respond)]() mutable {
    std::vector<std::filesystem::path> dirs;
    std::error_code ec;
    if (!options_.forensic_dir.empty() &&
        std::filesystem::is_directory(options_.forensic_dir, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(options_.forensic_dir, ec)) {
        if (entry.is_directory(ec)) dirs.push_back(entry.path());
      }
    }
    std::sort(dirs.begin(), dirs.end(), std::greater<>());  // the names start with the time
    nlohmann::json list = nlohmann::json::array();
    for (const std::filesystem::path& dir : dirs) {
      if (static_cast<int>(list.size()) >= limit) break;
      std::ifstream in(dir / "cycle-1" / "analysis.json");
      nlohmann::json analysis = nlohmann::json::parse(in, nullptr, false);
      if (analysis.is_discarded() || !analysis.contains("rule_diagnosis")) continue;
      nlohmann::json item = analysis["rule_diagnosis"];
      item["incident"] = dir.filename().string();
      item["window_id"] = analysis.value("window_id", "");
      item["forensic_dir"] = dir.string();
      std::ifstream summary_in(dir / "autofix_summary.json");
      nlohmann::json summary = nlohmann::json::parse(summary_in, nullptr, false);
      item["state"] = summary.is_discarded() ? nlohmann::json(nullptr)
                                             : nlohmann::json(summary.value("state", ""));
      list.push_back(std::move(item));
    }
    deps_.loop.Submit([list = std::move(list), respond = std::move(respond)]() mutable {
      const std::size_t count = list.size();
      respond(JsonResponse(200, {{"diagnoses", std::move(list)}, {"count", count}}));
    });
  });
}

}  // namespace madre
