// `madre conductor`: flags to ConductorOptions, real deps, summary output.
#include <filesystem>
#include <ostream>
#include <system_error>

#include "cli/autofix.h"
#include "cli/command_context.h"
#include "cli/conductor.h"
#include "cli/flows_file.h"
#include "cli/render.h"
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
  if (!args.flows_file.empty()) {
    Result<std::vector<Flow>> flows = LoadFlowsFile(args.flows_file);
    if (!flows.ok()) return ctx.Fail(kExitUsage, flows.status().message());
    options.flows = std::move(*flows);
  }
  if (!args.flow.empty() && args.flow.find(':') == std::string::npos)
    return ctx.Fail(kExitUsage, "--flow wants SERVICE:NAME, got \"" + args.flow + "\"");
  options.only_flow = args.flow;
  options.latency_samples = args.latency_samples;
  options.force_fail = args.force_fail;
  options.madre_url = ctx.connection().url;
  std::optional<Duration> autofix_timeout = ParseHumanDuration(args.autofix_timeout);
  if (!autofix_timeout || *autofix_timeout <= Duration::zero()) {
    return ctx.Fail(kExitUsage, "--autofix-timeout wants a positive duration");
  }

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
  // --autofix: after a failed run, autofix on its report as one more phase. The exit code
  // stays the run's; the report file is written again with the phase.
  std::optional<AutofixResult> autofix;
  if (args.autofix && report.exit_code != kExitOk) {
    const TimePoint start = ctx.env().clock->Now();
    AutofixOptions autofix_options;
    autofix_options.timeout = *autofix_timeout;
    AutofixDeps autofix_deps{ctx.transport(), *ctx.env().clock, ctx.env().sleep, deps.progress};
    std::error_code ec;
    std::filesystem::path run_dir = std::filesystem::absolute(report.run_dir, ec);
    if (ec || report.run_dir.empty()) run_dir = report.run_dir;
    autofix = RunAutofix(report.ToJson(), run_dir.lexically_normal().string(), autofix_options,
                         autofix_deps);
    if (!report.run_dir.empty()) {
      autofix->report_file = (report.run_dir / "test_results.json").string();
    }
    const Duration elapsed = ctx.env().clock->Now() - start;
    PhaseResult phase{"autofix",
                      autofix->exit_code == kExitOk ? PhaseStatus::kOk : PhaseStatus::kFail,
                      std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(),
                      AutofixOneLine(*autofix)};
    deps.progress("[autofix] " + std::string(PhaseStatusName(phase.status)) + " (" +
                  FormatSeconds(elapsed) + "): " + phase.detail);
    report.phases.push_back(std::move(phase));
    if (!report.run_dir.empty()) {
      if (Status s = RewriteTestResults(report); !s.ok()) report.write_error = s.message();
    }
  }
  if (ctx.json()) {
    nlohmann::json out = report.ToJson();
    out["run_dir"] = report.run_dir.string();
    if (autofix) out["autofix"] = autofix->ToJson();
    ctx.out() << DumpJson(out, 2) << "\n";
  } else {
    ctx.out() << "\n" << RenderConductorSummary(report);
    if (autofix) ctx.out() << "\n" << RenderAutofixSummary(*autofix);
  }
  if (!report.write_error.empty()) ctx.err() << "madre: " << report.write_error << "\n";
  return report.exit_code;
}

int RunFlowsCommand(CommandContext& ctx, const std::string& service,
                    const std::string& flows_file) {
  std::vector<Flow> from_file;
  if (!flows_file.empty()) {
    Result<std::vector<Flow>> flows = LoadFlowsFile(flows_file);
    if (!flows.ok()) return ctx.Fail(kExitUsage, flows.status().message());
    from_file = std::move(*flows);
  }
  const std::string path =
      "/madre/power/flows" + (service.empty() ? "" : "?service=" + EscapePathSegment(service));
  ApiResponse r = ctx.Call("GET", path);
  if (!r.ok()) return ctx.Fail(r);
  nlohmann::json flows = r.body.value("flows", nlohmann::json::array());
  const nlohmann::json errors = r.body.value("errors", nlohmann::json::array());
  for (const Flow& flow : from_file) {
    if (service.empty() || flow.service == service) flows.push_back(FlowToJson(flow));
  }
  if (ctx.json()) {
    ctx.out() << DumpJson({{"flows", flows}, {"errors", errors}}, 2) << "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const nlohmann::json& f : flows) {
      const nlohmann::json& steps = f["steps"];
      std::string first = steps.empty() ? "-" : steps[0].value("request", "-");
      if (steps.size() > 1) first += " (+" + std::to_string(steps.size() - 1) + " steps)";
      rows.push_back({f.value("id", "-"), first, f.value("origin", "-")});
    }
    if (rows.empty()) {
      ctx.out() << "No flows declared" << (service.empty() ? "" : " for " + service)
                << " (labels vx11.flow.<name>.request, or --flows FILE).\n";
    } else {
      ctx.out() << RenderTable({"FLOW", "REQUEST", "FROM"}, rows);
    }
  }
  for (const nlohmann::json& e : errors)
    ctx.err() << "madre: bad flow: " << e.get<std::string>() << "\n";
  ctx.out().flush();
  return errors.empty() ? kExitOk : kExitError;
}

}  // namespace madre::cli
