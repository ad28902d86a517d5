#include "core/intent_executor.h"

#include <cstdio>

#include "core/cpu_limits.h"

namespace madre {

IntentExecutor ExecutorFor(std::string_view type) {
  if (type == "window") return IntentExecutor::kWindow;
  if (type == "spawn") return IntentExecutor::kSpawn;
  if (type == "build") return IntentExecutor::kBuild;
  if (type == "stabilize_cpu") return IntentExecutor::kStabilizeCpu;
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

AdmissionVerdict Admit(const AdmissionFacts& facts) {
  auto pct = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f%%", v);
    return std::string(text);
  };
  if (facts.threshold_pct > 0) {
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
    if (facts.quota.cpu_share_pct > 0 && facts.source_cpu_pct >= facts.quota.cpu_share_pct) {
      return {false, "the source's containers (" + pct(facts.source_cpu_pct) +
                         " of the host) to fall under its cpu_share_pct " +
                         pct(facts.quota.cpu_share_pct)};
    }
  }
  return {true, ""};
}

}  // namespace madre
