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
  // One transaction: UPDATE ... WHERE id = ? AND state = <expected>; when no row changed, a
  // look at the stored state says 404 or 409.
  Status Update(const Intent& intent, IntentState expected) override;
  Result<std::vector<Intent>> List(const IntentFilter& filter) override;
  Result<std::vector<Intent>> ListByState(IntentState state) override;
  Result<std::map<IntentState, int>> CountByState() override;

 private:
  SqliteDb& db_;
};

// The `body` column: every field of Intent as one JSON object (times in unix µs).
std::string EncodeIntent(const Intent& intent);
// Bodies written before migration 3 say "status" (not "state") and may hold the older names
// "running" and "done" (executing, succeeded): both are read.
Result<Intent> DecodeIntent(std::string_view body);
// A state as stored: the wire names, and the older "running" and "done".
std::optional<IntentState> ParseStoredIntentState(std::string_view text);

}  // namespace madre
