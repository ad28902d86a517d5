#include "testing/recording_audit_log.h"

#include <algorithm>

#include "base/sha256.h"

namespace madre {

namespace {

constexpr std::size_t kMaxOutputBytes = 4096;  // SPEC §7

// At most `max_bytes`, not ending inside a UTF-8 sequence.
std::string CutOutput(const std::string& text) {
  if (text.size() <= kMaxOutputBytes) return text;
  std::size_t end = kMaxOutputBytes;
  for (int i = 0; i < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++i) {
    --end;
  }
  return text.substr(0, end);
}

// Length-prefixed fields, so that no two different records serialize alike.
void Put(std::string& out, const std::string& field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

std::string Hash(const AuditRecord& r) {
  std::string s;
  Put(s, std::to_string(r.seq));
  Put(s, std::to_string(ToMicros(r.time)));
  for (const std::string* f : {&r.actor, &r.action, &r.window_id, &r.reason}) Put(s, *f);
  Put(s, AuditOutcomeName(r.outcome));
  for (const std::string* f : {&r.detail, &r.prev_hash}) Put(s, *f);
  Put(s, std::to_string(r.services.size()));
  for (const std::string& service : r.services) Put(s, service);
  Put(s, std::to_string(r.ops.size()));
  for (const DockerOp& op : r.ops) {
    Put(s, op.command);
    Put(s, std::to_string(op.exit_code));
    Put(s, std::to_string(op.elapsed_ms));
    Put(s, op.output);
  }
  return Sha256Hex(s);
}

}  // namespace

void RecordingAuditLog::FailNextAppend(Status status) {
  std::lock_guard lock(mu_);
  fail_next_append_ = std::move(status);
}

void RecordingAuditLog::FailAll(Status status) {
  std::lock_guard lock(mu_);
  fail_all_ = std::move(status);
}

void RecordingAuditLog::Heal() {
  std::lock_guard lock(mu_);
  fail_next_append_.reset();
  fail_all_.reset();
}

std::vector<AuditRecord> RecordingAuditLog::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::vector<std::string> RecordingAuditLog::actions() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> actions;
  for (const AuditRecord& record : records_) actions.push_back(record.action);
  return actions;
}

Result<AuditRecord> RecordingAuditLog::Append(AuditRecord record) {
  std::lock_guard lock(mu_);
  if (fail_all_) return *fail_all_;
  if (fail_next_append_) {
    Status status = std::move(*fail_next_append_);
    fail_next_append_.reset();
    return status;
  }
  record.seq = static_cast<std::int64_t>(records_.size()) + 1;
  record.prev_hash = records_.empty() ? "" : records_.back().hash;
  for (DockerOp& op : record.ops) op.output = CutOutput(op.output);
  record.hash = Hash(record);
  records_.push_back(record);
  return record;
}

Result<std::vector<AuditRecord>> RecordingAuditLog::Query(int limit,
                                                          std::optional<std::int64_t> after_seq) {
  std::lock_guard lock(mu_);
  if (fail_all_) return *fail_all_;
  std::vector<AuditRecord> out;
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (after_seq && it->seq <= *after_seq) break;
    out.push_back(*it);
  }
  return out;
}

}  // namespace madre
