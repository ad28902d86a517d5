// AuditLog on madre's SQLite database (table `audit`) plus one JSON Lines file per UTC day
// (`<audit dir>/audit-YYYY-MM-DD.jsonl`), hash-chained (docs/storage.md, SPEC §7).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/sqlite_db.h"
#include "ports/audit_log.h"

namespace madre {

// Shares the borrowed SqliteDb connection (which must outlive it) and its thread rule: one owner
// thread calls Append and Query.
//
// Append writes the SQLite row inside a transaction, then appends the line to the day's file with
// one write() and fsyncs it (and the directory when the file is new), then commits. When the
// file write fails the transaction is rolled back; when the commit fails the line is truncated
// away again. Either way the error is returned and seq / last hash do not advance, so the next
// Append reuses the seq. Storage errors are kInternal.
class SqliteAuditLog final : public AuditLog {
 private:
  struct Key {};
  friend Result<std::unique_ptr<SqliteAuditLog>> OpenSqliteAuditLog(SqliteDb&,
                                                                    std::filesystem::path);

 public:
  SqliteAuditLog(Key, SqliteDb& db, std::filesystem::path audit_dir, std::int64_t last_seq,
                 std::string last_hash);

  // AuditLog
  // Append stores and returns NormalizeAuditRecord(record) (outputs cut to 4 KiB, valid UTF-8)
  // with seq, prev_hash and hash assigned; the caller's seq/prev_hash/hash are ignored.
  // Append gives kInvalidArgument for a record that cannot be stored (a time outside years
  // 0000-9999). Query: `limit` <= 0 gives none.
  Result<AuditRecord> Append(AuditRecord record) override;
  Result<std::vector<AuditRecord>> Query(int limit, std::optional<std::int64_t> after_seq) override;

  const std::filesystem::path& audit_dir() const { return audit_dir_; }
  std::int64_t last_seq() const { return last_seq_; }

 private:
  SqliteDb& db_;
  std::filesystem::path audit_dir_;
  std::int64_t last_seq_;
  std::string last_hash_;
};

// Creates `audit_dir` (mode 0700) if needed and resumes seq and last hash from the database.
// A record that reached the newest audit file but not the database (a crash between the file's
// fsync and the commit) is imported into the database when it continues the chain; a torn last
// line (a crash inside write) is truncated away. Errors: kFailedPrecondition when the newest audit
// file is ahead of the database in any other way; kInternal for I/O and SQLite errors.
Result<std::unique_ptr<SqliteAuditLog>> OpenSqliteAuditLog(SqliteDb& db,
                                                           std::filesystem::path audit_dir);

// `<audit_dir>/audit-YYYY-MM-DD.jsonl` for the UTC day of `time`.
std::filesystem::path AuditFilePath(const std::filesystem::path& audit_dir, TimePoint time);

// Reads every audit-*.jsonl file of `audit_dir` and checks the chain: seqs consecutive, each
// prev_hash equal to the previous record's hash (the first record's is trusted unless its seq is
// 1, where it must be ""), and each hash equal to the SHA-256 of the record's canonical JSON
// without its hash. OK for an empty or missing directory. Error kFailedPrecondition
// "audit chain broken at seq N: <why> (<file>:<line>)" for the first broken record; kInternal
// when a file cannot be read.
Status VerifyAuditChain(const std::filesystem::path& audit_dir);

}  // namespace madre
