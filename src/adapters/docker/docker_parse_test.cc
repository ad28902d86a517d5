#include "adapters/docker/docker_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kWebConfigHash[] =
    "d90311a02a9769003e4162624be6ef921cde7ec2fb9ba20e4e2817d69a208286";

// Trimmed from a real GET /v1.41/containers/json of dockerd 20.10 (docker-compose 1.29).
constexpr char kListJson[] = R"js([
  {"Id":"99f5c2356ff8","Names":["/sample_web_1"],"Image":"madre-busybox:latest",
   "Labels":{"com.docker.compose.project":"sample","com.docker.compose.service":"web",
             "com.docker.compose.config-hash":
               "d90311a02a9769003e4162624be6ef921cde7ec2fb9ba20e4e2817d69a208286"},
   "State":"running","Status":"Up Less than a second (health: starting)"},
  {"Id":"a7fff3cff272","Names":["/sample_db_1"],
   "Labels":{"com.docker.compose.project":"sample","com.docker.compose.service":"db"},
   "State":"running","Status":"Up 2 seconds (healthy)"},
  {"Id":"b1","Names":["/sample_sick_1"],
   "Labels":{"com.docker.compose.service":"sick"},
   "State":"running","Status":"Up 9 seconds (unhealthy)"},
  {"Id":"c1","Names":["/sample_plain_1"],"Labels":{"com.docker.compose.service":"plain"},
   "State":"exited","Status":"Exited (137) 3 seconds ago"}
])js";

// Trimmed from a real GET /v1.41/containers/{id}/json.
constexpr char kInspectRunning[] = R"js({
  "Id":"99f5c2356ff83035bbb263dbb2f4ed29a69aea72f70950d618ad65dedc30c54d",
  "Name":"/sample_web_1","RestartCount":0,
  "State":{"Status":"running","Running":true,"ExitCode":0,
           "Health":{"Status":"starting","FailingStreak":0,"Log":[]}},
  "Config":{"Labels":{"com.docker.compose.service":"web",
                      "com.docker.compose.config-hash":
                        "d90311a02a9769003e4162624be6ef921cde7ec2fb9ba20e4e2817d69a208286"}}})js";

constexpr char kInspectRestarting[] = R"js({
  "Id":"c0ffee","Name":"/vx11_crashy_1","RestartCount":4,
  "State":{"Status":"restarting","Running":true,"Restarting":true,"ExitCode":1},
  "Config":{"Labels":{"com.docker.compose.service":"crashy"}}})js";

// Recorded from dockerd 20.10 (trimmed): a container whose checks passed, 4 s after
// `docker pause`. Docker marks it unhealthy without a failing check.
constexpr char kInspectPaused[] = R"js({
  "Id":"5e1f0c9a7d3b","Name":"/pt","RestartCount":0,
  "State":{"Status":"paused","Running":true,"Paused":true,"Restarting":false,"ExitCode":0,
           "StartedAt":"2026-12-02T13:06:45.981234567Z",
           "Health":{"Status":"unhealthy","FailingStreak":0,"Log":[
             {"Start":"2026-12-02T13:06:46.243545965Z","End":"2026-12-02T13:06:46.409181303Z",
              "ExitCode":0,"Output":""},
             {"Start":"2026-12-02T13:06:47.424620516Z","End":"2026-12-02T13:06:47.507916146Z",
              "ExitCode":0,"Output":""}]}},
  "Config":{"Labels":{"com.docker.compose.service":"s1"}}})js";

// A container whose check really fails: the newest log entry (the last) exited 1.
constexpr char kInspectFailing[] = R"js({
  "Id":"fa11","Name":"/p_s1_1","RestartCount":0,
  "State":{"Status":"running","Running":true,"ExitCode":0,
           "Health":{"Status":"unhealthy","FailingStreak":3,"Log":[
             {"ExitCode":0,"Output":"ok"},{"ExitCode":1,"Output":"down"}]}},
  "Config":{"Labels":{"com.docker.compose.service":"s1"}}})js";

TEST(DockerHostTest, UnixSchemeGivesTheSocketPath) {
  Result<std::string> path = UnixSocketPathFromDockerHost("unix:///run/user/1000/docker.sock");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/run/user/1000/docker.sock");
}

TEST(DockerHostTest, EmptyMeansTheDefaultSocket) {
  EXPECT_EQ(*UnixSocketPathFromDockerHost(""), "/var/run/docker.sock");
}

TEST(DockerHostTest, TcpIsUnavailableWithAClearMessage) {
  Result<std::string> path = UnixSocketPathFromDockerHost("tcp://127.0.0.1:2375");
  EXPECT_EQ(path.code(), StatusCode::kUnavailable);
  EXPECT_THAT(path.status().message(), HasSubstr("only unix:// DOCKER_HOST is supported"));
}

TEST(DockerHostTest, UnixWithoutAbsolutePathIsRejected) {
  EXPECT_FALSE(UnixSocketPathFromDockerHost("unix://").ok());
  EXPECT_FALSE(UnixSocketPathFromDockerHost("unix://relative.sock").ok());
}

TEST(PercentEncodeTest, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode(R"js({"a":["b=c d"]})js"), "%7B%22a%22%3A%5B%22b%3Dc%20d%22%5D%7D");
}

TEST(ProjectLabelFilterTest, SelectsTheProjectsServiceContainers) {
  EXPECT_EQ(
      ProjectLabelFilter("vx11"),
      R"js({"label":["com.docker.compose.project=vx11","com.docker.compose.oneoff=False"]})js");
}

TEST(ContainerRefTest, AcceptsIdsAndNamesOnly) {
  EXPECT_TRUE(IsValidContainerRef("99f5c2356ff8"));
  EXPECT_TRUE(IsValidContainerRef("vx11_switch_1"));
  EXPECT_TRUE(IsValidContainerRef("vx11-operator-backend-1"));
  EXPECT_FALSE(IsValidContainerRef(""));
  EXPECT_FALSE(IsValidContainerRef("../../images/json"));
  EXPECT_FALSE(IsValidContainerRef("a?b"));
  EXPECT_FALSE(IsValidContainerRef("-x"));
  EXPECT_FALSE(IsValidContainerRef("a b"));
}

TEST(ApiVersionTest, ReadsApiVersionFromVersionAnswer) {
  Result<std::string> v = ParseApiVersion(R"js({"Version":"20.10.24","ApiVersion":"1.41"})js");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "1.41");
  EXPECT_EQ(ParseApiVersion(R"js({"Version":"20.10.24"})js").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseApiVersion("<html>").code(), StatusCode::kInternal);
}

TEST(ApiVersionTest, NeverAboveTheTestedVersion) {
  EXPECT_EQ(ChooseApiVersion("1.50"), "1.41");
  EXPECT_EQ(ChooseApiVersion("1.41"), "1.41");
  EXPECT_EQ(ChooseApiVersion("1.40"), "1.40");
  EXPECT_EQ(ChooseApiVersion("-1.5"), "1.41");  // a sign is not a version
  EXPECT_EQ(ChooseApiVersion("1.-5"), "1.41");
  EXPECT_EQ(ChooseApiVersion("2.0"), "1.41");
  EXPECT_EQ(ChooseApiVersion("garbage"), "1.41");
  EXPECT_EQ(ChooseApiVersion(""), "1.41");
}

TEST(HealthFromStatusTest, ReadsEachHealthState) {
  EXPECT_EQ(ParseHealthFromStatus("Up 3 seconds (healthy)"), "healthy");
  EXPECT_EQ(ParseHealthFromStatus("Up 3 seconds (unhealthy)"), "unhealthy");
  EXPECT_EQ(ParseHealthFromStatus("Up Less than a second (health: starting)"), "starting");
  EXPECT_EQ(ParseHealthFromStatus("Up 5 minutes"), "");
  EXPECT_EQ(ParseHealthFromStatus("Exited (0) 2 seconds ago"), "");
  EXPECT_EQ(ParseHealthFromStatus(""), "");
}

TEST(ParseContainerListTest, ReadsServiceNameIdStateAndHealth) {
  Result<std::vector<ContainerState>> list = ParseContainerList(kListJson);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  const ContainerState& web = (*list)[0];
  EXPECT_EQ(web.service, "web");
  EXPECT_EQ(web.container, "sample_web_1");
  EXPECT_EQ(web.id, "99f5c2356ff8");
  EXPECT_EQ(web.state, "running");
  EXPECT_EQ(web.health, "starting");
  EXPECT_EQ((*list)[1].health, "healthy");
  EXPECT_EQ((*list)[2].health, "unhealthy");
  EXPECT_EQ((*list)[3].state, "exited");
  EXPECT_EQ((*list)[3].health, "");
}

TEST(ParseContainerListTest, ReadsTheComposeConfigHashLabelAndLeavesItEmptyWithoutOne) {
  Result<std::vector<ContainerState>> list = ParseContainerList(kListJson);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ((*list)[0].config_hash, kWebConfigHash);
  EXPECT_EQ((*list)[1].config_hash, "");
}

TEST(ParseContainerListTest, ReadsTheImageIdNotTheImageName) {
  Result<std::vector<ContainerState>> list = ParseContainerList(
      R"js([{"Id":"x","State":"exited","Image":"vx11_app","ImageID":"sha256:0a1b"},
            {"Id":"y","State":"exited","Image":"vx11_app"}])js");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ((*list)[0].image_id, "sha256:0a1b");
  EXPECT_EQ((*list)[1].image_id, "");
}

TEST(ParseInspectTest, ReadsTheImageId) {
  Result<ContainerState> c = ParseInspect(
      R"js({"Id":"x","Name":"/a","Image":"sha256:0a1b","State":{"Status":"exited"},
            "Config":{"Image":"vx11_app"}})js");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->image_id, "sha256:0a1b");
}

// Recorded from dockerd 20.10 (docker inspect, trimmed to the members madre reads).
TEST(ParseFailureEvidenceTest, AnOomKillWithItsExitCodeAndBindMounts) {
  constexpr char kOom[] = R"({"Id":"4f1c","Name":"/vx11_mcp_1",
    "State":{"Status":"exited","Running":false,"OOMKilled":true,"Dead":false,"Pid":0,
             "ExitCode":137,"Error":"","StartedAt":"2026-12-03T10:59:46.924292419Z",
             "FinishedAt":"2026-12-03T10:59:47.003781542Z"},
    "Config":{"Image":"madre-busybox:latest",
              "Labels":{"com.docker.compose.service":"mcp"}},
    "Mounts":[{"Type":"bind","Source":"/srv/vx11/conf","Destination":"/etc/mcp","RW":false},
              {"Type":"volume","Name":"data","Source":"/var/lib/docker/volumes/data/_data",
               "Destination":"/data"}]})";
  Result<FailureEvidence> e = ParseFailureEvidence(kOom);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->service, "mcp");
  EXPECT_EQ(e->state, "exited");
  EXPECT_EQ(e->exit_code, 137);
  EXPECT_TRUE(e->oom_killed);
  EXPECT_EQ(e->image, "madre-busybox:latest");
  EXPECT_THAT(e->mounts, ElementsAre("/srv/vx11/conf:/etc/mcp"));
  EXPECT_EQ(Diagnose(*e).cause, FailureCause::kOomKilled);
}

TEST(ParseFailureEvidenceTest, AStartThatFailedHasTheRuntimesErrorAndExitCode) {
  constexpr char kPort[] = R"({"Id":"9a0e","Name":"/evport2",
    "State":{"Status":"created","Running":false,"OOMKilled":false,"Pid":0,"ExitCode":128,
             "Error":"driver failed programming external connectivity on endpoint evport2 (6d2c194f): Bind for 127.0.0.1:39123 failed: port is already allocated",
             "StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z"},
    "Config":{"Image":"madre-busybox:latest","Labels":{}}})";
  Result<FailureEvidence> e = ParseFailureEvidence(kPort);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->state, "created");
  EXPECT_EQ(e->exit_code, 128) << "a start that failed has an exit code";
  EXPECT_EQ(Diagnose(*e).cause, FailureCause::kPortInUse);
  // A created container that never tried to start has none.
  Result<FailureEvidence> fresh = ParseFailureEvidence(
      R"({"Id":"1","State":{"Status":"created","ExitCode":0,"Error":""},"Config":{}})");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->exit_code.has_value());
}

TEST(ParseFailureEvidenceTest, AnUnhealthyContainerKeepsItsLastThreeChecks) {
  constexpr char kUnhealthy[] = R"({"Id":"77","State":{"Status":"running","Running":true,
    "ExitCode":0,"Error":"","Health":{"Status":"unhealthy","FailingStreak":7,"Log":[
      {"ExitCode":1,"Output":"one\n"},{"ExitCode":1,"Output":"two\n"},
      {"ExitCode":1,"Output":"three\n"},
      {"ExitCode":1,"Output":"wget: can't connect to remote host (127.0.0.1): Connection refused\n"}]}},
    "Config":{"Image":"madre-busybox:latest","Labels":{"com.docker.compose.service":"hermes"}}})";
  Result<FailureEvidence> e = ParseFailureEvidence(kUnhealthy);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->health, "unhealthy");
  EXPECT_FALSE(e->exit_code.has_value()) << "still running";
  EXPECT_THAT(e->health_log,
              ElementsAre("two", "three",
                          "wget: can't connect to remote host (127.0.0.1): Connection refused"));
  EXPECT_EQ(Diagnose(*e).cause, FailureCause::kHealthcheckFailing);
}

TEST(ParseFailureEvidenceTest, NotAnInspectAnswerIsAnError) {
  EXPECT_FALSE(ParseFailureEvidence("[]").ok());
  EXPECT_FALSE(ParseFailureEvidence(R"({"Id":"1"})").ok());
  EXPECT_FALSE(ParseFailureEvidence("{").ok());
}

TEST(ParseImageIdTest, ReadsTheIdOfAnImageInspect) {
  Result<std::string> id =
      ParseImageId(R"js({"Id":"sha256:3f57","RepoTags":["vx11_app:latest"],"Size":1990000})js");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "sha256:3f57");
  for (const char* bad : {"", "{", "[]", "{}", R"js({"Id":5})js", R"js({"Id":""})js"}) {
    EXPECT_EQ(ParseImageId(bad).code(), StatusCode::kInternal) << bad;
  }
}

TEST(ParseNanoCpusTest, ReadsHostConfigNanoCpusAndNoneIsZero) {
  Result<std::int64_t> limited =
      ParseNanoCpus(R"js({"Id":"x","HostConfig":{"NanoCpus":500000000,"CpuQuota":0}})js");
  ASSERT_TRUE(limited.ok()) << limited.status().ToString();
  EXPECT_EQ(*limited, 500000000);
  Result<std::int64_t> none = ParseNanoCpus(R"js({"Id":"x","HostConfig":{}})js");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  for (const char* bad : {"", "{", "[]", R"js({"Id":"x"})js"}) {
    EXPECT_EQ(ParseNanoCpus(bad).code(), StatusCode::kInternal) << bad;
  }
}

TEST(ParseHostCpusTest, ReadsNcpuOfInfo) {
  Result<int> cpus = ParseHostCpus(R"js({"NCPU":2,"MemTotal":1000})js");
  ASSERT_TRUE(cpus.ok()) << cpus.status().ToString();
  EXPECT_EQ(*cpus, 2);
  for (const char* bad : {"", "[]", "{}", R"js({"NCPU":0})js"}) {
    EXPECT_EQ(ParseHostCpus(bad).code(), StatusCode::kInternal) << bad;
  }
}

TEST(IsValidImageRefTest, NamesTagsAndIdsPassPathTricksDoNot) {
  for (const char* good :
       {"vx11_app", "mine/named:1", "registry:5000/a/b:tag", "sha256:3f57", "a@sha256:3f57"}) {
    EXPECT_TRUE(IsValidImageRef(good)) << good;
  }
  for (const char* bad : {"", "../x", "a/../../b", "-x", "/x", "a b", "a?b", "a#b", "a%2F"}) {
    EXPECT_FALSE(IsValidImageRef(bad)) << bad;
  }
}

TEST(ParseContainerListTest, EmptyListIsEmpty) {
  Result<std::vector<ContainerState>> list = ParseContainerList("[]");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(ParseContainerListTest, MissingLabelsAndNamesGiveEmptyFields) {
  Result<std::vector<ContainerState>> list =
      ParseContainerList(R"js([{"Id":"x","State":"created"}])js");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].service, "");
  EXPECT_EQ((*list)[0].container, "");
}

TEST(ParseContainerListTest, UnexpectedJsonIsInternalNotACrash) {
  for (const char* bad :
       {"", "{", "{}", "null", "[1]", R"js([{"Id":5,"State":"running"}])js", R"js([{"Id":"x"}])js",
        R"js([{"Id":"x","State":"running","Names":"web"}])js",
        R"js([{"Id":"x","State":"running","Labels":[]}])js"}) {
    Result<std::vector<ContainerState>> list = ParseContainerList(bad);
    if (list.ok()) {
      // Tolerated shapes (wrong Names/Labels types) must still give sane values.
      EXPECT_EQ((*list)[0].id, "x") << bad;
    } else {
      EXPECT_EQ(list.code(), StatusCode::kInternal) << bad;
    }
  }
  EXPECT_EQ(ParseContainerList("{").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseContainerList(R"js([{"Id":"x"}])js").code(), StatusCode::kInternal);
}

TEST(ParseInspectTest, ReadsStateHealthAndNoExitCodeWhileRunning) {
  Result<ContainerState> c = ParseInspect(kInspectRunning);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->service, "web");
  EXPECT_EQ(c->container, "sample_web_1");
  EXPECT_EQ(c->state, "running");
  EXPECT_EQ(c->health, "starting");
  EXPECT_EQ(c->restart_count, 0);
  EXPECT_EQ(c->exit_code, std::nullopt);
  EXPECT_EQ(c->config_hash, kWebConfigHash);
}

TEST(ParseInspectTest, NoCheckLoggedYetHasNoLastExit) {
  Result<ContainerState> c = ParseInspect(kInspectRunning);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->health_failing_streak, 0);
  EXPECT_EQ(c->health_last_exit, std::nullopt);
}

TEST(ParseInspectTest, APausedContainerIsUnhealthyWithNoFailingStreakAndAPassingLastCheck) {
  Result<ContainerState> c = ParseInspect(kInspectPaused);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state, "paused");
  EXPECT_EQ(c->health, "unhealthy");
  EXPECT_EQ(c->health_failing_streak, 0);
  EXPECT_EQ(c->health_last_exit, 0);
  EXPECT_EQ(c->started_at, "2026-12-02T13:06:45.981234567Z") << "a pause keeps the run";
}

TEST(ParseInspectTest, AFailingCheckHasItsStreakAndTheNewestExitCode) {
  Result<ContainerState> c = ParseInspect(kInspectFailing);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->health, "unhealthy");
  EXPECT_EQ(c->health_failing_streak, 3);
  EXPECT_EQ(c->health_last_exit, 1);
}

TEST(ParseInspectTest, ACrashLoopingContainerHasRestartCountAndExitCode) {
  Result<ContainerState> c = ParseInspect(kInspectRestarting);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, "restarting");
  EXPECT_EQ(c->restart_count, 4);
  EXPECT_EQ(c->exit_code, 1);
  EXPECT_EQ(c->health, "");
  EXPECT_EQ(c->started_at, "") << "no StartedAt in the answer";
  EXPECT_EQ(c->config_hash, "");  // no such label
}

TEST(ParseInspectTest, AnExitedContainerHasItsExitCode) {
  Result<ContainerState> c = ParseInspect(
      R"js({"Id":"e","Name":"/p_web_1","State":{"Status":"exited","ExitCode":137}})js");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->exit_code, 137);
  EXPECT_EQ(c->service, "");
}

TEST(ParseInspectTest, UnexpectedJsonIsInternalNotACrash) {
  for (const char* bad :
       {"", "[]", "{}", R"js({"Id":"x"})js", R"js({"Id":"x","State":"running"})js",
        R"js({"Id":"x","State":{}})js", R"js({"Id":1,"State":{"Status":"running"}})js"}) {
    EXPECT_EQ(ParseInspect(bad).code(), StatusCode::kInternal) << bad;
  }
  // Wrongly typed optional fields are ignored, not fatal.
  Result<ContainerState> c = ParseInspect(
      R"js({"Id":"x","RestartCount":"3","State":{"Status":"exited","ExitCode":"1","Health":5}})js");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->restart_count, 0);
  EXPECT_EQ(c->exit_code, std::nullopt);
  for (const char* odd : {R"js({"Id":"x","State":{"Status":"running","Health":{"Status":"unhealthy",
             "FailingStreak":"2","Log":{"ExitCode":1}}}})js",
                          R"js({"Id":"x","State":{"Status":"running","Health":{"Status":"unhealthy",
             "Log":[{"ExitCode":0},{"ExitCode":"1"}]}}})js",
                          R"js({"Id":"x","State":{"Status":"running","Health":{"Status":"unhealthy",
             "Log":[{"ExitCode":0},7]}}})js"}) {
    Result<ContainerState> h = ParseInspect(odd);
    ASSERT_TRUE(h.ok()) << odd;
    EXPECT_EQ(h->health_failing_streak, 0) << odd;
    EXPECT_EQ(h->health_last_exit, std::nullopt) << odd;
  }
}

TEST(EngineErrorMessageTest, ReadsMessageOrKeepsTheText) {
  EXPECT_EQ(EngineErrorMessage(R"js({"message":"No such container: nope"})js"),
            "No such container: nope");
  EXPECT_EQ(EngineErrorMessage("page not found\n"), "page not found");
}

std::string Frame(char stream, const std::string& payload) {
  std::string frame = {stream, 0, 0, 0};
  auto size = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  return frame + payload;
}

TEST(LogLinesTest, NonEmptyLinesInOrderWithoutTheirEnds) {
  EXPECT_EQ(LogLines("a\r\n\nb\nc"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(LogLines("").empty());
  EXPECT_TRUE(LogLines("\n\r\n").empty());
}

TEST(DemuxDockerLogsTest, ConcatenatesStdoutAndStderrFramesInOrder) {
  std::string raw = Frame(1, "web: serving on :8080\n") + Frame(2, "warning\n") + Frame(1, "bye\n");
  Result<std::string> text = DemuxDockerLogs(raw);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "web: serving on :8080\nwarning\nbye\n");
}

TEST(DemuxDockerLogsTest, HandlesLargeAndEmptyFrames) {
  std::string big(70000, 'x');  // a size that needs three bytes
  Result<std::string> text = DemuxDockerLogs(Frame(1, big) + Frame(2, ""));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, big);
  EXPECT_EQ(*DemuxDockerLogs(""), "");
}

// GET /services/{id}/logs when the node of a task is down (seen on a two-node swarm,
// tests/integration/swarm_two_node_itest.cc): dockerd's error comes as a systemerr frame.
TEST(DemuxDockerLogsTest, KeepsDockerdsOwnErrorFrames) {
  const std::string error =
      "Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream. some "
      "logs could not be retrieved for the following reasons: node m0g880uli1kcazl6si4raorno is "
      "not available";
  Result<std::string> text = DemuxDockerLogs(Frame(1, "far: up\n") + Frame(3, error));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "far: up\n" + error);
  // Stream 4 does not exist: such text is not framed (a TTY's), returned as it is.
  EXPECT_EQ(*DemuxDockerLogs(Frame(4, "tty")), Frame(4, "tty"));
}

TEST(DemuxDockerLogsTest, TtyOutputWithoutFramesIsReturnedAsItIs) {
  EXPECT_EQ(*DemuxDockerLogs("plain tty output\n"), "plain tty output\n");
}

TEST(DemuxDockerLogsTest, AFrameCutShortIsInternal) {
  std::string raw = Frame(1, "hello world");
  EXPECT_EQ(DemuxDockerLogs(raw.substr(0, raw.size() - 3)).code(), StatusCode::kInternal);
  EXPECT_EQ(DemuxDockerLogs(Frame(1, "ok") + std::string("\x01\0\0", 3)).code(),
            StatusCode::kInternal);
  EXPECT_EQ(DemuxDockerLogs(Frame(1, "ok") + "garbage!").code(), StatusCode::kInternal);
}

TEST(ParseStatsTest, CpuFromTheDeltaAndMemoryWithoutCache) {
  auto stats =
      ParseStats(R"({"cpu_stats":{"cpu_usage":{"total_usage":3000000},"system_cpu_usage":20000000,
                             "online_cpus":2},
                             "precpu_stats":{"cpu_usage":{"total_usage":1000000},"system_cpu_usage":10000000},
                             "memory_stats":{"usage":5000000,"limit":100000000,"stats":{"inactive_file":1000000}}})");
  ASSERT_TRUE(stats.ok());
  EXPECT_DOUBLE_EQ(stats->cpu_percent, 40.0);  // 2e6 of 1e7 on 2 CPUs
  EXPECT_EQ(stats->memory_bytes, 4000000u);
  EXPECT_EQ(stats->memory_limit_bytes, 100000000u);
  EXPECT_EQ(ParseStats("[]").code(), StatusCode::kInternal);
  auto first = ParseStats(R"({"cpu_stats":{},"precpu_stats":{},"memory_stats":{}})");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->cpu_percent, 0);
}

}  // namespace
}  // namespace madre

namespace madre {
namespace {

// A trimmed `docker inspect` of a compose service with a healthcheck (dockerd 20.10).
constexpr char kInspectWithHealthcheck[] = R"({
  "Id": "0123abcd",
  "State": {"Status": "running", "Health": {"Status": "starting"}},
  "Config": {
    "Labels": {"com.docker.compose.service": "switch"},
    "Healthcheck": {
      "Test": ["CMD-SHELL", "wget -qO- http://127.0.0.1:8002/health || exit 1"],
      "Interval": 30000000000, "Timeout": 10000000000, "StartPeriod": 60000000000, "Retries": 3
    }
  }
})";

TEST(ParseHealthcheckConfigTest, ReadsTestAndDurationsInNanoseconds) {
  Result<HealthcheckConfig> config = ParseHealthcheckConfig(kInspectWithHealthcheck);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->test, ::testing::ElementsAre(
                                "CMD-SHELL", "wget -qO- http://127.0.0.1:8002/health || exit 1"));
  EXPECT_EQ(config->interval, Seconds(30));
  EXPECT_EQ(config->timeout, Seconds(10));
  EXPECT_EQ(config->start_period, Seconds(60));
  EXPECT_EQ(config->retries, 3);
}

TEST(ParseHealthcheckConfigTest, ZerosAreDockersDefaultsAndNoHealthcheckIsAnEmptyTest) {
  Result<HealthcheckConfig> config = ParseHealthcheckConfig(
      R"({"Id":"a","Config":{"Healthcheck":{"Test":["CMD","true"],"Interval":0}}})");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(*config, (HealthcheckConfig{{"CMD", "true"}}));
  Result<HealthcheckConfig> none = ParseHealthcheckConfig(R"({"Id":"a","Config":{}})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->test.empty());
  EXPECT_EQ(ParseHealthcheckConfig(R"({"Id":"a"})").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseHealthcheckConfig("not json").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseHealthcheckConfig(R"({"Id":"a","Config":{"Healthcheck":{"Test":[1]}}})").code(),
            StatusCode::kInternal);
}

TEST(ExecBodiesTest, CreateAttachesNothingAndAnswersAreRead) {
  EXPECT_EQ(ExecCreateBody({"/bin/sh", "-c", "echo \"hi\""}),
            R"({"AttachStderr":false,"AttachStdin":false,"AttachStdout":false,)"
            R"("Cmd":["/bin/sh","-c","echo \"hi\""],"Tty":false})");
  EXPECT_EQ(ParseExecCreated(R"({"Id":"e1"})").value(), "e1");
  EXPECT_EQ(ParseExecCreated(R"({})").code(), StatusCode::kInternal);
  Result<ExecProgress> running = ParseExecInspect(R"({"Running":true,"ExitCode":null})");
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(running->running);
  Result<ExecProgress> done = ParseExecInspect(R"({"Running":false,"ExitCode":3})");
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->running);
  EXPECT_EQ(done->exit_code, 3);
  EXPECT_EQ(ParseExecInspect(R"({"ExitCode":3})").code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace madre
