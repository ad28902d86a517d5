// The JSON form of an AuditRecord, shared by the `audit.record` column, the JSON Lines files and
// the hash chain (docs/storage.md):
//   {"action","actor","detail","hash","ops":[{"command","elapsed_ms","exit_code","output"}],
//    "outcome","prev_hash","reason","seq","services","time","window_id"}
// `time` is RFC 3339 UTC with microseconds. Keys are sorted (nlohmann's default), the dump is
// compact, non-ASCII is written as UTF-8: this dump is the canonical form.
// hash = Sha256Hex(canonical dump of the record's object without the "hash" key).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ports/audit_log.h"

namespace madre {

// SPEC §7: the stdout/stderr kept per docker operation.
inline constexpr std::size_t kMaxAuditOutputBytes = 4096;

// At most `max_bytes` of `text`, never ending inside a UTF-8 multi-byte sequence.
std::string CutUtf8(std::string_view text, std::size_t max_bytes);

// What Append stores: every op's output cut to kMaxAuditOutputBytes and every string made valid
// UTF-8 (invalid bytes become U+FFFD), so the record survives a JSON round trip unchanged.
// kInvalidArgument when it cannot (a time outside years 0000-9999).
Result<AuditRecord> NormalizeAuditRecord(AuditRecord record);

// The record's JSON object; with "hash" only when `with_hash`.
nlohmann::json AuditRecordToJson(const AuditRecord& record, bool with_hash);

// The canonical dump of `j` (never throws; invalid UTF-8 is replaced).
std::string CanonicalDump(const nlohmann::json& j);

// Sha256Hex of the canonical JSON of `record` without its hash.
std::string ComputeAuditHash(const AuditRecord& record);

// Parses one record (a JSON Lines line or the `record` column). kInternal when it is not a
// record.
Result<AuditRecord> ParseAuditRecord(std::string_view text);

}  // namespace madre
