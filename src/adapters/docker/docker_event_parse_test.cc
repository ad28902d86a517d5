// The pure half of the events stream, on event lines captured from a real dockerd.
#include "adapters/docker/docker_event_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "adapters/docker/docker_event_samples.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kOkId = "41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b573214c0b028bc0250d1c4";
const std::string kPlainId = "9d4755da1e492f8bd0a2769feeb4685f2cf3bd2f1884df2fdc7038900ca0099d";

DockerEvent MustParse(std::string_view line) {
  Result<DockerEvent> event = ParseDockerEvent(line);
  EXPECT_TRUE(event.ok()) << event.status().ToString();
  return event.ok() ? *event : DockerEvent{};
}

TEST(ParseDockerEventTest, FoundByFuzzingHugeLegacyTimeAndEmptyAction) {
  auto huge = ParseDockerEvent(R"({"Action":"start","id":"x","time":10000000000000})");
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->time_nano, 0);  // out of range: no time, and no overflow
  EXPECT_FALSE(ParseDockerEvent(R"({"Action":":healthy","id":"x"})").ok());
}

TEST(LineSplitterTest, FoundByFuzzingSeveralCarriageReturnsEndNoLine) {
  std::vector<std::string> lines;
  LineSplitter splitter;
  splitter.Append("a\r\r\r\n\r\r\nb\n", [&](std::string_view line) { lines.emplace_back(line); });
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
}

TEST(ParseDockerEventTest, StartOfAComposeService) {
  DockerEvent event = MustParse(event_samples::kStartLine);
  EXPECT_EQ(event.action, "start");
  EXPECT_EQ(event.container_id, kPlainId);
  EXPECT_EQ(event.container_name, "evcap11813_plain_1");
  EXPECT_EQ(event.service, "plain");
  EXPECT_EQ(event.project, "evcap11813");
  EXPECT_EQ(event.exit_code, std::nullopt);
  EXPECT_EQ(event.health, "");
  EXPECT_EQ(event.time_nano, 1795489207959272347);
  EXPECT_EQ(ToMicros(event.time), 1795489207959272);
}

TEST(ParseDockerEventTest, HealthStatusIsSplitIntoActionAndHealth) {
  DockerEvent event = MustParse(event_samples::kHealthyLine);
  EXPECT_EQ(event.action, "health_status");
  EXPECT_EQ(event.health, "healthy");
  EXPECT_EQ(event.service, "ok");
  EXPECT_EQ(event.container_id, kOkId);
}

TEST(ParseDockerEventTest, DieCarriesTheExitCode) {
  DockerEvent crash = MustParse(event_samples::kCrashDieLine);
  EXPECT_EQ(crash.action, "die");
  EXPECT_EQ(crash.exit_code, 3);
  EXPECT_EQ(crash.service, "crash");
  EXPECT_EQ(crash.container_name, "evcap11813_crash_1");

  DockerEvent stopped = MustParse(event_samples::kDieLine);
  EXPECT_EQ(stopped.exit_code, 0);
}

TEST(ParseDockerEventTest, StopAndDestroy) {
  EXPECT_EQ(MustParse(event_samples::kStopLine).action, "stop");
  EXPECT_EQ(MustParse(event_samples::kStopLine).exit_code, std::nullopt);
  EXPECT_EQ(MustParse(event_samples::kDestroyLine).action, "destroy");
}

TEST(ParseDockerEventTest, ExecEventsParseAsExecActionsWithoutExitCode) {
  DockerEvent start = MustParse(event_samples::kExecStartLine);
  EXPECT_EQ(start.action, "exec_start");
  EXPECT_TRUE(IsExecAction(start.action));
  DockerEvent died = MustParse(event_samples::kExecDieLine);
  EXPECT_EQ(died.action, "exec_die");
  EXPECT_TRUE(IsExecAction(died.action));
  EXPECT_EQ(died.exit_code, std::nullopt);  // the healthcheck's, not the container's
  EXPECT_FALSE(IsExecAction("die"));
  EXPECT_FALSE(IsExecAction("health_status"));
}

TEST(ParseDockerEventTest, LegacyFieldsAreTheFallback) {
  DockerEvent event = MustParse(
      R"js({"status":"die","id":"abc","time":1700000000,
            "Actor":{"Attributes":{"exitCode":"137","name":"/p_web_1"}}})js");
  EXPECT_EQ(event.action, "die");
  EXPECT_EQ(event.container_id, "abc");
  EXPECT_EQ(event.container_name, "p_web_1");
  EXPECT_EQ(event.exit_code, 137);
  EXPECT_EQ(event.time_nano, 1700000000000000000);
  EXPECT_EQ(event.service, "");
}

TEST(ParseDockerEventTest, AnUnparsableExitCodeIsAbsent) {
  DockerEvent event = MustParse(R"js({"Type":"container","Action":"die",
                                      "Actor":{"ID":"a","Attributes":{"exitCode":"x"}}})js");
  EXPECT_EQ(event.exit_code, std::nullopt);
}

TEST(ParseDockerEventTest, GarbageIsAnErrorNeverACrash) {
  for (std::string_view line :
       {"", "not json", "{", "[]", "42", "null", R"js({"Action":"start"})js",
        R"js({"Actor":{"ID":"abc"}})js", R"js({"Action":7,"id":"abc"})js",
        R"js({"Action":"start","Actor":"abc"})js", R"js({"Action":"","id":"abc"})js"}) {
    Result<DockerEvent> event = ParseDockerEvent(line);
    EXPECT_EQ(event.code(), StatusCode::kInternal) << line;
  }
}

TEST(ParseDockerEventTest, NonContainerEventsAreRejected) {
  Result<DockerEvent> event = ParseDockerEvent(event_samples::kNetworkLine);
  EXPECT_EQ(event.code(), StatusCode::kInternal);
  EXPECT_THAT(event.status().message(), HasSubstr("network"));
}

std::optional<DockerEvent> MustParseStack(std::string_view line, std::string_view stack) {
  Result<std::optional<DockerEvent>> event = ParseStackEvent(line, stack);
  EXPECT_TRUE(event.ok()) << event.status().ToString();
  return event.ok() ? *event : std::nullopt;
}

TEST(ParseStackEventTest, ATaskContainerDyingIsItsServicesDieWithTheServiceId) {
  std::optional<DockerEvent> die = MustParseStack(event_samples::kSwarmTaskDieLine, "evcap");
  ASSERT_TRUE(die.has_value());
  EXPECT_EQ(die->action, "die");
  EXPECT_EQ(die->service, "crashy");
  EXPECT_EQ(die->project, "evcap");
  EXPECT_EQ(die->container_id, "qm9xvyl46cepv5szitn3hrzlh");  // the service, for Evidence
  EXPECT_EQ(die->container_name, "evcap_crashy.1.rg9kp7phx6nhnlzq9jhslavxo");
  EXPECT_EQ(die->exit_code, 1);
  EXPECT_EQ(die->time_nano, 1796329603627490034);
}

TEST(ParseStackEventTest, AServiceUpdateIsServiceUpdate) {
  std::optional<DockerEvent> update =
      MustParseStack(event_samples::kSwarmServiceUpdateLine, "evcap");
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->action, "service_update");
  EXPECT_EQ(update->service, "crashy");
  EXPECT_EQ(update->container_id, "qm9xvyl46cepv5szitn3hrzlh");
  EXPECT_EQ(update->container_name, "evcap_crashy");
  EXPECT_EQ(update->exit_code, std::nullopt);
  EXPECT_EQ(update->time_nano, 1796329601991467058);
}

TEST(ParseStackEventTest, OtherStacksProjectsTypesAndTaskRemovalsAreLeftOut) {
  // "evca" is a prefix of the stack's name, "evcap_" of its services' names.
  EXPECT_FALSE(MustParseStack(event_samples::kSwarmTaskDieLine, "evca").has_value());
  EXPECT_FALSE(MustParseStack(event_samples::kSwarmServiceUpdateLine, "evca").has_value());
  EXPECT_FALSE(MustParseStack(event_samples::kSwarmTaskDieLine, "other").has_value());
  EXPECT_FALSE(MustParseStack(event_samples::kSwarmTaskDestroyLine, "evcap").has_value());
  EXPECT_FALSE(MustParseStack(event_samples::kStartLine, "evcap11813").has_value());  // compose
  EXPECT_FALSE(MustParseStack(event_samples::kNetworkLine, "evcap").has_value());
  EXPECT_FALSE(
      MustParseStack(R"({"Type":"service","Action":"update","Actor":{"ID":"x","Attributes":)"
                     R"({"name":"evcap_"}},"timeNano":1})",
                     "evcap")
          .has_value());
  EXPECT_EQ(ParseStackEvent("nope", "evcap").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseStackEvent(R"({"Type":"service","Actor":{"ID":"x","Attributes":)"
                            R"({"name":"evcap_web"}}})",
                            "evcap")
                .code(),
            StatusCode::kInternal);  // no action
}

TEST(EventsTargetTest, AStackFollowsContainerAndServiceEvents) {
  EXPECT_EQ(StackEventsFilter(), R"js({"type":["container","service"]})js");
  EXPECT_EQ(EventsTarget("evcap", 0, /*swarm_stack=*/true),
            "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22service%22%5D%7D");
}

TEST(EventsTargetTest, FiltersContainerEventsOfTheProject) {
  EXPECT_EQ(EventsFilter("vx11"),
            R"js({"label":["com.docker.compose.project=vx11"],"type":["container"]})js");
  EXPECT_EQ(EventsTarget("vx11", 0),
            "/v1.41/events?filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3Dvx11%22%5D"
            "%2C%22type%22%3A%5B%22container%22%5D%7D");
}

TEST(EventsTargetTest, SinceHasNineFractionDigits) {
  EXPECT_EQ(UnixSecondsWithNanos(1795489220544480543), "1795489220.544480543");
  EXPECT_EQ(UnixSecondsWithNanos(1700000000000000007), "1700000000.000000007");
  std::string target = EventsTarget("p", 1795489220000000001);
  EXPECT_THAT(target, ::testing::EndsWith("&since=1795489220.000000001"));
}

TEST(EventsTargetTest, AnEmptyProjectFiltersOnTypeOnly) {
  EXPECT_EQ(EventsFilter(""), R"js({"type":["container"]})js");
}

std::vector<std::string> Split(LineSplitter& splitter, std::string_view data) {
  std::vector<std::string> lines;
  splitter.Append(data, [&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

TEST(LineSplitterTest, JoinsLinesAcrossChunksAndSkipsEmptyOnes) {
  LineSplitter splitter;
  EXPECT_THAT(Split(splitter, "{\"a\""), IsEmpty());
  EXPECT_THAT(Split(splitter, ":1}\n{\"b\":2}\r\n\n{\"c\""), ElementsAre("{\"a\":1}", "{\"b\":2}"));
  EXPECT_THAT(Split(splitter, ":3}\n"), ElementsAre("{\"c\":3}"));
}

TEST(LineSplitterTest, DropsAnOversizedLineWholeAndGoesOn) {
  LineSplitter splitter(8);
  EXPECT_THAT(Split(splitter, "0123"), IsEmpty());
  EXPECT_THAT(Split(splitter, "456789abc"), IsEmpty());
  EXPECT_THAT(Split(splitter, "def\nshort\n"), ElementsAre("short"));
  EXPECT_THAT(Split(splitter, "12345678\n"), ElementsAre("12345678"));  // exactly the cap
}

TEST(LineSplitterTest, ResetForgetsAPartialLine) {
  LineSplitter splitter;
  EXPECT_THAT(Split(splitter, "half"), IsEmpty());
  splitter.Reset();
  EXPECT_THAT(Split(splitter, "whole\n"), ElementsAre("whole"));
}

}  // namespace
}  // namespace madre
