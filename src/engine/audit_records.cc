#include "engine/audit_records.h"

namespace madre::audit_records {

namespace {

AuditRecord Record(const std::string& actor, const std::string& action, AuditOutcome outcome) {
  AuditRecord record;
  record.actor = actor;
  record.action = action;
  record.outcome = outcome;
  return record;
}

bool AnyFailed(const Window& window) {
  for (const auto& [name, status] : window.services_status) {
    if (status.state == ServiceState::kFailed) return true;
  }
  return false;
}

}  // namespace

AuditOutcome OpenOutcome(const Window& window) {
  if (window.state == WindowState::kFailed) return AuditOutcome::kFail;
  if (window.state != WindowState::kOpen) return AuditOutcome::kCancelled;
  return AnyFailed(window) ? AuditOutcome::kPartial : AuditOutcome::kOk;
}

AuditOutcome CloseOutcome(const Window& window) {
  return AnyFailed(window) ? AuditOutcome::kPartial : AuditOutcome::kOk;
}

AuditRecord Rejected(const std::string& action, const std::string& actor, const Status& why) {
  AuditRecord record = Record(actor, action, AuditOutcome::kRejected);
  record.detail = why.message();
  return record;
}

AuditRecord MadreStarted(const std::vector<std::string>& restored_ids) {
  AuditRecord record = Record("madre", "madre.start", AuditOutcome::kOk);
  std::string restored;
  for (const auto& id : restored_ids) restored += (restored.empty() ? "" : ", ") + id;
  record.detail = "restored " + std::to_string(restored_ids.size()) + " window(s)" +
                  (restored.empty() ? "" : " (" + restored + ")") + "; reconciling with Docker";
  return record;
}

AuditRecord OpenAccepted(const Window& window, const std::string& actor) {
  AuditRecord record = Record(actor, "window.open", AuditOutcome::kAccepted);
  record.window_id = window.id;
  record.services = window.services;
  record.reason = window.reason;
  return record;
}

AuditRecord CloseAccepted(const std::string& window_id, const std::string& actor) {
  AuditRecord record = Record(actor, "window.close", AuditOutcome::kAccepted);
  record.window_id = window_id;
  return record;
}

AuditRecord HoldChanged(const std::string& window_id, bool hold, const std::string& actor,
                        const Status& refused, const Status& unrecorded) {
  AuditRecord record = Record(actor, hold ? "window.hold" : "window.unhold",
                              !refused.ok()     ? AuditOutcome::kRejected
                              : unrecorded.ok() ? AuditOutcome::kOk
                                                : AuditOutcome::kFail);
  record.window_id = window_id;
  if (!refused.ok()) record.detail = refused.message();
  if (!unrecorded.ok()) record.detail = unrecorded.message();
  return record;
}

AuditRecord Extended(const std::string& window_id, std::int64_t ttl_sec, const std::string& actor,
                     const Status& refused, const Status& unrecorded) {
  AuditRecord record = Record(actor, "window.extend",
                              !refused.ok()     ? AuditOutcome::kRejected
                              : unrecorded.ok() ? AuditOutcome::kOk
                                                : AuditOutcome::kFail);
  record.window_id = window_id;
  record.detail = !refused.ok()      ? refused.message()
                  : !unrecorded.ok() ? unrecorded.message()
                                     : "extended by " + std::to_string(ttl_sec) + " s";
  return record;
}

AuditRecord ServiceRequested(const std::string& service, const std::string& verb,
                             const std::string& actor, const Status& status) {
  AuditRecord record = Record(actor, "service." + verb,
                              status.ok() ? AuditOutcome::kAccepted : AuditOutcome::kRejected);
  record.services = {service};
  record.detail = status.message();
  return record;
}

AuditRecord ServiceDone(const std::string& service, const std::string& verb,
                        const std::string& actor, bool ok, const std::string& error,
                        std::vector<DockerOp> ops) {
  AuditRecord record =
      Record(actor, "service." + verb, ok ? AuditOutcome::kOk : AuditOutcome::kFail);
  record.services = {service};
  record.detail = error;
  record.ops = std::move(ops);
  return record;
}

AuditRecord SoloMadreAccepted(const std::string& actor) {
  return Record(actor, "solo_madre.apply", AuditOutcome::kAccepted);
}

AuditRecord SoloMadreApplied(const std::string& actor, const std::vector<std::string>& stopped,
                             AuditOutcome exec_status, std::vector<DockerOp> ops) {
  AuditRecord record = Record(actor, "solo_madre.applied", exec_status);
  record.services = stopped;
  record.ops = std::move(ops);
  return record;
}

AuditRecord CrashLoop(const std::string& service, const std::string& window_id, bool stopped,
                      const std::string& detail) {
  AuditRecord record = Record("docker", "service.crashloop",
                              stopped ? AuditOutcome::kStopped : AuditOutcome::kReported);
  record.services = {service};
  record.window_id = window_id;
  record.detail = detail;
  return record;
}

AuditRecord Reconcile(bool start, const std::vector<std::string>& services, AuditOutcome outcome,
                      const std::string& detail, std::vector<DockerOp> ops) {
  AuditRecord record = Record("reconcile", start ? "reconcile.start" : "reconcile.stop", outcome);
  record.services = services;
  record.detail = detail;
  record.ops = std::move(ops);
  return record;
}

AuditRecord WindowOpened(const Window& window, const std::string& actor,
                         std::vector<DockerOp> ops) {
  AuditRecord record = Record(actor, "window.opened", OpenOutcome(window));
  record.window_id = window.id;
  record.services = window.services;
  record.reason = window.reason;
  record.detail = window.error;
  record.ops = std::move(ops);
  return record;
}

AuditRecord WindowAdopted(const Window& window, const Status& unrecorded) {
  AuditRecord record = Record("external", "window.adopted",
                              unrecorded.ok() ? AuditOutcome::kOk : AuditOutcome::kFail);
  record.window_id = window.id;
  record.services = window.services;
  record.reason = window.reason;
  record.detail = !unrecorded.ok() ? unrecorded.message()
                  : window.ttl_sec
                      ? "started outside madre; kept for " + std::to_string(*window.ttl_sec) +
                            " s (VX11_EXTERNAL_START_TTL_SEC)"
                      : "started outside madre; kept until closed";
  return record;
}

AuditRecord WindowClosed(const Window& window, const std::string& actor,
                         std::vector<DockerOp> ops) {
  AuditRecord record = Record(actor, "window.closed", CloseOutcome(window));
  record.window_id = window.id;
  record.services = window.services_stopped;
  record.reason = CloseReasonName(window.close_reason);
  record.detail = window.error;
  record.ops = std::move(ops);
  return record;
}

AuditRecord LegacyForward(const std::string& actor, const std::string& method,
                          const std::string& path, int status, long long elapsed_ms,
                          AuditOutcome outcome, const std::string& error) {
  AuditRecord record = Record(actor, "legacy.forward", outcome);
  record.reason = method + " " + path;
  record.detail = std::to_string(status) + " in " + std::to_string(elapsed_ms) + " ms";
  if (!error.empty()) record.detail += ": " + error;
  return record;
}

AuditRecord IntentSubmitted(const Intent& intent) {
  AuditRecord record =
      Record(intent.identity + "@" + intent.peer, "intent.submitted", AuditOutcome::kAccepted);
  record.reason = intent.type;
  record.detail = intent.id + (intent.source.empty() ? "" : " from " + intent.source) +
                  (intent.correlation_id.empty() ? "" : ", correlation " + intent.correlation_id);
  return record;
}

AuditRecord Diagnosed(const Diagnosis& diagnosis, FailureKind failure, const std::string& window_id,
                      const std::string& forensic_dir) {
  AuditRecord record = Record("madre", "autofix.diagnosed", AuditOutcome::kReported);
  record.window_id = window_id;
  record.services = {diagnosis.service};
  record.reason = FailureCauseName(diagnosis.cause);
  std::string evidence;
  for (const std::string& line : diagnosis.evidence) {
    evidence += (evidence.empty() ? "" : "; ") + line;
  }
  constexpr std::size_t kMaxEvidence = 600;
  if (evidence.size() > kMaxEvidence) evidence = evidence.substr(0, kMaxEvidence) + "...";
  record.detail = std::string(FailureKindName(failure)) + " failure of " + diagnosis.service +
                  ": " + FailureCauseName(diagnosis.cause) + " (" + evidence + ")" +
                  (forensic_dir.empty() ? "" : "; forensic record " + forensic_dir);
  return record;
}

AuditRecord AutofixStep(const std::string& step, const std::string& service, AuditOutcome outcome,
                        const std::string& reason, const std::string& detail,
                        const std::string& window_id) {
  AuditRecord record = Record("madre", "autofix." + step, outcome);
  record.window_id = window_id;
  record.services = {service};
  record.reason = reason;
  record.detail = detail;
  return record;
}

AuditRecord IntentProgressed(const Intent& intent) {
  AuditOutcome outcome = AuditOutcome::kAccepted;
  if (intent.state == IntentState::kSucceeded) outcome = AuditOutcome::kOk;
  if (intent.state == IntentState::kFailed) outcome = AuditOutcome::kFail;
  AuditRecord record =
      Record("madre", std::string("intent.") + IntentStateName(intent.state), outcome);
  record.window_id = intent.task_id;
  record.reason = intent.detail;
  record.detail = intent.id + " (" + intent.type +
                  (intent.source.empty() ? "" : " from " + intent.source) + ", by " +
                  intent.identity + ")";
  return record;
}

AuditRecord IntentDecided(const Intent& intent, DecisionKind kind) {
  const char* action = "intent.approved";
  AuditOutcome outcome = AuditOutcome::kAccepted;
  switch (kind) {
    case DecisionKind::kApprove:
      break;
    case DecisionKind::kReject:
      action = "intent.rejected";
      outcome = AuditOutcome::kRejected;
      break;
    case DecisionKind::kCancel:
      action = "intent.cancelled";
      outcome = AuditOutcome::kCancelled;
      break;
    case DecisionKind::kExpire:
      action = "intent.expired";
      outcome = AuditOutcome::kCancelled;
      break;
  }
  AuditRecord record = Record(intent.decided_by, action, outcome);
  record.reason = intent.reason;
  record.detail = intent.id + " (" + intent.type +
                  (intent.source.empty() ? "" : " from " + intent.source) + ", by " +
                  intent.identity + ")" + (intent.self_approved ? ": self_approved" : "");
  return record;
}

}  // namespace madre::audit_records
