#include "adapters/sqlite/retention.h"

#include <chrono>

namespace madre {

Result<RetentionResult> ApplyRetention(const RetentionPolicy& policy, SqliteWindowStore& store,
                                       SqliteAuditLog& audit, TimePoint now) {
  RetentionResult result;
  constexpr auto kDay = std::chrono::hours(24);
  if (policy.audit_days > 0) {
    ASSIGN_OR_RETURN(result.audit, audit.PruneBefore(now - policy.audit_days * kDay, now));
  }
  if (policy.window_history_days > 0) {
    ASSIGN_OR_RETURN(result.windows_removed,
                     store.PruneClosedBefore(now - policy.window_history_days * kDay));
  }
  return result;
}

}  // namespace madre
