// Webhooks (docs/webhooks.md): the pure parts. An endpoint's event filter, the signature a
// receiver checks, and the retry back-off of a delivery. Reading the file is
// daemon/webhooks_file.h; the payload's JSON is api/webhook_payload.h.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace madre {

// One receiver, as VX11_WEBHOOKS_FILE names it ([webhooks.NAME]).
struct WebhookEndpoint {
  std::string name;                 // [A-Za-z0-9_.-]{1,64}; the metrics' endpoint label
  std::string url;                  // https://host[:port]/path, or http:// (plain HTTP)
  std::vector<std::string> events;  // filters (IsValidWebhookFilter); empty = every event
  std::string secret;               // the HMAC key; never printed
  std::string ca_file;              // https://: a PEM trusted besides the system store ("": none)
};

// The families of events madre posts: "window", "service", "crash_loop", "intent",
// "autofix", and "webhook" (only `webhook.test`, from `madre webhooks test`).
const std::vector<std::string>& WebhookEventFamilies();

// A filter is "*" (everything), a family ("window", also written "window.*": every event of
// the family) or one event type ("window.opened"): a family, a dot and a name of
// [a-z0-9_]+.
bool IsValidWebhookFilter(std::string_view filter);

// Whether an event of `type` ("window.opened") passes `filters`: an empty list passes
// everything, otherwise one filter must match.
bool WebhookEventMatches(const std::vector<std::string>& filters, std::string_view type);

// The webhook event type of an audit record's action (docs/design.md's audit table):
// "service.crashloop" is "crash_loop.detected"; every other window.*, service.*, intent.* and
// autofix.* action is its own type; nullopt for the rest (reconcile, madre.start, ...), which
// are not posted.
std::optional<std::string> WebhookTypeOfAuditAction(std::string_view action);

// The X-VX11-Signature value: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body),
// `timestamp` being the X-VX11-Timestamp value as sent (Unix seconds).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

// How long to wait before the next attempt after `failures` failed ones (>= 1): 1 s, doubling,
// at most 5 min.
Duration WebhookBackoff(int failures);

}  // namespace madre
