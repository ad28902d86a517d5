#include "adapters/swarm/swarm_runner.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/swarm/swarm_samples.h"
#include "core/readiness.h"
#include "testing/fake_clock.h"
#include "testing/fake_docker.h"

namespace madre {
namespace {

using nlohmann::json;
namespace samples = swarm_samples;

// Canned Engine API answers by "METHOD /path" (the path without its query). The last answer
// of a key repeats; a key without answers is a 404.
class FakeSwarmApi {
 public:
  struct Request {
    std::string method;
    std::string path;  // with its query
    std::string body;
  };

  void Answer(const std::string& key, long status, std::string body) {
    answers_[key].push_back(UnixHttpResponse{status, std::move(body)});
  }
  void FailTransport(Status status) { transport_error_ = std::move(status); }

  SwarmTransport Transport() {
    return [this](std::string_view method, const std::string& path,
                  std::string_view body) -> Result<UnixHttpResponse> {
      requests.push_back({std::string(method), path, std::string(body)});
      if (!transport_error_.ok()) return transport_error_;
      const std::string key = std::string(method) + " " + path.substr(0, path.find('?'));
      auto it = answers_.find(key);
      if (it == answers_.end() || it->second.empty()) {
        return UnixHttpResponse{404, R"({"message":"no such thing in the fake"})"};
      }
      UnixHttpResponse answer = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
      return answer;
    };
  }

  std::vector<Request> Posts() const {
    std::vector<Request> out;
    for (const Request& r : requests) {
      if (r.method == "POST") out.push_back(r);
    }
    return out;
  }
  int Count(const std::string& method, const std::string& path_prefix) const {
    int n = 0;
    for (const Request& r : requests) {
      if (r.method == method && r.path.rfind(path_prefix, 0) == 0) ++n;
    }
    return n;
  }

  std::vector<Request> requests;

 private:
  std::map<std::string, std::deque<UnixHttpResponse>> answers_;
  Status transport_error_;
};

// The inspect answer of smp_web with `replicas` and, when given, the label vx11.madre.replicas.
std::string WebInspect(int replicas, std::optional<std::string> label, int version = 185) {
  json web = json::parse(samples::kServiceInspectWebSample);
  web["Spec"]["Mode"]["Replicated"]["Replicas"] = replicas;
  web["Spec"]["Labels"].erase(std::string(kReplicasLabel));
  if (label) web["Spec"]["Labels"][std::string(kReplicasLabel)] = *label;
  web["Version"]["Index"] = version;
  return web.dump();
}

class SwarmRunnerTest : public ::testing::Test {
 protected:
  SwarmRunnerTest() : client_("smp", api_.Transport()), runner_(client_, model_, clock_) {}

  static constexpr const char* kWebId = "x6r85z89tnkcdqsjkepdpzbni";

  FakeSwarmApi api_;
  FakeClock clock_;
  FakeDocker model_{ServiceModel{}};
  SwarmClient client_;
  SwarmRunner runner_;
};

TEST_F(SwarmRunnerTest, ListProjectGivesOneStatePerStackService) {
  api_.Answer("GET /services", 200, std::string(samples::kServiceListSample));
  api_.Answer("GET /tasks", 200, std::string(samples::kCrashyTasksSample));
  Result<std::vector<ContainerState>> list = runner_.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 4u);
  const ContainerState& crashy = (*list)[0];
  EXPECT_EQ(crashy.service, "crashy");
  EXPECT_EQ(crashy.container, "smp_crashy");
  EXPECT_EQ(crashy.id, "idi3ezpgrnf5cr7a0thrw59xg");
  EXPECT_EQ(crashy.state, "restarting");  // 0 of 1 running
  EXPECT_EQ(crashy.restart_count, 2);     // two failed tasks since its last update
  EXPECT_EQ(crashy.exit_code, 1);
  EXPECT_EQ(crashy.health, "");
  EXPECT_EQ((*list)[1].service, "db");
  EXPECT_EQ((*list)[1].state, "running");
  EXPECT_EQ((*list)[1].restart_count, 0);
  EXPECT_FALSE((*list)[1].exit_code.has_value());
  EXPECT_EQ((*list)[2].service, "glob");
  EXPECT_EQ((*list)[2].state, "running");
  const ContainerState& web = (*list)[3];
  EXPECT_EQ(web.service, "web");
  EXPECT_EQ(web.state, "running");
  EXPECT_EQ(web.health, "healthy");
  EXPECT_TRUE(runner_.Ps().ok());

  // The list asks for the stack's label and the counts; the tasks of all four at once.
  ASSERT_GE(api_.requests.size(), 2u);
  EXPECT_EQ(api_.requests[0].path,
            "/services?status=true&filters=%7B%22label%22%3A%5B%22com.docker.stack.namespace%"
            "3Dsmp%22%5D%7D");
  EXPECT_EQ(api_.Count("GET", "/tasks"), 2);  // ListProject and Ps
  EXPECT_NE(api_.requests[1].path.find("idi3ezpgrnf5cr7a0thrw59xg"), std::string::npos);
  EXPECT_NE(api_.requests[1].path.find(kWebId), std::string::npos);
}

// Each service's replicas: desired, running, and the hostnames of its running tasks' nodes,
// asked once (GET /nodes) for a node not seen before; without an answer, the node id.
TEST_F(SwarmRunnerTest, ReplicasAndTheNodesOfRunningTasks) {
  api_.Answer("GET /services", 200, std::string(samples::kServiceListSample));
  api_.Answer("GET /tasks", 200, std::string(samples::kWebTasksSample));
  Result<std::vector<ContainerState>> unnamed = runner_.ListProject();
  ASSERT_TRUE(unnamed.ok()) << unnamed.status().message();
  const ContainerState* web = &(*unnamed)[3];
  ASSERT_EQ(web->service, "web");
  ASSERT_TRUE(web->replicas.has_value());
  EXPECT_EQ(web->replicas->desired, 2);
  EXPECT_EQ(web->replicas->running, 2);
  EXPECT_EQ(web->replicas->nodes, std::vector<std::string>{"j212syqjjg9ttm27f7bkrfkns"});
  // db: none of its tasks in this list: ServiceStatus's count, no nodes known.
  EXPECT_EQ((*unnamed)[1].replicas->running, 1);
  EXPECT_TRUE((*unnamed)[1].replicas->nodes.empty());
  EXPECT_EQ(api_.Count("GET", "/nodes"), 1);  // a 404 here: the id stands in
  ASSERT_TRUE(runner_.ListProject().ok());
  EXPECT_EQ(api_.Count("GET", "/nodes"), 1) << "not asked again before kNodesRetry";

  api_.Answer("GET /nodes", 200, std::string(samples::kNodesSample));
  clock_.Advance(SwarmRunner::kNodesRetry);
  Result<std::vector<ContainerState>> named = runner_.ListProject();
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ((*named)[3].replicas->nodes, std::vector<std::string>{"madre-host"});
  EXPECT_EQ(api_.Count("GET", "/nodes"), 2);
  ASSERT_TRUE(runner_.ListProject().ok());
  EXPECT_EQ(api_.Count("GET", "/nodes"), 2);  // known now: not asked again
}

TEST_F(SwarmRunnerTest, ScaledDownServicesAreNotRunning) {
  api_.Answer("GET /services", 200, std::string(samples::kServiceListWebScaledDownSample));
  api_.Answer("GET /tasks", 200, "[]");
  Result<std::vector<ContainerState>> list = runner_.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, "removing");  // desired 0, two tasks still shutting down
  EXPECT_FALSE((*list)[0].Running());
  EXPECT_EQ((*list)[0].health, "");

  Result<SwarmService> down =
      ParseSwarmService(json::parse(samples::kServiceListWebScaledDownSample)[0].dump());
  ASSERT_TRUE(down.ok());
  down->running_tasks = 0;
  EXPECT_EQ(SwarmServiceState("smp", *down, {}).state, "exited");
}

// Closed, then opened at once: the old tasks still run on their way to shutdown, and Swarm's
// RunningTasks counts them; they do not make the service running.
TEST_F(SwarmRunnerTest, TasksBeingShutDownDoNotCount) {
  Result<std::vector<SwarmTask>> running = ParseTasks(samples::kWebTasksSample);
  ASSERT_TRUE(running.ok());
  Result<std::vector<SwarmService>> list = ParseStackServices(samples::kServiceListSample, "smp");
  ASSERT_TRUE(list.ok());
  SwarmService web = (*list)[3];  // 2 of 2 per ServiceStatus
  std::vector<SwarmTask> tasks = *running;
  EXPECT_EQ(SwarmServiceState("smp", web, tasks).state, "running");
  tasks[0].desired_state = "shutdown";  // the old ones, still running
  tasks[1].desired_state = "shutdown";
  SwarmTask fresh = tasks[0];
  fresh.id = "new";
  fresh.state = "starting";
  fresh.desired_state = "running";
  tasks.push_back(fresh);
  ContainerState c = SwarmServiceState("smp", web, tasks);
  EXPECT_EQ(c.state, "restarting");
  EXPECT_EQ(c.health, "starting");
  web.desired_tasks = 0;
  EXPECT_EQ(SwarmServiceState("smp", web, tasks).state, "removing");
  tasks[0].state = tasks[1].state = "shutdown";
  EXPECT_EQ(SwarmServiceState("smp", web, tasks).state, "exited");
}

// A task Swarm cannot place ("no suitable node") is named while the service is short of it.
TEST_F(SwarmRunnerTest, ATaskWithoutANodeIsNamed) {
  Result<std::vector<SwarmTask>> running = ParseTasks(samples::kWebTasksSample);
  ASSERT_TRUE(running.ok());
  Result<std::vector<SwarmService>> list = ParseStackServices(samples::kServiceListSample, "smp");
  ASSERT_TRUE(list.ok());
  SwarmService web = (*list)[3];  // 2 of 2
  std::vector<SwarmTask> tasks = *running;
  EXPECT_EQ(SwarmServiceState("smp", web, tasks).replicas->unplaceable, "");
  tasks[1].state = "pending";
  tasks[1].message = "pending task scheduling";
  tasks[1].err = "no suitable node (scheduling constraints not satisfied on 1 node)";
  ContainerState c = SwarmServiceState("smp", web, tasks);
  EXPECT_EQ(c.state, "restarting");
  EXPECT_EQ(c.replicas->running, 1);
  EXPECT_EQ(c.replicas->unplaceable,
            "no suitable node (scheduling constraints not satisfied on 1 node)");
  tasks[1].desired_state = "shutdown";  // a scale down took it back: nothing waits for a node
  web.desired_tasks = 1;
  EXPECT_EQ(SwarmServiceState("smp", web, tasks).replicas->unplaceable, "");
}

// core/readiness.h judges a swarm service ready exactly when its running tasks equal the
// desired count, and a crash loop failed.
TEST_F(SwarmRunnerTest, ReadyExactlyWhenRunningEqualsDesired) {
  Result<std::vector<SwarmService>> starting =
      ParseStackServices(samples::kServiceListWebStartingSample, "smp");
  ASSERT_TRUE(starting.ok());
  SwarmService web = (*starting)[0];  // 0 of 2, healthcheck
  ServiceDef def;
  def.name = "web";
  def.has_healthcheck = true;
  def.labels["vx11.health.exec"] = "false";
  ReadinessSpec spec = ReadinessFor(def, Seconds(60));
  ReadinessState state;
  state.started = clock_.Now();

  ContainerState c = SwarmServiceState("smp", web, {});
  EXPECT_TRUE(c.Running());  // the action runner's start check passes at once
  EXPECT_EQ(EvaluateReadiness(spec, c, std::nullopt, state, clock_.Now()).verdict,
            Verdict::kPending);
  web.running_tasks = 1;  // 1 of 2
  clock_.Advance(Seconds(1));
  c = SwarmServiceState("smp", web, {});
  EXPECT_EQ(c.health, "starting");
  EXPECT_EQ(EvaluateReadiness(spec, c, std::nullopt, state, clock_.Now()).verdict,
            Verdict::kPending);
  web.running_tasks = 2;
  clock_.Advance(Seconds(1));
  c = SwarmServiceState("smp", web, {});
  EXPECT_EQ(EvaluateReadiness(spec, c, std::nullopt, state, clock_.Now()).verdict, Verdict::kReady);

  // Without a healthcheck: running for the settle time, only once every task runs.
  ServiceDef plain;
  plain.name = "web";
  ReadinessSpec plain_spec = ReadinessFor(plain, Seconds(60));
  ReadinessState plain_state;
  plain_state.started = clock_.Now();
  web.has_healthcheck = false;
  web.running_tasks = 1;
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(Seconds(1));
    EXPECT_EQ(EvaluateReadiness(plain_spec, SwarmServiceState("smp", web, {}), std::nullopt,
                                plain_state, clock_.Now())
                  .verdict,
              Verdict::kPending);
  }
  web.running_tasks = 2;
  EXPECT_EQ(EvaluateReadiness(plain_spec, SwarmServiceState("smp", web, {}), std::nullopt,
                              plain_state, clock_.Now())
                .verdict,
            Verdict::kPending);  // settling
  clock_.Advance(Seconds(1));
  EXPECT_EQ(EvaluateReadiness(plain_spec, SwarmServiceState("smp", web, {}), std::nullopt,
                              plain_state, clock_.Now())
                .verdict,
            Verdict::kReady);
}

TEST_F(SwarmRunnerTest, ACrashLoopFailsReadinessWithTheExitCode) {
  Result<std::vector<SwarmService>> list = ParseStackServices(samples::kServiceListSample, "smp");
  ASSERT_TRUE(list.ok());
  const SwarmService& crashy = (*list)[0];
  Result<std::vector<SwarmTask>> tasks = ParseTasks(samples::kCrashyTasksSample);
  ASSERT_TRUE(tasks.ok());
  ServiceDef def;
  def.name = "crashy";
  ReadinessSpec spec = ReadinessFor(def, Seconds(60));
  ReadinessState state;
  state.started = clock_.Now();
  // First look: one task starting, none failed yet.
  std::vector<SwarmTask> first = {(*tasks)[0]};
  EXPECT_EQ(EvaluateReadiness(spec, SwarmServiceState("smp", crashy, first), std::nullopt, state,
                              clock_.Now())
                .verdict,
            Verdict::kPending);
  clock_.Advance(Seconds(5));
  ReadinessCheck check = EvaluateReadiness(spec, SwarmServiceState("smp", crashy, *tasks),
                                           std::nullopt, state, clock_.Now());
  EXPECT_EQ(check.verdict, Verdict::kFailed);
  EXPECT_NE(check.detail.find("restarting in a loop"), std::string::npos) << check.detail;
  EXPECT_NE(check.detail.find("exit code 1"), std::string::npos) << check.detail;

  // Failures from before the service's last update do not count.
  SwarmService updated = crashy;
  updated.updated_at = ParseRfc3339("2026-12-03T16:08:00Z");
  EXPECT_EQ(SwarmServiceState("smp", updated, *tasks).restart_count, 0);
}

TEST_F(SwarmRunnerTest, UpRestoresTheRememberedCountInOrder) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(0, "2"));
  api_.Answer("POST /services/" + std::string(kWebId) + "/update", 200,
              std::string(samples::kUpdateOkSample));
  json db = json::parse(samples::kServiceListSample)[2];  // smp_db, 1 replica
  db["Spec"]["Mode"]["Replicated"]["Replicas"] = 0;
  db.erase("ServiceStatus");
  api_.Answer("GET /services/smp_db", 200, db.dump());
  api_.Answer("POST /services/oj3my78igeb4bgmdaoiot1jo7/update", 200, "{}");

  ComposeOutcome outcome = runner_.Up({"db", "web"});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  ASSERT_EQ(outcome.ops.size(), 2u);
  EXPECT_EQ(outcome.ops[0].command, "POST /services/smp_db/update replicas=1");  // no label: 1
  EXPECT_EQ(outcome.ops[1].command, "POST /services/smp_web/update replicas=2");
  EXPECT_EQ(outcome.ops[1].exit_code, 0);
  EXPECT_EQ(outcome.ops[1].output, "replicas 0 -> 2");
  std::vector<FakeSwarmApi::Request> posts = api_.Posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].path, "/services/oj3my78igeb4bgmdaoiot1jo7/update?version=15");
  EXPECT_EQ(posts[1].path, "/services/" + std::string(kWebId) + "/update?version=185");
  json body = json::parse(posts[1].body);
  EXPECT_EQ(body["Mode"]["Replicated"]["Replicas"], 2);
  EXPECT_EQ(body["Name"], "smp_web");
  EXPECT_EQ(body["Labels"][std::string(kReplicasLabel)], "2");  // kept
  EXPECT_EQ(body["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Interval"], 1000000000);
}

TEST_F(SwarmRunnerTest, TheFirstStopRemembersTheCountLaterOnesKeepIt) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(2, std::nullopt));
  api_.Answer("POST /services/" + std::string(kWebId) + "/update", 200, "{}");
  ComposeOutcome outcome = runner_.Stop({"web"});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  ASSERT_EQ(outcome.ops.size(), 1u);
  EXPECT_EQ(outcome.ops[0].command, "POST /services/smp_web/update replicas=0");
  EXPECT_EQ(outcome.ops[0].output, "replicas 2 -> 0; label vx11.madre.replicas=2");
  json body = json::parse(api_.Posts().at(0).body);
  EXPECT_EQ(body["Mode"]["Replicated"]["Replicas"], 0);
  EXPECT_EQ(body["Labels"][std::string(kReplicasLabel)], "2");

  // Scaled up by hand to 3 since: the remembered 2 stays.
  FakeSwarmApi api;
  SwarmClient client("smp", api.Transport());
  SwarmRunner runner(client, model_, clock_);
  api.Answer("GET /services/smp_web", 200, WebInspect(3, "2"));
  api.Answer("POST /services/" + std::string(kWebId) + "/update", 200, "{}");
  ASSERT_TRUE(runner.Stop({"web"}).status.ok());
  json again = json::parse(api.Posts().at(0).body);
  EXPECT_EQ(again["Labels"][std::string(kReplicasLabel)], "2");
}

TEST_F(SwarmRunnerTest, UpNeverScalesDown) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(3, "2"));  // scaled up by hand
  ComposeOutcome outcome = runner_.Up({"web"});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_TRUE(api_.Posts().empty());
  EXPECT_EQ(outcome.ops.at(0).command, "POST /services/smp_web/update replicas=3");
  EXPECT_EQ(outcome.ops.at(0).output, "replicas 3 -> 3 (already so, nothing sent)");
}

TEST_F(SwarmRunnerTest, StoppingAStoppedServiceSendsNothing) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(0, "2"));
  ComposeOutcome outcome = runner_.Stop({"web"});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  EXPECT_TRUE(api_.Posts().empty());
  EXPECT_EQ(outcome.ops.at(0).output, "replicas 0 -> 0 (already so, nothing sent)");
}

TEST_F(SwarmRunnerTest, AVersionConflictIsRetriedWithAFreshSpec) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(2, std::nullopt, 185));
  api_.Answer("GET /services/smp_web", 200, WebInspect(2, std::nullopt, 190));
  const std::string update = "POST /services/" + std::string(kWebId) + "/update";
  api_.Answer(update, 500, std::string(samples::kUpdateOutOfSequenceSample));
  api_.Answer(update, 200, "{}");
  ComposeOutcome outcome = runner_.Stop({"web"});
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.message();
  std::vector<FakeSwarmApi::Request> posts = api_.Posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_NE(posts[0].path.find("version=185"), std::string::npos);
  EXPECT_NE(posts[1].path.find("version=190"), std::string::npos);
  EXPECT_EQ(api_.Count("GET", "/services/smp_web"), 2);
  EXPECT_NE(outcome.ops.at(0).output.find("2 attempts"), std::string::npos);
}

TEST_F(SwarmRunnerTest, VersionConflictsGiveUpAfterTheAttempts) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(2, std::nullopt));
  api_.Answer("POST /services/" + std::string(kWebId) + "/update", 500,
              std::string(samples::kUpdateOutOfSequenceSample));
  ComposeOutcome outcome = runner_.Stop({"web"});
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(outcome.status.message().find("update out of sequence"), std::string::npos);
  EXPECT_EQ(api_.Posts().size(), 4u);
  ASSERT_EQ(outcome.ops.size(), 1u);
  EXPECT_EQ(outcome.ops[0].exit_code, -1);
}

TEST_F(SwarmRunnerTest, OtherUpdateErrorsAreNotRetried) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(2, std::nullopt));
  api_.Answer("POST /services/" + std::string(kWebId) + "/update", 400,
              R"({"message":"rpc error: code = InvalidArgument desc = bad spec"})");
  ComposeOutcome outcome = runner_.Stop({"web"});
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_NE(outcome.status.message().find("bad spec"), std::string::npos);
  EXPECT_EQ(api_.Posts().size(), 1u);
}

TEST_F(SwarmRunnerTest, GlobalServicesAreRefused) {
  api_.Answer("GET /services/smp_glob", 200, std::string(samples::kServiceInspectGlobalSample));
  for (const ComposeOutcome& outcome : {runner_.Up({"glob"}), runner_.Stop({"glob"})}) {
    ASSERT_FALSE(outcome.status.ok());
    EXPECT_NE(outcome.status.message().find("glob: service smp_glob is not in replicated mode"),
              std::string::npos)
        << outcome.status.message();
    EXPECT_EQ(outcome.ops.at(0).exit_code, -1);
  }
  EXPECT_TRUE(api_.Posts().empty());
}

TEST_F(SwarmRunnerTest, UnknownServicesAndBadNamesFail) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(0, "2"));
  api_.Answer("POST /services/" + std::string(kWebId) + "/update", 200, "{}");
  ComposeOutcome outcome = runner_.Up({"nope", "web", "../x"});
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_NE(outcome.status.message().find("nope: "), std::string::npos);
  EXPECT_NE(outcome.status.message().find("not a service name"), std::string::npos);
  ASSERT_EQ(outcome.ops.size(), 3u);
  EXPECT_EQ(outcome.ops[0].exit_code, -1);
  EXPECT_EQ(outcome.ops[0].command, "POST /services/smp_nope/update");
  EXPECT_EQ(outcome.ops[1].exit_code, 0);  // the others are still carried out
  EXPECT_EQ(outcome.ops[2].exit_code, -1);
}

TEST_F(SwarmRunnerTest, RestartAndRecreateForceAnUpdate) {
  api_.Answer("GET /services/smp_web", 200, WebInspect(2, "2"));
  api_.Answer("POST /services/" + std::string(kWebId) + "/update", 200, "{}");
  ComposeOutcome restart = runner_.Restart({"web"});
  ASSERT_TRUE(restart.status.ok()) << restart.status.message();
  EXPECT_EQ(restart.ops.at(0).command, "POST /services/smp_web/update force_update");
  ComposeOutcome recreate = runner_.Recreate({"web"});
  ASSERT_TRUE(recreate.status.ok());
  std::vector<FakeSwarmApi::Request> posts = api_.Posts();
  ASSERT_EQ(posts.size(), 2u);
  for (const auto& post : posts) {
    json body = json::parse(post.body);
    EXPECT_EQ(body["TaskTemplate"]["ForceUpdate"], 1);
    EXPECT_EQ(body["Mode"]["Replicated"]["Replicas"], 2);
  }
}

TEST_F(SwarmRunnerTest, LogsAndEvidenceOfTheLastFailedTask) {
  const std::string crashy_id = "idi3ezpgrnf5cr7a0thrw59xg";
  json crashy = json::parse(samples::kServiceListSample)[1];
  crashy.erase("ServiceStatus");
  api_.Answer("GET /services/" + crashy_id, 200, crashy.dump());
  api_.Answer("GET /tasks", 200, std::string(samples::kCrashyTasksSample));
  api_.Answer("GET /services/" + crashy_id + "/logs", 200,
              std::string(samples::kCrashyLogsSample, sizeof(samples::kCrashyLogsSample) - 1));

  Result<std::string> logs = runner_.Logs(crashy_id, 4);
  ASSERT_TRUE(logs.ok()) << logs.status().message();
  EXPECT_EQ(*logs, std::string("crashy: crashing on purpose (CRASH=1)\n"
                               "crashy: crashing on purpose (CRASH=1)\n"
                               "crashy: crashing on purpose (CRASH=1)\n"
                               "crashy: crashing on purpose (CRASH=1)\n"));
  EXPECT_EQ(api_.requests.back().path, "/services/" + crashy_id + "/logs?stdout=1&stderr=1&tail=4");

  Result<FailureEvidence> evidence = runner_.Evidence(crashy_id, 4);
  ASSERT_TRUE(evidence.ok()) << evidence.status().message();
  EXPECT_EQ(evidence->service, "crashy");
  EXPECT_EQ(evidence->state, "exited");
  EXPECT_EQ(evidence->exit_code, 1);
  EXPECT_EQ(evidence->error, "task: non-zero exit (1)");
  EXPECT_EQ(evidence->image, "madre-busybox:latest");
  EXPECT_EQ(evidence->log_lines.size(), 4u);
}

TEST_F(SwarmRunnerTest, TransportAndAnswerErrorsAreReported) {
  api_.FailTransport(Status::Unavailable("docker engine unreachable"));
  Result<std::vector<ContainerState>> list = runner_.ListProject();
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.code(), StatusCode::kUnavailable);

  FakeSwarmApi api;
  SwarmClient client("smp", api.Transport());
  SwarmRunner runner(client, model_, clock_);
  api.Answer("GET /services", 200, "{\"not\":\"a list\"}");
  EXPECT_EQ(runner.ListProject().code(), StatusCode::kInternal);
  api.Answer("GET /services/smp_web", 200, "garbage");
  ComposeOutcome outcome = runner.Up({"web"});
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_TRUE(api.Posts().empty());  // bad input changes nothing
}

TEST_F(SwarmRunnerTest, ConfigComesFromTheComposeModel) {
  ServiceModel model;
  model.services["web"].name = "web";
  FakeDocker compose(model);
  SwarmRunner runner(client_, compose, clock_);
  Result<ServiceModel> config = runner.Config();
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->Has("web"));
  Result<std::map<std::string, std::string>> hashes = runner.ConfigHashes();
  ASSERT_TRUE(hashes.ok());
  EXPECT_TRUE(hashes->empty());
}

}  // namespace
}  // namespace madre
