// The CPU limits madre changed on containers (issue 11, docs/design.md "CPU limits"): for each
// container, the value Docker had before madre's first change, kept BEFORE that change so that a
// `kill -9` cannot lose it, and whether madre idled it (VX11_STOP_STRATEGY=cpu_idle).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace madre {

struct CpuQuotaRecord {
  std::string container_id;
  std::string service;
  std::int64_t original_nano_cpus = 0;  // HostConfig.NanoCpus before madre changed it (0: none)
  bool idled = false;                   // at the cpu_idle quota in place of a stop
  friend bool operator==(const CpuQuotaRecord&, const CpuQuotaRecord&) = default;
};

// One caller at a time (the engine's CpuQuotas serializes its calls); durable when a call
// returns OK. Errors are kInternal.
class CpuQuotaStore {
 public:
  virtual ~CpuQuotaStore() = default;
  // Every record, by container id.
  virtual Result<std::vector<CpuQuotaRecord>> LoadAll() = 0;
  // Inserts or replaces the record of record.container_id.
  virtual Status Put(const CpuQuotaRecord& record) = 0;
  // Forgets the container's record (none: OK).
  virtual Status Remove(const std::string& container_id) = 0;
};

}  // namespace madre
