// A read-only view of the project's containers (Engine API or compose ps).
#pragma once

#include <vector>

#include "base/status.h"
#include "core/model.h"

namespace madre {

// Blocking; safe to call from any thread. kUnavailable when Docker cannot be reached.
class ContainerObserver {
 public:
  virtual ~ContainerObserver() = default;
  virtual Result<std::vector<ContainerState>> ListProject() = 0;
};

}  // namespace madre
