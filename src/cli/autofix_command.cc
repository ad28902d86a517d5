// `madre autofix` and `madre autofix reset SERVICE`: flags to RunAutofix, output.
#include <filesystem>
#include <ostream>
#include <system_error>

#include "cli/autofix.h"
#include "cli/command_context.h"
#include "cli/conductor_command.h"
#include "cli/window_json.h"

namespace madre::cli {

int RunAutofixCommand(CommandContext& ctx, const AutofixArgs& args) {
  std::optional<Duration> timeout = ParseHumanDuration(args.timeout);
  if (!timeout || *timeout <= Duration::zero()) {
    return ctx.Fail(kExitUsage, "--timeout wants a positive duration, got '" + args.timeout + "'");
  }
  Result<std::filesystem::path> file = FindConductorReport(args.test_result, args.out);
  if (!file.ok()) return ctx.Fail(kExitUsage, file.status().message());
  Result<nlohmann::json> report = LoadConductorReport(*file);
  if (!report.ok()) return ctx.Fail(kExitUsage, report.status().message());

  AutofixOptions options;
  options.timeout = *timeout;
  std::ostream& progress = ctx.err();
  AutofixDeps deps{ctx.transport(), *ctx.env().clock, ctx.env().sleep,
                   [&progress](const std::string& line) {
                     progress << line << "\n";
                     progress.flush();
                   }};
  // madre runs elsewhere: it gets the run directory as an absolute path.
  std::error_code ec;
  std::filesystem::path run_dir = std::filesystem::absolute(file->parent_path(), ec);
  if (ec) run_dir = file->parent_path();
  AutofixResult result = RunAutofix(*report, run_dir.lexically_normal().string(), options, deps);
  result.report_file = file->string();
  // Every failure fixed: the same conductor again (its settings are in the report), next to
  // the failed run, proves it.
  if (WantsRerun(result) && args.no_rerun) {
    result.rerun_note = "--no-rerun";
  } else if (WantsRerun(result)) {
    Result<ConductorArgs> again = ConductorArgsFromJson(report->value("options", nlohmann::json()));
    if (!again.ok()) {
      result.rerun_note = again.status().message() +
                          " (a report of an older madre): run `madre conductor` again yourself";
    } else {
      again->out = run_dir.parent_path().string();
      (void)WaitForRest(deps, Seconds(30));
      progress << "autofix: every failure was fixed: running the conductor again\n";
      progress.flush();
      Result<ConductorReport> rerun = RunConductorFromArgs(ctx, *again, progress);
      if (rerun.ok()) {
        SetRerun(result, rerun->ToJson(), rerun->run_dir.string());
      } else {
        result.rerun_note = rerun.status().message();
      }
    }
  }
  if (ctx.json()) {
    ctx.out() << DumpJson(result.ToJson(), 2) << "\n";
  } else {
    ctx.out() << RenderAutofixSummary(result);
  }
  ctx.out().flush();
  if (!result.abort_error.empty()) ctx.err() << "madre: " << result.abort_error << "\n";
  return result.exit_code;
}

int RunAutofixReset(CommandContext& ctx, const std::string& service) {
  ApiResponse r = ctx.Call("POST", "/madre/autofix/reset/" + EscapePathSegment(service));
  if (!r.ok()) return ctx.Fail(r);
  if (ctx.json()) {
    ctx.out() << DumpJson(r.body, 2) << "\n";
  } else {
    const std::string name = Str(r.body, "service").empty() ? service : Str(r.body, "service");
    ctx.out() << (Bool(r.body, "was_quarantined") ? name + ": quarantine lifted\n"
                                                  : name + " was not quarantined\n");
  }
  ctx.out().flush();
  return kExitOk;
}

}  // namespace madre::cli
