// IntentStore on madre's SQLite database (table `intents`, docs/storage.md).
#pragma once

#include "adapters/sqlite/sqlite_db.h"
#include "ports/intent_store.h"

namespace madre {

// Borrows `db`, which must outlive it; same thread rule as SqliteDb. Submit is one transaction
// (look up the key, insert), committed with synchronous=FULL before it returns. Errors are
// kInternal.
class SqliteIntentStore final : public IntentStore {
 public:
  explicit SqliteIntentStore(SqliteDb& db) : db_(db) {}

  Result<Submitted> Submit(const Intent& intent) override;
  Result<std::optional<Intent>> Get(const std::string& id) override;
  Result<int> CountPending(const std::string& identity) override;

 private:
  SqliteDb& db_;
};

// The `body` column: every field of Intent as one JSON object (times in unix µs).
std::string EncodeIntent(const Intent& intent);
Result<Intent> DecodeIntent(std::string_view body);

}  // namespace madre
