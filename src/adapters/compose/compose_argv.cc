#include "adapters/compose/compose_argv.h"

#include <cctype>
#include <system_error>

namespace madre {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsBlank(text[i])) ++i;
    std::size_t j = i;
    while (j < text.size() && !IsBlank(text[j])) ++j;
    if (j > i) words.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

bool Exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

const char* ComposeVerbName(ComposeVerb verb) {
  switch (verb) {
    case ComposeVerb::kConfig:
      return "config";
    case ComposeVerb::kUp:
      return "up";
    case ComposeVerb::kRecreate:
      return "up --force-recreate";
    case ComposeVerb::kStop:
      return "stop";
    case ComposeVerb::kRestart:
      return "restart";
    case ComposeVerb::kPs:
      return "ps";
    case ComposeVerb::kCreate:
      return "create";
    case ComposeVerb::kConfigHash:
      return "config --hash";
    case ComposeVerb::kBuild:
      return "build";
  }
  return "unknown";
}

bool IsContainerId(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string> ComposeArgv(const ComposeTarget& target, ComposeVerb verb,
                                     const std::vector<std::string>& services) {
  MADRE_CHECK_MSG(!target.command.empty(), "compose command is empty");
  MADRE_CHECK_MSG(!target.project.empty(), "compose project is empty");
  for (const std::string& service : services) {
    MADRE_CHECK_MSG(IsValidServiceName(service), "invalid service name reached argv: " + service);
  }
  std::vector<std::string> argv = target.command;
  argv.push_back("-p");
  argv.push_back(target.project);
  for (const std::string& file : target.files) {
    argv.push_back("-f");
    argv.push_back(file);
  }
  const bool v2 = target.flavor == ComposeFlavor::kV2Plugin;
  // Compose v2 leaves the services of inactive profiles out of `config` and `ps`: madre's model
  // and its listings include every profile's services (v1 lists them all anyway). A command
  // that names its services activates their profiles by itself.
  if (v2 && (verb == ComposeVerb::kConfig || verb == ComposeVerb::kConfigHash ||
             verb == ComposeVerb::kPs)) {
    argv.insert(argv.end(), {"--profile", "*"});
  }
  switch (verb) {
    case ComposeVerb::kConfig:
      MADRE_CHECK_MSG(services.empty(), "config takes no services");
      argv.push_back("config");
      if (v2) argv.insert(argv.end(), {"--format", "json"});
      return argv;
    case ComposeVerb::kConfigHash:
      MADRE_CHECK_MSG(services.empty(), "config --hash takes no services");
      argv.push_back("config");
      if (v2) {
        argv.insert(argv.end(), {"--hash", "*"});
      } else {
        argv.push_back("--hash=*");
      }
      return argv;
    case ComposeVerb::kPs:
      MADRE_CHECK_MSG(services.empty(), "ps takes no services");
      argv.push_back("ps");
      if (v2) {
        argv.insert(argv.end(), {"--all", "--format", "json"});
      } else {
        argv.insert(argv.end(), {"-a", "-q"});
      }
      return argv;
    case ComposeVerb::kUp:
      argv.insert(argv.end(), {"up", "-d", "--no-deps", "--no-build"});
      break;
    case ComposeVerb::kRecreate:
      argv.insert(argv.end(), {"up", "-d", "--no-deps", "--no-build", "--force-recreate"});
      break;
    case ComposeVerb::kCreate:
      argv.insert(argv.end(), {"up", "--no-start", "--no-deps", "--no-build"});
      break;
    case ComposeVerb::kStop:
      argv.push_back("stop");
      break;
    case ComposeVerb::kRestart:
      argv.push_back("restart");
      break;
    case ComposeVerb::kBuild:
      MADRE_CHECK_MSG(services.size() == 1, "build takes one service");
      argv.push_back("build");
      break;
  }
  argv.insert(argv.end(), services.begin(), services.end());
  return argv;
}

std::vector<std::string> InspectArgv(const std::vector<std::string>& container_ids) {
  std::vector<std::string> argv = {"docker", "inspect"};
  for (const std::string& id : container_ids) {
    MADRE_CHECK_MSG(IsContainerId(id), "invalid container id reached argv: " + id);
    argv.push_back(id);
  }
  return argv;
}

Result<ComposeTarget> ParseComposeCommand(std::string_view text) {
  std::vector<std::string> words = SplitWords(text);
  if (words.empty()) return Status::InvalidArgument("the compose command is empty");
  ComposeTarget target;
  const bool v2 = words.size() >= 2 && words.back() == "compose" &&
                  std::filesystem::path(words[words.size() - 2]).filename() == "docker";
  target.flavor = v2 ? ComposeFlavor::kV2Plugin : ComposeFlavor::kV1;
  target.command = std::move(words);
  return target;
}

std::optional<ComposeFlavor> ParseComposeVersion(std::string_view output) {
  const std::string_view first_line = output.substr(0, output.find('\n'));
  std::string lower(first_line);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lower.find("version");
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + std::string_view("version").size();
  while (i < lower.size() && (lower[i] == ' ' || lower[i] == ':')) ++i;
  if (i < lower.size() && lower[i] == 'v') ++i;
  int major = 0;
  std::size_t digits = 0;
  for (; i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i])) && digits < 4;
       ++i, ++digits) {
    major = major * 10 + (lower[i] - '0');
  }
  if (digits == 0 || i >= lower.size() || lower[i] != '.') return std::nullopt;
  if (major == 1) return ComposeFlavor::kV1;
  if (major >= 2) return ComposeFlavor::kV2Plugin;
  return std::nullopt;
}

std::vector<std::string> DefaultComposeFiles(const std::filesystem::path& dir) {
  struct Candidate {
    const char* base;
    const char* overrides[2];
  };
  static constexpr Candidate kCandidates[] = {
      {"docker-compose.yml", {"docker-compose.override.yml", "docker-compose.override.yaml"}},
      {"docker-compose.yaml", {"docker-compose.override.yaml", "docker-compose.override.yml"}},
      {"compose.yaml", {"compose.override.yaml", "compose.override.yml"}},
      {"compose.yml", {"compose.override.yml", "compose.override.yaml"}},
  };
  for (const Candidate& candidate : kCandidates) {
    if (!Exists(dir / candidate.base)) continue;
    std::vector<std::string> files = {candidate.base};
    for (const char* override_file : candidate.overrides) {
      if (Exists(dir / override_file)) {
        files.push_back(override_file);
        break;
      }
    }
    return files;
  }
  return {"docker-compose.yml"};
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string joined;
  for (const std::string& arg : argv) {
    if (!joined.empty()) joined += ' ';
    joined += arg;
  }
  return joined;
}

}  // namespace madre
