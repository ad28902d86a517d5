#include "adapters/sqlite/sqlite_build_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <string>

namespace madre {
namespace {

constexpr char kColumns[] =
    "id, intent_id, service, started_at, finished_at, outcome, image_before, image_after, "
    "duration_ms, log_path, error";

Result<BuildRecord> ReadRow(SQLite::Statement& select) {
  BuildRecord b;
  b.id = select.getColumn(0).getInt64();
  if (!select.getColumn(1).isNull()) b.intent_id = select.getColumn(1).getString();
  b.service = select.getColumn(2).getString();
  b.started_at = FromMicros(select.getColumn(3).getInt64());
  if (!select.getColumn(4).isNull()) b.finished_at = FromMicros(select.getColumn(4).getInt64());
  const std::string outcome = select.getColumn(5).getString();
  std::optional<BuildOutcomeKind> parsed = ParseBuildOutcome(outcome);
  if (!parsed) {
    return Status::Internal("corrupt build " + std::to_string(b.id) + ": unknown outcome '" +
                            outcome + "'");
  }
  b.outcome = *parsed;
  b.image_before = select.getColumn(6).getString();
  b.image_after = select.getColumn(7).getString();
  b.duration_ms = select.getColumn(8).getInt64();
  b.log_path = select.getColumn(9).getString();
  b.error = select.getColumn(10).getString();
  return b;
}

Status ReadAll(SQLite::Statement& select, std::vector<BuildRecord>& out) {
  while (select.executeStep()) {
    ASSIGN_OR_RETURN(BuildRecord b, ReadRow(select));
    out.push_back(std::move(b));
  }
  return Status::Ok();
}

}  // namespace

Result<std::int64_t> SqliteBuildStore::Start(const BuildRecord& build) {
  std::int64_t id = 0;
  RETURN_IF_ERROR(db_.Transaction("record build of " + build.service, [&](SQLite::Database& db) {
    SQLite::Statement insert(db,
                             "INSERT INTO builds(intent_id, service, started_at, outcome, "
                             "image_before, log_path) VALUES (?, ?, ?, ?, ?, ?)");
    if (build.intent_id) {
      insert.bind(1, *build.intent_id);
    } else {
      insert.bind(1);
    }
    insert.bind(2, build.service);
    insert.bind(3, static_cast<std::int64_t>(ToMicros(build.started_at)));
    insert.bind(4, BuildOutcomeName(BuildOutcomeKind::kRunning));
    insert.bind(5, build.image_before);
    insert.bind(6, build.log_path);
    insert.exec();
    id = db.getLastInsertRowid();
    return Status::Ok();
  }));
  return id;
}

Status SqliteBuildStore::Finish(const BuildRecord& build) {
  return db_.Transaction("finish build " + std::to_string(build.id), [&](SQLite::Database& db) {
    SQLite::Statement update(db,
                             "UPDATE builds SET finished_at = ?, outcome = ?, image_before = ?, "
                             "image_after = ?, duration_ms = ?, log_path = ?, error = ? "
                             "WHERE id = ?");
    if (build.finished_at) {
      update.bind(1, static_cast<std::int64_t>(ToMicros(*build.finished_at)));
    } else {
      update.bind(1);
    }
    update.bind(2, BuildOutcomeName(build.outcome));
    update.bind(3, build.image_before);
    update.bind(4, build.image_after);
    update.bind(5, build.duration_ms);
    update.bind(6, build.log_path);
    update.bind(7, build.error);
    update.bind(8, build.id);
    if (update.exec() == 0) {
      return Status::NotFound("no build " + std::to_string(build.id));
    }
    return Status::Ok();
  });
}

Result<std::optional<BuildRecord>> SqliteBuildStore::Get(std::int64_t id) {
  std::optional<BuildRecord> out;
  RETURN_IF_ERROR(db_.Run("load build " + std::to_string(id), [&](SQLite::Database& db) {
    SQLite::Statement select(db, std::string("SELECT ") + kColumns + " FROM builds WHERE id = ?");
    select.bind(1, id);
    if (!select.executeStep()) return Status::Ok();
    ASSIGN_OR_RETURN(BuildRecord b, ReadRow(select));
    out = std::move(b);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<BuildRecord>> SqliteBuildStore::List(const BuildFilter& filter) {
  std::vector<BuildRecord> out;
  RETURN_IF_ERROR(db_.Run("list builds", [&](SQLite::Database& db) {
    SQLite::Statement select(db, std::string("SELECT ") + kColumns +
                                     " FROM builds WHERE (?1 = '' OR service = ?1) "
                                     "ORDER BY id DESC LIMIT ?2");
    select.bind(1, filter.service);
    select.bind(2, std::max(0, filter.limit));
    return ReadAll(select, out);
  }));
  return out;
}

Result<std::vector<BuildRecord>> SqliteBuildStore::ListUnfinished() {
  std::vector<BuildRecord> out;
  RETURN_IF_ERROR(db_.Run("list unfinished builds", [&](SQLite::Database& db) {
    SQLite::Statement select(
        db, std::string("SELECT ") + kColumns + " FROM builds WHERE outcome = ? ORDER BY id");
    select.bind(1, BuildOutcomeName(BuildOutcomeKind::kRunning));
    return ReadAll(select, out);
  }));
  return out;
}

}  // namespace madre
