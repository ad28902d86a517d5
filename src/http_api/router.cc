#include "http_api/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "api/json_codec.h"
#include "base/sha256.h"
#include "engine/engine_metrics.h"
#include "http_api/openapi_document.h"
#include "http_api/ui_assets.h"

namespace madre {

using nlohmann::json;

namespace {

constexpr std::string_view kPowerPrefix = "/madre/power/";

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    out.emplace_back(path.substr(start, slash == path.npos ? path.npos : slash - start));
    if (slash == path.npos) return out;
    start = slash + 1;
  }
}

bool IsLiteral(const std::string& pattern) { return pattern.find('{') == pattern.npos; }

// {x} matches one segment (possibly empty); the matched segments go to `params`.
bool Matches(const std::string& pattern, const std::string& path,
             std::vector<std::string>* params) {
  if (IsLiteral(pattern)) return pattern == path;
  const std::vector<std::string> want = Segments(pattern), have = Segments(path);
  if (want.size() != have.size()) return false;
  std::vector<std::string> found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (!want[i].empty() && want[i].front() == '{') {
      found.push_back(have[i]);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  if (params) *params = std::move(found);
  return true;
}

// Every pattern of the table, for RouteLabel (the table below uses the same strings).
const std::vector<std::string>& Patterns() {
  static const std::vector<std::string> kPatterns = {"/health",
                                                     "/openapi.json",
                                                     "/metrics",
                                                     "/madre/whoami",
                                                     "/madre/power/window/open",
                                                     "/madre/power/window/close",
                                                     "/madre/power/windows/open",
                                                     "/madre/power/windows/close",
                                                     "/madre/power/windows/hold",
                                                     "/madre/power/windows/extend",
                                                     "/madre/power/windows/status",
                                                     "/madre/power/state",
                                                     "/madre/power/status",
                                                     "/madre/power/services",
                                                     "/madre/power/flows",
                                                     "/madre/power/audit",
                                                     "/madre/power/events",
                                                     "/madre/power/policy/solo_madre/status",
                                                     "/madre/power/policy/solo_madre/apply",
                                                     "/madre/power/service/start",
                                                     "/madre/power/service/stop",
                                                     "/madre/power/windows/{id}",
                                                     "/madre/power/service/{name}/start",
                                                     "/madre/power/service/{name}/stop",
                                                     "/madre/power/service/{name}/restart",
                                                     "/madre/intent",
                                                     "/madre/intent/{id}",
                                                     "/madre/intents",
                                                     "/madre/intents/{id}",
                                                     "/madre/intents/{id}/approve",
                                                     "/madre/intents/{id}/reject",
                                                     "/madre/intents/{id}/cancel",
                                                     "/madre/builds",
                                                     "/madre/builds/{id}",
                                                     "/madre/autofix/diagnose/{service}",
                                                     "/madre/autofix/diagnoses",
                                                     "/madre/autofix/incidents",
                                                     "/madre/autofix/incidents/{id}",
                                                     "/madre/autofix/reset/{service}",
                                                     "/manifestator/builder/emit-intent"};
  return kPatterns;
}

HttpResponse NotFound() {
  return JsonResponse(404, {{"detail", "Not Found"}, {"code", "not_found"}});
}

// A route of the original madre, while VX11_LEGACY_MADRE_URL is unset.
HttpResponse LegacyNotFound(const std::string& prefix) {
  return JsonResponse(404, {{"detail", "routes under " + prefix +
                                           " are served by the original madre; set "
                                           "VX11_LEGACY_MADRE_URL to forward them to it"},
                            {"code", "legacy_route"}});
}

}  // namespace

std::vector<std::string> DefaultLegacyForwardPrefixes() {
  return {"/madre/chat", "/vx11/", "/madre/callback/", "/madre/power/maintenance/"};
}

namespace {

// The label of `path`: a pattern of the table (static storage) or "other".
const std::string& RouteLabelOf(const std::string& path) {
  static const std::string kOther = "other";
  for (const auto& pattern : Patterns()) {
    if (IsLiteral(pattern) && pattern == path) return pattern;
  }
  for (const auto& pattern : Patterns()) {
    if (!IsLiteral(pattern) && Matches(pattern, path, nullptr)) return pattern;
  }
  return kOther;
}

}  // namespace

std::string RouteLabel(const std::string& path) { return RouteLabelOf(path); }

// madre_http_requests_total, counted without building label maps on every answer: by the
// route label's address (static strings) and the status code; /metrics reads it through a
// callback. Shared with the responders, which may outlive the router.
struct ApiRouter::RequestCounts {
  std::mutex mu;
  std::map<std::pair<const std::string*, int>, double> counts;  // guarded by mu

  void Add(const std::string* route, int code) {
    std::lock_guard lock(mu);
    counts[{route, code}] += 1;
  }
  std::vector<std::pair<MetricLabels, double>> Labelled() {
    std::lock_guard lock(mu);
    std::vector<std::pair<MetricLabels, double>> out;
    out.reserve(counts.size());
    for (const auto& [key, n] : counts) {
      out.push_back({{{"route", *key.first}, {"code", std::to_string(key.second)}}, n});
    }
    return out;
  }
};

bool TokenMatches(const std::string& expected, const std::string& given) {
  // Compare every byte of the longer length so that timing does not reveal a prefix.
  const std::size_t n = std::max(expected.size(), given.size());
  unsigned char diff = expected.size() == given.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char a = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0;
    const unsigned char b = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(a ^ b);
  }
  return diff == 0 && !expected.empty();
}

std::optional<Caller> IdentifyToken(const std::string& default_token,
                                    const std::vector<TokenEntry>& entries,
                                    const std::string& given, const std::string& peer) {
  // Every comparison runs whatever the earlier ones found: the time does not tell which entry
  // (or whether any) matched.
  const bool is_default = TokenMatches(default_token, given);
  const std::string hash = Sha256Hex(given);
  const TokenEntry* found = nullptr;
  for (const TokenEntry& entry : entries) {
    const bool match = TokenMatches(entry.token_sha256, hash);
    if (match && found == nullptr) found = &entry;
  }
  if (is_default) return Caller{.name = "default", .role = Role::kAdmin, .peer = peer};
  if (found) return Caller{.name = found->name, .role = found->role, .peer = peer};
  return std::nullopt;
}

ApiRouter::ApiRouter(RouterOptions options, RouterDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      throttle_(options_.throttle,
                OpenThrottle::Deps{.busy = deps_.cpu_busy,
                                   .snapshot = deps_.cpu_snapshot,
                                   .after = deps_.after,
                                   .audit_rejected =
                                       [this](const std::string& actor, const Status& why) {
                                         deps_.engine.AuditRejected("window.open", actor, why);
                                       },
                                   .hold = [this]() -> std::optional<std::string> {
                                     if (!runner_) return std::nullopt;
                                     return runner_->OpenHold();
                                   }}),
      sampler_(StatsSampler::Deps{.observer = deps_.observer,
                                  .workers = deps_.workers,
                                  .loop = deps_.loop,
                                  .after = deps_.after,
                                  .now = [this] { return deps_.engine.Now(); },
                                  .containers = [this] { return deps_.engine.Snapshot().observed; },
                                  .busy =
                                      [this] {
                                        return !deps_.engine.Snapshot().windows.empty() ||
                                               throttle_.waiting() > 0;
                                      }},
               options_.stats_interval),
      events_(deps_.engine, options_.stop_strategy),
      metrics_endpoint_(options_.metrics, deps_.engine, sampler_, deps_.host, deps_.intents),
      reads_(ReadRoutesOptions{.always_on = options_.always_on,
                               .stop_strategy = options_.stop_strategy},
             deps_.engine, deps_.observer, deps_.workers, deps_.loop, sampler_),
      commands_(WindowRoutesOptions{.open_wait_timeout = options_.open_wait_timeout,
                                    .compat_open_wait = options_.compat_open_wait,
                                    .stop_strategy = options_.stop_strategy},
                deps_.engine, throttle_),
      builds_(deps_.builds, deps_.workers, deps_.loop),
      intent_feed_(
          deps_.intents
              ? std::make_unique<IntentChangeFeed>(
                    *deps_.intents, [this](const Intent& intent) { events_.PublishIntent(intent); })
              : nullptr),
      autofix_(
          [this] {
            AutofixOptions autofix = options_.autofix;
            autofix.forensic_dir = options_.forensic_dir;
            autofix.intent_pending_ttl = options_.intents.pending_ttl;
            return autofix;
          }(),
          AutofixDeps{.engine = deps_.engine,
                      .observer = deps_.observer,
                      .images = deps_.images,
                      .workers = deps_.workers,
                      .loop = deps_.loop,
                      .audit =
                          [this](AuditRecord record) {
                            return deps_.engine.RecordAudit(std::move(record));
                          },
                      .after = deps_.after,
                      .intents = intent_feed_.get(),
                      .new_id = deps_.new_id,
                      .pump = [this] { PumpIntents(); },
                      .run_build = deps_.run_build,
                      .build_lane = deps_.build_lane,
                      .adviser = deps_.adviser,
                      .secrets = deps_.secrets,
                      .compose = deps_.compose}),
      intents_(deps_.intents
                   ? std::make_unique<IntentRoutes>(
                         options_.intents,
                         IntentRoutesDeps{.store = *intent_feed_,
                                          .audit =
                                              [this](AuditRecord record) {
                                                return deps_.engine.RecordAudit(std::move(record));
                                              },
                                          .now = [this] { return deps_.engine.Now(); },
                                          .new_id = deps_.new_id,
                                          .on_approved = [this] { PumpIntents(); },
                                          .check_build = deps_.check_build,
                                          .workers = &deps_.workers,
                                          .loop = &deps_.loop,
                                          .builds = deps_.builds})
                   : nullptr),
      routes_(Table()) {
  if (deps_.intents) {
    runner_ = std::make_unique<IntentRunner>(
        options_.intent_runner,
        IntentRunnerDeps{
            .store = *intent_feed_,
            .engine = deps_.engine,
            .audit =
                [this](AuditRecord record) { return deps_.engine.RecordAudit(std::move(record)); },
            .now = [this] { return deps_.engine.Now(); },
            .cpu_busy = deps_.cpu_busy,
            .quota_of =
                [this](const std::string& source) {
                  return options_.intents.policy.QuotaFor(source);
                },
            .container_stats = [this]() -> const std::map<std::string, ContainerStats>* {
              return sampler_.sampled_at() ? &sampler_.stats() : nullptr;
            },
            .metrics = options_.metrics,
            .run_build = deps_.run_build,
            .remediate =
                [this](const Intent& intent, std::function<void(bool, std::string)> done) {
                  autofix_.Remediate(intent, std::move(done));
                },
            .builds = deps_.builds,
            .build_lane = deps_.build_lane,
            .loop = &deps_.loop});
  }
  if (!options_.legacy.url.empty() && deps_.legacy_transport) {
    legacy_ = std::make_unique<LegacyForwarder>(
        options_.legacy,
        LegacyForwarder::Deps{
            .transport = deps_.legacy_transport,
            .workers = deps_.legacy_workers ? *deps_.legacy_workers : deps_.workers,
            .loop = deps_.loop,
            .now = [this] { return deps_.engine.Now(); },
            .audit =
                [this](AuditRecord record) {
                  // Logged when it fails; the forward has happened either way.
                  Status ignored = deps_.engine.RecordAudit(std::move(record));
                  (void)ignored;
                }});
  }
  if (options_.metrics) {
    counts_ = std::make_shared<RequestCounts>();
    options_.metrics->SetCallback(kMetricHttpRequests,
                                  [counts = counts_] { return counts->Labelled(); });
  }
}

std::vector<ApiRouter::Route> ApiRouter::Table() {
  auto open = [this](bool compatible) -> Handler {
    return [this, compatible](const HttpRequest& r, const Caller& c,
                              const std::vector<std::string>&, Responder w) {
      commands_.Open(r, c, compatible, std::move(w));
      sampler_.Poke();  // an open may wait for admission now
    };
  };
  // A handler of the request alone.
  auto plain = [](std::function<void(const HttpRequest&, Responder)> fn) -> Handler {
    return
        [fn = std::move(fn)](const HttpRequest& r, const Caller&, const std::vector<std::string>&,
                             Responder w) { fn(r, std::move(w)); };
  };
  // A handler of the request and its caller.
  auto called = [](std::function<void(const HttpRequest&, const Caller&, Responder)> fn) {
    return
        [fn = std::move(fn)](const HttpRequest& r, const Caller& c, const std::vector<std::string>&,
                             Responder w) { fn(r, c, std::move(w)); };
  };
  auto service = [this](std::string op) -> Handler {
    return [this, op](const HttpRequest& r, const Caller& c, const std::vector<std::string>& params,
                      Responder w) { commands_.ServiceOp(r, c, params.at(0), op, std::move(w)); };
  };
  auto service_in_body = [this](std::string op) -> Handler {  // {"service": NAME}
    return [this, op](const HttpRequest& r, const Caller& c, const std::vector<std::string>&,
                      Responder w) { commands_.ServiceOp(r, c, std::nullopt, op, std::move(w)); };
  };
  auto intent_get = [this](const HttpRequest&, const Caller& c,
                           const std::vector<std::string>& params, Responder w) {
    if (!intents_) return w(NotFound());
    intents_->Get(params.at(0), c, std::move(w));
  };
  auto decide = [this](DecisionKind kind) -> Handler {
    return [this, kind](const HttpRequest& r, const Caller& c,
                        const std::vector<std::string>& params, Responder w) {
      if (!intents_) return w(NotFound());
      intents_->Decide(params.at(0), kind, r, c, std::move(w));
    };
  };
  using A = Access;
  constexpr Role kView = Role::kViewer, kSubmit = Role::kSubmitter, kOperate = Role::kOperator,
                 kAdmin = Role::kAdmin;
  return {
      {"GET", "/health", A::kPublic, kView, false, plain([this](const HttpRequest&, Responder w) {
         // `ready`: the start-up reconcile is done (the conductor's preflight waits for it).
         const bool ready = ready_ && deps_.engine.Snapshot().reconciled;
         w(JsonResponse(200, {{"module", "madre"},
                              {"status", "ok"},
                              {"version", options_.version},
                              {"ready", ready}}));
       })},
      // The API contract (docs/openapi.json, built in): public, as /health.
      {"GET", "/openapi.json", A::kPublic, kView, false, plain([](const HttpRequest&, Responder w) {
         HttpResponse response;
         response.body = std::string(OpenApiDocument());
         response.headers.emplace_back("Cache-Control", "public, max-age=3600");
         w(std::move(response));
       })},
      // Who the token is, for the console's buttons.
      {"GET", "/madre/whoami", A::kToken, kView, false,
       called([](const HttpRequest&, const Caller& c, Responder w) {
         w(JsonResponse(200, {{"name", c.name}, {"role", RoleName(c.role)}}));
       })},
      {"GET", "/metrics", A::kMetrics, kView, false,
       plain([this](const HttpRequest&, Responder w) { metrics_endpoint_.Serve(std::move(w)); })},
      {"POST", "/madre/power/window/open", A::kToken, kOperate, true, open(true)},
      {"POST", "/madre/power/windows/open", A::kToken, kOperate, true, open(false)},
      {"POST", "/madre/power/window/close", A::kToken, kOperate, true,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         commands_.Close(r, c, std::move(w));
       })},
      {"POST", "/madre/power/windows/close", A::kToken, kOperate, true,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         commands_.Close(r, c, std::move(w));
       })},
      {"POST", "/madre/power/windows/hold", A::kToken, kOperate, true,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         commands_.Hold(r, c, std::move(w));
       })},
      {"POST", "/madre/power/windows/extend", A::kToken, kOperate, true,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         commands_.Extend(r, c, std::move(w));
       })},
      {"GET", "/madre/power/state", A::kToken, kView, false,
       plain([this](const HttpRequest&, Responder w) { reads_.State(std::move(w)); })},
      {"GET", "/madre/power/status", A::kToken, kView, false,
       plain([this](const HttpRequest& r, Responder w) { reads_.Status(r, std::move(w)); })},
      {"GET", "/madre/power/services", A::kToken, kView, false,
       plain([this](const HttpRequest&, Responder w) { reads_.Services(std::move(w)); })},
      {"GET", "/madre/power/flows", A::kToken, kView, false,
       plain([this](const HttpRequest& r, Responder w) { reads_.Flows(r, std::move(w)); })},
      {"GET", "/madre/power/audit", A::kToken, kView, false,
       plain([this](const HttpRequest& r, Responder w) { reads_.Audit(r, std::move(w)); })},
      {"GET", "/madre/power/events", A::kToken, kView, false,
       plain([this](const HttpRequest&, Responder w) { events_.Subscribe(std::move(w)); })},
      {"GET", "/madre/power/windows/status", A::kToken, kView, false,
       plain([this](const HttpRequest& r, Responder w) { reads_.WindowsStatus(r, std::move(w)); })},
      {"GET", "/madre/power/policy/solo_madre/status", A::kToken, kView, false,
       plain([this](const HttpRequest&, Responder w) { reads_.SoloMadreStatus(std::move(w)); })},
      {"POST", "/madre/power/policy/solo_madre/apply", A::kToken, kAdmin, false,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         commands_.SoloMadreApply(r, c, std::move(w));
       })},
      {"GET", "/madre/power/windows/{id}", A::kToken, kView, false,
       [this](const HttpRequest&, const Caller&, const std::vector<std::string>& params,
              Responder w) {
         const std::string& id = params.at(0);
         if (!IsValidWindowId(id)) return w(ErrorResponse(Status::NotFound("No window " + id)));
         reads_.WindowGet(id, std::move(w));
       }},
      {"POST", "/madre/power/service/start", A::kToken, kOperate, true, service_in_body("start")},
      {"POST", "/madre/power/service/stop", A::kToken, kOperate, false, service_in_body("stop")},
      {"POST", "/madre/power/service/{name}/start", A::kToken, kOperate, true, service("start")},
      {"POST", "/madre/power/service/{name}/stop", A::kToken, kOperate, false, service("stop")},
      {"POST", "/madre/power/service/{name}/restart", A::kToken, kOperate, false,
       service("restart")},
      // A token, when given, is checked (valid, at least submitter) before this; without one
      // only the sources of VX11_INTENT_OPEN_SOURCES may submit (IntentRoutes).
      {"POST", "/madre/intent", A::kOptionalToken, kSubmit, false,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         if (!intents_) return w(NotFound());
         std::optional<Caller> caller;
         if (!c.token_less) caller = c;
         intents_->Submit(r, caller, std::move(w));
       })},
      // The manifestator's build requests (VX11_MANIFESTATOR_EMIT_INTENT_ENABLED, else 404), as
      // POST /madre/intent takes them.
      {"POST", "/manifestator/builder/emit-intent", A::kOptionalToken, kSubmit, false,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         if (!intents_) return w(NotFound());
         std::optional<Caller> caller;
         if (!c.token_less) caller = c;
         intents_->EmitIntent(r, caller, std::move(w));
       })},
      {"GET", "/madre/intent/{id}", A::kToken, kView, false, intent_get},
      {"GET", "/madre/intents", A::kToken, kView, false,
       called([this](const HttpRequest& r, const Caller& c, Responder w) {
         if (!intents_) return w(NotFound());
         intents_->List(r, c, std::move(w));
       })},
      {"GET", "/madre/intents/{id}", A::kToken, kView, false, intent_get},
      // Submitter and above reach these; the handler checks the rest (the policy's approvers,
      // operator+, the requester's own cancel, self-approval).
      {"POST", "/madre/intents/{id}/approve", A::kToken, kSubmit, false,
       decide(DecisionKind::kApprove)},
      {"POST", "/madre/intents/{id}/reject", A::kToken, kSubmit, false,
       decide(DecisionKind::kReject)},
      {"POST", "/madre/intents/{id}/cancel", A::kToken, kSubmit, false,
       decide(DecisionKind::kCancel)},
      {"GET", "/madre/builds", A::kToken, kView, false,
       plain([this](const HttpRequest& r, Responder w) { builds_.List(r, std::move(w)); })},
      {"GET", "/madre/builds/{id}", A::kToken, kView, false,
       [this](const HttpRequest&, const Caller&, const std::vector<std::string>& params,
              Responder w) { builds_.Get(params.at(0), std::move(w)); }},
      // A diagnosis carries the service's last log lines: operator and above.
      {"GET", "/madre/autofix/diagnose/{service}", A::kToken, kOperate, false,
       [this](const HttpRequest&, const Caller&, const std::vector<std::string>& params,
              Responder w) { autofix_.Diagnose(params.at(0), std::move(w)); }},
      {"GET", "/madre/autofix/diagnoses", A::kToken, kOperate, false,
       plain([this](const HttpRequest& r, Responder w) { autofix_.List(r, std::move(w)); })},
      {"POST", "/madre/autofix/incidents", A::kToken, kOperate, false,
       plain([this](const HttpRequest& r, Responder w) { autofix_.Report(r, std::move(w)); })},
      {"GET", "/madre/autofix/incidents/{id}", A::kToken, kOperate, false,
       [this](const HttpRequest&, const Caller&, const std::vector<std::string>& params,
              Responder w) { autofix_.Get(params.at(0), std::move(w)); }},
      {"POST", "/madre/autofix/reset/{service}", A::kToken, kOperate, false,
       [this](const HttpRequest&, const Caller& c, const std::vector<std::string>& params,
              Responder w) { autofix_.Reset(params.at(0), c.AuditActor(), std::move(w)); }},
  };
}

std::vector<ApiRouter::RouteAccess> ApiRouter::Routes() const {
  std::vector<RouteAccess> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) {
    const bool token = route.access == Access::kToken ||
                       (route.access == Access::kMetrics && !options_.metrics_public);
    out.push_back({.method = route.method,
                   .pattern = route.pattern,
                   .needs_token = token,
                   .role = route.role,
                   .token_optional = route.access == Access::kOptionalToken,
                   .needs_windows = route.needs_windows});
  }
  return out;
}

void ApiRouter::SetReady() {
  ready_ = true;
  throttle_.Start();
  autofix_.Start();  // the quarantined services stay so across restarts
  // The intent expiry sweep: once at start (what expired while madre was down), then on a timer.
  if (intents_) SweepIntents();
  if (runner_) {
    runner_->Recover();
    PumpIntents();
  }
}

void ApiRouter::PumpIntents() {
  if (!runner_ || !ready_) return;
  const bool waiting = runner_->Pump();
  if (waiting && !pump_scheduled_ && deps_.after) {
    pump_scheduled_ = true;
    deps_.after(kIntentPumpPeriod, [this] {
      pump_scheduled_ = false;
      PumpIntents();
    });
  }
}

void ApiRouter::SweepIntents() {
  if (Result<int> expired = intents_->ExpireDue(); !expired.ok()) {
    spdlog::warn("intent expiry: {}", expired.status().ToString());
  } else if (*expired > 0) {
    spdlog::info("intent expiry: {} pending intent(s) expired", *expired);
  }
  if (deps_.after) {
    deps_.after(std::min(options_.intents.pending_ttl, kIntentSweepPeriod),
                [this] { SweepIntents(); });
  }
}

void ApiRouter::OnEngineChange() {
  reads_.OnEngineChange();
  sampler_.Poke();
  autofix_.OnEngineChange();
}

void ApiRouter::PublishWindow(const Window& window) {
  reads_.OnEngineChange();
  events_.PublishWindow(window);
  autofix_.OnWindow(window);
}

void ApiRouter::PublishDockerEvent(const DockerEvent& event) { events_.PublishDockerEvent(event); }

void ApiRouter::Handle(HttpRequest request, Responder respond) {
  // Every answer is logged (at debug level) without the token, headers or body, and counted.
  std::string line;
  if (spdlog::should_log(spdlog::level::debug)) {
    line = ClientOf(request) + " " + request.method + " " + request.path;
  }
  Responder counted = [respond = std::move(respond), counts = counts_,
                       route = &RouteLabelOf(request.path),
                       line = std::move(line)](HttpResponse response) {
    if (!line.empty()) spdlog::debug("{} -> {}", line, response.status);
    if (counts) counts->Add(route, response.status);
    respond(std::move(response));
  };
  Dispatch(request, std::move(counted));
}

void ApiRouter::CountAuthFailure(const char* reason) {
  if (options_.metrics) options_.metrics->Add(kMetricAuthFailures, {{"reason", reason}});
}

std::optional<HttpResponse> ApiRouter::Authenticate(const HttpRequest& request, Caller& caller) {
  std::string given;
  if (auto token = request.headers.find("x-vx11-token"); token != request.headers.end()) {
    given = token->second;
  } else if (auto auth = request.headers.find("authorization"); auth != request.headers.end()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (auth->second.size() > kBearer.size() &&
        std::equal(kBearer.begin(), kBearer.end(), auth->second.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      given = auth->second.substr(kBearer.size());
    }
  }
  if (given.empty()) {
    CountAuthFailure("missing");
    return JsonResponse(
        401, {{"detail", "auth_required: X-VX11-Token header missing"}, {"code", "auth_required"}});
  }
  std::optional<Caller> known =
      IdentifyToken(options_.token, options_.tokens, given, ClientOf(request));
  if (!known) {
    CountAuthFailure("invalid");
    return JsonResponse(403, {{"detail", "forbidden: invalid token"}, {"code", "forbidden"}});
  }
  caller = std::move(*known);
  return std::nullopt;
}

std::optional<HttpResponse> ApiRouter::CheckHostHeader(const HttpRequest& request) const {
  auto host = request.headers.find("host");
  const std::string host_header = host == request.headers.end() ? "" : host->second;
  std::optional<std::string> why;
  if (options_.hosts.port == 0 && listening_port_ > 0) {
    HostAllowlist bound = options_.hosts;
    bound.port = listening_port_;
    why = CheckHost(bound, host_header);
  } else {
    why = CheckHost(options_.hosts, host_header);
  }
  if (!why) return std::nullopt;
  return ErrorResponse(Status::PermissionDenied(*why));
}

HttpResponse ApiRouter::ServeUi(const HttpRequest& request) const {
  HttpResponse response;
  if (std::optional<HttpResponse> refused = CheckHostHeader(request)) {
    response = std::move(*refused);
  } else if (request.method != "GET" && request.method != "HEAD") {
    response = JsonResponse(
        405, {{"detail", "method " + request.method + " not allowed on " + request.path},
              {"code", "method_not_allowed"}});
  } else if (request.path == "/ui") {  // the page's relative links need the slash
    response = JsonResponse(308, {{"detail", "the console is at /ui/"}, {"code", "moved"}});
    response.headers.emplace_back("Location", "/ui/");
  } else if (std::optional<UiAsset> asset = FindUiAsset(request.path)) {
    response.content_type = asset->content_type;
    response.body = std::string(asset->body);
  } else {
    response = NotFound();
  }
  for (const auto& header : UiSecurityHeaders()) response.headers.push_back(header);
  return response;
}

void ApiRouter::Dispatch(const HttpRequest& request, Responder respond) {
  const std::string& path = request.path;
  if (path == "/ui" || StartsWith(path, "/ui/")) return respond(ServeUi(request));
  const bool power = StartsWith(path, kPowerPrefix);
  // Literal routes first: "windows/open" is not the window "open".
  std::vector<const Route*> candidates;
  std::vector<std::string> params;
  for (const bool literal : {true, false}) {
    for (const Route& route : routes_) {
      if (IsLiteral(route.pattern) != literal) continue;
      std::vector<std::string> found;
      if (!Matches(route.pattern, path, &found)) continue;
      if (candidates.empty()) params = std::move(found);
      candidates.push_back(&route);
    }
    if (!candidates.empty()) break;
  }
  // Authentication comes before anything else under /madre/power, known path or not.
  const Access access = candidates.empty()
                            ? (NeedsMadreToken(path) ? Access::kToken : Access::kPublic)
                            : candidates.front()->access;
  const bool token_given =
      request.headers.count("x-vx11-token") > 0 || request.headers.count("authorization") > 0;
  Caller caller{.name = "", .role = Role::kViewer, .peer = ClientOf(request), .token_less = true};
  // The token-less routes answer only an allowed Host (DNS rebinding), a token-less intent
  // included (IntentRoutes::CheckOpen checks its source, content type and rate).
  if (!candidates.empty() &&
      (access == Access::kPublic || (access == Access::kMetrics && options_.metrics_public) ||
       (access == Access::kOptionalToken && !token_given))) {
    if (std::optional<HttpResponse> refused = CheckHostHeader(request)) {
      return respond(std::move(*refused));
    }
  }
  if (access == Access::kToken || (access == Access::kMetrics && !options_.metrics_public) ||
      (access == Access::kOptionalToken && token_given)) {
    if (std::optional<HttpResponse> refused = Authenticate(request, caller)) {
      return respond(std::move(*refused));
    }
  }
  if (power && !ready_) {
    return respond(
        ErrorResponse(Status::Unavailable("madre is starting: reconciling with Docker")));
  }
  if (candidates.empty()) {
    // madre's token check above ran first for /madre/power/* (NeedsMadreToken).
    switch (DecideLegacy(path, options_.legacy_prefixes, legacy_ != nullptr)) {
      case LegacyAction::kNotLegacy:
        return respond(NotFound());
      case LegacyAction::kNotFound:
        return respond(LegacyNotFound(*LegacyPrefixOf(path, options_.legacy_prefixes)));
      case LegacyAction::kForward:
        return legacy_->Forward(request, std::move(respond));
    }
  }
  const std::string& method = request.method;
  const bool get = method == "GET" || method == "HEAD";
  auto chosen = std::find_if(candidates.begin(), candidates.end(), [&](const Route* route) {
    return route->method == "GET" ? get : route->method == method;
  });
  if (chosen == candidates.end()) {
    return respond(JsonResponse(405, {{"detail", "method " + method + " not allowed on " + path},
                                      {"code", "method_not_allowed"}}));
  }
  if (!caller.token_less && !RoleAllows(caller.role, (*chosen)->role)) {
    CountAuthFailure("role");
    return respond(JsonResponse(
        403,
        {{"detail", "token '" + caller.name + "' (role " + RoleName(caller.role) + ") may not " +
                        method + " " + path + ": needs " + RoleName((*chosen)->role)},
         {"code", "forbidden"}}));
  }
  if ((*chosen)->needs_windows && !options_.windows_enabled) {
    return respond(ErrorResponse(Status::Unavailable(
        "power windows are disabled on this madre (VX11_POWER_WINDOWS_ENABLED=0)")));
  }
  (*chosen)->handler(request, caller, params, std::move(respond));
}

}  // namespace madre
