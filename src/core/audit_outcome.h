// What came of an audited action (AuditRecord::outcome). Built by the engine's audit records,
// carried to the audit log and the JSON views; the strings (AuditOutcomeName) are those of the
// audit files and the API, translated only at those edges (adapters/sqlite/audit_codec.cc,
// api/json_codec.cc, the metrics label). Which action has which outcome: docs/design.md
// ("Audit points").
#pragma once

#include <optional>
#include <string_view>

namespace madre {

enum class AuditOutcome {
  kOk,
  kPartial,
  kFail,
  kGaveUp,
  kRejected,
  kAccepted,
  kCancelled,
  kReported,
  kStopped,
  // Never written by madre: a stored record whose outcome this madre does not know (written by
  // a newer one) reads as kUnknown; its line, and so its hash, keep what was written.
  kUnknown,
};

// ok, partial, fail, gave_up, rejected, accepted, cancelled, reported, stopped; kUnknown:
// "unknown".
const char* AuditOutcomeName(AuditOutcome outcome);
// Every name above but "unknown": nullopt.
std::optional<AuditOutcome> ParseAuditOutcome(std::string_view text);

}  // namespace madre
