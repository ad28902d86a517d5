#include "core/diagnosis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The evidence below was recorded from real containers of madre-busybox:latest on dockerd
// 20.10 (`docker inspect -f '{{json .State}}'` and `docker logs --tail 5`), with the command
// named in each test; long ids are shortened.

FailureEvidence Exited(std::string service, int code, std::vector<std::string> log) {
  FailureEvidence e;
  e.service = std::move(service);
  e.state = "exited";
  e.exit_code = code;
  e.log_lines = std::move(log);
  e.image = "madre-busybox:latest";
  return e;
}

std::vector<RemediationKind> Kinds(const Diagnosis& d) {
  std::vector<RemediationKind> out;
  for (const Remediation& r : d.remediations) out.push_back(r.kind);
  return out;
}

TEST(DiagnoseTest, Exit127IsCommandNotFoundWithTheShellsLine) {
  // docker run madre-busybox sh -c 'echo starting; nosuchcmd --serve'
  const Diagnosis d = Diagnose(Exited("switch", 127, {"starting", "sh: nosuchcmd: not found"}));
  EXPECT_EQ(d.cause, FailureCause::kCommandNotFound);
  EXPECT_EQ(d.service, "switch");
  EXPECT_THAT(d.evidence, ElementsAre("State.ExitCode: 127", "log: sh: nosuchcmd: not found"));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kManual));
  EXPECT_GE(d.confidence, 0.9);
}

TEST(DiagnoseTest, ACommandThatIsNotExecutableIsCommandNotFoundAndARebuildWhenItHasBuild) {
  // docker run -v noexec.sh:/run.sh madre-busybox /run.sh (mode 644): never started.
  FailureEvidence e;
  e.service = "hermes";
  e.state = "created";
  e.exit_code = 126;
  e.error =
      "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
      "start container process: exec: \"/run.sh\": permission denied: unknown";
  e.has_build = true;
  const Diagnosis d = Diagnose(e);
  EXPECT_EQ(d.cause, FailureCause::kCommandNotFound) << "before permission_denied";
  EXPECT_THAT(d.evidence, ElementsAre("State.ExitCode: 126", "State.Error: " + e.error));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kRebuild, RemediationKind::kManual));
}

TEST(DiagnoseTest, OomKilledWinsOverTheExitCode) {
  // docker run --memory 8m --memory-swap 8m madre-busybox sh -c 'a=$(head -c 60000000 ...)'
  FailureEvidence e = Exited("mcp", 137, {"filling"});
  e.oom_killed = true;
  const Diagnosis d = Diagnose(e);
  EXPECT_EQ(d.cause, FailureCause::kOomKilled);
  EXPECT_THAT(d.evidence, ElementsAre("State.OOMKilled: true", "State.ExitCode: 137"));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kRestart, RemediationKind::kManual));
}

TEST(DiagnoseTest, APortAnotherContainerPublishesIsPortInUseAndNamesThePort) {
  // Two containers publishing -p 127.0.0.1:39123:8080: the second never starts.
  FailureEvidence e;
  e.service = "gateway";
  e.state = "created";
  e.exit_code = 128;
  e.error =
      "driver failed programming external connectivity on endpoint evport2 (6d2c194f): Bind for "
      "127.0.0.1:39123 failed: port is already allocated";
  const Diagnosis d = Diagnose(e);
  EXPECT_EQ(d.cause, FailureCause::kPortInUse);
  EXPECT_THAT(d.evidence, ElementsAre("State.Error: " + e.error));
  ASSERT_EQ(d.remediations.size(), 1u);
  EXPECT_EQ(d.remediations[0].kind, RemediationKind::kManual);
  EXPECT_THAT(d.remediations[0].text, HasSubstr("127.0.0.1:39123"));
}

TEST(DiagnoseTest, AProcessThatCannotBindIsPortInUse) {
  const Diagnosis d =
      Diagnose(Exited("api", 1, {"listen tcp 0.0.0.0:8080: bind: address already in use"}));
  EXPECT_EQ(d.cause, FailureCause::kPortInUse);
}

TEST(DiagnoseTest, AnUnsetVariableIsMissingConfigAndNamesIt) {
  // sh -c 'echo "error: required variable DATABASE_URL is not set" >&2; exit 78'
  const Diagnosis d = Diagnose(Exited(
      "madre_api", 78,
      {"error: required variable DATABASE_URL is not set", "config: reading /etc/vx11/app.toml"}));
  EXPECT_EQ(d.cause, FailureCause::kMissingConfig);
  EXPECT_THAT(d.evidence, ElementsAre("log: error: required variable DATABASE_URL is not set",
                                      "State.ExitCode: 78"));
  ASSERT_FALSE(d.remediations.empty());
  EXPECT_THAT(d.remediations[0].text, HasSubstr("set DATABASE_URL for madre_api"));
  EXPECT_EQ(d.remediations[1].kind, RemediationKind::kRecreate);
}

TEST(DiagnoseTest, AMissingBindSourceIsMissingConfig) {
  FailureEvidence e;
  e.service = "shub";
  e.state = "created";
  e.error = "invalid mount config for type \"bind\": bind source path does not exist: /srv/conf";
  EXPECT_EQ(Diagnose(e).cause, FailureCause::kMissingConfig);
}

TEST(DiagnoseTest, PermissionDeniedInTheLog) {
  const Diagnosis d = Diagnose(Exited("redis", 1, {"Can't open the log file: Permission denied"}));
  EXPECT_EQ(d.cause, FailureCause::kPermissionDenied);
  EXPECT_THAT(d.evidence, ElementsAre("log: Can't open the log file: Permission denied"));
}

TEST(DiagnoseTest, AStoppedDependencyIsNamedAndStartedFirst) {
  FailureEvidence e = Exited("switch", 1, {"connecting to redis:6379"});
  e.dependencies = {{"redis", "exited", "", false},
                    {"tentaculo_link", "running", "healthy", false}};
  const Diagnosis d = Diagnose(e);
  EXPECT_EQ(d.cause, FailureCause::kDependencyUnavailable);
  EXPECT_THAT(d.evidence, ElementsAre("dependency redis: exited"));
  ASSERT_EQ(d.remediations.size(), 2u);
  EXPECT_EQ(d.remediations[0], (Remediation{RemediationKind::kStartDependency, "redis",
                                            "start redis (a dependency of switch), then switch"}));
  EXPECT_EQ(d.remediations[1].kind, RemediationKind::kRestart);
  EXPECT_GE(d.confidence, 0.8);
}

TEST(DiagnoseTest, ADependencyMadreStoppedItselfIsNotTheCause) {
  // The rollback of the failed open stopped it after the service had failed.
  FailureEvidence e = Exited("switch", 1, {"panic: bad state"});
  e.dependencies = {{"redis", "exited", "", /*stopped_by_madre=*/true}};
  EXPECT_EQ(Diagnose(e).cause, FailureCause::kCrashExitCode);
}

TEST(DiagnoseTest, AnUnreachablePeerInTheLogIsADependencyProblem) {
  // sh -c 'echo "connecting to redis:6379"; wget ...; echo "fatal: dependency redis
  // unreachable" >&2; exit 1' (busybox's wget died of SIGSEGV on the way, as recorded)
  const Diagnosis d = Diagnose(Exited(
      "switch", 1,
      {"connecting to redis:6379", "Segmentation fault", "fatal: dependency redis unreachable"}));
  EXPECT_EQ(d.cause, FailureCause::kDependencyUnavailable);
  EXPECT_THAT(d.evidence, ElementsAre("log: fatal: dependency redis unreachable"));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kRestart));
  EXPECT_LT(d.confidence, 0.8);
}

TEST(DiagnoseTest, AnUnhealthyRunningServiceIsHealthcheckFailingWithItsChecks) {
  // --health-cmd 'wget -q -O- http://127.0.0.1:9/health' --health-interval 1s --health-retries 2
  FailureEvidence e;
  e.service = "hermes";
  e.kind = FailureKind::kUnhealthy;
  e.state = "running";
  e.exit_code = 0;
  e.health = "unhealthy";
  e.health_log = {"wget: can't connect to remote host (127.0.0.1): Connection refused\n"};
  const Diagnosis d = Diagnose(e);
  // The check's "Connection refused" is the service itself not answering, not a peer.
  EXPECT_EQ(d.cause, FailureCause::kHealthcheckFailing);
  EXPECT_THAT(d.evidence,
              ElementsAre("State.Health.Status: unhealthy",
                          "healthcheck: wget: can't connect to remote host (127.0.0.1): "
                          "Connection refused"));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kRestart, RemediationKind::kRecreate));
}

TEST(DiagnoseTest, AnImageThatIsNotThereComesFirst) {
  FailureEvidence e;
  e.service = "ghost";
  e.image = "vx11-nosuch:1.0";
  e.image_present = false;
  e.error = "Pulling ghost (vx11-nosuch:1.0)...";
  const Diagnosis d = Diagnose(e);
  EXPECT_EQ(d.cause, FailureCause::kImageMissing);
  EXPECT_THAT(d.evidence, ElementsAre("image: vx11-nosuch:1.0 is not on this host"));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kManual));
  e.has_build = true;
  EXPECT_THAT(Kinds(Diagnose(e)), ElementsAre(RemediationKind::kRebuild, RemediationKind::kManual));
}

TEST(DiagnoseTest, AnyOtherNonZeroExitIsCrashExitCode) {
  const Diagnosis d = Diagnose(Exited("worker", 3, {"panic: index out of range"}));
  EXPECT_EQ(d.cause, FailureCause::kCrashExitCode);
  EXPECT_THAT(d.evidence, ElementsAre("State.ExitCode: 3", "log: panic: index out of range"));
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kRestart, RemediationKind::kRecreate));
}

TEST(DiagnoseTest, NothingToGoOnIsUnknownAndManual) {
  FailureEvidence e;
  e.service = "odd";
  e.state = "running";
  const Diagnosis d = Diagnose(e);
  EXPECT_EQ(d.cause, FailureCause::kUnknown);
  EXPECT_THAT(Kinds(d), ElementsAre(RemediationKind::kManual));
  EXPECT_THAT(d.evidence, Contains("state: running"));
}

TEST(DiagnoseTest, NamesRoundTripAndRisksAreFixed) {
  for (int i = 0; i <= static_cast<int>(FailureCause::kUnknown); ++i) {
    const auto cause = static_cast<FailureCause>(i);
    EXPECT_EQ(ParseFailureCause(FailureCauseName(cause)), cause);
  }
  for (int i = 0; i <= static_cast<int>(RemediationKind::kManual); ++i) {
    const auto kind = static_cast<RemediationKind>(i);
    EXPECT_EQ(ParseRemediationKind(RemediationKindName(kind)), kind);
  }
  EXPECT_FALSE(ParseFailureCause("oom").has_value());
  EXPECT_FALSE(ParseRemediationKind("reboot").has_value());
  EXPECT_EQ(RemediationRisk(RemediationKind::kRestart), Risk::kLow);
  EXPECT_EQ(RemediationRisk(RemediationKind::kRecreate), Risk::kMedium);
  EXPECT_EQ(RemediationRisk(RemediationKind::kRebuild), Risk::kHigh);
}

}  // namespace
}  // namespace madre
