#include "adapters/sqlite/sqlite_cpu_quota_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/sqlite/test_temp_dir.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::unique_ptr<SqliteDb> OpenCpuDb(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

TEST(SqliteCpuQuotaStoreTest, RecordsSurviveReopeningAndAreReplacedAndRemoved) {
  TestTempDir dir;
  const auto path = dir.path() / "madre.db";
  const CpuQuotaRecord db{"c-db", "db", 1'500'000'000, false};
  const CpuQuotaRecord web{"c-web", "web", 0, true};
  {
    auto sqlite = OpenCpuDb(path);
    SqliteCpuQuotaStore store(*sqlite);
    Result<std::vector<CpuQuotaRecord>> empty = store.LoadAll();
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_THAT(*empty, IsEmpty());
    ASSERT_TRUE(store.Put(web).ok());
    ASSERT_TRUE(store.Put({"c-db", "db", 7, true}).ok());
    ASSERT_TRUE(store.Put(db).ok());  // replaces
  }
  auto sqlite = OpenCpuDb(path);
  SqliteCpuQuotaStore store(*sqlite);
  Result<std::vector<CpuQuotaRecord>> loaded = store.LoadAll();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_THAT(*loaded, ElementsAre(db, web));
  ASSERT_TRUE(store.Remove("c-db").ok());
  ASSERT_TRUE(store.Remove("c-none").ok());
  EXPECT_THAT(*store.LoadAll(), ElementsAre(web));
}

}  // namespace
}  // namespace madre
