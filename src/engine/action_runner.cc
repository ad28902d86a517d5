#include "engine/action_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "base/exceptions.h"
#include "core/health_exec.h"
#include "core/readiness.h"

namespace madre {

namespace {

constexpr char kCancelled[] = "cancelled, madre is stopping";

std::map<std::string, ContainerState> ByService(const std::vector<ContainerState>& list) {
  std::map<std::string, ContainerState> out;
  for (const auto& c : list) {
    auto it = out.find(c.service);
    if (it == out.end() || (!it->second.Running() && c.Running())) out[c.service] = c;
  }
  return out;
}

std::string ExitDetail(const ContainerState* c) {
  if (!c) return "no container was created";
  std::string text = "container " + c->container + " is " + c->state;
  if (c->exit_code) text += " (exit code " + std::to_string(*c->exit_code) + ")";
  return text;
}

std::string WithLogs(ActionContext& context, const std::optional<ContainerState>& c,
                     std::string detail) {
  if (!c || c->id.empty() || context.readiness.log_lines <= 0) return detail;
  Result<std::string> logs = context.observer.Logs(c->id, context.readiness.log_lines);
  if (!logs.ok() || logs->empty()) return detail;
  std::string tail = *logs;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return detail + "; last log lines:\n" + tail;
}

// One service of a readiness wait.
struct Waiting {
  ServiceOutcome* outcome;
  ReadinessSpec spec;
  ReadinessState state;
  // The healthcheck madre runs itself (kDockerHealth with ActionContext::exec): asked for once
  // the container runs; no schedule when it has none (or NONE).
  bool healthcheck_asked = false;
  std::optional<ExecCheckSchedule> checks;
  std::string container_id;  // where the checks run
  std::string exec_id;       // the check in flight
};

// Madre lets go of the check in flight of `w` (its wait ended, or the check outlived its
// timeout): the adapter starts no other in its container while it may still run.
void LetGoOfCheck(ActionContext& context, Waiting& w, bool timed_out) {
  if (!w.checks || !w.checks->in_flight()) return;
  context.exec->Abandon(w.exec_id, timed_out);
  w.checks->Abandoned();
  w.exec_id.clear();
}

// One step of the checks madre runs in the container `c` of `w`: follows the one in flight
// (its end, or its timeout), starts the next when due. A pass sets state.exec_passed.
void StepChecks(ActionContext& context, Waiting& w, const ContainerState& c, TimePoint now) {
  if (context.exec == nullptr || w.spec.kind != ReadinessKind::kDockerHealth || !w.spec.exec)
    return;
  // Docker's status says ready (healthy, or the pause's mark of a container madre just
  // unpaused, whose processes were frozen, not restarted): no check needed.
  if (c.state != "running" || c.id.empty() || ReadyPerDocker(c, w.state)) return;
  if (!w.healthcheck_asked) {
    w.healthcheck_asked = true;
    Result<HealthcheckConfig> config = context.exec->Healthcheck(c.id);
    if (!config.ok()) {
      spdlog::info("service {}: cannot read its healthcheck, waiting for Docker's: {}",
                   w.outcome->service, config.status().message());
      return;
    }
    std::optional<std::vector<std::string>> argv = HealthcheckArgv(config->test);
    if (!argv) return;
    w.checks.emplace(*config, std::move(*argv), w.spec.exec_interval, w.state.started);
    w.container_id = c.id;
  }
  if (!w.checks) return;
  ExecCheckSchedule& checks = *w.checks;
  if (c.id != w.container_id) {  // another container now: its checks from now on
    LetGoOfCheck(context, w, false);
    w.container_id = c.id;
  }
  if (checks.in_flight()) {
    Result<ExecProgress> progress = context.exec->InspectCheck(w.exec_id);
    if (!progress.ok()) {
      checks.Lost();
      w.exec_id.clear();
    } else if (!progress->running) {
      checks.Finished(progress->exit_code);
      w.exec_id.clear();
    } else if (checks.Overdue(now)) {
      spdlog::warn(
          "service {}: its healthcheck run by madre outlived its {} ms timeout; "
          "abandoned (Docker cannot kill an exec)",
          w.outcome->service,
          std::chrono::duration_cast<std::chrono::milliseconds>(checks.config().timeout).count());
      LetGoOfCheck(context, w, true);
    }
  }
  if (checks.StartDue(now)) {
    Result<std::string> id = context.exec->StartCheck(w.container_id, checks.argv());
    if (id.ok()) {
      checks.Started(now);
      w.exec_id = *id;
    } else if (id.code() == StatusCode::kFailedPrecondition) {
      // A check madre let go of earlier may still run (or one frozen by a pause, which an
      // unpause lets end at once): asked again at the next look, not after the cadence.
      checks.StartRefused(now, context.readiness.exec_poll);
    } else {
      checks.StartRefused(now);
    }
  }
  if (checks.passed()) w.state.exec_passed = true;
}

// The longest the next wait of a readiness loop may last, for the checks madre runs: `max`, or
// less when one of them is to be looked at sooner.
Duration UntilNextCheck(const std::vector<Waiting>& waiting, TimePoint now, Duration poll,
                        Duration max) {
  for (const Waiting& w : waiting) {
    if (!w.checks) continue;
    if (std::optional<TimePoint> next = w.checks->NextLook(now, poll))
      max = std::min(max, std::max(Duration::zero(), *next - now));
  }
  return max;
}

// A container this action unpaused, as it was before: its restart count, and whether madre saw
// this run of it pass a check (ReadinessState::unpaused_restart_count, passed_before_pause).
struct Unpaused {
  int restart_count = 0;
  bool passed_before = false;
};

// Waits until every service in `outcomes` that is marked ok is ready or failed. Each service's
// timeout counts from `started`, the start of the whole action: the dependency gates of a start
// and its final wait share one deadline. `unpaused`: the services whose container this action
// unpaused. A container found ready on a Docker healthcheck is recorded in
// context.passed_checks. `listed`: result.observed is a listing taken right before, when the
// event count was this (0 without events); the first look uses it instead of listing again.
void WaitUntilReady(ActionContext& context, std::vector<ServiceOutcome>& outcomes,
                    ActionResult& result, TimePoint started,
                    const std::map<std::string, Unpaused>& unpaused,
                    std::optional<std::uint64_t> listed = std::nullopt) {
  std::vector<Waiting> waiting;
  for (auto& outcome : outcomes) {
    if (!outcome.ok) continue;
    auto def = context.model.services.find(outcome.service);
    ServiceDef fallback;
    fallback.name = outcome.service;
    const ServiceDef& service = def == context.model.services.end() ? fallback : def->second;
    const auto was_paused = unpaused.find(outcome.service);
    Waiting w{.outcome = &outcome,
              .spec = ReadinessFor(service, context.readiness.default_timeout),
              .state = {},
              .healthcheck_asked = false,
              .checks = std::nullopt,
              .container_id = "",
              .exec_id = ""};
    w.state.started = started;
    if (was_paused != unpaused.end()) {
      w.state.unpaused_restart_count = was_paused->second.restart_count;
      w.state.passed_before_pause = was_paused->second.passed_before;
    }
    waiting.push_back(std::move(w));
  }
  // Docker's health_status event tells when a healthcheck passes: with events followed and only
  // healthchecks to wait for, the next look comes with an event (or after the fallback).
  const bool by_events = context.event_generation && context.wait_event &&
                         std::all_of(waiting.begin(), waiting.end(), [](const Waiting& w) {
                           return w.spec.kind == ReadinessKind::kDockerHealth;
                         });
  std::uint64_t seen = by_events ? context.event_generation() : 0;
  bool first = true;
  while (!waiting.empty()) {
    if (!first) {
      const TimePoint now = context.clock.Now();
      if (by_events) {
        // No later than the first timeout, which no event announces.
        Duration wait = context.readiness.event_poll;
        for (const Waiting& w : waiting) {
          wait = std::min(wait, std::max(Duration::zero(), w.state.started + w.spec.timeout - now));
        }
        context.wait_event(seen, UntilNextCheck(waiting, now, context.readiness.exec_poll, wait));
      } else {
        context.sleep(
            UntilNextCheck(waiting, now, context.readiness.exec_poll, context.readiness.poll));
      }
    }
    const bool reuse = first && listed && result.has_observation;
    first = false;
    // Before the look: no event is missed.
    if (by_events) seen = reuse ? *listed : context.event_generation();
    if (context.stop.stop_requested()) {
      for (Waiting& w : waiting) {
        LetGoOfCheck(context, w, false);
        w.outcome->ok = false;
        w.outcome->error = std::string("not ready: ") + kCancelled;
      }
      return;
    }
    Result<std::vector<ContainerState>> list =
        reuse ? Result<std::vector<ContainerState>>(result.observed)
              : context.observer.ListProject();
    const TimePoint now = context.clock.Now();
    if (!list.ok()) {
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (now - it->state.started >= it->spec.timeout) {
          LetGoOfCheck(context, *it, false);
          it->outcome->ok = false;
          it->outcome->error = "not ready: " + list.status().message();
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
      continue;
    }
    result.observed = *list;
    result.has_observation = true;
    const auto by_service = ByService(*list);
    for (auto it = waiting.begin(); it != waiting.end();) {
      auto found = by_service.find(it->outcome->service);
      std::optional<ContainerState> container;
      if (found != by_service.end()) container = found->second;
      std::optional<Status> probe;
      if (container && container->state == "running") {
        if (it->spec.kind == ReadinessKind::kHttp) {
          probe = context.probe.HttpGet(it->spec.target, context.readiness.probe_timeout);
        } else if (it->spec.kind == ReadinessKind::kTcp) {
          probe = context.probe.TcpConnect(it->spec.target, context.readiness.probe_timeout);
        }
      }
      if (container) StepChecks(context, *it, *container, now);
      ReadinessCheck check = EvaluateReadiness(it->spec, container, probe, it->state, now);
      if (check.verdict == Verdict::kPending) {
        ++it;
        continue;
      }
      LetGoOfCheck(context, *it, false);
      if (check.verdict == Verdict::kReady && container && context.passed_checks &&
          it->spec.kind == ReadinessKind::kDockerHealth) {
        context.passed_checks->Record(*container);
      }
      if (check.verdict == Verdict::kFailed) {
        it->outcome->ok = false;
        it->outcome->error = WithLogs(context, container, "not ready: " + check.detail);
      }
      it = waiting.erase(it);
    }
  }
}

// Dependency levels of `services` (in start order): level 0 needs nothing in the set.
std::vector<std::vector<std::string>> Levels(const ServiceModel& model,
                                             const std::vector<std::string>& services) {
  std::map<std::string, int> level;
  const std::set<std::string> in_set(services.begin(), services.end());
  std::vector<std::vector<std::string>> out;
  for (const auto& name : services) {  // start order: dependencies come first
    int l = 0;
    auto def = model.services.find(name);
    if (def != model.services.end()) {
      for (const auto& dep : def->second.depends_on) {
        if (in_set.count(dep) && level.count(dep)) l = std::max(l, level[dep] + 1);
      }
    }
    level[name] = l;
    if (static_cast<int>(out.size()) <= l) out.resize(l + 1);
    out[l].push_back(name);
  }
  return out;
}

// Runs `call` on every container of `items` in parallel; one DockerOp each.
template <typename Call>
std::map<std::string, Status> InParallel(
    const std::vector<std::pair<std::string, ContainerState>>& items, const std::string& verb,
    Call call, std::vector<DockerOp>& ops) {
  std::vector<std::future<std::pair<Status, std::int64_t>>> futures;
  for (const auto& item : items) {
    const ContainerState& c = item.second;  // not a structured binding: lambdas capture it
    auto timed = [call, c] {
      const auto start = std::chrono::steady_clock::now();
      Status status = call(c);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      return std::make_pair(status, static_cast<std::int64_t>(ms));
    };
    try {
      futures.push_back(std::async(std::launch::async, timed));
    } catch (const std::system_error& e) {
      // No thread could be made: this one does the call itself, in turn.
      spdlog::warn("no thread for a parallel {}: {}; running it in turn", verb, e.what());
      futures.push_back(std::async(std::launch::deferred, timed));
    }
  }
  std::map<std::string, Status> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto [status, ms] = futures[i].get();
    ops.push_back({"POST /containers/" + items[i].second.container + "/" + verb,
                   status.ok() ? 0 : -1, ms, status.ok() ? "" : status.message()});
    out[items[i].first] = status;
  }
  return out;
}

// OK when nothing failed, else kUnavailable naming every failure.
Status FailuresStatus(const std::vector<std::string>& failures) {
  if (failures.empty()) return Status::Ok();
  std::string message;
  for (const auto& f : failures) message += (message.empty() ? "" : "; ") + f;
  return Status::Unavailable(message);
}

// The services among `stopped` (service -> the image id its container was made from) whose image
// now has another id: built again since (issue 11's build executor). Only services with
// `build:` reach here, so no other service costs a call.
std::set<std::string> ImageChanged(const std::map<std::string, std::string>& stopped,
                                   ActionContext& context, std::vector<DockerOp>& ops) {
  std::set<std::string> changed;
  for (const auto& [name, container_image] : stopped) {
    const std::string& image = context.model.services.at(name).image;
    const auto start = std::chrono::steady_clock::now();
    Result<std::string> current = context.images->ImageId(image);
    if (!current.ok()) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      spdlog::warn(
          "service {}: cannot tell whether its image {} was built again, starting the "
          "existing container as it is: {}",
          name, image, current.status().ToString());
      ops.push_back({"GET /images/" + image + "/json (image check skipped)", -1,
                     static_cast<std::int64_t>(ms),
                     "existing container started as it is: " + current.status().message()});
      continue;
    }
    if (current->empty() || *current == container_image) continue;
    spdlog::info("service {}: its image {} was built again; compose recreates it", name, image);
    changed.insert(name);
  }
  return changed;
}

// The services of `action` whose stopped (or paused) container was created from
// another configuration than the compose files' current one (its config-hash
// label differs from `config --hash`), or, for a service with `build:`, from another image
// than the current one of its name (ImageChanged). Compose must recreate them. A container
// without the label (unknown) is never outdated, and when no candidate has one
// compose is not asked at all. A failure to get the hashes is logged and noted
// in `ops`, and outdates nothing: the fast path goes on as without the check.
std::set<std::string> Outdated(const Action& action,
                               const std::map<std::string, ContainerState>& existing,
                               ActionContext& context, std::vector<DockerOp>& ops) {
  std::map<std::string, std::string> labels;  // service -> the hash its container was made with
  std::map<std::string, std::string> images;  // service with build: -> its container's image id
  for (const auto& name : action.services) {
    auto it = existing.find(name);
    if (it == existing.end() || it->second.id.empty() || it->second.Running()) continue;
    if (!it->second.config_hash.empty()) labels[name] = it->second.config_hash;
    auto def = context.model.services.find(name);
    if (context.images != nullptr && def != context.model.services.end() && def->second.build &&
        !def->second.image.empty() && !it->second.image_id.empty()) {
      images[name] = it->second.image_id;
    }
  }
  std::set<std::string> outdated = ImageChanged(images, context, ops);
  if (labels.empty()) return outdated;
  const auto start = std::chrono::steady_clock::now();
  Result<std::map<std::string, std::string>> current = context.compose.ConfigHashes();
  if (!current.ok()) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    spdlog::warn(
        "cannot tell whether the compose configuration changed, starting the existing "
        "containers as they are: {}",
        current.status().ToString());
    ops.push_back({"compose config --hash (configuration check skipped)", -1,
                   static_cast<std::int64_t>(ms),
                   "existing containers started as they are: " + current.status().message()});
    return outdated;
  }
  for (const auto& [name, label] : labels) {
    auto hash = current->find(name);
    if (hash == current->end() || hash->second == label) continue;
    spdlog::info("service {}: the compose configuration changed; compose recreates it", name);
    outdated.insert(name);
  }
  return outdated;
}

// What a fast start tells the readiness wait after it.
struct StartNotes {
  // A service that failed its dependency gate: why (not waited for again).
  std::map<std::string, std::string> gate_failures;
  // The services whose paused container was unpaused, as it was then.
  std::map<std::string, Unpaused> unpaused;
};

// Fast start: existing containers through the Engine API, missing ones and ones
// whose configuration changed (Outdated) through compose, level by level.
// Services with a healthcheck are waited for before the next level (compose's
// `condition: service_healthy`), within the action's one readiness deadline (from `began`); a
// service that fails its gate is kept in `notes.gate_failures` (service -> why), and its failure
// carried to the action's outcome. A gate protects a dependent's start: when every later level
// is only unpaused (or runs already), there is none, as those containers ran beside their
// dependencies before the pause; their readiness is checked all together by the final wait.
// `containers` is the project as listed, or as the engine knew it (ActionContext::known); with
// the latter, a container that turns out to be gone (kNotFound) sets `*stale` and ends the start
// early, to be done again from a listing.
ComposeOutcome FastStartFrom(const std::vector<ContainerState>& containers, const Action& action,
                             ActionContext& context, TimePoint began, StartNotes& notes,
                             bool* stale) {
  ComposeOutcome outcome;
  auto existing = ByService(containers);
  const std::set<std::string> outdated = Outdated(action, existing, context, outcome.ops);
  const auto levels = Levels(context.model, action.services);
  // starts_from[l]: a service of level l or later is started or created (not only unpaused).
  std::vector<bool> starts_from(levels.size() + 1, false);
  for (std::size_t l = levels.size(); l-- > 0;) {
    starts_from[l] = starts_from[l + 1];
    for (const auto& name : levels[l]) {
      auto it = existing.find(name);
      if (it == existing.end() || it->second.id.empty() || outdated.count(name) ||
          (it->second.state != "paused" && it->second.state != kIdledState &&
           !it->second.Running())) {
        starts_from[l] = true;
      }
    }
  }
  std::vector<std::string> failures;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    if (context.stop.stop_requested()) {
      failures.push_back(kCancelled);
      break;
    }
    std::vector<std::pair<std::string, ContainerState>> to_start, to_unpause, to_wake;
    std::vector<std::string> to_create;
    for (const auto& name : levels[l]) {
      auto it = existing.find(name);
      if (it == existing.end() || it->second.id.empty() || outdated.count(name)) {
        to_create.push_back(name);  // `up` creates it, or recreates it from the new configuration
      } else if (it->second.state == "paused") {
        to_unpause.push_back({name, it->second});
      } else if (it->second.state == kIdledState) {
        to_wake.push_back({name, it->second});  // runs already: its quota back
      } else if (!it->second.Running()) {
        // A container madre idled and something stopped since: its quota back before it runs.
        if (context.cpu && context.cpu->Idled(it->second.id)) to_wake.push_back({name, it->second});
        to_start.push_back({name, it->second});
      }
    }
    auto woken = InParallel(
        to_wake, "update",
        [&context](const ContainerState& c) {
          return context.cpu ? context.cpu->Wake(c) : Status::Ok();
        },
        outcome.ops);
    auto unpaused = InParallel(
        to_unpause, "unpause",
        [&context](const ContainerState& c) { return context.control->UnpauseContainer(c.id); },
        outcome.ops);
    auto started = InParallel(
        to_start, "start",
        [&context](const ContainerState& c) { return context.control->StartContainer(c.id); },
        outcome.ops);
    std::set<std::string> not_started;  // their start failed: nothing to wait for
    for (const auto& [name, c] : to_unpause) {
      if (!unpaused.at(name).ok()) continue;
      const bool passed = context.passed_checks && context.passed_checks->Passed(c);
      notes.unpaused[name] = {c.restart_count, passed};
    }
    for (const auto* results : {&unpaused, &started, &woken}) {
      for (const auto& [name, status] : *results) {
        if (status.ok()) continue;
        if (stale && status.code() == StatusCode::kNotFound) *stale = true;
        failures.push_back(name + ": " + status.message());
        not_started.insert(name);
      }
    }
    if (stale && *stale) return outcome;
    if (!to_create.empty()) {
      ComposeOutcome created = context.compose.Up(to_create);
      outcome.ops.insert(outcome.ops.end(), created.ops.begin(), created.ops.end());
      if (!created.status.ok()) {
        failures.push_back(created.status.message());
        not_started.insert(to_create.begin(), to_create.end());  // which one failed is unknown
      }
    }
    if (l + 1 == levels.size() || action.skip_health || !starts_from[l + 1]) continue;
    // Dependents come next: wait for this level's services that have a healthcheck (not for
    // one whose start failed: a container left `created` would hold the gate to the timeout;
    // the listing after the starts says what runs).
    std::vector<ServiceOutcome> gate;
    for (const auto& name : levels[l]) {
      auto def = context.model.services.find(name);
      if (def != context.model.services.end() && def->second.has_healthcheck &&
          !not_started.count(name))
        gate.push_back({name, true, ""});
    }
    if (gate.empty()) continue;
    ActionResult scratch;
    WaitUntilReady(context, gate, scratch, began, notes.unpaused);
    for (const auto& g : gate) {
      if (!g.ok) notes.gate_failures[g.service] = g.error;
    }
  }
  outcome.status = FailuresStatus(failures);
  return outcome;
}

// Fast start: from the engine's view of the containers when it has one (no listing before the
// starts, as a client that knows its container ids), else from a listing of the project.
ComposeOutcome FastStart(const Action& action, ActionContext& context, TimePoint began,
                         StartNotes& notes) {
  std::vector<DockerOp> earlier;
  if (!context.known.empty()) {
    bool stale = false;
    ComposeOutcome outcome = FastStartFrom(context.known, action, context, began, notes, &stale);
    if (!stale) return outcome;
    spdlog::info("a container madre knew of is gone; starting from a listing of the project");
    earlier = std::move(outcome.ops);
    notes = {};
  }
  Result<std::vector<ContainerState>> list = context.observer.ListProject();
  ComposeOutcome outcome =
      list.ok() ? FastStartFrom(*list, action, context, began, notes, nullptr)
                : context.compose.Up(action.services);  // cannot see: let compose do it
  outcome.ops.insert(outcome.ops.begin(), earlier.begin(), earlier.end());
  return outcome;
}

// Fast stop: running containers through the Engine API, dependents first, in
// parallel within a level, each with its service's stop grace period. With
// `pause_on_stop`, a running container is paused instead, but a `restarting` one
// (a crash loop between two deaths) is stopped: Docker cannot pause it, and left
// alone it would go on running.
ComposeOutcome FastStop(const Action& action, ActionContext& context) {
  ComposeOutcome outcome;
  Result<std::vector<ContainerState>> list = context.observer.ListProject();
  if (!list.ok()) return context.compose.Stop(action.services);
  std::map<std::string, std::vector<ContainerState>> to_pause, to_stop, to_idle;
  const bool idle = context.cpu_idle_on_stop && context.cpu != nullptr;
  for (const auto& c : *list) {
    if (context.pause_on_stop && c.state == "running") {
      to_pause[c.service].push_back(c);
    } else if (idle && c.state == "running") {
      to_idle[c.service].push_back(c);
    } else if (c.Running() || (!context.pause_on_stop && c.state == "paused") ||
               (!idle && c.state == kIdledState)) {
      to_stop[c.service].push_back(c);
    }
  }
  std::vector<std::string> order(action.services.rbegin(), action.services.rend());  // start order
  auto levels = Levels(context.model, order);
  std::vector<std::string> failures;
  for (auto level = levels.rbegin(); level != levels.rend(); ++level) {
    std::vector<std::pair<std::string, ContainerState>> pausing, stopping, idling;
    for (const auto& name : *level) {
      for (const auto& c : to_pause[name]) pausing.push_back({name, c});
      for (const auto& c : to_stop[name]) stopping.push_back({name, c});
      for (const auto& c : to_idle[name]) idling.push_back({name, c});
    }
    auto idled = InParallel(
        idling, "update", [&context](const ContainerState& c) { return context.cpu->Idle(c); },
        outcome.ops);
    auto paused = InParallel(
        pausing, "pause",
        [&context](const ContainerState& c) { return context.control->PauseContainer(c.id); },
        outcome.ops);
    auto stopped = InParallel(
        stopping, "stop",
        [&context](const ContainerState& c) {
          auto def = context.model.services.find(c.service);
          const int grace = def == context.model.services.end() ? 10 : def->second.stop_grace_sec;
          return context.control->StopContainer(c.id, grace);
        },
        outcome.ops);
    for (const auto* results : {&paused, &stopped, &idled}) {
      for (const auto& [name, status] : *results) {
        if (!status.ok()) failures.push_back(name + ": " + status.message());
      }
    }
  }
  outcome.status = FailuresStatus(failures);
  return outcome;
}

ExecutedAction ExecuteUnguarded(const Action& action, ActionContext& context) {
  ExecutedAction out;
  out.result.action_id = action.id;
  if (action.kind == ActionKind::kObserve) {
    Result<std::vector<ContainerState>> list = context.observer.ListProject();
    if (list.ok()) {
      out.result.observed = std::move(*list);
      out.result.has_observation = true;
    } else {
      out.result.status = list.status();
    }
    return out;
  }
  const TimePoint began = context.clock.Now();  // the readiness deadline counts from here
  StartNotes notes;
  ComposeOutcome outcome;
  switch (action.kind) {
    case ActionKind::kStart:
      outcome = context.control ? FastStart(action, context, began, notes)
                                : context.compose.Up(action.services);
      break;
    case ActionKind::kStop:
      outcome = context.control ? FastStop(action, context) : context.compose.Stop(action.services);
      break;
    case ActionKind::kRestart:
      outcome = context.compose.Restart(action.services);
      break;
    case ActionKind::kObserve:
      break;
  }
  out.ops = std::move(outcome.ops);
  out.result.status = outcome.status;
  const std::uint64_t events_before_list =
      context.event_generation ? context.event_generation() : 0;
  Result<std::vector<ContainerState>> list = context.observer.ListProject();
  if (list.ok()) {
    out.result.observed = std::move(*list);
    out.result.has_observation = true;
  }
  const auto by_service = ByService(out.result.observed);
  for (const auto& name : action.services) {
    ServiceOutcome service{name, outcome.status.ok(), ""};
    if (out.result.has_observation) {
      auto it = by_service.find(name);
      const ContainerState* c = it == by_service.end() ? nullptr : &it->second;
      const bool running = c && c->Running();
      service.ok = action.kind == ActionKind::kStop ? !running : running;
      if (!service.ok) {
        service.error =
            action.kind == ActionKind::kStop ? "still running after stop" : ExitDetail(c);
        if (!outcome.status.ok()) service.error = outcome.status.message() + "; " + service.error;
        if (action.kind != ActionKind::kStop && c) {
          service.error = WithLogs(context, *c, service.error);
        }
      }
    } else if (!service.ok) {
      service.error = outcome.status.message();
    }
    // Its dependency gate failed already: not waited for again.
    if (auto gate = notes.gate_failures.find(name);
        gate != notes.gate_failures.end() && service.ok) {
      service.ok = false;
      service.error = gate->second;
    }
    out.result.services.push_back(std::move(service));
  }
  const bool wait = action.kind != ActionKind::kStop && !action.skip_health;
  if (wait) {
    WaitUntilReady(context, out.result.services, out.result, began, notes.unpaused,
                   events_before_list);
  }
  return out;
}

}  // namespace

ActionResult FailedActionResult(const Action& action, Status status) {
  ActionResult result;
  result.action_id = action.id;
  for (const auto& name : action.services)
    result.services.push_back({name, false, status.message()});
  result.status = std::move(status);
  return result;
}

ExecutedAction ExecuteAction(const Action& action, ActionContext& context) {
  ExecutedAction out;
  const std::optional<std::string> what =
      ThrownBy([&] { out = ExecuteUnguarded(action, context); });
  if (!what) return out;
  // The exception barrier: the action fails, with the reason, instead of ending the daemon.
  spdlog::error("{} {} threw: {}", ActionKindName(action.kind),
                action.services.empty() ? std::string("project") : action.services.front(), *what);
  out = {};
  out.result = FailedActionResult(
      action, Status::Internal("the " + std::string(ActionKindName(action.kind)) +
                               " action failed unexpectedly: " + *what));
  return out;
}

}  // namespace madre
