// Autofix's routes (issue 12; docs/autofix.md). Today: GET /madre/autofix/diagnose/{service},
// the diagnosis of a service as it is now (core/diagnosis.h). The model's facts, the service's
// track and its dependencies' states come from the engine's view on the engine thread; Docker's
// evidence (inspect and last log lines) and whether the image is on the host are read on the
// workers; the answer is made on the engine thread.
//
// Threading: engine thread only (the Docker reads run on `workers`).
#pragma once

#include <string>

#include "adapters/http/http_server.h"
#include "core/diagnosis.h"
#include "engine/engine.h"
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

class AutofixRoutes {
 public:
  static constexpr int kLogLines = 20;

  // `images` null: the image's presence is not checked.
  AutofixRoutes(Engine& engine, ContainerObserver& observer, ImageInspector* images,
                Executor& workers, Executor& loop)
      : engine_(engine), observer_(observer), images_(images), workers_(workers), loop_(loop) {}

  // GET /madre/autofix/diagnose/{service}: 200 with the diagnosis (api/diagnosis_view.h); 404
  // for a name the model does not have; 503 when Docker does not answer.
  void Diagnose(const std::string& service, Responder respond);

 private:
  Engine& engine_;
  ContainerObserver& observer_;
  ImageInspector* images_;
  Executor& workers_;
  Executor& loop_;
};

}  // namespace madre
