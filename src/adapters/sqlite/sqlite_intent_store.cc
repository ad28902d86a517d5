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
                  {"state", IntentStateName(intent.state)},
                  {"requires_approval", intent.requires_approval},
                  {"created_at", ToMicros(intent.created_at)},
                  {"state_changed_at", ToMicros(intent.state_changed_at)},
                  {"expires_at", ToMicros(intent.expires_at)},
                  {"decided_by", intent.decided_by},
                  {"decided_at", ToMicros(intent.decided_at)},
                  {"reason", intent.reason},
                  {"self_approved", intent.self_approved},
                  {"task_id", intent.task_id},
                  {"detail", intent.detail}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<IntentState> ParseStoredIntentState(std::string_view text) {
  if (text == "running") return IntentState::kExecuting;
  if (text == "done") return IntentState::kSucceeded;
  return ParseIntentState(text);
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
    // Bodies written before the lifecycle (migration 3) have "status" with the older names.
    const std::string state =
        j.contains("state") ? j.at("state").get<std::string>() : j.at("status").get<std::string>();
    std::optional<IntentState> parsed = ParseStoredIntentState(state);
    if (!parsed) return Status::Internal("corrupt intent body: unknown state '" + state + "'");
    intent.state = *parsed;
    j.at("requires_approval").get_to(intent.requires_approval);
    intent.created_at = FromMicros(j.at("created_at").get<std::int64_t>());
    auto micros = [&j](const char* key, TimePoint fallback) {
      return j.contains(key) ? FromMicros(j.at(key).get<std::int64_t>()) : fallback;
    };
    intent.state_changed_at = micros("state_changed_at", intent.created_at);
    intent.expires_at = micros("expires_at", intent.created_at + kDefaultIntentPendingTtl);
    intent.decided_at = micros("decided_at", TimePoint{});
    if (j.contains("decided_by")) j.at("decided_by").get_to(intent.decided_by);
    if (j.contains("reason")) j.at("reason").get_to(intent.reason);
    if (j.contains("self_approved")) j.at("self_approved").get_to(intent.self_approved);
    if (j.contains("task_id")) j.at("task_id").get_to(intent.task_id);
    if (j.contains("detail")) j.at("detail").get_to(intent.detail);
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

Status ReadAll(SQLite::Statement& select, std::vector<Intent>& out) {
  while (select.executeStep()) {
    ASSIGN_OR_RETURN(Intent intent, DecodeIntent(select.getColumn(0).getString()));
    out.push_back(std::move(intent));
  }
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
                             "INSERT INTO intents(id, identity, correlation_id, state, "
                             "created_at, body, source, type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, intent.id);
    insert.bind(2, intent.identity);
    insert.bind(3, intent.correlation_id);
    insert.bind(4, IntentStateName(intent.state));
    insert.bind(5, static_cast<std::int64_t>(ToMicros(intent.created_at)));
    insert.bind(6, EncodeIntent(intent));
    insert.bind(7, intent.source);
    insert.bind(8, intent.type);
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
        db, "SELECT COUNT(*) FROM intents WHERE identity = ? AND state = 'pending'");
    select.bind(1, identity);
    select.executeStep();
    count = select.getColumn(0).getInt();
    return Status::Ok();
  }));
  return count;
}

Status SqliteIntentStore::Update(const Intent& intent, IntentState expected) {
  return db_.Transaction("update intent " + intent.id, [&](SQLite::Database& db) {
    SQLite::Statement update(db,
                             "UPDATE intents SET state = ?, body = ? WHERE id = ? AND state = ?");
    update.bind(1, IntentStateName(intent.state));
    update.bind(2, EncodeIntent(intent));
    update.bind(3, intent.id);
    update.bind(4, IntentStateName(expected));
    if (update.exec() == 1) return Status::Ok();
    SQLite::Statement select(db, "SELECT state FROM intents WHERE id = ?");
    select.bind(1, intent.id);
    if (!select.executeStep()) return Status::NotFound("No intent " + intent.id);
    return Status::FailedPrecondition("intent " + intent.id + " is " +
                                      select.getColumn(0).getString() + ", not " +
                                      IntentStateName(expected));
  });
}

Result<std::vector<Intent>> SqliteIntentStore::List(const IntentFilter& filter) {
  std::vector<Intent> out;
  RETURN_IF_ERROR(db_.Run("list intents", [&](SQLite::Database& db) {
    SQLite::Statement select(db,
                             "SELECT body FROM intents WHERE (?1 = '' OR state = ?1) AND "
                             "(?2 = '' OR source = ?2) AND (?3 = '' OR type = ?3) "
                             "ORDER BY created_at DESC, id DESC LIMIT ?4");
    select.bind(1, filter.state ? IntentStateName(*filter.state) : "");
    select.bind(2, filter.source);
    select.bind(3, filter.type);
    select.bind(4, filter.limit);
    return ReadAll(select, out);
  }));
  return out;
}

Result<std::vector<Intent>> SqliteIntentStore::ListByState(IntentState state) {
  std::vector<Intent> out;
  RETURN_IF_ERROR(db_.Run("list intents by state", [&](SQLite::Database& db) {
    SQLite::Statement select(
        db, "SELECT body FROM intents WHERE state = ? ORDER BY created_at ASC, id ASC");
    select.bind(1, IntentStateName(state));
    return ReadAll(select, out);
  }));
  return out;
}

Result<std::map<IntentState, int>> SqliteIntentStore::CountByState() {
  std::map<IntentState, int> out;
  RETURN_IF_ERROR(db_.Run("count intents by state", [&](SQLite::Database& db) {
    SQLite::Statement select(db, "SELECT state, COUNT(*) FROM intents GROUP BY state");
    while (select.executeStep()) {
      const std::string name = select.getColumn(0).getString();
      std::optional<IntentState> state = ParseStoredIntentState(name);
      if (!state) return Status::Internal("unknown intent state '" + name + "' in the store");
      out[*state] += select.getColumn(1).getInt();
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace madre
