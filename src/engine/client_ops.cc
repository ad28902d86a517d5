#include "engine/client_ops.h"

#include <algorithm>
#include <utility>

#include "engine/audit_records.h"
#include "engine/engine_metrics.h"

namespace madre {

ClientOps::ClientOps(const Planner& planner, Clock& clock, Metrics* metrics,
                     std::function<Status(AuditRecord)> audit,
                     std::function<Status(const std::string&)> unrecorded)
    : planner_(planner),
      clock_(clock),
      metrics_(metrics),
      audit_(std::move(audit)),
      unrecorded_(std::move(unrecorded)) {}

void ClientOps::AddOpen(std::unique_ptr<WindowOp> op) {
  const std::string id = op->window_id;
  open_ops_[id] = std::move(op);
}

void ClientOps::AddClose(std::unique_ptr<WindowOp> op) {
  const std::string id = op->window_id;
  close_ops_[id] = std::move(op);
}

void ClientOps::AddService(std::unique_ptr<ServiceOp> op) { service_ops_.push_back(std::move(op)); }

void ClientOps::AddSolo(std::unique_ptr<SoloOp> op) { solo_ops_.push_back(std::move(op)); }

void ClientOps::OnActionResult(const Action& action, const ActionResult& result,
                               const std::vector<DockerOp>& ops) {
  for (const auto& id : action.window_ids) {
    auto& bucket = ops_by_window_[id];
    bucket.insert(bucket.end(), ops.begin(), ops.end());
  }
  for (auto& op : service_ops_) {
    const bool mine =
        op->action_id ? *op->action_id == action.id
                      : std::count(action.services.begin(), action.services.end(), op->service) > 0;
    if (!mine) continue;
    op->ops.insert(op->ops.end(), ops.begin(), ops.end());
    if (op->action_id) {
      op->action_done = true;
      op->action_status = result.status;
    }
  }
  if (action.kind == ActionKind::kStop) {
    for (auto& solo : solo_ops_) {
      solo->ops.insert(solo->ops.end(), ops.begin(), ops.end());
      for (const auto& outcome : result.services) {
        (outcome.ok ? solo->stopped : solo->failed).push_back(outcome.service);
        solo->details.push_back("stop " + outcome.service + ": " +
                                (outcome.ok ? std::string("ok") : outcome.error));
      }
    }
  }
}

void ClientOps::ExpireWaits(TimePoint now) {
  for (auto& [id, op] : open_ops_) {
    if (op->open_reply && op->wait_deadline && *op->wait_deadline <= now) {
      const Window* window = planner_.FindWindow(id);
      if (window) op->open_reply(OpenOutcome{*window, false});
      op->open_reply = nullptr;
      op->wait_deadline.reset();
    }
  }
}

std::optional<TimePoint> ClientOps::NextWaitDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& [id, op] : open_ops_) {
    if (op->open_reply && op->wait_deadline && (!next || *op->wait_deadline < *next)) {
      next = op->wait_deadline;
    }
  }
  return next;
}

void ClientOps::FinishWindows(const std::vector<Window>& changed) {
  for (const Window& window : changed) {
    const std::string& id = window.id;
    // A change that could not be recorded is not acknowledged: a waiting client gets 500 (the
    // operation goes on, and is audited, as the save is retried).
    if (Status unrecorded = unrecorded_(id); !unrecorded.ok()) {
      if (auto op = open_ops_.find(id); op != open_ops_.end() && op->second->open_reply) {
        std::exchange(op->second->open_reply, nullptr)(unrecorded);
      }
      if (auto op = close_ops_.find(id); op != close_ops_.end() && op->second->close_reply) {
        std::exchange(op->second->close_reply, nullptr)(unrecorded);
      }
    }
    // Open: finished when the window leaves `opening`.
    auto open = open_ops_.find(id);
    if (open != open_ops_.end() && window.state != WindowState::kOpening) {
      AuditRecord record =
          audit_records::WindowOpened(window, open->second->actor, std::move(ops_by_window_[id]));
      ops_by_window_.erase(id);
      if (metrics_) {
        metrics_->Add(kMetricWindowOpens, {{"outcome", AuditOutcomeName(record.outcome)}});
        if (window.opened_at) {
          metrics_->Observe(kMetricWindowReady, {},
                            (*window.opened_at - window.created_at).count() / 1e6);
        }
      }
      Status audited = audit_(std::move(record));
      if (open->second->open_reply) {
        if (audited.ok()) {
          open->second->open_reply(OpenOutcome{window, true});
        } else {
          open->second->open_reply(audited);
        }
      }
      open_ops_.erase(open);
    }
    // Close: a window that starts closing without a client op gets one (ttl, solo_madre, ...).
    if ((window.state == WindowState::kClosing || window.state == WindowState::kClosed) &&
        !close_ops_.count(id)) {
      auto op = std::make_unique<WindowOp>();
      op->window_id = id;
      op->actor = planner_.ClosedBy(id).ToString();
      close_ops_[id] = std::move(op);
    }
    auto close = close_ops_.find(id);
    if (close != close_ops_.end() && window.state == WindowState::kClosed) {
      if (metrics_) {
        metrics_->Add(kMetricWindowCloses, {{"reason", CloseReasonName(window.close_reason)}});
      }
      Status audited = audit_(
          audit_records::WindowClosed(window, close->second->actor, std::move(ops_by_window_[id])));
      ops_by_window_.erase(id);
      if (close->second->close_reply) {
        if (audited.ok()) {
          close->second->close_reply(window);
        } else {
          close->second->close_reply(audited);
        }
      }
      close_ops_.erase(close);
    }
    if (window.Terminal()) ops_by_window_.erase(id);
  }
}

void ClientOps::FinishServices() {
  for (auto it = service_ops_.begin(); it != service_ops_.end();) {
    ServiceOp& op = **it;
    bool done = false;
    ServiceOpOutcome out;
    out.service = op.service;
    out.action = op.action;
    out.windows_closed = op.windows_closed;
    const auto& tracks = planner_.services();
    auto track = tracks.find(op.service);
    if (op.action == "restart") {
      done = op.action_done;
      out.ok = op.action_status.ok();
      out.error = op.action_status.message();
    } else if (track != tracks.end() && !track->second.in_flight &&
               track->second.phase != ServicePhase::kUnknown) {
      done = true;
      out.ok = track->second.phase == ServicePhase::kStopped;
      out.error = track->second.error;
    }
    if (!done) {
      ++it;
      continue;
    }
    Status audited = audit_(audit_records::ServiceDone(op.service, op.action, op.actor, out.ok,
                                                       out.error, std::move(op.ops)));
    if (op.reply) {
      if (audited.ok()) {
        op.reply(std::move(out));
      } else {
        op.reply(audited);
      }
    }
    it = service_ops_.erase(it);
  }
}

void ClientOps::FinishSolo() {
  for (auto it = solo_ops_.begin(); it != solo_ops_.end();) {
    SoloOp& op = **it;
    bool done = !planner_.ActionInFlight(op.observe_id) && planner_.observed_once();
    for (const auto& id : op.windows) {
      const Window* window = planner_.FindWindow(id);
      if (window && !window->Terminal()) done = false;  // a terminal one only awaits its save
    }
    for (const auto& [name, track] : planner_.services()) {
      if (track.in_flight && !planner_.IsWanted(name)) done = false;
    }
    if (!done) {
      ++it;
      continue;
    }
    SoloMadreOutcome out;
    std::sort(op.stopped.begin(), op.stopped.end());
    op.stopped.erase(std::unique(op.stopped.begin(), op.stopped.end()), op.stopped.end());
    out.services_stopped = op.stopped;
    out.windows_closed = op.windows;
    out.exec_details = op.details;
    out.exec_status = op.failed.empty()    ? AuditOutcome::kOk
                      : op.stopped.empty() ? AuditOutcome::kFail
                                           : AuditOutcome::kPartial;
    Status audited = audit_(audit_records::SoloMadreApplied(op.actor, out.services_stopped,
                                                            out.exec_status, std::move(op.ops)));
    if (audited.ok()) {
      op.reply(std::move(out));
    } else {
      op.reply(audited);
    }
    it = solo_ops_.erase(it);
  }
}

}  // namespace madre
