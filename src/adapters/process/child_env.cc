#include "adapters/process/child_env.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace madre {

namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

bool IsSecretEnvName(std::string_view name) {
  std::string upper;
  upper.reserve(name.size());
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view word : {"TOKEN", "KEY", "SECRET"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

std::set<std::string> ReferencedEnvNames(std::string_view text) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) continue;
    if (text[i + 1] == '$') {  // "$$": a literal '$'
      ++i;
      continue;
    }
    std::size_t start = i + 1;
    if (text[start] == '{') ++start;
    if (start >= text.size() || !IsNameStart(text[start])) continue;
    std::size_t end = start;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    names.emplace(text.substr(start, end - start));
    i = end - 1;
  }
  return names;
}

std::set<std::string> ComposeReferencedNames(const std::filesystem::path& compose_dir,
                                             const std::vector<std::string>& compose_files) {
  std::vector<std::filesystem::path> files;
  for (const std::string& file : compose_files) {
    const std::filesystem::path path(file);
    files.push_back(path.is_absolute() ? path : compose_dir / path);
  }
  files.push_back(compose_dir / ".env");
  std::set<std::string> names;
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    names.merge(ReferencedEnvNames(text.str()));
  }
  return names;
}

ChildEnvPolicy ComposeEnvPolicy(const std::filesystem::path& compose_dir,
                                const std::vector<std::string>& compose_files) {
  ChildEnvPolicy policy;
  for (const std::string& name : ComposeReferencedNames(compose_dir, compose_files)) {
    if (IsSecretEnvName(name)) policy.keep.insert(name);
  }
  return policy;
}

std::vector<std::string> FilterEnvironment(const std::vector<std::string>& entries,
                                           const ChildEnvPolicy& policy) {
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const std::string& entry : entries) {
    const std::string name = entry.substr(0, entry.find('='));
    if (policy.scrub_secrets && IsSecretEnvName(name) && policy.keep.count(name) == 0) continue;
    out.push_back(entry);
  }
  return out;
}

}  // namespace madre
