#include "adapters/sqlite/sqlite_audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/sqlite/audit_codec.h"
#include "adapters/sqlite/test_temp_dir.h"
#include "base/sha256.h"
#include "testing/audit_log_contract.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<SqliteDb> OpenDbOrDie(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

std::unique_ptr<SqliteAuditLog> OpenLogOrDie(SqliteDb& db, const std::filesystem::path& dir) {
  Result<std::unique_ptr<SqliteAuditLog>> log = OpenSqliteAuditLog(db, dir);
  MADRE_CHECK_MSG(log.ok(), log.status().ToString());
  return std::move(log).value();
}

std::vector<std::string> ReadLines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void WriteLines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::trunc);
  for (const std::string& line : lines) out << line << "\n";
}

// Breaks the audit directory by putting a regular file where it was.
class SqliteAuditLogEnv {
 public:
  AuditLog& log() { return *log_; }
  void BreakStorage() {
    std::filesystem::rename(AuditDir(), dir_.path() / "moved");
    std::ofstream(AuditDir()) << "not a directory";
  }
  void RepairStorage() {
    std::filesystem::remove(AuditDir());
    std::filesystem::rename(dir_.path() / "moved", AuditDir());
  }

 private:
  std::filesystem::path AuditDir() const { return dir_.path() / "audit"; }

  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_ = OpenDbOrDie(dir_.path() / "madre.db");
  std::unique_ptr<SqliteAuditLog> log_ = OpenLogOrDie(*db_, AuditDir());
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, AuditLogContractTest, ::testing::Types<SqliteAuditLogEnv>);

class SqliteAuditLogTest : public ::testing::Test {
 protected:
  SqliteAuditLogTest() { Reopen(); }

  // Closes and reopens the database and the log: what a restart of madre does.
  void Reopen() {
    log_.reset();
    db_.reset();
    db_ = OpenDbOrDie(dir_.path() / "madre.db");
    log_ = OpenLogOrDie(*db_, AuditDir());
  }

  std::filesystem::path AuditDir() const { return dir_.path() / "audit"; }

  AuditRecord Append(AuditRecord record) {
    Result<AuditRecord> appended = log_->Append(std::move(record));
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : AuditRecord{};
  }

  std::vector<std::int64_t> StoredSeqs() {
    Result<std::vector<AuditRecord>> all = log_->Query(1000, std::nullopt);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? contract::Seqs(*all) : std::vector<std::int64_t>{};
  }

  void Sql(const std::string& sql) {
    ASSERT_TRUE(db_->Run("sql",
                         [&](SQLite::Database& d) {
                           d.exec(sql);
                           return Status::Ok();
                         })
                    .ok());
  }

  static AuditRecord At(const std::string& rfc3339, const std::string& action = "window.open") {
    AuditRecord record = contract::SampleRecord(action);
    record.time = *ParseRfc3339(rfc3339);
    return record;
  }

  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteAuditLog> log_;
};

TEST_F(SqliteAuditLogTest, EachRecordIsOneLineInTheFileOfItsUtcDay) {
  const AuditRecord a = Append(At("2026-11-24T23:59:59.000000Z"));
  const AuditRecord b = Append(At("2026-11-25T01:00:00.000000+02:00"));  // 24th in UTC
  const AuditRecord c = Append(At("2026-11-25T00:00:00.000001Z"));
  const std::vector<std::string> day1 = ReadLines(AuditDir() / "audit-2026-11-24.jsonl");
  const std::vector<std::string> day2 = ReadLines(AuditDir() / "audit-2026-11-25.jsonl");
  ASSERT_EQ(day1.size(), 2u);
  ASSERT_EQ(day2.size(), 1u);
  EXPECT_EQ(*ParseAuditRecord(day1[0]), a);
  EXPECT_EQ(*ParseAuditRecord(day1[1]), b);
  EXPECT_EQ(*ParseAuditRecord(day2[0]), c);
  EXPECT_EQ(AuditFilePath(AuditDir(), c.time), AuditDir() / "audit-2026-11-25.jsonl");
}

TEST_F(SqliteAuditLogTest, TheLineIsTheCanonicalJsonAndTheHashCoversEverythingElse) {
  const AuditRecord a = Append(At("2026-11-24T10:00:00.123456Z"));
  const std::vector<std::string> lines = ReadLines(AuditDir() / "audit-2026-11-24.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j.dump(), lines[0]);  // compact, sorted keys
  EXPECT_EQ(j["time"], "2026-11-24T10:00:00.123456Z");
  EXPECT_EQ(j["ops"][0]["command"], "docker-compose -p vx11 up -d --no-deps switch");
  EXPECT_EQ(j["ops"][1]["exit_code"], -1);
  const std::string hash = j["hash"];
  j.erase("hash");
  EXPECT_EQ(hash, Sha256Hex(j.dump()));
  EXPECT_EQ(hash, a.hash);
}

TEST_F(SqliteAuditLogTest, FilesAreOwnerOnly) {
  Append(At("2026-11-24T10:00:00Z"));
  struct stat st {};
  ASSERT_EQ(::stat((AuditDir() / "audit-2026-11-24.jsonl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(AuditDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(SqliteAuditLogTest, SeqAndChainContinueAfterARestart) {
  Append(At("2026-11-24T10:00:00Z"));
  const AuditRecord second = Append(At("2026-11-24T10:00:01Z"));
  Reopen();
  EXPECT_EQ(log_->last_seq(), 2);
  const AuditRecord third = Append(At("2026-11-24T10:00:02Z"));
  EXPECT_EQ(third.seq, 3);
  EXPECT_EQ(third.prev_hash, second.hash);
  EXPECT_THAT(StoredSeqs(), ElementsAre(3, 2, 1));
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
}

TEST_F(SqliteAuditLogTest, VerifyAcceptsAnIntactChainAcrossDays) {
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());  // empty
  Append(At("2026-11-24T23:00:00Z"));
  Append(At("2026-11-25T01:00:00Z"));
  Append(At("2026-11-24T23:30:00Z"));  // the clock stepped back: a later seq in an earlier file
  Append(At("2026-11-26T00:00:00Z"));
  Status verified = VerifyAuditChain(AuditDir());
  EXPECT_TRUE(verified.ok()) << verified.ToString();
}

TEST_F(SqliteAuditLogTest, VerifyReportsTheSeqOfAnEditedLine) {
  for (int i = 0; i < 3; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  const std::size_t at = lines[1].find("\"outcome\":\"ok\"");
  ASSERT_NE(at, std::string::npos);
  lines[1].replace(at, 14, "\"outcome\":\"no\"");
  WriteLines(file, lines);
  Status verified = VerifyAuditChain(AuditDir());
  EXPECT_EQ(verified.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(verified.message(), HasSubstr("broken at seq 2"));
  EXPECT_THAT(verified.message(), HasSubstr("audit-2026-11-24.jsonl:2"));
}

TEST_F(SqliteAuditLogTest, VerifyReportsADeletedLine) {
  for (int i = 0; i < 3; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  lines.erase(lines.begin() + 1);
  WriteLines(file, lines);
  Status verified = VerifyAuditChain(AuditDir());
  EXPECT_EQ(verified.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(verified.message(), HasSubstr("broken at seq 3"));
}

TEST_F(SqliteAuditLogTest, VerifyReportsARecordWhoseHashWasRecomputedButBreaksTheChain) {
  for (int i = 0; i < 3; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  nlohmann::json j = nlohmann::json::parse(lines[1]);
  j["outcome"] = "fail";
  j.erase("hash");
  j["hash"] = Sha256Hex(j.dump());  // a careful forger fixes the record's own hash...
  lines[1] = j.dump();
  WriteLines(file, lines);
  Status verified = VerifyAuditChain(AuditDir());  // ...but seq 3 still names the old one
  EXPECT_THAT(verified.message(), HasSubstr("broken at seq 3"));
}

TEST_F(SqliteAuditLogTest, AFailedFileWriteKeepsNoRowAndTheNextAppendReusesTheSeq) {
  const AuditRecord first = Append(At("2026-11-23T10:00:00Z"));
  // Today's file is a link to /dev/full: open succeeds, write() fails with ENOSPC.
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::filesystem::create_symlink("/dev/full", file);
  Result<AuditRecord> failed = log_->Append(At("2026-11-24T10:00:00Z"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_THAT(failed.status().message(), HasSubstr("No space left on device"));
  EXPECT_THAT(StoredSeqs(), ElementsAre(1));

  std::filesystem::remove(file);  // the disk has room again
  const AuditRecord healed = Append(At("2026-11-24T10:00:00Z"));
  EXPECT_EQ(healed.seq, 2);
  EXPECT_EQ(healed.prev_hash, first.hash);
  EXPECT_THAT(StoredSeqs(), ElementsAre(2, 1));
  EXPECT_EQ(ReadLines(file).size(), 1u);
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
}

TEST_F(SqliteAuditLogTest, AFailedInsertLeavesTheFileAlone) {
  Append(At("2026-11-24T10:00:00Z"));
  Sql("INSERT INTO audit(seq, time, actor, action, window_id, outcome, record, prev_hash, hash) "
      "VALUES (2, 0, '', '', '', '', '{}', '', '')");  // the next seq is taken
  Result<AuditRecord> failed = log_->Append(At("2026-11-24T10:00:01Z"));
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_EQ(ReadLines(AuditDir() / "audit-2026-11-24.jsonl").size(), 1u);
  EXPECT_EQ(log_->last_seq(), 1);
}

TEST_F(SqliteAuditLogTest, AFailedCommitTakesTheLineBackOutOfTheFile) {
  Append(At("2026-11-24T10:00:00Z"));
  // A deferred foreign key is checked at COMMIT: the insert and the file write succeed, then
  // the commit fails.
  Sql("CREATE TABLE parent(seq INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1);"
      "ALTER TABLE audit RENAME TO audit_old;"
      "CREATE TABLE audit (seq INTEGER PRIMARY KEY REFERENCES parent(seq) DEFERRABLE INITIALLY "
      "DEFERRED, time INTEGER, actor TEXT, action TEXT, window_id TEXT, outcome TEXT, record TEXT,"
      " prev_hash TEXT, hash TEXT);"
      "INSERT INTO audit SELECT * FROM audit_old;");
  Result<AuditRecord> failed = log_->Append(At("2026-11-24T10:00:01Z"));
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_THAT(failed.status().message(), HasSubstr("FOREIGN KEY"));
  EXPECT_EQ(ReadLines(AuditDir() / "audit-2026-11-24.jsonl").size(), 1u);
  EXPECT_EQ(log_->last_seq(), 1);
  EXPECT_THAT(StoredSeqs(), ElementsAre(1));
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
}

TEST_F(SqliteAuditLogTest, ARecordInTheFileButNotInTheDatabaseIsImportedOnReopen) {
  Append(At("2026-11-24T10:00:00Z"));
  const AuditRecord second = Append(At("2026-11-24T10:00:01Z"));
  Sql("DELETE FROM audit WHERE seq = 2");  // as if madre died between the fsync and the commit
  Reopen();
  Result<std::vector<AuditRecord>> stored = log_->Query(10, std::nullopt);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ(stored->front(), second);
  EXPECT_EQ(Append(At("2026-11-24T10:00:02Z")).prev_hash, second.hash);
}

TEST_F(SqliteAuditLogTest, ATornLastLineIsCutOnReopen) {
  Append(At("2026-11-24T10:00:00Z"));
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::ofstream(file, std::ios::app) << R"({"seq":2,"time":"2026-11-)";  // died inside write()
  Reopen();
  EXPECT_EQ(ReadLines(file).size(), 1u);
  EXPECT_EQ(Append(At("2026-11-24T10:00:01Z")).seq, 2);
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
}

TEST_F(SqliteAuditLogTest, AFileAheadOfTheDatabaseIsRefused) {
  for (int i = 0; i < 3; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  Sql("DELETE FROM audit WHERE seq >= 2");
  log_.reset();
  Result<std::unique_ptr<SqliteAuditLog>> reopened = OpenSqliteAuditLog(*db_, AuditDir());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(reopened.status().message(), HasSubstr("ends at seq 3"));
}

TEST_F(SqliteAuditLogTest, OutputIsCutOnACharacterBoundaryAndInvalidBytesAreReplaced) {
  AuditRecord record = At("2026-11-24T10:00:00Z");
  record.ops[0].output = std::string(4094, 'a') + "\xe2\x82\xac";  // '€' straddles byte 4096
  record.ops[1].output = "raw \xff\xfe bytes";
  record.detail = "bad \xc3";
  const AuditRecord appended = Append(record);
  EXPECT_EQ(appended.ops[0].output, std::string(4094, 'a'));
  EXPECT_EQ(appended.ops[1].output, "raw \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  EXPECT_EQ(appended.detail, "bad \xEF\xBF\xBD");
  Result<std::vector<AuditRecord>> stored = log_->Query(1, std::nullopt);
  ASSERT_TRUE(stored.ok() && stored->size() == 1);
  EXPECT_EQ(stored->front(), appended);
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
}

TEST_F(SqliteAuditLogTest, ARecordWhoseTimeCannotBeWrittenIsRefused) {
  AuditRecord record = At("2026-11-24T10:00:00Z");
  record.time = FromMicros(400'000'000'000'000'000);  // year 14645
  Result<AuditRecord> refused = log_->Append(record);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->last_seq(), 0);
  EXPECT_TRUE(StoredSeqs().empty());
}

// ---- verify against the database, and the keyed chain ----

class SqliteAuditVerifyTest : public SqliteAuditLogTest {
 protected:
  Result<AuditVerifyReport> VerifyWithDb(std::optional<std::string> key = std::nullopt) {
    Result<AuditAnchor> anchor = ReadAuditAnchor(dir_.path() / "madre.db");
    EXPECT_TRUE(anchor.ok()) << anchor.status().ToString();
    AuditVerifyOptions options;
    if (anchor.ok()) options.database = *anchor;
    options.hmac_key = std::move(key);
    return VerifyAudit(AuditDir(), options);
  }

  void OpenKeyed(const std::string& key) {
    log_.reset();
    AuditLogOptions options;
    options.hmac_key = key;
    Result<std::unique_ptr<SqliteAuditLog>> log = OpenSqliteAuditLog(*db_, AuditDir(), options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
  }
};

TEST_F(SqliteAuditVerifyTest, AnIntactChainMatchesTheDatabase) {
  Append(At("2026-11-23T10:00:00Z"));
  Append(At("2026-11-24T10:00:00Z"));
  Result<AuditVerifyReport> report = VerifyWithDb();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 2);
  EXPECT_EQ(report->first_seq, 1);
  EXPECT_EQ(report->last_seq, 2);
  EXPECT_EQ(report->keyed, 0);
}

TEST_F(SqliteAuditVerifyTest, ATruncatedTailIsReportedWithTheMissingSeqs) {
  for (int i = 0; i < 4; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  lines.resize(2);  // the two newest records cut away: the file alone is still a valid chain
  WriteLines(file, lines);
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
  Result<AuditVerifyReport> report = VerifyWithDb();
  EXPECT_EQ(report.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("seqs 3..4"));
  EXPECT_THAT(report.status().message(), HasSubstr("the files end at seq 2"));
}

TEST_F(SqliteAuditVerifyTest, ADeletedNewestFileIsNamed) {
  Append(At("2026-11-23T10:00:00Z"));
  Append(At("2026-11-24T10:00:00Z"));
  Append(At("2026-11-24T11:00:00Z"));
  std::filesystem::remove(AuditDir() / "audit-2026-11-24.jsonl");
  Result<AuditVerifyReport> report = VerifyWithDb();
  EXPECT_EQ(report.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("audit-2026-11-24.jsonl (seqs 2..3)"));
}

TEST_F(SqliteAuditVerifyTest, ADeletedFirstFileIsDetectedWithAndWithoutTheDatabase) {
  Append(At("2026-11-22T10:00:00Z"));
  Append(At("2026-11-22T11:00:00Z"));
  Append(At("2026-11-23T10:00:00Z"));
  std::filesystem::remove(AuditDir() / "audit-2026-11-22.jsonl");
  Status files_only = VerifyAuditChain(AuditDir());
  EXPECT_EQ(files_only.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(files_only.message(), HasSubstr("audit records missing: seqs 1..2"));
  Result<AuditVerifyReport> report = VerifyWithDb();
  EXPECT_THAT(report.status().message(), HasSubstr("audit-2026-11-22.jsonl (seqs 1..2)"));
}

TEST_F(SqliteAuditVerifyTest, ARecordSwappedInBothFileAndChainButNotTheDatabaseIsCaught) {
  for (int i = 0; i < 2; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  // Re-chain the last record with plain SHA-256, as anyone who can write the file could.
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  nlohmann::json j = nlohmann::json::parse(lines[1]);
  j["outcome"] = "fail";
  j.erase("hash");
  j["hash"] = Sha256Hex(CanonicalDump(j));
  lines[1] = CanonicalDump(j);
  WriteLines(file, lines);
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());  // the files alone cannot tell
  Result<AuditVerifyReport> report = VerifyWithDb();
  EXPECT_THAT(report.status().message(), HasSubstr("not the one the database holds"));
}

TEST_F(SqliteAuditVerifyTest, AKeyedChainVerifiesWithTheKeyAndFailsWithAWrongOrMissingKey) {
  OpenKeyed("the-audit-key-0123456789");
  const AuditRecord first = Append(At("2026-11-24T10:00:00Z"));
  Append(At("2026-11-24T10:00:01Z"));
  EXPECT_THAT(ReadLines(AuditDir() / "audit-2026-11-24.jsonl")[0],
              HasSubstr("\"mac\":\"hmac-sha256\""));
  EXPECT_NE(first.hash, ComputeAuditHash(first));  // not the plain SHA-256

  Result<AuditVerifyReport> good = VerifyWithDb("the-audit-key-0123456789");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->keyed, 2);
  EXPECT_EQ(good->first_keyed_seq, 1);

  Result<AuditVerifyReport> wrong = VerifyWithDb("another-key");
  EXPECT_EQ(wrong.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.status().message(), HasSubstr("broken at seq 1: HMAC does not match"));

  Result<AuditVerifyReport> none = VerifyWithDb();
  EXPECT_THAT(none.status().message(), HasSubstr("give the key"));
}

TEST_F(SqliteAuditVerifyTest, AKeyedRecordRechainedWithoutTheKeyIsCaught) {
  OpenKeyed("k-0123456789abcdef");
  for (int i = 0; i < 3; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  // A forger without the key turns the records from seq 2 on into plain SHA-256 ones.
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  std::string prev = nlohmann::json::parse(lines[0])["hash"];
  for (std::size_t i = 1; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    j.erase("mac");
    j.erase("hash");
    j["prev_hash"] = prev;
    j["hash"] = prev = Sha256Hex(CanonicalDump(j));
    lines[i] = CanonicalDump(j);
  }
  WriteLines(file, lines);
  Result<AuditVerifyReport> report = VerifyWithDb("k-0123456789abcdef");
  EXPECT_THAT(report.status().message(), HasSubstr("broken at seq 2: record is not HMAC-chained"));
}

TEST_F(SqliteAuditVerifyTest, AKeyedRecordInTheFileIsImportedOnlyWithTheKey) {
  OpenKeyed("k-0123456789abcdef");
  Append(At("2026-11-24T10:00:00Z"));
  Append(At("2026-11-24T10:00:01Z"));
  Sql("DELETE FROM audit WHERE seq = 2");  // died between the fsync and the commit
  log_.reset();
  Result<std::unique_ptr<SqliteAuditLog>> unkeyed = OpenSqliteAuditLog(*db_, AuditDir());
  EXPECT_EQ(unkeyed.code(), StatusCode::kFailedPrecondition);
  OpenKeyed("k-0123456789abcdef");
  EXPECT_EQ(log_->last_seq(), 2);
}

TEST_F(SqliteAuditVerifyTest, ReopeningAfterTheTailWasCutSaysSoButStillOpens) {
  for (int i = 0; i < 3; ++i) Append(At("2026-11-24T10:00:0" + std::to_string(i) + "Z"));
  Reopen();
  EXPECT_EQ(log_->file_tail_problem(), "");
  const std::filesystem::path file = AuditDir() / "audit-2026-11-24.jsonl";
  std::vector<std::string> lines = ReadLines(file);
  lines.pop_back();
  WriteLines(file, lines);
  Reopen();
  EXPECT_THAT(log_->file_tail_problem(),
              HasSubstr("audit-2026-11-24.jsonl does not end with the database's last record "
                        "(seq 3)"));
  std::filesystem::remove(file);
  Reopen();
  EXPECT_THAT(log_->file_tail_problem(), HasSubstr("audit-2026-11-24.jsonl is missing"));
}

TEST_F(SqliteAuditVerifyTest, AClockStepBackDoesNotLookLikeACutTail) {
  Append(At("2026-11-25T10:00:00Z"));
  Append(At("2026-11-24T10:00:00Z"));  // the newest record went to an earlier day's file
  Reopen();
  EXPECT_EQ(log_->file_tail_problem(), "");
}

TEST_F(SqliteAuditVerifyTest, WithoutADatabaseFileTheAnchorIsNotFound) {
  EXPECT_EQ(ReadAuditAnchor(dir_.path() / "nope.db").code(), StatusCode::kNotFound);
}

// ---- retention and capped records ----

TEST_F(SqliteAuditVerifyTest, PruningRemovesOldFilesAndRowsAndLeavesAnAnchorVerifyAccepts) {
  Append(At("2026-11-20T10:00:00Z"));
  Append(At("2026-11-20T11:00:00Z"));
  const AuditRecord last_old = Append(At("2026-11-21T10:00:00Z"));
  Append(At("2026-11-22T10:00:00Z"));
  Append(At("2026-11-23T10:00:00Z"));
  Result<SqliteAuditLog::PruneResult> pruned = log_->PruneBefore(
      *ParseRfc3339("2026-11-22T00:00:00Z"), *ParseRfc3339("2026-11-23T12:00:00Z"));
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->pruned_to_seq, 3);
  EXPECT_EQ(pruned->files_removed, 2);
  EXPECT_EQ(pruned->rows_removed, 3);
  EXPECT_FALSE(std::filesystem::exists(AuditDir() / "audit-2026-11-20.jsonl"));
  EXPECT_FALSE(std::filesystem::exists(AuditDir() / "audit-2026-11-21.jsonl"));
  EXPECT_THAT(StoredSeqs(), ElementsAre(6, 5, 4));

  Result<std::vector<AuditRecord>> newest = log_->Query(1, std::nullopt);
  ASSERT_TRUE(newest.ok() && newest->size() == 1);
  EXPECT_EQ(newest->front().action, "audit.pruned");
  EXPECT_EQ(newest->front().detail, "{\"files_removed\":2,\"pruned_to_hash\":\"" + last_old.hash +
                                        "\",\"pruned_to_seq\":3}");
  Result<AuditVerifyReport> report = VerifyWithDb();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->first_seq, 4);
  EXPECT_EQ(report->pruned_to, 3);

  // The anchor covers only what retention removed: deleting the next file is still caught.
  std::filesystem::remove(AuditDir() / "audit-2026-11-22.jsonl");
  Status files_only = VerifyAuditChain(AuditDir());
  EXPECT_THAT(files_only.message(), HasSubstr("audit records missing: seq 4"));
}

TEST_F(SqliteAuditVerifyTest, PruningKeepsTheNewestFileAndNothingIsOldEnoughIsANoOp) {
  Append(At("2026-11-20T10:00:00Z"));
  Result<SqliteAuditLog::PruneResult> pruned = log_->PruneBefore(
      *ParseRfc3339("2026-11-25T00:00:00Z"), *ParseRfc3339("2026-11-25T00:00:00Z"));
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->pruned_to_seq, 0);
  EXPECT_EQ(log_->last_seq(), 1);  // no audit.pruned record either
  EXPECT_TRUE(std::filesystem::exists(AuditDir() / "audit-2026-11-20.jsonl"));
}

TEST_F(SqliteAuditVerifyTest, AnOldFileHoldingALaterSeqAfterAClockStepBackIsKept) {
  Append(At("2026-11-20T10:00:00Z"));  // seq 1
  Append(At("2026-11-22T10:00:00Z"));  // seq 2
  Append(At("2026-11-21T10:00:00Z"));  // seq 3: the clock stepped back
  Append(At("2026-11-23T10:00:00Z"));  // seq 4
  Result<SqliteAuditLog::PruneResult> pruned = log_->PruneBefore(
      *ParseRfc3339("2026-11-22T00:00:00Z"), *ParseRfc3339("2026-11-23T11:00:00Z"));
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->pruned_to_seq, 1);
  EXPECT_FALSE(std::filesystem::exists(
      AuditDir() / "audit-2026-11-20.jsonl"));  // the 21st holds seq 3 > seq 2 of the kept 22nd
  EXPECT_TRUE(std::filesystem::exists(AuditDir() / "audit-2026-11-21.jsonl"));
  Result<AuditVerifyReport> report = VerifyWithDb();
  EXPECT_TRUE(report.ok()) << report.status().ToString();
}

TEST_F(SqliteAuditVerifyTest, ASecondPruneChainsFromTheFirstAnchor) {
  Append(At("2026-11-20T10:00:00Z"));
  Append(At("2026-11-21T10:00:00Z"));
  ASSERT_TRUE(log_->PruneBefore(*ParseRfc3339("2026-11-21T00:00:00Z"),
                                *ParseRfc3339("2026-11-22T10:00:00Z"))
                  .ok());
  Append(At("2026-11-23T10:00:00Z"));
  Result<SqliteAuditLog::PruneResult> second = log_->PruneBefore(
      *ParseRfc3339("2026-11-23T00:00:00Z"), *ParseRfc3339("2026-11-23T11:00:00Z"));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->pruned_to_seq, 3);  // seq 2 (21st) and the first audit.pruned (22nd)
  Result<AuditVerifyReport> report = VerifyWithDb();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->first_seq, 4);
}

TEST_F(SqliteAuditLogTest, ALongDetailIsCappedWithAMarker) {
  AuditRecord record = At("2026-11-24T10:00:00Z", "window.open");
  std::string names;
  for (int i = 0; i < 256; ++i) names += "\"" + std::string(200, 'x') + std::to_string(i) + "\", ";
  record.detail = "Services not in allowlist: [" + names + "]";
  const std::size_t original = record.detail.size();
  const AuditRecord appended = Append(record);
  EXPECT_EQ(appended.detail.size(), kMaxAuditTextBytes);
  EXPECT_THAT(appended.detail, HasSubstr("...[cut: " + std::to_string(original) + " bytes]"));
  EXPECT_EQ(appended.detail.rfind("Services not in allowlist: [", 0), 0u);
  EXPECT_TRUE(VerifyAuditChain(AuditDir()).ok());
  EXPECT_EQ(CapWithMarker("short", 4096), "short");
}

TEST_F(SqliteAuditLogTest, ARecordWithAnOutcomeThisMadreDoesNotKnowIsImportedReadAndVerified) {
  Append(At("2026-11-24T10:00:00Z"));
  const AuditRecord second = Append(At("2026-11-24T10:00:01Z"));
  // Seq 3 as a newer madre with one more outcome would have written it (chained and hashed).
  nlohmann::json j = AuditRecordToJson(At("2026-11-24T10:00:02Z"), false);
  j["seq"] = 3;
  j["prev_hash"] = second.hash;
  j["outcome"] = "hibernated";
  const std::string hash = Sha256Hex(CanonicalDump(j));
  j["hash"] = hash;
  std::ofstream(AuditDir() / "audit-2026-11-24.jsonl", std::ios::app) << CanonicalDump(j) << "\n";
  Reopen();  // imports it (the file is one record ahead of the database)
  EXPECT_EQ(log_->last_seq(), 3);
  Result<std::vector<AuditRecord>> stored = log_->Query(1, std::nullopt);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().seq, 3);
  EXPECT_EQ(stored->front().outcome, AuditOutcome::kUnknown);
  EXPECT_EQ(stored->front().hash, hash);
  EXPECT_EQ(Append(At("2026-11-24T10:00:03Z")).prev_hash, hash);
  Status verified = VerifyAuditChain(AuditDir());
  EXPECT_TRUE(verified.ok()) << verified.ToString();
}

TEST(AuditCodecTest, EveryOutcomeIsWrittenAndHashedAsItsName) {
  for (AuditOutcome outcome :
       {AuditOutcome::kOk, AuditOutcome::kPartial, AuditOutcome::kFail, AuditOutcome::kGaveUp,
        AuditOutcome::kRejected, AuditOutcome::kAccepted, AuditOutcome::kCancelled,
        AuditOutcome::kReported, AuditOutcome::kStopped}) {
    AuditRecord record = contract::SampleRecord("window.open");
    record.seq = 1;
    record.outcome = outcome;
    nlohmann::json j = AuditRecordToJson(record, false);
    EXPECT_EQ(j["outcome"], AuditOutcomeName(outcome));
    EXPECT_EQ(ComputeAuditHash(record), Sha256Hex(CanonicalDump(j)));
    Result<AuditRecord> parsed = ParseAuditRecord(CanonicalDump(AuditRecordToJson(record, true)));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, record) << AuditOutcomeName(outcome);
  }
}

// A line written before outcomes were typed (the example of docs/storage.md): it still parses,
// its seal still checks, and the parsed record writes back the same bytes and hash.
TEST(AuditCodecTest, ALineWrittenBeforeOutcomesWereTypedReadsAndWritesBackByteForByte) {
  const std::string line =
      R"__({"action":"reconcile.start","actor":"reconcile","detail":"","hash":"4d91ce20501377ea5e73c569f4c82baef333b2e761622cd9612192af53cd5579","ops":[{"command":"docker-compose -p vx11 -f docker-compose.yml up -d --no-deps --no-build redis","elapsed_ms":771,"exit_code":0,"output":"Creating network \"vx11_default\" with the default driver\nCreating vx11_redis_1 ... \r\nCreating vx11_redis_1 ... done\r\n"}],"outcome":"ok","prev_hash":"b139b6dcc285b909280243308b344acc839f19e5ba1c7b1e4efa601cebddbfef","reason":"","seq":3,"services":["redis"],"time":"2026-11-24T02:57:56.378785Z","window_id":""})__";
  Result<AuditRecord> parsed = ParseAuditRecord(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->outcome, AuditOutcome::kOk);
  EXPECT_EQ(CheckAuditSeal(line, std::nullopt), SealCheck::kOk);
  EXPECT_EQ(CanonicalDump(AuditRecordToJson(*parsed, true)), line);
  EXPECT_EQ(ComputeAuditHash(*parsed), parsed->hash);
}

TEST(AuditCodecTest, AnUnknownOutcomeReadsAsUnknownAndTheRestOfTheRecordIsKept) {
  AuditRecord record = contract::SampleRecord("window.open");
  record.seq = 7;
  nlohmann::json j = AuditRecordToJson(record, true);
  j["outcome"] = "hibernated";
  Result<AuditRecord> parsed = ParseAuditRecord(CanonicalDump(j));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->outcome, AuditOutcome::kUnknown);
  record.outcome = AuditOutcome::kUnknown;
  EXPECT_EQ(*parsed, record);
  j["outcome"] = 3;  // not a string: not a record
  EXPECT_EQ(ParseAuditRecord(CanonicalDump(j)).code(), StatusCode::kInternal);
}

TEST(CutUtf8Test, KeepsWholeCharactersOnly) {
  EXPECT_EQ(CutUtf8("abc", 5), "abc");
  EXPECT_EQ(CutUtf8("abcdef", 3), "abc");
  EXPECT_EQ(CutUtf8("a\xc3\xb1", 2), "a");           // 2-byte char cut after its lead byte
  EXPECT_EQ(CutUtf8("a\xc3\xb1z", 3), "a\xc3\xb1");  // boundary exactly at the end
  EXPECT_EQ(CutUtf8("\xf0\x9f\x98\x80", 3), "");     // 4-byte emoji does not fit
}

}  // namespace
}  // namespace madre
