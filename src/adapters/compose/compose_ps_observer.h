// Observes the project through `compose ps` when the Engine API is not usable
// (DOCKER_HOST that is not a unix socket).
#pragma once

#include "ports/compose_runner.h"
#include "ports/container_observer.h"

namespace madre {

class ComposePsObserver final : public ContainerObserver {
 public:
  explicit ComposePsObserver(ComposeRunner& compose) : compose_(compose) {}
  // ContainerObserver
  Result<std::vector<ContainerState>> ListProject() override { return compose_.Ps(); }

 private:
  ComposeRunner& compose_;
};

}  // namespace madre
