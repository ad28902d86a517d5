// BuildStore on madre's SQLite database (table `builds`, docs/storage.md).
#pragma once

#include "adapters/sqlite/sqlite_db.h"
#include "ports/build_store.h"

namespace madre {

// Borrows `db`, which must outlive it; same thread rule as SqliteDb. Each write is committed
// with synchronous=FULL before it returns. Errors are kInternal (a corrupt outcome too).
class SqliteBuildStore final : public BuildStore {
 public:
  explicit SqliteBuildStore(SqliteDb& db) : db_(db) {}

  Result<std::int64_t> Start(const BuildRecord& build) override;
  Status Finish(const BuildRecord& build) override;
  Result<std::optional<BuildRecord>> Get(std::int64_t id) override;
  Result<std::vector<BuildRecord>> List(const BuildFilter& filter) override;
  Result<std::vector<BuildRecord>> ListUnfinished() override;

 private:
  SqliteDb& db_;
};

}  // namespace madre
