// `madre build SERVICE`: the submission, the follow (one line per change), the build's row at
// the end, the exit codes, --no-follow and --json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_test_support.h"
#include "cli/commands.h"

namespace madre::cli {
namespace {

using nlohmann::json;
using testing::FakeWorld;
using ::testing::HasSubstr;
using ::testing::Not;

json BuildIntent(const std::string& state, const std::string& detail = "",
                 const std::string& task = "") {
  json intent = {
      {"intent_id", "intent-1"},
      {"state", state},
      {"status", state},
      {"type", "build"},
      {"detail", detail.empty() ? json(nullptr) : json(detail)},
      {"task_id", task.empty() ? json(nullptr) : json(task)},
      {"decided_by", state == "pending" ? json(nullptr) : json("ops@10.0.0.2")},
      {"reason", nullptr},
      {"expires_at", state == "pending" ? json("2026-12-02T12:15:00.000000Z") : json(nullptr)},
      {"payload", {{"target_service", "web"}}}};
  return intent;
}

json BuildRow(const std::string& outcome) {
  return {{"id", 7},
          {"service", "web"},
          {"outcome", outcome},
          {"duration_ms", 12'300},
          {"image_before", "sha256:0123456789abcdef0000"},
          {"image_after", outcome == "succeeded" ? "sha256:fedcba9876543210ffff" : ""},
          {"error", outcome == "failed" ? json("exit 1") : json(nullptr)},
          {"log_tail", "step 1\nstep 2\nCOPY failed: no such file\n"}};
}

class BuildCommandTest : public ::testing::Test {
 protected:
  BuildCommandTest() { world_.follow_polls = 1000; }  // no Ctrl-C unless a test says so
  int Run(std::vector<std::string> args) {
    CLI::App app{"madre test"};
    int exit_code = -1;
    RegisterCommands(app, &exit_code, world_.Env());
    app.require_subcommand(1);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return HandleParseError(app, e, world_.out, world_.err);
    }
    return exit_code;
  }
  // The intent as the polls see it, in order (the last one repeats).
  void Poll(std::vector<json> states) {
    for (const json& s : states) world_.madre->OnJson("GET", "/madre/intents/intent-1", 200, s);
  }
  FakeWorld world_;
};

TEST_F(BuildCommandTest, SubmitsABuildIntentAndFollowsItToTheNewImage) {
  world_.madre->OnJson("POST", "/madre/intent", 200, BuildIntent("pending"));
  Poll({BuildIntent("pending"), BuildIntent("approved", "waiting for the host CPU (85%)"),
        BuildIntent("executing"), BuildIntent("executing"),
        BuildIntent("succeeded", "build 7 of web: image sha256:fedcba98", "build:7")});
  world_.madre->OnJson("GET", "/madre/builds/7", 200, BuildRow("succeeded"));
  EXPECT_EQ(Run({"build", "web", "--reason", "new base image"}), kExitOk) << world_.err.str();
  const auto submits = world_.madre->CallsTo("POST", "/madre/intent");
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(submits[0].Json(),
            json({{"type", "build"},
                  {"payload", {{"target_service", "web"}, {"reason", "new base image"}}}}))
      << "no paths: the compose model's own";
  const std::string out = world_.out.str();
  EXPECT_THAT(out, HasSubstr("intent-1: pending: waiting for approval"));
  EXPECT_THAT(out, HasSubstr("madre intent approve intent-1"));
  EXPECT_THAT(out, HasSubstr("intent-1: approved by ops@10.0.0.2, queued: waiting for the host"));
  EXPECT_THAT(out, HasSubstr("intent-1: executing"));
  EXPECT_THAT(out, HasSubstr("intent-1: succeeded: build 7 of web"));
  EXPECT_THAT(out, HasSubstr("build 7 of web: succeeded in 12.3s, image 0123456789ab -> "
                             "fedcba987654"));
  EXPECT_THAT(out, Not(HasSubstr("the end of its log")));
  // One line per change: pending once (the submission and the first poll agree), executing once.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 5) << out;
  for (Duration d : world_.sleeps) EXPECT_EQ(d, Seconds(1));
  EXPECT_EQ(world_.sleeps.size(), 5u);
}

TEST_F(BuildCommandTest, AFailedBuildShowsTheEndOfItsLogAndExitsNonZero) {
  world_.madre->OnJson("POST", "/madre/intent", 200, BuildIntent("approved"));
  Poll({BuildIntent("failed", "build 7 failed: exit 1", "build:7")});
  world_.madre->OnJson("GET", "/madre/builds/7", 200, BuildRow("failed"));
  EXPECT_EQ(Run({"build", "web"}), kExitDocker);
  const std::string out = world_.out.str();
  EXPECT_THAT(out, HasSubstr("build 7 of web: failed in 12.3s, image 0123456789ab -> none"));
  EXPECT_THAT(out, HasSubstr("error: exit 1"));
  EXPECT_THAT(out, HasSubstr("`madre build-log 7` for more"));
  EXPECT_THAT(out, HasSubstr("COPY failed: no such file\n"));
  EXPECT_THAT(world_.err.str(), HasSubstr("build intent intent-1 failed: build 7 failed"));
}

TEST_F(BuildCommandTest, ARejectedIntentEndsWithItsReason) {
  json rejected = BuildIntent("rejected");
  rejected["reason"] = "not during the demo";
  world_.madre->OnJson("POST", "/madre/intent", 200, BuildIntent("pending"));
  Poll({rejected});
  EXPECT_EQ(Run({"build", "web"}), kExitError);
  EXPECT_THAT(world_.out.str(), HasSubstr("rejected by ops@10.0.0.2: not during the demo"));
  EXPECT_TRUE(world_.madre->CallsTo("GET", "/madre/builds/7").empty()) << "no build ran";
}

TEST_F(BuildCommandTest, StoppingTheFollowNeverCancelsTheIntent) {
  world_.follow_polls = 2;  // "Ctrl-C" after two polls
  world_.madre->OnJson("POST", "/madre/intent", 200, BuildIntent("pending"));
  Poll({BuildIntent("pending")});
  EXPECT_EQ(Run({"build", "web"}), kExitError);
  EXPECT_THAT(world_.err.str(), HasSubstr("it is not cancelled"));
  for (const auto& call : world_.madre->calls) {
    EXPECT_THAT(call.path, Not(HasSubstr("/cancel")));
  }
  // The timeout too.
  world_.follow_polls = 1000;
  world_.err.str("");
  EXPECT_EQ(Run({"build", "web", "--wait-timeout", "3s"}), kExitTimeout);
  EXPECT_THAT(world_.err.str(), HasSubstr("still pending after 3s; it goes on"));
}

TEST_F(BuildCommandTest, NoFollowSubmitsAndExitsAndRefusalsKeepTheirExitCodes) {
  world_.madre->OnJson("POST", "/madre/intent", 200, BuildIntent("pending"));
  EXPECT_EQ(Run({"build", "web", "--no-follow", "--source", "ci"}), kExitOk);
  EXPECT_EQ(world_.madre->CallsTo("POST", "/madre/intent")[0].Json()["source"], "ci");
  EXPECT_TRUE(world_.madre->CallsTo("GET", "/madre/intents/intent-1").empty());
  EXPECT_THAT(world_.out.str(), HasSubstr("intent-1: pending"));
  world_.madre->Clear("POST", "/madre/intent");
  world_.madre->OnJson(
      "POST", "/madre/intent", 400,
      {{"code", "invalid_argument"}, {"detail", "service 'db' has no build: in the compose file"}});
  EXPECT_EQ(Run({"build", "db"}), kExitUsage);
  EXPECT_THAT(world_.err.str(), HasSubstr("has no build:"));
  EXPECT_EQ(Run({"build"}), kExitUsage) << "SERVICE is required";
}

TEST_F(BuildCommandTest, JsonPrintsEachChangeAsALineThenTheBuild) {
  world_.madre->OnJson("POST", "/madre/intent", 200, BuildIntent("approved"));
  Poll({BuildIntent("executing"), BuildIntent("succeeded", "done", "build:7")});
  world_.madre->OnJson("GET", "/madre/builds/7", 200, BuildRow("succeeded"));
  EXPECT_EQ(Run({"build", "web", "--json"}), kExitOk);
  std::vector<json> lines;
  std::istringstream in(world_.out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["state"], "approved");
  EXPECT_EQ(lines[2]["state"], "succeeded");
  EXPECT_EQ(lines[3]["outcome"], "succeeded");
}

TEST_F(BuildCommandTest, HelpTeachesTheFollowAndCtrlC) {
  EXPECT_EQ(Run({"build", "--help"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("NOT cancelled"));
  EXPECT_THAT(world_.out.str(), HasSubstr("--no-follow"));
}

}  // namespace
}  // namespace madre::cli
