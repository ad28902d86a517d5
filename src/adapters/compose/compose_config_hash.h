// The compose configuration hash (`config --hash=*`) and the files it depends
// on. Compose puts the hash of a service's configuration in the
// com.docker.compose.config-hash label of each container it creates; `up`
// recreates a container whose label differs from the current hash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/compose/compose_argv.h"
#include "base/status.h"

namespace madre {

// `config --hash=*` output: one `<service> <hash>` line per service (v1 and
// v2 alike). Other lines (warnings interleaved from stderr) are skipped: a
// line counts when it is two words, a valid service name and 1 to 128
// lowercase hex digits. Empty output is an empty map; output with text but no
// such line is kInvalidArgument.
Result<std::map<std::string, std::string>> ParseConfigHashes(std::string_view text);

// One file as stat(2) sees it. A missing file is a stamp too (exists false),
// so that creating it counts as a change.
struct FileStamp {
  std::string path;
  bool exists = false;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;  // catches `touch -r` / `cp -p`, which restore the mtime
  std::uint64_t inode = 0;    // catches an editor's write-to-temp-then-rename
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

// One stat per path; never fails.
std::vector<FileStamp> StampFiles(const std::vector<std::filesystem::path>& paths);

// The files the hashes are computed from: each compose file of `target`
// (relative names under its working dir; DefaultComposeFiles when it names
// none), then `.env` in the working dir and, when it is another directory, in
// the first compose file's directory (where compose >= 1.28 looks for it).
// Not included: files a service names in `env_file`, and the image a tag
// points to (v1 hashes the image id): see docs/design.md, "The fast path".
std::vector<std::filesystem::path> ConfigHashInputs(const ComposeTarget& target);

}  // namespace madre
