#include "core/health_exec.h"

#include <algorithm>
#include <utility>

namespace madre {

std::optional<std::vector<std::string>> HealthcheckArgv(const std::vector<std::string>& test) {
  if (test.empty()) return std::nullopt;
  if (test[0] == "CMD") {
    if (test.size() < 2) return std::nullopt;
    return std::vector<std::string>(test.begin() + 1, test.end());
  }
  if (test[0] == "CMD-SHELL") {
    if (test.size() != 2) return std::nullopt;
    return std::vector<std::string>{"/bin/sh", "-c", test[1]};
  }
  return std::nullopt;  // "NONE", or a form Docker itself would not run
}

ExecCheckSchedule::ExecCheckSchedule(HealthcheckConfig config, std::vector<std::string> argv,
                                     Duration every, TimePoint since)
    : config_(std::move(config)),
      argv_(std::move(argv)),
      every_(std::max(every, Millis(1))),
      since_(since) {}

bool ExecCheckSchedule::Over(TimePoint now) const {
  if (passed_) return true;
  const Duration bound = config_.start_period + config_.interval * std::max(config_.retries, 1);
  return now - since_ >= bound;
}

bool ExecCheckSchedule::StartDue(TimePoint now) const {
  if (in_flight() || Over(now)) return false;
  if (retry_at_) return now >= *retry_at_;
  return !last_attempt_ || now - *last_attempt_ >= every_;
}

bool ExecCheckSchedule::Overdue(TimePoint now) const {
  return in_flight() && now - *in_flight_since_ >= config_.timeout;
}

void ExecCheckSchedule::Started(TimePoint now) {
  in_flight_since_ = now;
  last_attempt_ = now;
  retry_at_.reset();
  ++started_;
}

void ExecCheckSchedule::StartRefused(TimePoint now, std::optional<Duration> retry_after) {
  last_attempt_ = now;
  retry_at_.reset();
  if (retry_after) retry_at_ = now + std::max(*retry_after, Millis(1));
}

void ExecCheckSchedule::Finished(int exit_code) {
  in_flight_since_.reset();
  if (exit_code == 0) passed_ = true;
}

void ExecCheckSchedule::Lost() { in_flight_since_.reset(); }

void ExecCheckSchedule::Abandoned() { in_flight_since_.reset(); }

std::optional<TimePoint> ExecCheckSchedule::NextLook(TimePoint now, Duration poll) const {
  if (in_flight()) return std::min(now + poll, *in_flight_since_ + config_.timeout);
  if (Over(now)) return std::nullopt;
  if (retry_at_) return std::max(now, *retry_at_);
  if (!last_attempt_) return now;
  return std::max(now, *last_attempt_ + every_);
}

}  // namespace madre
