// Routes madre does not own, forwarded to the original madre (VX11_LEGACY_MADRE_URL; the
// prefixes of VX11_LEGACY_FORWARD_PREFIXES; docs/http_api.md, "Compatibility with the original
// clients").
//
// The router decides (DecideLegacy): a path that no route of madre serves and that is under a
// legacy prefix is forwarded when an upstream is configured, else answered 404 `legacy_route`
// naming the setting. madre's token check has already run for every /madre/power/* path (the
// router authenticates those before anything else, so /madre/power/maintenance/... needs the
// token); the other prefixes are forwarded without it: the original clients send their own
// headers and the upstream authenticates them.
//
// LegacyForwarder carries one request: method, the target (path and query) under the
// upstream's path prefix, the body and the end-to-end headers (hop-by-hop ones stripped, Host
// set to the upstream's, X-Forwarded-For appended with the client's address). The answer's
// status, end-to-end headers and body come back. Bounded: the request body and the answer's
// body at `max_body_bytes` (413 / 502), the whole call at `timeout` (504), at most
// `max_in_flight` forwards at once (503). An upstream that cannot be reached answers 502 naming
// the URL. Every forward is audited as `legacy.forward` (method, path without the query, status,
// elapsed ms; never headers nor bodies).
//
// Threading: Forward() on the engine thread; the blocking transport runs on `workers`, the
// answer and the audit record come back through `loop` (the engine thread).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/http_server.h"
#include "base/status.h"
#include "base/time.h"
#include "core/audit_outcome.h"
#include "ports/audit_log.h"
#include "ports/executor.h"

namespace madre {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// One call to the upstream, as the transport sends it.
struct LegacyCall {
  std::string method;
  std::string target;    // origin form: the upstream's path prefix + the request's target
  std::string host;      // the Host header: the upstream's "host:port"
  HeaderFields headers;  // end-to-end fields (no Host, Content-Length, hop-by-hop)
  std::string body;
};

// The upstream's answer as received.
struct LegacyAnswer {
  int status = 0;
  HeaderFields headers;
  std::string body;
};

// Sends a call and reads the whole answer. Blocking; called on a worker thread, several at
// once. Bounds the call by the forward timeout and the answer's body by max_body_bytes.
// Errors: kUnavailable (not reachable, connection lost, cancelled), kDeadlineExceeded,
// kPayloadTooLarge (the answer's body), kInternal (an answer that is not HTTP).
using LegacyTransport = std::function<Result<LegacyAnswer>(const LegacyCall& call)>;

struct LegacyForwardOptions {
  std::string url;                 // VX11_LEGACY_MADRE_URL as given (named in errors); empty: unset
  std::string host;                // the upstream's "host:port" (the Host header)
  std::string path_prefix;         // "" or "/prefix", no trailing slash
  Duration timeout = Seconds(30);  // VX11_LEGACY_FORWARD_TIMEOUT_SEC
  std::size_t max_body_bytes = 8 << 20;  // request and answer bodies
  int max_in_flight = 16;                // forwards at once; beyond: 503
};

// --- Pure pieces ---

// The first prefix of `prefixes` that `path` is under, nullopt when none. A prefix ending in
// "/" matches what starts with it; another one matches itself and what continues it with "/".
std::optional<std::string> LegacyPrefixOf(const std::string& path,
                                          const std::vector<std::string>& prefixes);

enum class LegacyAction {
  kNotLegacy,  // not under a legacy prefix: madre's own 404
  kNotFound,   // under one, no upstream configured: 404 `legacy_route` naming the setting
  kForward,    // under one, forward it
};
// For a path no route of madre serves. (madre's token check for /madre/power/* paths runs
// before this decision, whatever it is: NeedsMadreToken.)
LegacyAction DecideLegacy(const std::string& path, const std::vector<std::string>& prefixes,
                          bool forwarding);
// True for /madre/power/*: madre checks its token before forwarding such a path.
bool NeedsMadreToken(std::string_view path);

// Hop-by-hop fields (RFC 9110 §7.6.1): Connection, Keep-Alive, Proxy-*, TE, Trailer,
// Transfer-Encoding, Upgrade, and every field that `connection` (the Connection field's value)
// names. Names compare case-insensitively.
bool IsHopByHop(std::string_view name, std::string_view connection);

// The fields to send upstream: the request's end-to-end ones (without Host, Content-Length and
// hop-by-hop ones), plus X-Forwarded-For: the client's value, if any, with `client` appended.
HeaderFields ForwardedRequestHeaders(const HttpRequest& request, const std::string& client);
// The upstream's fields to send back: without hop-by-hop ones, Content-Length, Content-Type
// (carried as HttpResponse::content_type) and Server.
HeaderFields ReturnedHeaders(const HeaderFields& upstream);

// The upstream target: `path_prefix` + `target` ("/legacy" + "/vx11/intent?x=1").
std::string JoinUpstreamTarget(const std::string& path_prefix, const std::string& target);

// The call for `request` (whose client address is `client`).
LegacyCall BuildLegacyCall(const HttpRequest& request, const std::string& client,
                           const LegacyForwardOptions& options);
// The answer to the client from the upstream's.
HttpResponse ResponseFromUpstream(LegacyAnswer answer);
// The answer when the call failed: 504 `upstream_timeout` for kDeadlineExceeded, else 502
// `upstream_unavailable` (kUnavailable, kInternal) or `upstream_too_large` (kPayloadTooLarge);
// the detail names the URL.
HttpResponse UpstreamFailure(const Status& failure, const LegacyForwardOptions& options);

// --- The forwarder ---

class LegacyForwarder {
 public:
  struct Deps {
    LegacyTransport transport;
    Executor& workers;  // runs the transport
    Executor& loop;     // the engine thread
    std::function<TimePoint()> now;
    std::function<void(AuditRecord)> audit;  // appends on the engine thread
  };
  LegacyForwarder(LegacyForwardOptions options, Deps deps);

  // Forwards `request` and answers through `respond` (once, from the engine thread).
  void Forward(const HttpRequest& request, Responder respond);

  int in_flight() const { return in_flight_; }
  const LegacyForwardOptions& options() const { return options_; }

 private:
  // Refused before forwarding (413, 503): answered and audited `rejected`.
  void Refuse(const HttpRequest& request, TimePoint started, const Status& why,
              const Responder& respond);
  // Audits the forward of `request` and answers `response`.
  void Answer(const HttpRequest& request, TimePoint started, HttpResponse response,
              AuditOutcome outcome, const std::string& error, const Responder& respond);

  LegacyForwardOptions options_;
  Deps deps_;
  int in_flight_ = 0;  // engine thread
};

}  // namespace madre
