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
#include <optional>
#include <set>
#include <string>

#include "adapters/http/http_server.h"
#include "core/diagnosis.h"
#include "engine/engine.h"
#include "ports/audit_log.h"
#include "ports/container_observer.h"
#include "ports/executor.h"
#include "ports/image_inspector.h"

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
};

class AutofixRoutes {
 public:
  static constexpr int kLogLines = 20;
  static constexpr int kDefaultLimit = 50;
  static constexpr int kMaxLimit = 500;

  // `images` null: the image's presence is not checked. `audit` records autofix.diagnosed.
  AutofixRoutes(AutofixOptions options, Engine& engine, ContainerObserver& observer,
                ImageInspector* images, Executor& workers, Executor& loop,
                std::function<Status(AuditRecord)> audit)
      : options_(std::move(options)),
        engine_(engine),
        observer_(observer),
        images_(images),
        workers_(workers),
        loop_(loop),
        audit_(std::move(audit)) {}
  ~AutofixRoutes() { *alive_ = false; }
  AutofixRoutes(const AutofixRoutes&) = delete;
  AutofixRoutes& operator=(const AutofixRoutes&) = delete;

  // GET /madre/autofix/diagnose/{service}: 200 with the diagnosis (api/diagnosis_view.h); 404
  // for a name the model does not have; 503 when Docker does not answer. Records nothing.
  void Diagnose(const std::string& service, Responder respond);
  // GET /madre/autofix/diagnoses?limit=N: the incidents' diagnoses, newest first, from their
  // forensic records (1..500, default 50; 400 naming anything else).
  void List(const HttpRequest& request, Responder respond);

  // Incidents (with a forensic_dir): a window service that failed or crash-loops
  // (OnWindow), a service of a live window that crash-loops or turns unhealthy
  // (OnEngineChange), is diagnosed once per incident: the forensic record
  // <forensic_dir>/<UTC time>_<service>/ (failure_context.json, analysis.json) is written, then
  // autofix.diagnosed is audited. The incident ends when no live window wants the service, or
  // it runs (not crash-looping, not unhealthy, not starting, not failed).
  void OnWindow(const Window& window);
  void OnEngineChange();

 private:
  struct Gathered {
    FailureEvidence evidence;
    Status failed;  // Docker did not answer
  };
  // The evidence of `service` now (the view on this thread, Docker on the workers); `done`
  // runs on the workers.
  void Gather(const std::string& service, std::optional<FailureKind> kind,
              std::function<void(Gathered)> done);
  void StartIncident(const std::string& service, FailureKind kind, const std::string& window_id);

  const AutofixOptions options_;
  Engine& engine_;
  ContainerObserver& observer_;
  ImageInspector* images_;
  Executor& workers_;
  Executor& loop_;
  std::function<Status(AuditRecord)> audit_;
  std::set<std::string> open_;                     // services with an incident not over yet
  std::map<std::string, std::string> last_names_;  // each service's last forensic record name
  int same_second_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// One forensic record's name: "<UTC time, 20261203T112233Z>_<service>".
std::string IncidentDirName(TimePoint at, const std::string& service);
// Writes `text` to `path` durably (a temporary file, fsync, rename). kInternal on failure.
Status WriteFileDurably(const std::filesystem::path& path, const std::string& text);

}  // namespace madre
