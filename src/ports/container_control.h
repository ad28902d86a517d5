// Starting and stopping existing containers directly through the Docker Engine
// API: the fast path that avoids a compose process per operation.
#pragma once

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
};

}  // namespace madre
