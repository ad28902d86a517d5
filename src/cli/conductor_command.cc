// `madre conductor`: flags to ConductorOptions, real deps, summary output.
#include <ostream>

#include "cli/command_context.h"
#include "cli/conductor.h"
#include "cli/window_json.h"

namespace madre::cli {

int RunConductorCommand(CommandContext& ctx, const ConductorArgs& args) {
  ConductorOptions options;
  options.reason = args.reason;
  options.services = args.services;
  if (options.services.empty()) return ctx.Fail(kExitUsage, "--services: name at least one");
  std::optional<std::int64_t> ttl = DurationSeconds(args.ttl);
  if (!ttl || *ttl <= 0) return ctx.Fail(kExitUsage, "--ttl wants a positive duration");
  options.ttl_sec = *ttl;
  options.out_dir = args.out;
  std::optional<Duration> health_timeout = ParseHumanDuration(args.health_timeout);
  if (!health_timeout) return ctx.Fail(kExitUsage, "--health-timeout: not a duration");
  options.health_timeout = *health_timeout;
  std::optional<Duration> startup_wait = ParseHumanDuration(args.startup_wait);
  if (!startup_wait) {
    return ctx.Fail(kExitUsage, "--startup-wait: not a duration");
  }
  options.startup_wait = *startup_wait;
  options.cpu_threshold = args.cpu_threshold;
  for (const std::string& text : args.checks) {
    auto check = ParseCheckFlag(text);
    if (!check.ok()) return ctx.Fail(kExitUsage, check.status().message());
    options.checks[check->first].push_back(check->second);
  }
  options.force_fail = args.force_fail;
  options.madre_url = ctx.connection().url;

  std::unique_ptr<Transport> probe = ctx.env().make_probe_transport(Seconds(5));
  std::ostream& progress_stream = ctx.json() ? ctx.err() : ctx.out();
  ConductorDeps deps{ctx.transport(),
                     *probe,
                     *ctx.env().clock,
                     ctx.env().sleep,
                     ctx.env().proc_root,
                     [&progress_stream](const std::string& line) {
                       progress_stream << line << "\n";
                       progress_stream.flush();
                     }};
  ConductorReport report = RunConductor(options, deps);
  if (ctx.json()) {
    nlohmann::json out = report.ToJson();
    out["run_dir"] = report.run_dir.string();
    ctx.out() << DumpJson(out, 2) << "\n";
  } else {
    ctx.out() << "\n" << RenderConductorSummary(report);
  }
  if (!report.write_error.empty()) ctx.err() << "madre: " << report.write_error << "\n";
  return report.exit_code;
}

}  // namespace madre::cli
