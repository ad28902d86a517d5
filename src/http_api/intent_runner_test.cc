// The execution of approved intents (IntentRunner) through the router, on the fake engine:
// admission, the window and spawn executors, failures, types without an executor, and the
// recovery of what a previous run left.
#include "http_api/intent_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_api/http_api_test_support.h"
#include "http_api/intent_routes.h"
#include "testing/in_memory_build_store.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class IntentRunnerTest : public HttpApiTest {
 protected:
  IntentRunnerTest() {
    options_.intents.policy.rules = {
        PolicyRule{"ci-windows", "ci", "window", PolicyAction::kAutoApprove, {}},
        PolicyRule{"ci-spawns", "ci", "spawn", PolicyAction::kAutoApprove, {}}};
    options_.intent_runner.spawn_service = "web";
  }

  HttpResponse SubmitWindow(const json& payload, const std::string& correlation) {
    return Call("POST", "/madre/intent",
                json{{"type", "window"},
                     {"source", "ci"},
                     {"correlation_id", correlation},
                     {"payload", payload}}
                    .dump());
  }
  const Intent& Stored(const std::string& id) { return intents_.intents().at(id); }
  // The reason of the audit record `action` of intent `id` ("" when none).
  std::string Audit(const std::string& action, const std::string& id) {
    for (const auto& r : audit_.records()) {
      if (r.action == action && r.detail.find(id) != std::string::npos) return r.reason;
    }
    return "";
  }
  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    for (const auto& r : audit_.records()) {
      if (r.action.rfind("intent.", 0) == 0) out.push_back(r.action);
    }
    return out;
  }
};

TEST_F(IntentRunnerTest, AnAutoApprovedWindowIntentOpensTheWindowAndSucceedsWithItsId) {
  Build();
  HttpResponse submitted = SubmitWindow({{"services", {"web"}}, {"ttl_sec", 120}}, "c-1");
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(Json(submitted)["status"], "approved") << "answered when recorded, before it runs";
  const Intent& intent = Stored("intent-1");
  ASSERT_EQ(intent.state, IntentState::kSucceeded) << intent.detail;
  ASSERT_FALSE(intent.task_id.empty());
  EXPECT_EQ(intent.detail, "window " + intent.task_id + " open");
  EXPECT_TRUE(docker_.running().count("web"));
  EXPECT_TRUE(docker_.running().count("db")) << "its dependency, as for any window";
  // The window names the intent as who opened it, and the intent object names the window.
  json window = Json(Call("GET", "/madre/power/windows/" + intent.task_id));
  EXPECT_EQ(window["state"], "open");
  EXPECT_EQ(Json(Call("GET", "/madre/intents/intent-1"))["task_id"], intent.task_id);
  EXPECT_EQ(Actions(),
            (std::vector<std::string>{"intent.submitted", "intent.approved", "intent.admitted",
                                      "intent.executing", "intent.succeeded"}));

  // A close intent closes it.
  ASSERT_EQ(SubmitWindow({{"action", "close"}, {"window_id", intent.task_id}}, "c-2").status, 200);
  EXPECT_EQ(Stored("intent-2").state, IntentState::kSucceeded) << Stored("intent-2").detail;
  EXPECT_FALSE(docker_.running().count("web"));
}

TEST_F(IntentRunnerTest, AFailedOpenFailsTheIntentWithTheReason) {
  Build();
  ASSERT_EQ(SubmitWindow({{"services", {"redis"}}}, "c-1").status, 200);  // not allowlisted
  const Intent& intent = Stored("intent-1");
  EXPECT_EQ(intent.state, IntentState::kFailed);
  EXPECT_THAT(intent.detail, HasSubstr("allowlist"));
  EXPECT_EQ(Actions().back(), "intent.failed");
}

TEST_F(IntentRunnerTest, ASpawnOpensAWindowOfTheSpawnService) {
  Build();
  HttpResponse r =
      Call("POST", "/madre/intent",
           json{{"type", "spawn"}, {"source", "ci"}, {"payload", {{"ttl_sec", 90}}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const Intent& intent = Stored("intent-1");
  ASSERT_EQ(intent.state, IntentState::kSucceeded) << intent.detail;
  EXPECT_TRUE(docker_.running().count("web"));
  EXPECT_EQ(Json(Call("GET", "/madre/power/windows/" + intent.task_id))["ttl_sec"], 90);
}

TEST_F(IntentRunnerTest, OnABusyHostAnApprovedIntentWaitsThenRunsWhenTheLoadDrops) {
  double busy = 95;
  cpu_busy_ = [&busy] { return std::optional<double>(busy); };
  Build();
  ASSERT_EQ(SubmitWindow({{"services", {"db"}}}, "c-1").status, 200);
  EXPECT_EQ(Stored("intent-1").state, IntentState::kApproved);
  EXPECT_EQ(Stored("intent-1").detail,
            "waiting for the host CPU (95%) to fall under 70% (queue position 1 of 1)");
  EXPECT_FALSE(docker_.running().count("db"));
  EXPECT_EQ(Json(Call("GET", "/madre/intents/intent-1"))["detail"],
            "waiting for the host CPU (95%) to fall under 70% (queue position 1 of 1)");
  ASSERT_EQ(SubmitWindow({{"services", {"web"}}}, "c-2").status, 200);
  EXPECT_THAT(Stored("intent-2").detail, HasSubstr("(queue position 2 of 2)"));
  clock_.Advance(Seconds(2));
  timers_.FireDue();
  Drain();
  EXPECT_EQ(Stored("intent-1").state, IntentState::kApproved) << "still busy";
  busy = 20;
  clock_.Advance(Seconds(2));
  timers_.FireDue();
  Drain();
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded) << Stored("intent-1").detail;
  EXPECT_NE(Stored("intent-2").state, IntentState::kApproved)
      << "admitted too (its open then meets the window limit)";
  EXPECT_TRUE(docker_.running().count("db"));
  // Each admission observed its wait since approval: 4 s, and 4 s.
  const std::string text = Call("GET", "/metrics").body;
  EXPECT_THAT(text, HasSubstr("madre_intent_admission_wait_seconds_count{type=\"window\"} 2"));
  EXPECT_THAT(text, HasSubstr("madre_intent_admission_wait_seconds_sum{type=\"window\"} 8"));
  EXPECT_THAT(text,
              HasSubstr("madre_intent_admission_wait_seconds_bucket{type=\"window\",le=\"2\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("madre_intent_admission_wait_seconds_bucket{type=\"window\",le=\"5\"} 2"));
}

TEST_F(IntentRunnerTest, AnIntentAdmittedAtOnceWaitedZeroSeconds) {
  Build();
  ASSERT_EQ(SubmitWindow({{"services", {"db"}}}, "c-1").status, 200);
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded);
  EXPECT_EQ(metrics_.Count(kMetricIntentAdmissionWait, {{"type", "window"}}), 1u);
  EXPECT_THAT(Call("GET", "/metrics").body,
              HasSubstr("madre_intent_admission_wait_seconds_sum{type=\"window\"} 0"));
}

TEST_F(IntentRunnerTest, TypesWithoutAnExecutorAreRecordedAndRejectedAtOnce) {
  Build();
  for (const char* type : {"fs_drift", "deploy", "build"}) {
    HttpResponse r = Call(
        "POST", "/madre/intent",
        json{{"type", type}, {"source", "ci"}, {"payload", {{"target_service", "web"}}}}.dump());
    ASSERT_EQ(r.status, 200) << type << ": " << r.body;
    EXPECT_EQ(Json(r)["status"], "rejected") << type;
    // A build without the build executor (none here) says what a build needs.
    EXPECT_THAT(
        Json(r)["reason"].get<std::string>(),
        HasSubstr(std::string(type) == "build" ? std::string(kNoBuildExecutor)
                                               : std::string("no executor for type ") + type));
    EXPECT_EQ(Json(r)["decided_by"], "madre");
  }
  EXPECT_TRUE(docker_.running().count("redis"));
  EXPECT_FALSE(docker_.running().count("web")) << "nothing ran";
}

TEST_F(IntentRunnerTest, APayloadItsExecutorWouldNotTakeIs400AndRecordsNothing) {
  Build();
  for (const json& payload :
       {json{{"services", json::array()}}, json{{"services", {"web"}}, {"ttl", 5}},
        json{{"services", {"web"}}, {"ttl_sec", 99999999}}, json{{"action", "reboot"}}}) {
    HttpResponse r = SubmitWindow(payload, "");
    EXPECT_EQ(r.status, 400) << payload.dump() << " -> " << r.body;
  }
  EXPECT_TRUE(intents_.intents().empty());
}

TEST_F(IntentRunnerTest, AtStartWhatAPreviousRunLeftIsSettledFromTheLiveWindows) {
  Build();
  ASSERT_EQ(SubmitWindow({{"services", {"web"}}}, "c-1").status, 200);
  const std::string window = Stored("intent-1").task_id;
  ASSERT_FALSE(window.empty());
  // As if madre had stopped in the middle: intent-1 still executing (its window is live), one
  // executing whose window never came, one admitted that never started.
  auto left = [this](const std::string& id, IntentState state) {
    Intent intent = Stored("intent-1");
    intent.id = id;
    intent.correlation_id = id;
    intent.state = state;
    intent.task_id.clear();
    intent.detail.clear();
    return intent;
  };
  Intent executing = left("intent-1", IntentState::kExecuting);
  executing.correlation_id = "c-1";
  ASSERT_TRUE(intents_.Update(executing, IntentState::kSucceeded).ok());
  ASSERT_TRUE(intents_.Submit(left("intent-lost", IntentState::kExecuting)).ok());
  ASSERT_TRUE(intents_.Submit(left("intent-queued", IntentState::kAdmitted)).ok());
  router_->SetReady();  // Recover runs with SetReady, as at start
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded);
  EXPECT_EQ(Stored("intent-1").task_id, window);
  EXPECT_THAT(Stored("intent-1").detail, HasSubstr("found live after a restart"));
  EXPECT_EQ(Stored("intent-lost").state, IntentState::kFailed);
  EXPECT_THAT(Stored("intent-lost").detail, HasSubstr("madre restarted while it executed"));
  EXPECT_EQ(Stored("intent-queued").state, IntentState::kFailed);
  EXPECT_THAT(Stored("intent-queued").detail, HasSubstr("before it executed"));
}

class StabilizeCpuTest : public IntentRunnerTest {
 protected:
  StabilizeCpuTest() {
    options_.intents.policy.rules.push_back(
        PolicyRule{"ci-stabilize", "ci", "stabilize_cpu", PolicyAction::kAutoApprove, {}});
    cpu_busy_ = [this] { return std::optional<double>(busy_); };
  }
  HttpResponse SubmitStabilize(const json& payload) {
    return Call("POST", "/madre/intent",
                json{{"type", "stabilize_cpu"}, {"source", "ci"}, {"payload", payload}}.dump());
  }
  void Tick(Duration d) {
    clock_.Advance(d);
    timers_.FireDue();
    Drain();
  }
  double busy_ = 95;
};

TEST_F(StabilizeCpuTest, ItHoldsOpensUntilTheHostIsUnderTheThresholdThenSucceeds) {
  Build();
  ASSERT_EQ(SubmitStabilize({{"cpu", 93}}).status, 200);
  // Admitted although the host is busy: it relieves the load. It executes, holding opens.
  ASSERT_EQ(Stored("intent-1").state, IntentState::kExecuting) << Stored("intent-1").detail;
  HttpResponse open =
      Call("POST", "/madre/power/window/open", json{{"services", {"db"}}, {"ttl_sec", 60}}.dump());
  EXPECT_EQ(open.status, 503) << "refused at once, not after the throttle's back-off";
  EXPECT_THAT(Json(open)["detail"].get<std::string>(),
              HasSubstr("stabilize_cpu intent intent-1 holds new opens while the host CPU (95%) "
                        "is at or above 70%"));
  bool retry_after = false;
  for (const auto& [name, value] : open.headers) retry_after |= name == "Retry-After";
  EXPECT_TRUE(retry_after);
  bool audited = false;
  for (const auto& r : audit_.records()) {
    audited |= r.action == "window.open" && r.outcome == AuditOutcome::kRejected;
  }
  EXPECT_TRUE(audited) << "audited as the throttle's refusals are";
  // A window intent waits, naming it; it never closes anything.
  ASSERT_EQ(SubmitWindow({{"services", {"db"}}}, "c-1").status, 200);
  EXPECT_EQ(Stored("intent-2").state, IntentState::kApproved);
  EXPECT_THAT(Stored("intent-2").detail,
              HasSubstr("stabilize_cpu intent intent-1 holds new opens"));
  EXPECT_TRUE(docker_.running().count("redis"));
  Tick(Seconds(2));
  EXPECT_EQ(Stored("intent-1").state, IntentState::kExecuting) << "still busy";
  busy_ = 40;
  Tick(Seconds(2));
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded);
  EXPECT_EQ(Stored("intent-1").detail, "the host CPU (40%) is under 70%");
  EXPECT_EQ(Stored("intent-2").state, IntentState::kSucceeded) << Stored("intent-2").detail;
  EXPECT_NE(Call("POST", "/madre/power/window/open", json{{"services", {"web"}}}.dump()).status,
            503)
      << "no hold any more";
}

TEST_F(StabilizeCpuTest, ItFailsWhenItsTimeoutPassesFirst) {
  Build();
  ASSERT_EQ(SubmitStabilize({{"timeout_sec", 5}}).status, 200);
  ASSERT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  Tick(Seconds(2));
  Tick(Seconds(2));
  EXPECT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  Tick(Seconds(2));
  EXPECT_EQ(Stored("intent-1").state, IntentState::kFailed);
  EXPECT_EQ(Stored("intent-1").detail,
            "the host CPU (95%) still at or above 70% after 5 s (timeout_sec)");
  // Opens go through the throttle alone again.
  busy_ = 10;
  EXPECT_EQ(Call("POST", "/madre/power/window/open", json{{"services", {"db"}}}.dump()).status,
            200);
}

TEST_F(StabilizeCpuTest, UnderTheThresholdItSucceedsAtOnce) {
  busy_ = 30;
  Build();
  ASSERT_EQ(SubmitStabilize(json::object()).status, 200);
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded);
  EXPECT_EQ(Stored("intent-1").detail, "the host CPU (30%) is under 70%");
}

TEST_F(StabilizeCpuTest, ABadTimeoutIs400AndRecordsNothing) {
  Build();
  HttpResponse r = SubmitStabilize({{"timeout_sec", 0}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("payload.timeout_sec must be 1.."));
  EXPECT_TRUE(intents_.intents().empty());
}

TEST_F(StabilizeCpuTest, AfterARestartItIsResumedWithItsTimeoutFromWhenItBegan) {
  Build();
  ASSERT_EQ(SubmitStabilize({{"timeout_sec", 60}}).status, 200);
  ASSERT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  router_.reset();
  timers_.Clear();  // the stopped madre's timers go with it
  clock_.Advance(Seconds(30));
  Build();  // a new router over the same store: Recover runs with SetReady
  EXPECT_EQ(Stored("intent-1").state, IntentState::kExecuting) << Stored("intent-1").detail;
  EXPECT_EQ(Call("POST", "/madre/power/window/open", json{{"services", {"db"}}}.dump()).status, 503)
      << "it holds opens again";
  Tick(Seconds(28));
  EXPECT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  Tick(Seconds(2));
  EXPECT_EQ(Stored("intent-1").state, IntentState::kFailed);
  EXPECT_THAT(Stored("intent-1").detail, HasSubstr("after 60 s"));
}

class BuildIntentTest : public IntentRunnerTest {
 protected:
  BuildIntentTest() {
    options_.intents.policy.rules.push_back(
        PolicyRule{"ci-builds", "ci", "build", PolicyAction::kAutoApprove, {}});
    options_.intents.build_executor = true;
    build_store_ = &build_rows_;
    check_build_ = [](const BuildIntent& b) {
      return b.target_service == "web"
                 ? Status::Ok()
                 : Status::InvalidArgument("service " + b.target_service + " has no build:");
    };
    run_build_ = [this](const BuildIntent& b, const std::string& intent_id) -> Result<BuildRecord> {
      ++builds_run_;
      BuildRecord row;
      row.intent_id = intent_id;
      row.service = b.target_service;
      row.image_before = "sha256:0000000000000000aaaa";
      row.image_after = fail_ ? "" : "sha256:1111111111111111bbbb";
      row.outcome = fail_ ? BuildOutcomeKind::kFailed : BuildOutcomeKind::kSucceeded;
      row.error = fail_ ? "exit 1: COPY failed" : "";
      ASSIGN_OR_RETURN(row.id, build_rows_.Start(row));
      RETURN_IF_ERROR(build_rows_.Finish(row));
      return row;
    };
  }
  HttpResponse SubmitBuild(const std::string& service) {
    return Call(
        "POST", "/madre/intent",
        json{{"intent_type", "build"}, {"source", "ci"}, {"target_service", service}}.dump());
  }

  InMemoryBuildStore build_rows_;
  int builds_run_ = 0;
  bool fail_ = false;
};

TEST_F(BuildIntentTest, ABuildRunsOnItsLaneAndTheIntentNamesItsRow) {
  Build();
  ASSERT_EQ(SubmitBuild("web").status, 200);
  EXPECT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  EXPECT_EQ(builds_run_, 0) << "not on the engine thread: queued on the build lane";
  build_lane_.RunAll();
  Drain();
  const Intent& intent = Stored("intent-1");
  ASSERT_EQ(intent.state, IntentState::kSucceeded) << intent.detail;
  EXPECT_EQ(intent.task_id, "build:1");
  EXPECT_THAT(intent.detail, HasSubstr("sha256:1111111111"));
  EXPECT_THAT(intent.detail, HasSubstr("was sha256:0000000000"));
}

TEST_F(BuildIntentTest, AFailedBuildFailsTheIntentWithTheError) {
  fail_ = true;
  Build();
  ASSERT_EQ(SubmitBuild("web").status, 200);
  build_lane_.RunAll();
  Drain();
  EXPECT_EQ(Stored("intent-1").state, IntentState::kFailed);
  EXPECT_THAT(Stored("intent-1").detail, HasSubstr("COPY failed"));
  EXPECT_EQ(Stored("intent-1").task_id, "build:1");
}

TEST_F(BuildIntentTest, ARequestTheModelRefusesIs400AndRecordsNothing) {
  Build();
  HttpResponse r = SubmitBuild("db");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("has no build:"));
  EXPECT_TRUE(intents_.intents().empty());
}

TEST_F(BuildIntentTest, AfterARestartAnExecutingBuildIntentTakesItsRowsOutcome) {
  Build();
  ASSERT_EQ(SubmitBuild("web").status, 200);
  ASSERT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  // madre stops here; the build ran to its end meanwhile (the row is settled at start).
  build_lane_.RunAll();  // the row is written; the reply to the engine thread is lost
  router_.reset();
  Build();  // a new router over the same stores: Recover runs with SetReady
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded) << Stored("intent-1").detail;
  EXPECT_EQ(Stored("intent-1").task_id, "build:1");
  EXPECT_THAT(Stored("intent-1").detail, HasSubstr("settled after a restart"));
}

TEST_F(BuildIntentTest, PerSourceASourceAtItsMaxConcurrentWaitsAndOthersGoAhead) {
  options_.intent_runner.per_source = true;
  options_.intents.policy.sources["ci"] = SourceQuota{1, 0};
  options_.intents.policy.rules.push_back(
      PolicyRule{"ops-windows", "ops", "window", PolicyAction::kAutoApprove, {}});
  Build();
  ASSERT_EQ(SubmitBuild("web").status, 200);
  ASSERT_EQ(Stored("intent-1").state, IntentState::kExecuting);  // on the build lane
  ASSERT_EQ(SubmitWindow({{"services", {"db"}}}, "c-1").status, 200);
  EXPECT_EQ(Stored("intent-2").state, IntentState::kApproved);
  EXPECT_EQ(Stored("intent-2").detail,
            "waiting for one of the source's 1 executing intents to end (max_concurrent 1) "
            "(queue position 1 of 1)");
  // Another source is not held back by ci's quota.
  ASSERT_EQ(
      Call("POST", "/madre/intent",
           json{{"type", "window"}, {"source", "ops"}, {"payload", {{"services", {"web"}}}}}.dump())
          .status,
      200);
  const Intent& ops = Stored("intent-3");
  EXPECT_EQ(ops.state, IntentState::kSucceeded) << ops.detail;
  ASSERT_EQ(
      Call("POST", "/madre/power/windows/close", json{{"window_id", ops.task_id}}.dump()).status,
      200);
  // The build ends: ci's window is admitted.
  build_lane_.RunAll();
  Drain();
  EXPECT_EQ(Stored("intent-1").state, IntentState::kSucceeded);
  EXPECT_EQ(Stored("intent-2").state, IntentState::kSucceeded) << Stored("intent-2").detail;
  EXPECT_THAT(Audit("intent.admitted", "intent-2"),
              HasSubstr("source ci: 0 executing of max_concurrent 1"));
}

TEST_F(BuildIntentTest, WithoutVx11IneeEnabledTheSourceQuotasDoNotApply) {
  options_.intents.policy.sources["ci"] = SourceQuota{1, 0};
  Build();
  ASSERT_EQ(SubmitBuild("web").status, 200);
  ASSERT_EQ(Stored("intent-1").state, IntentState::kExecuting);
  ASSERT_EQ(SubmitWindow({{"services", {"db"}}}, "c-1").status, 200);
  EXPECT_EQ(Stored("intent-2").state, IntentState::kSucceeded) << Stored("intent-2").detail;
}

TEST_F(IntentRunnerTest, PerSourceTheCpuOfTheSourcesWindowsContainersHoldsItsNextIntent) {
  options_.intent_runner.per_source = true;
  options_.intent_runner.host_cpus = 2;
  options_.intents.policy.sources["ci"] = SourceQuota{0, 30};
  options_.stats_interval = Seconds(10);
  Build();
  ASSERT_EQ(SubmitWindow({{"services", {"web"}}}, "c-1").status, 200);
  ASSERT_EQ(Stored("intent-1").state, IntentState::kSucceeded) << Stored("intent-1").detail;
  docker_.SetCpu("web", 50);
  docker_.SetCpu("db", 30);      // web's dependency runs in its window too: 80 of 2 cores = 40%
  docker_.SetCpu("redis", 100);  // always-on: nobody's
  clock_.Advance(Seconds(10));
  timers_.FireDue();
  Drain();  // a stats round
  ASSERT_TRUE(router_->sampler().sampled_at().has_value());
  ASSERT_EQ(
      SubmitWindow({{"action", "close"}, {"window_id", Stored("intent-1").task_id}}, "c-2").status,
      200);
  EXPECT_EQ(Stored("intent-2").state, IntentState::kApproved);
  EXPECT_EQ(Stored("intent-2").detail,
            "waiting for the source's containers (40% of the host) to fall under its "
            "cpu_share_pct 30% (queue position 1 of 1)");
  docker_.SetCpu("web", 10);     // 40 of 2 cores: 20%
  for (int i = 0; i < 6; ++i) {  // the next stats round (10 s), then the next pump (2 s)
    clock_.Advance(Seconds(2));
    timers_.FireDue();
    Drain();
  }
  EXPECT_EQ(Stored("intent-2").state, IntentState::kSucceeded) << Stored("intent-2").detail;
}

}  // namespace
}  // namespace madre
