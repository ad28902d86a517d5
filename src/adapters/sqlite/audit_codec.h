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
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ports/audit_log.h"

namespace madre {

// SPEC §7: the stdout/stderr kept per docker operation.
inline constexpr std::size_t kMaxAuditOutputBytes = 4096;

// The `detail` and `reason` kept per record (L4: a rejected open echoes every refused name).
inline constexpr std::size_t kMaxAuditTextBytes = 4096;

// At most `max_bytes` of `text`, never ending inside a UTF-8 multi-byte sequence.
std::string CutUtf8(std::string_view text, std::size_t max_bytes);

// `text` when it fits in `max_bytes`; else its start (CutUtf8) followed by the marker
// " ...[cut: N bytes]" (N = the original size), the whole at most `max_bytes`.
std::string CapWithMarker(std::string_view text, std::size_t max_bytes);

// What Append stores: every op's output cut to kMaxAuditOutputBytes, `detail` and `reason` capped
// at kMaxAuditTextBytes with a marker, and every string made valid UTF-8 (invalid bytes become
// U+FFFD), so the record survives a JSON round trip unchanged.
// kInvalidArgument when it cannot (a time outside years 0000-9999).
Result<AuditRecord> NormalizeAuditRecord(AuditRecord record);

// The record's JSON object; with "hash" only when `with_hash`.
nlohmann::json AuditRecordToJson(const AuditRecord& record, bool with_hash);

// The canonical dump of `j` (never throws; invalid UTF-8 is replaced).
std::string CanonicalDump(const nlohmann::json& j);

// Sha256Hex of the canonical JSON of `record` without its hash.
std::string ComputeAuditHash(const AuditRecord& record);

// The value of the "mac" key of a keyed record. A record without "mac" is chained by plain
// SHA-256; with "mac":"hmac-sha256" its hash is HMAC-SHA256 under the audit key of the same
// canonical bytes (the object without "hash", "mac" included).
inline constexpr std::string_view kAuditMacHmacSha256 = "hmac-sha256";

struct SealedAuditRecord {
  std::string hash;
  std::string line;  // the canonical JSON with "hash" (and "mac" when keyed), no newline
};

// Hashes `record` (normalized, seq and prev_hash set): with `key`, the record gets
// "mac":"hmac-sha256" and an HMAC; without, a SHA-256.
SealedAuditRecord SealAuditRecord(const AuditRecord& record, const std::optional<std::string>& key);

enum class SealCheck {
  kOk,        // the hash is right
  kMismatch,  // the hash is not the record's (edited, or keyed with another key)
  kNeedsKey,  // the record is keyed and no key was given
  kBadMac,    // the "mac" key names something else than hmac-sha256
};

// Checks a line's (or `record` column's) own hash against its JSON object, so that an added or
// removed key is noticed too. `keyed` (optional) is set when the record carries "mac".
SealCheck CheckAuditSeal(std::string_view line, const std::optional<std::string>& key,
                         bool* keyed = nullptr);

// Parses one record (a JSON Lines line or the `record` column). kInternal when it is not a
// record.
Result<AuditRecord> ParseAuditRecord(std::string_view text);

}  // namespace madre
