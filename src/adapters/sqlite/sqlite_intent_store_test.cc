#include "adapters/sqlite/sqlite_intent_store.h"

#include <gtest/gtest.h>

#include "adapters/sqlite/migrations.h"
#include "adapters/sqlite/test_temp_dir.h"
#include "testing/intent_store_contract.h"

namespace madre {
namespace {

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

std::unique_ptr<SqliteDb> OpenOrDie(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

Intent Sample(std::string id, std::string identity, std::string correlation) {
  Intent intent;
  intent.id = std::move(id);
  intent.identity = std::move(identity);
  intent.source = "hormiguero";
  intent.correlation_id = std::move(correlation);
  intent.type = "spawn";
  intent.payload = R"({"task":"scan","n":3})";
  intent.peer = "127.0.0.1";
  intent.created_at = kT0;
  return intent;
}

class SqliteIntentStoreEnv {
 public:
  IntentStore& store() { return store_; }

 private:
  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_ = OpenOrDie(dir_.path() / "madre.db");
  SqliteIntentStore store_{*db_};
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, IntentStoreContractTest,
                               ::testing::Types<SqliteIntentStoreEnv>);

class SqliteIntentStoreTest : public ::testing::Test {
 protected:
  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_ = OpenOrDie(dir_.path() / "madre.db");
  SqliteIntentStore store_{*db_};
};

TEST_F(SqliteIntentStoreTest, AnIntentIsRecordedWholeAndSurvivesReopening) {
  const Intent intent = Sample("intent-1", "open:hormiguero", "c-1");
  Result<IntentStore::Submitted> submitted = store_.Submit(intent);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_FALSE(submitted->duplicate);
  EXPECT_EQ(submitted->intent, intent);
  db_.reset();
  db_ = OpenOrDie(dir_.path() / "madre.db");
  SqliteIntentStore again(*db_);
  Result<std::optional<Intent>> loaded = again.Get("intent-1");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, intent);
  EXPECT_FALSE(again.Get("intent-2")->has_value());
}

TEST_F(SqliteIntentStoreTest, TheSameCorrelationIdOfOneIdentityReturnsTheFirstIntent) {
  ASSERT_TRUE(store_.Submit(Sample("intent-1", "open:hormiguero", "c-1")).ok());
  Result<IntentStore::Submitted> again =
      store_.Submit(Sample("intent-2", "open:hormiguero", "c-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->intent.id, "intent-1");
  EXPECT_FALSE(store_.Get("intent-2")->has_value()) << "nothing written for a duplicate";
  Result<IntentStore::Submitted> other = store_.Submit(Sample("intent-3", "default", "c-1"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->duplicate) << "the key is scoped by identity";
  Result<IntentStore::Submitted> none = store_.Submit(Sample("intent-4", "default", ""));
  ASSERT_TRUE(none.ok());
  Result<IntentStore::Submitted> none2 = store_.Submit(Sample("intent-5", "default", ""));
  ASSERT_TRUE(none2.ok());
  EXPECT_FALSE(none2->duplicate) << "no correlation id: no idempotency";
  EXPECT_EQ(*store_.CountPending("default"), 3);
  EXPECT_EQ(*store_.CountPending("open:hormiguero"), 1);
  EXPECT_EQ(*store_.CountPending("open:nobody"), 0);
}

TEST_F(SqliteIntentStoreTest, ACorruptBodyIsAnError) {
  EXPECT_EQ(DecodeIntent("{").status().code(), StatusCode::kInternal);
  std::string body = EncodeIntent(Sample("i", "default", ""));
  body.replace(body.find("pending"), 7, "bogus__");
  EXPECT_EQ(DecodeIntent(body).status().code(), StatusCode::kInternal);
}

// Rows written by version 2 (column `status`, bodies with "status" and the names "running" and
// "done") load after migration 3 with the lifecycle's names, and the filters see them.
TEST(SqliteIntentMigrationTest, RowsOfVersionTwoLoadWithTheLifecycleNames) {
  TestTempDir dir;
  const std::filesystem::path path = dir.path() / "madre.db";
  {
    Result<std::unique_ptr<SqliteDb>> v2 = OpenSqliteDb(path, Migrations().first(2));
    ASSERT_TRUE(v2.ok()) << v2.status().ToString();
    const std::pair<const char*, const char*> rows[] = {
        {"intent-1", "running"}, {"intent-2", "done"}, {"intent-3", "pending"}};
    int n = 0;
    for (const auto& [id, status] : rows) {
      const std::string body = std::string(R"({"id":")") + id +
                               R"(","identity":"default","source":"hormiguero",)"
                               R"("correlation_id":"","type":"spawn","payload":"{}",)"
                               R"("peer":"127.0.0.1","status":")" +
                               status + R"(","requires_approval":true,"created_at":)" +
                               std::to_string(ToMicros(kT0) + ++n) + "}";
      ASSERT_TRUE((*v2)
                      ->Run("insert",
                            [&](SQLite::Database& db) {
                              SQLite::Statement insert(
                                  db,
                                  "INSERT INTO intents(id, identity, correlation_id, status, "
                                  "created_at, body) VALUES (?, 'default', '', ?, ?, ?)");
                              insert.bind(1, id);
                              insert.bind(2, status);
                              insert.bind(3, static_cast<std::int64_t>(ToMicros(kT0) + n));
                              insert.bind(4, body);
                              insert.exec();
                              return Status::Ok();
                            })
                      .ok());
    }
  }
  std::unique_ptr<SqliteDb> db = OpenOrDie(path);
  SqliteIntentStore store(*db);
  Result<std::optional<Intent>> running = store.Get("intent-1");
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  ASSERT_TRUE(running->has_value());
  EXPECT_EQ((*running)->state, IntentState::kExecuting);
  EXPECT_EQ((*running)->state_changed_at, (*running)->created_at);
  EXPECT_EQ((*running)->expires_at, (*running)->created_at + kDefaultIntentPendingTtl);
  EXPECT_EQ((*store.Get("intent-2"))->state, IntentState::kSucceeded);
  Result<std::vector<Intent>> executing =
      store.List(intent_contract::Filter(IntentState::kExecuting));
  ASSERT_TRUE(executing.ok());
  ASSERT_EQ(executing->size(), 1u);
  EXPECT_EQ(executing->front().id, "intent-1");
  EXPECT_EQ(store.List(intent_contract::Filter(std::nullopt, "hormiguero", "spawn"))->size(), 3u)
      << "source and type filled from the bodies";
  const std::map<IntentState, int> want = {
      {IntentState::kExecuting, 1}, {IntentState::kSucceeded, 1}, {IntentState::kPending, 1}};
  EXPECT_EQ(*store.CountByState(), want);
  Intent approved = **store.Get("intent-3");
  approved.state = IntentState::kApproved;
  EXPECT_TRUE(store.Update(approved, IntentState::kPending).ok());
}

}  // namespace
}  // namespace madre
