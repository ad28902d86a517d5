// An AuditLog in memory that records what was appended, with failure switches, for engine tests.
// Passes audit_log_contract.h like SqliteAuditLog: seq from 1 without gaps, prev_hash chaining,
// op output cut to 4 KiB, nothing kept and no seq used by a failed Append. Its hash is a SHA-256
// of its own field serialization, not SqliteAuditLog's canonical JSON, so the two never compare
// hashes. Thread-safe (one mutex).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ports/audit_log.h"

namespace madre {

class RecordingAuditLog final : public AuditLog {
 public:
  // The next Append fails with `status` and records nothing; later calls work again.
  void FailNextAppend(Status status);
  // Every call (Query too) fails with `status` until Heal().
  void FailAll(Status status);
  // Clears FailNextAppend and FailAll.
  void Heal();

  // Every acknowledged record, oldest first.
  std::vector<AuditRecord> records() const;
  // Their actions, oldest first (e.g. {"window.open", "window.close"}).
  std::vector<std::string> actions() const;

  // AuditLog (`limit` <= 0 gives none)
  Result<AuditRecord> Append(AuditRecord record) override;
  Result<std::vector<AuditRecord>> Query(int limit, std::optional<std::int64_t> after_seq) override;

 private:
  mutable std::mutex mu_;
  std::vector<AuditRecord> records_;        // GUARDED_BY(mu_)
  std::optional<Status> fail_next_append_;  // GUARDED_BY(mu_)
  std::optional<Status> fail_all_;          // GUARDED_BY(mu_)
};

}  // namespace madre
