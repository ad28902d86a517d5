// The client operations the engine answers when they complete, and their bookkeeping: an
// open (answered when the window leaves `opening`, or at its wait deadline), a close (when the
// window is `closed`), a service stop or restart, a SOLO_MADRE apply. Collects the docker
// operations each one ran for its audit record, writes that record and answers.
//
// Threading: engine thread only (the Engine owns one).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "core/audit_outcome.h"
#include "core/planner.h"
#include "core/window.h"
#include "ports/audit_log.h"
#include "ports/compose_runner.h"

namespace madre {

template <typename T>
using Reply = std::function<void(Result<T>)>;

// The answer to an open: the window and, when every service failed, the status.
struct OpenOutcome {
  Window window;
  bool finished = false;  // false: answered before the window left `opening` (wait timeout)
};

struct ServiceOpOutcome {
  std::string service;
  std::string action;  // start|stop|restart
  bool ok = false;
  std::string error;
  std::vector<std::string> windows_closed;
  std::optional<Window> window;  // for start: the hold window
};

struct SoloMadreOutcome {
  std::vector<std::string> services_stopped;
  std::vector<std::string> windows_closed;
  AuditOutcome exec_status = AuditOutcome::kOk;  // kOk, kPartial or kFail
  std::vector<std::string> exec_details;
};

// An open or a close of one window; a close without a client (ttl, solo_madre, service) has no
// reply but is audited all the same.
struct WindowOp {
  std::string window_id;
  std::string actor;
  Reply<OpenOutcome> open_reply;
  Reply<Window> close_reply;
  std::optional<TimePoint> wait_deadline;
  std::string detail;
};

// A service stop (done when the service is at rest) or restart (done with its action).
struct ServiceOp {
  std::string service;
  std::string action;  // stop|restart
  std::string actor;
  std::optional<std::int64_t> action_id;  // restart: the action to wait for
  bool action_done = false;
  Status action_status;
  std::vector<std::string> windows_closed;
  std::vector<DockerOp> ops;
  Reply<ServiceOpOutcome> reply;
};

// A SOLO_MADRE apply: done when its windows closed, its observe ran and the stops finished.
struct SoloOp {
  std::string actor;
  std::int64_t observe_id = 0;
  std::vector<std::string> windows;
  std::vector<std::string> stopped;
  std::vector<std::string> failed;
  std::vector<std::string> details;
  std::vector<DockerOp> ops;
  Reply<SoloMadreOutcome> reply;
};

class ClientOps {
 public:
  // `audit` appends a record (Engine::AppendAudit); `unrecorded` says whether a window's last
  // save failed (Engine::Unrecorded). `metrics` is borrowed; null: none.
  ClientOps(const Planner& planner, Clock& clock, Metrics* metrics,
            std::function<Status(AuditRecord)> audit,
            std::function<Status(const std::string&)> unrecorded);

  void AddOpen(std::unique_ptr<WindowOp> op);
  void AddClose(std::unique_ptr<WindowOp> op);
  void AddService(std::unique_ptr<ServiceOp> op);
  void AddSolo(std::unique_ptr<SoloOp> op);

  // Collects the action's docker operations for the windows and ops it served.
  void OnActionResult(const Action& action, const ActionResult& result,
                      const std::vector<DockerOp>& ops);
  // After the changed windows were persisted: audit and answer what finished.
  void FinishWindows(const std::vector<Window>& changed);
  void FinishServices();
  void FinishSolo();
  // Answers opens whose wait deadline passed with the window as it is (still `opening`).
  void ExpireWaits(TimePoint now);
  std::optional<TimePoint> NextWaitDeadline() const;
  // True while a solo_madre/apply is waiting for its stops.
  bool solo_pending() const { return !solo_ops_.empty(); }

 private:
  const Planner& planner_;
  Clock& clock_;
  Metrics* metrics_;
  std::function<Status(AuditRecord)> audit_;
  std::function<Status(const std::string&)> unrecorded_;
  std::map<std::string, std::unique_ptr<WindowOp>> open_ops_;   // by window id
  std::map<std::string, std::unique_ptr<WindowOp>> close_ops_;  // by window id
  std::vector<std::unique_ptr<ServiceOp>> service_ops_;
  std::vector<std::unique_ptr<SoloOp>> solo_ops_;
  std::map<std::string, std::vector<DockerOp>> ops_by_window_;
};

}  // namespace madre
