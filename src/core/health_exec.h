// Readiness in seconds whatever the healthcheck interval: from a container's start (or unpause)
// until its first pass, madre runs the container's own healthcheck itself (Engine API exec) at a
// short cadence, because Docker 20.10 runs it only every `interval` (30 s on the real stack) and
// lacks Engine 25's `start_interval`. Pure rules; the caller does the exec's I/O
// (ports/container_exec.h) and tells the schedule what happened.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace madre {

// A container's healthcheck as `docker inspect` shows Config.Healthcheck (compose or image).
// Zero durations / retries in the inspect answer mean Docker's defaults, which these are.
struct HealthcheckConfig {
  std::vector<std::string> test;  // ["CMD", arg...], ["CMD-SHELL", cmd], ["NONE"]; empty: none
  Duration interval = Seconds(30);
  Duration timeout = Seconds(30);
  Duration start_period = Duration::zero();
  int retries = 3;
  friend bool operator==(const HealthcheckConfig&, const HealthcheckConfig&) = default;
};

// What Docker executes for `test`: ["CMD", a, b] -> [a, b]; ["CMD-SHELL", c] -> ["/bin/sh",
// "-c", c]; nullopt for ["NONE"], an empty test, "CMD" without a command or an unknown form
// (no check: madre does not guess).
std::optional<std::vector<std::string>> HealthcheckArgv(const std::vector<std::string>& test);

// The exec'd checks of one container during one readiness wait. At most one check in flight;
// a check that outlives its timeout is abandoned (Docker cannot kill an exec) and the next one
// waits for the adapter to allow it. Checks stop at the first pass, or once
// start_period + retries x interval has passed since `since` (then Docker's status rules).
class ExecCheckSchedule {
 public:
  // `every`: the cadence between two check starts (vx11.health.exec_interval_ms).
  ExecCheckSchedule(HealthcheckConfig config, std::vector<std::string> argv, Duration every,
                    TimePoint since);

  const std::vector<std::string>& argv() const { return argv_; }
  const HealthcheckConfig& config() const { return config_; }
  bool passed() const { return passed_; }
  bool in_flight() const { return in_flight_since_.has_value(); }
  int checks_started() const { return started_; }

  // No check is to start any more: one passed, or the bound is over.
  bool Over(TimePoint now) const;
  // A check is to start now: none in flight, not over, the cadence elapsed since the last start
  // (or the last refusal).
  bool StartDue(TimePoint now) const;
  // The check in flight outlived its timeout: the caller abandons it (Abandoned).
  bool Overdue(TimePoint now) const;

  void Started(TimePoint now);
  // The adapter would not start one: try again after `retry_after` (a check madre let go of
  // earlier may still run: soon, it may end any moment) or the cadence (the exec API failed).
  void StartRefused(TimePoint now, std::optional<Duration> retry_after = std::nullopt);
  // The check in flight ended with `exit_code` (0 = pass).
  void Finished(int exit_code);
  // The check in flight could not be followed (its exec is gone): counts as not passed.
  void Lost();
  void Abandoned();

  // The latest time the caller should look again: with a check in flight after `poll` (or at
  // its timeout, if sooner), else when the next start is due; nullopt when Over.
  std::optional<TimePoint> NextLook(TimePoint now, Duration poll) const;

 private:
  HealthcheckConfig config_;
  std::vector<std::string> argv_;
  Duration every_;
  TimePoint since_;
  std::optional<TimePoint> in_flight_since_;
  std::optional<TimePoint> last_attempt_;
  std::optional<TimePoint> retry_at_;  // after a refusal with retry_after
  bool passed_ = false;
  int started_ = 0;
};

}  // namespace madre
