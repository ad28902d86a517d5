// The LLM adviser's wire (docs/autofix.md, "The adviser"): the OpenAI chat-completions request
// built from an incident (everything masked), and the reading and validation of the answer.
// No I/O: adapters/llm/llm_adviser.cc sends and caches.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "core/secret_mask.h"
#include "ports/adviser.h"

namespace madre {

struct AdvicePrompt {
  std::string system;  // the catalogue and the answer's format
  std::string user;    // the masked diagnosis and evidence
  std::string body;    // the request body: {"model", "messages": [system, user], ...}
};

// The names the masker hides when names are masked: the service first (service-1), then its
// dependencies in order.
std::vector<std::string> AdviceNames(const AdviceRequest& request);

// The chat-completions body for `request`. Every text of the evidence and the diagnosis goes
// through `masker` (the service's and the dependencies' names too, when it masks names).
AdvicePrompt BuildAdvicePrompt(const AdviceRequest& request, const std::string& model,
                               Masker& masker);

struct ChatAnswer {
  std::string content;            // choices[0].message.content
  std::string reasoning_content;  // choices[0].message.reasoning_content ("" when absent)
};
// Reads a chat-completions answer. kInvalidArgument when it is not JSON or has no
// choices[0].message.content string.
Result<ChatAnswer> ParseChatAnswer(std::string_view body);

// Reads `content` (a JSON object, possibly in ``` fences or among other text) as
// {"remediation", "target", "explanation"}, restores the names and validates it, filling
// advice.remediation and advice.explanation, or advice.rejected saying why it was not used:
// malformed, a kind outside the catalogue, a target that is neither the service nor one of its
// dependencies (start_dependency: one of its dependencies), rebuild without `build:`,
// quarantine of an always-on service.
void JudgeAdvice(const std::string& content, const AdviceRequest& request, const Masker& masker,
                 Advice& advice);

}  // namespace madre
