// CpuQuotaStore in memory, for tests: a failure switch, and what it holds.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ports/cpu_quota_store.h"

namespace madre {

class InMemoryCpuQuotaStore final : public CpuQuotaStore {
 public:
  Result<std::vector<CpuQuotaRecord>> LoadAll() override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    std::vector<CpuQuotaRecord> out;
    for (const auto& [id, record] : records_) out.push_back(record);
    return out;
  }
  Status Put(const CpuQuotaRecord& record) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    records_[record.container_id] = record;
    return Status::Ok();
  }
  Status Remove(const std::string& container_id) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    records_.erase(container_id);
    return Status::Ok();
  }

  // Every call fails with `status` until FailWith(Ok).
  void FailWith(Status status) {
    std::lock_guard lock(mu_);
    fail_ = std::move(status);
  }
  std::map<std::string, CpuQuotaRecord> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, CpuQuotaRecord> records_;
  Status fail_ = Status::Ok();
};

}  // namespace madre
