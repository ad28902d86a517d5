// The CPU limits madre sets on containers (docs/design.md "CPU limits"): a window's cpu_limit, a
// vx11.cpu.limit label, and VX11_STOP_STRATEGY=cpu_idle's minimal quota. Keeps, for every
// container it changed, the NanoCpus Docker had before (in the CpuQuotaStore, BEFORE the first
// change), and carries out core/cpu_limits.h's changes. What to change is decided on the engine
// thread (PlanCpuChanges over Records()); the changes run on workers.
//
// Thread-safe: every method may be called from any thread; one change runs at a time (the
// store and Docker are called under the lock, so that an idle and a restore never interleave).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/cpu_limits.h"
#include "core/model.h"
#include "ports/container_control.h"
#include "ports/container_observer.h"
#include "ports/cpu_quota_store.h"

namespace madre {

class CpuQuotas {
 public:
  // Borrowed; outlive this.
  CpuQuotas(ContainerControl& control, CpuQuotaStore& store) : control_(control), store_(store) {}

  // Reads the store (at start, before the engine's first plan). kInternal when it cannot.
  Status Load();
  // Container id -> what madre knows (for PlanCpuChanges).
  std::map<std::string, CpuQuotaState> Records() const;
  // Whether madre idled the container (its limit is the cpu_idle quota in place of a stop).
  bool Idled(const std::string& container_id) const;

  // One change of PlanCpuChanges. kLimit keeps the original first when the container has no
  // record (read from Docker, stored, then the update); it leaves an idled container alone.
  // kRestore sets the original back and forgets the record (an idled one only with of_idled).
  Status Apply(const CpuChange& change);
  // cpu_idle, in place of a stop: the original kept first, then the minimal quota.
  Status Idle(const ContainerState& container);
  // A start of an idled container: its original back, the record forgotten (the window's limit,
  // if any, comes with the next plan). Not idled: nothing to do.
  Status Wake(const ContainerState& container);

 private:
  // mu_ held. The record of `id`, made (original read from Docker and stored) when missing.
  Status Ensure(const std::string& id, const std::string& service, bool idled);
  Status RestoreLocked(const std::string& id);

  ContainerControl& control_;
  CpuQuotaStore& store_;
  mutable std::mutex mu_;
  std::map<std::string, CpuQuotaState> records_;  // guarded by mu_
};

// The observer the engine and the HTTP API read through when CPU quotas are on: a running
// container madre idled is shown in kIdledState (dormant: not Running()), everything else as the
// inner observer says (every other call is the inner observer's).
class IdleAwareObserver final : public ContainerObserver {
 public:
  IdleAwareObserver(ContainerObserver& inner, const CpuQuotas& quotas)
      : inner_(inner), quotas_(quotas) {}
  Result<std::vector<ContainerState>> ListProject() override;
  Result<std::string> Logs(const std::string& container_id, int tail) override {
    return inner_.Logs(container_id, tail);
  }
  Result<FailureEvidence> Evidence(const std::string& container_id, int tail) override {
    return inner_.Evidence(container_id, tail);
  }
  Result<ContainerStats> Stats(const std::string& container_id) override {
    return inner_.Stats(container_id);
  }

 private:
  ContainerObserver& inner_;
  const CpuQuotas& quotas_;
};

}  // namespace madre
