#include "core/window.h"

namespace madre {

const char* WindowStateName(WindowState state) {
  switch (state) {
    case WindowState::kOpening:
      return "opening";
    case WindowState::kOpen:
      return "open";
    case WindowState::kClosing:
      return "closing";
    case WindowState::kClosed:
      return "closed";
    case WindowState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::optional<WindowState> ParseWindowState(const std::string& text) {
  for (WindowState s : {WindowState::kOpening, WindowState::kOpen, WindowState::kClosing,
                        WindowState::kClosed, WindowState::kFailed}) {
    if (text == WindowStateName(s)) return s;
  }
  return std::nullopt;
}

const char* ServiceStateName(ServiceState state) {
  switch (state) {
    case ServiceState::kPending:
      return "pending";
    case ServiceState::kUnknown:
      return "unknown";
    case ServiceState::kStopped:
      return "stopped";
    case ServiceState::kStarting:
      return "starting";
    case ServiceState::kRunning:
      return "running";
    case ServiceState::kStopping:
      return "stopping";
    case ServiceState::kFailed:
      return "failed";
    case ServiceState::kCrashloop:
      return "crashloop";
    case ServiceState::kRemediating:
      return "remediating";
  }
  return "unknown";
}

std::optional<ServiceState> ParseServiceState(std::string_view text) {
  for (ServiceState s :
       {ServiceState::kPending, ServiceState::kUnknown, ServiceState::kStopped,
        ServiceState::kStarting, ServiceState::kRunning, ServiceState::kStopping,
        ServiceState::kFailed, ServiceState::kCrashloop, ServiceState::kRemediating}) {
    if (text == ServiceStateName(s)) return s;
  }
  return std::nullopt;
}

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kNone:
      return "";
    case CloseReason::kManualClose:
      return "manual_close";
    case CloseReason::kTtlExpired:
      return "ttl_expired";
    case CloseReason::kExecFailed:
      return "exec_failed";
    case CloseReason::kSoloMadreApplied:
      return "solo_madre_applied";
    case CloseReason::kServiceStopped:
      return "service_stopped";
  }
  return "";
}

std::optional<CloseReason> ParseCloseReason(const std::string& text) {
  for (CloseReason r :
       {CloseReason::kNone, CloseReason::kManualClose, CloseReason::kTtlExpired,
        CloseReason::kExecFailed, CloseReason::kSoloMadreApplied, CloseReason::kServiceStopped}) {
    if (text == CloseReasonName(r)) return r;
  }
  return std::nullopt;
}

const Window* LiveWindowWanting(const std::map<std::string, Window>& windows,
                                std::string_view service, bool count_service_holds) {
  for (const auto& [id, window] : windows) {
    if (!window.Live() || (!count_service_holds && window.kind == WindowKind::kServiceHold)) {
      continue;
    }
    for (const std::string& s : window.effective_services) {
      if (s == service) return &window;
    }
  }
  return nullptr;
}

const char* WindowKindName(WindowKind kind) {
  switch (kind) {
    case WindowKind::kClient:
      return "client";
    case WindowKind::kServiceHold:
      return "service_hold";
    case WindowKind::kAdopted:
      return "adopted";
  }
  return "client";
}

std::optional<WindowKind> ParseWindowKind(std::string_view text) {
  for (WindowKind k : {WindowKind::kClient, WindowKind::kServiceHold, WindowKind::kAdopted}) {
    if (text == WindowKindName(k)) return k;
  }
  return std::nullopt;
}

}  // namespace madre
