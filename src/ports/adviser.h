// The optional LLM adviser of autofix (issue 12; docs/autofix.md): given the rule diagnosis
// and the evidence of an incident, it asks a chat-completions API for one remediation of the
// catalogue and a short explanation. Its word is advice: it may change which remediation is
// proposed, never what is approved (an adviser's pick always waits for a human).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/diagnosis.h"

namespace madre {

struct AdviceRequest {
  Diagnosis diagnosis;       // the rules' verdict
  FailureEvidence evidence;  // what it was decided on (log lines, exit code, ...)
  // Values that must never leave the host, besides what looks like a token or key: the
  // service's environment values, madre's own tokens. Masked before sending.
  std::vector<std::string> secrets;
};

struct Advice {
  // The remediation picked, validated against the catalogue; nullopt when the answer could
  // not be used (malformed, unknown kind, a target that is not the service or one of its
  // dependencies): `rejected` says why, and nothing changes.
  std::optional<Remediation> remediation;
  std::string explanation;        // the adviser's short text, names restored
  std::string rejected;           // why the answer was ignored ("" when it was used)
  std::string masked_prompt;      // exactly what was sent (for analysis.json)
  std::string answer;             // the raw answer's content ("" when none came)
  std::string reasoning_content;  // stored, never sent back
  std::string model;
  bool cached = false;  // answered from the cache, no call made
  int calls = 0;        // HTTP calls made (retries included)
};

// Blocking (network); thread-safe. An error when no answer could be had (rate limit reached,
// the API unreachable or failing after the retries): the incident goes on without advice.
class Adviser {
 public:
  virtual ~Adviser() = default;
  virtual Result<Advice> Advise(const AdviceRequest& request) = 0;
};

}  // namespace madre
