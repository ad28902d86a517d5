#include "engine/build_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/fake_image_builder.h"
#include "testing/in_memory_build_store.h"

namespace madre {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;

const BuildPlan kPlan{"app", "vx11_app", "/srv/vx11/app", "/srv/vx11/app/Dockerfile"};

BuildRecord Running(std::string service, TimePoint at, std::string image_before = "") {
  BuildRecord b;
  b.service = std::move(service);
  b.started_at = at;
  b.image_before = std::move(image_before);
  return b;
}

class BuildRunnerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  InMemoryBuildStore store_;
  FakeImageInspector images_;
  FakeImageBuilder builder_{images_};
};

TEST_F(BuildRunnerTest, ASucceededBuildIsRecordedWithBothImageIds) {
  images_.SetImage("vx11_app", "sha256:old");
  Result<BuildRecord> row =
      RunRecordedBuild(store_, builder_, images_, clock_, kPlan, "intent-1", "/state/builds");
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->outcome, BuildOutcomeKind::kSucceeded);
  EXPECT_EQ(row->image_before, "sha256:old");
  EXPECT_EQ(row->image_after, "sha256:built-1");
  EXPECT_EQ(row->log_path, "/state/builds/1.log");
  EXPECT_EQ(row->duration_ms, 1500);
  EXPECT_EQ(*store_.Get(1).value(), *row);
  EXPECT_THAT(
      builder_.requests(),
      ElementsAre(AllOf(Field(&BuildRequest::service, "app"),
                        Field(&BuildRequest::log_path, "/state/builds/1.log"),
                        Field(&BuildRequest::staging_image, "vx11_app:madre-build-1"),
                        Field(&BuildRequest::staging_file, "/state/builds/1.compose.yml"))));
}

TEST_F(BuildRunnerTest, AFailedBuildIsRecordedFailedWithItsError) {
  builder_.FailNext();
  Result<BuildRecord> row =
      RunRecordedBuild(store_, builder_, images_, clock_, kPlan, std::nullopt, "/b");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->outcome, BuildOutcomeKind::kFailed);
  EXPECT_EQ(row->error, "injected build failure");
  EXPECT_TRUE(store_.ListUnfinished()->empty());
}

TEST_F(BuildRunnerTest, NoRowNoBuild) {
  store_.set_fail(true);
  EXPECT_FALSE(RunRecordedBuild(store_, builder_, images_, clock_, kPlan, std::nullopt, "/b").ok());
  EXPECT_TRUE(builder_.requests().empty());
}

TEST_F(BuildRunnerTest, ReconcileFinishesTheRunningRowsFromTheirStagingImages) {
  ServiceModel model;
  model.services["app"].image = "vx11_app";
  model.services["web"].image = "vx11_web";
  images_.SetImage("vx11_app", "sha256:old");
  images_.SetImage("vx11_web", "sha256:w0");
  images_.SetImage("vx11_web:madre-build-2", "sha256:new");  // web's build ran to its end
  const BuildRecord app = Running("app", clock_.Now(), "sha256:old");
  const BuildRecord web = Running("web", clock_.Now(), "sha256:w0");
  const BuildRecord gone = Running("gone", clock_.Now());
  ASSERT_TRUE(store_.Start(app).ok() && store_.Start(web).ok() && store_.Start(gone).ok());
  Result<int> finished = ReconcileUnfinishedBuilds(store_, images_, model, clock_.Now());
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(*finished, 3);
  EXPECT_EQ((*store_.Get(1))->error, kRestartedDuringBuild);
  EXPECT_EQ((*store_.Get(2))->outcome, BuildOutcomeKind::kSucceeded);
  EXPECT_EQ((*store_.Get(2))->image_after, "sha256:new");
  EXPECT_EQ(images_.ImageId("vx11_web").value(), "sha256:new") << "the service's name moved";
  EXPECT_EQ(images_.ImageId("vx11_web:madre-build-2").value(), "");
  EXPECT_EQ(images_.ImageId("vx11_app").value(), "sha256:old");
  EXPECT_EQ((*store_.Get(3))->outcome, BuildOutcomeKind::kFailed);
  EXPECT_TRUE(store_.ListUnfinished()->empty());
}

TEST_F(BuildRunnerTest, ADockerErrorLeavesTheRowForTheNextStart) {
  ServiceModel model;
  model.services["app"].image = "vx11_app";
  ASSERT_TRUE(store_.Start(Running("app", clock_.Now())).ok());
  images_.set_fail(true);
  EXPECT_EQ(ReconcileUnfinishedBuilds(store_, images_, model, clock_.Now()).value(), 0);
  EXPECT_EQ(store_.ListUnfinished()->size(), 1u);
}

}  // namespace
}  // namespace madre
