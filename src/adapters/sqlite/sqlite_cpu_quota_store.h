// CpuQuotaStore on madre's SQLite database (table `cpu_quotas`, migration 5, docs/storage.md).
#pragma once

#include "adapters/sqlite/sqlite_db.h"
#include "ports/cpu_quota_store.h"

namespace madre {

// Borrows `db`, which must outlive it. The daemon gives it a connection of its own (the calls
// come from worker threads, one at a time). Each write is committed before it returns.
class SqliteCpuQuotaStore final : public CpuQuotaStore {
 public:
  explicit SqliteCpuQuotaStore(SqliteDb& db) : db_(db) {}

  Result<std::vector<CpuQuotaRecord>> LoadAll() override;
  Status Put(const CpuQuotaRecord& record) override;
  Status Remove(const std::string& container_id) override;

 private:
  SqliteDb& db_;
};

}  // namespace madre
