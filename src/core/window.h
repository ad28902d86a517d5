// A power window: a named, time-boxed grant that keeps a set of services up.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace madre {

enum class WindowState { kOpening, kOpen, kClosing, kClosed, kFailed };
enum class CloseReason {
  kNone,
  kManualClose,
  kTtlExpired,
  kExecFailed,
  kSoloMadreApplied,
  kServiceStopped
};

// Who a window is for. Only client windows count against VX11_POWER_WINDOWS_MAX_CONCURRENT, are
// chosen by a close without an id, and are /state's `window_id` (the original clients' one
// window); a service hold (service/{name}/start) and an adopted service (started outside madre,
// VX11_EXTERNAL_START=adopt) are windows of their own kinds beside it.
enum class WindowKind { kClient, kServiceHold, kAdopted };

const char* WindowStateName(WindowState state);
std::optional<WindowState> ParseWindowState(const std::string& text);
const char* CloseReasonName(CloseReason reason);  // "" for kNone
const char* WindowKindName(WindowKind kind);      // client, service_hold, adopted
std::optional<WindowKind> ParseWindowKind(std::string_view text);
std::optional<CloseReason> ParseCloseReason(const std::string& text);

// Where a service stands inside a window (ServiceStatus::state). The wire and storage strings
// (ServiceStateName) are translated only at the edges: api/ (JSON views) and the SQLite window
// codec. What the planner writes: while the window opens, pending, starting, running or failed;
// while it is open, the service phase (unknown, stopped, starting, running, stopping, failed)
// or crashloop; once it closes, stopped or failed.
enum class ServiceState {
  kPending,
  kUnknown,
  kStopped,
  kStarting,
  kRunning,
  kStopping,
  kFailed,
  kCrashloop,
  // Failed, and autofix is remediating it (VX11_AUTOFIX_AUTO_ACTIONS): its window stays
  // `opening` / `open` meanwhile (docs/autofix.md).
  kRemediating
};

// pending, unknown, stopped, starting, running, stopping, failed, crashloop, remediating.
const char* ServiceStateName(ServiceState state);
std::optional<ServiceState> ParseServiceState(std::string_view text);

// Per-service status inside a window.
struct ServiceStatus {
  ServiceState state = ServiceState::kPending;
  std::string health;  // healthy|unhealthy|starting|"" (unknown / none)
  int restart_count = 0;
  std::string error;

  friend bool operator==(const ServiceStatus&, const ServiceStatus&) = default;
};

struct Window {
  std::string id;
  WindowKind kind = WindowKind::kClient;
  WindowState state = WindowState::kOpening;
  bool hold = false;
  std::string mode = "ttl";           // "ttl" | "hold" (as requested)
  std::vector<std::string> services;  // as requested, sorted
  std::vector<std::string>
      effective_services;  // with depends_on closure, minus always-on, start order
  std::string reason = "manual";
  std::string actor;  // who opened it: the caller ("ci@10.0.0.7", core/identity.h)
  TimePoint created_at{};
  std::optional<TimePoint> opened_at;
  std::optional<std::int64_t> ttl_sec;  // nullopt: no TTL (hold mode)
  std::optional<TimePoint> deadline;    // set when the window opens (TTL counts from then)
  std::optional<TimePoint> closed_at;
  CloseReason close_reason = CloseReason::kNone;
  std::vector<std::string> services_started;  // started by this window's open, in start order
  std::vector<std::string> services_stopped;  // stopped because this window closed
  std::map<std::string, ServiceStatus> services_status;
  std::string error;         // why it failed, if it did
  bool skip_health = false;  // ready as soon as the containers run
  // The most CPUs each container of the window may use (compose's `cpus`; core/cpu_limits.h),
  // while the window is live; nullopt: none asked.
  std::optional<double> cpu_limit;

  bool Live() const { return state == WindowState::kOpening || state == WindowState::kOpen; }
  bool Terminal() const { return state == WindowState::kClosed || state == WindowState::kFailed; }

  friend bool operator==(const Window&, const Window&) = default;
};

// The first live window (by id) of `windows` whose effective services include `service`; null
// when none. `count_service_holds` false skips service holds (a hold is not a window that a
// client waits on).
const Window* LiveWindowWanting(const std::map<std::string, Window>& windows,
                                std::string_view service, bool count_service_holds = true);

}  // namespace madre
