// CPU limits of windows (issue 11): which limit each service should have now, and what to change
// on its containers to get there. Pure: the engine (engine/cpu_quotas.h) carries the changes out.
//
// A window may carry `cpu_limit` (a number of CPUs, as compose's `cpus`), and a service the label
// `vx11.cpu.limit`, which counts whenever a live window holds the service. A service held by
// live windows gets the LOWEST of their limits and its label, as Docker's NanoCpus
// (round(cpus * 1e9)); once nothing limits it, its containers get back the value they had before
// madre changed it (kept in the store before the first change, ports/cpu_quota_store.h).
// VX11_STOP_STRATEGY=cpu_idle leaves a stopped service's containers running at kCpuIdleCpus:
// such an "idled" container is left alone here until a start wakes it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/model.h"
#include "core/window.h"

namespace madre {

inline constexpr char kCpuLimitLabel[] = "vx11.cpu.limit";
// The quota of an idled container (VX11_STOP_STRATEGY=cpu_idle): 1% of one CPU, Docker's least.
inline constexpr double kCpuIdleCpus = 0.01;
inline constexpr std::int64_t kCpuIdleNanoCpus = 10'000'000;
// The most a limit may say (Docker refuses more CPUs than the host has, at the update).
inline constexpr double kMaxCpuLimit = 1024;
// The state madre shows for a running container it idled (not Docker's own: Running() is false,
// so an idled service counts as stopped, dormant).
inline constexpr char kIdledState[] = "idled";

// kInvalidArgument naming `field` unless 0.01 <= cpus <= 1024 (finite).
Status CheckCpuLimit(double cpus, const std::string& field = "cpu_limit");
// round(cpus * 1e9).
std::int64_t NanoCpus(double cpus);
// The service's `vx11.cpu.limit` label, when it is a valid limit (else nullopt; an invalid label
// is ignored, as other vx11.* labels are).
std::optional<double> LabelCpuLimit(const ServiceDef& service);

// Service -> the NanoCpus its containers should have now: for each service of a live window
// (its effective services: dependencies included), the lowest of the live windows' cpu_limit and
// the service's label. A service without any limit is absent.
std::map<std::string, std::int64_t> WantedCpuLimits(const std::map<std::string, Window>& windows,
                                                    const ServiceModel& model);

// What madre knows of a container whose CPU limit it changed.
struct CpuQuotaState {
  std::string service;
  std::int64_t original = 0;            // NanoCpus before madre's first change (0: none)
  std::optional<std::int64_t> applied;  // what madre set last (nullopt: unknown, after a restart)
  bool idled = false;                   // cpu_idle: at kCpuIdleNanoCpus for a stop
  friend bool operator==(const CpuQuotaState&, const CpuQuotaState&) = default;
};

enum class CpuChangeKind {
  kLimit,    // set nano_cpus (keeping the original first when there is no record)
  kRestore,  // set the original back and forget the record
  kForget,   // the container is gone: forget the record
};

struct CpuChange {
  CpuChangeKind kind = CpuChangeKind::kLimit;
  std::string container_id;
  std::string service;
  std::int64_t nano_cpus = 0;  // kLimit: the limit; kRestore: the original
  // kRestore of an idled container seen not idled any more (stopped for real, or started): the
  // only restore that may touch an idled record (a stale plan must not undo a fresh idle).
  bool of_idled = false;
  friend bool operator==(const CpuChange&, const CpuChange&) = default;
};

// The changes that take the project's containers (`observed`, as madre shows them: idled ones in
// kIdledState) from `records` (container id -> state) to `wanted`: every container of a limited
// service gets its limit unless madre applied it already; a container with a record and no limit
// any more gets its original back; an idled container is left alone (a start wakes it) unless it
// is shown stopped (solo_madre/apply, by hand): then its original comes back (of_idled), and its
// limit, if any, at the next plan; a record whose container is not observed is forgotten. In
// container order, then the forgotten ones.
std::vector<CpuChange> PlanCpuChanges(const std::map<std::string, std::int64_t>& wanted,
                                      const std::vector<ContainerState>& observed,
                                      const std::map<std::string, CpuQuotaState>& records);

}  // namespace madre
