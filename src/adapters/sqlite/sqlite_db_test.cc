#include "adapters/sqlite/sqlite_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "adapters/sqlite/test_temp_dir.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

constexpr Migration kV1{1, "CREATE TABLE a(x INTEGER);"};
constexpr Migration kV2{2, "CREATE TABLE b(y TEXT); INSERT INTO b VALUES ('seed');"};
constexpr Migration kBadV2{2, "CREATE TABLE b(y TEXT); THIS IS NOT SQL;"};

class SqliteDbTest : public ::testing::Test {
 protected:
  std::filesystem::path DbPath() const { return dir_.path() / "state" / "madre.db"; }

  std::unique_ptr<SqliteDb> Open(std::span<const Migration> migrations = Migrations()) {
    Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(DbPath(), migrations);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  static std::string QueryText(SqliteDb& db, const std::string& sql) {
    std::string out;
    EXPECT_TRUE(db.Run("query", [&](SQLite::Database& d) {
                    out = d.execAndGet(sql).getString();
                    return Status::Ok();
                  }).ok());
    return out;
  }

  static bool HasTable(SqliteDb& db, const std::string& table) {
    bool exists = false;
    EXPECT_TRUE(db.Run("tableExists", [&](SQLite::Database& d) {
                    exists = d.tableExists(table);
                    return Status::Ok();
                  }).ok());
    return exists;
  }

  TestTempDir dir_;
};

TEST_F(SqliteDbTest, OpensInWalModeWithDurableCommitsAndCreatesTheParentDirectory) {
  std::unique_ptr<SqliteDb> db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(std::filesystem::exists(DbPath()));
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(*db, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(QueryText(*db, "PRAGMA busy_timeout"), "5000");
  EXPECT_EQ(QueryText(*db, "PRAGMA foreign_keys"), "1");
}

TEST_F(SqliteDbTest, TheMigrationsCreateTheSchemaAndAreRecorded) {
  std::unique_ptr<SqliteDb> db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(HasTable(*db, "windows"));
  EXPECT_TRUE(HasTable(*db, "audit"));
  EXPECT_TRUE(HasTable(*db, "intents"));
  EXPECT_TRUE(HasTable(*db, "builds"));
  EXPECT_TRUE(HasTable(*db, "cpu_quotas"));
  EXPECT_TRUE(HasTable(*db, "webhook_outbox"));
  EXPECT_TRUE(HasTable(*db, "webhook_cursors"));
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(version) FROM schema_migrations"), "1,2,3,4,5,6");
  EXPECT_THAT(QueryText(*db, "SELECT applied_at FROM schema_migrations"), HasSubstr("T"));
}

TEST_F(SqliteDbTest, ReopeningAppliesNothingTwiceAndKeepsData) {
  {
    std::unique_ptr<SqliteDb> db = Open(std::vector<Migration>{kV1, kV2});
    ASSERT_NE(db, nullptr);
  }
  std::unique_ptr<SqliteDb> db = Open(std::vector<Migration>{kV1, kV2});
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(version) FROM schema_migrations"), "1,2");
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM b"), "1");  // the seed row was not re-inserted
}

TEST_F(SqliteDbTest, ReopeningWithANewerBinaryAppliesOnlyTheNewMigrations) {
  {
    std::unique_ptr<SqliteDb> db = Open(std::vector<Migration>{kV1});
    ASSERT_NE(db, nullptr);
    EXPECT_FALSE(HasTable(*db, "b"));
  }
  std::unique_ptr<SqliteDb> db = Open(std::vector<Migration>{kV1, kV2});
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(HasTable(*db, "b"));
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(version) FROM schema_migrations"), "1,2");
}

TEST_F(SqliteDbTest, ADatabaseNewerThanTheBinaryIsRefused) {
  ASSERT_NE(Open(std::vector<Migration>{kV1, kV2}), nullptr);
  Result<std::unique_ptr<SqliteDb>> old = OpenSqliteDb(DbPath(), std::vector<Migration>{kV1});
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(old.status().message(), HasSubstr("database schema v2 is newer than this madre"));
}

TEST_F(SqliteDbTest, AFailedMigrationIsRolledBackWhole) {
  ASSERT_NE(Open(std::vector<Migration>{kV1}), nullptr);
  Result<std::unique_ptr<SqliteDb>> bad =
      OpenSqliteDb(DbPath(), std::vector<Migration>{kV1, kBadV2});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), StatusCode::kInternal);
  std::unique_ptr<SqliteDb> db = Open(std::vector<Migration>{kV1});
  ASSERT_NE(db, nullptr);
  EXPECT_FALSE(HasTable(*db, "b"));
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(version) FROM schema_migrations"), "1");
}

TEST_F(SqliteDbTest, OpenFailsWhenTheParentPathIsARegularFile) {
  std::ofstream(dir_.path() / "file") << "x";
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(dir_.path() / "file" / "madre.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.code(), StatusCode::kInternal);
}

TEST_F(SqliteDbTest, RunTurnsSqliteExceptionsIntoInternal) {
  std::unique_ptr<SqliteDb> db = Open();
  ASSERT_NE(db, nullptr);
  Status status = db->Run("bad query", [](SQLite::Database& d) {
    d.exec("SELECT * FROM no_such_table");
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("bad query: "));
  EXPECT_THAT(status.message(), HasSubstr("no_such_table"));
}

TEST_F(SqliteDbTest, TransactionRollsBackWhenTheBodyFails) {
  std::unique_ptr<SqliteDb> db = Open();
  ASSERT_NE(db, nullptr);
  Status status = db->Transaction("insert", [](SQLite::Database& d) {
    d.exec("INSERT INTO windows(id, state, created_at, body) VALUES ('w', 'open', 0, '{}')");
    return Status::Unavailable("changed my mind");
  });
  EXPECT_EQ(status, Status::Unavailable("changed my mind"));
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM windows"), "0");
  ASSERT_TRUE(
      db->Transaction("insert", [](SQLite::Database& d) {
          d.exec("INSERT INTO windows(id, state, created_at, body) VALUES ('w', 'open', 0, '{}')");
          return Status::Ok();
        }).ok());
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM windows"), "1");
}

}  // namespace
}  // namespace madre
