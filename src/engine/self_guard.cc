#include "engine/self_guard.h"

#include <algorithm>

namespace madre {

bool SelfGuardedCompose::NamesSelf(const std::vector<std::string>& services) const {
  return std::find(services.begin(), services.end(), self_.service) != services.end();
}

ComposeOutcome SelfGuardedCompose::Up(const std::vector<std::string>& services) {
  if (NamesSelf(services)) return {SelfActionRefused(self_.service, "start"), {}};
  return inner_.Up(services);
}

ComposeOutcome SelfGuardedCompose::Stop(const std::vector<std::string>& services) {
  if (NamesSelf(services)) return {SelfActionRefused(self_.service, "stop"), {}};
  return inner_.Stop(services);
}

ComposeOutcome SelfGuardedCompose::Restart(const std::vector<std::string>& services) {
  if (NamesSelf(services)) return {SelfActionRefused(self_.service, "restart"), {}};
  return inner_.Restart(services);
}

ComposeOutcome SelfGuardedCompose::Recreate(const std::vector<std::string>& services) {
  if (NamesSelf(services)) return {SelfActionRefused(self_.service, "recreate"), {}};
  return inner_.Recreate(services);
}

bool SelfGuardedControl::IsSelf(const std::string& id) const {
  // Ids reach the control as the observer listed them: full, or abbreviated to 12 digits.
  return !id.empty() && id.size() <= self_.id.size() && self_.id.compare(0, id.size(), id) == 0;
}

Status SelfGuardedControl::StartContainer(const std::string& id) {
  if (IsSelf(id)) return SelfActionRefused(self_.service, "start");
  return inner_.StartContainer(id);
}

Status SelfGuardedControl::StopContainer(const std::string& id, int timeout_sec) {
  if (IsSelf(id)) return SelfActionRefused(self_.service, "stop");
  return inner_.StopContainer(id, timeout_sec);
}

Status SelfGuardedControl::PauseContainer(const std::string& id) {
  if (IsSelf(id)) return SelfActionRefused(self_.service, "pause");
  return inner_.PauseContainer(id);
}

Status SelfGuardedControl::UnpauseContainer(const std::string& id) {
  if (IsSelf(id)) return SelfActionRefused(self_.service, "unpause");
  return inner_.UnpauseContainer(id);
}

Status SelfGuardedControl::UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) {
  if (IsSelf(id)) return SelfActionRefused(self_.service, "limit the CPU of");
  return inner_.UpdateCpuLimit(id, nano_cpus);
}

}  // namespace madre
