#include "daemon/serve.h"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <sstream>
#include <stop_token>
#include <thread>

#include "adapters/compose/build_files.h"
#include "adapters/compose/compose_cli_runner.h"
#include "adapters/compose/compose_image_builder.h"
#include "adapters/compose/compose_ps_observer.h"
#include "adapters/docker/docker_engine_client.h"
#include "adapters/docker/docker_events.h"
#include "adapters/exec/deadline_timer.h"
#include "adapters/exec/event_wakeup.h"
#include "adapters/exec/interruptible_sleep.h"
#include "adapters/exec/thread_pool_executor.h"
#include "adapters/host/host_cpu_meter.h"
#include "adapters/host/host_metrics.h"
#include "adapters/http/http_server.h"
#include "adapters/probe/loopback_probe.h"
#include "adapters/process/child_env.h"
#include "adapters/process/posix_process_runner.h"
#include "adapters/sqlite/private_files.h"
#include "adapters/sqlite/retention.h"
#include "adapters/sqlite/sqlite_audit_log.h"
#include "adapters/sqlite/sqlite_build_store.h"
#include "adapters/sqlite/sqlite_cpu_quota_store.h"
#include "adapters/sqlite/sqlite_db.h"
#include "adapters/sqlite/sqlite_intent_store.h"
#include "adapters/sqlite/sqlite_window_store.h"
#include "adapters/swarm/swarm_client.h"
#include "adapters/swarm/swarm_runner.h"
#include "adapters/systemd/sd_notify.h"
#include "core/host_check.h"
#include "core/policy_view.h"
#include "core/self_container.h"
#include "daemon/adviser_config.h"
#include "daemon/config.h"
#include "daemon/intent_policy_file.h"
#include "daemon/legacy_upstream.h"
#include "daemon/print_config.h"
#include "daemon/serve_config.h"
#include "daemon/webhooks.h"
#include "engine/build_runner.h"
#include "engine/cpu_quotas.h"
#include "engine/engine.h"
#include "engine/engine_metrics.h"
#include "engine/self_guard.h"
#include "http_api/router.h"

#ifndef MADRE_VERSION
#define MADRE_VERSION "dev"
#endif

namespace madre {

namespace {

// Executor that runs jobs on the HTTP server's io thread, which is the engine thread.
class ServerLoopExecutor final : public Executor {
 public:
  void Attach(HttpServer* server) { server_.store(server); }
  void Submit(std::function<void()> job) override {
    if (HttpServer* server = server_.load()) server->Post(std::move(job));
  }
  // Runs `job` on the engine thread after `delay`, on a timer of the server (no thread waits).
  void PostAfter(Duration delay, std::function<void()> job) {
    if (HttpServer* server = server_.load()) server->PostAfter(delay, std::move(job));
  }

 private:
  std::atomic<HttpServer*> server_{nullptr};
};

// Runs `fn` when it goes out of scope (on every return path).
class AtScopeExit {
 public:
  explicit AtScopeExit(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~AtScopeExit() { fn_(); }
  AtScopeExit(const AtScopeExit&) = delete;
  AtScopeExit& operator=(const AtScopeExit&) = delete;

 private:
  std::function<void()> fn_;
};

std::string NewUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

spdlog::level::level_enum LevelOf(const std::string& text) {
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "TRACE") return spdlog::level::trace;
  if (upper == "DEBUG") return spdlog::level::debug;
  if (upper == "WARNING" || upper == "WARN") return spdlog::level::warn;
  if (upper == "ERROR") return spdlog::level::err;
  if (upper == "CRITICAL") return spdlog::level::critical;
  if (upper == "OFF") return spdlog::level::off;
  return spdlog::level::info;
}

// Signals are taken by sigwait on the main thread only: blocked before any thread starts.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signals;
}

void SetUpLogging() {
  auto logger = spdlog::stderr_color_mt("madre");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
}

// The Engine API when DOCKER_HOST is a unix socket (also the fast path `control`), else
// `compose ps`.
struct Observers {
  std::unique_ptr<ContainerObserver> observer;
  ContainerControl* control = nullptr;
  DockerEngineClient* engine_api = nullptr;  // also madre's own runs of healthchecks
};

// VX11_PROVIDER=swarm (docs/providers.md): the stack's services through the Engine API. The
// runner is both the engine's ComposeRunner and its observer; `compose` (the CLI) still reads
// the model from the stack file.
struct SwarmProvider {
  SystemClock clock;
  std::unique_ptr<SwarmClient> client;
  std::unique_ptr<SwarmRunner> runner;
};

std::unique_ptr<SwarmProvider> BuildSwarmProvider(const DaemonConfig& config,
                                                  ComposeRunner& compose) {
  auto provider = std::make_unique<SwarmProvider>();
  auto api = std::make_shared<DockerApi>(config.docker_host, Seconds(config.timeout_sec));
  provider->client = std::make_unique<SwarmClient>(
      config.compose_project, DockerApiTransport(std::move(api), Seconds(config.timeout_sec)));
  provider->runner = std::make_unique<SwarmRunner>(*provider->client, compose, provider->clock);
  return provider;
}

// Forwards to an observer owned elsewhere (the swarm runner).
class ForwardingObserver final : public ContainerObserver {
 public:
  explicit ForwardingObserver(ContainerObserver& inner) : inner_(inner) {}
  Result<std::vector<ContainerState>> ListProject() override { return inner_.ListProject(); }
  Result<std::string> Logs(const std::string& id, int tail) override {
    return inner_.Logs(id, tail);
  }
  Result<FailureEvidence> Evidence(const std::string& id, int tail) override {
    return inner_.Evidence(id, tail);
  }
  Result<ContainerStats> Stats(const std::string& id) override { return inner_.Stats(id); }

 private:
  ContainerObserver& inner_;
};

Observers BuildObservers(const DaemonConfig& config, ComposeRunner& compose, SwarmProvider* swarm) {
  Observers out;
  if (swarm != nullptr) {
    // No ContainerControl (everything through the runner), no exec'd healthchecks, no images.
    out.observer = std::make_unique<ForwardingObserver>(*swarm->runner);
  } else if (config.docker_host.rfind("unix://", 0) == 0) {
    DockerEngineOptions options;
    options.docker_host = config.docker_host;
    options.project = config.compose_project;
    options.timeout = Seconds(config.timeout_sec);
    auto client = std::make_unique<DockerEngineClient>(options);
    out.control = client.get();
    out.engine_api = client.get();
    out.observer = std::move(client);
  } else {
    spdlog::warn("DOCKER_HOST {} is not a unix socket: observing through compose ps",
                 config.docker_host);
    out.observer = std::make_unique<ComposePsObserver>(compose);
  }
  return out;
}

std::string ReadProcFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// madre as a service of the stack it manages (deploy/compose.madre.yml): its own container,
// kept out of every action (engine/self_guard.h). nullopt outside a container, or in one that
// is not the project's; an error when the project cannot be listed (madre would not know what
// not to touch).
Result<std::optional<SelfContainerRef>> FindOwnContainer(const DaemonConfig& config,
                                                         ContainerObserver& observer) {
  const std::optional<std::string> id =
      SelfContainerId(ReadProcFile("/proc/self/mountinfo"), ReadProcFile("/proc/self/cgroup"));
  if (!id) return std::optional<SelfContainerRef>();
  Result<std::vector<ContainerState>> observed = observer.ListProject();
  if (!observed.ok()) {
    return Status::Unavailable(
        "madre runs in container " + id->substr(0, 12) + " and cannot list project " +
        config.compose_project +
        " to tell whether it is one of its services: " + observed.status().message());
  }
  const std::optional<ContainerState> own = FindSelfContainer(*id, *observed);
  if (!own) {
    spdlog::info("madre runs in container {}, which is not one of project {}'s", id->substr(0, 12),
                 config.compose_project);
    return std::optional<SelfContainerRef>();
  }
  spdlog::info(
      "madre runs in container {} of service {}: the service counts as always-on and madre never "
      "starts, stops, restarts or recreates it",
      id->substr(0, 12), own->service);
  return std::optional<SelfContainerRef>(SelfContainerRef{*id, own->service});
}

PlannerConfig BuildPlannerConfig(const DaemonConfig& config, const ServiceModel& model) {
  PlannerConfig planner_config;
  planner_config.always_on = config.EffectiveAlwaysOn();
  planner_config.max_concurrent = config.max_concurrent;
  planner_config.autofix_holds = !config.autofix_auto_actions.empty();
  planner_config.resync_interval = Seconds(config.resync_sec);
  planner_config.external_start =
      ParseExternalStart(config.external_start).value_or(ExternalStart::kAdopt);
  planner_config.external_start_ttl_sec = config.external_start_ttl_sec;
  std::set<std::string> services;
  for (const auto& [name, def] : model.services) services.insert(name);
  for (const auto& name : config.allowlist.value_or(std::set<std::string>{})) {
    if (!model.Has(name))
      spdlog::warn("VX11_ALLOWLIST names {}, which is not a compose service", name);
  }
  planner_config.allowlist = config.EffectiveAllowlist(services);
  for (const auto& [shared, dependents] :
       SharedDependencies(model, planner_config.always_on, planner_config.allowlist)) {
    spdlog::warn(
        "service {} is needed by {}: a window of any of them starts it and its close stops it "
        "while the others may still use it; keep it up with VX11_ALWAYS_ON{}",
        shared, fmt::format("{}", fmt::join(dependents, ", ")),
        shared == "tentaculo_link" ? " or VX11_POWER_WINDOWS_CORE_MODE=1" : "");
  }
  return planner_config;
}

EngineOptions BuildEngineOptions(const DaemonConfig& config, Metrics& metrics,
                                 ContainerControl* control, DockerEngineClient* engine_api) {
  EngineOptions options;
  options.metrics = &metrics;
  options.control = control;
  options.exec = engine_api;
  options.images = engine_api;
  options.pause_on_stop = config.stop_strategy == "pause";
  options.cpu_idle_on_stop = config.stop_strategy == "cpu_idle";
  if (config.service_hold_ttl_sec > 0) options.service_hold_ttl_sec = config.service_hold_ttl_sec;
  options.readiness.default_timeout = Seconds(config.health_timeout_sec);
  options.crashloop_action =
      config.crashloop_action == "stop" ? CrashLoopAction::kStop : CrashLoopAction::kReport;
  return options;
}

RouterOptions BuildRouterOptions(const DaemonConfig& config, const PlannerConfig& planner_config,
                                 Metrics& metrics, IntentPolicy intent_policy) {
  RouterOptions options;
  options.token = config.token;
  options.tokens = config.tokens;
  options.tokens_file_configured = config.tokens_file.has_value();
  options.windows_enabled = config.windows_enabled;
  options.version = MADRE_VERSION;
  options.always_on = planner_config.always_on;
  options.metrics = &metrics;
  options.metrics_public = config.metrics_public;
  options.stop_strategy = config.stop_strategy;
  options.throttle.cpu_pct = config.throttle_cpu_pct;
  options.throttle.wait = config.throttle_mode == "wait";
  options.open_wait_timeout = Seconds(std::max(60, config.timeout_sec * 4));
  options.compat_open_wait = Seconds(config.compat_open_wait_sec);
  if (config.legacy_forward_prefixes) options.legacy_prefixes = *config.legacy_forward_prefixes;
  options.legacy = LegacyForwardOptionsOf(config);
  options.intents.open_sources = config.intent_open_sources;
  // The token-less routes (/ui/, /health, ...) answer these Host names with madre's port.
  options.hosts = MakeHostAllowlist(config.bind, config.port, config.ui_hosts);
  options.intents.policy = std::move(intent_policy);
  options.intents.pending_ttl = Seconds(config.intent_pending_ttl_sec);
  options.intents.manifestator_emit_intent = config.manifestator_emit_intent_enabled;
  // Without a tokens file the one token, the admin "default", submits and approves: it may
  // approve its own intents (audited as self_approved). With one, nobody approves their own.
  options.intents.allow_self_approval = !config.tokens_file.has_value();
  options.intents.max_ttl_sec = planner_config.max_ttl_sec;
  // Approved intents are admitted while the host is under the open throttle's threshold.
  options.intent_runner.cpu_threshold_pct = config.throttle_cpu_pct;
  options.intent_runner.open_wait = options.open_wait_timeout;
  // VX11_INEE_ENABLED: the policy's [sources.NAME] quotas apply at admission; a source's CPU
  // share is of the host's cores (container stats count 100 per busy core).
  options.intent_runner.per_source = config.inee_enabled;
  options.intent_runner.host_cpus =
      static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  return options;
}

// The host figures of a /metrics scrape: CPU from the shared meter, the rest from /proc.
HostFigures ReadHostFigures(HostCpuMeter& meter) {
  HostFigures figures;
  if (std::optional<host::CpuUsage> cpu = meter.Recent()) {
    figures.cpu_percent = cpu->cpu_percent;
    figures.iowait_percent = cpu->iowait_percent;
  }
  if (auto mem = host::ReadMeminfo("/proc"); mem.ok()) {
    figures.memory_total_bytes = mem->total_bytes;
    figures.memory_available_bytes = mem->available_bytes;
  }
  if (auto load = host::ReadLoadavg("/proc"); load.ok()) figures.load = *load;
  return figures;
}

// Container events: a die counts towards crash loops; any event refreshes the observed state.
std::unique_ptr<DockerEventStream> StartDockerEvents(const DaemonConfig& config, Executor& loop,
                                                     Engine& engine) {
  if (!FollowsContainerEvents(config)) return nullptr;
  DockerEventStreamOptions options;
  options.docker_host = config.docker_host;
  options.project = config.compose_project;
  options.swarm_stack = config.provider == "swarm";
  auto events = std::make_unique<DockerEventStream>(options);
  events->Start(
      [&loop, &engine](DockerEvent event) {
        loop.Submit([&engine, event = std::move(event)] { engine.OnDockerEvent(event); });
      },
      [&loop, &engine](bool connected, std::string detail) {
        if (!connected) spdlog::warn("docker events: {}", detail);
        loop.Submit([&engine, connected] { engine.OnEventsConnected(connected); });
      });
  return events;
}

// Runs engine.Start() on the engine thread and waits for it; the router is ready after it.
Status StartEngine(ServerLoopExecutor& loop, Engine& engine, ApiRouter& router) {
  std::promise<Status> started;
  loop.Submit([&] {
    Status status = engine.Start();
    if (status.ok()) router.SetReady();
    started.set_value(status);
  });
  return started.get_future().get();
}

int Serve(const ServeFlags& flags) {
  // Everything madre creates (state dir, madre.db and its -wal/-shm, audit files) is owner-only.
  UsePrivateUmask();
  sigset_t signals = BlockStopSignals();
  SetUpLogging();
  // systemd's Type=notify (deploy/madre.service): read before any thread starts, and taken out
  // of the environment so that no child (compose) inherits them.
  const std::optional<std::string> notify_socket = ProcessEnv()("NOTIFY_SOCKET");
  const std::optional<std::string> watchdog_usec = ProcessEnv()("WATCHDOG_USEC");
  const std::optional<std::string> watchdog_pid = ProcessEnv()("WATCHDOG_PID");
  for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(name);

  DaemonConfig config;
  if (Status status = BuildConfig(flags, ProcessEnv(), config); !status.ok()) {
    spdlog::error("{}", status.message());
    return 2;
  }
  spdlog::set_level(LevelOf(config.log_level));
  for (const std::string& name :
       UnreadSettings(ProcessEnvironment(),
                      ComposeReferencedNames(config.compose_dir, config.compose_files))) {
    spdlog::warn(
        "{} is set but madre does not read it (a typo, or a setting of the original "
        "system that madre has no use for); `madre serve --help` lists the settings",
        name);
  }
  // --check creates nothing: no token file, no state dir, no database.
  if (Status status = flags.check ? Status::Ok() : ResolveToken(ProcessEnv(), config);
      !status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }
  if (Status status = CheckDefaultTokenIsNotNamed(config); !status.ok()) {
    spdlog::error("{}", status.message());
    return 2;
  }
  if (config.tokens_file) {
    spdlog::info("{} named token(s) from {}", config.tokens.size(), config.tokens_file->string());
  }
  if (Status status = CheckProviderSettings(config); !status.ok()) {
    spdlog::error("{}", status.message());
    return 2;
  }
  if (Status status = CheckStopStrategy(config); !status.ok()) {
    spdlog::error("{}", status.message());
    return 2;
  }
  IntentPolicy intent_policy;  // the default: every intent needs approval
  if (config.intent_policy_file) {
    Result<IntentPolicy> loaded = LoadIntentPolicy(*config.intent_policy_file);
    if (!loaded.ok()) {
      spdlog::error("VX11_INTENT_POLICY_FILE: {}", loaded.status().message());
      return 2;
    }
    intent_policy = std::move(*loaded);
    spdlog::info("intent policy: {} rule(s), {} source quota(s) from {}",
                 intent_policy.rules.size(), intent_policy.sources.size(),
                 config.intent_policy_file->string());
    if (!intent_policy.sources.empty() && !config.inee_enabled) {
      spdlog::warn(
          "intent policy: its [sources.NAME] quotas are not applied: "
          "VX11_INEE_ENABLED is not 1");
    }
  }
  spdlog::info("madre {} starting: project {}, compose dir {}, token from {}", MADRE_VERSION,
               config.compose_project, config.compose_dir.string(), config.token_source);
  std::vector<std::string> warnings = ConfigWarnings(config);
  for (const std::string& warning : warnings) spdlog::warn("{}", warning);
  if (flags.check) {
    // Only what start-up reads before it opens the state: the compose model and the rules.
  } else if (auto tightened = RestrictStateFiles(config.state_dir, config.AuditDir());
             !tightened.ok()) {
    spdlog::error("{}", tightened.status().message());
    return 1;
  } else {
    for (const auto& path : *tightened) {
      spdlog::info("{} was readable by others: now owner-only", path.string());
    }
  }

  // Children lose *TOKEN*/*KEY*/*SECRET* variables, except those the compose files reference.
  PosixProcessRunner processes(Millis(500),
                               ComposeEnvPolicy(config.compose_dir, config.compose_files));
  Result<ComposeTarget> target = DetectCompose(processes, config.compose_cmd);
  if (!target.ok()) {
    spdlog::error("{}", target.status().message());
    return 1;
  }
  target->project = config.compose_project;
  target->files = config.compose_files;
  target->working_dir = config.compose_dir;
  spdlog::info("compose: {} -p {} ({} file(s))", JoinArgv(target->command), target->project,
               target->files.size());
  ComposeCliRunner compose(*target, processes, Seconds(config.timeout_sec));
  Result<ServiceModel> model = compose.Config();
  if (!model.ok()) {
    spdlog::error("cannot read the compose model: {}", model.status().message());
    return 1;
  }
  for (std::string& warning : ProviderModelWarnings(config, *model)) {
    spdlog::warn("{}", warning);
    warnings.push_back(std::move(warning));
  }
  if (flags.check) {
    const PlannerConfig checked = BuildPlannerConfig(config, *model);  // logs its warnings
    const std::size_t shared =
        SharedDependencies(*model, checked.always_on, checked.allowlist).size();
    std::printf(
        "madre serve --check: the settings and the compose model are valid\n"
        "  compose:   %s -p %s, %zu service(s)\n"
        "  always-on: %s\n"
        "  allowlist: %s\n"
        "  intents:   %zu policy rule(s)%s, %zu source quota(s) (%s)\n"
        "  warnings:  %zu (logged above)\n",
        JoinArgv(target->command).c_str(), target->project.c_str(), model->services.size(),
        fmt::format("{}", fmt::join(checked.always_on, ", ")).c_str(),
        fmt::format("{}", fmt::join(checked.allowlist, ", ")).c_str(), intent_policy.rules.size(),
        intent_policy.rules.empty() ? " (every intent needs approval)" : "",
        intent_policy.sources.size(),
        config.inee_enabled ? "applied: VX11_INEE_ENABLED=1" : "not applied: VX11_INEE_ENABLED=0",
        warnings.size() + shared);
    return 0;
  }
  Result<SdNotifier> notifier = SdNotifier::Open(notify_socket.value_or(""));
  if (!notifier.ok()) {
    spdlog::error("{}", notifier.status().message());
    return 2;
  }
  Result<std::optional<Duration>> watchdog =
      WatchdogInterval(watchdog_usec, watchdog_pid, static_cast<long>(::getpid()));
  if (!watchdog.ok()) {
    spdlog::error("{}", watchdog.status().message());
    return 2;
  }
  std::unique_ptr<SwarmProvider> swarm;
  if (config.provider == "swarm") {
    swarm = BuildSwarmProvider(config, compose);
    spdlog::info("provider: swarm, stack {} (docs/providers.md)", config.compose_project);
  }
  Observers observers = BuildObservers(config, compose, swarm.get());
  // madre in a container of this project: its service is always-on, and the runner and the
  // control refuse to act on it. (On Swarm madre's task is not a container of the listing.)
  std::optional<SelfContainerRef> self;
  if (!swarm) {
    Result<std::optional<SelfContainerRef>> found = FindOwnContainer(config, *observers.observer);
    if (!found.ok()) {
      spdlog::error("{}", found.status().message());
      return 1;
    }
    self = *found;
  }
  std::unique_ptr<SelfGuardedCompose> guarded_compose;
  std::unique_ptr<SelfGuardedControl> guarded_control;
  if (self) {
    guarded_compose = std::make_unique<SelfGuardedCompose>(compose, *self);
    if (observers.control != nullptr) {
      guarded_control = std::make_unique<SelfGuardedControl>(*observers.control, *self);
      observers.control = guarded_control.get();
    }
  }
  // What the engine starts and stops services through.
  ComposeRunner& runner = swarm             ? static_cast<ComposeRunner&>(*swarm->runner)
                          : guarded_compose ? static_cast<ComposeRunner&>(*guarded_compose)
                                            : compose;
  PlannerConfig planner_config = BuildPlannerConfig(config, *model);
  planner_config.cpu_limits = observers.control != nullptr;
  if (self) {
    planner_config.always_on.insert(self->service);
    planner_config.self_service = self->service;
    planner_config.allowlist.erase(self->service);
  }

  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(config.state_dir / "madre.db");
  if (!db.ok()) {
    spdlog::error("cannot open the database: {}", db.status().message());
    return 1;
  }
  SqliteWindowStore store(**db);
  SqliteIntentStore intents(**db);
  SqliteBuildStore builds(**db);
  // CPU limits (windows' cpu_limit, vx11.cpu.limit, cpu_idle): through the Engine API only. The
  // changes run on the workers, so their store has a connection of its own (WAL: both see the
  // same database).
  std::unique_ptr<SqliteDb> cpu_db;
  std::unique_ptr<SqliteCpuQuotaStore> cpu_store;
  std::unique_ptr<CpuQuotas> cpu_quotas;
  std::unique_ptr<IdleAwareObserver> idle_observer;
  if (observers.control != nullptr) {
    Result<std::unique_ptr<SqliteDb>> opened = OpenSqliteDb(config.state_dir / "madre.db");
    if (!opened.ok()) {
      spdlog::error("cannot open the database for CPU quotas: {}", opened.status().message());
      return 1;
    }
    cpu_db = std::move(*opened);
    cpu_store = std::make_unique<SqliteCpuQuotaStore>(*cpu_db);
    cpu_quotas = std::make_unique<CpuQuotas>(*observers.control, *cpu_store);
    idle_observer = std::make_unique<IdleAwareObserver>(*observers.observer, *cpu_quotas);
  } else if (config.stop_strategy == "cpu_idle") {
    spdlog::error("VX11_STOP_STRATEGY=cpu_idle needs the Engine API (a unix:// DOCKER_HOST)");
    return 2;
  }
  // What the engine and the HTTP API observe: idled containers shown dormant.
  ContainerObserver& observer =
      idle_observer ? static_cast<ContainerObserver&>(*idle_observer) : *observers.observer;
  Result<std::optional<std::string>> audit_key = ReadAuditHmacKey(config);
  if (!audit_key.ok()) {
    spdlog::error("{}", audit_key.status().message());
    return 2;
  }
  AuditLogOptions audit_options;
  audit_options.hmac_key = *audit_key;
  Result<std::unique_ptr<SqliteAuditLog>> audit =
      OpenSqliteAuditLog(**db, config.AuditDir(), audit_options);
  if (!audit.ok()) {
    spdlog::error("cannot open the audit log: {}", audit.status().message());
    return 1;
  }
  if (!(*audit)->file_tail_problem().empty()) {
    spdlog::warn("audit files: {} (run madre verify-audit)", (*audit)->file_tail_problem());
  }

  SystemClock clock;
  // Retention runs here, at start, and then once a day on the engine thread (below).
  const RetentionPolicy retention{config.audit_retention_days,
                                  config.window_history_retention_days};
  auto apply_retention = [&retention, &store, &audit, &clock] {
    if (auto pruned = ApplyRetention(retention, store, **audit, clock.Now()); !pruned.ok()) {
      spdlog::warn("retention: {}", pruned.status().message());
    } else if (pruned->audit.pruned_to_seq > 0 || pruned->windows_removed > 0) {
      spdlog::info("retention: audit pruned up to seq {} ({} files), {} old windows deleted",
                   pruned->audit.pruned_to_seq, pruned->audit.files_removed,
                   pruned->windows_removed);
    }
  };
  apply_retention();
  // Requested at shutdown: readiness waits (and their sleeps) on the workers give up.
  std::stop_source shutdown;
  // Docker's container events wake the readiness waits (a health_status event ends a wait on a
  // healthcheck at once). Declared before the lanes: their jobs wait on it.
  EventWakeup event_wakeup;
  // Three lanes, so that nothing slow delays a TTL stop: starts with their readiness waits;
  // stops, observations and crash-loop logs; the HTTP API's own Docker reads (GET /status,
  // solo_madre status, /metrics stats).
  const auto log_job_error = [](const std::string& what) { spdlog::error("{}", what); };
  ThreadPoolExecutor workers(4, "madre-start", log_job_error);
  ThreadPoolExecutor stop_lane(2, "madre-stop", log_job_error);
  ThreadPoolExecutor http_jobs(2, "madre-http", log_job_error);
  // Forwards to the original madre (VX11_LEGACY_MADRE_URL) block a thread each for up to
  // their timeout: a lane of their own, one thread per forward allowed in flight, so that a
  // slow upstream delays nothing else.
  const LegacyForwardOptions legacy_options = LegacyForwardOptionsOf(config);
  std::unique_ptr<LegacyUpstream> legacy_upstream;
  std::unique_ptr<ThreadPoolExecutor> legacy_lane;
  LegacyTransport legacy_transport;
  if (config.legacy_madre_url) {
    legacy_upstream = std::make_unique<LegacyUpstream>(
        *config.legacy_madre_url, legacy_options.timeout, legacy_options.max_body_bytes);
    legacy_lane = std::make_unique<ThreadPoolExecutor>(legacy_options.max_in_flight, "madre-legacy",
                                                       log_job_error);
    legacy_transport = [upstream = legacy_upstream.get()](const LegacyCall& call) {
      return upstream->Call(call);
    };
    spdlog::info(
        "forwarding {} to the original madre at {}",
        fmt::format(
            "{}", fmt::join(config.legacy_forward_prefixes.value_or(DefaultLegacyForwardPrefixes()),
                            ",")),
        legacy_options.url);
  }
  ServerLoopExecutor loop;
  LoopbackProbe probe;
  EngineDeps deps{
      clock,    runner,
      observer, store,
      **audit,  workers,
      loop,     NewUuid,
      probe,    [stop = shutdown.get_token()](Duration d) { SleepUnlessStopped(d, stop); }};
  deps.stop = shutdown.get_token();
  deps.stop_lane = &stop_lane;
  if (config.provider != "swarm") {
    // On Swarm the events of tasks on other nodes never come: readiness waits poll every
    // 250 ms instead of waiting for an event or the 2 s fallback.
    deps.event_generation = [&event_wakeup] { return event_wakeup.generation(); };
    deps.wait_event = [&event_wakeup, stop = shutdown.get_token()](std::uint64_t seen,
                                                                   Duration max) {
      event_wakeup.WaitPast(seen, max, stop);
    };
  }
  Metrics metrics;
  DeclareMadreMetrics(metrics);
  metrics.Set(kMetricStopStrategy, {{"strategy", config.stop_strategy}}, 1);
  // Webhooks (docs/webhooks.md): a thread of their own, reading the audit log's new records
  // from the database; stopped at SIGTERM with what is undelivered kept there.
  Result<std::unique_ptr<WebhookWorker>> webhooks = StartWebhookWorker(config, metrics, clock);
  if (!webhooks.ok()) {
    spdlog::error("webhooks: {}", webhooks.status().message());
    return 1;
  }
  if (observers.engine_api != nullptr) {
    metrics.SetCallback(kMetricHealthExecAbandoned, [client = observers.engine_api] {
      return std::vector<std::pair<MetricLabels, double>>{
          {{}, static_cast<double>(client->abandoned_checks())}};
    });
  }
  // Builds a previous run left `running` (stopped during a build): finished from the image ids.
  if (observers.engine_api != nullptr) {
    Result<int> settled =
        ReconcileUnfinishedBuilds(builds, *observers.engine_api, *model, deps.clock.Now());
    if (!settled.ok()) {
      spdlog::warn("builds: cannot settle the ones left running: {}", settled.status().message());
    } else if (*settled > 0) {
      spdlog::info("builds: {} build(s) left running by the previous run settled", *settled);
    }
  }
  EngineOptions engine_options =
      BuildEngineOptions(config, metrics, observers.control, observers.engine_api);
  engine_options.cpu = cpu_quotas.get();
  Engine engine(deps, planner_config, *model, engine_options);

  // One CPU meter for the open throttle and /metrics; the throttle feeds it on its own timer.
  HostCpuMeter cpu_meter = HostCpuMeter::ForThisHost();
  cpu_meter.Snapshot();
  // The build executor (build intents): only with the Engine API (image ids). One build at a
  // time on a lane of its own; each request is checked against the compose model and its files
  // at submission (on the HTTP workers: it walks the context) and again right before the build
  // (the files may have changed meanwhile). plan_of reads only what never changes after start.
  ThreadPoolExecutor build_lane(1, "madre-build", log_job_error);
  std::unique_ptr<ComposeImageBuilder> image_builder;
  std::function<Status(const BuildIntent&)> check_build;
  RunBuildFn run_build;
  if (observers.engine_api != nullptr) {
    ComposeImageBuilderOptions build_options;
    build_options.timeout = Seconds(config.build_timeout_sec);
    image_builder = std::make_unique<ComposeImageBuilder>(*target, processes, *observers.engine_api,
                                                          build_options);
    auto plan_of = [&config, &model](const BuildIntent& b) -> Result<BuildPlan> {
      ASSIGN_OR_RETURN(BuildPlan plan,
                       CheckBuildRequest(*model,
                                         BuildIntentRequest{.target_service = b.target_service,
                                                            .dockerfile_path = b.dockerfile_path,
                                                            .build_context = b.build_context},
                                         config.compose_dir.string(), WeaklyCanonicalPath));
      const std::uint64_t cap =
          static_cast<std::uint64_t>(config.build_context_max_mb) * 1024 * 1024;
      ASSIGN_OR_RETURN(std::uint64_t bytes, DirectoryBytes(plan.context, cap));
      RETURN_IF_ERROR(CheckBuildContextSize(plan.context, bytes, config.build_context_max_mb));
      return plan;
    };
    check_build = [plan_of](const BuildIntent& b) { return plan_of(b).status(); };
    run_build = [plan_of, &builds, &image_builder, &observers, &clock, &config](
                    const BuildIntent& b, const std::string& intent_id) -> Result<BuildRecord> {
      ASSIGN_OR_RETURN(BuildPlan plan, plan_of(b));
      return RunRecordedBuild(builds, *image_builder, *observers.engine_api, clock, plan, intent_id,
                              (config.state_dir / "builds").string());
    };
  }
  // Autofix's LLM adviser: only with VX11_AUTOFIX_LLM_URL; a URL without a usable key stops
  // start-up. Its retries' sleeps end at shutdown.
  Result<std::unique_ptr<Adviser>> adviser =
      MakeAdviser(config.adviser, {config.token}, clock,
                  [stop = shutdown.get_token()](Duration d) { SleepUnlessStopped(d, stop); });
  if (!adviser.ok()) {
    spdlog::error("autofix adviser: {}", adviser.status().message());
    return 1;
  }
  if (*adviser) spdlog::info("autofix adviser: {} ({})", *config.adviser.url, config.adviser.model);
  RouterDeps router_deps{
      .engine = engine,
      .observer = observer,
      .workers = http_jobs,
      .loop = loop,
      .after = [&loop](Duration delay,
                       std::function<void()> job) { loop.PostAfter(delay, std::move(job)); },
      .cpu_busy = [&cpu_meter]() -> std::optional<double> {
        std::optional<host::CpuUsage> usage = cpu_meter.Recent();
        if (!usage) return std::nullopt;
        return usage->cpu_percent;
      },
      .cpu_snapshot = [&cpu_meter] { cpu_meter.Snapshot(); },
      .host = [&cpu_meter] { return ReadHostFigures(cpu_meter); },
      .intents = &intents,
      .builds = &builds,
      .check_build = check_build,
      .run_build = run_build,
      .build_lane = &build_lane,
      .new_id = NewUuid,
      .legacy_transport = legacy_transport,
      .legacy_workers = legacy_lane.get(),
      .images = observers.engine_api,
      .adviser = adviser->get(),
      .compose = &runner,
      .secrets = {config.token}};
  RouterOptions router_options = BuildRouterOptions(config, planner_config, metrics, intent_policy);
  router_options.forensic_dir = config.state_dir / "forensic" / "madre";
  router_options.autofix.policy = {.auto_actions = config.autofix_auto_actions,
                                   .max_cycles = config.autofix_max_cycles};
  router_options.autofix.quarantine_file = config.state_dir / "autofix" / "quarantine.json";
  router_options.intents.build_executor = static_cast<bool>(run_build);
  ApiRouter router(std::move(router_options), router_deps);

  HttpServerOptions http;
  http.bind_address = config.bind;
  http.port = config.port;
  http.max_body_bytes = config.max_body_bytes;
  // The engine, the router and every Post()ed job share one thread: the single-owner invariant
  // that lets them keep their state without locks.
  MADRE_CHECK_MSG(http.threads == 1, "the HTTP server must run exactly one io thread");
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(http, [&router](HttpRequest request, Responder respond) {
        router.Handle(std::move(request), std::move(respond));
      });
  if (!server.ok()) {
    spdlog::error("{}", server.status().message());
    return 1;
  }
  loop.Attach(server->get());
  // VX11_MADRE_PORT=0: the Host check wants the port the server got.
  loop.Submit([&router, port = (*server)->port()] { router.SetListeningPort(port); });
  // Daily retention, on the engine thread (the store and the audit log are the engine's).
  std::function<void()> retain_daily;
  if (retention.audit_days > 0 || retention.window_history_days > 0) {
    retain_daily = [&loop, &apply_retention, &retain_daily] {
      apply_retention();
      loop.PostAfter(Seconds(24 * 3600), retain_daily);
    };
    loop.PostAfter(Seconds(24 * 3600), retain_daily);
  }
  // systemd's watchdog (WatchdogSec): WATCHDOG=1 every half of it from the engine thread, so a
  // hung loop misses it and systemd restarts madre. A failed send is logged once.
  std::function<void()> watchdog_tick;
  bool watchdog_warned = false;
  if (notifier->enabled() && *watchdog) {
    watchdog_tick = [&loop, &notifier, &watchdog, &watchdog_tick, &watchdog_warned] {
      if (Status sent = notifier->Notify("WATCHDOG=1"); !sent.ok() && !watchdog_warned) {
        watchdog_warned = true;
        spdlog::warn("systemd watchdog: {}", sent.message());
      }
      loop.PostAfter(**watchdog, watchdog_tick);
    };
  }
  // The workers' jobs use the engine, the router, the probe and the loop, which are declared
  // before this guard and so die after it: on every return the running jobs are cancelled and
  // joined first. Results that still come back are dropped (the loop is detached), so a
  // cancelled open stays `opening` in the store and resumes on the next start.
  auto join_workers = [&loop, &shutdown, &workers, &stop_lane, &http_jobs, &legacy_upstream,
                       &legacy_lane, &build_lane] {
    loop.Attach(nullptr);
    shutdown.request_stop();
    if (legacy_upstream) legacy_upstream->CancelAll();
    if (legacy_lane) legacy_lane->Shutdown();
    // A build in progress runs to its end (VX11_BUILD_TIMEOUT_SEC at most): compose's build
    // cannot be cut short cleanly. Its row and its intent are settled either way.
    build_lane.Shutdown();
    http_jobs.Shutdown();
    stop_lane.Shutdown();
    workers.Shutdown();
  };
  AtScopeExit join_workers_on_return(join_workers);

  DeadlineTimer timer([&loop, &engine] { loop.Submit([&engine] { engine.Tick(); }); });
  engine.SetOnChange([&timer, &engine, &router] {
    timer.ArmAt(engine.NextDeadline());
    router.OnEngineChange();
  });
  engine.SetOnWindowChanged([&router](const Window& window) { router.PublishWindow(window); });
  engine.SetOnDockerEvent([&router, &event_wakeup](const DockerEvent& event) {
    event_wakeup.Notify();
    router.PublishDockerEvent(event);
  });
  if (Status status = StartEngine(loop, engine, router); !status.ok()) {
    spdlog::error("recovery failed: {}", status.message());
    timer.Stop();
    (*server)->Stop();
    return 1;
  }
  std::unique_ptr<DockerEventStream> events = StartDockerEvents(config, loop, engine);
  spdlog::info("listening on http://{}:{} ({} windows open after recovery)", config.bind,
               (*server)->port(), engine.Snapshot().windows.size());
  if (notifier->enabled()) {
    // READY=1 from the engine thread, which serves the API: it listens, the start-up recovery
    // is done, and its loop runs. Then the watchdog's first beat.
    const std::string ready =
        fmt::format("READY=1\nSTATUS=listening on http://{}:{}", config.bind, (*server)->port());
    loop.Submit([&notifier, &watchdog_tick, ready] {
      if (Status sent = notifier->Notify(ready); !sent.ok()) {
        spdlog::warn("systemd notify: {}", sent.message());
      } else {
        spdlog::info("systemd notified: ready{}", watchdog_tick ? ", watchdog on" : "");
      }
      if (watchdog_tick) watchdog_tick();
    });
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: stopping (open windows stay recorded and resume on restart)",
               signal_number);
  if (Status sent = notifier->Notify("STOPPING=1\nSTATUS=stopping"); !sent.ok()) {
    spdlog::warn("systemd notify: {}", sent.message());
  }
  const auto stopping_since = std::chrono::steady_clock::now();
  // Shutdown order: nothing new comes in (events, timer, HTTP), then the workers are cancelled
  // and joined, then (at return, in reverse declaration order) the objects they used die.
  if (events) events->Stop();
  if (*webhooks) (*webhooks)->Stop();
  timer.Stop();
  loop.Attach(nullptr);
  (*server)->Stop();
  join_workers();
  spdlog::info("stopped in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - stopping_since)
                                       .count());
  return 0;
}

}  // namespace

void RegisterVerifyAudit(CLI::App& app, int* exit_code) {
  struct VerifyFlags {
    std::string audit_dir;
    std::string state_dir;
    std::string key_file;
    bool files_only = false;
  };
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify-audit",
      "Check the audit JSON Lines files: hash chain, and against the database's last record "
      "(offline, read-only, no daemon needed)");
  verify->add_option("--audit-dir", flags->audit_dir,
                     "audit directory (default: $VX11_AUDIT_DIR, else <state dir>/audit)");
  verify->add_option("--state-dir", flags->state_dir,
                     "state dir holding madre.db (default: $VX11_STATE_DIR; with only --audit-dir, "
                     "its parent when madre.db is there; else ./data/madre)");
  verify->add_option("--hmac-key-file", flags->key_file,
                     "key of a keyed chain (default: $VX11_AUDIT_HMAC_KEY_FILE)");
  verify->add_flag("--files-only", flags->files_only,
                   "check the files alone, without the database (a cut tail is not seen)");
  verify->footer(
      "Exit codes: 0 intact, 1 broken or records missing (named), 2 usage or nothing to check.");
  verify->callback([flags, exit_code] {
    auto fail = [exit_code](int code, const std::string& message) {
      std::fprintf(stderr, "madre: %s\n", message.c_str());
      *exit_code = code;
    };
    DaemonConfig config;
    if (Status env = ApplyEnv(ProcessEnv(), config); !env.ok()) return fail(2, env.message());
    const bool state_from_env = ProcessEnv()("VX11_STATE_DIR").value_or("") != "";
    if (!flags->audit_dir.empty()) config.audit_dir = flags->audit_dir;
    if (!flags->state_dir.empty()) {
      config.state_dir = flags->state_dir;
    } else if (!flags->audit_dir.empty() && !state_from_env) {
      const std::filesystem::path parent = std::filesystem::path(flags->audit_dir).parent_path();
      if (std::filesystem::exists(parent / "madre.db")) config.state_dir = parent;
    }
    if (!flags->key_file.empty()) config.audit_hmac_key_file = flags->key_file;
    const std::filesystem::path path = config.AuditDir();
    if (!std::filesystem::is_directory(path)) {
      return fail(2, "no audit directory at " + path.string());
    }
    AuditVerifyOptions options;
    Result<std::optional<std::string>> key = ReadAuditHmacKey(config);
    if (!key.ok()) return fail(2, key.status().message());
    options.hmac_key = *key;
    if (!flags->files_only) {
      Result<AuditAnchor> anchor = ReadAuditAnchor(config.state_dir / "madre.db");
      if (!anchor.ok()) {
        return fail(2, anchor.status().message() +
                           " (give --state-dir, or --files-only to check the files alone)");
      }
      options.database = *anchor;
    }
    Result<AuditVerifyReport> report = VerifyAudit(path, options);
    if (!report.ok()) return fail(1, report.status().message());
    std::printf(
        "audit chain intact: %s: %lld records, seq %lld..%lld%s%s%s\n", path.c_str(),
        static_cast<long long>(report->records), static_cast<long long>(report->first_seq),
        static_cast<long long>(report->last_seq),
        options.database ? ", matches the database" : " (files only)",
        report->keyed > 0
            ? (", HMAC-keyed from seq " + std::to_string(report->first_keyed_seq)).c_str()
            : ", not keyed",
        report->pruned_to > 0
            ? (", older records pruned up to seq " + std::to_string(report->pruned_to)).c_str()
            : "");
    *exit_code = 0;
  });
}

void RegisterServe(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand("serve", "Run the madre daemon (the HTTP API on port 8001)");
  serve->footer(SettingsHelp());
  serve->add_option("--config", flags->config_file, "TOML config file (overrides the environment)")
      ->check(CLI::ExistingFile);
  serve->add_option("--bind", flags->bind, "listen address (VX11_MADRE_BIND)");
  serve->add_option("--port", flags->port, "listen port (VX11_MADRE_PORT)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--project,-p", flags->project, "compose project name (VX11_COMPOSE_PROJECT)");
  serve->add_option("--compose-dir", flags->compose_dir,
                    "compose working directory (VX11_COMPOSE_DIR)");
  serve->add_option("--compose-file,-f", flags->compose_files,
                    "compose file, repeatable (VX11_COMPOSE_FILES)");
  serve->add_option("--compose-cmd", flags->compose_cmd, "compose command (VX11_COMPOSE_CMD)");
  serve->add_option("--always-on", flags->always_on,
                    "comma-separated SOLO_MADRE set (VX11_ALWAYS_ON)");
  serve->add_option("--allowlist", flags->allowlist,
                    "comma-separated services windows may name (VX11_ALLOWLIST)");
  serve
      ->add_option("--max-concurrent", flags->max_concurrent,
                   "windows open at once (VX11_POWER_WINDOWS_MAX_CONCURRENT)")
      ->check(CLI::Range(1, 10000));
  serve
      ->add_option("--timeout", flags->timeout,
                   "seconds per docker operation (VX11_POWER_WINDOWS_TIMEOUT_SEC)")
      ->check(CLI::Range(1, 3600));
  serve->add_option("--state-dir", flags->state_dir, "database and token dir (VX11_STATE_DIR)");
  serve->add_option("--audit-dir", flags->audit_dir, "audit JSON Lines dir (VX11_AUDIT_DIR)");
  serve->add_option("--log-level", flags->log_level,
                    "DEBUG|INFO|WARNING|ERROR (VX11_POWER_WINDOWS_LOG_LEVEL)");
  serve->add_flag("--check", flags->check,
                  "validate the settings and the compose model, print the warnings start-up "
                  "would log (shared dependencies: the gateway case), and exit: 0 valid, 1 the "
                  "compose model cannot be read, 2 a bad setting. Creates nothing");
  CLI::Option* print_config = serve->add_flag(
      "--print-config", flags->print_config,
      "print every setting's effective value and its source (default, env, the --config "
      "file, a flag), secrets redacted, and exit: 0, or 2 for a bad setting. Creates nothing");
  serve->add_flag("--json", flags->json, "with --print-config: print the settings as JSON")
      ->needs(print_config);
  print_config->excludes("--check");
  serve->callback([flags, exit_code] {
    *exit_code = flags->print_config ? PrintConfig(*flags, ProcessEnv(), std::cout, std::cerr)
                                     : Serve(*flags);
  });
}

}  // namespace madre
