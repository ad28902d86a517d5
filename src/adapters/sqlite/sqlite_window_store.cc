#include "adapters/sqlite/sqlite_window_store.h"

#include "adapters/sqlite/window_codec.h"

namespace madre {

namespace {

// Runs `statement` and decodes the `body` in column 0 of every row.
Status ReadWindows(SQLite::Statement& statement, std::vector<Window>& out) {
  while (statement.executeStep()) {
    ASSIGN_OR_RETURN(Window window, DecodeWindow(statement.getColumn(0).getString()));
    out.push_back(std::move(window));
  }
  return Status::Ok();
}

void BindOptionalTime(SQLite::Statement& statement, int index, const std::optional<TimePoint>& t) {
  if (t) {
    statement.bind(index, static_cast<std::int64_t>(ToMicros(*t)));
  } else {
    statement.bind(index);  // NULL
  }
}

}  // namespace

Result<std::vector<Window>> SqliteWindowStore::LoadOpen() {
  std::vector<Window> windows;
  RETURN_IF_ERROR(db_.Run("load open windows", [&](SQLite::Database& db) {
    SQLite::Statement select(
        db,
        "SELECT body FROM windows WHERE state IN ('opening', 'open', 'closing') "
        "ORDER BY created_at, id");
    return ReadWindows(select, windows);
  }));
  return windows;
}

Status SqliteWindowStore::Save(const Window& window) {
  return db_.Run("save window " + window.id, [&](SQLite::Database& db) {
    SQLite::Statement upsert(
        db,
        "INSERT INTO windows(id, state, created_at, deadline, closed_at, close_reason, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET state = excluded.state, created_at = excluded.created_at, "
        "deadline = excluded.deadline, closed_at = excluded.closed_at, "
        "close_reason = excluded.close_reason, body = excluded.body");
    upsert.bind(1, window.id);
    upsert.bind(2, WindowStateName(window.state));
    upsert.bind(3, static_cast<std::int64_t>(ToMicros(window.created_at)));
    BindOptionalTime(upsert, 4, window.deadline);
    BindOptionalTime(upsert, 5, window.closed_at);
    upsert.bind(6, CloseReasonName(window.close_reason));
    upsert.bind(7, EncodeWindow(window));
    upsert.exec();
    return Status::Ok();
  });
}

Result<std::vector<Window>> SqliteWindowStore::History(int limit) {
  std::vector<Window> windows;
  if (limit <= 0) return windows;
  RETURN_IF_ERROR(db_.Run("load window history", [&](SQLite::Database& db) {
    SQLite::Statement select(db,
                             "SELECT body FROM windows WHERE state IN ('closed', 'failed') "
                             "ORDER BY closed_at DESC, id DESC LIMIT ?");
    select.bind(1, limit);
    return ReadWindows(select, windows);
  }));
  return windows;
}

Result<std::optional<Window>> SqliteWindowStore::Get(const std::string& id) {
  std::vector<Window> windows;
  RETURN_IF_ERROR(db_.Run("load window " + id, [&](SQLite::Database& db) {
    SQLite::Statement select(db, "SELECT body FROM windows WHERE id = ?");
    select.bind(1, id);
    return ReadWindows(select, windows);
  }));
  if (windows.empty()) return std::optional<Window>();
  return std::optional<Window>(std::move(windows.front()));
}

Result<int> SqliteWindowStore::PruneClosedBefore(TimePoint cutoff) {
  int deleted = 0;
  RETURN_IF_ERROR(db_.Run("prune window history", [&](SQLite::Database& db) {
    SQLite::Statement remove(db,
                             "DELETE FROM windows WHERE state IN ('closed', 'failed') "
                             "AND closed_at IS NOT NULL AND closed_at < ?");
    remove.bind(1, static_cast<std::int64_t>(ToMicros(cutoff)));
    deleted = remove.exec();
    return Status::Ok();
  }));
  return deleted;
}

}  // namespace madre
