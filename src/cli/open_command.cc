// `madre open`, including --wait: the open is sent without server-side wait and
// the window is then polled, so that progress can be shown.
#include <map>
#include <ostream>

#include "cli/command_context.h"
#include "cli/render.h"
#include "cli/window_json.h"

namespace madre::cli {

using nlohmann::json;

namespace {

constexpr Duration kPollInterval = Millis(500);

// Shows the wait: a live block redrawn in place on a terminal, otherwise one
// line per change of a service's (or the window's) state.
class WaitProgress {
 public:
  WaitProgress(std::ostream& out, bool live) : out_(out), live_(live) {}

  void Show(const json& window, Duration elapsed) {
    if (live_) {
      const std::vector<std::string> lines = RenderWaitProgress(window, elapsed);
      if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "A";
      for (const std::string& line : lines) out_ << "\r\x1b[2K" << line << "\n";
      drawn_ = static_cast<int>(lines.size());
    } else {
      const std::string state = Str(window, "state");
      if (state != window_state_) {
        out_ << "window " << Str(window, "window_id") << ": " << state << " ("
             << FormatSeconds(elapsed) << ")\n";
        window_state_ = state;
      }
      const json empty = json::object();
      const json& statuses = window.is_object() && window.contains("services_status") &&
                                     window["services_status"].is_object()
                                 ? window["services_status"]
                                 : empty;
      for (const std::string& service : WindowServices(window)) {
        const json& st = statuses.contains(service) ? statuses[service] : empty;
        std::string what = ServiceConditionName(ClassifyService(st));
        const std::string detail = Str(st, "state");
        if (!detail.empty() && detail != what) what += " (" + detail + ")";
        const std::string error = Str(st, "error");
        if (!error.empty()) what += ": " + error;
        if (last_[service] != what) {
          out_ << "  " << service << ": " << what << " (" << FormatSeconds(elapsed) << ")\n";
          last_[service] = what;
        }
      }
    }
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool live_;
  int drawn_ = 0;
  std::string window_state_;
  std::map<std::string, std::string> last_;
};

}  // namespace

int RunOpen(CommandContext& ctx, const OpenArgs& args) {
  const Duration wait_timeout = ParseHumanDuration(args.wait_timeout).value_or(Seconds(120));
  json body = {
      {"services", args.services},
      {"hold", args.hold},
      {"wait", false},
      {"wait_timeout_sec", std::chrono::duration_cast<std::chrono::seconds>(wait_timeout).count()},
      {"reason", args.reason}};
  if (args.hold) {
    body["ttl_sec"] = nullptr;
  } else {
    // Without --ttl the window gets 5 minutes: a null TTL would mean hold (SPEC §5).
    std::optional<std::int64_t> ttl = DurationSeconds(args.ttl.empty() ? "5m" : args.ttl);
    if (!ttl) return ctx.Fail(kExitUsage, "--ttl: not a duration: " + args.ttl);
    body["ttl_sec"] = *ttl;
  }
  ApiResponse opened = ctx.Call("POST", "/madre/power/windows/open", body);
  if (!opened.ok()) return ctx.Fail(opened);
  if (!args.wait) {
    if (ctx.json()) {
      ctx.out() << DumpJson(opened.body, 2) << "\n";
    } else {
      ctx.out() << RenderOpened(opened.body);
    }
    return Str(WindowOf(opened.body), "state") == "failed" ? kExitDocker : kExitOk;
  }

  json window = WindowOf(opened.body);
  const std::string id = Str(window, "window_id");
  if (id.empty()) return ctx.Fail(kExitError, "madre answered the open without a window_id");
  const Clock& clock = *ctx.env().clock;
  const TimePoint start = clock.Now();
  WaitProgress progress(ctx.out(), ctx.env().out_is_tty);
  bool timed_out = false;
  for (;;) {
    if (!ctx.json()) progress.Show(window, clock.Now() - start);
    if (WindowSettled(window)) break;
    if (clock.Now() - start >= wait_timeout) {
      timed_out = true;
      break;
    }
    ctx.env().sleep(kPollInterval);
    ApiResponse polled = ctx.Call("GET", "/madre/power/windows/" + EscapePathSegment(id));
    if (!polled.ok()) return ctx.Fail(polled);
    window = WindowOf(polled.body);
  }

  const std::string state = Str(window, "state");
  if (ctx.json()) ctx.out() << DumpJson(window, 2) << "\n";
  if (timed_out) {
    return ctx.Fail(kExitTimeout, "window " + id + " not ready after " +
                                      FormatHumanDuration(wait_timeout) + " (still " + state +
                                      "); it stays open: `madre close " + id + "` to give up");
  }
  if (state != "open") {
    std::string why = Str(window, "error");
    if (why.empty()) why = Str(window, "close_reason");
    return ctx.Fail(kExitDocker, "window " + id + " " + state + (why.empty() ? "" : ": " + why));
  }
  if (!ctx.json()) {
    ctx.out() << "Window " << id << " open: " << JoinOrDash(WindowServices(window)) << " ready in "
              << FormatSeconds(clock.Now() - start);
    const std::string ttl = TtlLeft(window);
    if (ttl != "-") ctx.out() << " (TTL left " << ttl << ")";
    ctx.out() << "\n";
  }
  return kExitOk;
}

}  // namespace madre::cli
