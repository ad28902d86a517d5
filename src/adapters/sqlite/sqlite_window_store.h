// WindowStore on madre's SQLite database (table `windows`, docs/storage.md).
#pragma once

#include "adapters/sqlite/sqlite_db.h"
#include "ports/window_store.h"

namespace madre {

// Borrows `db`, which must outlive it. Same thread rule as SqliteDb: one owner thread.
// Save is one upsert statement, committed with synchronous=FULL before it returns. Every error
// (SQLite, or a body that does not decode) is kInternal.
class SqliteWindowStore final : public WindowStore {
 public:
  explicit SqliteWindowStore(SqliteDb& db) : db_(db) {}

  // WindowStore
  // LoadOpen: ordered by created_at, then id. History: ordered by closed_at descending (a
  // terminal window without closed_at comes last), then id descending; `limit` <= 0 gives none.
  Result<std::vector<Window>> LoadOpen() override;
  Status Save(const Window& window) override;
  Result<std::vector<Window>> History(int limit) override;
  Result<std::optional<Window>> Get(const std::string& id) override;

  // Retention (VX11_WINDOW_HISTORY_RETENTION_DAYS): deletes the terminal windows (closed,
  // failed) whose closed_at is before `cutoff`; open, opening and closing windows are never
  // touched. Returns how many were deleted.
  Result<int> PruneClosedBefore(TimePoint cutoff);

 private:
  SqliteDb& db_;
};

}  // namespace madre
