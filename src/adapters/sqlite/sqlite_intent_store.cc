#include "adapters/sqlite/sqlite_intent_store.h"

#include <exception>
#include <nlohmann/json.hpp>

namespace madre {

using nlohmann::json;

std::string EncodeIntent(const Intent& intent) {
  const json j = {{"id", intent.id},
                  {"identity", intent.identity},
                  {"source", intent.source},
                  {"correlation_id", intent.correlation_id},
                  {"type", intent.type},
                  {"payload", intent.payload},
                  {"peer", intent.peer},
                  {"status", IntentStatusName(intent.status)},
                  {"requires_approval", intent.requires_approval},
                  {"created_at", ToMicros(intent.created_at)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Intent> DecodeIntent(std::string_view body) {
  try {
    const json j = json::parse(body);
    Intent intent;
    j.at("id").get_to(intent.id);
    j.at("identity").get_to(intent.identity);
    j.at("source").get_to(intent.source);
    j.at("correlation_id").get_to(intent.correlation_id);
    j.at("type").get_to(intent.type);
    j.at("payload").get_to(intent.payload);
    if (j.contains("peer")) j.at("peer").get_to(intent.peer);
    const std::string status = j.at("status").get<std::string>();
    std::optional<IntentStatus> parsed = ParseIntentStatus(status);
    if (!parsed) return Status::Internal("corrupt intent body: unknown status '" + status + "'");
    intent.status = *parsed;
    j.at("requires_approval").get_to(intent.requires_approval);
    intent.created_at = FromMicros(j.at("created_at").get<std::int64_t>());
    return intent;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt intent body: ") + e.what());
  }
}

namespace {

Status ReadOne(SQLite::Statement& select, std::optional<Intent>& out) {
  if (!select.executeStep()) return Status::Ok();
  ASSIGN_OR_RETURN(Intent intent, DecodeIntent(select.getColumn(0).getString()));
  out = std::move(intent);
  return Status::Ok();
}

}  // namespace

Result<IntentStore::Submitted> SqliteIntentStore::Submit(const Intent& intent) {
  Submitted out;
  RETURN_IF_ERROR(db_.Transaction("submit intent " + intent.id, [&](SQLite::Database& db) {
    if (!intent.correlation_id.empty()) {
      SQLite::Statement select(
          db, "SELECT body FROM intents WHERE identity = ? AND correlation_id = ?");
      select.bind(1, intent.identity);
      select.bind(2, intent.correlation_id);
      std::optional<Intent> known;
      RETURN_IF_ERROR(ReadOne(select, known));
      if (known) {
        out.intent = std::move(*known);
        out.duplicate = true;
        return Status::Ok();
      }
    }
    SQLite::Statement insert(db,
                             "INSERT INTO intents(id, identity, correlation_id, status, "
                             "created_at, body) VALUES (?, ?, ?, ?, ?, ?)");
    insert.bind(1, intent.id);
    insert.bind(2, intent.identity);
    insert.bind(3, intent.correlation_id);
    insert.bind(4, IntentStatusName(intent.status));
    insert.bind(5, static_cast<std::int64_t>(ToMicros(intent.created_at)));
    insert.bind(6, EncodeIntent(intent));
    insert.exec();
    out.intent = intent;
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<Intent>> SqliteIntentStore::Get(const std::string& id) {
  std::optional<Intent> out;
  RETURN_IF_ERROR(db_.Run("load intent " + id, [&](SQLite::Database& db) {
    SQLite::Statement select(db, "SELECT body FROM intents WHERE id = ?");
    select.bind(1, id);
    return ReadOne(select, out);
  }));
  return out;
}

Result<int> SqliteIntentStore::CountPending(const std::string& identity) {
  int count = 0;
  RETURN_IF_ERROR(db_.Run("count pending intents", [&](SQLite::Database& db) {
    SQLite::Statement select(
        db, "SELECT COUNT(*) FROM intents WHERE identity = ? AND status = 'pending'");
    select.bind(1, identity);
    select.executeStep();
    count = select.getColumn(0).getInt();
    return Status::Ok();
  }));
  return count;
}

}  // namespace madre
