// Starting and stopping existing containers directly through the Docker Engine
// API: the fast path that avoids a compose process per operation.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace madre {

// Blocking; thread-safe (calls may run in parallel).
class ContainerControl {
 public:
  virtual ~ContainerControl() = default;
  // Starting a running container succeeds.
  virtual Status StartContainer(const std::string& id) = 0;
  // SIGTERM, then SIGKILL after `timeout_sec`. Stopping a stopped container succeeds.
  virtual Status StopContainer(const std::string& id, int timeout_sec) = 0;
  // Freezes / thaws a running container (VX11_STOP_STRATEGY=pause): CPU freed, memory kept.
  virtual Status PauseContainer(const std::string& id) = 0;
  virtual Status UnpauseContainer(const std::string& id) = 0;
  // The container's CPU limit in billionths of a CPU, as Docker keeps it (HostConfig.NanoCpus;
  // 0: no limit). Running or not.
  virtual Result<std::int64_t> CpuLimit(const std::string& id) = 0;
  // Sets it (compose's `cpus` * 1e9), on a running or stopped container; 0 lifts the limit.
  // Afterwards CpuLimit answers `nano_cpus`, except after a lift (see the adapter).
  virtual Status UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) = 0;
};

}  // namespace madre
