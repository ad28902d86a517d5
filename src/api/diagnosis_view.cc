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

}  // namespace madre
