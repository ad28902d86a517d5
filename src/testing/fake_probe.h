// A ReadinessProbe whose answers the test sets per target.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "ports/readiness_probe.h"

namespace madre {

class FakeProbe final : public ReadinessProbe {
 public:
  void Set(const std::string& target, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[target] = std::move(status);
  }
  // ReadinessProbe: unknown targets are refused.
  Status HttpGet(const std::string& url, Duration /*timeout*/) override { return Answer(url); }
  Status TcpConnect(const std::string& host_port, Duration /*timeout*/) override {
    return Answer(host_port);
  }

 private:
  Status Answer(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = answers_.find(target);
    return it == answers_.end() ? Status::Unavailable("connection refused") : it->second;
  }
  std::mutex mu_;
  std::map<std::string, Status> answers_;
};

}  // namespace madre
