// Bounded growth: how long the audit log and the window history are kept (README, storage.md
// "Retention"). Default: everything, forever.
#pragma once

#include "adapters/sqlite/sqlite_audit_log.h"
#include "adapters/sqlite/sqlite_window_store.h"
#include "base/time.h"

namespace madre {

struct RetentionPolicy {
  int audit_days = 0;           // VX11_AUDIT_RETENTION_DAYS; 0 keeps every record
  int window_history_days = 0;  // VX11_WINDOW_HISTORY_RETENTION_DAYS; 0 keeps every window
};

struct RetentionResult {
  SqliteAuditLog::PruneResult audit;
  int windows_removed = 0;
};

// Prunes the audit (whole UTC-day files before now - audit_days, SqliteAuditLog::PruneBefore)
// and the window history (terminal windows closed before now - window_history_days). Runs on the
// database's owner thread. The first error is returned; what was pruned before it stays pruned.
Result<RetentionResult> ApplyRetention(const RetentionPolicy& policy, SqliteWindowStore& store,
                                       SqliteAuditLog& audit, TimePoint now);

}  // namespace madre
