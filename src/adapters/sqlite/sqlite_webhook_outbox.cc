#include "adapters/sqlite/sqlite_webhook_outbox.h"

#include "adapters/sqlite/audit_codec.h"

namespace madre {

std::string WebhookEventId(const AuditRecord& record) {
  return "audit-" + std::to_string(record.seq) + "-" + record.hash.substr(0, 12);
}

Result<std::map<std::string, int>> SqliteWebhookOutbox::Collect(
    const std::vector<WebhookEndpoint>& endpoints, const WebhookBodyFn& body) {
  std::map<std::string, int> dropped;
  // Nothing new (the common case, every poll): a read, no write transaction.
  std::int64_t newest = 0;
  std::map<std::string, std::int64_t> cursors;
  RETURN_IF_ERROR(db_.Run("read the webhook cursors", [&](SQLite::Database& db) -> Status {
    newest = db.execAndGet("SELECT COALESCE(MAX(seq), 0) FROM audit").getInt64();
    SQLite::Statement select(db, "SELECT endpoint, audit_seq FROM webhook_cursors");
    while (select.executeStep()) {
      cursors[select.getColumn(0).getString()] = select.getColumn(1).getInt64();
    }
    return Status::Ok();
  }));
  for (const WebhookEndpoint& endpoint : endpoints) {
    if (auto it = cursors.find(endpoint.name); it != cursors.end() && it->second >= newest) {
      continue;
    }
    int dropped_here = 0;
    RETURN_IF_ERROR(db_.Transaction(
        "collect webhook events for " + endpoint.name, [&](SQLite::Database& db) -> Status {
          SQLite::Statement cursor(db, "SELECT audit_seq FROM webhook_cursors WHERE endpoint = ?");
          cursor.bind(1, endpoint.name);
          if (!cursor.executeStep()) {
            SQLite::Statement start(db,
                                    "INSERT INTO webhook_cursors(endpoint, audit_seq) "
                                    "SELECT ?, COALESCE(MAX(seq), 0) FROM audit");
            start.bind(1, endpoint.name);
            start.exec();
            return Status::Ok();
          }
          const std::int64_t after = cursor.getColumn(0).getInt64();
          SQLite::Statement select(
              db, "SELECT seq, record FROM audit WHERE seq > ? ORDER BY seq LIMIT 1000");
          select.bind(1, after);
          std::int64_t last = after;
          while (select.executeStep()) {
            last = select.getColumn(0).getInt64();
            Result<AuditRecord> record = ParseAuditRecord(select.getColumn(1).getString());
            if (!record.ok()) continue;  // not an event; verify-audit reports it
            const std::optional<std::string> type = WebhookTypeOfAuditAction(record->action);
            if (!type || !WebhookEventMatches(endpoint.events, *type)) continue;
            const std::string id = WebhookEventId(*record);
            SQLite::Statement insert(db,
                                     "INSERT OR IGNORE INTO webhook_outbox(endpoint, seq, "
                                     "event_id, body) VALUES (?, ?, ?, ?)");
            insert.bind(1, endpoint.name);
            insert.bind(2, last);
            insert.bind(3, id);
            insert.bind(4, body(*record, *type, id));
            insert.exec();
          }
          SQLite::Statement move(db, "UPDATE webhook_cursors SET audit_seq = ? WHERE endpoint = ?");
          move.bind(1, last);
          move.bind(2, endpoint.name);
          move.exec();
          SQLite::Statement trim(db,
                                 "DELETE FROM webhook_outbox WHERE endpoint = ?1 AND seq IN "
                                 "(SELECT seq FROM webhook_outbox WHERE endpoint = ?1 "
                                 "ORDER BY seq DESC LIMIT -1 OFFSET ?2)");
          trim.bind(1, endpoint.name);
          trim.bind(2, static_cast<std::int64_t>(max_per_endpoint_));
          dropped_here = trim.exec();
          return Status::Ok();
        }));
    if (dropped_here > 0) dropped[endpoint.name] = dropped_here;
  }
  return dropped;
}

Result<std::optional<WebhookDelivery>> SqliteWebhookOutbox::Head(const std::string& endpoint) {
  std::optional<WebhookDelivery> head;
  RETURN_IF_ERROR(db_.Run("read the webhook outbox", [&](SQLite::Database& db) -> Status {
    SQLite::Statement select(db,
                             "SELECT seq, event_id, body, attempts, next_at FROM webhook_outbox "
                             "WHERE endpoint = ? ORDER BY seq LIMIT 1");
    select.bind(1, endpoint);
    if (select.executeStep()) {
      head = WebhookDelivery{.endpoint = endpoint,
                             .seq = select.getColumn(0).getInt64(),
                             .event_id = select.getColumn(1).getString(),
                             .body = select.getColumn(2).getString(),
                             .attempts = select.getColumn(3).getInt(),
                             .next_at = FromMicros(select.getColumn(4).getInt64())};
    }
    return Status::Ok();
  }));
  return head;
}

Status SqliteWebhookOutbox::Delivered(const std::string& endpoint, std::int64_t seq) {
  return db_.Run("remove a delivered webhook event", [&](SQLite::Database& db) -> Status {
    SQLite::Statement remove(db, "DELETE FROM webhook_outbox WHERE endpoint = ? AND seq = ?");
    remove.bind(1, endpoint);
    remove.bind(2, seq);
    remove.exec();
    return Status::Ok();
  });
}

Status SqliteWebhookOutbox::Failed(const std::string& endpoint, std::int64_t seq, int attempts,
                                   TimePoint next_at) {
  return db_.Run("record a failed webhook delivery", [&](SQLite::Database& db) -> Status {
    SQLite::Statement update(
        db, "UPDATE webhook_outbox SET attempts = ?, next_at = ? WHERE endpoint = ? AND seq = ?");
    update.bind(1, attempts);
    update.bind(2, ToMicros(next_at));
    update.bind(3, endpoint);
    update.bind(4, seq);
    update.exec();
    return Status::Ok();
  });
}

Result<int> SqliteWebhookOutbox::Size(const std::string& endpoint) {
  int size = 0;
  RETURN_IF_ERROR(db_.Run("count the webhook outbox", [&](SQLite::Database& db) -> Status {
    SQLite::Statement count(db, "SELECT COUNT(*) FROM webhook_outbox WHERE endpoint = ?");
    count.bind(1, endpoint);
    count.executeStep();
    size = count.getColumn(0).getInt();
    return Status::Ok();
  }));
  return size;
}

}  // namespace madre
