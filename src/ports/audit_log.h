// The durable, append-only record of who asked for what and what madre did (SPEC §7).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/audit_outcome.h"
#include "ports/compose_runner.h"

namespace madre {

struct AuditRecord {
  std::int64_t seq = 0;  // assigned by Append, 1-based, no gaps
  TimePoint time{};
  std::string actor;      // client address, or "ttl" / "reconcile" / "madre"
  std::string action;     // e.g. "window.open", "window.close", "service.stop", "reconcile"
  std::string window_id;  // empty when none
  std::vector<std::string> services;
  std::string reason;
  // Written as its name (ok, partial, fail, ...); kUnknown only for a record read back with an
  // outcome this madre does not know (every record madre builds sets one).
  AuditOutcome outcome = AuditOutcome::kUnknown;
  std::string detail;         // a human sentence (error detail), may be empty
  std::vector<DockerOp> ops;  // every docker operation run for this action
  std::string prev_hash;      // hex SHA-256 of the previous record ("" for the first)
  std::string hash;           // hex SHA-256 of this record's canonical JSON (without `hash`)
  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Assigns seq, prev_hash and hash, writes the record durably (SQLite and the
  // JSON Lines file of the record's UTC day) and returns it. On error nothing
  // is acknowledged and the caller must refuse the request.
  virtual Result<AuditRecord> Append(AuditRecord record) = 0;
  // Newest first, at most `limit`; with `after_seq`, only records with seq > after_seq.
  virtual Result<std::vector<AuditRecord>> Query(int limit,
                                                 std::optional<std::int64_t> after_seq) = 0;
};

}  // namespace madre
