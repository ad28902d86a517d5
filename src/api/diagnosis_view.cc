#include "api/diagnosis_view.h"

#include <cmath>

namespace madre {

nlohmann::json DiagnosisView(const Diagnosis& diagnosis, FailureKind failure) {
  nlohmann::json remediations = nlohmann::json::array();
  for (const Remediation& r : diagnosis.remediations) {
    remediations.push_back({{"kind", RemediationKindName(r.kind)},
                            {"risk", RiskName(RemediationRisk(r.kind))},
                            {"target", r.target},
                            {"text", r.text}});
  }
  return {{"service", diagnosis.service},
          {"failure", FailureKindName(failure)},
          {"cause", FailureCauseName(diagnosis.cause)},
          {"confidence", std::round(diagnosis.confidence * 100.0) / 100.0},
          {"evidence", diagnosis.evidence},
          {"remediations", std::move(remediations)}};
}

nlohmann::json EvidenceView(const FailureEvidence& e) {
  nlohmann::json dependencies = nlohmann::json::array();
  for (const DependencyEvidence& d : e.dependencies) {
    dependencies.push_back({{"service", d.service},
                            {"state", d.state},
                            {"health", d.health},
                            {"stopped_by_madre", d.stopped_by_madre}});
  }
  return {{"service", e.service},
          {"failure", FailureKindName(e.kind)},
          {"state", e.state},
          {"exit_code", e.exit_code ? nlohmann::json(*e.exit_code) : nlohmann::json(nullptr)},
          {"oom_killed", e.oom_killed},
          {"error", e.error},
          {"health", e.health},
          {"health_log", e.health_log},
          {"log_lines", e.log_lines},
          {"dependencies", std::move(dependencies)},
          {"image", e.image},
          {"image_present", e.image_present},
          {"has_build", e.has_build},
          {"always_on", e.always_on},
          {"mounts", e.mounts}};
}

}  // namespace madre
