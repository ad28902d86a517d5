#include "core/audit_outcome.h"

namespace madre {

const char* AuditOutcomeName(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kOk:
      return "ok";
    case AuditOutcome::kPartial:
      return "partial";
    case AuditOutcome::kFail:
      return "fail";
    case AuditOutcome::kGaveUp:
      return "gave_up";
    case AuditOutcome::kRejected:
      return "rejected";
    case AuditOutcome::kAccepted:
      return "accepted";
    case AuditOutcome::kCancelled:
      return "cancelled";
    case AuditOutcome::kReported:
      return "reported";
    case AuditOutcome::kStopped:
      return "stopped";
    case AuditOutcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<AuditOutcome> ParseAuditOutcome(std::string_view text) {
  for (AuditOutcome o :
       {AuditOutcome::kOk, AuditOutcome::kPartial, AuditOutcome::kFail, AuditOutcome::kGaveUp,
        AuditOutcome::kRejected, AuditOutcome::kAccepted, AuditOutcome::kCancelled,
        AuditOutcome::kReported, AuditOutcome::kStopped}) {
    if (text == AuditOutcomeName(o)) return o;
  }
  return std::nullopt;
}

}  // namespace madre
