#include "core/cpu_limits.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

namespace madre {

Status CheckCpuLimit(double cpus, const std::string& field) {
  if (!std::isfinite(cpus) || cpus < kCpuIdleCpus || cpus > kMaxCpuLimit) {
    return Status::InvalidArgument(field +
                                   " must be a number of CPUs from 0.01 to 1024 (as compose's "
                                   "`cpus`, e.g. 0.5)");
  }
  return Status::Ok();
}

std::int64_t NanoCpus(double cpus) { return static_cast<std::int64_t>(std::llround(cpus * 1e9)); }

std::optional<double> LabelCpuLimit(const ServiceDef& service) {
  auto it = service.labels.find(kCpuLimitLabel);
  if (it == service.labels.end() || it->second.empty()) return std::nullopt;
  const char* begin = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  const double cpus = std::strtod(begin, &end);
  if (errno != 0 || end == begin || *end != '\0') return std::nullopt;
  if (!CheckCpuLimit(cpus).ok()) return std::nullopt;
  return cpus;
}

std::map<std::string, std::int64_t> WantedCpuLimits(const std::map<std::string, Window>& windows,
                                                    const ServiceModel& model) {
  std::map<std::string, std::int64_t> wanted;
  auto lower = [&wanted](const std::string& service, std::int64_t nano) {
    auto [it, inserted] = wanted.emplace(service, nano);
    if (!inserted && nano < it->second) it->second = nano;
  };
  for (const auto& [id, window] : windows) {
    if (!window.Live()) continue;
    for (const auto& service : window.effective_services) {
      if (window.cpu_limit) lower(service, NanoCpus(*window.cpu_limit));
      auto def = model.services.find(service);
      if (def == model.services.end()) continue;
      if (std::optional<double> label = LabelCpuLimit(def->second))
        lower(service, NanoCpus(*label));
    }
  }
  return wanted;
}

std::vector<CpuChange> PlanCpuChanges(const std::map<std::string, std::int64_t>& wanted,
                                      const std::vector<ContainerState>& observed,
                                      const std::map<std::string, CpuQuotaState>& records) {
  std::vector<CpuChange> changes;
  std::set<std::string> seen;
  for (const ContainerState& c : observed) {
    if (c.id.empty()) continue;
    seen.insert(c.id);
    auto record = records.find(c.id);
    const CpuQuotaState* known = record == records.end() ? nullptr : &record->second;
    // A running idled container waits for the start that wakes it.
    if (known && known->idled) {
      // Stopped since (solo_madre/apply, by hand): its own quota back. Still shown running: an
      // observation from before the idle (a start that wakes it removes the record itself).
      if (c.state != kIdledState && !c.Running()) {
        changes.push_back({CpuChangeKind::kRestore, c.id, c.service, known->original, true});
      }
      continue;
    }
    auto limit = wanted.find(c.service);
    if (limit != wanted.end()) {
      if (!known || known->applied != limit->second) {
        changes.push_back({CpuChangeKind::kLimit, c.id, c.service, limit->second, false});
      }
    } else if (known) {
      changes.push_back({CpuChangeKind::kRestore, c.id, c.service, known->original, false});
    }
  }
  for (const auto& [id, state] : records) {
    if (!seen.count(id)) changes.push_back({CpuChangeKind::kForget, id, state.service, 0, false});
  }
  return changes;
}

}  // namespace madre
