// Builders for the engine's audit records: one function per record of the audit table in
// docs/design.md ("Audit points"), so that the engine's commands read as "do, then record".
// Pure: no clock (Engine::AppendAudit stamps the time), no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/audit_outcome.h"
#include "core/diagnosis.h"
#include "core/intent.h"
#include "core/window.h"
#include "ports/audit_log.h"
#include "ports/compose_runner.h"

namespace madre::audit_records {

// `window.opened` outcome: ok, partial (some service failed), fail, cancelled (closed while
// opening). `window.closed` outcome: ok, partial (some service failed to stop).
AuditOutcome OpenOutcome(const Window& window);
AuditOutcome CloseOutcome(const Window& window);

// A request refused before anything changed (`action` as requested, e.g. "window.open").
AuditRecord Rejected(const std::string& action, const std::string& actor, const Status& why);
// `madre.start`: recovery restored these windows.
AuditRecord MadreStarted(const std::vector<std::string>& restored_ids);
// `window.open` accepted: the window was stored, nothing ran yet.
AuditRecord OpenAccepted(const Window& window, const std::string& actor);
// `window.close` accepted.
AuditRecord CloseAccepted(const std::string& window_id, const std::string& actor);
// `window.hold`/`window.unhold` and `window.extend`: `refused` not ok gives `rejected`;
// `unrecorded` not ok (applied, the save failed) gives `fail`.
AuditRecord HoldChanged(const std::string& window_id, bool hold, const std::string& actor,
                        const Status& refused, const Status& unrecorded);
AuditRecord Extended(const std::string& window_id, std::int64_t ttl_sec, const std::string& actor,
                     const Status& refused, const Status& unrecorded);
// `service.stop`/`service.restart` requested (`accepted` or `rejected` by `status`).
AuditRecord ServiceRequested(const std::string& service, const std::string& verb,
                             const std::string& actor, const Status& status);
// `service.stop`/`service.restart` finished.
AuditRecord ServiceDone(const std::string& service, const std::string& verb,
                        const std::string& actor, bool ok, const std::string& error,
                        std::vector<DockerOp> ops);
// `solo_madre.apply` accepted, and `solo_madre.applied` when done.
AuditRecord SoloMadreAccepted(const std::string& actor);
AuditRecord SoloMadreApplied(const std::string& actor, const std::vector<std::string>& stopped,
                             AuditOutcome exec_status, std::vector<DockerOp> ops);
// `service.crashloop`, for `window_id` (may be empty); `stopped`: the crash-loop action stops it.
AuditRecord CrashLoop(const std::string& service, const std::string& window_id, bool stopped,
                      const std::string& detail);
// `reconcile.start` (`start`) or `reconcile.stop`: work that served no window.
AuditRecord Reconcile(bool start, const std::vector<std::string>& services, AuditOutcome outcome,
                      const std::string& detail, std::vector<DockerOp> ops);
// `window.opened` and `window.closed`, with the compose operations run for the window.
AuditRecord WindowOpened(const Window& window, const std::string& actor, std::vector<DockerOp> ops);
// `window.adopted`, actor external: a service started outside madre got a window of its own
// (VX11_EXTERNAL_START=adopt); fail when the window could not be recorded (retried).
AuditRecord WindowAdopted(const Window& window, const Status& unrecorded);
AuditRecord WindowClosed(const Window& window, const std::string& actor, std::vector<DockerOp> ops);

// `legacy.forward`: a request forwarded to the original madre (VX11_LEGACY_MADRE_URL). The
// reason is "METHOD path" (`path` without the query's values), the detail "STATUS in N ms"
// and `error` if any; never headers nor bodies. Outcome: ok (the upstream answered, whatever
// its status), fail (unreachable, timed out, answer too large), rejected (not forwarded).
AuditRecord LegacyForward(const std::string& actor, const std::string& method,
                          const std::string& path, int status, long long elapsed_ms,
                          AuditOutcome outcome, const std::string& error);

// `intent.submitted` (accepted): actor "identity@peer", reason the intent's type, detail its id,
// its source and its correlation id when given.
AuditRecord IntentSubmitted(const Intent& intent);
// A decision on an intent (`intent` as it is after it): `intent.approved` (accepted),
// `intent.rejected` (rejected), `intent.cancelled` and `intent.expired` (cancelled). Actor
// intent.decided_by ("ops@10.0.0.2", "policy:<rule>", "madre"), reason intent.reason, detail
// the id, type, source and requester, plus ": self_approved" for an approval by the requester.
AuditRecord IntentDecided(const Intent& intent, DecisionKind kind);
// `intent.admitted`, `intent.executing`, `intent.succeeded`, `intent.failed` (actor madre): a
// step of the intent's execution, with its detail and the window it opened or closed.
AuditRecord IntentProgressed(const Intent& intent);
// autofix.diagnosed (issue 12): a failure madre saw, diagnosed; `reason` is the cause, `detail`
// the evidence and where the forensic record is.
AuditRecord Diagnosed(const Diagnosis& diagnosis, FailureKind failure, const std::string& window_id,
                      const std::string& forensic_dir);
// One step of an autofix incident: `autofix.<step>` (proposed, retested, gave_up, reset) about
// `service`, with `outcome`, `reason` (the remediation or the result) and `detail`.
AuditRecord AutofixStep(const std::string& step, const std::string& service, AuditOutcome outcome,
                        const std::string& reason, const std::string& detail,
                        const std::string& window_id);

}  // namespace madre::audit_records
