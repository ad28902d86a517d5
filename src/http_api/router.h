// The HTTP API (SPEC §3-§5, docs/http_api.md): a table of routes {method, path pattern,
// handler} in front of the classes that serve them. The router authenticates, checks
// readiness, counts each answer by route, and owns the route classes:
//   WindowRoutes (commands), ReadRoutes (views), EventHub (SSE), MetricsEndpoint (/metrics),
//   OpenThrottle (admission of opens), StatsSampler (container stats on a timer), IntentRoutes
//   (intents) and BuildRoutes (the build history).
//
// Authentication: the token in `X-VX11-Token: <token>` or `Authorization: Bearer <token>`.
// Everything under /madre/power/ needs it (401 missing, 403 wrong, before anything else, even
// for unknown paths and legacy prefixes), and so does /metrics unless `metrics_public`. Each
// failure is counted in madre_auth_failures_total{reason="missing"|"invalid"}. /health and
// /openapi.json (the API contract, docs/openapi.json) are public.
// A valid token names the caller (core/identity.h): `token` (VX11_TOKEN) is the admin named
// "default", an entry of `tokens` (VX11_TOKENS_FILE) its name and role. Every route of the
// table needs a role (viewer reads, submitter submits intents, operator windows and services,
// admin SOLO_MADRE apply); a caller below it gets 403 `forbidden` naming the token, its role
// and the role needed, counted with reason="role". Unknown paths need a valid token only.
//
// Legacy routes (legacy_forward.h): a path no route serves, under a legacy prefix, is forwarded
// to the original madre when `legacy.url` is set (after the token check for /madre/power/*
// paths only), else answered 404 `legacy_route` naming VX11_LEGACY_MADRE_URL.
//
// Threading: the HTTP server's io thread, which is the engine thread (one io thread: the
// daemon checks it). Docker reads run on the workers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/http/http_server.h"
#include "base/metrics.h"
#include "core/host_check.h"
#include "core/identity.h"
#include "engine/engine.h"
#include "http_api/autofix_routes.h"
#include "http_api/build_routes.h"
#include "http_api/event_hub.h"
#include "http_api/http_common.h"
#include "http_api/intent_feed.h"
#include "http_api/intent_routes.h"
#include "http_api/intent_runner.h"
#include "http_api/legacy_forward.h"
#include "http_api/metrics_endpoint.h"
#include "http_api/open_throttle.h"
#include "http_api/read_routes.h"
#include "http_api/stats_sampler.h"
#include "http_api/window_routes.h"
#include "ports/build_store.h"
#include "ports/container_observer.h"
#include "ports/executor.h"

namespace madre {

// VX11_LEGACY_FORWARD_PREFIXES' default: the original madre's routes outside power windows.
std::vector<std::string> DefaultLegacyForwardPrefixes();

struct RouterOptions {
  std::string token;               // VX11_TOKEN: the admin named "default"
  std::vector<TokenEntry> tokens;  // VX11_TOKENS_FILE: named tokens with their roles
  // VX11_TOKENS_FILE is set. Without it, "default" may approve its own intents (issue 11);
  // for IntentRoutesOptions::allow_self_approval.
  bool tokens_file_configured = false;
  bool windows_enabled = true;
  std::string version;
  std::set<std::string> always_on;
  Duration open_wait_timeout = Seconds(300);  // an open with "wait" and no wait_timeout_sec
  Duration compat_open_wait = Seconds(4);     // the compatible open answers after this at most
  Metrics* metrics = nullptr;                 // GET /metrics and request counts; null: none
  bool metrics_public = false;                // VX11_METRICS_PUBLIC: /metrics without the token
  ThrottleOptions throttle;                   // VX11_THROTTLE_CPU_PCT, VX11_THROTTLE_MODE
  Duration stats_interval = StatsSampler::kDefaultInterval;
  std::string stop_strategy = "stop";  // VX11_STOP_STRATEGY, shown in every window view
  // A path under one of these that no route serves is forwarded to `legacy.url`, or answers
  // 404 `legacy_route` naming VX11_LEGACY_MADRE_URL when that is empty. A prefix ending in "/"
  // matches what starts with it; another one matches itself and what continues it with "/".
  std::vector<std::string> legacy_prefixes = DefaultLegacyForwardPrefixes();
  LegacyForwardOptions legacy;  // url empty: VX11_LEGACY_MADRE_URL unset
  // <state>/forensic/madre: autofix's incident records (GET /madre/autofix/diagnoses); empty:
  // failures are not diagnosed by themselves.
  std::filesystem::path forensic_dir;
  // Autofix's policy and quarantine file (docs/autofix.md); its forensic_dir is the one above.
  AutofixOptions autofix;
  IntentRoutesOptions intents;        // POST /madre/intent without a token
  IntentRunnerOptions intent_runner;  // executing approved intents
  // The Host names (and port) the token-less routes answer (/ui/, /health, /openapi.json, a
  // public /metrics, a token-less intent), against DNS rebinding; else 403. Loopback on any
  // port by default; port 0 (VX11_MADRE_PORT=0) is the port SetListeningPort gives.
  HostAllowlist hosts = MakeHostAllowlist("127.0.0.1", 0, {});
};

struct RouterDeps {
  Engine& engine;
  ContainerObserver& observer;
  Executor& workers;
  Executor& loop;
  ScheduleAfter after;  // timers on the engine thread
  // Host CPU busy % since a reading 1-60 s old (the CPU meter), never blocking; nullopt when
  // there is none yet. Empty: no throttling.
  std::function<std::optional<double>()> cpu_busy;
  std::function<void()> cpu_snapshot;  // feeds the CPU meter
  std::function<HostFigures()> host;   // /metrics host figures; empty: none
  IntentStore* intents = nullptr;      // POST /madre/intent records here; null: 404
  BuildStore* builds = nullptr;        // the build history (GET /madre/builds); null: none
  // The build executor (with options.intents.build_executor): a build intent's request checked
  // at submission (blocking: on `workers`), its build run on `build_lane` (blocking, one at a
  // time). Empty: none.
  std::function<Status(const BuildIntent&)> check_build = {};
  RunBuildFn run_build = {};
  Executor* build_lane = nullptr;
  std::function<std::string()> new_id = [] { return std::string("0"); };  // intent ids (UUID)
  // Carries a forward to the original madre (blocking); used when options.legacy.url is set.
  LegacyTransport legacy_transport = {};
  Executor* legacy_workers = nullptr;  // runs legacy_transport; null: `workers`
  ImageInspector* images = nullptr;    // whether an image is on the host (autofix); null: unknown
  Adviser* adviser = nullptr;          // autofix's LLM adviser (VX11_AUTOFIX_LLM_URL); null: off
  ComposeRunner* compose = nullptr;    // autofix's `recreate`; null: not applied
  std::vector<std::string> secrets = {};  // madre's tokens: masked before the adviser sees text
};

// The route of a path for metrics ("/madre/power/windows/{id}"), "other" when unknown.
std::string RouteLabel(const std::string& path);

// Constant-time comparison of the token (no early exit on the first difference).
bool TokenMatches(const std::string& expected, const std::string& given);

// The caller a token names: `default_token` is the admin named "default"; an entry whose
// token_sha256 is the SHA-256 of `given` is that entry. Every candidate is compared in full,
// in constant time (no early exit on a match). nullopt when none matches.
std::optional<Caller> IdentifyToken(const std::string& default_token,
                                    const std::vector<TokenEntry>& entries,
                                    const std::string& given, const std::string& peer);

class ApiRouter {
 public:
  ApiRouter(RouterOptions options, RouterDeps deps);

  // HttpHandler. Call on the engine thread.
  void Handle(HttpRequest request, Responder respond);
  // Until Start() of the engine finished, /madre/power/* answers 503. Also starts the timers
  // (the CPU meter's feed, the intent expiry sweep: once now, then every kIntentSweepPeriod or
  // the pending TTL if shorter).
  void SetReady();
  // The port the server listens on, for the Host check when options.hosts.port is 0 (an
  // ephemeral port, known once bound). Until then such a check accepts any port.
  void SetListeningPort(int port) { listening_port_ = port; }
  static constexpr Duration kIntentSweepPeriod = Seconds(15);
  static constexpr Duration kIntentPumpPeriod = Seconds(2);
  // After every engine change: drops cached views, wakes the stats sampler.
  void OnEngineChange();
  // Server-Sent Events to every subscriber of GET /madre/power/events (engine thread).
  void PublishWindow(const Window& window);
  void PublishDockerEvent(const DockerEvent& event);
  std::size_t subscribers() const { return events_.subscribers(); }

  // A route of the table and who may call it, for tests and docs.
  struct RouteAccess {
    std::string method;
    std::string pattern;
    bool needs_token = true;  // false: public (or a token only when given: POST /madre/intent)
    Role role = Role::kViewer;
    bool token_optional = false;  // a token, when given, is checked (POST /madre/intent)
    bool needs_windows = false;   // 503 while VX11_POWER_WINDOWS_ENABLED=0
  };
  std::vector<RouteAccess> Routes() const;

  // For tests.
  const ReadRoutes& reads() const { return reads_; }
  const StatsSampler& sampler() const { return sampler_; }
  const LegacyForwarder* legacy() const { return legacy_.get(); }

 private:
  // `caller`: who asks (a token-less Caller with an empty name on public routes, and on POST
  // /madre/intent without a token).
  using Handler = std::function<void(const HttpRequest&, const Caller& caller,
                                     const std::vector<std::string>& params, Responder)>;
  // kOptionalToken: public, but a token, when given, must be valid and have the route's role.
  enum class Access { kPublic, kToken, kMetrics, kOptionalToken };
  struct Route {
    std::string method;   // "GET" (also answers HEAD) or "POST"
    std::string pattern;  // "/madre/power/windows/{id}": {x} matches one path segment
    Access access = Access::kToken;
    Role role = Role::kViewer;   // the least role of an authenticated caller
    bool needs_windows = false;  // 503 while VX11_POWER_WINDOWS_ENABLED=0
    Handler handler;
  };
  std::vector<Route> Table();
  void Dispatch(const HttpRequest& request, Responder respond);
  // Fills `caller` when the token is valid and returns nullopt; else the answer (401/403),
  // counted.
  std::optional<HttpResponse> Authenticate(const HttpRequest& request, Caller& caller);
  void CountAuthFailure(const char* reason);
  // nullopt when the request's Host is allowed (options_.hosts), else the 403.
  std::optional<HttpResponse> CheckHostHeader(const HttpRequest& request) const;
  // GET /ui/...: the console's files (ui_assets.h), token-less.
  HttpResponse ServeUi(const HttpRequest& request) const;
  void SweepIntents();  // expires the pending intents due, then schedules itself again
  // Runs the approved intents admission allows; while some wait, again in kIntentPumpPeriod.
  void PumpIntents();

  struct RequestCounts;  // madre_http_requests_total (router.cc)

  RouterOptions options_;
  RouterDeps deps_;
  std::shared_ptr<RequestCounts> counts_;  // null without metrics
  bool ready_ = false;
  int listening_port_ = 0;
  OpenThrottle throttle_;
  StatsSampler sampler_;
  EventHub events_;
  MetricsEndpoint metrics_endpoint_;
  ReadRoutes reads_;
  WindowRoutes commands_;
  BuildRoutes builds_;  // GET /madre/builds, /madre/builds/{id}
  // The intent store as the routes and the runner write it: each state change goes out on the
  // event stream. Null without an intent store.
  std::unique_ptr<IntentChangeFeed> intent_feed_;
  AutofixRoutes autofix_;  // GET /madre/autofix/diagnose/{service}, diagnoses; incidents
  std::unique_ptr<IntentRoutes> intents_;  // null without an intent store
  std::unique_ptr<IntentRunner> runner_;   // executes approved intents; null without a store
  bool pump_scheduled_ = false;
  std::unique_ptr<LegacyForwarder> legacy_;  // null: forwarding off
  std::vector<Route> routes_;
};

}  // namespace madre
