#include "cli/completion.h"

#include <functional>
#include <ostream>
#include <set>

#include "cli/exit_codes.h"

namespace madre::cli {

namespace {

// The first line of a help text, without its trailing period.
std::string OneLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 100) line = line.substr(0, 97) + "...";
  return line;
}

void Walk(const CompletionCommand& command,
          const std::function<void(const CompletionCommand&)>& visit) {
  visit(command);
  for (const CompletionCommand& sub : command.subcommands) Walk(sub, visit);
}

// 'text' for bash and zsh (a ' closes, is escaped, and reopens).
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// 'text' for fish (\' and \\ inside single quotes).
std::string FishQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string Words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::vector<std::string> OptionNames(const CompletionCommand& command, bool valued_only) {
  std::vector<std::string> out;
  for (const CompletionOption& option : command.options) {
    if (valued_only && !option.takes_value) continue;
    out.insert(out.end(), option.names.begin(), option.names.end());
  }
  return out;
}

std::vector<std::string> SubcommandNames(const CompletionCommand& command) {
  std::vector<std::string> out;
  for (const CompletionCommand& sub : command.subcommands) out.push_back(sub.name);
  return out;
}

// `case` patterns of every path that has subcommands: "madre open"|"madre close"...
std::string PathPatterns(const CompletionCommand& root) {
  std::string out;
  Walk(root, [&out](const CompletionCommand& c) {
    if (c.path == "madre") return;
    if (!out.empty()) out += '|';
    out += '"' + c.path + '"';
  });
  return out;
}

// The case arms of a `_madre_choices` function (bash and zsh): `"PATH|OPTION") PRINT 'a b' ;;`
// for each name of each option with choices, PRINT being the shell's way to print a line.
std::string ChoiceCases(const CompletionCommand& root, const std::string& print) {
  std::string cases;
  Walk(root, [&cases, &print](const CompletionCommand& c) {
    for (const CompletionOption& option : c.options) {
      if (option.choices.empty()) continue;
      for (const std::string& name : option.names) {
        cases += "    " + ShellQuote(c.path + "|" + name) + ") " + print + " " +
                 ShellQuote(Words(option.choices)) + " ;;\n";
      }
    }
  });
  return cases;
}

}  // namespace

std::vector<std::string> ChoicesOfTypeName(std::string_view type_name) {
  const std::size_t open = type_name.find(":{");
  if (open == std::string_view::npos) return {};
  const std::size_t close = type_name.find('}', open);
  if (close == std::string_view::npos) return {};
  std::vector<std::string> out;
  std::string_view list = type_name.substr(open + 2, close - open - 2);
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view word = list.substr(0, comma);
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789_.-") == std::string_view::npos;
    if (!plain) return {};
    out.emplace_back(word);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

CompletionCommand DescribeCommands(const CLI::App& app, const std::string& name) {
  CompletionCommand command;
  command.name = name;
  command.path = name;
  command.help = OneLine(app.get_description());
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty() || option->get_positional()) continue;
    CompletionOption out;
    for (const std::string& s : option->get_snames()) out.names.push_back("-" + s);
    for (const std::string& l : option->get_lnames()) out.names.push_back("--" + l);
    if (out.names.empty()) continue;
    out.takes_value = option->get_expected_max() > 0;  // a flag expects 0 values
    out.help = OneLine(option->get_description());
    if (out.takes_value) out.choices = ChoicesOfTypeName(option->get_type_name());
    command.options.push_back(std::move(out));
  }
  for (const CLI::App* sub : app.get_subcommands(
           [](const CLI::App* a) { return !a->get_name().empty() && !a->get_group().empty(); })) {
    CompletionCommand child = DescribeCommands(*sub, sub->get_name());
    // Each level prefixes its own name, so that every descendant carries its whole path.
    std::function<void(CompletionCommand&)> prefix = [&](CompletionCommand& c) {
      c.path = name + " " + c.path;
      for (CompletionCommand& s : c.subcommands) prefix(s);
    };
    prefix(child);
    command.subcommands.push_back(std::move(child));
  }
  return command;
}

std::string BashCompletion(const CompletionCommand& root) {
  std::string info;
  Walk(root, [&info](const CompletionCommand& c) {
    info += "    " + ShellQuote(c.path) + ")\n      subs=" + ShellQuote(Words(SubcommandNames(c))) +
            "\n      opts=" + ShellQuote(Words(OptionNames(c, false))) +
            "\n      valued=" + ShellQuote(Words(OptionNames(c, true))) + " ;;\n";
  });
  const std::string choices = ChoiceCases(root, "echo");
  return "# bash completion for madre, generated by `madre completion bash` from madre's own\n"
         "# command definitions. Load it with: source <(madre completion bash)\n"
         "# or install it: madre completion bash > /etc/bash_completion.d/madre\n"
         "_madre_info() {\n"
         "  subs='' opts='' valued=''\n"
         "  case \"$1\" in\n" +
         info +
         "  esac\n"
         "}\n"
         "\n"
         "_madre_choices() {\n"
         "  case \"$1|$2\" in\n" +
         choices +
         "  esac\n"
         "}\n"
         "\n"
         "_madre() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "  local cmd_path=madre subs opts valued choices i w\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    w=\"${COMP_WORDS[i]}\"\n"
         "    case \"$cmd_path $w\" in\n"
         "      " +
         PathPatterns(root) +
         ") cmd_path=\"$cmd_path $w\" ;;\n"
         "    esac\n"
         "  done\n"
         "  _madre_info \"$cmd_path\"\n"
         "  COMPREPLY=()\n"
         "  # The value of an option: its choices, else the shell's default (file names).\n"
         "  choices=$(_madre_choices \"$cmd_path\" \"$prev\")\n"
         "  if [[ -n \"$choices\" ]]; then\n"
         "    mapfile -t COMPREPLY < <(compgen -W \"$choices\" -- \"$cur\")\n"
         "    return 0\n"
         "  fi\n"
         "  case \" $valued \" in *\" $prev \"*) return 0 ;; esac\n"
         "  if [[ \"$cur\" == -* ]]; then\n"
         "    mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
         "  elif [[ -n \"$subs\" ]]; then\n"
         "    mapfile -t COMPREPLY < <(compgen -W \"$subs\" -- \"$cur\")\n"
         "  fi\n"
         "  return 0\n"
         "}\n"
         "complete -o default -F _madre madre\n";
}

std::string ZshCompletion(const CompletionCommand& root) {
  std::string info;
  Walk(root, [&info](const CompletionCommand& c) {
    std::string subs;
    for (const CompletionCommand& sub : c.subcommands) {
      subs += " " + ShellQuote(sub.name + ":" + sub.help);
    }
    std::string opts;
    for (const CompletionOption& option : c.options) {
      for (const std::string& name : option.names)
        opts += " " + ShellQuote(name + ":" + option.help);
    }
    info += "    " + ShellQuote(c.path) + ")\n      names=(" + Words(SubcommandNames(c)) +
            ")\n      subs=(" + subs + " )\n      opts=(" + opts + " )\n      valued=(" +
            Words(OptionNames(c, true)) + ") ;;\n";
  });
  const std::string choices = ChoiceCases(root, "print -r --");
  return "#compdef madre\n"
         "# zsh completion for madre, generated by `madre completion zsh` from madre's own\n"
         "# command definitions. Load it with: source <(madre completion zsh) (after compinit)\n"
         "# or install it as _madre in a directory of $fpath.\n"
         "_madre_info() {\n"
         "  names=() subs=() opts=() valued=()\n"
         "  case \"$1\" in\n" +
         info +
         "  esac\n"
         "}\n"
         "\n"
         "_madre_choices() {\n"
         "  case \"$1|$2\" in\n" +
         choices +
         "  esac\n"
         "}\n"
         "\n"
         "_madre() {\n"
         "  local cmd_path=madre w i choices\n"
         "  local -a names subs opts valued\n"
         "  for ((i = 2; i < CURRENT; i++)); do\n"
         "    w=\"${words[i]}\"\n"
         "    _madre_info \"$cmd_path\"\n"
         "    if (( ${names[(Ie)$w]} )); then cmd_path=\"$cmd_path $w\"; fi\n"
         "  done\n"
         "  _madre_info \"$cmd_path\"\n"
         "  choices=$(_madre_choices \"$cmd_path\" \"${words[CURRENT-1]}\")\n"
         "  if [[ -n \"$choices\" ]]; then\n"
         "    compadd -- ${=choices}\n"
         "  elif (( ${valued[(Ie)${words[CURRENT-1]}]} )); then\n"
         "    _files\n"
         "  elif [[ \"${words[CURRENT]}\" == -* ]]; then\n"
         "    _describe -t options 'madre option' opts\n"
         "  elif (( ${#subs} )); then\n"
         "    _describe -t commands 'madre command' subs\n"
         "  fi\n"
         "}\n"
         "\n"
         "if [[ \"${zsh_eval_context[-1]}\" == loadautofunc ]]; then\n"
         "  _madre \"$@\"\n"
         "else\n"
         "  compdef _madre madre\n"
         "fi\n";
}

std::string FishCompletion(const CompletionCommand& root) {
  std::string out =
      "# fish completion for madre, generated by `madre completion fish` from madre's own\n"
      "# command definitions. Load it with: madre completion fish | source\n"
      "# or install it: madre completion fish > ~/.config/fish/completions/madre.fish\n"
      "function __madre_path\n"
      "    set -l p madre\n"
      "    for w in (commandline -opc)[2..-1]\n"
      "        switch \"$p $w\"\n"
      "            case";
  Walk(root, [&out](const CompletionCommand& c) {
    if (c.path != "madre") out += " " + FishQuote(c.path);
  });
  out +=
      "\n"
      "                set p \"$p $w\"\n"
      "        end\n"
      "    end\n"
      "    echo $p\n"
      "end\n"
      "\n"
      "complete -c madre -f\n";
  Walk(root, [&out](const CompletionCommand& c) {
    const std::string when = " -n " + FishQuote("test (__madre_path) = " + FishQuote(c.path));
    for (const CompletionCommand& sub : c.subcommands) {
      out += "complete -c madre" + when + " -a " + FishQuote(sub.name) + " -d " +
             FishQuote(sub.help) + "\n";
    }
    for (const CompletionOption& option : c.options) {
      out += "complete -c madre" + when;
      for (const std::string& name : option.names) {
        out += name.rfind("--", 0) == 0 ? " -l " + name.substr(2) : " -s " + name.substr(1);
      }
      if (!option.choices.empty()) {
        out += " -r -f -a " + FishQuote(Words(option.choices));
      } else if (option.takes_value) {
        out += " -r -F";
      }
      out += " -d " + FishQuote(option.help) + "\n";
    }
  });
  return out;
}

Result<std::string> CompletionScript(const CLI::App& app, std::string_view shell) {
  const CompletionCommand root = DescribeCommands(app);
  if (shell == "bash") return BashCompletion(root);
  if (shell == "zsh") return ZshCompletion(root);
  if (shell == "fish") return FishCompletion(root);
  return Status::InvalidArgument("unknown shell '" + std::string(shell) +
                                 "': madre completion knows bash, zsh and fish");
}

void RegisterCompletion(CLI::App& app, int* exit_code, std::ostream* out, std::ostream* err) {
  auto shell = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "completion",
      "Print a shell completion script (bash, zsh or fish), generated from madre's commands");
  sub->add_option("shell", *shell, "bash, zsh or fish")->required();
  sub->footer(
      "Load it in the running shell:\n"
      "  bash: source <(madre completion bash)\n"
      "  zsh:  source <(madre completion zsh)      (after compinit)\n"
      "  fish: madre completion fish | source\n"
      "or install it: madre completion bash > /etc/bash_completion.d/madre,\n"
      "madre completion zsh > \"${fpath[1]}/_madre\",\n"
      "madre completion fish > ~/.config/fish/completions/madre.fish.\n"
      "An unknown shell exits 2.");
  CLI::App* root = &app;
  sub->callback([root, shell, exit_code, out, err] {
    Result<std::string> script = CompletionScript(*root, *shell);
    if (!script.ok()) {
      *err << "madre: " << script.status().message() << "\n";
      *exit_code = kExitUsage;
      return;
    }
    *out << *script;
    *exit_code = kExitOk;
  });
}

}  // namespace madre::cli
