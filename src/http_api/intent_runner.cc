#include "http_api/intent_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "api/intent_payload.h"
#include "engine/audit_records.h"
#include "engine/engine_metrics.h"

namespace madre {
namespace {

// The task_id of a build intent: its row in the build history.
std::string BuildTaskId(std::int64_t row) { return "build:" + std::to_string(row); }

// A window open or a spawn: what a stabilize_cpu intent holds back.
bool OpensWindow(const Intent& intent) {
  switch (ExecutorFor(intent.type)) {
    case IntentExecutor::kSpawn:
      return true;
    case IntentExecutor::kWindow: {
      Result<WindowIntent> payload = ParseWindowPayload(intent.payload);
      return !payload.ok() || payload->op == WindowIntent::Op::kOpen;
    }
    default:
      return false;
  }
}

std::string Percent(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", v);
  return text;
}

// Why an intent was admitted, for its detail and the audit record.
std::string AdmittedBecause(const AdmissionFacts& facts, const std::string& source) {
  std::string why;
  if (facts.relieves_load || facts.threshold_pct <= 0) {
    why = facts.relieves_load ? "relieves the host: admitted whatever its CPU"
                              : "no host CPU threshold";
  } else {
    why = "host CPU " + Percent(facts.host_cpu_pct.value_or(0)) + " under " +
          Percent(facts.threshold_pct);
  }
  if (facts.per_source) {
    why += "; source " + (source.empty() ? std::string("\"\"") : source) + ": " +
           std::to_string(facts.executing_of_source) + " executing";
    if (facts.quota.max_concurrent > 0) {
      why += " of max_concurrent " + std::to_string(facts.quota.max_concurrent);
    }
    if (facts.quota.cpu_share_pct > 0 && facts.source_cpu_pct) {
      why += ", its containers " + Percent(*facts.source_cpu_pct) + " of the host (cpu_share_pct " +
             Percent(facts.quota.cpu_share_pct) + ")";
    }
  }
  return why;
}

}  // namespace

bool IsExecutableIntentType(std::string_view type, bool builds) {
  const IntentExecutor executor = ExecutorFor(type);
  return executor == IntentExecutor::kWindow || executor == IntentExecutor::kSpawn ||
         executor == IntentExecutor::kStabilizeCpu ||
         (builds && executor == IntentExecutor::kBuild);
}

IntentRunner::IntentRunner(IntentRunnerOptions options, IntentRunnerDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {}

IntentRunner::~IntentRunner() { *alive_ = false; }

bool IntentRunner::Step(const Intent& after, IntentState from) {
  if (Status stored = deps_.store.Update(after, from); !stored.ok()) {
    // Lost a race (a cancel came first) or the store failed: nothing done, logged.
    spdlog::warn("intent {}: cannot record it {}: {}", after.id, IntentStateName(after.state),
                 stored.ToString());
    return false;
  }
  if (Status audited = deps_.audit(audit_records::IntentProgressed(after)); !audited.ok()) {
    spdlog::warn("intent {}: audit of {} failed: {}", after.id, IntentStateName(after.state),
                 audited.ToString());
  }
  return true;
}

double IntentRunner::Threshold() const {
  return deps_.cpu_busy ? options_.cpu_threshold_pct : 0;  // no meter: no wait
}

std::string IntentRunner::SourceOf(const std::string& id) {
  if (auto it = source_of_.find(id); it != source_of_.end()) return it->second;
  Result<std::optional<Intent>> found = deps_.store.Get(id);
  if (!found.ok()) return "";  // not kept: read again next time
  std::string source = *found ? (*found)->source : "";
  source_of_[id] = source;
  return source;
}

std::optional<std::string> IntentRunner::OpenHold() const {
  if (stabilizing_.empty()) return std::nullopt;
  const std::optional<double> host = deps_.cpu_busy ? deps_.cpu_busy() : std::nullopt;
  return StabilizeRefusal(stabilizing_.begin()->first, host, Threshold());
}

void IntentRunner::CheckStabilizing(std::optional<double> host_cpu) {
  std::vector<Stabilizing> ended;
  std::vector<StabilizeStep> steps;
  for (auto it = stabilizing_.begin(); it != stabilizing_.end();) {
    StabilizeStep step = CheckStabilize(host_cpu, Threshold(), deps_.now(), it->second.deadline,
                                        it->second.timeout_sec);
    if (step.outcome == StabilizeStep::Outcome::kHolding) {
      ++it;
      continue;
    }
    ended.push_back(it->second);
    steps.push_back(std::move(step));
    it = stabilizing_.erase(it);
  }
  for (std::size_t i = 0; i < ended.size(); ++i) {
    Finish(ended[i].intent, steps[i].outcome == StabilizeStep::Outcome::kSucceeded,
           std::move(steps[i].detail), "");
  }
}

bool IntentRunner::Pump() {
  if (pumping_) return false;  // a step's synchronous reply pumps again: the outer loop goes on
  pumping_ = true;
  // The host is read once per pump, and only when something needs it.
  std::optional<std::optional<double>> host_reading;
  auto host = [this, &host_reading] {
    if (!host_reading) host_reading = deps_.cpu_busy ? deps_.cpu_busy() : std::nullopt;
    return *host_reading;
  };
  if (!stabilizing_.empty()) CheckStabilizing(host());
  Result<std::vector<Intent>> approved = deps_.store.ListByState(IntentState::kApproved);
  if (!approved.ok()) {
    spdlog::warn("intents: cannot list the approved ones: {}", approved.status().ToString());
    pumping_ = false;
    return true;  // try again
  }
  bool left_waiting = false;
  std::vector<Intent> queue = std::move(*approved);
  std::sort(queue.begin(), queue.end(), [](const Intent& a, const Intent& b) {
    return std::tie(a.state_changed_at, a.id) < std::tie(b.state_changed_at, b.id);
  });
  if (queue.empty()) {
    pumping_ = false;
    return !stabilizing_.empty();  // nothing to admit: the host is not even read for it
  }
  AdmissionFacts base;
  base.threshold_pct = Threshold();
  if (base.threshold_pct > 0) base.host_cpu_pct = host();
  base.per_source = options_.per_source;
  // Per-source admission: what each source runs, read once for the whole queue.
  std::map<std::string, int> executing;
  std::vector<SourceWindow> windows;
  const std::map<std::string, ContainerStats>* stats = nullptr;
  std::vector<ContainerState> observed;
  std::map<std::string, std::optional<double>> cpu_of;
  if (options_.per_source) {
    if (Result<std::vector<Intent>> running = deps_.store.ListByState(IntentState::kExecuting);
        running.ok()) {
      for (const Intent& i : *running) ++executing[i.source];
    } else {
      spdlog::warn("intents: cannot list the executing ones: {}", running.status().ToString());
      pumping_ = false;
      return true;  // try again
    }
    const EngineView view = deps_.engine.Snapshot();
    for (const auto& entry : view.windows) {
      const Window& w = entry.second;
      const std::optional<std::string> opener = IntentOfActor(w.actor);
      windows.push_back(
          SourceWindow{opener ? SourceOf(*opener) : std::string(), w.effective_services});
    }
    // Only windows an intent opened count for a source; a client's ("") for none.
    std::erase_if(windows, [](const SourceWindow& w) { return w.source.empty(); });
    observed = view.observed;
    if (deps_.container_stats) stats = deps_.container_stats();
  }
  const int total = static_cast<int>(queue.size());
  int position = 0;
  for (const Intent& intent : queue) {
    ++position;
    AdmissionFacts facts = base;
    facts.relieves_load = ExecutorFor(intent.type) == IntentExecutor::kStabilizeCpu;
    facts.opens_window = OpensWindow(intent);
    if (facts.opens_window && !stabilizing_.empty()) {
      facts.stabilizing = stabilizing_.begin()->first;
      if (!facts.host_cpu_pct && facts.threshold_pct > 0) facts.host_cpu_pct = host();
    }
    if (options_.per_source) {
      facts.quota = deps_.quota_of ? deps_.quota_of(intent.source) : SourceQuota{};
      facts.executing_of_source = executing[intent.source];
      auto cpu = cpu_of.find(intent.source);
      if (cpu == cpu_of.end()) {
        cpu = cpu_of
                  .emplace(intent.source, SourceCpuPct(intent.source, windows, observed, stats,
                                                       options_.host_cpus))
                  .first;
      }
      facts.source_cpu_pct = cpu->second;
    }
    const AdmissionVerdict verdict = Admit(facts);
    if (!verdict.admit) {
      const std::string waiting_for = "waiting for " + verdict.waiting_for + " (queue position " +
                                      std::to_string(position) + " of " + std::to_string(total) +
                                      ")";
      if (intent.detail != waiting_for) {
        Intent noted = intent;
        noted.detail = waiting_for;
        Status ignored = deps_.store.Update(noted, IntentState::kApproved);
        (void)ignored;  // a cancel may have come first
      }
      left_waiting = true;
      continue;
    }
    const TimePoint now = deps_.now();
    Result<Intent> admitted =
        Advance(intent, IntentState::kAdmitted, AdmittedBecause(facts, intent.source), now);
    if (!admitted.ok() || !Step(*admitted, IntentState::kApproved)) continue;
    if (deps_.metrics) {
      deps_.metrics->Observe(
          kMetricIntentAdmissionWait, {{"type", intent.type}},
          std::chrono::duration<double>(std::max(Duration::zero(), now - intent.state_changed_at))
              .count());
    }
    ++executing[intent.source];
    Result<Intent> executing_now = Advance(*admitted, IntentState::kExecuting, "", deps_.now());
    if (!executing_now.ok() || !Step(*executing_now, IntentState::kAdmitted)) continue;
    Execute(*executing_now);
  }
  pumping_ = false;
  return left_waiting || !stabilizing_.empty();
}

void IntentRunner::Execute(const Intent& intent) {
  auto opened = [this, intent](Result<OpenOutcome> outcome) {
    if (!outcome.ok()) return Finish(intent, false, outcome.status().message(), "");
    const Window& w = outcome->window;
    if (w.state == WindowState::kOpen) {
      return Finish(intent, true, "window " + w.id + " open", w.id);
    }
    if (w.state == WindowState::kOpening) {
      return Finish(intent, false, "window " + w.id + " still opening after the wait", w.id);
    }
    Finish(intent, false,
           "window " + w.id + " " + WindowStateName(w.state) +
               (w.error.empty() ? std::string() : ": " + w.error),
           w.id);
  };
  switch (ExecutorFor(intent.type)) {
    case IntentExecutor::kWindow: {
      Result<WindowIntent> payload = ParseWindowPayload(intent.payload);
      if (!payload.ok()) return Finish(intent, false, payload.status().message(), "");
      if (payload->op == WindowIntent::Op::kClose) {
        std::optional<std::string> id;
        if (!payload->window_id.empty()) id = payload->window_id;
        return deps_.engine.Close(id, IntentActor(intent.id), [this, intent](Result<Window> w) {
          if (!w.ok()) return Finish(intent, false, w.status().message(), "");
          Finish(intent, true, "window " + w->id + " " + WindowStateName(w->state), w->id);
        });
      }
      return deps_.engine.Open(WindowIntentOpen(*payload, intent.id), true, options_.open_wait,
                               opened);
    }
    case IntentExecutor::kSpawn: {
      Result<SpawnIntent> payload = ParseSpawnPayload(intent.payload);
      if (!payload.ok()) return Finish(intent, false, payload.status().message(), "");
      return deps_.engine.Open(
          SpawnIntentOpen(*payload, options_.spawn_service, options_.spawn_ttl_sec, intent.id),
          true, options_.open_wait, opened);
    }
    case IntentExecutor::kBuild: {
      if (!deps_.run_build || !deps_.build_lane || !deps_.loop) break;
      Result<BuildIntent> payload = ParseBuildPayload(intent.payload);
      if (!payload.ok()) return Finish(intent, false, payload.status().message(), "");
      std::weak_ptr<bool> alive = alive_;
      return deps_.build_lane->Submit([this, alive, intent, request = *payload] {
        Result<BuildRecord> built = deps_.run_build(request, intent.id);
        deps_.loop->Submit([this, alive, intent, built = std::move(built)] {
          auto still = alive.lock();
          if (!still || !*still) return;  // madre is stopping: settled at the next start
          if (!built.ok()) return Finish(intent, false, built.status().message(), "");
          const std::string task = BuildTaskId(built->id);
          if (built->outcome != BuildOutcomeKind::kSucceeded) {
            return Finish(intent, false,
                          "build " + std::to_string(built->id) + " failed: " + built->error, task);
          }
          Finish(intent, true,
                 "build " + std::to_string(built->id) + " of " + built->service + ": image " +
                     built->image_after.substr(0, 19) + " (was " +
                     (built->image_before.empty() ? std::string("none")
                                                  : built->image_before.substr(0, 19)) +
                     ")",
                 task);
        });
      });
    }
    case IntentExecutor::kStabilizeCpu: {
      Result<StabilizeCpuIntent> payload = ParseStabilizeCpuPayload(intent.payload);
      if (!payload.ok()) return Finish(intent, false, payload.status().message(), "");
      const std::int64_t timeout = StabilizeTimeoutSec(*payload);
      stabilizing_[intent.id] = Stabilizing{intent, deps_.now() + Seconds(timeout), timeout};
      // Under the threshold already: it ends at once. Else it holds opens from now on.
      return CheckStabilizing(deps_.cpu_busy ? deps_.cpu_busy() : std::nullopt);
    }
    case IntentExecutor::kRemediate: {
      if (!deps_.remediate) break;
      std::weak_ptr<bool> alive = alive_;
      return deps_.remediate(intent, [this, alive, intent](bool ok, std::string detail) {
        auto still = alive.lock();
        if (!still || !*still) return;
        Finish(intent, ok, std::move(detail), "");
      });
    }
    case IntentExecutor::kNone:
      break;
  }
  Finish(intent, false, NoExecutorReason(intent.type), "");
}

void IntentRunner::Finish(const Intent& intent, bool ok, std::string detail, std::string task_id) {
  Result<Intent> after = Advance(intent, ok ? IntentState::kSucceeded : IntentState::kFailed,
                                 std::move(detail), deps_.now(), std::move(task_id));
  if (after.ok()) Step(*after, intent.state);
  Pump();  // a slot is free, and the host may be under its threshold again
}

void IntentRunner::Recover() {
  // The build rows, settled at start from the image ids (ReconcileUnfinishedBuilds), read once.
  std::vector<BuildRecord> rows;
  if (deps_.builds) {
    if (Result<std::vector<BuildRecord>> listed = deps_.builds->List({"", 1000}); listed.ok()) {
      rows = std::move(*listed);
    }
  }
  for (const IntentState state : {IntentState::kAdmitted, IntentState::kExecuting}) {
    Result<std::vector<Intent>> left = deps_.store.ListByState(state);
    if (!left.ok()) {
      spdlog::warn("intents: cannot list the {} ones: {}", IntentStateName(state),
                   left.status().ToString());
      continue;
    }
    for (const Intent& intent : *left) {
      Result<Intent> settled = Status::Internal("unsettled");
      if (state == IntentState::kAdmitted) {
        // Admitted but not started: it never ran. Failed, not re-run behind anyone's back.
        settled = Advance(intent, IntentState::kFailed, "madre restarted before it executed",
                          deps_.now());
      } else if (ExecutorFor(intent.type) == IntentExecutor::kStabilizeCpu) {
        // Resumed: it only holds opens, which a restart cannot have left half done. Its
        // timeout runs from when it began executing; the next Pump ends it when due.
        Result<StabilizeCpuIntent> payload = ParseStabilizeCpuPayload(intent.payload);
        const std::int64_t timeout =
            payload.ok() ? StabilizeTimeoutSec(*payload) : kStabilizeDefaultTimeoutSec;
        stabilizing_[intent.id] =
            Stabilizing{intent, intent.state_changed_at + Seconds(timeout), timeout};
        spdlog::info("intent {}: stabilize_cpu resumed after a restart", intent.id);
        continue;
      } else if (ExecutorFor(intent.type) == IntentExecutor::kRemediate) {
        // Its incident (loaded before this) ended not_fixed: what was applied is not known.
        settled = Advance(intent, IntentState::kFailed,
                          "madre restarted while the remediation was applied; its incident "
                          "ended not_fixed (a new failure opens a new one)",
                          deps_.now());
      } else if (ExecutorFor(intent.type) == IntentExecutor::kBuild && deps_.builds) {
        const BuildRecord* row = nullptr;
        for (const BuildRecord& r : rows) {
          if (r.intent_id == intent.id) row = &r;
        }
        const bool built = row && row->outcome == BuildOutcomeKind::kSucceeded;
        settled = Advance(intent, built ? IntentState::kSucceeded : IntentState::kFailed,
                          !row ? "madre restarted before its build was recorded"
                               : "build " + std::to_string(row->id) + " " +
                                     BuildOutcomeName(row->outcome) + " (settled after a restart)" +
                                     (row->error.empty() ? "" : ": " + row->error),
                          deps_.now(), row ? BuildTaskId(row->id) : "");
      } else {
        std::string window;
        for (const auto& [id, w] : deps_.engine.Snapshot().windows) {
          if (w.actor == IntentActor(intent.id)) window = id;
        }
        settled = window.empty()
                      ? Advance(intent, IntentState::kFailed,
                                "madre restarted while it executed, and no window of it is live",
                                deps_.now())
                      : Advance(intent, IntentState::kSucceeded,
                                "window " + window + " (found live after a restart)", deps_.now(),
                                window);
      }
      if (settled.ok()) Step(*settled, state);
    }
  }
}

}  // namespace madre
