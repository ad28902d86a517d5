#include "http_api/autofix_routes.h"

#include <utility>

#include "api/diagnosis_view.h"
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
      e.dependencies.push_back({dep, c != nullptr ? c->state : "", c != nullptr ? c->health : ""});
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
  if (!docker.image.empty()) evidence.image = std::move(docker.image);
  if (evidence.kind != FailureKind::kCrashLoop && evidence.state == "running" &&
      evidence.health == "unhealthy") {
    evidence.kind = FailureKind::kUnhealthy;
  }
}

void AutofixRoutes::Diagnose(const std::string& service, Responder respond) {
  const EngineView view = engine_.Snapshot();
  if (!view.model.Has(service)) {
    return respond(ErrorResponse(Status::NotFound("No service " + service)));
  }
  std::string container;
  FailureEvidence evidence = EvidenceFromView(view, service, &container);
  workers_.Submit(
      [this, evidence = std::move(evidence), container, respond = std::move(respond)]() mutable {
        Status failed = Status::Ok();
        if (!container.empty()) {
          Result<FailureEvidence> docker = observer_.Evidence(container, kLogLines);
          if (docker.ok()) {
            AddDockerEvidence(evidence, std::move(*docker));
          } else if (docker.status().code() != StatusCode::kNotFound) {
            failed = docker.status();
          }
        }
        if (failed.ok() && images_ != nullptr && !evidence.image.empty()) {
          Result<std::string> id = images_->ImageId(evidence.image);
          if (id.ok()) {
            evidence.image_present = !id->empty();
          } else {
            failed = id.status();
          }
        }
        const FailureKind kind = evidence.kind;
        const Diagnosis diagnosis = failed.ok() ? madre::Diagnose(evidence) : Diagnosis{};
        loop_.Submit([failed = std::move(failed), diagnosis, kind,
                      respond = std::move(respond)]() mutable {
          if (!failed.ok()) {
            return respond(
                ErrorResponse(Status::Unavailable("Docker did not answer: " + failed.message())));
          }
          respond(JsonResponse(200, DiagnosisView(diagnosis, kind)));
        });
      });
}

}  // namespace madre
