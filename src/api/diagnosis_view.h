// The wire shape of a diagnosis (core/diagnosis.h; docs/autofix.md): GET
// /madre/autofix/diagnose/{service} and `madre diagnose SERVICE --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "core/diagnosis.h"

namespace madre {

// {"service", "failure", "cause", "confidence", "evidence": [...], "remediations": [{"kind",
// "risk", "target", "text"}]}; `failure` names what madre saw fail (FailureKindName).
nlohmann::json DiagnosisView(const Diagnosis& diagnosis, FailureKind failure);
// The evidence as gathered (a forensic record's failure_context.json): every field of
// FailureEvidence by its name; `exit_code` null when there is none.
nlohmann::json EvidenceView(const FailureEvidence& evidence);

}  // namespace madre
