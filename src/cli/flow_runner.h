// Runs one service flow (api/flow.h) against the live services, through the conductor's probe
// transport: each step's request (with the values captured by earlier steps), polled until its
// `until` matches when it has one, then checked against its expected statuses and body.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/flow.h"
#include "base/clock.h"
#include "cli/api_client.h"

namespace madre::cli {

struct FlowStepReport {
  std::string request;  // "GET http://127.0.0.1:8002/switch/state" (captures substituted)
  int status = 0;       // 0: no answer
  std::string excerpt;  // the start of the last answer (or why none came)
  std::int64_t elapsed_ms = 0;
  int polls = 0;
  bool ok = false;
  std::string why;  // what failed
};

struct FlowReport {
  bool ok = false;
  std::int64_t elapsed_ms = 0;
  std::vector<FlowStepReport> steps;  // up to the first failing one
  std::string failure;                // "step 2 (GET ...): HTTP 500, expected 200"
};

// The first `max` bytes of an answer, on one line.
std::string AnswerExcerpt(std::string_view body, std::size_t max = 300);

// Runs `flow` (stops at the first failing step). `sleep` waits between polls.
FlowReport RunFlow(const Flow& flow, Transport& probe, const Clock& clock,
                   const std::function<void(Duration)>& sleep);

}  // namespace madre::cli
