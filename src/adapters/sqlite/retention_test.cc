#include "adapters/sqlite/retention.h"

#include <gtest/gtest.h>

#include "adapters/sqlite/test_temp_dir.h"
#include "testing/audit_log_contract.h"
#include "testing/window_store_contract.h"

namespace madre {
namespace {

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() {
    db_ = std::move(OpenSqliteDb(dir_.path() / "madre.db")).value();
    store_ = std::make_unique<SqliteWindowStore>(*db_);
    audit_ = std::move(OpenSqliteAuditLog(*db_, dir_.path() / "audit")).value();
  }

  void AppendAt(const char* when) {
    AuditRecord record = contract::SampleRecord("window.open");
    record.time = *ParseRfc3339(when);
    ASSERT_TRUE(audit_->Append(record).ok());
  }

  void SaveClosed(const char* id, const char* closed_at) {
    Window window = contract::WindowIn(id, WindowState::kClosed, 0);
    window.closed_at = *ParseRfc3339(closed_at);
    ASSERT_TRUE(store_->Save(window).ok());
  }

  const TimePoint now_ = *ParseRfc3339("2026-11-30T12:00:00Z");
  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteWindowStore> store_;
  std::unique_ptr<SqliteAuditLog> audit_;
};

TEST_F(RetentionTest, TheDefaultKeepsEverything) {
  AppendAt("2020-01-01T00:00:00Z");
  AppendAt("2026-11-30T00:00:00Z");
  SaveClosed("ancient", "2020-01-01T00:00:00Z");
  Result<RetentionResult> result = ApplyRetention({}, *store_, *audit_, now_);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->audit.pruned_to_seq, 0);
  EXPECT_EQ(result->windows_removed, 0);
  EXPECT_EQ(audit_->last_seq(), 2);
  EXPECT_TRUE(store_->Get("ancient")->has_value());
}

TEST_F(RetentionTest, DaysLimitsPruneTheAuditAndTheWindowHistory) {
  AppendAt("2026-11-01T00:00:00Z");  // 29 days before now: pruned with 7 days
  AppendAt("2026-11-29T00:00:00Z");
  SaveClosed("old", "2026-11-01T00:00:00Z");
  SaveClosed("recent", "2026-11-29T00:00:00Z");
  RetentionPolicy policy;
  policy.audit_days = 7;
  policy.window_history_days = 7;
  Result<RetentionResult> result = ApplyRetention(policy, *store_, *audit_, now_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->audit.pruned_to_seq, 1);
  EXPECT_EQ(result->windows_removed, 1);
  EXPECT_FALSE(store_->Get("old")->has_value());
  EXPECT_TRUE(store_->Get("recent")->has_value());
  EXPECT_TRUE(VerifyAuditChain(dir_.path() / "audit").ok());
}

}  // namespace
}  // namespace madre
