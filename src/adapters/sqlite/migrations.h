// The numbered schema migrations of madre's SQLite database (docs/storage.md).
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"

namespace SQLite {
class Database;
}

namespace madre {

// One schema step. Versions start at 1 and grow by one; a released migration is never edited,
// a schema change is a new entry at the end.
struct Migration {
  int version;
  std::string_view sql;  // may hold several statements
};

// Every migration this binary knows, in order.
std::span<const Migration> Migrations();

// Brings `db` to the newest version in `migrations`, recording each applied version in
// `schema_migrations(version, applied_at)`. Each migration runs in its own transaction, so a
// failure leaves the database at the last fully applied version. Running it again is a no-op.
// Errors: kFailedPrecondition "database schema vN is newer than this madre" when the database
// already has a version the list does not know; kInternal for SQLite errors.
// Crashes when `migrations` is not numbered 1, 2, 3, ...
Status ApplyMigrations(SQLite::Database& db, std::span<const Migration> migrations);

}  // namespace madre
