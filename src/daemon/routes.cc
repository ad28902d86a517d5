#include "daemon/routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <cstdio>
#include <thread>

#include "adapters/compose/compose_argv.h"
#include "api/json_codec.h"
#include "cli/host_metrics.h"
#include "engine/engine_metrics.h"

namespace madre {

using nlohmann::json;

namespace {

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = Dump(body);
  return response;
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse response = JsonResponse(HttpStatusFor(status.code()), ErrorToJson(status));
  if (status.code() == StatusCode::kResourceExhausted || status.code() == StatusCode::kUnavailable) {
    response.headers.emplace_back("Retry-After", "5");
  }
  return response;
}

std::string ClientOf(const HttpRequest& request) {
  const auto colon = request.remote_address.rfind(':');
  return colon == std::string::npos ? request.remote_address : request.remote_address.substr(0, colon);
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

Result<int> QueryInt(const HttpRequest& request, const char* name, int fallback, int min, int max) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second.empty()) return fallback;
  std::size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(it->second, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != it->second.size() || v < min || v > max) {
    return Status::InvalidArgument(std::string(name) + " must be an integer between " +
                                   std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int>(v);
}

}  // namespace

std::string RouteLabel(const std::string& path) {
  static const std::set<std::string> kFixed = {
      "/health", "/metrics", "/madre/power/window/open", "/madre/power/window/close",
      "/madre/power/windows/open", "/madre/power/windows/close", "/madre/power/windows/hold",
      "/madre/power/windows/extend", "/madre/power/windows/status", "/madre/power/state",
      "/madre/power/status", "/madre/power/services", "/madre/power/audit",
      "/madre/power/policy/solo_madre/status", "/madre/power/policy/solo_madre/apply"};
  if (kFixed.count(path)) return path;
  if (StartsWith(path, "/madre/power/windows/")) return "/madre/power/windows/{id}";
  if (StartsWith(path, "/madre/power/service/")) {
    const auto slash = path.rfind('/');
    const std::string op = path.substr(slash + 1);
    if (op == "start" || op == "stop" || op == "restart") return "/madre/power/service/{name}/" + op;
  }
  return "other";
}

json ApiRouter::View(const Window& window, TimePoint now) const {
  json view = WindowToJson(window, now);
  view["stop_strategy"] = options_.stop_strategy;  // how this window's services are stopped
  return view;
}

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

ApiRouter::ApiRouter(RouterOptions options, Engine& engine, ContainerObserver& observer,
                     Executor& workers, Executor& loop)
    : options_(std::move(options)),
      engine_(engine),
      observer_(observer),
      workers_(workers),
      loop_(loop) {}

void ApiRouter::Handle(HttpRequest request, Responder respond) {
  const std::string method = request.method;
  const std::string path = request.path;
  const std::string client = ClientOf(request);
  // Every answer is logged without the token, headers or body.
  Metrics* metrics = options_.metrics;
  Responder logged = [respond, method, path, client, metrics](HttpResponse response) {
    spdlog::debug("{} {} {} -> {}", client, method, path, response.status);
    if (metrics) {
      metrics->Add(kMetricHttpRequests,
                   {{"route", RouteLabel(path)}, {"code", std::to_string(response.status)}});
    }
    respond(std::move(response));
  };
  Route(request, std::move(logged));
}

void ApiRouter::Route(const HttpRequest& request, Responder respond) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  if (path == "/health") {
    if (method != "GET" && method != "HEAD") {
      return respond(JsonResponse(405, {{"detail", "method " + method + " not allowed on /health"},
                                        {"code", "method_not_allowed"}}));
    }
    return respond(JsonResponse(200, {{"module", "madre"}, {"status", "ok"}, {"version", options_.version}}));
  }
  if (path == "/metrics") {
    if (method != "GET" && method != "HEAD") {
      return respond(JsonResponse(405, {{"detail", "method " + method + " not allowed on /metrics"},
                                        {"code", "method_not_allowed"}}));
    }
    return MetricsText(std::move(respond));
  }
  if (!StartsWith(path, "/madre/power/")) {
    return respond(JsonResponse(404, {{"detail", "Not Found"}, {"code", "not_found"}}));
  }
  // Authentication comes before anything else under /madre/power.
  auto token = request.headers.find("x-vx11-token");
  if (token == request.headers.end() || token->second.empty()) {
    return respond(JsonResponse(401, {{"detail", "auth_required: X-VX11-Token header missing"},
                                      {"code", "auth_required"}}));
  }
  if (!TokenMatches(options_.token, token->second)) {
    return respond(JsonResponse(403, {{"detail", "forbidden: invalid token"}, {"code", "forbidden"}}));
  }
  if (!ready_) {
    return respond(ErrorResponse(Status::Unavailable("madre is starting: reconciling with Docker")));
  }
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  auto not_allowed = [&] {
    HttpResponse r = JsonResponse(405, {{"detail", "method " + method + " not allowed on " + path},
                                        {"code", "method_not_allowed"}});
    respond(std::move(r));
  };
  const std::string rest = path.substr(std::string("/madre/power/").size());

  static const std::set<std::string> kWindowMutations = {"window/open", "window/close",
                                                         "windows/open", "windows/close",
                                                         "windows/hold", "windows/extend"};
  if (kWindowMutations.count(rest) && post && !options_.windows_enabled) {
    return respond(ErrorResponse(Status::Unavailable(
        "power windows are disabled on this madre (VX11_POWER_WINDOWS_ENABLED=0)")));
  }
  if (rest == "window/open" || rest == "windows/open") {
    if (!post) return not_allowed();
    return Open(request, rest == "window/open", std::move(respond));
  }
  if (rest == "window/close" || rest == "windows/close") {
    if (!post) return not_allowed();
    return Close(request, std::move(respond));
  }
  if (rest == "windows/hold") return post ? Hold(request, std::move(respond)) : not_allowed();
  if (rest == "windows/extend") return post ? Extend(request, std::move(respond)) : not_allowed();
  if (rest == "state") return get ? State(std::move(respond)) : not_allowed();
  if (rest == "status") return get ? Status(request, std::move(respond)) : not_allowed();
  if (rest == "services") return get ? Services(std::move(respond)) : not_allowed();
  if (rest == "audit") return get ? Audit(request, std::move(respond)) : not_allowed();
  if (rest == "events") return get ? Events(std::move(respond)) : not_allowed();
  if (rest == "windows/status") return get ? WindowsStatus(request, std::move(respond)) : not_allowed();
  if (rest == "policy/solo_madre/status") return get ? SoloMadreStatus(std::move(respond)) : not_allowed();
  if (rest == "policy/solo_madre/apply") {
    return post ? SoloMadreApply(request, std::move(respond)) : not_allowed();
  }
  if (StartsWith(rest, "windows/")) {
    const std::string id = rest.substr(std::string("windows/").size());
    if (!get) return not_allowed();
    if (!IsValidWindowId(id)) return respond(ErrorResponse(Status::NotFound("No window " + id)));
    return WindowGet(id, std::move(respond));
  }
  if (StartsWith(rest, "service/")) {
    const std::string tail = rest.substr(std::string("service/").size());
    const auto slash = tail.find('/');
    if (slash != std::string::npos) {
      const std::string name = tail.substr(0, slash);
      const std::string op = tail.substr(slash + 1);
      if (op == "start" || op == "stop" || op == "restart") {
        if (!post) return not_allowed();
        if (op == "start" && !options_.windows_enabled) {
          return respond(ErrorResponse(Status::Unavailable(
              "power windows are disabled on this madre (VX11_POWER_WINDOWS_ENABLED=0)")));
        }
        return ServiceOp(request, name, op, std::move(respond));
      }
    }
  }
  respond(JsonResponse(404, {{"detail", "Not Found"}, {"code", "not_found"}}));
}

void ApiRouter::Open(const HttpRequest& request, bool compatible, Responder respond) {
  const std::string actor = ClientOf(request);
  Result<OpenBody> body = ParseOpenBody(request.body);
  if (!body.ok()) {
    engine_.AuditRejected("window.open", actor, body.status());
    return respond(ErrorResponse(body.status()));
  }
  OpenRequest open;
  open.services = body->services;
  open.ttl_sec = body->ttl_sec;
  open.hold = body->hold || body->mode == "hold";
  open.reason = body->reason;
  open.actor = actor;
  open.skip_health = body->skip_health;
  // The compatible endpoint always answers with the result, like the original.
  const bool wait = compatible || body->wait;
  const Duration timeout = body->wait_timeout_sec ? Seconds(*body->wait_timeout_sec)
                                                  : options_.open_wait_timeout;
  auto go = [this, open = std::move(open), wait, timeout, respond]() mutable {
    engine_.Open(std::move(open), wait, timeout, [this, respond](Result<OpenOutcome> outcome) {
      if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
      json window = View(outcome->window, engine_.Now());
      if (outcome->window.state == WindowState::kFailed) {
        json body = window;
        body["detail"] = "every service failed to start; the window was rolled back";
        body["code"] = "exec_failed";
        return respond(JsonResponse(500, body));
      }
      respond(JsonResponse(
          outcome->finished || outcome->window.state != WindowState::kOpening ? 200 : 202, window));
    });
  };
  if (options_.throttle_cpu_pct <= 0 || options_.throttle_cpu_pct >= 100 || !options_.cpu_sampler) {
    return go();
  }
  Throttled(actor, 0, std::move(go), std::move(respond));
}

void ApiRouter::Throttled(const std::string& actor, int attempt, std::function<void()> go,
                          Responder respond) {
  // The host CPU is sampled on a worker (it takes a short while); the decision comes back here.
  const Duration backoff = attempt == 0 ? Duration::zero() : Seconds(1LL << (attempt - 1));
  workers_.Submit([this, actor, attempt, backoff, go = std::move(go), respond]() mutable {
    if (backoff > Duration::zero()) {
      if (options_.sleep) {
        options_.sleep(backoff);
      } else {
        std::this_thread::sleep_for(backoff);
      }
    }
    const double cpu = options_.cpu_sampler();
    loop_.Submit([this, actor, attempt, cpu, go = std::move(go), respond]() mutable {
      if (cpu <= options_.throttle_cpu_pct) return go();
      char text[160];
      std::snprintf(text, sizeof text, "host CPU %.0f%% is above %d%% (VX11_THROTTLE_CPU_PCT)", cpu,
                    options_.throttle_cpu_pct);
      if (options_.throttle_wait && attempt < 3) {
        spdlog::info("window open throttled ({}): retry {} of 3", text, attempt + 1);
        return Throttled(actor, attempt + 1, std::move(go), std::move(respond));
      }
      const madre::Status why = Status::Unavailable(std::string("throttled: ") + text + "; retry later");
      engine_.AuditRejected("window.open", actor, why);
      HttpResponse response = ErrorResponse(why);
      response.headers.clear();
      response.headers.emplace_back("Retry-After", "10");
      respond(std::move(response));
    });
  });
}

void ApiRouter::Close(const HttpRequest& request, Responder respond) {
  const std::string actor = ClientOf(request);
  Result<std::optional<std::string>> id = ParseWindowIdBody(request.body);
  if (!id.ok()) {
    engine_.AuditRejected("window.close", actor, id.status());
    return respond(ErrorResponse(id.status()));
  }
  engine_.Close(*id, actor, [this, respond](Result<Window> window) {
    if (!window.ok()) return respond(ErrorResponse(window.status()));
    respond(JsonResponse(200, View(*window, engine_.Now())));
  });
}

void ApiRouter::Hold(const HttpRequest& request, Responder respond) {
  const std::string actor = ClientOf(request);
  auto parsed = [&]() -> Result<std::pair<std::string, bool>> {
    ASSIGN_OR_RETURN(json object, ParseJsonObject(request.body, false));
    ASSIGN_OR_RETURN(std::string id, RequireWindowId(object));
    ASSIGN_OR_RETURN(bool hold, RequireBool(object, "hold"));
    return std::make_pair(id, hold);
  }();
  if (!parsed.ok()) {
    engine_.AuditRejected("window.hold", actor, parsed.status());
    return respond(ErrorResponse(parsed.status()));
  }
  engine_.Hold(parsed->first, parsed->second, actor, [this, respond](Result<Window> window) {
    if (!window.ok()) return respond(ErrorResponse(window.status()));
    respond(JsonResponse(200, View(*window, engine_.Now())));
  });
}

void ApiRouter::Extend(const HttpRequest& request, Responder respond) {
  const std::string actor = ClientOf(request);
  auto parsed = [&]() -> Result<std::pair<std::string, std::int64_t>> {
    ASSIGN_OR_RETURN(json object, ParseJsonObject(request.body, false));
    ASSIGN_OR_RETURN(std::string id, RequireWindowId(object));
    ASSIGN_OR_RETURN(std::int64_t ttl, RequireInt(object, "ttl_sec"));
    return std::make_pair(id, ttl);
  }();
  if (!parsed.ok()) {
    engine_.AuditRejected("window.extend", actor, parsed.status());
    return respond(ErrorResponse(parsed.status()));
  }
  engine_.Extend(parsed->first, parsed->second, actor, [this, respond](Result<Window> window) {
    if (!window.ok()) return respond(ErrorResponse(window.status()));
    respond(JsonResponse(200, View(*window, engine_.Now())));
  });
}

void ApiRouter::State(Responder respond) {
  const TimePoint now = engine_.Now();
  json windows = json::array();
  const Window* active = nullptr;
  std::set<std::string> active_services;
  for (const auto& [id, window] : engine_.planner().windows()) {
    windows.push_back(View(window, now));
    if (!window.Live()) continue;
    if (!active || window.created_at > active->created_at) active = &window;
    for (const auto& name : window.effective_services) active_services.insert(name);
  }
  // A closing window still holds services: the stack is back at SOLO_MADRE only when it closed.
  const bool windowed = !engine_.planner().windows().empty();
  json body = {{"policy", windowed ? "windowed" : "solo_madre"},
               {"window_id", nullptr},
               {"created_at", nullptr},
               {"deadline", nullptr},
               {"ttl_remaining_sec", nullptr},
               {"active_services", std::vector<std::string>(active_services.begin(), active_services.end())},
               {"windows", windows}};
  if (active) {
    json view = View(*active, now);
    for (const char* key : {"window_id", "created_at", "deadline", "ttl_remaining_sec"}) body[key] = view[key];
    body["state"] = view["state"];
    body["hold"] = view["hold"];
  }
  respond(JsonResponse(200, body));
}

void ApiRouter::WindowsStatus(const HttpRequest& request, Responder respond) {
  Result<int> limit = QueryInt(request, "limit", 20, 0, 1000);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  const TimePoint now = engine_.Now();
  json windows = json::array();
  json active = nullptr;
  TimePoint newest{};
  for (const auto& [id, window] : engine_.planner().windows()) {
    json view = View(window, now);
    if (window.Live() && (active.is_null() || window.created_at > newest)) {
      active = view;
      newest = window.created_at;
    }
    windows.push_back(std::move(view));
  }
  Result<std::vector<Window>> history = engine_.History(*limit);
  if (!history.ok()) return respond(ErrorResponse(history.status()));
  json past = json::array();
  for (const auto& window : *history) past.push_back(View(window, now));
  respond(JsonResponse(200, {{"active_window", active},
                             {"windows", windows},
                             {"history", past},
                             {"policy", windows.empty() ? "solo_madre" : "windowed"}}));
}

void ApiRouter::WindowGet(const std::string& id, Responder respond) {
  Result<std::optional<Window>> window = engine_.FindWindow(id);
  if (!window.ok()) return respond(ErrorResponse(window.status()));
  if (!window->has_value()) return respond(ErrorResponse(Status::NotFound("No window " + id)));
  respond(JsonResponse(200, View(**window, engine_.Now())));
}

void ApiRouter::Audit(const HttpRequest& request, Responder respond) {
  Result<int> limit = QueryInt(request, "limit", 100, 1, 10000);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  std::optional<std::int64_t> after;
  if (request.query.count("after")) {
    Result<int> parsed = QueryInt(request, "after", 0, 0, 2'000'000'000);
    if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
    after = *parsed;
  }
  Result<std::vector<AuditRecord>> records = engine_.Audit(*limit, after);
  if (!records.ok()) return respond(ErrorResponse(records.status()));
  json list = json::array();
  for (const auto& record : *records) list.push_back(AuditRecordToJson(record));
  respond(JsonResponse(200, {{"status", "ok"}, {"records", list}}));
}

void ApiRouter::Services(Responder respond) {
  const Planner& planner = engine_.planner();
  std::vector<std::string> allow(planner.config().allowlist.begin(), planner.config().allowlist.end());
  std::vector<std::string> always(planner.config().always_on.begin(), planner.config().always_on.end());
  std::vector<std::string> all;
  for (const auto& [name, def] : planner.model().services) all.push_back(name);
  respond(JsonResponse(200, {{"status", "ok"},
                             {"allowlist", allow},
                             {"always_on", always},
                             {"services", all},
                             {"source", "compose"}}));
}

void ApiRouter::WithContainers(std::function<void(Result<std::vector<ContainerState>>)> then) {
  // The engine's last observation is kept current by Docker events and the resync: use it.
  // Before the first one (right after start-up) ask Docker on a worker.
  if (engine_.planner().observed_once() && engine_.events_connected()) {
    return then(engine_.planner().observed());
  }
  workers_.Submit([this, then = std::move(then)]() mutable {
    Result<std::vector<ContainerState>> list = observer_.ListProject();
    loop_.Submit([then = std::move(then), list = std::move(list)]() mutable { then(std::move(list)); });
  });
}

std::map<std::string, ContainerStats> ApiRouter::SampleStats(const std::vector<ContainerState>& containers) {
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, ContainerStats> out;
  std::vector<std::pair<std::string, std::future<Result<ContainerStats>>>> pending;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const auto& c : containers) {
      if (c.state != "running" || c.id.empty()) continue;
      auto cached = stats_cache_.find(c.id);
      if (cached != stats_cache_.end() && now - cached->second.first < std::chrono::seconds(5)) {
        out[c.id] = cached->second.second;
        continue;
      }
      pending.emplace_back(c.id, std::async(std::launch::async, [this, id = c.id] { return observer_.Stats(id); }));
    }
  }
  for (auto& [id, future] : pending) {
    Result<ContainerStats> stats = future.get();
    if (!stats.ok()) continue;
    out[id] = *stats;
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_cache_[id] = {std::chrono::steady_clock::now(), *stats};
  }
  return out;
}

void ApiRouter::Status(const HttpRequest& request, Responder respond) {
  const bool with_stats = request.query.count("stats") && request.query.at("stats") == "1";
  std::optional<std::vector<ContainerState>> cached;
  if (engine_.planner().observed_once() && engine_.events_connected()) cached = engine_.planner().observed();
  workers_.Submit([this, with_stats, respond, cached = std::move(cached)]() mutable {
    Result<std::vector<ContainerState>> list =
        cached ? Result<std::vector<ContainerState>>(*cached) : observer_.ListProject();
    std::map<std::string, ContainerStats> stats;
    if (list.ok() && with_stats) stats = SampleStats(*list);
    loop_.Submit([this, respond, list = std::move(list), stats = std::move(stats)]() mutable {
      if (!list.ok()) {
        return respond(ErrorResponse(Status::Unavailable("cannot read containers: " + list.status().message())));
      }
      std::map<std::string, std::vector<std::string>> windows_of;
      for (const auto& [id, window] : engine_.planner().windows()) {
        if (!window.Live()) continue;
        for (const auto& name : window.effective_services) windows_of[name].push_back(id);
      }
      json services = json::array();
      std::set<std::string> seen;
      for (const auto& c : *list) {
        seen.insert(c.service);
        json entry = {{"service", c.service},
                      {"state", c.state},
                      {"health", c.health.empty() ? json(nullptr) : json(c.health)},
                      {"container", c.container},
                      {"restart_count", c.restart_count},
                      {"exit_code", c.exit_code ? json(*c.exit_code) : json(nullptr)},
                      {"always_on", options_.always_on.count(c.service) > 0},
                      {"window_ids", windows_of[c.service]}};
        if (auto s = stats.find(c.id); s != stats.end()) {
          entry["cpu_percent"] = s->second.cpu_percent;
          entry["memory_bytes"] = s->second.memory_bytes;
          entry["memory_limit_bytes"] = s->second.memory_limit_bytes;
        }
        services.push_back(std::move(entry));
      }
      for (const auto& [name, def] : engine_.planner().model().services) {
        if (seen.count(name)) continue;
        services.push_back({{"service", name},
                            {"state", "absent"},
                            {"health", nullptr},
                            {"container", nullptr},
                            {"restart_count", 0},
                            {"exit_code", nullptr},
                            {"always_on", options_.always_on.count(name) > 0},
                            {"window_ids", windows_of[name]}});
      }
      respond(JsonResponse(200, {{"status", "ok"}, {"services", services}}));
    });
  });
}

void ApiRouter::SoloMadreStatus(Responder respond) {
  WithContainers([this, respond](Result<std::vector<ContainerState>> list) {
    if (!list.ok()) {
      return respond(ErrorResponse(Status::Unavailable("cannot read containers: " + list.status().message())));
    }
    std::set<std::string> running;
    for (const auto& c : *list) {
      if (c.Running()) running.insert(c.service);
    }
    // An always-on name that is not a compose service (madre on the host) is this daemon.
    for (const auto& name : options_.always_on) {
      if (!engine_.planner().model().Has(name)) running.insert(name);
    }
    const std::set<std::string>& expected = options_.always_on;
    std::vector<std::string> extra, missing;
    std::set_difference(running.begin(), running.end(), expected.begin(), expected.end(),
                        std::back_inserter(extra));
    std::set_difference(expected.begin(), expected.end(), running.begin(), running.end(),
                        std::back_inserter(missing));
    respond(JsonResponse(200, {{"status", "ok"},
                               {"policy_active", extra.empty() && missing.empty()},
                               {"running_services", std::vector<std::string>(running.begin(), running.end())},
                               {"expected_services", std::vector<std::string>(expected.begin(), expected.end())},
                               {"unexpected_services", extra},
                               {"missing_services", missing}}));
  });
}

void ApiRouter::SoloMadreApply(const HttpRequest& request, Responder respond) {
  engine_.ApplySoloMadre(ClientOf(request), [respond](Result<SoloMadreOutcome> outcome) {
    if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
    respond(JsonResponse(outcome->exec_status == "fail" ? 500 : 200,
                         {{"policy", "solo_madre"},
                          {"services_stopped", outcome->services_stopped},
                          {"windows_closed", outcome->windows_closed},
                          {"state", "applied"},
                          {"exec_status", outcome->exec_status},
                          {"exec_details", outcome->exec_details}}));
  });
}

void ApiRouter::Events(Responder respond) {
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = [this](StreamWriter writer) {
    // Runs on the io thread, which is the engine thread: the state can be read here.
    if (!writer(": madre events\n\n")) return;
    const TimePoint now = engine_.Now();
    for (const auto& [id, window] : engine_.planner().windows()) {
      if (!writer("event: window\ndata: " + Dump(View(window, now)) + "\n\n")) return;
    }
    subscribers_.push_back(std::move(writer));
  };
  respond(std::move(response));
}

void ApiRouter::Broadcast(const std::string& event, const std::string& data) {
  const std::string chunk = "event: " + event + "\ndata: " + data + "\n\n";
  std::erase_if(subscribers_, [&](StreamWriter& writer) { return !writer(chunk); });
}

void ApiRouter::PublishWindow(const Window& window) {
  if (subscribers_.empty()) return;
  Broadcast("window", Dump(View(window, engine_.Now())));
}

void ApiRouter::PublishDockerEvent(const DockerEvent& event) {
  if (subscribers_.empty()) return;
  Broadcast("container", Dump(json{{"action", event.action},
                                   {"service", event.service},
                                   {"container", event.container_name},
                                   {"exit_code", event.exit_code ? json(*event.exit_code) : json(nullptr)},
                                   {"health", event.health.empty() ? json(nullptr) : json(event.health)},
                                   {"time", FormatRfc3339(event.time)}}));
}

void ApiRouter::MetricsText(Responder respond) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4";
  if (!options_.metrics) {
    response.body = "# metrics are not enabled\n";
    return respond(std::move(response));
  }
  Metrics& m = *options_.metrics;
  m.Set(kMetricWindowsOpen, {}, static_cast<double>(engine_.planner().windows().size()));
  if (auto cpu = cli::ReadCpuTimes(options_.proc_root); cpu.ok()) {
    if (last_cpu_ && cpu->total > last_cpu_->first) {
      const double total = static_cast<double>(cpu->total - last_cpu_->first);
      const double idle = static_cast<double>(cpu->idle - last_cpu_->second);
      const double iowait = static_cast<double>(cpu->iowait - last_iowait_.value_or(cpu->iowait));
      m.Set(kMetricHostCpu, {}, 100.0 * (total - idle - iowait) / total);
      m.Set(kMetricHostIowait, {}, 100.0 * iowait / total);
    }
    last_cpu_ = std::make_pair(cpu->total, cpu->idle);
    last_iowait_ = cpu->iowait;
  }
  if (auto mem = cli::ReadMeminfo(options_.proc_root); mem.ok()) {
    m.Set(kMetricHostMemory, {{"kind", "total"}}, static_cast<double>(mem->total_bytes));
    m.Set(kMetricHostMemory, {{"kind", "available"}}, static_cast<double>(mem->available_bytes));
    m.Set(kMetricHostMemory, {{"kind", "used"}}, static_cast<double>(mem->used_bytes()));
  }
  if (auto load = cli::ReadLoadavg(options_.proc_root); load.ok()) {
    m.Set(kMetricHostLoad, {{"period", "1m"}}, (*load)[0]);
    m.Set(kMetricHostLoad, {{"period", "5m"}}, (*load)[1]);
    m.Set(kMetricHostLoad, {{"period", "15m"}}, (*load)[2]);
  }
  // Per-container CPU and memory: sampled on a worker (about a second, cached 5 s), then rendered.
  std::vector<ContainerState> containers;
  if (engine_.planner().observed_once()) containers = engine_.planner().observed();
  workers_.Submit([this, containers = std::move(containers), response = std::move(response),
                   respond]() mutable {
    Metrics& m = *options_.metrics;
    const std::map<std::string, ContainerStats> stats = SampleStats(containers);
    m.Clear(kMetricContainerCpu);
    m.Clear(kMetricContainerMemory);
    for (const auto& c : containers) {
      auto s = stats.find(c.id);
      if (s == stats.end()) continue;
      const MetricLabels labels = {{"service", c.service}, {"container", c.container}};
      m.Set(kMetricContainerCpu, labels, s->second.cpu_percent);
      m.Set(kMetricContainerMemory, labels, static_cast<double>(s->second.memory_bytes));
    }
    response.body = m.RenderText();
    respond(std::move(response));
  });
}

void ApiRouter::ServiceOp(const HttpRequest& request, const std::string& name, const std::string& op,
                          Responder respond) {
  const std::string actor = ClientOf(request);
  if (!IsValidServiceName(name) || !engine_.planner().model().Has(name)) {
    const madre::Status why = Status::NotFound("no compose service named \"" + name + "\"");
    engine_.AuditRejected("service." + op, actor, why);
    return respond(ErrorResponse(why));
  }
  auto done = [this, respond](Result<ServiceOpOutcome> outcome) {
    if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
    json body = {{"status", outcome->ok ? "ok" : "error"},
                 {"service", outcome->service},
                 {"action", outcome->action},
                 {"windows_closed", outcome->windows_closed},
                 {"error", outcome->error.empty() ? json(nullptr) : json(outcome->error)}};
    if (outcome->window) {
      body["window_id"] = outcome->window->id;
      body["window"] = View(*outcome->window, engine_.Now());
    }
    respond(JsonResponse(outcome->ok ? 200 : 500, body));
  };
  if (op == "start") return engine_.ServiceStart(name, actor, std::move(done));
  if (op == "stop") return engine_.ServiceStop(name, actor, std::move(done));
  engine_.ServiceRestart(name, actor, std::move(done));
}

}  // namespace madre
