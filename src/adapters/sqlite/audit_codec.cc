#include "adapters/sqlite/audit_codec.h"

#include <exception>

#include "base/hmac_sha256.h"
#include "base/sha256.h"

namespace madre {

namespace {

using nlohmann::json;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string CutUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t end = max_bytes;
  // Back off over at most three continuation bytes to the lead byte of the cut sequence and
  // drop that whole sequence (it does not fit).
  std::size_t backed = 0;
  while (end > 0 && backed < 3 && IsContinuationByte(text[end])) {
    --end;
    ++backed;
  }
  return std::string(text.substr(0, end));
}

std::string CapWithMarker(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  const std::string marker = " ...[cut: " + std::to_string(text.size()) + " bytes]";
  if (marker.size() >= max_bytes) return CutUtf8(text, max_bytes);
  return CutUtf8(text, max_bytes - marker.size()) + marker;
}

Result<AuditRecord> NormalizeAuditRecord(AuditRecord record) {
  for (DockerOp& op : record.ops) op.output = CutUtf8(op.output, kMaxAuditOutputBytes);
  record.detail = CapWithMarker(record.detail, kMaxAuditTextBytes);
  record.reason = CapWithMarker(record.reason, kMaxAuditTextBytes);
  // One JSON round trip replaces invalid UTF-8 the same way every later dump would.
  Result<AuditRecord> round_trip = ParseAuditRecord(CanonicalDump(AuditRecordToJson(record, true)));
  if (!round_trip.ok()) {
    return Status::InvalidArgument("audit record cannot be stored: " +
                                   round_trip.status().message());
  }
  return round_trip;
}

json AuditRecordToJson(const AuditRecord& record, bool with_hash) {
  json ops = json::array();
  for (const DockerOp& op : record.ops) {
    ops.push_back({{"command", op.command},
                   {"exit_code", op.exit_code},
                   {"elapsed_ms", op.elapsed_ms},
                   {"output", op.output}});
  }
  json j = {
      {"seq", record.seq},
      {"time", FormatRfc3339(record.time)},
      {"actor", record.actor},
      {"action", record.action},
      {"window_id", record.window_id},
      {"services", record.services},
      {"reason", record.reason},
      {"outcome", AuditOutcomeName(record.outcome)},
      {"detail", record.detail},
      {"ops", std::move(ops)},
      {"prev_hash", record.prev_hash},
  };
  if (with_hash) j["hash"] = record.hash;
  return j;
}

std::string CanonicalDump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ComputeAuditHash(const AuditRecord& record) {
  return Sha256Hex(CanonicalDump(AuditRecordToJson(record, false)));
}

SealedAuditRecord SealAuditRecord(const AuditRecord& record,
                                  const std::optional<std::string>& key) {
  json j = AuditRecordToJson(record, false);
  if (key) j["mac"] = kAuditMacHmacSha256;
  const std::string canonical = CanonicalDump(j);
  SealedAuditRecord sealed;
  sealed.hash = key ? HmacSha256Hex(*key, canonical) : Sha256Hex(canonical);
  j["hash"] = sealed.hash;
  sealed.line = CanonicalDump(j);
  return sealed;
}

SealCheck CheckAuditSeal(std::string_view line, const std::optional<std::string>& key,
                         bool* keyed) {
  json j = json::parse(line, nullptr, false);
  if (keyed) *keyed = false;
  if (!j.is_object() || !j.contains("hash") || !j["hash"].is_string()) return SealCheck::kMismatch;
  const std::string hash = j["hash"].get<std::string>();
  j.erase("hash");
  if (!j.contains("mac"))
    return Sha256Hex(CanonicalDump(j)) == hash ? SealCheck::kOk : SealCheck::kMismatch;
  if (keyed) *keyed = true;
  if (!j["mac"].is_string() || j["mac"].get<std::string>() != kAuditMacHmacSha256) {
    return SealCheck::kBadMac;
  }
  if (!key) return SealCheck::kNeedsKey;
  return HmacSha256Hex(*key, CanonicalDump(j)) == hash ? SealCheck::kOk : SealCheck::kMismatch;
}

Result<AuditRecord> ParseAuditRecord(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return Status::Internal("audit record is not a JSON object");
    AuditRecord record;
    j.at("seq").get_to(record.seq);
    const std::string time = j.at("time").get<std::string>();
    std::optional<TimePoint> parsed = ParseRfc3339(time);
    if (!parsed) return Status::Internal("audit record has a bad time '" + time + "'");
    record.time = *parsed;
    j.at("actor").get_to(record.actor);
    j.at("action").get_to(record.action);
    j.at("window_id").get_to(record.window_id);
    j.at("services").get_to(record.services);
    j.at("reason").get_to(record.reason);
    // An outcome this madre does not know (a newer madre's) reads as kUnknown: the record is
    // still readable (its seq, hashes and line are what the chain and verify-audit check).
    record.outcome =
        ParseAuditOutcome(j.at("outcome").get<std::string>()).value_or(AuditOutcome::kUnknown);
    j.at("detail").get_to(record.detail);
    for (const json& op : j.at("ops")) {
      DockerOp& out = record.ops.emplace_back();
      op.at("command").get_to(out.command);
      op.at("exit_code").get_to(out.exit_code);
      op.at("elapsed_ms").get_to(out.elapsed_ms);
      op.at("output").get_to(out.output);
    }
    j.at("prev_hash").get_to(record.prev_hash);
    if (j.contains("hash")) j.at("hash").get_to(record.hash);
    return record;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("bad audit record: ") + e.what());
  }
}

}  // namespace madre
