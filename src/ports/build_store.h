// Durable history of image builds (table `builds`, docs/storage.md). A call that returns OK has
// reached the disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/build.h"

namespace madre {

struct BuildFilter {
  std::string service;  // "" for every service
  int limit = 50;       // newest first
};

class BuildStore {
 public:
  virtual ~BuildStore() = default;
  // Records `build` (its outcome `running`, before the build starts) and returns its new id
  // (`build.id` is ignored).
  virtual Result<std::int64_t> Start(const BuildRecord& build) = 0;
  // Writes the finished row of `build.id`: finished_at, outcome, image ids, duration, error.
  // kNotFound for an unknown id.
  virtual Status Finish(const BuildRecord& build) = 0;
  virtual Result<std::optional<BuildRecord>> Get(std::int64_t id) = 0;
  virtual Result<std::vector<BuildRecord>> List(const BuildFilter& filter) = 0;
  // Rows still `running`: at start, madre was stopped during these builds. The start-up
  // reconcile finishes each (core/build.h ReconcileUnfinishedBuild) before it serves.
  virtual Result<std::vector<BuildRecord>> ListUnfinished() = 0;
};

}  // namespace madre
