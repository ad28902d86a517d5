// madre never acts on its own container (issue 14, docs/running.md): when it runs as a service
// of the stack it manages (core/self_container.h found its container), the ComposeRunner and
// the ContainerControl the engine acts through are wrapped in these decorators. An action that
// names madre's service or container is refused with kFailedPrecondition before it reaches
// Docker (a restart of madre by madre would end the request that asked for it; a stop would
// end madre); reads pass through. The always-on set keeps windows, closes and SOLO_MADRE away
// from it already: this is the last line, for service commands, autofix and crash-loop stops.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/self_container.h"
#include "ports/compose_runner.h"
#include "ports/container_control.h"

namespace madre {

struct SelfContainerRef {
  std::string id;       // full id
  std::string service;  // its compose service
};

class SelfGuardedCompose final : public ComposeRunner {
 public:
  // Borrowed; outlives this.
  SelfGuardedCompose(ComposeRunner& inner, SelfContainerRef self)
      : inner_(inner), self_(std::move(self)) {}

  Result<ServiceModel> Config() override { return inner_.Config(); }
  ComposeOutcome Up(const std::vector<std::string>& services) override;
  ComposeOutcome Stop(const std::vector<std::string>& services) override;
  ComposeOutcome Restart(const std::vector<std::string>& services) override;
  ComposeOutcome Recreate(const std::vector<std::string>& services) override;
  Result<std::vector<ContainerState>> Ps() override { return inner_.Ps(); }
  Result<std::map<std::string, std::string>> ConfigHashes() override {
    return inner_.ConfigHashes();
  }

 private:
  bool NamesSelf(const std::vector<std::string>& services) const;

  ComposeRunner& inner_;
  SelfContainerRef self_;
};

class SelfGuardedControl final : public ContainerControl {
 public:
  // Borrowed; outlives this.
  SelfGuardedControl(ContainerControl& inner, SelfContainerRef self)
      : inner_(inner), self_(std::move(self)) {}

  Status StartContainer(const std::string& id) override;
  Status StopContainer(const std::string& id, int timeout_sec) override;
  Status PauseContainer(const std::string& id) override;
  Status UnpauseContainer(const std::string& id) override;
  Result<std::int64_t> CpuLimit(const std::string& id) override { return inner_.CpuLimit(id); }
  Status UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) override;

 private:
  // `id` (full or abbreviated, or a name) is madre's container.
  bool IsSelf(const std::string& id) const;

  ContainerControl& inner_;
  SelfContainerRef self_;
};

}  // namespace madre
