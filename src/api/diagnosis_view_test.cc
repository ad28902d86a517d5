#include "api/diagnosis_view.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(DiagnosisViewTest, NamesEverythingByItsWireName) {
  Diagnosis d;
  d.service = "switch";
  d.cause = FailureCause::kCommandNotFound;
  d.confidence = 0.9;
  d.evidence = {"State.ExitCode: 127", "log: sh: nosuchcmd: not found"};
  d.remediations = {{RemediationKind::kManual, "switch", "fix its command"}};
  const nlohmann::json view = DiagnosisView(d, FailureKind::kCrashLoop);
  EXPECT_EQ(view, nlohmann::json::parse(R"({
    "service": "switch", "failure": "crash_loop", "cause": "command_not_found",
    "confidence": 0.9,
    "evidence": ["State.ExitCode: 127", "log: sh: nosuchcmd: not found"],
    "remediations": [{"kind": "manual", "risk": "high", "target": "switch",
                      "text": "fix its command"}]})"));
}

}  // namespace
}  // namespace madre
