// One SQLite connection to madre's database, opened in WAL mode with durable commits and the
// schema migrated. Owned by the daemon; borrowed by SqliteWindowStore and SqliteAuditLog.
//
// Not thread-safe: one owner thread (the engine thread) makes every call on this object and on
// the stores built on it. SQLiteCpp exceptions never leave this directory: Run/Transaction below
// turn them into a Status, and the stores use nothing else to touch the database.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <exception>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "adapters/sqlite/migrations.h"
#include "base/status.h"

namespace madre {

class SqliteDb {
 public:
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Calls `fn(SQLite::Database&)`, which returns a Status. An exception thrown by `fn` becomes
  // kInternal "<what>: <SQLite message>". For reads and single-statement writes (a single
  // statement outside a transaction commits on its own, durably).
  template <typename Fn>
  Status Run(std::string_view what, Fn&& fn) {
    try {
      return fn(*db_);
    } catch (const std::exception& e) {
      return Status::Internal(std::string(what) + ": " + e.what());
    }
  }

  // Like Run, inside a write (IMMEDIATE) transaction: committed when `fn` returns OK, rolled
  // back when it returns an error or throws. When this returns OK the commit is on disk.
  template <typename Fn>
  Status Transaction(std::string_view what, Fn&& fn) {
    return Run(what, [&](SQLite::Database& db) -> Status {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      Status status = fn(db);
      if (!status.ok()) return status;  // the destructor rolls back
      transaction.commit();
      return Status::Ok();
    });
  }

 private:
  // Only OpenSqliteDb can make one.
  struct Key {};
  friend Result<std::unique_ptr<SqliteDb>> OpenSqliteDb(const std::filesystem::path&,
                                                        std::span<const Migration>);

 public:
  SqliteDb(Key, std::filesystem::path path, std::unique_ptr<SQLite::Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

 private:
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
};

// Opens (creating it and its parent directories if needed) the database at `path`, sets
// journal_mode=WAL, synchronous=FULL, busy_timeout=5000 and foreign_keys=ON, then applies
// `migrations` (default: every migration this binary knows). `path` may be ":memory:" (tests;
// no WAL there). Errors: kFailedPrecondition when the schema is newer than `migrations`;
// kInternal when the file cannot be created, opened or migrated.
Result<std::unique_ptr<SqliteDb>> OpenSqliteDb(
    const std::filesystem::path& path, std::span<const Migration> migrations = Migrations());

}  // namespace madre
