// Admission of window opens on a busy host (VX11_THROTTLE_CPU_PCT, VX11_THROTTLE_MODE).
//
// An open is admitted when the host CPU busy share over the last 1-60 s is at most the limit.
// Above it, in "wait" mode the decision is taken again after 1, 2 and 4 s, on a timer (no
// thread sleeps meanwhile); after that, or at once in "refuse" mode, the open is refused with
// 503 `unavailable`, Retry-After: 10, and an audited rejection. The CPU figure never blocks:
// when no reading is old enough yet (just after start), the throttle looks again 1 s later.
// While a hold applies (an executing stabilize_cpu intent and the host at or above its
// threshold: IntentRunner::OpenHold), an open is refused at once the same way, naming it,
// whatever the mode (and even with the throttle off).
//
// Threading: engine thread only (the scheduled jobs run there too).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "http_api/http_common.h"

namespace madre {

struct ThrottleOptions {
  int cpu_pct = 70;  // 0 or 100 (or above): off
  bool wait = true;  // back off 1, 2, 4 s before refusing
};

class OpenThrottle {
 public:
  // How often the CPU meter is fed while throttling is on, so that an open always finds a
  // reading between 1 and 60 s old.
  static constexpr Duration kMeterPeriod = Seconds(20);
  static constexpr int kRetries = 3;

  struct Deps {
    // Host CPU busy % since a reading 1-60 s old; nullopt when there is none yet. Never blocks.
    std::function<std::optional<double>()> busy;
    // Adds a reading to the CPU meter (cheap).
    std::function<void()> snapshot;
    ScheduleAfter after;
    // Records a refused open (Engine::AuditRejected).
    std::function<void(const std::string& actor, const Status& why)> audit_rejected;
    // Why opens are held now (a stabilize_cpu intent); nullopt or empty: no hold.
    std::function<std::optional<std::string>()> hold = {};
  };

  OpenThrottle(ThrottleOptions options, Deps deps);

  bool enabled() const;
  // Feeds the meter now and every kMeterPeriod (when enabled).
  void Start();
  // Calls `go` once the host allows the open, or answers `respond` with the refusal.
  void Admit(const std::string& actor, std::function<void()> go, Responder respond);
  // Opens waiting for admission now.
  int waiting() const { return waiting_; }

 private:
  void Decide(std::string actor, int attempt, bool looked_again, std::function<void()> go,
              Responder respond);
  void FeedMeter();
  void Refuse(const std::string& actor, const std::string& why, Responder respond);

  ThrottleOptions options_;
  Deps deps_;
  int waiting_ = 0;
};

}  // namespace madre
