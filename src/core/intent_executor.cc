#include "core/intent_executor.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/cpu_limits.h"

namespace madre {

IntentExecutor ExecutorFor(std::string_view type) {
  if (type == "window") return IntentExecutor::kWindow;
  if (type == "spawn") return IntentExecutor::kSpawn;
  if (type == "build") return IntentExecutor::kBuild;
  if (type == "stabilize_cpu") return IntentExecutor::kStabilizeCpu;
  if (type == "remediate") return IntentExecutor::kRemediate;
  return IntentExecutor::kNone;
}

std::string NoExecutorReason(std::string_view type) {
  std::string reason = "no executor for type " + std::string(type);
  if (type == "fs_drift") {
    reason += " (hormiguero's file-system drift report: recorded, nothing to run)";
  } else if (type == "diagnose" || type == "propose" || type == "apply") {
    reason += " (hormiguero's " + std::string(type) +
              ": recorded; madre diagnoses and remediates through its own autofix, not on "
              "request)";
  }
  return reason;
}

namespace {

Status CheckTtl(const std::optional<std::int64_t>& ttl_sec, std::int64_t max_ttl_sec) {
  if (ttl_sec && (*ttl_sec < 1 || *ttl_sec > max_ttl_sec)) {
    return Status::InvalidArgument("payload.ttl_sec must be 1.." + std::to_string(max_ttl_sec) +
                                   ", not " + std::to_string(*ttl_sec));
  }
  return Status::Ok();
}

}  // namespace

Status CheckRemediateIntent(const RemediateIntent& intent) {
  if (!IsValidServiceName(intent.service)) {
    return Status::InvalidArgument("payload.service: \"" + intent.service +
                                   "\" is not a service name");
  }
  if (!IsValidServiceName(intent.target)) {
    return Status::InvalidArgument("payload.target: \"" + intent.target +
                                   "\" is not a service name");
  }
  if (intent.cycle < 1) return Status::InvalidArgument("payload.cycle must be 1 or more");
  return Status::Ok();
}

Status CheckWindowIntent(const WindowIntent& intent, std::int64_t max_ttl_sec) {
  if (intent.op == WindowIntent::Op::kClose) {
    if (!intent.services.empty()) {
      return Status::InvalidArgument(
          "payload.services: a close names the window (payload.window_id), not services");
    }
    if (intent.cpu_limit) {
      return Status::InvalidArgument("payload.cpu_limit: a close takes no cpu_limit");
    }
    return Status::Ok();
  }
  if (intent.services.empty()) {
    return Status::InvalidArgument("payload.services: an open names at least one service");
  }
  for (const std::string& name : intent.services) {
    if (!IsValidServiceName(name)) {
      return Status::InvalidArgument("payload.services: \"" + name + "\" is not a service name");
    }
  }
  if (intent.hold && intent.ttl_sec) {
    return Status::InvalidArgument("payload: hold and ttl_sec exclude each other");
  }
  if (intent.cpu_limit) RETURN_IF_ERROR(CheckCpuLimit(*intent.cpu_limit, "payload.cpu_limit"));
  return CheckTtl(intent.ttl_sec, max_ttl_sec);
}

std::string IntentActor(const std::string& intent_id) { return "intent:" + intent_id; }

std::optional<std::string> IntentOfActor(std::string_view actor) {
  constexpr std::string_view kPrefix = "intent:";
  if (actor.size() <= kPrefix.size() || actor.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  return std::string(actor.substr(kPrefix.size()));
}

Status CheckStabilizeCpuIntent(const StabilizeCpuIntent& intent) {
  if (intent.timeout_sec &&
      (*intent.timeout_sec < 1 || *intent.timeout_sec > kStabilizeMaxTimeoutSec)) {
    return Status::InvalidArgument("payload.timeout_sec must be 1.." +
                                   std::to_string(kStabilizeMaxTimeoutSec) + ", not " +
                                   std::to_string(*intent.timeout_sec));
  }
  return Status::Ok();
}

std::int64_t StabilizeTimeoutSec(const StabilizeCpuIntent& intent) {
  return intent.timeout_sec.value_or(kStabilizeDefaultTimeoutSec);
}

OpenRequest WindowIntentOpen(const WindowIntent& intent, const std::string& intent_id) {
  OpenRequest open;
  open.services = intent.services;
  open.ttl_sec = intent.ttl_sec;
  open.hold = intent.hold;
  open.reason = intent.reason.empty() ? "intent " + intent_id : intent.reason;
  open.actor = IntentActor(intent_id);
  open.cpu_limit = intent.cpu_limit;
  return open;
}

Status CheckSpawnIntent(const SpawnIntent& intent, std::int64_t max_ttl_sec) {
  return CheckTtl(intent.ttl_sec, max_ttl_sec);
}

OpenRequest SpawnIntentOpen(const SpawnIntent& intent, const std::string& service,
                            std::int64_t default_ttl_sec, const std::string& intent_id) {
  OpenRequest open;
  open.services = {service};
  open.ttl_sec = intent.ttl_sec ? intent.ttl_sec : std::optional<std::int64_t>(default_ttl_sec);
  open.reason = intent.reason.empty() ? "spawn intent " + intent_id : intent.reason;
  open.actor = IntentActor(intent_id);
  return open;
}

Status CheckBuildIntent(const BuildIntent& intent) {
  if (intent.target_service.empty()) {
    return Status::InvalidArgument("target_service is required");
  }
  if (!IsValidServiceName(intent.target_service)) {
    return Status::InvalidArgument("target_service: \"" + intent.target_service +
                                   "\" is not a service name");
  }
  return Status::Ok();
}

namespace {

std::string Pct(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", v);
  return std::string(text);
}

}  // namespace

StabilizeStep CheckStabilize(std::optional<double> host_cpu_pct, double threshold_pct,
                             TimePoint now, TimePoint deadline, std::int64_t timeout_sec) {
  using Outcome = StabilizeStep::Outcome;
  if (threshold_pct <= 0) {
    return {Outcome::kSucceeded, "no host CPU threshold (VX11_THROTTLE_CPU_PCT=0)"};
  }
  if (host_cpu_pct && *host_cpu_pct < threshold_pct) {
    return {Outcome::kSucceeded,
            "the host CPU (" + Pct(*host_cpu_pct) + ") is under " + Pct(threshold_pct)};
  }
  if (now >= deadline) {
    return {Outcome::kFailed,
            (host_cpu_pct ? "the host CPU (" + Pct(*host_cpu_pct) + ") still at or above "
                          : "no reading of the host CPU under ") +
                Pct(threshold_pct) + " after " + std::to_string(timeout_sec) + " s (timeout_sec)"};
  }
  return {Outcome::kHolding, ""};
}

std::optional<std::string> StabilizeRefusal(const std::string& intent_id,
                                            std::optional<double> host_cpu_pct,
                                            double threshold_pct) {
  if (threshold_pct <= 0 || (host_cpu_pct && *host_cpu_pct < threshold_pct)) return std::nullopt;
  return "stabilize_cpu intent " + intent_id + " holds new opens while the host CPU (" +
         (host_cpu_pct ? Pct(*host_cpu_pct) : std::string("no reading yet")) + ") is at or above " +
         Pct(threshold_pct);
}

AdmissionVerdict Admit(const AdmissionFacts& facts) {
  auto pct = Pct;
  if (facts.opens_window && !facts.stabilizing.empty()) {
    if (std::optional<std::string> held =
            StabilizeRefusal(facts.stabilizing, facts.host_cpu_pct, facts.threshold_pct)) {
      return {false, "the host CPU to fall under " + pct(facts.threshold_pct) + " (" + *held + ")"};
    }
  }
  if (facts.threshold_pct > 0 && !facts.relieves_load) {
    if (!facts.host_cpu_pct) return {false, "a first reading of the host CPU"};
    if (*facts.host_cpu_pct >= facts.threshold_pct) {
      return {false, "the host CPU (" + pct(*facts.host_cpu_pct) + ") to fall under " +
                         pct(facts.threshold_pct)};
    }
  }
  if (facts.per_source) {
    if (facts.quota.max_concurrent > 0 && facts.executing_of_source >= facts.quota.max_concurrent) {
      return {false, "one of the source's " + std::to_string(facts.executing_of_source) +
                         " executing intents to end (max_concurrent " +
                         std::to_string(facts.quota.max_concurrent) + ")"};
    }
    if (facts.quota.cpu_share_pct > 0 && !facts.relieves_load) {
      if (!facts.source_cpu_pct) {
        return {false, "a first reading of the CPU of the source's containers (container stats)"};
      }
      if (*facts.source_cpu_pct >= facts.quota.cpu_share_pct) {
        return {false, "the source's containers (" + pct(*facts.source_cpu_pct) +
                           " of the host) to fall under its cpu_share_pct " +
                           pct(facts.quota.cpu_share_pct)};
      }
    }
  }
  return {true, ""};
}

std::optional<double> SourceCpuPct(const std::string& source,
                                   const std::vector<SourceWindow>& windows,
                                   const std::vector<ContainerState>& observed,
                                   const std::map<std::string, ContainerStats>* stats,
                                   int host_cpus) {
  std::set<std::string> services;
  for (const SourceWindow& w : windows) {
    if (w.source == source) services.insert(w.services.begin(), w.services.end());
  }
  double one_core_pct = 0;
  bool runs = false;
  for (const ContainerState& c : observed) {
    if (c.state != "running" || !services.count(c.service)) continue;
    runs = true;
    if (!stats) continue;
    if (auto it = stats->find(c.id); it != stats->end()) one_core_pct += it->second.cpu_percent;
  }
  if (!runs) return 0.0;
  if (!stats) return std::nullopt;
  return one_core_pct / std::max(1, host_cpus);
}

}  // namespace madre
