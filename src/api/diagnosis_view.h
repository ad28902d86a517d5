// The wire shape of a diagnosis (core/diagnosis.h; docs/autofix.md): GET
// /madre/autofix/diagnose/{service} and `madre diagnose SERVICE --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "core/diagnosis.h"

namespace madre {

// {"service", "failure", "cause", "confidence", "evidence": [...], "remediations": [{"kind",
// "risk", "target", "text"}]}; `failure` names what madre saw fail (FailureKindName).
nlohmann::json DiagnosisView(const Diagnosis& diagnosis, FailureKind failure);

}  // namespace madre
