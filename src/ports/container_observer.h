// A read-only view of the project's containers (Engine API or compose ps).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "core/diagnosis.h"
#include "core/model.h"

namespace madre {

// Blocking; safe to call from any thread. kUnavailable when Docker cannot be reached.
class ContainerObserver {
 public:
  virtual ~ContainerObserver() = default;
  virtual Result<std::vector<ContainerState>> ListProject() = 0;
  // The last `tail` lines of a container's output (for failure reports).
  virtual Result<std::string> Logs(const std::string& container_id, int tail) {
    (void)container_id;
    (void)tail;
    return Status::Unavailable("container logs are not available through this observer");
  }
  // What Docker says about a container that failed (its inspect, and the last `tail` lines of
  // its output, oldest first): core/diagnosis.h's evidence, without the model's facts and the
  // dependencies' states, which the caller adds.
  virtual Result<FailureEvidence> Evidence(const std::string& container_id, int tail) {
    (void)container_id;
    (void)tail;
    return Status::Unavailable("container evidence is not available through this observer");
  }
  // CPU and memory of a running container, sampled over about a second (slow: cache it).
  virtual Result<ContainerStats> Stats(const std::string& container_id) {
    (void)container_id;
    return Status::Unavailable("container stats are not available through this observer");
  }
};

}  // namespace madre
