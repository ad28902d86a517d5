// `madre conductor`: flags to ConductorOptions, real deps, summary output.
#include "cli/conductor_command.h"

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

namespace {

Result<ConductorOptions> MakeConductorOptions(const ConductorArgs& args,
                                              const std::string& madre_url) {
  ConductorOptions options;
  options.reason = args.reason;
  options.services = args.services;
  if (options.services.empty()) return Status::InvalidArgument("--services: name at least one");
  std::optional<std::int64_t> ttl = DurationSeconds(args.ttl);
  if (!ttl || *ttl <= 0) return Status::InvalidArgument("--ttl wants a positive duration");
  options.ttl_sec = *ttl;
  options.out_dir = args.out;
  std::optional<Duration> health_timeout = ParseHumanDuration(args.health_timeout);
  if (!health_timeout) return Status::InvalidArgument("--health-timeout: not a duration");
  options.health_timeout = *health_timeout;
  std::optional<Duration> startup_wait = ParseHumanDuration(args.startup_wait);
  if (!startup_wait) return Status::InvalidArgument("--startup-wait: not a duration");
  options.startup_wait = *startup_wait;
  options.cpu_threshold = args.cpu_threshold;
  for (const std::string& text : args.checks) {
    auto check = ParseCheckFlag(text);
    if (!check.ok()) return check.status();
    options.checks[check->first].push_back(check->second);
  }
  if (!args.flows_file.empty()) {
    Result<std::vector<Flow>> flows = LoadFlowsFile(args.flows_file);
    if (!flows.ok()) return flows.status();
    options.flows = std::move(*flows);
  }
  if (!args.flow.empty() && args.flow.find(':') == std::string::npos)
    return Status::InvalidArgument("--flow wants SERVICE:NAME, got \"" + args.flow + "\"");
  options.only_flow = args.flow;
  options.latency_samples = args.latency_samples;
  options.force_fail = args.force_fail;
  options.madre_url = madre_url;
  options.recorded_args = ConductorArgsToJson(args);
  return options;
}

// The absolute form of `path` ("" stays "").
std::string Absolute(const std::filesystem::path& path) {
  if (path.empty()) return "";
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return (ec ? path : absolute).lexically_normal().string();
}

}  // namespace

nlohmann::json ConductorArgsToJson(const ConductorArgs& args) {
  // force_fail is a drill, never repeated; the autofix flags belong to the first run only.
  return {{"reason", args.reason},
          {"services", args.services},
          {"ttl", args.ttl},
          {"health_timeout", args.health_timeout},
          {"startup_wait", args.startup_wait},
          {"cpu_threshold", args.cpu_threshold},
          {"checks", args.checks},
          {"flows_file", Absolute(args.flows_file)},
          {"flow", args.flow},
          {"latency_samples", args.latency_samples}};
}

Result<ConductorArgs> ConductorArgsFromJson(const nlohmann::json& options) {
  if (!options.is_object()) return Status::InvalidArgument("the report has no `options` object");
  ConductorArgs args;
  try {
    args.reason = options.at("reason").get<std::string>();
    args.services = options.at("services").get<std::vector<std::string>>();
    args.ttl = options.at("ttl").get<std::string>();
    args.health_timeout = options.at("health_timeout").get<std::string>();
    args.startup_wait = options.at("startup_wait").get<std::string>();
    args.cpu_threshold = options.at("cpu_threshold").get<double>();
    args.checks = options.at("checks").get<std::vector<std::string>>();
    args.flows_file = options.at("flows_file").get<std::string>();
    args.flow = options.at("flow").get<std::string>();
    args.latency_samples = options.at("latency_samples").get<int>();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("the report's `options`: ") + e.what());
  }
  return args;
}

Result<ConductorReport> RunConductorFromArgs(CommandContext& ctx, const ConductorArgs& args,
                                             std::ostream& progress) {
  Result<ConductorOptions> options = MakeConductorOptions(args, ctx.connection().url);
  if (!options.ok()) return options.status();
  std::unique_ptr<Transport> probe = ctx.env().make_probe_transport(Seconds(5));
  ConductorDeps deps{ctx.transport(),
                     *probe,
                     *ctx.env().clock,
                     ctx.env().sleep,
                     ctx.env().proc_root,
                     [&progress](const std::string& line) {
                       progress << line << "\n";
                       progress.flush();
                     }};
  return RunConductor(*options, deps);
}

int RunConductorCommand(CommandContext& ctx, const ConductorArgs& args) {
  std::optional<Duration> autofix_timeout = ParseHumanDuration(args.autofix_timeout);
  if (!autofix_timeout || *autofix_timeout <= Duration::zero()) {
    return ctx.Fail(kExitUsage, "--autofix-timeout wants a positive duration");
  }
  std::ostream& progress_stream = ctx.json() ? ctx.err() : ctx.out();
  auto progress = [&progress_stream](const std::string& line) {
    progress_stream << line << "\n";
    progress_stream.flush();
  };
  Result<ConductorReport> ran = RunConductorFromArgs(ctx, args, progress_stream);
  if (!ran.ok()) return ctx.Fail(kExitUsage, ran.status().message());
  ConductorReport& report = *ran;
  // --autofix: after a failed run, autofix on its report as one more phase, ok only when every
  // failure was fixed and the conductor run again (without --force-fail) passed. The exit code
  // stays the failed run's: the phase, and `madre autofix`'s exit code, tell the fix.
  std::optional<AutofixResult> autofix;
  std::optional<ConductorReport> rerun;
  if (args.autofix && report.exit_code != kExitOk) {
    const TimePoint start = ctx.env().clock->Now();
    AutofixOptions autofix_options;
    autofix_options.timeout = *autofix_timeout;
    AutofixDeps autofix_deps{ctx.transport(), *ctx.env().clock, ctx.env().sleep, progress};
    autofix = RunAutofix(report.ToJson(), Absolute(report.run_dir), autofix_options, autofix_deps);
    if (!report.run_dir.empty()) {
      autofix->report_file = (report.run_dir / "test_results.json").string();
    }
    if (WantsRerun(*autofix)) {
      (void)WaitForRest(autofix_deps, Seconds(30));
      progress("[autofix] every failure was fixed: running the conductor again");
      ConductorArgs again = args;
      again.force_fail.clear();
      Result<ConductorReport> second = RunConductorFromArgs(ctx, again, progress_stream);
      if (second.ok()) {
        SetRerun(*autofix, second->ToJson(), second->run_dir.string());
        rerun = std::move(*second);
      } else {
        autofix->rerun_note = second.status().message();
      }
    }
    const Duration elapsed = ctx.env().clock->Now() - start;
    PhaseResult phase{"autofix",
                      autofix->exit_code == kExitOk ? PhaseStatus::kOk : PhaseStatus::kFail,
                      std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(),
                      AutofixOneLine(*autofix)};
    progress("[autofix] " + std::string(PhaseStatusName(phase.status)) + " (" +
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
    if (rerun) {
      out["rerun"] = rerun->ToJson();
      out["rerun"]["run_dir"] = rerun->run_dir.string();
    }
    ctx.out() << DumpJson(out, 2) << "\n";
  } else {
    ctx.out() << "\n" << RenderConductorSummary(report);
    if (autofix) ctx.out() << "\n" << RenderAutofixSummary(*autofix);
    if (rerun) ctx.out() << "\nThe run again:\n" << RenderConductorSummary(*rerun);
  }
  if (!report.write_error.empty()) ctx.err() << "madre: " << report.write_error << "\n";
  if (rerun && !rerun->write_error.empty()) ctx.err() << "madre: " << rerun->write_error << "\n";
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
