// AuditLog on madre's SQLite database (table `audit`) plus one JSON Lines file per UTC day
// (`<audit dir>/audit-YYYY-MM-DD.jsonl`), hash-chained (docs/storage.md, SPEC §7).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
struct AuditLogOptions {
  // VX11_AUDIT_HMAC_KEY_FILE's content: records are then HMAC-SHA256-chained under it
  // ("mac":"hmac-sha256"). nullopt: plain SHA-256.
  std::optional<std::string> hmac_key;
};

class SqliteAuditLog final : public AuditLog {
 private:
  struct Key {};
  friend Result<std::unique_ptr<SqliteAuditLog>> OpenSqliteAuditLog(SqliteDb&,
                                                                    std::filesystem::path,
                                                                    AuditLogOptions);

 public:
  SqliteAuditLog(Key, SqliteDb& db, std::filesystem::path audit_dir, std::int64_t last_seq,
                 std::string last_hash, AuditLogOptions options);

  // AuditLog
  // Append stores and returns NormalizeAuditRecord(record) (outputs cut to 4 KiB, valid UTF-8)
  // with seq, prev_hash and hash assigned; the caller's seq/prev_hash/hash are ignored.
  // Append gives kInvalidArgument for a record that cannot be stored (a time outside years
  // 0000-9999). Query: `limit` <= 0 gives none.
  Result<AuditRecord> Append(AuditRecord record) override;
  Result<std::vector<AuditRecord>> Query(int limit, std::optional<std::int64_t> after_seq) override;

  // Retention (VX11_AUDIT_RETENTION_DAYS). Removes whole audit files of UTC days before
  // `cutoff`'s day, never the newest file, and only as far as every remaining record has a
  // larger seq than every removed one (a clock step back can keep an old file). When anything
  // goes, it first appends an `audit.pruned` record (actor "madre", time `now`, detail
  // {"files_removed":N,"pruned_to_hash":H,"pruned_to_seq":P}) that verify accepts as the new
  // start of the chain, then deletes the database rows with seq <= P, then the files. Returns P
  // (0 when nothing was old enough). A crash in between leaves extra rows or files, which verify
  // accepts and the next prune removes.
  struct PruneResult {
    std::int64_t pruned_to_seq = 0;
    int files_removed = 0;
    int rows_removed = 0;
  };
  Result<PruneResult> PruneBefore(TimePoint cutoff, TimePoint now);

  const std::filesystem::path& audit_dir() const { return audit_dir_; }

  // "" when, at open, the database's last record was the last line of its day's audit file;
  // else what is wrong (a cut tail or a deleted newest file). Opening does not fail for it (the
  // database is whole and the chain goes on from it); serve logs it as a warning, and
  // `madre verify-audit` names the missing records.
  const std::string& file_tail_problem() const { return file_tail_problem_; }
  std::int64_t last_seq() const { return last_seq_; }

 private:
  SqliteDb& db_;
  std::filesystem::path audit_dir_;
  std::int64_t last_seq_;
  std::string last_hash_;
  AuditLogOptions options_;
  std::string file_tail_problem_;
};

// Creates `audit_dir` (mode 0700) if needed and resumes seq and last hash from the database.
// A record that reached the newest audit file but not the database (a crash between the file's
// fsync and the commit) is imported into the database when it continues the chain; a torn last
// line (a crash inside write) is truncated away. Errors: kFailedPrecondition when the newest audit
// file is ahead of the database in any other way (or its last record is keyed and
// `options.hmac_key` is not set); kInternal for I/O and SQLite errors.
Result<std::unique_ptr<SqliteAuditLog>> OpenSqliteAuditLog(SqliteDb& db,
                                                           std::filesystem::path audit_dir,
                                                           AuditLogOptions options = {});

// `<audit_dir>/audit-YYYY-MM-DD.jsonl` for the UTC day of `time`.
std::filesystem::path AuditFilePath(const std::filesystem::path& audit_dir, TimePoint time);

// What the database says the audit files must hold (read by ReadAuditAnchor).
struct AuditAnchor {
  std::int64_t last_seq = 0;  // 0: no record
  std::string last_hash;
  // The audit file name (audit-YYYY-MM-DD.jsonl) of each UTC day the database has rows for, with
  // the smallest and largest seq of that day.
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> files;
};

// Opens the database at `db_path` read-only (no migration, no write: safe while madre runs) and
// reads its anchor. kNotFound when there is no database file; kInternal for SQLite errors.
Result<AuditAnchor> ReadAuditAnchor(const std::filesystem::path& db_path);

struct AuditVerifyOptions {
  std::optional<AuditAnchor> database;  // nullopt: the files alone (a cut tail is not seen)
  std::optional<std::string> hmac_key;  // needed when the records are keyed
};

struct AuditVerifyReport {
  std::int64_t records = 0;
  std::int64_t first_seq = 0;  // 0 when there is no record
  std::int64_t last_seq = 0;
  std::int64_t keyed = 0;  // records chained by HMAC
  std::int64_t first_keyed_seq = 0;
  std::int64_t pruned_to = 0;  // the newest audit.pruned anchor's seq, 0 when none
};

// Reads every audit-*.jsonl file of `audit_dir` and checks (docs/storage.md "What the chain
// proves"):
// - with a database anchor: every file the database has rows for exists (else "audit records
//   missing: audit-….jsonl (seq A..B) is gone");
// - each record's hash is its own (SHA-256, or HMAC-SHA256 with `hmac_key` for a record with
//   "mac"; a keyed record without the key is an error), seqs are consecutive, each prev_hash is
//   the previous record's hash, and once a record is keyed (with a key given) every later one is;
// - the first record is seq 1 with prev_hash "", or an `audit.pruned` record later in the chain
//   names the seq before it and that record's hash (retention removed what came before);
// - with a database anchor: the files reach the database's last seq (else "records L+1..D are
//   missing: the newest records were cut"), and the record at that seq has the database's hash;
//   one record beyond it is accepted (an append in flight while madre runs).
// Error kFailedPrecondition naming the first problem ("audit chain broken at seq N: <why>
// (<file>:<line>)" inside the chain); kInternal when a file cannot be read.
Result<AuditVerifyReport> VerifyAudit(const std::filesystem::path& audit_dir,
                                      const AuditVerifyOptions& options);

// VerifyAudit without a database anchor or a key. OK for an empty or missing directory.
Status VerifyAuditChain(const std::filesystem::path& audit_dir);

// The action of the record that retention appends (SqliteAuditLog::PruneBefore); its detail is
// {"files_removed":N,"pruned_to_hash":"…","pruned_to_seq":P}.
inline constexpr std::string_view kAuditPrunedAction = "audit.pruned";

}  // namespace madre
