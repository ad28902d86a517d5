// Autofix's routes and incidents (issue 12; docs/autofix.md): GET
// /madre/autofix/diagnose/{service}, the diagnosis of a service as it is now
// (core/diagnosis.h); the diagnosis made by itself when a window service fails, and GET
// /madre/autofix/diagnoses, which lists those. The model's facts, the service's
// track and its dependencies' states come from the engine's view on the engine thread; Docker's
// evidence (inspect and last log lines) and whether the image is on the host are read on the
// workers; the answer is made on the engine thread.
//
// Threading: engine thread only (the Docker reads run on `workers`).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "adapters/http/http_server.h"
#include "core/autofix.h"
#include "core/diagnosis.h"
#include "core/intent.h"
#include "core/intent_executor.h"
#include "engine/engine.h"
#include "http_api/http_common.h"
#include "http_api/intent_runner.h"
#include "ports/adviser.h"
#include "ports/audit_log.h"
#include "ports/compose_runner.h"
#include "ports/container_observer.h"
#include "ports/executor.h"
#include "ports/image_inspector.h"
#include "ports/intent_store.h"

namespace madre {

// What the engine's view says of `service` (which the model has): the model's facts (image,
// build, always-on), the failure madre saw (crash loop, unhealthy, else readiness), its
// dependencies' states, the container's state and exit code, and the track's last error (a
// start that failed before any container, e.g. compose's pull error). `container_id` gets the
// container to ask Docker about ("" when there is none).
FailureEvidence EvidenceFromView(const EngineView& view, const std::string& service,
                                 std::string* container_id);
// Adds what Docker said of the container to what the view gave: its state, exit code, OOM
// flag, health and checks, log lines, mounts and image; its State.Error when it has one.
void AddDockerEvidence(FailureEvidence& evidence, FailureEvidence docker);

struct AutofixOptions {
  // Where each incident's forensic record goes (<state>/forensic/madre); empty: failures are
  // not diagnosed by themselves, and GET /madre/autofix/diagnoses lists nothing.
  std::filesystem::path forensic_dir;
  AutofixPolicy policy;  // VX11_AUTOFIX_AUTO_ACTIONS, VX11_AUTOFIX_MAX_CYCLES
  // The quarantined services, kept across restarts (<state>/autofix/quarantine.json); empty:
  // in memory only.
  std::filesystem::path quarantine_file;
  Duration retest_timeout = kRetestTimeout;
  Duration intent_pending_ttl = kDefaultIntentPendingTtl;  // a proposal nobody decides expires
};

struct AutofixDeps {
  Engine& engine;
  ContainerObserver& observer;
  ImageInspector* images = nullptr;  // null: the image's presence is not checked
  Executor& workers;
  Executor& loop;
  std::function<Status(AuditRecord)> audit;
  ScheduleAfter after;             // the restart back-off and the re-test's deadline
  IntentStore* intents = nullptr;  // where remediate intents are recorded; null: none
  std::function<std::string()> new_id = {};
  std::function<void()> pump = {};  // an auto-approved intent is ready to execute
  RunBuildFn run_build = {};        // `rebuild`: on build_lane; empty: not applied
  Executor* build_lane = nullptr;
  Adviser* adviser = nullptr;             // the LLM adviser (VX11_AUTOFIX_LLM_URL); null: off
  std::vector<std::string> secrets = {};  // madre's tokens: never sent to the adviser
  ComposeRunner* compose = nullptr;       // `recreate` (blocking: on workers); null: not applied
};

class AutofixRoutes {
 public:
  static constexpr int kLogLines = 20;
  static constexpr int kDefaultLimit = 50;
  static constexpr int kMaxLimit = 500;

  AutofixRoutes(AutofixOptions options, AutofixDeps deps);
  ~AutofixRoutes() { *alive_ = false; }
  AutofixRoutes(const AutofixRoutes&) = delete;
  AutofixRoutes& operator=(const AutofixRoutes&) = delete;

  // Once, at start: reads the quarantine file and quarantines its services in the engine, and
  // loads the newest incidents from their forensic records (autofix_summary.json; see
  // LoadIncidents). Before the intent runner's Recover.
  void Start();

  // GET /madre/autofix/diagnose/{service}: 200 with the diagnosis (api/diagnosis_view.h); 404
  // for a name the model does not have; 503 when Docker does not answer. Records nothing.
  void Diagnose(const std::string& service, Responder respond);
  // GET /madre/autofix/diagnoses?limit=N: the incidents' first diagnoses, newest first, from
  // their forensic records (1..500, default 50; 400 naming anything else).
  void List(const HttpRequest& request, Responder respond);
  // POST /madre/autofix/incidents {"service", "phase", "detail", "run_dir"}: a conductor phase
  // failed on `service`: an incident (202), or the open one the service has (200). 404 for an
  // unknown service, 409 `quarantined`, 503 without a forensic dir.
  void Report(const HttpRequest& request, Responder respond);
  // GET /madre/autofix/incidents/{id}: the incident and its cycles; 404.
  void Get(const std::string& id, Responder respond);
  // POST /madre/autofix/reset/{service}: lifts the quarantine (audited autofix.reset).
  void Reset(const std::string& service, const std::string& actor, Responder respond);

  // The `remediate` executor (IntentRunner): applies the approved remediation of `intent` and
  // calls `done` with what was done; the incident then re-tests the service.
  void Remediate(const Intent& intent, std::function<void(bool ok, std::string detail)> done);

  // Incidents (with a forensic_dir): a window service that failed, crash-loops, or that autofix
  // holds as remediating (OnWindow, OnEngineChange), a service of an open window that turns
  // unhealthy (OnEngineChange), and a conductor phase (Report). Each cycle diagnoses, proposes
  // a remediation (core Propose) as a `remediate` intent, applies it once approved (by
  // VX11_AUTOFIX_AUTO_ACTIONS or a human) and re-tests; after max_cycles it gives up.
  void OnWindow(const Window& window);
  void OnEngineChange();

 private:
  // The newest kMaxLoadedIncidents incidents of the forensic dir, so that GET answers them after
  // a restart and an open one goes on: one awaiting approval waits again (its intent is in the
  // store), one re-testing is re-tested anew, one remediating whose intent is still approved
  // waits for the runner to apply it; one diagnosing, or remediating while madre stopped (it
  // is not known what was applied), ends not_fixed and says why.
  void LoadIncidents();
  static constexpr std::size_t kMaxLoadedIncidents = 500;
  struct Cycle {
    int n = 1;
    FailureKind kind = FailureKind::kReadiness;
    Diagnosis diagnosis;
    Proposal proposal;
    nlohmann::json adviser;  // null without one
    std::string intent_id;
    // auto, pending, approved, rejected, expired, cancelled; none (manual, or not recorded)
    std::string approval = "none";
    std::string result;  // what was done ("" until applied)
    bool applied = false;
    std::optional<bool> fixed;
    std::vector<std::string> retest_evidence;
  };
  struct Incident {
    std::string id;  // the forensic record's name
    std::string service;
    FailureKind kind = FailureKind::kReadiness;
    std::string window_id;
    std::string phase;  // a conductor phase's name (Report)
    std::string detail;
    std::string run_dir;
    std::filesystem::path dir;
    IncidentState state = IncidentState::kDiagnosing;
    TimePoint started{};
    std::vector<Cycle> cycles;
    std::uint64_t retest_round = 0;  // the re-test a timer belongs to
    // The service hold a remediation started because no window wanted the service any more:
    // it keeps the service up for the re-test, and is closed when the incident ends.
    std::string hold_window;
  };
  struct Gathered {
    FailureEvidence evidence;
    Status failed;  // Docker did not answer
  };
  // The evidence of `service` now (the view on this thread, Docker on the workers); `done`
  // runs on the workers.
  // The re-test after an applied remediation: `fixed` once ready (CheckRetests), `not fixed`
  // after options_.retest_timeout.
  void ArmRetest(Incident& incident);
  // An incident from its autofix_summary.json (IncidentView plus detail, run_dir, hold_window);
  // nullopt when it is not one.
  std::optional<Incident> IncidentFromSummary(const nlohmann::json& summary,
                                              const std::filesystem::path& dir) const;
  void Gather(const std::string& service, std::optional<FailureKind> kind,
              std::function<void(Gathered)> done);
  // Opens an incident (none open for the service yet) and runs its first cycle; its id.
  std::string StartIncident(const std::string& service, FailureKind kind,
                            const std::string& window_id);
  void RunCycle(const std::string& id);
  void OnDiagnosed(const std::string& id, Cycle cycle, const Status& written);
  void Apply(const std::string& id, const RemediateIntent& what, const std::string& actor,
             std::function<void(bool, std::string)> done);
  void Applied(const std::string& id, bool ok, const std::string& detail);
  void CheckRetests();
  void Retested(Incident& incident, bool fixed, std::vector<std::string> evidence);
  void Finish(Incident& incident, IncidentState state);
  // An incident waiting for a decision that was rejected, expired or cancelled: not fixed.
  void RefreshApproval(Incident& incident);
  Status SaveQuarantine();
  void WriteSummary(const Incident& incident);
  void WriteFile(const Incident& incident, const std::string& name, const std::string& text);
  nlohmann::json IncidentView(const Incident& incident) const;
  Incident* Find(const std::string& id);

  const AutofixOptions options_;
  AutofixDeps deps_;
  std::map<std::string, Incident> incidents_;       // by id (this run's)
  std::map<std::string, std::string> open_;         // service -> its open incident
  std::map<std::string, std::string> quarantined_;  // service -> the incident that did it
  std::map<std::string, std::string> last_names_;   // each service's last record name
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// One forensic record's name: "<UTC time, 20261203T112233Z>_<service>".
std::string IncidentDirName(TimePoint at, const std::string& service);
// Writes `text` to `path` durably (a temporary file, fsync, rename). kInternal on failure.
Status WriteFileDurably(const std::filesystem::path& path, const std::string& text);

}  // namespace madre
