#include "adapters/sqlite/sqlite_db.h"

#include <system_error>

namespace madre {

namespace {

bool IsInMemory(const std::filesystem::path& path) { return path == ":memory:"; }

}  // namespace

Result<std::unique_ptr<SqliteDb>> OpenSqliteDb(const std::filesystem::path& path,
                                               std::span<const Migration> migrations) {
  if (!IsInMemory(path) && path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Status::Internal("cannot create directory " + path.parent_path().string() + ": " +
                              ec.message());
    }
  }
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    const std::string mode = db->execAndGet("PRAGMA journal_mode=WAL").getString();
    if (!IsInMemory(path) && mode != "wal") {
      return Status::Internal("cannot switch " + path.string() + " to WAL (journal_mode=" + mode +
                              ")");
    }
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA busy_timeout=5000");
    db->exec("PRAGMA foreign_keys=ON");
  } catch (const std::exception& e) {
    return Status::Internal("cannot open database " + path.string() + ": " + e.what());
  }
  Status migrated = ApplyMigrations(*db, migrations);
  if (!migrated.ok()) {
    return Status(migrated.code(), path.string() + ": " + migrated.message());
  }
  return std::make_unique<SqliteDb>(SqliteDb::Key{}, path, std::move(db));
}

}  // namespace madre
