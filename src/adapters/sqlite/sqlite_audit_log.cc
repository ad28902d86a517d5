#include "adapters/sqlite/sqlite_audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "adapters/sqlite/audit_codec.h"
#include "base/sha256.h"

namespace madre {

namespace {

Status ErrnoStatus(const std::string& what, int err) {
  return Status::Internal(what + ": " + std::strerror(err));
}

// fsyncs a directory so that a newly created entry in it survives a crash.
Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open " + dir.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("cannot fsync " + dir.string(), err);
  return Status::Ok();
}

Status EnsureAuditDir(const std::filesystem::path& dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create audit dir " + dir.string() + ": " + ec.message());
  if (created) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    if (ec) return Status::Internal("cannot chmod audit dir " + dir.string() + ": " + ec.message());
  }
  return Status::Ok();
}

// One durable append to a JSON Lines file, which can be undone until it is dropped: the line is
// written with one write() and fsync'd; Undo() truncates the file back to its old size.
class FileAppend {
 public:
  FileAppend() = default;
  FileAppend(const FileAppend&) = delete;
  FileAppend& operator=(const FileAppend&) = delete;
  ~FileAppend() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(const std::filesystem::path& file, const std::string& line) {
    bool created = false;
    fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0 && errno == ENOENT) {
      RETURN_IF_ERROR(EnsureAuditDir(file.parent_path()));
      fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      created = true;
    }
    if (fd_ < 0) return ErrnoStatus("cannot open " + file.string(), errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat " + file.string(), errno);
    old_size_ = st.st_size;
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n < 0 || static_cast<std::size_t>(n) != line.size()) {
      const int err = n < 0 ? errno : ENOSPC;
      written_ = n > 0;
      Undo();
      return ErrnoStatus("cannot write " + file.string(), err);
    }
    written_ = true;
    if (::fsync(fd_) != 0) {
      const int err = errno;
      Undo();
      return ErrnoStatus("cannot fsync " + file.string(), err);
    }
    if (created) {
      Status synced = SyncDirectory(file.parent_path());
      if (!synced.ok()) {
        Undo();
        return synced;
      }
    }
    return Status::Ok();
  }

  // Best effort: the append is being given up, and the caller is already reporting an error.
  void Undo() {
    if (fd_ < 0 || !written_) return;
    if (::ftruncate(fd_, old_size_) == 0) (void)::fsync(fd_);
    written_ = false;
  }

 private:
  int fd_ = -1;
  off_t old_size_ = 0;
  bool written_ = false;
};

void InsertRow(SQLite::Database& db, const AuditRecord& record, const std::string& json) {
  SQLite::Statement insert(
      db,
      "INSERT INTO audit(seq, time, actor, action, window_id, outcome, record, "
      "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, static_cast<std::int64_t>(record.seq));
  insert.bind(2, static_cast<std::int64_t>(ToMicros(record.time)));
  insert.bind(3, record.actor);
  insert.bind(4, record.action);
  insert.bind(5, record.window_id);
  insert.bind(6, AuditOutcomeName(record.outcome));
  insert.bind(7, json);
  insert.bind(8, record.prev_hash);
  insert.bind(9, record.hash);
  insert.exec();
}

bool IsAuditFileName(const std::string& name) {
  // audit-YYYY-MM-DD.jsonl
  if (name.size() != 22 || name.rfind("audit-", 0) != 0 || name.substr(16) != ".jsonl") {
    return false;
  }
  for (std::size_t i = 6; i < 16; ++i) {
    const bool dash = i == 10 || i == 13;
    if (dash ? name[i] != '-' : !std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

// The audit files of `dir`, oldest day first. None when `dir` does not exist.
Result<std::vector<std::filesystem::path>> ListAuditFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (IsAuditFileName(it->path().filename().string())) files.push_back(it->path());
  }
  if (ec) return Status::Internal("cannot list " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Internal("cannot read " + file.string());
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Status::Internal("cannot read " + file.string());
  return content.str();
}

struct ChainTail {
  std::int64_t seq = 0;
  std::string hash;
  TimePoint time{};
};

// "" when the day file of the database's last record ends with that record; else what is wrong.
// The last record is always the last line of its day's file (a later record that went to an
// earlier day's file after a clock step back is still the last line of that file).
std::string CheckFileTail(const std::filesystem::path& dir, const ChainTail& tail) {
  if (tail.seq == 0) return "";
  const std::filesystem::path file = AuditFilePath(dir, tail.time);
  Result<std::string> content = ReadFile(file);
  if (!content.ok()) {
    return file.filename().string() + " is missing; the database's last record (seq " +
           std::to_string(tail.seq) + ") belongs there";
  }
  std::string_view text = *content;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  const std::size_t start = text.rfind('\n');
  Result<AuditRecord> last =
      ParseAuditRecord(text.substr(start == std::string_view::npos ? 0 : start + 1));
  if (!last.ok() || last->seq != tail.seq || last->hash != tail.hash) {
    return file.filename().string() + " does not end with the database's last record (seq " +
           std::to_string(tail.seq) + "): the newest records were cut or changed";
  }
  return "";
}

// Brings the database up to the newest audit file after a crash (see OpenSqliteAuditLog).
Status ReconcileNewestFile(SqliteDb& db, const std::filesystem::path& dir,
                           const std::optional<std::string>& key, ChainTail& tail) {
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, ListAuditFiles(dir));
  if (files.empty()) return Status::Ok();
  const std::filesystem::path& file = files.back();
  ASSIGN_OR_RETURN(std::string content, ReadFile(file));
  if (content.empty()) return Status::Ok();
  if (content.back() != '\n') {
    const std::size_t keep = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
    std::error_code ec;
    std::filesystem::resize_file(file, keep, ec);
    if (ec)
      return Status::Internal("cannot cut torn line of " + file.string() + ": " + ec.message());
    content.resize(keep);
  }
  if (content.empty()) return Status::Ok();
  content.pop_back();  // the last line's '\n'
  if (content.empty()) return Status::Ok();
  const std::size_t start = content.rfind('\n');
  const std::string_view text =
      std::string_view(content).substr(start == std::string::npos ? 0 : start + 1);
  Result<AuditRecord> last = ParseAuditRecord(text);
  if (!last.ok()) return Status::FailedPrecondition(file.string() + ": " + last.status().message());
  if (last->seq <= tail.seq) return Status::Ok();
  if (last->seq != tail.seq + 1 || last->prev_hash != tail.hash ||
      CheckAuditSeal(text, key) != SealCheck::kOk) {
    return Status::FailedPrecondition("audit file " + file.string() + " ends at seq " +
                                      std::to_string(last->seq) +
                                      ", which does not continue the database's chain (last seq " +
                                      std::to_string(tail.seq) + ")");
  }
  RETURN_IF_ERROR(db.Transaction("import audit record", [&](SQLite::Database& d) {
    InsertRow(d, *last, std::string(text));
    return Status::Ok();
  }));
  tail = {last->seq, last->hash};
  return Status::Ok();
}

}  // namespace

std::filesystem::path AuditFilePath(const std::filesystem::path& audit_dir, TimePoint time) {
  return audit_dir / ("audit-" + FormatRfc3339(time).substr(0, 10) + ".jsonl");
}

Result<std::unique_ptr<SqliteAuditLog>> OpenSqliteAuditLog(SqliteDb& db,
                                                           std::filesystem::path audit_dir,
                                                           AuditLogOptions options) {
  RETURN_IF_ERROR(EnsureAuditDir(audit_dir));
  ChainTail tail;
  RETURN_IF_ERROR(db.Run("read last audit record", [&](SQLite::Database& d) {
    SQLite::Statement select(d, "SELECT seq, hash, time FROM audit ORDER BY seq DESC LIMIT 1");
    if (select.executeStep()) {
      tail.seq = select.getColumn(0).getInt64();
      tail.hash = select.getColumn(1).getString();
      tail.time = FromMicros(select.getColumn(2).getInt64());
    }
    return Status::Ok();
  }));
  const std::int64_t db_seq = tail.seq;
  RETURN_IF_ERROR(ReconcileNewestFile(db, audit_dir, options.hmac_key, tail));
  std::string file_tail_problem;
  if (tail.seq == db_seq) file_tail_problem = CheckFileTail(audit_dir, tail);
  auto log = std::make_unique<SqliteAuditLog>(SqliteAuditLog::Key{}, db, std::move(audit_dir),
                                              tail.seq, std::move(tail.hash), std::move(options));
  log->file_tail_problem_ = std::move(file_tail_problem);
  return log;
}

SqliteAuditLog::SqliteAuditLog(Key, SqliteDb& db, std::filesystem::path audit_dir,
                               std::int64_t last_seq, std::string last_hash,
                               AuditLogOptions options)
    : db_(db),
      audit_dir_(std::move(audit_dir)),
      last_seq_(last_seq),
      last_hash_(std::move(last_hash)),
      options_(std::move(options)) {}

Result<AuditRecord> SqliteAuditLog::Append(AuditRecord record) {
  record.seq = last_seq_ + 1;
  record.prev_hash = last_hash_;
  record.hash.clear();
  ASSIGN_OR_RETURN(record, NormalizeAuditRecord(std::move(record)));
  SealedAuditRecord sealed = SealAuditRecord(record, options_.hmac_key);
  record.hash = sealed.hash;
  const std::string json = std::move(sealed.line);

  FileAppend file;
  Status status = db_.Transaction("append audit record", [&](SQLite::Database& db) {
    InsertRow(db, record, json);
    return file.Append(AuditFilePath(audit_dir_, record.time), json + "\n");
  });
  if (!status.ok()) {
    file.Undo();  // the commit failed after the line was written
    return Status(status.code(), "audit record " + std::to_string(record.seq) +
                                     " not written: " + status.message());
  }
  last_seq_ = record.seq;
  last_hash_ = record.hash;
  return record;
}

Result<std::vector<AuditRecord>> SqliteAuditLog::Query(int limit,
                                                       std::optional<std::int64_t> after_seq) {
  std::vector<AuditRecord> records;
  if (limit <= 0) return records;
  RETURN_IF_ERROR(db_.Run("query audit", [&](SQLite::Database& db) -> Status {
    SQLite::Statement select(db,
                             "SELECT record FROM audit WHERE seq > ? ORDER BY seq DESC LIMIT ?");
    select.bind(1, static_cast<std::int64_t>(after_seq.value_or(0)));
    select.bind(2, limit);
    while (select.executeStep()) {
      ASSIGN_OR_RETURN(AuditRecord record, ParseAuditRecord(select.getColumn(0).getString()));
      records.push_back(std::move(record));
    }
    return Status::Ok();
  }));
  return records;
}

Result<SqliteAuditLog::PruneResult> SqliteAuditLog::PruneBefore(TimePoint cutoff, TimePoint now) {
  struct FileSeqs {
    std::filesystem::path path;
    std::int64_t min_seq = 0;
    std::int64_t max_seq = 0;
    std::map<std::int64_t, std::string> hashes;
  };
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, ListAuditFiles(audit_dir_));
  const std::string cutoff_name = AuditFilePath("", cutoff).string();
  std::vector<FileSeqs> old_files;  // candidates, oldest day first
  std::int64_t kept_min = last_seq_ + 1;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const bool old_enough = files[i].filename().string() < cutoff_name && i + 1 < files.size();
    ASSIGN_OR_RETURN(std::string content, ReadFile(files[i]));
    FileSeqs seqs{files[i], 0, 0, {}};
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) {
      ASSIGN_OR_RETURN(AuditRecord record, ParseAuditRecord(line));
      if (seqs.hashes.empty() || record.seq < seqs.min_seq) seqs.min_seq = record.seq;
      if (seqs.hashes.empty() || record.seq > seqs.max_seq) seqs.max_seq = record.seq;
      seqs.hashes[record.seq] = record.hash;
    }
    if (seqs.hashes.empty()) continue;
    if (old_enough) {
      old_files.push_back(std::move(seqs));
    } else {
      kept_min = std::min(kept_min, seqs.min_seq);
    }
  }
  // Keep any old file that holds a seq at or above a kept one, until that settles.
  std::vector<FileSeqs> removable;
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = old_files.begin(); it != old_files.end();) {
      if (it->max_seq >= kept_min) {
        kept_min = std::min(kept_min, it->min_seq);
        it = old_files.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
  }
  PruneResult result;
  if (old_files.empty()) return result;
  result.pruned_to_seq = kept_min - 1;
  std::string anchor_hash;
  for (const FileSeqs& file : old_files) {
    if (auto it = file.hashes.find(result.pruned_to_seq); it != file.hashes.end()) {
      anchor_hash = it->second;
    }
  }
  if (anchor_hash.empty()) {
    return Status::FailedPrecondition("cannot prune the audit: seq " +
                                      std::to_string(result.pruned_to_seq) +
                                      " is in no audit file (run madre verify-audit)");
  }
  AuditRecord pruned;
  pruned.time = now;
  pruned.actor = "madre";
  pruned.action = std::string(kAuditPrunedAction);
  pruned.outcome = AuditOutcome::kOk;
  pruned.reason = "retention";
  pruned.detail = CanonicalDump(nlohmann::json{{"pruned_to_seq", result.pruned_to_seq},
                                               {"pruned_to_hash", anchor_hash},
                                               {"files_removed", old_files.size()}});
  ASSIGN_OR_RETURN(AuditRecord written, Append(std::move(pruned)));
  (void)written;
  RETURN_IF_ERROR(db_.Run("prune audit rows", [&](SQLite::Database& db) {
    SQLite::Statement remove(db, "DELETE FROM audit WHERE seq <= ?");
    remove.bind(1, static_cast<std::int64_t>(result.pruned_to_seq));
    result.rows_removed = remove.exec();
    return Status::Ok();
  }));
  for (const FileSeqs& file : old_files) {
    std::error_code ec;
    std::filesystem::remove(file.path, ec);
    if (ec) return Status::Internal("cannot remove " + file.path.string() + ": " + ec.message());
    ++result.files_removed;
  }
  RETURN_IF_ERROR(SyncDirectory(audit_dir_));
  return result;
}

Result<AuditAnchor> ReadAuditAnchor(const std::filesystem::path& db_path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path, ec)) {
    return Status::NotFound("no database at " + db_path.string());
  }
  AuditAnchor anchor;
  try {
    SQLite::Database db(db_path, SQLite::OPEN_READONLY);
    db.exec("PRAGMA busy_timeout=5000");
    SQLite::Statement last(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (last.executeStep()) {
      anchor.last_seq = last.getColumn(0).getInt64();
      anchor.last_hash = last.getColumn(1).getString();
    }
    constexpr std::int64_t kMicrosPerDay = 86'400'000'000;
    SQLite::Statement days(db,
                           "SELECT time / 86400000000 - (time < 0 AND time % 86400000000 != 0), "
                           "MIN(seq), MAX(seq) FROM audit GROUP BY 1");
    while (days.executeStep()) {
      const TimePoint day = FromMicros(days.getColumn(0).getInt64() * kMicrosPerDay);
      anchor.files[AuditFilePath("", day).string()] = {days.getColumn(1).getInt64(),
                                                       days.getColumn(2).getInt64()};
    }
  } catch (const std::exception& e) {
    return Status::Internal("cannot read the audit anchor of " + db_path.string() + ": " +
                            e.what());
  }
  return anchor;
}

namespace {

std::string SeqRange(std::int64_t from, std::int64_t to) {
  return from == to ? "seq " + std::to_string(from)
                    : "seqs " + std::to_string(from) + ".." + std::to_string(to);
}

// The anchor an audit.pruned record states, when `record` is one.
std::optional<std::pair<std::int64_t, std::string>> PrunedAnchor(const AuditRecord& record) {
  if (record.action != kAuditPrunedAction) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(record.detail, nullptr, false);
  if (!j.is_object() || !j.contains("pruned_to_seq") || !j["pruned_to_seq"].is_number_integer() ||
      !j.contains("pruned_to_hash") || !j["pruned_to_hash"].is_string()) {
    return std::nullopt;
  }
  return std::make_pair(j["pruned_to_seq"].get<std::int64_t>(),
                        j["pruned_to_hash"].get<std::string>());
}

}  // namespace

Result<AuditVerifyReport> VerifyAudit(const std::filesystem::path& audit_dir,
                                      const AuditVerifyOptions& options) {
  struct Entry {
    AuditRecord record;
    std::string where;
    SealCheck seal;
    bool keyed;
  };
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, ListAuditFiles(audit_dir));
  if (options.database) {
    std::string missing;
    for (const auto& [name, range] : options.database->files) {
      std::error_code ec;
      if (std::filesystem::exists(audit_dir / name, ec)) continue;
      missing +=
          (missing.empty() ? "" : ", ") + name + " (" + SeqRange(range.first, range.second) + ")";
    }
    if (!missing.empty()) {
      return Status::FailedPrecondition("audit records missing: the database has records of " +
                                        missing + " but the file is gone from " +
                                        audit_dir.string());
    }
  }
  // By seq, not by file: a clock step back over midnight puts a later seq in an earlier file.
  std::multimap<std::int64_t, Entry> entries;
  std::int64_t last_parsed_seq = 0;
  for (const std::filesystem::path& file : files) {
    ASSIGN_OR_RETURN(std::string content, ReadFile(file));
    std::istringstream lines(content);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      const std::string where = file.filename().string() + ":" + std::to_string(number);
      Result<AuditRecord> record = ParseAuditRecord(line);
      if (!record.ok()) {
        return Status::FailedPrecondition("audit chain broken at seq " +
                                          std::to_string(last_parsed_seq + 1) +
                                          ": unreadable record (" + where + ")");
      }
      last_parsed_seq = record->seq;
      bool keyed = false;
      const SealCheck seal = CheckAuditSeal(line, options.hmac_key, &keyed);
      entries.emplace(record->seq, Entry{std::move(record).value(), where, seal, keyed});
    }
  }
  AuditVerifyReport report;
  std::vector<std::pair<std::int64_t, std::string>> anchors;  // from audit.pruned records
  std::map<std::int64_t, std::string> hash_of;
  const Entry* previous = nullptr;
  for (const auto& [seq, entry] : entries) {
    auto broken = [&, seq = seq](const std::string& why) {
      return Status::FailedPrecondition("audit chain broken at seq " + std::to_string(seq) + ": " +
                                        why + " (" + entry.where + ")");
    };
    switch (entry.seal) {
      case SealCheck::kOk:
        break;
      case SealCheck::kMismatch:
        return broken(entry.keyed ? "HMAC does not match the record (edited, or a wrong key)"
                                  : "hash does not match the record");
      case SealCheck::kNeedsKey:
        return broken(
            "the record is HMAC-chained: give the key (--hmac-key-file or "
            "VX11_AUDIT_HMAC_KEY_FILE)");
      case SealCheck::kBadMac:
        return broken("unknown \"mac\" (only hmac-sha256 is known)");
    }
    if (options.hmac_key && report.keyed > 0 && !entry.keyed) {
      return broken("record is not HMAC-chained, but seq " +
                    std::to_string(report.first_keyed_seq) + " was");
    }
    if (previous == nullptr) {
      if (seq == 1 && !entry.record.prev_hash.empty()) return broken("first record has prev_hash");
    } else {
      if (seq == previous->record.seq) return broken("duplicate seq");
      if (seq != previous->record.seq + 1) {
        return broken("missing " + SeqRange(previous->record.seq + 1, seq - 1));
      }
      if (entry.record.prev_hash != previous->record.hash) {
        return broken("prev_hash is not the hash of seq " + std::to_string(previous->record.seq));
      }
    }
    if (entry.keyed && report.keyed++ == 0) report.first_keyed_seq = seq;
    if (auto anchor = PrunedAnchor(entry.record)) {
      anchors.push_back(*anchor);
      report.pruned_to = std::max(report.pruned_to, anchor->first);
    }
    hash_of[seq] = entry.record.hash;
    ++report.records;
    previous = &entry;
  }
  if (!entries.empty()) {
    const Entry& first = entries.begin()->second;
    report.first_seq = first.record.seq;
    report.last_seq = previous->record.seq;
    if (report.first_seq > 1) {
      // Accepted when retention says it removed what came before: an anchor at the seq just
      // before the first record (naming its prev_hash), or inside the chain (a prune that was
      // interrupted before it removed every file).
      bool anchored = false;
      for (const auto& [anchor_seq, anchor_hash] : anchors) {
        if (anchor_seq == report.first_seq - 1 && anchor_hash == first.record.prev_hash) {
          anchored = true;
        } else if (anchor_seq >= report.first_seq && hash_of.count(anchor_seq) &&
                   hash_of[anchor_seq] == anchor_hash) {
          anchored = true;
        }
      }
      if (!anchored) {
        const std::int64_t from = std::max<std::int64_t>(1, report.pruned_to + 1);
        return Status::FailedPrecondition(
            "audit records missing: " + SeqRange(from, report.first_seq - 1) +
            " (the chain starts at seq " + std::to_string(report.first_seq) + " in " + first.where +
            " and no audit.pruned record accounts for the older ones: an old audit file was "
            "deleted?)");
      }
    }
  }
  if (options.database) {
    const AuditAnchor& db = *options.database;
    if (db.last_seq > report.last_seq) {
      return Status::FailedPrecondition(
          "audit records missing: the files end at seq " + std::to_string(report.last_seq) +
          ", the database at seq " + std::to_string(db.last_seq) + ": " +
          SeqRange(report.last_seq + 1, db.last_seq) +
          " were cut from the newest file (or its newest file was deleted)");
    }
    if (db.last_seq > 0) {
      auto it = hash_of.find(db.last_seq);
      if (it == hash_of.end() || it->second != db.last_hash) {
        return Status::FailedPrecondition("audit chain broken at seq " +
                                          std::to_string(db.last_seq) +
                                          ": the file's record is not the one the database holds");
      }
    }
    if (report.last_seq > db.last_seq + 1) {
      return Status::FailedPrecondition("audit files go beyond the database: they end at seq " +
                                        std::to_string(report.last_seq) + ", the database at seq " +
                                        std::to_string(db.last_seq));
    }
  }
  return report;
}

Status VerifyAuditChain(const std::filesystem::path& audit_dir) {
  return VerifyAudit(audit_dir, {}).status();
}

}  // namespace madre
