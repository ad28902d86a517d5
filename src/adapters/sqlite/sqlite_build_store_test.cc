#include "adapters/sqlite/sqlite_build_store.h"

#include <gtest/gtest.h>

#include "adapters/sqlite/test_temp_dir.h"

namespace madre {
namespace {

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

std::unique_ptr<SqliteDb> OpenBuildDb(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

BuildRecord Started(std::string service, std::optional<std::string> intent_id = std::nullopt) {
  BuildRecord b;
  b.intent_id = std::move(intent_id);
  b.service = std::move(service);
  b.started_at = kT0;
  b.image_before = "sha256:old";
  b.log_path = "/state/builds/x.log";
  return b;
}

class SqliteBuildStoreTest : public ::testing::Test {
 protected:
  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_ = OpenBuildDb(dir_.path() / "madre.db");
  SqliteBuildStore store_{*db_};
};

TEST_F(SqliteBuildStoreTest, ARunningRowIsFinishedAndSurvivesReopening) {
  Result<std::int64_t> id = store_.Start(Started("app", "intent-1"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  Result<std::optional<BuildRecord>> running = store_.Get(*id);
  ASSERT_TRUE(running.ok() && running->has_value());
  EXPECT_EQ((*running)->outcome, BuildOutcomeKind::kRunning);
  EXPECT_FALSE((*running)->finished_at.has_value());
  EXPECT_EQ((*running)->intent_id, "intent-1");

  BuildRecord done = **running;
  done.outcome = BuildOutcomeKind::kSucceeded;
  done.finished_at = kT0 + Seconds(12);
  done.image_after = "sha256:new";
  done.duration_ms = 12000;
  ASSERT_TRUE(store_.Finish(done).ok());

  db_.reset();
  db_ = OpenBuildDb(dir_.path() / "madre.db");
  SqliteBuildStore again(*db_);
  Result<std::optional<BuildRecord>> loaded = again.Get(*id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, done);
  EXPECT_FALSE(again.Get(*id + 1)->has_value());
}

TEST_F(SqliteBuildStoreTest, FinishingAnUnknownBuildIsNotFound) {
  BuildRecord b = Started("app");
  b.id = 99;
  EXPECT_EQ(store_.Finish(b).code(), StatusCode::kNotFound);
}

TEST_F(SqliteBuildStoreTest, ListIsNewestFirstFilteredAndLimited) {
  ASSERT_TRUE(store_.Start(Started("app")).ok());
  ASSERT_TRUE(store_.Start(Started("web")).ok());
  ASSERT_TRUE(store_.Start(Started("app")).ok());
  Result<std::vector<BuildRecord>> all = store_.List({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, 3);
  EXPECT_EQ((*all)[2].id, 1);
  Result<std::vector<BuildRecord>> apps = store_.List({"app", 1});
  ASSERT_TRUE(apps.ok());
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ((*apps)[0].id, 3);
  EXPECT_FALSE((*apps)[0].intent_id.has_value());
}

TEST_F(SqliteBuildStoreTest, UnfinishedAreTheRunningRowsAndReconcileFinishesThem) {
  Result<std::int64_t> a = store_.Start(Started("app"));
  Result<std::int64_t> b = store_.Start(Started("web"));
  ASSERT_TRUE(a.ok() && b.ok());
  BuildRecord done = *store_.Get(*a).value();
  done.outcome = BuildOutcomeKind::kFailed;
  done.finished_at = kT0;
  done.error = "exit 1";
  ASSERT_TRUE(store_.Finish(done).ok());
  Result<std::vector<BuildRecord>> unfinished = store_.ListUnfinished();
  ASSERT_TRUE(unfinished.ok());
  ASSERT_EQ(unfinished->size(), 1u);
  EXPECT_EQ((*unfinished)[0].id, *b);
  ASSERT_TRUE(
      store_.Finish(ReconcileUnfinishedBuild((*unfinished)[0], "", "sha256:old", kT0 + Seconds(5)))
          .ok());
  EXPECT_TRUE(store_.ListUnfinished()->empty());
  EXPECT_EQ((*store_.Get(*b))->error, kRestartedDuringBuild);
}

}  // namespace
}  // namespace madre
