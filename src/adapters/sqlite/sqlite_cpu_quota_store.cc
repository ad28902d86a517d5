#include "adapters/sqlite/sqlite_cpu_quota_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace madre {

Result<std::vector<CpuQuotaRecord>> SqliteCpuQuotaStore::LoadAll() {
  std::vector<CpuQuotaRecord> out;
  RETURN_IF_ERROR(db_.Run("load cpu quotas", [&](SQLite::Database& db) {
    SQLite::Statement select(db,
                             "SELECT container_id, service, original_nano_cpus, idled "
                             "FROM cpu_quotas ORDER BY container_id");
    while (select.executeStep()) {
      CpuQuotaRecord r;
      r.container_id = select.getColumn(0).getString();
      r.service = select.getColumn(1).getString();
      r.original_nano_cpus = select.getColumn(2).getInt64();
      r.idled = select.getColumn(3).getInt() != 0;
      out.push_back(std::move(r));
    }
    return Status::Ok();
  }));
  return out;
}

Status SqliteCpuQuotaStore::Put(const CpuQuotaRecord& record) {
  return db_.Run("record the cpu quota of " + record.container_id, [&](SQLite::Database& db) {
    SQLite::Statement insert(db,
                             "INSERT OR REPLACE INTO cpu_quotas(container_id, service, "
                             "original_nano_cpus, idled) VALUES (?, ?, ?, ?)");
    insert.bind(1, record.container_id);
    insert.bind(2, record.service);
    insert.bind(3, static_cast<std::int64_t>(record.original_nano_cpus));
    insert.bind(4, record.idled ? 1 : 0);
    insert.exec();
    return Status::Ok();
  });
}

Status SqliteCpuQuotaStore::Remove(const std::string& container_id) {
  return db_.Run("forget the cpu quota of " + container_id, [&](SQLite::Database& db) {
    SQLite::Statement remove(db, "DELETE FROM cpu_quotas WHERE container_id = ?");
    remove.bind(1, container_id);
    remove.exec();
    return Status::Ok();
  });
}

}  // namespace madre
