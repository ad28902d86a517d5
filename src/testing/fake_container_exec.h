// A ContainerExec whose checks end on a FakeClock: the test sets each container's healthcheck
// and how its checks go (exit code, how long one runs). Like the real adapter, it refuses a
// second check in a container while one it started has not been seen to end.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "ports/container_exec.h"

namespace madre {

class FakeContainerExec final : public ContainerExec {
 public:
  explicit FakeContainerExec(const Clock& clock) : clock_(clock) {}

  // Test controls.
  void SetHealthcheck(const std::string& container, HealthcheckConfig config) {
    std::lock_guard lock(mu_);
    configs_[container] = std::move(config);
  }
  // The checks started from now on in `container` exit with `exit_code` after `runs_for`
  // (Duration::max(): they never end).
  void SetOutcome(const std::string& container, int exit_code, Duration runs_for = Millis(0)) {
    std::lock_guard lock(mu_);
    outcomes_[container] = {exit_code, runs_for};
  }
  void FailNextStart(Status status) {
    std::lock_guard lock(mu_);
    fail_next_start_ = std::move(status);
  }
  // "start <container> <argv...>", "abandon <exec> timed-out|left".
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int starts() const {
    std::lock_guard lock(mu_);
    return starts_;
  }
  int abandoned_timed_out() const {
    std::lock_guard lock(mu_);
    return abandoned_timed_out_;
  }

  // ContainerExec
  Result<HealthcheckConfig> Healthcheck(const std::string& container) override {
    std::lock_guard lock(mu_);
    auto it = configs_.find(container);
    if (it == configs_.end()) return HealthcheckConfig{};
    return it->second;
  }
  Result<std::string> StartCheck(const std::string& container,
                                 const std::vector<std::string>& argv) override {
    std::lock_guard lock(mu_);
    std::string call = "start " + container;
    for (const auto& arg : argv) call += " " + arg;
    calls_.push_back(call);
    if (fail_next_start_) {
      Status status = std::move(*fail_next_start_);
      fail_next_start_.reset();
      return status;
    }
    for (const auto& [id, exec] : execs_) {
      if (exec.container == container && !Ended(exec)) {
        return Status::FailedPrecondition("a check still runs in " + container);
      }
    }
    Outcome outcome = outcomes_.count(container) ? outcomes_[container] : Outcome{1, Millis(0)};
    const std::string id = "exec-" + std::to_string(++starts_);
    execs_[id] = {container, clock_.Now(), outcome};
    return id;
  }
  Result<ExecProgress> InspectCheck(const std::string& exec_id) override {
    std::lock_guard lock(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return Status::NotFound("no exec " + exec_id);
    if (!Ended(it->second)) return ExecProgress{true, -1};
    return ExecProgress{false, it->second.outcome.exit_code};
  }
  void Abandon(const std::string& exec_id, bool timed_out) override {
    std::lock_guard lock(mu_);
    calls_.push_back("abandon " + exec_id + (timed_out ? " timed-out" : " left"));
    if (timed_out) ++abandoned_timed_out_;
  }

 private:
  struct Outcome {
    int exit_code = 1;
    Duration runs_for = Millis(0);
  };
  struct Exec {
    std::string container;
    TimePoint started{};
    Outcome outcome;
  };
  bool Ended(const Exec& exec) const {
    return exec.outcome.runs_for != Duration::max() &&
           clock_.Now() - exec.started >= exec.outcome.runs_for;
  }

  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, HealthcheckConfig> configs_;
  std::map<std::string, Outcome> outcomes_;
  std::map<std::string, Exec> execs_;
  std::optional<Status> fail_next_start_;
  std::vector<std::string> calls_;
  int starts_ = 0;
  int abandoned_timed_out_ = 0;
};

}  // namespace madre
