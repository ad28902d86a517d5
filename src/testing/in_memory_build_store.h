// BuildStore in memory, for tests: the SQLite store's behaviour (ids from 1, newest first), and
// a switch that makes every call fail.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ports/build_store.h"

namespace madre {

class InMemoryBuildStore final : public BuildStore {
 public:
  Result<std::int64_t> Start(const BuildRecord& build) override {
    if (fail_) return Status::Internal("injected build store failure");
    BuildRecord row;
    row.id = next_id_++;
    row.intent_id = build.intent_id;
    row.service = build.service;
    row.started_at = build.started_at;
    row.image_before = build.image_before;
    row.log_path = build.log_path;
    builds_[row.id] = row;
    return row.id;
  }
  Status Finish(const BuildRecord& build) override {
    if (fail_) return Status::Internal("injected build store failure");
    auto it = builds_.find(build.id);
    if (it == builds_.end()) return Status::NotFound("no build " + std::to_string(build.id));
    BuildRecord& row = it->second;
    row.finished_at = build.finished_at;
    row.outcome = build.outcome;
    row.image_before = build.image_before;
    row.image_after = build.image_after;
    row.duration_ms = build.duration_ms;
    row.log_path = build.log_path;
    row.error = build.error;
    return Status::Ok();
  }
  Result<std::optional<BuildRecord>> Get(std::int64_t id) override {
    if (fail_) return Status::Internal("injected build store failure");
    auto it = builds_.find(id);
    if (it == builds_.end()) return std::optional<BuildRecord>();
    return std::optional<BuildRecord>(it->second);
  }
  Result<std::vector<BuildRecord>> List(const BuildFilter& filter) override {
    if (fail_) return Status::Internal("injected build store failure");
    std::vector<BuildRecord> out;
    for (auto it = builds_.rbegin(); it != builds_.rend(); ++it) {
      if (static_cast<int>(out.size()) >= filter.limit) break;
      if (!filter.service.empty() && it->second.service != filter.service) continue;
      out.push_back(it->second);
    }
    return out;
  }
  Result<std::vector<BuildRecord>> ListUnfinished() override {
    if (fail_) return Status::Internal("injected build store failure");
    std::vector<BuildRecord> out;
    for (const auto& entry : builds_) {
      if (entry.second.outcome == BuildOutcomeKind::kRunning) out.push_back(entry.second);
    }
    return out;
  }

  void set_fail(bool fail) { fail_ = fail; }

 private:
  std::map<std::int64_t, BuildRecord> builds_;
  std::int64_t next_id_ = 1;
  bool fail_ = false;
};

}  // namespace madre
