#include "adapters/sqlite/migrations.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <exception>
#include <string>

#include "base/time.h"

namespace madre {

namespace {

// Version 1: windows (the whole Window as JSON in `body`, searchable columns beside it) and the
// audit records (canonical JSON in `record`, chained by prev_hash/hash).
constexpr std::string_view kV1 = R"sql(
CREATE TABLE windows (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deadline INTEGER,
  closed_at INTEGER,
  close_reason TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL
);
CREATE INDEX windows_state ON windows(state);
CREATE INDEX windows_closed_at ON windows(closed_at);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  window_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  record TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
)sql";

// Version 2: intents (POST /madre/intent). The whole Intent as JSON in `body`; the idempotency
// key (identity, correlation_id) is unique when a correlation id was given.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE intents (
  id TEXT PRIMARY KEY,
  identity TEXT NOT NULL,
  correlation_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX intents_key ON intents(identity, correlation_id) WHERE correlation_id != '';
CREATE INDEX intents_status ON intents(identity, status);
)sql";

// Version 3: the intent lifecycle (docs/intents.md). The column `status` becomes `state`, with
// the lifecycle's names (`running` -> `executing`, `done` -> `succeeded`; the JSON bodies of
// older rows keep the old names, which DecodeIntent maps); `source` and `type` become columns
// for the listing's filters.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE intents RENAME COLUMN status TO state;
UPDATE intents SET state = 'executing' WHERE state = 'running';
UPDATE intents SET state = 'succeeded' WHERE state = 'done';
ALTER TABLE intents ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE intents ADD COLUMN type TEXT NOT NULL DEFAULT '';
UPDATE intents SET source = COALESCE(json_extract(body, '$.source'), ''),
                   type = COALESCE(json_extract(body, '$.type'), '');
CREATE INDEX intents_state ON intents(state, created_at);
CREATE INDEX intents_created ON intents(created_at);
)sql";

// Version 4: image builds (issue 11). A row is written `running` before the build starts and
// finished after; times in unix µs, finished_at NULL while running.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE builds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  intent_id TEXT,
  service TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT NOT NULL,
  image_before TEXT NOT NULL DEFAULT '',
  image_after TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  log_path TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX builds_service ON builds(service, id);
CREATE INDEX builds_outcome ON builds(outcome);
)sql";

// Version 5: CPU limits (issue 11). For each container whose CPU limit madre changed (a window's
// cpu_limit, a vx11.cpu.limit label, VX11_STOP_STRATEGY=cpu_idle): its HostConfig.NanoCpus
// before the first change (0: none), written before that change, removed once restored.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE cpu_quotas (
  container_id TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  original_nano_cpus INTEGER NOT NULL,
  idled INTEGER NOT NULL DEFAULT 0
);
)sql";

// Version 6: webhooks (docs/webhooks.md). Per endpoint, the audit seq up to which records were
// looked at, and the outbox of events not yet delivered (in `seq` order; delivered rows are
// deleted; next_at in unix µs).
constexpr std::string_view kV6 = R"sql(
CREATE TABLE webhook_cursors (
  endpoint TEXT PRIMARY KEY,
  audit_seq INTEGER NOT NULL
);
CREATE TABLE webhook_outbox (
  endpoint TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint, seq)
);
)sql";

constexpr Migration kMigrations[] = {
    {1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}, {5, kV5}, {6, kV6},
};

std::string NowRfc3339() {
  return FormatRfc3339(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
}

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

Status ApplyMigrations(SQLite::Database& db, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    MADRE_CHECK_MSG(migrations[i].version == static_cast<int>(i) + 1,
                    "migrations must be numbered 1, 2, 3, ...");
  }
  const int known = static_cast<int>(migrations.size());
  try {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const int current = db.execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (current > known) {
      return Status::FailedPrecondition("database schema v" + std::to_string(current) +
                                        " is newer than this madre (knows up to v" +
                                        std::to_string(known) + ")");
    }
    for (const Migration& migration : migrations.subspan(static_cast<std::size_t>(current))) {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(std::string(migration.sql));
      SQLite::Statement insert(db,
                               "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)");
      insert.bind(1, migration.version);
      insert.bind(2, NowRfc3339());
      insert.exec();
      transaction.commit();
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("schema migration failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace madre
