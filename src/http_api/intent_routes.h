// POST /madre/intent (and GET /madre/intent/{id}): components ask madre instead of acting.
// This build records each intent durably and audits it (`intent.submitted`); deciding and
// executing them comes with approvals (docs/http_api.md#post-madreintent).
//
// Who may submit: a client with the token (identity "default"), or, without a token, a
// component whose `source` is in VX11_INTENT_OPEN_SOURCES (identity "open:<source>"), and then
// only with Content-Type application/json and a Host header naming an allowed host (loopback
// names, the bind address, VX11_UI_HOSTS: a page in a browser cannot post as a component),
// within a rate per source (429) and a cap on its pending intents (429). Token-less intents
// always require approval.
//
// Threading: engine thread only.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "adapters/http/http_server.h"
#include "core/intent.h"
#include "ports/audit_log.h"
#include "ports/intent_store.h"

namespace madre {

struct IntentRoutesOptions {
  std::set<std::string> open_sources;   // VX11_INTENT_OPEN_SOURCES
  std::set<std::string> allowed_hosts;  // lower-case, without port (plus the loopback names)
  int open_burst = 10;                  // token-less submissions at once per source ...
  Duration open_every = Seconds(6);     // ... then one per this (10 a minute)
  int open_max_pending = 100;           // pending token-less intents per source
};

struct IntentRoutesDeps {
  IntentStore& store;
  std::function<Status(AuditRecord)> audit;  // durable; an error fails the answer (500)
  std::function<TimePoint()> now;
  std::function<std::string()> new_id;  // a UUID
};

// `"type"` or `"intent_type"` (required), `"payload"` (an object; absent: the other keys of
// the body), `"correlation_id"`, `"source"` (strings). Exposed for tests.
struct IntentBody {
  std::string type;
  std::string payload = "{}";  // compact JSON object
  std::string correlation_id;
  std::string source;
};
Result<IntentBody> ParseIntentBody(const std::string& body);

// The Host header's host without the port, lower-cased ("[::1]:8001" -> "[::1]").
std::string HostOf(const std::string& host_header);

class IntentRoutes {
 public:
  IntentRoutes(IntentRoutesOptions options, IntentRoutesDeps deps);

  // `token_identity`: the token's name when the request carried a valid token; nullopt when
  // it carried none (the token-less path). A wrong token never reaches this.
  void Submit(const HttpRequest& request, const std::optional<std::string>& token_identity,
              Responder respond);
  void Get(const std::string& id, Responder respond);

 private:
  // The token-less checks: 401 when the request may not submit without a token, 403 for a
  // bad Host or Content-Type, 429 over the rate. Nullopt: go on.
  std::optional<HttpResponse> CheckOpen(const HttpRequest& request, const IntentBody& body);

  IntentRoutesOptions options_;
  IntentRoutesDeps deps_;
  RateLimiter limiter_;
};

}  // namespace madre
