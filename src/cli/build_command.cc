// `madre build SERVICE`: submits a build intent for SERVICE (its compose `build:`), then follows
// it until it ends: one line per change of the intent's state or detail, then the build's row
// (outcome, duration, image ids) and, when it failed, the end of its log. The intent is polled
// (GET /madre/intents/{id}) every second, for at most --wait-timeout; stopping the follow
// (Ctrl-C, the timeout) never cancels the intent.
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "cli/command_context.h"
#include "cli/render.h"
#include "cli/window_json.h"

namespace madre::cli {

using nlohmann::json;

namespace {

constexpr Duration kBuildPollInterval = Seconds(1);
constexpr std::size_t kLogTailLines = 20;

bool IsEnded(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "rejected" || state == "cancelled" ||
         state == "expired";
}

std::string StateOf(const json& intent) {
  std::string state = Str(intent, "state");
  return state.empty() ? Str(intent, "status") : state;
}

std::string ShortTimeOf(const std::string& rfc3339) {
  // "2026-12-02T12:15:00.000000Z" -> "12:15:00Z"
  const std::size_t t = rfc3339.find('T');
  if (t == std::string::npos || rfc3339.size() < t + 9) return rfc3339;
  return rfc3339.substr(t + 1, 8) + "Z";
}

// One line telling where the intent stands.
std::string ProgressLine(const json& intent) {
  const std::string id = Str(intent, "intent_id");
  const std::string state = StateOf(intent);
  const std::string detail = Str(intent, "detail");
  const std::string reason = Str(intent, "reason");
  std::string line = id + ": " + state;
  if (state == "pending") {
    line +=
        ": waiting for approval by another token (an operator or admin, or the roles the "
        "policy names): `madre intent approve " +
        id + "`";
    const std::string expires = Str(intent, "expires_at");
    if (!expires.empty()) line += "; expires at " + ShortTimeOf(expires);
  } else if (state == "approved") {
    const std::string by = Str(intent, "decided_by");
    if (!by.empty()) line += " by " + by;
    line += detail.empty() ? ", queued for admission" : ", queued: " + detail;
  } else if (state == "rejected" || state == "cancelled" || state == "expired") {
    const std::string by = Str(intent, "decided_by");
    if (!by.empty()) line += " by " + by;
    if (!reason.empty()) line += ": " + reason;
  } else if (!detail.empty()) {
    line += ": " + detail;
  }
  return line;
}

// The last `lines` lines of `text`.
std::string LastLines(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (std::size_t seen = 0; at > 0; --at) {
    if (text[at - 1] == '\n' && ++seen == lines) break;
  }
  std::string tail = text.substr(at);
  if (!tail.empty() && tail.back() != '\n') tail += '\n';
  return tail;
}

// The build row of a finished build intent (task_id "build:N"): its outcome, duration and image
// ids, and the end of its log when it failed.
void ShowBuild(CommandContext& ctx, const json& intent) {
  const std::string task = Str(intent, "task_id");
  if (task.rfind("build:", 0) != 0) return;  // it never got to build
  const std::string row = task.substr(6);
  ApiResponse r = ctx.Call("GET", "/madre/builds/" + EscapePathSegment(row));
  if (!r.ok()) {
    ctx.err() << "madre: cannot read build " << row << ": " << r.detail << "\n";
    return;
  }
  if (ctx.json()) {
    ctx.out() << DumpJson(r.body) << "\n";
    return;
  }
  const json& build = r.body;
  const std::string outcome = Str(build, "outcome");
  const std::optional<std::int64_t> ms = Int(build, "duration_ms");
  ctx.out() << "build " << row << " of " << Str(build, "service") << ": " << outcome;
  if (ms) ctx.out() << " in " << FormatSeconds(Millis(*ms));
  ctx.out() << ", image " << ShortImageId(Str(build, "image_before")) << " -> "
            << ShortImageId(Str(build, "image_after")) << "\n";
  if (outcome == "succeeded") return;
  const std::string error = Str(build, "error");
  if (!error.empty()) ctx.out() << "error: " << error << "\n";
  auto tail = build.is_object() ? build.find("log_tail") : build.end();
  if (!build.is_object() || tail == build.end() || !tail->is_string()) {
    ctx.out() << "(its log is gone)\n";
    return;
  }
  ctx.out() << "--- the end of its log (`madre build-log " << row << "` for more) ---\n"
            << LastLines(tail->get<std::string>(), kLogTailLines);
}

int ExitFor(const std::string& state) {
  if (state == "succeeded") return kExitOk;
  if (state == "failed") return kExitDocker;
  return kExitError;  // rejected, cancelled, expired
}

}  // namespace

int RunBuild(CommandContext& ctx, const BuildArgs& args) {
  const Duration wait_timeout = ParseHumanDuration(args.wait_timeout).value_or(Seconds(3600));
  json payload = {{"target_service", args.service}};
  if (!args.reason.empty()) payload["reason"] = args.reason;
  json body = {{"type", "build"}, {"payload", payload}};
  if (!args.source.empty()) body["source"] = args.source;
  ApiResponse submitted = ctx.Call("POST", "/madre/intent", body);
  if (!submitted.ok()) return ctx.Fail(submitted);
  json intent = submitted.body;
  const std::string id = Str(intent, "intent_id");
  if (id.empty()) return ctx.Fail(kExitError, "madre answered the build without an intent_id");
  if (args.no_follow) {
    if (ctx.json()) {
      ctx.out() << DumpJson(intent, 2) << "\n";
    } else {
      ctx.out() << ProgressLine(intent) << "\n"
                << "follow it with `madre intent show " << id << "` or `madre builds`\n";
    }
    const std::string state = StateOf(intent);
    return IsEnded(state) ? ExitFor(state) : kExitOk;
  }
  const Clock& clock = *ctx.env().clock;
  const TimePoint start = clock.Now();
  std::string shown;  // the last state and detail printed
  for (;;) {
    const std::string state = StateOf(intent);
    const std::string now_showing = state + "\n" + Str(intent, "detail");
    if (now_showing != shown) {
      if (ctx.json()) {
        intent.erase("duplicate");
        ctx.out() << DumpJson(intent) << "\n";
      } else {
        ctx.out() << ProgressLine(intent) << " (" << FormatSeconds(clock.Now() - start) << ")\n";
      }
      ctx.out().flush();
      shown = now_showing;
    }
    if (IsEnded(state)) {
      ShowBuild(ctx, intent);
      if (state != "succeeded") {
        std::string why = state == "failed" ? Str(intent, "detail") : Str(intent, "reason");
        return ctx.Fail(ExitFor(state),
                        "build intent " + id + " " + state + (why.empty() ? "" : ": " + why));
      }
      return kExitOk;
    }
    if (clock.Now() - start >= wait_timeout) {
      return ctx.Fail(kExitTimeout, "intent " + id + " still " + state + " after " +
                                        FormatHumanDuration(wait_timeout) +
                                        "; it goes on: `madre intent show " + id + "`");
    }
    if (ctx.env().interrupted()) {
      return ctx.Fail(kExitError, "stopped following " + id + " (" + state +
                                      "); it is not cancelled: `madre intent cancel " + id +
                                      "` withdraws it while it has not started");
    }
    ctx.env().sleep(kBuildPollInterval);
    ApiResponse polled = ctx.Call("GET", "/madre/intents/" + EscapePathSegment(id));
    if (!polled.ok()) return ctx.Fail(polled);
    intent = polled.body;
  }
}

}  // namespace madre::cli
