#include "api/build_view.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

using nlohmann::json;

BuildRecord Finished() {
  BuildRecord build;
  build.id = 7;
  build.intent_id = "intent-3";
  build.service = "switch";
  build.started_at = *ParseRfc3339("2026-01-02T10:00:00Z");
  build.finished_at = *ParseRfc3339("2026-01-02T10:00:42.5Z");
  build.outcome = BuildOutcomeKind::kSucceeded;
  build.image_before = "sha256:aaa";
  build.image_after = "sha256:bbb";
  build.duration_ms = 42500;
  build.log_path = "/var/lib/madre/builds/7.log";
  return build;
}

TEST(BuildView, GivesEveryFieldOfAFinishedBuild) {
  const json view = BuildView(Finished());
  EXPECT_EQ(view, json({{"id", 7},
                        {"intent_id", "intent-3"},
                        {"service", "switch"},
                        {"outcome", "succeeded"},
                        {"started_at", FormatRfc3339(Finished().started_at)},
                        {"finished_at", FormatRfc3339(*Finished().finished_at)},
                        {"duration_ms", 42500},
                        {"image_before", "sha256:aaa"},
                        {"image_after", "sha256:bbb"},
                        {"error", nullptr},
                        {"log_path", "/var/lib/madre/builds/7.log"}}));
  EXPECT_EQ(view["started_at"], "2026-01-02T10:00:00.000000Z");
}

TEST(BuildView, ARunningBuildWithoutAnIntentHasNulls) {
  BuildRecord build = Finished();
  build.intent_id.reset();
  build.finished_at.reset();
  build.outcome = BuildOutcomeKind::kRunning;
  build.image_after.clear();
  const json view = BuildView(build);
  EXPECT_TRUE(view["intent_id"].is_null());
  EXPECT_TRUE(view["finished_at"].is_null());
  EXPECT_EQ(view["outcome"], "running");
  EXPECT_EQ(view["image_after"], "");
}

TEST(BuildView, AFailedBuildSaysWhy) {
  BuildRecord build = Finished();
  build.outcome = BuildOutcomeKind::kFailed;
  build.error = "compose build exited 1";
  EXPECT_EQ(BuildView(build)["outcome"], "failed");
  EXPECT_EQ(BuildView(build)["error"], "compose build exited 1");
}

TEST(BuildDetailView, AddsTheLogTailOrNull) {
  EXPECT_EQ(BuildDetailView(Finished(), std::string("Step 1/3\n"))["log_tail"], "Step 1/3\n");
  const json gone = BuildDetailView(Finished(), std::nullopt);
  EXPECT_TRUE(gone.contains("log_tail"));
  EXPECT_TRUE(gone["log_tail"].is_null());
  EXPECT_EQ(gone["id"], 7);
}

}  // namespace
}  // namespace madre
