#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "base/sha256.h"
#include "base/text.h"
#include "cli/command_context.h"
#include "cli/completion.h"
#include "cli/conductor.h"
#include "cli/events_command.h"
#include "cli/render.h"
#include "cli/window_json.h"

namespace madre::cli {

using nlohmann::json;

namespace {

// Shared by every subcommand callback; owned by the callbacks (shared_ptr), so it
// lives as long as the CLI::App that holds them.
struct Registry {
  CommandEnv env;
  int* exit_code = nullptr;
  std::vector<std::unique_ptr<CommonFlags>> flags;
};

const CLI::Validator& DurationValidator() {
  static const CLI::Validator kValidator(
      [](std::string& text) -> std::string {
        if (ParseHumanDuration(text)) return "";
        return "'" + text + "' is not a duration (e.g. 90s, 5m, 1h, or plain seconds)";
      },
      "DURATION");
  return kValidator;
}

// Adds the options every client subcommand takes and returns their storage. Without
// `with_timeout` the command keeps --timeout for itself (the HTTP calls get their default).
CommonFlags* AddCommonFlags(Registry& registry, CLI::App* sub, bool with_timeout = true) {
  registry.flags.push_back(std::make_unique<CommonFlags>());
  CommonFlags* flags = registry.flags.back().get();
  sub->add_option("--url", flags->url,
                  "madre URL (default: $VX11_MADRE_URL, else http://$VX11_MADRE_BIND:"
                  "$VX11_MADRE_PORT, else http://127.0.0.1:8001)");
  CLI::Option* token = sub->add_option(
      "--token", flags->token,
      "API token (default: $VX11_TENTACULO_LINK_TOKEN, $VX11_TOKEN, then <state dir>/token)");
  CLI::Option* token_file =
      sub->add_option("--token-file", flags->token_file, "read the API token from this file");
  token->excludes(token_file);
  sub->add_flag("--json", flags->json, "print madre's JSON answer instead of a table");
  if (with_timeout) {
    sub->add_option("--timeout", flags->timeout, "timeout of each HTTP call (default 30s)")
        ->check(DurationValidator());
  }
  return flags;
}

// Wraps a command body: builds the context, runs, stores the exit code. No exception
// escapes into CLI11. `skip` (optional): true when a subcommand of `sub` ran instead.
void SetRun(CLI::App* sub, std::shared_ptr<Registry> registry, CommonFlags* flags,
            std::function<Duration()> default_timeout, std::function<int(CommandContext&)> body,
            std::function<bool()> skip = nullptr) {
  sub->callback([registry, flags, default_timeout, body, skip] {
    if (skip && skip()) return;
    int code = kExitError;
    try {
      CommandContext ctx(registry->env, *flags, default_timeout());
      std::optional<int> init_failure = ctx.Init();
      code = init_failure ? *init_failure : body(ctx);
    } catch (const std::exception& e) {
      *registry->env.err << "madre: internal error: " << e.what() << "\n";
      code = kExitError;
    }
    *registry->exit_code = code;
  });
}

std::function<Duration()> Fixed(Duration d) {
  return [d] { return d; };
}

std::string OrNone(const std::string& text) { return text.empty() ? "no path" : text; }

std::string WindowPath(const std::string& id) {
  return "/madre/power/windows/" + EscapePathSegment(id);
}

// audit [--limit N] [--follow]
int RunAudit(CommandContext& ctx, int limit, bool follow) {
  ApiResponse r = ctx.Call("GET", "/madre/power/audit?limit=" + std::to_string(limit));
  if (!r.ok()) return ctx.Fail(r);
  json records = AuditRecords(r.body);
  std::reverse(records.begin(), records.end());  // oldest first, like a log
  std::int64_t last_seq = 0;
  for (const json& rec : records) last_seq = std::max(last_seq, Int(rec, "seq").value_or(0));
  if (!follow) {
    if (ctx.json()) {
      ctx.out() << DumpJson(r.body, 2) << "\n";
    } else {
      ctx.out() << RenderAudit(records);
    }
    return kExitOk;
  }
  auto print = [&ctx](const json& recs, bool header) {
    if (ctx.json()) {
      for (const json& rec : recs) ctx.out() << DumpJson(rec) << "\n";
    } else if (!recs.empty() || header) {
      ctx.out() << RenderAudit(recs, header);
    }
    ctx.out().flush();
  };
  print(records, true);
  while (!ctx.env().interrupted()) {
    ctx.env().sleep(Seconds(1));
    ApiResponse next =
        ctx.Call("GET", "/madre/power/audit?limit=1000&after=" + std::to_string(last_seq));
    if (!next.ok()) return ctx.Fail(next);
    json fresh = AuditRecords(next.body);
    std::reverse(fresh.begin(), fresh.end());
    json shown = json::array();
    for (const json& rec : fresh) {
      const std::int64_t seq = Int(rec, "seq").value_or(0);
      if (seq > last_seq || seq == 0) shown.push_back(rec);
      last_seq = std::max(last_seq, seq);
    }
    print(shown, false);
  }
  return kExitOk;
}

// build-log ID: the end of a build's log (GET /madre/builds/{id} "log_tail"), as it is.
int RunBuildLog(CommandContext& ctx, const std::string& id) {
  ApiResponse r = ctx.Call("GET", "/madre/builds/" + EscapePathSegment(id));
  if (r.http_status == 404) {
    // Not the usual 4: an unknown build is a plain failure of this command.
    if (ctx.json() && !r.body.is_null()) ctx.out() << DumpJson(r.body, 2) << "\n";
    return ctx.Fail(kExitError, r.detail + " (see `madre builds` for the ids)");
  }
  if (!r.ok()) return ctx.Fail(r);
  if (ctx.json()) {
    ctx.out() << DumpJson(r.body, 2) << "\n";
    return kExitOk;
  }
  auto tail = r.body.is_object() ? r.body.find("log_tail") : r.body.end();
  if (!r.body.is_object() || tail == r.body.end() || !tail->is_string()) {
    return ctx.Fail(kExitError, "the log of build " + id + " is gone (" +
                                    OrNone(Str(r.body, "log_path")) + ")");
  }
  ctx.out() << tail->get<std::string>();
  ctx.out().flush();
  return kExitOk;
}

// token hash [--token-file F]: the SHA-256 hex of the token (blanks around it dropped, as
// madre reads a token file), for token_sha256 in VX11_TOKENS_FILE.
int RunTokenHash(const CommandEnv& env, const std::string& file) {
  std::ostringstream text;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      *env.err << "madre: cannot read " << file << "\n";
      return kExitError;
    }
    text << in.rdbuf();
  } else if (env.in) {
    text << env.in->rdbuf();
  }
  const std::string token = TrimBlanks(text.str());
  if (token.empty()) {
    *env.err << "madre: no token on " << (file.empty() ? std::string("stdin") : file)
             << " (pipe it in: `madre token hash < token.txt`)\n";
    return kExitUsage;
  }
  *env.out << Sha256Hex(token) << "\n";
  return kExitOk;
}

}  // namespace

CommandEnv RealCommandEnv() {
  CommandEnv env;
  env.getenv = SystemGetEnv();
  env.make_transport = [](const Connection& c) -> std::unique_ptr<Transport> {
    return std::make_unique<HttpTransport>(c.url, c.token, c.timeout);
  };
  env.make_probe_transport = [](Duration timeout) -> std::unique_ptr<Transport> {
    return std::make_unique<HttpTransport>("", "", timeout);
  };
  env.in = &std::cin;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.out_is_tty = isatty(STDOUT_FILENO) == 1;
  env.clock = std::make_shared<SystemClock>();
  env.sleep = [](Duration d) { std::this_thread::sleep_for(d); };
  env.interrupted = [] { return false; };
  env.proc_root = "/proc";
  return env;
}

void RegisterCommands(CLI::App& app, int* exit_code) {
  RegisterCommands(app, exit_code, RealCommandEnv());
}

void RegisterCommands(CLI::App& app, int* exit_code, CommandEnv env) {
  auto registry = std::make_shared<Registry>();
  registry->env = std::move(env);
  registry->exit_code = exit_code;
  app.footer(ExitCodesHelp());
  const Duration kDefaultTimeout = Seconds(30);
  RegisterCompletion(app, exit_code, registry->env.out, registry->env.err);

  {  // open SERVICE... [--ttl D | --hold] [--wait] [--wait-timeout D] [--reason R]
    auto args = std::make_shared<OpenArgs>();
    CLI::App* sub = app.add_subcommand("open", "Open a power window for SERVICE...");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("services", args->services, "services to start (also a,b,c)")
        ->required()
        ->delimiter(',');
    CLI::Option* ttl =
        sub->add_option("--ttl", args->ttl, "time to live, e.g. 90s, 5m, 1h (default 5m)")
            ->check(DurationValidator());
    CLI::Option* hold = sub->add_flag("--hold", args->hold, "no TTL: open until closed");
    ttl->excludes(hold);
    sub->add_flag("--wait", args->wait, "wait until every service is ready, showing progress");
    sub->add_option("--wait-timeout", args->wait_timeout, "how long --wait waits (default 120s)")
        ->check(DurationValidator());
    sub->add_option("--reason", args->reason, "why the window is opened (audited)");
    SetRun(
        sub, registry, flags,
        [args, kDefaultTimeout] {
          if (!args->wait) return kDefaultTimeout;
          return ParseHumanDuration(args->wait_timeout).value_or(Seconds(120)) + Seconds(30);
        },
        [args](CommandContext& ctx) { return RunOpen(ctx, *args); });
  }

  {  // events [--count N]
    auto count = std::make_shared<int>(0);
    CLI::App* sub =
        app.add_subcommand("events", "Follow window and container changes as they happen (SSE)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("--count", *count, "stop after N events (default: follow until interrupted)")
        ->check(CLI::Range(0, 1000000));
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [count](CommandContext& ctx) {
      return RunEvents(ctx, *count > 0 ? std::optional<int>(*count) : std::nullopt);
    });
  }

  {  // close [WINDOW_ID]
    auto id = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand("close", "Close a window (the only open one if no id)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("window_id", *id, "the window to close");
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [id](CommandContext& ctx) {
      json body = json::object();
      if (!id->empty()) body["window_id"] = *id;
      return ctx.CallAndPrint("POST", "/madre/power/windows/close", body, RenderClosed);
    });
  }

  {  // hold WINDOW_ID on|off
    struct HoldArgs {
      std::string id, on_off;
    };
    auto args = std::make_shared<HoldArgs>();
    CLI::App* sub = app.add_subcommand("hold", "Put a window on hold (no expiry) or release it");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("window_id", args->id, "the window")->required();
    sub->add_option("state", args->on_off, "on or off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
      json body = {{"window_id", args->id}, {"hold", args->on_off == "on"}};
      return ctx.CallAndPrint("POST", "/madre/power/windows/hold", body, RenderHold);
    });
  }

  {  // extend WINDOW_ID DURATION
    struct ExtendArgs {
      std::string id, ttl;
    };
    auto args = std::make_shared<ExtendArgs>();
    CLI::App* sub = app.add_subcommand(
        "extend", "Add time to a window's TTL (counted from its current deadline)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("window_id", args->id, "the window")->required();
    sub->add_option("ttl", args->ttl, "time to add, e.g. 10m")
        ->required()
        ->check(DurationValidator());
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
      json body = {{"window_id", args->id}, {"ttl_sec", DurationSeconds(args->ttl).value_or(0)}};
      return ctx.CallAndPrint("POST", "/madre/power/windows/extend", body, RenderExtended);
    });
  }

  auto add_get = [&](const char* name, const char* help, const char* path,
                     std::string (*render)(const json&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    const std::string p = path;
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [p, render](CommandContext& ctx) {
      return ctx.CallAndPrint("GET", p, nullptr, render);
    });
  };
  add_get("state", "Show the power policy and the open windows", "/madre/power/state", RenderState);
  add_get("status", "Show every project service as Docker sees it", "/madre/power/status",
          RenderServiceStatus);
  add_get("services", "Show the allowlist and the always-on services", "/madre/power/services",
          RenderServices);
  add_get("health", "Check that madre answers (no token needed)", "/health", RenderHealth);

  {  // windows [--history] [--limit N]
    struct WindowsArgs {
      bool history = false;
      int limit = 20;
    };
    auto args = std::make_shared<WindowsArgs>();
    CLI::App* sub = app.add_subcommand("windows", "List the open windows (and past ones)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_flag("--history", args->history, "also list closed and failed windows");
    sub->add_option("--limit", args->limit, "how many past windows (default 20)")
        ->check(CLI::PositiveNumber);
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
      const bool history = args->history;
      return ctx.CallAndPrint(
          "GET", "/madre/power/windows/status?limit=" + std::to_string(args->limit), nullptr,
          [history](const json& body) { return RenderWindowsStatus(body, history); });
    });
  }

  {  // window WINDOW_ID
    auto id = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand("window", "Show one window with per-service status");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("window_id", *id, "the window")->required();
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [id](CommandContext& ctx) {
      return ctx.CallAndPrint("GET", WindowPath(*id), nullptr,
                              [](const json& body) { return RenderWindow(WindowOf(body)); });
    });
  }

  {  // audit [--limit N] [--follow]
    struct AuditArgs {
      int limit = 50;
      bool follow = false;
    };
    auto args = std::make_shared<AuditArgs>();
    CLI::App* sub = app.add_subcommand("audit", "Show the audit records (oldest first)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("--limit", args->limit, "how many recent records (default 50)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--follow,-f", args->follow, "keep printing new records");
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout),
           [args](CommandContext& ctx) { return RunAudit(ctx, args->limit, args->follow); });
  }

  {  // intents [--state S] [--source S] [--type T] [--limit N]
    struct IntentsArgs {
      std::string state, source, type;
      int limit = 50;
    };
    auto args = std::make_shared<IntentsArgs>();
    CLI::App* sub = app.add_subcommand(
        "intents",
        "List intents, newest first. An intent is what a component asked madre to do; it waits "
        "in state pending until approved (then madre runs it: admitted, executing, succeeded "
        "or failed), rejected, cancelled or expired (docs/intents.md)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("--state", args->state, "only this state")
        ->check(CLI::IsMember({"pending", "approved", "rejected", "expired", "cancelled",
                               "admitted", "executing", "succeeded", "failed"}));
    sub->add_option("--source", args->source, "only this source (e.g. hormiguero)");
    sub->add_option("--type", args->type, "only this type (e.g. window, build, spawn)");
    sub->add_option("--limit", args->limit, "at most this many (default 50, up to 1000)")
        ->check(CLI::Range(1, 1000));
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
      std::string path = "/madre/intents?limit=" + std::to_string(args->limit);
      if (!args->state.empty()) path += "&state=" + EscapePathSegment(args->state);
      if (!args->source.empty()) path += "&source=" + EscapePathSegment(args->source);
      if (!args->type.empty()) path += "&type=" + EscapePathSegment(args->type);
      return ctx.CallAndPrint("GET", path, nullptr, RenderIntents);
    });
  }

  {  // intent show|approve|reject|cancel ID [--reason R]; intent submit TYPE ...
    CLI::App* intent = app.add_subcommand(
        "intent",
        "Show, decide or submit one intent: `madre intent approve ID --reason R` lets it go on, "
        "`reject` refuses it, `cancel` withdraws it (the requester or an operator); nobody "
        "approves their own intent unless madre has no tokens file");
    intent->require_subcommand(1);
    struct DecideArgs {
      std::string id, reason;
    };
    {
      auto args = std::make_shared<DecideArgs>();
      CLI::App* sub = intent->add_subcommand("show", "Show one intent with its payload");
      CommonFlags* flags = AddCommonFlags(*registry, sub);
      sub->add_option("intent_id", args->id, "the intent (intent-...)")->required();
      SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
        return ctx.CallAndPrint("GET", "/madre/intents/" + EscapePathSegment(args->id), nullptr,
                                RenderIntent);
      });
    }
    for (const char* verb : {"approve", "reject", "cancel"}) {
      auto args = std::make_shared<DecideArgs>();
      const std::string name = verb;
      const std::string help = name == "approve" ? "Approve a pending intent"
                               : name == "reject"
                                   ? "Reject a pending intent"
                                   : "Cancel a pending or approved intent (not yet running)";
      CLI::App* sub = intent->add_subcommand(name, help);
      CommonFlags* flags = AddCommonFlags(*registry, sub);
      sub->add_option("intent_id", args->id, "the intent (intent-...)")->required();
      sub->add_option("--reason", args->reason, "why (audited, shown with the intent)");
      SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args, name](CommandContext& ctx) {
        json body = json::object();
        if (!args->reason.empty()) body["reason"] = args->reason;
        return ctx.CallAndPrint("POST",
                                "/madre/intents/" + EscapePathSegment(args->id) + "/" + name, body,
                                RenderIntent);
      });
    }
    {
      struct SubmitArgs {
        std::string type, payload, source, correlation_id;
      };
      auto args = std::make_shared<SubmitArgs>();
      CLI::App* sub = intent->add_subcommand(
          "submit",
          "Submit an intent of TYPE as a component would; the policy decides whether it is "
          "approved at once, rejected, or left pending");
      CommonFlags* flags = AddCommonFlags(*registry, sub);
      sub->add_option("type", args->type, "what is asked: window, build, spawn, ...")->required();
      sub->add_option("--payload", args->payload,
                      "a JSON object, e.g. '{\"services\":[\"switch\"],\"ttl_sec\":600}'");
      sub->add_option("--source", args->source, "who asks (matched by the policy's rules)");
      sub->add_option("--correlation-id", args->correlation_id,
                      "an idempotency key: submitting it again returns the same intent");
      SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
        json body = {{"type", args->type}};
        if (!args->payload.empty()) {
          json payload = json::parse(args->payload, nullptr, false);
          if (payload.is_discarded() || !payload.is_object()) {
            return ctx.Fail(kExitUsage, "--payload must be a JSON object");
          }
          body["payload"] = payload;
        }
        if (!args->source.empty()) body["source"] = args->source;
        if (!args->correlation_id.empty()) body["correlation_id"] = args->correlation_id;
        return ctx.CallAndPrint("POST", "/madre/intent", body, RenderIntent);
      });
    }
  }

  {  // build SERVICE [--reason R] [--source S] [--no-follow] [--wait-timeout D]
    auto args = std::make_shared<BuildArgs>();
    CLI::App* sub = app.add_subcommand(
        "build",
        "Ask madre to rebuild SERVICE's image (a build intent: what the service's build: in the "
        "compose file names), then follow it until it ends");
    sub->footer(
        "The build waits for approval like any intent (by another token: an operator or\n"
        "admin, or the approvers the policy names; `madre intent approve ID`), then for\n"
        "admission (the host CPU), then runs on madre's build lane. Without --no-follow one\n"
        "line is printed per change (pending, approved/queued, admitted, executing, the end),\n"
        "then the build: outcome, duration, image id before -> after, and on failure the end\n"
        "of its log (`madre build-log ID` for more). The intent is polled every second, for\n"
        "at most --wait-timeout. Ctrl-C (or the timeout) stops following only: the intent is\n"
        "NOT cancelled (`madre intent cancel ID` withdraws it before it runs).\n"
        "Exit: 0 succeeded, 6 the build failed, 1 rejected, cancelled or expired, 7 still\n"
        "running at the timeout; --no-follow: 0 once recorded. --json prints each change of\n"
        "the intent as one JSON line, then the build object.");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("service", args->service, "the compose service to rebuild")->required();
    sub->add_option("--reason", args->reason, "why (shown to the approver, audited)");
    sub->add_option("--source", args->source, "the intent's source, matched by the policy");
    sub->add_flag("--no-follow", args->no_follow, "submit, print the intent and exit");
    sub->add_option("--wait-timeout", args->wait_timeout, "how long to follow (default 1h)")
        ->check(DurationValidator());
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout),
           [args](CommandContext& ctx) { return RunBuild(ctx, *args); });
  }

  {  // builds [--service S] [--limit N]
    struct BuildsArgs {
      std::string service;
      int limit = 50;
    };
    auto args = std::make_shared<BuildsArgs>();
    CLI::App* sub = app.add_subcommand(
        "builds",
        "List image builds, newest first: what an approved build intent rebuilt, how it ended "
        "and which image it replaced");
    sub->footer(
        "Columns: ID (for `madre build-log ID`), SERVICE, OUTCOME (running, succeeded,\n"
        "failed), STARTED, DURATION, IMAGE (the image id before -> after, first 12 hex\n"
        "digits; none: there was no image), ERROR (why it failed).\n"
        "A build is asked for with `madre build SERVICE` (or `madre intent submit build\n"
        "--payload '{\"target_service\":\"switch\"}'`) and runs once approved\n"
        "(docs/intents.md).");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("--service", args->service, "only this service's builds");
    sub->add_option("--limit", args->limit, "at most this many (default 50, up to 1000)")
        ->check(CLI::Range(1, 1000));
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [args](CommandContext& ctx) {
      std::string path = "/madre/builds?limit=" + std::to_string(args->limit);
      if (!args->service.empty()) path += "&service=" + EscapePathSegment(args->service);
      return ctx.CallAndPrint("GET", path, nullptr, RenderBuilds);
    });
  }

  {  // build-log ID
    auto id = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand(
        "build-log", "Print the end of a build's log (its last 64 KiB), as compose build wrote it");
    sub->footer(
        "ID is the build's number in `madre builds`. Exits 1 when there is no such build or\n"
        "its log file is gone; --json prints the whole build with the tail in log_tail.");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("build_id", *id, "the build (a number from `madre builds`)")->required();
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout),
           [id](CommandContext& ctx) { return RunBuildLog(ctx, *id); });
  }

  {  // diagnose SERVICE
    auto service = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand(
        "diagnose",
        "Say why a service fails: its cause, the evidence that decided it, and what would fix "
        "it");
    sub->footer(
        "madre reads the service's container (exit code, OOM kill, Docker's error, healthcheck\n"
        "outputs, last 20 log lines), whether its image is on the host and its depends_on\n"
        "services' states, and names one cause: oom_killed, command_not_found, port_in_use,\n"
        "dependency_unavailable, missing_config, permission_denied, image_missing,\n"
        "healthcheck_failing, crash_exit_code or unknown. Remediations come best first, each\n"
        "with its risk; nothing is changed (docs/autofix.md). Needs an operator token: the\n"
        "evidence carries log lines. Exits 4 for an unknown service.");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("service", *service, "the compose service")->required();
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout), [service](CommandContext& ctx) {
      return ctx.CallAndPrint("GET", "/madre/autofix/diagnose/" + EscapePathSegment(*service),
                              nullptr, RenderDiagnosis);
    });
  }

  {  // autofix [--test-result FILE] [--out DIR] [--timeout D]; autofix reset SERVICE
    auto args = std::make_shared<AutofixArgs>();
    CLI::App* sub = app.add_subcommand(
        "autofix",
        "Fix what a conductor run found failing: one autofix incident per failed service, "
        "followed until madre says fixed or not (exit 0 only when every failure was fixed)");
    sub->footer(
        "Reads a conductor report (test_results.json): the newest run under --out by default,\n"
        "or --test-result FILE (a report file or a run directory). Each failed phase (fail,\n"
        "timeout, partial, error; not degraded, not skipped) names its services: window_open\n"
        "and health those not ready, availability those whose check failed, flow:SVC:NAME its\n"
        "SVC, else the window's services. Preflight, throttle_check, metrics, window_close,\n"
        "solo_madre_verify and flows are not a service's failure: no incident, not fixed.\n"
        "For each service madre opens an incident (diagnose, remediate, re-test, up to its\n"
        "cycle limit, then quarantine), and the incident is polled every second, with a line\n"
        "on stderr per change, until it ends, waits for approval, or --timeout passes.\n"
        "A remediation that waits for approval is not waited for: the command to approve it is\n"
        "printed (madre intent approve ID); run madre autofix again to follow it.\n"
        "Then one line per service: outcome, cause, remediation, approval, re-test, and its\n"
        "forensic record's directory. When every failure was fixed, the conductor runs again\n"
        "with the settings the report recorded, into a new run directory beside it, and the\n"
        "exit code is 0 only if that run passes (--no-rerun: trust the re-tests).\n"
        "Examples:\n"
        "  madre conductor --reason nightly || madre autofix\n"
        "  madre autofix --test-result out/conductor/20261203T112233Z_E2E_CONDUCTOR --json\n"
        "  madre autofix reset switch      # lift a quarantine autofix gave up with\n"
        "Exit: 0 every failure fixed (or nothing to fix), 9 a failure not fixed (not_fixed,\n"
        "quarantined, manual, no incident could be opened, or the run again failed), 10 a\n"
        "remediation waits for approval, 7 still going at --timeout, 2 no readable report,\n"
        "3/8 madre refused the token or could not be reached. docs/autofix.md, \"From the CLI\".");
    CommonFlags* flags = AddCommonFlags(*registry, sub, /*with_timeout=*/false);
    sub->add_option("--test-result", args->test_result,
                    "the conductor report (test_results.json or its run directory; default: "
                    "the newest under --out)");
    sub->add_option("--out", args->out,
                    "the conductor's output directory (default ./out/conductor)");
    sub->add_option("--timeout", args->timeout,
                    "how long to follow the incidents, all together (default 300s)")
        ->check(DurationValidator());
    sub->add_flag("--no-rerun", args->no_rerun,
                  "do not run the conductor again once every failure was fixed");

    auto service = std::make_shared<std::string>();
    CLI::App* reset = sub->add_subcommand(
        "reset", "Lift SERVICE's quarantine: madre may start it again (autofix gave up on it)");
    reset->footer(
        "After the cycle limit, autofix quarantines a service: madre stops it and does not\n"
        "start it again by itself, and a window naming it answers 409 quarantined.\n"
        "Example:\n"
        "  madre autofix reset switch\n"
        "prints \"switch: quarantine lifted\" or \"switch was not quarantined\". Exits 4 for an\n"
        "unknown service.");
    CommonFlags* reset_flags = AddCommonFlags(*registry, reset);
    reset->add_option("service", *service, "the compose service")->required();
    SetRun(reset, registry, reset_flags, Fixed(kDefaultTimeout),
           [service](CommandContext& ctx) { return RunAutofixReset(ctx, *service); });
    SetRun(
        sub, registry, flags, Fixed(kDefaultTimeout),
        [args](CommandContext& ctx) { return RunAutofixCommand(ctx, *args); },
        [reset] { return reset->parsed(); });
  }

  {  // solo-madre status|apply
    auto action = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand(
        "solo-madre", "SOLO_MADRE policy: status, or apply (close every window, stop the rest)");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("action", *action, "status or apply")
        ->required()
        ->check(CLI::IsMember({"status", "apply"}));
    SetRun(sub, registry, flags, Fixed(Seconds(120)), [action](CommandContext& ctx) {
      if (*action == "apply") {
        return ctx.CallAndPrint("POST", "/madre/power/policy/solo_madre/apply", nullptr,
                                RenderSoloMadreApply);
      }
      return ctx.CallAndPrint("GET", "/madre/power/policy/solo_madre/status", nullptr,
                              RenderSoloMadreStatus);
    });
  }

  {  // flows [SERVICE] [--flows FILE]
    struct FlowsArgs {
      std::string service;
      std::string file;
    };
    auto args = std::make_shared<FlowsArgs>();
    CLI::App* sub = app.add_subcommand(
        "flows",
        "List the flows the conductor runs after a window opens: requests that must work once a "
        "service is up");
    sub->footer(
        "A service declares one-step flows in its compose labels:\n"
        "  vx11.flow.<name>.request: \"GET http://127.0.0.1:8002/switch/state\"\n"
        "  vx11.flow.<name>.expect_status: \"200,404\"       (default 200)\n"
        "  vx11.flow.<name>.expect_body: \"json:/mode=auto\" (or contains:TEXT)\n"
        "  vx11.flow.<name>.timeout_ms: \"2000\"             (default 5000)\n"
        "  vx11.flow.<name>.body: '{\"x\": 1}'               (POST and PUT)\n"
        "Flows of several steps (captures, polling) go in a TOML file given with --flows\n"
        "(docs/conductor.md). Targets are loopback only. `madre conductor --flow SERVICE:NAME`\n"
        "runs one.");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("service", args->service, "only this service's flows");
    sub->add_option("--flows", args->file, "also list the flows of this TOML file");
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout),
           [args](CommandContext& ctx) { return RunFlowsCommand(ctx, args->service, args->file); });
  }

  {  // token hash [--token-file F]
    CLI::App* token = app.add_subcommand("token", "Tokens for VX11_TOKENS_FILE (see token hash)");
    token->require_subcommand(1);
    auto file = std::make_shared<std::string>();
    CLI::App* hash = token->add_subcommand(
        "hash", "Print the SHA-256 of a token, read from stdin, for VX11_TOKENS_FILE");
    hash->add_option("--token-file", *file, "read the token from this file instead of stdin");
    hash->footer(
        "madre stores named tokens by their SHA-256, never the token itself. Make a token,\n"
        "hash it, and give the token to its holder:\n"
        "  head -c 24 /dev/urandom | base64 > ci.token\n"
        "  madre token hash < ci.token\n"
        "Then name it in the file VX11_TOKENS_FILE points at (one table a token):\n"
        "  [tokens.ci]\n"
        "  role = \"operator\"    # viewer | submitter | operator | admin\n"
        "  token_sha256 = \"<the 64 hex characters printed>\"\n"
        "viewer reads; submitter submits intents; operator opens and closes windows and\n"
        "starts services; admin does everything (SOLO_MADRE apply). VX11_TOKEN is the admin\n"
        "named default. Blanks around the token (a trailing newline) are dropped, as madre\n"
        "drops them from a token file. madre serve --check validates the file.");
    hash->callback([registry, file] { *registry->exit_code = RunTokenHash(registry->env, *file); });
  }

  {  // conductor --reason R [...]
    auto args = std::make_shared<ConductorArgs>();
    CLI::App* sub = app.add_subcommand(
        "conductor", "End-to-end check of the live stack: open, health, checks, metrics, close");
    CommonFlags* flags = AddCommonFlags(*registry, sub);
    sub->add_option("--reason", args->reason, "why this run (recorded in the window and report)")
        ->required()
        ->check(CLI::Validator(
            [](std::string& s) { return s.empty() ? std::string("must not be empty") : ""; },
            "TEXT"));
    sub->add_option("--services", args->services, "services to open (default switch,hermes)")
        ->delimiter(',');
    sub->add_option("--ttl", args->ttl, "window TTL (default 60s)")->check(DurationValidator());
    sub->add_option("--out", args->out, "output directory (default ./out/conductor)");
    sub->add_option("--health-timeout", args->health_timeout,
                    "how long to wait for readiness (default 60s)")
        ->check(DurationValidator());
    sub->add_option("--startup-wait", args->startup_wait,
                    "how long preflight waits for madre to answer and while its start-up "
                    "reconcile runs (GET /health \"ready\": false), printing progress; then "
                    "the run fails "
                    "(default 60s; 0: do not wait)")
        ->check(DurationValidator());
    sub->add_option("--cpu-threshold", args->cpu_threshold,
                    "host CPU % above which the run waits (default 70)")
        ->check(CLI::Range(1.0, 100.0));
    sub->add_option("--check", args->checks,
                    "SERVICE=URL availability check (repeatable; replaces the built-in ones)");
    sub->add_option("--flows", args->flows_file,
                    "TOML file of flows of several steps, run besides those the services "
                    "declare in their labels (see `madre flows --help`)");
    sub->add_option("--flow", args->flow, "run only this flow (SERVICE:NAME)");
    sub->add_option("--latency-samples", args->latency_samples,
                    "GETs per window service to its health endpoint for the latency figures "
                    "(default 10; 0: none)")
        ->check(CLI::Range(0, 1000));
    sub->add_flag("--autofix", args->autofix,
                  "after a failed run, run `madre autofix` on its report (the conductor again "
                  "once every failure is fixed): an extra phase `autofix`; the exit code stays "
                  "the failed run's");
    sub->add_option("--autofix-timeout", args->autofix_timeout,
                    "how long --autofix follows its incidents (default 300s)")
        ->check(DurationValidator());
    sub->add_option("--force-fail", args->force_fail, "testing: make PHASE fail")
        ->group("")
        ->check(CLI::IsMember(ConductorPhaseNames()));
    SetRun(sub, registry, flags, Fixed(kDefaultTimeout),
           [args](CommandContext& ctx) { return RunConductorCommand(ctx, *args); });
  }
}

int HandleParseError(const CLI::App& app, const CLI::ParseError& error) {
  return HandleParseError(app, error, std::cout, std::cerr);
}

int HandleParseError(const CLI::App& app, const CLI::ParseError& error, std::ostream& out,
                     std::ostream& err) {
  const int code = app.exit(error, out, err);
  return code == 0 ? kExitOk : kExitUsage;
}

}  // namespace madre::cli
