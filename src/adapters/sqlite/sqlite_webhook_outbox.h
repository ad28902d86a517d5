// The webhooks' persisted outbox (docs/webhooks.md, tables webhook_cursors and webhook_outbox in
// docs/storage.md). The audit log is the single source of events: Collect moves the audit
// records after each endpoint's cursor into that endpoint's outbox (the ones its filter
// passes), cursor and rows in one transaction, so that neither a SIGTERM nor a kill -9 loses or
// doubles an event. The delivery worker then takes each endpoint's head, in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/sqlite_db.h"
#include "base/time.h"
#include "core/webhook.h"
#include "ports/audit_log.h"

namespace madre {

struct WebhookDelivery {
  std::string endpoint;
  std::int64_t seq = 0;  // the audit seq of the event (or a test's own number)
  std::string event_id;  // X-VX11-Delivery and the body's "id"
  std::string body;
  int attempts = 0;   // failed attempts so far
  TimePoint next_at;  // not before
};

// The body of the event of `record`, whose type is `type` (WebhookTypeOfAuditAction).
using WebhookBodyFn = std::function<std::string(const AuditRecord& record, const std::string& type,
                                                const std::string& event_id)>;

// The event id of an audit record: "audit-<seq>-<first 12 hex of its hash>" (the same after a
// restart; another database's record with the same seq gets another id).
std::string WebhookEventId(const AuditRecord& record);

// Borrows `db` (one thread: the delivery worker's own connection). Errors are kInternal.
class SqliteWebhookOutbox {
 public:
  // `max_per_endpoint` >= 1: beyond it, the oldest events of that endpoint are dropped.
  SqliteWebhookOutbox(SqliteDb& db, std::size_t max_per_endpoint)
      : db_(db), max_per_endpoint_(max_per_endpoint) {}

  // For each endpoint: the audit records after its cursor that map to an event type passing its
  // filter go to its outbox; the cursor moves to the newest record seen. An endpoint without a
  // cursor starts at the newest record (madre posts what happens from then on, not its
  // history). Returns how many events each endpoint dropped (over the bound).
  Result<std::map<std::string, int>> Collect(const std::vector<WebhookEndpoint>& endpoints,
                                             const WebhookBodyFn& body);

  // The oldest undelivered event of `endpoint`, if any.
  Result<std::optional<WebhookDelivery>> Head(const std::string& endpoint);
  // Removes a delivered event.
  Status Delivered(const std::string& endpoint, std::int64_t seq);
  // Records a failed attempt: `attempts` and when to try again.
  Status Failed(const std::string& endpoint, std::int64_t seq, int attempts, TimePoint next_at);
  // How many events wait for `endpoint`.
  Result<int> Size(const std::string& endpoint);

 private:
  SqliteDb& db_;
  std::size_t max_per_endpoint_;
};

}  // namespace madre
