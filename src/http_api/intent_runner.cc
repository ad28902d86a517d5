#include "http_api/intent_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "api/intent_payload.h"
#include "engine/audit_records.h"

namespace madre {
namespace {

// The task_id of a build intent: its row in the build history.
std::string BuildTaskId(std::int64_t row) { return "build:" + std::to_string(row); }

}  // namespace

bool IsExecutableIntentType(std::string_view type, bool builds) {
  const IntentExecutor executor = ExecutorFor(type);
  return executor == IntentExecutor::kWindow || executor == IntentExecutor::kSpawn ||
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

bool IntentRunner::Pump() {
  if (pumping_) return false;  // a step's synchronous reply pumps again: the outer loop goes on
  pumping_ = true;
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
    return false;  // nothing to admit: the host is not even read
  }
  // The host's figures are the same for the whole queue.
  AdmissionFacts facts;
  facts.threshold_pct = deps_.cpu_busy ? options_.cpu_threshold_pct : 0;  // no meter: no wait
  if (deps_.cpu_busy) facts.host_cpu_pct = deps_.cpu_busy();
  const AdmissionVerdict verdict = Admit(facts);
  for (const Intent& intent : queue) {
    if (!verdict.admit) {
      // The queue waits behind its oldest intent; say what for, once.
      const std::string waiting_for = "waiting for " + verdict.waiting_for;
      if (intent.detail != waiting_for) {
        Intent noted = intent;
        noted.detail = waiting_for;
        Status ignored = deps_.store.Update(noted, IntentState::kApproved);
        (void)ignored;  // a cancel may have come first
      }
      left_waiting = true;
      break;
    }
    Result<Intent> admitted =
        Advance(intent, IntentState::kAdmitted, "host CPU under the threshold", deps_.now());
    if (!admitted.ok() || !Step(*admitted, IntentState::kApproved)) continue;
    Result<Intent> executing = Advance(*admitted, IntentState::kExecuting, "", deps_.now());
    if (!executing.ok() || !Step(*executing, IntentState::kAdmitted)) continue;
    Execute(*executing);
  }
  pumping_ = false;
  return left_waiting;
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
    case IntentExecutor::kStabilizeCpu:
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
