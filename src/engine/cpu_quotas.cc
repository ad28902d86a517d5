#include "engine/cpu_quotas.h"

#include <spdlog/spdlog.h>

namespace madre {

Status CpuQuotas::Load() {
  Result<std::vector<CpuQuotaRecord>> loaded = store_.LoadAll();
  if (!loaded.ok()) {
    return Status::Internal("cannot load the CPU quotas: " + loaded.status().message());
  }
  std::lock_guard lock(mu_);
  records_.clear();
  for (const CpuQuotaRecord& r : *loaded) {
    // What madre applied last is not known after a restart: the next plan sets it again.
    records_[r.container_id] = {
        .service = r.service, .original = r.original_nano_cpus, .applied = {}, .idled = r.idled};
  }
  return Status::Ok();
}

std::map<std::string, CpuQuotaState> CpuQuotas::Records() const {
  std::lock_guard lock(mu_);
  return records_;
}

bool CpuQuotas::Idled(const std::string& container_id) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(container_id);
  return it != records_.end() && it->second.idled;
}

Status CpuQuotas::Ensure(const std::string& id, const std::string& service, bool idled) {
  auto it = records_.find(id);
  if (it != records_.end()) {
    if (it->second.idled == idled) return Status::Ok();
    CpuQuotaRecord r{id, it->second.service, it->second.original, idled};
    RETURN_IF_ERROR(store_.Put(r));
    it->second.idled = idled;
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::int64_t original, control_.CpuLimit(id));
  // Kept before the first change: a kill -9 after the update cannot lose it.
  RETURN_IF_ERROR(store_.Put({id, service, original, idled}));
  records_[id] = {.service = service, .original = original, .applied = {}, .idled = idled};
  return Status::Ok();
}

Status CpuQuotas::RestoreLocked(const std::string& id) {
  auto it = records_.find(id);
  if (it == records_.end()) return Status::Ok();
  RETURN_IF_ERROR(control_.UpdateCpuLimit(id, it->second.original));
  RETURN_IF_ERROR(store_.Remove(id));
  records_.erase(it);
  return Status::Ok();
}

Status CpuQuotas::Apply(const CpuChange& change) {
  std::lock_guard lock(mu_);
  auto it = records_.find(change.container_id);
  switch (change.kind) {
    case CpuChangeKind::kLimit: {
      if (it != records_.end() && it->second.idled) return Status::Ok();  // a start wakes it
      RETURN_IF_ERROR(Ensure(change.container_id, change.service, false));
      RETURN_IF_ERROR(control_.UpdateCpuLimit(change.container_id, change.nano_cpus));
      records_[change.container_id].applied = change.nano_cpus;
      return Status::Ok();
    }
    case CpuChangeKind::kRestore:
      if (it == records_.end() || (it->second.idled && !change.of_idled)) return Status::Ok();
      return RestoreLocked(change.container_id);
    case CpuChangeKind::kForget:
      if (it == records_.end()) return Status::Ok();
      RETURN_IF_ERROR(store_.Remove(change.container_id));
      records_.erase(it);
      return Status::Ok();
  }
  return Status::Ok();
}

Status CpuQuotas::Idle(const ContainerState& container) {
  std::lock_guard lock(mu_);
  auto it = records_.find(container.id);
  const bool was_idled = it != records_.end() && it->second.idled;
  RETURN_IF_ERROR(Ensure(container.id, container.service, true));
  if (Status updated = control_.UpdateCpuLimit(container.id, kCpuIdleNanoCpus); !updated.ok()) {
    if (!was_idled) {  // not idled after all
      Status ignored = Ensure(container.id, container.service, false);
      (void)ignored;  // the record keeps the original either way
    }
    return updated;
  }
  records_[container.id].applied = kCpuIdleNanoCpus;
  return Status::Ok();
}

Status CpuQuotas::Wake(const ContainerState& container) {
  std::lock_guard lock(mu_);
  auto it = records_.find(container.id);
  if (it == records_.end() || !it->second.idled) return Status::Ok();
  return RestoreLocked(container.id);
}

Result<std::vector<ContainerState>> IdleAwareObserver::ListProject() {
  ASSIGN_OR_RETURN(std::vector<ContainerState> list, inner_.ListProject());
  for (ContainerState& c : list) {
    if (c.state == "running" && !c.id.empty() && quotas_.Idled(c.id)) c.state = kIdledState;
  }
  return list;
}

}  // namespace madre
