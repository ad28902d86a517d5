#include "cli/flow_runner.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace madre::cli {

namespace {

std::int64_t MillisBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

std::string Expected(const std::vector<int>& codes) {
  std::string out;
  for (int c : codes) out += (out.empty() ? "" : " or ") + std::to_string(c);
  return out;
}

}  // namespace

std::string AnswerExcerpt(std::string_view body, std::size_t max) {
  std::string out;
  for (char c : body.substr(0, max)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (body.size() > max) out += "...";
  return out;
}

FlowReport RunFlow(const Flow& flow, Transport& probe, const Clock& clock,
                   const std::function<void(Duration)>& sleep) {
  FlowReport report;
  std::map<std::string, std::string> vars;
  const TimePoint began = clock.Now();
  for (std::size_t i = 0; i < flow.steps.size(); ++i) {
    const FlowStep& step = flow.steps[i];
    FlowStepReport out;
    const TimePoint step_began = clock.Now();
    auto fail = [&](std::string why) {
      out.why = why;
      out.elapsed_ms = MillisBetween(step_began, clock.Now());
      report.failure = "step " + std::to_string(i + 1) + " (" + out.request + "): " + why;
      report.steps.push_back(out);
      report.elapsed_ms = MillisBetween(began, clock.Now());
      return report;
    };
    Result<std::string> url = Substitute(step.url, vars);
    Result<std::string> body = Substitute(step.body, vars);
    out.request = step.method + " " + (url.ok() ? *url : step.url);
    if (!url.ok()) return fail(url.status().message());
    if (!body.ok()) return fail(body.status().message());
    Result<HttpReply> reply = Status::Internal("not sent");
    const int polls = step.until ? std::max(1, step.max_polls) : 1;
    std::string until_why;
    bool until_met = !step.until;
    for (int poll = 1; poll <= polls; ++poll) {
      out.polls = poll;
      const TimePoint sent = clock.Now();
      reply = probe.Send(step.method, *url, *body);
      const std::int64_t took = MillisBetween(sent, clock.Now());
      if (!reply.ok()) return fail("no answer: " + reply.status().message());
      out.status = reply->status;
      out.excerpt = AnswerExcerpt(reply->body);
      if (took > step.timeout_ms) {
        return fail("answered in " + std::to_string(took) + " ms, more than its timeout_ms " +
                    std::to_string(step.timeout_ms));
      }
      if (step.until) until_met = MatchBody(*step.until, reply->body, &until_why);
      if (until_met) break;
      if (poll < polls) sleep(Millis(step.poll_ms));
    }
    if (!until_met) {
      return fail("until " + step.until->source + " not met after " + std::to_string(polls) +
                  " polls: " + until_why);
    }
    if (std::find(step.expect_status.begin(), step.expect_status.end(), reply->status) ==
        step.expect_status.end()) {
      return fail("HTTP " + std::to_string(reply->status) + ", expected " +
                  Expected(step.expect_status));
    }
    std::string why;
    if (step.expect_body && !MatchBody(*step.expect_body, reply->body, &why)) {
      return fail("expect_body " + step.expect_body->source + ": " + why);
    }
    for (const auto& [name, spec] : step.capture) {
      Result<std::string> value = CaptureValue(spec, reply->body);
      if (!value.ok()) return fail("capture " + name + ": " + value.status().message());
      vars[name] = *value;
    }
    out.ok = true;
    out.elapsed_ms = MillisBetween(step_began, clock.Now());
    report.steps.push_back(out);
  }
  report.ok = true;
  report.elapsed_ms = MillisBetween(began, clock.Now());
  return report;
}

}  // namespace madre::cli
