#include "core/readiness.h"

#include <gtest/gtest.h>

#include "core/crash_loop.h"

namespace madre {
namespace {

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

ContainerState C(std::string state, std::string health = "", int restarts = 0) {
  ContainerState c;
  c.service = "svc";
  c.container = "p-svc-1";
  c.state = std::move(state);
  c.health = std::move(health);
  c.restart_count = restarts;
  if (c.state == "exited") c.exit_code = 1;
  return c;
}

ReadinessState StartedAt(TimePoint t) {
  ReadinessState state;
  state.started = t;
  return state;
}

ServiceDef Def(bool healthcheck, std::map<std::string, std::string> labels = {}) {
  ServiceDef def;
  def.name = "svc";
  def.has_healthcheck = healthcheck;
  def.labels = std::move(labels);
  return def;
}

TEST(ReadinessTest, SpecComesFromHealthcheckThenLabelsThenRunning) {
  EXPECT_EQ(
      ReadinessFor(Def(true, {{"vx11.health.url", "http://127.0.0.1:1/h"}}), Seconds(60)).kind,
      ReadinessKind::kDockerHealth);
  ReadinessSpec http =
      ReadinessFor(Def(false, {{"vx11.health.url", "http://127.0.0.1:1/h"}}), Seconds(60));
  EXPECT_EQ(http.kind, ReadinessKind::kHttp);
  EXPECT_EQ(http.target, "http://127.0.0.1:1/h");
  EXPECT_EQ(ReadinessFor(Def(false, {{"vx11.health.tcp", "127.0.0.1:6379"}}), Seconds(60)).kind,
            ReadinessKind::kTcp);
  EXPECT_EQ(ReadinessFor(Def(false), Seconds(60)).kind, ReadinessKind::kRunningFor);
  EXPECT_EQ(ReadinessFor(Def(false, {{"vx11.health.timeout_sec", "20"}}), Seconds(60)).timeout,
            Seconds(20));
  EXPECT_EQ(ReadinessFor(Def(false, {{"vx11.health.timeout_sec", "-3"}}), Seconds(60)).timeout,
            Seconds(60));
  EXPECT_EQ(ReadinessFor(Def(false, {{"vx11.health.timeout_sec", "abc"}}), Seconds(60)).timeout,
            Seconds(60));
}

TEST(ReadinessTest, HealthcheckServiceIsReadyOnlyWhenHealthy) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  EXPECT_EQ(EvaluateReadiness(spec, C("running", "starting"), std::nullopt, state, kT0).verdict,
            Verdict::kPending);
  EXPECT_EQ(
      EvaluateReadiness(spec, C("running", "unhealthy"), std::nullopt, state, kT0 + Seconds(5))
          .verdict,
      Verdict::kPending);  // unhealthy fails only past the timeout
  EXPECT_EQ(EvaluateReadiness(spec, C("running", "healthy"), std::nullopt, state, kT0 + Seconds(6))
                .verdict,
            Verdict::kReady);
}

TEST(ReadinessTest, ASwarmTaskWithoutANodeFailsAfterTheGraceNotTheTimeout) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(120));
  ReadinessState state = StartedAt(kT0);
  ContainerState c = C("restarting", "starting");
  c.replicas = ServiceReplicas{
      .desired = 1,
      .running = 0,
      .nodes = {},
      .unplaceable = "no suitable node (scheduling constraints not satisfied on 1 node)"};
  ReadinessCheck waiting = EvaluateReadiness(spec, c, std::nullopt, state, kT0 + Seconds(3));
  EXPECT_EQ(waiting.verdict, Verdict::kPending);
  EXPECT_EQ(waiting.detail,
            "Swarm cannot place a task: no suitable node (scheduling constraints not satisfied "
            "on 1 node)");
  ReadinessCheck failed = EvaluateReadiness(spec, c, std::nullopt, state, kT0 + kUnplaceableGrace);
  EXPECT_EQ(failed.verdict, Verdict::kFailed);
  EXPECT_EQ(failed.detail, waiting.detail);
  // Placed in time (the node came back): judged as any other.
  ReadinessState again = StartedAt(kT0);
  c.replicas->unplaceable.clear();
  EXPECT_EQ(EvaluateReadiness(spec, c, std::nullopt, again, kT0 + Seconds(30)).verdict,
            Verdict::kPending);
}

TEST(ReadinessTest, ExecLabelsTuneMadresOwnRunsOfTheHealthcheck) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(60));
  EXPECT_TRUE(spec.exec);
  EXPECT_EQ(spec.exec_interval, Millis(250));
  spec = ReadinessFor(
      Def(true, {{"vx11.health.exec", "false"}, {"vx11.health.exec_interval_ms", "100"}}),
      Seconds(60));
  EXPECT_FALSE(spec.exec);
  EXPECT_EQ(spec.exec_interval, Millis(100));
  EXPECT_FALSE(ReadinessFor(Def(true, {{"vx11.health.exec", "0"}}), Seconds(60)).exec);
  EXPECT_TRUE(ReadinessFor(Def(true, {{"vx11.health.exec", "true"}}), Seconds(60)).exec);
  for (const char* bad : {"5", "60001", "-1", "abc", ""}) {
    EXPECT_EQ(
        ReadinessFor(Def(true, {{"vx11.health.exec_interval_ms", bad}}), Seconds(60)).exec_interval,
        Millis(250))
        << bad;
  }
}

TEST(ReadinessTest, OnePassOfMadresOwnCheckIsReadyWhileDockerStillSaysStarting) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  EXPECT_EQ(EvaluateReadiness(spec, C("running", "starting"), std::nullopt, state, kT0).verdict,
            Verdict::kPending);
  state.exec_passed = true;
  ReadinessCheck check =
      EvaluateReadiness(spec, C("running", "starting"), std::nullopt, state, kT0 + Millis(300));
  EXPECT_EQ(check.verdict, Verdict::kReady);
  EXPECT_EQ(check.detail, "healthcheck passed (run by madre)");
}

TEST(ReadinessTest, APassDoesNotSaveAContainerThatExitedOrLoops) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  state.exec_passed = true;
  EXPECT_EQ(EvaluateReadiness(spec, C("exited"), std::nullopt, state, kT0).verdict,
            Verdict::kFailed);
  ReadinessState looping = StartedAt(kT0);
  looping.exec_passed = true;
  EXPECT_EQ(EvaluateReadiness(spec, C("restarting", "", 0), std::nullopt, looping, kT0).verdict,
            Verdict::kPending);
  EXPECT_EQ(
      EvaluateReadiness(spec, C("running", "", 2), std::nullopt, looping, kT0 + Seconds(1)).verdict,
      Verdict::kFailed);
}

// What Docker shows of a container it paused while its checks passed, once unpaused: unhealthy,
// no failing streak, the last logged check passed.
ContainerState PauseMarked(std::string state = "running", int restarts = 0) {
  ContainerState c = C(std::move(state), "unhealthy", restarts);
  c.health_failing_streak = 0;
  c.health_last_exit = 0;
  return c;
}

ReadinessState UnpausedAt(TimePoint t, int restarts = 0) {
  ReadinessState state = StartedAt(t);
  state.unpaused_restart_count = restarts;
  return state;
}

TEST(ReadinessTest, TheUnhealthyOfAPauseIsTheMarkOnlyWithNoFailingStreakAndAPassingLastCheck) {
  EXPECT_TRUE(IsPauseMark(PauseMarked()));
  ContainerState failing = PauseMarked();
  failing.health_failing_streak = 1;
  EXPECT_FALSE(IsPauseMark(failing));
  ContainerState last_failed = PauseMarked();
  last_failed.health_last_exit = 1;
  EXPECT_FALSE(IsPauseMark(last_failed));
  ContainerState never_checked = PauseMarked();
  never_checked.health_last_exit.reset();  // paused before Docker's first check
  EXPECT_FALSE(IsPauseMark(never_checked));
  EXPECT_TRUE(IsPauseMark(never_checked, /*passed_before=*/true)) << "madre's check passed";
  EXPECT_FALSE(IsPauseMark(last_failed, /*passed_before=*/true)) << "Docker's log comes later";
  EXPECT_FALSE(IsPauseMark(failing, /*passed_before=*/true));
  ContainerState starting = PauseMarked();
  starting.health = "starting";
  EXPECT_FALSE(IsPauseMark(starting));
}

TEST(ReadinessTest, AContainerPausedBeforeDockersFirstCheckIsReadyOnlyIfMadreSawAPass) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ContainerState unchecked = PauseMarked();
  unchecked.health_last_exit.reset();
  ReadinessState unknown = UnpausedAt(kT0);
  EXPECT_EQ(EvaluateReadiness(spec, unchecked, std::nullopt, unknown, kT0).verdict,
            Verdict::kPending);
  ReadinessState passed = UnpausedAt(kT0);
  passed.passed_before_pause = true;
  EXPECT_EQ(EvaluateReadiness(spec, unchecked, std::nullopt, passed, kT0).verdict, Verdict::kReady);
  ReadinessState restarted = UnpausedAt(kT0, 0);
  restarted.passed_before_pause = true;
  EXPECT_EQ(
      EvaluateReadiness(spec, PauseMarked("running", 1), std::nullopt, restarted, kT0).verdict,
      Verdict::kPending)
      << "restarted since the unpause: another process";
}

TEST(ReadinessTest, AContainerMadreUnpausedWithThePausesMarkIsReadyAtOnce) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = UnpausedAt(kT0);
  ReadinessCheck check = EvaluateReadiness(spec, PauseMarked(), std::nullopt, state, kT0);
  EXPECT_EQ(check.verdict, Verdict::kReady);
  EXPECT_EQ(check.detail, "unpaused, its last healthcheck passed (unhealthy: the pause's mark)");
  EXPECT_TRUE(ReadyPerDocker(PauseMarked(), state));
  // Docker still calling it healthy is ready at once too.
  ReadinessState healthy = UnpausedAt(kT0);
  EXPECT_EQ(EvaluateReadiness(spec, C("running", "healthy"), std::nullopt, healthy, kT0).verdict,
            Verdict::kReady);
}

TEST(ReadinessTest, ThePausesMarkCountsOnlyForAContainerMadreJustUnpaused) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState started = StartedAt(kT0);  // started, not unpaused: a stop also marks it
  EXPECT_FALSE(ReadyPerDocker(PauseMarked(), started));
  EXPECT_EQ(EvaluateReadiness(spec, PauseMarked(), std::nullopt, started, kT0).verdict,
            Verdict::kPending);
  started.exec_passed = true;  // then one check of its own
  EXPECT_EQ(
      EvaluateReadiness(spec, PauseMarked(), std::nullopt, started, kT0 + Millis(200)).verdict,
      Verdict::kReady);
}

TEST(ReadinessTest, AnUnpausedContainerWhoseChecksFailedWaitsForAPass) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = UnpausedAt(kT0);
  ContainerState failing = PauseMarked();
  failing.health_failing_streak = 2;
  failing.health_last_exit = 1;
  EXPECT_EQ(EvaluateReadiness(spec, failing, std::nullopt, state, kT0).verdict, Verdict::kPending);
  state.exec_passed = true;
  EXPECT_EQ(EvaluateReadiness(spec, failing, std::nullopt, state, kT0 + Millis(200)).verdict,
            Verdict::kReady);
}

TEST(ReadinessTest, AnUnpausedContainerThatExitedOrRestartedIsNeverReadyAtOnce) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState exited = UnpausedAt(kT0);
  ContainerState gone = PauseMarked("exited");
  EXPECT_FALSE(ReadyPerDocker(gone, exited));
  EXPECT_EQ(EvaluateReadiness(spec, gone, std::nullopt, exited, kT0).verdict, Verdict::kFailed);
  EXPECT_FALSE(ReadyPerDocker(PauseMarked("paused"), exited));  // not unpaused yet
  // Restarted since the unpause (one restart is within max_restarts: not a loop).
  ReadinessState restarted = UnpausedAt(kT0, 3);
  EXPECT_FALSE(ReadyPerDocker(PauseMarked("running", 4), restarted));
  EXPECT_EQ(
      EvaluateReadiness(spec, PauseMarked("running", 4), std::nullopt, restarted, kT0).verdict,
      Verdict::kPending);
  EXPECT_TRUE(ReadyPerDocker(PauseMarked("running", 3), UnpausedAt(kT0, 3)));
}

TEST(ReadinessTest, UnhealthyPastTheTimeoutFails) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  ReadinessCheck check =
      EvaluateReadiness(spec, C("running", "unhealthy"), std::nullopt, state, kT0 + Seconds(30));
  EXPECT_EQ(check.verdict, Verdict::kFailed);
  EXPECT_EQ(check.detail, "not ready after 30 s (health: unhealthy)");
}

TEST(ReadinessTest, ProbeServiceIsReadyWhenTheProbeAnswers) {
  ReadinessSpec spec =
      ReadinessFor(Def(false, {{"vx11.health.url", "http://127.0.0.1:9/h"}}), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  EXPECT_EQ(
      EvaluateReadiness(spec, C("running"), Status::Unavailable("refused"), state, kT0).verdict,
      Verdict::kPending);
  EXPECT_EQ(EvaluateReadiness(spec, C("running"), Status::Ok(), state, kT0 + Seconds(1)).verdict,
            Verdict::kReady);
}

TEST(ReadinessTest, PlainServiceNeedsOneSecondRunningWithoutRestart) {
  ReadinessSpec spec = ReadinessFor(Def(false), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  EXPECT_EQ(EvaluateReadiness(spec, C("running"), std::nullopt, state, kT0).verdict,
            Verdict::kPending);
  EXPECT_EQ(
      EvaluateReadiness(spec, C("running", "", 1), std::nullopt, state, kT0 + Millis(900)).verdict,
      Verdict::kPending);  // restarted: the second starts again
  EXPECT_EQ(
      EvaluateReadiness(spec, C("running", "", 1), std::nullopt, state, kT0 + Millis(1500)).verdict,
      Verdict::kPending);
  EXPECT_EQ(
      EvaluateReadiness(spec, C("running", "", 1), std::nullopt, state, kT0 + Millis(1900)).verdict,
      Verdict::kReady);
}

TEST(ReadinessTest, ExitedContainerFailsAtOnceWithItsExitCode) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  ReadinessCheck check = EvaluateReadiness(spec, C("exited"), std::nullopt, state, kT0);
  EXPECT_EQ(check.verdict, Verdict::kFailed);
  EXPECT_EQ(check.detail, "container exited (exit code 1)");
  EXPECT_EQ(EvaluateReadiness(spec, std::nullopt, std::nullopt, state, kT0).verdict,
            Verdict::kFailed);
}

TEST(ReadinessTest, RestartingInALoopFails) {
  ReadinessSpec spec = ReadinessFor(Def(true), Seconds(30));
  ReadinessState state = StartedAt(kT0);
  EXPECT_EQ(EvaluateReadiness(spec, C("running", "starting", 0), std::nullopt, state, kT0).verdict,
            Verdict::kPending);
  EXPECT_EQ(EvaluateReadiness(spec, C("restarting", "", 1), std::nullopt, state, kT0 + Seconds(1))
                .verdict,
            Verdict::kPending);
  ReadinessCheck check =
      EvaluateReadiness(spec, C("restarting", "", 2), std::nullopt, state, kT0 + Seconds(2));
  EXPECT_EQ(check.verdict, Verdict::kFailed);
  EXPECT_EQ(check.detail.rfind("restarting in a loop: 2 restarts", 0), 0u) << check.detail;
}

TEST(CrashLoopTest, ThirdDeathWithinTheWindowIsALoopReportedOnce) {
  CrashLoopDetector detector(3, Seconds(60));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0 + Seconds(10)));
  EXPECT_TRUE(detector.OnDie("svc", 2, kT0 + Seconds(20)));
  EXPECT_TRUE(detector.InLoop("svc"));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0 + Seconds(21)));
  EXPECT_EQ(detector.RecentExitCodes("svc"), (std::vector<int>{1, 1, 2, 1}));
}

TEST(CrashLoopTest, DeathsSpreadOverMoreThanTheWindowAreNotALoop) {
  CrashLoopDetector detector(3, Seconds(60));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0 + Seconds(40)));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0 + Seconds(80)));  // the first fell out of the window
  EXPECT_FALSE(detector.InLoop("svc"));
  EXPECT_TRUE(detector.OnDie("svc", 1, kT0 + Seconds(90)));
}

TEST(CrashLoopTest, ResetForgetsTheService) {
  CrashLoopDetector detector(2, Seconds(60));
  detector.OnDie("svc", 1, kT0);
  EXPECT_TRUE(detector.OnDie("svc", 1, kT0 + Seconds(1)));
  detector.Reset("svc");
  EXPECT_FALSE(detector.InLoop("svc"));
  EXPECT_FALSE(detector.OnDie("svc", 1, kT0 + Seconds(2)));
}

}  // namespace
}  // namespace madre
