#include "adapters/compose/compose_config_hash.h"

#include <sys/stat.h>

#include <algorithm>

namespace madre {
namespace {

constexpr std::size_t kMaxHashDigits = 128;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    std::size_t j = i;
    while (j < line.size() && !IsBlank(line[j])) ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

bool IsHexHash(std::string_view text) {
  if (text.empty() || text.size() > kMaxHashDigits) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::int64_t Nanos(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseConfigHashes(std::string_view text) {
  std::map<std::string, std::string> hashes;
  bool any_text = false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const std::vector<std::string_view> words = Words(line);
    if (words.empty()) continue;
    any_text = true;
    if (words.size() == 2 && IsValidServiceName(words[0]) && IsHexHash(words[1])) {
      hashes[std::string(words[0])] = std::string(words[1]);
    }
  }
  if (any_text && hashes.empty()) {
    return Status::InvalidArgument("compose config --hash printed no `<service> <hash>` line");
  }
  return hashes;
}

std::vector<FileStamp> StampFiles(const std::vector<std::filesystem::path>& paths) {
  std::vector<FileStamp> stamps;
  stamps.reserve(paths.size());
  for (const std::filesystem::path& path : paths) {
    FileStamp stamp;
    stamp.path = path.string();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      stamp.exists = true;
      stamp.size = static_cast<std::int64_t>(st.st_size);
      stamp.mtime_ns = Nanos(st.st_mtim);
      stamp.ctime_ns = Nanos(st.st_ctim);
      stamp.inode = static_cast<std::uint64_t>(st.st_ino);
    }
    stamps.push_back(std::move(stamp));
  }
  return stamps;
}

std::vector<std::filesystem::path> ConfigHashInputs(const ComposeTarget& target) {
  const std::filesystem::path& dir = target.working_dir;
  const std::vector<std::string> files =
      target.files.empty() ? DefaultComposeFiles(dir.empty() ? "." : dir) : target.files;
  std::vector<std::filesystem::path> inputs;
  for (const std::string& file : files) inputs.push_back(dir / file);  // absolute stays absolute
  const std::filesystem::path dir_env = dir / ".env";
  inputs.push_back(dir_env);
  if (!files.empty()) {
    const std::filesystem::path project_env = (dir / files.front()).parent_path() / ".env";
    if (project_env.lexically_normal() != dir_env.lexically_normal()) {
      inputs.push_back(project_env);
    }
  }
  return inputs;
}

}  // namespace madre
