#include "adapters/sqlite/sqlite_window_store.h"

#include <gtest/gtest.h>

#include "adapters/sqlite/test_temp_dir.h"
#include "testing/window_store_contract.h"

namespace madre {
namespace {

std::unique_ptr<SqliteDb> OpenOrDie(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

class SqliteWindowStoreEnv {
 public:
  WindowStore& store() { return store_; }

 private:
  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_ = OpenOrDie(dir_.path() / "madre.db");
  SqliteWindowStore store_{*db_};
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, WindowStoreContractTest,
                               ::testing::Types<SqliteWindowStoreEnv>);

class SqliteWindowStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path DbPath() const { return dir_.path() / "madre.db"; }
  TestTempDir dir_;
};

TEST_F(SqliteWindowStoreTest, WindowsSurviveClosingAndReopeningTheDatabase) {
  const Window closed = contract::FullWindow("closed");
  const Window open = contract::WindowIn("open", WindowState::kOpen, 3);
  {
    std::unique_ptr<SqliteDb> db = OpenOrDie(DbPath());
    SqliteWindowStore store(*db);
    ASSERT_TRUE(store.Save(closed).ok());
    ASSERT_TRUE(store.Save(open).ok());
  }
  std::unique_ptr<SqliteDb> db = OpenOrDie(DbPath());
  SqliteWindowStore store(*db);
  Result<std::vector<Window>> loaded = store.LoadOpen();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, std::vector<Window>{open});
  Result<std::vector<Window>> history = store.History(10);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(*history, std::vector<Window>{closed});
}

TEST_F(SqliteWindowStoreTest, ColumnsMirrorTheWindow) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(DbPath());
  SqliteWindowStore store(*db);
  const Window window = contract::FullWindow("w");
  ASSERT_TRUE(store.Save(window).ok());
  ASSERT_TRUE(db->Run("check", [&](SQLite::Database& d) {
                  SQLite::Statement row(
                      d,
                      "SELECT state, created_at, deadline, closed_at, close_reason "
                      "FROM windows WHERE id = 'w'");
                  EXPECT_TRUE(row.executeStep());
                  EXPECT_EQ(row.getColumn(0).getString(), "closed");
                  EXPECT_EQ(row.getColumn(1).getInt64(), ToMicros(window.created_at));
                  EXPECT_EQ(row.getColumn(2).getInt64(), ToMicros(*window.deadline));
                  EXPECT_EQ(row.getColumn(3).getInt64(), ToMicros(*window.closed_at));
                  EXPECT_EQ(row.getColumn(4).getString(), "ttl_expired");
                  return Status::Ok();
                }).ok());
}

TEST_F(SqliteWindowStoreTest, StorageErrorsComeBackAsInternal) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(DbPath());
  SqliteWindowStore store(*db);
  ASSERT_TRUE(db->Run("drop", [](SQLite::Database& d) {
                  d.exec("DROP TABLE windows");
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(store.Save(contract::FullWindow("w")).code(), StatusCode::kInternal);
  EXPECT_EQ(store.LoadOpen().code(), StatusCode::kInternal);
  EXPECT_EQ(store.History(5).code(), StatusCode::kInternal);
  EXPECT_EQ(store.Get("w").code(), StatusCode::kInternal);
}

TEST_F(SqliteWindowStoreTest, ACorruptBodyIsAnErrorNotACrash) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(DbPath());
  SqliteWindowStore store(*db);
  ASSERT_TRUE(db->Run("insert", [](SQLite::Database& d) {
                  d.exec(
                      "INSERT INTO windows(id, state, created_at, body) "
                      "VALUES ('w', 'open', 0, 'garbage')");
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(store.Get("w").code(), StatusCode::kInternal);
  EXPECT_EQ(store.LoadOpen().code(), StatusCode::kInternal);
}

TEST_F(SqliteWindowStoreTest, PruningDeletesOnlyTerminalWindowsClosedBeforeTheCutoff) {
  std::unique_ptr<SqliteDb> db = OpenOrDie(DbPath());
  SqliteWindowStore store(*db);
  const TimePoint cutoff = *ParseRfc3339("2026-11-20T00:00:00Z");
  auto closed_at = [](Window window, const char* when) {
    window.closed_at = *ParseRfc3339(when);
    return window;
  };
  const Window old_closed =
      closed_at(contract::WindowIn("old-closed", WindowState::kClosed, 1), "2026-11-19T23:59:59Z");
  const Window old_failed =
      closed_at(contract::WindowIn("old-failed", WindowState::kFailed, 1), "2026-11-01T00:00:00Z");
  const Window new_closed =
      closed_at(contract::WindowIn("new-closed", WindowState::kClosed, 1), "2026-11-20T00:00:00Z");
  const Window open = contract::WindowIn("open", WindowState::kOpen, 1);
  for (const Window& window : {old_closed, old_failed, new_closed, open}) {
    ASSERT_TRUE(store.Save(window).ok());
  }
  Result<int> pruned = store.PruneClosedBefore(cutoff);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 2);
  EXPECT_FALSE(store.Get("old-closed")->has_value());
  EXPECT_FALSE(store.Get("old-failed")->has_value());
  EXPECT_TRUE(store.Get("new-closed")->has_value());
  EXPECT_TRUE(store.Get("open")->has_value());
  EXPECT_EQ(*store.PruneClosedBefore(cutoff), 0);
}

}  // namespace
}  // namespace madre
