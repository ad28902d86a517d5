#include "adapters/sqlite/private_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "adapters/sqlite/sqlite_audit_log.h"
#include "adapters/sqlite/sqlite_db.h"
#include "adapters/sqlite/test_temp_dir.h"
#include "testing/audit_log_contract.h"

namespace madre {
namespace {

using ::testing::UnorderedElementsAre;

unsigned ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// Restores the test process's umask whatever the test set.
class UmaskGuard {
 public:
  explicit UmaskGuard(unsigned mask) : old_(::umask(static_cast<mode_t>(mask))) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(PrivateFilesTest, UnderAPermissiveUmaskThePrivateUmaskMakesTheStateOwnerOnly) {
  TestTempDir dir;
  UmaskGuard guard(0);  // the most permissive: 0777 dirs, 0666 files
  EXPECT_EQ(UsePrivateUmask(), 0u);
  const std::filesystem::path state = dir.path() / "state";
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(state / "madre.db");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Result<std::unique_ptr<SqliteAuditLog>> log = OpenSqliteAuditLog(**db, state / "audit");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_TRUE((*log)->Append(contract::SampleRecord("window.open")).ok());

  EXPECT_EQ(ModeOf(state), 0700u);
  EXPECT_EQ(ModeOf(state / "madre.db"), 0600u);
  EXPECT_EQ(ModeOf(state / "madre.db-wal"), 0600u);
  EXPECT_EQ(ModeOf(state / "madre.db-shm"), 0600u);
  EXPECT_EQ(ModeOf(state / "audit"), 0700u);
  for (const auto& entry : std::filesystem::directory_iterator(state / "audit")) {
    EXPECT_EQ(ModeOf(entry.path()), 0600u) << entry.path();
  }
}

TEST(PrivateFilesTest, OpenStateFilesAreTightenedAndNamedOtherFilesAreLeftAlone) {
  TestTempDir dir;
  const std::filesystem::path state = dir.path() / "state";
  const std::filesystem::path audit = state / "audit";
  std::filesystem::create_directories(audit);
  for (const auto& file : {state / "madre.db", state / "token", audit / "audit-2026-11-24.jsonl",
                           audit / "notes.txt"}) {
    std::ofstream(file) << "x";
    ::chmod(file.c_str(), 0644);
  }
  ::chmod(state.c_str(), 0755);
  ::chmod(audit.c_str(), 0750);
  ::chmod((state / "token").c_str(), 0600);  // already private: not reported

  Result<std::vector<std::filesystem::path>> tightened = RestrictStateFiles(state, audit);
  ASSERT_TRUE(tightened.ok()) << tightened.status().ToString();
  EXPECT_THAT(*tightened, UnorderedElementsAre(state, state / "madre.db", audit,
                                               audit / "audit-2026-11-24.jsonl"));
  EXPECT_EQ(ModeOf(state), 0700u);
  EXPECT_EQ(ModeOf(state / "madre.db"), 0600u);
  EXPECT_EQ(ModeOf(audit), 0700u);
  EXPECT_EQ(ModeOf(audit / "audit-2026-11-24.jsonl"), 0600u);
  EXPECT_EQ(ModeOf(audit / "notes.txt"), 0644u);

  Result<std::vector<std::filesystem::path>> again = RestrictStateFiles(state, audit);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(PrivateFilesTest, AMissingStateDirIsNotAnError) {
  TestTempDir dir;
  Result<std::vector<std::filesystem::path>> tightened =
      RestrictStateFiles(dir.path() / "none", dir.path() / "none" / "audit");
  ASSERT_TRUE(tightened.ok());
  EXPECT_TRUE(tightened->empty());
}

}  // namespace
}  // namespace madre
