#include "adapters/sqlite/sqlite_intent_store.h"

#include <gtest/gtest.h>

#include "adapters/sqlite/test_temp_dir.h"

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

}  // namespace
}  // namespace madre
