// `madre completion bash|zsh|fish`: shell completion scripts generated from the CLI11 app itself
// (its subcommands, theirs, and each one's options), so a new command or flag never goes stale.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace madre::cli {

// What the scripts are generated from: one node per (sub)command, hidden ones (empty group)
// left out.
struct CompletionOption {
  std::vector<std::string> names;  // "--ttl", "-p"
  bool takes_value = false;        // a flag takes none
  std::string help;                // one line
  // The values it accepts when a CLI::IsMember check names them ("--state" of `madre intents`);
  // empty: any value (the shell completes file names).
  std::vector<std::string> choices;
};

// The choices of a CLI11 type name such as "TEXT:{on,off}" (an IsMember check): {"on", "off"};
// empty when it names none or a choice is not a plain word.
std::vector<std::string> ChoicesOfTypeName(std::string_view type_name);
struct CompletionCommand {
  std::string path;  // "madre", "madre intent", "madre intent show"
  std::string name;  // "madre", "intent", "show"
  std::string help;  // one line
  std::vector<CompletionOption> options;
  std::vector<CompletionCommand> subcommands;
};

CompletionCommand DescribeCommands(const CLI::App& app, const std::string& name = "madre");

std::string BashCompletion(const CompletionCommand& root);
std::string ZshCompletion(const CompletionCommand& root);
std::string FishCompletion(const CompletionCommand& root);

// The script for `shell` (bash, zsh or fish); kInvalidArgument naming the shells otherwise.
Result<std::string> CompletionScript(const CLI::App& app, std::string_view shell);

// Adds `completion SHELL` to `app` (it prints the script of the whole `app`, walked when it
// runs, to `out`; an unknown shell: `madre: ...` on `err`, *exit_code 2).
void RegisterCompletion(CLI::App& app, int* exit_code, std::ostream* out, std::ostream* err);

}  // namespace madre::cli
